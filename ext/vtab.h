/*
** vtab.h — the origin_cloud_regions virtual table: its arguments, schema, planning and cursors, and
** the zones it spans. A table over one zone (zone_id= or zone=) or over the local store has one
** part (table.h); a multi-zone table (zones='*', zones='id,id', account_id=) has one per zone, its
** rows keyed by (zone_id, origin_ip). Zones named by a zone name or by a listing are found when the
** table is first used, never when it is merely connected (a view in an untrusted database file
** connects it before SQLite refuses to run the view).
*/
#ifndef CFREGIONS_VTAB_H
#define CFREGIONS_VTAB_H

#include "table.h"

typedef struct cfr_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  cfr_context *ctx;
  char *schema;
  char *name;
  char *journal;             /* the database's COMMIT journal; NULL for in-memory databases */
  cfr_table_args args;       /* kept: zones are found from them when the table is first used */
  int multi;                 /* a multi-zone table: rowid table, rows keyed by (zone_id, origin_ip) */
  int resolved;              /* parts are known */
  int joining;               /* a read is making the table join the transaction */
  sqlite3_stmt *prefetched;  /* the write statement (and its run) that fetched the zones' regions */
  int prefetched_run;
  cfr_table **parts;
  int nparts;
} cfr_vtab;

#endif
