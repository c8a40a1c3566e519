#!/usr/bin/env python3
"""Tests of test/fake_cloudflare.py (standard library only): python3 test/test_fake_cloudflare.py"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_cloudflare.py")
sys.path.insert(0, HERE)
import fake_cloudflare  # noqa: E402  (the canonicalizer is tested directly too)

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
ZONE2 = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
V1 = "/client/v4/zones/%s/cache/origin_cloud_regions" % ZONE
V2 = "/client/v4/zones/%s/origin/cloud_regions" % ZONE
TOKEN = "t0k3n-for-tests"
AUTH = {"Authorization": "Bearer " + TOKEN}
INVALID_IP = [{"code": 1146, "message": "Invalid or missing origin IP address."}]
NOT_FOUND = [{"code": 1142, "message": "Unable to retrieve origin_public_cloud_region setting value. "
                                       "The zone setting does not exist."}]
VENDOR_REGION = [{"code": 1157, "message": "The vendor provided doesn't exist or the region provided "
                                           "does not exist for the specified cloud vendor"}]
LIMIT = [{"code": 1164, "message": "Maximum number of IP mappings configured for zone."}]
AUTH_ERROR = [{"code": 10000, "message": "Authentication error"}]
MALFORMED = [{"code": 6007, "message": "Malformed JSON in request body"}]


OUTPUT = []  # what every stopped fake printed


def start_fake(*args):
    """Starts the fake on an ephemeral port; returns (process, port)."""
    proc = subprocess.Popen([sys.executable, FAKE, "--port", "0"] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    prefix = "fake-cloudflare listening on http://127.0.0.1:"
    if not line.startswith(prefix):
        proc.kill()
        raise RuntimeError("no ready line: %r %s" % (line, proc.stderr.read()))
    return proc, int(line[len(prefix):])


def stop_fake(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


class Client:
    """One keep-alive connection to the fake."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def request(self, method, path, doc=None, headers=None, raw=None, auth=True):
        hdrs = dict(AUTH if auth else {})
        hdrs.update(headers or {})
        body = raw if raw is not None else (None if doc is None else json.dumps(doc))
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        self.conn.request(method, path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        try:
            resp.doc = json.loads(data)
        except ValueError:
            resp.doc = None
        resp.data = data
        return resp

    def json(self, method, path, doc=None, **kw):
        resp = self.request(method, path, doc, **kw)
        return resp.status, json.loads(resp.data)

    def close(self):
        self.conn.close()


class FakeTest(unittest.TestCase):
    """Shares one fake (credentials: a token and an email/key pair); each test starts from a reset."""

    @classmethod
    def setUpClass(cls):
        cls.pf = tempfile.NamedTemporaryFile(delete=False)
        cls.pf.close()
        cls.proc, cls.port = start_fake("--port-file", cls.pf.name, "--token", TOKEN,
                                        "--token", "second-token", "--email", "User@Example.com",
                                        "--key", "global-key")

    @classmethod
    def tearDownClass(cls):
        _rc, out, err = stop_fake(cls.proc)
        OUTPUT.append(out + err)
        os.unlink(cls.pf.name)

    def setUp(self):
        self.c = Client(self.port)
        self.ctl("POST", "/__fake/reset")

    def tearDown(self):
        self.c.close()

    # helpers
    def ctl(self, method, path, doc=None):
        status, answer = self.c.json(method, path, doc, auth=False)
        self.assertEqual(status, 200, answer)
        return answer

    def seed(self, zone, mappings):
        return self.ctl("PUT", "/__fake/zones/%s/mappings" % zone, mappings)

    def mappings(self, zone=ZONE):
        return self.ctl("GET", "/__fake/zones/%s/mappings" % zone)

    def assertOk(self, resp):
        self.assertEqual(resp.status, 200, resp.data)
        self.assertEqual(resp.doc["success"], True)
        self.assertEqual(resp.doc["errors"], [])
        self.assertEqual(resp.doc["messages"], [])
        return resp.doc["result"]

    def assertFails(self, resp, status, errors):
        self.assertEqual(resp.status, status, resp.data)
        self.assertEqual(resp.doc, {"success": False, "errors": errors, "messages": [],
                                    "result": None})

    def req(self, *a, **k):
        return self.c.request(*a, **k)

    def entry(self, ip, vendor="aws", region="us-east-1", field="origin_ip"):
        return {field: ip, "vendor": vendor, "region": region}


class TestStartup(FakeTest):
    def test_port_file_and_ready_line(self):
        with open(self.pf.name) as f:
            self.assertEqual(int(f.read().strip()), self.port)

    @unittest.skipUnless(os.path.exists("/proc/net/tcp"), "needs Linux /proc/net/tcp")
    def test_binds_loopback_only(self):
        listening = []
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            if os.path.exists(name):
                with open(name) as f:
                    for line in f.readlines()[1:]:
                        local, state = line.split()[1], line.split()[3]
                        addr, port = local.split(":")
                        if int(port, 16) == self.port and state == "0A":  # LISTEN
                            listening.append(addr)
        self.assertEqual(listening, ["0100007F"])  # 127.0.0.1, little-endian hex

    def test_keep_alive_and_content_length(self):
        r1 = self.req("GET", V2)
        r2 = self.req("GET", V1 + "/192.0.2.1")
        r3 = self.req("GET", "/client/v4/zones/nope/origin/cloud_regions")
        for r in (r1, r2, r3):
            self.assertEqual(r.version, 11)
            self.assertEqual(int(r.getheader("Content-Length")), len(r.data))
            self.assertEqual(r.getheader("Content-Type"), "application/json")
        self.assertEqual(self.c.conn.sock is not None, True)  # still the same open connection

    def test_served_at_root_too(self):
        self.assertOk(self.req("GET", "/zones/%s/origin/cloud_regions" % ZONE))
        self.assertOk(self.req("GET", "/zones/%s/cache/origin_cloud_regions" % ZONE))

    def test_expect_100_continue_and_chunked_body(self):
        body = json.dumps([self.entry("192.0.2.1")]).encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(("PUT %s/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                       "Content-Length: %d\r\n\r\n" % (V2, TOKEN, len(body))).encode())
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 100"))
            s.sendall(body)
            self.assertIn(b"200 OK", s.recv(4096))
        body = json.dumps([self.entry("192.0.2.2")]).encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(("PUT %s/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n%x\r\n" % (V2, TOKEN, 5)).encode()
                      + body[:5] + b"\r\n" + b"%x\r\n" % (len(body) - 5) + body[5:] + b"\r\n0\r\n\r\n")
            self.assertIn(b"200 OK", s.recv(4096))
        self.assertEqual([m["origin_ip"] for m in self.mappings()], ["192.0.2.1", "192.0.2.2"])


class TestAuth(FakeTest):
    def test_bearer_tokens(self):
        self.assertOk(self.req("GET", V2))
        self.assertOk(self.req("GET", V2, headers={"Authorization": "Bearer second-token"},
                               auth=False))
        self.assertOk(self.req("GET", V2, headers={"Authorization": "bearer " + TOKEN},
                               auth=False))

    def test_email_and_key(self):
        self.assertOk(self.req("GET", V1, auth=False, headers={
            "X-Auth-Email": "user@example.com", "X-Auth-Key": "global-key"}))

    def test_failures(self):
        for headers in ({}, {"Authorization": "Bearer test-token"},
                        {"Authorization": "Bearer"}, {"Authorization": "Basic " + TOKEN},
                        {"X-Auth-Email": "user@example.com"},
                        {"X-Auth-Email": "user@example.com", "X-Auth-Key": "wrong"},
                        {"X-Auth-Key": "global-key"}):
            with self.subTest(headers=headers):
                self.assertFails(self.req("GET", V2, auth=False, headers=headers), 403, AUTH_ERROR)
                self.assertFails(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1"),
                                          auth=False, headers=headers), 403, AUTH_ERROR)
        self.assertEqual(self.mappings(), [])

    def test_default_token_only_without_credentials(self):
        proc, port = start_fake()
        try:
            c = Client(port)
            self.assertEqual(c.request("GET", V2, auth=False, headers={
                "Authorization": "Bearer test-token"}).status, 200)
            self.assertEqual(c.request("GET", V2).status, 403)
            c.close()
        finally:
            stop_fake(proc)
        # and test-token is not accepted once credentials are given
        self.assertEqual(self.req("GET", V2, auth=False, headers={
            "Authorization": "Bearer test-token"}).status, 403)


class TestRouting(FakeTest):
    def no_route(self, path, method="GET", doc=None):
        resp = self.req(method, path, doc)
        shown = path if path.startswith("/client/v4/") else "/client/v4" + path
        self.assertFails(resp, 400, [
            {"code": 7003, "message": "Could not route to %s, perhaps your object identifier is "
                                      "invalid?" % shown.split("?")[0]},
            {"code": 7000, "message": "No route for that URI"}])

    def test_bad_zone_ids(self):
        for zone in ("023e105f4ecef8ad9ca31a8372d0c35", "023e105f4ecef8ad9ca31a8372d0c3533",
                     "023e105f4ecef8ad9ca31a8372d0c35g", "not-a-zone"):
            self.no_route("/client/v4/zones/%s/origin/cloud_regions" % zone)
            self.no_route("/zones/%s/cache/origin_cloud_regions/192.0.2.1" % zone)

    def test_unknown_routes_and_methods(self):
        self.no_route("/client/v4/zones/%s/origin/cloud_regions/" % ZONE)
        self.no_route(V2 + "/192.0.2.0/24")
        self.no_route(V2 + "/a/b")
        self.no_route("/client/v4/zones/%s/origin/regions" % ZONE)
        self.no_route("/client/v4/zones/%s" % ZONE)
        self.no_route("/client/v4/")
        self.no_route("/")
        self.no_route(V2, "POST", self.entry("192.0.2.1"))
        self.no_route(V2, "PATCH", self.entry("192.0.2.1"))
        self.no_route(V2 + "/batch", "PATCH", [])
        self.no_route(V1 + "/batch", "PUT", [])
        self.no_route(V1 + "/192.0.2.1", "PUT", self.entry("192.0.2.1", field="ip"))
        self.no_route(V2 + "/supported_regions", "POST", {})

    def test_unauthenticated_unknown_route_is_a_routing_error(self):
        resp = self.req("GET", "/client/v4/zones/xyz/origin/cloud_regions", auth=False)
        self.assertEqual(resp.doc["errors"][0]["code"], 7003)

    def test_uppercase_zone_id_is_the_same_zone(self):
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))
        result = self.assertOk(self.req("GET", V2.replace(ZONE, ZONE.upper())))
        self.assertEqual(len(result), 1)

    def test_literal_segments_as_ips(self):
        self.assertFails(self.req("GET", V2 + "/batch"), 400, INVALID_IP)
        self.assertFails(self.req("GET", V1 + "/batch"), 400, INVALID_IP)
        self.assertFails(self.req("DELETE", V2 + "/supported_regions"), 400, INVALID_IP)


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


class TestFaults(FakeTest):
    def faults(self, doc):
        self.ctl("POST", "/__fake/faults", doc)

    def test_429_with_retry_headers_then_recovers(self):
        self.faults({"rules": [{"method": "PUT", "path_contains": "/batch", "count": 2, "status": 429,
                                "retry_after": "3", "retry_after_ms": 1500}]})
        for _ in range(2):
            resp = self.req("PUT", V2 + "/batch", [self.entry("192.0.2.1")])
            self.assertFails(resp, 429, [{"code": 971, "message": "Please wait and consider "
                                                                  "throttling your request speed"}])
            self.assertEqual(resp.getheader("Retry-After"), "3")
            self.assertEqual(resp.getheader("retry-after-ms"), "1500")
            self.assertEqual(self.mappings(), [])
        self.assertOk(self.req("GET", V2))  # other requests are not matched
        self.assertOk(self.req("PUT", V2 + "/batch", [self.entry("192.0.2.1")]))
        self.assertEqual(len(self.mappings()), 1)

    def test_after_count_every(self):
        self.faults({"rules": [{"method": "GET", "after": 2, "count": 2, "status": 503}]})
        self.assertEqual([self.req("GET", V2).status for _ in range(6)],
                         [200, 200, 503, 503, 200, 200])
        self.faults({"rules": [{"every": 3, "status": 502}]})
        self.assertEqual([self.req("GET", V2).status for _ in range(7)],
                         [200, 200, 502, 200, 200, 502, 200])
        self.faults({"rules": [{"after": 1, "every": 2, "count": 2, "status": 500}]})
        self.assertEqual([self.req("GET", V2).status for _ in range(8)],
                         [200, 200, 500, 200, 500, 200, 200, 200])

    def test_default_envelopes(self):
        self.faults({"rules": [{"status": 500}]})
        self.assertEqual(self.req("PATCH", V1 + "/batch", []).doc["errors"][0]["code"], 1140)
        self.assertEqual(self.req("PUT", V2 + "/192.0.2.1", {}).doc["errors"][0]["code"], 1140)
        self.assertEqual(self.req("DELETE", V1 + "/batch", []).doc["errors"][0]["code"], 1141)
        self.assertEqual(self.req("DELETE", V2 + "/192.0.2.1").doc["errors"][0]["code"], 1141)
        self.assertEqual(self.req("GET", V2).doc["errors"], [{"code": 1000,
                                                              "message": "Internal error."}])
        self.faults({"rules": [{"status": 500, "code": 1156, "message": "Failed to validate region "
                                "against cloud vendor", "headers": {"x-should-retry": "false"}}]})
        resp = self.req("PATCH", V1 + "/batch", [])
        self.assertFails(resp, 500, [{"code": 1156, "message": "Failed to validate region against "
                                                               "cloud vendor"}])
        self.assertEqual(resp.getheader("x-should-retry"), "false")
        for status, code in ((403, 10000), (404, 1142), (400, 1146), (408, 1000)):
            self.faults({"rules": [{"status": status}]})
            resp = self.req("GET", V2)
            self.assertEqual((resp.status, resp.doc["errors"][0]["code"]), (status, code))

    def test_drop_before_apply(self):
        self.faults({"rules": [{"method": "PUT", "count": 1, "mode": "drop"}]})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1"))
        self.c.close()
        self.assertEqual(self.mappings(), [])
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))

    def test_drop_after_apply(self):
        self.faults({"rules": [{"path_contains": "/batch", "count": 1, "mode": "drop_after_apply"}]})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.req("PUT", V2 + "/batch", [self.entry("192.0.2.1")])
        self.c.close()
        self.assertEqual([m["origin_ip"] for m in self.mappings()], ["192.0.2.1"])
        log = self.ctl("GET", "/__fake/requests")
        self.assertEqual([(e["method"], e["status"]) for e in log], [("PUT", 0)])

    def test_malformed_and_wrong_shape(self):
        self.faults({"rules": [{"count": 1, "mode": "malformed"}]})
        resp = self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1"))
        self.assertEqual(resp.status, 200)
        self.assertEqual(int(resp.getheader("Content-Length")), len(resp.data))
        with self.assertRaises(ValueError):
            json.loads(resp.data)
        self.assertEqual(self.mappings(), [])
        self.faults({"rules": [{"count": 2, "mode": "wrong_shape"}]})
        status, answer = self.c.json("GET", V2)
        self.assertEqual((status, answer["success"]), (200, True))
        self.assertIsInstance(answer["result"], dict)
        status, answer = self.c.json("GET", V1)
        self.assertIsInstance(answer["result"], list)
        self.assertOk(self.req("GET", V2))

    def test_latency_and_clear(self):
        self.faults({"latency_ms": 300})
        t = time.monotonic()
        self.assertOk(self.req("GET", V2))
        self.assertGreaterEqual(time.monotonic() - t, 0.29)
        t = time.monotonic()
        self.ctl("GET", "/__fake/requests")  # control paths are never delayed
        self.assertLess(time.monotonic() - t, 0.25)
        self.assertGreaterEqual(self.ctl("GET", "/__fake/requests")[-1]["ms"], 290)
        self.ctl("DELETE", "/__fake/faults")
        t = time.monotonic()
        self.assertOk(self.req("GET", V2))
        self.assertLess(time.monotonic() - t, 0.25)

    def test_reject_items_in_batches_only(self):
        self.faults({"reject_items": {"192.0.2.1": "quota"}})
        result = self.assertOk(self.req("PUT", V2 + "/batch", [self.entry("192.0.2.1"),
                                                               self.entry("192.0.2.2")]))
        self.assertEqual(result["failed"], [{"origin_ip": "192.0.2.1", "error": "quota"}])
        self.assertOk(self.req("PUT", V2 + "/192.0.2.1", self.entry("192.0.2.1")))
        result = self.assertOk(self.req("DELETE", V2 + "/batch", ["192.0.2.1", "192.0.2.2"]))
        self.assertEqual(result["failed"], [{"origin_ip": "192.0.2.1", "error": "quota"}])
        self.assertEqual([m["origin_ip"] for m in self.mappings()], ["192.0.2.1"])

    def test_bad_fault_documents(self):
        for doc in ([], {"rules": [{"mode": "explode"}]}, {"rules": [1]},
                    {"reject_items": {"nope": "x"}}):
            status, _ = self.c.json("POST", "/__fake/faults", doc, auth=False)
            self.assertEqual(status, 400)


class TestControl(FakeTest):
    def test_seed_and_get_sorted_canonical(self):
        answer = self.seed(ZONE, [self.entry("2001:DB8::1", "gcp", "us-central1"),
                                  self.entry("192.0.2.10"), self.entry("192.0.2.9"),
                                  {"origin_ip": "::ffff:c000:201", "vendor": "aws",
                                   "region": "gone-1", "modified_on": "2026-03-01T12:00:00Z"}])
        self.assertEqual(answer["count"], 4)
        got = self.mappings()
        self.assertEqual([m["origin_ip"] for m in got],
                         ["192.0.2.9", "192.0.2.10", "::ffff:192.0.2.1", "2001:db8::1"])
        self.assertEqual(got[2], {"origin_ip": "::ffff:192.0.2.1", "vendor": "aws",
                                  "region": "gone-1", "modified_on": "2026-03-01T12:00:00Z"})
        self.seed(ZONE, [])  # replaces
        self.assertEqual(self.mappings(), [])

    def test_seed_errors(self):
        for doc in ({}, [{"origin_ip": "nope", "vendor": "aws", "region": "us-east-1"}],
                    [{"origin_ip": "192.0.2.1", "vendor": "aws"}], [7]):
            status, _ = self.c.json("PUT", "/__fake/zones/%s/mappings" % ZONE, doc, auth=False)
            self.assertEqual(status, 400)
        status, _ = self.c.json("GET", "/__fake/zones/nope/mappings", auth=False)
        self.assertEqual(status, 400)
        status, _ = self.c.json("GET", "/__fake/nothing", auth=False)
        self.assertEqual(status, 404)

    def test_reset(self):
        self.seed(ZONE, [self.entry("192.0.2.1")])
        self.ctl("POST", "/__fake/faults", {"rules": [{"status": 500}]})
        self.req("GET", V2)
        self.ctl("POST", "/__fake/reset")
        self.assertEqual(self.mappings(), [])
        self.assertEqual(self.ctl("GET", "/__fake/requests"), [])
        self.assertOk(self.req("GET", V2))

    def test_request_log(self):
        self.req("GET", V2 + "?page=2&per_page=5")
        self.req("PUT", V2 + "/batch", [self.entry("192.0.2.1"), self.entry("192.0.2.2")])
        self.req("DELETE", V1 + "/batch", ["192.0.2.1"])
        self.req("PUT", V2 + "/192.0.2.3", self.entry("192.0.2.3"))
        self.req("DELETE", V2 + "/192.0.2.3")
        self.req("GET", V2, auth=False)
        self.req("GET", "/client/v4/zones/nope/origin/cloud_regions")
        self.ctl("GET", "/__fake/zones/%s/mappings" % ZONE)
        log = self.ctl("GET", "/__fake/requests")
        self.assertEqual([(e["method"], e["path"], e["query"], e["status"], e["items"])
                          for e in log], [
            ("GET", V2, "page=2&per_page=5", 200, 0),
            ("PUT", V2 + "/batch", "", 200, 2),
            ("DELETE", V1 + "/batch", "", 200, 1),
            ("PUT", V2 + "/192.0.2.3", "", 200, 1),
            ("DELETE", V2 + "/192.0.2.3", "", 200, 1),
            ("GET", V2, "", 403, 0),
            ("GET", "/client/v4/zones/nope/origin/cloud_regions", "", 400, 0)])
        self.assertEqual(log[1]["body_bytes"],
                         len(json.dumps([self.entry("192.0.2.1"), self.entry("192.0.2.2")])))
        self.assertEqual(log[0]["body_bytes"], 0)
        self.assertTrue(all(isinstance(e["ms"], (int, float)) for e in log))
        self.ctl("DELETE", "/__fake/requests")
        self.assertEqual(self.ctl("GET", "/__fake/requests"), [])

    def test_concurrent_writers(self):
        def writer(n):
            c = Client(self.port)
            for k in range(5):
                c.request("PUT", V2 + "/batch", [self.entry("10.%d.%d.%d" % (n, k, i))
                                                  for i in range(20)])
            c.close()
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(self.mappings()), 8 * 5 * 20)
        self.assertEqual(len(self.ctl("GET", "/__fake/requests")), 40)


class TestProcess(unittest.TestCase):
    def test_latency_does_not_block_other_requests_and_sigterm_exits_cleanly(self):
        proc, port = start_fake("--latency-ms", "400")
        try:
            times = []

            def get():
                t = time.monotonic()
                c = Client(port)
                c.request("GET", V2, headers={"Authorization": "Bearer test-token"}, auth=False)
                c.close()
                times.append(time.monotonic() - t)
            t0 = time.monotonic()
            threads = [threading.Thread(target=get) for _ in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertTrue(all(t >= 0.39 for t in times), times)
            self.assertLess(time.monotonic() - t0, 1.5)
        finally:
            rc, out, err = stop_fake(proc)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")

    def test_sigint_and_custom_regions(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"obtained_codes": False, "vendors": {"aws": [
                {"name": "moon-1", "upper_tier_colos": []}]}}, f)
        try:
            proc, port = start_fake("--regions", f.name)
            c = Client(port)
            hdr = {"Authorization": "Bearer test-token"}
            self.assertEqual(c.request("PUT", V2 + "/192.0.2.1", {
                "origin_ip": "192.0.2.1", "vendor": "aws", "region": "moon-1"}, headers=hdr,
                auth=False).status, 200)
            self.assertEqual(c.request("PUT", V2 + "/192.0.2.1", {
                "origin_ip": "192.0.2.1", "vendor": "aws", "region": "us-east-1"}, headers=hdr,
                auth=False).status, 400)
            self.assertFalse(json.loads(c.request("GET", V2 + "/supported_regions", headers=hdr,
                                                  auth=False).data)["result"]["obtained_codes"])
            c.close()
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(timeout=5), 0)
            proc.stdout.close()
            proc.stderr.close()
        finally:
            os.unlink(f.name)

    def test_bad_arguments(self):
        r = subprocess.run([sys.executable, FAKE, "--email", "a@b.c"], capture_output=True,
                           timeout=10)
        self.assertNotEqual(r.returncode, 0)


class TestNoCredentialsInOutput(FakeTest):
    def test_output(self):
        self.req("GET", V2)
        self.req("GET", V2, auth=False, headers={"X-Auth-Email": "user@example.com",
                                                 "X-Auth-Key": "global-key"})
        self.req("GET", V2, auth=False, headers={"Authorization": "Bearer leaked-secret"})
        log = json.dumps(self.ctl("GET", "/__fake/requests"))
        for secret in (TOKEN, "global-key", "leaked-secret"):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    # The shared server's output, once stopped, must not contain any credential.
    out = "".join(OUTPUT)
    leaked = [s for s in (TOKEN, "global-key", "leaked-secret") if s in out]
    if leaked:
        print("credentials in the fake's output: %s" % leaked, file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() and not leaked else 1)
