/* store_api.c — the API store (in progress). */
#include "store_api.h"

int cfr_store_api_open(cfr_conn *conn, const cfr_table_args *args, cfr_store **out, char **err) {
  (void)conn; (void)args;
  *out = NULL;
  *err = sqlite3_mprintf("store='api' is not available yet");
  return SQLITE_ERROR;
}

int cfr_api_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version,
                         const cfr_regions **out, char **err) {
  (void)conn; (void)zone_id; (void)base_url; (void)api_version;
  *out = NULL;
  *err = sqlite3_mprintf("the API store is not available yet");
  return SQLITE_ERROR;
}
