#!/bin/sh
# demo.sh — the local store in a few minutes: load sample mappings from a CSV, see why some rows
# are refused, plan a change in a transaction, and run reports. No Cloudflare account needed.
#
#   make demo                                   (builds the extension, then runs this)
#   sh sql/examples/demo.sh [path/to/cfregions.so]
#
# Works in a fresh database, build/demo.db (removed first), which is left behind to explore:
#   sqlite3 -cmd '.load build/cfregions' build/demo.db
set -eu
cd "$(dirname "$0")/../.."
so=${1:-build/cfregions.so}
db=build/demo.db
csv=sql/examples/mappings.csv
if [ ! -f "$so" ]; then
  echo "demo: no $so (run make first)" >&2
  exit 1
fi
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
rm -f "$db" "$db-journal" "$db-wal" "$db-shm"

# One sqlite3 shell per step, each a new connection to the same file (the extension loaded each
# time); stderr goes to stdout so error messages appear where they happen.
step() {
  printf '\n=== %s\n\n' "$1"
  sqlite3 -cmd ".load '$so'" -cmd ".headers on" -cmd ".mode column" "$db" 2>&1
}

step "1. A local-store table, and the CSV in a staging table" <<'SQL'
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
.import --csv sql/examples/mappings.csv staging
.print Rows in sql/examples/mappings.csv (without the header):
SELECT count(*) AS rows, sum(ipfamily(origin_ip) = 4) AS ipv4, sum(ipfamily(origin_ip) = 6) AS ipv6,
       sum(ip_canonical(origin_ip) <> origin_ip) AS not_canonical,
       sum(ip_canonical(origin_ip) IS NULL) AS not_an_ip
  FROM staging;
.print
.print Some IPs are not written in canonical form; the table will store them canonically:
SELECT origin_ip AS as_written, ip_canonical(origin_ip) AS stored_as
  FROM staging WHERE ip_canonical(origin_ip) <> origin_ip LIMIT 5;
SQL

step "2. Rows the table would refuse (sql/examples/staging_problems.sql)" <<'SQL'
.read sql/examples/staging_problems.sql
SQL

step "3. Load every other row in one INSERT ... SELECT (one transaction)" <<'SQL'
CREATE TEMP VIEW problems AS SELECT * FROM (
  SELECT s.rowid AS id FROM staging s
   WHERE ip_canonical(s.origin_ip) IS NULL
      OR NOT EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor AND r.region = s.region)
      OR EXISTS (SELECT 1 FROM staging e
                  WHERE ip_canonical(e.origin_ip) = ip_canonical(s.origin_ip) AND e.rowid < s.rowid));
INSERT INTO plan(origin_ip, vendor, region)
  SELECT origin_ip, vendor, region FROM staging WHERE rowid NOT IN (SELECT id FROM problems);
SELECT changes() AS loaded, (SELECT count(*) FROM problems) AS set_aside, count(*) AS in_table FROM plan;
SQL

# The refused rows, tried one by one, so the table's own messages show. Each fails; the shell
# then exits non-zero, which is expected here. The next step checks that nothing got in.
step "4. The set-aside rows, tried one at a time: the table's own error messages" <<'SQL' || true
.headers off
.mode list
.once build/demo-rejects.sql
SELECT format('INSERT INTO plan(origin_ip, vendor, region) VALUES (%Q, %Q, %Q);', origin_ip, vendor, region)
  FROM staging s
 WHERE ip_canonical(s.origin_ip) IS NULL
    OR NOT EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor AND r.region = s.region)
    OR EXISTS (SELECT 1 FROM staging e
                WHERE ip_canonical(e.origin_ip) = ip_canonical(s.origin_ip) AND e.rowid < s.rowid)
 ORDER BY s.rowid;
.read build/demo-rejects.sql
SQL
rm -f build/demo-rejects.sql

step "5. Plan a change in a transaction: nothing is written until COMMIT" <<'SQL'
BEGIN;
UPDATE plan SET region = 'us-east-2' WHERE vendor = 'aws' AND region = 'us-east-1';
.print Inside the transaction, the table shows the pending change; its shadow table does not have it yet:
SELECT (SELECT count(*) FROM plan WHERE vendor = 'aws' AND region = 'us-east-1') AS "plan: aws us-east-1",
       (SELECT count(*) FROM plan_mappings WHERE vendor = 'aws' AND region = 'us-east-1') AS "stored: aws us-east-1";
ROLLBACK;
.print
.print After ROLLBACK:
SELECT count(*) AS "aws us-east-1" FROM plan WHERE vendor = 'aws' AND region = 'us-east-1';
SQL

step "6. Report: mappings per vendor and region (sql/examples/report_vendor_region.sql)" <<'SQL'
.read sql/examples/report_vendor_region.sql
SQL

step "7. Report: mappings inside network blocks (sql/examples/report_cidr.sql)" <<'SQL'
.read sql/examples/report_cidr.sql
SQL

step "8. Report: IPs in address order (sql/examples/report_ip_order.sql)" <<'SQL'
.read sql/examples/report_ip_order.sql
SQL

step "9. Report: staging rows whose region is not supported (sql/examples/report_unsupported.sql)" <<'SQL'
.read sql/examples/report_unsupported.sql
SQL

# The demo checks its own outcome: every valid row loaded, none of the refused ones.
loaded=$(sqlite3 -cmd ".load '$so'" "$db" "SELECT count(*) FROM plan")
valid=$(sqlite3 -cmd ".load '$so'" "$db" "SELECT count(DISTINCT ip_canonical(origin_ip)) FROM staging s
  WHERE ip_canonical(origin_ip) IS NOT NULL
    AND EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor AND r.region = s.region)")
if [ "$loaded" != "$valid" ]; then
  echo "demo: expected $valid mappings in the table, found $loaded" >&2
  exit 1
fi
printf '\nDone: %s mappings in %s. Explore them with:\n  sqlite3 -cmd ".load build/cfregions" %s\n' "$loaded" "$db" "$db"
