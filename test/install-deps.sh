#!/bin/sh
# install-deps.sh — makes sure this machine has what the build, the demo or the tests need.
#
#   sh test/install-deps.sh build|demo|test       (make deps-demo: demo; make deps, make test: test)
#
# Each need is checked the way it is used: a library with pkg-config, a tool with command -v, Python
# by whether its sqlite3 module can load extensions. So a tool installed some other way counts, and
# when everything is there this takes well under a second and touches neither apt nor the network.
# Only what is missing is installed: apt-get (after apt-get update) gets exactly the Debian packages
# that provide it, as root or through sudo. Without apt-get, or without root and sudo, it lists what
# is missing, with the Debian packages that provide it, and fails.
# Environment: CC (default cc) and CLANG (default clang), the compilers the Makefile uses.
group=${1:-test}
case $group in
  build|demo|test) ;;
  *) echo "usage: sh test/install-deps.sh build|demo|test" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
CLANG=${CLANG:-clang}

has() { command -v "$1" >/dev/null 2>&1; }
has_lib() { pkg-config --exists "$1" 2>/dev/null; }
has_node() { has node && has npm; }
has_gnu_time() { [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; }
# Debian's python3 can load extensions; some other builds cannot (test/find-python.sh).
has_python() { sh test/find-python.sh >/dev/null 2>&1; }
# libFuzzer's runtime for the clang in use (Debian: libclang-rt-dev, for the default clang).
has_fuzzer() {
  dir=$("$CLANG" --print-runtime-dir 2>/dev/null) && [ -f "$dir/libclang_rt.fuzzer-$(uname -m).a" ]
}

# need WHAT PACKAGES CHECK...: records WHAT and its Debian PACKAGES when CHECK fails.
need() {
  what=$1 pkgs=$2
  shift 2
  "$@" && return 0
  missing="$missing
  $what (Debian: $pkgs)"
  packages="$packages $pkgs"
}

check() {
  missing="" packages=""
  need "C compiler ($CC)" build-essential has "$CC"
  need "pkg-config" pkg-config has pkg-config
  need "SQLite's headers (pkg-config sqlite3)" libsqlite3-dev has_lib sqlite3
  need "libcurl's headers (pkg-config libcurl)" libcurl4-openssl-dev has_lib libcurl
  need "jansson's headers (pkg-config jansson)" libjansson-dev has_lib jansson
  [ "$group" = build ] && return
  need "the sqlite3 shell" sqlite3 has sqlite3
  [ "$group" = demo ] && return
  need "python3 whose sqlite3 module loads extensions" python3 has_python
  need "clang ($CLANG, for the fuzzer)" clang has "$CLANG"
  need "libFuzzer's runtime for $CLANG" libclang-rt-dev has_fuzzer
  need "valgrind" valgrind has valgrind
  need "sqlite-utils" sqlite-utils has sqlite-utils
  need "GNU time (the hostile-server tests measure a shell's peak memory)" time has_gnu_time
  need "node and npm (the conformance run installs Prism with npm)" "nodejs npm" has_node
}

stop() {
  echo "missing, needed for '$group':$missing" >&2
  echo "$1" >&2
  exit 1
}

check
[ -z "$packages" ] && exit 0

has apt-get || stop "There is no apt-get here: install these with this system's package manager."
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  # sudo without a password, or one that can ask for it on this terminal.
  if has sudo && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    sudo=sudo
  else
    stop "Not root and no sudo: as root, run apt-get install$packages"
  fi
fi
echo "installing the Debian packages that provide what is missing:$packages"
$sudo apt-get update -qq || stop "apt-get update failed."
# shellcheck disable=SC2086  # the package list is meant to split
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages ||
  stop "apt-get install failed."
check
[ -z "$packages" ] || stop "Still missing after apt-get install."
