/*
** cfregions.c — the extension's entry point.
**
** `.load ./build/cfregions` registers, on that connection: the IP functions and the `ip` collation,
** the origin_cloud_regions module, the eponymous supported_regions and cfregions_unapplied tables,
** and the credential functions cfregions_set_token() / cfregions_set_credentials().
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "cfregions_int.h"
#include "conn.h"
#include "table.h"

int cfr_supported_regions_register(sqlite3 *db, cfr_conn *conn);

int sqlite3_cfregions_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  int rc = cfr_ip_sql_register(db);
  cfr_conn *conn = NULL;
  if (rc == SQLITE_OK) {
    conn = cfr_conn_new(db);
    if (!conn) rc = SQLITE_NOMEM;
  }
  /* The module takes ownership of conn and frees it when the connection closes. */
  if (rc == SQLITE_OK) rc = cfr_table_register(db, conn);
  if (rc == SQLITE_OK) rc = cfr_conn_register(db, conn);
  if (rc == SQLITE_OK) rc = cfr_supported_regions_register(db, conn);
  if (rc != SQLITE_OK && pzErrMsg) *pzErrMsg = sqlite3_mprintf("cfregions: %s", sqlite3_errmsg(db));
  return rc;
}
