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
** transaction's own pending writes over it, filled by snapshot.c. Writes are in table_write.c;
** where the rows live is the store's business (store.h).
*/
#include "table.h"
#include "journal.h"
#include "snapshot.h"

#include <math.h>
#include <string.h>

/* idxNum bits */
#define PLAN_IP_EQ  1   /* argv: one origin_ip value */
#define PLAN_IP_IN  2   /* argv: the IN list, read with sqlite3_vtab_in_first/next */
#define PLAN_LIMIT  4
#define PLAN_OFFSET 8
#define PLAN_DESC   16  /* ORDER BY origin_ip DESC, consumed */
#define PLAN_LO     32  /* argv: a lower bound on origin_ip (>= , or > with PLAN_LO_OPEN) */
#define PLAN_LO_OPEN 64
#define PLAN_HI     128 /* argv: an upper bound (<=, or < with PLAN_HI_OPEN) */
#define PLAN_HI_OPEN 256

#define IN_LIST_GUESS 10 /* an IN list's length is unknown when planning */

typedef struct cfr_cursor {
  sqlite3_vtab_cursor base;
  cfr_shared_view *shared;
  int *rows;                 /* row indices into the view, in output order */
  int nrows;
  int pos;
} cfr_cursor;

/* ---- views ---- */

static void free_shared(cfr_shared_view *shared) {
  if (!shared) return;
  cfr_view_free(shared->view);
  sqlite3_free(shared);
}

/* The kept snapshot, if the store is unchanged since: it becomes the current view. */
static void reuse_kept(cfr_table *tab) {
  cfr_shared_view *kept = tab->kept;
  tab->kept = NULL;
  sqlite3_uint64 now[2];
  if (kept && tab->store->methods->version(tab->store, now) == SQLITE_OK && now[0] == tab->kept_version[0] &&
      now[1] == tab->kept_version[1])
    tab->current = kept;
  else
    free_shared(kept);
}

/* A complete snapshot without pending writes, of a store that can tell when it changes, is kept
** for the next statement instead of being read again. */
static int keep(cfr_table *tab, cfr_shared_view *shared) {
  if (!tab->store->methods->version || !cfr_view_is_complete(shared->view) || cfr_view_has_changes(shared->view))
    return 0;
  if (tab->store->methods->version(tab->store, tab->kept_version) != SQLITE_OK) return 0;
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
  if (!shared) return;
  assert(shared->refs > 0);
  if (--shared->refs > 0) return;
  if (tab->current == shared) tab->current = NULL;
  if (!keep(tab, shared)) free_shared(shared);
}

int cfr_table_error(cfr_table *tab, int rc, char *err) {
  cfr_vtab_error(&tab->base, rc, "%s: %s", tab->name, err ? err : "out of memory");
  sqlite3_free(err);
  return rc;
}

void cfr_table_note_size(cfr_table *tab, const cfr_view *view) {
  int n = cfr_view_present_count(view);
  if (n >= 0) tab->estimated_rows = n;
}

/* ---- create, connect, destroy, rename ---- */

static const char table_schema[] =
    "CREATE TABLE x(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL, vendor TEXT NOT NULL, "
    "region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID";

static void free_table(cfr_table *tab) {
  if (!tab) return;
  if (tab->registered) cfr_context_remove_table(tab->ctx, tab);
  /* DROP TABLE inside a transaction that wrote to the table: SQLite destroys it without calling
  ** xCommit or xRollback, so the transaction's reference to its view is still held here. */
  if (tab->tx != CFR_TX_NONE && tab->current) cfr_table_release_view(tab, tab->current);
  free_shared(tab->kept);
  tab->kept = NULL;
  if (tab->store) tab->store->methods->close(tab->store);
  sqlite3_free(tab->journal);
  sqlite3_free(tab->schema);
  sqlite3_free(tab->name);
  sqlite3_free(tab);
}

static int list_journaled(void *arg, const char *table, const char *zone_id, const cfr_change *change) {
  cfr_table *tab = arg;
  return cfr_context_list_unapplied(tab->ctx, tab->schema, table, zone_id, change);
}

/* A store that cannot roll back keeps a COMMIT journal beside a database file; what an earlier
** connection or process could not apply is listed again on this one. */
static int open_journal(cfr_table *tab, char **err) {
  if (tab->store->methods->transactional) return SQLITE_OK;
  int rc = cfr_journal_path(tab->db, tab->schema, &tab->journal);
  if (rc == SQLITE_OK) rc = cfr_journal_read(tab->journal, tab->name, list_journaled, tab, err);
  return rc;
}

static int connect_table(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err, int create) {
  cfr_table *tab = sqlite3_malloc(sizeof(*tab));
  if (!tab) return SQLITE_NOMEM;
  memset(tab, 0, sizeof(*tab));
  tab->db = db;
  tab->ctx = aux;
  tab->schema = sqlite3_mprintf("%s", argv[1]);
  tab->name = sqlite3_mprintf("%s", argv[2]);
  tab->estimated_rows = 1000;
  cfr_table_args args;
  memset(&args, 0, sizeof(args));
  char *why = NULL;
  int rc = (!tab->schema || !tab->name) ? SQLITE_NOMEM : SQLITE_OK;
  if (rc == SQLITE_OK && cfr_args_parse(argc, argv, &args, &why) != 0) rc = SQLITE_ERROR;
  if (rc == SQLITE_OK) rc = sqlite3_declare_vtab(db, table_schema);
  if (rc == SQLITE_OK) rc = cfr_store_open(db, tab->ctx, tab->schema, tab->name, &args, create, &tab->store, &why);
  if (rc == SQLITE_OK) rc = open_journal(tab, &why);
  tab->readonly = args.readonly;
  cfr_args_clear(&args);
  if (rc != SQLITE_OK) {
    if (why) *err = sqlite3_mprintf("%s: %s", argv[2], why);
    sqlite3_free(why);
    free_table(tab);
    return rc;
  }
  if ((rc = cfr_context_add_table(tab->ctx, tab)) != SQLITE_OK) {
    free_table(tab);
    return rc;
  }
  tab->registered = 1;
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  /* A table that talks to the network with the user's credentials is never driven from a trigger
  ** or view in a schema the user did not write themselves. */
  if (tab->store->remote) sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
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
  if (rc != SQLITE_OK) return cfr_table_error(tab, rc, err);
  free_table(tab);
  return SQLITE_OK;
}

static int table_shadow_name(const char *suffix) { return cfr_store_is_shadow_name(suffix); }

/* ALTER TABLE … RENAME: the store moves whatever it keeps under the table's name (as FTS5 renames
** its shadow tables). */
static int table_rename(sqlite3_vtab *vtab, const char *new_name) {
  cfr_table *tab = (cfr_table *)vtab;
  char *name = sqlite3_mprintf("%s", new_name);
  if (!name) return SQLITE_NOMEM;
  char *err = NULL;
  int rc = tab->store->methods->rename ? tab->store->methods->rename(tab->store, new_name, &err) : SQLITE_OK;
  if (rc == SQLITE_OK) rc = cfr_context_rename_unapplied(tab->ctx, tab->schema, tab->name, new_name);
  if (rc == SQLITE_OK) rc = cfr_journal_rename(tab->journal, tab->name, new_name, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(name);
    return cfr_table_error(tab, rc, sqlite3_mprintf("cannot rename: %z", err));
  }
  sqlite3_free(tab->name);
  tab->name = name;
  return SQLITE_OK;
}

/* ---- planning ---- */

/* The constraints the plan can use: an origin_ip equality (or IN) or range, LIMIT and OFFSET. */
typedef struct usable_constraints {
  int ip, lo, hi, limit, offset;  /* indices into aConstraint, or -1 */
  int other;                      /* constraints left for SQLite to check */
} usable_constraints;

/* A comparison of origin_ip that the table can answer: it compares as the ip collation does. One
** under another collation (… = '2001:DB8::A' COLLATE binary) is left to SQLite. */
static int ip_comparison(sqlite3_index_info *info, int i) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  const char *collation = sqlite3_vtab_collation(info, i);
  return c->usable && c->iColumn == COL_ORIGIN_IP && collation && sqlite3_stricmp(collation, "ip") == 0;
}

static void find_constraints(sqlite3_index_info *info, usable_constraints *u) {
  u->ip = u->lo = u->hi = u->limit = u->offset = -1;
  u->other = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) { if (c->usable) u->limit = i; continue; }
    if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) { if (c->usable) u->offset = i; continue; }
    int *slot = NULL;
    if (ip_comparison(info, i)) {
      if (c->op == SQLITE_INDEX_CONSTRAINT_EQ) slot = &u->ip;
      else if (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE) slot = &u->lo;
      else if (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE) slot = &u->hi;
    }
    if (slot && *slot < 0) *slot = i;
    else u->other++;
  }
  /* A lookup by IP leaves any range to SQLite. */
  if (u->ip >= 0) {
    u->other += (u->lo >= 0) + (u->hi >= 0);
    u->lo = u->hi = -1;
  }
}

static void use_constraint(sqlite3_index_info *info, int i, int *argv_next) {
  info->aConstraintUsage[i].argvIndex = (*argv_next)++;
  info->aConstraintUsage[i].omit = 1;
}

/* The plan's idxNum bits; *order_consumed: ORDER BY origin_ip [DESC] needs no sort. */
static int choose_plan(cfr_table *tab, sqlite3_index_info *info, int *order_consumed) {
  usable_constraints u;
  find_constraints(info, &u);
  double list_cost, get_cost;
  tab->store->methods->costs(tab->store, tab->estimated_rows, &list_cost, &get_cost);
  int plan = 0, argv_next = 1;
  /* A table that may hold rows never claims to hold none: SQLite would then put it outside the
  ** loop of a join and scan it once per outer row. */
  sqlite3_int64 rows = tab->estimated_rows >= 1 ? (sqlite3_int64)tab->estimated_rows : 1;
  if (u.ip >= 0) {
    /* Lookups canonicalize the value first, so SQLite must not re-check it with a text compare. */
    use_constraint(info, u.ip, &argv_next);
    if (sqlite3_vtab_in(info, u.ip, -1) && sqlite3_vtab_in(info, u.ip, 1)) {
      plan |= PLAN_IP_IN;
      info->estimatedCost = fmin(IN_LIST_GUESS * get_cost, list_cost);
      info->estimatedRows = IN_LIST_GUESS;
    } else {
      plan |= PLAN_IP_EQ;
      info->estimatedCost = get_cost;
      info->estimatedRows = 1;
      info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    }
  } else if (u.lo >= 0 || u.hi >= 0) {
    /* A range is read from a complete snapshot in address order: a listing, a little less work
    ** for SQLite, and fewer rows. */
    if (u.lo >= 0) {
      use_constraint(info, u.lo, &argv_next);
      plan |= PLAN_LO | (info->aConstraint[u.lo].op == SQLITE_INDEX_CONSTRAINT_GT ? PLAN_LO_OPEN : 0);
    }
    if (u.hi >= 0) {
      use_constraint(info, u.hi, &argv_next);
      plan |= PLAN_HI | (info->aConstraint[u.hi].op == SQLITE_INDEX_CONSTRAINT_LT ? PLAN_HI_OPEN : 0);
    }
    info->estimatedCost = list_cost * 0.9;
    info->estimatedRows = rows / ((u.lo >= 0) + (u.hi >= 0) + 1) + 1;
  } else {
    info->estimatedCost = list_cost;
    info->estimatedRows = rows;
  }
  /* Rows come out in the ip collation's order, which is origin_ip's: ORDER BY origin_ip [DESC]
  ** needs no sort. (SQLite passes ORDER BY origin_ip COLLATE other only as no ORDER BY at all.) */
  *order_consumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_ORIGIN_IP;
  if (*order_consumed) {
    info->orderByConsumed = 1;
    if (info->aOrderBy[0].desc) plan |= PLAN_DESC;
  }
  /* LIMIT/OFFSET apply to our output only when no other constraint still filters it and SQLite
  ** does not sort it afterwards (cutting before that sort would return the wrong rows). */
  if (u.other == 0 && (info->nOrderBy == 0 || *order_consumed) && u.limit >= 0) {
    plan |= PLAN_LIMIT;
    use_constraint(info, u.limit, &argv_next);
    if (u.offset >= 0) {
      plan |= PLAN_OFFSET;
      use_constraint(info, u.offset, &argv_next);
    }
  }
  return plan;
}

/* What EXPLAIN QUERY PLAN shows. */
static char *describe_plan(int plan, int order_consumed) {
  const char *access = (plan & PLAN_IP_IN)                ? "lookup origin_ip IN (...)"
                       : (plan & PLAN_IP_EQ)              ? "lookup origin_ip = ?"
                       : (plan & (PLAN_LO | PLAN_HI)) ? "listing of an origin_ip range"
                                                          : "full listing";
  const char *order = !order_consumed ? "" : (plan & PLAN_DESC) ? " ORDER BY origin_ip DESC" : " ORDER BY origin_ip";
  return sqlite3_mprintf("%s%s%s%s", access, order, (plan & PLAN_LIMIT) ? " LIMIT" : "",
                         (plan & PLAN_OFFSET) ? " OFFSET" : "");
}

static int table_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int order_consumed;
  int plan = choose_plan((cfr_table *)vtab, info, &order_consumed);
  info->idxNum = plan;
  info->idxStr = describe_plan(plan, order_consumed);
  info->needToFreeIdxStr = 1;
  return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}

/* ---- cursors ---- */

/* A read inside BEGIN … COMMIT makes the table join the transaction, so that every statement of
** the transaction shares one snapshot (the first read's) and the table hears when it ends. SQLite
** tells a virtual table of transactions only through writes (xBegin … xCommit/xRollback), so the
** join is a write that changes nothing: DELETE … WHERE 0 runs xBegin and no xUpdate. */
static void join_transaction(cfr_table *tab) {
  if (tab->tx != CFR_TX_NONE || tab->joining || sqlite3_get_autocommit(tab->db)) return;
  char *sql = sqlite3_mprintf("DELETE FROM \"%w\".\"%w\" WHERE 0", tab->schema, tab->name);
  tab->joining = 1;
  /* Should it fail, each statement simply reads its own snapshot, as in autocommit mode. */
  if (sql) sqlite3_exec(tab->db, sql, 0, 0, NULL);
  tab->joining = 0;
  sqlite3_free(sql);
}

static int cursor_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  cfr_table *tab = (cfr_table *)vtab;
  cfr_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  int rc = cfr_table_acquire_view(tab, &cur->shared);
  if (rc != SQLITE_OK) { sqlite3_free(cur); return rc; }
  join_transaction(tab);
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

/* The canonical IPs asked for, de-duplicated; text that is not an address matches nothing. */
static int collect_ips(int plan, sqlite3_value *arg, char (**ips)[CFR_IP_TEXT_MAX], int *n) {
  int cap = 0;
  *ips = NULL;
  *n = 0;
  sqlite3_value *v = arg;
  int rc = (plan & PLAN_IP_IN) ? sqlite3_vtab_in_first(arg, &v) : SQLITE_OK;
  while (rc == SQLITE_OK && v) {
    const char *text = sqlite3_value_type(v) == SQLITE_TEXT ? (const char *)sqlite3_value_text(v) : NULL;
    char canonical[CFR_IP_TEXT_MAX];
    int len = text ? cfr_ip_canonicalize(text, (size_t)sqlite3_value_bytes(v), canonical) : -1;
    int dup = 0;
    for (int i = 0; len > 0 && i < *n; i++) dup |= strcmp((*ips)[i], canonical) == 0;
    if (len > 0 && !dup) {
      char (*grown)[CFR_IP_TEXT_MAX] = cfr_grow(*ips, &cap, *n + 1, CFR_IP_TEXT_MAX);
      if (!grown) return SQLITE_NOMEM;
      *ips = grown;
      memcpy(grown[(*n)++], canonical, CFR_IP_TEXT_MAX);
    }
    if (!(plan & PLAN_IP_IN)) break;
    rc = sqlite3_vtab_in_next(arg, &v);
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int filter_by_ip(cfr_table *tab, cfr_cursor *cur, int plan, sqlite3_value *arg) {
  char (*ips)[CFR_IP_TEXT_MAX] = NULL;
  int n = 0;
  char *err = NULL;
  int rc = collect_ips(plan, arg, &ips, &n);
  if (rc == SQLITE_OK && n > 0 && !(cur->rows = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int)))) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && n > 0)
    rc = cfr_snapshot_rows_of(tab->store, cur->shared->view, ips, n, tab->estimated_rows, cur->rows,
                              &cur->nrows, &err);
  sqlite3_free(ips);
  return rc == SQLITE_OK ? rc : cfr_table_error(tab, rc, err);
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

/* Where a row stands against a bound, as the ip collation compares them: addresses in numeric
** order, any text that is not an address after every address. */
static int compare_to_bound(const cfr_row *row, const cfr_ip *bound, int bound_is_ip) {
  return bound_is_ip ? cfr_ip_compare(&row->addr, bound) : -1;
}

/* Keeps the rows within the plan's bounds (a NULL bound keeps none, as a comparison with NULL). */
static void apply_range(cfr_cursor *cur, int plan, sqlite3_value **argv, int *next_arg) {
  cfr_ip lo, hi;
  int lo_ip = 0, hi_ip = 0, none = 0;
  sqlite3_value *lo_v = (plan & PLAN_LO) ? argv[(*next_arg)++] : NULL;
  sqlite3_value *hi_v = (plan & PLAN_HI) ? argv[(*next_arg)++] : NULL;
  for (int b = 0; b < 2; b++) {
    sqlite3_value *v = b ? hi_v : lo_v;
    if (!v) continue;
    if (sqlite3_value_type(v) == SQLITE_NULL) none = 1;
    const char *text = (const char *)sqlite3_value_text(v);
    int is_ip = text && cfr_ip_parse_cidr(text, (size_t)sqlite3_value_bytes(v), b ? &hi : &lo) == 0;
    if (b) hi_ip = is_ip; else lo_ip = is_ip;
  }
  int kept = 0;
  for (int i = 0; !none && i < cur->nrows; i++) {
    const cfr_row *row = cfr_view_row(cur->shared->view, cur->rows[i]);
    if (lo_v) {
      int c = compare_to_bound(row, &lo, lo_ip);
      if (c < 0 || (c == 0 && (plan & PLAN_LO_OPEN))) continue;
    }
    if (hi_v) {
      int c = compare_to_bound(row, &hi, hi_ip);
      if (c > 0 || (c == 0 && (plan & PLAN_HI_OPEN))) continue;
    }
    cur->rows[kept++] = cur->rows[i];
  }
  cur->nrows = kept;
}

static int cursor_filter(sqlite3_vtab_cursor *base, int plan, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr; (void)argc;
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_table *tab = (cfr_table *)base->pVtab;
  cfr_view *view = cur->shared->view;
  sqlite3_free(cur->rows);
  cur->rows = NULL;
  cur->nrows = cur->pos = 0;
  int rc, next_arg = 0;
  if (plan & (PLAN_IP_EQ | PLAN_IP_IN)) {
    rc = filter_by_ip(tab, cur, plan, argv[next_arg++]);
    /* Every plan yields rows in address order: ORDER BY origin_ip relies on it. */
    if (rc == SQLITE_OK) rc = cfr_view_sort_rows(view, cur->rows, cur->nrows);
  } else {
    char *err = NULL;
    rc = cfr_snapshot_complete(tab->store, view, &err);
    if (rc != SQLITE_OK) return cfr_table_error(tab, rc, err);
    rc = cfr_view_sorted(view, &cur->rows, &cur->nrows);
    if (rc == SQLITE_OK && (plan & (PLAN_LO | PLAN_HI))) apply_range(cur, plan, argv, &next_arg);
  }
  cfr_table_note_size(tab, view);
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
  .iVersion = 3,
  .xCreate = table_create,
  .xConnect = table_connect,
  .xBestIndex = table_best_index,
  .xDisconnect = table_disconnect,
  .xDestroy = table_destroy,
  .xOpen = cursor_open,
  .xClose = cursor_close,
  .xFilter = cursor_filter,
  .xNext = cursor_next,
  .xEof = cursor_eof,
  .xColumn = cursor_column,
  .xRowid = cursor_rowid,
  .xUpdate = cfr_table_update,
  .xBegin = cfr_table_begin,
  .xSync = cfr_table_sync,
  .xCommit = cfr_table_commit,
  .xRollback = cfr_table_rollback,
  .xRename = table_rename,
  .xSavepoint = cfr_table_savepoint,
  .xRelease = cfr_table_release,
  .xRollbackTo = cfr_table_rollback_to,
  .xShadowName = table_shadow_name,
};

int cfr_table_register(sqlite3 *db, cfr_context *ctx) {
  return sqlite3_create_module_v2(db, "origin_cloud_regions", &table_module, ctx, cfr_context_free);
}
