"""What the fake Cloudflare API's own tests (test/test_fake_*.py) share (standard library only).

These tests talk to test/fake_cloudflare.py over HTTP as any client would, with credentials of
their own (TOKEN, a second token, an email and key pair: FakeTest starts its fake with them); the
extension's tests drive the fake through support.fake instead. Each file ends with
`if __name__ == "__main__": main(secrets)`, which also fails the run if the output of a fake the
tests stopped (OUTPUT) contains one of the credentials: the fake must never print them.

    start_fake(*args)   the fake in a child process on an ephemeral port: (process, port)
    stop_fake(proc)     SIGTERM (SIGKILL if it hangs): (return code, stdout, stderr)
    Client              one keep-alive connection; request() sends the token unless auth=False
    FakeTest            one fake per class, reset before each test, with assertions on envelopes
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

TEST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(TEST_DIR, "fake_cloudflare.py")

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



def main(secrets):
    """Runs the tests of the file that called it (the __main__ module), then fails if the output of
    a fake they stopped contains any of `secrets`. A first argument naming an extension is ignored
    (test/run-python.sh hands every test file one; these tests do not need it)."""
    args = sys.argv[1:]
    if args and not args[0].startswith("-") and re.search(r"\.(so|dylib|dll)$", args[0]):
        args.pop(0)
    result = unittest.main(argv=[sys.argv[0]] + args, exit=False, verbosity=1).result
    out = "".join(OUTPUT)
    leaked = [s for s in secrets if s in out]
    if leaked:
        print("credentials in the fake's output: %s" % leaked, file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() and not leaked else 1)
