#!/bin/sh
# run-python.sh — runs the Python test files against one build of the extension.
#
#   sh test/run-python.sh PYTHON path/to/cfregions.so        (from the repository root)
#
# PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh` prints
# one; `make test-python` passes it). Every test/test_*.py runs as `PYTHON FILE SO`, except
# test/test_fake_*.py, which test the fake API itself and run on their own
# (`make test-fake`). A new test_*.py file is picked up without changing this script; what the files
# share (the fake's driver, FakeTestCase, the command line) is in test/support/, which is not run.
#
# Prints one line per file (with its full output when it fails) and, last, "N passed, M failed"
# counting test cases (a file that stops before unittest reports counts as one failure).
# Exits 1 if anything failed, 2 on a usage error.

if [ $# -ne 2 ]; then
  echo "usage: sh test/run-python.sh PYTHON path/to/cfregions.so" >&2
  exit 2
fi
python=$1
so=$2
case $so in /*) ;; *) so=$(pwd)/$so ;; esac
if [ ! -f "$so" ]; then
  echo "run-python: no such extension: $so" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-python.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0 failed=0
for file in test/test_*.py; do
  [ -e "$file" ] || continue
  name=$(basename "$file" .py)
  case $name in test_fake_*) continue ;; esac
  out=$tmp/$name.out
  "$python" "$file" "$so" >"$out" 2>&1
  status=$?
  # unittest ends with "Ran N tests in …" and "OK" or "FAILED (failures=F, errors=E, …)".
  ran=$(sed -n 's/^Ran \([0-9][0-9]*\) tests\{0,1\} in .*/\1/p' "$out" | tail -n 1)
  bad=$(tail -n 1 "$out" | awk '/^FAILED \(/ {
      s = $0; sub(/^FAILED \(/, "", s); sub(/\)$/, "", s)
      n = split(s, item, /, */)
      for (i = 1; i <= n; i++) {
        split(item[i], kv, "=")
        if (kv[1] == "failures" || kv[1] == "errors" || kv[1] == "unexpected successes") t += kv[2]
      }
    } END { print t + 0 }')
  if [ -z "$ran" ]; then
    ran=1 bad=1
  elif [ $status -ne 0 ] && [ "$bad" -eq 0 ]; then
    bad=1  # failed after unittest's report (e.g. a check of its own at exit)
  fi
  passed=$((passed + ran - bad))
  failed=$((failed + bad))
  if [ $status -eq 0 ]; then
    [ "$ran" -eq 1 ] && unit=test || unit=tests
    echo "ok   $name ($ran $unit)"
  else
    echo "FAIL $name (exit status $status)"
    sed -e 's/^/    /' "$out"
  fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
