"""The fake Cloudflare API (test/fake_cloudflare.py) as the tests and the API benchmark drive it.

Fake() starts the fake in a child process, on 127.0.0.1 and a free port, and knows it by PID:
stop() ends it with SIGTERM (SIGKILL if it hangs), and the child also gets SIGTERM if the test
process dies first. It accepts the credentials below, serves the API under `api_url`
(`http://127.0.0.1:PORT/client/v4`, what a table's base_url or CLOUDFLARE_BASE_URL names), and
lists the zone's supported regions from zone_regions_doc(). Any 32-hex zone id exists, empty until
written.

A test then talks to the fake's control paths (no credentials needed), one method each:

    reset()           POST   /__fake/reset             every zone empty, no faults, empty log
    seed(rows, zone)  PUT    /__fake/zones/Z/mappings  the zone holds exactly these mappings
    state(zone)       GET    /__fake/zones/Z/mappings  its (origin_ip, vendor, region) tuples,
                                                       canonical, in address order
    faults(rules, reject_items, latency_ms)
                      POST   /__fake/faults            replaces the faults (see below)
    clear_faults()    DELETE /__fake/faults
    log()             GET    /__fake/requests          the API requests since the last clear
    clear_log()       DELETE /__fake/requests
    set_zones(zones)  PUT    /__fake/zones             the zones GET /zones lists (below)
    rate_limit(requests, seconds)
                      POST   /__fake/rate_limit        an API request beyond `requests` in any
                                                       `seconds` answers 429 (code 971, with
                                                       Retry-After); starts an empty window
    clear_rate_limit()
                      DELETE /__fake/rate_limit        no rate limit (until the next reset)

(zone defaults to ZONE.)

set_zones takes [{"id", "name", "status"?, "account": {"id", "name"}?, "plan": {"name"}?,
"paused"?, "type"?, "created_on"?, "modified_on"?, "activated_on"?}, ...]: the fake fills in the
rest of each zone object as Cloudflare shows it (status active, account "Fake Account", plan "Free
Website", not paused) and lists them by name, then id. It answers the number of zones; a zone of
the wrong shape fails the test. reset() empties the list and restores the command line's rate limit
(none here).

A fault rule is a dict: it matches requests by "method" and "path_contains" (both optional), lets
the first "after" of them through, then applies to the next "count" (every one if count is absent;
only to every "every"-th if given) with its "mode": "status" (the default: answer "status", 500 if
absent, with an error that fits it or "code" and "message", and with "retry_after", "retry_after_ms"
or other "headers" if given), "drop" (close the connection without an answer), "drop_after_apply"
(apply the request, then close the connection), "malformed" (a 200 whose JSON is cut short) or
"wrong_shape" (a 200 whose result is not what the operation returns). reject_items maps IPs to the
error text with which any batch refuses them: the batch applies the other items and lists these
among its failed ones. latency_ms delays every API request by that much (until the faults are
cleared or set again).

Each log() entry is a dict with "method", "path", "query", "status" (0 when the connection was
dropped), "items" (entries in a batch body, 1 for any other write, 0 for a read), "body_bytes" and
"ms". The log does not keep headers, bodies or connections: Recorder, a proxy put between the
extension and the fake, records those.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TEST_DIR)
FAKE = os.path.join(TEST_DIR, "fake_cloudflare.py")
BUILTIN_REGIONS = os.path.join(ROOT, "sql", "supported_regions.json")

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
OTHER_ZONE = "0123456789abcdef0123456789abcdef"

# Every credential the fake accepts. A test that wants a refusal uses anything else.
TOKEN = "test-token"
# Also accepted by the fake; long and distinctive so a leak is found by a byte search.
TOKEN2 = "cfrTok2-4f1c9a7e8b3d2c6a-SECRET-d9e8f7a6b5c4"
EMAIL = "ops@example.com"
API_KEY = "cfrKey-0a1b2c3d4e5f-GLOBALKEY-6a7b8c9d0e1f"
SECRETS = (TOKEN, TOKEN2, API_KEY)

# The zone's list (what the fake serves) differs from the built-in one on purpose: aws us-west-1 is
# built in but not supported by the zone; aws us-test-1 is supported by the zone only.
ZONE_ONLY_REGION = ("aws", "us-test-1")
BUILTIN_ONLY_REGION = ("aws", "us-west-1")


def zone_regions_doc():
    """The built-in region list (sql/supported_regions.json) without BUILTIN_ONLY_REGION and with
    ZONE_ONLY_REGION: what the fake answers for any zone's supported_regions."""
    with open(BUILTIN_REGIONS, encoding="utf-8") as f:
        doc = json.load(f)
    aws = [r for r in doc["vendors"]["aws"] if r["name"] != BUILTIN_ONLY_REGION[1]]
    aws.append({"name": ZONE_ONLY_REGION[1], "upper_tier_colos": ["IAD"]})
    doc["vendors"]["aws"] = aws
    return doc


def die_with_parent():
    """In a child process (preexec_fn): SIGTERM when the parent dies, even if it is killed before it
    can stop the child itself (Linux prctl PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Fake:
    """The fake API in a child process, driven through its control paths."""

    def __init__(self, latency_ms=0):
        self.dir = tempfile.mkdtemp(prefix="cfr-fake-")
        self.regions = zone_regions_doc()
        regions_file = os.path.join(self.dir, "regions.json")
        with open(regions_file, "w", encoding="utf-8") as f:
            json.dump(self.regions, f)
        port_file = os.path.join(self.dir, "port")
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file, "--token", TOKEN,
             "--token", TOKEN2, "--email", EMAIL, "--key", API_KEY, "--regions", regions_file,
             "--latency-ms", str(latency_ms)],
            stdout=subprocess.DEVNULL, stderr=self.stderr, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 15
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = "http://127.0.0.1:%d" % self.port
        self.api_url = self.url + "/client/v4"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method, path, doc=None):
        """One request to a control path; its JSON answer (anything but a 200 fails the test)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            body = None if doc is None else json.dumps(doc).encode()
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise AssertionError("fake %s %s: HTTP %d %s" % (method, path, resp.status, data[:200]))
        return json.loads(data)

    def reset(self):
        self.call("POST", "/__fake/reset")

    def seed(self, rows_, zone=ZONE):
        self.call("PUT", "/__fake/zones/%s/mappings" % zone,
                  [{"origin_ip": ip, "vendor": v, "region": r} for ip, v, r in rows_])

    def state(self, zone=ZONE):
        return [(m["origin_ip"], m["vendor"], m["region"])
                for m in self.call("GET", "/__fake/zones/%s/mappings" % zone)]

    def faults(self, rules=(), reject_items=None, latency_ms=None):
        doc = {"rules": list(rules), "reject_items": reject_items or {}}
        if latency_ms is not None:
            doc["latency_ms"] = latency_ms
        self.call("POST", "/__fake/faults", doc)

    def clear_faults(self):
        self.call("DELETE", "/__fake/faults")

    def log(self):
        return self.call("GET", "/__fake/requests")

    def clear_log(self):
        self.call("DELETE", "/__fake/requests")

    def set_zones(self, zones):
        return self.call("PUT", "/__fake/zones", list(zones))["count"]

    def rate_limit(self, requests, seconds):
        self.call("POST", "/__fake/rate_limit", {"requests": requests, "seconds": seconds})

    def clear_rate_limit(self):
        self.call("DELETE", "/__fake/rate_limit")


class _QuietServer(ThreadingHTTPServer):
    """A client that went away before its answer (a process killed in the middle of a request)
    is what some tests do on purpose, not an error of the proxy: no traceback for it."""

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Recorder:
    """A loopback proxy (in a thread) in front of the fake that records each request's headers,
    body and client connection, which the fake's log does not keep. A request is recorded when it
    arrives, before the fake answers it, so a test can see what is in flight."""

    def __init__(self, target_port):
        self.records = []
        records = self.records

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                records.append({"method": self.command, "path": self.path, "body": body,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "connection": self.client_address})
                out = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() not in ("host", "connection", "content-length")}
                    out.request(self.command, self.path,
                                body=body if self.command != "GET" else None, headers=headers)
                    resp = out.getresponse()
                    data = resp.read()
                finally:
                    out.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = forward

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/client/v4" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
