/*
** conn.h — state kept per database connection, shared by every table on it: credentials set with
** cfregions_set_token() (memory only), the changes the last COMMIT of each table could not apply,
** and the supported-region lists fetched per zone.
*/
#ifndef CFREGIONS_CONN_H
#define CFREGIONS_CONN_H

#include "store.h"

typedef struct cfr_unapplied {
  char *schema_name;       /* the database holding the table: "main", or an attached one */
  char *table_name;
  cfr_change change;       /* kind, mapping, error */
} cfr_unapplied;

typedef struct cfr_zone_regions {
  char zone_id[33];
  char *base_url;
  int api_version;
  cfr_regions *regions;
} cfr_zone_regions;

typedef struct cfr_conn {
  sqlite3 *db;
  char *token;             /* set by cfregions_set_token(); wiped when replaced */
  char *email, *key;       /* set by cfregions_set_credentials() */
  cfr_unapplied *unapplied;
  int nunapplied;
  cfr_zone_regions *zones;
  int nzones;
} cfr_conn;

cfr_conn *cfr_conn_new(sqlite3 *db);
void cfr_conn_free(void *conn);

/* Replaces the table's unapplied list with the changes in `changes` whose applied flag is 0. */
int cfr_conn_set_unapplied(cfr_conn *conn, const char *schema_name, const char *table_name,
                           const cfr_change *changes, int n);
void cfr_conn_clear_unapplied(cfr_conn *conn, const char *schema_name, const char *table_name);

/* Region list cached for (zone, base_url, api_version); NULL when not fetched yet. */
const cfr_regions *cfr_conn_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version);
/* Takes ownership of regions. */
int cfr_conn_cache_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version, cfr_regions *regions);

/* Writes zeros over a secret before freeing it (sqlite3_free). */
void cfr_free_secret(char *secret);

/* cfregions_set_token(), cfregions_set_credentials(), cfregions_unapplied table. */
int cfr_conn_register(sqlite3 *db, cfr_conn *conn);

#endif
