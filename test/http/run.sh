#!/bin/sh
# The HTTP client's C test (test/http/test_http.c) against the fake API, in a plain and an
# ASan/UBSan build, both built by the Makefile:
#   make test-http     or     sh test/http/run.sh PLAIN_BINARY ASAN_BINARY
# VALGRIND=1 adds a valgrind run of the plain binary.
set -eu
if [ $# -ne 2 ]; then
  echo "usage: sh test/http/run.sh PLAIN_BINARY ASAN_BINARY (make test-http)" >&2
  exit 2
fi
plain=$1 asan=$2
for bin in "$plain" "$asan"; do
  [ -x "$bin" ] || { echo "test-http: no $bin (make test-http builds it)" >&2; exit 2; }
done
case $plain in /*) ;; *) plain=$(pwd)/$plain ;; esac
case $asan in /*) ;; *) asan=$(pwd)/$asan ;; esac
cd "$(dirname "$0")/../.."
B=build/http
mkdir -p "$B"

rm -f "$B/port"
python3 test/fake_cloudflare.py --port 0 --port-file "$B/port" \
  --token tok-123 --email me@example.com --key key-456 >"$B/fake.log" 2>&1 &
FAKE=$!
# The fake is stopped by its PID whatever happens, failures included.
trap 'kill "$FAKE" 2>/dev/null || true; wait "$FAKE" 2>/dev/null || true' EXIT INT TERM

PORT=""
for _ in $(seq 1 100); do
  PORT=$(cat "$B/port" 2>/dev/null || true)
  case "$PORT" in ''|*[!0-9]*) PORT="" ;; *) break ;; esac
  if ! kill -0 "$FAKE" 2>/dev/null; then
    cat "$B/fake.log" >&2
    echo "fake API did not start" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$PORT" ] || { echo "fake API wrote no port" >&2; exit 1; }

echo "== test_http (plain)"
"$plain" "$PORT"
echo "== test_http (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$asan" "$PORT"
if [ "${VALGRIND:-0}" = 1 ]; then
  echo "== test_http (valgrind)"
  valgrind -q --leak-check=full --error-exitcode=1 "$plain" "$PORT"
fi
