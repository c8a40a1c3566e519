/*
** supported_regions.c — the eponymous supported_regions table.
**
**   SELECT * FROM supported_regions WHERE vendor = 'gcp';            -- the built-in list
**   SELECT * FROM supported_regions WHERE zone_id = '023e…c353';     -- GET …/supported_regions
**
** Columns: vendor, region, upper_tier_colos (JSON array text), and hidden zone_id. Without a zone_id
** it lists the list compiled in from sql/supported_regions.json (what local tables validate
** against); with one, the zone's own list, read through an API store configured with the same
** defaults as a table's (so cached per connection like a table's). Because a zone's list is read
** with the user's credentials, the table is SQLITE_VTAB_DIRECTONLY: no view or trigger in a database
** file can make it send a request.
*/
#include "context.h"
#include "store_api.h"

#include <string.h>

enum { SR_VENDOR, SR_REGION, SR_COLOS, SR_ZONE_ID };

typedef struct sr_table {
  sqlite3_vtab base;
  cfr_context *ctx;
} sr_table;

typedef struct sr_cursor {
  sqlite3_vtab_cursor base;
  const cfr_regions *regions;
  char zone_id[CFR_ZONE_ID_LEN + 1];
  int index;
} sr_cursor;

static int sr_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)argc; (void)argv; (void)err;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(vendor TEXT, region TEXT, upper_tier_colos TEXT, zone_id HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  sr_table *t = sqlite3_malloc(sizeof(*t));
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof(*t));
  t->ctx = aux;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &t->base;
  return SQLITE_OK;
}

static int sr_disconnect(sqlite3_vtab *vtab) { sqlite3_free(vtab); return SQLITE_OK; }

static int sr_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  info->idxNum = 0;
  info->estimatedCost = 200;
  info->estimatedRows = 200;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->iColumn == SR_ZONE_ID && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
      /* An unusable zone_id constraint must not yield a plan that lists the built-in list instead. */
      if (!c->usable) return SQLITE_CONSTRAINT;
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->idxNum = 1;
      info->estimatedCost = 10000;  /* one request */
      break;
    }
  }
  return SQLITE_OK;
}

static int sr_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  sr_cursor *c = sqlite3_malloc(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  cfr_context_cursor_opened(((sr_table *)vtab)->ctx);
  *out = &c->base;
  return SQLITE_OK;
}

static int sr_close(sqlite3_vtab_cursor *cur) {
  cfr_context_cursor_closed(((sr_table *)cur->pVtab)->ctx);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int sr_filter(sqlite3_vtab_cursor *base, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr; (void)argc;
  sr_cursor *c = (sr_cursor *)base;
  sr_table *t = (sr_table *)base->pVtab;
  c->index = 0;
  c->zone_id[0] = 0;
  c->regions = NULL;
  if (idxNum == 0) { c->regions = cfr_regions_builtin(); return SQLITE_OK; }
  const char *zone = (const char *)sqlite3_value_text(argv[0]);
  char *err = NULL;
  int rc = cfr_store_api_zone_regions(t->ctx, zone ? zone : "", &c->regions, &err);
  if (rc == SQLITE_OK) {
    cfr_copy_field(c->zone_id, sizeof(c->zone_id), zone);
    return SQLITE_OK;
  }
  cfr_vtab_error(&t->base, rc, "supported_regions: %s", err ? err : "request failed");
  sqlite3_free(err);
  return rc;
}

static int sr_next(sqlite3_vtab_cursor *cur) { ((sr_cursor *)cur)->index++; return SQLITE_OK; }

static int sr_eof(sqlite3_vtab_cursor *cur) {
  sr_cursor *c = (sr_cursor *)cur;
  return !c->regions || c->index >= c->regions->count;
}

static int sr_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  sr_cursor *c = (sr_cursor *)cur;
  const cfr_region *r = &c->regions->items[c->index];
  switch (col) {
    case SR_VENDOR: sqlite3_result_text(ctx, r->vendor, -1, SQLITE_TRANSIENT); break;
    case SR_REGION: sqlite3_result_text(ctx, r->region, -1, SQLITE_TRANSIENT); break;
    case SR_COLOS: sqlite3_result_text(ctx, r->upper_tier_colos, -1, SQLITE_TRANSIENT); break;
    case SR_ZONE_ID: if (c->zone_id[0]) sqlite3_result_text(ctx, c->zone_id, -1, SQLITE_TRANSIENT); break;
  }
  return SQLITE_OK;
}

static int sr_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = ((sr_cursor *)cur)->index + 1;
  return SQLITE_OK;
}

static sqlite3_module sr_module = {
  .xConnect = sr_connect,
  .xBestIndex = sr_best_index,
  .xDisconnect = sr_disconnect,
  .xOpen = sr_open,
  .xClose = sr_close,
  .xFilter = sr_filter,
  .xNext = sr_next,
  .xEof = sr_eof,
  .xColumn = sr_column,
  .xRowid = sr_rowid,
};

int cfr_supported_regions_register(sqlite3 *db, cfr_context *ctx) {
  return sqlite3_create_module(db, "supported_regions", &sr_module, ctx);
}
