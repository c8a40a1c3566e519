#!/usr/bin/env python3
"""A hostile HTTP server for tests: answers that a broken or malicious API could send.

    python3 test/hostile_server.py [--port 0] [--port-file PATH]
                                   [--tls-cert CERT --tls-key KEY --tls-port-file PATH]

Python 3 standard library only. Binds 127.0.0.1 only. The first line on stdout is
"hostile-server listening on http://127.0.0.1:PORT"; --port-file also receives the port. With
--tls-cert/--tls-key a second listener speaks HTTPS with that certificate (a self-signed one is
refused by clients: that is what it is for) and writes its port to --tls-port-file. Runs until
SIGTERM/SIGINT. Every response closes its connection.

Paths. The first segment picks a behaviour; the segments right after it of the form key=value are
its parameters (percent-decoded); the rest of the path is ignored, so a client's base URL can point
at a behaviour and append API paths to it:

    base_url = http://127.0.0.1:PORT/v2-page/entries=5000
    GET /v2-page/entries=5000/zones/<zone>/origin/cloud_regions?page=1&per_page=100

Query parameters count too (path parameters win). Any method; a request body is read and ignored.
Sizes: `mib` is MiB (2^20 bytes), `kib` KiB, `bytes` bytes.

HTTP-level behaviours
  /ok                          200, an empty successful Cloudflare envelope.
  /status/code=N[/body=TEXT]   status N (default 500; status=N works too) with TEXT (default an
                               error envelope).
  /gzip-bomb[/mib=N]           200, Content-Encoding: gzip, N MiB (default 1024) of spaces once
                               decoded, a thousand times fewer on the wire; no Content-Length.
  /truncated[/status=N][/announce=A][/send=S]
                               status N (default 404) announcing A bytes (default 4096), sending
                               only the first S (default 100) of an error envelope, then closing.
  /truncated-404               the same with the defaults.
  /huge-headers[/kib=N][/line_kib=L]
                               200 after N KiB of response headers (default 1024) in lines of L KiB
                               (default 1; a large L makes one giant header line).
  /endless[/status=N]          status N (default 200), a chunked body that never ends.
  /slow-drip[/status=N][/bytes=B][/interval_ms=I][/phase=body|headers]
                               B bytes (default 1000), one every I ms (default 500): the body after
                               complete headers, or (phase=headers) the header block itself.
  /drop[/after_ms=N]           reads the request, waits N ms (default 0), closes without a byte.
  /retry-after[/status=N][/value=V][/ms=M]
                               status N (default 429) with Retry-After: V and/or retry-after-ms: M.
  /retry-after-date-overflow   429 with Retry-After: Sun, 06 Nov 2147483647 08:49:37 GMT.
  Every status behaviour above takes /times=K: only the first K requests with that same path
  prefix (behaviour and parameters) misbehave, later ones get /ok's answer.

API-shaped answers (for store-level tests: point a table's base_url at them)
  /v2-page[/entries=N|/mib=M][/total_pages=P][/total_count=C][/first_entries=F][/distinct=1]
                               200, a v2 listing page (result[] of N valid-looking entries, or as
                               many as fill M MiB; default 100), result_info from ?page= and P
                               (and total_count C, default N times P).
                               first_entries: page 1 holds F entries instead (so that page 1 can be
                               valid and the pages after it hostile). distinct=1: page p numbers
                               its entries after those of the pages before it, so that no IP
                               repeats across pages.
  /v1-entries[/entries=N|/mib=M]
                               200, a v1 listing (result.value[]) of N valid-looking entries, or
                               as many as fill M MiB (default 32: some 330,000 entries).
  /v1-empty-objects[/mib=N]    200, a v1 listing whose value[] is N MiB (default 32) of {}.
  /error-message[/mib=N|/bytes=B][/status=S][/code=C][/fill=TEXT]
                               status S (default 400), errors[0].message of B bytes (default 31
                               MB, i.e. 31,000,000) with code C (default 1000). fill: the message
                               repeats TEXT (default "m") and stops at the last whole character
                               that fits in B bytes of UTF-8.
  /escape-message[/status=S][/json=valid]
                               status S (default 400), an error message full of escapes: ANSI
                               colours, CR LF and a fake header line, NUL, backspace, bell, quotes,
                               backslashes, bidi overrides, invalid surrogates. json=valid leaves
                               out the NUL and the invalid surrogate (a decoder may refuse the
                               whole answer for either), so that the rest reaches the decoder.
  /escape-entry[/field=F][/json=valid][/text=TEXT]
                               200, a v2 listing page of one entry whose origin_ip, vendor and
                               region carry the same escapes; with field=origin_ip, vendor, region
                               or modified_on only that field does, the others are valid.
                               json=valid as above; text: TEXT instead of the escapes.
  /supported-regions[/mib=N|/count=N][/empty=1]
                               200, a supported_regions answer of N MiB (default 32), or of N
                               regions: aws with many valid-looking regions (empty=1: {} each,
                               the most JSON values a byte can buy).
  /escape-regions              200, a supported_regions answer whose aws list has a region named
                               with the escapes (as with json=valid).
  /zone-writes[/answer=huge|foreign][/mib=M][/own=K][/entries=N]
                               a zone that takes writes, v1 or v2 (told by the request path): GET
                               of the listing (a v2 page or the v1 value[]) holds N valid-looking
                               entries (default 0; 10.0.x.y as in /v2-page), GET of one of them
                               answers it and of any other IP 404 with code 1142, GET
                               …/supported_regions answers aws us-east-1. A batch request (PUT,
                               PATCH or DELETE …/batch) is answered 200 with: answer=huge (the
                               default), a succeeded[] of entries filling M MiB (default 32);
                               answer=foreign, a succeeded[] that lists the first K (default 0)
                               IPs of the request, then one IP per item that was NOT in the request
                               (198.51.100.x, then 2001:db8:ffff::x), and an empty failed[];
                               answer=lookalike, a succeeded[] of texts that resemble the IPs of
                               the request without being them (with a prefix length, a leading
                               zero, a space, as ::ffff:a.b.c.d), and an empty failed[].

A zone listing (for cloudflare_zones: point $CLOUDFLARE_BASE_URL at it)
  /zones-page[/zones=N|/mib=M][/empty=1][/same=1][/total_pages=P][/field=F][/text=TEXT]
             [/json=valid]
                               200, a GET /zones page as Cloudflare shapes it: result[] of N zone
                               objects (default 50; the zones of page p are numbered after those
                               of the pages before it, so no id repeats, unless same=1: every page
                               lists page 1's zones), or as many as fill M MiB,
                               with result_info from ?page= and P (default 1). empty=1: {} instead
                               of each zone (the most JSON values a byte can buy). field=F (id,
                               name, status, paused, modified_on, account.id, account.name,
                               plan.name): the first zone's F is TEXT (default the escapes;
                               json=valid as above).

Control
  GET /__hostile/requests      {"<behaviour path prefix>": count, ...} of the requests seen.
  DELETE /__hostile/requests   empties those counts (and the /times counters).
"""

import argparse
import functools
import json
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import zlib
from urllib.parse import parse_qsl, unquote

MIB = 1 << 20
MAX_REQUEST_BODY = 64 * MIB
ERROR_ENVELOPE = {"result": None, "success": False,
                  "errors": [{"code": 1000, "message": "Internal error."}], "messages": []}
OK_ENVELOPE = {"result": None, "success": True, "errors": [], "messages": []}
ESCAPES = ("bad \x1b[31mred\x1b[0m text\r\nX-Injected: 1\r\n\r\nnul\x00 bs\x08 bell\x07 "
           "\"quoted\" back\\slash \u202eevil\u202c tab\t del\x7f \ud800 end")
# Without the lone surrogate and the NUL, which a JSON decoder may refuse outright.
ESCAPES_VALID = ESCAPES.replace(" \ud800", "").replace("nul\x00 ", "nul ")
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}


class Disconnect(Exception):
    """The client went away: stop sending."""


def compact(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


def v2_entry(i):
    ip = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255) if i < (1 << 24) \
        else "2001:db8::%x:%x" % (i >> 16, i & 0xffff)
    return {"origin_ip": ip, "vendor": "aws", "region": "us-east-1",
            "modified_on": "2024-05-01T12:00:00Z"}


def v1_entry(i):
    entry = v2_entry(i)
    entry["origin-ip"] = entry.pop("origin_ip")
    return entry


def foreign_ip(i):
    """An address the tests never send: TEST-NET-2, then 2001:db8:ffff::/48."""
    return "198.51.100.%d" % i if i < 256 else "2001:db8:ffff::%x" % i


_ENTRIES_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _v2_entries_json(first, n):
    return compact([v2_entry(first + i) for i in range(n)])


def v2_entries_json(first, n):
    """[v2_entry(first), …] as compact JSON, built once per (first, n): concurrent pages of 32 MiB
    would otherwise cost the server seconds each."""
    with _ENTRIES_LOCK:
        return _v2_entries_json(first, n)


def zone_object(i):
    """Zone i of /zones-page, with the fields Cloudflare lists (as the fake's zones have them)."""
    return {
        "id": "%032x" % (i + 1), "name": "zone-%06d.example" % i, "status": "active",
        "paused": False, "type": "full", "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "original_name_servers": None, "original_registrar": None, "original_dnshost": None,
        "modified_on": "2024-05-01T12:00:00.000000Z", "created_on": "2024-05-01T12:00:00.000000Z",
        "activated_on": "2024-05-01T12:00:00.000000Z",
        "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3,
                 "phishing_detected": False},
        "owner": {"id": None, "type": "user", "email": None},
        "account": {"id": "%032x" % 0xacc0, "name": "Hostile Account"},
        "permissions": ["#zone:read", "#zone:edit"],
        "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0,
                 "currency": "USD", "legacy_id": "free"},
    }


ENTRY_BYTES = len(compact(v2_entry(123456))) + 1
ZONE_BYTES = len(compact(zone_object(123456))) + 1
V1_ENTRY_BYTES = len(compact(v1_entry(123456))) + 1
SETTING_ID = "origin_public_cloud_region"
NOT_FOUND = {"result": None, "success": False, "messages": [], "errors": [
    {"code": 1142, "message": "Unable to retrieve origin_public_cloud_region setting value. "
                              "The zone setting does not exist."}]}


def lookalikes(ip):
    """Texts that resemble ip without being that address."""
    v4 = "." in ip and ":" not in ip
    out = [ip + ("/32" if v4 else "/128"), "0" + ip, " " + ip, ip + " "]
    return out + (["::ffff:" + ip] if v4 else [])


def v1_wrap(value):
    return {"id": SETTING_ID, "editable": True, "value": value, "modified_on": None}


def batch_ips(body):
    """The IPs of a batch request's body: [{"origin_ip"|"ip": …}, …] or ["ip", …]."""
    try:
        items = json.loads(body or b"[]")
    except ValueError:
        return []
    out = []
    for it in items if isinstance(items, list) else []:
        ip = it if isinstance(it, str) else (it.get("origin_ip") or it.get("ip")
                                             if isinstance(it, dict) else None)
        if isinstance(ip, str):
            out.append(ip)
    return out


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}


class Handler(socketserver.StreamRequestHandler):
    timeout = 60

    # ---- request
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read_request(self):
        line = self.rfile.readline(65537)
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3:
            return None
        headers = {}
        for _ in range(200):
            h = self.rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        self.body = b""
        if 0 < length <= MAX_REQUEST_BODY:
            self.body = self.rfile.read(length)
        return parts[0], parts[1]

    # ---- output helpers
    def send(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            raise Disconnect()

    def head(self, status, headers=(), length=None, ctype="application/json"):
        lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status")),
                 "Content-Type: " + ctype, "Connection: close"]
        if length is not None:
            lines.append("Content-Length: %d" % length)
        lines.extend(headers)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def reply(self, status, body, headers=()):
        self.send(self.head(status, headers, len(body)) + body)

    # ---- dispatch
    def handle(self):
        try:
            req = self.read_request()
            if req:
                self.dispatch(*req)
        except (Disconnect, socket.timeout, ConnectionResetError, BrokenPipeError):
            pass

    def dispatch(self, method, target):
        path, _, query = target.partition("?")
        segs = [s for s in path.split("/") if s]
        if segs[:2] == ["__hostile", "requests"]:
            return self.control(method)
        name = segs[0] if segs else ""
        params, used = {}, [name]
        for s in segs[1:]:
            if "=" not in s:
                break
            k, _, v = s.partition("=")
            params[unquote(k)] = unquote(v)
            used.append(s)
        for k, v in parse_qsl(query, keep_blank_values=True):
            params.setdefault(k, v)
        key = "/" + "/".join(used)
        with self.server.state.lock:
            n = self.server.state.counts.get(key, 0) + 1
            self.server.state.counts[key] = n
        times = params.get("times")
        if times is not None and n > int(times):
            return self.reply(200, compact(OK_ENVELOPE))
        if name == "zone-writes":
            return self.b_zone_writes(params, method, path)
        handler = BEHAVIOURS.get(name)
        if handler is None:
            return self.reply(404, compact({"error": "unknown behaviour %r" % name}))
        handler(self, params)

    def control(self, method):
        with self.server.state.lock:
            if method == "DELETE":
                self.server.state.counts = {}
            body = compact(self.server.state.counts)
        self.reply(200, body)

    # ---- HTTP-level behaviours
    def b_ok(self, p):
        self.reply(200, compact(OK_ENVELOPE))

    def b_status(self, p):
        body = p["body"].encode() if "body" in p else compact(ERROR_ENVELOPE)
        self.reply(int(p.get("code", p.get("status", 500))), body)

    def b_gzip_bomb(self, p):
        total = int(p.get("mib", 1024))
        self.send(self.head(200, ["Content-Encoding: gzip"]))
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b" " * MIB
        for _ in range(total):
            out = z.compress(block)
            if out:
                self.send(out)
        self.send(z.flush())

    def b_truncated(self, p):
        status = int(p.get("status", 404))
        announce, send = int(p.get("announce", 4096)), int(p.get("send", 100))
        body = compact(ERROR_ENVELOPE)
        body = (body + b" " * max(0, announce - len(body)))[:announce]
        self.send(self.head(status, length=announce) + body[:send])

    def b_huge_headers(self, p):
        total, line = int(p.get("kib", 1024)) * 1024, max(1, int(p.get("line_kib", 1))) * 1024
        out = [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"]
        self.send(out[0])
        sent, i = 0, 0
        while sent < total:
            size = min(line, total - sent)
            h = b"X-Pad-%d: " % i
            h += b"a" * max(1, size - len(h) - 2) + b"\r\n"
            self.send(h)
            sent += len(h)
            i += 1
        body = compact(OK_ENVELOPE)
        self.send(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def b_endless(self, p):
        self.send(self.head(int(p.get("status", 200)), ["Transfer-Encoding: chunked"]))
        chunk = b'{"origin_ip":"10.0.0.1","vendor":"aws","region":"us-east-1"},' * 1000
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        self.send(b'%x\r\n{"result":[\r\n' % len(b'{"result":['))
        while True:
            self.send(frame)

    def b_slow_drip(self, p):
        status, total = int(p.get("status", 200)), int(p.get("bytes", 1000))
        interval = int(p.get("interval_ms", 500)) / 1000.0
        if p.get("phase") == "headers":
            data = self.head(status, ["X-Pad: " + "a" * total], 2) + b"{}"
        else:
            self.send(self.head(status, length=total))
            data = b" " * total
        for i in range(len(data)):
            self.send(data[i:i + 1])
            time.sleep(interval)

    def b_drop(self, p):
        time.sleep(int(p.get("after_ms", 0)) / 1000.0)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def b_retry_after(self, p):
        headers = []
        if "value" in p:
            headers.append("Retry-After: " + p["value"])
        if "ms" in p:
            headers.append("retry-after-ms: " + p["ms"])
        body = compact({"result": None, "success": False, "errors": [
            {"code": 971, "message": "Please wait and consider throttling your request speed"}],
            "messages": []})
        self.reply(int(p.get("status", 429)), body, headers)

    def b_retry_after_date_overflow(self, p):
        self.b_retry_after({"value": "Sun, 06 Nov 2147483647 08:49:37 GMT"})

    # ---- API-shaped answers
    def b_v2_page(self, p):
        if "mib" in p:
            n = max(1, int(float(p["mib"]) * MIB) // ENTRY_BYTES)
        else:
            n = int(p.get("entries", 100))
        page = int(p.get("page", 1))
        pages = int(p.get("total_pages", 1))
        if page == 1 and "first_entries" in p:
            n = int(p["first_entries"])
        first = (page - 1) * n if p.get("distinct") == "1" else 0
        rest = {"success": True, "errors": [], "messages": [],
                "result_info": {"page": page, "per_page": n, "count": n,
                                "total_count": int(p.get("total_count", n * pages)),
                                "total_pages": pages}}
        # The same bytes as compact({"result": [...], **rest}), the entries built once per size.
        self.reply(200, b'{"result":' + v2_entries_json(first, n) + b"," + compact(rest)[1:])

    def b_v1_entries(self, p):
        if "entries" in p:
            n = int(p["entries"])
        else:
            n = max(1, int(float(p.get("mib", 32)) * MIB) // V1_ENTRY_BYTES)
        doc = dict(OK_ENVELOPE, result=v1_wrap([v1_entry(i) for i in range(n)]))
        self.reply(200, compact(doc))

    def b_v1_empty_objects(self, p):
        n = int(float(p.get("mib", 32)) * MIB) // 3
        value = b"[" + b"{}," * (n - 1) + b"{}]"
        body = (b'{"result":{"id":"origin_public_cloud_region","editable":true,"value":' + value +
                b',"modified_on":null},"success":true,"errors":[],"messages":[]}')
        self.reply(200, body)

    def b_error_message(self, p):
        size = int(float(p["mib"]) * MIB) if "mib" in p else int(p.get("bytes", 31000000))
        fill = p.get("fill", "m") or "m"
        unit = len(fill.encode())
        message = fill * (size // unit)
        rest = fill.encode()[:size % unit].decode(errors="ignore")
        doc = {"result": None, "success": False, "messages": [],
               "errors": [{"code": int(p.get("code", 1000)), "message": message + rest}]}
        body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        self.reply(int(p.get("status", 400)), body)

    def b_escape_message(self, p):
        text = ESCAPES_VALID if p.get("json") == "valid" else ESCAPES
        doc = {"result": None, "success": False, "messages": [],
               "errors": [{"code": 1000, "message": text}]}
        self.reply(int(p.get("status", 400)), json.dumps(doc).encode())

    def b_escape_entry(self, p):
        text = p.get("text", ESCAPES_VALID if p.get("json") == "valid" else ESCAPES)
        field = p.get("field")
        if field:
            entry = v2_entry(1)
            entry[field] = text
        else:
            entry = {"origin_ip": text, "vendor": text, "region": text, "modified_on": text}
        doc = {"result": [entry], "success": True, "errors": [], "messages": [],
               "result_info": {"page": 1, "per_page": 100, "count": 1, "total_count": 1,
                               "total_pages": 1}}
        self.reply(200, json.dumps(doc).encode())

    def b_supported_regions(self, p):
        target = int(float(p.get("mib", 32)) * MIB)
        one = len(compact({"name": "region-0000000", "upper_tier_colos": ["IAD"]})) + 1
        if p.get("empty") == "1":
            one = 3
        count = int(p["count"]) if "count" in p else max(1, target // one)
        regions = [{} if one == 3 else {"name": "region-%07d" % i, "upper_tier_colos": ["IAD"]}
                   for i in range(count)]
        doc = {"result": {"obtained_codes": True, "vendors": {"aws": regions}}, "success": True,
               "errors": [], "messages": []}
        self.reply(200, compact(doc))

    def b_escape_regions(self, p):
        regions = [{"name": "us-east-1", "upper_tier_colos": ["IAD"]},
                   {"name": ESCAPES_VALID, "upper_tier_colos": [ESCAPES_VALID]}]
        doc = {"result": {"obtained_codes": True, "vendors": {"aws": regions}}, "success": True,
               "errors": [], "messages": []}
        self.reply(200, json.dumps(doc).encode())

    def b_zones_page(self, p):
        empty = p.get("empty") == "1"
        one = 3 if empty else ZONE_BYTES
        n = max(1, int(float(p["mib"]) * MIB) // one) if "mib" in p else int(p.get("zones", 50))
        page, pages = int(p.get("page", 1)), int(p.get("total_pages", 1))
        first = 0 if p.get("same") == "1" else (page - 1) * n
        zones = [{} if empty else zone_object(first + i) for i in range(n)]
        if "field" in p and zones:
            text = p.get("text", ESCAPES_VALID if p.get("json") == "valid" else ESCAPES)
            obj, _, key = p["field"].rpartition(".")
            (zones[0][obj] if obj else zones[0])[key] = text
        rest = {"success": True, "errors": [], "messages": [],
                "result_info": {"page": page, "per_page": n, "count": n,
                                "total_count": n * pages, "total_pages": pages}}
        self.reply(200, b'{"result":' + json.dumps(zones, separators=(",", ":")).encode() + b","
                   + compact(rest)[1:])

    def b_zone_writes(self, p, method, path):
        v1 = "/cache/origin_cloud_regions" in path
        tail = path.split("cloud_regions", 1)[1].strip("/") if "cloud_regions" in path else ""
        entries = int(p.get("entries", 0))
        ips = {v2_entry(i)["origin_ip"]: i for i in range(entries)}
        entry = v1_entry if v1 else v2_entry
        ok = dict(OK_ENVELOPE)
        if method == "GET" and tail == "supported_regions":
            ok["result"] = {"obtained_codes": True, "vendors": {
                "aws": [{"name": "us-east-1", "upper_tier_colos": ["IAD"]}]}}
        elif method == "GET" and tail == "":
            listing = [entry(i) for i in range(entries)]
            ok["result"] = v1_wrap(listing) if v1 else listing
            if not v1:
                ok["result_info"] = {"page": 1, "per_page": 100, "count": entries,
                                     "total_count": entries, "total_pages": 1}
        elif method == "GET" and "/" not in tail and unquote(tail) in ips:
            one = entry(ips[unquote(tail)])
            ok["result"] = v1_wrap(one) if v1 else one
        elif method == "GET" and "/" not in tail and tail != "batch":
            return self.reply(404, compact(NOT_FOUND))
        elif tail == "batch" and method in ("PUT", "PATCH", "DELETE"):
            return self.batch_answer(p, v1)
        else:
            return self.reply(404, compact({"error": "no such route in /zone-writes"}))
        self.reply(200, compact(ok))

    def batch_answer(self, p, v1):
        key = "origin-ip" if v1 else "origin_ip"
        if p.get("answer", "huge") == "huge":
            n = max(1, int(float(p.get("mib", 32)) * MIB) // ENTRY_BYTES)
            succeeded = [(v1_entry if v1 else v2_entry)(i) for i in range(n)]
        elif p.get("answer") == "lookalike":
            succeeded = [{key: text, "vendor": "aws", "region": "us-east-1"}
                         for ip in batch_ips(self.body) for text in lookalikes(ip)]
        else:
            sent = batch_ips(self.body)
            own = int(p.get("own", 0))
            succeeded = [{key: ip, "vendor": "aws", "region": "us-east-1"} for ip in sent[:own]]
            succeeded += [{key: foreign_ip(i), "vendor": "aws", "region": "us-east-1"}
                          for i in range(len(sent))]
        value = {"succeeded": succeeded, "failed": []}
        doc = dict(OK_ENVELOPE, result=v1_wrap(value) if v1 else value)
        self.reply(200, compact(doc))


BEHAVIOURS = {
    "ok": Handler.b_ok, "status": Handler.b_status, "gzip-bomb": Handler.b_gzip_bomb,
    "truncated": Handler.b_truncated, "truncated-404": Handler.b_truncated,
    "huge-headers": Handler.b_huge_headers, "endless": Handler.b_endless,
    "slow-drip": Handler.b_slow_drip, "drop": Handler.b_drop, "retry-after": Handler.b_retry_after,
    "retry-after-date-overflow": Handler.b_retry_after_date_overflow,
    "v2-page": Handler.b_v2_page, "v1-empty-objects": Handler.b_v1_empty_objects,
    "error-message": Handler.b_error_message, "escape-message": Handler.b_escape_message,
    "escape-entry": Handler.b_escape_entry, "supported-regions": Handler.b_supported_regions,
    "v1-entries": Handler.b_v1_entries, "escape-regions": Handler.b_escape_regions,
    "zones-page": Handler.b_zones_page,
}


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, state, tls=None, port=0):
        super().__init__(("127.0.0.1", port), Handler)
        self.state, self.tls = state, tls

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            sock.settimeout(10)
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()  # the client refused our certificate: expected
                raise OSError("TLS handshake refused")
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-answer is what these tests provoke


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t


def main(argv=None):
    ap = argparse.ArgumentParser(description="Hostile HTTP server for tests (127.0.0.1 only).")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-port-file")
    args = ap.parse_args(argv)
    state = State()
    server = Server(state, port=args.port)
    port = server.server_address[1]
    servers = [server]
    if args.tls_cert and args.tls_key:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tls = Server(state, ctx)
        servers.append(tls)
        if args.tls_port_file:
            write_port(args.tls_port_file, tls.server_address[1])
    print("hostile-server listening on http://127.0.0.1:%d" % port, flush=True)
    if args.port_file:
        write_port(args.port_file, port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    for s in servers:
        serve(s)
    done.wait()
    for s in servers:
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
