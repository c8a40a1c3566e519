#!/usr/bin/env python3
"""api_store.py — the API store against the fake Cloudflare API with 20 ms per request.

    PYTHON bench/api_store.py path/to/cfregions.so        (bench/api_store.sh finds PYTHON)

Environment: REPS (default 3) repeats of each extension measurement, medians printed;
PER_ROW_ROWS (default 3500) rows for the one-request-per-row client, which runs once: below 3,500 its
time is extrapolated linearly to 3,500 rows and marked so; LATENCY_MS (default 20).

Measures, in one run against one fake (started here with --latency-ms, stopped by PID at the end):
  1. a bulk upsert of 3,500 new rows through the extension (one INSERT … SELECT FROM json_each(?), v2)
     against the same rows sent the way an SDK user would write it: Python http.client with keep-alive,
     one v2 PUT /{ip} per row. Requests and wall time of each, and the ratio.
  2. a full scan of 3,500 rows, v1 (one GET) against v2 (35 pages of 100, fetched concurrently).
  3. a bulk edit (UPDATE of all 3,500 rows) and its re-run, which must send no write.
Exit status 1 when a goal is missed: exactly 35 write requests for 3,500 rows, ≥ 50× faster than the
per-row client, 0 writes on a re-run.
"""

import http.client
import json
import os
import sqlite3
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The fake API is driven as the tests drive it (test/support/).
sys.path.insert(0, os.path.join(ROOT, "test"))
from support.fake import TOKEN, ZONE, Fake  # noqa: E402
from support.mappings import BULK_SQL, as_json, rows  # noqa: E402

ROWS = 3500
DATA = rows(ROWS)  # IPv4 and IPv6 addresses in turn, all aws us-east-1


def counts(log):
    writes = sum(1 for e in log if e["method"] != "GET")
    return writes, len(log) - writes


def connect(so, fake, api="v2"):
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.execute("CREATE VIRTUAL TABLE t USING origin_cloud_regions(zone_id='%s', api='%s', base_url='%s')"
               % (ZONE, api, fake.api_url))
    return db


def timed(fake, fn):
    """(seconds, writes, reads, statuses) of fn() as the fake saw it."""
    fake.clear_log()
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    log = fake.log()
    w, r = counts(log)
    return elapsed, w, r, {e["status"] for e in log}


def median_run(reps, setup, fake, fn):
    runs = []
    for _ in range(reps):
        ctx = setup()
        runs.append(timed(fake, lambda: fn(ctx)))
        if hasattr(ctx, "close"):
            ctx.close()
    secs = statistics.median(r[0] for r in runs)
    writes = {r[1] for r in runs}
    reads = {r[2] for r in runs}
    statuses = set().union(*(r[3] for r in runs))
    return secs, writes, reads, statuses, [r[0] for r in runs]


def per_row_client(fake, rows):
    """What an SDK user writes: one PUT per mapping over one keep-alive connection."""
    c = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=60)
    headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json",
               "Accept": "application/json"}
    base = "/client/v4/zones/%s/origin/cloud_regions/" % ZONE
    try:
        for ip, vendor, region in rows:
            body = json.dumps({"origin_ip": ip, "vendor": vendor, "region": region})
            c.request("PUT", base + ip, body=body, headers=headers)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit("bench: per-row client: HTTP %d for %s" % (r.status, ip))
    finally:
        c.close()


def fmt_runs(runs):
    return "[" + ", ".join("%.3f" % x for x in runs) + "] s"


def main():
    so = os.path.abspath(sys.argv[1])
    reps = int(os.environ.get("REPS", "3"))
    per_row_rows = max(1, min(ROWS, int(os.environ.get("PER_ROW_ROWS", str(ROWS)))))
    latency = int(os.environ.get("LATENCY_MS", "20"))
    for k in [k for k in os.environ if k.startswith("CLOUDFLARE_")]:
        del os.environ[k]
    os.environ["CLOUDFLARE_API_TOKEN"] = TOKEN
    fake = Fake(latency)
    os.environ["CLOUDFLARE_BASE_URL"] = fake.api_url  # nothing may reach the real API
    missed = []
    try:
        print("fake API: %s, %d ms per request; %d rows; extension figures are medians of %d runs"
              % (fake.api_url, latency, ROWS, reps))

        # 1. bulk upsert of 3,500 new rows
        def fresh():
            fake.reset()
            return connect(so, fake)
        secs, writes, reads, statuses, runs = median_run(
            reps, fresh, fake, lambda db: db.execute(BULK_SQL, (as_json(DATA),)))
        ok_state = len(fake.state()) == ROWS
        print("\n1. bulk upsert of %d new rows (v2)" % ROWS)
        print("   extension  INSERT OR REPLACE … SELECT FROM json_each(?):  %s write requests + %s reads "
              "(supported_regions, listing), median %.3f s %s"
              % ("/".join(map(str, sorted(writes))), "/".join(map(str, sorted(reads))), secs, fmt_runs(runs)))
        if writes != {35} or statuses != {200} or not ok_state:
            missed.append("bulk upsert: expected exactly 35 write requests, all 200, %d rows stored" % ROWS)
        fake.reset()
        fake.clear_log()
        t0 = time.perf_counter()
        per_row_client(fake, DATA[:per_row_rows])
        per_secs = time.perf_counter() - t0
        pw, pr = counts(fake.log())
        if per_row_rows == ROWS:
            per_total = per_secs
            label = "measured, one run"
        else:
            per_total = per_secs * ROWS / per_row_rows
            label = "EXTRAPOLATED from one run of %d rows (%.3f s)" % (per_row_rows, per_secs)
        print("   per-row client (http.client keep-alive, one v2 PUT /{ip} per row):  %d write requests%s, "
              "%.3f s (%s)" % (pw * ROWS // per_row_rows, "" if per_row_rows == ROWS else " (extrapolated)",
                               per_total, label))
        ratio = per_total / secs
        print("   ratio: extension %.1fx faster, %dx fewer write requests (goal: exactly 35, >= 50x faster)"
              % (ratio, (pw * ROWS // per_row_rows) // max(1, min(writes))))
        if ratio < 50:
            missed.append("bulk upsert: %.1fx faster, goal >= 50x" % ratio)

        # 2. full scan, v1 against v2
        fake.reset()
        fake.seed(DATA)
        print("\n2. full scan of %d rows: SELECT count(*) FROM t (new connection each run)" % ROWS)
        for api in ("v1", "v2"):
            secs, writes, reads, statuses, runs = median_run(
                reps, lambda: connect(so, fake, api), fake,
                lambda db: db.execute("SELECT count(*) FROM t").fetchone())
            print("   %s: %s GET requests, median %.3f s %s"
                  % (api, "/".join(map(str, sorted(reads))), secs, fmt_runs(runs)))
            expected = 1 if api == "v1" else 35
            if reads != {expected} or writes != {0}:
                missed.append("full scan %s: expected %d GETs" % (api, expected))

        # 3. a bulk edit, then the same statement again
        print("\n3. bulk edit UPDATE t SET region = … of %d rows (v2), then the same statement again" % ROWS)
        edits = []
        reruns = []
        for i in range(reps):
            fake.reset()
            fake.seed(DATA)
            db = connect(so, fake)
            region = "us-east-2" if i % 2 == 0 else "us-west-2"
            sql = "UPDATE t SET region = '%s'" % region
            edits.append(timed(fake, lambda: db.execute(sql)))
            reruns.append(timed(fake, lambda: db.execute(sql)))
            db.close()
        for name, runs_ in (("apply ", edits), ("re-run", reruns)):
            print("   %s: %s write requests + %s reads, median %.3f s %s"
                  % (name, "/".join(map(str, sorted({r[1] for r in runs_}))),
                     "/".join(map(str, sorted({r[2] for r in runs_}))),
                     statistics.median(r[0] for r in runs_), fmt_runs([r[0] for r in runs_])))
        if {r[1] for r in edits} != {35}:
            missed.append("bulk edit: expected 35 write requests")
        if {r[1] for r in reruns} != {0}:
            missed.append("re-run of an applied bulk edit: expected 0 write requests")
    finally:
        fake.stop()
    print()
    if missed:
        for m in missed:
            print("GOAL MISSED: " + m)
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
