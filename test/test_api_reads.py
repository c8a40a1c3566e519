#!/usr/bin/env python3
"""Reads of the API store against the fake API: full scans, point and IN lookups, one snapshot per
statement, LIMIT, OFFSET and ORDER BY, and the headers, bodies and connections of its requests.

    PYTHON test/test_api_reads.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).

Cases that both API generations share are written once (the mixin) and run by V1Tests and V2Tests.
"""

import json
import time

from support.cases import FakeTestCase, main
from support.fake import TOKEN, Recorder
from support.mappings import ip_of, rows, sort_rows


class ReadCases:
    """SELECTs, and what each one asks the API for."""

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
        # Connections are kept and reused: the 35 batches of a bulk edit go out at most 8 at a
        # time, over a few connections (libcurl's pool), not one connection per request.
        del rec.records[:]
        self.bulk(rows(3500), table="p")
        puts = [r for r in rec.records if r["method"] == self.upsert_method]
        self.assertEqual(len(puts), 35)
        self.assertLessEqual(len({r["connection"] for r in puts}), 16, "keep-alive: connections reused")
        del rec.records[:]
        self.select("SELECT count(*) FROM p WHERE origin_ip = '10.0.0.1'")
        self.select("SELECT count(*) FROM p WHERE origin_ip = '10.0.0.2'")
        self.assertEqual(len({r["connection"] for r in rec.records}), 1, "sequential requests: one connection")


class V1Tests(ReadCases, FakeTestCase):
    api = "v1"


class V2Tests(ReadCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
