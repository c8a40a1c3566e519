/*
** store_local.c — the local store over the shadow table "<table>_mappings". See store_local.h.
**
** Batches are applied with SQL in the same transaction as the statement that COMMITs them (the SQL
** layer applies them from xSync, as FTS5 flushes its pending terms), so a local table is exactly
** as transactional as the database: a failed COMMIT leaves nothing behind. The store owns its
** shadow table: it creates it, renames it with the virtual table and drops it.
*/
#include "store_local.h"
#include "store_api.h"

#include <string.h>
#include <time.h>

#define SHADOW_SUFFIX "mappings"

typedef struct local_store {
  cfr_store base;
  sqlite3 *db;
  cfr_context *ctx;
  char regions_zone[CFR_ZONE_ID_LEN + 1]; /* "" : the built-in list */
  char *schema;
  char *name;
  sqlite3_stmt *list_stmt, *get_stmt, *upsert_stmt, *delete_stmt, *count_stmt;
} local_store;

int cfr_store_local_is_shadow(const char *suffix) { return sqlite3_stricmp(suffix, SHADOW_SUFFIX) == 0; }

static int db_error(local_store *s, int rc, char **err) {
  *err = sqlite3_mprintf("local store: %s", sqlite3_errmsg(s->db));
  return rc;
}

/* Runs one statement about the shadow table: fmt gets the schema, then the name(s). */
static int exec_shadow(local_store *s, const char *fmt, const char *name2, char **err) {
  char *sql = sqlite3_mprintf(fmt, s->schema, s->name, name2);
  if (!sql) return SQLITE_NOMEM;
  int rc = sqlite3_exec(s->db, sql, 0, 0, NULL);
  sqlite3_free(sql);
  return rc == SQLITE_OK ? rc : db_error(s, rc, err);
}

static int prepare(local_store *s, sqlite3_stmt **stmt, const char *fmt, char **err) {
  if (*stmt) { sqlite3_reset(*stmt); return SQLITE_OK; }
  char *sql = sqlite3_mprintf(fmt, s->schema, s->name);
  if (!sql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
  sqlite3_free(sql);
  return rc == SQLITE_OK ? rc : db_error(s, rc, err);
}

static void finalize_all(local_store *s) {
  sqlite3_finalize(s->list_stmt);
  sqlite3_finalize(s->get_stmt);
  sqlite3_finalize(s->upsert_stmt);
  sqlite3_finalize(s->delete_stmt);
  sqlite3_finalize(s->count_stmt);
  s->list_stmt = s->get_stmt = s->upsert_stmt = s->delete_stmt = s->count_stmt = NULL;
}

static void copy_column(char *dst, size_t size, sqlite3_stmt *stmt, int col) {
  const char *text = (const char *)sqlite3_column_text(stmt, col);
  dst[0] = 0;
  if (text && cfr_copy_field(dst, size, text) != 0) dst[0] = 0;
}

static void read_mapping(sqlite3_stmt *stmt, cfr_mapping *m) {
  copy_column(m->origin_ip, sizeof(m->origin_ip), stmt, 0);
  copy_column(m->vendor, sizeof(m->vendor), stmt, 1);
  copy_column(m->region, sizeof(m->region), stmt, 2);
  copy_column(m->modified_on, sizeof(m->modified_on), stmt, 3);
}

static int local_list(cfr_store *store, cfr_mapping_list *out, char **err) {
  local_store *s = (local_store *)store;
  int rc = prepare(s, &s->list_stmt, "SELECT origin_ip, vendor, region, modified_on FROM \"%w\".\"%w_mappings\"", err);
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(s->list_stmt)) == SQLITE_ROW) {
    cfr_mapping m;
    read_mapping(s->list_stmt, &m);
    if ((rc = cfr_mapping_list_push(out, &m)) != SQLITE_OK) break;
  }
  sqlite3_reset(s->list_stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : db_error(s, rc, err);
}

/* Only the count: with it, single-row writes look their IP up by key instead of reading every row. */
static int local_count(cfr_store *store, cfr_mapping_list *out, int *total, int *complete, char **err) {
  (void)out;
  local_store *s = (local_store *)store;
  int rc = prepare(s, &s->count_stmt, "SELECT count(*) FROM \"%w\".\"%w_mappings\"", err);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(s->count_stmt);
  *total = rc == SQLITE_ROW ? sqlite3_column_int(s->count_stmt, 0) : 0;
  *complete = *total == 0;
  sqlite3_reset(s->count_stmt);
  return rc == SQLITE_ROW ? SQLITE_OK : db_error(s, rc, err);
}

static int local_get(cfr_store *store, const char *ip, cfr_mapping *out, int *found, char **err) {
  local_store *s = (local_store *)store;
  int rc = prepare(s, &s->get_stmt, "SELECT origin_ip, vendor, region, modified_on FROM \"%w\".\"%w_mappings\" WHERE origin_ip = ?1", err);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(s->get_stmt, 1, ip, -1, SQLITE_STATIC);
  rc = sqlite3_step(s->get_stmt);
  *found = rc == SQLITE_ROW;
  if (*found) read_mapping(s->get_stmt, out);
  sqlite3_reset(s->get_stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : db_error(s, rc, err);
}

/* The statement applying n changes of one kind at once: one statement per batch, not per row (a
** statement's own start and end cost more than the row it writes). Full batches' statements are
** kept; a shorter last batch gets its own, finalized by the caller. */
static char *batch_sql(const local_store *s, cfr_change_kind kind, int n) {
  sqlite3_str *q = sqlite3_str_new(NULL);
  if (kind == CFR_UPSERT) {
    sqlite3_str_appendf(q, "INSERT INTO \"%w\".\"%w_mappings\"(origin_ip, vendor, region, modified_on) "
                           "SELECT column1, column2, column3, ?1 FROM (VALUES ", s->schema, s->name);
    for (int i = 0; i < n; i++) sqlite3_str_appendf(q, "%s(?%d, ?%d, ?%d)", i ? ", " : "", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i);
    sqlite3_str_appendall(q, ") WHERE true ON CONFLICT(origin_ip) DO UPDATE SET vendor = excluded.vendor, "
                             "region = excluded.region, modified_on = excluded.modified_on");
  } else {
    sqlite3_str_appendf(q, "DELETE FROM \"%w\".\"%w_mappings\" WHERE origin_ip IN (", s->schema, s->name);
    for (int i = 0; i < n; i++) sqlite3_str_appendf(q, "%s?%d", i ? ", " : "", 2 + i);
    sqlite3_str_appendall(q, ")");
  }
  return sqlite3_str_finish(q);
}

static int batch_statement(local_store *s, cfr_change_kind kind, int n, sqlite3_stmt **stmt, char **err) {
  sqlite3_stmt **kept = kind == CFR_UPSERT ? &s->upsert_stmt : &s->delete_stmt;
  if (n == CFR_BATCH_MAX && *kept) {
    *stmt = *kept;
    return SQLITE_OK;
  }
  char *sql = batch_sql(s, kind, n);
  if (!sql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v3(s->db, sql, -1, n == CFR_BATCH_MAX ? SQLITE_PREPARE_PERSISTENT : 0, stmt, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return db_error(s, rc, err);
  if (n == CFR_BATCH_MAX) *kept = *stmt;
  return SQLITE_OK;
}

static int apply_batch(local_store *s, cfr_batch *batch, const char *now, char **err) {
  cfr_change_kind kind = batch->changes[0].kind;
  sqlite3_stmt *stmt;
  int rc = batch_statement(s, kind, batch->n, &stmt, err);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(stmt, 1, now, -1, SQLITE_STATIC);
  for (int i = 0; i < batch->n; i++) {
    const cfr_mapping *m = &batch->changes[i].mapping;
    if (kind == CFR_DELETE) {
      sqlite3_bind_text(stmt, 2 + i, m->origin_ip, -1, SQLITE_STATIC);
      continue;
    }
    sqlite3_bind_text(stmt, 2 + 3 * i, m->origin_ip, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3 + 3 * i, m->vendor, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4 + 3 * i, m->region, -1, SQLITE_STATIC);
  }
  rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) rc = db_error(s, rc == SQLITE_ROW ? SQLITE_ERROR : rc, err);
  else rc = SQLITE_OK;
  sqlite3_clear_bindings(stmt);
  if (batch->n == CFR_BATCH_MAX) sqlite3_reset(stmt);
  else sqlite3_finalize(stmt);
  for (int i = 0; rc == SQLITE_OK && i < batch->n; i++) {
    batch->changes[i].applied = 1;
    if (kind == CFR_UPSERT) memcpy(batch->changes[i].mapping.modified_on, now, CFR_TIME_MAX);
  }
  return rc;
}

/* The current UTC time as RFC 3339 ("2026-11-28T06:30:59Z"). */
static void now_rfc3339(char out[CFR_TIME_MAX]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, CFR_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void local_apply(cfr_store *store, cfr_batch *batches, int n, const cfr_batch_listener *listener) {
  local_store *s = (local_store *)store;
  char now[CFR_TIME_MAX];
  now_rfc3339(now);
  int failed = 0;
  for (int b = 0; b < n; b++) {
    cfr_batch *batch = &batches[b];
    batch->sent = !failed;
    batch->rc = SQLITE_OK;
    if (failed) continue;
    batch->rc = apply_batch(s, batch, now, &batch->err);
    failed = batch->rc != SQLITE_OK;
    listener->done(listener->arg, batch);
  }
}

static int local_regions(cfr_store *store, const cfr_regions **out, const char **zone_id, char **err) {
  local_store *s = (local_store *)store;
  if (!s->regions_zone[0]) {
    *out = cfr_regions_builtin();
    *zone_id = NULL;
    return SQLITE_OK;
  }
  *zone_id = s->regions_zone;
  return cfr_store_api_zone_regions(s->ctx, s->regions_zone, out, err);
}

/* The pager's data version moves with every commit to the file, by this connection or another.
** Writes not yet committed do not move it. In autocommit mode those can only be the running
** statement's own; inside BEGIN … COMMIT earlier statements may have left some, so there, while the
** transaction writes, the stamp also carries the connection's write count (plus one, so that it
** never equals a stamp taken without it), which moves with every write statement. */
static int local_version(cfr_store *store, sqlite3_uint64 stamp[2]) {
  local_store *s = (local_store *)store;
  unsigned int data_version = 0;
  int rc = sqlite3_file_control(s->db, s->schema, SQLITE_FCNTL_DATA_VERSION, &data_version);
  int uncommitted = !sqlite3_get_autocommit(s->db) && sqlite3_txn_state(s->db, s->schema) == SQLITE_TXN_WRITE;
  stamp[0] = data_version;
  stamp[1] = uncommitted ? (sqlite3_uint64)sqlite3_total_changes64(s->db) + 1 : 0;
  return rc;
}

static void local_costs(cfr_store *store, double rows, double *list_cost, double *get_cost) {
  (void)store;
  *list_cost = 10.0 + rows;  /* a read of this database's pages: far cheaper than any request */
  *get_cost = 10.0;
}

static int local_rename(cfr_store *store, const char *new_name, char **err) {
  local_store *s = (local_store *)store;
  char *name = sqlite3_mprintf("%s", new_name);
  if (!name) return SQLITE_NOMEM;
  finalize_all(s); /* prepared against the old name */
  int rc = exec_shadow(s, "ALTER TABLE \"%w\".\"%w_mappings\" RENAME TO \"%w_mappings\"", new_name, err);
  if (rc != SQLITE_OK) { sqlite3_free(name); return rc; }
  sqlite3_free(s->name);
  s->name = name;
  return SQLITE_OK;
}

static int local_rename_undone(cfr_store *store, const char *old_name) {
  local_store *s = (local_store *)store;
  char *name = sqlite3_mprintf("%s", old_name);
  if (!name) return SQLITE_NOMEM;
  finalize_all(s); /* prepared against the name being undone */
  sqlite3_free(s->name);
  s->name = name;
  return SQLITE_OK;
}

static int local_destroy(cfr_store *store, char **err) {
  local_store *s = (local_store *)store;
  finalize_all(s);
  return exec_shadow(s, "DROP TABLE IF EXISTS \"%w\".\"%w_mappings\"", NULL, err);
}

static void local_close(cfr_store *store) {
  local_store *s = (local_store *)store;
  finalize_all(s);
  sqlite3_free(s->schema);
  sqlite3_free(s->name);
  sqlite3_free(s);
}

static const cfr_store_methods local_methods = {
  .transactional = 1, .list = local_list, .count = local_count, .get = local_get,
  .apply = local_apply, .regions = local_regions, .version = local_version, .costs = local_costs, .rename = local_rename, .rename_undone = local_rename_undone,
  .destroy = local_destroy, .close = local_close,
};

int cfr_store_local_open(sqlite3 *db, cfr_context *ctx, const char *schema, const char *name,
                         const char *regions_zone, int create, cfr_store **out, char **err) {
  *out = NULL;
  local_store *s = sqlite3_malloc(sizeof(*s));
  if (!s) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->base.methods = &local_methods;
  s->db = db;
  s->ctx = ctx;
  memcpy(s->regions_zone, regions_zone, sizeof(s->regions_zone));
  /* Reading a zone's list uses the user's credentials: then the table is driven by direct SQL only. */
  s->base.remote = regions_zone[0] != 0;
  s->schema = sqlite3_mprintf("%s", schema);
  s->name = sqlite3_mprintf("%s", name);
  if (!s->schema || !s->name) { local_close(&s->base); return SQLITE_NOMEM; }
  int rc = create ? exec_shadow(s, "CREATE TABLE IF NOT EXISTS \"%w\".\"%w_mappings\"(origin_ip TEXT "
                                   "PRIMARY KEY, vendor TEXT NOT NULL, region TEXT NOT NULL, "
                                   "modified_on TEXT NOT NULL) WITHOUT ROWID", NULL, err)
                  : SQLITE_OK;
  if (rc != SQLITE_OK) { local_close(&s->base); return rc; }
  *out = &s->base;
  return SQLITE_OK;
}
