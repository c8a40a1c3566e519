#!/bin/sh
# loaders.sh SO — the extension loads the ways the README's "Loading" shows: the sqlite3 shell's
# .load (the golden tests use it throughout), Python's load_extension (test/test_*.py), and
# sqlite-utils' --load-extension, checked here. Prints "N passed, M failed".
so=$1
passed=0 failed=0
check() { # name expected actual
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
if ! command -v sqlite-utils >/dev/null 2>&1; then
  echo "loaders: sqlite-utils not installed (make deps installs it)"; exit 1
fi
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
db=$dir/plan.db
check "sqlite-utils: functions" '[{"c": "2001:db8::1"}]' \
  "$(sqlite-utils query :memory: "select ip_canonical('2001:0DB8::1') as c" --load-extension "$so" 2>&1)"
sqlite-utils query "$db" "create virtual table plan using origin_cloud_regions(store='local')" --load-extension "$so" >/dev/null 2>&1
check "sqlite-utils: insert into a local table" '[{"rows_affected": 1}]' \
  "$(sqlite-utils query "$db" "insert into plan(origin_ip, vendor, region) values ('2001:DB8::1', 'aws', 'us-east-1')" --load-extension "$so" 2>&1)"
check "sqlite-utils: the row, canonical, in a new process" '[{"origin_ip": "2001:db8::1", "vendor": "aws"}]' \
  "$(sqlite-utils query "$db" "select origin_ip, vendor from plan" --load-extension "$so" 2>&1)"
out=$(sqlite-utils query "$db" "insert into plan(origin_ip, vendor, region) values ('10.0.0.256', 'aws', 'us-east-1')" --load-extension "$so" 2>&1)
case $out in *"origin_ip is not an IPv4 or IPv6 address"*) r=refused ;; *) r="$out" ;; esac
check "sqlite-utils: an invalid IP is refused with the reason" refused "$r"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
