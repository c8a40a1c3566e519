/*
** snapshot.c — filling a view from its store. See snapshot.h.
**
** The costs that decide: a listing costs one request on v1, one per 100 mappings on v2, one cheap
** scan locally; a lookup costs one request (a GET) or one index probe. Reads compare the two by the
** store's estimates. Writes to IPs the view does not know first learn the store's count (cheap:
** page 1 of a v2 listing carries total_count), then look up each IP, and after
** WRITE_LOOKUPS_BEFORE_LISTING lookups list the store once: a few single-row writes into a large
** zone cost a GET each, while a bulk write soon switches to the one listing it needs anyway.
*/
#include "snapshot.h"

#include <string.h>

#define WRITE_LOOKUPS_BEFORE_LISTING 2

int cfr_snapshot_complete(cfr_store *store, cfr_view *view, char **err) {
  if (cfr_view_is_complete(view)) return SQLITE_OK;
  cfr_mapping_list list = {0};
  int rc = store->methods->list(store, &list, err);
  if (rc == SQLITE_OK) rc = cfr_view_load(view, &list, 1);
  cfr_mapping_list_clear(&list);
  return rc;
}

int cfr_snapshot_complete_many(cfr_store **stores, cfr_view **views, int n, char **err) {
  cfr_store **todo = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_store *));
  cfr_view **into = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_view *));
  cfr_mapping_list *lists = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_mapping_list));
  int rc = todo && into && lists ? SQLITE_OK : SQLITE_NOMEM, k = 0;
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    if (cfr_view_is_complete(views[i])) continue;
    todo[k] = stores[i];
    into[k] = views[i];
    memset(&lists[k++], 0, sizeof(cfr_mapping_list));
  }
  if (rc == SQLITE_OK && k > 1 && todo[0]->methods->list_together) {
    rc = todo[0]->methods->list_together(todo, k, lists, err);
    for (int i = 0; rc == SQLITE_OK && i < k; i++) rc = cfr_view_load(into[i], &lists[i], 1);
    for (int i = 0; i < k; i++) cfr_mapping_list_clear(&lists[i]);
  } else {
    for (int i = 0; rc == SQLITE_OK && i < k; i++) rc = cfr_snapshot_complete(todo[i], into[i], err);
  }
  sqlite3_free(todo);
  sqlite3_free(into);
  sqlite3_free(lists);
  return rc;
}

int cfr_snapshot_count(cfr_store *store, cfr_view *view, char **err) {
  if (cfr_view_has_store_total(view)) return SQLITE_OK;
  if (!store->methods->count) return cfr_snapshot_complete(store, view, err);
  cfr_mapping_list list = {0};
  int total = 0, complete = 0;
  int rc = store->methods->count(store, &list, &total, &complete, err);
  if (rc == SQLITE_OK) rc = cfr_view_load(view, &list, complete);
  if (rc == SQLITE_OK) cfr_view_set_store_total(view, total);
  cfr_mapping_list_clear(&list);
  return rc;
}

/* One IP the view may not know: asks the store; *row = -1 when the view is complete and has none. */
static int lookup(cfr_store *store, cfr_view *view, const char *ip, int *row, char **err) {
  *row = cfr_view_find(view, ip);
  if (*row >= 0 || cfr_view_is_complete(view)) return SQLITE_OK;
  cfr_mapping m;
  int found = 0;
  int rc = store->methods->get(store, ip, &m, &found, err);
  if (rc != SQLITE_OK) return rc;
  *row = cfr_view_add_known(view, ip, found ? &m : NULL);
  return *row < 0 ? SQLITE_NOMEM : SQLITE_OK;
}

/* Looks up, all at once, the IPs that the view does not know yet, when the store can overlap
** lookups (the API store sends them as concurrent GETs). */
static int prefetch(cfr_store *store, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n, char **err) {
  if (!store->methods->get_many || cfr_view_is_complete(view)) return SQLITE_OK;
  char (*unknown)[CFR_IP_TEXT_MAX] = sqlite3_malloc64((sqlite3_uint64)n * CFR_IP_TEXT_MAX);
  cfr_mapping *maps = sqlite3_malloc64((sqlite3_uint64)n * sizeof(cfr_mapping));
  int *found = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int));
  int rc = unknown && maps && found ? SQLITE_OK : SQLITE_NOMEM;
  int k = 0;
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    if (cfr_view_find(view, ips[i]) < 0) memcpy(unknown[k++], ips[i], CFR_IP_TEXT_MAX);
  if (rc == SQLITE_OK && k > 1) {
    rc = store->methods->get_many(store, (const char (*)[CFR_IP_TEXT_MAX])unknown, k, maps, found, err);
    for (int i = 0; rc == SQLITE_OK && i < k; i++)
      if (cfr_view_add_known(view, unknown[i], found[i] ? &maps[i] : NULL) < 0) rc = SQLITE_NOMEM;
  }
  sqlite3_free(unknown);
  sqlite3_free(maps);
  sqlite3_free(found);
  return rc;
}

/* Lookups a view may make for reads before it lists the store instead: a sixteenth of a listing's
** requests (at least 1). A join's inner loop then costs a listing and a few lookups (v2, 3,500
** mappings: 3 + 35), while a few single lookups stay single GETs. */
#define REPEATED_LOOKUP_SHARE 16

/* How many of the n IPs the view does not know. */
static int unknown_ips(const cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n) {
  int unknown = 0;
  for (int i = 0; i < n && !cfr_view_is_complete(view); i++) unknown += cfr_view_find(view, ips[i]) < 0;
  return unknown;
}

/* Whether a read of n IPs should list the store rather than look them up: many lookups cost more
** than one listing, and so do lookups that keep coming. note: count the lookups it would make
** (the view's budget); else only tell. */
static int listing_instead(cfr_store *store, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n,
                           double estimated_rows, int note) {
  double list_cost, get_cost;
  store->methods->costs(store, estimated_rows, &list_cost, &get_cost);
  double budget = list_cost / get_cost / REPEATED_LOOKUP_SHARE;
  int unknown = unknown_ips(view, ips, n);
  int before = unknown == 0 ? 0 : cfr_view_note_read_lookups(view, note ? unknown : 0);
  return (n > 1 && n * get_cost > list_cost) || (unknown > 0 && before >= (budget < 1 ? 1 : budget));
}

int cfr_snapshot_rows_of(cfr_store *store, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n,
                         double estimated_rows, int *rows, int *nrows, char **err) {
  int rc = SQLITE_OK;
  *nrows = 0;
  if (listing_instead(store, view, ips, n, estimated_rows, 1)) rc = cfr_snapshot_complete(store, view, err);
  if (rc == SQLITE_OK && n > 1) rc = prefetch(store, view, ips, n, err);
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    int row;
    rc = lookup(store, view, ips[i], &row, err);
    if (rc == SQLITE_OK && row >= 0 && cfr_view_row(view, row)->cur.present) rows[(*nrows)++] = row;
  }
  return rc;
}

/* Records lookups made together: out[s * n + i], found[s * n + i] for views[s], ips[i]. */
static int add_found(cfr_view **views, int nstores, char (*ips)[CFR_IP_TEXT_MAX], int n, const cfr_mapping *out,
                     const int *found) {
  for (int k = 0; k < nstores * n; k++) {
    cfr_view *view = views[k / n];
    if (cfr_view_find(view, ips[k % n]) >= 0) continue;
    if (cfr_view_add_known(view, ips[k % n], found[k] ? &out[k] : NULL) < 0) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

int cfr_snapshot_prefetch_together(cfr_store **stores, cfr_view **views, int n, char (*ips)[CFR_IP_TEXT_MAX],
                                   int nips, const double *estimated_rows, char **err) {
  cfr_store **listing = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_store *));
  cfr_view **listed = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_view *));
  cfr_store **asking = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_store *));
  cfr_view **asked = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_view *));
  int rc = listing && listed && asking && asked ? SQLITE_OK : SQLITE_NOMEM, nlist = 0, nask = 0;
  for (int s = 0; rc == SQLITE_OK && s < n; s++) {
    if (cfr_view_is_complete(views[s])) continue;
    if (listing_instead(stores[s], views[s], ips, nips, estimated_rows[s], 0)) {
      listing[nlist] = stores[s];
      listed[nlist++] = views[s];
    } else if (unknown_ips(views[s], ips, nips) > 0) {
      asking[nask] = stores[s];
      asked[nask++] = views[s];
    }
  }
  if (rc == SQLITE_OK && nlist > 0) rc = cfr_snapshot_complete_many(listing, listed, nlist, err);
  if (rc == SQLITE_OK && nask > 1 && asking[0]->methods->get_together) {
    cfr_mapping *out = sqlite3_malloc64((sqlite3_uint64)nask * (sqlite3_uint64)nips * sizeof(cfr_mapping));
    int *found = sqlite3_malloc64((sqlite3_uint64)nask * (sqlite3_uint64)nips * sizeof(int));
    rc = out && found ? SQLITE_OK : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
      rc = asking[0]->methods->get_together(asking, nask, (const char (*)[CFR_IP_TEXT_MAX])ips, nips, out, found, err);
    /* Counted against each view's budget as rows_of counts its own lookups. */
    for (int s = 0; rc == SQLITE_OK && s < nask; s++) cfr_view_note_read_lookups(asked[s], unknown_ips(asked[s], ips, nips));
    if (rc == SQLITE_OK) rc = add_found(asked, nask, ips, nips, out, found);
    sqlite3_free(out);
    sqlite3_free(found);
  }
  sqlite3_free(listing);
  sqlite3_free(listed);
  sqlite3_free(asking);
  sqlite3_free(asked);
  return rc;
}

int cfr_snapshot_row_for_write(cfr_store *store, cfr_view *view, const char *ip, int *row, char **err) {
  *row = cfr_view_find(view, ip);
  if (*row >= 0 || cfr_view_is_complete(view)) return SQLITE_OK;
  int rc = cfr_snapshot_count(store, view, err);
  if (rc != SQLITE_OK) return rc;
  *row = cfr_view_find(view, ip);
  if (*row >= 0 || cfr_view_is_complete(view)) return SQLITE_OK;
  if (cfr_view_note_write_lookup(view) <= WRITE_LOOKUPS_BEFORE_LISTING) return lookup(store, view, ip, row, err);
  rc = cfr_snapshot_complete(store, view, err);
  if (rc == SQLITE_OK) *row = cfr_view_find(view, ip);
  return rc;
}
