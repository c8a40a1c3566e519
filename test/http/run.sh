#!/bin/sh
# The HTTP client's C test (test/http/test_http*.c) against the fake API and the hostile server, in
# a plain and an ASan/UBSan build, both built by the Makefile:
#   make test-http     or     sh test/http/run.sh PLAIN_BINARY ASAN_BINARY
# VALGRIND=1 adds a valgrind run of the plain binary; ONLY=fake or ONLY=hostile runs one group of
# cases.
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

# A throwaway self-signed certificate: the client must refuse it.
TLS=""
if command -v openssl >/dev/null 2>&1 && openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
     -subj /CN=127.0.0.1 -keyout "$B/tls.key" -out "$B/tls.crt" >/dev/null 2>&1; then
  TLS="--tls-cert $B/tls.crt --tls-key $B/tls.key --tls-port-file $B/tls_port"
fi

rm -f "$B/port" "$B/hostile_port" "$B/tls_port"
python3 test/fake_cloudflare.py --port 0 --port-file "$B/port" \
  --token tok-123 --email me@example.com --key key-456 >"$B/fake.log" 2>&1 &
FAKE=$!
# shellcheck disable=SC2086
python3 test/hostile_server.py --port 0 --port-file "$B/hostile_port" $TLS >"$B/hostile.log" 2>&1 &
HOSTILE=$!
# Both servers are stopped by their PIDs whatever happens, failures included.
trap 'kill "$FAKE" "$HOSTILE" 2>/dev/null || true; wait "$FAKE" "$HOSTILE" 2>/dev/null || true' \
  EXIT INT TERM

wait_port() { # file pid log
  P=""
  for _ in $(seq 1 100); do
    P=$(cat "$1" 2>/dev/null || true)
    case "$P" in ''|*[!0-9]*) P="" ;; *) echo "$P"; return 0 ;; esac
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  cat "$3" >&2; echo "no port in $1" >&2; return 1
}
PORT=$(wait_port "$B/port" "$FAKE" "$B/fake.log")
HPORT=$(wait_port "$B/hostile_port" "$HOSTILE" "$B/hostile.log")
TPORT=$(cat "$B/tls_port" 2>/dev/null || echo 0)
ARGS="$PORT $HPORT $TPORT"
[ -n "${ONLY:-}" ] && ARGS="--only $ONLY $ARGS"

echo "== test_http (plain)"
# shellcheck disable=SC2086
"$plain" $ARGS
echo "== test_http (ASan/UBSan)"
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$asan" $ARGS
if [ "${VALGRIND:-0}" = 1 ]; then
  echo "== test_http (valgrind)"
  # shellcheck disable=SC2086
  valgrind -q --leak-check=full --error-exitcode=1 "$plain" $ARGS
fi
