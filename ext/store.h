/*
** store.h — the interface between the origin_cloud_regions SQL layer and where mappings live.
**
** Two implementations: the local store (a shadow table in the database, store_local.c) and the API
** store (Cloudflare's API, v1 or v2, store_api.c). The SQL layer owns snapshots, the write buffer,
** coalescing, validation and the COMMIT order; a store lists, looks up, applies batches of at most
** CFR_BATCH_MAX changes reporting a result for every item, names the regions it accepts, and owns
** whatever it keeps in the database (its shadow tables: creation, renaming, dropping), as FTS5's
** storage layer does. The SQL layer never asks which store it has.
*/
#ifndef CFREGIONS_STORE_H
#define CFREGIONS_STORE_H

#include "args.h"
#include "cfregions_int.h"
#include "regions.h"

/* Cloudflare's limits, which both stores enforce alike. */
#define CFR_BATCH_MAX 100          /* items per batch request */
#define CFR_ZONE_MAX_MAPPINGS 3500 /* mappings per zone (error 1164) */

#define CFR_TIME_MAX 40            /* RFC 3339 timestamp, NUL included */
#define CFR_ERROR_MAX 256          /* per-item error text */

typedef struct cfr_mapping {
  char origin_ip[CFR_IP_TEXT_MAX];   /* canonical */
  char vendor[CFR_VENDOR_MAX];
  char region[CFR_REGION_MAX];
  char modified_on[CFR_TIME_MAX];    /* "" when unknown */
} cfr_mapping;

typedef struct cfr_mapping_list {
  cfr_mapping *items;
  int count;
  int capacity;
} cfr_mapping_list;

void cfr_mapping_list_clear(cfr_mapping_list *list);
/* Appends a copy; returns SQLITE_OK or SQLITE_NOMEM. */
int cfr_mapping_list_push(cfr_mapping_list *list, const cfr_mapping *m);

typedef enum cfr_change_kind { CFR_UPSERT = 1, CFR_DELETE = 2 } cfr_change_kind;

/* One item of a batch; `applied` and `error` are filled by the store. */
typedef struct cfr_change {
  cfr_change_kind kind;
  cfr_mapping mapping;               /* the end state; for deletes only origin_ip matters */
  int existed;                       /* the IP had a mapping in the transaction's snapshot: */
  char old_vendor[CFR_VENDOR_MAX];   /* ... this one */
  char old_region[CFR_REGION_MAX];
  int applied;                       /* 1 applied, 0 not */
  char error[CFR_ERROR_MAX];         /* why not, when applied == 0 */
} cfr_change;

/* One request's worth of changes: at most CFR_BATCH_MAX of one kind. The store sets rc (SQLITE_OK
** when the request was answered, even if items failed) and err (sqlite3 memory, when rc is not OK);
** `sent` is 0 for a batch the store did not send because an earlier one of the same call failed. */
typedef struct cfr_batch {
  cfr_change *changes;
  int n;
  int sent;
  int rc;
  char *err;
} cfr_batch;

typedef struct cfr_store cfr_store;

/* Told of each batch as soon as its outcome is known (for progress shown while a step runs). */
typedef struct cfr_batch_listener {
  void (*done)(void *arg, const cfr_batch *batch);
  void *arg;
} cfr_batch_listener;

typedef struct cfr_store_methods {
  /* 1 when batches are applied inside the database transaction, so that a failed COMMIT applies
  ** nothing; 0 for a remote store, where items applied before a failure stay applied. */
  int transactional;
  /* Every mapping. */
  int (*list)(cfr_store *store, cfr_mapping_list *out, char **err);
  /* Every mapping of n stores of the same kind opened together (the zones of a multi-zone table),
  ** lists[i] for stores[i], their requests sent together. May be NULL. */
  int (*list_together)(cfr_store **stores, int n, cfr_mapping_list *lists, char **err);
  /* The store's total number of mappings and possibly the start of a listing, for writes that need
  ** the count but not every row; *complete = 1 when `out` is the whole store. May be NULL. */
  int (*count)(cfr_store *store, cfr_mapping_list *out, int *total, int *complete, char **err);
  /* One mapping: *found = 0 when the IP has none. */
  int (*get)(cfr_store *store, const char *origin_ip, cfr_mapping *out, int *found, char **err);
  /* n lookups at once (out[i], found[i] answer ips[i]), for a store that can overlap them. May be
  ** NULL. */
  int (*get_many)(cfr_store *store, const char (*ips)[CFR_IP_TEXT_MAX], int n, cfr_mapping *out,
                  int *found, char **err);
  /* The same n lookups in each of nstores stores opened together (the zones of a multi-zone table),
  ** their requests sent together: out[s * n + i], found[s * n + i] answer ips[i] in stores[s].
  ** May be NULL. */
  int (*get_together)(cfr_store **stores, int nstores, const char (*ips)[CFR_IP_TEXT_MAX], int n,
                      cfr_mapping *out, int *found, char **err);
  /* Applies the batches of one step of a COMMIT, concurrently where the store can. Once a batch's
  ** request fails, batches not yet sent are left unsent. Never marks an item applied unless it is.
  ** An applied upsert's mapping.modified_on is the store's stamp when the store tells it, else "". */
  void (*apply)(cfr_store *store, cfr_batch *batches, int n, const cfr_batch_listener *listener);
  /* The same for the batches of n stores opened together (batches[i] for stores[i], the zones of
  ** a multi-zone table), their requests sent together. A failed request stops only the batches of
  ** its own store. May be NULL. */
  void (*apply_together)(cfr_store **stores, cfr_batch **batches, int n, const cfr_batch_listener *listener);
  /* The list to validate regions against, owned by the store (or the connection), and the zone
  ** whose list it is (NULL: the built-in list), for pointing the user to it. */
  int (*regions)(cfr_store *store, const cfr_regions **out, const char **zone_id, char **err);
  /* Fetches the region lists of n stores opened together that regions() would fetch one by one,
  ** their requests sent together. Best effort: a list it could not get is fetched again by
  ** regions(), which reports the failure. May be NULL. */
  void (*prefetch_regions)(cfr_store **stores, int n);
  /* A stamp that changes whenever the store's content may have changed (a commit by any
  ** connection, a write on this one), so that a complete snapshot may serve later statements while
  ** it is unchanged. NULL for a store whose content changes unseen (a server). */
  int (*version)(cfr_store *store, sqlite3_uint64 stamp[2]);
  /* Estimated costs, for xBestIndex: a listing of `rows` mappings, and one lookup. */
  void (*costs)(cfr_store *store, double rows, double *list_cost, double *get_cost);
  /* ALTER TABLE … RENAME: moves the store's persistent state to the new table name. May be NULL. */
  int (*rename)(cfr_store *store, const char *new_name, char **err);
  /* The rename was rolled back with the transaction (SQLite undid the DDL): the store goes by
  ** old_name again, touching nothing. May be NULL. */
  int (*rename_undone)(cfr_store *store, const char *old_name);
  /* Removes the store's persistent state (DROP TABLE). May be NULL. */
  int (*destroy)(cfr_store *store, char **err);
  void (*close)(cfr_store *store);
} cfr_store_methods;

struct cfr_store {
  const cfr_store_methods *methods;
  char zone_id[CFR_ZONE_ID_LEN + 1]; /* the zone the store writes to; "" for a local store */
  /* 1 when the store talks to a server with the user's credentials: a table over it must never be
  ** driven by a schema object (trigger, view) of a database file someone else wrote. */
  int remote;
};

/* Opens the store for table `name` of database `schema` as args say; create: CREATE VIRTUAL TABLE
** (the store makes its persistent state). */
int cfr_store_open(sqlite3 *db, cfr_context *ctx, const char *schema, const char *name,
                   const cfr_table_args *args, int create, cfr_store **out, char **err);
/* Opens the stores of n zones of one API table (settings' zone_id is ignored), sharing one
** connection pool so that their requests can go out together. */
int cfr_store_open_zones(cfr_context *ctx, const cfr_api_settings *settings,
                         const char (*zone_ids)[CFR_ZONE_ID_LEN + 1], int n, cfr_store **out, char **err);
/* Whether tables opened with args read or write with the user's credentials. */
int cfr_store_is_remote(const cfr_table_args *args);

/* Whether a table named "<vtab>_<suffix>" belongs to some store (xShadowName). */
int cfr_store_is_shadow_name(const char *suffix);

#endif
