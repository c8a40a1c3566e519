/*
** context_sql.c — the SQL faces of the connection's state (context.h).
**
**   SELECT cfregions_set_token(?);            -- bound parameter: the token never enters SQL text
**   SELECT cfregions_set_credentials(?, ?);   -- email + global API key
**   SELECT cfregions_allow_base_url(?);       -- let this connection's tables use another API root
**   SELECT * FROM cfregions_unapplied;        -- what COMMITs could not apply
**
** The functions are SQLITE_DIRECTONLY: a view, trigger or other schema object of a database file
** (which may come from someone else) can never set, clear or redirect credentials. They are also
** flagged SQLITE_DETERMINISTIC, which is not what they are, for one reason: SQLite (3.40 at least)
** checks DIRECTONLY in a CHECK constraint only for deterministic functions, so without the flag a
** CHECK in a crafted file could call them. The flag lets SQLite evaluate a call with constant
** arguments once per statement, which is all these functions are ever used for.
*/
#include "context.h"
#include "journal.h"
#include "api_client.h"

#include <string.h>

/* ---- functions ---- */

static const char *text_or_null(sqlite3_value *v) {
  return sqlite3_value_type(v) == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(v);
}

static void set_token_func(sqlite3_context *fctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_context *ctx = sqlite3_user_data(fctx);
  if (cfr_context_set_token(ctx, text_or_null(argv[0])) != SQLITE_OK) {
    sqlite3_result_error_nomem(fctx);
    return;
  }
  /* The answer says whether a token is now set, never what it is. */
  sqlite3_result_int(fctx, cfr_context_has_token(ctx));
}

static void set_credentials_func(sqlite3_context *fctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_context *ctx = sqlite3_user_data(fctx);
  if (cfr_context_set_email_key(ctx, text_or_null(argv[0]), text_or_null(argv[1])) != SQLITE_OK) {
    sqlite3_result_error_nomem(fctx);
    return;
  }
  sqlite3_result_int(fctx, cfr_context_has_email_key(ctx));
}

static void allow_base_url_func(sqlite3_context *fctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_context *ctx = sqlite3_user_data(fctx);
  const char *url = text_or_null(argv[0]);
  char *normalized = NULL, *err = NULL;
  if (!url) {
    sqlite3_result_error(fctx, "cfregions_allow_base_url: expected a URL", -1);
    return;
  }
  int rc = cfr_api_normalize_base_url(url, &normalized, &err);
  if (rc == SQLITE_OK) rc = cfr_context_allow_base_url(ctx, normalized);
  if (rc == SQLITE_OK) sqlite3_result_int(fctx, 1);
  else if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(fctx);
  else {
    char *msg = sqlite3_mprintf("cfregions_allow_base_url: %s", err ? err : "not a usable base URL");
    sqlite3_result_error(fctx, msg ? msg : "cfregions_allow_base_url: not a usable base URL", -1);
    sqlite3_free(msg);
  }
  sqlite3_free(err);
  sqlite3_free(normalized);
}

/* ---- cfregions_unapplied: eponymous, read-only ---- */

enum { UA_TABLE, UA_OPERATION, UA_IP, UA_VENDOR, UA_REGION, UA_ERROR, UA_SCHEMA, UA_ZONE };

typedef struct unapplied_cursor {
  sqlite3_vtab_cursor base;
  int index;
} unapplied_cursor;

typedef struct unapplied_table {
  sqlite3_vtab base;
  sqlite3 *db;
  cfr_context *ctx;
} unapplied_table;

typedef struct journal_reader {
  cfr_context *ctx;
  const char *schema;
} journal_reader;

static int list_journaled(void *arg, const char *table, const char *zone_id, const cfr_change *change) {
  journal_reader *r = arg;
  return cfr_context_list_unapplied(r->ctx, r->schema, table, zone_id, change);
}

/* What the COMMIT journals of this connection's database files hold (an earlier connection's or
** process's unapplied changes) joins the list, whether or not their tables were used yet. */
static int read_journals(unapplied_table *t) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && sqlite3_db_name(t->db, i); i++) {
    journal_reader reader = {t->ctx, sqlite3_db_name(t->db, i)};
    char *path = NULL, *err = NULL;
    rc = cfr_journal_path(t->db, reader.schema, &path);
    if (rc == SQLITE_OK) rc = cfr_journal_read(path, NULL, list_journaled, &reader, &err);
    if (rc != SQLITE_OK) cfr_vtab_error(&t->base, rc, "cfregions_unapplied: %s", err ? err : "out of memory");
    sqlite3_free(err);
    sqlite3_free(path);
  }
  return rc;
}

static int unapplied_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **out, char **err) {
  (void)argc; (void)argv; (void)err;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(table_name TEXT, operation TEXT, origin_ip TEXT, "
                                    "vendor TEXT, region TEXT, error TEXT, schema_name TEXT, zone_id TEXT)");
  if (rc != SQLITE_OK) return rc;
  unapplied_table *t = sqlite3_malloc(sizeof(*t));
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof(*t));
  t->ctx = aux;
  t->db = db;
  *out = &t->base;
  return SQLITE_OK;
}

static int unapplied_disconnect(sqlite3_vtab *vtab) { sqlite3_free(vtab); return SQLITE_OK; }

static int unapplied_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int unapplied_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  (void)vtab;
  unapplied_cursor *c = sqlite3_malloc(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *out = &c->base;
  return SQLITE_OK;
}

static int unapplied_close(sqlite3_vtab_cursor *cur) { sqlite3_free(cur); return SQLITE_OK; }

static int unapplied_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idx; (void)idxStr; (void)argc; (void)argv;
  ((unapplied_cursor *)cur)->index = 0;
  return read_journals((unapplied_table *)cur->pVtab);
}

static int unapplied_next(sqlite3_vtab_cursor *cur) { ((unapplied_cursor *)cur)->index++; return SQLITE_OK; }

static int unapplied_eof(sqlite3_vtab_cursor *cur) {
  unapplied_table *t = (unapplied_table *)cur->pVtab;
  return ((unapplied_cursor *)cur)->index >= cfr_context_unapplied_count(t->ctx);
}

static int unapplied_column(sqlite3_vtab_cursor *cur, sqlite3_context *fctx, int col) {
  unapplied_table *t = (unapplied_table *)cur->pVtab;
  const cfr_unapplied *u = cfr_context_unapplied(t->ctx, ((unapplied_cursor *)cur)->index);
  const cfr_change *c = &u->change;
  int is_delete = c->kind == CFR_DELETE;
  const char *text = NULL;
  switch (col) {
    case UA_TABLE: text = u->table_name; break;
    case UA_OPERATION: text = is_delete ? "delete" : "upsert"; break;
    case UA_IP: text = c->mapping.origin_ip; break;
    case UA_VENDOR: text = is_delete ? NULL : c->mapping.vendor; break;
    case UA_REGION: text = is_delete ? NULL : c->mapping.region; break;
    case UA_ERROR: text = c->error; break;
    case UA_SCHEMA: text = u->schema_name; break;
    case UA_ZONE: text = u->zone_id[0] ? u->zone_id : NULL; break;
  }
  if (text) sqlite3_result_text(fctx, text, -1, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

static int unapplied_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = ((unapplied_cursor *)cur)->index + 1;
  return SQLITE_OK;
}

static sqlite3_module unapplied_module = {
  .xConnect = unapplied_connect,
  .xBestIndex = unapplied_best_index,
  .xDisconnect = unapplied_disconnect,
  .xOpen = unapplied_open,
  .xClose = unapplied_close,
  .xFilter = unapplied_filter,
  .xNext = unapplied_next,
  .xEof = unapplied_eof,
  .xColumn = unapplied_column,
  .xRowid = unapplied_rowid,
};

int cfr_context_sql_register(sqlite3 *db, cfr_context *ctx) {
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY | SQLITE_DETERMINISTIC;
  int rc = sqlite3_create_function(db, "cfregions_set_token", 1, flags, ctx, set_token_func, 0, 0);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "cfregions_set_credentials", 2, flags, ctx, set_credentials_func, 0, 0);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "cfregions_allow_base_url", 1, flags, ctx, allow_base_url_func, 0, 0);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "cfregions_unapplied", &unapplied_module, ctx);
  return rc;
}
