/*
** regions.h — lists of supported (vendor, region) pairs, and the validation of a mapping.
**
** A list is read from the API's `supported_regions` result shape, which is also the format of the
** built-in list in sql/supported_regions.json. Validation lives only here, so that the local store
** accepts exactly what the API store does.
*/
#ifndef CFREGIONS_REGIONS_H
#define CFREGIONS_REGIONS_H

#include <stddef.h>

#define CFR_VENDOR_MAX 16   /* longest vendor id kept, NUL included */
#define CFR_REGION_MAX 64   /* longest region id kept, NUL included */
#define CFR_REGIONS_MAX 4096 /* entries a list may have: far above any vendor's region count */

struct json_t; /* jansson's */

typedef struct cfr_region {
  char vendor[CFR_VENDOR_MAX];
  char region[CFR_REGION_MAX];
  char *upper_tier_colos;   /* JSON array text, owned */
} cfr_region;

typedef struct cfr_regions {
  cfr_region *items;        /* sorted by (vendor, region) */
  int count;
} cfr_regions;

/* Reads `{"obtained_codes": …, "vendors": {"aws": [{"name", "upper_tier_colos"}], …}}` (at most
** CFR_REGIONS_MAX entries; ids must be short identifiers). Returns 0, or -1 with *err (sqlite3
** memory). The list is in sqlite3 memory; free it with cfr_regions_free. */
int cfr_regions_from_json(struct json_t *result, cfr_regions **out, char **err);
void cfr_regions_free(cfr_regions *regions);

/* The list shipped in sql/supported_regions.json, read once per process. Never NULL. */
const cfr_regions *cfr_regions_builtin(void);

/* Checks one mapping against the list. Returns 0; or -1 (unknown vendor) or -2 (region not
** supported for the vendor) with a description of the cause written to err (e.g. "region 'moon-1'
** is not supported for vendor 'aws'"). */
int cfr_regions_check(const cfr_regions *regions, const char *vendor, const char *region,
                      char *err, size_t err_size);

#endif
