#!/usr/bin/env python3
"""Tests of the fake Cloudflare API (test/fake_cloudflare.py) as a server: startup and HTTP,
credentials, routing, faults, the control paths, the process, and what it prints; standard library
only:

    python3 test/test_fake_server.py [ignored/path/to/cfregions.so] [unittest options]

The mapping endpoints themselves (v1, v2, the limit) are tested in test/test_fake_mappings.py.
"""

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

from support.fake_own_tests import (AUTH_ERROR, FAKE, INVALID_IP, TOKEN, V1, V2, ZONE, Client,
                                    FakeTest, main, start_fake, stop_fake)


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
    main((TOKEN, "global-key", "leaked-secret"))
