"""The fake API's state, shared by every request under one lock: each zone's mappings, the zone
list, the request log, the injected faults and the rate limit window. Also the IP canonicalizer
(mapping keys are canonical IPs) and the timestamps that stamp changes."""

import collections
import ipaddress
import math
import re
import threading
from datetime import datetime, timezone

ZONE_RE = re.compile(r"^[0-9a-fA-F]{32}$")
IP_CHARS = frozenset("0123456789abcdefABCDEF:.")


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
