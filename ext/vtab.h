/*
** vtab.h — the origin_cloud_regions virtual table: its arguments, schema, planning and cursors, and
** the zones it spans. A table over one zone (zone_id= or zone=) or over the local store has one
** part (table.h); a multi-zone table (zones='*', zones='id,id', account_id=) has one per zone, its
** rows keyed by (zone_id, origin_ip). Zones named by a zone name or by a listing are found when the
** table is first used, never when it is merely connected (a view in an untrusted database file
** connects it before SQLite refuses to run the view).
**
** The table is three files, and this header is what they share; nothing else includes it (the
** connection registers the table through cfr_table_register, cfregions_int.h):
**   vtab.c         arguments, schema and parts; create, connect, destroy, rename; writes; the
**                  transaction hooks; the module itself;
**   vtab_plan.c    planning (xBestIndex): the PLAN_* bits below;
**   vtab_cursor.c  cursors (xOpen … xRowid): the rows a plan selects. Their type stays there.
*/
#ifndef CFREGIONS_VTAB_H
#define CFREGIONS_VTAB_H

#include "table.h"

/* Requests of several zones go out together, this many at a time (the API client's limit). */
#define CFR_ZONES_IN_FLIGHT 8

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
  int created_in_transaction; /* CREATE VIRTUAL TABLE ran inside BEGIN … COMMIT (see table.h) */
  sqlite3_stmt *prefetched;  /* the write statement (and its run) that fetched the zones' regions */
  sqlite3_int64 prefetched_run;
  cfr_table **parts;
  int nparts;
} cfr_vtab;

/* idxNum bits: the plan vtab_plan.c chooses and vtab_cursor.c carries out. */
#define PLAN_IP_EQ   1   /* argv: one origin_ip value */
#define PLAN_IP_IN   2   /* argv: the IN list, read with sqlite3_vtab_in_first/next */
#define PLAN_LIMIT   4
#define PLAN_OFFSET  8
#define PLAN_DESC    16  /* ORDER BY origin_ip DESC, consumed */
#define PLAN_LO      32  /* argv: a lower bound on origin_ip (>=, or > with PLAN_LO_OPEN) */
#define PLAN_LO_OPEN 64
#define PLAN_HI      128 /* argv: an upper bound (<=, or < with PLAN_HI_OPEN) */
#define PLAN_HI_OPEN 256
#define PLAN_ZONE_EQ 512  /* argv (first): one zone_id value */
#define PLAN_ZONE_IN 1024 /* argv (first): the zone_id IN list */

/* ---- vtab.c: the parts, for the cursors ---- */

/* Every method that reads, writes or takes part in the transaction starts here: the parts of zones
** found on first use are opened, and this instance becomes their owner. */
int cfr_vtab_use_parts(cfr_vtab *vt);
/* Makes this instance the one the parts report errors to (they may be shared: see table.h). */
void cfr_vtab_own_parts(cfr_vtab *vt);
/* The part holding zone_id, or -1. */
int cfr_vtab_part_of_zone(const cfr_vtab *vt, const char *zone_id);
/* Sets the table's error to "<name>: <err>" ("out of memory" when err is NULL), frees err and
** returns rc. */
int cfr_vtab_fail(cfr_vtab *vt, int rc, char *err);

/* ---- vtab_plan.c: xBestIndex ---- */

int cfr_vtab_best_index(sqlite3_vtab *base, sqlite3_index_info *info);

/* ---- vtab_cursor.c: the cursor methods of the module ---- */

int cfr_vtab_cursor_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out);
int cfr_vtab_cursor_close(sqlite3_vtab_cursor *base);
int cfr_vtab_cursor_filter(sqlite3_vtab_cursor *base, int plan, const char *idxStr, int argc,
                           sqlite3_value **argv);
int cfr_vtab_cursor_next(sqlite3_vtab_cursor *base);
int cfr_vtab_cursor_eof(sqlite3_vtab_cursor *base);
int cfr_vtab_cursor_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col);
int cfr_vtab_cursor_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid);

#endif
