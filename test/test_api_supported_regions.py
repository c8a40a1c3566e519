#!/usr/bin/env python3
"""supported_regions: WHERE zone_id = '…' reads the zone's list from the API (one GET); without
zone_id it is the built-in list, with no request. The same zone lists serve cfregions_check with a
zone, and local tables created with regions_zone=.

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

    def test_check_against_a_zone(self):
        check = "SELECT cfregions_check(?, ?, ?, ?)"
        zone_only = ("10.0.0.1",) + ZONE_ONLY_REGION
        builtin_only = ("10.0.0.1",) + BUILTIN_ONLY_REGION
        self.assertEqual(self.db.execute(check, zone_only + (OTHER_ZONE,)).fetchone(), (None,))
        problem = self.db.execute(check, builtin_only + (OTHER_ZONE,)).fetchone()[0]
        self.assertIn("not supported", problem)
        self.assertIn("WHERE zone_id = '%s'" % OTHER_ZONE, problem)
        # Without a zone: the built-in list, no request.
        self.assertIn("not supported", self.db.execute("SELECT cfregions_check(?, ?, ?)", zone_only).fetchone()[0])
        self.assertEqual(len(self.fake.log()), 1, "one GET of the zone's list, cached")

    def test_a_local_table_validates_against_regions_zone(self):
        self.db.execute("CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local', regions_zone='%s')"
                        % OTHER_ZONE)
        self.db.execute("INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.1', ?, ?)", ZONE_ONLY_REGION)
        with self.assertRaises(sqlite3.IntegrityError) as cm:
            self.db.execute("INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.2', ?, ?)", BUILTIN_ONLY_REGION)
        self.assertIn("WHERE zone_id = '%s'" % OTHER_ZONE, str(cm.exception))
        self.assertEqual(self.db.execute("SELECT count(*) FROM plan").fetchone(), (1,))
        # It reads a zone with the user's credentials: a view in the database file cannot drive it.
        self.db.execute("CREATE VIEW v AS SELECT * FROM plan")
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("SELECT * FROM v").fetchall()
        self.assertIn("unsafe use", str(cm.exception))


if __name__ == "__main__":
    main()
