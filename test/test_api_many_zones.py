#!/usr/bin/env python3
"""Tables over many zones: zones='id,id', zones='*' (with account_id=), zone='example.com', the
hidden zone_id column, writes routed to their zone, one COMMIT across zones, and the request
costs, against the fake Cloudflare API.

    PYTHON test/test_api_many_zones.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).
"""

import math
import sqlite3
import time

from support.cases import FakeTestCase, main
from support.fake import ZONE, OTHER_ZONE
from support.mappings import rows

ACCOUNT_A = "a" * 32
ACCOUNT_B = "b" * 32


def zone_id(i):
    return "%032x" % (0xabc000 + i)


def zone_doc(i, account=ACCOUNT_A):
    return {"id": zone_id(i), "name": "zone%d.example.com" % i, "account": {"id": account, "name": "acct"}}


class ManyZoneTests(FakeTestCase):
    api = "v2"

    def setUp(self):
        super().setUp()
        self.fake.seed(rows(3), zone=ZONE)
        self.fake.seed(rows(2, start=100), zone=OTHER_ZONE)
        self.db.execute("CREATE VIRTUAL TABLE m USING origin_cloud_regions(zones='%s,%s')" % (ZONE, OTHER_ZONE))
        self.fake.clear_log()

    def test_rows_carry_their_zone(self):
        got = self.select("SELECT zone_id, origin_ip FROM m")
        self.assertEqual(sorted(got), sorted([(ZONE, ip) for ip, _, _ in rows(3)] +
                                             [(OTHER_ZONE, ip) for ip, _, _ in rows(2, start=100)]))
        self.assertEqual(len(self.reads()), 2, "one listing per zone")
        self.assertEqual(dict(self.select("SELECT zone_id, count(*) FROM m GROUP BY 1")), {ZONE: 3, OTHER_ZONE: 2})

    def test_zone_id_constraints_read_only_those_zones(self):
        self.assertEqual(self.select("SELECT count(*) FROM m WHERE zone_id = ?", (OTHER_ZONE,)), [(2,)])
        self.assertEqual([e["path"].split("/")[4] for e in self.reads()], [OTHER_ZONE])
        self.assertEqual(self.select("SELECT count(*) FROM m WHERE zone_id IN (?, 'nope')", (ZONE,)), [(3,)])
        self.assertEqual(self.select("SELECT count(*) FROM m WHERE zone_id = 'nope'"), [(0,)])

    def test_the_same_ip_in_two_zones(self):
        self.db.execute("INSERT INTO m(zone_id, origin_ip, vendor, region) VALUES (?, ?, 'gcp', 'us-central1')",
                        (OTHER_ZONE, rows(1)[0][0]))
        self.assertEqual(self.select("SELECT zone_id, vendor FROM m WHERE origin_ip = ? ORDER BY vendor", (rows(1)[0][0],)),
                         [(ZONE, "aws"), (OTHER_ZONE, "gcp")])
        with self.assertRaises(sqlite3.IntegrityError):
            self.db.execute("INSERT INTO m(zone_id, origin_ip, vendor, region) VALUES (?, ?, 'gcp', 'us-central1')",
                            (ZONE, rows(1)[0][0]))

    def test_an_insert_names_one_of_the_zones(self):
        for zone in (None, "f" * 32):
            with self.subTest(zone=zone):
                with self.assertRaises(sqlite3.IntegrityError) as cm:
                    self.db.execute("INSERT INTO m(zone_id, origin_ip, vendor, region) "
                                    "VALUES (?, '192.0.2.1', 'aws', 'us-east-1')", (zone,))
                self.assertIn("zone_id", str(cm.exception))
        self.assertNoWrites()

    def test_a_mapping_does_not_move_between_zones_by_update(self):
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("UPDATE m SET zone_id = ? WHERE zone_id = ?", (OTHER_ZONE, ZONE))
        self.assertIn("another zone", str(cm.exception))
        self.assertNoWrites()

    def test_the_limit_and_the_regions_are_per_zone(self):
        self.fake.seed(rows(3500), zone=ZONE)
        self.db.execute("INSERT INTO m(zone_id, origin_ip, vendor, region) VALUES (?, '192.0.2.1', 'aws', 'us-east-1')",
                        (OTHER_ZONE,))
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("INSERT INTO m(zone_id, origin_ip, vendor, region) VALUES (?, '192.0.2.1', 'aws', 'us-east-1')",
                            (ZONE,))
        self.assertIn("3500", str(cm.exception))
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("INSERT INTO m(zone_id, origin_ip, vendor, region) VALUES (?, '192.0.2.2', 'aws', 'us-west-1')",
                            (OTHER_ZONE,))
        self.assertIn("zone_id = '%s'" % OTHER_ZONE, str(cm.exception))

    def test_one_commit_across_zones(self):
        self.db.execute("BEGIN")
        self.db.execute("UPDATE m SET region = 'us-east-2'")
        pending = self.select("SELECT zone_id, count(*), max(request) FROM cfregions_pending GROUP BY 1")
        self.assertEqual(dict((z, n) for z, n, _ in pending), {ZONE: 3, OTHER_ZONE: 2})
        self.db.execute("COMMIT")
        self.assertEqual(sorted(e["path"].split("/")[4] for e in self.writes()), sorted([ZONE, OTHER_ZONE]))
        self.assertState([(ip, v, "us-east-2") for ip, v, _ in rows(3)], zone=ZONE)
        self.assertState([(ip, v, "us-east-2") for ip, v, _ in rows(2, start=100)], zone=OTHER_ZONE)

    def test_unapplied_and_retry_per_zone(self):
        self.fake.faults([{"method": "PUT", "path_contains": OTHER_ZONE, "count": 1000, "status": 500}])
        with self.assertRaises(sqlite3.OperationalError):
            self.db.execute("UPDATE m SET region = 'us-east-2'")
        un = self.select("SELECT zone_id, count(*) FROM cfregions_unapplied GROUP BY 1")
        self.assertEqual(un, [(OTHER_ZONE, 2)])
        self.fake.clear_faults()
        self.fake.clear_log()
        self.assertEqual(self.select("SELECT cfregions_retry('m')"), [(2,)])
        self.assertEqual([e["path"].split("/")[4] for e in self.writes()], [OTHER_ZONE])
        self.assertState([(ip, v, "us-east-2") for ip, v, _ in rows(2, start=100)], zone=OTHER_ZONE)

    def test_a_zone_that_fails_does_not_hold_back_the_others(self):
        self.fake.faults([{"method": "PUT", "path_contains": OTHER_ZONE, "count": 1000, "status": 500}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("UPDATE m SET region = 'us-east-2'")
        message = str(cm.exception)
        self.assertIn("zone %s: COMMIT applied 0 of 2 changes" % OTHER_ZONE, message)
        self.assertNotIn("other zone", message)
        self.assertState([(ip, v, "us-east-2") for ip, v, _ in rows(3)], zone=ZONE)
        self.assertEqual(self.select("SELECT zone_id, count(*) FROM cfregions_unapplied GROUP BY 1"), [(OTHER_ZONE, 2)])

    def test_a_failure_in_several_zones_names_the_first_and_counts_the_others(self):
        self.fake.faults([{"method": "PUT", "count": 1000, "status": 500}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("UPDATE m SET region = 'us-east-2'")
        self.assertIn("1 other zone of the table failed too", str(cm.exception))
        self.assertEqual(dict(self.select("SELECT zone_id, count(*) FROM cfregions_unapplied GROUP BY 1")),
                         {ZONE: 3, OTHER_ZONE: 2})

    def test_the_zones_of_a_statement_cost_the_round_trips_of_one(self):
        # Six zones at 300 ms a request: the listings, the supported regions and the COMMIT each
        # go out for every zone together (about 4 round trips); zone by zone it would be 13.
        zones = [zone_id(i) for i in range(6)]
        for i, z in enumerate(zones):
            self.fake.seed(rows(2, start=10 * i), zone=z)
        self.db.execute("CREATE VIRTUAL TABLE six USING origin_cloud_regions(zones='%s')" % ",".join(zones))
        self.fake.faults(latency_ms=300)
        self.fake.clear_log()
        t0 = time.monotonic()
        self.db.execute("UPDATE six SET region = 'us-east-2'")
        elapsed = time.monotonic() - t0
        self.assertEqual(sorted(e["path"].split("/")[4] for e in self.writes()), sorted(zones))
        self.assertLess(elapsed, 0.3 * 8, "requests of the six zones sent together")
        for i, z in enumerate(zones):
            self.assertState([(ip, v, "us-east-2") for ip, v, _ in rows(2, start=10 * i)], zone=z)

    def test_a_one_zone_table_has_a_constant_zone_id(self):
        self.fake.seed(rows(2), zone=ZONE)
        self.assertEqual(self.select("SELECT DISTINCT zone_id FROM t"), [(ZONE,)])
        self.assertEqual(self.select("SELECT count(*) FROM t WHERE zone_id = ?", (OTHER_ZONE,)), [(0,)])
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("INSERT INTO t(zone_id, origin_ip, vendor, region) VALUES (?, '192.0.2.1', 'aws', 'us-east-1')",
                            (OTHER_ZONE,))
        self.assertIn("another zone", str(cm.exception))


class ZonesFoundByListingTests(FakeTestCase):
    api = "v2"

    def setUp(self):
        super().setUp()
        self.fake.set_zones([zone_doc(i, ACCOUNT_A if i < 6 else ACCOUNT_B) for i in range(10)] +
                            [{"id": "c" * 32, "name": "twice.example.com", "account": {"id": ACCOUNT_A, "name": "a"}},
                             {"id": "d" * 32, "name": "twice.example.com", "account": {"id": ACCOUNT_B, "name": "b"}}])
        for i in range(10):
            self.fake.seed(rows(3, start=10 * i), zone=zone_id(i))
        self.fake.clear_log()

    def test_every_zone_of_an_account(self):
        self.db.execute("CREATE VIRTUAL TABLE acct USING origin_cloud_regions(zones='*', account_id='%s')" % ACCOUNT_B)
        self.assertNoWrites()
        self.assertEqual(self.fake.log(), [], "nothing is read before the table is used")
        got = dict(self.select("SELECT zone_id, count(*) FROM acct GROUP BY 1"))
        self.assertEqual(got, {zone_id(i): 3 for i in range(6, 10)})
        zones_reads = [e for e in self.reads() if e["path"].endswith("/zones")]
        self.assertEqual(len(zones_reads), 1)
        self.assertIn("account.id=" + ACCOUNT_B, zones_reads[0]["query"])

    def test_zone_by_name(self):
        self.db.execute("CREATE VIRTUAL TABLE z3 USING origin_cloud_regions(zone='zone3.example.com')")
        self.assertEqual(self.select("SELECT count(*), min(zone_id) FROM z3"), [(3, zone_id(3))])
        for name, words in (("nosuch.example.com", "no zone"), ("twice.example.com", "twice.example.com")):
            with self.subTest(name=name):
                self.db.execute("CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone='%s')" % name)
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    self.select("SELECT * FROM bad")
                self.assertIn(words, str(cm.exception).lower())
                self.db.execute("DROP TABLE bad")

    def test_the_report_across_every_zone_in_one_statement(self):
        self.db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        got = self.select("SELECT z.name, r.vendor, count(*) FROM cloudflare_zones z JOIN every r ON r.zone_id = z.id "
                          "GROUP BY 1, 2 ORDER BY 1")
        self.assertEqual(got, sorted(("zone%d.example.com" % i, "aws", 3) for i in range(10)))
        zone_pages = [e for e in self.reads() if e["path"].endswith("/zones")]
        self.assertEqual(len(zone_pages), 1, "cloudflare_zones and the table share the statement's listing")
        self.fake.clear_log()
        self.assertEqual(len(self.select("SELECT * FROM cloudflare_zones")), 12)
        self.assertEqual(len([e for e in self.reads() if e["path"].endswith("/zones")]), 1,
                         "a later statement lists the zones again")

    def test_a_lookup_over_many_small_zones_lists_them_together(self):
        self.db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        self.select("SELECT count(*) FROM every")  # the zones' sizes are known from here on
        self.fake.clear_log()
        ip = rows(3, start=10 * 7)[1][0]
        self.assertEqual(self.select("SELECT zone_id FROM every WHERE origin_ip = ?", (ip,)), [(zone_id(7),)])
        # One listing of each of the 12 zones, sent together: as many requests as a lookup in each,
        # and the zones' snapshots then serve the rest of the statement.
        self.assertEqual(len(self.reads()), 12)
        self.assertTrue(all(e["query"].startswith("page=1") for e in self.reads()), self.reads())

    def test_a_lookup_over_zones_of_unknown_size_asks_every_zone_at_once(self):
        self.db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        ip = rows(3, start=10 * 7)[1][0]
        self.select("SELECT count(*) FROM cloudflare_zones")
        self.fake.faults(latency_ms=300)
        self.fake.clear_log()
        t0 = time.monotonic()
        self.assertEqual(self.select("SELECT zone_id, vendor FROM every WHERE origin_ip = ?", (ip,)),
                         [(zone_id(7), "aws")])
        elapsed = time.monotonic() - t0
        lookups = [e for e in self.reads() if e["path"].endswith("/" + ip)]
        self.assertEqual(len(lookups), 12, self.reads())  # one GET per zone ...
        # ... 8 at a time: 2 rounds of 300 ms, plus the zone listing's, not 12 rounds one after another.
        self.assertLess(elapsed, 2.0)

    def test_a_cross_zone_update_costs_its_batches_per_zone_and_nothing_else(self):
        self.db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        for i in range(10):
            self.fake.seed(rows(150, start=1000 * i), zone=zone_id(i))
        self.fake.clear_log()
        self.db.execute("UPDATE every SET region = 'us-east-2' WHERE vendor = 'aws' AND region = 'us-east-1'")
        writes = self.writes()
        per_zone = {}
        for w in writes:
            per_zone.setdefault(w["path"].split("/")[4], []).append(w["items"])
        self.assertEqual(set(per_zone), {zone_id(i) for i in range(10)})
        for i in range(10):
            self.assertEqual(sorted(per_zone[zone_id(i)]), [50, 100], "ceil(150 / 100) writes for the zone")
        self.assertEqual(len(writes), 10 * math.ceil(150 / 100))


class RateBudgetTests(FakeTestCase):
    """With the fake limiting requests and CLOUDFLARE_RATE_LIMIT set to the same budget, a job of
    many requests waits instead of drawing 429s."""

    api = "v2"

    def test_a_listing_of_many_zones_draws_no_429(self):
        self.fake.set_zones([zone_doc(i) for i in range(30)])
        for i in range(30):
            self.fake.seed(rows(2, start=10 * i), zone=zone_id(i))
        self.fake.rate_limit(20, 2)
        self.addCleanup(self.fake.clear_rate_limit)
        self.setenv("CLOUDFLARE_RATE_LIMIT", "20/2")
        db = self.connect()
        db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        self.fake.clear_log()
        t0 = time.monotonic()
        self.assertEqual(db.execute("SELECT count(*) FROM every").fetchone(), (60,))
        elapsed = time.monotonic() - t0
        statuses = [e["status"] for e in self.fake.log()]
        self.assertEqual(statuses.count(429), 0, statuses)
        self.assertEqual(len(statuses), 31, "a zone page and 30 listings")
        self.assertGreater(elapsed, 1.5, "the budget made the job wait")


if __name__ == "__main__":
    main()
