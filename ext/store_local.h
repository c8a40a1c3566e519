/*
** store_local.h — the local store: mappings kept in a shadow table of the database that holds
** the virtual table ("<table>_mappings"), written inside the database's own transaction.
*/
#ifndef CFREGIONS_STORE_LOCAL_H
#define CFREGIONS_STORE_LOCAL_H

#include "store.h"

/* Opens the store of table `name` in database `schema`; `create` makes the shadow table first.
** regions_zone: validate regions against that zone's list (read through the API with the
** connection's credentials), or "" for the built-in list. */
int cfr_store_local_open(sqlite3 *db, cfr_context *ctx, const char *schema, const char *name,
                         const char *regions_zone, int create, cfr_store **out, char **err);

/* The shadow-table suffixes, for xShadowName. */
int cfr_store_local_is_shadow(const char *suffix);

#endif
