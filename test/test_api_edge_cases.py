#!/usr/bin/env python3
"""origin_cloud_regions edge cases that only a host program can produce, against the fake API.

    PYTHON test/test_api_edge_cases.py build/cfregions.so [unittest options]

Reuses test_api_store.py's fake and helpers (one fake per class, a fresh zone and table `t` per
test). Covers statements that interleave on one connection: a SELECT left unfinished (as Python's
sqlite3 does with a cursor not read to the end) while other statements write, commit or roll back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import testlib
import test_api_store as base
from test_api_store import FakeTestCase, rows, sort_rows


class OpenCursorCases:
    """A cursor's rows are one snapshot: writes by later statements never make it return a row
    with empty columns, and it never returns a row that a ROLLBACK took back."""

    def assertRowsComplete(self, got):
        for ip, vendor, region in got:
            self.assertTrue(vendor and region, "row with empty columns: %r" % ((ip, vendor, region),))

    def test_unfinished_select_keeps_its_snapshot_across_an_autocommit_delete(self):
        seeded = sort_rows(rows(6))
        self.fake.seed(seeded)
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        victim = seeded[3][0]
        self.db.execute("DELETE FROM t WHERE origin_ip = ?", (victim,))
        rest = cur.fetchall()
        self.assertRowsComplete(rest)
        self.assertEqual([first] + rest, seeded)
        self.assertState([r for r in seeded if r[0] != victim])
        self.assertEqual(self.select(), [r for r in seeded if r[0] != victim])

    def test_unfinished_select_keeps_its_snapshot_across_an_autocommit_update(self):
        seeded = sort_rows(rows(4))
        self.fake.seed(seeded)
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        self.db.execute("UPDATE t SET region = 'us-west-2' WHERE origin_ip = ?", (seeded[2][0],))
        self.assertEqual([first] + cur.fetchall(), seeded)
        self.assertEqual(self.select("SELECT region FROM t WHERE origin_ip = ?", (seeded[2][0],)), [("us-west-2",)])

    def test_cursor_in_a_transaction_skips_a_row_a_later_statement_deleted(self):
        seeded = sort_rows(rows(6))
        self.fake.seed(seeded)
        self.db.execute("BEGIN")
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = ?", (seeded[0][0],))
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        self.db.execute("DELETE FROM t WHERE origin_ip = ?", (seeded[3][0],))
        rest = cur.fetchall()
        self.assertRowsComplete(rest)
        self.assertNotIn(seeded[3][0], [r[0] for r in rest])
        self.db.execute("COMMIT")
        self.assertEqual(first, (seeded[0][0], "aws", "us-east-2"))

    def test_cursor_does_not_return_rows_a_rollback_took_back(self):
        seeded = sort_rows(rows(4))
        self.fake.seed(seeded)
        added = "2001:db8::ff"  # sorts after every seeded address
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES (?, 'gcp', 'us-central1')", (added,))
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        self.db.execute("ROLLBACK")
        rest = cur.fetchall()
        self.assertRowsComplete(rest)
        self.assertEqual([first] + rest, seeded)
        self.assertNoWrites()


class V1OpenCursorTests(OpenCursorCases, FakeTestCase):
    api = "v1"


class V2OpenCursorTests(OpenCursorCases, FakeTestCase):
    api = "v2"


def main():
    # The helpers load the extension from test_api_store's SO_PATH.
    testlib.run_unittests(vars(base), base.SO_PATH)


if __name__ == "__main__":
    main()
