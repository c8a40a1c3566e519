#!/usr/bin/env python3
"""cloudflare_zones: the zones the credentials can see, read from GET /zones.

    PYTHON test/test_api_zones.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only.

The table lists GET /zones in pages of 50, the pages after the first concurrently; `name = ?`,
`account_id = ?` and `status = ?` go to the API as the query parameters name=, account.id= and
status=. The fake Cloudflare API serves the zone list a test gives it (Fake.set_zones) and logs each
request's query, so the tests count requests and read what was asked. The hostile server
(test/hostile_server.py, /zones-page) sends zone pages no valid API would: each is refused with an
error that names the problem, escaped, before any row comes out.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request

from support.cases import FakeTestCase, main, so_path
from support.fake import ROOT, TOKEN

ACME = {"id": "a1" * 16, "name": "Acme Corp"}
BETA = {"id": "b2" * 16, "name": "Beta Ltd"}
PAGE = 50                       # zones per page the table asks for
COLUMNS = "id, name, status, account_id, account_name, plan, paused, modified_on"
HOSTILE_SERVER = os.path.join(ROOT, "test", "hostile_server.py")
CAP_PAGE = 2 << 20              # the body cap of one page (ext/zones.c)
# Characters that must never reach an error raw: controls, C1, bidirectional marks and overrides.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u061c\u200e\u200f\u2028-\u202e"
                 "\u2066-\u2069\r\n]")


def zone_id(i):
    return "%032x" % (0x5000 + i)


def many_zones(count):
    """count zones zone-000.example, … alternately in BETA and ACME; every tenth pending."""
    return [{"id": zone_id(i), "name": "zone-%03d.example" % i, "account": ACME if i % 2 else BETA,
             "status": "pending" if i % 10 == 0 else "active"} for i in range(count)]


def pages_of(count):
    return (count + PAGE - 1) // PAGE


class ZonesTestCase(FakeTestCase):
    """FakeTestCase with the zone list of the fake at hand."""

    def zones_log(self):
        """(query, status) of each GET /zones the fake saw."""
        return [(e["query"], e["status"]) for e in self.fake.log()
                if e["path"].endswith("/zones")]

    def listed(self):
        """The fake's zones as GET /zones lists them, as rows of cloudflare_zones."""
        return [(z["id"], z["name"], z["status"], z["account"]["id"], z["account"]["name"],
                 z["plan"]["name"], int(z["paused"]), z["modified_on"])
                for z in self.fake.call("GET", "/__fake/zones")]

    def rows(self, where="", params=()):
        return self.db.execute("SELECT %s FROM cloudflare_zones %s" % (COLUMNS, where),
                               params).fetchall()


class ListingTests(ZonesTestCase):
    def test_lists_every_zone_of_every_account_in_pages_of_50(self):
        self.fake.set_zones(many_zones(137))
        rows = self.rows()
        self.assertEqual(rows, self.listed())
        self.assertEqual(len(rows), 137)
        self.assertEqual({r[3] for r in rows}, {ACME["id"], BETA["id"]})
        self.assertEqual(self.zones_log(), [("page=%d&per_page=50" % p, 200) for p in (1, 2, 3)])

    def test_columns(self):
        self.fake.set_zones([
            {"id": zone_id(1).upper(), "name": "paused.example", "paused": True,
             "plan": {"name": "Pro Website"}, "account": ACME, "status": "moved",
             "modified_on": "2024-05-01T12:00:00.123456Z"},
            {"id": zone_id(2), "name": "plain.example"}])
        self.assertEqual(self.rows(), [
            (zone_id(1), "paused.example", "moved", ACME["id"], ACME["name"], "Pro Website", 1,
             "2024-05-01T12:00:00.123456Z"),
            self.listed()[1]])
        self.assertEqual(self.rows()[1][2:7],
                         ("active", "01a7362d577a6c3019a474fd6f485823", "Fake Account",
                          "Free Website", 0))

    def test_no_zones_is_one_request_and_no_row(self):
        self.assertEqual(self.rows(), [])
        self.assertEqual(self.zones_log(), [("page=1&per_page=50", 200)])

    def test_pages_after_the_first_go_out_together(self):
        # 137 zones: page 1, then pages 2 and 3 at once. At 400 ms a request, that is two round
        # trips (0.8 s); one page after the other would be three (1.2 s).
        self.fake.set_zones(many_zones(137))
        self.fake.faults(latency_ms=400)
        start = time.monotonic()
        self.assertEqual(len(self.rows()), 137)
        elapsed = time.monotonic() - start
        self.assertEqual(len(self.zones_log()), 3)
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 1.1, "pages 2 and 3 were not read concurrently")

    def test_at_most_eight_pages_in_flight(self):
        # 17 pages: page 1, then 8, then 8 (the client's limit): three more round trips.
        self.fake.set_zones(many_zones(17 * PAGE))
        self.fake.faults(latency_ms=300)
        start = time.monotonic()
        self.assertEqual(self.db.execute("SELECT count(*) FROM cloudflare_zones").fetchone(),
                         (17 * PAGE,))
        elapsed = time.monotonic() - start
        self.assertEqual(len(self.zones_log()), 17)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 1.5)

    def test_each_statement_lists_again(self):
        self.fake.set_zones(many_zones(3))
        self.assertEqual(len(self.rows()), 3)
        self.fake.set_zones(many_zones(5))
        self.assertEqual(len(self.rows()), 5)
        self.assertEqual(len(self.zones_log()), 2)


    def test_each_statement_in_the_shell_lists_the_zones_again(self):
        # The sqlite3 shell prepares each line anew, often where it freed the one before: the
        # listing a statement shares with its own reads must still not reach the next statement.
        env = dict(os.environ, CLOUDFLARE_API_TOKEN=TOKEN, CLOUDFLARE_BASE_URL=self.fake.api_url)
        self.fake.clear_log()
        out = subprocess.run(["sqlite3", "-bail", "-cmd", ".load %s" % so_path(), ":memory:"],
                             input="SELECT count(*) FROM cloudflare_zones;\n" * 3,
                             capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(out.stdout.split()), 3)
        self.assertEqual(len([e for e in self.fake.log() if e["path"].endswith("/zones")]), 3)


class FilterTests(ZonesTestCase):
    def setUp(self):
        super().setUp()
        self.fake.set_zones(many_zones(137) + [
            {"id": zone_id(500), "name": "shared.example", "account": ACME},
            {"id": zone_id(501), "name": "shared.example", "account": BETA}])
        self.fake.clear_log()

    def test_name_is_sent_as_a_query_parameter(self):
        self.assertEqual(self.rows("WHERE name = ?", ("zone-005.example",)),
                         [r for r in self.listed() if r[1] == "zone-005.example"])
        self.assertEqual(self.zones_log(), [("page=1&per_page=50&name=zone-005.example", 200)])

    def test_a_name_two_accounts_share(self):
        rows = self.rows("WHERE name = 'shared.example'")
        self.assertEqual([(r[0], r[3]) for r in rows],
                         [(zone_id(500), ACME["id"]), (zone_id(501), BETA["id"])])

    def test_name_compares_as_sql_does(self):
        # The API matches names ignoring case; SQL's = does not, so SQLite checks every row again.
        self.assertEqual(self.rows("WHERE name = 'ZONE-005.EXAMPLE'"), [])
        self.assertEqual(len(self.rows("WHERE name = 'ZONE-005.EXAMPLE' COLLATE NOCASE")), 1)
        self.assertEqual([q for q, _ in self.zones_log()],
                         ["page=1&per_page=50&name=ZONE-005.EXAMPLE"] * 2)

    def test_a_name_with_no_zone(self):
        self.assertEqual(self.rows("WHERE name = 'nowhere.example'"), [])
        self.assertEqual(self.zones_log(), [("page=1&per_page=50&name=nowhere.example", 200)])

    def test_names_are_percent_encoded(self):
        self.assertEqual(self.rows("WHERE name = 'a b&status=moved'"), [])
        self.assertEqual(self.zones_log(),
                         [("page=1&per_page=50&name=a%20b%26status%3Dmoved", 200)])

    def test_a_name_with_a_colon_is_not_read_as_an_operator(self):
        # name=contains:zone would list every zone; equal: keeps the whole text a name.
        self.fake.set_zones([{"id": zone_id(1), "name": "zone-1.example"},
                             {"id": zone_id(2), "name": "contains:zone"}])
        self.fake.clear_log()
        self.assertEqual([r[0] for r in self.rows("WHERE name = 'contains:zone'")], [zone_id(2)])
        self.assertEqual(self.zones_log(),
                         [("page=1&per_page=50&name=equal%3Acontains%3Azone", 200)])

    def test_account_id_is_sent_as_a_query_parameter(self):
        rows = self.rows("WHERE account_id = ?", (ACME["id"],))
        self.assertEqual(rows, [r for r in self.listed() if r[3] == ACME["id"]])
        self.assertEqual(len(rows), 69)
        self.assertEqual(self.zones_log(),
                         [("page=%d&per_page=50&account.id=%s" % (p, ACME["id"]), 200)
                          for p in (1, 2)])

    def test_account_id_compares_as_sql_does(self):
        # The table shows ids in lowercase: an uppercase one equals none, and costs nothing.
        self.assertEqual(self.rows("WHERE account_id = ?", (ACME["id"].upper(),)), [])
        self.assertEqual(self.rows("WHERE account_id = 'acme'"), [])
        self.assertEqual(self.zones_log(), [])

    def test_status_is_sent_as_a_query_parameter(self):
        rows = self.rows("WHERE status = 'pending'")
        self.assertEqual(rows, [r for r in self.listed() if r[2] == "pending"])
        self.assertEqual(len(rows), 14)
        self.assertEqual(self.zones_log(), [("page=1&per_page=50&status=pending", 200)])

    def test_a_status_no_zone_can_have_costs_nothing(self):
        self.assertEqual(self.rows("WHERE status = 'Active'"), [])
        self.assertEqual(self.zones_log(), [])

    def test_an_unknown_status_is_the_apis_error(self):
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.rows("WHERE status = 'bogus'")
        self.assertIn("cloudflare_zones: GET /zones?page=1&per_page=50&status=bogus failed with "
                      "HTTP 400: code 1001 Invalid request: status must be one of",
                      str(cm.exception))

    def test_filters_together(self):
        rows = self.rows("WHERE status = 'active' AND account_id = ? AND name = 'zone-007.example'",
                         (ACME["id"],))
        self.assertEqual([r[1] for r in rows], ["zone-007.example"])
        self.assertEqual(self.zones_log(), [
            ("page=1&per_page=50&name=zone-007.example&account.id=%s&status=active" % ACME["id"],
             200)])

    def test_null_and_blob_values_match_nothing_and_cost_nothing(self):
        self.assertEqual(self.rows("WHERE name = NULL"), [])
        self.assertEqual(self.rows("WHERE status = CAST('active' AS BLOB)"), [])
        self.assertEqual(self.zones_log(), [])

    def test_in_lists_one_name_at_a_time(self):
        rows = self.rows("WHERE name IN ('zone-001.example', 'zone-002.example') ORDER BY name")
        self.assertEqual([r[1] for r in rows], ["zone-001.example", "zone-002.example"])
        self.assertEqual(sorted(q for q, _ in self.zones_log()),
                         ["page=1&per_page=50&name=zone-001.example",
                          "page=1&per_page=50&name=zone-002.example"])

    def test_other_constraints_are_checked_by_sqlite(self):
        rows = self.rows("WHERE name LIKE 'zone-00%' AND paused = 0")
        self.assertEqual(len(rows), 10)
        self.assertEqual(len(self.zones_log()), pages_of(139))

    def test_query_plan_shows_the_request(self):
        def plan(where):
            return self.db.execute("EXPLAIN QUERY PLAN SELECT * FROM cloudflare_zones " + where
                                   ).fetchall()[0][3]
        self.assertTrue(plan("").endswith(":GET /zones"))
        self.assertTrue(plan("WHERE name = 'a'").endswith(":GET /zones?name=?"))
        self.assertTrue(plan("WHERE status = 'active' AND account_id = 'x'")
                        .endswith(":GET /zones?account.id=?&status=?"))
        self.assertTrue(plan("WHERE name = 'a' COLLATE RTRIM").endswith(":GET /zones"))

    def test_a_join_on_name(self):
        # Costs are a request per page of 50: against a table of unknown size one listing is
        # cheapest; once SQLite knows the table is short (ANALYZE), one request per name is.
        self.db.execute("CREATE TEMP TABLE wanted(n)")
        self.db.executemany("INSERT INTO wanted VALUES (?)",
                            [("zone-010.example",), ("shared.example",)])
        join = ("SELECT z.id FROM wanted JOIN cloudflare_zones z ON z.name = wanted.n "
                "ORDER BY z.id")
        expected = [(zone_id(10),), (zone_id(500),), (zone_id(501),)]
        self.assertEqual(self.db.execute(join).fetchall(), expected)
        self.assertEqual([q for q, _ in self.zones_log()],
                         ["page=%d&per_page=50" % p for p in (1, 2, 3)])
        self.db.execute("ANALYZE temp")
        self.fake.clear_log()
        self.assertEqual(self.db.execute(join).fetchall(), expected)
        self.assertEqual([q for q, _ in self.zones_log()],
                         ["page=1&per_page=50&name=zone-010.example",
                          "page=1&per_page=50&name=shared.example"])


class CredentialTests(ZonesTestCase):
    def test_without_credentials_nothing_is_sent(self):
        self.setenv("CLOUDFLARE_API_TOKEN", None)
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.rows()
        self.assertIn("cloudflare_zones: no API credentials", str(cm.exception))
        self.assertEqual(self.zones_log(), [])

    def test_a_refused_token_is_the_apis_error(self):
        self.db.execute("SELECT cfregions_set_token(?)", ("not-a-token-of-the-fake",))
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.rows()
        self.assertIn("failed with HTTP 403: code 10000 Authentication error", str(cm.exception))
        self.assertNotIn("not-a-token", str(cm.exception))

    def test_a_view_cannot_read_the_table(self):
        # SQLITE_VTAB_DIRECTONLY: no view in a database reads it (test_trust.py: nor one of a
        # crafted file). SQLite exempts TEMP views and triggers: the application made them.
        self.fake.set_zones(many_zones(3))
        self.db.execute("CREATE VIEW v AS SELECT * FROM cloudflare_zones")
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("SELECT * FROM v").fetchall()
        self.assertIn("unsafe use of virtual table", str(cm.exception))
        self.assertEqual(self.zones_log(), [])


class RateBudgetTests(ZonesTestCase):
    """A listing of 10 pages under a limit of 4 requests a second."""

    def setUp(self):
        super().setUp()
        self.fake.set_zones(many_zones(10 * PAGE))
        self.addCleanup(self.fake.clear_rate_limit)
        self.fake.rate_limit(4, 1)
        self.fake.clear_log()

    def list_under_the_budget(self):
        """Lists with CLOUDFLARE_RATE_LIMIT equal to the fake's limit; the seconds it took."""
        self.setenv("CLOUDFLARE_RATE_LIMIT", "4/1")
        start = time.monotonic()
        self.assertEqual(self.db.execute("SELECT count(*) FROM cloudflare_zones").fetchone(),
                         (10 * PAGE,))
        return time.monotonic() - start

    def test_a_budget_equal_to_the_apis_limit_paces_the_listing(self):
        elapsed = self.list_under_the_budget()
        self.assertGreaterEqual(elapsed, 2.0)  # 4 now, 4 a second later, 2 a second after that
        self.assertEqual(sorted(set(self.zones_log()) - {(q, 429) for q, _ in self.zones_log()}),
                         sorted(("page=%d&per_page=50" % p, 200) for p in range(1, 11)))

    # The API counts a request when it arrives, which may be well after it started (a new
    # connection): the budget holds a slot from an attempt's start until a window after its end, so
    # the API never finds its window full.
    def test_a_budget_equal_to_the_apis_limit_draws_no_429(self):
        self.list_under_the_budget()
        self.assertEqual([s for _, s in self.zones_log()], [200] * 10)

    def test_without_the_budget_the_api_refuses_some(self):
        # The contrast: the default budget (1,200 per 5 minutes) sends the pages at once.
        self.db.execute("SELECT count(*) FROM cloudflare_zones").fetchall()
        self.assertIn(429, [s for _, s in self.zones_log()])


class HostileTests(unittest.TestCase):
    """Zone pages no valid API sends, from test/hostile_server.py (/zones-page)."""

    @classmethod
    def setUpClass(cls):
        server = subprocess.Popen([sys.executable, HOSTILE_SERVER, "--port", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

        def stop():
            server.terminate()
            server.wait(10)
            server.stdout.close()
        cls.addClassCleanup(stop)
        found = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline().decode())
        if not found:
            raise RuntimeError("hostile server did not start")
        cls.origin = found.group(0)
        saved = {k: v for k, v in os.environ.items() if k.startswith("CLOUDFLARE_")}

        def restore():
            for k in [k for k in os.environ if k.startswith("CLOUDFLARE_")]:
                del os.environ[k]
            os.environ.update(saved)
        cls.addClassCleanup(restore)
        for k in saved:
            del os.environ[k]
        os.environ["CLOUDFLARE_API_TOKEN"] = TOKEN

    def setUp(self):
        self.db = sqlite3.connect(":memory:")
        self.addCleanup(self.db.close)
        self.db.enable_load_extension(True)
        self.db.load_extension(so_path())
        urllib.request.urlopen(urllib.request.Request(self.origin + "/__hostile/requests",
                                                      method="DELETE"), timeout=10).close()

    def requests_seen(self):
        with urllib.request.urlopen(self.origin + "/__hostile/requests", timeout=10) as r:
            return sum(json.loads(r.read()).values())

    def select(self, behaviour, sql="SELECT * FROM cloudflare_zones"):
        os.environ["CLOUDFLARE_BASE_URL"] = "%s/zones-page/%s" % (self.origin, behaviour)
        return self.db.execute(sql).fetchall()

    def refused(self, behaviour, *words):
        """The listing fails with an error holding words, with no raw control character."""
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select(behaviour)
        error = str(cm.exception)
        self.assertTrue(error.startswith("cloudflare_zones: GET /zones?page="), error)
        for w in words:
            self.assertIn(w, error)
        found = RAW.search(error)
        self.assertIsNone(found, "raw %r in: %s" % (found and found.group(), error))
        self.assertLess(len(error), 600)
        return error

    def test_valid_pages_are_listed(self):
        # The baseline for the cases below: the same behaviour, unspoiled, gives rows.
        rows = self.select("total_pages=3")
        self.assertEqual(len(rows), 3 * PAGE)
        self.assertEqual(len({r[0] for r in rows}), 3 * PAGE)
        self.assertEqual(self.requests_seen(), 3)

    def test_a_32_mib_page(self):
        self.refused("mib=32", "response exceeded the limit of %d bytes" % CAP_PAGE)

    def test_a_page_of_empty_objects(self):
        self.refused("mib=1.5/empty=1", "more JSON values than a valid answer holds")

    def test_empty_objects_are_not_zones(self):
        self.refused("empty=1", 'unexpected response: a zone with no "id" (item 0)')

    def test_more_zones_than_a_page_holds(self):
        self.refused("zones=51", "unexpected response: result is not an array of at most 50 "
                                 "zones")

    def test_more_pages_than_a_listing_may_have(self):
        self.refused("total_pages=2001",
                     "result_info.total_pages missing or above 2000 (100000 zones)")
        self.assertEqual(self.requests_seen(), 1)

    def test_an_id_that_is_not_hex(self):
        self.refused("field=id/text=0123456789abcdef0123456789abcdeg",
                     "a zone with an unusable \"id\": '0123456789abcdef0123456789abcdeg' (item 0)")

    def test_ids_are_shown_in_lowercase(self):
        rows = self.select("zones=1/field=id/text=%s" % ("AB" * 16),
                           "SELECT id FROM cloudflare_zones")
        self.assertEqual(rows, [("ab" * 16,)])

    def test_escapes_in_a_name(self):
        self.refused("field=name/json=valid", "a zone with an unusable \"name\": 'bad "
                             "\\x1b[31mred\\x1b[0m text\\r\\nX-Injected: 1\\r\\n")

    def test_escapes_that_are_not_json(self):
        self.refused("field=name", "malformed JSON")

    def test_unusable_fields(self):
        for field, text in (("account.id", "acme"), ("account.name", "Acme%E2%80%AE"),
                            ("plan.name", "Free%C2%85Website"), ("status", "Active"),
                            ("paused", "no"), ("modified_on", "yesterday"),
                            ("name", "x" * 254)):
            with self.subTest(field=field):
                self.refused("field=%s/text=%s" % (field, text),
                             "a zone with an unusable \"%s\"" % field)

    def test_a_zone_listed_twice_is_kept_once(self):
        # Zones added while the pages are read shift the others: a zone may come twice.
        rows = self.select("total_pages=3/same=1", "SELECT id FROM cloudflare_zones")
        self.assertEqual(len(rows), PAGE)
        self.assertEqual(len(set(rows)), PAGE)
        self.assertEqual(self.requests_seen(), 3)


if __name__ == "__main__":
    main()
