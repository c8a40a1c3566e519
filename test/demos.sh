#!/bin/sh
# demos.sh SO — the README's demos still run and still show what they promise: `make demo`'s script
# (local store) and `make demo-api`'s (API store against the fake). Prints "N passed, M failed".
so=$1
passed=0 failed=0
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT
expect() { # name pattern
  if grep -qF -- "$2" "$out"; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1: no line with: $2"; fi
}
if sh sql/examples/demo.sh "$so" >"$out" 2>&1; then passed=$((passed + 1)); echo "ok   demo.sh exits 0"
else failed=$((failed + 1)); echo "FAIL demo.sh exited non-zero"; tail -20 "$out"; fi
expect "demo.sh: the plan holds the valid rows" "Done: 288 mappings in build/demo.db"
expect "demo.sh: an invalid row is shown with its error" "unknown vendor 'ibm'"
if sh sql/examples/demo-api.sh "$so" >"$out" 2>&1; then passed=$((passed + 1)); echo "ok   demo-api.sh exits 0"
else failed=$((failed + 1)); echo "FAIL demo-api.sh exited non-zero"; tail -20 "$out"; fi
expect "demo-api.sh: 288 rows cost 3 batch PUTs" "3 PUT (288 items)"
expect "demo-api.sh: the refused deletes are listed" "COMMIT applied 46 of 48 changes"
expect "demo-api.sh: the re-run sends only the 2 missing deletes" "1 DELETE (2 items)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
