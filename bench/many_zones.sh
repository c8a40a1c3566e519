#!/bin/sh
# many_zones.sh — placeholder: many API tables at once, 200 zones x 50 mappings each (reading them
# all, one COMMIT that writes to all of them). Not measured yet; it only adds its row to the final
# table so that the row is not forgotten.
#
#   sh bench/many_zones.sh build/cfregions.so        (from the repository root; bench/run.sh)
echo "200 zones x 50 mappings: not measured yet"
if [ -n "$BENCH_SUMMARY" ]; then
  printf '%s\t%s\t%s\t%s\n' "many zones: 200 zones x 50 mappings" "not measured yet" "-" "-" \
    >>"$BENCH_SUMMARY"
fi
