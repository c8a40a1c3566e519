/*
** cloudflare_zones.c — the eponymous cloudflare_zones table: the zones the connection's
** credentials can list (GET /zones, read by zones.c). See zones.h.
**
**   SELECT id, name FROM cloudflare_zones WHERE account_id = '…' AND status = 'active';
**
** Columns: id, name, status, account_id, account_name, plan, paused, modified_on. `name = ?`,
** `account_id = ?` and `status = ?` become the API's own filters (query parameters), so such a
** query reads only the pages of the zones it asks for. The listing is read with the user's
** credentials, so the table is SQLITE_VTAB_DIRECTONLY: no view or trigger of a database file can
** make it send a request.
**
** The API filters names ignoring case (as DNS names compare), which SQL's `=` does not: SQLite
** checks `name = ?` again on every row. The listing checks every filter itself too, so a server
** that ignores one cannot slip other zones in, and `account_id = ?` and `status = ?` need no
** second check.
*/
#include "zones.h"

#include <string.h>

#define PAGE_SIZE CFR_ZONES_PAGE_SIZE /* a plan pays one request per page */
#define REQUEST_COST 10000.0 /* a round trip dwarfs any local work (as for mapping tables) */
#define ZONES_GUESS 1000.0 /* zones an account is assumed to have, for query plans */

enum { Z_ID, Z_NAME, Z_STATUS, Z_ACCOUNT_ID, Z_ACCOUNT_NAME, Z_PLAN, Z_PAUSED, Z_MODIFIED_ON };
/* The filters a plan uses are bits of idxNum (1 << k); xFilter gets their values in this order. */
static const int filter_columns[] = {Z_NAME, Z_ACCOUNT_ID, Z_STATUS};
static const char *const filter_params[] = {"name", "account.id", "status"};

typedef struct zones_table {
  sqlite3_vtab base;
  sqlite3 *db;
  cfr_context *ctx;
} zones_table;

typedef struct zones_cursor {
  sqlite3_vtab_cursor base;
  cfr_zone_list list;
  int index;
} zones_cursor;

static int zt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **err) {
  (void)argc, (void)argv, (void)err;
  int rc =
      sqlite3_declare_vtab(db, "CREATE TABLE x(id TEXT, name TEXT, status TEXT, account_id TEXT, "
                               "account_name TEXT, plan TEXT, paused INTEGER, modified_on TEXT)");
  if (rc != SQLITE_OK) return rc;
  zones_table *t = sqlite3_malloc(sizeof(*t));
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof(*t));
  t->db = db;
  t->ctx = aux;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &t->base;
  return SQLITE_OK;
}

static int zt_disconnect(sqlite3_vtab *vtab) {
  sqlite3_free(vtab);
  return SQLITE_OK;
}

/* Which filter (0..2) constraint c can be, or -1. The listing compares account ids and statuses
** exactly and names ignoring case, so only those collations are taken. */
static int filter_of(sqlite3_index_info *info, int i) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ) return -1;
  const char *coll = sqlite3_vtab_collation(info, i);
  int binary = !coll || sqlite3_stricmp(coll, "BINARY") == 0;
  for (int k = 0; k < 3; k++)
    if (c->iColumn == filter_columns[k])
      return binary || (k == 0 && sqlite3_stricmp(coll, "NOCASE") == 0) ? k : -1;
  return -1;
}

static int zt_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  int where[3] = {-1, -1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    int k = filter_of(info, i);
    if (k >= 0 && where[k] < 0) where[k] = i;
  }
  sqlite3_str *plan = sqlite3_str_new(NULL);
  sqlite3_str_appendall(plan, "GET /zones");
  double rows = ZONES_GUESS;
  int argv = 0;
  info->idxNum = 0;
  for (int k = 0; k < 3; k++) {
    if (where[k] < 0) continue;
    info->idxNum |= 1 << k;
    info->aConstraintUsage[where[k]].argvIndex = ++argv;
    /* Names: SQL's = tells case apart, the API does not. */
    info->aConstraintUsage[where[k]].omit = k != 0;
    sqlite3_str_appendf(plan, "%s%s=?", argv == 1 ? "?" : "&", filter_params[k]);
    rows = k == 0 ? 1 : k == 1 ? rows / 4 : rows / 2;
  }
  if (rows < 1) rows = 1;
  int pages = (int)((rows + PAGE_SIZE - 1) / PAGE_SIZE);
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = (pages > 1 ? pages : 1) * REQUEST_COST + rows;
  info->idxStr = sqlite3_str_finish(plan);
  info->needToFreeIdxStr = 1;
  return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}

static int zt_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  zones_cursor *c = sqlite3_malloc(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  cfr_context_cursor_opened(((zones_table *)vtab)->ctx);
  *out = &c->base;
  return SQLITE_OK;
}

static int zt_close(sqlite3_vtab_cursor *cur) {
  cfr_zone_list_clear(&((zones_cursor *)cur)->list);
  cfr_context_cursor_closed(((zones_table *)cur->pVtab)->ctx);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* The listing with values[] as filters, through a client with the defaults a table has. */
static int list_zones(zones_table *t, zones_cursor *c, const char *const values[3]) {
  cfr_api_settings settings;
  cfr_api_settings_init(&settings);
  cfr_api_client *client = NULL;
  char *err = NULL;
  int rc = cfr_api_client_open(t->ctx, &settings, &client, &err);
  if (rc == SQLITE_OK)
    rc = cfr_zones_list_in_statement(t->ctx, client, values[0], values[1], values[2], &c->list, &err);
  cfr_api_client_close(client);
  cfr_api_settings_clear(&settings);
  if (rc != SQLITE_OK)
    cfr_vtab_error(&t->base, rc, "cloudflare_zones: %s", err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return rc;
}

static int zt_filter(sqlite3_vtab_cursor *base, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
  (void)idxStr;
  zones_cursor *c = (zones_cursor *)base;
  cfr_zone_list_clear(&c->list);
  c->index = 0;
  const char *values[3] = {NULL, NULL, NULL};
  for (int k = 0, next = 0; k < 3; k++) {
    if (!(idxNum & (1 << k)) || next >= argc) continue;
    sqlite3_value *v = argv[next++];
    /* NULL equals nothing, and a blob no text. */
    if (sqlite3_value_type(v) == SQLITE_NULL || sqlite3_value_type(v) == SQLITE_BLOB)
      return SQLITE_OK;
    if (!(values[k] = (const char *)sqlite3_value_text(v))) return SQLITE_NOMEM;
  }
  /* account_id = ? is not checked again: only an id as the table shows it (lowercase) matches. */
  char id[CFR_ZONE_ID_LEN + 1];
  if (values[1] && (cfr_zones_parse_id(values[1], id) != 0 || strcmp(id, values[1]) != 0))
    return SQLITE_OK;
  return list_zones((zones_table *)base->pVtab, c, values);
}

static int zt_next(sqlite3_vtab_cursor *cur) {
  ((zones_cursor *)cur)->index++;
  return SQLITE_OK;
}

static int zt_eof(sqlite3_vtab_cursor *cur) {
  zones_cursor *c = (zones_cursor *)cur;
  return c->index >= c->list.count;
}

static void result_text(sqlite3_context *ctx, const char *text) {
  if (text) sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
}

static int zt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  zones_cursor *c = (zones_cursor *)cur;
  const cfr_zone *z = &c->list.items[c->index];
  switch (col) {
    case Z_ID: result_text(ctx, z->id); break;
    case Z_NAME: result_text(ctx, z->name); break;
    case Z_STATUS: result_text(ctx, z->status); break;
    case Z_ACCOUNT_ID: result_text(ctx, z->account_id); break;
    case Z_ACCOUNT_NAME: result_text(ctx, z->account_name); break;
    case Z_PLAN: result_text(ctx, z->plan); break;
    case Z_PAUSED:
      if (z->paused >= 0) sqlite3_result_int(ctx, z->paused);
      break;
    case Z_MODIFIED_ON: result_text(ctx, z->modified_on); break;
  }
  return SQLITE_OK;
}

static int zt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = ((zones_cursor *)cur)->index + 1;
  return SQLITE_OK;
}

static sqlite3_module zones_module = {
    .xConnect = zt_connect,
    .xBestIndex = zt_best_index,
    .xDisconnect = zt_disconnect,
    .xOpen = zt_open,
    .xClose = zt_close,
    .xFilter = zt_filter,
    .xNext = zt_next,
    .xEof = zt_eof,
    .xColumn = zt_column,
    .xRowid = zt_rowid,
};

int cfr_zones_register(sqlite3 *db, cfr_context *ctx) {
  return sqlite3_create_module(db, "cloudflare_zones", &zones_module, ctx);
}
