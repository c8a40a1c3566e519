#!/usr/bin/env python3
"""api_bulk.py — bulk writes through the API store against clients written by hand.

    PYTHON bench/api_bulk.py path/to/cfregions.so        (bench/run.sh runs it)

Against the fake Cloudflare API (test/support/fake.py) at each latency of LATENCIES (default
"20,100" ms per request; a fake is started per latency, on 127.0.0.1, and stopped by PID), with
3,500 mappings (IPv4 and IPv6 in turn, test/support/mappings.py) and a v2 zone:

  1. bulk upsert of 3,500 new rows into the empty zone: the extension (one INSERT OR REPLACE …
     SELECT FROM json_each(?)) against a sequential batch client (test/support/client.py: a plain
     loop of 35 PUT …/batch of 100 items over one keep-alive http.client connection, one after
     another — what an SDK user writes). Seconds, requests, ratio. Targets: exactly 35 write
     requests, the extension >= 4x faster.
  2. UPDATE of all 3,500 rows (SET region = 'us-west-2'): the extension against two loops: one that
     first lists the zone page by page (35 GETs) and then sends 35 batches — the same job — and one
     that already knows every IP and only sends the 35 batches; then the extension's UPDATE once
     more on the same connection, which finds nothing to change. Targets: exactly 35 write
     requests, none on the re-run.
  3. (at the lowest latency only) a client sending one PUT /{ip} per row: PER_ROW_ROWS rows
     (default 350) are measured and the time extrapolated linearly to 3,500, against the
     extension's bulk upsert of item 1.

Each figure is the median of REPS runs (default 3), the extension's and the loops' runs alternating
so that other work on the machine hits both alike. Every run starts from a fresh connection (the
extension reads the zone's supported regions once per connection, as a new session would) and
checks the zone's state afterwards.
"""

import sys

import harness
from harness import check, median, runs_text, summary, timed, verdict
from support.client import SequentialClient
from support.fake import ZONE, Fake
from support.mappings import BULK_SQL, as_json, rows, sort_rows

ROWS = 3500
BATCH = 100
DATA = rows(ROWS)
NEW_REGION = "us-west-2"


def chunks(rows_):
    return [rows_[i:i + BATCH] for i in range(0, len(rows_), BATCH)]


def log_figures(fake):
    """(writes, reads) the fake saw since its log was cleared; every answer must have been 200."""
    log = fake.log()
    check(all(e["status"] == 200 for e in log),
          "non-200 answers: %s" % sorted({e["status"] for e in log}))
    writes = sum(1 for e in log if e["method"] != "GET")
    return writes, len(log) - writes


def extension_run(so, fake, sql, params=(), seed=(), again=None):
    """(seconds, writes, reads) of sql on a fresh connection and table t, the zone holding seed.
    With a list as again, the same statement runs once more on the same connection, and the
    (seconds, writes, reads) of that re-run are appended to it."""
    fake.reset()
    if seed:
        fake.seed(seed)
    db = harness.connect(so)
    try:
        harness.create_api_table(db, "t", fake, ZONE)
        fake.clear_log()
        secs, _ = timed(lambda: db.execute(sql, params))
        figures = (secs,) + log_figures(fake)
        if again is not None:
            fake.clear_log()
            secs, _ = timed(lambda: db.execute(sql, params))
            again.append((secs,) + log_figures(fake))
    finally:
        db.close()
    return figures


def client_run(fake, job, seed=()):
    """(seconds, writes, reads) of job(client) with a SequentialClient, the zone holding seed."""
    fake.reset()
    if seed:
        fake.seed(seed)
    fake.clear_log()
    client = SequentialClient(fake.port)
    try:
        secs, _ = timed(lambda: job(client))
    finally:
        client.close()
    return (secs,) + log_figures(fake)


def send_batches(client, rows_):
    for chunk in chunks(rows_):
        client.put_batch(chunk)


def list_then_update(client):
    send_batches(client, [(ip, vendor, NEW_REGION) for ip, vendor, _ in client.list_all()])


def counts_text(runs, i):
    return "/".join(str(x) for x in sorted({r[i] for r in runs}))


def line(label, runs):
    """Prints one measured contender; returns its median seconds."""
    secs = median(r[0] for r in runs)
    print("   %-58s %3s writes + %2s reads   median %7.3f s  %s"
          % (label, counts_text(runs, 1), counts_text(runs, 2), secs,
             runs_text(r[0] for r in runs)))
    return secs


def alternate(reps, contenders):
    """Runs each contender once per repetition, in turn; their lists of runs."""
    runs = [[] for _ in contenders]
    for _ in range(reps):
        for i, fn in enumerate(contenders):
            runs[i].append(fn())
    return runs


def bulk_upsert(so, fake, latency, reps):
    print("\n1. bulk upsert of 3,500 new rows into an empty v2 zone")
    ext, loop = alternate(reps, [
        lambda: extension_run(so, fake, BULK_SQL, (as_json(DATA),)),
        lambda: client_run(fake, lambda c: send_batches(c, DATA)),
    ])
    check(fake.state() == sort_rows(DATA), "the zone does not hold the 3,500 rows after the loop")
    e = line("extension: INSERT OR REPLACE … SELECT FROM json_each(?)", ext)
    s = line("sequential loop: 35 x PUT …/batch of 100, keep-alive", loop)
    writes = {r[1] for r in ext}
    ratio = s / e
    ok = writes == {35} and ratio >= 4
    print("   extension %.2fx faster than the sequential loop (target: exactly 35 writes, >= 4x) %s"
          % (ratio, verdict(ok)))
    summary("bulk upsert 3,500 rows, v2, %d ms" % latency,
            "extension %.3f s, %s writes + %s reads; sequential loop %.3f s, %s writes; %.2fx"
            % (e, counts_text(ext, 1), counts_text(ext, 2), s, counts_text(loop, 1), ratio),
            "exactly 35 writes; >= 4x faster", verdict(ok))
    return e, max(writes)


def bulk_update(so, fake, latency, reps):
    print("\n2. UPDATE t SET region = '%s' of all 3,500 rows of a v2 zone" % NEW_REGION)
    expected = sort_rows([(ip, vendor, NEW_REGION) for ip, vendor, _ in DATA])
    reruns = []
    ext, listing, known = alternate(reps, [
        lambda: extension_run(so, fake, "UPDATE t SET region = '%s'" % NEW_REGION, seed=DATA,
                              again=reruns),
        lambda: client_run(fake, list_then_update, seed=DATA),
        lambda: client_run(fake, lambda c: send_batches(
            c, [(ip, vendor, NEW_REGION) for ip, vendor, _ in DATA]), seed=DATA),
    ])
    check(fake.state() == expected, "the zone is not updated after the loop")
    e = line("extension: UPDATE … SET region", ext)
    r = line("extension: the same UPDATE again (nothing to change)", reruns)
    s1 = line("sequential loop: list 35 pages, then 35 x PUT …/batch", listing)
    s2 = line("sequential loop, IPs known: 35 x PUT …/batch", known)
    ok = {x[1] for x in ext} == {35} and {x[1] for x in reruns} == {0}
    print("   extension %.2fx faster than list + batches, %.2fx than batches alone "
          "(target: exactly 35 writes, 0 on the re-run) %s" % (s1 / e, s2 / e, verdict(ok)))
    summary("UPDATE all 3,500 rows, v2, %d ms" % latency,
            "extension %.3f s, %s writes + %s reads (re-run %.3f s, %s writes); "
            "loop list+PUT %.3f s (%.2fx); loop PUT only %.3f s (%.2fx)"
            % (e, counts_text(ext, 1), counts_text(ext, 2), r, counts_text(reruns, 1),
               s1, s1 / e, s2, s2 / e),
            "exactly 35 writes; 0 on re-run", verdict(ok))


def per_row(fake, latency, ext_secs, ext_writes, n):
    print("\n3. a client sending one PUT /{ip} per row, one after another (keep-alive)")
    secs, writes, _ = client_run(fake, lambda c: [c.put(*r) for r in DATA[:n]])
    check(writes == n, "per-row client: %d writes for %d rows" % (writes, n))
    total = secs * ROWS / n
    how = "measured" if n == ROWS else "EXTRAPOLATED x%g from one run of %d rows (%.3f s)" % (
        ROWS / n, n, secs)
    print("   3,500 PUT requests, %.1f s (%s)" % (total, how))
    print("   extension's bulk upsert %.0fx faster, with %d write requests instead of 3,500"
          % (total / ext_secs, ext_writes))
    summary("one PUT per row client, v2, %d ms" % latency,
            "3,500 PUTs %.1f s (%s) vs extension %.3f s: %.0fx"
            % (total, "measured" if n == ROWS else "%d measured, x%g" % (n, ROWS / n),
               ext_secs, total / ext_secs))


def body(so):
    reps = harness.env_int("REPS", 3)
    per_row_rows = max(1, min(ROWS, harness.env_int("PER_ROW_ROWS", 350)))
    latencies = harness.env_latencies()
    for latency in latencies:
        fake = Fake(latency)
        try:
            harness.use_fake_credentials(fake)
            print("== fake API latency %d ms; %s rows; medians of %d runs, contenders alternating"
                  % (latency, "{:,}".format(ROWS), reps))
            ext_secs, ext_writes = bulk_upsert(so, fake, latency, reps)
            bulk_update(so, fake, latency, reps)
            if latency == min(latencies):
                per_row(fake, latency, ext_secs, ext_writes, per_row_rows)
            print()
        finally:
            fake.stop()


if __name__ == "__main__":
    sys.exit(harness.main(body))
