"""What the Python benchmarks in bench/ share: the command line, connections, timing and the summary.

A benchmark is `bench/NAME.py`, run by bench/run.sh as `PYTHON bench/NAME.py path/to/cfregions.so`
(PYTHON: Debian's python3, whose sqlite3 module can load extensions). It imports the fake API and
the test mappings from test/support/ (never a test file), measures, prints its figures, and adds
rows to the summary with summary(). It exits 1 only when a measurement went wrong (a wrong result,
a failed request); a missed target is a MISS in the summary, not a failure.

The summary: when BENCH_SUMMARY names a file (bench/run.sh sets it), each summary() call appends
one line `job<TAB>figures<TAB>target<TAB>verdict` to it; run.sh prints them as the final table.
Run alone, a benchmark prints its own rows at the end (print_summary()).
"""

import os
import signal
import statistics
import sqlite3
import sys
import time

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(ROOT, "test"))  # for `import support.…`

from support.fake import TOKEN  # noqa: E402

_rows = []


def so_path():
    """The extension: the first command-line argument, as an absolute path."""
    if len(sys.argv) < 2 or not os.path.exists(sys.argv[1]):
        sys.exit("usage: %s path/to/cfregions.so" % sys.argv[0])
    return os.path.abspath(sys.argv[1])


def env_int(name, default):
    return int(os.environ.get(name, str(default)))


def env_latencies(default="20,100"):
    """LATENCIES (comma-separated milliseconds of fake API latency), default 20 and 100."""
    return [int(x) for x in os.environ.get("LATENCIES", default).split(",") if x.strip()]


def use_fake_credentials(fake):
    """Points every CLOUDFLARE_* setting at the fake: its token, its base URL, nothing else (so
    nothing a benchmark does can reach the real API)."""
    for k in [k for k in os.environ if k.startswith("CLOUDFLARE_")]:
        del os.environ[k]
    os.environ["CLOUDFLARE_API_TOKEN"] = TOKEN
    os.environ["CLOUDFLARE_BASE_URL"] = fake.api_url


def connect(so, path=":memory:", cached_statements=128):
    """An autocommit connection with the extension loaded. cached_statements=0 makes every
    execute() prepare its statement afresh (as a new statement in the shell would be)."""
    db = sqlite3.connect(path, isolation_level=None, cached_statements=cached_statements)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.enable_load_extension(False)
    return db


def create_api_table(db, name, fake, zone, api="v2"):
    db.execute("CREATE VIRTUAL TABLE %s USING origin_cloud_regions(zone_id='%s', api='%s', "
               "base_url='%s')" % (name, zone, api, fake.api_url))


def requests_of(fake):
    """(writes, reads) in the fake's request log since its last clear."""
    log = fake.log()
    writes = sum(1 for e in log if e["method"] != "GET")
    return writes, len(log) - writes


def timed(fn):
    """(seconds, fn's result)."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


class Capped(Exception):
    """A statement ran past its time limit and was interrupted."""


def run_capped(db, sql, params=(), cap_s=15.0):
    """(seconds, rows) of sql run to completion, or Capped after about cap_s seconds: a progress
    handler interrupts the statement between two steps of SQLite's VM (so a single call into the
    extension that blocks longer than cap_s is not cut short)."""
    deadline = time.perf_counter() + cap_s
    db.set_progress_handler(lambda: 1 if time.perf_counter() > deadline else 0, 100)
    try:
        return timed(lambda: db.execute(sql, params).fetchall())
    except sqlite3.OperationalError as e:
        if "interrupted" in str(e) and time.perf_counter() > deadline:
            raise Capped() from e
        raise
    finally:
        db.set_progress_handler(None, 0)


def median(xs):
    return statistics.median(xs)


def runs_text(xs):
    return "[" + ", ".join("%.3f" % x for x in xs) + "]"


def verdict(ok):
    return "PASS" if ok else "MISS"


def summary(job, figures, target="-", result="-"):
    """One row of the final table: the job, its figures, the target and PASS, MISS or -."""
    row = (job, figures, target, result)
    _rows.append(row)
    path = os.environ.get("BENCH_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write("\t".join(x.replace("\t", " ").replace("\n", " ") for x in row) + "\n")


def print_summary():
    """Run alone (no BENCH_SUMMARY), a benchmark prints its summary rows itself."""
    if os.environ.get("BENCH_SUMMARY"):
        return
    print("\nsummary:")
    for job, figures, target, result in _rows:
        print("  %-4s %s: %s (target: %s)" % (result, job, figures, target))


class BenchError(Exception):
    """A measurement went wrong: the figures would be meaningless."""


def check(cond, what):
    if not cond:
        raise BenchError(what)


def main(body):
    """Runs body(so); prints the summary rows; exit status 1 on a BenchError. SIGTERM (run.sh's
    time limit) becomes SystemExit, so that the benchmark's `finally` blocks still stop its fake."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    so = so_path()
    try:
        body(so)
    except BenchError as e:
        print("bench: measurement failed: %s" % e)
        print_summary()
        return 1
    print_summary()
    return 0
