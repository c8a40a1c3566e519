#!/usr/bin/env python3
"""api_scans.py — full scans of a zone of 3,500 mappings: v1 against v2, and three SELECTs in one
transaction.

    PYTHON bench/api_scans.py path/to/cfregions.so        (bench/run.sh runs it)

At each latency of LATENCIES (default "20,100" ms; one fake per latency, stopped by PID), on a
fresh connection each time:

  1. SELECT count(*) FROM live: v1 (one GET of the whole zone) against v2 (35 GETs: pages of 100,
     the ones after the first fetched concurrently).
  2. BEGIN; SELECT count(*) …; SELECT vendor, count(*) … GROUP BY vendor;
     SELECT max(modified_on) …; COMMIT  on v2, against the same three SELECTs in autocommit mode
     (each statement its own snapshot: three listings). Target: 35 GETs for the transaction (one
     listing serves all three).

Requests and seconds, medians of REPS runs (default 3), contenders alternating; every result is
checked.
"""

import sys

import harness
from harness import check, median, runs_text, summary, timed, verdict
from support.fake import ZONE, Fake
from support.mappings import rows

ROWS = 3500
TARGET = 35
SELECTS = ["SELECT count(*) FROM live",
           "SELECT vendor, count(*) FROM live GROUP BY vendor",
           "SELECT max(modified_on) IS NOT NULL FROM live"]
EXPECTED = [[(ROWS,)], [("aws", ROWS)], [(1,)]]


def full_scan(so, fake, api):
    """(seconds, GETs, writes) of SELECT count(*) on a fresh connection."""
    db = harness.connect(so)
    try:
        harness.create_api_table(db, "live", fake, ZONE, api=api)
        fake.clear_log()
        secs, result = timed(lambda: db.execute(SELECTS[0]).fetchall())
    finally:
        db.close()
    check(result == EXPECTED[0], "%s scan: %s" % (api, result))
    writes, reads = harness.requests_of(fake)
    return secs, reads, writes


def print_runs(label, runs):
    check({x[2] for x in runs} == {0}, "%s: write requests" % label)
    print("   %-26s %4s GETs   median %7.3f s  %s"
          % (label, gets_text(runs), median(x[0] for x in runs), runs_text(x[0] for x in runs)))


def gets_text(runs):
    return "/".join(str(g) for g in sorted({x[1] for x in runs}))


def scans(so, fake, latency, reps):
    print("1. one full scan, SELECT count(*)")
    v1, v2 = [], []
    for _ in range(reps):
        v1.append(full_scan(so, fake, "v1"))
        v2.append(full_scan(so, fake, "v2"))
    print_runs("v1", v1)
    print_runs("v2", v2)
    summary("full scan of 3,500, v1 vs v2, %d ms" % latency,
            "v1 %s GET, %.3f s; v2 %s GETs, %.3f s"
            % (gets_text(v1), median(x[0] for x in v1), gets_text(v2), median(x[0] for x in v2)))


def run(so, fake, in_transaction):
    """(seconds, GETs, writes) of the three SELECTs on a fresh connection."""
    db = harness.connect(so)
    try:
        harness.create_api_table(db, "live", fake, ZONE)
        fake.clear_log()

        def job():
            if in_transaction:
                db.execute("BEGIN")
            results = [db.execute(sql).fetchall() for sql in SELECTS]
            if in_transaction:
                db.execute("COMMIT")
            return results
        secs, results = timed(job)
    finally:
        db.close()
    check(results == EXPECTED, "results %s, expected %s" % (results, EXPECTED))
    writes, reads = harness.requests_of(fake)
    return secs, reads, writes


def body(so):
    reps = harness.env_int("REPS", 3)
    for latency in harness.env_latencies():
        fake = Fake(latency)
        try:
            harness.use_fake_credentials(fake)
            fake.seed(rows(ROWS))
            print("== fake API latency %d ms; zone of 3,500 mappings; medians of %d runs"
                  % (latency, reps))
            scans(so, fake, latency, reps)
            print("2. three SELECTs (v2)")
            runs = {True: [], False: []}
            for _ in range(reps):
                for in_tx in (True, False):
                    runs[in_tx].append(run(so, fake, in_tx))
            print_runs("BEGIN; 3 SELECTs; COMMIT", runs[True])
            print_runs("3 SELECTs, autocommit", runs[False])
            tx = runs[True]
            ok = max(x[1] for x in tx) <= TARGET
            print("   target: %d GETs in the transaction %s" % (TARGET, verdict(ok)))
            summary("3 SELECTs in one transaction, v2 zone of 3,500, %d ms" % latency,
                    "%s GETs, %.3f s (autocommit: %s GETs, %.3f s)"
                    % (gets_text(tx), median(x[0] for x in tx),
                       gets_text(runs[False]), median(x[0] for x in runs[False])),
                    "%d GETs" % TARGET, verdict(ok))
            print()
        finally:
            fake.stop()


if __name__ == "__main__":
    sys.exit(harness.main(body))
