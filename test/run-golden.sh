#!/bin/sh
# run-golden.sh — golden-output tests: run SQL scripts in the stock sqlite3 shell, compare the output.
#
#   sh test/run-golden.sh [--update] path/to/cfregions.so [test/sql/NAME.sql ...]
#
# Run from the repository root (`make test-golden`, or `make test-asan` for the sanitizer build,
# which sets LD_PRELOAD for the shell; it is passed on untouched). With no script names, every
# test/sql/*.sql runs.
#
# Each script is fed on stdin to `sqlite3 :memory:` after `.load`ing the extension, with stderr
# merged into stdout, so error messages ("Parse error near line 3: ...") are part of the output and
# a script goes on after an error. The output must equal test/sql/NAME.expected byte for byte; on a
# mismatch the unified diff (expected → actual) is printed. Every script starts in a fresh empty
# temporary directory as its working directory, so it may create database files freely; the
# directory is removed afterwards. `.open` starts a new connection without the extension: load it
# again with `.load @CFREGIONS_SO@` — the runner replaces @CFREGIONS_SO@ with the extension's
# absolute path (line numbers in messages stay the same). `.shell` commands see two environment
# variables: CFREGIONS_SO (the same path) and GOLDEN_SRCDIR (absolute path of test/sql, for fixtures).
#
# Optional directive on a script's first line:
#   -- golden: [noload] [db=FILE] [sqlite3 options...]
# `noload` skips the automatic `.load` (for scripts that test loading itself); `db=FILE` opens FILE
# (in the temporary directory) instead of :memory:; the other words are passed to the sqlite3 shell
# before the database name, e.g. `-- golden: -bail` or `-- golden: -header -column`.
#
# Writing a test: add test/sql/NAME.sql, write NAME.expected by hand from what the behaviour should
# be, run this script and read the diff. To regenerate an expected file from the current output
# (then review it with `git diff`!):
#   sh test/run-golden.sh --update build/cfregions.so test/sql/NAME.sql
#
# Prints a final line "N passed, M failed"; exits 1 if any script failed, 2 on a usage error.
# SQLITE3 overrides the shell binary; GOLDEN_TIMEOUT (seconds, default 120) bounds each script.

# LD_PRELOAD (the sanitizer runtimes, set by `make test-asan`) is meant for the sqlite3 shell that
# loads the ASan build. Helper tools misbehave with it (mktemp exits 1 under a preloaded ASan), so
# it is kept aside here and given back to the shell alone.
preload=${LD_PRELOAD-}
unset LD_PRELOAD

update=0
if [ "${1:-}" = "--update" ]; then
  update=1
  shift
fi
if [ $# -lt 1 ]; then
  echo "usage: sh test/run-golden.sh [--update] path/to/cfregions.so [test/sql/NAME.sql ...]" >&2
  exit 2
fi

so=$1
shift
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
if [ ! -f "$so" ]; then
  echo "run-golden: no such extension: $so" >&2
  exit 2
fi
sqlite=${SQLITE3:-sqlite3}
srcdir=$(pwd)/test/sql
timeout_s=${GOLDEN_TIMEOUT:-120}
CFREGIONS_SO=$so
GOLDEN_SRCDIR=$srcdir
export CFREGIONS_SO GOLDEN_SRCDIR

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ $# -eq 0 ]; then
  set -- "$srcdir"/*.sql
  [ -e "$1" ] || set -- # no scripts at all
fi

# Runs the sqlite3 shell with the caller's LD_PRELOAD, bounded in time: a hung script (say, a
# network call that never returns) must fail, not stall the suite.
run_shell() {
  set -- env ${preload:+"LD_PRELOAD=$preload"} "$sqlite" "$@"
  if command -v timeout >/dev/null 2>&1; then timeout "$timeout_s" "$@"; else "$@"; fi
}

# The extension's path with the characters sed treats specially in a replacement escaped.
so_sed=$(printf '%s\n' "$so" | sed -e 's/[\\&|]/\\&/g')

# Runs one script in its own directory $3; its combined output goes to $2.
run_script() {
  script=$1 out=$2 work=$3
  load=1 db=:memory: opts=""
  first=$(head -n 1 "$script")
  case $first in
    "-- golden:"*)
      for word in ${first#-- golden:}; do
        case $word in
          noload) load=0 ;;
          db=*) db=${word#db=} ;;
          *) opts="$opts $word" ;;
        esac
      done
      ;;
  esac
  mkdir "$work" || return 1
  if [ $load -eq 1 ]; then set -- -cmd ".load \"$so\""; else set --; fi
  # $opts is split into words on purpose: it holds shell options from the directive.
  # shellcheck disable=SC2086
  sed -e "s|@CFREGIONS_SO@|$so_sed|g" "$script" |
    (cd "$work" && run_shell $opts "$@" "$db" >"$out" 2>&1)
  status=$?
  [ $status -eq 124 ] && echo "run-golden: timed out after ${timeout_s}s" >>"$out"
  rm -rf "$work"
}

passed=0 failed=0 n=0
for script in "$@"; do
  n=$((n + 1))
  case $script in /*) ;; *) script=$(pwd)/$script ;; esac
  name=$(basename "$script" .sql)
  expected=${script%.sql}.expected
  out=$tmp/$n.out
  run_script "$script" "$out" "$tmp/$n.dir"
  if [ $update -eq 1 ]; then
    cp "$out" "$expected"
    echo "updated $expected"
    passed=$((passed + 1))
  elif [ ! -f "$expected" ]; then
    echo "FAIL $name: no $expected (write it, or generate it with --update and review it)"
    failed=$((failed + 1))
  elif diff -u "$expected" "$out" >"$tmp/diff"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed -e "2s|^+++ .*|+++ $name (actual output)|" "$tmp/diff"
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
