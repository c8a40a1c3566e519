/*
** api_client.c — requests to Cloudflare's API for one connection. See api_client.h.
*/
#include "api_client.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_rules.h"

#define DEFAULT_BASE_URL "https://api.cloudflare.com/client/v4"

struct cfr_api_client {
  int refs;
  cfr_context *ctx;
  cfr_http *http;
  char *base_url;        /* normalized */
  int base_url_trusted;  /* Cloudflare's, loopback or $CLOUDFLARE_BASE_URL: no need to ask ctx */
  char *token_env;       /* NULL: CLOUDFLARE_API_TOKEN, then CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY */
  long long wait_shown_until_ms; /* the end of the last wait shown on the terminal (monotonic) */
  sqlite3_uint64 budget_statement; /* the statements running when the wait budget was refilled */
};

/* ---- where requests go, with which credentials ---- */

/* Scheme and host are case-insensitive, and the default port is the same as none: folded here so
** that an allowed URL matches however either was written. */
static void fold_origin(char *url) {
  char *host = strstr(url, "://");
  if (!host) return;
  host += 3;
  char *end = host + strcspn(host, "/");
  for (char *p = url; p < end; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  const char *port = strncmp(url, "https://", 8) == 0 ? ":443" : ":80";
  size_t n = strlen(port);
  if ((size_t)(end - host) > n && strncmp(end - n, port, n) == 0) memmove(end - n, end, strlen(end) + 1);
}

int cfr_api_normalize_base_url(const char *url, char **out, char **err) {
  cfr_http_base base;
  const char *problem = cfr_http_base_parse(url, &base);
  *out = NULL;
  if (problem) {
    *err = sqlite3_mprintf("%s", problem);
    return SQLITE_ERROR;
  }
  *out = sqlite3_mprintf("%s", base.url);
  free(base.url);
  free(base.host_port);
  if (*out) fold_origin(*out);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

static const char *env_base_url(void) {
  const char *env = getenv("CLOUDFLARE_BASE_URL");
  return env && *env ? env : NULL;
}

/* Whether url (normalized) needs no permission: Cloudflare's, loopback, or the environment's. */
static int trusted_without_asking(const char *url) {
  cfr_http_base base;
  if (cfr_http_base_parse(url, &base) != NULL) return 0;
  int trusted = base.loopback;
  free(base.url);
  free(base.host_port);
  char *fixed = NULL, *why = NULL;
  const char *env = env_base_url();
  for (int i = 0; !trusted && i < 2; i++) {
    const char *candidate = i == 0 ? DEFAULT_BASE_URL : env;
    if (!candidate) continue;
    if (cfr_api_normalize_base_url(candidate, &fixed, &why) == SQLITE_OK) trusted = strcmp(fixed, url) == 0;
    sqlite3_free(fixed);
    sqlite3_free(why);
    fixed = why = NULL;
  }
  return trusted;
}

/* Checks that requests may go to the base URL and points the client at the credentials in force
** now. Every send calls this first. */
static int ready_to_send(cfr_api_client *c, char **err) {
  if (!c->base_url_trusted && !cfr_context_base_url_allowed(c->ctx, c->base_url)) {
    *err = sqlite3_mprintf("base_url %s is not trusted on this connection: a database file must not "
                           "choose where credentials are sent. If you trust it, run SELECT "
                           "cfregions_allow_base_url('%q') first, or set CLOUDFLARE_BASE_URL",
                           c->base_url, c->base_url);
    return SQLITE_ERROR;
  }
  cfr_credentials cred;
  int rc = cfr_context_credentials(c->ctx, c->token_env, &cred, err);
  if (rc == SQLITE_OK) cfr_http_set_credentials(c->http, cred.token, cred.email, cred.key);
  return rc;
}

/* ---- requests sent together ---- */

int cfr_api_requests_init(cfr_api_requests *r, int n) {
  memset(r, 0, sizeof(*r));
  r->calls = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_http_call));
  r->resps = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_http_response));
  if (!r->calls || !r->resps) {
    sqlite3_free(r->calls);
    sqlite3_free(r->resps);
    memset(r, 0, sizeof(*r));
    return SQLITE_NOMEM;
  }
  r->n = n;
  memset(r->calls, 0, (size_t)n * sizeof(cfr_http_call));
  memset(r->resps, 0, (size_t)n * sizeof(cfr_http_response));
  return SQLITE_OK;
}

int cfr_api_requests_put(cfr_api_requests *r, int i, const char *method, char *path, char *body, int items,
                         size_t max_body) {
  r->calls[i] = (cfr_http_call){method, path, body, items, max_body};
  return path && (body || strcmp(method, "GET") == 0) ? SQLITE_OK : SQLITE_NOMEM;
}

int cfr_api_requests_send(cfr_api_client *c, cfr_api_requests *r, int stop_after_failure, char **err) {
  int rc = ready_to_send(c, err);
  if (rc == SQLITE_OK) cfr_http_run(c->http, r->n, r->calls, r->resps, stop_after_failure);
  return rc;
}

int cfr_api_requests_decode(cfr_api_requests *r, int i, int wrapped, size_t max_values,
                            cfr_api_answer *a, char **err) {
  char *what = sqlite3_mprintf("%s %s", r->calls[i].method, r->calls[i].path);
  int rc = what ? cfr_api_decode(&r->resps[i], what, wrapped, max_values, a, err) : SQLITE_NOMEM;
  if (!what) memset(a, 0, sizeof(*a));
  sqlite3_free(what);
  cfr_http_response_clear(&r->resps[i]); /* decoded: its body is no longer needed */
  return rc;
}

void cfr_api_requests_free(cfr_api_requests *r) {
  for (int i = 0; i < r->n; i++) {
    sqlite3_free((char *)r->calls[i].path);
    sqlite3_free((char *)r->calls[i].body);
    cfr_http_response_clear(&r->resps[i]);
  }
  sqlite3_free(r->calls);
  sqlite3_free(r->resps);
  memset(r, 0, sizeof(*r));
}

int cfr_api_client_get(cfr_api_client *c, const char *path, int wrapped, size_t max_body,
                       size_t max_values, cfr_api_answer *answer, char **err) {
  memset(answer, 0, sizeof(*answer));
  cfr_api_requests r;
  int rc = cfr_api_requests_init(&r, 1);
  if (rc == SQLITE_OK) rc = cfr_api_requests_put(&r, 0, "GET", sqlite3_mprintf("%s", path), NULL, 0, max_body);
  if (rc == SQLITE_OK) rc = cfr_api_requests_send(c, &r, 0, err);
  if (rc == SQLITE_OK) rc = cfr_api_requests_decode(&r, 0, wrapped, max_values, answer, err);
  cfr_api_requests_free(&r);
  return rc;
}

/* ---- the client ---- */

const char *cfr_api_client_base_url(const cfr_api_client *c) { return c->base_url; }

/* One budget per statement: its listings, lookups and COMMIT steps draw on the same max_wait_s. */
void cfr_api_client_begin(cfr_api_client *c) {
  sqlite3_uint64 running = cfr_context_statement(c->ctx);
  if (running != 0 && running == c->budget_statement) return;
  c->budget_statement = running;
  cfr_http_reset_wait_budget(c->http);
}

cfr_api_client *cfr_api_client_retain(cfr_api_client *c) {
  c->refs++;
  return c;
}

void cfr_api_client_close(cfr_api_client *c) {
  if (!c) return;
  assert(c->refs > 0);
  if (--c->refs > 0) return;
  cfr_http_free(c->http);
  sqlite3_free(c->base_url);
  sqlite3_free(c->token_env);
  sqlite3_free(c);
}

/* A wait on the API's rate limit or the rate budget is shown on a terminal, so that a long job
** does not look hung; inside Datasette or a script (stderr not a terminal) nothing is printed. The
** debug log (CLOUDFLARE_LOG=debug) records every wait either way. Requests sent together report
** the same wait: it is shown once. */
#define WAIT_SHOWN_MS 1000
static void show_wait(void *arg, long long wait_ms, const char *reason) {
  cfr_api_client *c = arg;
  if (wait_ms < WAIT_SHOWN_MS || !isatty(STDERR_FILENO)) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long until = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wait_ms;
  if (until < c->wait_shown_until_ms + WAIT_SHOWN_MS) return;
  c->wait_shown_until_ms = until;
  fprintf(stderr, "cfregions: waiting %.1f s %s\n", (double)wait_ms / 1000.0, reason);
  fflush(stderr);
}

static int new_http(cfr_api_client *c, const cfr_api_settings *settings, char **err) {
  cfr_http_config cfg = {.base_url = c->base_url, .max_retries = settings->max_retries,
                         .timeout_ms = settings->timeout_ms, .user_agent = "cfregions/" CFREGIONS_VERSION,
                         /* max_wait_s=0: never wait (0 would mean the client's default) */
                         .max_wait_ms = settings->max_wait_s ? settings->max_wait_s * 1000LL : CFR_HTTP_NO_WAIT,
                         .on_wait = show_wait, .on_wait_ctx = c};
  char *why = NULL;
  c->http = cfr_http_new(&cfg, &why);
  if (!c->http) *err = sqlite3_mprintf("%s", why ? why : "cannot create the HTTP client");
  free(why);
  return c->http ? SQLITE_OK : SQLITE_ERROR;
}

int cfr_api_client_open(cfr_context *ctx, const cfr_api_settings *settings, cfr_api_client **out, char **err) {
  *out = NULL;
  cfr_api_client *c = sqlite3_malloc(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->refs = 1;
  c->ctx = ctx;
  const char *url = settings->base_url ? settings->base_url : env_base_url();
  int rc = cfr_api_normalize_base_url(url ? url : DEFAULT_BASE_URL, &c->base_url, err);
  if (rc == SQLITE_OK && settings->token_env && !(c->token_env = sqlite3_mprintf("%s", settings->token_env)))
    rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = new_http(c, settings, err);
  if (rc != SQLITE_OK) { cfr_api_client_close(c); return rc; }
  c->base_url_trusted = trusted_without_asking(c->base_url);
  *out = c;
  return SQLITE_OK;
}
