"""The fake Cloudflare API, run as test/fake_cloudflare.py (whose docstring is its interface), in
one module per concern:

    replies.py   error codes and messages, the JSON envelope, Reply
    state.py     the state under one lock (zones' mappings, zone list, log, faults, rate limit
                 window) and the IP canonicalizer
    mappings.py  the v1 and v2 mapping operations and how they decode request bodies
    zones.py     the zone list: seeding it (PUT /__fake/zones) and GET /zones
    api.py       the Api that holds the operations, and the routing table
    faults.py    injected faults and the rate limit: their settings and the answers they cause
    control.py   the control paths under /__fake/
    server.py    the HTTP server and the command line

Python 3 standard library only.
"""
