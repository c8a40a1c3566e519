#!/bin/sh
# Prints a python3 whose sqlite3 module can load extensions (Debian's can; some builds cannot).
for p in /usr/bin/python3 python3 /usr/local/bin/python3; do
  if "$p" -c 'import sqlite3, sys; sys.exit(0 if hasattr(sqlite3.Connection, "enable_load_extension") else 1)' 2>/dev/null; then
    command -v "$p"; exit 0
  fi
done
echo "no python3 with sqlite3 extension loading found (install Debian's python3)" >&2
echo false
exit 1
