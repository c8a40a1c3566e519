"""The zone listing: the zone objects PUT /__fake/zones seeds (checked against the documented shape,
completed the way Cloudflare would list them) and GET /zones with its filters, order and pages."""

import hashlib
import math
import re

from .replies import E_ZONES_PARAM, Reply, fail, ok_body
from .state import ZONE_RE, now_rfc3339

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


class ZoneListing:
    """GET /zones, one of the Api's operations (test/fake_api/api.py): self.s is the State."""

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
