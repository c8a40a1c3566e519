"""The HTTP server around the fake API and its command line: reads each request, sends control paths
to test/fake_api/control.py, and puts API requests through the rate limit, the fault rules,
routing, credentials and the operation, in that order, logging each one."""

import argparse
import json
import os
import re
import signal
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from .api import Api, route
from .control import answer_control
from .faults import fault_reply, rate_limit_from_doc, wrong_shape_reply
from .mappings import BadBody
from .replies import (E_AUTH, E_INVALID_IP, E_MALFORMED_JSON, E_NO_ROUTE, E_THROTTLED, Reply,
                      error_body, fail)
from .state import State, canonical_ip

MAX_BODY = 16 * 1024 * 1024
DEFAULT_TOKEN = "test-token"
DEFAULT_REGIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sql",
                               "supported_regions.json")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-cloudflare"
    sys_version = ""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet; never prints headers (credentials)
        pass

    # -- I/O helpers
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def send(self, reply):
        data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body in one write: two small writes stall ~40 ms (Nagle vs. delayed ACK).
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- dispatch
    def handle_any(self):
        started = time.monotonic()
        path, _, query = self.path.partition("?")
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.send(Reply(413, error_body((1000, "Request body too large"))))
            return
        if path.startswith("/__fake/"):
            self.send(self.control(path, body))
            return
        self.api(path, query, body, started)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def authorized(self, creds):
        auth = self.headers.get("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip() in creds["tokens"]:
            return True
        email, key = self.headers.get("X-Auth-Email"), self.headers.get("X-Auth-Key")
        return bool(email and key) and (email.lower(), key) in creds["keys"]

    def api(self, path, query, body, started):
        server = self.server
        state, api = server.state, server.api
        method = self.command
        hit = route(method, path)
        op, kind = (hit[0], hit[1]) if hit else (None, "read")
        items = 0
        if kind == "batch":
            try:
                doc = json.loads(body) if body else None
                items = len(doc) if isinstance(doc, list) else 0
            except ValueError:
                items = 0
        elif kind == "write" or (hit is None and method != "GET"):
            items = 1
        with state.lock:
            latency = state.latency_ms
            # The rate limit comes first: a refused request reaches neither the faults nor the API.
            retry_after = state.throttle(time.monotonic())
            rule = state.match_fault(method, path) if retry_after is None else None
            rule = dict(rule) if rule else None
        if latency:
            time.sleep(latency / 1000.0)
        mode = rule["mode"] if rule else None  # normalized by set_faults
        if retry_after is not None:
            reply = Reply(429, error_body(E_THROTTLED), {"Retry-After": str(retry_after)})
        elif mode == "drop":
            reply = "drop"
        elif mode == "status":
            reply = fault_reply(rule, method, kind)
        elif mode == "malformed":
            reply = Reply(200, None, raw=b'{"result": {"id": "origin_public_cloud_region", "val')
        elif mode == "wrong_shape":
            reply = wrong_shape_reply(op)
        else:
            if hit is None:
                shown = path if path.startswith("/client/v4/") else "/client/v4" + path
                reply = fail(400, (7003, "Could not route to %s, perhaps your object identifier "
                                         "is invalid?" % shown), E_NO_ROUTE)
            elif not self.authorized(server.creds):
                reply = fail(403, E_AUTH)
            else:
                _op, _kind, zone_id, raw_ip = hit
                ip = canonical_ip(raw_ip) if raw_ip is not None else None
                if raw_ip is not None and ip is None:
                    reply = fail(400, E_INVALID_IP)
                else:
                    with state.lock:
                        try:
                            reply = getattr(api, op)(zone_id=zone_id, ip=ip, body=body,
                                                     query=parse_qs(query))
                        except BadBody:
                            reply = fail(400, E_MALFORMED_JSON)
            if mode == "drop_after_apply":
                reply = "drop"
        status = 0 if reply == "drop" else reply.status
        entry = {"method": method, "path": path, "query": query, "status": status, "items": items,
                 "body_bytes": len(body), "ms": round((time.monotonic() - started) * 1000, 3)}
        with state.lock:
            state.log.append(entry)
        if reply == "drop":
            self.drop()
        else:
            self.send(reply)

    # -- control paths (no credentials)
    def control(self, path, body):
        return answer_control(self.server.state, self.command, path, body)


def rate_limit_arg(text):
    """--rate-limit N/S: N requests in any S seconds."""
    m = re.fullmatch(r"([0-9]+)/([0-9]+(?:\.[0-9]+)?)", text)
    seconds = m and float(m.group(2))
    seconds = int(seconds) if m and seconds.is_integer() else seconds
    limit = m and rate_limit_from_doc({"requests": int(m.group(1)), "seconds": seconds})
    if not limit:
        raise argparse.ArgumentTypeError("expected N/S: N >= 1 requests in S > 0 seconds")
    return limit


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    p = argparse.ArgumentParser(description="Fake Cloudflare origin cloud region API for tests.")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--token", action="append", default=[])
    p.add_argument("--email")
    p.add_argument("--key")
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--regions", default=DEFAULT_REGIONS)
    p.add_argument("--rate-limit", type=rate_limit_arg, metavar="N/S",
                   help="answer 429 to API requests beyond N in any S seconds")
    a = p.parse_args(argv)
    if bool(a.email) != bool(a.key):
        p.error("--email and --key go together")
    with open(a.regions, encoding="utf-8") as f:
        regions = json.load(f)
    creds = {"tokens": set(a.token), "keys": {(a.email.lower(), a.key)} if a.email else set()}
    if not creds["tokens"] and not creds["keys"]:
        creds["tokens"].add(DEFAULT_TOKEN)

    server = Server(("127.0.0.1", a.port), Handler)
    server.state = State(regions, a.latency_ms, a.rate_limit)
    server.api = Api(server.state)
    server.creds = creds
    port = server.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)

    def stop(_signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("fake-cloudflare listening on http://127.0.0.1:%d" % port, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
