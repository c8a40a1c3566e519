/*
** vtab.c — the origin_cloud_regions virtual table. See vtab.h.
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
** This file plans and iterates; the parts (table.c, table_write.c) hold the rows and the writes.
*/
#include "vtab.h"
#include "journal.h"
#include "snapshot.h"
#include "zones.h"

#include <math.h>
#include <string.h>

/* idxNum bits */
#define PLAN_IP_EQ   1   /* argv: one origin_ip value */
#define PLAN_IP_IN   2   /* argv: the IN list, read with sqlite3_vtab_in_first/next */
#define PLAN_LIMIT   4
#define PLAN_OFFSET  8
#define PLAN_DESC    16  /* ORDER BY origin_ip DESC, consumed */
#define PLAN_LO      32  /* argv: a lower bound on origin_ip (>=, or > with PLAN_LO_OPEN) */
#define PLAN_LO_OPEN 64
#define PLAN_HI      128 /* argv: an upper bound (<=, or < with PLAN_HI_OPEN) */
#define PLAN_HI_OPEN 256
#define PLAN_ZONE_EQ 512  /* argv (first): one zone_id value */
#define PLAN_ZONE_IN 1024 /* argv (first): the zone_id IN list */

#define IN_LIST_GUESS 10   /* an IN list's length is unknown when planning */
#define REPEATED_LOOKUPS_AMORTIZED 1000.0 /* how much cheaper a lookup is when repeated by a join */
#define REQUEST_COST 10000.0

static const char one_zone_schema[] =
    "CREATE TABLE x(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL, vendor TEXT NOT NULL, "
    "region TEXT NOT NULL, modified_on TEXT, zone_id TEXT HIDDEN) WITHOUT ROWID";
static const char many_zones_schema[] =
    "CREATE TABLE x(origin_ip TEXT COLLATE ip NOT NULL, vendor TEXT NOT NULL, region TEXT NOT NULL, "
    "modified_on TEXT, zone_id TEXT HIDDEN)";

static int vtab_error(cfr_vtab *vt, int rc, char *err) {
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
  if (rc == SQLITE_OK) vt->parts[vt->nparts++] = tab;
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
static void own_parts(cfr_vtab *vt) {
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
    rc = cfr_zones_list_in_statement(vt->db, vt->ctx, client, NULL, vt->args.account_id[0] ? vt->args.account_id : NULL,
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
  if (rc != SQLITE_OK) return vtab_error(vt, rc, err);
  vt->resolved = 1;
  return SQLITE_OK;
}

/* Every method that reads, writes or takes part in the transaction starts here. */
static int use_parts(cfr_vtab *vt) {
  int rc = resolve(vt);
  own_parts(vt);
  return rc;
}

/* The part holding zone_id, or -1. */
static int part_of_zone(const cfr_vtab *vt, const char *zone_id) {
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
    vt->resolved = 1;
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
  for (int i = 0; i < vt->nparts; i++) {
    cfr_store *store = vt->parts[i]->store;
    char *err = NULL;
    int rc = store->methods->destroy ? store->methods->destroy(store, &err) : SQLITE_OK;
    if (rc != SQLITE_OK) return vtab_error(vt, rc, err);
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
    return vtab_error(vt, rc, sqlite3_mprintf("cannot rename: %z", err));
  }
  sqlite3_free(vt->name);
  vt->name = name;
  return SQLITE_OK;
}

/* ---- planning ---- */

/* The constraints the plan can use: zone_id and origin_ip equalities (or IN), an origin_ip range,
** LIMIT and OFFSET. */
typedef struct usable_constraints {
  int zone, ip, lo, hi, limit, offset;  /* indices into aConstraint, or -1 */
  int other;                            /* constraints left for SQLite to check */
} usable_constraints;

/* A comparison of origin_ip that the table can answer: it compares as the ip collation does. One
** under another collation (… = '2001:DB8::A' COLLATE binary) is left to SQLite. */
static int ip_comparison(sqlite3_index_info *info, int i) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  const char *collation = sqlite3_vtab_collation(info, i);
  return c->usable && c->iColumn == COL_ORIGIN_IP && collation && sqlite3_stricmp(collation, "ip") == 0;
}

static int *slot_for(sqlite3_index_info *info, int i, usable_constraints *u) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  if (c->usable && c->iColumn == COL_ZONE_ID && c->op == SQLITE_INDEX_CONSTRAINT_EQ) return &u->zone;
  if (!ip_comparison(info, i)) return NULL;
  if (c->op == SQLITE_INDEX_CONSTRAINT_EQ) return &u->ip;
  if (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE) return &u->lo;
  if (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE) return &u->hi;
  return NULL;
}

static void find_constraints(sqlite3_index_info *info, usable_constraints *u) {
  u->zone = u->ip = u->lo = u->hi = u->limit = u->offset = -1;
  u->other = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) { if (c->usable) u->limit = i; continue; }
    if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) { if (c->usable) u->offset = i; continue; }
    int *slot = slot_for(info, i, u);
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

/* Costs of a listing of every known zone (their requests go out together, 8 at a time) and of one
** lookup; before the zones are known, those of one API zone. */
static void costs(const cfr_vtab *vt, double *list_cost, double *get_cost, double *rows) {
  *list_cost = 0;
  *rows = 0;
  *get_cost = REQUEST_COST;
  for (int i = 0; i < vt->nparts; i++) {
    cfr_table *p = vt->parts[i];
    double l, g;
    p->store->methods->costs(p->store, p->estimated_rows, &l, &g);
    *list_cost += l / (vt->nparts > 1 ? 8 : 1);
    *get_cost = g;
    *rows += p->estimated_rows;
  }
  if (vt->nparts == 0) {
    *list_cost = 10 * REQUEST_COST;
    *rows = 1000;
  }
}

/* The plan's idxNum bits; *order_consumed: ORDER BY origin_ip [DESC] needs no sort. */
static int choose_plan(cfr_vtab *vt, sqlite3_index_info *info, int *order_consumed) {
  usable_constraints u;
  find_constraints(info, &u);
  double list_cost, get_cost, rows;
  costs(vt, &list_cost, &get_cost, &rows);
  int plan = 0, argv_next = 1, zones = vt->nparts > 0 ? vt->nparts : 1;
  if (u.zone >= 0) {
    use_constraint(info, u.zone, &argv_next);
    int in = sqlite3_vtab_in(info, u.zone, -1) && sqlite3_vtab_in(info, u.zone, 1);
    plan |= in ? PLAN_ZONE_IN : PLAN_ZONE_EQ;
    double share = (in ? IN_LIST_GUESS : 1.0) / zones;
    if (share < 1) { list_cost *= share; rows *= share; }
  }
  /* A table that may hold rows never claims to hold none: SQLite would then put it outside the
  ** loop of a join and scan it once per outer row. */
  if (rows < 1) rows = 1;
  if (u.ip >= 0) {
    /* Lookups canonicalize the value first, so SQLite must not re-check it with a text compare.
    ** Lookups that keep coming (a join's inner loop) turn into one listing after a few
    ** (snapshot.c): per outer row they cost little, which is what is reported. (A join that SQLite
    ** would otherwise answer with an automatic index over the other table could miss rows whose IP
    ** is spelled differently: 3.40's Bloom filter there compares bytes, not addresses.) */
    use_constraint(info, u.ip, &argv_next);
    get_cost /= REPEATED_LOOKUPS_AMORTIZED;
    if (sqlite3_vtab_in(info, u.ip, -1) && sqlite3_vtab_in(info, u.ip, 1)) {
      plan |= PLAN_IP_IN;
      info->estimatedCost = fmin(IN_LIST_GUESS * get_cost, list_cost);
      info->estimatedRows = IN_LIST_GUESS;
    } else {
      plan |= PLAN_IP_EQ;
      info->estimatedCost = get_cost * (u.zone >= 0 ? 1 : zones);
      info->estimatedRows = 1;
      if (!vt->multi || u.zone >= 0) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
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
    info->estimatedRows = (sqlite3_int64)(rows / ((u.lo >= 0) + (u.hi >= 0) + 1)) + 1;
  } else {
    info->estimatedCost = list_cost;
    info->estimatedRows = (sqlite3_int64)rows;
  }
  /* Rows come out in the ip collation's order, which is origin_ip's, zone by zone: ORDER BY
  ** origin_ip [DESC] needs no sort when one zone is read. (SQLite passes ORDER BY origin_ip COLLATE
  ** other only as no ORDER BY at all.) */
  *order_consumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_ORIGIN_IP &&
                    (!vt->multi || (plan & PLAN_ZONE_EQ));
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
  const char *zone = (plan & PLAN_ZONE_IN) ? "zone_id IN (...): " : (plan & PLAN_ZONE_EQ) ? "zone_id = ?: " : "";
  const char *access = (plan & PLAN_IP_IN)            ? "lookup origin_ip IN (...)"
                       : (plan & PLAN_IP_EQ)          ? "lookup origin_ip = ?"
                       : (plan & (PLAN_LO | PLAN_HI)) ? "listing of an origin_ip range"
                                                      : "full listing";
  const char *order = !order_consumed ? "" : (plan & PLAN_DESC) ? " ORDER BY origin_ip DESC" : " ORDER BY origin_ip";
  return sqlite3_mprintf("%s%s%s%s%s", zone, access, order, (plan & PLAN_LIMIT) ? " LIMIT" : "",
                         (plan & PLAN_OFFSET) ? " OFFSET" : "");
}

static int vtab_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
  int order_consumed;
  int plan = choose_plan((cfr_vtab *)base, info, &order_consumed);
  info->idxNum = plan;
  info->idxStr = describe_plan(plan, order_consumed);
  info->needToFreeIdxStr = 1;
  return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}

/* ---- cursors ---- */

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

static int cursor_close(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  for (int i = 0; i < cur->nparts; i++) cfr_table_release_view(vt->parts[i], cur->shared[i]);
  sqlite3_free(cur->shared);
  sqlite3_free(cur->rows);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int cursor_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
  cfr_vtab *vt = (cfr_vtab *)base;
  int rc = use_parts(vt);
  if (rc != SQLITE_OK) return rc;
  cfr_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->base.pVtab = base;
  cur->shared = sqlite3_malloc64((sqlite3_uint64)(vt->nparts ? vt->nparts : 1) * sizeof(cfr_shared_view *));
  rc = cur->shared ? SQLITE_OK : SQLITE_NOMEM;
  for (; rc == SQLITE_OK && cur->nparts < vt->nparts; cur->nparts++)
    rc = cfr_table_acquire_view(vt->parts[cur->nparts], &cur->shared[cur->nparts]);
  if (rc != SQLITE_OK) {
    cursor_close(&cur->base);
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
    int p = part_of_zone(vt, zones[z]);
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

static int filter_by_ip(cfr_vtab *vt, cfr_cursor *cur, int plan, sqlite3_value *arg, const int *selected) {
  char (*ips)[CFR_IP_TEXT_MAX];
  int n;
  int rc = collect_values(plan & PLAN_IP_IN, 0, arg, &ips, &n);
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
  cfr_store **stores = sqlite3_malloc64((sqlite3_uint64)(vt->nparts ? vt->nparts : 1) * sizeof(cfr_store *));
  cfr_view **views = sqlite3_malloc64((sqlite3_uint64)(vt->nparts ? vt->nparts : 1) * sizeof(cfr_view *));
  int rc = stores && views ? SQLITE_OK : SQLITE_NOMEM, k = 0;
  for (int p = 0; rc == SQLITE_OK && p < vt->nparts; p++) {
    if (!selected[p]) continue;
    stores[k] = vt->parts[p]->store;
    views[k++] = view_of(cur, p);
  }
  char *err = NULL;
  if (rc == SQLITE_OK) rc = cfr_snapshot_complete_many(stores, views, k, &err);
  if (rc != SQLITE_OK) rc = vtab_error(vt, rc, err);
  for (int p = 0; rc == SQLITE_OK && p < vt->nparts; p++) {
    if (!selected[p]) continue;
    int *rows, nrows;
    rc = cfr_view_sorted(view_of(cur, p), &rows, &nrows);
    if (rc == SQLITE_OK) rc = append_rows(cur, p, rows, nrows);
    sqlite3_free(rows);
    cfr_table_note_size(vt->parts[p], view_of(cur, p));
  }
  sqlite3_free(stores);
  sqlite3_free(views);
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

static int cursor_filter(sqlite3_vtab_cursor *base, int plan, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr; (void)argc;
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  own_parts(vt);
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

static int cursor_next(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cur->pos++;
  skip_absent(cur);
  return SQLITE_OK;
}

static int cursor_eof(sqlite3_vtab_cursor *base) {
  cfr_cursor *cur = (cfr_cursor *)base;
  return cur->pos >= cur->nrows;
}

static int cursor_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  const cfr_row *row = row_at(cur, cur->pos);
  switch (col) {
    case COL_ORIGIN_IP: sqlite3_result_text(ctx, row->origin_ip, -1, SQLITE_TRANSIENT); break;
    case COL_VENDOR: sqlite3_result_text(ctx, row->cur.vendor, -1, SQLITE_TRANSIENT); break;
    case COL_REGION: sqlite3_result_text(ctx, row->cur.region, -1, SQLITE_TRANSIENT); break;
    case COL_MODIFIED_ON:
      /* Left unset during an UPDATE that does not assign it, so xUpdate can tell it was not written. */
      if (sqlite3_vtab_nochange(ctx)) break;
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
static int cursor_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  cfr_cursor *cur = (cfr_cursor *)base;
  cfr_vtab *vt = (cfr_vtab *)base->pVtab;
  const cfr_pos *p = &cur->rows[cur->pos];
  *rowid = vt->multi ? ((sqlite3_int64)(p->part + 1) << 32) | (sqlite3_int64)p->row : cur->pos;
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
  int p = part_of_zone(vt, text);
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
  int run;
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
  int rc = use_parts(vt);
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
  cfr_table *target = NULL;
  if ((rc = part_for_new_row(vt, argv[2 + COL_ZONE_ID], &target)) != SQLITE_OK) return rc;
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
  int rc = use_parts(vt);
  for (int i = 0; rc == SQLITE_OK && i < vt->nparts; i++) rc = cfr_table_begin(vt->parts[i]);
  return rc;
}

static int vtab_sync(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  /* Every zone's COMMIT goes out together; a zone that cannot apply everything fails the COMMIT,
  ** with what the other zones applied staying applied (the API cannot roll back). */
  own_parts(vt);
  return cfr_table_sync_parts(vt->parts, vt->nparts);
}

static int vtab_commit(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  for (int i = 0; i < vt->nparts; i++) cfr_table_commit(vt->parts[i]);
  return SQLITE_OK;
}

static int vtab_rollback(sqlite3_vtab *base) {
  cfr_vtab *vt = (cfr_vtab *)base;
  own_parts(vt);
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
  .xBestIndex = vtab_best_index,
  .xDisconnect = vtab_disconnect,
  .xDestroy = vtab_destroy,
  .xOpen = cursor_open,
  .xClose = cursor_close,
  .xFilter = cursor_filter,
  .xNext = cursor_next,
  .xEof = cursor_eof,
  .xColumn = cursor_column,
  .xRowid = cursor_rowid,
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
