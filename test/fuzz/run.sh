#!/bin/sh
# run.sh — builds and runs the libFuzzer target for the IP parser/formatter (test/fuzz/fuzz_ip.c).
#
#   sh test/fuzz/run.sh [seconds]        (from the repository root; `make fuzz`; default 300 s)
#
# Builds build/fuzz/fuzz_ip with clang (-fsanitize=fuzzer,address,undefined) from ext/ip.c alone,
# then fuzzes with the seeds in test/fuzz/corpus (read only) and the dictionary test/fuzz/ip.dict.
# Inputs libFuzzer finds interesting accumulate in build/fuzz/corpus, so later runs resume from
# them. A crash leaves its input in build/fuzz/crash-*; replay it with
#   build/fuzz/fuzz_ip build/fuzz/crash-<hash>
# CLANG overrides the compiler. Needs libFuzzer's runtime (Debian: libclang-rt-14-dev).
set -e
seconds=${1:-300}
out=build/fuzz
cc=${CLANG:-$(command -v clang-14 || command -v clang)}
[ -n "$cc" ] || { echo "fuzz: clang not found (apt-get install clang)" >&2; exit 2; }

mkdir -p "$out/corpus"
"$cc" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g -O1 \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iinclude ext/ip.c test/fuzz/fuzz_ip.c -o "$out/fuzz_ip"

"$out/fuzz_ip" -max_total_time="$seconds" -max_len=96 -timeout=10 -print_final_stats=1 \
  -dict=test/fuzz/ip.dict -artifact_prefix="$out/" "$out/corpus" test/fuzz/corpus 2>"$out/fuzz.log" ||
  { status=$?; tail -n 40 "$out/fuzz.log"; exit $status; }
# libFuzzer's last lines: "Done N runs in S second(s)" and the final stats.
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)' "$out/fuzz.log"
