/*
** store.c — small helpers shared by the stores. See store.h.
*/
#include "store.h"

#include <string.h>
#include <time.h>

void cfr_mapping_list_clear(cfr_mapping_list *list) {
  sqlite3_free(list->items);
  list->items = NULL;
  list->count = list->capacity = 0;
}

int cfr_mapping_list_push(cfr_mapping_list *list, const cfr_mapping *m) {
  if (list->count == list->capacity) {
    int capacity = list->capacity ? list->capacity * 2 : 128;
    cfr_mapping *items = sqlite3_realloc64(list->items, (sqlite3_uint64)capacity * sizeof(cfr_mapping));
    if (!items) return SQLITE_NOMEM;
    list->items = items;
    list->capacity = capacity;
  }
  list->items[list->count++] = *m;
  return SQLITE_OK;
}

int cfr_copy_field(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) return -1;
  memcpy(dst, src, n + 1);
  return 0;
}

void cfr_now_rfc3339(char out[CFR_TIME_MAX]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, CFR_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
