"""Faults and the rate limit: what POST /__fake/faults and /__fake/rate_limit set, and what an API
request answers when a fault rule applies to it. (Counting requests against the rules and the rate
limit window is State's, under its lock: test/fake_api/state.py.)"""

import math
import time

from .replies import (E_AUTH, E_DELETE_INTERNAL, E_INVALID_IP, E_NOT_FOUND, E_READ_INTERNAL,
                      E_THROTTLED, E_UPDATE_INTERNAL, Reply, error_body, ok_body)
from .state import canonical_ip

FAULT_MODES = ("status", "drop", "drop_after_apply", "malformed", "wrong_shape")


def set_faults(state, doc):
    """POST /__fake/faults: replaces the rules, the rejected batch items and the latency."""
    if not isinstance(doc, dict):
        return Reply(400, {"ok": False, "error": "body must be a JSON object"})
    rules = []
    for r in doc.get("rules") or []:
        if not isinstance(r, dict):
            return Reply(400, {"ok": False, "error": "each rule must be an object"})
        mode = r.get("mode") or "status"
        if mode not in FAULT_MODES:
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


def rate_limit_control(state, method, doc):
    """/__fake/rate_limit: POST sets the limit, DELETE removes it, GET shows it."""
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


def rate_limit_from_doc(doc):
    """(requests, seconds) from {"requests": N, "seconds": S}, or None if it is not that."""
    if not isinstance(doc, dict) or set(doc) != {"requests", "seconds"}:
        return None
    requests, seconds = doc["requests"], doc["seconds"]
    if type(requests) is not int or requests < 1 or type(seconds) not in (int, float) \
            or not 0 < seconds < math.inf:
        return None
    return requests, seconds
