/*
** store_api.c — the API store: origin_cloud_regions over Cloudflare's API. See store_api.h.
**
** v2 (default): /zones/{zone}/origin/cloud_regions — paged listing (per_page=100; pages after the
** first are fetched concurrently), PUT /batch for upserts. v1: /zones/{zone}/cache/origin_cloud_regions
** — one-GET listing, PATCH /batch. Both: DELETE /batch with a JSON array of IPs.
**
** Credentials are looked up at every request, in this order: cfregions_set_token() /
** cfregions_set_credentials() on the connection; the variable named by token_env (default
** CLOUDFLARE_API_TOKEN); CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY. They live only in memory and in
** request headers.
*/
#include "store_api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "http.h"

#define DEFAULT_BASE_URL "https://api.cloudflare.com/client/v4"
#define PAGE_SIZE 100
#define MAX_PAGES 200   /* 20,000 mappings: far above the 3,500 limit; stops a server that never ends */

typedef struct api_store {
  cfr_store base;
  cfr_conn *conn;
  const cfr_api_dialect *dialect;
  cfr_http *http;
  char zone_id[33];
  char *base_url;
  char *token_env;       /* NULL: CLOUDFLARE_API_TOKEN, then CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY */
} api_store;

static const char *effective_base_url(const char *configured) {
  if (configured && *configured) return configured;
  const char *env = getenv("CLOUDFLARE_BASE_URL");
  return env && *env ? env : DEFAULT_BASE_URL;
}

/* Points the client at the credentials in force now; an error text when there are none. */
static char *use_credentials(cfr_conn *conn, cfr_http *http, const char *token_env) {
  if (conn->token) { cfr_http_set_credentials(http, conn->token, NULL, NULL); return NULL; }
  if (conn->email && conn->key) { cfr_http_set_credentials(http, NULL, conn->email, conn->key); return NULL; }
  const char *name = token_env ? token_env : "CLOUDFLARE_API_TOKEN";
  const char *token = getenv(name);
  if (token && *token) { cfr_http_set_credentials(http, token, NULL, NULL); return NULL; }
  const char *email = getenv("CLOUDFLARE_EMAIL"), *key = getenv("CLOUDFLARE_API_KEY");
  if (!token_env && email && *email && key && *key) { cfr_http_set_credentials(http, NULL, email, key); return NULL; }
  return sqlite3_mprintf("no API credentials: set %s (an API token with Zone Cache Rules permission)%s, "
                         "or call cfregions_set_token(?) on this connection",
                         name, token_env ? "" : ", or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY");
}

static char *collection_path(const api_store *s, const char *suffix) {
  return sqlite3_mprintf("/zones/%s/%s%s", s->zone_id, s->dialect->collection, suffix ? suffix : "");
}

/* One request and its decoded result. *root must be json_decref'd by the caller. */
static json_t *call(api_store *s, const char *method, const char *path, const char *body, int items,
                    json_t **root, cfr_http_response *resp, char **err) {
  *root = NULL;
  memset(resp, 0, sizeof(*resp));
  char *why = use_credentials(s->conn, s->http, s->token_env);
  if (why) { *err = why; return NULL; }
  char *what = sqlite3_mprintf("%s %s", method, path);
  if (!what) { *err = sqlite3_mprintf("out of memory"); return NULL; }
  cfr_http_request(s->http, method, path, body, items, resp);
  json_t *result = cfr_api_result(s->dialect, resp, what, root, err);
  sqlite3_free(what);
  return result;
}

/* ---- listing ---- */

static int list_v1(api_store *s, cfr_mapping_list *out, char **err) {
  char *path = collection_path(s, NULL);
  if (!path) return SQLITE_NOMEM;
  json_t *root;
  cfr_http_response resp;
  json_t *value = call(s, "GET", path, NULL, 0, &root, &resp, err);
  int rc = SQLITE_ERROR;
  /* No mappings: Cloudflare answers value [] (and modified_on null). */
  if (value && cfr_api_entries(s->dialect, value, out, err) == 0) rc = SQLITE_OK;
  json_decref(root);
  cfr_http_response_clear(&resp);
  sqlite3_free(path);
  return rc;
}

static char *page_path(const api_store *s, int page) {
  char suffix[64];
  snprintf(suffix, sizeof(suffix), "?page=%d&per_page=%d", page, PAGE_SIZE);
  return collection_path(s, suffix);
}

/* Decodes one v2 page into out; *total_pages from result_info when asked for. */
/* result_info.<field> as a count within [0, max], or -1. */
static int info_count(json_t *root, const char *field, long long max) {
  json_t *v = json_object_get(json_object_get(root, "result_info"), field);
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) return -1;
  return (int)json_integer_value(v);
}

/* Decodes one v2 page into out; the first page also gives result_info's total_pages and
** total_count (pass NULLs for the other pages). */
static int take_page(api_store *s, cfr_http_response *resp, const char *path, cfr_mapping_list *out,
                     int *total_pages, int *total_count, char **err) {
  char *what = sqlite3_mprintf("GET %s", path);
  json_t *root;
  json_t *result = what ? cfr_api_result(s->dialect, resp, what, &root, err) : NULL;
  sqlite3_free(what);
  int rc = SQLITE_ERROR;
  if (result && cfr_api_entries(s->dialect, result, out, err) == 0) {
    rc = SQLITE_OK;
    if (total_pages) {
      *total_pages = info_count(root, "total_pages", MAX_PAGES);
      *total_count = info_count(root, "total_count", (long long)MAX_PAGES * PAGE_SIZE);
      if (*total_pages < 0 || *total_count < 0) {
        *err = sqlite3_mprintf("GET %s: unexpected response: result_info.total_pages or total_count missing or out of range", path);
        rc = SQLITE_ERROR;
      }
    }
  }
  json_decref(root);
  return rc;
}

/* n GETs sent together (curl multi): the paths, owned, and their answers. */
typedef struct get_batch {
  int n;
  char **paths;
  cfr_http_response *resps;
} get_batch;

static int get_batch_init(get_batch *b, int n) {
  b->n = n;
  b->paths = sqlite3_malloc64((sqlite3_uint64)n * sizeof(char *));
  b->resps = sqlite3_malloc64((sqlite3_uint64)n * sizeof(cfr_http_response));
  if (!b->paths || !b->resps) {
    sqlite3_free(b->paths);
    sqlite3_free(b->resps);
    b->paths = NULL;
    b->resps = NULL;
    b->n = 0;
    return SQLITE_NOMEM;
  }
  memset(b->paths, 0, (size_t)n * sizeof(char *));
  memset(b->resps, 0, (size_t)n * sizeof(cfr_http_response));
  return SQLITE_OK;
}

static int get_batch_send(api_store *s, get_batch *b, char **err) {
  char *why = use_credentials(s->conn, s->http, s->token_env);
  if (why) { *err = why; return SQLITE_ERROR; }
  cfr_http_get_many(s->http, b->n, (const char *const *)b->paths, b->resps);
  return SQLITE_OK;  /* each answer, or its failure, is judged by the caller */
}

static void get_batch_free(get_batch *b) {
  for (int i = 0; i < b->n; i++) { sqlite3_free(b->paths[i]); cfr_http_response_clear(&b->resps[i]); }
  sqlite3_free(b->paths);
  sqlite3_free(b->resps);
}

static int fetch_rest_v2(api_store *s, int total_pages, cfr_mapping_list *out, char **err) {
  get_batch b;
  int rc = get_batch_init(&b, total_pages - 1);
  for (int i = 0; i < b.n && rc == SQLITE_OK; i++)
    if (!(b.paths[i] = page_path(s, i + 2))) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = get_batch_send(s, &b, err);
  for (int i = 0; i < b.n && rc == SQLITE_OK; i++) rc = take_page(s, &b.resps[i], b.paths[i], out, NULL, NULL, err);
  get_batch_free(&b);
  return rc;
}

/* Page 1 of a v2 listing, which also tells how many pages and mappings there are. */
static int first_page_v2(api_store *s, cfr_mapping_list *out, int *total_pages, int *total_count, char **err) {
  char *path = page_path(s, 1);
  if (!path) return SQLITE_NOMEM;
  cfr_http_response resp;
  memset(&resp, 0, sizeof(resp));
  char *why = use_credentials(s->conn, s->http, s->token_env);
  int rc;
  if (why) { *err = why; rc = SQLITE_ERROR; }
  else {
    cfr_http_request(s->http, "GET", path, NULL, 0, &resp);
    rc = take_page(s, &resp, path, out, total_pages, total_count, err);
  }
  cfr_http_response_clear(&resp);
  sqlite3_free(path);
  return rc;
}

static int list_v2(api_store *s, cfr_mapping_list *out, char **err) {
  int total_pages = 0, total_count = 0;
  int rc = first_page_v2(s, out, &total_pages, &total_count, err);
  if (rc == SQLITE_OK && total_pages > 1) rc = fetch_rest_v2(s, total_pages, out, err);
  return rc;
}

static int api_list(cfr_store *store, cfr_mapping_list *out, char **err) {
  api_store *s = (api_store *)store;
  return s->dialect->version == 1 ? list_v1(s, out, err) : list_v2(s, out, err);
}

/* v2: page 1 and the totals; v1 lists everything in one GET anyway. */
static int api_list_head(cfr_store *store, cfr_mapping_list *out, int *total, int *complete, char **err) {
  api_store *s = (api_store *)store;
  if (s->dialect->version == 1) {
    int rc = list_v1(s, out, err);
    *total = out->count;
    *complete = 1;
    return rc;
  }
  int total_pages = 0;
  int rc = first_page_v2(s, out, &total_pages, total, err);
  *complete = rc == SQLITE_OK && total_pages <= 1;
  /* A total below what page 1 holds is impossible; never let it loosen the 3,500 limit. */
  if (*total < out->count) *total = out->count;
  return rc;
}

/* ---- point lookup ---- */

static char *lookup_path(const api_store *s, const char *ip) {
  char *suffix = sqlite3_mprintf("/%s", ip);  /* canonical IPs need no percent-encoding */
  char *path = suffix ? collection_path(s, suffix) : NULL;
  sqlite3_free(suffix);
  return path;
}

/* The answer to GET …/{ip}: the mapping, or *found = 0 for 404/1142 ("The zone setting does not
** exist": no mapping for this IP). */
static int decode_lookup(api_store *s, const cfr_http_response *resp, const char *path, const char *ip,
                         cfr_mapping *out, int *found, char **err) {
  char *what = sqlite3_mprintf("GET %s", path);
  if (!what) return SQLITE_NOMEM;
  json_t *root;
  json_t *entry = cfr_api_result(s->dialect, resp, what, &root, err);
  int rc = SQLITE_ERROR;
  *found = 0;
  if (!entry && resp->status == 404 && cfr_api_error_code(resp) == 1142) {
    sqlite3_free(*err);
    *err = NULL;
    rc = SQLITE_OK;
  } else if (entry) {
    char why[128];
    if (cfr_api_entry(s->dialect, entry, out, why, sizeof(why)) != 0)
      *err = sqlite3_mprintf("%s: unexpected response: %s", what, why);
    /* Another IP's mapping must not pass for this one's (the view files it under `ip`). */
    else if (strcmp(out->origin_ip, ip) != 0)
      *err = sqlite3_mprintf("%s: unexpected response: the entry is for %s", what, out->origin_ip);
    else { *found = 1; rc = SQLITE_OK; }
  }
  json_decref(root);
  sqlite3_free(what);
  return rc;
}

static int api_get(cfr_store *store, const char *ip, cfr_mapping *out, int *found, char **err) {
  api_store *s = (api_store *)store;
  char *path = lookup_path(s, ip);
  if (!path) return SQLITE_NOMEM;
  char *why = use_credentials(s->conn, s->http, s->token_env);
  int rc = SQLITE_ERROR;
  if (why) *err = why;
  else {
    cfr_http_response resp;
    memset(&resp, 0, sizeof(resp));
    cfr_http_request(s->http, "GET", path, NULL, 0, &resp);
    rc = decode_lookup(s, &resp, path, ip, out, found, err);
    cfr_http_response_clear(&resp);
  }
  sqlite3_free(path);
  return rc;
}

/* Several lookups at once, as concurrent GETs. */
static int api_get_many(cfr_store *store, const char (*ips)[CFR_IP_TEXT_MAX], int n, cfr_mapping *out,
                        int *found, char **err) {
  api_store *s = (api_store *)store;
  get_batch b;
  int rc = get_batch_init(&b, n);
  for (int i = 0; i < b.n && rc == SQLITE_OK; i++)
    if (!(b.paths[i] = lookup_path(s, ips[i]))) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = get_batch_send(s, &b, err);
  for (int i = 0; i < b.n && rc == SQLITE_OK; i++)
    rc = decode_lookup(s, &b.resps[i], b.paths[i], ips[i], &out[i], &found[i], err);
  get_batch_free(&b);
  return rc;
}

/* ---- batches ---- */

/* A delete the API refused may still have reached its goal: the mapping was already gone (removed
** by someone else, or by an earlier attempt whose answer was lost). One GET per such item tells;
** an IP with no mapping counts as deleted. */
static void confirm_failed_deletes(api_store *s, cfr_change *changes, int n) {
  for (int i = 0; i < n; i++) {
    if (changes[i].applied) continue;
    cfr_mapping m;
    int found = 1;
    char *err = NULL;
    if (api_get(&s->base, changes[i].mapping.origin_ip, &m, &found, &err) == SQLITE_OK && !found) {
      changes[i].applied = 1;
      changes[i].error[0] = 0;
    }
    sqlite3_free(err);
  }
}

static int api_apply(cfr_store *store, cfr_change *changes, int n, char **err) {
  api_store *s = (api_store *)store;
  int deleting = changes[0].kind == CFR_DELETE;
  char *body = deleting ? cfr_api_delete_body(changes, n) : cfr_api_upsert_body(s->dialect, changes, n);
  char *path = collection_path(s, "/batch");
  if (!body || !path) { free(body); sqlite3_free(path); return SQLITE_NOMEM; }
  json_t *root;
  cfr_http_response resp;
  json_t *result = call(s, deleting ? "DELETE" : s->dialect->upsert_method, path, body, n, &root, &resp, err);
  int rc = SQLITE_ERROR;
  if (result) {
    char *why = NULL;
    if (cfr_api_batch_outcome(s->dialect, result, changes, n, &why) == 0) {
      rc = SQLITE_OK;
      if (deleting) confirm_failed_deletes(s, changes, n);
    } else *err = sqlite3_mprintf("%s %s: %s", deleting ? "DELETE" : s->dialect->upsert_method, path, why);
    sqlite3_free(why);
  }
  json_decref(root);
  cfr_http_response_clear(&resp);
  free(body);
  sqlite3_free(path);
  return rc;
}

/* ---- supported regions ---- */

static int fetch_regions(cfr_http *http, cfr_conn *conn, const char *token_env, const cfr_api_dialect *d,
                         const char *zone_id, cfr_regions **out, char **err) {
  char *why = use_credentials(conn, http, token_env);
  if (why) { *err = why; return SQLITE_ERROR; }
  char *path = sqlite3_mprintf("/zones/%s/%s/supported_regions", zone_id, d->collection);
  if (!path) return SQLITE_NOMEM;
  cfr_http_response resp;
  memset(&resp, 0, sizeof(resp));
  cfr_http_request(http, "GET", path, NULL, 0, &resp);
  char *what = sqlite3_mprintf("GET %s", path);
  json_t *root;
  /* supported_regions is never wrapped, in either generation. */
  json_t *result = what ? cfr_api_result(&cfr_api_v2, &resp, what, &root, err) : NULL;
  int rc = SQLITE_ERROR;
  if (result) {
    char *perr = NULL;
    if (cfr_regions_from_json(result, out, &perr) == 0) rc = SQLITE_OK;
    else *err = sqlite3_mprintf("%s: unexpected response: %s", what, perr ? perr : "bad shape");
    free(perr);
  }
  json_decref(root);
  cfr_http_response_clear(&resp);
  sqlite3_free(what);
  sqlite3_free(path);
  return rc;
}

static cfr_http *new_client(const char *base_url, int max_retries, long timeout_ms, char **err) {
  cfr_http_config cfg = {base_url, max_retries, timeout_ms, "cfregions/" CFREGIONS_VERSION};
  char *why = NULL;
  cfr_http *http = cfr_http_new(&cfg, &why);
  if (!http) *err = sqlite3_mprintf("%s", why ? why : "cannot create the HTTP client");
  free(why);
  return http;
}

static int zone_regions(cfr_conn *conn, cfr_http *http, const char *token_env, const char *zone_id,
                        const char *base_url, int api_version, const cfr_regions **out, char **err) {
  *out = cfr_conn_zone_regions(conn, zone_id, base_url, api_version);
  if (*out) return SQLITE_OK;
  cfr_regions *fetched = NULL;
  const cfr_api_dialect *d = api_version == 1 ? &cfr_api_v1 : &cfr_api_v2;
  int rc = fetch_regions(http, conn, token_env, d, zone_id, &fetched, err);
  if (rc == SQLITE_OK) rc = cfr_conn_cache_zone_regions(conn, zone_id, base_url, api_version, fetched);
  if (rc == SQLITE_OK) *out = cfr_conn_zone_regions(conn, zone_id, base_url, api_version);
  return rc;
}

int cfr_api_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version,
                         const cfr_regions **out, char **err) {
  base_url = effective_base_url(base_url);
  *out = cfr_conn_zone_regions(conn, zone_id, base_url, api_version);
  if (*out) return SQLITE_OK;
  if (strlen(zone_id) != 32 || strspn(zone_id, "0123456789abcdefABCDEF") != 32) {
    *err = sqlite3_mprintf("zone_id '%s': expected the zone's 32 hexadecimal digits", zone_id);
    return SQLITE_ERROR;
  }
  cfr_http *http = new_client(base_url, 2, 60000, err);
  if (!http) return SQLITE_ERROR;
  int rc = zone_regions(conn, http, NULL, zone_id, base_url, api_version, out, err);
  cfr_http_free(http);
  return rc;
}

static int api_regions(cfr_store *store, const cfr_regions **out, char **err) {
  api_store *s = (api_store *)store;
  return zone_regions(s->conn, s->http, s->token_env, s->zone_id, s->base_url, s->dialect->version, out, err);
}

static void api_costs(cfr_store *store, double rows, double *list_cost, double *get_cost) {
  api_store *s = (api_store *)store;
  const double request = 10000.0;  /* a round trip dwarfs any local work */
  double pages = s->dialect->version == 1 ? 1 : fmax(1, ceil(rows / PAGE_SIZE));
  *list_cost = pages * request + rows;
  *get_cost = request;
}

static void api_close(cfr_store *store) {
  api_store *s = (api_store *)store;
  cfr_http_free(s->http);
  sqlite3_free(s->base_url);
  sqlite3_free(s->token_env);
  sqlite3_free(s);
}

static const cfr_store_methods api_methods_v1 = {
  .name = "api v1", .transactional = 0, .list = api_list, .list_head = api_list_head, .get = api_get,
  .get_many = api_get_many, .apply = api_apply, .regions = api_regions, .costs = api_costs, .close = api_close,
};
static const cfr_store_methods api_methods_v2 = {
  .name = "api v2", .transactional = 0, .list = api_list, .list_head = api_list_head, .get = api_get,
  .get_many = api_get_many, .apply = api_apply, .regions = api_regions, .costs = api_costs, .close = api_close,
};

int cfr_store_api_open(cfr_conn *conn, const cfr_table_args *args, cfr_store **out, char **err) {
  *out = NULL;
  api_store *s = sqlite3_malloc(sizeof(*s));
  if (!s) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->base.methods = args->api_version == 1 ? &api_methods_v1 : &api_methods_v2;
  s->dialect = args->api_version == 1 ? &cfr_api_v1 : &cfr_api_v2;
  s->conn = conn;
  memcpy(s->zone_id, args->zone_id, sizeof(s->zone_id));
  s->base_url = sqlite3_mprintf("%s", effective_base_url(args->base_url));
  s->token_env = args->token_env ? sqlite3_mprintf("%s", args->token_env) : NULL;
  if (!s->base_url || (args->token_env && !s->token_env)) { api_close(&s->base); return SQLITE_NOMEM; }
  s->http = new_client(s->base_url, args->max_retries, args->timeout_ms, err);
  if (!s->http) { api_close(&s->base); return SQLITE_ERROR; }
  *out = &s->base;
  return SQLITE_OK;
}
