"""The two sides the differential test (test/test_differential.py) compares.

A Target is a database file in the sequence's directory with one connection to it (the extension
loaded) and the table `t`; OracleTarget is the ordinary WITHOUT ROWID table that enforces the same
rules by SQL's own means, LocalTarget and ApiTarget the origin_cloud_regions tables compared with
it. TARGETS names the ones CFR_DIFF_TARGET can pick. Other tests set up the same oracle and the
same fake through them (test/test_local_semantics.py does).
"""

import os
import sqlite3

from support import cases, fake as fake_support
from support.differential_gen import ipc, q

SQLITE_ERROR_NAMES = {1: "SQLITE_ERROR", 5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM",
                      8: "SQLITE_READONLY", 10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT",
                      19: "SQLITE_CONSTRAINT", 21: "SQLITE_MISUSE", 20: "SQLITE_MISMATCH"}


# ---------------------------------------------------------------------------------------------
# Targets: the two sides of a comparison

class Target:
    """One side of a comparison: a database file in the sequence's directory, one connection to
    it (extension loaded), and the table `t` in schema `schema`. A new kind of table to compare
    is a subclass: its create_sql(), supported_pairs(), and what it cannot take part in."""

    label = "?"
    remote = False
    schema = "main"
    unsupported = frozenset()  # generator features that make no sense for this target

    def __init__(self, directory, filename, journal="delete"):
        self.dir = directory
        self.filename = filename
        self.path = os.path.join(directory, filename)
        self.journal = journal
        self.conn = None

    def open_statements(self):
        """Run after every connect (and so after every reopen)."""
        return ["PRAGMA synchronous = OFF", "PRAGMA journal_mode = %s" % self.journal]

    def attach_statements(self):
        """What a second connection needs to see the table (an ATTACH)."""
        return []

    def _open(self, statements, timeout=5.0):
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
        conn.enable_load_extension(True)
        conn.load_extension(cases.so_path())
        conn.enable_load_extension(False)
        for sql in statements:
            conn.execute(sql).fetchall()
        return conn

    def connect(self):
        self.conn = self._open(self.open_statements())
        return self.conn

    def reopen(self):
        self.conn.close()
        return self.connect()

    reader_conn = None

    def reader(self):
        """A second connection to the same file (no busy wait), for what other connections see."""
        if self.reader_conn is None:
            self.reader_conn = self._open(self.attach_statements(), timeout=0)
        return self.reader_conn

    def close(self):
        for conn in (self.conn, self.reader_conn):
            if conn:
                conn.close()
        self.conn = self.reader_conn = None

    def create_sql(self, name):
        raise NotImplementedError

    def setup(self, staging, features):
        """Statements that set up the database before the sequence."""
        out = ["CREATE TABLE staging(id INTEGER PRIMARY KEY, batch INTEGER, ip, vendor, region)"]
        if staging:
            out.append("INSERT INTO staging(batch, ip, vendor, region) VALUES " + ", ".join(staging))
        out.append(self.create_sql("t"))
        if "second_table" in features:
            out.append(self.create_sql("u"))
        if "trigger" in features:
            out += ["CREATE TABLE feed(ip, vendor, region)",
                    "CREATE TRIGGER feed_to_t AFTER INSERT ON feed BEGIN INSERT INTO t(origin_ip, vendor, "
                    "region) VALUES (%s, new.vendor, new.region); END" % self.feed_ip()]
        return out

    def feed_ip(self):
        return "new.ip"

    def table_name(self):
        """The table's current name: t, or t2 after a rename (None when dropped)."""
        names = {r[0] for r in self.conn.execute(
            "SELECT name FROM \"%s\".sqlite_schema WHERE name IN ('t', 't2') AND type = 'table'"
            % self.schema)}
        return "t" if "t" in names else ("t2" if "t2" in names else None)

    def contents(self, conn=None):
        """(table name, its rows in address order); rows is a text when they cannot be read."""
        name = self.table_name()
        if name is None:
            return None, "no table"
        return name, self.rows(name, conn)

    def rows(self, name, conn=None):
        try:
            return (conn or self.conn).execute(
                "SELECT origin_ip, vendor, region FROM %s ORDER BY origin_ip" % name).fetchall()
        except sqlite3.Error as e:
            return "error %s: %s" % (code_name(e), e)

    def remote_state(self, name="t"):
        """The table's contents as its remote store holds them (None: no remote store)."""
        return None

    def script_notes(self):
        return []


class OracleTarget(Target):
    label = "ordinary table"

    def __init__(self, directory, pairs, journal):
        super().__init__(directory, "oracle.db", journal)
        self.pairs = sorted(pairs)

    def create_sql(self, name):
        pairs = ", ".join(q("%s/%s" % p) for p in self.pairs)
        return ("CREATE TABLE %s(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL "
                "CHECK (ip_canonical(origin_ip) IS origin_ip COLLATE BINARY), "
                "vendor TEXT NOT NULL CHECK (vendor IN ('aws', 'azure', 'gcp', 'oci')), "
                "region TEXT NOT NULL CHECK (vendor || '/' || region IN (%s)), "
                "modified_on TEXT CHECK (modified_on IS NULL)) WITHOUT ROWID" % (name, pairs))

    def setup(self, staging, features):
        # Its own table first: both sides then start with the same changes() (the staging rows).
        return ["CREATE TABLE allowed(pair TEXT PRIMARY KEY)",
                "INSERT INTO allowed VALUES " + ", ".join("(%s)" % q("%s/%s" % p) for p in self.pairs)
                ] + super().setup(staging, features)

    def feed_ip(self):
        return ipc("new.ip")


class LocalTarget(Target):
    """A local table in the main database (schema=None), in temp, or in an attached database."""

    def __init__(self, directory, journal, schema="main"):
        super().__init__(directory, "vtab.db", journal)
        self.schema = schema
        self.key = {"main": "local", "temp": "local-temp", "aux": "local-attached"}[schema]
        self.label = {"main": "local virtual table", "temp": "local virtual table in temp",
                      "aux": "local virtual table in an attached database"}[schema]
        if schema == "temp":
            # The temp schema does not outlive its connection, the ordinary table does, nor can
            # another connection see it; triggers of main cannot reach other schemas.
            self.unsupported = frozenset({"reopen", "trigger", "reader"})
        elif schema == "aux":
            self.unsupported = frozenset({"trigger"})

    def open_statements(self):
        out = super().open_statements() + self.attach_statements()
        if self.schema == "aux":
            out.append("PRAGMA aux.journal_mode = %s" % self.journal)
        return out

    def attach_statements(self):
        if self.schema != "aux":
            return []
        return ["ATTACH %s AS aux" % q(os.path.join(self.dir, "vtab-aux.db"))]

    def create_sql(self, name):
        prefix = "" if self.schema == "main" else self.schema + "."
        return "CREATE VIRTUAL TABLE %s%s USING origin_cloud_regions(store='local')" % (prefix, name)

    def supported_pairs(self):
        return self.conn.execute("SELECT vendor, region FROM supported_regions").fetchall()


class ApiTarget(Target):
    """An API table in front of the fake Cloudflare API (test/fake_cloudflare.py, started through
    test/support's Fake, with the zone region list the tests use). One fake serves the whole run;
    each sequence starts from an empty zone. The zone must equal the oracle's contents whenever no
    transaction is open."""

    remote = True
    fake = None
    module = None
    # DROP TABLE leaves the zone's mappings in place (by design); API tables are DIRECTONLY, so no
    # trigger may write them.
    # The zone's state is compared after every COMMIT instead of a second connection's view.
    unsupported = frozenset({"drop_table", "trigger", "reader"})

    def __init__(self, directory, journal, api):
        super().__init__(directory, "vtab.db", journal)
        self.api = api
        self.label = "API table (%s)" % api
        self.key = "api-" + api

    @classmethod
    def ensure_fake(cls):
        if cls.fake is None:
            cls.module = fake_support
            for k in [k for k in os.environ if k.startswith("CLOUDFLARE_")]:
                del os.environ[k]
            cls.fake = fake_support.Fake()
            os.environ["CLOUDFLARE_API_TOKEN"] = fake_support.TOKEN
            os.environ["CLOUDFLARE_BASE_URL"] = cls.fake.api_url
        return cls.fake

    @classmethod
    def stop_fake(cls):
        if cls.fake is not None:
            cls.fake.stop()
            cls.fake = None

    def connect(self):
        self.ensure_fake()
        return super().connect()

    def zone(self, name):
        """t (or t2) is the test zone; the second table u another zone."""
        return self.module.OTHER_ZONE if name == "u" else self.module.ZONE

    def create_sql(self, name):
        return ("CREATE VIRTUAL TABLE %s USING origin_cloud_regions(zone_id='%s', api='%s')"
                % (name, self.zone(name), self.api))

    def supported_pairs(self):
        return [(v, r["name"]) for v, regions in self.fake.regions["vendors"].items() for r in regions]

    def remote_state(self, name="t"):
        return self.fake.state(self.zone(name))

    def script_notes(self):
        return ["-- Needs the fake API with test/support/fake.py's zone region list and an empty zone:",
                "--   python3 test/fake_cloudflare.py --port 0 --port-file PORT --regions REGIONS.json",
                "--   export CLOUDFLARE_BASE_URL=http://127.0.0.1:$(cat PORT)/client/v4 "
                "CLOUDFLARE_API_TOKEN=test-token"]


TARGETS = {
    "local": lambda d, j: LocalTarget(d, j),
    "local-temp": lambda d, j: LocalTarget(d, j, "temp"),
    "local-attached": lambda d, j: LocalTarget(d, j, "aux"),
    "api-v1": lambda d, j: ApiTarget(d, j, "v1"),
    "api-v2": lambda d, j: ApiTarget(d, j, "v2"),
}
TARGET_LABELS = {"local": "local virtual table", "local-temp": "local virtual table in temp",
                 "local-attached": "local virtual table in an attached database",
                 "api-v1": "API table (v1)", "api-v2": "API table (v2)"}
TARGET_UNSUPPORTED = {"local": frozenset(), "local-temp": frozenset({"reopen", "trigger", "reader"}),
                      "local-attached": frozenset({"trigger"}),
                      "api-v1": ApiTarget.unsupported, "api-v2": ApiTarget.unsupported}


def code_name(e):
    code = getattr(e, "sqlite_errorcode", None)
    if code is None:
        return "SQLITE_?"
    return SQLITE_ERROR_NAMES.get(code & 0xff, "SQLITE_%d" % (code & 0xff))
