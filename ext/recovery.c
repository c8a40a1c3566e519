/*
** recovery.c — the SQL faces of the COMMIT engine's safety features.
**
**   BEGIN; …; SELECT * FROM cfregions_pending; ROLLBACK;  -- what COMMIT would send (a dry run)
**   SELECT cfregions_retry('live');                       -- send live's unapplied changes again
**
** cfregions_pending lists, for every origin_cloud_regions table of this connection with writes
** pending in the current transaction, one row per change COMMIT would send, with the number of the
** request of that table's COMMIT that would carry it. cfregions_retry sends what cfregions_unapplied
** lists for a table, without re-running the user's statements (which would be wrong for relative
** updates such as swaps), and returns how many changes it applied; it is SQLITE_DIRECTONLY, like
** every function that uses credentials.
*/
#include "commit.h"
#include "table.h"

#include <string.h>

/* ---- cfregions_pending ---- */

enum { PD_SCHEMA, PD_TABLE, PD_ZONE, PD_OPERATION, PD_IP, PD_OLD_VENDOR, PD_OLD_REGION,
       PD_NEW_VENDOR, PD_NEW_REGION, PD_REQUEST };

typedef struct pending_row {
  const cfr_table *tab;
  cfr_change change;
  int request;             /* 1-based, within the table's COMMIT */
} pending_row;

typedef struct pending_cursor {
  sqlite3_vtab_cursor base;
  pending_row *rows;
  int nrows, capacity;
  int index;
} pending_cursor;

typedef struct pending_table {
  sqlite3_vtab base;
  cfr_context *ctx;
} pending_table;

static int pending_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                           sqlite3_vtab **out, char **err) {
  (void)argc; (void)argv; (void)err;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(schema_name TEXT, table_name TEXT, zone_id TEXT, "
                                    "operation TEXT, origin_ip TEXT, old_vendor TEXT, old_region TEXT, "
                                    "new_vendor TEXT, new_region TEXT, request INTEGER)");
  if (rc != SQLITE_OK) return rc;
  pending_table *t = sqlite3_malloc(sizeof(*t));
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof(*t));
  t->ctx = aux;
  *out = &t->base;
  return SQLITE_OK;
}

static int pending_disconnect(sqlite3_vtab *vtab) { sqlite3_free(vtab); return SQLITE_OK; }

static int pending_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  info->estimatedCost = 100;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int pending_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  (void)vtab;
  pending_cursor *c = sqlite3_malloc(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *out = &c->base;
  return SQLITE_OK;
}

static int pending_close(sqlite3_vtab_cursor *cur) {
  sqlite3_free(((pending_cursor *)cur)->rows);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Adds the rows of one table's COMMIT plan. */
static int add_table_rows(pending_cursor *c, const cfr_table *tab) {
  if (tab->tx != CFR_TX_OPEN || !tab->current) return SQLITE_OK;
  cfr_commit_plan plan;
  int rc = cfr_commit_plan_make(tab->current->view, &plan);
  for (int b = 0; rc == SQLITE_OK && b < plan.nbatches; b++) {
    for (int i = 0; rc == SQLITE_OK && i < plan.batches[b].n; i++) {
      pending_row *grown = cfr_grow(c->rows, &c->capacity, c->nrows + 1, sizeof(pending_row));
      if (!grown) { rc = SQLITE_NOMEM; break; }
      c->rows = grown;
      grown[c->nrows].tab = tab;
      grown[c->nrows].change = plan.batches[b].changes[i];
      grown[c->nrows].request = b + 1;
      c->nrows++;
    }
  }
  cfr_commit_plan_clear(&plan);
  return rc;
}

static int pending_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idx; (void)idxStr; (void)argc; (void)argv;
  pending_cursor *c = (pending_cursor *)cur;
  pending_table *t = (pending_table *)cur->pVtab;
  c->nrows = c->index = 0;
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < cfr_context_table_count(t->ctx); i++)
    rc = add_table_rows(c, cfr_context_table(t->ctx, i));
  return rc;
}

static int pending_next(sqlite3_vtab_cursor *cur) { ((pending_cursor *)cur)->index++; return SQLITE_OK; }

static int pending_eof(sqlite3_vtab_cursor *cur) {
  pending_cursor *c = (pending_cursor *)cur;
  return c->index >= c->nrows;
}

static const char *operation(const cfr_change *c) {
  return c->kind == CFR_DELETE ? "delete" : c->existed ? "update" : "create";
}

static int pending_column(sqlite3_vtab_cursor *cur, sqlite3_context *fctx, int col) {
  pending_cursor *c = (pending_cursor *)cur;
  const pending_row *r = &c->rows[c->index];
  const cfr_change *ch = &r->change;
  const char *text = NULL;
  switch (col) {
    case PD_SCHEMA: text = r->tab->schema; break;
    case PD_TABLE: text = r->tab->name; break;
    case PD_ZONE: text = r->tab->store->zone_id[0] ? r->tab->store->zone_id : NULL; break;
    case PD_OPERATION: text = operation(ch); break;
    case PD_IP: text = ch->mapping.origin_ip; break;
    case PD_OLD_VENDOR: text = ch->existed ? ch->old_vendor : NULL; break;
    case PD_OLD_REGION: text = ch->existed ? ch->old_region : NULL; break;
    case PD_NEW_VENDOR: text = ch->kind == CFR_DELETE ? NULL : ch->mapping.vendor; break;
    case PD_NEW_REGION: text = ch->kind == CFR_DELETE ? NULL : ch->mapping.region; break;
    case PD_REQUEST: sqlite3_result_int(fctx, r->request); return SQLITE_OK;
  }
  if (text) sqlite3_result_text(fctx, text, -1, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

static int pending_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = ((pending_cursor *)cur)->index + 1;
  return SQLITE_OK;
}

static sqlite3_module pending_module = {
  .xConnect = pending_connect,
  .xBestIndex = pending_best_index,
  .xDisconnect = pending_disconnect,
  .xOpen = pending_open,
  .xClose = pending_close,
  .xFilter = pending_filter,
  .xNext = pending_next,
  .xEof = pending_eof,
  .xColumn = pending_column,
  .xRowid = pending_rowid,
};

/* ---- cfregions_retry(table_name) ---- */

/* The connected table called name ("table" or "schema.table"); NULL when none is. Without a
** schema, "main" is preferred, then any other. */
static cfr_table *find_table(cfr_context *ctx, const char *name) {
  const char *dot = strchr(name, '.');
  cfr_table *found = NULL;
  for (int i = 0; i < cfr_context_table_count(ctx); i++) {
    cfr_table *tab = cfr_context_table(ctx, i);
    if (tab->dropped) continue;
    if (dot) {
      size_t n = (size_t)(dot - name);
      if (strlen(tab->schema) == n && sqlite3_strnicmp(tab->schema, name, (int)n) == 0 &&
          sqlite3_stricmp(tab->name, dot + 1) == 0)
        return tab;
    } else if (sqlite3_stricmp(tab->name, name) == 0) {
      if (sqlite3_stricmp(tab->schema, "main") == 0) return tab;
      if (!found) found = tab;
    }
  }
  return found;
}

/* A table nothing has used yet on this connection is not connected, and a table that finds its
** zones on first use has none yet: a write that changes nothing (DELETE … WHERE 0) does both. */
static void connect_named(sqlite3 *db, const char *name) {
  const char *dot = strchr(name, '.');
  char *sql = dot ? sqlite3_mprintf("DELETE FROM \"%.*w\".\"%w\" WHERE 0", (int)(dot - name), name, dot + 1)
                  : sqlite3_mprintf("DELETE FROM \"%w\" WHERE 0", name);
  if (sql) sqlite3_exec(db, sql, 0, 0, NULL);
  sqlite3_free(sql);
}

static int same_table(const cfr_table *a, const cfr_table *b) {
  return !a->dropped && sqlite3_stricmp(a->schema, b->schema) == 0 && sqlite3_stricmp(a->name, b->name) == 0;
}

/* Retries every zone (part) of the table that first belongs to; *applied adds up. */
static int retry_parts(cfr_context *ctx, const cfr_table *first, int *applied, char **msg) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < cfr_context_table_count(ctx); i++) {
    cfr_table *tab = cfr_context_table(ctx, i);
    if (!same_table(tab, first)) continue;
    if (tab->tx == CFR_TX_OPEN && tab->current && cfr_view_has_changes(tab->current->view)) {
      *msg = sqlite3_mprintf("cfregions_retry: %s has writes pending in this transaction; COMMIT or "
                             "ROLLBACK them first", tab->name);
      return SQLITE_ERROR;
    }
    cfr_commit_target target = {tab->store, ctx, tab->schema, tab->name, tab->journal};
    char *err = NULL;
    int done = 0;
    rc = cfr_commit_retry(&target, tab->estimated_rows, &done, &err);
    *applied += done;
    if (rc != SQLITE_OK) *msg = sqlite3_mprintf("%s: %s", tab->name, err ? err : "out of memory");
    sqlite3_free(err);
  }
  return rc;
}

static void retry_func(sqlite3_context *fctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_context *ctx = sqlite3_user_data(fctx);
  const char *name = (const char *)sqlite3_value_text(argv[0]);
  if (!name) { sqlite3_result_error(fctx, "cfregions_retry: expected a table name", -1); return; }
  cfr_table *tab = find_table(ctx, name);
  if (!tab) {
    connect_named(sqlite3_context_db_handle(fctx), name);
    tab = find_table(ctx, name);
  }
  char *msg = NULL;
  int applied = 0, rc = SQLITE_ERROR;
  if (!tab) msg = sqlite3_mprintf("cfregions_retry: no origin_cloud_regions table named %s", name);
  else rc = retry_parts(ctx, tab, &applied, &msg);
  if (msg || rc != SQLITE_OK) {
    sqlite3_result_error(fctx, msg ? msg : "cfregions_retry: out of memory", -1);
    sqlite3_result_error_code(fctx, rc == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR);
    sqlite3_free(msg);
    return;
  }
  sqlite3_result_int(fctx, applied);
}

int cfr_recovery_register(sqlite3 *db, cfr_context *ctx) {
  /* DETERMINISTIC only so that SQLite checks DIRECTONLY in CHECK constraints too (see
  ** context_sql.c). */
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY | SQLITE_DETERMINISTIC;
  int rc = sqlite3_create_function(db, "cfregions_retry", 1, flags, ctx, retry_func, 0, 0);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "cfregions_pending", &pending_module, ctx);
  return rc;
}
