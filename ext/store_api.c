/*
** store_api.c — the API store: origin_cloud_regions over Cloudflare's API. See store_api.h.
**
** The dialect (api_dialect.h) says what differs between v1 and v2; this file only asks it. A v2
** listing reads pages of 100 (the pages after the first concurrently, once the first says how many
** there are); a v1 listing is one GET. Upserts and deletes go in batch requests.
**
** Where requests may go and with which credentials is the API client's business (api_client.h).
**
** An answer can make a statement use only the memory a valid answer needs: each kind of answer has
** a bound on its JSON values, and a listing holding more mappings than a zone can is refused.
*/
#include "store_api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

#define PAGE_SIZE 100
/* A listing of more mappings than this is refused: a zone holds at most 3,500 (slack for a
** mapping created while the pages were read). */
#define LIST_MAX (CFR_ZONE_MAX_MAPPINGS + 500)
#define MAX_PAGES ((LIST_MAX + PAGE_SIZE - 1) / PAGE_SIZE)
#define VALUES_FOR CFR_API_VALUES_FOR
#define LOOKUP_VALUES VALUES_FOR(1)
/* Response body caps per kind of request: far above a valid answer (about 160 bytes an entry),
** far below what would let one statement use much memory. */
#define CAP_PAGE (1u << 20)      /* a page of 100 entries */
#define CAP_LIST (4u << 20)      /* a v1 listing of a full zone */
#define CAP_LOOKUP (64u << 10)   /* one entry */
#define CAP_BATCH (1u << 20)     /* a batch answer of 100 items */
#define CAP_REGIONS (1u << 20)   /* a zone's supported regions */

typedef struct api_store {
  cfr_store base;
  cfr_context *ctx;
  const cfr_api_dialect *d;
  cfr_api_client *client;
} api_store;

static char *collection_path(const api_store *s, const char *suffix) {
  return sqlite3_mprintf("/zones/%s/%s%s", s->base.zone_id, s->d->collection, suffix ? suffix : "");
}

/* "GET path: why" for an answer that decoded but makes no sense. */
static int unexpected(const char *path, char *why, char **err) {
  *err = sqlite3_mprintf("GET %s: %s", path, why ? why : "out of memory");
  sqlite3_free(why);
  return SQLITE_ERROR;
}

/* ---- listing ---- */

/* v1: the whole listing in one GET. No mappings: Cloudflare answers value [] (modified_on null). */
static int list_whole(api_store *s, cfr_mapping_list *out, char **err) {
  char *path = collection_path(s, NULL);
  if (!path) return SQLITE_NOMEM;
  cfr_api_answer a;
  int rc = cfr_api_client_get(s->client, path, s->d->wrapped, CAP_LIST, VALUES_FOR(LIST_MAX), &a, err);
  char *why = NULL;
  if (rc == SQLITE_OK && (rc = cfr_api_entries(s->d, a.result, LIST_MAX, out, &why)) != SQLITE_OK)
    rc = why ? unexpected(path, why, err) : rc;
  cfr_api_answer_clear(&a);
  sqlite3_free(path);
  return rc;
}

static char *page_path(const api_store *s, int page) {
  char suffix[64];
  snprintf(suffix, sizeof(suffix), "?page=%d&per_page=%d", page, PAGE_SIZE);
  return collection_path(s, suffix);
}

/* result_info.<field> as a count within [0, max], or -1. */
static int info_count(json_t *root, const char *field, long long max) {
  json_t *v = json_object_get(json_object_get(root, "result_info"), field);
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) return -1;
  return (int)json_integer_value(v);
}

/* Adds one page's entries to out; for the first page also result_info's totals (NULLs otherwise). */
static int take_page(api_store *s, const char *path, const cfr_api_answer *a, cfr_mapping_list *out,
                     int *total_pages, int *total_count, char **err) {
  char *why = NULL;
  int rc = cfr_api_entries(s->d, a->result, LIST_MAX, out, &why);
  if (rc != SQLITE_OK) return why ? unexpected(path, why, err) : rc;
  if (!total_pages) return SQLITE_OK;
  *total_pages = info_count(a->root, "total_pages", MAX_PAGES);
  *total_count = info_count(a->root, "total_count", LIST_MAX);
  if (*total_pages < 0 || *total_count < 0)
    return unexpected(path, sqlite3_mprintf("unexpected response: result_info.total_pages or total_count "
                                            "missing, or more than a zone can hold"), err);
  /* A total below what page 1 holds is impossible; never let it loosen the 3,500 limit. */
  if (*total_count < out->count) *total_count = out->count;
  return SQLITE_OK;
}

/* Page 1 of a paged listing, which also tells how many pages and mappings there are. */
static int first_page(api_store *s, cfr_mapping_list *out, int *total_pages, int *total_count, char **err) {
  char *path = page_path(s, 1);
  if (!path) return SQLITE_NOMEM;
  cfr_api_answer a;
  int rc = cfr_api_client_get(s->client, path, 0, CAP_PAGE, VALUES_FOR(PAGE_SIZE), &a, err);
  if (rc == SQLITE_OK) rc = take_page(s, path, &a, out, total_pages, total_count, err);
  cfr_api_answer_clear(&a);
  sqlite3_free(path);
  return rc;
}

/* The pages after the first, concurrently, each decoded and freed in turn. */
static int other_pages(api_store *s, int total_pages, cfr_mapping_list *out, char **err) {
  cfr_api_requests r;
  int rc = cfr_api_requests_init(&r, total_pages - 1);
  for (int i = 0; rc == SQLITE_OK && i < r.n; i++) rc = cfr_api_requests_put(&r, i, "GET", page_path(s, i + 2), NULL, 0, CAP_PAGE);
  if (rc == SQLITE_OK) rc = cfr_api_requests_send(s->client, &r, 1, err);
  for (int i = 0; rc == SQLITE_OK && i < r.n; i++) {
    cfr_api_answer a;
    rc = cfr_api_requests_decode(&r, i, 0, VALUES_FOR(PAGE_SIZE), &a, err);
    if (rc == SQLITE_OK) rc = take_page(s, r.calls[i].path, &a, out, NULL, NULL, err);
    cfr_api_answer_clear(&a);
  }
  cfr_api_requests_free(&r);
  return rc;
}

static int list_paged(api_store *s, cfr_mapping_list *out, char **err) {
  int total_pages = 0, total_count = 0;
  int rc = first_page(s, out, &total_pages, &total_count, err);
  if (rc == SQLITE_OK && total_pages > 1) rc = other_pages(s, total_pages, out, err);
  return rc;
}

static int api_list(cfr_store *store, cfr_mapping_list *out, char **err) {
  api_store *s = (api_store *)store;
  cfr_api_client_begin(s->client);
  return s->d->paged ? list_paged(s, out, err) : list_whole(s, out, err);
}

/* The first request of each store's listing (v2: page 1; v1: the whole listing) together, then
** every remaining page of every store together: many small zones cost two rounds of requests. */
static int first_requests(api_store **ss, int n, cfr_mapping_list *lists, int *pages, char **err) {
  cfr_api_requests r;
  int rc = cfr_api_requests_init(&r, n);
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    rc = ss[i]->d->paged ? cfr_api_requests_put(&r, i, "GET", page_path(ss[i], 1), NULL, 0, CAP_PAGE)
                         : cfr_api_requests_put(&r, i, "GET", collection_path(ss[i], NULL), NULL, 0, CAP_LIST);
  if (rc == SQLITE_OK) rc = cfr_api_requests_send(ss[0]->client, &r, 1, err);
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    cfr_api_answer a;
    int paged = ss[i]->d->paged, total = 0;
    rc = cfr_api_requests_decode(&r, i, paged ? 0 : ss[i]->d->wrapped, VALUES_FOR(paged ? PAGE_SIZE : LIST_MAX), &a, err);
    pages[i] = 1;
    if (rc == SQLITE_OK) rc = take_page(ss[i], r.calls[i].path, &a, &lists[i], paged ? &pages[i] : NULL, &total, err);
    cfr_api_answer_clear(&a);
  }
  cfr_api_requests_free(&r);
  return rc;
}

static int remaining_pages(api_store **ss, int n, cfr_mapping_list *lists, const int *pages, char **err) {
  int count = 0;
  for (int i = 0; i < n; i++) count += pages[i] > 1 ? pages[i] - 1 : 0;
  if (count == 0) return SQLITE_OK;
  cfr_api_requests r;
  int *owner = sqlite3_malloc64((sqlite3_uint64)count * sizeof(int));
  int rc = owner ? cfr_api_requests_init(&r, count) : SQLITE_NOMEM;
  for (int i = 0, k = 0; rc == SQLITE_OK && i < n; i++)
    for (int p = 2; rc == SQLITE_OK && p <= pages[i]; p++, k++) {
      owner[k] = i;
      rc = cfr_api_requests_put(&r, k, "GET", page_path(ss[i], p), NULL, 0, CAP_PAGE);
    }
  if (rc == SQLITE_OK) rc = cfr_api_requests_send(ss[0]->client, &r, 1, err);
  for (int k = 0; rc == SQLITE_OK && k < count; k++) {
    cfr_api_answer a;
    rc = cfr_api_requests_decode(&r, k, 0, VALUES_FOR(PAGE_SIZE), &a, err);
    if (rc == SQLITE_OK) rc = take_page(ss[owner[k]], r.calls[k].path, &a, &lists[owner[k]], NULL, NULL, err);
    cfr_api_answer_clear(&a);
  }
  if (owner) cfr_api_requests_free(&r);
  sqlite3_free(owner);
  return rc;
}

static int api_list_together(cfr_store **stores, int n, cfr_mapping_list *lists, char **err) {
  api_store **ss = (api_store **)stores;
  int *pages = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(int));
  if (!pages) return SQLITE_NOMEM;
  cfr_api_client_begin(ss[0]->client);
  int rc = first_requests(ss, n, lists, pages, err);
  if (rc == SQLITE_OK) rc = remaining_pages(ss, n, lists, pages, err);
  sqlite3_free(pages);
  return rc;
}

/* Paged: page 1 and the totals. Otherwise the whole listing is one GET anyway. */
static int api_count(cfr_store *store, cfr_mapping_list *out, int *total, int *complete, char **err) {
  api_store *s = (api_store *)store;
  cfr_api_client_begin(s->client);
  if (!s->d->paged) {
    int rc = list_whole(s, out, err);
    *total = out->count;
    *complete = 1;
    return rc;
  }
  int total_pages = 0;
  int rc = first_page(s, out, &total_pages, total, err);
  *complete = rc == SQLITE_OK && total_pages <= 1;
  return rc;
}

/* ---- point lookups ---- */

static char *lookup_path(const api_store *s, const char *ip) {
  char *suffix = sqlite3_mprintf("/%s", ip);  /* canonical IPs need no percent-encoding */
  char *path = suffix ? collection_path(s, suffix) : NULL;
  sqlite3_free(suffix);
  return path;
}

/* The answer to GET …/{ip}: the mapping, or *found = 0 for 404/1142 ("The zone setting does not
** exist": no mapping for this IP). rc and *err are those of decoding the answer. */
static int take_lookup(api_store *s, const char *path, const char *ip, int rc, const cfr_api_answer *a,
                       cfr_mapping *out, int *found, char **err) {
  *found = 0;
  if (rc != SQLITE_OK) {
    if (a->status != 404 || a->error_code != 1142) return rc;
    sqlite3_free(*err); /* an answer after all: no mapping */
    *err = NULL;
    return SQLITE_OK;
  }
  char *why = NULL;
  if (cfr_api_entry(s->d, a->result, out, &why) != SQLITE_OK)
    return unexpected(path, why ? sqlite3_mprintf("unexpected response: %z", why) : NULL, err);
  /* Another IP's mapping must not pass for this one's (the view files it under `ip`). */
  if (strcmp(out->origin_ip, ip) != 0)
    return unexpected(path, sqlite3_mprintf("unexpected response: the entry is for %s", out->origin_ip), err);
  *found = 1;
  return SQLITE_OK;
}

/* The same n IPs looked up in each of nstores stores sharing a client, as concurrent GETs:
** out[s * n + i], found[s * n + i] answer ips[i] in stores[s]. */
static int lookup_in_stores(api_store **stores, int nstores, const char (*ips)[CFR_IP_TEXT_MAX], int n,
                            cfr_mapping *out, int *found, char **err) {
  cfr_api_requests r;
  int total = nstores * n;
  int rc = cfr_api_requests_init(&r, total);
  for (int k = 0; rc == SQLITE_OK && k < total; k++)
    rc = cfr_api_requests_put(&r, k, "GET", lookup_path(stores[k / n], ips[k % n]), NULL, 0, CAP_LOOKUP);
  /* Not stopped by a failure: a 404 is the answer "no mapping", and every lookup is needed. */
  if (rc == SQLITE_OK) rc = cfr_api_requests_send(stores[0]->client, &r, 0, err);
  for (int k = 0; rc == SQLITE_OK && k < total; k++) {
    api_store *s = stores[k / n];
    cfr_api_answer a;
    rc = cfr_api_requests_decode(&r, k, s->d->wrapped, LOOKUP_VALUES, &a, err);
    if (rc == SQLITE_OK || a.root) rc = take_lookup(s, r.calls[k].path, ips[k % n], rc, &a, &out[k], &found[k], err);
    cfr_api_answer_clear(&a);
  }
  cfr_api_requests_free(&r);
  return rc;
}

/* Lookups of n IPs, as concurrent GETs: out[i], found[i] answer ips[i]. */
static int lookup_many(api_store *s, const char (*ips)[CFR_IP_TEXT_MAX], int n, cfr_mapping *out,
                       int *found, char **err) {
  return lookup_in_stores(&s, 1, ips, n, out, found, err);
}

static int api_get(cfr_store *store, const char *ip, cfr_mapping *out, int *found, char **err) {
  api_store *s = (api_store *)store;
  char one[1][CFR_IP_TEXT_MAX];
  if (cfr_copy_field(one[0], sizeof(one[0]), ip) != 0) { *found = 0; return SQLITE_OK; }
  cfr_api_client_begin(s->client);
  return lookup_many(s, (const char (*)[CFR_IP_TEXT_MAX])one, 1, out, found, err);
}

static int api_get_many(cfr_store *store, const char (*ips)[CFR_IP_TEXT_MAX], int n, cfr_mapping *out,
                        int *found, char **err) {
  api_store *s = (api_store *)store;
  cfr_api_client_begin(s->client);
  return lookup_many(s, ips, n, out, found, err);
}

static int api_get_together(cfr_store **stores, int nstores, const char (*ips)[CFR_IP_TEXT_MAX], int n,
                            cfr_mapping *out, int *found, char **err) {
  api_store **ss = (api_store **)stores;
  cfr_api_client_begin(ss[0]->client);
  return lookup_in_stores(ss, nstores, ips, n, out, found, err);
}

/* ---- batches ---- */

/* A delete the API refused may still have reached its goal: the mapping was already gone (removed
** by someone else, or by an earlier attempt whose answer was lost). One GET per such item (sent
** together) tells; an IP with no mapping counts as deleted. */
static void confirm_failed_deletes(api_store *s, cfr_change *changes, int n) {
  char (*ips)[CFR_IP_TEXT_MAX] = sqlite3_malloc64((sqlite3_uint64)n * CFR_IP_TEXT_MAX);
  int *index = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int));
  int *found = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int));
  cfr_mapping *maps = sqlite3_malloc64((sqlite3_uint64)n * sizeof(cfr_mapping));
  int k = 0;
  for (int i = 0; ips && index && found && maps && i < n; i++) {
    if (changes[i].applied) continue;
    memcpy(ips[k], changes[i].mapping.origin_ip, CFR_IP_TEXT_MAX);
    index[k++] = i;
  }
  char *err = NULL;
  if (k > 0 && lookup_many(s, (const char (*)[CFR_IP_TEXT_MAX])ips, k, maps, found, &err) == SQLITE_OK) {
    for (int j = 0; j < k; j++) {
      if (found[j]) continue;
      changes[index[j]].applied = 1;
      changes[index[j]].error[0] = 0;
    }
  }
  sqlite3_free(err);
  sqlite3_free(ips);
  sqlite3_free(index);
  sqlite3_free(found);
  sqlite3_free(maps);
}

static int is_delete_batch(const cfr_batch *b) { return b->changes[0].kind == CFR_DELETE; }

static int put_batch(api_store *s, cfr_api_requests *r, int i, const cfr_batch *b) {
  int deleting = is_delete_batch(b);
  char *body = deleting ? cfr_api_delete_body(b->changes, b->n) : cfr_api_upsert_body(s->d, b->changes, b->n);
  return cfr_api_requests_put(r, i, deleting ? "DELETE" : s->d->upsert_method, collection_path(s, "/batch"), body,
                         b->n, CAP_BATCH);
}

/* The answer to one batch request: the items' outcomes, or the request's failure. A request whose
** answer was lost may have been applied: it says so, and cfregions_retry finds out. */
static void take_batch(api_store *s, cfr_api_requests *r, int i, cfr_batch *b) {
  cfr_http_response *resp = &r->resps[i];
  b->sent = resp->attempts > 0;
  int unknown = resp->outcome_unknown;
  cfr_api_answer a;
  char *err = NULL;
  b->rc = cfr_api_requests_decode(r, i, s->d->wrapped, VALUES_FOR(b->n), &a, &err);
  char *why = NULL;
  if (b->rc == SQLITE_OK && (b->rc = cfr_api_batch_outcome(s->d, a.result, b->changes, b->n, &why)) != SQLITE_OK)
    err = sqlite3_mprintf("%s %s: %s", r->calls[i].method, r->calls[i].path, why ? why : "out of memory");
  else if (b->rc == SQLITE_OK && is_delete_batch(b))
    confirm_failed_deletes(s, b->changes, b->n);
  if (b->rc != SQLITE_OK && unknown)
    b->err = sqlite3_mprintf("outcome unknown (the API may have applied it): %z", err);
  else
    b->err = err;
  sqlite3_free(why);
  cfr_api_answer_clear(&a);
}

static int has_failed(api_store *const *failed, int nfailed, const api_store *s) {
  for (int i = 0; i < nfailed; i++)
    if (failed[i] == s) return 1;
  return 0;
}

/* The batches of one COMMIT step, batches[i] for owners[i] (stores opened together: one client),
** CFR_HTTP_MAX_IN_FLIGHT at a time: after each group the listener hears of its outcomes. A failed
** request stops the later batches of its store, and within its group the requests not yet started. */
static void apply_batches(cfr_store **owners, cfr_batch **batches, int n, const cfr_batch_listener *listener) {
  if (n == 0) return;
  cfr_api_client *client = ((api_store *)owners[0])->client;
  cfr_api_client_begin(client);
  api_store **failed = sqlite3_malloc64((sqlite3_uint64)n * sizeof(api_store *));
  int nfailed = 0, all_failed = !failed;
  cfr_batch *group[CFR_HTTP_MAX_IN_FLIGHT];
  api_store *group_owner[CFR_HTTP_MAX_IN_FLIGHT];
  for (int next = 0; next < n;) {
    int count = 0;
    for (; next < n && count < CFR_HTTP_MAX_IN_FLIGHT; next++) {
      api_store *owner = (api_store *)owners[next];
      assert(owner->client == client);
      if (all_failed || has_failed(failed, nfailed, owner)) {
        batches[next]->sent = 0;
        continue;
      }
      group[count] = batches[next];
      group_owner[count++] = owner;
    }
    if (count == 0) continue;
    cfr_api_requests r;
    char *err = NULL;
    int rc = cfr_api_requests_init(&r, count);
    for (int b = 0; rc == SQLITE_OK && b < count; b++) rc = put_batch(group_owner[b], &r, b, group[b]);
    if (rc == SQLITE_OK) rc = cfr_api_requests_send(client, &r, 1, &err);
    if (rc != SQLITE_OK) {
      /* Nothing of the group went out (no credentials, an untrusted base URL, out of memory): the
      ** first batch carries the reason, the others were not sent, and nothing more is tried. */
      group[0]->sent = 1;
      group[0]->rc = rc;
      group[0]->err = err ? err : sqlite3_mprintf("out of memory");
      for (int b = 1; b < count; b++) group[b]->sent = 0;
      all_failed = 1;
    } else {
      for (int b = 0; b < count; b++) {
        take_batch(group_owner[b], &r, b, group[b]);
        if (group[b]->rc != SQLITE_OK && failed && !has_failed(failed, nfailed, group_owner[b]))
          failed[nfailed++] = group_owner[b];
        if (group[b]->sent) listener->done(listener->arg, group[b]);
      }
    }
    cfr_api_requests_free(&r);
  }
  sqlite3_free(failed);
}

static void api_apply(cfr_store *store, cfr_batch *batches, int n, const cfr_batch_listener *listener) {
  cfr_store **owners = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_store *));
  cfr_batch **each = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_batch *));
  if (!owners || !each) {
    for (int b = 0; b < n; b++) batches[b].sent = 0;
    if (n > 0) { batches[0].sent = 1; batches[0].rc = SQLITE_NOMEM; batches[0].err = sqlite3_mprintf("out of memory"); }
  } else {
    for (int b = 0; b < n; b++) {
      owners[b] = store;
      each[b] = &batches[b];
    }
    apply_batches(owners, each, n, listener);
  }
  sqlite3_free(owners);
  sqlite3_free(each);
}

static void api_apply_together(cfr_store **stores, cfr_batch **batches, int n, const cfr_batch_listener *listener) {
  apply_batches(stores, batches, n, listener);
}

/* ---- supported regions ---- */

static int fetch_regions(api_store *s, cfr_regions **out, char **err) {
  char *path = collection_path(s, "/supported_regions");
  if (!path) return SQLITE_NOMEM;
  cfr_api_answer a;
  /* supported_regions is never wrapped, in either generation. */
  int rc = cfr_api_client_get(s->client, path, 0, CAP_REGIONS, VALUES_FOR(CFR_REGIONS_MAX), &a, err);
  char *why = NULL;
  if (rc == SQLITE_OK && cfr_regions_from_json(a.result, out, &why) != 0)
    rc = unexpected(path, sqlite3_mprintf("unexpected response: %z", why), err);
  cfr_api_answer_clear(&a);
  sqlite3_free(path);
  return rc;
}

static int api_regions(cfr_store *store, const cfr_regions **out, const char **zone_id, char **err) {
  api_store *s = (api_store *)store;
  *zone_id = s->base.zone_id;
  const char *url = cfr_api_client_base_url(s->client);
  *out = cfr_context_zone_regions(s->ctx, s->base.zone_id, url, s->d->version);
  if (*out) return SQLITE_OK;
  cfr_regions *fetched = NULL;
  cfr_api_client_begin(s->client);
  int rc = fetch_regions(s, &fetched, err);
  if (rc == SQLITE_OK) rc = cfr_context_cache_zone_regions(s->ctx, s->base.zone_id, url, s->d->version, fetched);
  if (rc == SQLITE_OK) *out = cfr_context_zone_regions(s->ctx, s->base.zone_id, url, s->d->version);
  return rc;
}

static void api_prefetch_regions(cfr_store **stores, int n) {
  api_store **todo = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(api_store *));
  if (!todo) return;
  int k = 0;
  for (int i = 0; i < n; i++) {
    api_store *s = (api_store *)stores[i];
    if (!cfr_context_zone_regions(s->ctx, s->base.zone_id, cfr_api_client_base_url(s->client), s->d->version))
      todo[k++] = s;
  }
  cfr_api_requests r;
  char *err = NULL;
  if (k > 1 && cfr_api_requests_init(&r, k) == SQLITE_OK) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < k; i++)
      rc = cfr_api_requests_put(&r, i, "GET", collection_path(todo[i], "/supported_regions"), NULL, 0, CAP_REGIONS);
    cfr_api_client_begin(todo[0]->client);
    if (rc == SQLITE_OK) rc = cfr_api_requests_send(todo[0]->client, &r, 0, &err);
    for (int i = 0; rc == SQLITE_OK && i < k; i++) {
      cfr_api_answer a;
      cfr_regions *list = NULL;
      char *why = NULL;
      /* supported_regions is never wrapped, in either generation. */
      if (cfr_api_requests_decode(&r, i, 0, VALUES_FOR(CFR_REGIONS_MAX), &a, &err) == SQLITE_OK &&
          cfr_regions_from_json(a.result, &list, &why) == 0)
        rc = cfr_context_cache_zone_regions(todo[i]->ctx, todo[i]->base.zone_id,
                                            cfr_api_client_base_url(todo[i]->client), todo[i]->d->version, list);
      cfr_api_answer_clear(&a);
      sqlite3_free(why);
      sqlite3_free(err);
      err = NULL;
    }
    cfr_api_requests_free(&r);
  }
  sqlite3_free(err);
  sqlite3_free(todo);
}

static void api_costs(cfr_store *store, double rows, double *list_cost, double *get_cost) {
  api_store *s = (api_store *)store;
  const double request = 10000.0;  /* a round trip dwarfs any local work */
  double pages = s->d->paged ? fmax(1, ceil(rows / PAGE_SIZE)) : 1;
  *list_cost = pages * request + rows;
  *get_cost = request;
}

static void api_close(cfr_store *store) {
  api_store *s = (api_store *)store;
  cfr_api_client_close(s->client);
  sqlite3_free(s);
}

static const cfr_store_methods api_methods = {
  .transactional = 0, .list = api_list, .list_together = api_list_together, .count = api_count, .get = api_get, .get_many = api_get_many,
  .get_together = api_get_together,
  .apply = api_apply, .apply_together = api_apply_together, .regions = api_regions, .prefetch_regions = api_prefetch_regions, .costs = api_costs, .close = api_close,
};

int cfr_store_api_open(cfr_context *ctx, const cfr_api_settings *settings, cfr_store **out, char **err) {
  *out = NULL;
  api_store *s = sqlite3_malloc(sizeof(*s));
  if (!s) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->base.methods = &api_methods;
  s->base.remote = 1;
  memcpy(s->base.zone_id, settings->zone_id, sizeof(s->base.zone_id));
  s->ctx = ctx;
  s->d = cfr_api_dialect_for(settings->api_version);
  int rc = cfr_api_client_open(ctx, settings, &s->client, err);
  if (rc != SQLITE_OK) { api_close(&s->base); return rc; }
  *out = &s->base;
  return SQLITE_OK;
}

int cfr_store_api_open_zones(cfr_context *ctx, const cfr_api_settings *settings,
                             const char (*zone_ids)[CFR_ZONE_ID_LEN + 1], int n, cfr_store **out, char **err) {
  cfr_api_client *client = NULL;
  int rc = cfr_api_client_open(ctx, settings, &client, err);
  for (int i = 0; i < n; i++) out[i] = NULL;
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    api_store *s = sqlite3_malloc(sizeof(*s));
    if (!s) { rc = SQLITE_NOMEM; break; }
    memset(s, 0, sizeof(*s));
    s->base.methods = &api_methods;
    s->base.remote = 1;
    memcpy(s->base.zone_id, zone_ids[i], sizeof(s->base.zone_id));
    s->ctx = ctx;
    s->d = cfr_api_dialect_for(settings->api_version);
    s->client = cfr_api_client_retain(client);
    out[i] = &s->base;
  }
  for (int i = 0; rc != SQLITE_OK && i < n; i++) {
    if (out[i]) api_close(out[i]);
    out[i] = NULL;
  }
  cfr_api_client_close(client); /* each store holds its own reference */
  return rc;
}

int cfr_store_api_zone_regions(cfr_context *ctx, const char *zone_id, const cfr_regions **out, char **err) {
  cfr_api_settings settings;
  cfr_api_settings_init(&settings);
  int rc = cfr_zone_id_parse(zone_id, settings.zone_id, err) == 0 ? SQLITE_OK : SQLITE_ERROR;
  cfr_store *store = NULL;
  if (rc == SQLITE_OK) rc = cfr_store_api_open(ctx, &settings, &store, err);
  const char *zone_of_list;
  if (rc == SQLITE_OK) rc = store->methods->regions(store, out, &zone_of_list, err);
  if (store) store->methods->close(store);
  cfr_api_settings_clear(&settings);
  return rc;
}
