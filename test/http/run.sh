#!/bin/sh
# The HTTP client's C test (test/http/test_http*.c) against the fake API and the hostile server, in
# a plain and an ASan/UBSan build. Run from the repo root: sh test/http/run.sh
# (VALGRIND=1 adds a valgrind run; ONLY=fake or ONLY=hostile runs one group of cases)
set -eu
cd "$(dirname "$0")/../.."
B=build/http
mkdir -p "$B"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iext -Iinclude"
LIBS="$(pkg-config --libs libcurl) -lpthread"
SRC="ext/http.c ext/http_rules.c test/http/test_http.c test/http/test_http_hostile.c"
# shellcheck disable=SC2086  # the flag lists are meant to split
cc $CFLAGS -O2 -g $SRC -o "$B/test_http" $LIBS
# shellcheck disable=SC2086
cc $CFLAGS -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  $SRC -o "$B/test_http_asan" $LIBS

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
"$B/test_http" $ARGS
echo "== test_http (ASan/UBSan)"
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$B/test_http_asan" $ARGS
if [ "${VALGRIND:-0}" = 1 ]; then
  echo "== test_http (valgrind)"
  # shellcheck disable=SC2086
  valgrind -q --leak-check=full --error-exitcode=1 "$B/test_http" $ARGS
fi
