/*
** vtab.c — the origin_cloud_regions virtual table: its arguments, schema and parts, and the module
** SQLite calls. See vtab.h.
**
**   CREATE VIRTUAL TABLE live USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353');
**   CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
**   CREATE VIRTUAL TABLE every USING origin_cloud_regions(zones='*');   -- every zone listed
**   SELECT vendor, count(*) FROM live GROUP BY vendor;       -- one listing
**   SELECT * FROM live WHERE origin_ip = '2001:DB8::1';      -- one GET, IP canonicalized first
**
** Columns: origin_ip TEXT (canonical), vendor, region, modified_on (read-only), and hidden zone_id.
** A one-zone table is keyed by origin_ip (WITHOUT ROWID: xUpdate gets the old IP); a multi-zone
** table by (zone_id, origin_ip), with a rowid that encodes the zone's part and the row of its view.
** This file connects the table to its parts and routes writes and transaction hooks to them;
** vtab_plan.c plans, vtab_cursor.c iterates; the parts (table.c, table_write.c) hold the rows and
** the writes.
*/
#include "vtab.h"
#include "journal.h"
#include "zones.h"

#include <string.h>

static const char one_zone_schema[] =
    "CREATE TABLE x(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL, vendor TEXT NOT NULL, "
    "region TEXT NOT NULL, modified_on TEXT, zone_id TEXT HIDDEN) WITHOUT ROWID";
static const char many_zones_schema[] =
    "CREATE TABLE x(origin_ip TEXT COLLATE ip NOT NULL, vendor TEXT NOT NULL, region TEXT NOT NULL, "
    "modified_on TEXT, zone_id TEXT HIDDEN)";

int cfr_vtab_fail(cfr_vtab *vt, int rc, char *err) {
  cfr_vtab_error(&vt->base, rc, "%s: %s", vt->name, err ? err : "out of memory");
  sqlite3_free(err);
  return rc;
}

/* ---- the zones: parts ---- */

static int grow_parts(cfr_vtab *vt) {
  cfr_table **grown = sqlite3_realloc64(vt->parts, (sqlite3_uint64)(vt->nparts + 1) * sizeof(cfr_table *));
  if (grown) vt->parts = grown;
  return grown ? SQLITE_OK : SQLITE_NOMEM;
}

static int add_part(cfr_vtab *vt, cfr_store *store) {
  if (grow_parts(vt) != SQLITE_OK) {
    store->methods->close(store);
    return SQLITE_NOMEM;
  }
  cfr_table *tab;
  int rc = cfr_table_open(&vt->base, vt->db, vt->ctx, vt->schema, vt->name, vt->journal, store, &tab);
  if (rc == SQLITE_OK) {
    tab->created_in_transaction = vt->created_in_transaction;
    vt->parts[vt->nparts++] = tab;
  }
  return rc;
}

/* Takes the part of zone_id that an earlier instance of this table still holds (SQLite connected
** the table again inside a transaction): *shared is 1 when there was one. */
static int share_part(cfr_vtab *vt, const char *zone_id, int *shared) {
  *shared = 0;
  if (grow_parts(vt) != SQLITE_OK) return SQLITE_NOMEM;
  cfr_table *tab = cfr_table_share(vt->ctx, &vt->base, vt->schema, vt->name, zone_id);
  if (tab) vt->parts[vt->nparts++] = tab;
  *shared = tab != NULL;
  return SQLITE_OK;
}

/* Makes this instance the one the parts report errors to (they may be shared: see table.h). */
void cfr_vtab_own_parts(cfr_vtab *vt) {
  for (int i = 0; i < vt->nparts; i++) vt->parts[i]->owner = &vt->base;
}

/* The zone ids of a multi-zone table given by id, or found: every zone the credentials list (of one
** account), or the one zone of a name. *ids is sqlite3 memory. */
static int zone_ids(cfr_vtab *vt, char (**ids)[CFR_ZONE_ID_LEN + 1], int *n, char **err) {
  *ids = NULL;
  *n = 0;
  const char *list = vt->args.zones;
  if (list && strcmp(list, "*") != 0) {
    int count = 1;
    for (const char *p = list; *p; p++) count += *p == ',';
    if (!(*ids = sqlite3_malloc64((sqlite3_uint64)count * sizeof(**ids)))) return SQLITE_NOMEM;
    for (const char *p = list; *n < count; p += CFR_ZONE_ID_LEN + 1) {
      memcpy((*ids)[*n], p, CFR_ZONE_ID_LEN);
      (*ids)[(*n)++][CFR_ZONE_ID_LEN] = 0;
    }
    return SQLITE_OK;
  }
  cfr_api_client *client = NULL;
  int rc = cfr_api_client_open(vt->ctx, &vt->args.api, &client, err);
  if (rc == SQLITE_OK && vt->args.zone_name) {
    *ids = sqlite3_malloc(sizeof(**ids));
    rc = *ids ? cfr_zones_resolve(client, vt->args.zone_name, (*ids)[0], err) : SQLITE_NOMEM;
    if (rc == SQLITE_OK) *n = 1;
  } else if (rc == SQLITE_OK) {
    cfr_zone_list zones = {0};
    rc = cfr_zones_list_in_statement(vt->ctx, client, NULL, vt->args.account_id[0] ? vt->args.account_id : NULL,
                                     NULL, &zones, err);
    if (rc == SQLITE_OK && zones.count > 0 &&
        !(*ids = sqlite3_malloc64((sqlite3_uint64)zones.count * sizeof(**ids))))
      rc = SQLITE_NOMEM;
    for (int i = 0; rc == SQLITE_OK && i < zones.count; i++) memcpy((*ids)[(*n)++], zones.items[i].id, sizeof(**ids));
    cfr_zone_list_clear(&zones);
  }
  cfr_api_client_close(client);
  return rc;
}

/* Opens the parts of zones the arguments name by name or by listing: on first use. */
static int resolve(cfr_vtab *vt) {
  if (vt->resolved) return SQLITE_OK;
  char (*ids)[CFR_ZONE_ID_LEN + 1] = NULL;
  char *err = NULL;
  int n = 0;
  int rc = zone_ids(vt, &ids, &n, &err);
  /* Zones an earlier instance of the table holds are shared; the others are opened. */
  int kept = 0;
  for (int i = 0, shared = 0; rc == SQLITE_OK && i < n; i++) {
    rc = share_part(vt, ids[i], &shared);
    if (rc == SQLITE_OK && !shared && kept != i) memcpy(ids[kept], ids[i], sizeof(ids[0]));
    kept += rc == SQLITE_OK && !shared;
  }
  n = kept;
  cfr_store **stores = rc == SQLITE_OK ? sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_store *)) : NULL;
  if (rc == SQLITE_OK && !stores) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = cfr_store_open_zones(vt->ctx, &vt->args.api, (const char (*)[CFR_ZONE_ID_LEN + 1])ids, n, stores, &err);
  int added = 0;
  for (; rc == SQLITE_OK && added < n; added++) rc = add_part(vt, stores[added]);
  for (int i = added + (rc != SQLITE_OK && added < n); rc != SQLITE_OK && i < n; i++) stores[i]->methods->close(stores[i]);
  for (int i = 0; rc == SQLITE_OK && i < vt->nparts; i++) rc = cfr_table_read_journal(vt->parts[i], &err);
  sqlite3_free(stores);
  sqlite3_free(ids);
  if (rc != SQLITE_OK) return cfr_vtab_fail(vt, rc, err);
  vt->resolved = 1;
  return SQLITE_OK;
}

/* Every method that reads, writes or takes part in the transaction starts here. */
int cfr_vtab_use_parts(cfr_vtab *vt) {
  int rc = resolve(vt);
  cfr_vtab_own_parts(vt);
  return rc;
}

/* The part holding zone_id, or -1. */
int cfr_vtab_part_of_zone(const cfr_vtab *vt, const char *zone_id) {
  for (int i = 0; zone_id && i < vt->nparts; i++)
    if (sqlite3_stricmp(vt->parts[i]->store->zone_id, zone_id) == 0) return i;
  return -1;
}

/* ---- create, connect, destroy, rename ---- */

static void free_vtab(cfr_vtab *vt) {
  if (!vt) return;
  for (int i = 0; i < vt->nparts; i++) cfr_table_unref(vt->parts[i]);
  sqlite3_free(vt->parts);
  cfr_args_clear(&vt->args);
  sqlite3_free(vt->journal);
  sqlite3_free(vt->schema);
  sqlite3_free(vt->name);
  sqlite3_free(vt);
}

/* The parts known from the arguments alone (a local table, zone_id=, zones='id,…'). */
static int open_known_parts(cfr_vtab *vt, int create, char **err) {
  if (vt->args.store == CFR_STORE_LOCAL || vt->args.api.zone_id[0]) {
    const char *zone_id = vt->args.store == CFR_STORE_LOCAL ? "" : vt->args.api.zone_id;
    int shared = 0;
    int rc = create ? SQLITE_OK : share_part(vt, zone_id, &shared);
    vt->resolved = 1;
    if (rc != SQLITE_OK || shared) return rc;
    cfr_store *store = NULL;
    rc = cfr_store_open(vt->db, vt->ctx, vt->schema, vt->name, &vt->args, create, &store, err);
    if (rc == SQLITE_OK) rc = add_part(vt, store);
    if (rc == SQLITE_OK) rc = cfr_table_read_journal(vt->parts[0], err);
    return rc;
  }
  return SQLITE_OK; /* found on first use: resolve() */
}

static int connect_vtab(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                        char **err, int create) {
  cfr_vtab *vt = sqlite3_malloc(sizeof(*vt));
  if (!vt) return SQLITE_NOMEM;
  memset(vt, 0, sizeof(*vt));
  vt->db = db;
  vt->ctx = aux;
  vt->schema = sqlite3_mprintf("%s", argv[1]);
  vt->name = sqlite3_mprintf("%s", argv[2]);
  char *why = NULL;
  int rc = (!vt->schema || !vt->name) ? SQLITE_NOMEM : SQLITE_OK;
  if (rc == SQLITE_OK && cfr_args_parse(argc, argv, &vt->args, &why) != 0) rc = SQLITE_ERROR;
  vt->multi = vt->args.zones != NULL;
  if (rc == SQLITE_OK) rc = sqlite3_declare_vtab(db, vt->multi ? many_zones_schema : one_zone_schema);
  if (rc == SQLITE_OK && vt->args.store == CFR_STORE_API) rc = cfr_journal_path(db, vt->schema, &vt->journal);
  vt->created_in_transaction = create && !sqlite3_get_autocommit(db);
  if (rc == SQLITE_OK && create) cfr_table_forsake(vt->ctx, vt->schema, vt->name);
  if (rc == SQLITE_OK) rc = open_known_parts(vt, create, &why);
  if (rc != SQLITE_OK) {
    if (why) *err = sqlite3_mprintf("%s: %s", argv[2], why);
    sqlite3_free(why);
    free_vtab(vt);
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  /* A table that talks to the network with the user's credentials is never driven from a trigger
  ** or view in a schema the user did not write themselves. */
  if (cfr_store_is_remote(&vt->args)) sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &vt->base;
  return SQLITE_OK;
}

static int vtab_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                       char **err) {
  return connect_vtab(db, aux, argc, argv, out, err, 1);
}

static int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                        char **err) {
  return connect_vtab(db, aux, argc, argv, out, err, 0);
}

static int vtab_disconnect(sqlite3_vtab *base) {
  free_vtab((cfr_vtab *)base);
  return SQLITE_OK;
}

static int vtab_destroy(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  /* A DROP inside a savepoint may be undone by ROLLBACK TO, and SQLite would then bring the table
  ** back without telling this instance: writes pending from before the DROP would be lost. The
  ** DROP statement opens a savepoint of its own, so more than one level means a user savepoint.
  ** SQLite drops the message of a failing xDestroy and says "database table is locked", as it does
  ** for a table in use: the README explains it. */
  for (int i = 0; i < vt->nparts; i++) {
    cfr_table *tab = vt->parts[i];
    if (tab->tx == CFR_TX_OPEN && tab->current && cfr_view_has_changes(tab->current->view) && tab->savepoints > 1)
      return cfr_vtab_error(&vt->base, SQLITE_LOCKED,
                            "%s: cannot DROP a table with writes pending inside a savepoint (ROLLBACK TO could not "
                            "bring them back): RELEASE the savepoint or COMMIT first", vt->name);
  }
  for (int i = 0; i < vt->nparts; i++) {
    cfr_store *store = vt->parts[i]->store;
    char *err = NULL;
    int rc = store->methods->destroy ? store->methods->destroy(store, &err) : SQLITE_OK;
    if (rc != SQLITE_OK) return cfr_vtab_fail(vt, rc, err);
    cfr_table_drop(vt->parts[i]);
  }
  free_vtab(vt);
  return SQLITE_OK;
}

static int vtab_shadow_name(const char *suffix) { return cfr_store_is_shadow_name(suffix); }

/* ALTER TABLE … RENAME: each store moves whatever it keeps under the table's name (as FTS5 renames
** its shadow tables); the unapplied list and the journal follow. */
static int vtab_rename(sqlite3_vtab *base, const char *new_name) {
  cfr_vtab *vt = (cfr_vtab *)base;
  char *name = sqlite3_mprintf("%s", new_name);
  if (!name) return SQLITE_NOMEM;
  char *err = NULL;
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < vt->nparts; i++) {
    cfr_store *store = vt->parts[i]->store;
    if (store->methods->rename) rc = store->methods->rename(store, new_name, &err);
    if (rc == SQLITE_OK) rc = cfr_table_rename(vt->parts[i], new_name);
  }
  if (rc == SQLITE_OK) rc = cfr_context_rename_unapplied(vt->ctx, vt->schema, vt->name, new_name);
  if (rc == SQLITE_OK) rc = cfr_journal_rename(vt->journal, vt->name, new_name, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(name);
    return cfr_vtab_fail(vt, rc, sqlite3_mprintf("cannot rename: %z", err));
  }
  sqlite3_free(vt->name);
  vt->name = name;
  return SQLITE_OK;
}


/* ---- writes: routed to the zone's part (table_write.c) ---- */

/* The part and IP of a multi-zone row by its rowid; NULL when it names none. */
static cfr_table *row_by_rowid(cfr_vtab *vt, sqlite3_value *v, const char **ip) {
  sqlite3_int64 rowid = sqlite3_value_int64(v);
  sqlite3_int64 part = (rowid >> 32) - 1, row = rowid & 0xffffffff;
  if (part < 0 || part >= vt->nparts || !vt->parts[part]->current) return NULL;
  cfr_view *view = vt->parts[part]->current->view;
  *ip = cfr_view_row(view, (int)row)->origin_ip;
  return vt->parts[part];
}

static int refuse(cfr_vtab *vt, const char *why) {
  int ignoring = sqlite3_vtab_on_conflict(vt->db) == SQLITE_IGNORE;
  return cfr_vtab_error(&vt->base, ignoring ? SQLITE_ERROR : SQLITE_CONSTRAINT_CHECK, "%s: %s", vt->name, why);
}

/* The part a new row goes to, by its zone_id column. */
static int part_for_new_row(cfr_vtab *vt, sqlite3_value *zone, cfr_table **out) {
  const char *text = (const char *)sqlite3_value_text(zone);
  if (!vt->multi) {
    const char *own = vt->parts[0]->store->zone_id;
    if (sqlite3_value_type(zone) != SQLITE_NULL && (!own[0] || sqlite3_stricmp(text, own) != 0))
      return refuse(vt, own[0] ? "zone_id names another zone than the table's" : "a local table has no zone_id");
    *out = vt->parts[0];
    return SQLITE_OK;
  }
  int p = cfr_vtab_part_of_zone(vt, text);
  if (p < 0)
    return refuse(vt, text ? "zone_id is not one of the table's zones" : "zone_id is NULL: an INSERT into a "
                                                                         "multi-zone table names the zone");
  *out = vt->parts[p];
  return SQLITE_OK;
}

/* A write statement over many zones checks each new row against its zone's supported regions:
** on its first row, the lists of every zone the statement has read are fetched together, not one
** round trip per zone as its rows reach each zone. */
static void prefetch_regions(cfr_vtab *vt) {
  sqlite3_int64 run;
  sqlite3_stmt *stmt = cfr_writing_statement(vt->db, &run);
  if (!vt->multi || (stmt == vt->prefetched && run == vt->prefetched_run)) return;
  vt->prefetched = stmt;
  vt->prefetched_run = run;
  cfr_store **read = sqlite3_malloc64((sqlite3_uint64)(vt->nparts ? vt->nparts : 1) * sizeof(cfr_store *));
  int n = 0;
  for (int i = 0; read && i < vt->nparts; i++)
    if (vt->parts[i]->current) read[n++] = vt->parts[i]->store;
  if (n > 1 && read[0]->methods->prefetch_regions) read[0]->methods->prefetch_regions(read, n);
  sqlite3_free(read);
}

/* WITHOUT ROWID (one zone): argv[0] is the old origin_ip (NULL for INSERT); argv[2..] the new
** columns. Rowid (several zones): argv[0] the old rowid, argv[1] the new one. */
static int vtab_update(sqlite3_vtab *base, int argc, sqlite3_value **argv, sqlite3_int64 *rowid) {
  cfr_vtab *vt = (cfr_vtab *)base;
  int rc = cfr_vtab_use_parts(vt);
  if (rc != SQLITE_OK) return rc;
  if (vt->nparts == 0) return refuse(vt, "the table spans no zone");
  if (vt->args.readonly) return cfr_table_refuse_readonly(vt->parts[0]);
  prefetch_regions(vt);
  int inserting = sqlite3_value_type(argv[0]) == SQLITE_NULL;
  const char *old_ip = NULL;
  cfr_table *old = vt->parts[0];
  if (!inserting && vt->multi && !(old = row_by_rowid(vt, argv[0], &old_ip))) return refuse(vt, "no such row");
  if (!inserting && !vt->multi) old_ip = (const char *)sqlite3_value_text(argv[0]);
  if (argc == 1) return cfr_table_delete(old, old_ip);
  cfr_table *target = old;
  /* An UPDATE that does not assign zone_id passes no value for it: the row stays in its zone. */
  if ((inserting || !sqlite3_value_nochange(argv[2 + COL_ZONE_ID])) &&
      (rc = part_for_new_row(vt, argv[2 + COL_ZONE_ID], &target)) != SQLITE_OK)
    return rc;
  if (inserting) {
    rc = cfr_table_insert(target, &argv[2]);
    *rowid = 0;
    return rc;
  }
  if (target != old) return refuse(vt, "a mapping cannot move to another zone by UPDATE: DELETE it and INSERT it there");
  if (vt->multi && sqlite3_value_int64(argv[1]) != sqlite3_value_int64(argv[0])) return refuse(vt, "rowid cannot be written");
  return cfr_table_update(target, old_ip, &argv[2]);
}

/* ---- transactions: every part ---- */

static int vtab_begin(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  int rc = cfr_vtab_use_parts(vt);
  for (int i = 0; rc == SQLITE_OK && i < vt->nparts; i++) rc = cfr_table_begin(vt->parts[i]);
  return rc;
}

static int vtab_sync(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  /* Every zone's COMMIT goes out together; a zone that cannot apply everything fails the COMMIT,
  ** with what the other zones applied staying applied (the API cannot roll back). */
  cfr_vtab_own_parts(vt);
  return cfr_table_sync_parts(vt->parts, vt->nparts);
}

static int vtab_commit(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  for (int i = 0; i < vt->nparts; i++) cfr_table_commit(vt->parts[i]);
  return SQLITE_OK;
}

static int vtab_rollback(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  cfr_vtab_own_parts(vt);
  int rc = SQLITE_OK;
  for (int i = 0; i < vt->nparts; i++) {
    int part_rc = cfr_table_rollback(vt->parts[i]);
    if (rc == SQLITE_OK) rc = part_rc;
  }
  return rc;
}

static int vtab_savepoint(sqlite3_vtab *base, int level) {
  cfr_vtab *vt = (cfr_vtab *)base;
  for (int i = 0; i < vt->nparts; i++) cfr_table_savepoint(vt->parts[i], level);
  return SQLITE_OK;
}

static int vtab_release(sqlite3_vtab *base, int level) {
  cfr_vtab *vt = (cfr_vtab *)base;
  for (int i = 0; i < vt->nparts; i++) cfr_table_release(vt->parts[i], level);
  return SQLITE_OK;
}

static int vtab_rollback_to(sqlite3_vtab *base, int level) {
  cfr_vtab *vt = (cfr_vtab *)base;
  for (int i = 0; i < vt->nparts; i++) cfr_table_rollback_to(vt->parts[i], level);
  return SQLITE_OK;
}

static sqlite3_module vtab_module = {
  .iVersion = 3,
  .xCreate = vtab_create,
  .xConnect = vtab_connect,
  .xBestIndex = cfr_vtab_best_index,
  .xDisconnect = vtab_disconnect,
  .xDestroy = vtab_destroy,
  .xOpen = cfr_vtab_cursor_open,
  .xClose = cfr_vtab_cursor_close,
  .xFilter = cfr_vtab_cursor_filter,
  .xNext = cfr_vtab_cursor_next,
  .xEof = cfr_vtab_cursor_eof,
  .xColumn = cfr_vtab_cursor_column,
  .xRowid = cfr_vtab_cursor_rowid,
  .xUpdate = vtab_update,
  .xBegin = vtab_begin,
  .xSync = vtab_sync,
  .xCommit = vtab_commit,
  .xRollback = vtab_rollback,
  .xRename = vtab_rename,
  .xSavepoint = vtab_savepoint,
  .xRelease = vtab_release,
  .xRollbackTo = vtab_rollback_to,
  .xShadowName = vtab_shadow_name,
};

int cfr_table_register(sqlite3 *db, cfr_context *ctx) {
  return sqlite3_create_module_v2(db, "origin_cloud_regions", &vtab_module, ctx, cfr_context_free);
}
