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
The code is in test/fake_api/, one module per concern (its __init__.py lists them).
"""

import os
import sys

# Run as a script, Python puts this directory first on sys.path, and the tests that import this file
# have it there too; loaded by file path from elsewhere, it may not be, and fake_api must be found.
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# The names other code imports from here (e.g. the tests call fake_cloudflare.canonical_ip).
from fake_api.api import Api, route  # noqa: E402
from fake_api.mappings import MAX_BATCH, MAX_MAPPINGS  # noqa: E402
from fake_api.server import DEFAULT_REGIONS, DEFAULT_TOKEN, Handler, Server, main  # noqa: E402
from fake_api.state import State, Zone, canonical_ip  # noqa: E402

__all__ = ["Api", "route", "MAX_BATCH", "MAX_MAPPINGS", "DEFAULT_REGIONS", "DEFAULT_TOKEN",
           "Handler", "Server", "main", "State", "Zone", "canonical_ip"]

if __name__ == "__main__":
    sys.exit(main())
