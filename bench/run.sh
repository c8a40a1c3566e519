#!/bin/sh
# run.sh — runs every benchmark in bench/ against one build of the extension.
#
#   sh bench/run.sh path/to/cfregions.so        (from the repository root; `make bench`)
#
# Each bench/*.sh other than this one runs as `sh bench/NAME.sh SO`, one after another (so they do
# not disturb each other's timings), under a "== NAME" heading. A new benchmark is picked up
# without changing this script. Exits 1 if any benchmark failed (after running all of them).
so=${1:?usage: sh bench/run.sh path/to/cfregions.so}
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
if [ ! -f "$so" ]; then
  echo "bench: no such extension: $so" >&2
  exit 2
fi
failed=""
for bench in bench/*.sh; do
  [ "$(basename "$bench")" = run.sh ] && continue
  name=$(basename "$bench" .sh)
  echo "== $name"
  if ! sh "$bench" "$so"; then
    echo "FAIL $name"
    failed="$failed $name"
  fi
  echo
done
if [ -n "$failed" ]; then
  echo "failed:$failed"
  exit 1
fi
