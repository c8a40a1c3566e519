#!/usr/bin/env python3
"""Tests of the fake Cloudflare API's zone listing (GET /zones, PUT /__fake/zones) and rate limit
(--rate-limit, /__fake/rate_limit); standard library only:

    python3 test/test_fake_zones.py [ignored/path/to/cfregions.so] [unittest options]

(test/run-python.sh hands every test file the extension's path; these tests do not need it.)
"""

import math
import random
import subprocess
import sys
import time
import unittest

from support import fake_own_tests as base  # the fake's process and client helpers

ZONES = "/client/v4/zones"
V2 = base.V2
ACME = {"id": "aa000000000000000000000000000001", "name": "Acme Corp"}
BETA = {"id": "bb000000000000000000000000000002", "name": "Beta Ltd"}
THROTTLED = [{"code": 971, "message": "Please wait and consider throttling your request speed"}]
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"


def zone_id(n):
    return "%032x" % (0xc0de0000 + n)


def many_zones(count):
    """count zones named zone-000.example, …, alternately in ACME and BETA, in shuffled order."""
    zones = [{"id": zone_id(i), "name": "zone-%03d.example" % i, "account": ACME if i % 2 else BETA}
             for i in range(count)]
    random.Random(count).shuffle(zones)
    return zones


class ZoneTest(base.FakeTest):
    def seed_zones(self, zones):
        return self.ctl("PUT", "/__fake/zones", zones)

    def listing(self, query="", path=ZONES):
        """GET /zones?query: (result, result_info), asserting a successful envelope."""
        resp = self.req("GET", path + ("?" + query if query else ""))
        result = self.assertOk(resp)
        return result, resp.doc["result_info"]

    def names(self, query=""):
        return [z["name"] for z in self.listing(query)[0]]

    def assertParamError(self, query, param):
        resp = self.req("GET", ZONES + "?" + query)
        self.assertEqual(resp.status, 400, query)
        self.assertEqual(resp.doc["success"], False)
        self.assertEqual(resp.doc["errors"][0]["code"], 1001)
        self.assertIn(param, resp.doc["errors"][0]["message"])


class TestZoneObjects(ZoneTest):
    def test_empty_until_seeded(self):
        resp = self.req("GET", ZONES)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.doc, {"success": True, "errors": [], "messages": [], "result": [],
                                    "result_info": {"page": 1, "per_page": 20, "count": 0,
                                                    "total_count": 0, "total_pages": 0}})

    def test_zone_has_cloudflare_shape(self):
        self.seed_zones([{"id": base.ZONE.upper(), "name": "example.com", "status": "active",
                          "account": {"id": ACME["id"].upper(), "name": "Acme Corp"},
                          "plan": {"name": "Pro Website"}}])
        (zone,), _info = self.listing()
        self.assertLessEqual({
            "id", "name", "status", "paused", "type", "development_mode", "name_servers",
            "original_name_servers", "original_registrar", "original_dnshost", "modified_on",
            "created_on", "activated_on", "meta", "owner", "account", "permissions", "plan"},
            set(zone))
        self.assertEqual((zone["id"], zone["name"], zone["status"], zone["paused"], zone["type"],
                          zone["development_mode"]),
                         (base.ZONE, "example.com", "active", False, "full", 0))
        self.assertEqual(zone["account"], ACME)  # ids are lowercased like the API's
        self.assertTrue(zone["name_servers"])
        self.assertTrue(all(ns.endswith(".ns.cloudflare.com") for ns in zone["name_servers"]))
        for key in ("original_name_servers", "original_registrar", "original_dnshost"):
            self.assertIsNone(zone[key])
        self.assertRegex(zone["created_on"], TIME_RE)
        self.assertEqual(zone["modified_on"], zone["created_on"])
        self.assertEqual(zone["activated_on"], zone["created_on"])  # active since created
        self.assertIsInstance(zone["meta"], dict)
        self.assertEqual(zone["owner"]["type"], "user")
        self.assertIsInstance(zone["permissions"], list)
        plan = zone["plan"]
        self.assertRegex(plan.pop("id"), r"^[0-9a-f]{32}$")
        self.assertEqual(plan, {"name": "Pro Website", "price": 20, "currency": "USD",
                                "frequency": "monthly", "is_subscribed": True,
                                "can_subscribe": True, "legacy_id": "pro",
                                "legacy_discount": False, "externally_managed": False})

    def test_defaults_and_optional_fields(self):
        self.seed_zones([
            {"id": zone_id(1), "name": "a.example"},
            {"id": zone_id(2), "name": "b.example", "status": "pending", "type": "partial",
             "paused": True, "plan": {"name": "Enterprise Website"}},
            {"id": zone_id(3), "name": "c.example", "created_on": "2024-01-02T03:04:05.000006Z",
             "modified_on": "2025-01-01T00:00:00Z", "activated_on": None},
            {"id": zone_id(4), "name": "d.example", "status": "moved",
             "activated_on": "2020-01-01T00:00:00Z", "plan": {"name": "Team Plan"}}])
        a, b, c, d = self.listing()[0]
        self.assertEqual(a["status"], "active")
        self.assertRegex(a["account"]["id"], r"^[0-9a-f]{32}$")
        self.assertTrue(a["account"]["name"])
        self.assertEqual(a["plan"]["id"], "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
        self.assertEqual((a["plan"]["name"], a["plan"]["legacy_id"], a["plan"]["price"]),
                         ("Free Website", "free", 0))
        self.assertEqual((b["status"], b["type"], b["paused"], b["activated_on"]),
                         ("pending", "partial", True, None))
        self.assertEqual(b["plan"]["legacy_id"], "enterprise")
        self.assertEqual((c["created_on"], c["modified_on"], c["activated_on"]),
                         ("2024-01-02T03:04:05.000006Z", "2025-01-01T00:00:00Z", None))
        self.assertEqual(d["activated_on"], "2020-01-01T00:00:00Z")
        self.assertRegex(d["plan"]["id"], r"^[0-9a-f]{32}$")
        self.assertEqual((d["plan"]["name"], d["plan"]["legacy_id"], d["plan"]["price"]),
                         ("Team Plan", "team", 0))

    def test_root_path_and_control_view(self):
        self.seed_zones(many_zones(7))
        listed = self.listing()[0]
        self.assertEqual(self.listing(path="/zones")[0], listed)
        self.assertEqual(self.ctl("GET", "/__fake/zones"), listed)

    def test_seeding_replaces_reset_empties_and_mappings_do_not_depend_on_it(self):
        self.assertEqual(self.seed_zones(many_zones(7)), {"ok": True, "count": 7})
        self.seed_zones([{"id": zone_id(99), "name": "only.example"}])
        self.assertEqual(self.names(), ["only.example"])
        # a 32-hex zone id that is not listed still holds mappings
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))
        self.assertEqual(len(self.mappings()), 1)
        self.ctl("POST", "/__fake/reset")
        self.assertEqual(self.names(), [])
        self.assertEqual(self.ctl("GET", "/__fake/zones"), [])

    def test_bad_seed_documents(self):
        self.seed_zones([{"id": zone_id(1), "name": "kept.example"}])
        ok = {"id": zone_id(2), "name": "b.example"}
        cases = [
            ({}, "array"), ([7], "object"), ([{"name": "a.example"}], "'id'"),
            ([{"id": "023e105f4ecef8ad9ca31a8372d0c35", "name": "a"}], "'id'"),
            ([{"id": zone_id(1)}], "'name'"), ([{"id": zone_id(1), "name": ""}], "'name'"),
            ([dict(ok, status="gone")], "'status'"), ([dict(ok, type="cdn")], "'type'"),
            ([dict(ok, paused="yes")], "'paused'"), ([dict(ok, plan="Pro")], "'plan'"),
            ([dict(ok, plan={"id": "x"})], "'plan'"), ([dict(ok, account={"id": ACME["id"]})],
                                                       "'name'"),
            ([dict(ok, account={"id": "acme", "name": "Acme"})], "'id'"),
            ([dict(ok, account=dict(ACME, tag="x"))], "'account'"),
            ([dict(ok, owner={})], "'owner'"), ([dict(ok, created_on=5)], "'created_on'"),
            ([ok, dict(ok, id=ok["id"].upper(), name="c.example")], "duplicate id"),
        ]
        for doc, text in cases:
            with self.subTest(doc=doc):
                status, answer = self.c.json("PUT", "/__fake/zones", doc, auth=False)
                self.assertEqual(status, 400)
                self.assertIn(text, answer["error"])
                self.assertRegex(answer["error"], r"^zone \d+: |^body must be")
        self.assertEqual(self.names(), ["kept.example"])


class TestZonePaging(ZoneTest):
    def setUp(self):
        super().setUp()
        self.seed_zones(many_zones(137))
        self.all = ["zone-%03d.example" % i for i in range(137)]

    def test_default_pages_walk_to_the_end_in_name_order(self):
        got = []
        for page in range(1, 8):
            result, info = self.listing("page=%d" % page)
            self.assertEqual(info, {"page": page, "per_page": 20, "count": len(result),
                                    "total_count": 137, "total_pages": 7})
            got += [z["name"] for z in result]
        self.assertEqual(got, self.all)

    def test_page_past_the_end_is_empty(self):
        for query, page in (("page=8", 8), ("per_page=50&page=4", 4), ("page=999999", 999999)):
            result, info = self.listing(query)
            self.assertEqual(result, [])
            self.assertEqual((info["page"], info["count"], info["total_count"]), (page, 0, 137))

    def test_per_page_is_clamped_to_5_through_50(self):
        for asked, used in (("1", 5), ("0", 5), ("4", 5), ("5", 5), ("37", 37), ("50", 50),
                            ("51", 50), ("1000", 50), ("", 20)):
            with self.subTest(per_page=asked):
                result, info = self.listing("per_page=" + asked)
                self.assertEqual((info["per_page"], info["count"], info["total_pages"]),
                                 (used, used, math.ceil(137 / used)))
                self.assertEqual([z["name"] for z in result], self.all[:used])

    def test_parameter_errors(self):
        for query in ("per_page=abc", "per_page=-5", "per_page=2.5", "page=0", "page=-1",
                      "page=x"):
            with self.subTest(query=query):
                self.assertParamError(query, query.split("=")[0])

    def test_ties_on_name_are_ordered_by_id_whatever_the_seeding_order(self):
        same = [{"id": zone_id(3), "name": "dup.example", "account": BETA},
                {"id": zone_id(1), "name": "dup.example", "account": ACME},
                {"id": zone_id(2), "name": "a.example"}]
        for doc in (same, same[::-1]):
            self.seed_zones(doc)
            self.assertEqual([z["id"] for z in self.listing()[0]],
                             [zone_id(2), zone_id(1), zone_id(3)])


class TestZoneFilters(ZoneTest):
    def setUp(self):
        super().setUp()
        self.seed_zones([
            {"id": zone_id(1), "name": "shop.example.com", "account": ACME},
            {"id": zone_id(2), "name": "Blog.Example.NET", "account": ACME, "status": "pending"},
            {"id": zone_id(3), "name": "example.org", "account": BETA,
             "plan": {"name": "Business Website"}},
            {"id": zone_id(4), "name": "old.example.com", "account": BETA, "status": "moved",
             "type": "partial"},
            {"id": zone_id(5), "name": "internal.example", "account": BETA, "type": "internal"},
        ])

    def test_name_exact_ignores_case(self):
        self.assertEqual(self.names("name=example.org"), ["example.org"])
        self.assertEqual(self.names("name=blog.example.net"), ["Blog.Example.NET"])
        self.assertEqual(self.names("name=equal:EXAMPLE.ORG"), ["example.org"])
        self.assertEqual(self.names("name=example"), [])

    def test_name_operators(self):
        cases = {
            "contains:example.com": ["old.example.com", "shop.example.com"],
            "contains:EXAMPLE.N": ["Blog.Example.NET"],
            "starts_with:s": ["shop.example.com"], "ends_with:.COM": ["old.example.com",
                                                                      "shop.example.com"],
            "not_equal:example.org": ["Blog.Example.NET", "old.example.com", "shop.example.com"],
            "contains_case_sensitive:Example": ["Blog.Example.NET"],
            "starts_with_case_sensitive:blog": [], "ends_with_case_sensitive:NET":
                ["Blog.Example.NET"],
            "greater_than:a": [],  # not an operator we know: the whole text is the exact name
        }
        for spec, names in cases.items():
            with self.subTest(name=spec):
                self.assertEqual(self.names("name=" + spec), names)

    def test_status_account_and_type(self):
        self.assertEqual(self.names("status=pending"), ["Blog.Example.NET"])
        self.assertEqual(self.names("account.id=" + BETA["id"]), ["example.org", "old.example.com"])
        self.assertEqual(self.names("account.id=" + BETA["id"].upper()),
                         ["example.org", "old.example.com"])
        self.assertEqual(self.names("account.name=acme%20corp"), ["Blog.Example.NET",
                                                                  "shop.example.com"])
        self.assertEqual(self.names("account.name=starts_with:Be"), ["example.org",
                                                                     "old.example.com"])
        # internal zones only when asked for; type takes a list
        self.assertEqual(self.names("type=internal"), ["internal.example"])
        self.assertEqual(self.names("type=partial,internal"), ["internal.example",
                                                               "old.example.com"])
        self.assertEqual(self.names("type=partial&type=internal"), ["internal.example",
                                                                    "old.example.com"])

    def test_filters_combine_with_match_and_paging(self):
        query = "account.id=%s&status=active" % ACME["id"]
        self.assertEqual(self.names(query), ["shop.example.com"])
        self.assertEqual(self.names(query + "&match=all"), ["shop.example.com"])
        self.assertEqual(self.names(query + "&match=any"), ["Blog.Example.NET", "example.org",
                                                            "shop.example.com"])
        result, info = self.listing("name=contains:example&per_page=5&page=1")
        self.assertEqual((info["count"], info["total_count"], info["total_pages"]), (4, 4, 1))

    def test_order_and_direction(self):
        self.assertEqual(self.names("direction=desc"), ["shop.example.com", "old.example.com",
                                                        "example.org", "Blog.Example.NET"])
        self.assertEqual(self.names("order=status"), ["example.org", "shop.example.com",
                                                      "old.example.com", "Blog.Example.NET"])
        self.assertEqual(self.names("order=account.name&direction=asc"), [
            "Blog.Example.NET", "shop.example.com", "example.org", "old.example.com"])
        self.assertEqual(self.names("order=plan.id")[-1], "example.org")  # free plan is 0fee…

    def test_invalid_values(self):
        for query in ("status=gone", "order=id", "direction=up", "match=some", "type=cdn"):
            with self.subTest(query=query):
                self.assertParamError(query, query.split("=")[0])


class TestZonesAsAnApiPath(ZoneTest):
    def test_credentials_required(self):
        self.seed_zones(many_zones(3))
        self.assertFails(self.req("GET", ZONES, auth=False), 403, base.AUTH_ERROR)
        self.assertFails(self.req("GET", "/zones", auth=False,
                                  headers={"Authorization": "Bearer wrong"}), 403, base.AUTH_ERROR)
        self.assertEqual(len(self.assertOk(self.req("GET", ZONES, auth=False, headers={
            "X-Auth-Email": "user@example.com", "X-Auth-Key": "global-key"}))), 3)

    def test_other_methods_and_paths_are_not_routed(self):
        for method, path in (("POST", ZONES), ("DELETE", ZONES), ("GET", ZONES + "/"),
                             ("GET", ZONES + "/" + base.ZONE)):
            with self.subTest(method=method, path=path):
                resp = self.req(method, path, {} if method == "POST" else None)
                self.assertEqual(resp.status, 400)
                self.assertEqual([e["code"] for e in resp.doc["errors"]], [7003, 7000])

    def test_logged_like_any_request(self):
        self.req("GET", ZONES + "?name=a.example&per_page=5")
        self.req("GET", "/zones", auth=False)
        self.req("GET", ZONES + "?page=0")
        log = self.ctl("GET", "/__fake/requests")
        self.assertEqual([(e["method"], e["path"], e["query"], e["status"], e["items"])
                          for e in log], [
            ("GET", ZONES, "name=a.example&per_page=5", 200, 0),
            ("GET", "/zones", "", 403, 0),
            ("GET", ZONES, "page=0", 400, 0)])

    def test_faults_apply(self):
        self.seed_zones(many_zones(3))
        self.ctl("POST", "/__fake/faults", {"rules": [
            {"path_contains": "/zones", "count": 1, "status": 503},
            {"path_contains": "/zones", "after": 1, "count": 1, "mode": "wrong_shape"}]})
        self.assertFails(self.req("GET", ZONES), 503, [{"code": 1000, "message": "Internal error."}])
        self.assertEqual(self.assertOk(self.req("GET", ZONES)), [{"unexpected": True}])
        self.assertEqual(len(self.assertOk(self.req("GET", ZONES))), 3)


class TestRateLimit(base.FakeTest):
    """The shared fake has no limit of its own: each test sets one (reset removes it)."""

    def limit(self, requests, seconds):
        self.ctl("POST", "/__fake/rate_limit", {"requests": requests, "seconds": seconds})

    def get(self):
        return self.req("GET", V2)

    def assertThrottled(self, resp, low, high):
        """A 429 with code 971 and a Retry-After of whole seconds in [low, high]."""
        self.assertFails(resp, 429, THROTTLED)
        retry = resp.getheader("Retry-After")
        self.assertRegex(retry, r"^[1-9][0-9]*$")
        self.assertTrue(low <= int(retry) <= high, (retry, low, high))
        return int(retry)

    def test_n_requests_pass_then_429_with_retry_after(self):
        self.limit(3, 5)
        t0 = time.monotonic()
        self.assertEqual([self.get().status for _ in range(3)], [200, 200, 200])
        resp = self.get()
        elapsed = time.monotonic() - t0
        self.assertThrottled(resp, math.ceil(5 - elapsed), 5)  # until the first one leaves

    def test_retry_after_is_at_least_one_second(self):
        self.limit(1, 0.3)
        self.assertOk(self.get())
        self.assertThrottled(self.get(), 1, 1)

    def test_refused_requests_do_not_count_so_waiting_as_told_gets_through(self):
        self.limit(2, 1)
        self.assertOk(self.get())
        self.assertOk(self.get())
        for _ in range(5):
            retry = self.assertThrottled(self.get(), 1, 1)
        time.sleep(retry)
        self.assertOk(self.get())

    def test_the_window_slides(self):
        self.limit(2, 2)
        t0 = time.monotonic()
        self.assertOk(self.get())                                       # A, leaves at ~2.0
        time.sleep(1.0)
        self.assertOk(self.get())                                       # B, leaves at ~3.0
        self.assertThrottled(self.get(), 1, 1)                          # A still counts
        time.sleep(max(0.0, 2.4 - (time.monotonic() - t0)))
        self.assertOk(self.get())                                       # A left: one free slot
        self.assertThrottled(self.get(), 1, 1)                          # B and D fill it again

    def test_every_api_request_counts_and_refusals_are_logged(self):
        self.limit(3, 60)
        self.assertEqual(self.req("GET", V2, auth=False).status, 403)
        self.assertEqual(self.req("GET", "/client/v4/zones/nope/origin/cloud_regions").status, 400)
        self.assertEqual(self.req("GET", ZONES).status, 200)
        self.assertThrottled(self.req("PUT", V2 + "/batch", [self.entry("192.0.2.1")]), 59, 60)
        self.assertEqual(self.mappings(), [])  # a refused write changes nothing
        log = self.ctl("GET", "/__fake/requests")
        self.assertEqual([(e["method"], e["status"], e["items"]) for e in log],
                         [("GET", 403, 0), ("GET", 400, 0), ("GET", 200, 0), ("PUT", 429, 1)])

    def test_control_paths_never_count(self):
        self.limit(1, 60)
        for _ in range(10):
            self.ctl("GET", "/__fake/requests")
            self.seed(base.ZONE, [self.entry("192.0.2.1")])
            self.ctl("PUT", "/__fake/zones", [])
        self.assertEqual(self.ctl("GET", "/__fake/rate_limit"),
                         {"requests": 1, "seconds": 60, "in_window": 0})
        self.assertOk(self.get())
        self.assertEqual(self.ctl("GET", "/__fake/rate_limit")["in_window"], 1)
        self.assertThrottled(self.get(), 59, 60)

    def test_delete_and_reset_remove_it_and_post_starts_a_fresh_window(self):
        self.limit(1, 60)
        self.assertOk(self.get())
        self.assertThrottled(self.get(), 59, 60)
        self.limit(2, 60)  # replaces the limit and forgets the requests seen so far
        self.assertOk(self.get())
        self.assertOk(self.get())
        self.assertThrottled(self.get(), 59, 60)
        self.ctl("DELETE", "/__fake/rate_limit")
        self.assertEqual([self.get().status for _ in range(5)], [200] * 5)
        self.assertEqual(self.ctl("GET", "/__fake/rate_limit"),
                         {"requests": None, "seconds": None, "in_window": 0})
        self.limit(1, 60)
        self.assertOk(self.get())
        self.ctl("POST", "/__fake/reset")
        self.assertEqual([self.get().status for _ in range(3)], [200] * 3)

    def test_refused_requests_do_not_reach_the_faults(self):
        self.limit(1, 60)
        self.ctl("POST", "/__fake/faults", {"rules": [{"count": 1, "status": 503}]})
        self.assertEqual(self.get().status, 503)  # admitted, then faulted
        self.assertThrottled(self.get(), 59, 60)   # refused before the fault rules
        self.ctl("DELETE", "/__fake/rate_limit")
        self.assertOk(self.get())  # the rule applied once only

    def test_bad_documents(self):
        for doc in ([], {}, {"requests": 2}, {"requests": 0, "seconds": 1},
                    {"requests": 1.5, "seconds": 1}, {"requests": True, "seconds": 1},
                    {"requests": "2", "seconds": 1}, {"requests": 1, "seconds": 0},
                    {"requests": 1, "seconds": -1}, {"requests": 1, "seconds": "1"},
                    {"requests": 1, "seconds": 1, "burst": 2}):
            with self.subTest(doc=doc):
                status, answer = self.c.json("POST", "/__fake/rate_limit", doc, auth=False)
                self.assertEqual(status, 400)
                self.assertIn('"requests"', answer["error"])
        self.assertEqual(self.ctl("GET", "/__fake/rate_limit")["requests"], None)
        status, _ = self.c.json("PUT", "/__fake/rate_limit", {"requests": 1, "seconds": 1},
                                auth=False)
        self.assertEqual(status, 404)


class TestRateLimitFlag(unittest.TestCase):
    def test_command_line_limit_survives_reset_until_deleted(self):
        proc, port = base.start_fake("--token", base.TOKEN, "--rate-limit", "2/30")
        c = base.Client(port)
        try:
            def statuses(n):
                return [c.request("GET", V2).status for _ in range(n)]
            self.assertEqual(json_of(c, "GET", "/__fake/rate_limit"),
                             {"requests": 2, "seconds": 30, "in_window": 0})
            self.assertEqual(statuses(3), [200, 200, 429])
            json_of(c, "POST", "/__fake/reset")  # keeps the command line's limit, empties the window
            self.assertEqual(statuses(3), [200, 200, 429])
            json_of(c, "DELETE", "/__fake/rate_limit")
            self.assertEqual(statuses(4), [200] * 4)
            json_of(c, "POST", "/__fake/reset")
            self.assertEqual(statuses(3), [200, 200, 429])
        finally:
            c.close()
            _rc, out, err = base.stop_fake(proc)
            base.OUTPUT.append(out + err)

    def test_fractional_seconds(self):
        proc, port = base.start_fake("--rate-limit", "1/0.5")
        c = base.Client(port)
        try:
            self.assertEqual(json_of(c, "GET", "/__fake/rate_limit")["seconds"], 0.5)
            self.assertEqual(c.request("GET", V2, auth=False, headers={
                "Authorization": "Bearer test-token"}).status, 200)
            resp = c.request("GET", V2, auth=False, headers={"Authorization": "Bearer test-token"})
            self.assertEqual((resp.status, resp.getheader("Retry-After")), (429, "1"))
        finally:
            c.close()
            base.stop_fake(proc)

    def test_bad_flags(self):
        for value in ("0/5", "2", "2/0", "a/b", "2/-1", "-1/5", "2/5s"):
            with self.subTest(value=value):
                r = subprocess.run([sys.executable, base.FAKE, "--rate-limit", value],
                                   capture_output=True, text=True, timeout=10)
                self.assertEqual(r.returncode, 2)
                self.assertIn("--rate-limit", r.stderr)


def json_of(client, method, path):
    resp = client.request(method, path, auth=False)
    if resp.status != 200:
        raise AssertionError("%s %s: %d %r" % (method, path, resp.status, resp.data))
    return resp.doc


if __name__ == "__main__":
    base.main((base.TOKEN, "global-key"))
