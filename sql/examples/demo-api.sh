#!/bin/sh
# demo-api.sh — the API store against the fake Cloudflare API on 127.0.0.1 (no account, no network):
# push the plan of `make demo` to a zone, see the requests it costs, break the API on purpose and
# watch nothing get lost.
#
#   make demo-api                              (builds the extension, runs `make demo` first if needed)
#   sh sql/examples/demo-api.sh [path/to/cfregions.so]
set -eu
cd "$(dirname "$0")/../.."
so=${1:-build/cfregions.so}
db=build/demo.db
[ -f "$so" ] || { echo "demo-api: no $so (run make first)" >&2; exit 1; }
[ -f "$db" ] || { echo "demo-api: no $db (run make demo first)" >&2; exit 1; }
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
python=$(sh test/find-python.sh)

tmp=$(mktemp -d)
python3 test/fake_cloudflare.py --port 0 --port-file "$tmp/port" >/dev/null 2>&1 &
fake=$!
trap 'kill "$fake" 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
while [ ! -s "$tmp/port" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "demo-api: the fake API did not start" >&2; exit 1; }
  sleep 0.1
done
base=http://127.0.0.1:$(cat "$tmp/port")
zone=023e105f4ecef8ad9ca31a8372d0c353
export CLOUDFLARE_API_TOKEN=test-token CLOUDFLARE_BASE_URL=$base/client/v4

# How many requests the fake saw since the last call, by method (then forgets them).
requests() {
  "$python" - "$base" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
log = json.load(urllib.request.urlopen(base + "/__fake/requests"))
urllib.request.urlopen(urllib.request.Request(base + "/__fake/requests", method="DELETE"))
counts = {}
for e in log:
    counts.setdefault(e["method"], [0, 0])
    counts[e["method"]][0] += 1
    counts[e["method"]][1] += e["items"] if e["method"] != "GET" else 0
print("    requests: " + (", ".join("%d %s (%d items)" % (n, m, items) if m != "GET" else "%d GET" % n
                                    for m, (n, items) in sorted(counts.items())) or "none"))
PY
}

step() {
  printf '\n=== %s\n\n' "$1"
  # An error is part of the demo: the shell says it, and the next step goes on.
  sqlite3 -cmd ".load '$so'" -cmd ".headers on" -cmd ".mode column" "$db" 2>&1 || true
  requests
}

step "1. A table over zone $zone (v2 API), empty at first" <<SQL
DROP TABLE IF EXISTS temp.live;
CREATE VIRTUAL TABLE temp.live USING origin_cloud_regions(zone_id='$zone');
SELECT count(*) AS mappings FROM live;
SQL

step "2. Push the local plan: one INSERT … SELECT, sent in batches of 100" <<SQL
CREATE VIRTUAL TABLE temp.live USING origin_cloud_regions(zone_id='$zone');
INSERT INTO live(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM plan;
SELECT vendor, count(*) AS mappings FROM live GROUP BY vendor;
SQL

step "3. The same statement again: everything is already so, nothing is sent" <<SQL
CREATE VIRTUAL TABLE temp.live USING origin_cloud_regions(zone_id='$zone');
INSERT OR REPLACE INTO live(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM plan;
SELECT changes() AS rows_given;
SQL

step "4. A point lookup (non-canonical spelling) is one GET" <<SQL
CREATE VIRTUAL TABLE temp.live USING origin_cloud_regions(zone_id='$zone');
SELECT * FROM live WHERE origin_ip = (SELECT upper(origin_ip) FROM plan WHERE ipfamily(origin_ip) = 6 LIMIT 1);
SQL

# The API will refuse two of the deletes (as Cloudflare reports items it cannot apply in failed[]).
refused=$(sqlite3 "$db" -cmd ".load '$so'" "SELECT group_concat(origin_ip, ' ') FROM (SELECT origin_ip FROM plan WHERE vendor = 'oci' LIMIT 2)")
"$python" - "$base" $refused <<'PY'
import json, sys, urllib.request
doc = {"reject_items": {ip: "Mapping is locked by another operation." for ip in sys.argv[2:]}}
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__fake/faults", method="POST", data=json.dumps(doc).encode()))
PY
step "5. Take all oci origins off the zone, while the API refuses two of them" <<SQL
CREATE VIRTUAL TABLE temp.live USING origin_cloud_regions(zone_id='$zone');
DELETE FROM live WHERE vendor = 'oci';
.print
.print What was not applied stays listed:
SELECT operation, origin_ip, error FROM cfregions_unapplied;
SQL

"$python" - "$base" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__fake/faults", method="DELETE"))
PY
step "6. The API accepts them again: the same statement sends only what is still missing" <<SQL
CREATE VIRTUAL TABLE temp.live USING origin_cloud_regions(zone_id='$zone');
DELETE FROM live WHERE vendor = 'oci';
SELECT count(*) AS unapplied FROM cfregions_unapplied;
SELECT vendor, count(*) AS mappings FROM live GROUP BY vendor;
SQL
printf '\nDone. The fake API is stopped; nothing left the machine.\n'
