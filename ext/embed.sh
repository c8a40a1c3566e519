#!/bin/sh
# embed.sh NAME FILE: prints a C file defining `const char NAME[]` with FILE's bytes, NUL-terminated.
name=$1; file=$2
echo "/* generated from $file by ext/embed.sh; do not edit */"
echo "const char $name[] = {"
od -An -v -tx1 "$file" | sed -e 's/  */ /g' -e 's/^ //' -e 's/ $//' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00 };"
