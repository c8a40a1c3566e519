/*
** cfregions.c — the extension's entry point.
**
** `.load ./build/cfregions` registers, on that connection: the IP functions and the `ip` collation,
** the origin_cloud_regions module, the eponymous supported_regions and cfregions_unapplied tables,
** and the functions that set credentials and allow base URLs. It is the library's only exported
** symbol.
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "cfregions_int.h"
#include "context.h"
#include "validate.h"
#include "zones.h"

int sqlite3_cfregions_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  int rc = cfr_ip_sql_register(db);
  cfr_context *ctx = NULL;
  if (rc == SQLITE_OK) {
    ctx = cfr_context_new(db);
    if (!ctx) rc = SQLITE_NOMEM;
  }
  /* The origin_cloud_regions module owns ctx from here on, even if registering it fails. */
  if (rc == SQLITE_OK) rc = cfr_table_register(db, ctx);
  if (rc == SQLITE_OK) rc = cfr_context_sql_register(db, ctx);
  if (rc == SQLITE_OK) rc = cfr_recovery_register(db, ctx);
  if (rc == SQLITE_OK) rc = cfr_validate_register(db, ctx);
  if (rc == SQLITE_OK) rc = cfr_supported_regions_register(db, ctx);
  if (rc == SQLITE_OK) rc = cfr_zones_register(db, ctx);
  if (rc != SQLITE_OK && pzErrMsg) *pzErrMsg = sqlite3_mprintf("cfregions: %s", sqlite3_errmsg(db));
  return rc;
}
