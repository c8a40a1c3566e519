#!/usr/bin/env python3
"""A local origin_cloud_regions table behaves like an ordinary table where SQL says what happens.

    PYTHON test/test_local_semantics.py build/cfregions.so [unittest options]

Each test runs the same statements against a local table and against an ordinary WITHOUT ROWID
table that enforces the same rules with CHECK constraints (the oracle of test_differential.py),
each in its own database file, and asserts the outcome written in the test on both: the oracle's
side shows that the expectation is SQL's, the local table's side is the behaviour under test. The
cases are reductions of divergences that test_differential.py finds; SQL-level ones that need no
error class are golden tests in test/sql/local_semantics_*.sql. One class covers an API table
(against the fake Cloudflare API), for a divergence only its query plans reach.
"""

import os
import shutil
import sqlite3
import tempfile
import unittest

from support import cases, differential_targets

HERE = os.path.dirname(os.path.abspath(__file__))

SQLITE_CONSTRAINT = 19
SQLITE_ERROR = 1


class Side:
    """One database with the table t: the local table, or the ordinary table."""

    def __init__(self, path, create_sql):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.enable_load_extension(True)
        self.conn.load_extension(cases.so_path())
        self.conn.enable_load_extension(False)
        self.conn.execute(create_sql)

    def run(self, sql):
        """(None, rows) or (primary error code, message)."""
        try:
            return None, self.conn.execute(sql).fetchall()
        except sqlite3.Error as e:
            return e.sqlite_errorcode & 0xff, str(e)

    def rows(self, table="t"):
        return self.conn.execute("SELECT origin_ip, vendor, region FROM %s ORDER BY origin_ip" % table).fetchall()


class SemanticsTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cfregions-semantics-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.local = Side(os.path.join(self.dir, "local.db"),
                          "CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local')")
        pairs = self.local.conn.execute("SELECT vendor, region FROM supported_regions").fetchall()
        oracle = differential_targets.OracleTarget(self.dir, pairs, "delete")
        self.ordinary = Side(os.path.join(self.dir, "ordinary.db"), oracle.create_sql("t"))
        self.sides = (("ordinary table", self.ordinary), ("local table", self.local))
        self.addCleanup(self.local.conn.close)
        self.addCleanup(self.ordinary.conn.close)

    def both(self, *statements):
        """Runs the statements on both sides; returns the outcome of each, per side."""
        return {label: [side.run(sql) for sql in statements] for label, side in self.sides}

    def assertBoth(self, check):
        """check(label, side) asserts on one side; the ordinary table is checked first."""
        for label, side in self.sides:
            with self.subTest(table=label):
                check(label, side)


class NulBytes(SemanticsTestCase):
    """Text with a NUL byte is not the text before the NUL: a vendor 'aws\\0junk' is no vendor."""

    def check_refused(self, statement, rows_after, code=SQLITE_CONSTRAINT):
        outcomes = self.both(statement)

        def check(label, side):
            error, message = outcomes[label][0]
            self.assertEqual(error, code, "%s accepted %s" % (label, statement))
            self.assertEqual(side.rows(), rows_after)
        self.assertBoth(check)

    def test_insert_of_a_vendor_with_a_nul_byte_is_refused(self):
        self.check_refused("INSERT INTO t(origin_ip, vendor, region) "
                           "VALUES ('10.0.0.1', 'aws' || char(0) || 'junk', 'us-east-1')", [])

    def test_insert_of_a_region_with_a_nul_byte_is_refused(self):
        self.check_refused("INSERT INTO t(origin_ip, vendor, region) "
                           "VALUES ('10.0.0.1', 'aws', 'us-east-1' || char(0) || 'x')", [])

    def test_insert_of_an_ip_with_a_nul_byte_is_refused(self):
        self.check_refused("INSERT INTO t(origin_ip, vendor, region) "
                           "VALUES ('10.0.0.1' || char(0) || 'x', 'aws', 'us-east-1')", [])

    def test_update_to_a_region_with_a_nul_byte_is_refused(self):
        self.both("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.check_refused("UPDATE t SET region = 'us-west-2' || char(0) || 'x'",
                           [("10.0.0.1", "aws", "us-east-1")])

    def test_insert_or_replace_with_a_nul_byte_is_refused(self):
        self.both("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.check_refused("INSERT OR REPLACE INTO t(origin_ip, vendor, region) "
                           "VALUES ('10.0.0.1', 'gcp' || char(0), 'us-central1')",
                           [("10.0.0.1", "aws", "us-east-1")])

    def test_insert_or_ignore_of_a_vendor_with_a_nul_byte_is_an_error(self):
        # An ordinary table would skip the row silently under OR IGNORE; the local table reports an
        # invalid row under OR IGNORE as a plain error instead (never silently drops it). Either
        # way, nothing is written: checked on the local table only.
        error, message = self.local.run("INSERT OR IGNORE INTO t(origin_ip, vendor, region) "
                                        "VALUES ('10.0.0.2', 'gcp' || char(0), 'us-central1')")
        self.assertEqual(error, SQLITE_ERROR, "the row was accepted")
        self.assertEqual(self.local.rows(), [])


class UpdateFromFailingPartWay(SemanticsTestCase):
    """UPDATE … FROM is one statement: when its third row is invalid, the statement changes no row,
    inside a transaction as in autocommit, and the transaction goes on."""

    def setUp(self):
        super().setUp()
        for _, side in self.sides:
            side.run("INSERT INTO t(origin_ip, vendor, region) VALUES "
                     "('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.2', 'aws', 'us-east-1'), "
                     "('10.0.0.3', 'aws', 'us-east-1'), ('10.0.0.4', 'aws', 'us-east-1')")
            side.run("CREATE TABLE s(ip TEXT, vendor TEXT, region TEXT)")
            side.run("INSERT INTO s VALUES ('10.0.0.1', 'gcp', 'us-central1'), ('10.0.0.2', 'gcp', 'us-central1'), "
                     "('10.0.0.3', 'aws', 'moon-1'), ('10.0.0.4', 'gcp', 'us-central1')")

    UPDATE = "UPDATE t SET vendor = s.vendor, region = s.region FROM s WHERE t.origin_ip = s.ip"
    BEFORE = [("10.0.0.%d" % i, "aws", "us-east-1") for i in range(1, 5)]

    def check(self, outcomes, update_at):
        def check(label, side):
            self.assertEqual(outcomes[label][update_at][0], SQLITE_CONSTRAINT)
            self.assertEqual(side.rows(), self.BEFORE)
        self.assertBoth(check)

    def test_in_autocommit(self):
        self.check(self.both(self.UPDATE), 0)

    def test_inside_begin(self):
        outcomes = self.both("BEGIN", self.UPDATE)
        self.check(outcomes, 1)
        # The transaction is still open; what the statement did is not committed either.
        self.both("COMMIT")
        self.check(outcomes, 1)

    def test_inside_begin_after_an_earlier_write(self):
        outcomes = self.both("BEGIN", "DELETE FROM t WHERE origin_ip = '10.0.0.4'", self.UPDATE)

        def check(label, side):
            self.assertEqual(outcomes[label][2][0], SQLITE_CONSTRAINT)
            self.assertEqual(side.rows(), self.BEFORE[:3])
            side.run("COMMIT")
            self.assertEqual(side.rows(), self.BEFORE[:3])
        self.assertBoth(check)

    def test_inside_a_savepoint(self):
        outcomes = self.both("BEGIN", "SAVEPOINT a", self.UPDATE, "RELEASE a", "COMMIT")
        self.check(outcomes, 2)


class ApiTableJoinOnOtherSpellings(unittest.TestCase):
    """An API table joined with a staging table whose IPs are written in other spellings
    ('2001:DB8:0::1' for 2001:db8::1): every row must match, as it does with an ordinary table.

    The API table's costs make SQLite list the zone and look the staging rows up in an automatic
    index. SQLite 3.40's Bloom filter in front of such an index hashes text by its length (newer
    SQLite hashes all text alike), so under the ip collation, where equal addresses may be spelled
    with different lengths, it skips matches silently. An ordinary table's primary key avoids that
    plan. Kept with the local-table cases: same kind of test, one fake API for the class."""

    ROWS = [("10.0.0.1", "aws", "us-east-1"), ("2001:db8::1", "aws", "us-east-1"),
            ("fe80::1", "aws", "us-east-1")]
    BULK = [("10.1.%d.%d" % (i // 256, i % 256), "aws", "us-east-1") for i in range(150)]
    STAGING = ("INSERT INTO s VALUES ('10.0.0.1', 'gcp', 'us-central1'), "
               "('2001:DB8:0::1', 'gcp', 'us-central1'), ('FE80::1', 'gcp', 'us-central1'), "
               "('::1', 'gcp', 'us-central1')")

    @classmethod
    def setUpClass(cls):
        cls.fake = differential_targets.ApiTarget.ensure_fake()
        cls.zone = differential_targets.ApiTarget.module.ZONE
        cls.addClassCleanup(differential_targets.ApiTarget.stop_fake)

    def setUp(self):
        self.fake.reset()
        self.dir = tempfile.mkdtemp(prefix="cfregions-semantics-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def sides(self, api, rows):
        """The API table (zone seeded with rows) and an ordinary table holding the same rows."""
        self.fake.seed(rows)
        api_side = Side(os.path.join(self.dir, "api-%s.db" % api), "CREATE VIRTUAL TABLE t USING "
                        "origin_cloud_regions(zone_id='%s', api='%s')" % (self.zone, api))
        ordinary = Side(os.path.join(self.dir, "ordinary-%s.db" % api),
                        "CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL, "
                        "region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID")
        ordinary.conn.executemany("INSERT INTO t(origin_ip, vendor, region) VALUES (?, ?, ?)", rows)
        for side in (api_side, ordinary):
            self.addCleanup(side.conn.close)
            side.run("CREATE TABLE s(ip TEXT, vendor TEXT, region TEXT)")
            side.run(self.STAGING)
        return (("ordinary table", ordinary), ("API table", api_side))

    def test_join(self):
        expected = [("10.0.0.1", "10.0.0.1"), ("2001:DB8:0::1", "2001:db8::1"), ("FE80::1", "fe80::1")]
        for api in ("v1", "v2"):
            for label, side in self.sides(api, self.ROWS):
                with self.subTest(api=api, table=label):
                    self.assertEqual(side.run("SELECT s.ip, t.origin_ip FROM s JOIN t ON t.origin_ip = s.ip "
                                              "ORDER BY 2")[1], expected)

    def test_update_from(self):
        moved = [(ip, "gcp", "us-central1") for ip, _, _ in self.ROWS]
        for api in ("v1", "v2"):
            for label, side in self.sides(api, self.ROWS + self.BULK):
                with self.subTest(api=api, table=label):
                    error, _ = side.run("UPDATE t SET vendor = s.vendor, region = s.region FROM s "
                                        "WHERE t.origin_ip = s.ip")
                    self.assertIsNone(error)
                    self.assertEqual([r for r in side.rows() if not r[0].startswith("10.1.")], moved)
            with self.subTest(api=api, table="the zone"):
                state = self.fake.state(self.zone)
                self.assertEqual([r for r in state if not r[0].startswith("10.1.")], moved)


def main():
    cases.main()


if __name__ == "__main__":
    main()
