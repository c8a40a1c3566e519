/*
** vtab_cursor.c — the cursors of the origin_cloud_regions table: xOpen to xRowid. See vtab.h.
**
** A cursor holds the view of each part as of its opening, and after xFilter the positions (part,
** row of its view) of the rows the plan selects, in output order: the rows of IP lookups, or of a
** listing of the selected zones cut to a range; then reversed, offset and limited as the plan's
** PLAN_* bits (vtab.h, chosen by vtab_plan.c) say. A read inside a transaction first makes the
** table join it.
*/
#include "vtab.h"
#include "snapshot.h"

#include <math.h>
#include <string.h>

typedef struct cfr_pos {
  int part;                  /* index into the table's parts */
  int row;                   /* row index into that part's view */
} cfr_pos;

typedef struct cfr_cursor {
  sqlite3_vtab_cursor base;
  cfr_shared_view **shared;  /* the view of each part, as of the cursor's opening */
  int nparts;
  cfr_pos *rows;             /* output order */
  int nrows, capacity;
  int pos;
} cfr_cursor;

static cfr_view *view_of(const cfr_cursor *cur, int part) { return cur->shared[part]->view; }
static const cfr_row *row_at(const cfr_cursor *cur, int i) {
  return cfr_view_row(view_of(cur, cur->rows[i].part), cur->rows[i].row);
}

/* A read inside BEGIN … COMMIT makes the table join the transaction, so that every statement of
** the transaction shares one snapshot (the first read's) and the table hears when it ends. SQLite
** tells a virtual table of transactions only through writes (xBegin … xCommit/xRollback), so the
** join is a write that changes nothing: DELETE … WHERE 0 runs xBegin and no xUpdate. */
static void join_transaction(cfr_vtab *vt) {
  if (vt->joining || sqlite3_get_autocommit(vt->db)) return;
  for (int i = 0; i < vt->nparts; i++)
    if (vt->parts[i]->tx != CFR_TX_NONE) return;
  char *sql = sqlite3_mprintf("DELETE FROM \"%w\".\"%w\" WHERE 0", vt->schema, vt->name);
  vt->joining = 1;
  /* Should it fail, each statement simply reads its own snapshot, as in autocommit mode. */
  if (sql) sqlite3_exec(vt->db, sql, 0, 0, NULL);
  vt->joining = 0;
  sqlite3_free(sql);
}

int cfr_vtab_cursor_close(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  for (int i = 0; i < cur->nparts; i++) cfr_table_release_view(vt->parts[i], cur->shared[i]);
  sqlite3_free(cur->shared);
  sqlite3_free(cur->rows);
  sqlite3_free(cur);
  cfr_context_cursor_closed(vt->ctx);
  return SQLITE_OK;
}

int cfr_vtab_cursor_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
  cfr_vtab *vt = (cfr_vtab *)base;
  int rc = cfr_vtab_use_parts(vt);
  if (rc != SQLITE_OK) return rc;
  cfr_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->base.pVtab = base;
  cfr_context_cursor_opened(vt->ctx);
  cur->shared = sqlite3_malloc64((sqlite3_uint64)(vt->nparts ? vt->nparts : 1) * sizeof(cfr_shared_view *));
  rc = cur->shared ? SQLITE_OK : SQLITE_NOMEM;
  /* nparts counts the views acquired: those are what closing releases. */
  while (rc == SQLITE_OK && cur->nparts < vt->nparts) {
    rc = cfr_table_acquire_view(vt->parts[cur->nparts], &cur->shared[cur->nparts]);
    if (rc == SQLITE_OK) cur->nparts++;
  }
  if (rc != SQLITE_OK) {
    cfr_vtab_cursor_close(&cur->base);
    return rc;
  }
  join_transaction(vt);
  *out = &cur->base;
  return SQLITE_OK;
}

/* The canonical values asked for, de-duplicated (IPs, or zone ids when zone is set); text that is
** not an IP (or a zone id) matches nothing. */
static int collect_values(int in, int zone, sqlite3_value *arg, char (**out)[CFR_IP_TEXT_MAX], int *n) {
  int cap = 0;
  *out = NULL;
  *n = 0;
  sqlite3_value *v = arg;
  int rc = in ? sqlite3_vtab_in_first(arg, &v) : SQLITE_OK;
  while (rc == SQLITE_OK && v) {
    const char *text = sqlite3_value_type(v) == SQLITE_TEXT ? (const char *)sqlite3_value_text(v) : NULL;
    char canonical[CFR_IP_TEXT_MAX];
    int ok = 0;
    if (text && zone) ok = cfr_copy_field(canonical, sizeof(canonical), text) == 0;
    else if (text) ok = cfr_ip_canonicalize(text, (size_t)sqlite3_value_bytes(v), canonical) > 0;
    for (int i = 0; ok && i < *n; i++) ok = strcmp((*out)[i], canonical) != 0;
    if (ok) {
      char (*grown)[CFR_IP_TEXT_MAX] = cfr_grow(*out, &cap, *n + 1, CFR_IP_TEXT_MAX);
      if (!grown) return SQLITE_NOMEM;
      *out = grown;
      memcpy(grown[(*n)++], canonical, CFR_IP_TEXT_MAX);
    }
    if (!in) break;
    rc = sqlite3_vtab_in_next(arg, &v);
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Which parts the plan reads: all, or those of the zone_id constraint. selected[i] is 1 or 0. */
static int select_parts(cfr_vtab *vt, int plan, sqlite3_value **argv, int *next_arg, int *selected) {
  for (int i = 0; i < vt->nparts; i++) selected[i] = !(plan & (PLAN_ZONE_EQ | PLAN_ZONE_IN));
  if (!(plan & (PLAN_ZONE_EQ | PLAN_ZONE_IN))) return SQLITE_OK;
  char (*zones)[CFR_IP_TEXT_MAX];
  int n;
  int rc = collect_values(plan & PLAN_ZONE_IN, 1, argv[(*next_arg)++], &zones, &n);
  for (int z = 0; rc == SQLITE_OK && z < n; z++) {
    int p = cfr_vtab_part_of_zone(vt, zones[z]);
    if (p >= 0) selected[p] = 1;
  }
  sqlite3_free(zones);
  return rc;
}

static int append_rows(cfr_cursor *cur, int part, const int *rows, int n) {
  if (n == 0) return SQLITE_OK;
  cfr_pos *grown = cfr_grow(cur->rows, &cur->capacity, cur->nrows + n, sizeof(cfr_pos));
  if (!grown) return SQLITE_NOMEM;
  cur->rows = grown;
  for (int i = 0; i < n; i++) grown[cur->nrows++] = (cfr_pos){part, rows[i]};
  return SQLITE_OK;
}

/* The selected zones' stores, views and sizes as last seen (the k of them), for requests sent
** together. */
typedef struct selected_zones {
  cfr_store **stores;
  cfr_view **views;
  double *estimates;
  int k;
} selected_zones;

static void selected_free(selected_zones *z) {
  sqlite3_free(z->stores);
  sqlite3_free(z->views);
  sqlite3_free(z->estimates);
}

static int selected_gather(cfr_vtab *vt, cfr_cursor *cur, const int *selected, selected_zones *z) {
  sqlite3_uint64 size = (sqlite3_uint64)(vt->nparts ? vt->nparts : 1);
  z->stores = sqlite3_malloc64(size * sizeof(cfr_store *));
  z->views = sqlite3_malloc64(size * sizeof(cfr_view *));
  z->estimates = sqlite3_malloc64(size * sizeof(double));
  z->k = 0;
  if (!z->stores || !z->views || !z->estimates) {
    selected_free(z);
    return SQLITE_NOMEM;
  }
  for (int p = 0; p < vt->nparts; p++) {
    if (!selected[p]) continue;
    z->stores[z->k] = vt->parts[p]->store;
    z->estimates[z->k] = vt->parts[p]->estimated_rows;
    z->views[z->k++] = view_of(cur, p);
  }
  return SQLITE_OK;
}

/* Completes the views of the selected zones, their listings sent together. */
static int complete_selected(cfr_vtab *vt, cfr_cursor *cur, const int *selected) {
  selected_zones z;
  char *err = NULL;
  int rc = selected_gather(vt, cur, selected, &z);
  if (rc == SQLITE_OK) {
    rc = cfr_snapshot_complete_many(z.stores, z.views, z.k, &err);
    selected_free(&z);
  }
  return rc == SQLITE_OK ? rc : cfr_vtab_fail(vt, rc, err);
}

/* The lookups of every zone go out together, and so do the listings of every zone, each
** CFR_ZONES_IN_FLIGHT requests at a time: listing is as soon where the zones' listings cost no more
** requests than the lookups of n IPs in each (many small zones), and their snapshots then serve the
** rest of the statement. */
static int listing_is_sooner(cfr_vtab *vt, const int *selected, int n) {
  double requests = 0;
  int zones = 0;
  for (int p = 0; p < vt->nparts; p++) {
    if (!selected[p]) continue;
    cfr_table *tab = vt->parts[p];
    double list_cost, get_cost;
    tab->store->methods->costs(tab->store, tab->estimated_rows, &list_cost, &get_cost);
    requests += floor(list_cost / get_cost);  /* its requests (the rest is local work) */
    zones++;
  }
  return zones > 1 && requests <= (double)zones * n;
}

/* The IPs looked up in every selected zone at once (or the zones listed, where that is cheaper),
** before each zone's rows are taken: one round of requests, not one per zone. */
static int prefetch_selected(cfr_vtab *vt, cfr_cursor *cur, const int *selected, char (*ips)[CFR_IP_TEXT_MAX], int n) {
  selected_zones z;
  char *err = NULL;
  int rc = selected_gather(vt, cur, selected, &z);
  if (rc == SQLITE_OK) {
    if (z.k > 1) rc = cfr_snapshot_prefetch_together(z.stores, z.views, z.k, ips, n, z.estimates, &err);
    selected_free(&z);
  }
  return rc == SQLITE_OK ? rc : cfr_vtab_fail(vt, rc, err);
}

static int filter_by_ip(cfr_vtab *vt, cfr_cursor *cur, int plan, sqlite3_value *arg, const int *selected) {
  char (*ips)[CFR_IP_TEXT_MAX];
  int n;
  int rc = collect_values(plan & PLAN_IP_IN, 0, arg, &ips, &n);
  if (rc == SQLITE_OK && n > 0 && listing_is_sooner(vt, selected, n)) rc = complete_selected(vt, cur, selected);
  if (rc == SQLITE_OK && n > 0) rc = prefetch_selected(vt, cur, selected, ips, n);
  for (int p = 0; rc == SQLITE_OK && p < vt->nparts; p++) {
    if (!selected[p]) continue;
    int *rows, nrows;
    rc = cfr_table_rows_of(vt->parts[p], view_of(cur, p), ips, n, &rows, &nrows);
    if (rc == SQLITE_OK) rc = append_rows(cur, p, rows, nrows);
    sqlite3_free(rows);
  }
  sqlite3_free(ips);
  return rc;
}

/* Every selected zone listed (their requests together), then each zone's rows in address order. */
static int filter_all(cfr_vtab *vt, cfr_cursor *cur, const int *selected) {
  int rc = complete_selected(vt, cur, selected);
  for (int p = 0; rc == SQLITE_OK && p < vt->nparts; p++) {
    if (!selected[p]) continue;
    int *rows, nrows;
    rc = cfr_view_sorted(view_of(cur, p), &rows, &nrows);
    if (rc == SQLITE_OK) rc = append_rows(cur, p, rows, nrows);
    sqlite3_free(rows);
    cfr_table_note_size(vt->parts[p], view_of(cur, p));
  }
  return rc;
}

static void reverse_rows(cfr_cursor *cur) {
  for (int i = 0, j = cur->nrows - 1; i < j; i++, j--) {
    cfr_pos t = cur->rows[i];
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
    memmove(cur->rows, cur->rows + offset, (size_t)(cur->nrows - offset) * sizeof(cfr_pos));
    cur->nrows -= (int)offset;
  }
  if (limit >= 0 && limit < cur->nrows) cur->nrows = (int)limit;
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
    const cfr_row *row = row_at(cur, i);
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

/* A cursor of a statement still open inside a transaction shares the transaction's view: a later
** statement may delete one of its rows, or a ROLLBACK take one back. Such rows no longer exist
** (their columns are empty) and are skipped. */
static void skip_absent(cfr_cursor *cur) {
  while (cur->pos < cur->nrows && !row_at(cur, cur->pos)->cur.present) cur->pos++;
}

int cfr_vtab_cursor_filter(sqlite3_vtab_cursor *base, int plan, const char *idxStr, int argc,
                           sqlite3_value **argv) {
  (void)idxStr; (void)argc;
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  cfr_vtab_own_parts(vt);
  cur->nrows = cur->pos = 0;
  int next_arg = 0;
  int *selected = sqlite3_malloc64((sqlite3_uint64)(vt->nparts ? vt->nparts : 1) * sizeof(int));
  int rc = selected ? select_parts(vt, plan, argv, &next_arg, selected) : SQLITE_NOMEM;
  if (rc == SQLITE_OK && (plan & (PLAN_IP_EQ | PLAN_IP_IN))) {
    rc = filter_by_ip(vt, cur, plan, argv[next_arg++], selected);
  } else if (rc == SQLITE_OK) {
    rc = filter_all(vt, cur, selected);
    if (rc == SQLITE_OK && (plan & (PLAN_LO | PLAN_HI))) apply_range(cur, plan, argv, &next_arg);
  }
  sqlite3_free(selected);
  if (rc == SQLITE_OK && (plan & PLAN_DESC)) reverse_rows(cur);
  if (rc == SQLITE_OK && (plan & (PLAN_LIMIT | PLAN_OFFSET))) apply_limit(cur, plan, argv, next_arg);
  if (rc == SQLITE_OK) skip_absent(cur);
  return rc;
}

int cfr_vtab_cursor_next(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cur->pos++;
  skip_absent(cur);
  return SQLITE_OK;
}

int cfr_vtab_cursor_eof(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  return cur->pos >= cur->nrows;
}

int cfr_vtab_cursor_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  /* A column an UPDATE does not assign is left unset: xUpdate then keeps the row's current value
  ** (and need not check it again), as SQLite's sqlite3_vtab_nochange() allows. */
  if (sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
  const cfr_row *row = row_at(cur, cur->pos);
  switch (col) {
    case COL_ORIGIN_IP: sqlite3_result_text(ctx, row->origin_ip, -1, SQLITE_TRANSIENT); break;
    case COL_VENDOR: sqlite3_result_text(ctx, row->cur.vendor, -1, SQLITE_TRANSIENT); break;
    case COL_REGION: sqlite3_result_text(ctx, row->cur.region, -1, SQLITE_TRANSIENT); break;
    case COL_MODIFIED_ON:
      if (row->cur.modified_on[0]) sqlite3_result_text(ctx, row->cur.modified_on, -1, SQLITE_TRANSIENT);
      break;
    case COL_ZONE_ID: {
      const char *zone = vt->parts[cur->rows[cur->pos].part]->store->zone_id;
      if (zone[0]) sqlite3_result_text(ctx, zone, -1, SQLITE_TRANSIENT);
      break;
    }
  }
  return SQLITE_OK;
}

/* One zone: the position. Several: the part and the row of its view (both stable while the
** statement runs), which xUpdate decodes to find the row again. */
int cfr_vtab_cursor_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  const cfr_pos *p = &cur->rows[cur->pos];
  *rowid = vt->multi ? ((sqlite3_int64)(p->part + 1) << 32) | (sqlite3_int64)p->row : cur->pos;
  return SQLITE_OK;
}
