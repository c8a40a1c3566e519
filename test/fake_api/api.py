"""Which operation answers a request: the Api that holds every operation, and the routing table from
method and path to operation, as Cloudflare routes them (what it would not route is None)."""

from urllib.parse import unquote

from .mappings import MappingOperations
from .state import ZONE_RE
from .zones import ZoneListing


class Api(MappingOperations, ZoneListing):
    """The 15 operations and GET /zones. Every method is called with the state lock held and, where
    the path has one, a valid canonical path IP."""

    def __init__(self, state):
        self.s = state


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
