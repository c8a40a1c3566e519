#!/bin/sh
# run.sh — runs every benchmark in bench/ against one build of the extension, then prints the
# summary table.
#
#   sh bench/run.sh path/to/cfregions.so        (from the repository root; `make bench`)
#
# Every bench/*.sh other than this one runs as `sh bench/NAME.sh SO`, every bench/*.py as
# `PYTHON bench/NAME.py SO` (PYTHON from test/find-python.sh: Debian's python3, which can load
# extensions), in name order, one after another (so they do not disturb each other's timings),
# under a "== NAME" heading. A new benchmark is picked up without changing this script; the Python
# benchmarks' shared code lives in bench/harness/ (not a benchmark).
#
# Each benchmark appends its rows (job, figures, target, PASS/MISS/-) to the file named by
# BENCH_SUMMARY, set here; after the last one the rows are printed as one table, in run order,
# with the wall time of the whole run. A missed target is information, not a failure: the exit
# status is 1 only when a benchmark failed (a wrong result, a crash, or running longer than
# BENCH_TIMEOUT seconds, default 600), after all of them ran.
so=${1:?usage: sh bench/run.sh path/to/cfregions.so}
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
if [ ! -f "$so" ]; then
  echo "bench: no such extension: $so" >&2
  exit 2
fi
python=$(sh test/find-python.sh) || exit 2
limit=${BENCH_TIMEOUT:-600}
BENCH_SUMMARY=$(mktemp "${TMPDIR:-/tmp}/cfr-bench-summary.XXXXXX") || exit 2
export BENCH_SUMMARY
trap 'rm -f "$BENCH_SUMMARY"' EXIT
started=$(date +%s)

for bench in bench/*.sh bench/*.py; do
  echo "$bench"
done | sort -t/ -k2 | while read -r bench; do
  name=$(basename "$bench")
  [ "$name" = run.sh ] && continue
  case $name in *.py) run="$python" ;; *) run=sh ;; esac
  echo "== $name"
  t0=$(date +%s)
  timeout "$limit" "$run" "$bench" "$so"
  rc=$?
  if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] && echo "bench: $name stopped after $limit s"
    echo "FAIL $name"
    printf '%s\t%s\t%s\t%s\n' "$name" "benchmark failed (exit $rc)" "-" "FAIL" >>"$BENCH_SUMMARY"
  fi
  echo "($name: $(($(date +%s) - t0)) s)"
  echo
done

echo "== summary (make bench took $(($(date +%s) - started)) s)"
echo
echo "| job | figures | target | result |"
echo "|---|---|---|---|"
awk -F '\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$BENCH_SUMMARY"
failed=$(awk -F '\t' '$4 == "FAIL" { printf " %s", $1 }' "$BENCH_SUMMARY")
if [ -n "$failed" ]; then
  echo
  echo "failed:$failed"
  exit 1
fi
