#!/usr/bin/env python3
"""origin_cloud_regions over the local store, driven from Python's sqlite3 module.

    PYTHON test/test_local_store.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Every test works on its own database file in a fresh temporary directory and loads
the extension with Connection.load_extension, as an application would. The golden SQL tests
(test/sql/local_*.sql) cover each SQL behaviour; this file covers what only a host program sees:
executemany in bulk, several connections to one file, exception classes, bound parameters, and the
bytes of the database file.
"""

import glob
import ipaddress
import os
import shutil
import sqlite3
import tempfile
import unittest

from support.cases import main, so_path

SQLITE_CONSTRAINT = 19
# Long and distinctive, so that a byte search of the database file cannot miss it.
TOKEN = "cfrLocalTok-7d41e0c9b2a85f36-SECRET-93ab0e1f5c7d"

INSERT_SQL = "INSERT INTO plan(origin_ip, vendor, region) VALUES (?, ?, ?)"
CREATE_SQL = "CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local')"

VENDOR_REGIONS = [("aws", "us-east-1"), ("gcp", "us-central1"), ("azure", "eastus"), ("oci", "us-ashburn-1")]


def sample_rows(n):
    """n distinct mappings: IPv4 and IPv6 in turn, every third IPv6 written in a non-canonical form
    (uppercase, leading zeros, no '::'); vendors and regions in turn."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            ip = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        else:
            addr = ipaddress.IPv6Address("2001:db8::%x" % (i + 1))
            ip = addr.exploded.upper() if i % 3 == 0 else str(addr)
        vendor, region = VENDOR_REGIONS[i % len(VENDOR_REGIONS)]
        out.append((ip, vendor, region))
    return out


def canonical(ip):
    """RFC 5952 form, as Python's ipaddress writes it (no IPv4-mapped addresses are used here)."""
    return str(ipaddress.ip_address(ip))


class LocalStoreTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cfregions-local-")
        self.path = os.path.join(self.dir, "plan.db")
        self.connections = []

    def tearDown(self):
        for conn in self.connections:
            conn.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def connect(self, **kwargs):
        """A new connection to the test's file, extension loaded, autocommit unless BEGIN."""
        kwargs.setdefault("isolation_level", None)
        conn = sqlite3.connect(self.path, **kwargs)
        conn.enable_load_extension(True)
        conn.load_extension(so_path())
        conn.enable_load_extension(False)
        self.connections.append(conn)
        return conn

    def mappings(self, conn, table="plan"):
        return conn.execute("SELECT origin_ip, vendor, region FROM %s" % table).fetchall()


class BulkWrites(LocalStoreTestCase):
    def test_executemany_of_thousands_of_rows_in_one_transaction(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        rows = sample_rows(3000)
        db.execute("BEGIN")
        cur = db.executemany(INSERT_SQL, rows)
        self.assertEqual(cur.rowcount, 3000)
        # Buffered until COMMIT: the table shows the rows, the shadow table does not have them yet.
        self.assertEqual(db.execute("SELECT count(*) FROM plan").fetchone()[0], 3000)
        self.assertEqual(db.execute("SELECT count(*) FROM plan_mappings").fetchone()[0], 0)
        db.execute("COMMIT")
        self.assertEqual(db.execute("SELECT count(*) FROM plan_mappings").fetchone()[0], 3000)
        expected = sorted((canonical(ip), v, r) for ip, v, r in rows)
        self.assertEqual(sorted(self.mappings(db)), expected)
        self.assertEqual(db.execute("SELECT count(*) FROM cfregions_unapplied").fetchone()[0], 0)

    def test_executemany_failing_row_keeps_nothing_of_the_statement(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        rows = sample_rows(500)
        rows[300] = ("10.0.0.300", "aws", "us-east-1")
        db.execute("BEGIN")
        db.execute(INSERT_SQL, ("192.0.2.1", "aws", "us-east-1"))
        with self.assertRaises(sqlite3.IntegrityError) as caught:
            db.executemany(INSERT_SQL, rows)
        self.assertIn("10.0.0.300", str(caught.exception))
        # executemany runs one statement per row: the 300 rows before the bad one are kept, as
        # with an ordinary table; the transaction is still open.
        self.assertTrue(db.in_transaction)
        db.execute("COMMIT")
        self.assertEqual(db.execute("SELECT count(*) FROM plan").fetchone()[0], 1 + 300)

    def test_rowcount_of_insert_or_ignore_counts_only_new_rows(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        db.executemany(INSERT_SQL, sample_rows(10))
        cur = db.execute("INSERT OR IGNORE INTO plan(origin_ip, vendor, region) "
                         "SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)",
                         ('[["10.0.0.0","aws","us-east-1"],["192.0.2.1","aws","us-east-1"]]',))
        self.assertEqual(cur.rowcount, 1)

    def test_context_manager_rolls_back_on_exception(self):
        db = self.connect(isolation_level="DEFERRED")
        db.execute(CREATE_SQL)
        db.commit()
        with self.assertRaises(RuntimeError):
            with db:
                db.executemany(INSERT_SQL, sample_rows(50))
                raise RuntimeError("abandon the transaction")
        self.assertEqual(db.execute("SELECT count(*) FROM plan").fetchone()[0], 0)
        with db:
            db.executemany(INSERT_SQL, sample_rows(50))
        self.assertEqual(db.execute("SELECT count(*) FROM plan_mappings").fetchone()[0], 50)


class Connections(LocalStoreTestCase):
    def test_rows_persist_across_connections(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        db.executemany(INSERT_SQL, sample_rows(20))
        db.execute("UPDATE plan SET region = 'us-east-2' WHERE vendor = 'aws'")
        db.execute("DELETE FROM plan WHERE vendor = 'oci'")
        before = self.mappings(db)
        db.close()
        self.connections.remove(db)
        again = self.connect()
        self.assertEqual(self.mappings(again), before)
        self.assertEqual(len(before), 15)
        self.assertTrue(all(r == "us-east-2" for _, v, r in before if v == "aws"))

    def test_second_connection_sees_a_commit_in_its_next_statement(self):
        writer = self.connect()
        writer.execute(CREATE_SQL)
        reader = self.connect()
        self.assertEqual(self.mappings(reader), [])
        writer.execute("BEGIN")
        writer.execute(INSERT_SQL, ("192.0.2.1", "aws", "us-east-1"))
        writer.execute("UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1'")
        # Pending writes live in the writer's transaction only.
        self.assertEqual(self.mappings(reader), [])
        writer.execute("COMMIT")
        self.assertEqual(self.mappings(reader), [("192.0.2.1", "aws", "us-west-2")])
        self.assertEqual(reader.execute("SELECT vendor FROM plan WHERE origin_ip = '192.0.2.1'").fetchall(),
                         [("aws",)])
        writer.execute("DELETE FROM plan")
        self.assertEqual(self.mappings(reader), [])

    def test_a_select_left_unfinished_across_a_write_is_not_reused_afterwards(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        db.executemany(INSERT_SQL, [("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        reading = db.execute("SELECT origin_ip FROM plan")
        self.assertEqual(reading.fetchone(), ("10.0.0.1",))
        db.execute(INSERT_SQL, ("10.0.0.3", "aws", "us-east-1"))
        # The unfinished SELECT keeps the rows it started with, as over an ordinary table ...
        self.assertEqual(reading.fetchall(), [("10.0.0.2",)])
        # ... and once it ends, what it read is not taken for the table as it is now.
        self.assertEqual(db.execute("SELECT count(*) FROM plan").fetchone(), (3,))
        self.assertEqual(db.execute("SELECT count(*) FROM plan_mappings").fetchone(), (3,))
        self.assertEqual(db.execute("SELECT count(*) FROM plan").fetchone(), (3,))

    def test_a_commit_by_another_connection_during_an_unfinished_select_shows_next(self):
        reader = self.connect()
        reader.execute("PRAGMA journal_mode = wal")
        reader.execute(CREATE_SQL)
        reader.executemany(INSERT_SQL, [("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        writer = self.connect()
        reading = reader.execute("SELECT origin_ip FROM plan")
        self.assertEqual(reading.fetchone(), ("10.0.0.1",))
        writer.execute(INSERT_SQL, ("10.0.0.3", "aws", "us-east-1"))
        self.assertEqual(reading.fetchall(), [("10.0.0.2",)])  # WAL: the reader's snapshot
        for _ in range(2):
            self.assertEqual([r[0] for r in self.mappings(reader)], ["10.0.0.1", "10.0.0.2", "10.0.0.3"])

    def test_after_each_commit_the_table_reads_as_its_shadow_table_holds(self):
        # A COMMIT's own writes become the table's snapshot without reading the database again:
        # what the next statement shows must be exactly what was stored, modified_on included.
        db = self.connect()
        db.execute(CREATE_SQL)
        everything = "SELECT origin_ip, vendor, region, modified_on FROM %s ORDER BY origin_ip COLLATE ip"
        writes = [
            ("INSERT INTO plan(origin_ip, vendor, region) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)",
             ("10.0.0.1", "aws", "us-east-1", "10.0.0.2", "gcp", "us-central1", "2001:db8::1", "oci", "us-ashburn-1")),
            ("UPDATE plan SET region = 'us-west-2' WHERE vendor = 'aws'", ()),
            ("UPDATE plan SET region = region", ()),  # written back unchanged: keeps its modified_on
            ("UPDATE plan SET origin_ip = '10.0.0.3' WHERE origin_ip = '10.0.0.2'", ()),
            ("INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.1', 'azure', 'eastus')", ()),
            ("DELETE FROM plan WHERE vendor = 'oci'", ()),
        ]
        for sql, args in writes:
            with self.subTest(sql=sql):
                if sql.startswith("UPDATE plan SET region = region"):
                    db.execute("UPDATE plan_mappings SET modified_on = '2001-02-03T04:05:06Z'")
                db.execute(sql, args)
                self.assertEqual(db.execute(everything % "plan").fetchall(),
                                 db.execute(everything % "plan_mappings").fetchall())
        self.assertEqual(db.execute("SELECT origin_ip, vendor, region FROM plan").fetchall(),
                         [("10.0.0.1", "azure", "eastus"), ("10.0.0.3", "gcp", "us-central1")])

    def test_a_write_straight_to_the_shadow_table_in_a_transaction_shows_and_rolls_back(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        db.execute(INSERT_SQL, ("10.0.0.1", "aws", "us-east-1"))
        self.assertEqual(len(self.mappings(db)), 1)
        db.execute("BEGIN")
        db.execute("INSERT INTO plan_mappings VALUES ('10.0.0.9', 'aws', 'us-east-1', '2001-02-03T04:05:06Z')")
        self.assertEqual(len(self.mappings(db)), 2)
        db.execute("ROLLBACK")
        self.assertEqual(self.mappings(db), [("10.0.0.1", "aws", "us-east-1")])

    def test_a_commit_by_another_connection_after_ours_shows_next(self):
        mine = self.connect()
        mine.execute(CREATE_SQL)
        other = self.connect()
        mine.execute(INSERT_SQL, ("10.0.0.1", "aws", "us-east-1"))
        other.execute(INSERT_SQL, ("10.0.0.2", "aws", "us-east-1"))
        mine.execute("UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '10.0.0.1'")
        other.execute("DELETE FROM plan WHERE origin_ip = '10.0.0.1'")
        self.assertEqual(self.mappings(mine), [("10.0.0.2", "aws", "us-east-1")])

    def test_a_second_writer_waits_for_the_first_transaction(self):
        first = self.connect()
        first.execute(CREATE_SQL)
        second = self.connect(timeout=0)
        first.execute("BEGIN")
        first.execute(INSERT_SQL, ("192.0.2.1", "aws", "us-east-1"))
        # The database's write lock is held from the first write until COMMIT, so the second
        # connection cannot write a mapping the first one's COMMIT would then overwrite.
        with self.assertRaises(sqlite3.OperationalError) as caught:
            second.execute(INSERT_SQL, ("192.0.2.1", "gcp", "us-central1"))
        self.assertIn("locked", str(caught.exception))
        first.execute("COMMIT")
        with self.assertRaises(sqlite3.IntegrityError) as caught:
            second.execute(INSERT_SQL, ("192.0.2.1", "gcp", "us-central1"))
        self.assertIn("already has a mapping (aws, us-east-1)", str(caught.exception))
        self.assertEqual(self.mappings(second), [("192.0.2.1", "aws", "us-east-1")])


class Comparisons(LocalStoreTestCase):
    """origin_ip compares as an ordinary `TEXT COLLATE ip` key does, in every plan the table takes
    over (=, IN, <, <=, >, >=, BETWEEN, with ORDER BY and LIMIT): random queries against both."""

    def test_random_comparisons_match_an_ordinary_table(self):
        import random
        db = self.connect()
        db.execute(CREATE_SQL)
        db.execute("CREATE TABLE o(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor, region) WITHOUT ROWID")
        ips = (["10.0.0.%d" % i for i in range(0, 256, 7)] + ["2001:db8::%x" % i for i in range(0, 300, 11)] +
               ["::ffff:10.0.0.1", "0.0.0.0", "::", "::1", "255.255.255.255", "ffff::"])
        for ip in ips:
            db.execute(INSERT_SQL, (ip, "aws", "us-east-1"))
            db.execute("INSERT INTO o VALUES (ip_canonical(?), 'aws', 'us-east-1')", (ip,))
        bounds = ips + ["10.0.0.5", "10.0.0.0/8", "2001:db8::/32", "zzz", "", "10.0.0.05", "2001:DB8::B", None,
                        5, "::ffff:10.0.0.1/120"]
        rng = random.Random(7)
        for _ in range(600):
            conds, params = [], []
            for _ in range(rng.randint(1, 2)):
                conds.append("origin_ip %s ?" % rng.choice(["<", "<=", ">", ">=", "="]))
                params.append(rng.choice(bounds))
            if rng.random() < 0.2:
                conds[0] += " COLLATE binary"  # another collation: left to SQLite
            q = ("SELECT origin_ip FROM %s WHERE " + " AND ".join(conds) + " ORDER BY origin_ip" +
                 (" DESC" if rng.random() < 0.3 else "") + (" LIMIT 3" if rng.random() < 0.2 else ""))
            self.assertEqual(db.execute(q % "plan", params).fetchall(), db.execute(q % "o", params).fetchall(),
                             (q, params))
        plan = db.execute("EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip BETWEEN '10.0.0.0' AND '10.0.0.9'")
        self.assertIn("origin_ip range", plan.fetchall()[0][3])


class Errors(LocalStoreTestCase):
    def setUp(self):
        super().setUp()
        self.db = self.connect()
        self.db.execute(CREATE_SQL)
        self.db.execute(INSERT_SQL, ("2001:db8::1", "aws", "us-east-1"))

    def assert_constraint(self, sql, params, *fragments):
        with self.assertRaises(sqlite3.IntegrityError) as caught:
            self.db.execute(sql, params)
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        if hasattr(caught.exception, "sqlite_errorcode"):  # Python 3.11+
            self.assertEqual(caught.exception.sqlite_errorcode & 0xff, SQLITE_CONSTRAINT)
        return message

    def test_existing_ip_names_the_ip_and_its_mapping(self):
        self.assert_constraint(INSERT_SQL, ("2001:DB8::0:1", "gcp", "us-central1"),
                               "plan: cannot insert ('2001:DB8::0:1', 'gcp', 'us-central1')",
                               "origin_ip 2001:db8::1 already has a mapping (aws, us-east-1)")

    def test_invalid_ip(self):
        self.assert_constraint(INSERT_SQL, ("192.0.2.1/32", "aws", "us-east-1"),
                               "'192.0.2.1/32'", "not an IPv4 or IPv6 address")

    def test_ip_bound_as_integer_or_bytes(self):
        self.assert_constraint(INSERT_SQL, (3221225985, "aws", "us-east-1"), "(3221225985, ", "not an IPv4")
        self.assert_constraint(INSERT_SQL, (b"\xc0\x00\x02\x01", "aws", "us-east-1"), "(X'C0000201', ", "not an IPv4")

    def test_null(self):
        self.assert_constraint(INSERT_SQL, ("192.0.2.1", None, "us-east-1"), "vendor is NULL")

    def test_unknown_vendor(self):
        self.assert_constraint(INSERT_SQL, ("192.0.2.1", "ibm", "us-south"), "unknown vendor 'ibm'")

    def test_region_not_supported(self):
        self.assert_constraint(INSERT_SQL, ("192.0.2.1", "aws", "us-central1"),
                               "region 'us-central1' is not supported for vendor 'aws'")

    def test_modified_on(self):
        self.assert_constraint("UPDATE plan SET modified_on = ?", ("2020-01-01T00:00:00Z",),
                               "modified_on is set by the store")

    def test_zone_limit(self):
        rows = [r for r in sample_rows(3501) if canonical(r[0]) != "2001:db8::1"][:3499]
        self.db.execute("BEGIN")
        self.db.executemany(INSERT_SQL, rows)
        self.db.execute("COMMIT")
        self.assertEqual(self.db.execute("SELECT count(*) FROM plan").fetchone()[0], 3500)
        self.assert_constraint(INSERT_SQL, ("192.0.2.1", "aws", "us-east-1"),
                               "already holds 3500 mappings", "error 1164")

    def test_readonly(self):
        self.db.execute("CREATE VIRTUAL TABLE frozen USING origin_cloud_regions(store='local', readonly=1)")
        self.assert_constraint("INSERT INTO frozen(origin_ip, vendor, region) VALUES (?, ?, ?)",
                               ("192.0.2.1", "aws", "us-east-1"), "frozen: table is read-only (readonly=1)")

    def test_bad_argument_is_an_operational_error(self):
        with self.assertRaises(sqlite3.OperationalError) as caught:
            self.db.execute("CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', colour='blue')")
        self.assertIn("unknown argument 'colour'", str(caught.exception))


class Secrets(LocalStoreTestCase):
    def database_bytes(self):
        data = b""
        for name in sorted(glob.glob(self.path + "*")):  # the file, and any -journal/-wal left
            with open(name, "rb") as f:
                data += f.read()
        return data

    def test_set_token_with_a_bound_parameter_never_reaches_the_file(self):
        db = self.connect()
        db.execute(CREATE_SQL)
        self.assertEqual(db.execute("SELECT cfregions_set_token(?)", (TOKEN,)).fetchone()[0], 1)
        db.execute("BEGIN")
        db.executemany(INSERT_SQL, sample_rows(200))
        db.execute("CREATE TABLE notes(x)")
        db.execute("INSERT INTO notes VALUES ('after the token was set')")
        db.execute("COMMIT")
        # The result says whether a token is set, never the token.
        self.assertEqual(db.execute("SELECT cfregions_set_token(?)", (TOKEN,)).fetchall(), [(1,)])
        self.assertEqual(db.execute("SELECT cfregions_set_token(NULL)").fetchone()[0], 0)
        db.close()
        self.connections.remove(db)
        data = self.database_bytes()
        self.assertIn(b"after the token was set", data)  # the search does see the file's text
        self.assertNotIn(TOKEN.encode(), data)
        self.assertNotIn(TOKEN[-12:].encode(), data)

    def test_set_token_cannot_be_stored_in_a_view_or_trigger(self):
        db = self.connect()
        db.execute("CREATE VIEW sneaky AS SELECT cfregions_set_token('x') AS ok")
        with self.assertRaises(sqlite3.OperationalError) as caught:
            db.execute("SELECT * FROM sneaky").fetchall()
        self.assertIn("unsafe use of cfregions_set_token", str(caught.exception))

    def test_credential_argument_is_refused_and_not_stored(self):
        db = self.connect()
        with self.assertRaises(sqlite3.OperationalError) as caught:
            db.execute("CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local', token='%s')" % TOKEN)
        self.assertIn("argument 'token' refused", str(caught.exception))
        self.assertNotIn(TOKEN, str(caught.exception))
        db.close()
        self.connections.remove(db)
        self.assertNotIn(TOKEN.encode(), self.database_bytes())


if __name__ == "__main__":
    main()
