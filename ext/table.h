/*
** table.h — one zone of an origin_cloud_regions table: its store, the views (snapshot + pending
** writes) that statements and the transaction share, and the transaction protocol. A single-zone
** or local table has one such part; a multi-zone table one per zone (vtab.h). table.c holds the
** views and the reading of a part, table_write.c its writes and transaction hooks.
*/
#ifndef CFREGIONS_TABLE_H
#define CFREGIONS_TABLE_H

#include "context.h"
#include "view.h"

/* A view shared by the cursors of one statement and, while a transaction is open, the table. */
typedef struct cfr_shared_view {
  cfr_view *view;
  int refs;
  /* The store's version when the view was made, before it read anything (stores that have one):
  ** everything the view holds is at least that recent, so while the store still shows this version
  ** the view may serve later statements. */
  int stamped;
  sqlite3_uint64 stamp[2];
} cfr_shared_view;

/* Where the part is in SQLite's transaction protocol (checked by asserts). FAILED: its xSync could
** not apply everything, and the transaction is being rolled back. */
typedef enum cfr_tx_state { CFR_TX_NONE, CFR_TX_OPEN, CFR_TX_SYNCED, CFR_TX_FAILED } cfr_tx_state;

typedef struct cfr_table {
  /* The virtual table using the part now: its errors go there. SQLite connects a table anew inside
  ** a transaction after DDL, ROLLBACK TO or RENAME, while the instance it had still takes part in
  ** the transaction: both instances share the part (so the transaction's writes stay one), and each
  ** makes itself the owner when SQLite calls it. */
  sqlite3_vtab *owner;
  int refs;                  /* virtual-table instances sharing the part */
  int dropped;               /* DROP TABLE ran: no instance connected later shares it */
  sqlite3 *db;
  cfr_context *ctx;
  char *schema;
  char *name;                /* follows RENAME */
  char *journal;             /* the database's COMMIT journal when the store cannot roll back; or NULL */
  cfr_store *store;
  cfr_shared_view *current;  /* the view new cursors and writes use; NULL when none is live */
  cfr_shared_view *kept;     /* a complete snapshot no statement uses, kept while the store's
                             ** version stays its stamp */
  cfr_tx_state tx;           /* CFR_TX_NONE unless xBegin was seen: then the part holds a ref */
  /* xSync applied the view's changes to a store that nothing else had changed since the view was
  ** made: at xCommit the view becomes the store's snapshot instead of being read again. */
  int settle;
  /* Created inside the transaction still open: a ROLLBACK TO may undo its CREATE unseen (xSync
  ** checks that it is still in the schema). */
  int created_in_transaction;
  double estimated_rows;     /* size of the store as last seen, for xBestIndex */
  int registered;            /* listed in the context's tables */
  int savepoints;            /* savepoint levels open in the transaction, as xSavepoint told */
  struct cfr_rename *renames; /* RENAMEs in the transaction, undone by ROLLBACK (TO) */
  int nrenames, renames_capacity;
  sqlite3_stmt *statement;   /* the write statement last seen in xUpdate, and which run of it */
  sqlite3_int64 statement_run;
} cfr_table;

/* A RENAME inside a transaction: the name before it, and the savepoint levels open then. */
typedef struct cfr_rename {
  char *old_name;
  int savepoints;
} cfr_rename;

/* Column numbers (zone_id is hidden). */
enum { COL_ORIGIN_IP, COL_VENDOR, COL_REGION, COL_MODIFIED_ON, COL_ZONE_ID };

/* A part over store (taken over, closed with the part), registered on the connection, with one
** reference; schema, name and journal are copied. */
int cfr_table_open(sqlite3_vtab *owner, sqlite3 *db, cfr_context *ctx, const char *schema, const char *name,
                   const char *journal, cfr_store *store, cfr_table **out);
/* The connected part of table schema.name for zone_id ("" for a local table), with a new
** reference for owner; NULL when there is none. */
cfr_table *cfr_table_share(cfr_context *ctx, sqlite3_vtab *owner, const char *schema, const char *name,
                           const char *zone_id);
/* CREATE VIRTUAL TABLE schema.name: a part still connected under that name belongs to a table that
** is gone (its CREATE undone by a ROLLBACK TO, which SQLite does not tell a table created after the
** savepoint): its writes were undone with it; they are given up, and no table shares the part. */
void cfr_table_forsake(cfr_context *ctx, const char *schema, const char *name);
/* Drops one reference; the last one frees the part and closes its store. */
void cfr_table_unref(cfr_table *tab);
/* ALTER TABLE … RENAME: the part goes by new_name (its store was renamed by the caller). Inside
** a transaction the old name is kept: a ROLLBACK, or a ROLLBACK TO a savepoint opened before the
** rename, gives it back (table_write.c), as SQLite gives back the schema. */
int cfr_table_rename(cfr_table *tab, const char *new_name);
/* DROP TABLE: the store is destroyed; the transaction's writes go with it, unsent, and no table
** connected later shares the part. */
void cfr_table_drop(cfr_table *tab);
/* Lists on the connection what the journal holds for this part's zone. */
int cfr_table_read_journal(cfr_table *tab, char **err);

/* The current view, created if needed; *out gets a new reference. */
int cfr_table_acquire_view(cfr_table *tab, cfr_shared_view **out);
/* Drops one reference; the last one frees the view (and makes it no longer current). */
void cfr_table_release_view(cfr_table *tab, cfr_shared_view *shared);
/* Drops the kept snapshot: the store changed in a way its version does not show (a rollback). */
void cfr_table_forget_kept(cfr_table *tab);
/* Sets the owner's error to "<name>: <err>" (err consumed; NULL means out of memory), returns rc. */
int cfr_table_error(cfr_table *tab, int rc, char *err);
/* Remembers the store's size as the view now knows it, for xBestIndex. */
void cfr_table_note_size(cfr_table *tab, const cfr_view *view);

/* The present rows of canonical IPs (looked up or listed as snapshot.c decides), in address
** order; *rows is sqlite3 memory. */
int cfr_table_rows_of(cfr_table *tab, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n, int **rows,
                      int *nrows);

/* table_write.c: a row written through the owner, by its canonical or given IP. */
int cfr_table_insert(cfr_table *tab, sqlite3_value **cols);
int cfr_table_update(cfr_table *tab, const char *old_ip, sqlite3_value **cols);
int cfr_table_delete(cfr_table *tab, const char *old_ip);
int cfr_table_refuse_readonly(cfr_table *tab);

/* table_write.c: the transaction hooks of the part. */
int cfr_table_begin(cfr_table *tab);
int cfr_table_sync(cfr_table *tab);
/* xSync of n parts (the zones of one table): their COMMITs go out together (commit.h). */
int cfr_table_sync_parts(cfr_table **parts, int n);
void cfr_table_commit(cfr_table *tab);
int cfr_table_rollback(cfr_table *tab);
void cfr_table_savepoint(cfr_table *tab, int level);
void cfr_table_release(cfr_table *tab, int level);
void cfr_table_rollback_to(cfr_table *tab, int level);

#endif
