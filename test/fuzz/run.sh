#!/bin/sh
# run.sh — runs the libFuzzer target for the IP parser/formatter (test/fuzz/fuzz_ip.c).
#
#   make fuzz         (FUZZ_SECONDS seconds, default 300)
#   make fuzz-smoke   (20 seconds, part of make test)
#   sh test/fuzz/run.sh FUZZER [seconds]
#
# The Makefile builds FUZZER (build/fuzz/fuzz_ip) with clang (-fsanitize=fuzzer,address,undefined)
# from ext/ip.c alone. Run from the repository root: this fuzzes with the seeds in test/fuzz/corpus
# (read only) and the dictionary test/fuzz/ip.dict.
# Inputs libFuzzer finds interesting accumulate in build/fuzz/corpus, so later runs resume from
# them. A crash leaves its input in build/fuzz/crash-*; replay it with
#   build/fuzz/fuzz_ip build/fuzz/crash-<hash>
set -e
[ $# -ge 1 ] || { echo "usage: sh test/fuzz/run.sh FUZZER [seconds] (make fuzz)" >&2; exit 2; }
fuzzer=$1
seconds=${2:-300}
out=build/fuzz
[ -x "$fuzzer" ] || { echo "fuzz: no $fuzzer (make fuzz builds it)" >&2; exit 2; }

mkdir -p "$out/corpus"
"$fuzzer" -max_total_time="$seconds" -max_len=96 -timeout=10 -print_final_stats=1 \
  -dict=test/fuzz/ip.dict -artifact_prefix="$out/" "$out/corpus" test/fuzz/corpus \
  2>"$out/fuzz.log" ||
  { status=$?; tail -n 40 "$out/fuzz.log"; exit $status; }
# libFuzzer's last lines: "Done N runs in S second(s)" and the final stats.
grep -E '^(Done|stat::(number_of_executed_units|peak_rss_mb|new_units_added))' "$out/fuzz.log"
