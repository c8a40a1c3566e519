/*
** http.c — the API store's HTTP client (see http.h): libcurl with Cloudflare's SDK retry rules.
**
** This file is the client itself: its configuration, its lifetime and its credentials, and the
** small helpers the client's other files share. The engine that runs requests, with the retries
** and the waits between attempts, is http_engine.c; one attempt on one connection, with the
** response caps, is http_transfer.c; what needs no transfer (base URL validation, the retry
** headers, the retry and backoff rules, error texts) is http_rules.c; the process-wide rate budget
** per credential is http_budget.c. http_int.h says what they share.
**
** Standalone on purpose: no SQLite, no JSON, plain malloc/free, so a C test links the client's
** files alone.
*/
#include "http_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------- helpers the client's files share (http_int.h) ---------- */

/* A volatile pointer keeps the compiler from dropping the wipe of memory about to be freed. */
void cfr_http_wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

void cfr_http_free_secret(char **s) {
  if (*s) { cfr_http_wipe(*s, strlen(*s)); free(*s); *s = NULL; }
}

char *cfr_http_dup_printf(const char *fmt, const char *a, const char *b) {
  int n = snprintf(NULL, 0, fmt, a, b);
  char *d = n < 0 ? NULL : malloc((size_t)n + 1);
  if (d) snprintf(d, (size_t)n + 1, fmt, a, b);
  return d;
}
char *cfr_http_dup_str(const char *s) { return cfr_http_dup_printf("%s%s", s, ""); }

/* ---------- libcurl, once per process ---------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static void curl_init_once(void) {
  curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  cfr_http_budget_init();
}

/* ---------- the rate budget of the client's credential (http_budget.c) ---------- */

/* Follows the client's current credential; keeps the old budget if a new one cannot be made. */
static int follow_credential(cfr_http *h) {
  return cfr_http_budget_follow(&h->budget, h->token, h->email, h->key, h->rate_requests,
                                h->rate_seconds);
}

/* ---------- client lifetime ---------- */

static cfr_http *fail_new(cfr_http *h, char **err, const char *msg) {
  if (err) *err = cfr_http_dup_str(msg);
  cfr_http_free(h);
  return NULL;
}

static const char *config_problem(const cfr_http_config *cfg) {
  if (!cfg || !cfg->base_url || !*cfg->base_url) return "base_url: missing";
  if (cfg->max_retries < 0 || cfg->max_retries > 100)
    return "max_retries: must be between 0 and 100";
  if (cfg->timeout_ms <= 0) return "timeout_ms: must be positive";
  if (cfg->max_wait_ms < CFR_HTTP_NO_WAIT || cfg->max_wait_ms > CFR_HTTP_MAX_WAIT_LIMIT_MS)
    return "max_wait_ms: must be between 0 and 7 days (or CFR_HTTP_NO_WAIT)";
  return NULL;
}

cfr_http *cfr_http_new(const cfr_http_config *cfg, char **err) {
  if (err) *err = NULL;
  pthread_once(&curl_once, curl_init_once);
  if (curl_init_rc != CURLE_OK) return fail_new(NULL, err, "libcurl initialization failed");
  const char *problem = config_problem(cfg);
  if (problem) return fail_new(NULL, err, problem);
  int requests, seconds;
  if (cfr_http_rate_parse(getenv("CLOUDFLARE_RATE_LIMIT"), &requests, &seconds) != 0)
    return fail_new(NULL, err, "CLOUDFLARE_RATE_LIMIT: expected requests/seconds, e.g. 1200/300 "
                    "(1 to 100000 requests, 1 to 86400 seconds)");
  cfr_http *h = calloc(1, sizeof *h);
  if (!h) return fail_new(NULL, err, "out of memory");
  h->max_retries = cfg->max_retries;
  h->timeout_ms = cfg->timeout_ms;
  h->max_wait_ms = cfg->max_wait_ms == 0 ? CFR_HTTP_DEFAULT_MAX_WAIT_MS : cfg->max_wait_ms;
  h->on_wait = cfg->on_wait;
  h->on_wait_ctx = cfg->on_wait_ctx;
  h->rate_requests = requests;
  h->rate_seconds = seconds;
  h->rng = ((uint64_t)cfr_http_now_ms() << 20) ^ (uint64_t)(uintptr_t)h ^ (uint64_t)time(NULL);
  if (!h->rng) h->rng = 0x9E3779B97F4A7C15ULL;

  problem = cfr_http_base_parse(cfg->base_url, &h->base);
  if (problem) return fail_new(h, err, problem);

  h->user_agent = cfr_http_dup_str(cfg->user_agent ? cfg->user_agent : "cfregions");
  h->multi = curl_multi_init();
  if (!h->user_agent || !h->multi || !follow_credential(h))
    return fail_new(h, err, "out of memory");
  return h;
}

static void forget_credentials(cfr_http *h) {
  cfr_http_free_secret(&h->token); cfr_http_free_secret(&h->email); cfr_http_free_secret(&h->key);
}

void cfr_http_free(cfr_http *h) {
  if (!h) return;
  for (int i = 0; i < MAX_PARALLEL && h->slots[i]; i++) { /* between calls no slot is busy */
    if (h->slots[i]->easy) curl_easy_cleanup(h->slots[i]->easy);
    free(h->slots[i]);
  }
  if (h->multi) curl_multi_cleanup(h->multi);
  cfr_http_budget_detach(h->budget);
  free(h->base.url); free(h->base.host_port); free(h->user_agent);
  forget_credentials(h);
  free(h);
}

/* Trims surrounding whitespace (a token read from a file often ends in a newline) and rejects
** control characters, which would let a credential inject headers. */
static int copy_credential(const char *src, char **dst) {
  if (!src) return 1;
  src += strspn(src, " \t\r\n");
  size_t n = strlen(src);
  while (n > 0 && strchr(" \t\r\n", src[n - 1])) n--;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) return 0;
  if (n == 0) return 1;
  if (!(*dst = malloc(n + 1))) return 0;
  memcpy(*dst, src, n);
  (*dst)[n] = 0;
  return 1;
}

void cfr_http_set_credentials(cfr_http *h, const char *token, const char *email, const char *key) {
  if (!h) return;
  forget_credentials(h);
  int ok = copy_credential(token, &h->token) && copy_credential(email, &h->email) &&
           copy_credential(key, &h->key);
  h->bad_credentials = !ok;
  if (!ok) forget_credentials(h);
  /* Out of memory here keeps the previous credential's budget: still a budget, only shared with
  ** the wrong clients, until the next call. */
  (void)follow_credential(h);
}

void cfr_http_response_clear(cfr_http_response *r) {
  if (!r) return;
  free(r->body);
  memset(r, 0, sizeof *r);
}
