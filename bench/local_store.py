#!/usr/bin/env python3
"""local_store.py — a local-store origin_cloud_regions table against a plain SQLite table.

    PYTHON bench/local_store.py path/to/cfregions.so        (bench/run.sh runs it)

One connection to DB (default :memory:; a file path includes the disk), with every statement
prepared afresh (no statement cache, as in the shell). The rows: 3,500 mappings, IPv4 and IPv6 in
turn (test/support/mappings.py rows(3500), built in SQL and checked against it) in a temp table.
`plain` is what a careful user would write by hand: the same four columns, WITHOUT ROWID, key
`origin_ip TEXT COLLATE ip`, modified_on filled as the local store fills it. `loc` is
`origin_cloud_regions(store='local')`. Jobs, each timed on both tables:

  insert   INSERT … SELECT of the 3,500 rows into the empty table (validation included)
  join     right after the INSERT … SELECT into a table just created empty, a join prepared and
           run: SELECT … FROM plan p JOIN t ON t.origin_ip = p.origin_ip (plan: an ordinary table
           of 3,500 rows, 3,150 shared); the plan SQLite chose is printed
  scan     a full scan reading every column of every row
  update   UPDATE of all rows (SET region, alternating us-west-2 / us-east-1 so each one changes)
  range    the IPv6 /32: WHERE origin_ip BETWEEN '2001:db8::' AND '2001:db8:ffff:…:ffff'
           (1,750 rows)

Each repetition runs CYCLES (default 10) of each job per table, the tables taking turns; the
first repetition is a warm-up and dropped, REPS (default 7) more are timed. Times are this
process's CPU time in :memory: (other work on a shared machine skews it less than wall-clock time),
wall-clock time with a file. Printed: the median time per job, rows per second, and local/plain
(how many times longer the local table takes).
Then, when valgrind is installed and CALLGRIND is not 0, the instructions of one full scan of each
table under callgrind (the stock sqlite3 shell: a run that only sets up, subtracted from one that
also scans K=10 times).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import harness
from harness import check, median, summary, verdict
from support.mappings import rows

ROWS = 3500
STAMP = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
RANGE = "origin_ip BETWEEN '2001:db8::' AND '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'"

# rows(3500) of test/support/mappings.py, written in SQL so that the sqlite3 shell (callgrind) can
# build the same rows.
SRC_SQL = """
CREATE TEMP TABLE src AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d - 1)
  SELECT CASE i %% 2 WHEN 0 THEN printf('10.%%d.%%d.%%d', (i / 2 >> 16) & 255, (i / 2 >> 8) & 255,
                                        i / 2 & 255)
                   ELSE printf('2001:db8::%%x', i / 2 + 1) END AS origin_ip,
         'aws' AS vendor, 'us-east-1' AS region
    FROM n;
""" % ROWS
PLAIN_DDL = ("CREATE TABLE plain(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL, "
             "vendor TEXT NOT NULL, region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID")
LOCAL_DDL = "CREATE VIRTUAL TABLE loc USING origin_cloud_regions(store='local')"
DDL = {"plain": PLAIN_DDL, "loc": LOCAL_DDL}
INSERT = {
    "plain": "INSERT INTO plain SELECT origin_ip, vendor, region, %s FROM src" % STAMP,
    "loc": "INSERT INTO loc(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM src",
}
SCAN = ("SELECT count(*), sum(length(origin_ip) + length(vendor) + length(region) "
        "+ length(modified_on)) FROM %s")
JOIN = ("SELECT count(*), sum(t.region IS NOT p.region) "
        "FROM plan p JOIN %s t ON t.origin_ip = p.origin_ip")
RANGE_SQL = "SELECT count(*), sum(length(region)) FROM %s WHERE " + RANGE
TARGETS = {"join": 2.0, "scan": 1.5, "update": 3.0, "range": 2.0}
JOB_NAMES = {
    "insert": "local bulk INSERT of 3,500 rows vs plain table",
    "join": "local join prepared right after INSERT … SELECT vs plain",
    "scan": "local full scan vs plain WITHOUT ROWID COLLATE ip",
    "update": "local UPDATE of all 3,500 rows vs plain",
    "range": "local IPv6 /32 range (BETWEEN) vs plain COLLATE ip",
}


class Bench:
    def __init__(self, db, clock):
        self.db = db
        self.clock = clock
        self.flip = {"plain": 0, "loc": 0}
        self.plans = {}

    def one(self, sql):
        return self.db.execute(sql).fetchall()

    def timed(self, fn):
        t0 = self.clock()
        result = fn()
        return self.clock() - t0, result

    def insert(self, t):
        self.db.execute("DELETE FROM %s" % t)
        secs, _ = self.timed(lambda: self.db.execute(INSERT[t]))
        return secs

    def join(self, t):
        # A table created empty, filled by one INSERT … SELECT, then the join prepared at once.
        self.db.execute("DROP TABLE %s" % t)
        self.db.execute(DDL[t])
        self.db.execute(INSERT[t])
        if t not in self.plans:
            self.plans[t] = "; ".join(
                r[3] for r in self.db.execute("EXPLAIN QUERY PLAN " + JOIN % t))
            self.db.execute("DROP TABLE %s" % t)
            self.db.execute(DDL[t])
            self.db.execute(INSERT[t])
        secs, result = self.timed(lambda: self.one(JOIN % t))
        check(result == [(ROWS - 350, ROWS - 350)], "join on %s: %s" % (t, result))
        return secs

    def scan(self, t):
        secs, result = self.timed(lambda: self.one(SCAN % t))
        check(result[0][0] == ROWS and result[0][1] == SCAN_SUM, "scan of %s: %s" % (t, result))
        return secs

    def update(self, t):
        self.flip[t] ^= 1
        region = "us-west-2" if self.flip[t] else "us-east-1"
        extra = ", modified_on = %s" % STAMP if t == "plain" else ""
        secs, _ = self.timed(lambda: self.db.execute(
            "UPDATE %s SET region = '%s'%s" % (t, region, extra)))
        n = self.one("SELECT count(*) FROM %s WHERE region = '%s'" % (t, region))[0][0]
        check(n == ROWS, "update of %s: %d rows changed" % (t, n))
        return secs

    def range(self, t):
        secs, result = self.timed(lambda: self.one(RANGE_SQL % t))
        check(result[0][0] == ROWS // 2, "range on %s: %s" % (t, result))
        return secs


# Sum of the lengths a full scan reads: origin_ip, vendor, region, and 20 for each modified_on.
SCAN_SUM = sum(len(ip) + len(v) + len(r) + 20 for ip, v, r in rows(ROWS))
JOBS = ["insert", "join", "scan", "update", "range"]


def measure(db, clock, reps, cycles):
    b = Bench(db, clock)
    times = {}  # (job, table) -> [seconds per operation, one per timed repetition]
    for rep in range(reps + 1):
        for job in JOBS:
            total = {"plain": 0.0, "loc": 0.0}
            for c in range(cycles):
                for t in (("plain", "loc") if c % 2 == 0 else ("loc", "plain")):
                    total[t] += getattr(b, job)(t)
            if rep > 0:  # the first repetition is a warm-up
                for t in total:
                    times.setdefault((job, t), []).append(total[t] / cycles)
    return times, b.plans


def callgrind_scan(so, k=10):
    """Instructions of one full scan of each table (None when valgrind is missing)."""
    if os.environ.get("CALLGRIND", "1") == "0" or not shutil.which("valgrind"):
        return None
    setup = "\n".join([SRC_SQL, PLAIN_DDL + ";", LOCAL_DDL + ";", INSERT["plain"] + ";",
                       INSERT["loc"] + ";", "SELECT 1;"])
    out = {}
    with tempfile.TemporaryDirectory(prefix="cfr-bench-") as d:
        for name, extra in (("base", ""), ("plain", (SCAN % "plain" + ";\n") * k),
                            ("loc", (SCAN % "loc" + ";\n") * k)):
            f = os.path.join(d, "callgrind." + name)
            p = subprocess.run(
                ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f, "sqlite3", "-bail",
                 "-cmd", ".load %s" % so, ":memory:"],
                input=setup + "\n" + extra, capture_output=True, text=True, timeout=600)
            check(p.returncode == 0, "callgrind run %s: %s" % (name, p.stderr[-500:]))
            with open(f) as fh:
                out[name] = int(next(line.split()[1] for line in fh if line.startswith("totals:")))
    return {t: (out[t] - out["base"]) / k for t in ("plain", "loc")}


def body(so):
    reps = harness.env_int("REPS", 7)
    cycles = harness.env_int("CYCLES", 10)
    path = os.environ.get("DB", ":memory:")
    # In memory the work is all CPU: CPU time is what other jobs on a shared machine skew least.
    # With a file, waiting for the disk is part of the cost: wall-clock time.
    clock, clock_name = ((time.process_time, "CPU time") if path == ":memory:"
                         else (time.perf_counter, "wall-clock time"))
    db = harness.connect(so, path, cached_statements=0)
    try:
        db.execute(SRC_SQL)
        check(db.execute("SELECT * FROM src").fetchall() == rows(ROWS), "src differs from rows()")
        db.execute("CREATE TABLE plan(origin_ip TEXT PRIMARY KEY, vendor TEXT NOT NULL, "
                   "region TEXT NOT NULL)")
        db.executemany("INSERT INTO plan VALUES (?, ?, ?)",
                       rows(ROWS, start=350, region="us-west-2"))
        db.execute(PLAIN_DDL)
        db.execute(LOCAL_DDL)
        times, plans = measure(db, clock, reps, cycles)
        db.execute("DROP TABLE loc")
        db.execute("DROP TABLE plain")
        db.execute("DROP TABLE plan")
    finally:
        db.close()
    print("3,500 rows (IPv4 and IPv6 in turn), database %s; %s, median of %d repetitions x %d "
          "cycles (after a warm-up), tables taking turns" % (path, clock_name, reps, cycles))
    for job in JOBS:
        p, l = median(times[(job, "plain")]), median(times[(job, "loc")])
        ratio = l / p
        target = TARGETS.get(job)
        mark = "" if target is None else "  (target <= %.1fx) %s" % (target, verdict(ratio <= target))
        print("   %-7s plain %8.3f ms (%5.2f M rows/s)   local %8.3f ms (%5.2f M rows/s)   "
              "local/plain %5.2fx%s" % (job, p * 1e3, ROWS / p / 1e6, l * 1e3, ROWS / l / 1e6,
                                        ratio, mark))
        summary(JOB_NAMES[job], "local %.3f ms, plain %.3f ms: %.2fx" % (l * 1e3, p * 1e3, ratio),
                "-" if target is None else "<= %.1fx" % target,
                "-" if target is None else verdict(ratio <= target))
    print("   join plans (prepared right after the INSERT):")
    for t in ("plain", "loc"):
        print("     %-5s %s" % (t, plans[t]))
    ir = callgrind_scan(so)
    if ir is None:
        print("   callgrind: skipped (valgrind not installed, or CALLGRIND=0)")
        return
    ratio = ir["loc"] / ir["plain"]
    print("   callgrind, one full scan: plain %d Ir (%.0f per row), local %d Ir (%.0f per row): "
          "local/plain %.2fx" % (ir["plain"], ir["plain"] / ROWS, ir["loc"], ir["loc"] / ROWS,
                                 ratio))
    summary("local full scan, instructions (callgrind)",
            "local %.0f Ir/row, plain %.0f Ir/row: %.2fx"
            % (ir["loc"] / ROWS, ir["plain"] / ROWS, ratio), "<= 1.5x", verdict(ratio <= 1.5))


if __name__ == "__main__":
    sys.exit(harness.main(body))
