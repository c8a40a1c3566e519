#!/bin/sh
# run.sh — runs one libFuzzer target for a while.
#
#   make fuzz         (every target, FUZZ_SECONDS seconds each, default 300)
#   make fuzz-smoke   (every target, 20 seconds each, part of make test)
#   sh test/fuzz/run.sh FUZZER [seconds]
#
# The Makefile builds each FUZZER (build/fuzz/<target>) with clang
# (-fsanitize=fuzzer,address,undefined) from test/fuzz/<target>.c. The targets, and what each
# one is run with (seeds read only, a dictionary, the longest input tried):
#   fuzz_ip        the IP parser/formatter    test/fuzz/corpus            ip.dict        96 bytes
#   fuzz_api_json  Cloudflare's answers       test/fuzz/corpus_api_json   api_json.dict  8 kB
# Run from the repository root. Inputs libFuzzer finds interesting accumulate in
# build/fuzz/runs/<target>/corpus, so later runs resume from them; the log is
# build/fuzz/runs/<target>/log.
# A crash leaves its input in build/fuzz/runs/<target>/crash-*; replay it with
#   build/fuzz/<target> build/fuzz/runs/<target>/crash-<hash>
# Extra libFuzzer options can be given in FUZZ_OPTIONS (e.g. FUZZ_OPTIONS=-runs=10000000).
set -e
[ $# -ge 1 ] || { echo "usage: sh test/fuzz/run.sh FUZZER [seconds] (make fuzz)" >&2; exit 2; }
fuzzer=$1
seconds=${2:-300}
[ -x "$fuzzer" ] || { echo "fuzz: no $fuzzer (make fuzz builds it)" >&2; exit 2; }

target=$(basename "$fuzzer")
case $target in
  fuzz_ip) seeds=test/fuzz/corpus dict=test/fuzz/ip.dict max_len=96 ;;
  fuzz_api_json) seeds=test/fuzz/corpus_api_json dict=test/fuzz/api_json.dict max_len=8192 ;;
  *) echo "fuzz: unknown target $target (add its seeds and dictionary to $0)" >&2; exit 2 ;;
esac
out=build/fuzz/runs/$target
mkdir -p "$out/corpus"

echo "== $target: $seconds s"
# FUZZ_OPTIONS is split into words on purpose: it holds libFuzzer flags.
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -print_final_stats=1 \
  -dict="$dict" -artifact_prefix="$out/" $FUZZ_OPTIONS "$out/corpus" "$seeds" \
  2>"$out/log" ||
  { status=$?; tail -n 60 "$out/log"; exit $status; }
# libFuzzer's last lines: "Done N runs in S second(s)" and the final stats.
stats='number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added'
grep -E "^(Done|stat::($stats))" "$out/log"
echo "corpus: $(find "$out/corpus" -type f | wc -l) inputs in $out/corpus"
