#!/usr/bin/env python3
"""Writes of the API store against the fake API: INSERT (plain, OR REPLACE, OR IGNORE), UPDATE of a
mapping or of its origin_ip, and DELETE; the requests each sends and what the zone holds after.

    PYTHON test/test_api_writes.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).

Cases that both API generations share are written once (the mixin) and run by V1Tests and V2Tests.
"""

import sqlite3

from support.cases import FakeTestCase, main


class WriteCases:
    """Each kind of write statement: what it sends, and the zone afterwards."""

    def test_insert_new(self):
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('2001:DB8::0:1', 'aws', 'us-east-1')")
        self.assertState([("2001:db8::1", "aws", "us-east-1")])
        writes = self.writes()
        self.assertEqual([(e["method"], e["path"], e["items"], e["status"]) for e in writes],
                         [(self.upsert_method, "/client/v4" + self.collection + "/batch", 1, 200)])
        got = self.select("SELECT origin_ip, vendor, region, modified_on FROM t")
        self.assertEqual(got[0][:3], ("2001:db8::1", "aws", "us-east-1"))
        self.assertIsNotNone(got[0][3])

    def test_insert_existing_names_ip_and_mapping(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("INSERT INTO t VALUES ('10.0.0.1', 'gcp', 'us-central1', NULL)")
        msg = str(cm.exception)
        for word in ("10.0.0.1", "aws", "us-east-1", "already"):
            self.assertIn(word, msg)
        self.assertNoWrites()
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_insert_duplicate_within_statement(self):
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES "
                            "('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.1', 'gcp', 'us-central1')")
        self.assertIn("10.0.0.1", str(cm.exception))
        self.assertNoWrites()
        self.assertState([])

    def test_insert_or_replace(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("INSERT OR REPLACE INTO t(origin_ip, vendor, region) VALUES "
                        "('10.0.0.1', 'gcp', 'us-central1'), ('10.0.0.2', 'aws', 'us-east-1'), ('10.0.0.3', 'oci', 'us-ashburn-1')")
        self.assertState([("10.0.0.1", "gcp", "us-central1"), ("10.0.0.2", "aws", "us-east-1"),
                          ("10.0.0.3", "oci", "us-ashburn-1")])
        writes = self.writes()
        self.assertEqual([(e["method"], e["items"]) for e in writes], [(self.upsert_method, 2)],
                         "the unchanged row is not sent")
        self.fake.clear_log()
        self.db.execute("REPLACE INTO t(origin_ip, vendor, region) VALUES ('10.0.0.3', 'oci', 'us-ashburn-1')")
        self.assertNoWrites()

    def test_insert_or_ignore(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("INSERT OR IGNORE INTO t(origin_ip, vendor, region) VALUES "
                        "('10.0.0.1', 'gcp', 'us-central1'), ('10.0.0.2', 'gcp', 'us-central1')")
        self.assertState([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "gcp", "us-central1")])
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [(self.upsert_method, 1)])

    def test_update_vendor_region(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1"),
                        ("10.0.0.3", "gcp", "us-central1")])
        self.db.execute("UPDATE t SET vendor = 'azure', region = 'eastus' WHERE origin_ip = '10.0.0.1'")
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [(self.upsert_method, 1)])
        self.fake.clear_log()
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE vendor = 'aws'")
        self.assertState([("10.0.0.1", "azure", "eastus"), ("10.0.0.2", "aws", "us-east-2"),
                          ("10.0.0.3", "gcp", "us-central1")])
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [(self.upsert_method, 1)])
        self.fake.clear_log()
        self.db.execute("UPDATE t SET region = region")
        self.assertNoWrites("an UPDATE that changes nothing sends nothing")

    def test_update_origin_ip_moves(self):
        self.fake.seed([("10.0.0.1", "gcp", "us-central1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("UPDATE t SET origin_ip = '2001:DB8::9' WHERE origin_ip = '10.0.0.1'")
        self.assertState([("2001:db8::9", "gcp", "us-central1"), ("10.0.0.2", "aws", "us-east-1")])
        # The new IP is written before the old one is removed: a move never leaves the zone without it.
        self.assertEqual([(e["method"], e["path"].rsplit("/", 1)[1], e["items"]) for e in self.writes()],
                         [(self.upsert_method, "batch", 1), ("DELETE", "batch", 1)])
        # Moving onto an IP that has a mapping is a constraint error, nothing sent.
        self.fake.clear_log()
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("UPDATE t SET origin_ip = '10.0.0.2' WHERE origin_ip = '2001:db8::9'")
        self.assertIn("10.0.0.2", str(cm.exception))
        self.assertNoWrites()

    def test_delete(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
        self.assertState([("10.0.0.2", "aws", "us-east-1")])
        self.assertEqual([(e["method"], e["path"], e["items"]) for e in self.writes()],
                         [("DELETE", "/client/v4" + self.collection + "/batch", 1)])
        self.fake.clear_log()
        self.db.execute("DELETE FROM t WHERE origin_ip = '10.9.9.9'")
        self.assertNoWrites("deleting an IP without a mapping sends nothing")
        self.db.execute("DELETE FROM t")
        self.assertState([])


class V1Tests(WriteCases, FakeTestCase):
    api = "v1"


class V2Tests(WriteCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
