#!/usr/bin/env python3
"""A faithful, stateful fake of Cloudflare's origin cloud region API (v1 and v2) for tests.

    python3 test/fake_cloudflare.py [--port 0] [--port-file PATH] [--token T]... [--email E --key K]
                                    [--latency-ms N] [--regions FILE] [--rate-limit N/S]

Python 3 standard library only. Serves the 15 operations of Cloudflare's published OpenAPI
definition (test/fixtures/cloudflare-openapi.json), plus the zone listing (GET /zones), under
/client/v4/ and at the root, on 127.0.0.1 only, with HTTP/1.1 keep-alive. Control paths under
/__fake/ (no credentials, never rate limited):

    POST /__fake/reset                       empty every zone and the zone list, clear faults and
                                             the log, back to the command line's rate limit
    PUT|GET /__fake/zones/{zone_id}/mappings seed / read one zone's mappings
    PUT|GET /__fake/zones                    replace / read the list GET /zones serves:
                                             [{"id", "name", "status"?, "account": {"id", "name"}?,
                                               "plan": {"name"}?, "type"?, "paused"?,
                                               "created_on"?, "modified_on"?, "activated_on"?}]
    POST|DELETE /__fake/faults               inject / clear faults
    GET|DELETE /__fake/requests              read / empty the request log
    POST|DELETE|GET /__fake/rate_limit       {"requests": N, "seconds": S}: API requests beyond N in
                                             any S seconds answer 429 (code 971, Retry-After)

The testing section of the README lists every choice made where Cloudflare's documents are silent.
"""

import argparse
import collections
import hashlib
import ipaddress
import json
import math
import os
import re
import signal
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

MAX_MAPPINGS = 3500
MAX_BATCH = 100
MAX_BODY = 16 * 1024 * 1024
SETTING_ID = "origin_public_cloud_region"
DEFAULT_TOKEN = "test-token"
DEFAULT_REGIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sql",
                               "supported_regions.json")

# Error codes and messages (the OpenAPI definition's examples, Cloudflare's SDKs and documentation;
# the ones marked "ours" are unpublished).
E_INVALID_IP = (1146, "Invalid or missing origin IP address.")
E_IP_MISMATCH = (1146, "body origin_ip does not match URL")
E_PER_PAGE = (1146, "invalid per_page parameter, must be between 1 and 100")
E_PAGE = (1146, "invalid page parameter, must be a positive integer")                       # ours
E_BATCH_TOO_BIG = (1146, "too many items in batch request, the maximum is 100")              # ours
E_EXISTS = (1145, "Unable to create new origin_public_cloud_region setting. "
                  "The zone setting already exists.")
E_VENDOR_REGION = (1157, "The vendor provided doesn't exist or the region provided does not exist "
                         "for the specified cloud vendor")
E_LIMIT = (1164, "Maximum number of IP mappings configured for zone.")
E_NOT_FOUND = (1142, "Unable to retrieve origin_public_cloud_region setting value. "
                     "The zone setting does not exist.")
E_DELETE_MISSING = (1163, "Unable to delete origin_public_cloud_region setting value. "
                          "No mapping exists for the specified origin IP.")               # ours
E_UPDATE_INTERNAL = (1140, "Unable to update origin_public_cloud_region setting value. Internal error.")
E_DELETE_INTERNAL = (1141, "Unable to delete origin_public_cloud_region setting. Internal error.")
E_READ_INTERNAL = (1000, "Internal error.")                                                 # ours
E_AUTH = (10000, "Authentication error")
E_THROTTLED = (971, "Please wait and consider throttling your request speed")
E_MALFORMED_JSON = (6007, "Malformed JSON in request body")
E_NO_ROUTE = (7000, "No route for that URI")
ITEM_MISSING = "No mapping exists for the specified origin IP."                             # ours

E_ZONES_PARAM = 1001  # ours: an invalid query parameter of GET /zones (the message names it)

ZONE_RE = re.compile(r"^[0-9a-fA-F]{32}$")
IP_CHARS = frozenset("0123456789abcdefABCDEF:.")

# GET /zones: Cloudflare's documented values and page sizes.
ZONE_STATUSES = ("initializing", "pending", "active", "moved")
ZONE_TYPES = ("full", "partial", "secondary", "internal")
ZONE_ORDERS = ("name", "status", "account.id", "account.name", "plan.id")
ZONES_PER_PAGE = (5, 50, 20)  # minimum, maximum, default
# name=<operator>:<value> (and account.name=); no operator means equal. The plain ones ignore case.
NAME_OPERATORS = {
    "equal": lambda have, want: have.lower() == want.lower(),
    "not_equal": lambda have, want: have.lower() != want.lower(),
    "starts_with": lambda have, want: have.lower().startswith(want.lower()),
    "ends_with": lambda have, want: have.lower().endswith(want.lower()),
    "contains": lambda have, want: want.lower() in have.lower(),
    "starts_with_case_sensitive": lambda have, want: have.startswith(want),
    "ends_with_case_sensitive": lambda have, want: have.endswith(want),
    "contains_case_sensitive": lambda have, want: want in have,
}
DEFAULT_ACCOUNT = {"id": "01a7362d577a6c3019a474fd6f485823", "name": "Fake Account"}
FREE_PLAN_ID = "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee"  # the id Cloudflare gives its free plan
PLANS = {  # name -> (legacy_id, monthly price in USD)
    "Free Website": ("free", 0), "Pro Website": ("pro", 20), "Business Website": ("business", 200),
    "Enterprise Website": ("enterprise", 0)}
ZONE_SEED_FIELDS = {"id", "name", "status", "account", "plan", "paused", "type", "created_on",
                    "modified_on", "activated_on"}


class BadBody(Exception):
    """The request body cannot be decoded into the operation's type (Go's json.Unmarshal fails)."""


def canonical_ip(text):
    """RFC 5952 / dotted-quad canonical form of text, or None if text is not a bare IP address."""
    if not isinstance(text, str) or not text or len(text) > 45 or not IP_CHARS.issuperset(text):
        return None  # rules out prefixes, zone ids, spaces, non-ASCII digits
    try:
        addr = ipaddress.ip_address(text)  # rejects IPv4 octets with leading zeros (also embedded)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return "::ffff:" + str(addr.ipv4_mapped)  # Python < 3.13 prints ::ffff:c000:201
    return str(addr)  # lowercase, no leading zeros, longest (first) run of >=2 zero groups as ::


def ip_sort_key(canon):
    addr = ipaddress.ip_address(canon)
    return (addr.version, int(addr))


def now_rfc3339(micro=False):
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro
                                                else "%Y-%m-%dT%H:%M:%SZ")


def error_body(*errors):
    return {"result": None, "success": False,
            "errors": [{"code": c, "message": m} for c, m in errors], "messages": []}


def ok_body(result, **extra):
    body = {"result": result, "success": True, "errors": [], "messages": []}
    body.update(extra)
    return body


class Reply:
    """What a handler answers: a status and a JSON document (or raw bytes)."""

    def __init__(self, status, body, headers=None, raw=None):
        self.status, self.body, self.headers, self.raw = status, body, headers or {}, raw


def fail(status, *errors):
    return Reply(status, error_body(*errors))


# --------------------------------------------------------------------------------------------------
# State


class Zone:
    def __init__(self):
        self.mappings = {}       # canonical ip -> {"vendor", "region", "modified_on"}
        self.modified_on = None  # last change of the mapping set; None once it is empty
        self._order = []         # self.mappings' IPs by address, or None when it must be rebuilt

    def sorted_ips(self):
        if self._order is None:
            self._order = sorted(self.mappings, key=ip_sort_key)
        return self._order

    def put(self, ip, vendor, region, stamp):
        if ip not in self.mappings:
            self._order = None
        self.mappings[ip] = {"vendor": vendor, "region": region, "modified_on": stamp}
        self.modified_on = stamp

    def remove(self, ip, stamp):
        self._order = None
        m = self.mappings.pop(ip)
        self.modified_on = stamp if self.mappings else None  # the last one removes the rule record
        return m

    def replace(self, mappings):
        self.mappings, self._order = mappings, None
        self.modified_on = max((m["modified_on"] for m in mappings.values()), default=None)


class State:
    def __init__(self, regions, latency_ms, rate_limit=None):
        self.lock = threading.Lock()
        self.regions = regions
        self.valid = {v: {r.get("name") for r in lst if isinstance(r, dict)}
                      for v, lst in regions.get("vendors", {}).items()}
        self.default_latency_ms = latency_ms
        self.default_rate_limit = rate_limit
        self.reset()

    def reset(self):
        self.zones = {}
        self.zone_list = []  # what GET /zones lists: full zone objects sorted by (name, id)
        self.log = []
        self.clear_faults()
        self.set_rate_limit(self.default_rate_limit)

    def set_rate_limit(self, limit):
        """limit: (requests, seconds) or None. Starts an empty window."""
        self.rate_limit = limit
        self.admitted = collections.deque()  # monotonic times of the requests in the window

    def throttle(self, now):
        """Admits one API request (None) or answers the whole seconds until the window has room.
        Refused requests do not count, so a client that waits as told gets through."""
        if self.rate_limit is None:
            return None
        requests, seconds = self.rate_limit
        window = self.admitted
        while window and window[0] <= now - seconds:
            window.popleft()
        if len(window) < requests:
            window.append(now)
            return None
        return max(1, math.ceil(window[0] + seconds - now))

    def clear_faults(self):
        self.latency_ms = self.default_latency_ms
        self.rules = []
        self.reject_items = {}

    def zone(self, zone_id):
        z = self.zones.get(zone_id)
        if z is None:
            z = self.zones[zone_id] = Zone()
        return z

    def region_ok(self, vendor, region):
        return vendor in self.valid and region in self.valid[vendor]

    def match_fault(self, method, path):
        """Counts this request against every rule; returns the first rule that applies to it."""
        hit = None
        for rule in self.rules:
            if rule["method"] and rule["method"] != method:
                continue
            if rule["path_contains"] not in path:
                continue
            rule["seen"] += 1
            n = rule["seen"] - rule["after"]
            if n <= 0 or (rule["count"] is not None and rule["applied"] >= rule["count"]):
                continue
            if n % rule["every"]:
                continue
            rule["applied"] += 1
            if hit is None:
                hit = rule
        return hit


# --------------------------------------------------------------------------------------------------
# Zones: what PUT /__fake/zones accepts, and the zone objects GET /zones lists.


class BadZone(Exception):
    """A zone in PUT /__fake/zones that does not have the documented shape (the text says why)."""


def zone_plan(name):
    legacy_id, price = PLANS.get(name, ((name.split() or ["custom"])[0].lower(), 0))
    plan_id = FREE_PLAN_ID if legacy_id == "free" else hashlib.md5(name.encode()).hexdigest()
    return {"id": plan_id, "name": name, "price": price, "currency": "USD",
            "frequency": "" if price == 0 else "monthly", "is_subscribed": price > 0,
            "can_subscribe": price > 0, "legacy_id": legacy_id, "legacy_discount": False,
            "externally_managed": False}


def seed_field(obj, key, kind, check=None, what="a non-empty string"):
    value = obj.get(key)
    if type(value) is not kind or (check is not None and not check(value)):
        raise BadZone("%r must be %s" % (key, what))
    return value


def seed_object(item, key, fields):
    obj = item[key]
    if not isinstance(obj, dict) or set(obj) - set(fields):
        raise BadZone("%r must be an object with %s" % (key, " and ".join(map(repr, fields))))
    return obj


def seed_choice(item, key, choices, default):
    value = item.get(key, default)
    if value not in choices:
        raise BadZone("%r must be one of %s" % (key, ", ".join(choices)))
    return value


def zone_from_seed(item, stamp):
    """The zone object Cloudflare would list for one item of PUT /__fake/zones (BadZone if it is
    not {"id", "name", "status"?, "account": {"id", "name"}?, "plan": {"name"}?, ...})."""
    if not isinstance(item, dict):
        raise BadZone("each zone must be an object")
    unknown = sorted(set(item) - ZONE_SEED_FIELDS)
    if unknown:
        raise BadZone("unknown field %r" % unknown[0])
    nonempty = bool  # a check for seed_field
    zone_id = seed_field(item, "id", str, ZONE_RE.match, "32 hex digits").lower()
    name = seed_field(item, "name", str, nonempty)
    status = seed_choice(item, "status", ZONE_STATUSES, "active")
    account = dict(DEFAULT_ACCOUNT)
    if "account" in item:
        obj = seed_object(item, "account", ("id", "name"))
        account = {"id": seed_field(obj, "id", str, ZONE_RE.match, "32 hex digits").lower(),
                   "name": seed_field(obj, "name", str, nonempty)}
    plan = "Free Website"
    if "plan" in item:
        plan = seed_field(seed_object(item, "plan", ("name",)), "name", str, nonempty)

    def stamp_field(key, default):
        return seed_field(item, key, str, nonempty, "an RFC 3339 time") if key in item else default
    created = stamp_field("created_on", stamp)
    if "activated_on" not in item:
        activated = created if status == "active" else None
    elif item["activated_on"] is None:
        activated = None
    else:
        activated = stamp_field("activated_on", None)
    return {
        "id": zone_id, "name": name, "status": status,
        "paused": seed_field(item, "paused", bool, what="true or false") if "paused" in item
        else False,
        "type": seed_choice(item, "type", ZONE_TYPES, "full"),
        "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "original_name_servers": None, "original_registrar": None, "original_dnshost": None,
        "modified_on": stamp_field("modified_on", created), "created_on": created,
        "activated_on": activated,
        "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3,
                 "phishing_detected": False},
        "owner": {"id": None, "type": "user", "email": None},
        "account": account,
        "permissions": ["#zone:read", "#zone:edit", "#zone_settings:read", "#zone_settings:edit"],
        "plan": zone_plan(plan),
        "tenant": {"id": None, "name": None}, "tenant_unit": {"id": None},
    }


def zones_from_seed(doc):
    """The zone list for PUT /__fake/zones, sorted by (name, id); BadZone names the bad item."""
    if not isinstance(doc, list):
        raise BadZone("body must be a JSON array of zones")
    stamp = now_rfc3339(micro=True)
    zones, seen = [], set()
    for n, item in enumerate(doc):
        try:
            zone = zone_from_seed(item, stamp)
        except BadZone as e:
            raise BadZone("zone %d: %s" % (n, e))
        if zone["id"] in seen:
            raise BadZone("zone %d: duplicate id %s" % (n, zone["id"]))
        seen.add(zone["id"])
        zones.append(zone)
    zones.sort(key=lambda z: (z["name"], z["id"]))
    return zones


def name_matcher(spec):
    """name=/account.name= filter: "<operator>:<value>" with one of NAME_OPERATORS, else equal."""
    op, sep, value = spec.partition(":")
    if sep and op in NAME_OPERATORS:
        return lambda have: NAME_OPERATORS[op](have, value)
    return lambda have: NAME_OPERATORS["equal"](have, spec)


ZONE_SORT_KEYS = {
    "name": lambda z: z["name"], "status": lambda z: z["status"],
    "account.id": lambda z: z["account"]["id"], "account.name": lambda z: z["account"]["name"],
    "plan.id": lambda z: z["plan"]["id"]}


# --------------------------------------------------------------------------------------------------
# Request bodies, decoded the way Cloudflare's (Go) backend would: a JSON type mismatch fails the whole
# body (6007); a missing or null string field is the empty string.


def decode_json(raw):
    def no_constants(name):
        raise ValueError(name)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError):
        raise BadBody()


def str_field(obj, name):
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadBody()
    return value


def decode_item(obj, ip_field):
    if obj is None:
        obj = {}
    if not isinstance(obj, dict):
        raise BadBody()
    return str_field(obj, ip_field), str_field(obj, "vendor"), str_field(obj, "region")


def decode_list(doc):
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise BadBody()
    return doc


# --------------------------------------------------------------------------------------------------
# The API


class Api:
    """The 15 operations. Every method is called with the state lock held and, where the path has
    one, a valid canonical path IP."""

    def __init__(self, state):
        self.s = state

    # ---- shapes
    @staticmethod
    def v1_entry(ip, m):
        return {"origin-ip": ip, "vendor": m["vendor"], "region": m["region"],
                "modified_on": m["modified_on"]}

    @staticmethod
    def v2_entry(ip, m):
        return {"origin_ip": ip, "vendor": m["vendor"], "region": m["region"],
                "modified_on": m["modified_on"]}

    @staticmethod
    def v1_wrap(value, modified_on):
        return {"id": SETTING_ID, "editable": True, "value": value, "modified_on": modified_on}

    def v1_list_result(self, z):
        return self.v1_wrap([self.v1_entry(ip, z.mappings[ip]) for ip in z.sorted_ips()],
                            z.modified_on if z.mappings else None)

    # ---- shared validation and writes
    def check_item(self, raw_ip, vendor, region):
        """(canonical ip, None) or (None/ip, (code, message)) for one upsert item."""
        ip = canonical_ip(raw_ip)
        if ip is None:
            return None, E_INVALID_IP
        if not self.s.region_ok(vendor, region):
            return ip, E_VENDOR_REGION
        return ip, None

    def single_upsert(self, z, raw, ip_field, path_ip=None, create_only=False):
        """Shared by v1 POST, v1 PATCH and v2 PUT. Returns (reply or None, canonical ip)."""
        if not raw:
            return fail(400, E_INVALID_IP), None
        raw_ip, vendor, region = decode_item(decode_json(raw), ip_field)
        ip = canonical_ip(raw_ip)
        if ip is None:
            return fail(400, E_INVALID_IP), None
        if path_ip is not None and ip != path_ip:
            return fail(400, E_IP_MISMATCH), None
        if not self.s.region_ok(vendor, region):
            return fail(400, E_VENDOR_REGION), None
        if ip in z.mappings:
            if create_only:
                return fail(400, E_EXISTS), None
        elif len(z.mappings) >= MAX_MAPPINGS:
            return fail(403, E_LIMIT), None
        z.put(ip, vendor, region, now_rfc3339())
        return None, ip

    def batch_upsert(self, z, raw, ip_field):
        """Returns (reply or None, succeeded, failed, stamp or None); items in the API's v2 naming."""
        if not raw:
            return fail(400, E_INVALID_IP), None, None, None
        items = [decode_item(o, ip_field) for o in decode_list(decode_json(raw))]
        if len(items) > MAX_BATCH:
            return fail(400, E_BATCH_TOO_BIG), None, None, None
        plan, failed, new = [], [], set()
        for raw_ip, vendor, region in items:
            ip, err = self.check_item(raw_ip, vendor, region)
            if err is None and ip in self.s.reject_items:
                err = (None, self.s.reject_items[ip])
            if err is not None:
                failed.append({"origin_ip": ip or raw_ip, "error": err[1]})
                continue
            if ip not in z.mappings:
                new.add(ip)
            plan.append((ip, vendor, region))
        if new and len(z.mappings) + len(new) > MAX_MAPPINGS:
            return fail(403, E_LIMIT), None, None, None  # refused whole
        stamp = now_rfc3339() if plan else None
        succeeded = []
        for ip, vendor, region in plan:
            z.put(ip, vendor, region, stamp)
            succeeded.append({"origin_ip": ip, "vendor": vendor, "region": region})
        return None, succeeded, failed, stamp

    def batch_delete(self, z, raw):
        if not raw:  # what the official SDKs send: no body
            return fail(400, E_INVALID_IP), None, None, None
        ips = decode_list(decode_json(raw))
        if any(x is not None and not isinstance(x, str) for x in ips):
            raise BadBody()
        if len(ips) > MAX_BATCH:
            return fail(400, E_BATCH_TOO_BIG), None, None, None
        succeeded, failed, stamp = [], [], None
        for raw_ip in ips:
            raw_ip = raw_ip or ""
            ip = canonical_ip(raw_ip)
            if ip is None:
                failed.append({"origin_ip": raw_ip, "error": E_INVALID_IP[1]})
            elif ip in self.s.reject_items:
                failed.append({"origin_ip": ip, "error": self.s.reject_items[ip]})
            elif ip not in z.mappings:
                failed.append({"origin_ip": ip, "error": ITEM_MISSING})
            else:
                stamp = stamp or now_rfc3339()
                m = z.remove(ip, stamp)
                succeeded.append({"origin_ip": ip, "vendor": m["vendor"], "region": m["region"]})
        return None, succeeded, failed, stamp

    @staticmethod
    def v1_items(items):
        out = []
        for it in items:
            it = dict(it)
            it["origin-ip"] = it.pop("origin_ip")
            out.append(it)
        return out

    def supported_regions(self, zone_id, **_):
        return Reply(200, ok_body(self.s.regions))

    # ---- GET /zones
    def zones_list(self, query, **_):
        def bad(text):
            return fail(400, (E_ZONES_PARAM, "Invalid request: " + text))

        def one(name, choices=None):
            value = (query.get(name) or [None])[0]
            if value is not None and choices is not None and value not in choices:
                raise ValueError("%s must be one of %s" % (name, ", ".join(choices)))
            return value
        try:
            status, order = one("status", ZONE_STATUSES), one("order", ZONE_ORDERS) or "name"
            direction = one("direction", ("asc", "desc")) or "asc"
            match_any = (one("match", ("any", "all")) or "all") == "any"
            types = [t for v in query.get("type", []) for t in v.split(",")]
            if any(t not in ZONE_TYPES for t in types):
                raise ValueError("type must be a list of %s" % ", ".join(ZONE_TYPES))
        except ValueError as e:
            return bad(str(e))
        values = {}
        for name in ("per_page", "page"):
            value = one(name)
            if value is not None and not re.fullmatch(r"[0-9]{1,9}", value):
                return bad("%s must be a positive integer" % name)
            values[name] = None if value is None else int(value)
        low, high, default = ZONES_PER_PAGE
        per_page = values["per_page"]  # out of range: clamped, as Cloudflare does
        per_page = default if per_page is None else min(high, max(low, per_page))
        page = values["page"] if values["page"] is not None else 1
        if page < 1:
            return bad("page must be a positive integer")

        tests = []  # each: zone -> bool; combined with match=all (default) or any
        if one("name") is not None:
            matches = name_matcher(one("name"))
            tests.append(lambda z: matches(z["name"]))
        if status is not None:
            tests.append(lambda z: z["status"] == status)
        if one("account.id") is not None:
            account_id = one("account.id").lower()
            tests.append(lambda z: z["account"]["id"] == account_id)
        if one("account.name") is not None:
            account_matches = name_matcher(one("account.name"))
            tests.append(lambda z: account_matches(z["account"]["name"]))
        combine = any if match_any else all
        zones = [z for z in self.s.zone_list
                 if (z["type"] in types if types else z["type"] != "internal")
                 and (not tests or combine(t(z) for t in tests))]
        if order != "name":  # the list is already by (name, id); a stable sort keeps that within
            zones = sorted(zones, key=ZONE_SORT_KEYS[order])
        if direction == "desc":
            zones = zones[::-1]
        chunk = zones[(page - 1) * per_page:page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk),
                "total_count": len(zones), "total_pages": math.ceil(len(zones) / per_page)}
        return Reply(200, ok_body(chunk, result_info=info))  # zone objects are never changed

    # ---- v1: /zones/{zone_id}/cache/origin_cloud_regions
    def v1_list(self, zone_id, **_):
        return Reply(200, ok_body(self.v1_list_result(self.s.zone(zone_id))))

    def v1_create(self, zone_id, body, **_):
        z = self.s.zone(zone_id)
        reply, ip = self.single_upsert(z, body, "ip", create_only=True)
        if reply:
            return reply
        m = z.mappings[ip]
        return Reply(200, ok_body(self.v1_wrap(self.v1_entry(ip, m), m["modified_on"])))

    def v1_upsert(self, zone_id, body, **_):
        z = self.s.zone(zone_id)
        reply, _ip = self.single_upsert(z, body, "ip")
        return reply or Reply(200, ok_body(self.v1_list_result(z)))

    def v1_get(self, zone_id, ip, **_):
        z = self.s.zone(zone_id)
        if ip not in z.mappings:
            return fail(404, E_NOT_FOUND)
        m = z.mappings[ip]
        return Reply(200, ok_body(self.v1_wrap(self.v1_entry(ip, m), m["modified_on"])))

    def v1_delete(self, zone_id, ip, **_):
        z = self.s.zone(zone_id)
        if ip not in z.mappings:
            return fail(404, E_DELETE_MISSING)
        m = z.remove(ip, now_rfc3339())
        return Reply(200, ok_body(self.v1_wrap(self.v1_entry(ip, m), m["modified_on"])))

    def v1_batch_upsert(self, zone_id, body, **_):
        reply, ok, bad, stamp = self.batch_upsert(self.s.zone(zone_id), body, "ip")
        if reply:
            return reply
        value = {"succeeded": self.v1_items(ok), "failed": self.v1_items(bad)}
        return Reply(200, ok_body(self.v1_wrap(value, stamp)))

    def v1_batch_delete(self, zone_id, body, **_):
        reply, ok, bad, stamp = self.batch_delete(self.s.zone(zone_id), body)
        if reply:
            return reply
        value = {"succeeded": self.v1_items(ok), "failed": self.v1_items(bad)}
        return Reply(200, ok_body(self.v1_wrap(value, stamp)))

    # ---- v2: /zones/{zone_id}/origin/cloud_regions
    def v2_list(self, zone_id, query, **_):
        def int_param(name, default):
            values = query.get(name)
            if not values:
                return default
            return int(values[0]) if re.fullmatch(r"[0-9]{1,9}", values[0]) else -1
        per_page = int_param("per_page", 20)
        if not 1 <= per_page <= 100:
            return fail(400, E_PER_PAGE)
        page = int_param("page", 1)
        if page < 1:
            return fail(400, E_PAGE)
        z = self.s.zone(zone_id)
        ips = z.sorted_ips()
        chunk = ips[(page - 1) * per_page:page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(ips),
                "total_pages": math.ceil(len(ips) / per_page)}
        return Reply(200, ok_body([self.v2_entry(ip, z.mappings[ip]) for ip in chunk],
                                  result_info=info))

    def v2_get(self, zone_id, ip, **_):
        z = self.s.zone(zone_id)
        if ip not in z.mappings:
            return fail(404, E_NOT_FOUND)
        return Reply(200, ok_body(self.v2_entry(ip, z.mappings[ip])))

    def v2_put(self, zone_id, ip, body, **_):
        z = self.s.zone(zone_id)
        reply, _ip = self.single_upsert(z, body, "origin_ip", path_ip=ip)
        return reply or Reply(200, ok_body(self.v2_entry(ip, z.mappings[ip])))

    def v2_delete(self, zone_id, ip, **_):
        z = self.s.zone(zone_id)
        if ip not in z.mappings:
            return fail(404, E_NOT_FOUND)
        z.remove(ip, now_rfc3339())
        return Reply(200, ok_body({"origin_ip": ip}))

    def v2_batch_put(self, zone_id, body, **_):
        reply, ok, bad, _stamp = self.batch_upsert(self.s.zone(zone_id), body, "origin_ip")
        return reply or Reply(200, ok_body({"succeeded": ok, "failed": bad}))

    def v2_batch_delete(self, zone_id, body, **_):
        reply, ok, bad, _stamp = self.batch_delete(self.s.zone(zone_id), body)
        return reply or Reply(200, ok_body({"succeeded": ok, "failed": bad}))


# (generation, literal tail or None for "/{origin_ip}", method) -> (operation, kind)
# kind: "read", "write", "batch" (for the request log's items, and for fault envelopes).
ROUTES = {
    ("v1", "", "GET"): ("v1_list", "read"),
    ("v1", "", "POST"): ("v1_create", "write"),
    ("v1", "", "PATCH"): ("v1_upsert", "write"),
    ("v1", "batch", "PATCH"): ("v1_batch_upsert", "batch"),
    ("v1", "batch", "DELETE"): ("v1_batch_delete", "batch"),
    ("v1", "supported_regions", "GET"): ("supported_regions", "read"),
    ("v1", None, "GET"): ("v1_get", "read"),
    ("v1", None, "DELETE"): ("v1_delete", "write"),
    ("v2", "", "GET"): ("v2_list", "read"),
    ("v2", "batch", "PUT"): ("v2_batch_put", "batch"),
    ("v2", "batch", "DELETE"): ("v2_batch_delete", "batch"),
    ("v2", "supported_regions", "GET"): ("supported_regions", "read"),
    ("v2", None, "GET"): ("v2_get", "read"),
    ("v2", None, "PUT"): ("v2_put", "write"),
    ("v2", None, "DELETE"): ("v2_delete", "write"),
}
BASES = {("cache", "origin_cloud_regions"): "v1", ("origin", "cloud_regions"): "v2"}


def route(method, path):
    """(operation, kind, zone_id, raw ip segment or None) or None when Cloudflare would not route it."""
    if path.startswith("/client/v4/"):
        path = path[len("/client/v4"):]
    segs = [unquote(s) for s in path.split("/")[1:]]
    if segs == ["zones"]:
        return ("zones_list", "read", None, None) if method == "GET" else None
    if len(segs) < 4 or len(segs) > 5 or segs[0] != "zones":
        return None
    gen = BASES.get((segs[2], segs[3]))
    if gen is None or not ZONE_RE.match(segs[1]):
        return None
    zone_id = segs[1].lower()
    if len(segs) == 4:
        hit = ROUTES.get((gen, "", method))
        return hit and (hit[0], hit[1], zone_id, None)
    tail = segs[4]
    if not tail:
        return None  # trailing slash
    hit = ROUTES.get((gen, tail, method))
    if hit:
        return hit[0], hit[1], zone_id, None
    hit = ROUTES.get((gen, None, method))  # so GET /batch looks up the "IP" "batch"
    return hit and (hit[0], hit[1], zone_id, tail)


def fault_reply(rule, method, kind):
    status = int(rule.get("status") or 500)
    if rule.get("code") is not None:
        err = (int(rule["code"]), str(rule.get("message") or "Injected fault"))
    elif status == 429:
        err = E_THROTTLED
    elif status == 403:
        err = E_AUTH
    elif status == 404:
        err = E_NOT_FOUND
    elif status == 400:
        err = E_INVALID_IP
    elif method == "DELETE":
        err = E_DELETE_INTERNAL
    elif kind != "read":
        err = E_UPDATE_INTERNAL
    else:
        err = E_READ_INTERNAL
    headers = {}
    if rule.get("retry_after") is not None:
        headers["Retry-After"] = str(rule["retry_after"])
    if rule.get("retry_after_ms") is not None:
        headers["retry-after-ms"] = str(rule["retry_after_ms"])
    for k, v in (rule.get("headers") or {}).items():
        headers[str(k)] = str(v)
    return Reply(status, error_body(err), headers)


def wrong_shape_reply(op):
    # A valid envelope whose result does not have the operation's shape.
    result = {"origin_ip": "192.0.2.1", "unexpected": True} if op == "v2_list" \
        else [{"unexpected": True}]
    return Reply(200, ok_body(result))


# --------------------------------------------------------------------------------------------------
# HTTP


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
        state = self.server.state
        method = self.command
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            return Reply(400, {"ok": False, "error": "body is not JSON"})
        m = re.fullmatch(r"/__fake/zones/([^/]+)/mappings", path)
        with state.lock:
            if path == "/__fake/reset" and method == "POST":
                state.reset()
                return Reply(200, {"ok": True})
            if path == "/__fake/zones" and method == "PUT":
                try:
                    state.zone_list = zones_from_seed(doc)
                except BadZone as e:
                    return Reply(400, {"ok": False, "error": str(e)})
                return Reply(200, {"ok": True, "count": len(state.zone_list)})
            if path == "/__fake/zones" and method == "GET":
                return Reply(200, list(state.zone_list))
            if path == "/__fake/rate_limit":
                return self.rate_limit_control(method, doc)
            if m and method in ("GET", "PUT"):
                zone_id = m.group(1)
                if not ZONE_RE.match(zone_id):
                    return Reply(400, {"ok": False, "error": "zone id must be 32 hex digits"})
                z = state.zone(zone_id.lower())
                if method == "PUT":
                    return self.seed(z, doc)
                return Reply(200, [dict(origin_ip=ip, **z.mappings[ip]) for ip in z.sorted_ips()])
            if path == "/__fake/faults" and method == "POST":
                return self.set_faults(doc)
            if path == "/__fake/faults" and method == "DELETE":
                state.clear_faults()
                return Reply(200, {"ok": True})
            if path == "/__fake/requests" and method == "GET":
                return Reply(200, list(state.log))
            if path == "/__fake/requests" and method == "DELETE":
                state.log = []
                return Reply(200, {"ok": True})
        return Reply(404, {"ok": False, "error": "unknown control path"})

    @staticmethod
    def seed(z, doc):
        if not isinstance(doc, list):
            return Reply(400, {"ok": False, "error": "body must be a JSON array of mappings"})
        stamp = now_rfc3339()
        mappings = {}
        for item in doc:
            ip = canonical_ip(item.get("origin_ip")) if isinstance(item, dict) else None
            if ip is None or not all(isinstance(item.get(k), str) for k in ("vendor", "region")):
                return Reply(400, {"ok": False, "error": "invalid mapping: %s" % json.dumps(item)})
            mappings[ip] = {"vendor": item["vendor"], "region": item["region"],
                            "modified_on": item.get("modified_on") or stamp}
        z.replace(mappings)
        return Reply(200, {"ok": True, "count": len(mappings)})

    def rate_limit_control(self, method, doc):
        state = self.server.state
        if method == "POST":
            limit = rate_limit_from_doc(doc)
            if limit is None:
                return Reply(400, {"ok": False, "error": 'body must be {"requests": N, "seconds": '
                                   'S} with a positive integer N and a positive number S'})
            state.set_rate_limit(limit)
            return Reply(200, {"ok": True})
        if method == "DELETE":
            state.set_rate_limit(None)
            return Reply(200, {"ok": True})
        if method == "GET":
            requests, seconds = state.rate_limit or (None, None)
            window = [t for t in state.admitted if seconds and t > time.monotonic() - seconds]
            return Reply(200, {"requests": requests, "seconds": seconds, "in_window": len(window)})
        return Reply(404, {"ok": False, "error": "unknown control path"})

    def set_faults(self, doc):
        state = self.server.state
        if not isinstance(doc, dict):
            return Reply(400, {"ok": False, "error": "body must be a JSON object"})
        rules = []
        for r in doc.get("rules") or []:
            if not isinstance(r, dict):
                return Reply(400, {"ok": False, "error": "each rule must be an object"})
            mode = r.get("mode") or "status"
            if mode not in ("status", "drop", "drop_after_apply", "malformed", "wrong_shape"):
                return Reply(400, {"ok": False, "error": "unknown mode %r" % mode})
            rule = dict(r)
            rule.update(method=(r.get("method") or "").upper(), path_contains=r.get("path_contains") or "",
                        after=int(r.get("after") or 0), every=max(1, int(r.get("every") or 1)),
                        count=None if r.get("count") is None else int(r["count"]),
                        mode=mode, seen=0, applied=0)
            rules.append(rule)
        reject = {}
        for ip, text in (doc.get("reject_items") or {}).items():
            canon = canonical_ip(ip)
            if canon is None:
                return Reply(400, {"ok": False, "error": "reject_items key is not an IP: %r" % ip})
            reject[canon] = str(text)
        state.rules, state.reject_items = rules, reject
        state.latency_ms = int(doc["latency_ms"]) if doc.get("latency_ms") is not None \
            else state.default_latency_ms
        return Reply(200, {"ok": True})


def rate_limit_from_doc(doc):
    """(requests, seconds) from {"requests": N, "seconds": S}, or None if it is not that."""
    if not isinstance(doc, dict) or set(doc) != {"requests", "seconds"}:
        return None
    requests, seconds = doc["requests"], doc["seconds"]
    if type(requests) is not int or requests < 1 or type(seconds) not in (int, float) \
            or not 0 < seconds < math.inf:
        return None
    return requests, seconds


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


if __name__ == "__main__":
    sys.exit(main())
