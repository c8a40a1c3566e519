"""The statement generator of the differential test (test/test_differential.py).

Gen turns a seed and a profile's features into a sequence of statements (Stmt), each as text for
the virtual table's database and for the oracle's, where the oracle's text spells out the rules the
virtual table keeps by other means (canonical IPs, OR IGNORE; see test/test_differential.py).
Everything here is deterministic per seed: a seed printed by a failing run regenerates the same
sequence, so the draws (their order and their weights) are part of what a seed means; change them
knowing that old seeds then name other sequences. Standard library only; no SQLite needed.
"""

import json
import random
import re

# ---------------------------------------------------------------------------------------------
# Values the generator draws from

IPS = ["10.0.0.1", "10.0.0.2", "10.0.0.10", "192.0.2.1", "198.51.100.7", "255.255.255.255",
       "::1", "2001:db8::1", "2001:db8::a", "2001:db8:0:1::1", "::ffff:10.0.0.1", "fe80::1"]

# Other spellings of some of them (checked against ip_canonical() when a run starts).
SPELLINGS = {
    "::1": ["0:0:0:0:0:0:0:1", "::0001", "0::1"],
    "2001:db8::1": ["2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8:0::1"],
    "2001:db8::a": ["2001:DB8::A", "2001:db8::000a"],
    "2001:db8:0:1::1": ["2001:DB8:0:1:0:0:0:1", "2001:db8:0:1:0::1"],
    "::ffff:10.0.0.1": ["::FFFF:10.0.0.1", "::ffff:a00:1", "0:0:0:0:0:ffff:10.0.0.1"],
    "fe80::1": ["FE80::1", "fe80:0:0:0:0:0:0:1"],
}

# SQL expressions that are no IP address, and the feature that guards them (None: always allowed).
BAD_IPS = [("'10.0.0.256'", None), ("'010.0.0.1'", None), ("'10.0.0.1/32'", None),
           ("' 10.0.0.1'", None), ("'fe80::1%eth0'", None), ("''", None), ("NULL", None),
           ("3221225985", None), ("X'0A000001'", None), ("CAST('10.0.0.1' AS BLOB)", None),
           ("'2001:db8::1::2'", None), ("'10.0.0.1' || char(0) || 'x'", "nul")]

PAIRS = [("aws", "us-east-1"), ("aws", "us-west-2"), ("aws", "eu-west-1"), ("gcp", "us-central1"),
         ("gcp", "europe-west1"), ("azure", "eastus"), ("azure", "westeurope"),
         ("oci", "us-ashburn-1"), ("oci", "eu-frankfurt-1")]

# Pairs that are invalid for the local store (wrong case, unknown, mismatched, NULL, not text, NUL).
BAD_PAIRS = [("'AWS'", "'us-east-1'", None), ("'ibm'", "'us-south'", None),
             ("'aws '", "'us-east-1'", None), ("NULL", "'us-east-1'", None),
             ("'aws'", "NULL", None), ("'aws'", "'us-central1'", None),
             ("'gcp'", "'US-CENTRAL1'", None), ("'azure'", "''", None), ("7", "'us-east-1'", None),
             ("CAST('aws' AS BLOB)", "'us-east-1'", None), ("'aws'", "'us-test-1'", None),
             ("'aws' || char(0) || 'junk'", "'us-east-1'", "nul"),
             ("'aws'", "'us-east-1' || char(0)", "nul")]

VENDORS = ["aws", "azure", "gcp", "oci"]
TIMESTAMP = "'2020-01-01T00:00:00Z'"


def q(text):
    return "'" + text.replace("'", "''") + "'"


def ipc(expr):
    """The oracle writes what the virtual table would store: the canonical form of an address."""
    return "coalesce(ip_canonical(%s), %s)" % (expr, expr)


def par(expr):
    """expr in parentheses unless it is a plain name or literal (-> and ->> bind like ||)."""
    return expr if re.fullmatch(r"'[^']*'|[A-Za-z_][A-Za-z_0-9.]*|[0-9]+", expr) else "(%s)" % expr


def candidate_pairs():
    """Every (vendor, region) of plain text the generator can write: each vendor with each region
    it ever names. The oracle's CHECK lists those the virtual table supports, which gives the same
    verdict as the whole list on every generated row and keeps the scripts readable."""
    regions = {r for _, r in PAIRS} | {"moon-1"}
    regions |= {r[1:-1] for _, r, _ in BAD_PAIRS if re.fullmatch(r"'[^']*'", r)}
    return {(v, r) for v in VENDORS for r in regions}


def guard(ip, vendor, region, modified_on, value):
    """Under OR IGNORE: value if the row (ip, vendor, region, modified_on) is valid, else an error
    (SQLITE_ERROR, "malformed JSON") that aborts the statement as the virtual table does."""
    ip, vendor, region, modified_on = par(ip), par(vendor), par(region), par(modified_on)
    return ("CASE WHEN ip_canonical(%s) IS NOT NULL AND %s IN ('aws', 'azure', 'gcp', 'oci') "
            "AND (%s || '/' || %s) IN (SELECT pair FROM allowed) AND %s IS NULL "
            "THEN %s ELSE json('[' || quote(%s)) END"
            % (ip, vendor, vendor, region, modified_on, value, ip))


# ---------------------------------------------------------------------------------------------
# Statements

class Stmt:
    """One statement, as text for the virtual table's database (vt) and the oracle's (orc).

    kind: what it is ('insert', 'update', 'delete', 'select', 'begin', ..., 'reopen', 'create');
    'reopen' and 'create' are carried out by the targets. check: compare the tables' contents after
    it. rows/build: a multi-row statement keeps its rows and a function that renders a subset, so
    that shrinking can drop rows."""

    def __init__(self, kind, vt=None, orc=None, check=True, rows=None, build=None, table=None):
        self.kind, self.vt, self.orc, self.check = kind, vt, orc if orc is not None else vt, check
        self.rows, self.build, self.table = rows, build, table

    def copy(self, **changes):
        stmt = Stmt(self.kind, self.vt, self.orc, self.check, self.rows, self.build, self.table)
        stmt.__dict__.update(changes)
        return stmt

    def with_rows(self, rows):
        vt, orc = self.build(rows)
        return self.copy(vt=vt, orc=orc, rows=rows)

    def with_check(self, check):
        return self.copy(check=check)

    def label(self):
        if self.kind == "reopen":
            return "(close and reopen the database)"
        if self.kind == "create":
            return "(CREATE the table %s again)" % self.table
        return self.vt


class Gen:
    """Generates one sequence from a seed, tracking roughly what state its statements lead to
    (transaction open, savepoints, the table's name); statements that fail on both sides because
    the estimate was wrong do no harm."""

    def __init__(self, seed, features):
        self.r = random.Random(seed)
        self.f = features
        self.name = "t"
        self.in_txn = False
        self.savepoints = []
        self.sp_counter = 0
        self.x_exists = False
        self.table_exists = True

    # ---- values
    def chance(self, p):
        return self.r.random() < p

    def ip(self, bad_rate=0.06):
        x = self.r.random()
        if x < bad_rate and "invalid" in self.f:
            return self.r.choice([e for e, feat in BAD_IPS if feat is None or feat in self.f])
        if x < 0.22:
            return q(self.r.choice(self.r.choice(list(SPELLINGS.values()))))
        return q(self.r.choice(IPS))

    def pair(self, bad_rate=0.06):
        if self.chance(bad_rate) and "invalid" in self.f:
            v, r, _ = self.r.choice([p for p in BAD_PAIRS if p[2] is None or p[2] in self.f])
            return v, r
        v, r = self.r.choice(PAIRS)
        return q(v), q(r)

    def where(self, allow_all=True):
        r = self.r
        choices = [
            (14, lambda: "origin_ip = %s" % self.ip()),
            (6, lambda: "origin_ip IN (%s)" % ", ".join(self.ip() for _ in range(r.randint(1, 4)))),
            (4, lambda: "origin_ip %s %s" % (r.choice(["<", "<=", ">", ">="]), self.ip(0))),
            (2, lambda: "origin_ip BETWEEN %s AND %s" % (self.ip(0), self.ip(0))),
            (4, lambda: "vendor = %s" % q(r.choice(VENDORS))),
            (2, lambda: "vendor IN ('aws', 'gcp') AND region LIKE 'us-%'"),
            (2, lambda: "ipfamily(origin_ip) = %d" % r.choice([4, 6])),
            (2, lambda: "ipcontains('10.0.0.0/8', origin_ip)"),
            (2, lambda: "origin_ip IN (SELECT ip FROM staging WHERE batch = %d)" % r.randint(1, 4)),
            (1, lambda: "origin_ip IN (SELECT origin_ip FROM %s WHERE vendor = %s)"
             % (self.name, q(r.choice(VENDORS)))),
            (1, lambda: "origin_ip LIKE '10.%'"),
            (2, lambda: "origin_ip = %s OR vendor = %s" % (self.ip(), q(r.choice(VENDORS)))),
            (1, lambda: "origin_ip = %s AND origin_ip = %s" % (self.ip(0), self.ip(0))),
            (1, lambda: "0"),
        ]
        if allow_all:
            choices.append((3, lambda: "1"))
        if "collate_binary" in self.f:
            choices.append((2, lambda: "origin_ip = %s COLLATE BINARY" % self.ip(0)))
        return self.weighted(choices)()

    def weighted(self, choices):
        total = sum(w for w, _ in choices)
        x = self.r.uniform(0, total)
        for w, item in choices:
            x -= w
            if x <= 0:
                return item
        return choices[-1][1]

    def conflict(self):
        return self.weighted([(10, ""), (3, " OR REPLACE"), (3, " OR IGNORE"), (2, " OR FAIL"),
                              (1, " OR ABORT"), (1, " OR ROLLBACK")])

    # ---- writes
    def insert_values(self):
        conflict = self.conflict()
        if self.chance(0.01):
            # Every column NULL: refused by both (not under OR IGNORE: there is no value to guard).
            return Stmt("insert", "INSERT%s INTO %s DEFAULT VALUES" % (self.no_ignore(conflict), self.name))
        verb = "REPLACE" if conflict == " OR REPLACE" and self.chance(0.4) else "INSERT" + conflict
        ignore = conflict == " OR IGNORE"
        layout = self.weighted([(10, ("origin_ip", "vendor", "region")),
                                (2, ("vendor", "region", "origin_ip")),
                                (2, None),  # no column list: all four columns
                                (1, ("origin_ip", "vendor"))])  # region left NULL
        nrows = self.weighted([(6, 1), (3, 2), (2, 3), (1, 5)])
        rows = []
        for _ in range(nrows):
            v, reg = self.pair()
            mod = TIMESTAMP if "modified_on" in self.f and self.chance(0.03) else "NULL"
            rows.append({"origin_ip": self.ip(), "vendor": v, "region": reg, "modified_on": mod})
        name = self.name

        def build(rows_):
            cols = layout or ("origin_ip", "vendor", "region", "modified_on")
            head = "%s INTO %s%s VALUES " % (verb, name, "(%s)" % ", ".join(layout) if layout else "")

            def cell(row, col, oracle):
                e = row[col]
                if not oracle:
                    return e
                if ignore and col == cols[0]:
                    return guard(row["origin_ip"], row["vendor"] if "vendor" in cols else "NULL",
                                 row["region"] if "region" in cols else "NULL",
                                 row["modified_on"] if "modified_on" in cols else "NULL",
                                 ipc(e) if col == "origin_ip" else e)
                return ipc(e) if col == "origin_ip" else e
            def values(oracle):
                return ", ".join("(%s)" % ", ".join(cell(row, c, oracle) for c in cols) for row in rows_)
            return head + values(False), head + values(True)
        vt, orc = build(rows)
        return Stmt("insert", vt, orc, rows=rows, build=build)

    def insert_select(self):
        r = self.r
        conflict = self.conflict()
        ignore = conflict == " OR IGNORE"
        head = "INSERT%s INTO %s(origin_ip, vendor, region) " % (conflict, self.name)
        kind = self.weighted([(4, "staging"), (3, "json"), (2, "self")])

        def sel(ip, v, reg, oracle, tail):
            if not oracle:
                return "SELECT %s, %s, %s %s" % (ip, v, reg, tail)
            first = guard(ip, v, reg, "NULL", ipc(ip)) if ignore else ipc(ip)
            return "SELECT %s, %s, %s %s" % (first, v, reg, tail)
        if kind == "staging":
            tail = "FROM staging WHERE batch = %d ORDER BY id" % r.randint(1, 4)
            return Stmt("insert_select", head + sel("ip", "vendor", "region", False, tail),
                        head + sel("ip", "vendor", "region", True, tail))
        if kind == "json":
            rows = []
            for _ in range(r.randint(1, 5)):
                if self.chance(0.08) and "invalid" in self.f:
                    bad = r.choice([["10.0.0.256", "aws", "us-east-1"], ["10.0.0.3", "aws", None],
                                    ["10.0.0.3", "aws", "moon-1"], [None, "gcp", "us-central1"]])
                    rows.append(bad)
                else:
                    v, reg = r.choice(PAIRS)
                    rows.append([json.loads('"%s"' % self.ip(0)[1:-1]), v, reg])

            def build(rows_):
                tail = "FROM json_each(%s)" % q(json.dumps(rows_))
                return (head + sel("value ->> 0", "value ->> 1", "value ->> 2", False, tail),
                        head + sel("value ->> 0", "value ->> 1", "value ->> 2", True, tail))
            vt, orc = build(rows)
            return Stmt("insert_select", vt, orc, rows=rows, build=build)
        # From the table itself: copy a mapping to another address, or rewrite every mapping.
        if self.chance(0.5):
            v, reg = self.pair(0.03)
            tail = "FROM %s WHERE %s" % (self.name, self.where())
            return Stmt("insert_select", head + sel("origin_ip", v, reg, False, tail),
                        head + sel("origin_ip", v, reg, True, tail))
        tail = "FROM %s WHERE origin_ip = %s" % (self.name, self.ip(0))
        ip = self.ip()
        return Stmt("insert_select", head + sel(ip, "vendor", "region", False, tail),
                    head + sel(ip, "vendor", "region", True, tail))

    def update(self):
        r = self.r
        conflict = self.conflict()
        shape = self.weighted([(6, "pair"), (3, "region"), (4, "move"), (1, "swap"),
                               (1, "modified_on"), (1, "noop"), (1, "respell")])
        sets = {}
        where = None
        if shape == "pair":
            sets["vendor"], sets["region"] = self.pair()
        elif shape == "region":
            sets["region"] = self.pair()[1]
        elif shape == "move":
            sets["origin_ip"] = self.ip()
            if self.chance(0.8):
                where = "origin_ip = %s" % self.ip(0)
            else:
                where = self.where()
                conflict = self.no_replace(conflict)
            if self.chance(0.3):
                sets["vendor"], sets["region"] = self.pair(0.03)
        elif shape == "swap":
            conflict = self.no_replace(conflict)
            a, b = self.ip(0), self.ip(0)
            sets["origin_ip"] = "CASE origin_ip WHEN %s THEN %s WHEN %s THEN %s ELSE origin_ip END" % (
                a, b, b, a)
            where = "origin_ip IN (%s, %s)" % (a, b)
        elif shape == "modified_on":
            if "modified_on" not in self.f:
                sets["region"] = "region"
            else:
                sets["modified_on"] = TIMESTAMP
        elif shape == "respell":  # another spelling of the same address: no move
            sets["origin_ip"] = "upper(origin_ip)"
        else:  # a column given back its own value
            col = r.choice(["vendor", "region", "origin_ip"])
            sets[col] = col
        if where is None:
            where = self.where()
        return self._update_stmt("update", conflict, conflict == " OR IGNORE", sets, "", where)

    def no_replace(self, conflict):
        """UPDATE OR REPLACE that moves several rows: SQLite computes a virtual table's new rows
        from the rows as they were before the statement, an ordinary table's from each row as it
        is when its turn comes (after REPLACE may have deleted or refilled it). SQL leaves this
        open (OR REPLACE is SQLite's), so such statements are not generated."""
        if conflict != " OR REPLACE":
            return conflict
        return self.r.choice(["", " OR IGNORE", " OR FAIL", " OR ABORT"])

    def no_ignore(self, conflict):
        if conflict != " OR IGNORE":
            return conflict
        return self.r.choice(["", " OR FAIL", " OR ABORT"])

    def _update_stmt(self, kind, conflict, ignore, sets, from_, where, table=None, ignore_ok=False):
        if ignore_ok:
            ignore = conflict == " OR IGNORE"
        head = "UPDATE%s %s SET " % (conflict, table or self.name)

        def assignments(oracle):
            out = []
            for i, (col, e) in enumerate(sets.items()):
                val = ipc(e) if oracle and col == "origin_ip" else e
                if oracle and ignore and i == 0:
                    val = guard(sets.get("origin_ip", "origin_ip"), sets.get("vendor", "vendor"),
                                sets.get("region", "region"), sets.get("modified_on", "modified_on"),
                                val)
                out.append("%s = %s" % (col, val))
            return ", ".join(out)
        tail = "%s WHERE %s" % (from_, where)
        return Stmt(kind, head + assignments(False) + tail, head + assignments(True) + tail)

    def update_from(self):
        # Not OR FAIL: which rows precede a failing one depends on the join order (left open by SQL).
        conflict = self.weighted([(10, ""), (2, " OR REPLACE"), (2, " OR IGNORE"), (1, " OR ROLLBACK")])
        batch = self.r.choice([1, 2, 3, 4] if "update_from_invalid" in self.f else [1, 2])
        sets = {"vendor": "s.vendor", "region": "s.region"}
        where = "s.batch = %d AND %s.origin_ip = s.ip" % (batch, self.name)
        return self._update_stmt("update_from", conflict, conflict == " OR IGNORE", sets,
                                 " FROM staging AS s", where)

    def delete(self):
        if self.chance(0.08):
            return Stmt("delete", "DELETE FROM %s" % self.name)
        return Stmt("delete", "DELETE FROM %s WHERE %s" % (self.name, self.where()))

    def select(self):
        n = self.name
        r = self.r
        sql = self.weighted([
            (6, lambda: "SELECT origin_ip, vendor, region FROM %s WHERE %s ORDER BY origin_ip"
             % (n, self.where())),
            (3, lambda: "SELECT count(*), min(origin_ip), max(origin_ip) FROM %s" % n),
            (2, lambda: "SELECT vendor, count(*) FROM %s GROUP BY vendor ORDER BY vendor" % n),
            (2, lambda: "SELECT origin_ip FROM %s ORDER BY origin_ip DESC LIMIT %d OFFSET %d"
             % (n, r.randint(1, 3), r.randint(0, 2))),
            (1, lambda: "SELECT a.origin_ip, b.origin_ip FROM %s AS a JOIN %s AS b "
             "ON a.vendor = b.vendor AND a.origin_ip < b.origin_ip ORDER BY 1, 2" % (n, n)),
            (2, lambda: "SELECT s.id, %s.vendor, %s.region FROM staging AS s LEFT JOIN %s "
             "ON %s.origin_ip = s.ip WHERE s.batch = %d ORDER BY s.id" % (n, n, n, n, r.randint(1, 4))),
            (2, lambda: "SELECT origin_ip, vendor FROM %s WHERE origin_ip IN (%s) ORDER BY 1"
             % (n, ", ".join(self.ip() for _ in range(3)))),
        ])()
        return Stmt("select", sql)

    def feed(self):
        """INSERT into the ordinary table feed, whose AFTER INSERT trigger writes each row to the
        table (the trigger's INSERT takes the outer statement's conflict clause; not OR IGNORE,
        whose guard the oracle's trigger cannot know about)."""
        conflict = self.no_ignore(self.conflict())
        rows = []
        for _ in range(self.weighted([(5, 1), (3, 2), (2, 3)])):
            v, reg = self.pair()
            rows.append("(%s, %s, %s)" % (self.ip(), v, reg))

        def build(rows_):
            sql = "INSERT%s INTO feed(ip, vendor, region) VALUES %s" % (conflict, ", ".join(rows_))
            return sql, sql
        vt, orc = build(rows)
        return Stmt("feed", vt, orc, rows=rows, build=build)

    def bulk(self):
        """100-260 mappings in 10.1.0.0/16 in one statement (more than one batch of 100), or a
        statement that changes or deletes them all."""
        r = self.r
        n = r.randint(100, 260)
        v, reg = r.choice(PAIRS)
        what = self.weighted([(4, "insert"), (2, "update"), (2, "delete")])
        if what == "update":
            v, reg = self.pair(0.02)
            return self._update_stmt("update", self.no_replace(self.conflict()), False,
                                     {"vendor": v, "region": reg}, "",
                                     "ipcontains('10.1.0.0/16', origin_ip)", ignore_ok=True)
        if what == "delete":
            return Stmt("delete", "DELETE FROM %s WHERE ipcontains('10.1.0.0/16', origin_ip)%s"
                        % (self.name, r.choice(["", " AND origin_ip > '10.1.0.%d'" % r.randint(0, 200)])))
        conflict = self.weighted([(3, ""), (3, " OR REPLACE"), (2, " OR IGNORE"), (1, " OR FAIL")])
        ip = "'10.1.' || (i / 256) || '.' || (i % 256)"
        start = r.randint(0, 120)

        def text(oracle):
            first = ipc(ip) if oracle else ip
            if oracle and conflict == " OR IGNORE":
                first = guard(ip, q(v), q(reg), "NULL", ipc(ip))
            return ("WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
                    "INSERT%s INTO %s(origin_ip, vendor, region) SELECT %s, %s, %s FROM n"
                    % (start, start + n - 1, conflict, self.name, first, q(v), q(reg)))
        return Stmt("bulk", text(False), text(True))

    def second(self):
        """Writes to a second table u in the same transactions."""
        what = self.weighted([(3, "copy"), (2, "delete"), (2, "update"), (2, "insert")])
        if what == "copy":
            sql = ("INSERT OR REPLACE INTO u(origin_ip, vendor, region) SELECT origin_ip, vendor, region "
                   "FROM %s WHERE %s" % (self.name, self.where()))
            return Stmt("second", sql, sql.replace("SELECT origin_ip,", "SELECT %s," % ipc("origin_ip")))
        if what == "delete":
            return Stmt("second", "DELETE FROM u WHERE %s" % self.where())
        if what == "update":
            v, reg = self.pair()
            stmt = self._update_stmt("second", self.no_ignore(self.conflict()), False,
                                     {"vendor": v, "region": reg}, "", self.where(), table="u")
            return stmt
        v, reg = self.pair()
        head = "INSERT%s INTO u(origin_ip, vendor, region) VALUES " % self.no_ignore(self.conflict())
        ip = self.ip()
        return Stmt("second", head + "(%s, %s, %s)" % (ip, v, reg), head + "(%s, %s, %s)" % (ipc(ip), v, reg))

    def drop(self):
        self.table_exists = False
        return Stmt("drop", "DROP TABLE %s" % self.name)

    def create(self):
        self.table_exists = True
        return Stmt("create", table=self.name)

    # ---- transactions, DDL, reopen
    def savepoint(self):
        self.sp_counter += 1
        name = "sp%d" % self.sp_counter
        if self.in_txn is None:
            self.savepoints_unknown = True
        self.savepoints.append(name)
        self.in_txn = True
        return Stmt("savepoint", "SAVEPOINT %s" % name)

    def end_savepoint(self):
        i = self.r.randrange(len(self.savepoints))
        name = self.savepoints[i]
        if self.chance(0.5):
            del self.savepoints[i:]
            if not self.savepoints and not self.explicit_begin:
                self.in_txn = False
            return Stmt("release", "RELEASE %s" % name)
        del self.savepoints[i + 1:]
        return Stmt("rollback_to", "ROLLBACK TO %s" % name)

    def ddl(self):
        r = self.r
        if self.x_exists and self.chance(0.6):
            self.x_exists = False
            return Stmt("ddl", "DROP TABLE x")
        if not self.x_exists and self.chance(0.7):
            self.x_exists = True
            return Stmt("ddl", "CREATE TABLE x(a)")
        return Stmt("ddl", r.choice(["CREATE INDEX IF NOT EXISTS staging_ip ON staging(ip)",
                                     "DROP INDEX IF EXISTS staging_ip",
                                     "CREATE TABLE IF NOT EXISTS x(a)", "DROP TABLE IF EXISTS x"]))

    def rename(self):
        new = "t2" if self.name == "t" else "t"
        stmt = Stmt("rename", "ALTER TABLE %s RENAME TO %s" % (self.name, new))
        self.name = new
        return stmt

    def statement(self):
        """The next statement. self.in_txn is True, False, or None (unknown: an OR ROLLBACK
        statement ran inside the transaction, and whether it failed is not known here). Statements
        whose meaning depends on it (a SAVEPOINT that would open a transaction, DDL inside one)
        wait until a BEGIN, COMMIT or ROLLBACK settles it, unless the profile has those features;
        a BEGIN or COMMIT that then fails does so alike on both sides."""
        f = self.f
        choices = [(12, self.insert_values), (4, self.insert_select), (9, self.update),
                   (5, self.delete), (3, self.select)]
        if "update_from" in f:
            choices.append((3, self.update_from))
        if "reopen" in f:
            choices.append((1, self.reopen))
        if "ddl" in f and (self.in_txn is False or "ddl_in_txn" in f):
            choices.append((2, self.ddl))
        if "rename" in f and (self.in_txn is False or "rename_in_txn" in f):
            choices.append((1, self.rename))
        # DROP TABLE t inside a savepoint is refused while t has writes pending (README, "Known
        # limits"): the generator leaves it out there.
        if "drop_table" in f and (self.in_txn is False or "create_in_txn" in f):
            if not self.table_exists:
                choices.append((10, self.create))
            elif not self.savepoints and self.in_txn is not None and not self.savepoints_unknown:
                choices.append((1, self.drop))
        if "trigger" in f:
            choices.append((3, self.feed))
        if "bulk" in f:
            choices.append((1, self.bulk))
        if "second_table" in f:
            choices.append((4, self.second))
        if self.in_txn is not True:
            if "txn" in f:
                choices.append((8, self.begin))
            if "savepoint_begin" in f:
                choices.append((3, self.savepoint))
        if self.in_txn is not False:
            choices.append((4, self.select))
            if "txn" in f:
                choices.append((4, self.commit))
                choices.append((3, self.rollback))
        if self.in_txn is True and "savepoint" in f:
            choices.append((5, self.savepoint))
            if self.savepoints:
                choices.append((9, self.end_savepoint))
        stmt = self.weighted(choices)()
        if " OR ROLLBACK " in (stmt.vt or "") and self.in_txn is not False:
            self.in_txn, self.explicit_begin, self.savepoints = None, False, []
        return stmt

    explicit_begin = False
    savepoints_unknown = False  # after OR ROLLBACK: savepoints may still be open

    def begin(self):
        # After an OR ROLLBACK that may not have rolled back, this BEGIN may fail inside the
        # transaction still open: its savepoints are then unknown until it ends (a SAVEPOINT
        # since then told nothing: it opened a transaction or nested in the old one).
        self.savepoints_unknown = self.savepoints_unknown or self.in_txn is None
        self.in_txn, self.explicit_begin, self.savepoints = True, True, []
        return Stmt("begin", self.r.choice(["BEGIN", "BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED",
                                            "BEGIN EXCLUSIVE"]))

    def commit(self):
        self.savepoints_unknown = False
        self.in_txn, self.explicit_begin, self.savepoints = False, False, []
        return Stmt("commit", self.r.choice(["COMMIT", "COMMIT", "END"]))

    def rollback(self):
        self.savepoints_unknown = False
        self.in_txn, self.explicit_begin, self.savepoints = False, False, []
        return Stmt("rollback", "ROLLBACK")

    def reopen(self):
        self.savepoints_unknown = False
        self.in_txn, self.explicit_begin, self.savepoints = False, False, []
        return Stmt("reopen")

    def sequence(self):
        """A few valid mappings first, then 10..40 statements, ending outside any transaction."""
        self.journal = "delete"
        if "journal" in self.f:
            self.journal = self.weighted([(6, "delete"), (3, "wal"), (1, "truncate"), (1, "memory")])
        seed_rows = []
        for ip in self.r.sample(IPS, self.r.randint(2, 6)):
            v, reg = self.r.choice(PAIRS)
            seed_rows.append("(%s, %s, %s)" % (q(ip), q(v), q(reg)))
        out = [Stmt("insert", "INSERT INTO t(origin_ip, vendor, region) VALUES " + ", ".join(seed_rows))]
        for _ in range(self.r.randint(10, 40)):
            out.append(self.statement())
        if self.in_txn is not False:
            out.append(self.commit() if self.chance(0.7) else self.rollback())
        check_every = "sparse_checks" not in self.f or self.chance(0.5)
        for i, s in enumerate(out):
            s.check = (check_every or s.kind in ("commit", "rollback", "release", "reopen")
                       or i == len(out) - 1)
        return out

    def staging(self):
        """The staging table's rows: batches 1-2 valid, batch 3 (and most often 4) with an invalid
        row part-way; IPs distinct within a batch (so that UPDATE … FROM matches each target row
        once), sometimes spelled otherwise."""
        rows = []
        for batch in (1, 2, 3, 4):
            ips = self.r.sample(IPS, self.r.randint(2, 5))
            for k, ip in enumerate(ips):
                spelled = ip
                if self.chance(0.25) and "staging_spellings" in self.f:
                    spelled = self.r.choice(SPELLINGS.get(ip, [ip]))
                v, reg = self.r.choice(PAIRS)
                v, reg = q(v), q(reg)
                if batch >= 3 and k == len(ips) // 2 + (batch == 4):
                    v, reg, _ = self.r.choice([p for p in BAD_PAIRS if p[2] is None or p[2] in self.f])
                rows.append("(%d, %s, %s, %s)" % (batch, q(spelled), v, reg))
        return rows
