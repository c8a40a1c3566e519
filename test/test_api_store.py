#!/usr/bin/env python3
"""origin_cloud_regions over the API store, end to end against the fake Cloudflare API.

    PYTHON test/test_api_store.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each test class starts its own fake (test/fake_cloudflare.py, loopback only) and stops
it by PID; every test starts from an empty fake (POST /__fake/reset) and checks the fake's state and
its request log (test/support/: how tests drive the fake). Cases whose behaviour both API
generations share run for v1 and for v2 (SharedCases); security and supported_regions run once
(MiscTests).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time

from support.cases import FakeTestCase, main, so_path
from support.fake import (API_KEY, BUILTIN_ONLY_REGION, EMAIL, OTHER_ZONE, SECRETS, TOKEN, TOKEN2, ZONE,
                          ZONE_ONLY_REGION, Recorder)
from support.mappings import BULK_SQL, DELETE_SQL, as_json, ip_of, rows, sort_rows


class SharedCases:
    """Behaviour both generations share; mixed into V1Tests and V2Tests."""

    # ---- reads

    def test_select_all(self):
        seeded = rows(6) + [("192.0.2.1", "gcp", "us-central1")]
        self.fake.seed(seeded)
        got = self.select("SELECT origin_ip, vendor, region, modified_on FROM t")
        self.assertEqual([r[:3] for r in got], sort_rows(seeded))
        self.assertTrue(all(r[3] and r[3].endswith("Z") for r in got), got)
        log = self.fake.log()
        self.assertEqual(len(log), 1, log)
        self.assertEqual((log[0]["method"], log[0]["path"]), ("GET", "/client/v4" + self.collection))
        if self.api == "v2":
            self.assertIn("per_page=100", log[0]["query"])

    def test_select_empty_zone(self):
        self.assertEqual(self.select(), [])
        self.assertEqual(len(self.fake.log()), 1)

    def test_point_lookup_canonicalizes(self):
        self.fake.seed([("2001:db8::1", "aws", "us-east-1"), ("192.0.2.1", "gcp", "us-central1")])
        got = self.select("SELECT origin_ip, vendor, region FROM t WHERE origin_ip = ?", ("2001:DB8:0:0::0001",))
        self.assertEqual(got, [("2001:db8::1", "aws", "us-east-1")])
        log = self.fake.log()
        self.assertEqual([(e["method"], e["path"]) for e in log],
                         [("GET", "/client/v4" + self.collection + "/2001:db8::1")])

    def test_point_lookup_missing_ip(self):
        self.fake.seed([("192.0.2.1", "gcp", "us-central1")])
        self.assertEqual(self.select("SELECT * FROM t WHERE origin_ip = '192.0.2.2'"), [])
        log = self.fake.log()
        self.assertEqual([(e["method"], e["status"]) for e in log], [("GET", 404)])

    def test_invalid_ip_matches_nothing_and_sends_nothing(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        for bad in ("010.0.0.1", "10.0.0.1/32", " 10.0.0.1", "fe80::1%eth0", "not an ip", "", 167772161, None):
            with self.subTest(value=bad):
                self.assertEqual(self.select("SELECT * FROM t WHERE origin_ip = ?", (bad,)), [])
        self.assertEqual(self.fake.log(), [])

    def test_in_list(self):
        self.fake.seed(rows(10))
        wanted = [ip_of(1).upper(), ip_of(2), ip_of(3), "10.255.255.255", "bogus"]
        got = self.select("SELECT origin_ip FROM t WHERE origin_ip IN (?, ?, ?, ?, ?) ORDER BY 1", wanted)
        self.assertEqual(sorted(r[0] for r in got), sorted([ip_of(1), ip_of(2), ip_of(3)]))
        log = self.fake.log()
        self.assertNoWrites()
        if self.api == "v1":
            # One listing is cheaper than four GETs when the listing is one request.
            self.assertEqual([(e["method"], e["path"]) for e in log], [("GET", "/client/v4" + self.collection)])
        else:
            self.assertEqual(sorted(e["path"].rsplit("/", 1)[1] for e in log),
                             sorted([ip_of(1), ip_of(2), ip_of(3), "10.255.255.255"]))

    def test_in_list_lookups_overlap(self):
        if self.api == "v1":
            self.skipTest("v1 answers an IN list with its one-GET listing")
        self.fake.seed(rows(10))
        self.fake.faults(latency_ms=300)
        wanted = [ip_of(i) for i in range(1, 6)]
        started = time.monotonic()
        got = self.select("SELECT origin_ip FROM t WHERE origin_ip IN (?, ?, ?, ?, ?)", wanted)
        elapsed = time.monotonic() - started
        self.assertEqual(sorted(r[0] for r in got), sorted(wanted))
        self.assertEqual(len(self.fake.log()), 5)
        # Five GETs of 300 ms each, sent together: far less than the 1.5 s they take one by one.
        self.assertLess(elapsed, 1.2, "the lookups did not overlap")

    def test_one_snapshot_per_statement(self):
        self.fake.seed(rows(5))
        got = self.select("SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM t WHERE vendor = 'aws'), "
                          "(SELECT group_concat(origin_ip) FROM t)")
        self.assertEqual(got[0][:2], (5, 5))
        self.assertEqual(len(self.fake.log()), 1, "one listing for the whole statement")
        # The next statement takes a new snapshot.
        self.fake.seed(rows(7))
        self.assertEqual(self.select("SELECT count(*) FROM t"), [(7,)])
        self.assertEqual(len(self.fake.log()), 2)

    def test_statement_snapshot_is_stable_while_the_remote_changes(self):
        """A server-side change made while a statement runs is not seen by that statement."""
        self.fake.seed(rows(3))
        fake = self.fake

        def poke(ip):
            fake.seed(rows(3) + [("192.0.2.99", "aws", "us-east-1")])
            return ip
        self.db.create_function("poke", 1, poke)
        got = self.select("SELECT count(*) FROM t a CROSS JOIN t b WHERE poke(a.origin_ip) IS NOT NULL")
        self.assertEqual(got, [(9,)], "every scan of the statement sees the same 3 rows")
        self.assertEqual(len(self.fake.log()), 1, "one listing for the whole statement")
        self.assertEqual(self.select("SELECT count(*) FROM t"), [(4,)])

    def test_limit_offset_and_order(self):
        seeded = rows(10) + [("192.0.2.%d" % i, "gcp", "us-central1") for i in range(5)]
        self.fake.seed(seeded)
        everything = [r[0] for r in self.select("SELECT origin_ip FROM t")]
        self.assertEqual(everything, [r[0] for r in sort_rows(seeded)])
        self.assertEqual([r[0] for r in self.select("SELECT origin_ip FROM t LIMIT 3 OFFSET 2")], everything[2:5])
        self.assertEqual(self.select("SELECT origin_ip FROM t WHERE vendor = 'gcp' LIMIT 2"),
                         [("192.0.2.0",), ("192.0.2.1",)])
        # With an ORDER BY the LIMIT applies after SQLite's sort (text order here, not address order).
        self.assertEqual(self.select("SELECT origin_ip FROM t ORDER BY region DESC, origin_ip DESC LIMIT 1"),
                         [("2001:db8::5",)])
        self.assertEqual(self.select("SELECT origin_ip FROM t ORDER BY origin_ip LIMIT 2 OFFSET 1"),
                         [(x,) for x in sorted(everything)[1:3]])
        self.assertEqual(self.select("SELECT origin_ip FROM t WHERE origin_ip IN ('10.0.0.2', '10.0.0.1', '10.0.0.0') "
                                     "ORDER BY origin_ip DESC LIMIT 1"), [("10.0.0.2",)])
        self.assertEqual(self.select("SELECT count(*) FROM (SELECT * FROM t LIMIT 100 OFFSET 12)"), [(3,)])

    def test_request_headers_bodies_and_keep_alive(self):
        rec = Recorder(self.fake.port)
        self.addCleanup(rec.stop)
        self.create(self.db, "p", base_url=rec.url)
        version = self.db.execute("SELECT cfregions_version()").fetchone()[0]
        self.db.execute("INSERT INTO p(origin_ip, vendor, region) VALUES "
                        "('10.0.0.1', 'aws', 'us-east-1'), ('2001:DB8::1', 'gcp', 'us-central1'), ('10.0.0.3', 'oci', 'us-ashburn-1')")
        self.db.execute("DELETE FROM p WHERE origin_ip IN ('10.0.0.1', '2001:db8::1')")
        self.assertState([("10.0.0.3", "oci", "us-ashburn-1")])
        ip_field = "ip" if self.api == "v1" else "origin_ip"
        for r in rec.records:
            h = r["headers"]
            self.assertEqual(h.get("accept"), "application/json")
            self.assertEqual(h.get("user-agent"), "cfregions/" + version)
            self.assertEqual(h.get("authorization"), "Bearer " + TOKEN)
            self.assertNotIn("x-auth-key", h)
            if r["method"] != "GET":
                self.assertEqual(h.get("content-type"), "application/json")
        upserts = [r for r in rec.records if r["method"] == self.upsert_method]
        deletes = [r for r in rec.records if r["method"] == "DELETE"]
        self.assertEqual(len(upserts), 1)
        self.assertEqual(sorted(json.loads(upserts[0]["body"]), key=lambda d: d[ip_field]),
                         [{ip_field: "10.0.0.1", "vendor": "aws", "region": "us-east-1"},
                          {ip_field: "10.0.0.3", "vendor": "oci", "region": "us-ashburn-1"},
                          {ip_field: "2001:db8::1", "vendor": "gcp", "region": "us-central1"}])
        self.assertEqual(len(deletes), 1)
        self.assertEqual(deletes[0]["path"], "/client/v4" + self.collection + "/batch")
        self.assertEqual(sorted(json.loads(deletes[0]["body"])), ["10.0.0.1", "2001:db8::1"])
        # One reused connection for the table's sequential requests, 35 batches included.
        del rec.records[:]
        self.bulk(rows(3500), table="p")
        puts = [r for r in rec.records if r["method"] == self.upsert_method]
        self.assertEqual(len(puts), 35)
        self.assertEqual(len({r["connection"] for r in puts}), 1, "keep-alive: one connection")
        if self.api == "v1":  # (v2 lists its pages concurrently, over several connections)
            self.assertEqual(len({r["connection"] for r in rec.records}), 1)

    # ---- writes

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
        self.assertEqual([(e["method"], e["path"].rsplit("/", 1)[1], e["items"]) for e in self.writes()],
                         [("DELETE", "batch", 1), (self.upsert_method, "batch", 1)])
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

    # ---- validation: SQLITE_CONSTRAINT before anything is sent

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

    # ---- request counts

    def test_single_row_insert_into_a_large_zone_reads_no_listing(self):
        self.fake.seed(rows(3000))
        self.fake.clear_log()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.77', 'aws', 'us-east-1')")
        reads = [(e["method"], e["path"].rsplit("/", 1)[-1], e["query"]) for e in self.fake.log()
                 if e["method"] == "GET" and not e["path"].endswith("/supported_regions")]
        if self.api == "v1":
            self.assertEqual(len(reads), 1)  # v1's listing is one GET anyway
        else:
            # Page 1 says how many mappings the zone has (for the 3,500 limit); one GET says the IP is new.
            self.assertEqual(len(reads), 2, reads)
            self.assertIn("per_page=100", reads[0][2])
            self.assertEqual(reads[1][1], "192.0.2.77")
        self.assertEqual([e["items"] for e in self.writes()], [1])
        self.assertEqual(len(self.fake.state()), 3001)

    def test_single_row_insert_still_sees_the_zone_limit(self):
        self.fake.seed(rows(3500))
        self.assertRefused("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.77', 'aws', 'us-east-1')",
                           words=("3500", "1164"))
        self.assertEqual(self.writes(), [])

    def test_bulk_upsert_3500_is_35_requests_and_rerun_sends_nothing(self):
        data = rows(3500)
        self.bulk(data)
        log = self.fake.log()
        writes = self.writes(log)
        self.assertEqual(len(writes), 35)
        self.assertTrue(all(e["method"] == self.upsert_method and e["path"].endswith("/batch")
                            and e["items"] == 100 and e["status"] == 200 for e in writes), writes[:3])
        self.assertEqual(len(self.fake.state()), 3500)
        self.assertState(data)
        # The same statement again: everything is already so; nothing is sent.
        self.fake.clear_log()
        self.bulk(data)
        log = self.fake.log()
        self.assertEqual(self.writes(log), [])
        # v1 lists in one GET. v2 reads page 1 (with the zone's total), looks up the first two IPs
        # it does not know by GET, then lists all 35 pages: 1 + 2 + 35.
        self.assertEqual(len(log), 1 if self.api == "v1" else 38, "one listing to compare against")
        # A bulk edit of part of it: only the changed rows are sent.
        self.fake.clear_log()
        edited = rows(250, region="us-east-2") + data[250:]
        self.bulk(edited)
        self.assertEqual([e["items"] for e in self.writes()], [100, 100, 50])
        self.assertState(edited)

    def test_bulk_upsert_in_explicit_transaction(self):
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO t(origin_ip, vendor, region) VALUES (?, ?, ?)", rows(3500))
        self.assertNoWrites("nothing is sent before COMMIT")
        self.db.execute("COMMIT")
        self.assertEqual([e["items"] for e in self.writes()], [100] * 35)
        self.assertEqual(len(self.fake.state()), 3500)

    def test_point_lookup_is_one_get(self):
        self.fake.seed(rows(3500))
        self.assertEqual(self.select("SELECT vendor FROM t WHERE origin_ip = ?", (ip_of(1777),)), [("aws",)])
        log = self.fake.log()
        self.assertEqual([(e["method"], e["path"]) for e in log],
                         [("GET", "/client/v4" + self.collection + "/" + ip_of(1777))])

    def test_full_scan_of_3500(self):
        self.fake.seed(rows(3500))
        self.assertEqual(self.select("SELECT count(*), count(DISTINCT origin_ip) FROM t"), [(3500, 3500)])
        log = self.fake.log()
        if self.api == "v1":
            self.assertEqual([(e["method"], e["path"]) for e in log], [("GET", "/client/v4" + self.collection)])
        else:
            self.assertEqual(len(log), 35)
            self.assertTrue(all(e["method"] == "GET" and e["path"] == "/client/v4" + self.collection for e in log))
            pages = sorted(int(dict(kv.split("=") for kv in e["query"].split("&"))["page"]) for e in log)
            self.assertEqual(pages, list(range(1, 36)))
            self.assertTrue(all("per_page=100" in e["query"] for e in log))

    def test_delete_250_is_3_batch_requests_with_json_array_bodies(self):
        data = rows(3500)
        self.fake.seed(data)
        doomed = [r[0] for r in data[1000:1250]]
        self.db.execute(DELETE_SQL, (json.dumps(doomed),))
        writes = self.writes()
        self.assertEqual([(e["method"], e["path"], e["status"]) for e in writes],
                         [("DELETE", "/client/v4" + self.collection + "/batch", 200)] * 3)
        # The fake counts `items` only for a JSON array body; compact JSON arrays of the IP strings.
        self.assertEqual(sorted(e["items"] for e in writes), [50, 100, 100])
        self.assertEqual(sum(e["body_bytes"] for e in writes),
                         sum(len(ip) + 2 for ip in doomed) + (250 - 3) + 2 * 3)
        self.assertState(data[:1000] + data[1250:])

    def test_mixed_transaction_coalesces(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1"),
                        ("10.0.0.3", "aws", "us-east-1"), ("10.0.0.4", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        ex = self.db.execute
        ex("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.9', 'aws', 'us-east-1')")
        ex("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.9'")
        ex("DELETE FROM t WHERE origin_ip = '10.0.0.9'")            # 10.0.0.9: nothing to send
        ex("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.1'")
        ex("UPDATE t SET vendor = 'gcp', region = 'us-central1' WHERE origin_ip = '10.0.0.1'")
        ex("DELETE FROM t WHERE origin_ip = '10.0.0.2'")
        ex("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.3'")
        ex("UPDATE t SET region = 'us-east-1' WHERE origin_ip = '10.0.0.3'")  # back as it was
        ex("DELETE FROM t WHERE origin_ip = '10.0.0.4'")
        ex("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.4', 'aws', 'us-east-1')")  # as it was
        ex("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.5', 'oci', 'us-ashburn-1')")
        self.assertNoWrites()
        ex("COMMIT")
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()],
                         [("DELETE", 1), (self.upsert_method, 2)])
        self.assertState([("10.0.0.1", "gcp", "us-central1"), ("10.0.0.3", "aws", "us-east-1"),
                          ("10.0.0.4", "aws", "us-east-1"), ("10.0.0.5", "oci", "us-ashburn-1")])

    # ---- transactions

    def test_rollback_sends_nothing(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.bulk(rows(300, start=10))
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.1'")
        self.db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
        self.db.execute("ROLLBACK")
        self.assertNoWrites()
        self.assertState([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual(self.select(), [("10.0.0.1", "aws", "us-east-1")])

    def test_savepoint_rollback_to(self):
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.db.execute("SAVEPOINT s")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.db.execute("ROLLBACK TO s")
        self.db.execute("RELEASE s")
        self.db.execute("COMMIT")
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_reads_inside_transaction_see_pending_writes(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.3', 'gcp', 'us-central1')")
        self.db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.2'")
        self.assertEqual(self.select("SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip"),
                         [("10.0.0.2", "aws", "us-east-2"), ("10.0.0.3", "gcp", "us-central1")])
        self.assertEqual(self.select("SELECT region FROM t WHERE origin_ip = '10.0.0.3'"), [("us-central1",)])
        self.assertEqual(self.select("SELECT * FROM t WHERE origin_ip = '10.0.0.1'"), [])
        self.assertEqual(self.select("SELECT count(*) FROM t WHERE origin_ip IN ('10.0.0.1', '10.0.0.2', '10.0.0.3')"), [(2,)])
        self.assertNoWrites()
        self.assertState([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("COMMIT")
        self.assertState([("10.0.0.2", "aws", "us-east-2"), ("10.0.0.3", "gcp", "us-central1")])

    def test_insert_select_from_itself(self):
        self.fake.seed(rows(120))
        self.db.execute("INSERT OR REPLACE INTO t(origin_ip, vendor, region) "
                        "SELECT origin_ip, 'gcp', 'us-central1' FROM t WHERE origin_ip LIKE '10.%'")
        self.assertState(rows(120, vendor="aws")[1::2] + rows(120, vendor="gcp", region="us-central1")[0::2])
        self.assertEqual([e["items"] for e in self.writes()], [60])

    # ---- faults

    def write_rule(self, **rule):
        rule.setdefault("method", self.upsert_method)
        rule.setdefault("path_contains", "/batch")
        return rule

    def test_429_retry_after_is_honoured(self):
        self.fake.faults([self.write_rule(count=1, status=429, retry_after="1")])
        t0 = time.monotonic()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertEqual([(e["method"], e["status"]) for e in self.writes()],
                         [(self.upsert_method, 429), (self.upsert_method, 200)])
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_retry_after_ms_is_honoured(self):
        self.fake.faults([{"method": "GET", "count": 1, "status": 503, "retry_after_ms": 700}])
        t0 = time.monotonic()
        self.assertEqual(self.select(), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.6)
        self.assertEqual([e["status"] for e in self.fake.log()], [503, 200])

    def test_5xx_retried_then_success(self):
        for i, status in enumerate((500, 502, 503)):
            with self.subTest(status=status):
                self.fake.faults([self.write_rule(count=1, status=status)])
                self.fake.clear_log()
                self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES (?, 'aws', 'us-east-1')", (ip_of(i),))
                self.assertEqual([e["status"] for e in self.writes()], [status, 200])
        self.assertState(rows(3))
        # Two failures in a row are still within the default two retries, reads too.
        self.fake.faults([{"method": "GET", "count": 2, "status": 502}])
        self.fake.clear_log()
        self.assertEqual(len(self.select()), 3)
        self.assertEqual([e["status"] for e in self.fake.log()], [502, 502, 200])

    def test_retries_exhausted_lists_unapplied(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.create(self.db, "t1", max_retries="1")
        self.fake.faults([self.write_rule(method="DELETE", count=1000, status=503)])
        self.fake.clear_log()
        stmts = ["DELETE FROM t1 WHERE origin_ip = '10.0.0.1'",
                 "INSERT INTO t1(origin_ip, vendor, region) VALUES ('10.0.0.3', 'gcp', 'us-central1')",
                 "INSERT OR REPLACE INTO t1(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-2')"]
        self.db.execute("BEGIN")
        for s in stmts:
            self.db.execute(s)
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("COMMIT")
        msg = str(cm.exception)
        self.assertFalse(self.db.in_transaction)
        self.assertIn("applied 0 of 3", msg)
        self.assertIn("503", msg)
        self.assertIn("10.0.0.1", msg)
        self.assertIn("cfregions_unapplied", msg)
        self.assertNoSecret(msg)
        log = self.fake.log()
        self.assertEqual([(e["method"], e["status"]) for e in log if e["method"] != "GET"],
                         [("DELETE", 503), ("DELETE", 503)], "1 retry, then the remaining batches are not sent")
        un = self.unapplied()
        self.assertEqual([u[:5] for u in un],
                         [("t1", "delete", "10.0.0.1", None, None),
                          ("t1", "upsert", "10.0.0.2", "aws", "us-east-2"),
                          ("t1", "upsert", "10.0.0.3", "gcp", "us-central1")])
        self.assertIn("503", un[0][5])
        self.assertIn("not sent", un[1][5])
        self.assertState([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        # Fixed: the same statements converge and the list empties.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.db.execute("BEGIN")
        for s in stmts:
            self.db.execute(s)
        self.db.execute("COMMIT")
        self.assertEqual(sorted((e["method"], e["items"]) for e in self.writes()),
                         sorted([("DELETE", 1), (self.upsert_method, 2)]))
        self.assertState([("10.0.0.2", "aws", "us-east-2"), ("10.0.0.3", "gcp", "us-central1")])
        self.assertEqual(self.unapplied(), [])

    def test_error_message_names_first_few_and_counts_the_rest(self):
        self.create(self.db, "t0", max_retries="0")
        self.fake.faults([self.write_rule(count=1000, status=500)])
        with self.assertRaises(sqlite3.Error) as cm:
            self.bulk(rows(250), table="t0")
        msg = str(cm.exception)
        self.assertIn("applied 0 of 250", msg)
        self.assertIn("and 245 more", msg)
        self.assertEqual(len(self.unapplied()), 250)
        self.assertEqual(len(self.writes()), 1)

    def drop_mid_commit(self, mode):
        data = rows(3500)
        # Every request from the 11th on fails. (Not count=3 with the default 2 retries: libcurl
        # itself resends once on a fresh connection when a reused one turns out dead.)
        self.fake.faults([self.write_rule(after=10, count=1000, mode=mode)])
        with self.assertRaises(sqlite3.Error) as cm:
            self.bulk(data)
        msg = str(cm.exception)
        self.assertIn("applied 1000 of 3500", msg)
        self.assertIn("2500 not applied", msg)
        writes = self.writes()
        statuses = [e["status"] for e in writes]
        self.assertEqual(statuses[:10], [200] * 10)
        self.assertEqual(set(statuses[10:]), {0})
        self.assertTrue(3 <= len(statuses) - 10 <= 6, statuses)  # 3 attempts; the 24 batches after it not sent
        un = self.unapplied()
        self.assertEqual(len(un), 2500)
        self.assertEqual(sum("not sent: an earlier request failed" in u[5] for u in un), 2400)
        self.assertEqual({u[1] for u in un}, {"upsert"})
        applied_by_fake = 1100 if mode == "drop_after_apply" else 1000
        self.assertEqual(len(self.fake.state()), applied_by_fake)
        # Re-running the same statement sends only what is still missing.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.bulk(data)
        writes = self.writes()
        self.assertEqual(sum(e["items"] for e in writes), 3500 - applied_by_fake)
        self.assertEqual(len(writes), (3500 - applied_by_fake) // 100)
        self.assertState(data)
        self.assertEqual(self.unapplied(), [])
        self.fake.clear_log()
        self.bulk(data)
        self.assertNoWrites()

    def test_connection_dropped_mid_commit_then_rerun_converges(self):
        self.drop_mid_commit("drop")

    def test_response_lost_after_apply_then_rerun_converges(self):
        self.drop_mid_commit("drop_after_apply")

    def test_failed_read_fails_the_write_statement_before_sending(self):
        self.fake.faults([{"method": "GET", "path_contains": "/supported_regions", "count": 3, "status": 500}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertIn("supported_regions", str(cm.exception))
        self.assertIn("500", str(cm.exception))
        self.assertNoWrites()
        self.fake.faults([{"method": "GET", "path_contains": "cloud_regions", "count": 3, "status": 503}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertIn("503", str(cm.exception))
        self.assertNoWrites()
        self.fake.clear_faults()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_listing_page_retried(self):
        self.fake.seed(rows(3500))
        # v2: one of the pages fetched concurrently fails once.
        self.fake.faults([{"method": "GET", "after": 7 if self.api == "v2" else 0, "count": 1, "status": 502}])
        self.assertEqual(self.select("SELECT count(*) FROM t"), [(3500,)])
        log = self.fake.log()
        self.assertEqual(sorted(e["status"] for e in log), [200] * (1 if self.api == "v1" else 35) + [502])
        self.fake.faults([{"method": "GET", "after": 1 if self.api == "v2" else 0, "count": 1000, "status": 502}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select("SELECT count(*) FROM t")
        self.assertIn("502", str(cm.exception))

    def test_zone_limit_reached_remotely_during_transaction(self):
        self.fake.seed(rows(3499))
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')")
        self.fake.seed(rows(3500))  # someone else took the last slot
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("COMMIT")
        msg = str(cm.exception)
        self.assertIn("1164", msg)
        self.assertIn("192.0.2.1", msg)
        self.assertEqual([u[1:5] for u in self.unapplied()], [("upsert", "192.0.2.1", "aws", "us-east-1")])
        self.assertEqual(len(self.fake.state()), 3500)
        # Re-running now sees the full zone and refuses before sending.
        self.assertRefused("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')",
                           words=("1164",))

    def test_ipv4_mapped_and_uncommon_forms(self):
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES "
                        "('::FFFF:192.0.2.1', 'aws', 'us-east-1'), ('2001:0db8:0000:0000:0000:0000:0000:0001', 'aws', 'us-east-1'), "
                        "('::192.0.2.1', 'aws', 'us-east-1')")
        self.assertState([("::ffff:192.0.2.1", "aws", "us-east-1"), ("2001:db8::1", "aws", "us-east-1"),
                          ("::c000:201", "aws", "us-east-1")])
        self.fake.clear_log()
        self.assertEqual(self.select("SELECT origin_ip FROM t WHERE origin_ip = '::ffff:c000:201'"), [("::ffff:192.0.2.1",)])
        self.assertEqual(len(self.fake.log()), 1)
        self.db.execute("DELETE FROM t WHERE origin_ip = '0:0:0:0:0:ffff:192.0.2.1'")
        self.assertEqual(len(self.fake.state()), 2)

    def test_malformed_json(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.fake.faults([{"method": "GET", "count": 1, "mode": "malformed"}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        self.assertIn("malformed JSON", str(cm.exception))
        self.fake.faults([{"method": "GET", "count": 1, "mode": "malformed"}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select("SELECT * FROM t WHERE origin_ip = '10.0.0.1'")
        self.assertIn("malformed JSON", str(cm.exception))
        self.fake.faults([self.write_rule(count=1, mode="malformed")])
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.assertIn("malformed JSON", str(cm.exception))
        self.assertEqual([u[2] for u in self.unapplied()], ["10.0.0.2"])
        # The connection is fine afterwards (the fake's malformed answer did not apply the item).
        self.fake.clear_faults()
        self.assertEqual(len(self.select()), 1)
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.assertEqual(len(self.select()), 2)
        self.assertEqual(self.unapplied(), [])

    def test_wrong_shape(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        for sql in ("SELECT * FROM t", "SELECT * FROM t WHERE origin_ip = '10.0.0.1'"):
            with self.subTest(sql=sql):
                self.fake.faults([{"method": "GET", "count": 1, "mode": "wrong_shape"}])
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    self.select(sql)
                self.assertIn("unexpected", str(cm.exception))
        for method, sql in ((self.upsert_method, "INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')"),
                            ("DELETE", "DELETE FROM t WHERE origin_ip = '10.0.0.1'")):
            with self.subTest(sql=sql):
                self.fake.faults([self.write_rule(method=method, count=1, mode="wrong_shape")])
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute(sql)
                self.assertIn("unexpected", str(cm.exception))
                self.assertEqual(len(self.unapplied()), 1)
        self.fake.clear_faults()
        self.assertEqual(len(self.select()), 1)

    def test_rejected_items(self):
        self.fake.seed([("10.0.0.50", "aws", "us-east-1"), ("10.0.0.51", "aws", "us-east-1")])
        self.fake.faults(reject_items={"10.0.0.2": "Region temporarily unavailable",
                                       "2001:db8::7": "Mapping locked by policy",
                                       "10.0.0.51": "Deletion locked by policy"})
        data = [("10.0.0.%d" % i, "aws", "us-east-1") for i in range(1, 6)] + [("2001:DB8::7", "gcp", "us-central1")]
        stmts = [(BULK_SQL, (as_json(data),)), ("DELETE FROM t WHERE origin_ip IN ('10.0.0.50', '10.0.0.51')", ())]
        self.db.execute("BEGIN")
        for s, p in stmts:
            self.db.execute(s, p)
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("COMMIT")
        msg = str(cm.exception)
        self.assertIn("applied 5 of 8", msg)
        for word in ("10.0.0.2", "Region temporarily unavailable", "2001:db8::7", "Mapping locked by policy",
                     "10.0.0.51", "Deletion locked by policy"):
            self.assertIn(word, msg)
        self.assertEqual([u[:5] for u in self.unapplied()],
                         [("t", "delete", "10.0.0.51", None, None),
                          ("t", "upsert", "10.0.0.2", "aws", "us-east-1"),
                          ("t", "upsert", "2001:db8::7", "gcp", "us-central1")])
        self.assertTrue(all("rejected by the API" in u[5] for u in self.unapplied()))
        self.assertState([("10.0.0.%d" % i, "aws", "us-east-1") for i in (1, 3, 4, 5)] + [("10.0.0.51", "aws", "us-east-1")])
        # Cleared on the fake's side: re-running converges, sending only the rejected ones.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.db.execute("BEGIN")
        for s, p in stmts:
            self.db.execute(s, p)
        self.db.execute("COMMIT")
        self.assertEqual(sorted((e["method"], e["items"]) for e in self.writes()),
                         sorted([("DELETE", 1), (self.upsert_method, 2)]))
        self.assertState([(ip.lower(), v, r) for ip, v, r in data])
        self.assertEqual(self.unapplied(), [])

    def test_delete_of_a_mapping_removed_remotely(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM t")
        self.fake.seed([("10.0.0.2", "aws", "us-east-1")])  # someone else removed 10.0.0.1 meanwhile
        self.fake.clear_log()
        # The API refuses the delete of 10.0.0.1 (no mapping); one GET confirms it is gone, which
        # is what the DELETE wanted, so the COMMIT succeeds and nothing is reported unapplied.
        self.db.execute("COMMIT")
        self.assertEqual(self.unapplied(), [])
        self.assertState([])
        reads = [e for e in self.fake.log() if e["method"] == "GET"]
        self.assertEqual(len(reads), 1)
        self.assertIn("10.0.0.1", reads[0]["path"])

    def test_refused_delete_of_a_mapping_that_still_exists(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.fake.faults(reject_items={"10.0.0.1": "Mapping is locked."})
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("DELETE FROM t")
        msg = str(cm.exception)
        self.assertIn("applied 1 of 2", msg)
        self.assertIn("10.0.0.1", msg)
        self.assertIn("Mapping is locked", msg)
        self.assertNotIn("..", msg)
        self.assertEqual([u[1:3] for u in self.unapplied()], [("delete", "10.0.0.1")])
        self.assertState([("10.0.0.1", "aws", "us-east-1")])
        # Once the API accepts it, re-running sends only the missing delete and empties the list.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.db.execute("DELETE FROM t")
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [("DELETE", 1)])
        self.assertState([])
        self.assertEqual(self.unapplied(), [])

    def test_zone_limit_3500(self):
        data = rows(3500)
        self.fake.seed(data)
        self.assertRefused("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')",
                           words=("192.0.2.1", "3500", "1164"))
        self.assertRefused("INSERT OR REPLACE INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')",
                           words=("3500",))
        # Changing an existing mapping, or making room first, is fine.
        self.db.execute("BEGIN")
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = ?", (ip_of(0),))
        self.db.execute("DELETE FROM t WHERE origin_ip = ?", (ip_of(1),))
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')")
        self.db.execute("COMMIT")
        state = self.fake.state()
        self.assertEqual(len(state), 3500)
        self.assertIn(("192.0.2.1", "aws", "us-east-1"), state)
        self.assertIn((ip_of(0), "aws", "us-east-2"), state)


class V1Tests(SharedCases, FakeTestCase):
    api = "v1"


class V2Tests(SharedCases, FakeTestCase):
    api = "v2"


CHILD = textwrap.dedent("""
    import sqlite3, sys
    so, base, zone, token2 = sys.argv[1:5]
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.execute("CREATE VIRTUAL TABLE t USING origin_cloud_regions(zone_id='%s', base_url='%s')" % (zone, base))
    db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.2', 'aws', 'us-east-1')")
    db.execute("SELECT * FROM t").fetchall()
    db.execute("SELECT cfregions_set_token(?)", (token2,))
    db.execute("SELECT * FROM t WHERE origin_ip = '10.0.0.2'").fetchall()
    db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
    db.execute("SELECT cfregions_set_token(?)", ("wrong-" + token2,))
    try:
        db.execute("SELECT * FROM t").fetchall()
    except sqlite3.Error as e:
        print(e)
""")


class MiscTests(FakeTestCase):
    """Security, credentials and supported_regions (v2, the default generation)."""

    api = "v2"

    def test_token_never_in_database_file(self):
        d = tempfile.mkdtemp(prefix="cfr-db-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "x.db")
        db = self.connect(path)
        self.create(db, "live")
        db.execute("CREATE TABLE notes(x)")
        db.execute("INSERT INTO notes VALUES ('hello')")
        db.execute("INSERT INTO live(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        db.execute("SELECT cfregions_set_token(?)", (TOKEN2,))
        db.execute("INSERT INTO live(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        db.execute("CREATE TABLE copy AS SELECT * FROM live")
        with self.assertRaises(sqlite3.Error):
            db.execute("CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='%s', token='%s')" % (ZONE, TOKEN2))
        db.close()
        self.assertEqual(len(self.fake.state()), 2)
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            for secret in SECRETS:
                self.assertNotIn(secret.encode(), data, name)
        # Reopened: the table works from the environment alone.
        db = self.connect(path)
        self.assertEqual(len(db.execute("SELECT * FROM live").fetchall()), 2)

    def test_credential_arguments_refused(self):
        for arg in ("token", "api_token", "api_key", "key", "email", "TOKEN", "password", "authorization"):
            with self.subTest(arg=arg):
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute("CREATE VIRTUAL TABLE c USING origin_cloud_regions(zone_id='%s', %s='%s')"
                                    % (ZONE, arg, TOKEN2))
                msg = str(cm.exception)
                self.assertIn("refused", msg)
                self.assertIn("CLOUDFLARE_API_TOKEN", msg)
                self.assertIn("cfregions_set_token", msg)
                self.assertNoSecret(msg)
        self.assertEqual(self.db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'c'").fetchone(), (0,))
        self.assertEqual(self.fake.log(), [])

    def test_non_loopback_http_refused_at_create(self):
        # The client refuses these before any connection: CREATE fails, nothing is stored, nothing sent.
        for url in ("http://10.1.2.3/client/v4", "http://10.1.2.3:8080/client/v4",
                    "http://127.0.0.1@10.1.2.3/client/v4", "ftp://127.0.0.1/x"):
            with self.subTest(url=url):
                t0 = time.monotonic()
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute("CREATE VIRTUAL TABLE c USING origin_cloud_regions(zone_id='%s', base_url='%s', timeout_ms=100, max_retries=0)"
                                    % (ZONE, url))
                self.assertLess(time.monotonic() - t0, 0.5)
                self.assertIn("base_url", str(cm.exception))
                self.assertEqual(self.db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'c'").fetchone(), (0,))
        self.setenv("CLOUDFLARE_BASE_URL", "http://10.1.2.3/client/v4")
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("CREATE VIRTUAL TABLE c USING origin_cloud_regions(zone_id='%s', timeout_ms=100, max_retries=0)" % ZONE)
        self.assertIn("loopback", str(cm.exception))

    def test_wrong_token_is_a_clear_403(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-" + TOKEN2)
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        msg = str(cm.exception)
        self.assertIn("403", msg)
        self.assertIn("10000", msg)
        self.assertIn("Authentication error", msg)
        self.assertNoSecret(msg)
        self.assertEqual(len(self.fake.log()), 1, "403 is not retried")
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertIn("10000", str(cm.exception))
        self.assertNoSecret(str(cm.exception))

    def test_no_credentials_error(self):
        self.setenv("CLOUDFLARE_API_TOKEN", None)
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        self.assertIn("CLOUDFLARE_API_TOKEN", str(cm.exception))
        self.assertEqual(self.fake.log(), [])

    def test_set_token_bound_parameter_overrides_environment(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
        self.assertEqual(self.db.execute("SELECT cfregions_set_token(?)", (TOKEN2,)).fetchone(), (1,))
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual(self.select(), [("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.assertEqual(len(self.fake.state()), 2)
        # Cleared: back to the environment's (wrong) token.
        self.assertEqual(self.db.execute("SELECT cfregions_set_token(NULL)").fetchone(), (0,))
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        self.assertIn("10000", str(cm.exception))
        # Other connections do not see it.
        other = self.connect()
        self.create(other, "t")
        with self.assertRaises(sqlite3.OperationalError):
            other.execute("SELECT * FROM t").fetchall()

    def test_set_token_not_callable_from_schema(self):
        # SQLITE_DIRECTONLY: a view or trigger in the database (which anyone could have written)
        # cannot call it.
        self.db.execute("CREATE VIEW v AS SELECT cfregions_set_token('x') AS r")
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("SELECT * FROM v").fetchall()
        self.assertIn("unsafe", str(cm.exception))
        self.db.execute("CREATE TABLE a(x)")
        self.db.execute("CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT cfregions_set_credentials('e', 'k'); END")
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("INSERT INTO a VALUES (1)")
        self.assertIn("unsafe", str(cm.exception))

    def test_email_and_key_credentials(self):
        self.setenv("CLOUDFLARE_API_TOKEN", None)
        self.setenv("CLOUDFLARE_EMAIL", EMAIL)
        self.setenv("CLOUDFLARE_API_KEY", API_KEY)
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual(self.select(), [("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("DELETE FROM t")
        self.assertState([])
        # Wrong key: 403; the same pair through cfregions_set_credentials(?, ?) works.
        self.setenv("CLOUDFLARE_API_KEY", "nope")
        with self.assertRaises(sqlite3.OperationalError):
            self.select()
        self.assertEqual(self.db.execute("SELECT cfregions_set_credentials(?, ?)", (EMAIL, API_KEY)).fetchone(), (1,))
        self.assertEqual(self.select(), [])

    def test_token_env(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
        self.setenv("MY_CF_TOKEN_FOR_TESTS", TOKEN2)
        self.create(self.db, "mine", token_env="MY_CF_TOKEN_FOR_TESTS")
        self.assertEqual(self.select("SELECT * FROM mine"), [])
        schema = self.db.execute("SELECT sql FROM sqlite_schema WHERE name = 'mine'").fetchone()[0]
        self.assertNotIn(TOKEN2, schema)

    def test_debug_log_never_shows_credentials(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
        env.update(CLOUDFLARE_API_TOKEN=TOKEN2, CLOUDFLARE_LOG="debug", CLOUDFLARE_BASE_URL=self.fake.api_url)
        proc = subprocess.run([sys.executable, "-c", CHILD, so_path(), self.fake.api_url, ZONE, TOKEN],
                              env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        log = self.fake.log()
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), len(log), proc.stderr)
        for line, entry in zip(lines, log):
            self.assertIn(entry["method"], line)
            self.assertIn(entry["path"], line)
            self.assertIn(str(entry["status"]), line)
            self.assertIn(" ms", line)
        self.assertIn("403", proc.stdout)
        for text in (proc.stderr, proc.stdout):
            self.assertNoSecret(text)
            self.assertNotIn("Bearer", text)
            self.assertNotIn("Authorization", text)

    def test_retry_rules(self):
        def attempt(rule, expect_ok):
            self.fake.faults([dict(rule, method="GET")])
            self.fake.clear_log()
            t0 = time.monotonic()
            if expect_ok:
                self.assertEqual(self.select(), [])
            else:
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    self.select()
                self.assertIn("HTTP %d" % rule["status"], str(cm.exception))
            return [e["status"] for e in self.fake.log()], time.monotonic() - t0
        for status in (408, 409, 500, 502, 503, 504):
            with self.subTest(status=status):
                self.assertEqual(attempt({"count": 1, "status": status}, True)[0], [status, 200])
        with self.subTest("400 is not retried"):
            self.assertEqual(attempt({"count": 1, "status": 400}, False)[0], [400])
        with self.subTest("x-should-retry: false"):
            self.assertEqual(attempt({"count": 1, "status": 503, "headers": {"x-should-retry": "false"}}, False)[0], [503])
        with self.subTest("x-should-retry: true"):
            self.assertEqual(attempt({"count": 1, "status": 400, "headers": {"x-should-retry": "true"}}, True)[0], [400, 200])
        with self.subTest("Retry-After over 60 s falls back to the backoff"):
            log, elapsed = attempt({"count": 1, "status": 429, "retry_after": "3600"}, True)
            self.assertEqual(log, [429, 200])
            self.assertLess(elapsed, 5)
        with self.subTest("retries exhausted on reads"):
            log, elapsed = attempt({"count": 10, "status": 503}, False)
            self.assertEqual(log, [503, 503, 503])  # 1 + max_retries (2)
            self.assertGreaterEqual(elapsed, 0.7)  # two backoffs of 0.5 s and 1 s, minus 25 % jitter

    def test_timeout(self):
        self.create(self.db, "slow", timeout_ms="300", max_retries="0")
        self.fake.faults(latency_ms=1500)
        t0 = time.monotonic()
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select("SELECT * FROM slow")
        self.assertLess(time.monotonic() - t0, 1.4)
        self.assertIn("timed out", str(cm.exception))

    def test_supported_regions_for_zone(self):
        expected = sorted((v, r["name"], json.dumps(r.get("upper_tier_colos") or [], separators=(",", ":")))
                          for v, lst in self.fake.regions["vendors"].items() for r in lst)
        got = self.db.execute("SELECT vendor, region, upper_tier_colos FROM supported_regions WHERE zone_id = ?",
                              (OTHER_ZONE,)).fetchall()
        self.assertEqual(sorted((v, r, json.dumps(json.loads(c), separators=(",", ":"))) for v, r, c in got), expected)
        got2 = self.db.execute("SELECT count(*) FROM supported_regions WHERE zone_id = ? AND vendor = 'aws'",
                               (OTHER_ZONE,)).fetchone()[0]
        self.assertEqual(got2, len(self.fake.regions["vendors"]["aws"]))
        log = self.fake.log()
        self.assertEqual([(e["method"], e["path"]) for e in log],
                         [("GET", "/client/v4/zones/%s/origin/cloud_regions/supported_regions" % OTHER_ZONE)])
        # Without zone_id: the built-in list, no request.
        self.fake.clear_log()
        builtin = self.db.execute("SELECT vendor, region FROM supported_regions").fetchall()
        self.assertIn(BUILTIN_ONLY_REGION, builtin)
        self.assertNotIn(ZONE_ONLY_REGION, builtin)
        self.assertEqual(self.fake.log(), [])
        with self.assertRaises(sqlite3.Error):
            self.db.execute("SELECT * FROM supported_regions WHERE zone_id = 'nope'").fetchall()
        self.assertEqual(self.fake.log(), [])


if __name__ == "__main__":
    main()
