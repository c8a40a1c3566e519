#!/bin/sh
# local_store.sh — a local-store origin_cloud_regions table against a plain SQLite table.
#
#   sh bench/local_store.sh build/cfregions.so        (from the repository root)
#
# One run of the stock sqlite3 shell on DB (default :memory:; give a file path to include the
# disk). Builds ROWS (default 3,500, the per-zone maximum) mixed IPv4/IPv6 mappings in a temp
# table, then times, for the plain table (WITHOUT ROWID, same four columns, modified_on filled as
# the local store fills it) and for the local table:
#   insert  INSERT … SELECT of all rows into the empty table (one statement, one transaction)
#   scan    a full scan reading every column of every row
# Each repetition runs CYCLES (default 20) insert+scan cycles per table, alternating tables, and
# sums the wall-clock times `.timer` reports (whole milliseconds: the sum keeps the rounding
# small); the DELETE between cycles is not timed. The first repetition is a warm-up and dropped;
# REPS (default 7) more are timed. Prints the median time per operation, rows per second, and the
# ratio local/plain (how many times longer the local table takes).
set -e
so=${1:?usage: sh bench/local_store.sh path/to/cfregions.so}
rows=${ROWS:-3500}
reps=${REPS:-7}
cycles=${CYCLES:-20}
db=${DB:-:memory:}
case $so in /*) ;; *) so=$(pwd)/$so ;; esac

script() {
  cat <<SQL
CREATE TEMP TABLE src AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $rows - 1)
  SELECT ip_canonical(CASE i % 2 WHEN 0 THEN printf('10.%d.%d.%d', (i >> 16) & 255, (i >> 8) & 255, i & 255)
                                 ELSE printf('2001:db8:%x::%x', i >> 12, i) END) AS origin_ip,
         r.vendor, r.region
    FROM n JOIN (SELECT row_number() OVER () - 1 AS k, vendor, region FROM supported_regions) r
      ON r.k = i % (SELECT count(*) FROM supported_regions);
DROP TABLE IF EXISTS bench_plain;
DROP TABLE IF EXISTS bench_local;
CREATE TABLE bench_plain(origin_ip TEXT PRIMARY KEY NOT NULL, vendor TEXT NOT NULL, region TEXT NOT NULL,
                         modified_on TEXT) WITHOUT ROWID;
CREATE VIRTUAL TABLE bench_local USING origin_cloud_regions(store='local');
SQL
  rep=0
  while [ $rep -le "$reps" ]; do
    echo ".print @rep $rep"
    c=0
    while [ $c -lt "$cycles" ]; do
      cat <<SQL
.timer off
DELETE FROM bench_plain;
DELETE FROM bench_local;
.timer on
.print @plain insert
INSERT INTO bench_plain SELECT origin_ip, vendor, region, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM src;
.print @local insert
INSERT INTO bench_local(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM src;
.print @plain scan
SELECT count(*), sum(length(origin_ip) + length(vendor) + length(region) + length(modified_on)) FROM bench_plain;
.print @local scan
SELECT count(*), sum(length(origin_ip) + length(vendor) + length(region) + length(modified_on)) FROM bench_local;
SQL
      c=$((c + 1))
    done
    rep=$((rep + 1))
  done
  echo ".timer off"
  echo "DROP TABLE bench_local;"
  echo "DROP TABLE bench_plain;"
}

script | sqlite3 -bail -cmd ".load \"$so\"" "$db" 2>&1 | awk -v rows="$rows" -v reps="$reps" -v cycles="$cycles" -v db="$db" '
  /^@rep / { rep = $2; next }
  /^@/ { which = substr($0, 2); next }
  /^Run Time:/ { if (rep > 0) t[which, rep] += $4; next }
  /^[0-9]+\|[0-9]+$/ {
    split($0, c, "|")
    if (c[1] != rows && !bad) { print "row count mismatch (" which "): " $0; bad = 1 }
    if (checksum == "") checksum = c[2]
    else if (c[2] != checksum && !bad) { print "checksum mismatch (" which "): " $0 " vs " checksum; bad = 1 }
    next
  }
  { print; bad = 1 }   # anything else is an error message
  function median(name,   i, j, v, tmp) {
    for (i = 1; i <= reps; i++) v[i] = t[name, i] / cycles
    for (i = 2; i <= reps; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
    return reps % 2 ? v[(reps + 1) / 2] : (v[reps / 2] + v[reps / 2 + 1]) / 2
  }
  function line(op,   p, l) {
    p = median("plain " op); l = median("local " op)
    printf "%-7s plain %7.2f ms (%5.2f M rows/s)   local %7.2f ms (%5.2f M rows/s)   local/plain %5.2f\n",
           op, p * 1000, rows / p / 1e6, l * 1000, rows / l / 1e6, (p > 0 ? l / p : 0)
  }
  END {
    if (bad) exit 1
    printf "rows: %d mixed IPv4/IPv6 mappings, database %s; median of %d repetitions x %d cycles (after a warm-up)\n", rows, db, reps, cycles
    line("insert")
    line("scan")
  }'
