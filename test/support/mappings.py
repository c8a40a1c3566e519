"""Test mappings and the statements that write many of them at once.

ip_of(i) numbers distinct addresses, IPv4 and IPv6 in turn, so that rows(n) exercises both families;
as_json(rows) is what BULK_SQL and DELETE_SQL bind; sort_rows(rows) is the order in which the fake
and the extension list mappings (by address: IPv4 first, then IPv6).
"""

import ipaddress
import json

# One statement for any number of rows: the rows come as one JSON array bound to `?`.
BULK_SQL = ("INSERT OR REPLACE INTO t(origin_ip, vendor, region) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
            "json_extract(value, '$[2]') "
            "FROM json_each(?)")
DELETE_SQL = "DELETE FROM t WHERE origin_ip IN (SELECT value FROM json_each(?))"


def ip_of(i):
    """The i-th test address: IPv4 for even i, IPv6 for odd i (canonical forms)."""
    if i % 2 == 0:
        j = i // 2
        return "10.%d.%d.%d" % ((j >> 16) & 255, (j >> 8) & 255, j & 255)
    return "2001:db8::%x" % (i // 2 + 1)


def rows(n, start=0, vendor="aws", region="us-east-1"):
    """n mappings (origin_ip, vendor, region), of ip_of(start) … ip_of(start + n - 1)."""
    return [(ip_of(i), vendor, region) for i in range(start, start + n)]


def as_json(rows_):
    """rows as the JSON array of [origin_ip, vendor, region] that BULK_SQL reads."""
    return json.dumps([list(r) for r in rows_])


def sort_rows(rows_):
    """rows in address order (IPv4 before IPv6, then numerically), as a full scan returns them."""
    def key(row):
        addr = ipaddress.ip_address(row[0])
        return addr.version, int(addr)
    return sorted(rows_, key=key)
