/*
** conn.c — per-connection state, the credential-setting functions and the cfregions_unapplied
** table. See conn.h.
**
**   SELECT cfregions_set_token(?);            -- bound parameter: the token never enters SQL text
**   SELECT cfregions_set_credentials(?, ?);   -- email + global API key
**   SELECT * FROM cfregions_unapplied;        -- what the last failed COMMIT could not apply
*/
#include "conn.h"

#include <string.h>

cfr_conn *cfr_conn_new(sqlite3 *db) {
  cfr_conn *conn = sqlite3_malloc(sizeof(*conn));
  if (conn) { memset(conn, 0, sizeof(*conn)); conn->db = db; }
  return conn;
}

void cfr_free_secret(char *secret) {
  if (!secret) return;
  volatile char *p = secret;
  while (*p) *p++ = 0;
  sqlite3_free(secret);
}

static void free_unapplied_entry(cfr_unapplied *u) {
  sqlite3_free(u->schema_name);
  sqlite3_free(u->table_name);
}

void cfr_conn_clear_unapplied(cfr_conn *conn, const char *schema_name, const char *table_name) {
  int kept = 0;
  for (int i = 0; i < conn->nunapplied; i++) {
    const cfr_unapplied *u = &conn->unapplied[i];
    if (sqlite3_stricmp(u->table_name, table_name) == 0 && sqlite3_stricmp(u->schema_name, schema_name) == 0)
      free_unapplied_entry(&conn->unapplied[i]);
    else conn->unapplied[kept++] = conn->unapplied[i];
  }
  conn->nunapplied = kept;
}

int cfr_conn_set_unapplied(cfr_conn *conn, const char *schema_name, const char *table_name,
                           const cfr_change *changes, int n) {
  cfr_conn_clear_unapplied(conn, schema_name, table_name);
  int failed = 0;
  for (int i = 0; i < n; i++) failed += !changes[i].applied;
  if (failed == 0) return SQLITE_OK;
  cfr_unapplied *grown = sqlite3_realloc64(conn->unapplied, (sqlite3_uint64)(conn->nunapplied + failed) * sizeof(cfr_unapplied));
  if (!grown) return SQLITE_NOMEM;
  conn->unapplied = grown;
  for (int i = 0; i < n; i++) {
    if (changes[i].applied) continue;
    cfr_unapplied *u = &conn->unapplied[conn->nunapplied];
    u->schema_name = sqlite3_mprintf("%s", schema_name);
    u->table_name = sqlite3_mprintf("%s", table_name);
    if (!u->schema_name || !u->table_name) {
      free_unapplied_entry(u);
      return SQLITE_NOMEM;
    }
    u->change = changes[i];
    conn->nunapplied++;
  }
  return SQLITE_OK;
}

const cfr_regions *cfr_conn_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version) {
  for (int i = 0; i < conn->nzones; i++) {
    cfr_zone_regions *z = &conn->zones[i];
    if (strcmp(z->zone_id, zone_id) == 0 && strcmp(z->base_url, base_url) == 0 && z->api_version == api_version)
      return z->regions;
  }
  return NULL;
}

int cfr_conn_cache_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version, cfr_regions *regions) {
  cfr_zone_regions *grown = sqlite3_realloc64(conn->zones, (sqlite3_uint64)(conn->nzones + 1) * sizeof(*grown));
  if (!grown) { cfr_regions_free(regions); return SQLITE_NOMEM; }
  conn->zones = grown;
  cfr_zone_regions *z = &conn->zones[conn->nzones];
  memset(z, 0, sizeof(*z));
  cfr_copy_field(z->zone_id, sizeof(z->zone_id), zone_id);
  z->base_url = sqlite3_mprintf("%s", base_url);
  if (!z->base_url) { cfr_regions_free(regions); return SQLITE_NOMEM; }
  z->api_version = api_version;
  z->regions = regions;
  conn->nzones++;
  return SQLITE_OK;
}

void cfr_conn_free(void *p) {
  cfr_conn *conn = p;
  if (!conn) return;
  cfr_free_secret(conn->token);
  cfr_free_secret(conn->email);
  cfr_free_secret(conn->key);
  for (int i = 0; i < conn->nunapplied; i++) free_unapplied_entry(&conn->unapplied[i]);
  sqlite3_free(conn->unapplied);
  for (int i = 0; i < conn->nzones; i++) {
    sqlite3_free(conn->zones[i].base_url);
    cfr_regions_free(conn->zones[i].regions);
  }
  sqlite3_free(conn->zones);
  sqlite3_free(conn);
}

/* Copies a text argument into *slot (wiping the old secret); NULL clears it. */
static int replace_secret(char **slot, sqlite3_value *v) {
  cfr_free_secret(*slot);
  *slot = NULL;
  if (sqlite3_value_type(v) == SQLITE_NULL) return SQLITE_OK;
  const char *text = (const char *)sqlite3_value_text(v);
  if (!text || !*text) return SQLITE_OK;
  *slot = sqlite3_mprintf("%s", text);
  return *slot ? SQLITE_OK : SQLITE_NOMEM;
}

static void set_token_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_conn *conn = sqlite3_user_data(ctx);
  if (replace_secret(&conn->token, argv[0]) != SQLITE_OK) { sqlite3_result_error_nomem(ctx); return; }
  /* The answer says whether a token is now set, never what it is. */
  sqlite3_result_int(ctx, conn->token != NULL);
}

static void set_credentials_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_conn *conn = sqlite3_user_data(ctx);
  if (replace_secret(&conn->email, argv[0]) != SQLITE_OK || replace_secret(&conn->key, argv[1]) != SQLITE_OK) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_int(ctx, conn->email != NULL && conn->key != NULL);
}

/* ---- cfregions_unapplied: eponymous, read-only ---- */

typedef struct unapplied_cursor {
  sqlite3_vtab_cursor base;
  int index;
} unapplied_cursor;

typedef struct unapplied_table {
  sqlite3_vtab base;
  cfr_conn *conn;
} unapplied_table;

static int unapplied_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **out, char **err) {
  (void)argc; (void)argv; (void)err;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(table_name TEXT, operation TEXT, origin_ip TEXT, "
                                    "vendor TEXT, region TEXT, error TEXT, schema_name TEXT)");
  if (rc != SQLITE_OK) return rc;
  unapplied_table *t = sqlite3_malloc(sizeof(*t));
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof(*t));
  t->conn = aux;
  *out = &t->base;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
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
  return SQLITE_OK;
}

static int unapplied_next(sqlite3_vtab_cursor *cur) { ((unapplied_cursor *)cur)->index++; return SQLITE_OK; }

static int unapplied_eof(sqlite3_vtab_cursor *cur) {
  unapplied_table *t = (unapplied_table *)cur->pVtab;
  return ((unapplied_cursor *)cur)->index >= t->conn->nunapplied;
}

static int unapplied_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  unapplied_table *t = (unapplied_table *)cur->pVtab;
  const cfr_unapplied *u = &t->conn->unapplied[((unapplied_cursor *)cur)->index];
  const cfr_change *c = &u->change;
  const char *text = NULL;
  switch (col) {
    case 0: text = u->table_name; break;
    case 1: text = c->kind == CFR_DELETE ? "delete" : "upsert"; break;
    case 2: text = c->mapping.origin_ip; break;
    case 3: text = c->kind == CFR_DELETE ? NULL : c->mapping.vendor; break;
    case 4: text = c->kind == CFR_DELETE ? NULL : c->mapping.region; break;
    case 5: text = c->error; break;
    case 6: text = u->schema_name; break;
  }
  if (text) sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

static int unapplied_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = ((unapplied_cursor *)cur)->index + 1;
  return SQLITE_OK;
}

static sqlite3_module unapplied_module = {
  0, 0, unapplied_connect, unapplied_best_index, unapplied_disconnect, 0,
  unapplied_open, unapplied_close, unapplied_filter, unapplied_next, unapplied_eof,
  unapplied_column, unapplied_rowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int cfr_conn_register(sqlite3 *db, cfr_conn *conn) {
  /* DIRECTONLY: a schema object (trigger, view) can never call these on the user's behalf. */
  int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = sqlite3_create_function(db, "cfregions_set_token", 1, flags, conn, set_token_func, 0, 0);
  if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "cfregions_set_credentials", 2, flags, conn, set_credentials_func, 0, 0);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "cfregions_unapplied", &unapplied_module, conn);
  return rc;
}
