#!/bin/sh
# The sqlite3 shell under valgrind, for `make test-valgrind` (run-golden.sh's SQLITE3): any memory
# error or definite/indirect leak is printed into the script's output, so the golden diff fails.
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --num-callers=20 sqlite3 "$@"
