#!/bin/sh
# api_store.sh — the API store against the fake Cloudflare API with 20 ms of latency per request.
#
#   sh bench/api_store.sh build/cfregions.so        (from the repository root)
#
# Runs bench/api_store.py (see its header) with a python3 that can load extensions: a bulk upsert of
# 3,500 rows through the extension against a one-request-per-row client (requests, wall time, ratio;
# goal: exactly 35 write requests and >= 50x faster), a full scan of 3,500 rows over v1 and v2, and
# the re-run of an applied bulk edit (goal: 0 write requests). The fake listens on 127.0.0.1 only and
# is stopped by PID at the end. REPS (default 3), PER_ROW_ROWS (default 3500: the per-row client runs
# once over all rows, ~75 s; fewer rows are extrapolated and marked so) and LATENCY_MS (default 20)
# can be set in the environment.
set -e
so=${1:?usage: sh bench/api_store.sh path/to/cfregions.so}
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
here=$(dirname "$0")
python=$(sh "$here/../test/find-python.sh")
exec "$python" "$here/api_store.py" "$so"
