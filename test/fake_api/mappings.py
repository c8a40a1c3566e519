"""The origin cloud region operations, v1 (/zones/{zone_id}/cache/origin_cloud_regions) and v2
(/zones/{zone_id}/origin/cloud_regions): request bodies decoded as Cloudflare's backend decodes
them, the checks and the 3,500-mapping limit that single and batched writes share, and the answers
in each generation's shape."""

import json
import math
import re

from .replies import (E_BATCH_TOO_BIG, E_DELETE_MISSING, E_EXISTS, E_INVALID_IP, E_IP_MISMATCH,
                      E_LIMIT, E_NOT_FOUND, E_PAGE, E_PER_PAGE, E_VENDOR_REGION, ITEM_MISSING,
                      Reply, fail, ok_body)
from .state import canonical_ip, now_rfc3339

MAX_MAPPINGS = 3500
MAX_BATCH = 100
SETTING_ID = "origin_public_cloud_region"


# --------------------------------------------------------------------------------------------------
# Request bodies, decoded the way Cloudflare's (Go) backend would: a JSON type mismatch fails the whole
# body (6007); a missing or null string field is the empty string.


class BadBody(Exception):
    """The request body cannot be decoded into the operation's type (Go's json.Unmarshal fails)."""


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
# The operations


class MappingOperations:
    """The v1 and v2 operations of the Api (test/fake_api/api.py): self.s is the State."""

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
