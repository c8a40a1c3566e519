#!/usr/bin/env python3
"""supported_regions: WHERE zone_id = '…' reads the zone's list from the API (one GET); without
zone_id it is the built-in list, with no request.

    PYTHON test/test_api_supported_regions.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).
"""

import json
import sqlite3

from support.cases import FakeTestCase, main
from support.fake import BUILTIN_ONLY_REGION, OTHER_ZONE, ZONE_ONLY_REGION


class SupportedRegionsTests(FakeTestCase):
    """The fake's list differs from the built-in one (support.fake.zone_regions_doc)."""

    api = "v2"

    def test_supported_regions_for_zone(self):
        expected = sorted((v, r["name"], json.dumps(r.get("upper_tier_colos") or [], separators=(",", ":")))
                          for v, lst in self.fake.regions["vendors"].items() for r in lst)
        got = self.db.execute("SELECT vendor, region, upper_tier_colos FROM supported_regions WHERE zone_id = ?",
                              (OTHER_ZONE,)).fetchall()
        self.assertEqual(sorted((v, r, json.dumps(json.loads(c), separators=(",", ":"))) for v, r, c in got), expected)
        got2 = self.db.execute("SELECT count(*) FROM supported_regions WHERE zone_id = ? AND vendor = 'aws'",
                               (OTHER_ZONE,)).fetchone()[0]
        self.assertEqual(got2, len(self.fake.regions["vendors"]["aws"]))
        log = self.fake.log()
        self.assertEqual([(e["method"], e["path"]) for e in log],
                         [("GET", "/client/v4/zones/%s/origin/cloud_regions/supported_regions" % OTHER_ZONE)])
        # Without zone_id: the built-in list, no request.
        self.fake.clear_log()
        builtin = self.db.execute("SELECT vendor, region FROM supported_regions").fetchall()
        self.assertIn(BUILTIN_ONLY_REGION, builtin)
        self.assertNotIn(ZONE_ONLY_REGION, builtin)
        self.assertEqual(self.fake.log(), [])
        with self.assertRaises(sqlite3.Error):
            self.db.execute("SELECT * FROM supported_regions WHERE zone_id = 'nope'").fetchall()
        self.assertEqual(self.fake.log(), [])


if __name__ == "__main__":
    main()
