#!/bin/sh
# Conformance: the fake Cloudflare API (test/fake_cloudflare.py), seen through Prism proxies, must answer
# every operation and every documented error of Cloudflare's OpenAPI definition
# (test/fixtures/cloudflare-openapi.json) with 0 request/response violations.
# Run from anywhere: sh test/conformance/run.sh   (make conformance)
set -eu
cd "$(dirname "$0")/../.."
dir=test/conformance
spec=test/fixtures/cloudflare-openapi.json
regions=sql/supported_regions.json
python=${PYTHON:-python3}
prism=$dir/node_modules/.bin/prism

if ! "$prism" --version 2>/dev/null | grep -qx '5.14.2'; then
  echo "conformance: installing Prism 5.14.2 (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { echo "conformance: npm ci failed" >&2; exit 1; }
fi

tmp=$(mktemp -d)
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_for FILE PATTERN WHAT: until FILE has a line matching PATTERN (30 s at most)
wait_for() {
  i=0
  while ! grep -aq "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then echo "conformance: $3 did not start:" >&2; cat "$1" >&2; exit 1; fi
    sleep 0.1
  done
}

"$python" test/fake_cloudflare.py --port 0 --token test-token \
  --email user@example.com --key fake-global-api-key --regions "$regions" >"$tmp/fake.log" 2>&1 &
pids="$pids $!"
wait_for "$tmp/fake.log" '^fake-cloudflare listening on ' "the fake API"
fake=$(sed -n 's/^fake-cloudflare listening on //p' "$tmp/fake.log" | head -n 1)

# strict: validates requests and responses. lenient: forwards requests that break the request schema
# on purpose, still validating the answers. Both on ephemeral ports, read back from their logs.
"$prism" proxy "$spec" "$fake" --errors --host 127.0.0.1 --port 0 >"$tmp/strict.log" 2>&1 &
pids="$pids $!"
"$prism" proxy "$spec" "$fake" --errors --validate-request=false --host 127.0.0.1 --port 0 \
  >"$tmp/lenient.log" 2>&1 &
pids="$pids $!"
wait_for "$tmp/strict.log" 'Prism is listening on' "Prism (strict)"
wait_for "$tmp/lenient.log" 'Prism is listening on' "Prism (lenient)"
url() { grep -ao 'Prism is listening on http://127\.0\.0\.1:[0-9]*' "$1" | head -n 1 | sed 's/.* on //'; }

status=0
"$python" "$dir/scenario.py" "$fake" "$(url "$tmp/strict.log")" "$(url "$tmp/lenient.log")" \
  "$tmp/strict.log" "$tmp/lenient.log" "$spec" "$regions" || status=$?
exit "$status"
