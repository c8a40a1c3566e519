#!/usr/bin/env python3
"""Tests of the fake Cloudflare API's mapping endpoints (test/fake_cloudflare.py): v1 and v2 reads
and writes, single and batched, their errors, the 3,500-mapping limit, and the IP canonicalizer they
share; standard library only:

    python3 test/test_fake_mappings.py [ignored/path/to/cfregions.so] [unittest options]

The server around them (credentials, routing, faults, control paths) is tested in
test/test_fake_server.py.
"""

import json
import os
import unittest

from support.fake_own_tests import (INVALID_IP, LIMIT, MALFORMED, NOT_FOUND, TOKEN, V1, V2,
                                    VENDOR_REGION, ZONE, ZONE2, FakeTest, main)
import fake_cloudflare  # the canonicalizer is tested directly too

HERE = os.path.dirname(os.path.abspath(__file__))


class TestCanonicalIp(unittest.TestCase):
    def test_valid(self):
        cases = {
            "192.0.2.1": "192.0.2.1", "0.0.0.0": "0.0.0.0", "255.255.255.255": "255.255.255.255",
            "2001:DB8::1": "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001": "2001:db8::1",
            "2001:db8:0:0:1:0:0:1": "2001:db8::1:0:0:1", "2001:db8:0:1:1:1:1:1": "2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1": "2001:0:0:1::1", "::": "::", "::1": "::1", "1::": "1::",
            "0:0:0:0:0:0:0:1": "::1", "fe80:0:0:0:0:0:0:0": "fe80::",
            "::ffff:192.0.2.1": "::ffff:192.0.2.1", "::FFFF:c000:0201": "::ffff:192.0.2.1",
            "0:0:0:0:0:ffff:192.0.2.1": "::ffff:192.0.2.1", "::192.0.2.1": "::c000:201",
            "64:ff9b::192.0.2.1": "64:ff9b::c000:201", "::ffff:0:192.0.2.1": "::ffff:0:c000:201",
            "2001:db8::0:1": "2001:db8::1",
        }
        for text, want in cases.items():
            with self.subTest(text=text):
                self.assertEqual(fake_cloudflare.canonical_ip(text), want)

    def test_invalid(self):
        for text in ("", " 192.0.2.1", "192.0.2.1 ", "192.0.2.1/32", "2001:db8::/32",
                     "fe80::1%eth0", "fe80::1%25eth0", "192.0.2.01", "01.2.3.4", "::ffff:01.2.3.4",
                     "192.0.2", "192.0.2.1.5", "192.0.2.256", "1.2.3.4.", "2001:db8:::1",
                     "2001:db8::1::1", "12345::1", "g::1", "1:2:3:4:5:6:7:8:9", "localhost",
                     "١٩٢.0.2.1", "0x7f.0.0.1", "[2001:db8::1]", "3232235521", None, 42):
            with self.subTest(text=text):
                self.assertIsNone(fake_cloudflare.canonical_ip(text))


class TestV1(FakeTest):
    def test_supported_regions(self):
        with open(os.path.join(HERE, "..", "sql", "supported_regions.json")) as f:
            regions = json.load(f)
        self.assertEqual(self.assertOk(self.req("GET", V1 + "/supported_regions")), regions)
        self.assertEqual(self.assertOk(self.req("GET", V2 + "/supported_regions")), regions)

    def test_empty_list(self):
        self.assertEqual(self.assertOk(self.req("GET", V1)), {
            "id": "origin_public_cloud_region", "editable": True, "value": [], "modified_on": None})

    def test_create_get_delete(self):
        result = self.assertOk(self.req("POST", V1, {"ip": "2001:DB8:0::1", "vendor": "gcp",
                                                     "region": "us-central1"}))
        stamp = result["modified_on"]
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(result, {"id": "origin_public_cloud_region", "editable": True,
                                  "modified_on": stamp, "value": {
                                      "origin-ip": "2001:db8::1", "vendor": "gcp",
                                      "region": "us-central1", "modified_on": stamp}})
        self.assertEqual(self.assertOk(self.req("GET", V1 + "/2001:db8:0:0::1")), result)
        self.assertEqual(self.assertOk(self.req("GET", V1 + "/2001%3Adb8%3A%3A1")), result)
        self.assertFails(self.req("POST", V1, {"ip": "2001:db8::1", "vendor": "aws",
                                               "region": "us-east-1"}), 400, [
            {"code": 1145, "message": "Unable to create new origin_public_cloud_region setting. "
                                      "The zone setting already exists."}])
        self.assertEqual(self.assertOk(self.req("DELETE", V1 + "/2001:DB8::1")), result)
        self.assertFails(self.req("DELETE", V1 + "/2001:db8::1"), 404, [
            {"code": 1163, "message": "Unable to delete origin_public_cloud_region setting value. "
                                      "No mapping exists for the specified origin IP."}])
        self.assertFails(self.req("GET", V1 + "/2001:db8::1"), 404, NOT_FOUND)

    def test_last_delete_removes_rule_record(self):
        self.assertOk(self.req("POST", V1, self.entry("192.0.2.1", field="ip")))
        self.assertOk(self.req("POST", V1, self.entry("192.0.2.2", field="ip")))
        self.assertOk(self.req("DELETE", V1 + "/192.0.2.1"))
        self.assertIsNotNone(self.assertOk(self.req("GET", V1))["modified_on"])
        self.assertOk(self.req("DELETE", V1 + "/192.0.2.2"))
        self.assertEqual(self.assertOk(self.req("GET", V1)),
                         {"id": "origin_public_cloud_region", "editable": True, "value": [],
                          "modified_on": None})
        self.assertFails(self.req("GET", V1 + "/192.0.2.2"), 404, NOT_FOUND)

    def test_patch_upserts_and_returns_full_list(self):
        self.assertOk(self.req("PATCH", V1, self.entry("2001:db8::1", field="ip")))
        result = self.assertOk(self.req("PATCH", V1, self.entry("192.0.2.1", "oci", "us-ashburn-1",
                                                                field="ip")))
        self.assertEqual([(e["origin-ip"], e["vendor"]) for e in result["value"]],
                         [("192.0.2.1", "oci"), ("2001:db8::1", "aws")])
        result = self.assertOk(self.req("PATCH", V1, self.entry("192.0.2.1", "azure", "eastus",
                                                                field="ip")))
        self.assertEqual(result["value"][0]["vendor"], "azure")
        self.assertEqual(set(result), {"id", "editable", "value", "modified_on"})
        self.assertEqual(set(result["value"][0]), {"origin-ip", "vendor", "region", "modified_on"})

    def test_single_write_errors(self):
        for method in ("POST", "PATCH"):
            with self.subTest(method=method):
                for ip in ("192.0.2.01", "nope", "", None, "192.0.2.1/32", " 192.0.2.1"):
                    self.assertFails(self.req(method, V1, self.entry(ip, field="ip")), 400,
                                     INVALID_IP)
                self.assertFails(self.req(method, V1, {"vendor": "aws", "region": "us-east-1"}),
                                 400, INVALID_IP)
                self.assertFails(self.req(method, V1, self.entry("192.0.2.1")), 400, INVALID_IP)
                for vendor, region in (("aws", "us-central1"), ("ibm", "us-south"), ("AWS", "us-east-1"),
                                       ("aws", ""), ("", "us-east-1")):
                    self.assertFails(self.req(method, V1, self.entry("192.0.2.1", vendor, region,
                                                                     field="ip")),
                                     400, VENDOR_REGION)
                self.assertFails(self.req(method, V1, raw="{nope"), 400, MALFORMED)
                self.assertFails(self.req(method, V1, raw="NaN"), 400, MALFORMED)
                self.assertFails(self.req(method, V1, [self.entry("192.0.2.1", field="ip")]), 400,
                                 MALFORMED)
                self.assertFails(self.req(method, V1, {"ip": 3232235521, "vendor": "aws",
                                                       "region": "us-east-1"}), 400, MALFORMED)
                self.assertFails(self.req(method, V1, raw=b"\xff\xfe"), 400, MALFORMED)
                self.assertFails(self.req(method, V1), 400, INVALID_IP)
        self.assertEqual(self.mappings(), [])

    def test_invalid_path_ips(self):
        for ip in ("nope", "192.0.2.01", "192.0.2.1%2F32", "fe80::1%25eth0", "%20192.0.2.1"):
            self.assertFails(self.req("GET", V1 + "/" + ip), 400, INVALID_IP)
            self.assertFails(self.req("DELETE", V1 + "/" + ip), 400, INVALID_IP)

    def test_batch_upsert(self):
        self.assertOk(self.req("POST", V1, self.entry("192.0.2.1", field="ip")))
        self.ctl("POST", "/__fake/faults", {"reject_items": {"::FFFF:192.0.2.9": "no, thanks"}})
        result = self.assertOk(self.req("PATCH", V1 + "/batch", [
            self.entry("192.0.2.1", "gcp", "us-central1", field="ip"),
            self.entry("2001:0DB8::0001", field="ip"),
            self.entry("192.0.2.3", "aws", "mars-1", field="ip"),
            self.entry("192.0.2.004", field="ip"),
            self.entry("::ffff:192.0.2.9", field="ip"),
            {"vendor": "aws", "region": "us-east-1"},
        ]))
        stamp = result["modified_on"]
        self.assertIsNotNone(stamp)
        self.assertEqual(result, {"id": "origin_public_cloud_region", "editable": True,
                                  "modified_on": stamp, "value": {
            "succeeded": [{"origin-ip": "192.0.2.1", "vendor": "gcp", "region": "us-central1"},
                          {"origin-ip": "2001:db8::1", "vendor": "aws", "region": "us-east-1"}],
            "failed": [{"origin-ip": "192.0.2.3", "error": VENDOR_REGION[0]["message"]},
                       {"origin-ip": "192.0.2.004", "error": INVALID_IP[0]["message"]},
                       {"origin-ip": "::ffff:192.0.2.9", "error": "no, thanks"},
                       {"origin-ip": "", "error": INVALID_IP[0]["message"]}]}})
        self.assertEqual([(m["origin_ip"], m["vendor"]) for m in self.mappings()],
                         [("192.0.2.1", "gcp"), ("2001:db8::1", "aws")])

    def test_batch_nothing_applied_and_empty(self):
        result = self.assertOk(self.req("PATCH", V1 + "/batch", [self.entry("x", field="ip")]))
        self.assertIsNone(result["modified_on"])
        result = self.assertOk(self.req("PATCH", V1 + "/batch", []))
        self.assertEqual(result["value"], {"succeeded": [], "failed": []})
        self.assertIsNone(result["modified_on"])
        result = self.assertOk(self.req("DELETE", V1 + "/batch", []))
        self.assertEqual(result["value"], {"succeeded": [], "failed": []})

    def test_batch_duplicates_apply_in_order(self):
        result = self.assertOk(self.req("PATCH", V1 + "/batch", [
            self.entry("192.0.2.1", field="ip"), self.entry("192.0.2.001", field="ip"),
            self.entry("192.0.2.1", "gcp", "us-central1", field="ip")]))
        self.assertEqual(len(result["value"]["succeeded"]), 2)
        self.assertEqual(self.mappings()[0]["vendor"], "gcp")
        result = self.assertOk(self.req("DELETE", V1 + "/batch", ["192.0.2.1", "192.0.2.1"]))
        self.assertEqual([i["origin-ip"] for i in result["value"]["failed"]], ["192.0.2.1"])

    def test_batch_delete(self):
        self.seed(ZONE, [self.entry("192.0.2.1"), self.entry("2001:db8::1", "gcp", "us-central1")])
        result = self.assertOk(self.req("DELETE", V1 + "/batch", ["2001:DB8::1", "192.0.2.7",
                                                                  "bad", None]))
        self.assertEqual(result["value"], {
            "succeeded": [{"origin-ip": "2001:db8::1", "vendor": "gcp", "region": "us-central1"}],
            "failed": [{"origin-ip": "192.0.2.7",
                        "error": "No mapping exists for the specified origin IP."},
                       {"origin-ip": "bad", "error": INVALID_IP[0]["message"]},
                       {"origin-ip": "", "error": INVALID_IP[0]["message"]}]})
        self.assertIsNotNone(result["modified_on"])
        result = self.assertOk(self.req("DELETE", V1 + "/batch", ["192.0.2.1"]))
        self.assertEqual(self.assertOk(self.req("GET", V1))["modified_on"], None)

    def test_batch_request_errors(self):
        for method, path, item in (("PATCH", V1 + "/batch", self.entry("10.0.0.1", field="ip")),
                                   ("PUT", V2 + "/batch", self.entry("10.0.0.1")),
                                   ("DELETE", V1 + "/batch", "10.0.0.1"),
                                   ("DELETE", V2 + "/batch", "10.0.0.1")):
            with self.subTest(method=method, path=path):
                self.assertFails(self.req(method, path, [item] * 101), 400, [
                    {"code": 1146, "message": "too many items in batch request, the maximum is 100"}])
                self.assertOk(self.req(method, path, [item] * 100))
                self.assertFails(self.req(method, path), 400, INVALID_IP)
                self.assertFails(self.req(method, path, raw=""), 400, INVALID_IP)
                self.assertFails(self.req(method, path, raw="[1,"), 400, MALFORMED)
                self.assertFails(self.req(method, path, {"items": [item]}), 400, MALFORMED)
                self.assertFails(self.req(method, path, [item, 7]), 400, MALFORMED)
        self.assertFails(self.req("PUT", V2 + "/batch", [{"origin_ip": ["10.0.0.1"]}]), 400,
                         MALFORMED)


class TestV2(FakeTest):
    def test_put_get_delete(self):
        result = self.assertOk(self.req("PUT", V2 + "/2001:db8::1",
                                        self.entry("2001:DB8::0:1", "gcp", "us-central1")))
        self.assertEqual(set(result), {"origin_ip", "vendor", "region", "modified_on"})
        self.assertEqual(result["origin_ip"], "2001:db8::1")
        self.assertEqual(self.assertOk(self.req("GET", V2 + "/2001%3ADB8%3A%3A1")), result)
        self.assertEqual(self.assertOk(self.req("DELETE", V2 + "/2001:db8::1")),
                         {"origin_ip": "2001:db8::1"})
        self.assertFails(self.req("DELETE", V2 + "/2001:db8::1"), 404, NOT_FOUND)
        self.assertFails(self.req("GET", V2 + "/2001:db8::1"), 404, NOT_FOUND)

    def test_put_replaces(self):
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))
        result = self.assertOk(self.req("PUT", V2 + "/192.0.2.1",
                                        self.entry("192.0.2.1", "oci", "us-ashburn-1")))
        self.assertEqual((result["vendor"], result["region"]), ("oci", "us-ashburn-1"))
        self.assertEqual(len(self.mappings()), 1)

    def test_put_ipv4_mapped(self):
        result = self.assertOk(self.req("PUT", V2 + "/::ffff:c000:201",
                                        self.entry("::FFFF:192.0.2.1")))
        self.assertEqual(result["origin_ip"], "::ffff:192.0.2.1")

    def test_put_errors(self):
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.2")), 400,
                         [{"code": 1146, "message": "body origin_ip does not match URL"}])
        self.assertFails(self.req("PUT", V2 + "/nope", self.entry("192.0.2.2")), 400, INVALID_IP)
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.01")), 400,
                         INVALID_IP)
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1", field="ip")),
                         400, INVALID_IP)
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1", "aws", "eastus")),
                         400, VENDOR_REGION)
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1", raw="{"), 400, MALFORMED)
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1"), 400, INVALID_IP)
        self.assertEqual(self.mappings(), [])

    def test_list_paging(self):
        ips = ["10.0.0.%d" % i for i in range(1, 46)] + ["2001:db8::%x" % i for i in range(1, 6)]
        self.seed(ZONE, [self.entry(ip) for ip in reversed(ips)])
        status, answer = self.c.json("GET", V2)
        self.assertEqual(answer["result_info"], {"page": 1, "per_page": 20, "count": 20,
                                                 "total_count": 50, "total_pages": 3})
        self.assertEqual([e["origin_ip"] for e in answer["result"]], ips[:20])
        got = []
        for page in (1, 2, 3, 4, 5):
            status, answer = self.c.json("GET", V2 + "?per_page=15&page=%d" % page)
            self.assertEqual(status, 200)
            self.assertEqual(answer["result_info"]["total_pages"], 4)
            self.assertEqual(answer["result_info"]["count"], len(answer["result"]))
            got += [e["origin_ip"] for e in answer["result"]]
        self.assertEqual(got, ips)  # ordered numerically, IPv4 before IPv6; page 5 is []
        status, answer = self.c.json("GET", V2 + "?per_page=100&page=1&foo=bar")
        self.assertEqual(answer["result_info"]["count"], 50)

    def test_list_empty(self):
        status, answer = self.c.json("GET", V2)
        self.assertEqual(answer, {"success": True, "errors": [], "messages": [], "result": [],
                                  "result_info": {"page": 1, "per_page": 20, "count": 0,
                                                  "total_count": 0, "total_pages": 0}})

    def test_list_parameter_errors(self):
        per_page = [{"code": 1146, "message": "invalid per_page parameter, must be between 1 and 100"}]
        for q in ("per_page=0", "per_page=101", "per_page=-1", "per_page=abc", "per_page=1.5",
                  "per_page=%2010"):
            self.assertFails(self.req("GET", V2 + "?" + q), 400, per_page)
        for q in ("page=0", "page=-2", "page=x"):
            self.assertFails(self.req("GET", V2 + "?" + q), 400, [
                {"code": 1146, "message": "invalid page parameter, must be a positive integer"}])
        self.assertEqual(self.assertOk(self.req("GET", V2 + "?per_page=&page=")), [])  # as absent

    def test_batch_put_and_delete(self):
        self.seed(ZONE, [self.entry("192.0.2.1")])
        result = self.assertOk(self.req("PUT", V2 + "/batch", [
            self.entry("192.0.2.2", "gcp", "us-central1"), self.entry("192.0.2.3", "gcp", "mars"),
            self.entry("192.0.2.1", field="ip")]))
        self.assertEqual(result, {
            "succeeded": [{"origin_ip": "192.0.2.2", "vendor": "gcp", "region": "us-central1"}],
            "failed": [{"origin_ip": "192.0.2.3", "error": VENDOR_REGION[0]["message"]},
                       {"origin_ip": "", "error": INVALID_IP[0]["message"]}]})
        self.assertEqual([m["origin_ip"] for m in self.mappings()], ["192.0.2.1", "192.0.2.2"])
        result = self.assertOk(self.req("DELETE", V2 + "/batch", ["192.0.2.2", "192.0.2.5"]))
        self.assertEqual(result, {
            "succeeded": [{"origin_ip": "192.0.2.2", "vendor": "gcp", "region": "us-central1"}],
            "failed": [{"origin_ip": "192.0.2.5",
                        "error": "No mapping exists for the specified origin IP."}]})

    def test_v1_and_v2_share_the_zone(self):
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))
        self.assertEqual(self.assertOk(self.req("GET", V1 + "/192.0.2.1"))["value"]["origin-ip"],
                         "192.0.2.1")
        other = V2.replace(ZONE, ZONE2)
        self.assertEqual(self.assertOk(self.req("GET", other)), [])


class TestLimit(FakeTest):
    def setUp(self):
        super().setUp()
        self.full = ["10.%d.%d.1" % (i // 256, i % 256) for i in range(3500)]
        self.seed(ZONE, [self.entry(ip) for ip in self.full])

    def test_single_writes(self):
        self.assertFails(self.req("POST", V1, self.entry("192.0.2.1", field="ip")), 403, LIMIT)
        self.assertFails(self.req("PATCH", V1, self.entry("192.0.2.1", field="ip")), 403, LIMIT)
        self.assertFails(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")), 403, LIMIT)
        # existing IPs still update; 1145 beats 1164 for an existing IP
        self.assertOk(self.req("PATCH", V1, self.entry(self.full[0], "gcp", "us-central1", field="ip")))
        self.assertOk(self.req("PUT", V2 + "/" + self.full[1], self.entry(self.full[1], "gcp",
                                                                         "us-central1")))
        self.assertEqual(self.req("POST", V1, self.entry(self.full[2], field="ip")).doc["errors"][0]
                         ["code"], 1145)
        # after a delete there is room for one
        self.assertOk(self.req("DELETE", V2 + "/" + self.full[3]))
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))
        self.assertFails(self.req("PUT", V2 + "/192.0.2.2", self.entry("192.0.2.2")), 403, LIMIT)

    def test_batch_refused_whole(self):
        before = self.mappings()
        self.assertFails(self.req("PUT", V2 + "/batch", [
            self.entry(self.full[0], "gcp", "us-central1"), self.entry("192.0.2.1")]), 403, LIMIT)
        self.assertFails(self.req("PATCH", V1 + "/batch", [
            self.entry(self.full[0], "gcp", "us-central1", field="ip"),
            self.entry("192.0.2.1", field="ip")]), 403, LIMIT)
        self.assertEqual(self.mappings(), before)
        # items that fail on their own do not count against the limit
        result = self.assertOk(self.req("PUT", V2 + "/batch", [
            self.entry(self.full[0], "gcp", "us-central1"), self.entry("192.0.2.1", "aws", "x")]))
        self.assertEqual(len(result["succeeded"]), 1)

    def test_batch_up_to_the_limit(self):
        self.assertOk(self.req("DELETE", V2 + "/batch", self.full[:2]))
        self.assertFails(self.req("PUT", V2 + "/batch", [self.entry("192.0.2.%d" % i)
                                                         for i in range(1, 4)]), 403, LIMIT)
        self.assertOk(self.req("PUT", V2 + "/batch", [self.entry("192.0.2.%d" % i)
                                                      for i in (1, 2, 1)]))
        self.assertEqual(len(self.mappings()), 3500)


if __name__ == "__main__":
    main((TOKEN, "global-key", "leaked-secret"))
