#!/bin/sh
# ip_canonical.sh — throughput of ip_canonical() against length() over the same rows.
#
#   sh bench/ip_canonical.sh build/cfregions.so        (from the repository root)
#
# One run of the stock sqlite3 shell: builds a temp table of ROWS (default 1,000,000) mixed
# addresses — plain IPv4, compressed IPv6, uncompressed uppercase IPv6 with leading zeros, and
# IPv4-mapped — then times `count(length(x))` and `count(ip_canonical(x))` over it, alternately,
# after one warm-up each, REPS times (default 5). Prints each median, rows per second and the ratio
# of ip_canonical's throughput to length()'s. Goal: ratio >= 0.7. Times are the CPU time (user + sys)
# that `.timer` reports, not wall-clock time, so that other work on a shared machine skews them less.
# length() is the floor for "call a scalar function on every row"; the ratio shows what parsing and
# formatting add on top.
set -e
so=${1:?usage: sh bench/ip_canonical.sh path/to/cfregions.so}
rows=${ROWS:-1000000}
reps=${REPS:-5}
case $so in /*) ;; *) so=$(pwd)/$so ;; esac

script() {
  cat <<SQL
CREATE TEMP TABLE ips(x TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $rows - 1)
INSERT INTO ips SELECT CASE i % 4
    WHEN 0 THEN printf('%d.%d.%d.%d', (i >> 16) & 255, (i >> 8) & 255, i & 255, (i * 7) & 255)
    WHEN 1 THEN printf('2001:db8:%x:%x::%x', i >> 16, i & 65535, i % 97)
    WHEN 2 THEN printf('2001:0DB8:0000:%04X:0000:0000:%04X:0001', i & 65535, (i >> 4) & 65535)
    ELSE printf('::ffff:%d.%d.%d.%d', 10, (i >> 8) & 255, i & 255, (i * 13) & 255)
  END FROM n;
SELECT count(length(x)), count(ip_canonical(x)) FROM ips;
.timer on
SQL
  i=0
  while [ $i -le "$reps" ]; do # one more than reps: the first is a warm-up
    echo ".print @length"
    echo "SELECT count(length(x)) FROM ips;"
    echo ".print @ip_canonical"
    echo "SELECT count(ip_canonical(x)) FROM ips;"
    i=$((i + 1))
  done
}

script | sqlite3 -cmd ".load \"$so\"" :memory: | awk -v rows="$rows" '
  /^@/ { which = substr($0, 2); next }
  /^Run Time:/ { t[which, ++n[which]] = $6 + $8; next } # user + sys CPU seconds
  /^[0-9]+\|[0-9]+$/ { split($0, c, "|"); if (c[1] != rows || c[2] != rows) { print "row count mismatch: " $0; bad = 1 } }
  function median(name,   k, m, i, j, v, tmp) {
    m = n[name]
    for (i = 1; i <= m; i++) v[i] = t[name, i]
    for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  function list(name,   i, s) { for (i = 1; i <= n[name]; i++) s = s sprintf(" %.3f", t[name, i]); return s }
  END {
    if (bad) exit 1
    # The first timing of each is the warm-up: drop it.
    for (k = 1; k < n["length"]; k++) t["length", k] = t["length", k + 1]; n["length"]--
    for (k = 1; k < n["ip_canonical"]; k++) t["ip_canonical", k] = t["ip_canonical", k + 1]; n["ip_canonical"]--
    ml = median("length"); mc = median("ip_canonical")
    printf "rows: %d (mixed IPv4 / IPv6 / uppercase IPv6 / IPv4-mapped), %d timed runs each\n", rows, n["length"]
    printf "length(x)        median %.3f s  (%.1f M rows/s)  runs:%s\n", ml, rows / ml / 1e6, list("length")
    printf "ip_canonical(x)  median %.3f s  (%.1f M rows/s)  runs:%s\n", mc, rows / mc / 1e6, list("ip_canonical")
    printf "throughput ratio ip_canonical/length: %.2f (goal >= 0.70)\n", ml / mc
  }'
