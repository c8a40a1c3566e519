/*
** table.c — one zone of an origin_cloud_regions table: its views and its reads. See table.h.
**
** Rows come from a view (view.h): the store's snapshot for this statement or transaction, with the
** transaction's own pending writes over it, filled by snapshot.c. A complete snapshot of a store
** that can tell when it changes (the local store) is kept between statements while it is unchanged.
*/
#include "table.h"
#include "journal.h"
#include "snapshot.h"

#include <string.h>

/* ---- opening ---- */

static int list_journaled(void *arg, const char *table, const char *zone_id, const cfr_change *change) {
  cfr_table *tab = arg;
  if (strcmp(zone_id, tab->store->zone_id) != 0) return SQLITE_OK; /* another part's */
  return cfr_context_list_unapplied(tab->ctx, tab->schema, table, zone_id, change);
}

int cfr_table_read_journal(cfr_table *tab, char **err) {
  return cfr_journal_read(tab->journal, tab->name, list_journaled, tab, err);
}

int cfr_table_open(sqlite3_vtab *owner, sqlite3 *db, cfr_context *ctx, const char *schema, const char *name,
                   const char *journal, cfr_store *store, cfr_table **out) {
  *out = NULL;
  cfr_table *tab = sqlite3_malloc(sizeof(*tab));
  if (!tab) {
    store->methods->close(store);
    return SQLITE_NOMEM;
  }
  memset(tab, 0, sizeof(*tab));
  tab->owner = owner;
  tab->refs = 1;
  tab->db = db;
  tab->ctx = ctx;
  tab->store = store;
  tab->estimated_rows = 1000;
  tab->schema = sqlite3_mprintf("%s", schema);
  tab->name = sqlite3_mprintf("%s", name);
  int rc = tab->schema && tab->name ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && journal && !store->methods->transactional &&
      !(tab->journal = sqlite3_mprintf("%s", journal)))
    rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = cfr_context_add_table(ctx, tab);
  tab->registered = rc == SQLITE_OK;
  if (rc != SQLITE_OK) {
    cfr_table_unref(tab);
    return rc;
  }
  *out = tab;
  return SQLITE_OK;
}

cfr_table *cfr_table_share(cfr_context *ctx, sqlite3_vtab *owner, const char *schema, const char *name,
                           const char *zone_id) {
  for (int i = 0; i < cfr_context_table_count(ctx); i++) {
    cfr_table *tab = cfr_context_table(ctx, i);
    if (tab->dropped || sqlite3_stricmp(tab->schema, schema) != 0 || sqlite3_stricmp(tab->name, name) != 0 ||
        sqlite3_stricmp(tab->store->zone_id, zone_id) != 0)
      continue;
    tab->refs++;
    tab->owner = owner;
    cfr_table_forget_kept(tab); /* the schema changed: the store may hold another table's rows */
    return tab;
  }
  return NULL;
}

void cfr_table_forsake(cfr_context *ctx, const char *schema, const char *name) {
  for (int i = 0; i < cfr_context_table_count(ctx); i++) {
    cfr_table *tab = cfr_context_table(ctx, i);
    if (tab->dropped || sqlite3_stricmp(tab->schema, schema) != 0 || sqlite3_stricmp(tab->name, name) != 0) continue;
    cfr_table_drop(tab);
    cfr_table_forget_kept(tab);
  }
}

static void free_shared(cfr_shared_view *shared) {
  if (!shared) return;
  cfr_view_free(shared->view);
  sqlite3_free(shared);
}

/* The transaction's reference to its view, given up without sending anything. */
static void forget_transaction(cfr_table *tab) {
  if (tab->tx != CFR_TX_NONE && tab->current) cfr_table_release_view(tab, tab->current);
  tab->tx = CFR_TX_NONE;
}

void cfr_table_unref(cfr_table *tab) {
  if (!tab) return;
  assert(tab->refs > 0);
  if (--tab->refs > 0) return;
  if (tab->registered) cfr_context_remove_table(tab->ctx, tab);
  forget_transaction(tab);
  cfr_table_forget_kept(tab);
  if (tab->store) tab->store->methods->close(tab->store);
  for (int i = 0; i < tab->nrenames; i++) sqlite3_free(tab->renames[i].old_name);
  sqlite3_free(tab->renames);
  sqlite3_free(tab->schema);
  sqlite3_free(tab->name);
  sqlite3_free(tab->journal);
  sqlite3_free(tab);
}

int cfr_table_rename(cfr_table *tab, const char *new_name) {
  char *name = sqlite3_mprintf("%s", new_name);
  if (!name) return SQLITE_NOMEM;
  /* Kept only for a part in the transaction: only it hears of the COMMIT or ROLLBACK that settles
  ** the rename. A part outside has nothing pending that a rolled-back rename could hide. */
  if (tab->tx != CFR_TX_NONE && !sqlite3_get_autocommit(tab->db)) {
    cfr_rename *grown = cfr_grow(tab->renames, &tab->renames_capacity, tab->nrenames + 1, sizeof(*grown));
    if (!grown) { sqlite3_free(name); return SQLITE_NOMEM; }
    tab->renames = grown;
    tab->renames[tab->nrenames++] = (cfr_rename){tab->name, tab->savepoints};
  } else {
    sqlite3_free(tab->name);
  }
  tab->name = name;
  return SQLITE_OK;
}

/* DROP TABLE inside a transaction that wrote to the table: SQLite destroys it without calling
** xCommit or xRollback, so the transaction's reference to its view is still held here. */
void cfr_table_drop(cfr_table *tab) {
  tab->dropped = 1;
  forget_transaction(tab);
}

/* ---- views ---- */

void cfr_table_forget_kept(cfr_table *tab) {
  free_shared(tab->kept);
  tab->kept = NULL;
}

/* The kept snapshot, if the store is unchanged since it was made: it becomes the current view. */
static void reuse_kept(cfr_table *tab) {
  cfr_shared_view *kept = tab->kept;
  tab->kept = NULL;
  sqlite3_uint64 now[2];
  if (kept && tab->store->methods->version(tab->store, now) == SQLITE_OK && now[0] == kept->stamp[0] &&
      now[1] == kept->stamp[1])
    tab->current = kept;
  else
    free_shared(kept);
}

/* A complete snapshot without pending writes, of a store that can tell when it changes, is kept
** for the next statement instead of being read again. Its stamp is from before it read anything, not
** from now: a statement that outlived a write (an unfinished SELECT) holds a view older than the
** store, which must not pass for current. */
static int keep(cfr_table *tab, cfr_shared_view *shared) {
  if (!shared->stamped || !cfr_view_is_complete(shared->view) || cfr_view_has_changes(shared->view)) return 0;
  /* Writes undone within the transaction left values equal to the store's but not identical (a
  ** pending row has no modified_on): the kept snapshot is exactly the store's. */
  cfr_view_discard_changes(shared->view);
  free_shared(tab->kept);
  tab->kept = shared;
  return 1;
}

int cfr_table_acquire_view(cfr_table *tab, cfr_shared_view **out) {
  if (!tab->current && tab->kept) reuse_kept(tab);
  if (!tab->current) {
    cfr_shared_view *shared = sqlite3_malloc(sizeof(*shared));
    if (!shared) return SQLITE_NOMEM;
    memset(shared, 0, sizeof(*shared));
    shared->view = cfr_view_new();
    if (!shared->view) { sqlite3_free(shared); return SQLITE_NOMEM; }
    shared->stamped = tab->store->methods->version && tab->store->methods->version(tab->store, shared->stamp) == SQLITE_OK;
    tab->current = shared;
  }
  tab->current->refs++;
  *out = tab->current;
  return SQLITE_OK;
}

void cfr_table_release_view(cfr_table *tab, cfr_shared_view *shared) {
  if (!shared) return;
  assert(shared->refs > 0);
  if (--shared->refs > 0) return;
  if (tab->current == shared) tab->current = NULL;
  if (!keep(tab, shared)) free_shared(shared);
}

int cfr_table_error(cfr_table *tab, int rc, char *err) {
  cfr_vtab_error(tab->owner, rc, "%s: %s", tab->name, err ? err : "out of memory");
  sqlite3_free(err);
  return rc;
}

void cfr_table_note_size(cfr_table *tab, const cfr_view *view) {
  int n = cfr_view_present_count(view);
  if (n >= 0) tab->estimated_rows = n;
}

/* ---- reading ---- */

int cfr_table_rows_of(cfr_table *tab, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n, int **rows,
                      int *nrows) {
  *rows = NULL;
  *nrows = 0;
  if (n == 0) return SQLITE_OK;
  if (!(*rows = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int)))) return SQLITE_NOMEM;
  char *err = NULL;
  int rc = cfr_snapshot_rows_of(tab->store, view, ips, n, tab->estimated_rows, *rows, nrows, &err);
  /* Every plan yields rows in address order: ORDER BY origin_ip relies on it. */
  if (rc == SQLITE_OK) rc = cfr_view_sort_rows(view, *rows, *nrows);
  else rc = cfr_table_error(tab, rc, err);
  cfr_table_note_size(tab, view);
  return rc;
}
