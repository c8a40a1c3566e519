"""The control paths under /__fake/, which tests use to set the fake up and look inside it: no
credentials, never delayed or rate limited, answered with the state lock held."""

import json
import re

from .faults import rate_limit_control, set_faults
from .replies import Reply
from .state import ZONE_RE, canonical_ip, now_rfc3339
from .zones import BadZone, zones_from_seed


def answer_control(state, method, path, body):
    """The answer to one control request (the test/fake_cloudflare.py docstring lists the paths)."""
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
            return rate_limit_control(state, method, doc)
        if m and method in ("GET", "PUT"):
            zone_id = m.group(1)
            if not ZONE_RE.match(zone_id):
                return Reply(400, {"ok": False, "error": "zone id must be 32 hex digits"})
            z = state.zone(zone_id.lower())
            if method == "PUT":
                return seed_mappings(z, doc)
            return Reply(200, [dict(origin_ip=ip, **z.mappings[ip]) for ip in z.sorted_ips()])
        if path == "/__fake/faults" and method == "POST":
            return set_faults(state, doc)
        if path == "/__fake/faults" and method == "DELETE":
            state.clear_faults()
            return Reply(200, {"ok": True})
        if path == "/__fake/requests" and method == "GET":
            return Reply(200, list(state.log))
        if path == "/__fake/requests" and method == "DELETE":
            state.log = []
            return Reply(200, {"ok": True})
    return Reply(404, {"ok": False, "error": "unknown control path"})


def seed_mappings(z, doc):
    """PUT /__fake/zones/{zone_id}/mappings: replaces the zone's mappings (IPs canonicalized,
    nothing else validated)."""
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
