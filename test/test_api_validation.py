#!/usr/bin/env python3
"""Statements the API store refuses before it sends anything (SQLITE_CONSTRAINT): invalid IPs,
NULLs, a vendor or region the zone does not support, modified_on, writes to a read-only table. One
refused row fails its whole statement.

    PYTHON test/test_api_validation.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).

Cases that both API generations share are written once (the mixin) and run by V1Tests and V2Tests.
"""

import sqlite3

from support.cases import FakeTestCase, main
from support.fake import BUILTIN_ONLY_REGION, ZONE_ONLY_REGION
from support.mappings import rows


class ValidationCases:
    """Invalid statements: an error that names the row, no write request, the zone unchanged
    (FakeTestCase.assertRefused)."""

    def test_validation_errors(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        ins = "INSERT INTO t(origin_ip, vendor, region) VALUES (?, ?, ?)"
        cases = [
            (ins, ("10.0.0.256", "aws", "us-east-1"), ("10.0.0.256", "origin_ip")),
            (ins, ("010.0.0.2", "aws", "us-east-1"), ("010.0.0.2",)),
            (ins, ("10.0.0.0/24", "aws", "us-east-1"), ("10.0.0.0/24",)),
            (ins, ("fe80::1%eth0", "aws", "us-east-1"), ("fe80::1%eth0",)),
            (ins, (" 10.0.0.2", "aws", "us-east-1"), ("origin_ip",)),
            (ins, (None, "aws", "us-east-1"), ("origin_ip", "NULL")),
            (ins, ("10.0.0.2", None, "us-east-1"), ("vendor", "NULL")),
            (ins, ("10.0.0.2", "aws", None), ("region", "NULL")),
            (ins, ("10.0.0.2", "ibm", "us-south"), ("10.0.0.2", "ibm")),
            (ins, ("10.0.0.2", "aws", "us-central1"), ("10.0.0.2", "us-central1")),
            (ins, ("10.0.0.2",) + BUILTIN_ONLY_REGION, ("10.0.0.2", BUILTIN_ONLY_REGION[1])),
            ("INSERT INTO t VALUES ('10.0.0.2', 'aws', 'us-east-1', '2026-01-01T00:00:00Z')", (), ("modified_on",)),
            ("UPDATE t SET modified_on = '2026-01-01T00:00:00Z'", (), ("modified_on",)),
            ("UPDATE t SET vendor = 'gcp'", (), ("10.0.0.1", "gcp", "us-east-1")),
            ("UPDATE t SET origin_ip = 'nope'", (), ("nope",)),
            ("UPDATE t SET region = NULL", (), ("region",)),
        ]
        for sql, params, words in cases:
            with self.subTest(sql=sql, params=params):
                self.assertRefused(sql, params, words)
        # A region only the zone supports is accepted: API tables validate against the zone's list.
        self.db.execute(ins, ("10.0.0.2",) + ZONE_ONLY_REGION)
        self.assertIn(("10.0.0.2",) + ZONE_ONLY_REGION, self.fake.state())

    def test_or_ignore_does_not_hide_invalid_rows(self):
        # OR IGNORE skips rows whose IP already has a mapping, never rows that are invalid. (SQLite
        # drops SQLITE_CONSTRAINT silently under OR IGNORE, so this error is a plain SQLITE_ERROR.)
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        for values in (("10.0.0.999", "aws", "us-east-1"), ("10.0.0.2", "aws", None), ("10.0.0.2", "ibm", "x")):
            with self.subTest(values=values):
                self.assertRefused("INSERT OR IGNORE INTO t(origin_ip, vendor, region) VALUES "
                                   "('10.0.0.1', 'gcp', 'us-central1'), (?, ?, ?)", values,
                                   words=(values[0],), error=sqlite3.Error)

    def test_bad_row_in_multi_row_statement_sends_nothing(self):
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.bulk(rows(150) + [("10.0.0.300", "aws", "us-east-1")])
        self.assertIn("10.0.0.300", str(cm.exception))
        self.assertNoWrites()
        self.assertState([])

    def test_failed_statement_inside_transaction_is_undone(self):
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        with self.assertRaises(sqlite3.IntegrityError):
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES "
                            "('10.0.0.2', 'aws', 'us-east-1'), ('10.0.0.3', 'aws', 'nowhere')")
        self.db.execute("COMMIT")
        self.assertState([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [(self.upsert_method, 1)])

    def test_readonly_table(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.create(self.db, "ro", readonly="1")
        self.fake.clear_log()
        for sql in ("INSERT INTO ro(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')",
                    "UPDATE ro SET region = 'us-east-2'",
                    "DELETE FROM ro",
                    "INSERT OR REPLACE INTO ro(origin_ip, vendor, region) VALUES ('10.0.0.1', 'gcp', 'us-central1')"):
            with self.subTest(sql=sql):
                self.assertRefused(sql, words=("read-only",))
        self.assertRefused("INSERT OR IGNORE INTO ro(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')",
                           words=("read-only",), error=sqlite3.Error)
        self.assertEqual(self.select("SELECT origin_ip FROM ro"), [("10.0.0.1",)])


class V1Tests(ValidationCases, FakeTestCase):
    api = "v1"


class V2Tests(ValidationCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
