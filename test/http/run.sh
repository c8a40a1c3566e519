#!/bin/sh
# The HTTP client's C test (test/http/test_http.c) against the fake API, in a plain and an
# ASan/UBSan build. Run from the repo root: sh test/http/run.sh   (VALGRIND=1 adds a valgrind run)
set -eu
cd "$(dirname "$0")/../.."
B=build/http
mkdir -p "$B"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iext -Iinclude"
LIBS="$(pkg-config --libs libcurl) -lpthread"
SRC="ext/http.c ext/http_rules.c test/http/test_http.c"
# shellcheck disable=SC2086  # the flag lists are meant to split
cc $CFLAGS -O2 -g $SRC -o "$B/test_http" $LIBS
# shellcheck disable=SC2086
cc $CFLAGS -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  $SRC -o "$B/test_http_asan" $LIBS

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
  kill -0 "$FAKE" 2>/dev/null || { cat "$B/fake.log" >&2; echo "fake API did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "fake API wrote no port" >&2; exit 1; }

echo "== test_http (plain)"
"$B/test_http" "$PORT"
echo "== test_http (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$B/test_http_asan" "$PORT"
if [ "${VALGRIND:-0}" = 1 ]; then
  echo "== test_http (valgrind)"
  valgrind -q --leak-check=full --error-exitcode=1 "$B/test_http" "$PORT"
fi
