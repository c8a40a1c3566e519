#!/usr/bin/env python3
"""What statements cost in requests: a bulk upsert of 3,500 rows in 35 batches and its re-run that
sends nothing, full scans and point lookups of a full zone, batch deletes, single-row writes into a
large zone, and a transaction's changes coalesced into as few writes as possible.

    PYTHON test/test_api_requests.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).

Cases that both API generations share are written once (the mixin) and run by V1Tests and V2Tests.
"""

import json

from support.cases import FakeTestCase, main
from support.mappings import DELETE_SQL, ip_of, rows


class RequestCountCases:
    """Request counts of large and mixed statements, read from the fake's log."""

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
        self.assertEqual(sorted(e["items"] for e in self.writes()), [50, 100, 100])  # sent together
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
                         [(self.upsert_method, 2), ("DELETE", 1)])  # upserts first, deletes last
        self.assertState([("10.0.0.1", "gcp", "us-central1"), ("10.0.0.3", "aws", "us-east-1"),
                          ("10.0.0.4", "aws", "us-east-1"), ("10.0.0.5", "oci", "us-ashburn-1")])

    def test_statements_of_one_transaction_share_one_listing(self):
        self.fake.seed(rows(3500))
        listing = 1 if self.api == "v1" else 35
        self.db.execute("BEGIN")
        self.assertEqual(self.select("SELECT count(*) FROM t"), [(3500,)])
        self.assertEqual(self.select("SELECT vendor, count(*) FROM t GROUP BY vendor"), [("aws", 3500)])
        self.assertEqual(self.select("SELECT count(*) FROM t WHERE region = 'us-east-1'"), [(3500,)])
        self.assertEqual(len(self.reads()), listing, "one listing for the three SELECTs")
        self.db.execute("UPDATE t SET region = 'us-west-2' WHERE origin_ip = ?", (rows(1)[0][0],))
        listings = [e for e in self.reads() if "supported_regions" not in e["path"]]
        self.assertEqual(len(listings), listing, "the write uses the same snapshot (and reads the zone's regions)")
        self.db.execute("COMMIT")
        self.assertEqual(len(self.writes()), 1)
        # The next transaction starts from a fresh snapshot (another client may have written).
        self.fake.clear_log()
        self.fake.seed(rows(10))
        self.db.execute("BEGIN")
        self.assertEqual(self.select("SELECT count(*) FROM t"), [(10,)])
        self.db.execute("ROLLBACK")
        self.assertEqual(len(self.reads()), 1)

    def test_a_join_lists_once_instead_of_one_lookup_per_row(self):
        self.fake.seed(rows(3500))
        self.db.execute("CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local')")
        self.bulk(rows(3500, region="us-east-2"), table="plan")
        queries = {
            "LEFT JOIN": "SELECT count(l.origin_ip) FROM plan p LEFT JOIN t l ON l.origin_ip = p.origin_ip",
            "NOT EXISTS": "SELECT count(*) FROM plan p WHERE NOT EXISTS (SELECT 1 FROM t l WHERE l.origin_ip = p.origin_ip)",
            "JOIN": "SELECT count(*) FROM plan p JOIN t l ON l.origin_ip = p.origin_ip AND l.region <> p.region",
            "IN": "SELECT count(*) FROM plan p WHERE p.origin_ip IN (SELECT origin_ip FROM t)",
        }
        expected = {"LEFT JOIN": 3500, "NOT EXISTS": 0, "JOIN": 3500, "IN": 3500}
        for shape, sql in queries.items():
            with self.subTest(shape):
                self.fake.clear_log()
                self.assertEqual(self.select(sql), [(expected[shape],)])
                self.assertLessEqual(len(self.fake.log()), 40, "a listing plus a few lookups at most")


class V1Tests(RequestCountCases, FakeTestCase):
    api = "v1"


class V2Tests(RequestCountCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
