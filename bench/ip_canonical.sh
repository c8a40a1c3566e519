#!/bin/sh
# ip_canonical.sh — the cost of ip_canonical() per row, in CPU time against length() and in
# instructions under callgrind.
#
#   sh bench/ip_canonical.sh build/cfregions.so        (from the repository root; bench/run.sh)
#
# The rows: mixed addresses, half IPv4 (dotted quads) and half IPv6 in four spellings in turn —
# compressed lowercase (2001:db8:a:b::c), uncompressed uppercase with leading zeros
# (2001:0DB8:0000:…:0001), IPv4-mapped (::ffff:10.1.2.3) and uncompressed mixed case without
# leading zeros (2001:DB8:0:0:A:b:0:c).
#
# 1. Time: the stock sqlite3 shell builds ROWS (default 1,000,000) rows in a temp table, then times
#    `count(length(x))` and `count(ip_canonical(x))` over them, alternately, after one warm-up
#    each, REPS times (default 5). Prints each median, rows per second and the throughput ratio
#    ip_canonical/length (the repository's goal: >= 0.70). Times are CPU time (user + sys) as
#    `.timer` reports it, not wall-clock time, so other work on a shared machine skews them less.
#    length() is the floor for "call a scalar function on every row".
# 2. Instructions (when valgrind is installed and CALLGRIND is not 0): the shell under
#    `valgrind --tool=callgrind` over CG_ROWS (default 20,000) rows of the same mix, four runs:
#    set-up only; set-up + the length() query; set-up + the ip_canonical() query; the last again
#    with --toggle-collect=CG_FUNCTION (default fn_ip_canonical, the SQL function's C
#    implementation in ext/ip_sql.c), which counts only the instructions inside that function and
#    what it calls (reading the argument, parsing, formatting, setting the result). Printed: that
#    count per row (target <= 550 Ir/row), and each query's instructions per row (its run minus
#    the set-up run).
#
# With BENCH_SUMMARY set (bench/run.sh), appends its rows to the final table (see bench/harness).
set -e
so=${1:?usage: sh bench/ip_canonical.sh path/to/cfregions.so}
rows=${ROWS:-1000000}
reps=${REPS:-5}
cg_rows=${CG_ROWS:-20000}
cg_function=${CG_FUNCTION:-fn_ip_canonical}
target_ir=550
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
summary=${BENCH_SUMMARY:-/dev/null}

# The temp table `ips` of $1 mixed addresses.
make_rows() {
  cat <<SQL
CREATE TEMP TABLE ips(x TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
INSERT INTO ips SELECT CASE WHEN i % 2 = 0
      THEN printf('%d.%d.%d.%d', (i >> 16) & 255, (i >> 8) & 255, i & 255, (i * 7) & 255)
    ELSE CASE (i / 2) % 4
      WHEN 0 THEN printf('2001:db8:%x:%x::%x', i >> 16, i & 65535, i % 97)
      WHEN 1 THEN printf('2001:0DB8:0000:%04X:0000:0000:%04X:0001', i & 65535, (i >> 4) & 65535)
      WHEN 2 THEN printf('::ffff:%d.%d.%d.%d', 10, (i >> 8) & 255, i & 255, (i * 13) & 255)
      ELSE printf('2001:DB8:0:0:%X:%x:0:%x', i & 65535, (i >> 3) & 65535, i % 251)
    END
  END FROM n;
SQL
}

# ---- 1. CPU time against length()
script() {
  make_rows "$rows"
  echo "SELECT count(length(x)), count(ip_canonical(x)) FROM ips;"
  echo ".timer on"
  i=0
  while [ $i -le "$reps" ]; do # one more than reps: the first is a warm-up
    echo ".print @length"
    echo "SELECT count(length(x)) FROM ips;"
    echo ".print @ip_canonical"
    echo "SELECT count(ip_canonical(x)) FROM ips;"
    i=$((i + 1))
  done
}

script | sqlite3 -bail -cmd ".load \"$so\"" :memory: 2>&1 |
  awk -v rows="$rows" -v summary="$summary" '
  /^@/ { which = substr($0, 2); next }
  /^Run Time:/ { t[which, ++n[which]] = $6 + $8; next } # user + sys CPU seconds
  /^[0-9]+(\|[0-9]+)?$/ {                            # the counts: every row, every time
    k = split($0, c, "|")
    for (i = 1; i <= k; i++) if (c[i] != rows) { print "row count mismatch: " $0; bad = 1 }
    next
  }
  { print; bad = 1 }   # anything else is an error message
  function median(name,   k, m, i, j, v, tmp) {
    m = n[name]
    for (i = 1; i <= m; i++) v[i] = t[name, i]
    for (i = 2; i <= m; i++)
      for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  function list(name,   i, s) {
    for (i = 1; i <= n[name]; i++) s = s sprintf(" %.3f", t[name, i])
    return s
  }
  function drop_first(name,   k) {   # the first timing of each is the warm-up
    for (k = 1; k < n[name]; k++) t[name, k] = t[name, k + 1]
    n[name]--
  }
  function show(label, name, m) {
    printf "   %-16s median %.3f s  (%5.1f M rows/s, %4.0f ns/row)  runs:%s\n",
      label, m, rows / m / 1e6, m / rows * 1e9, list(name)
  }
  END {
    if (bad) exit 1
    drop_first("length"); drop_first("ip_canonical")
    ml = median("length"); mc = median("ip_canonical")
    printf "1. CPU time, %d rows (half IPv4, half IPv6 in four spellings), %d timed runs each\n",
      rows, n["length"]
    show("length(x)", "length", ml)
    show("ip_canonical(x)", "ip_canonical", mc)
    ok = ml / mc >= 0.70 ? "PASS" : "MISS"
    printf "   throughput ratio ip_canonical/length: %.3f (goal >= 0.70) %s\n", ml / mc, ok
    printf "%s\tip_canonical %.0f ns/row, length %.0f ns/row: throughput ratio %.3f\t%s\t%s\n",
      "ip_canonical CPU time vs length(), mixed rows", mc / rows * 1e9, ml / rows * 1e9, ml / mc,
      "throughput >= 0.70 of length()", ok >> summary
  }'

# ---- 2. instructions under callgrind
if [ "${CALLGRIND:-1}" = 0 ] || ! command -v valgrind >/dev/null 2>&1; then
  echo "2. callgrind: skipped (valgrind not installed, or CALLGRIND=0)"
  exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/cfr-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Total instructions of the shell running the set-up plus $2 (SQL), named $1; more valgrind options
# after $2.
ir_of() {
  name=$1 query=$2
  shift 2
  { make_rows "$cg_rows"; echo "$query"; } |
    valgrind --tool=callgrind --callgrind-out-file="$dir/$name.out" "$@" \
      sqlite3 -bail -cmd ".load \"$so\"" :memory: >"$dir/$name.stdout" 2>"$dir/$name.stderr" || {
      echo "callgrind run $name failed:"; tail -5 "$dir/$name.stderr"; exit 1; }
  awk '/^totals:/ { print $2 }' "$dir/$name.out"
}
base=$(ir_of base "SELECT 1;")
len=$(ir_of length "SELECT count(length(x)) FROM ips;")
canon=$(ir_of canonical "SELECT count(ip_canonical(x)) FROM ips;")
inside=$(ir_of inside "SELECT count(ip_canonical(x)) FROM ips;" --toggle-collect="$cg_function")
grep -qx "$cg_rows" "$dir/canonical.stdout" || { echo "callgrind run: wrong row count"; exit 1; }

awk -v rows="$cg_rows" -v base="$base" -v len="$len" -v canon="$canon" -v inside="$inside" \
    -v fn="$cg_function" -v target="$target_ir" -v summary="$summary" 'BEGIN {
  job = "ip_canonical instructions per row (callgrind)"
  printf "2. callgrind, %d rows of the same mix\n", rows
  if (inside == 0) {
    printf "   %s: no instructions collected (is the function still called so?)\n", fn
    printf "%s\t%s not found in the extension\t<= %d Ir/row\tMISS\n", job, fn, target >> summary
    exit 0
  }
  q_len = (len - base) / rows; q_canon = (canon - base) / rows; per = inside / rows
  ok = per <= target ? "PASS" : "MISS"
  printf "   inside %s (inclusive): %.0f Ir/row (target <= %d) %s\n", fn, per, target, ok
  printf "   whole query per row: SELECT count(ip_canonical(x)) %.0f Ir, " \
         "SELECT count(length(x)) %.0f Ir (difference %.0f Ir, ratio %.2f)\n",
    q_canon, q_len, q_canon - q_len, q_canon / q_len
  printf "%s\t%.0f Ir/row inside %s; query %.0f vs length() %.0f Ir/row (%.2fx)\t%s\t%s\n",
    job, per, fn, q_canon, q_len, q_canon / q_len, "<= " target " Ir/row", ok >> summary
}'
