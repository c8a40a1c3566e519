/*
** regions.c — supported (vendor, region) lists and mapping validation. See regions.h.
*/
#include "regions.h"
#include "cfregions_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char cfr_builtin_regions_json[];  /* generated from sql/supported_regions.json */

static int compare_regions(const void *a, const void *b) {
  const cfr_region *x = a, *y = b;
  int c = strcmp(x->vendor, y->vendor);
  return c ? c : strcmp(x->region, y->region);
}

/* Region and vendor ids are short identifiers: letters, digits, '-', '_', '.'. Anything else from a
** server (spaces, escape characters, quotes) is refused rather than shown in a row. */
static int is_id(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n >= max) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9') &&
        s[i] != '-' && s[i] != '_' && s[i] != '.')
      return 0;
  return 1;
}

/* upper_tier_colos as compact JSON text in sqlite3 memory ("[]" when absent). */
static char *colos_text(json_t *colos) {
  char *text = json_is_array(colos) ? json_dumps(colos, JSON_COMPACT) : NULL;
  char *copy = sqlite3_mprintf("%s", text ? text : "[]");
  free(text);
  return copy;
}

static int append_region(cfr_regions *list, const char *vendor, json_t *entry, char **err) {
  const char *name = json_string_value(json_object_get(entry, "name"));
  if (!name || !is_id(name, CFR_REGION_MAX) || !is_id(vendor, CFR_VENDOR_MAX)) {
    *err = sqlite3_mprintf("supported regions: an entry has no usable name, or a vendor id is unusable");
    return -1;
  }
  cfr_region *item = &list->items[list->count];
  memset(item, 0, sizeof(*item));
  strcpy(item->vendor, vendor);
  strcpy(item->region, name);
  if (!(item->upper_tier_colos = colos_text(json_object_get(entry, "upper_tier_colos")))) {
    *err = sqlite3_mprintf("out of memory");
    return -1;
  }
  list->count++;
  return 0;
}

static long count_entries(json_t *vendors) {
  const char *vendor;
  json_t *entries;
  long total = 0;
  json_object_foreach(vendors, vendor, entries) {
    if (!json_is_array(entries)) return -1;
    total += (long)json_array_size(entries);
  }
  return total;
}

int cfr_regions_from_json(json_t *result, cfr_regions **out, char **err) {
  json_t *vendors = json_object_get(result, "vendors");
  *out = NULL;
  long total = json_is_object(vendors) ? count_entries(vendors) : -1;
  if (total < 0 || total > CFR_REGIONS_MAX) {
    *err = sqlite3_mprintf(total < 0 ? "supported regions: expected an object {\"vendors\": {vendor: [regions]}}"
                                     : "supported regions: more than %d entries", CFR_REGIONS_MAX);
    return -1;
  }
  cfr_regions *list = sqlite3_malloc(sizeof(*list));
  cfr_region *items = sqlite3_malloc64((sqlite3_uint64)(total + 1) * sizeof(cfr_region));
  if (!list || !items) {
    sqlite3_free(list);
    sqlite3_free(items);
    *err = sqlite3_mprintf("out of memory");
    return -1;
  }
  list->items = items;
  list->count = 0;
  const char *vendor;
  json_t *entries;
  json_object_foreach(vendors, vendor, entries) {
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry) {
      if (append_region(list, vendor, entry, err) != 0) { cfr_regions_free(list); return -1; }
    }
  }
  qsort(list->items, (size_t)list->count, sizeof(cfr_region), compare_regions);
  *out = list;
  return 0;
}

void cfr_regions_free(cfr_regions *regions) {
  if (!regions) return;
  for (int i = 0; i < regions->count; i++) sqlite3_free(regions->items[i].upper_tier_colos);
  sqlite3_free(regions->items);
  sqlite3_free(regions);
}

static cfr_regions *builtin_regions;
static cfr_regions empty_regions;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void load_builtin(void) {
  char *err = NULL;
  json_t *root = json_loads(cfr_builtin_regions_json, 0, NULL);
  if (!root || cfr_regions_from_json(root, &builtin_regions, &err) != 0) {
    /* Only a broken build can get here; validation then refuses every region, loudly. */
    fprintf(stderr, "cfregions: built-in region list: %s\n", err ? err : "unreadable");
    builtin_regions = &empty_regions;
  }
  sqlite3_free(err);
  json_decref(root);
}

const cfr_regions *cfr_regions_builtin(void) {
  pthread_once(&builtin_once, load_builtin);
  return builtin_regions;
}

/* The first entry of vendor (a lower bound in the sorted list), or count. */
static int vendor_start(const cfr_regions *regions, const char *vendor) {
  int lo = 0, hi = regions->count;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (strcmp(regions->items[mid].vendor, vendor) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static int has_vendor(const cfr_regions *regions, const char *vendor) {
  int i = vendor_start(regions, vendor);
  return i < regions->count && strcmp(regions->items[i].vendor, vendor) == 0;
}

static int has_region(const cfr_regions *regions, const char *vendor, const char *region) {
  cfr_region key;
  if (cfr_copy_field(key.vendor, sizeof(key.vendor), vendor) != 0 ||
      cfr_copy_field(key.region, sizeof(key.region), region) != 0)
    return 0;
  return bsearch(&key, regions->items, (size_t)regions->count, sizeof(cfr_region), compare_regions) != NULL;
}

/* "aws, azure, gcp or oci": the vendors in the list, for error messages. */
static void list_vendors(const cfr_regions *regions, char *buf, size_t size) {
  size_t used = 0;
  int n = 0;
  buf[0] = 0;
  for (int i = 0; i < regions->count; i++) {
    if (i > 0 && strcmp(regions->items[i - 1].vendor, regions->items[i].vendor) == 0) continue;
    int last = 1;
    for (int j = i + 1; j < regions->count; j++)
      if (strcmp(regions->items[j].vendor, regions->items[i].vendor) != 0) { last = 0; break; }
    const char *sep = n == 0 ? "" : (last ? " or " : ", ");
    int w = snprintf(buf + used, size - used, "%s%s", sep, regions->items[i].vendor);
    if (w < 0 || (size_t)w >= size - used) break;
    used += (size_t)w;
    n++;
  }
}

int cfr_regions_check(const cfr_regions *regions, const char *vendor, const char *region,
                      char *err, size_t err_size) {
  /* The common case, a valid pair, costs one binary search. */
  if (has_region(regions, vendor, region)) return 0;
  if (!has_vendor(regions, vendor)) {
    char vendors[128];
    list_vendors(regions, vendors, sizeof(vendors));
    snprintf(err, err_size, "unknown vendor '%s' (expected %s)", vendor, vendors);
    return -1;
  }
  snprintf(err, err_size, "region '%s' is not supported for vendor '%s'", region, vendor);
  return -2;
}

/* Frees the built-in list when the extension is unloaded (the shell dlcloses it at exit), so leak
** checkers see no block whose last pointer went away with the library. */
__attribute__((destructor)) static void free_builtin(void) {
  if (builtin_regions && builtin_regions != &empty_regions) cfr_regions_free(builtin_regions);
  builtin_regions = NULL;
}
