/*
** store.c — opening a store, and the mapping list both stores fill. See store.h.
*/
#include "store.h"
#include "store_api.h"
#include "store_local.h"

int cfr_store_open(sqlite3 *db, cfr_context *ctx, const char *schema, const char *name,
                   const cfr_table_args *args, int create, cfr_store **out, char **err) {
  if (args->store == CFR_STORE_LOCAL)
    return cfr_store_local_open(db, ctx, schema, name, args->regions_zone, create, out, err);
  return cfr_store_api_open(ctx, &args->api, out, err);
}

int cfr_store_open_zones(cfr_context *ctx, const cfr_api_settings *settings,
                         const char (*zone_ids)[CFR_ZONE_ID_LEN + 1], int n, cfr_store **out, char **err) {
  return cfr_store_api_open_zones(ctx, settings, zone_ids, n, out, err);
}

int cfr_store_is_remote(const cfr_table_args *args) {
  return args->store == CFR_STORE_API || args->regions_zone[0] != 0;
}

int cfr_store_is_shadow_name(const char *suffix) { return cfr_store_local_is_shadow(suffix); }

void cfr_mapping_list_clear(cfr_mapping_list *list) {
  sqlite3_free(list->items);
  list->items = NULL;
  list->count = list->capacity = 0;
}

int cfr_mapping_list_push(cfr_mapping_list *list, const cfr_mapping *m) {
  cfr_mapping *items = cfr_grow(list->items, &list->capacity, list->count + 1, sizeof(cfr_mapping));
  if (!items) return SQLITE_NOMEM;
  list->items = items;
  items[list->count++] = *m;
  return SQLITE_OK;
}
