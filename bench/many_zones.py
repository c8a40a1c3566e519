#!/usr/bin/env python3
"""many_zones.py — tables over many zones against the fake API: an account-wide report, the same
report under a rate limit, and a cross-zone bulk edit.

    PYTHON bench/many_zones.py path/to/cfregions.so        (bench/run.sh runs it)

The fake holds ZONES zones (default 200) of one account, each with 50 mappings, and answers
after LATENCY ms (default 50). On a fresh connection each time:

  1. report: CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*'), then
       SELECT z.name, r.vendor, count(*) FROM cloudflare_zones z JOIN every r ON r.zone_id = z.id
       GROUP BY 1, 2
     Targets: the zone pages (⌈ZONES/50⌉, 50 per page) and one listing per zone, nothing else;
     the wall time the latency adds at most 1 + ⌈requests / 8⌉ round trips (requests go out 8 at
     a time): the same report is timed without latency too, alternating, and the difference
     divided by the latency is the round trips counted.
  2. the same report with the fake limiting API requests to 60 per 10 s and CLOUDFLARE_RATE_LIMIT
     set to the same budget: the right rows, and no answer of 429 in the fake's log. Its time is
     bound by the budget (about requests / 60 × 10 s), not by the latency.
  3. cross-zone bulk edit over the first 50 zones (zones='id,…'), 150 mappings each, 100 of them
     aws/us-east-1:  UPDATE part SET region = 'us-east-2' WHERE vendor = 'aws' AND region =
     'us-east-1'  — one statement, one COMMIT. Target: ⌈100/100⌉ = 1 write per zone, and only
     the reads the statement needs: each zone's listing (v2: 2 pages of 100) and its supported
     regions (the new rows are checked against them).

  4. which zone holds an IP: on a fresh connection (the zones' sizes unknown),
       SELECT zone_id FROM every WHERE origin_ip = ?
     Targets: the zone pages and one GET per zone, nothing else, sent together: the latency adds
     at most 2 (the first zone page, then the others together) + ⌈ZONES/8⌉ + 1 round trips
     (timed without latency too, alternating).
Medians of REPS runs (default 3) for 1, 3 and 4; 2 runs once (it takes about half a minute).
"""

import math
import os
import sys

import harness
from harness import check, median, runs_text, summary, timed, verdict
from support.fake import Fake
from support.mappings import rows

ZONES = harness.env_int("ZONES", 200)
PER_ZONE = 50
LATENCY = harness.env_int("LATENCY", 50)
PAGE = 50  # zones per page of GET /zones (the fake's default per_page, as Cloudflare's)
LIMIT = (60, 10)
EDIT_ZONES = 50
EDIT_ROWS, EDIT_MATCHING = 150, 100
ACCOUNT = "a" * 32
REPORT = ("SELECT z.name, r.vendor, count(*) FROM cloudflare_zones z JOIN every r ON r.zone_id = z.id "
          "GROUP BY 1, 2")


def zone_id(i):
    return "%032x" % (0xbe0000 + i)


def zone_doc(i):
    return {"id": zone_id(i), "name": "zone%03d.example.com" % i, "account": {"id": ACCOUNT, "name": "acct"}}


def expected_report():
    return sorted(("zone%03d.example.com" % i, "aws", PER_ZONE) for i in range(ZONES))


def seed(fake, per_zone, zones):
    fake.set_zones([zone_doc(i) for i in range(ZONES)])
    for i in range(zones):
        fake.seed(rows(per_zone, start=per_zone * i), zone=zone_id(i))


def report_once(so, fake):
    """(seconds, zone pages, listings, other requests, 429s, rows) of the report."""
    db = harness.connect(so)
    try:
        db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        fake.clear_log()
        secs, got = timed(lambda: sorted(db.execute(REPORT).fetchall()))
    finally:
        db.close()
    log = fake.log()
    pages = sum(1 for e in log if e["method"] == "GET" and e["path"].endswith("/zones"))
    listings = sum(1 for e in log if e["method"] == "GET" and e["path"].endswith("/cloud_regions"))
    too_many = sum(1 for e in log if e["status"] == 429)
    return secs, pages, listings, len(log) - pages - listings, too_many, got


def report(so, fake, reps):
    print("1. account-wide report over %d zones x %d mappings, %d ms latency" % (ZONES, PER_ZONE, LATENCY))
    runs, instant = [], []
    for _ in range(reps):  # alternating: at the fake's latency, and without latency
        runs.append(report_once(so, fake))
        fake.faults(latency_ms=0)
        instant.append(report_once(so, fake))
        fake.clear_faults()
    for r in runs + instant:
        check(r[5] == expected_report(), "report rows: %d, expected %d" % (len(r[5]), ZONES))
        check(r[4] == 0, "429s without a rate limit: %d" % r[4])
    pages_target = math.ceil(ZONES / PAGE)
    requests = pages_target + ZONES
    bound = 1 + math.ceil(requests / 8)
    secs, secs0 = median(r[0] for r in runs), median(r[0] for r in instant)
    # The time the latency adds, in round trips: what is left is the work of the fake and the
    # extension, measured without latency in the same run.
    round_trips = (secs - secs0) / (LATENCY / 1000.0) if LATENCY else float("nan")
    counts_ok = all(r[1] == pages_target and r[2] == ZONES and r[3] == 0 for r in runs)
    ok = counts_ok and round_trips <= bound
    print("   %d zone pages + %d listings + %d other; median %.3f s %s, without latency %.3f s %s: "
          "%.1f round trips, bound %d %s"
          % (runs[0][1], runs[0][2], runs[0][3], secs, runs_text(r[0] for r in runs), secs0,
             runs_text(r[0] for r in instant), round_trips, bound, verdict(ok)))
    summary("many zones: report over %d zones x %d, %d ms" % (ZONES, PER_ZONE, LATENCY),
            "%d zone pages + %d listings, %.3f s (%.3f s without latency): %.1f round trips"
            % (runs[0][1], runs[0][2], secs, secs0, round_trips),
            "%d + %d requests; <= 1 + ceil(%d/8) = %d round trips" % (pages_target, ZONES, requests, bound),
            verdict(ok))


def report_rate_limited(so, fake):
    requests, seconds = LIMIT
    print("2. the same report, fake limited to %d requests / %d s, CLOUDFLARE_RATE_LIMIT=%d/%d"
          % (requests, seconds, requests, seconds))
    fake.rate_limit(requests, seconds)
    os.environ["CLOUDFLARE_RATE_LIMIT"] = "%d/%d" % (requests, seconds)
    try:
        secs, pages, listings, other, too_many, got = report_once(so, fake)
    finally:
        del os.environ["CLOUDFLARE_RATE_LIMIT"]
        fake.clear_rate_limit()
    check(got == expected_report(), "rate-limited report rows: %d, expected %d" % (len(got), ZONES))
    ok = too_many == 0
    print("   %d requests in %.1f s, %d answers of 429 %s" % (pages + listings + other, secs, too_many, verdict(ok)))
    summary("many zones: the report under a %d/%d s rate limit" % (requests, seconds),
            "%d requests in %.1f s, %d x 429" % (pages + listings + other, secs, too_many), "0 x 429", verdict(ok))


def edit_once(so, fake):
    """(seconds, writes per zone, reads, 429s) of the cross-zone UPDATE."""
    for i in range(EDIT_ZONES):
        # The last third in another region: not matched.
        mappings = [(ip, v, r if k < EDIT_MATCHING else "eu-west-1")
                    for k, (ip, v, r) in enumerate(rows(EDIT_ROWS, start=EDIT_ROWS * i))]
        fake.seed(mappings, zone=zone_id(i))
    db = harness.connect(so)
    try:
        ids = ",".join(zone_id(i) for i in range(EDIT_ZONES))
        db.execute("CREATE VIRTUAL TABLE part USING origin_cloud_regions(zones='%s')" % ids)
        fake.clear_log()
        secs, changed = timed(lambda: db.execute(
            "UPDATE part SET region = 'us-east-2' WHERE vendor = 'aws' AND region = 'us-east-1'").rowcount)
    finally:
        db.close()
    check(changed == EDIT_ZONES * EDIT_MATCHING, "rows changed: %s" % changed)
    log = fake.log()
    per_zone = {}
    for e in log:
        if e["method"] != "GET":
            per_zone[e["path"].split("/")[4]] = per_zone.get(e["path"].split("/")[4], 0) + 1
    reads = sum(1 for e in log if e["method"] == "GET")
    check(fake_region_count(fake) == EDIT_ZONES * EDIT_MATCHING, "mappings in us-east-2 after the edit")
    return secs, per_zone, reads


def fake_region_count(fake):
    return sum(1 for i in range(EDIT_ZONES) for _, _, region in fake.state(zone=zone_id(i)) if region == "us-east-2")


def edit(so, fake, reps):
    print("3. cross-zone UPDATE over %d zones, %d of %d mappings each" % (EDIT_ZONES, EDIT_MATCHING, EDIT_ROWS))
    runs = [edit_once(so, fake) for _ in range(reps)]
    want = math.ceil(EDIT_MATCHING / 100)
    writes_ok = all(set(r[1]) == {zone_id(i) for i in range(EDIT_ZONES)} and set(r[1].values()) == {want}
                    for r in runs)
    reads_needed = EDIT_ZONES * (math.ceil(EDIT_ROWS / 100) + 1)
    reads_ok = all(r[2] == reads_needed for r in runs)
    ok = writes_ok and reads_ok
    secs = median(r[0] for r in runs)
    writes = sum(runs[0][1].values())
    print("   %d writes (%s per zone), %d reads; median %.3f s %s %s"
          % (writes, "/".join(str(v) for v in sorted(set(runs[0][1].values()))), runs[0][2], secs,
             runs_text(r[0] for r in runs), verdict(ok)))
    summary("many zones: cross-zone UPDATE, %d zones x %d changes, %d ms" % (EDIT_ZONES, EDIT_MATCHING, LATENCY),
            "%d writes (%d per zone) + %d reads, %.3f s" % (writes, want, runs[0][2], secs),
            "%d write per zone; reads: listing + regions per zone (%d)" % (want, reads_needed), verdict(ok))


def lookup_once(so, fake, ip):
    """(seconds, zone pages, lookups, other requests, rows) of one lookup by origin_ip."""
    db = harness.connect(so)
    try:
        db.execute("CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*')")
        fake.clear_log()
        secs, got = timed(lambda: db.execute("SELECT zone_id FROM every WHERE origin_ip = ?", (ip,)).fetchall())
    finally:
        db.close()
    log = fake.log()
    pages = sum(1 for e in log if e["path"].endswith("/zones"))
    lookups = sum(1 for e in log if e["path"].endswith("/" + ip))
    return secs, pages, lookups, len(log) - pages - lookups, got


def lookup(so, fake, reps):
    print("4. which zone holds an IP: origin_ip = ? over %d zones, %d ms latency" % (ZONES, LATENCY))
    holder = ZONES // 2
    ip = rows(PER_ZONE, start=PER_ZONE * holder)[7][0]
    runs, instant = [], []
    for _ in range(reps):
        runs.append(lookup_once(so, fake, ip))
        fake.faults(latency_ms=0)
        instant.append(lookup_once(so, fake, ip))
        fake.clear_faults()
    for r in runs + instant:
        check(r[4] == [(zone_id(holder),)], "lookup rows: %s" % r[4])
    pages_target = math.ceil(ZONES / PAGE)
    bound = 2 + math.ceil(ZONES / 8) + 1
    secs, secs0 = median(r[0] for r in runs), median(r[0] for r in instant)
    round_trips = (secs - secs0) / (LATENCY / 1000.0) if LATENCY else float("nan")
    ok = all(r[1] == pages_target and r[2] == ZONES and r[3] == 0 for r in runs) and round_trips <= bound
    print("   %d zone pages + %d GETs + %d other; median %.3f s %s, without latency %.3f s: "
          "%.1f round trips, bound %d %s" % (runs[0][1], runs[0][2], runs[0][3], secs,
                                             runs_text(r[0] for r in runs), secs0, round_trips, bound, verdict(ok)))
    summary("many zones: origin_ip = ? over %d zones of unknown size, %d ms" % (ZONES, LATENCY),
            "%d zone pages + %d GETs, %.3f s (%.3f s without latency): %.1f round trips"
            % (runs[0][1], runs[0][2], secs, secs0, round_trips),
            "%d + %d requests; <= %d round trips" % (pages_target, ZONES, bound), verdict(ok))


def body(so):
    reps = harness.env_int("REPS", 3)
    fake = Fake(LATENCY)
    try:
        harness.use_fake_credentials(fake)
        seed(fake, PER_ZONE, ZONES)
        report(so, fake, reps)
        report_rate_limited(so, fake)
        edit(so, fake, reps)
        seed(fake, PER_ZONE, ZONES)
        lookup(so, fake, reps)
    finally:
        fake.stop()


if __name__ == "__main__":
    sys.exit(harness.main(body))
