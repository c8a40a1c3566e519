/*
** table.c — the origin_cloud_regions virtual table: schema, arguments, planning and reading.
**
**   CREATE VIRTUAL TABLE live USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353');
**   CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
**   SELECT vendor, count(*) FROM live GROUP BY vendor;       -- one listing
**   SELECT * FROM live WHERE origin_ip = '2001:DB8::1';      -- one GET, IP canonicalized first
**
** Columns: origin_ip TEXT PRIMARY KEY (canonical), vendor, region, modified_on (read-only).
** Rows come from a view (view.h): the store's snapshot for this statement or transaction, with the
** transaction's own pending writes over it. Writes are in table_write.c.
*/
#include "table.h"
#include "store_api.h"
#include "store_local.h"

#include <math.h>
#include <string.h>

/* idxNum bits */
#define PLAN_IP_EQ  1   /* argv: one origin_ip value */
#define PLAN_IP_IN  2   /* argv: the IN list, read with sqlite3_vtab_in_first/next */
#define PLAN_LIMIT  4
#define PLAN_OFFSET 8
#define PLAN_DESC   16  /* ORDER BY origin_ip DESC, consumed */

typedef struct cfr_cursor {
  sqlite3_vtab_cursor base;
  cfr_shared_view *shared;
  int *rows;                 /* row indices into the view, in output order */
  int nrows;
  int pos;
} cfr_cursor;

static void set_error(cfr_table *tab, char *err);

/* ---- views ---- */

int cfr_table_acquire_view(cfr_table *tab, cfr_shared_view **out) {
  if (!tab->current) {
    cfr_shared_view *shared = sqlite3_malloc(sizeof(*shared));
    if (!shared) return SQLITE_NOMEM;
    shared->view = cfr_view_new();
    shared->refs = 0;
    if (!shared->view) { sqlite3_free(shared); return SQLITE_NOMEM; }
    tab->current = shared;
  }
  tab->current->refs++;
  *out = tab->current;
  return SQLITE_OK;
}

void cfr_table_release_view(cfr_table *tab, cfr_shared_view *shared) {
  if (!shared || --shared->refs > 0) return;
  if (tab->current == shared) tab->current = NULL;
  cfr_view_free(shared->view);
  sqlite3_free(shared);
}

int cfr_table_complete_view(cfr_table *tab, cfr_view *view) {
  if (cfr_view_is_complete(view)) return SQLITE_OK;
  cfr_mapping_list list = {0};
  char *err = NULL;
  int rc = tab->store->methods->list(tab->store, &list, &err);
  if (rc == SQLITE_OK) rc = cfr_view_load(view, &list, 1);
  if (rc == SQLITE_OK) tab->estimated_rows = list.count;
  cfr_mapping_list_clear(&list);
  if (err) {
    sqlite3_free(tab->base.zErrMsg);
    tab->base.zErrMsg = sqlite3_mprintf("%s: %s", tab->name, err);
    sqlite3_free(err);
  }
  return rc;
}

int cfr_table_count_view(cfr_table *tab, cfr_view *view) {
  if (cfr_view_has_store_total(view)) return SQLITE_OK;
  if (!tab->store->methods->list_head) return cfr_table_complete_view(tab, view);
  cfr_mapping_list list = {0};
  char *err = NULL;
  int total = 0, complete = 0;
  int rc = tab->store->methods->list_head(tab->store, &list, &total, &complete, &err);
  if (rc == SQLITE_OK) rc = cfr_view_load(view, &list, complete);
  if (rc == SQLITE_OK) {
    cfr_view_set_store_total(view, total);
    tab->estimated_rows = total;
  }
  cfr_mapping_list_clear(&list);
  if (err) set_error(tab, err);
  return rc;
}

/* ---- create, connect, destroy ---- */

static const char table_schema[] =
    "CREATE TABLE x(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL, vendor TEXT NOT NULL, region TEXT NOT NULL, "
    "modified_on TEXT) WITHOUT ROWID";

static int open_store(cfr_table *tab, int create, char **err) {
  if (tab->args.store == CFR_STORE_LOCAL)
    return cfr_store_local_open(tab->db, tab->schema, tab->name, create, &tab->store, err);
  return cfr_store_api_open(tab->conn, &tab->args, &tab->store, err);
}

static void free_table(cfr_table *tab) {
  if (!tab) return;
  /* DROP TABLE inside a transaction that wrote to the table: SQLite destroys it without calling
  ** xCommit or xRollback, so the transaction's reference to its view is still held here. */
  if (tab->in_transaction && tab->current) cfr_table_release_view(tab, tab->current);
  if (tab->store) tab->store->methods->close(tab->store);
  cfr_args_clear(&tab->args);
  sqlite3_free(tab->schema);
  sqlite3_free(tab->name);
  sqlite3_free(tab);
}

static int connect_table(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err, int create) {
  cfr_table *tab = sqlite3_malloc(sizeof(*tab));
  if (!tab) return SQLITE_NOMEM;
  memset(tab, 0, sizeof(*tab));
  tab->db = db;
  tab->conn = aux;
  tab->schema = sqlite3_mprintf("%s", argv[1]);
  tab->name = sqlite3_mprintf("%s", argv[2]);
  tab->estimated_rows = 1000;
  char *why = NULL;
  int rc = (!tab->schema || !tab->name) ? SQLITE_NOMEM : SQLITE_OK;
  if (rc == SQLITE_OK && cfr_args_parse(argc, argv, &tab->args, &why) != 0) rc = SQLITE_ERROR;
  if (rc == SQLITE_OK) rc = sqlite3_declare_vtab(db, table_schema);
  if (rc == SQLITE_OK) rc = open_store(tab, create, &why);
  if (rc != SQLITE_OK) {
    if (why) *err = sqlite3_mprintf("%s: %s", argv[2], why);
    sqlite3_free(why);
    free_table(tab);
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  /* A table that talks to the network is never driven from a trigger or view in a schema the
  ** user did not write themselves. */
  if (tab->args.store == CFR_STORE_API) sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &tab->base;
  return SQLITE_OK;
}

static int table_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err) {
  return connect_table(db, aux, argc, argv, out, err, 1);
}

static int table_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err) {
  return connect_table(db, aux, argc, argv, out, err, 0);
}

static int table_disconnect(sqlite3_vtab *vtab) {
  free_table((cfr_table *)vtab);
  return SQLITE_OK;
}

static int table_destroy(sqlite3_vtab *vtab) {
  cfr_table *tab = (cfr_table *)vtab;
  char *err = NULL;
  int rc = tab->store->methods->destroy ? tab->store->methods->destroy(tab->store, &err) : SQLITE_OK;
  if (rc != SQLITE_OK) {
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = err;
    return rc;
  }
  sqlite3_free(err);
  free_table(tab);
  return SQLITE_OK;
}

static int table_shadow_name(const char *suffix) { return cfr_store_local_is_shadow(suffix); }

/* ALTER TABLE … RENAME: a local table's rows live in "<name>_mappings", which follows the new
** name (as FTS5 renames its shadow tables); the store is reopened under it. */
static int table_rename(sqlite3_vtab *vtab, const char *new_name) {
  cfr_table *tab = (cfr_table *)vtab;
  char *name = sqlite3_mprintf("%s", new_name);
  if (!name) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  if (tab->args.store == CFR_STORE_LOCAL) {
    char *sql = sqlite3_mprintf("ALTER TABLE \"%w\".\"%w_mappings\" RENAME TO \"%w_mappings\"",
                                tab->schema, tab->name, new_name);
    rc = sql ? sqlite3_exec(tab->db, sql, 0, 0, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    cfr_store *store = NULL;
    char *err = NULL;
    if (rc == SQLITE_OK) rc = cfr_store_local_open(tab->db, tab->schema, new_name, 0, &store, &err);
    if (rc == SQLITE_OK) {
      tab->store->methods->close(tab->store);
      tab->store = store;
    } else {
      sqlite3_free(vtab->zErrMsg);
      vtab->zErrMsg = sqlite3_mprintf("%s: cannot rename: %s", tab->name, err ? err : sqlite3_errmsg(tab->db));
    }
    sqlite3_free(err);
  }
  if (rc != SQLITE_OK) { sqlite3_free(name); return rc; }
  sqlite3_free(tab->name);
  tab->name = name;
  return SQLITE_OK;
}

/* ---- planning ---- */

static int table_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  cfr_table *tab = (cfr_table *)vtab;
  int ip_constraint = -1, limit = -1, offset = -1, other = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) { if (c->usable) limit = i; continue; }
    if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) { if (c->usable) offset = i; continue; }
    if (c->usable && c->iColumn == COL_ORIGIN_IP && c->op == SQLITE_INDEX_CONSTRAINT_EQ && ip_constraint < 0) {
      ip_constraint = i;
      continue;
    }
    other++;
  }
  double list_cost, get_cost;
  tab->store->methods->costs(tab->store, tab->estimated_rows, &list_cost, &get_cost);
  int plan = 0, argv_next = 1;
  if (ip_constraint >= 0) {
    /* Lookups canonicalize the value first, so SQLite must not re-check it with a text compare. */
    info->aConstraintUsage[ip_constraint].argvIndex = argv_next++;
    info->aConstraintUsage[ip_constraint].omit = 1;
    if (sqlite3_vtab_in(info, ip_constraint, -1) && sqlite3_vtab_in(info, ip_constraint, 1)) {
      plan |= PLAN_IP_IN;
      double lookups = 10;  /* the list's length is unknown here */
      info->estimatedCost = fmin(lookups * get_cost, list_cost);
      info->estimatedRows = 10;
    } else {
      plan |= PLAN_IP_EQ;
      info->estimatedCost = get_cost;
      info->estimatedRows = 1;
      info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    }
  } else {
    info->estimatedCost = list_cost;
    info->estimatedRows = (sqlite3_int64)tab->estimated_rows;
  }
  /* Rows come out in the ip collation's order, which is origin_ip's: ORDER BY origin_ip [DESC]
  ** needs no sort. (SQLite passes ORDER BY origin_ip COLLATE other only as no ORDER BY at all.) */
  int order_consumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_ORIGIN_IP;
  if (order_consumed) {
    info->orderByConsumed = 1;
    if (info->aOrderBy[0].desc) plan |= PLAN_DESC;
  }
  /* LIMIT/OFFSET apply to our output only when no other constraint still filters it and SQLite
  ** does not sort it afterwards (cutting before that sort would return the wrong rows). */
  if (other == 0 && (info->nOrderBy == 0 || order_consumed)) {
    if (limit >= 0) {
      plan |= PLAN_LIMIT;
      info->aConstraintUsage[limit].argvIndex = argv_next++;
      info->aConstraintUsage[limit].omit = 1;
    }
    if (offset >= 0 && limit >= 0) {
      plan |= PLAN_OFFSET;
      info->aConstraintUsage[offset].argvIndex = argv_next++;
      info->aConstraintUsage[offset].omit = 1;
    }
  }
  info->idxNum = plan;
  /* Shown by EXPLAIN QUERY PLAN. */
  info->idxStr = sqlite3_mprintf("%s%s%s%s",
                                 (plan & PLAN_IP_IN) ? "lookup origin_ip IN (...)" : (plan & PLAN_IP_EQ) ? "lookup origin_ip = ?" : "full listing",
                                 order_consumed ? ((plan & PLAN_DESC) ? " ORDER BY origin_ip DESC" : " ORDER BY origin_ip") : "",
                                 (plan & PLAN_LIMIT) ? " LIMIT" : "", (plan & PLAN_OFFSET) ? " OFFSET" : "");
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

/* ---- cursors ---- */

static int cursor_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  cfr_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  int rc = cfr_table_acquire_view((cfr_table *)vtab, &cur->shared);
  if (rc != SQLITE_OK) { sqlite3_free(cur); return rc; }
  *out = &cur->base;
  return SQLITE_OK;
}

static int cursor_close(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_table_release_view((cfr_table *)base->pVtab, cur->shared);
  sqlite3_free(cur->rows);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static void set_error(cfr_table *tab, char *err) {
  sqlite3_free(tab->base.zErrMsg);
  tab->base.zErrMsg = sqlite3_mprintf("%s: %s", tab->name, err ? err : "out of memory");
  sqlite3_free(err);
}

/* The canonical IPs asked for, de-duplicated; text that is not an address matches nothing. */
static int collect_ips(int plan, sqlite3_value *arg, char (**ips)[CFR_IP_TEXT_MAX], int *n) {
  int cap = 0;
  *ips = NULL;
  *n = 0;
  sqlite3_value *v = NULL;
  int rc = (plan & PLAN_IP_IN) ? sqlite3_vtab_in_first(arg, &v) : (v = arg, SQLITE_OK);
  while (rc == SQLITE_OK && v) {
    const char *text = sqlite3_value_type(v) == SQLITE_TEXT ? (const char *)sqlite3_value_text(v) : NULL;
    char canonical[CFR_IP_TEXT_MAX];
    int len = text ? cfr_ip_canonicalize(text, (size_t)sqlite3_value_bytes(v), canonical) : -1;
    int dup = 0;
    for (int i = 0; len > 0 && i < *n; i++) dup |= strcmp((*ips)[i], canonical) == 0;
    if (len > 0 && !dup) {
      if (*n == cap) {
        cap = cap ? cap * 2 : 8;
        void *grown = sqlite3_realloc64(*ips, (sqlite3_uint64)cap * CFR_IP_TEXT_MAX);
        if (!grown) return SQLITE_NOMEM;
        *ips = grown;
      }
      memcpy((*ips)[(*n)++], canonical, CFR_IP_TEXT_MAX);
    }
    if (!(plan & PLAN_IP_IN)) break;
    rc = sqlite3_vtab_in_next(arg, &v);
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int cfr_table_lookup_ip(cfr_table *tab, cfr_view *view, const char *ip, int *row) {
  *row = cfr_view_find(view, ip);
  if (*row >= 0 || cfr_view_is_complete(view)) return SQLITE_OK;
  cfr_mapping m;
  int found = 0;
  char *err = NULL;
  int rc = tab->store->methods->get(tab->store, ip, &m, &found, &err);
  if (rc != SQLITE_OK) { set_error(tab, err); return rc; }
  *row = cfr_view_add_known(view, ip, found ? &m : NULL);
  return *row < 0 ? SQLITE_NOMEM : SQLITE_OK;
}

/* Looks up, all at once, the IPs of an IN list that the view does not know yet, when the store can
** overlap lookups (the API store sends them as concurrent GETs). */
static int prefetch_ips(cfr_table *tab, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n) {
  if (!tab->store->methods->get_many || cfr_view_is_complete(view)) return SQLITE_OK;
  char (*unknown)[CFR_IP_TEXT_MAX] = sqlite3_malloc64((sqlite3_uint64)n * CFR_IP_TEXT_MAX);
  cfr_mapping *found_maps = sqlite3_malloc64((sqlite3_uint64)n * sizeof(cfr_mapping));
  int *found = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int));
  int rc = (unknown && found_maps && found) ? SQLITE_OK : SQLITE_NOMEM;
  int k = 0;
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    if (cfr_view_find(view, ips[i]) < 0) memcpy(unknown[k++], ips[i], CFR_IP_TEXT_MAX);
  char *err = NULL;
  if (rc == SQLITE_OK && k > 1) {
    rc = tab->store->methods->get_many(tab->store, (const char (*)[CFR_IP_TEXT_MAX])unknown, k, found_maps, found, &err);
    if (rc != SQLITE_OK) set_error(tab, err);
    for (int i = 0; rc == SQLITE_OK && i < k; i++)
      if (cfr_view_add_known(view, unknown[i], found[i] ? &found_maps[i] : NULL) < 0) rc = SQLITE_NOMEM;
  }
  sqlite3_free(unknown);
  sqlite3_free(found_maps);
  sqlite3_free(found);
  return rc;
}

static int filter_by_ip(cfr_table *tab, cfr_cursor *cur, int plan, sqlite3_value *arg) {
  cfr_view *view = cur->shared->view;
  char (*ips)[CFR_IP_TEXT_MAX] = NULL;
  int n = 0;
  int rc = collect_ips(plan, arg, &ips, &n);
  double list_cost, get_cost;
  tab->store->methods->costs(tab->store, tab->estimated_rows, &list_cost, &get_cost);
  /* Many lookups cost more than one listing: then list once. */
  if (rc == SQLITE_OK && n > 1 && n * get_cost > list_cost) rc = cfr_table_complete_view(tab, view);
  if (rc == SQLITE_OK && n > 1) rc = prefetch_ips(tab, view, ips, n);
  if (rc == SQLITE_OK && n > 0) {
    cur->rows = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int));
    if (!cur->rows) rc = SQLITE_NOMEM;
  }
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    int row;
    rc = cfr_table_lookup_ip(tab, view, ips[i], &row);
    if (rc == SQLITE_OK && row >= 0 && cfr_view_row(view, row)->cur.present) cur->rows[cur->nrows++] = row;
  }
  sqlite3_free(ips);
  return rc;
}

static void reverse_rows(cfr_cursor *cur) {
  for (int i = 0, j = cur->nrows - 1; i < j; i++, j--) {
    int t = cur->rows[i];
    cur->rows[i] = cur->rows[j];
    cur->rows[j] = t;
  }
}

static void apply_limit(cfr_cursor *cur, int plan, sqlite3_value **argv, int next_arg) {
  sqlite3_int64 limit = -1, offset = 0;
  if (plan & PLAN_LIMIT) limit = sqlite3_value_int64(argv[next_arg++]);
  if (plan & PLAN_OFFSET) offset = sqlite3_value_int64(argv[next_arg]);
  if (offset < 0) offset = 0;
  if (offset > cur->nrows) offset = cur->nrows;
  if (offset > 0) {
    memmove(cur->rows, cur->rows + offset, (size_t)(cur->nrows - offset) * sizeof(int));
    cur->nrows -= (int)offset;
  }
  if (limit >= 0 && limit < cur->nrows) cur->nrows = (int)limit;
}

/* A cursor of a statement still open inside a transaction shares the transaction's view: a later
** statement may delete one of its rows, or a ROLLBACK take one back. Such rows no longer exist
** (their columns are empty) and are skipped. */
static void skip_absent(cfr_cursor *cur) {
  while (cur->pos < cur->nrows && !cfr_view_row(cur->shared->view, cur->rows[cur->pos])->cur.present) cur->pos++;
}

static int cursor_filter(sqlite3_vtab_cursor *base, int plan, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr; (void)argc;
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_table *tab = (cfr_table *)base->pVtab;
  sqlite3_free(cur->rows);
  cur->rows = NULL;
  cur->nrows = cur->pos = 0;
  int rc, next_arg = 0;
  if (plan & (PLAN_IP_EQ | PLAN_IP_IN)) {
    rc = filter_by_ip(tab, cur, plan, argv[next_arg++]);
    /* Every plan yields rows in address order: ORDER BY origin_ip relies on it. */
    if (rc == SQLITE_OK) rc = cfr_view_sort_rows(cur->shared->view, cur->rows, cur->nrows);
  } else {
    rc = cfr_table_complete_view(tab, cur->shared->view);
    if (rc == SQLITE_OK) rc = cfr_view_sorted(cur->shared->view, &cur->rows, &cur->nrows);
  }
  if (rc == SQLITE_OK && (plan & PLAN_DESC)) reverse_rows(cur);
  if (rc == SQLITE_OK && (plan & (PLAN_LIMIT | PLAN_OFFSET))) apply_limit(cur, plan, argv, next_arg);
  return rc;
}

static int cursor_next(sqlite3_vtab_cursor *base) {
  ((cfr_cursor *)base)->pos++;
  skip_absent((cfr_cursor *)base);
  return SQLITE_OK;
}

static int cursor_eof(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  return cur->pos >= cur->nrows;
}

static int cursor_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
  cfr_cursor *cur = (cfr_cursor *)base;
  const cfr_row *row = cfr_view_row(cur->shared->view, cur->rows[cur->pos]);
  switch (col) {
    case COL_ORIGIN_IP: sqlite3_result_text(ctx, row->origin_ip, -1, SQLITE_TRANSIENT); break;
    case COL_VENDOR: sqlite3_result_text(ctx, row->cur.vendor, -1, SQLITE_TRANSIENT); break;
    case COL_REGION: sqlite3_result_text(ctx, row->cur.region, -1, SQLITE_TRANSIENT); break;
    case COL_MODIFIED_ON:
      /* Left unset during an UPDATE that does not assign it, so xUpdate can tell it was not written. */
      if (sqlite3_vtab_nochange(ctx)) break;
      if (row->cur.modified_on[0]) sqlite3_result_text(ctx, row->cur.modified_on, -1, SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

static int cursor_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = ((cfr_cursor *)base)->pos;
  return SQLITE_OK;
}

static sqlite3_module table_module = {
  /* iVersion */ 3,
  table_create, table_connect, table_best_index, table_disconnect, table_destroy,
  cursor_open, cursor_close, cursor_filter, cursor_next, cursor_eof, cursor_column, cursor_rowid,
  cfr_table_update, cfr_table_begin, cfr_table_sync, cfr_table_commit, cfr_table_rollback,
  /* xFindFunction */ 0, table_rename,
  cfr_table_savepoint, cfr_table_release, cfr_table_rollback_to,
  table_shadow_name
};

int cfr_table_register(sqlite3 *db, cfr_conn *conn) {
  return sqlite3_create_module_v2(db, "origin_cloud_regions", &table_module, conn, cfr_conn_free);
}
