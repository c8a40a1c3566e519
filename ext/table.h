/*
** table.h — the origin_cloud_regions virtual table object, shared by table.c (schema, planning,
** reading) and table_write.c (xUpdate and the transaction hooks).
*/
#ifndef CFREGIONS_TABLE_H
#define CFREGIONS_TABLE_H

#include "context.h"
#include "view.h"

/* A view shared by the cursors of one statement and, while a transaction is open, the table. */
typedef struct cfr_shared_view {
  cfr_view *view;
  int refs;
} cfr_shared_view;

/* Where the table is in SQLite's transaction protocol (checked by asserts). FAILED: its xSync
** could not apply everything, and the transaction is being rolled back. */
typedef enum cfr_tx_state { CFR_TX_NONE, CFR_TX_OPEN, CFR_TX_SYNCED, CFR_TX_FAILED } cfr_tx_state;

typedef struct cfr_table {
  sqlite3_vtab base;
  sqlite3 *db;
  cfr_context *ctx;
  char *schema;
  char *name;
  int readonly;
  cfr_store *store;
  cfr_shared_view *current;  /* the view new cursors and writes use; NULL when none is live */
  cfr_shared_view *kept;     /* a complete snapshot no statement uses, kept while the store's
                             ** version stays kept_version (stores that have one) */
  sqlite3_uint64 kept_version[2];
  cfr_tx_state tx;           /* CFR_TX_NONE unless xBegin was seen: then the table holds a ref */
  double estimated_rows;     /* size of the store as last seen, for xBestIndex */
  int registered;            /* listed in the context's tables */
  int joining;               /* a read is making the table join the transaction (table.c) */
  char *journal;             /* the COMMIT journal of a store that cannot roll back; NULL: none */
} cfr_table;

enum { COL_ORIGIN_IP, COL_VENDOR, COL_REGION, COL_MODIFIED_ON };

/* The current view, created if needed; *out gets a new reference. */
int cfr_table_acquire_view(cfr_table *tab, cfr_shared_view **out);
/* Drops one reference; the last one frees the view (and makes it no longer current). */
void cfr_table_release_view(cfr_table *tab, cfr_shared_view *shared);
/* Sets the table's error to "<name>: <err>" (err consumed; NULL means out of memory) and returns rc. */
int cfr_table_error(cfr_table *tab, int rc, char *err);
/* Remembers the store's size as the view now knows it, for xBestIndex. */
void cfr_table_note_size(cfr_table *tab, const cfr_view *view);

/* table_write.c */
int cfr_table_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *rowid);
int cfr_table_begin(sqlite3_vtab *vtab);
int cfr_table_sync(sqlite3_vtab *vtab);
int cfr_table_commit(sqlite3_vtab *vtab);
int cfr_table_rollback(sqlite3_vtab *vtab);
int cfr_table_savepoint(sqlite3_vtab *vtab, int level);
int cfr_table_release(sqlite3_vtab *vtab, int level);
int cfr_table_rollback_to(sqlite3_vtab *vtab, int level);

#endif
