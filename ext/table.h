/*
** table.h — the origin_cloud_regions virtual table object, shared by table.c (schema, planning,
** reading) and table_write.c (xUpdate, transactions, COMMIT).
*/
#ifndef CFREGIONS_TABLE_H
#define CFREGIONS_TABLE_H

#include "args.h"
#include "conn.h"
#include "view.h"

/* A view shared by the cursors of one statement and, while a transaction is open, the table. */
typedef struct cfr_shared_view {
  cfr_view *view;
  int refs;
} cfr_shared_view;

typedef struct cfr_table {
  sqlite3_vtab base;
  sqlite3 *db;
  cfr_conn *conn;
  char *schema;
  char *name;
  cfr_table_args args;
  cfr_store *store;
  cfr_shared_view *current;  /* the view new cursors and writes use; NULL when none is live */
  int in_transaction;        /* xBegin seen, no xCommit/xRollback yet: the table holds a ref */
  double estimated_rows;     /* size of the last listing, for xBestIndex */
} cfr_table;

enum { COL_ORIGIN_IP, COL_VENDOR, COL_REGION, COL_MODIFIED_ON };

/* The current view, created if needed; *out gets a new reference (release with cfr_table_release_view). */
int cfr_table_acquire_view(cfr_table *tab, cfr_shared_view **out);
void cfr_table_release_view(cfr_table *tab, cfr_shared_view *shared);
/* Makes the view hold every mapping of the store (one listing), keeping what it knows already. */
int cfr_table_complete_view(cfr_table *tab, cfr_view *view);

/* Gives the view the store's total number of mappings (and the start of a listing), or completes
** it when the store cannot say more cheaply. */
int cfr_table_count_view(cfr_table *tab, cfr_view *view);
/* Finds one IP in the view, asking the store when the view does not know it; *row = -1 when the
** view is complete and has no such row. */
int cfr_table_lookup_ip(cfr_table *tab, cfr_view *view, const char *ip, int *row);

/* table_write.c */
int cfr_table_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *rowid);
int cfr_table_begin(sqlite3_vtab *vtab);
int cfr_table_sync(sqlite3_vtab *vtab);
int cfr_table_commit(sqlite3_vtab *vtab);
int cfr_table_rollback(sqlite3_vtab *vtab);
int cfr_table_savepoint(sqlite3_vtab *vtab, int level);
int cfr_table_release(sqlite3_vtab *vtab, int level);
int cfr_table_rollback_to(sqlite3_vtab *vtab, int level);

/* Registers origin_cloud_regions on db; the module owns conn (freed when db closes). */
int cfr_table_register(sqlite3 *db, cfr_conn *conn);

#endif
