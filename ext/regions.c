/*
** regions.c — supported (vendor, region) lists and mapping validation. See regions.h.
*/
#include "regions.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char cfr_builtin_regions_json[];  /* generated from sql/supported_regions.json */

static char *dup_printf_error(const char *what, const char *detail) {
  size_t n = strlen(what) + strlen(detail) + 32;
  char *msg = malloc(n);
  if (msg) snprintf(msg, n, "supported regions: %s%s", what, detail);
  return msg;
}

static int compare_regions(const void *a, const void *b) {
  const cfr_region *x = a, *y = b;
  int c = strcmp(x->vendor, y->vendor);
  return c ? c : strcmp(x->region, y->region);
}

static int append_region(cfr_regions *list, const char *vendor, json_t *entry, char **err) {
  const char *name = json_string_value(json_object_get(entry, "name"));
  json_t *colos = json_object_get(entry, "upper_tier_colos");
  if (!name || strlen(name) >= CFR_REGION_MAX || strlen(vendor) >= CFR_VENDOR_MAX) {
    *err = dup_printf_error("an entry has no usable name under vendor ", vendor);
    return -1;
  }
  cfr_region *item = &list->items[list->count];
  memset(item, 0, sizeof(*item));
  strcpy(item->vendor, vendor);
  strcpy(item->region, name);
  item->upper_tier_colos = json_is_array(colos) ? json_dumps(colos, JSON_COMPACT) : strdup("[]");
  if (!item->upper_tier_colos) { *err = dup_printf_error("out of memory", ""); return -1; }
  list->count++;
  return 0;
}

static int count_entries(json_t *vendors) {
  const char *vendor;
  json_t *entries;
  int total = 0;
  json_object_foreach(vendors, vendor, entries) {
    if (!json_is_array(entries)) return -1;
    total += (int)json_array_size(entries);
  }
  return total;
}

int cfr_regions_from_json(const void *result_object, cfr_regions **out, char **err) {
  json_t *vendors = json_object_get((json_t *)result_object, "vendors");
  *out = NULL;
  int total = json_is_object(vendors) ? count_entries(vendors) : -1;
  if (total < 0) { *err = dup_printf_error("expected an object {\"vendors\": {vendor: [regions]}}", ""); return -1; }
  cfr_regions *list = calloc(1, sizeof(*list));
  if (list) list->items = calloc((size_t)total + 1, sizeof(cfr_region));
  if (!list || !list->items) { free(list); *err = dup_printf_error("out of memory", ""); return -1; }
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

int cfr_regions_parse(const char *json_text, cfr_regions **out, char **err) {
  json_error_t jerr;
  json_t *root = json_loads(json_text, 0, &jerr);
  if (!root) { *err = dup_printf_error("malformed JSON: ", jerr.text); *out = NULL; return -1; }
  int rc = cfr_regions_from_json(root, out, err);
  json_decref(root);
  return rc;
}

void cfr_regions_free(cfr_regions *regions) {
  if (!regions) return;
  for (int i = 0; i < regions->count; i++) free(regions->items[i].upper_tier_colos);
  free(regions->items);
  free(regions);
}

static cfr_regions *builtin_regions;
static cfr_regions empty_regions;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void load_builtin(void) {
  char *err = NULL;
  if (cfr_regions_parse(cfr_builtin_regions_json, &builtin_regions, &err) != 0) {
    /* Only a broken build can get here; validation then refuses every region, loudly. */
    fprintf(stderr, "cfregions: built-in region list: %s\n", err ? err : "unreadable");
    free(err);
    builtin_regions = &empty_regions;
  }
}

const cfr_regions *cfr_regions_builtin(void) {
  pthread_once(&builtin_once, load_builtin);
  return builtin_regions;
}

int cfr_regions_has(const cfr_regions *regions, const char *vendor, const char *region) {
  cfr_region key;
  if (strlen(vendor) >= CFR_VENDOR_MAX || strlen(region) >= CFR_REGION_MAX) return 0;
  strcpy(key.vendor, vendor);
  strcpy(key.region, region);
  return bsearch(&key, regions->items, (size_t)regions->count, sizeof(cfr_region),
                 compare_regions) != NULL;
}

int cfr_regions_has_vendor(const cfr_regions *regions, const char *vendor) {
  for (int i = 0; i < regions->count; i++)
    if (strcmp(regions->items[i].vendor, vendor) == 0) return 1;
  return 0;
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
  if (!cfr_regions_has_vendor(regions, vendor)) {
    char vendors[128];
    list_vendors(regions, vendors, sizeof(vendors));
    snprintf(err, err_size, "unknown vendor '%s' (expected %s)", vendor, vendors);
    return -1;
  }
  if (!cfr_regions_has(regions, vendor, region)) {
    snprintf(err, err_size,
             "region '%s' is not supported for vendor '%s' (see SELECT region FROM supported_regions WHERE vendor = '%s')",
             region, vendor, vendor);
    return -1;
  }
  return 0;
}

/* Frees the built-in list when the extension is unloaded (the shell dlcloses it at exit), so leak
** checkers see no block whose last pointer went away with the library. */
__attribute__((destructor)) static void free_builtin(void) {
  if (builtin_regions && builtin_regions != &empty_regions) cfr_regions_free(builtin_regions);
  builtin_regions = NULL;
}
