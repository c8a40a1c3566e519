#!/usr/bin/env python3
"""Drives every operation and every documented error of Cloudflare's origin cloud region API through
Prism proxies in front of test/fake_cloudflare.py, and counts what Prism reports.

    scenario.py FAKE_URL STRICT_URL LENIENT_URL STRICT_LOG LENIENT_LOG SPEC REGIONS

STRICT is `prism proxy --errors`: it validates the request and the response. LENIENT is `prism proxy
--errors --validate-request=false`: it forwards requests that deliberately break the request schema
(per_page=0, more than 100 items, a batch DELETE without body, an unknown vendor, ...) so that the
fake's error answers to them are still validated against the response schemas.

A violation is any `sl-violations` response header entry, any answer Prism generated itself
(`application/problem+json`: 422/401 for a request violation, 500 #VIOLATIONS for a response violation
under --errors), and any `Violation:` / `Request terminated with error` line in Prism's logs. The
scenario also checks each answer's status and error codes, that every operation answered 200, and
that every error code documented for an operation in the OpenAPI file was answered. One canary
request (a `wrong_shape` fault) must be flagged, proving that detection works; it is not counted.

Notes on Cloudflare's OpenAPI file (nothing in it had to be bent; the fake follows Cloudflare's words):
- v1 DELETE /{origin_ip}: the description says a missing IP answers 404 code 1163 but the `not_found`
  example shows code 1142; the fake answers 1163 (both validate: the 4XX schema is generic).
- Answers Prism cannot check: a request without credentials (Prism answers 401 itself), a path no
  operation matches (Prism answers 404 itself; the fake's 7003/7000 answer is checked here through a
  zone id that is not 32 hex digits), and 5xx answers of operations that declare no 5XX response
  (Prism would report a warning; the scenario injects 5xx only into the v1 batch operations).
- `cache-rules_api-response-common-failure` puts `minLength` on an array and sibling keywords next to
  `$ref`; Prism ignores both, and the fake's failure envelopes satisfy every reading of them.
"""

import http.client
import json
import re
import sys
import urllib.parse

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"    # Cloudflare's example zone id
FULL = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"    # a zone seeded to the 3,500-mapping limit
TOKEN = {"Authorization": "Bearer test-token"}
EMAIL_KEY = {"X-Auth-Email": "user@example.com", "X-Auth-Key": "fake-global-api-key"}
V1 = "/zones/%s/cache/origin_cloud_regions"
V2 = "/zones/%s/origin/cloud_regions"
# v1 DELETE's description says 1163 while its not_found example says 1142 (see the notes above).
ANSWERED_AS = {("origin-cloud-regions-delete", 1142): 1163}


class Scenario:
    def __init__(self, fake, strict, lenient, spec, regions):
        self.fake = urllib.parse.urlsplit(fake)
        self.prism = {"strict": urllib.parse.urlsplit(strict),
                      "lenient": urllib.parse.urlsplit(lenient)}
        self.conns = {}
        self.spec, self.regions = spec, regions
        self.requests = 0
        self.violations = []     # (label, detail)
        self.failures = []       # wrong answers
        self.ok_ops, self.error_codes = set(), set()
        self.canary_flagged = 0

    # ---- plumbing
    def raw(self, where, method, path, body=None, headers=None):
        url = self.fake if where == "fake" else self.prism[where]
        for attempt in (0, 1):
            conn = self.conns.get(where)
            if conn is None:
                conn = self.conns[where] = http.client.HTTPConnection(url.hostname, url.port,
                                                                      timeout=30)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.conns.pop(where, None)
                if attempt:
                    raise

    def control(self, method, path, doc=None):
        body = None if doc is None else json.dumps(doc)
        resp, data = self.raw("fake", method, path, body, {"Content-Type": "application/json"})
        if resp.status != 200:
            raise SystemExit("control %s %s failed: %s %r" % (method, path, resp.status, data))
        return json.loads(data)

    def faults(self, **doc):
        self.control("POST", "/__fake/faults", doc)

    def call(self, op, method, path, doc=None, status=200, codes=(), via="strict", headers=None,
             raw=None, content_type="application/json", check=None, canary=False):
        """One API request through Prism; returns the decoded answer."""
        label = "%s %s %s" % (op, method, path)
        hdrs = dict(TOKEN if headers is None else headers)
        body = raw if raw is not None else (None if doc is None else json.dumps(doc))
        if body is not None:
            hdrs["Content-Type"] = content_type
        resp, data = self.raw(via, method, path, body, hdrs)
        self.requests += 1
        found = []
        header = resp.getheader("sl-violations")
        if header:
            try:
                found += json.loads(header)
            except ValueError:
                found.append({"message": header[:300]})
        if (resp.getheader("content-type") or "").startswith("application/problem+json"):
            problem = json.loads(data)
            if not found:
                found += problem.get("validation") or [{"message": problem.get("title")}]
        if canary:
            if found:
                self.canary_flagged += 1
            else:
                self.failures.append("canary not flagged by Prism: " + label)
            return None
        for v in found:
            self.violations.append((label, v))
        if found:
            return None
        answer = json.loads(data)
        got = [e.get("code") for e in answer.get("errors") or []]
        if resp.status != status or got != list(codes):
            self.failures.append("%s: expected %s %s, got %s %s: %s"
                                 % (label, status, list(codes), resp.status, got, data[:300]))
            return answer
        if status == 200:
            self.ok_ops.add(op)
            if answer.get("success") is not True:
                self.failures.append(label + ": 200 without success: true")
        else:
            if answer.get("success") is not False or answer.get("result") is not None:
                self.failures.append(label + ": failure without success: false, result: null")
            self.error_codes.update((op, c) for c in got)
        if check:
            try:
                problem = check(answer, resp)
            except Exception as e:  # a check that cannot even look at the answer failed
                problem = "%s: %s" % (type(e).__name__, e)
            if problem:
                self.failures.append("%s: %s" % (label, problem))
        return answer

    # ---- the scenario
    def run(self):
        self.control("POST", "/__fake/reset")
        self.v1()
        self.v2()
        self.limits()
        self.auth_and_routing()
        self.faulty()
        self.schema_breaking()
        self.coverage()

    def v1(self):
        p = V1 % ZONE
        same = lambda v: lambda a, r: None if a["result"] == v else "result %r" % a["result"]
        self.call("origin-cloud-regions-supported-regions", "GET", p + "/supported_regions",
                  check=same(self.regions))
        self.call("origin-cloud-regions-list", "GET", p,
                  check=lambda a, r: None if a["result"]["value"] == [] and
                  a["result"]["modified_on"] is None else "not empty")
        self.call("origin-cloud-regions-get", "GET", p + "/192.0.2.1", status=404, codes=[1142])
        self.call("origin-cloud-regions-create", "POST", p,
                  {"ip": "192.0.2.1", "vendor": "aws", "region": "us-east-1"},
                  check=lambda a, r: None if a["result"]["value"]["origin-ip"] == "192.0.2.1"
                  else "value %r" % a["result"]["value"])
        self.call("origin-cloud-regions-create", "POST", p,
                  {"ip": "192.0.2.1", "vendor": "aws", "region": "us-east-1"}, 400, [1145])
        self.call("origin-cloud-regions-create", "POST", p,
                  {"ip": "192.0.2.300", "vendor": "aws", "region": "us-east-1"}, 400, [1146])
        self.call("origin-cloud-regions-create", "POST", p,
                  {"ip": "198.51.100.7", "vendor": "aws", "region": "mars-1"}, 400, [1157])
        self.call("origin-cloud-regions-upsert", "PATCH", p,
                  {"ip": "2001:DB8:0:0:0:0:0:1", "vendor": "gcp", "region": "us-central1"},
                  check=lambda a, r: None if [e["origin-ip"] for e in a["result"]["value"]] ==
                  ["192.0.2.1", "2001:db8::1"] else "value %r" % a["result"]["value"])
        self.call("origin-cloud-regions-upsert", "PATCH", p,
                  {"ip": "2001:db8::1", "vendor": "gcp", "region": "nowhere"}, 400, [1157])
        self.call("origin-cloud-regions-get", "GET", p + "/2001%3ADB8%3A%3A1",
                  check=lambda a, r: None if a["result"]["value"]["region"] == "us-central1"
                  else "value %r" % a["result"]["value"])
        self.call("origin-cloud-regions-get", "GET", p + "/not-an-ip", status=400, codes=[1146])
        self.faults(reject_items={"198.51.100.9": "rejected by test"})
        self.call("origin-cloud-regions-batch-upsert", "PATCH", p + "/batch", [
            {"ip": "198.51.100.1", "vendor": "aws", "region": "us-west-2"},
            {"ip": "::FFFF:198.51.100.2", "vendor": "azure", "region": "eastus"},
            {"ip": "198.51.100.3", "vendor": "oci", "region": "nowhere-1"},
            {"ip": "198.51.100.04", "vendor": "aws", "region": "us-east-1"},
            {"ip": "198.51.100.9", "vendor": "aws", "region": "us-east-1"}],
            check=lambda a, r: None if (
                [i["origin-ip"] for i in a["result"]["value"]["succeeded"]] ==
                ["198.51.100.1", "::ffff:198.51.100.2"] and
                [i["origin-ip"] for i in a["result"]["value"]["failed"]] ==
                ["198.51.100.3", "198.51.100.04", "198.51.100.9"] and
                all(i["error"] for i in a["result"]["value"]["failed"]) and
                a["result"]["modified_on"]) else "result %r" % a["result"])
        self.call("origin-cloud-regions-batch-upsert", "PATCH", p + "/batch", [
            {"ip": "198.51.100.9", "vendor": "aws", "region": "us-east-1"}],
            check=lambda a, r: None if a["result"]["modified_on"] is None else "modified_on set")
        self.faults()
        self.call("origin-cloud-regions-batch-delete", "DELETE", p + "/batch",
                  ["198.51.100.1", "203.0.113.9", "bogus"],
                  check=lambda a, r: None if (
                      a["result"]["value"]["succeeded"] ==
                      [{"origin-ip": "198.51.100.1", "vendor": "aws", "region": "us-west-2"}] and
                      len(a["result"]["value"]["failed"]) == 2) else "result %r" % a["result"])
        self.call("origin-cloud-regions-batch-upsert", "PATCH", p + "/batch", [])
        self.call("origin-cloud-regions-delete", "DELETE", p + "/2001:db8::1")
        self.call("origin-cloud-regions-delete", "DELETE", p + "/2001:db8::1", status=404,
                  codes=[1163])
        self.call("origin-cloud-regions-delete", "DELETE", p + "/bogus", status=400, codes=[1146])
        self.call("origin-cloud-regions-batch-delete", "DELETE", p + "/batch",
                  ["192.0.2.1", "::ffff:198.51.100.2"])
        self.call("origin-cloud-regions-list", "GET", p,
                  check=lambda a, r: None if a["result"]["value"] == [] and
                  a["result"]["modified_on"] is None else "rule record left: %r" % a["result"])
        self.call("origin-cloud-regions-get", "GET", p + "/192.0.2.1", status=404, codes=[1142])

    def v2(self):
        p = V2 % ZONE
        self.call("origin-cloud-regions-v2-supported-regions", "GET", p + "/supported_regions",
                  check=lambda a, r: None if a["result"] == self.regions else "regions differ")
        self.call("origin-cloud-regions-v2-list", "GET", p,
                  check=lambda a, r: None if a["result"] == [] and a["result_info"] == {
                      "page": 1, "per_page": 20, "count": 0, "total_count": 0, "total_pages": 0}
                  else "answer %r" % a)
        entry = {"origin_ip": "192.0.2.1", "vendor": "aws", "region": "us-east-1"}
        self.call("origin-cloud-regions-v2-upsert", "PUT", p + "/192.0.2.1", entry,
                  check=lambda a, r: None if a["result"]["origin_ip"] == "192.0.2.1" and
                  a["result"]["modified_on"].endswith("Z") else "result %r" % a["result"])
        self.call("origin-cloud-regions-v2-upsert", "PUT", p + "/192.0.2.2", entry, 400, [1146],
                  check=lambda a, r: None if a["errors"][0]["message"] ==
                  "body origin_ip does not match URL" else "message")
        self.call("origin-cloud-regions-v2-upsert", "PUT", p + "/192.0.2.1",
                  dict(entry, region="nowhere"), 400, [1157])
        self.call("origin-cloud-regions-v2-upsert", "PUT", p + "/192.0.2.1%2F32",
                  dict(entry, origin_ip="192.0.2.1/32"), 400, [1146])
        self.call("origin-cloud-regions-v2-get", "GET", p + "/192.0.2.1")
        self.call("origin-cloud-regions-v2-get", "GET", p + "/192.0.2.2", status=404, codes=[1142])
        many = [{"origin_ip": "2001:db8::%x" % i, "vendor": "gcp", "region": "us-central1"}
                for i in range(1, 25)]
        self.call("origin-cloud-regions-v2-batch-upsert", "PUT", p + "/batch",
                  many + [{"origin_ip": "2001:db8::zz", "vendor": "gcp", "region": "us-central1"}],
                  check=lambda a, r: None if len(a["result"]["succeeded"]) == 24 and
                  a["result"]["failed"] == [{"origin_ip": "2001:db8::zz",
                                             "error": "Invalid or missing origin IP address."}]
                  else "result %r" % a["result"])
        seen = []
        for page in (1, 2, 3, 4):
            a = self.call("origin-cloud-regions-v2-list", "GET",
                          p + "?page=%d&per_page=10" % page)
            if a and a.get("result_info"):
                info = a["result_info"]
                if (info["total_count"], info["total_pages"], info["count"]) != \
                        (25, 3, len(a["result"])):
                    self.failures.append("v2 list page %d: result_info %r" % (page, info))
                seen += [e["origin_ip"] for e in a["result"]]
        if seen != ["192.0.2.1"] + ["2001:db8::%x" % i for i in range(1, 25)]:
            self.failures.append("v2 list pages: %r" % seen)
        self.call("origin-cloud-regions-v2-delete", "DELETE", p + "/192.0.2.1",
                  check=lambda a, r: None if a["result"] == {"origin_ip": "192.0.2.1"}
                  else "result %r" % a["result"])
        self.call("origin-cloud-regions-v2-delete", "DELETE", p + "/192.0.2.1", status=404,
                  codes=[1142])
        self.call("origin-cloud-regions-v2-batch-delete", "DELETE", p + "/batch",
                  [m["origin_ip"] for m in many] + ["2001:db8::1", "nope"],
                  check=lambda a, r: None if len(a["result"]["succeeded"]) == 24 and
                  len(a["result"]["failed"]) == 2 else "result %r" % a["result"])
        self.call("origin-cloud-regions-v2-batch-upsert", "PUT", p + "/batch", [])
        self.call("origin-cloud-regions-v2-list", "GET", p + "?page=2",
                  check=lambda a, r: None if a["result"] == [] else "not empty")

    def limits(self):
        self.control("PUT", "/__fake/zones/%s/mappings" % FULL, [
            {"origin_ip": "10.0.%d.%d" % (i // 256, i % 256), "vendor": "aws",
             "region": "us-east-1"} for i in range(3500)])
        p1, p2 = V1 % FULL, V2 % FULL
        new1 = {"ip": "192.0.2.50", "vendor": "aws", "region": "us-east-1"}
        new2 = {"origin_ip": "192.0.2.50", "vendor": "aws", "region": "us-east-1"}
        self.call("origin-cloud-regions-create", "POST", p1, new1, 403, [1164])
        self.call("origin-cloud-regions-upsert", "PATCH", p1, new1, 403, [1164])
        self.call("origin-cloud-regions-upsert", "PATCH", p1, dict(new1, ip="10.0.0.1"))
        self.call("origin-cloud-regions-batch-upsert", "PATCH", p1 + "/batch",
                  [dict(new1, ip="10.0.0.2"), new1], 403, [1164])
        self.call("origin-cloud-regions-v2-upsert", "PUT", p2 + "/192.0.2.50", new2, 403, [1164])
        self.call("origin-cloud-regions-v2-upsert", "PUT", p2 + "/10.0.0.3",
                  dict(new2, origin_ip="10.0.0.3"))
        self.call("origin-cloud-regions-v2-batch-upsert", "PUT", p2 + "/batch",
                  [dict(new2, origin_ip="10.0.0.4"), new2], 403, [1164])
        self.call("origin-cloud-regions-v2-list", "GET", p2 + "?per_page=100&page=35",
                  check=lambda a, r: None if a["result_info"]["total_count"] == 3500 and
                  a["result_info"]["count"] == 100 else "result_info %r" % a["result_info"])
        if len(self.control("GET", "/__fake/zones/%s/mappings" % FULL)) != 3500:
            self.failures.append("a refused batch changed the zone")

    def auth_and_routing(self):
        wrong = {"Authorization": "Bearer not-the-token"}
        self.call("origin-cloud-regions-v2-list", "GET", V2 % ZONE, status=403, codes=[10000],
                  headers=wrong)
        self.call("origin-cloud-regions-list", "GET", V1 % ZONE, status=403, codes=[10000],
                  headers=dict(EMAIL_KEY, **{"X-Auth-Key": "wrong"}))
        self.call("origin-cloud-regions-v2-supported-regions", "GET",
                  V2 % ZONE + "/supported_regions", headers=EMAIL_KEY)
        self.call("origin-cloud-regions-v2-get", "GET", V2 % "not-a-zone" + "/192.0.2.1",
                  status=400, codes=[7003, 7000],
                  check=lambda a, r: None if a["errors"][0]["message"].startswith(
                      "Could not route to /client/v4/zones/not-a-zone/") else "message")

    def faulty(self):
        p1, p2 = V1 % ZONE, V2 % ZONE
        item = [{"ip": "192.0.2.60", "vendor": "aws", "region": "us-east-1"}]
        self.faults(rules=[{"method": "PATCH", "path_contains": "/batch", "count": 1,
                            "status": 500}])
        self.call("origin-cloud-regions-batch-upsert", "PATCH", p1 + "/batch", item, 500, [1140])
        self.faults(rules=[{"method": "PATCH", "path_contains": "/batch", "count": 1,
                            "status": 500, "code": 1156,
                            "message": "Failed to validate region against cloud vendor"}])
        self.call("origin-cloud-regions-batch-upsert", "PATCH", p1 + "/batch", item, 500, [1156])
        self.faults(rules=[{"method": "DELETE", "path_contains": "/batch", "count": 1,
                            "status": 503}])
        self.call("origin-cloud-regions-batch-delete", "DELETE", p1 + "/batch", ["192.0.2.60"],
                  503, [1141])
        self.faults(rules=[{"count": 2, "status": 429, "retry_after": "2",
                            "retry_after_ms": 1500}])
        for op, method, path, doc in (
                ("origin-cloud-regions-list", "GET", p1, None),
                ("origin-cloud-regions-v2-upsert", "PUT", p2 + "/192.0.2.60",
                 {"origin_ip": "192.0.2.60", "vendor": "aws", "region": "us-east-1"})):
            self.call(op, method, path, doc, 429, [971],
                      check=lambda a, r: None if r.getheader("Retry-After") == "2" and
                      r.getheader("retry-after-ms") == "1500" else "retry headers missing")
        self.faults(rules=[{"method": "GET", "count": 1, "mode": "wrong_shape"}])
        self.call("origin-cloud-regions-v2-list", "GET", p2, canary=True)
        self.faults()
        if self.control("GET", "/__fake/zones/%s/mappings" % ZONE):
            self.failures.append("a faulted request changed the zone")

    def schema_breaking(self):
        """Requests that break the request schema, through the Prism that does not check requests."""
        p1, p2 = V1 % ZONE, V2 % ZONE
        call = lambda *a, **k: self.call(*a, via="lenient", **k)
        for q in ("per_page=0", "per_page=101", "per_page=abc"):
            call("origin-cloud-regions-v2-list", "GET", p2 + "?" + q, status=400, codes=[1146],
                 check=lambda a, r: None if a["errors"][0]["message"] ==
                 "invalid per_page parameter, must be between 1 and 100" else "message")
        call("origin-cloud-regions-v2-list", "GET", p2 + "?page=0", status=400, codes=[1146])
        call("origin-cloud-regions-create", "POST", p1,
             {"ip": "192.0.2.1", "vendor": "ibm", "region": "us-south"}, 400, [1157])
        call("origin-cloud-regions-create", "POST", p1, {"vendor": "aws", "region": "us-east-1"},
             400, [1146])
        call("origin-cloud-regions-v2-upsert", "PUT", p2 + "/192.0.2.1",
             {"origin_ip": "192.0.2.1", "vendor": "ibm", "region": "us-south"}, 400, [1157])
        ips = ["10.1.0.%d" % i for i in range(101)]
        big1 = [{"ip": ip, "vendor": "aws", "region": "us-east-1"} for ip in ips]
        big2 = [{"origin_ip": ip, "vendor": "aws", "region": "us-east-1"} for ip in ips]
        call("origin-cloud-regions-batch-upsert", "PATCH", p1 + "/batch", big1, 400, [1146])
        call("origin-cloud-regions-v2-batch-upsert", "PUT", p2 + "/batch", big2, 400, [1146])
        call("origin-cloud-regions-batch-delete", "DELETE", p1 + "/batch", ips, 400, [1146])
        call("origin-cloud-regions-v2-batch-delete", "DELETE", p2 + "/batch", ips, 400, [1146])
        call("origin-cloud-regions-batch-delete", "DELETE", p1 + "/batch", status=400, codes=[1146])
        call("origin-cloud-regions-v2-batch-delete", "DELETE", p2 + "/batch", status=400,
             codes=[1146])
        call("origin-cloud-regions-v2-batch-upsert", "PUT", p2 + "/batch",
             [{"origin_ip": 3232235521, "vendor": "aws", "region": "us-east-1"}], 400, [6007])
        call("origin-cloud-regions-create", "POST", p1, raw="{not json", status=400, codes=[6007],
             content_type="text/plain")
        call("origin-cloud-regions-v2-get", "GET", V2 % (ZONE + "0") + "/192.0.2.1", status=400,
             codes=[7003, 7000])

    def coverage(self):
        for path, ops in self.spec["paths"].items():
            for method, op in ops.items():
                oid = op["operationId"]
                if oid not in self.ok_ops:
                    self.failures.append("no 200 answer from %s" % oid)
                for status, resp in op["responses"].items():
                    for ex in resp.get("content", {}).get("application/json", {}) \
                            .get("examples", {}).values():
                        doc = self.spec["components"]["examples"][ex["$ref"].split("/")[-1]]
                        for err in doc["value"].get("errors") or []:
                            code = ANSWERED_AS.get((oid, err["code"]), err["code"])
                            if (oid, code) not in self.error_codes:
                                self.failures.append("documented error %s of %s never answered"
                                                     % (err["code"], oid))
        for code in (10000, 7003, 7000, 971, 1163, 6007):
            if not any(c == code for _, c in self.error_codes):
                self.failures.append("error code %d never answered" % code)


def log_violations(path):
    """Lines in which Prism reports a violation or answered in place of the upstream."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(path, encoding="utf-8", errors="replace").read())
    return [ln for ln in text.splitlines()
            if "Violation:" in ln or "Request terminated with error" in ln]


def main(argv):
    fake, strict, lenient, strict_log, lenient_log, spec_path, regions_path = argv[1:8]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    with open(regions_path, encoding="utf-8") as f:
        regions = json.load(f)
    s = Scenario(fake, strict, lenient, spec, regions)
    s.run()
    # The canary is answered by Prism itself (500 #VIOLATIONS) and logged once; nothing else may be.
    logged = log_violations(strict_log) + log_violations(lenient_log)
    unexplained = len(logged) - s.canary_flagged
    for label, v in s.violations:
        print("VIOLATION %s: %s %s" % (label, ".".join(map(str, v.get("location", []))),
                                       v.get("message")))
    if unexplained != len(s.violations):
        for ln in logged:
            print("PRISM LOG: " + ln.strip())
    for f in s.failures:
        print("FAIL " + f)
    count = max(len(s.violations), unexplained)
    print("conformance: %d requests, %d violations%s" % (
        s.requests, count, "" if not s.failures else ", %d wrong answers" % len(s.failures)))
    return 0 if count == 0 and not s.failures and s.canary_flagged == 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
