#!/bin/sh
# The fake Cloudflare API (test/fake_cloudflare.py) seen through the official Cloudflare TypeScript SDK
# (npm package "cloudflare", version pinned in test/sdk/package.json): auto-pagination of
# client.zones.list() over 137 seeded zones, filtered walks, and the SDK's handling of the fake's
# rate limit (429, code 971, Retry-After). Needs node and npm; installs the SDK with `npm ci` the
# first time. Run from anywhere: sh test/sdk/run.sh
set -eu
cd "$(dirname "$0")/../.."
dir=test/sdk
version=7.3.0
python=${PYTHON:-python3}
token=sdk-check-token

installed=$(node -p "require('./$dir/node_modules/cloudflare/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$version" ]; then
  echo "sdk: installing cloudflare $version (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { echo "sdk: npm ci failed" >&2; exit 1; }
fi

tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$python" test/fake_cloudflare.py --port 0 --token "$token" >"$tmp/fake.log" 2>&1 &
pid=$!
i=0
while ! grep -q '^fake-cloudflare listening on ' "$tmp/fake.log" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 300 ]; then echo "sdk: the fake API did not start:" >&2; cat "$tmp/fake.log" >&2; exit 1; fi
  sleep 0.1
done
fake=$(sed -n 's/^fake-cloudflare listening on //p' "$tmp/fake.log" | head -n 1)

# The SDK reads credentials and its base URL from the environment too: keep them out.
env -u CLOUDFLARE_API_TOKEN -u CLOUDFLARE_API_KEY -u CLOUDFLARE_EMAIL \
  -u CLOUDFLARE_API_USER_SERVICE_KEY -u CLOUDFLARE_BASE_URL \
  node "$dir/zones.mjs" "$fake" "$token"
