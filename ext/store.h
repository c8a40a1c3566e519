/*
** store.h — the interface between the origin_cloud_regions SQL layer and where mappings live.
**
** Two implementations: the local store (shadow tables in the database, store_local.c) and the API
** store (Cloudflare's API, v1 or v2, store_api.c). The SQL layer owns snapshots, the write buffer,
** coalescing, validation and batching; a store only lists, gets and applies batches of at most
** CFR_BATCH_MAX changes, reporting a result for every item.
*/
#ifndef CFREGIONS_STORE_H
#define CFREGIONS_STORE_H

#include "cfregions_int.h"
#include "regions.h"

#define CFR_BATCH_MAX 100          /* items per batch request (Cloudflare's limit) */
#define CFR_ZONE_MAX_MAPPINGS 3500 /* mappings per zone (Cloudflare's limit, error 1164) */
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

typedef enum cfr_change_kind { CFR_UPSERT = 1, CFR_DELETE = 2 } cfr_change_kind;

/* One item of a batch; `error` is filled by the store for an item it could not apply. */
typedef struct cfr_change {
  cfr_change_kind kind;
  cfr_mapping mapping;               /* for deletes only origin_ip matters */
  int applied;                       /* set by the store: 1 applied, 0 not */
  char error[CFR_ERROR_MAX];         /* set by the store when applied == 0 */
} cfr_change;

typedef struct cfr_store cfr_store;

typedef struct cfr_store_methods {
  const char *name;                  /* "local", "api v1", "api v2" */
  /* 1 when a batch is applied inside the database transaction, so that a failed COMMIT applies
  ** nothing; 0 for a remote store, where items applied before a failure stay applied. */
  int transactional;
  /* Every mapping. */
  int (*list)(cfr_store *store, cfr_mapping_list *out, char **err);
  /* The start of a listing and the store's total number of mappings, for writes that need the
  ** count but not every row; *complete = 1 when that start is the whole store. May be NULL. */
  int (*list_head)(cfr_store *store, cfr_mapping_list *out, int *total, int *complete, char **err);
  /* One mapping: *found = 0 when the IP has none. */
  int (*get)(cfr_store *store, const char *origin_ip, cfr_mapping *out, int *found, char **err);
  /* n lookups at once (out[i], found[i] answer ips[i]), for a store that can overlap them. May be NULL. */
  int (*get_many)(cfr_store *store, const char (*ips)[CFR_IP_TEXT_MAX], int n, cfr_mapping *out,
                  int *found, char **err);
  /* Applies n (≤ CFR_BATCH_MAX) changes of one kind and sets each item's `applied`/`error`.
  ** Returns SQLITE_OK when the request was answered (even if items failed); an error code with
  ** *err when the request itself failed, and then no item may be marked applied unless it was. */
  int (*apply)(cfr_store *store, cfr_change *changes, int n, char **err);
  /* The list to validate regions against. Owned by the store. */
  int (*regions)(cfr_store *store, const cfr_regions **out, char **err);
  /* Estimated costs, for xBestIndex: a listing of `rows` mappings, and one get. */
  void (*costs)(cfr_store *store, double rows, double *list_cost, double *get_cost);
  /* Removes the store's persistent state (DROP TABLE). May be NULL. */
  int (*destroy)(cfr_store *store, char **err);
  void (*close)(cfr_store *store);
} cfr_store_methods;

struct cfr_store {
  const cfr_store_methods *methods;
};

void cfr_mapping_list_clear(cfr_mapping_list *list);
/* Appends a copy; returns SQLITE_OK or SQLITE_NOMEM. */
int cfr_mapping_list_push(cfr_mapping_list *list, const cfr_mapping *m);

/* Copies src into a fixed-size field; returns -1 (and copies nothing) when it does not fit. */
int cfr_copy_field(char *dst, size_t size, const char *src);

/* The current UTC time as RFC 3339 ("2026-11-28T06:30:59Z"). */
void cfr_now_rfc3339(char out[CFR_TIME_MAX]);

#endif
