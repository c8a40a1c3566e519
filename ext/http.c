/*
** http.c — the API store's HTTP client (see http.h): libcurl with Cloudflare's SDK retry rules.
**
** Every request, single or batched, runs through one small curl-multi engine (run_jobs), so there
** is one set of retry rules and one connection pool per client: cfr_http_request is a run of one,
** cfr_http_get_many a run of GETs, and cfr_http_run spreads any requests over up to
** CFR_HTTP_MAX_IN_FLIGHT slots. Each slot keeps its easy handle between requests (curl_easy_reset
** keeps live connections), which gives keep-alive.
**
** Around the transfers sit three limits: the response caps (body and headers, checked as bytes
** arrive), the process-wide rate budget per credential (a sliding window shared by every client
** and thread, kept in http_budget.c), and the client's rate-limit wait budget, which bounds what
** a statement spends waiting on rate limits.
**
** What needs no transfer (base URL validation, the retry headers, the retry and backoff rules,
** error texts) is in http_rules.c; this file moves bytes and applies those rules to each attempt.
**
** Standalone on purpose: no SQLite, no JSON, plain malloc/free, so a C test links it (with
** http_rules.c and http_budget.c) alone.
*/
#include "http.h"
#include "http_budget.h"
#include "http_rules.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_PARALLEL CFR_HTTP_MAX_IN_FLIGHT
#define CONNECT_TIMEOUT_MAX_MS 10000
#define BODY_FIRST_CAP 4096
#define SERVER_TEXT_MAX 200             /* characters of server-provided text in an error */
#define BODY_CAP_LIMIT ((size_t)1 << 40) /* larger per-request caps are taken as this */
/* cfr_http_get_many's cap per request: with 8 in flight, at most 64 MiB of answers at once. No
** valid page or lookup comes near it. */
#define MANY_MAX_BODY ((size_t)8 << 20)

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_DONE } job_state;

typedef struct job {
  cfr_http_call call;               /* strings borrowed from the caller for the duration of a run */
  size_t body_len;                  /* of call.body; 0 for a GET, whose body is not sent */
  cfr_http_response *out;
  job_state state;
  long long due_ms;                 /* WAITING: earliest (monotonic) start of the next attempt */
  long long budget_wait_ms;         /* waited for the rate budget before the next attempt (log) */
  long prev_status;                 /* status of an earlier attempt's complete answer, or 0 */
  int lost;                         /* an attempt's whole request went out, its answer was lost */
} job;

/* One run of cfr_http_run: its jobs and whether unstarted ones are still to be started. */
typedef struct run {
  job *jobs;
  int n;
  int stop_after_failure;
} run;

typedef struct slot {
  CURL *easy;                       /* kept across requests: its connections are reused */
  struct curl_slist *headers;       /* per attempt; holds credential copies, wiped on release */
  char *url;
  char *data;                       /* response body being read */
  size_t len, cap, max_body;
  size_t header_bytes;              /* of this attempt's responses, 1xx included */
  int too_big, headers_too_big, oom;
  cfr_http_hints hints;             /* what this attempt's response headers asked for */
  char errbuf[CURL_ERROR_SIZE];
  job *job;                         /* NULL when idle */
  cfr_http_budget *budget;          /* the rate budget whose slot the attempt holds, or NULL */
  long long started_ms;
} slot;

struct cfr_http {
  cfr_http_base base;    /* validated, normalized base URL; its loopback flag bars proxies */
  char *user_agent;
  int max_retries;
  long timeout_ms;
  long long max_wait_ms;           /* < 0: never wait on a rate limit */
  long long wait_spent_ms;         /* rate-limit waits since the reset, overlaps counted once */
  long long wait_covered_until;    /* the end of the latest rate-limit wait charged */
  void (*on_wait)(void *, long long, const char *);
  void *on_wait_ctx;
  char *token, *email, *key;
  int bad_credentials;   /* a credential had control characters (header injection): refuse */
  int rate_requests, rate_seconds;
  cfr_http_budget *budget;
  int debug;             /* CLOUDFLARE_LOG=debug, read at each call */
  CURLM *multi;
  slot *slots[MAX_PARALLEL];
  uint64_t rng;          /* per client, so no shared PRNG state between threads */
};

/* ---------- small utilities ---------- */

static void sleep_ms(long long ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL); /* an early wake-up is harmless: the engine loop re-checks due times */
}

static long long max_ll(long long a, long long b) { return a > b ? a : b; }

/* A volatile pointer keeps the compiler from dropping the wipe of memory about to be freed. */
static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

static void free_secret(char **s) {
  if (*s) { wipe(*s, strlen(*s)); free(*s); *s = NULL; }
}

static char *dup_printf(const char *fmt, const char *a, const char *b) {
  int n = snprintf(NULL, 0, fmt, a, b);
  char *d = n < 0 ? NULL : malloc((size_t)n + 1);
  if (d) snprintf(d, (size_t)n + 1, fmt, a, b);
  return d;
}
static char *dup_str(const char *s) { return dup_printf("%s%s", s, ""); }

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

/* ---------- the wait budget of a statement ---------- */

/* Whether a rate-limit wait until `until` fits in what is left of the wait budget; if so it is
** charged (only the part not already covered by an earlier, overlapping wait). *may_ms: how long
** from now the statement may still wait. */
static int charge_wait(cfr_http *h, long long now, long long until, long long *may_ms) {
  long long from = max_ll(now, h->wait_covered_until);
  long long left = h->max_wait_ms < 0 ? 0 : max_ll(0, h->max_wait_ms - h->wait_spent_ms);
  long long extra = max_ll(0, until - from);
  *may_ms = from - now + left;
  if (extra > left) return 0;
  h->wait_spent_ms += extra;
  h->wait_covered_until = max_ll(h->wait_covered_until, until);
  return 1;
}

void cfr_http_reset_wait_budget(cfr_http *h) {
  if (!h) return;
  h->wait_spent_ms = 0;
  h->wait_covered_until = 0;
}

static void notify_wait(const cfr_http *h, long long ms, const char *reason) {
  if (h->on_wait && ms > 0) h->on_wait(h->on_wait_ctx, ms, reason);
}

/* "...; retry after 22:41:07 UTC" for a wait of `wait_ms` from now. */
static void retry_time(char *dst, size_t n, long long wait_ms) {
  long long now = (long long)time(NULL);
  cfr_http_format_utc(dst, n, now + (wait_ms + 999) / 1000, now);
}

/* What a refused rate-limit wait was for. */
typedef enum {
  WAIT_ASKED,    /* the answer (`status`) named the wait: retry-after-ms / Retry-After */
  WAIT_BACKOFF,  /* a 429 without a wait: our backoff */
  WAIT_BUDGET,   /* the process's rate budget is used up */
  WAIT_BLOCKED   /* another request of this credential got a 429 asking everyone to wait */
} wait_kind;

/* Why a rate-limit wait of wait_ms was refused, and when a retry can succeed. */
static void refused_wait_text(const cfr_http *h, char *dst, size_t n, wait_kind kind,
                              long status, long long wait_ms, long long may_ms) {
  char wait[32], may[32], when[48], what[160];
  cfr_http_format_wait(wait, sizeof wait, wait_ms);
  cfr_http_format_wait(may, sizeof may, may_ms);
  retry_time(when, sizeof when, wait_ms);
  if (kind == WAIT_BUDGET)
    snprintf(what, sizeof what, "rate budget used up (%d requests per %d s, CLOUDFLARE_RATE_LIMIT):"
             " the next request may go in %s", h->rate_requests, h->rate_seconds, wait);
  else if (kind == WAIT_BLOCKED)
    snprintf(what, sizeof what, "rate limited (HTTP 429 to another request with these "
             "credentials): the API asks to wait %s more", wait);
  else
    snprintf(what, sizeof what, "%s%ld%s: %s %s", status == 429 ? "rate limited (HTTP " : "HTTP ",
             status, status == 429 ? ")" : "", kind == WAIT_ASKED ? "the API asks to wait" :
             "the retry would wait", wait);
  snprintf(dst, n, "%s, more than the %s this statement may still wait (max_wait_s); retry after "
           "%s", what, may, when);
}

/* ---------- client lifetime ---------- */

static cfr_http *fail_new(cfr_http *h, char **err, const char *msg) {
  if (err) *err = dup_str(msg);
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

  h->user_agent = dup_str(cfg->user_agent ? cfg->user_agent : "cfregions");
  h->multi = curl_multi_init();
  if (!h->user_agent || !h->multi || !follow_credential(h))
    return fail_new(h, err, "out of memory");
  return h;
}

static void forget_credentials(cfr_http *h) {
  free_secret(&h->token); free_secret(&h->email); free_secret(&h->key);
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

/* ---------- curl callbacks ---------- */

/* Geometric growth from a small start (or the announced length), never past the cap (+1 for the
** NUL): a response never holds more memory than its cap allows. */
static int body_reserve(slot *s, size_t need) {
  size_t limit = s->max_body + 1, cap = s->cap ? s->cap : BODY_FIRST_CAP;
  if (!s->cap) {
    curl_off_t announced = -1;
    if (curl_easy_getinfo(s->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) == CURLE_OK &&
        announced > 0 && (curl_off_t)s->max_body >= announced)
      cap = (size_t)announced + 1; /* compressed answers announce less: growth covers the rest */
  }
  while (cap < need && cap <= limit / 2) cap *= 2;
  if (cap < need) cap = need;
  if (cap > limit) cap = limit;
  char *p = cap == s->cap ? s->data : realloc(s->data, cap);
  if (p) { s->data = p; s->cap = cap; }
  return p != NULL;
}

/* Returning less than n aborts the transfer (CURLE_WRITE_ERROR); the flags say why. With
** Accept-Encoding, curl hands over decoded bytes, so a compressed bomb stops at the cap too. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  slot *s = ud;
  size_t n = size * nmemb;
  if (n > s->max_body - s->len) { s->too_big = 1; return 0; }
  if (!body_reserve(s, s->len + n + 1)) { s->oom = 1; return 0; }
  memcpy(s->data + s->len, p, n);
  s->data[s->len += n] = 0;
  return n;
}

static size_t on_header(char *p, size_t size, size_t nitems, void *ud) {
  slot *s = ud;
  size_t n = size * nitems;
  if (n > CFR_HTTP_MAX_HEADERS - s->header_bytes) { s->headers_too_big = 1; return 0; }
  s->header_bytes += n;
  cfr_http_hints_header(&s->hints, p, n, (long long)time(NULL));
  return n;
}

/* ---------- one attempt: set up, judge, describe ---------- */

static struct curl_slist *add_header(struct curl_slist *list, const char *line, int *ok) {
  struct curl_slist *l = *ok ? curl_slist_append(list, line) : NULL;
  if (!l) *ok = 0;
  return l ? l : list;
}

/* `prefix` is "Name: " (plus "Bearer " for a token); the joined line is wiped after copying. */
static struct curl_slist *add_secret_header(struct curl_slist *list, const char *prefix,
                                            const char *value, int *ok) {
  char *line = *ok ? dup_printf("%s%s", prefix, value) : NULL;
  if (!line) { *ok = 0; return list; }
  list = add_header(list, line, ok);
  free_secret(&line);
  return list;
}

/* curl_slist_append copies each line; those copies hold credentials, so wipe before freeing. */
static void free_headers(struct curl_slist *list) {
  for (struct curl_slist *l = list; l; l = l->next) wipe(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

static int method_is(const job *j, const char *m) { return strcmp(j->call.method, m) == 0; }

static struct curl_slist *build_headers(const cfr_http *h, const job *j) {
  int ok = 1;
  struct curl_slist *l = add_header(NULL, "Accept: application/json", &ok);
  /* "Content-Type:" with no value stops curl from adding a form content type to an empty body;
  ** "Expect:" avoids a 100-continue round trip on large batch bodies. */
  if (!method_is(j, "GET"))
    l = add_header(l, j->call.body ? "Content-Type: application/json" : "Content-Type:", &ok);
  l = add_header(l, "Expect:", &ok);
  if (h->token) l = add_secret_header(l, "Authorization: Bearer ", h->token, &ok);
  if (h->email) l = add_secret_header(l, "X-Auth-Email: ", h->email, &ok);
  if (h->key) l = add_secret_header(l, "X-Auth-Key: ", h->key, &ok);
  if (!ok) { free_headers(l); return NULL; }
  return l;
}

#define SETOPT(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)

static long connect_timeout_ms(const cfr_http *h) {
  return h->timeout_ms < CONNECT_TIMEOUT_MAX_MS ? h->timeout_ms : CONNECT_TIMEOUT_MAX_MS;
}

/* All options, every attempt: curl_easy_reset cleared them but kept the live connections. */
static CURLcode configure(const cfr_http *h, slot *s, const job *j) {
  CURL *e = s->easy;
  CURLcode rc = CURLE_OK;
  SETOPT(CURLOPT_URL, s->url);
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);      /* a redirect goes back to the caller, never elsewhere */
  SETOPT(CURLOPT_NOSIGNAL, 1L);            /* no SIGALRM-based timeouts: we may run in threads */
  SETOPT(CURLOPT_TIMEOUT_MS, h->timeout_ms);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms(h));
  SETOPT(CURLOPT_USERAGENT, h->user_agent);
  SETOPT(CURLOPT_HTTPHEADER, s->headers);
  SETOPT(CURLOPT_ACCEPT_ENCODING, "");     /* decoded bytes still go through on_body's cap */
  SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max_body); /* early refusal by length */
  SETOPT(CURLOPT_WRITEFUNCTION, on_body); SETOPT(CURLOPT_WRITEDATA, (void *)s);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header); SETOPT(CURLOPT_HEADERDATA, (void *)s);
  SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
  if (h->base.loopback) SETOPT(CURLOPT_NOPROXY, "*"); /* a proxy would carry loopback away */
  if (method_is(j, "GET")) SETOPT(CURLOPT_HTTPGET, 1L); /* a body given with GET is ignored */
  else {
    SETOPT(CURLOPT_CUSTOMREQUEST, j->call.method);
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
    SETOPT(CURLOPT_POSTFIELDS, j->call.body ? j->call.body : "");
  }
  return rc;
}

/* The attempt's resources; the easy handle stays for the next request. */
static void release_slot(slot *s) {
  cfr_http_budget_end(s->budget);
  s->budget = NULL;
  free_headers(s->headers);
  free(s->url);
  free(s->data);
  s->headers = NULL; s->url = s->data = NULL; s->len = s->cap = 0; s->job = NULL;
}

/* NULL when the transfer is running, else why it could not start. */
static const char *start_attempt(cfr_http *h, slot *s, job *j) {
  if (!s->easy && !(s->easy = curl_easy_init())) return "out of memory";
  curl_easy_reset(s->easy);
  s->too_big = s->headers_too_big = s->oom = 0;
  s->header_bytes = 0;
  s->max_body = j->call.max_body;
  s->errbuf[0] = 0;
  cfr_http_hints_reset(&s->hints);
  s->url = dup_printf("%s%s", h->base.url, j->call.path);
  s->headers = build_headers(h, j);
  if (!s->url || !s->headers) return "out of memory";
  if (configure(h, s, j) != CURLE_OK) return "libcurl refused the request options";
  if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK)
    return "libcurl could not start the request";
  s->job = j; j->state = JOB_RUNNING; j->out->attempts++;
  s->started_ms = cfr_http_now_ms();
  return NULL;
}

/* strerror() is not thread-safe and strerror_r's signature depends on feature macros. */
static const char *connect_reason(CURL *e, CURLcode rc) {
  long err = 0;
  if (curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &err) != CURLE_OK) err = 0;
  return err == ECONNREFUSED ? "Connection refused" : err == ECONNRESET ? "Connection reset by peer"
       : err == ENETUNREACH ? "Network is unreachable" : err == EHOSTUNREACH ? "No route to host"
       : err == ETIMEDOUT ? "Connection timed out" : curl_easy_strerror(rc);
}

static int tls_refusal(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
         rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
         rc == CURLE_SSL_CERTPROBLEM;
}

/* Why an attempt got no usable answer: the real failure, not a consequence of it (a partial
** answer's status is mentioned, never reported as the outcome). Built from our own fields and
** curl's error buffer, which never holds request headers (so no credential) but may quote the
** server: that part is escaped and bounded. */
static void describe_failure(const cfr_http *h, const slot *s, CURLcode rc, long status,
                             long long elapsed, char *dst, size_t n) {
  const char *host = h->base.host_port;
  char curl_says[SERVER_TEXT_MAX], partial[96] = ""; /* escaped, at most 199 chars */
  const char *raw = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
  cfr_http_escape(curl_says, sizeof curl_says, raw, strlen(raw), SERVER_TEXT_MAX);
  if (status > 0)
    snprintf(partial, sizeof partial, " (while receiving an HTTP %ld answer, %zu body bytes "
             "in)", status, s->len);
  if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    snprintf(dst, n, "response exceeded the limit of %zu bytes for this request", s->max_body);
  else if (s->headers_too_big)
    snprintf(dst, n, "response headers exceeded the limit of %u bytes",
             (unsigned)CFR_HTTP_MAX_HEADERS);
  else if (rc == CURLE_OUT_OF_MEMORY && !s->oom && s->len == 0)
    /* libcurl buffers a header line up to 100 KiB and reports a longer one as out of memory */
    snprintf(dst, n, "a response header line exceeded libcurl's limit of 100 KiB");
  else if (s->oom || rc == CURLE_OUT_OF_MEMORY)
    snprintf(dst, n, "out of memory reading the response (%s)", curl_says);
  else if (rc == CURLE_COULDNT_CONNECT)
    snprintf(dst, n, "connection to %s failed: %s", host, connect_reason(s->easy, rc));
  else if (rc == CURLE_OPERATION_TIMEDOUT && status == 0 && elapsed < h->timeout_ms &&
           connect_timeout_ms(h) < h->timeout_ms)
    snprintf(dst, n, "connection to %s timed out after %ld ms", host, connect_timeout_ms(h));
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    snprintf(dst, n, "request timed out after %ld ms%s", h->timeout_ms, partial);
  else if (rc == CURLE_COULDNT_RESOLVE_HOST)
    snprintf(dst, n, "could not resolve the host of %s", host);
  else if (rc == CURLE_PARTIAL_FILE)
    snprintf(dst, n, "the HTTP %ld answer from %s was cut off: %s", status, host, curl_says);
  else if (rc == CURLE_GOT_NOTHING)
    snprintf(dst, n, "%s closed the connection without answering", host);
  else if (tls_refusal(rc))
    snprintf(dst, n, "the TLS certificate of %s was refused: %s", host, curl_says);
  else
    snprintf(dst, n, "request to %s failed: %s%s", host, curl_says, partial);
}

/* One line per attempt; only method, path, status, items, time, retry number, rate-budget wait
** and failure reason. */
static void log_attempt(const cfr_http *h, const job *j, long status, long long ms,
                        const char *reason) {
  char retry[32] = "", waited[64] = "";
  int nretry = j->out->attempts - 1;
  if (nretry > 0) snprintf(retry, sizeof retry, " retry %d", nretry);
  if (j->budget_wait_ms > 0)
    snprintf(waited, sizeof waited, "waited %lld ms for the rate budget", j->budget_wait_ms);
  int paren = *waited || *reason;
  fprintf(stderr, "cfregions: %s %s%s %ld %d items %lld ms%s%s%s%s%s%s\n", j->call.method,
          h->base.url + h->base.path_off, j->call.path, status, j->call.items, ms, retry,
          paren ? " (" : "", waited, *waited && *reason ? "; " : "", reason, paren ? ")" : "");
}

/* ---------- the end of a request ---------- */

static int is_2xx(long status) { return status >= 200 && status < 300; }

static void skip_unstarted(run *r);

static void job_done(run *r, job *j) {
  cfr_http_response *out = j->out;
  j->state = JOB_DONE;
  out->outcome_unknown = j->lost && !is_2xx(out->status);
  if (!is_2xx(out->status) && r->stop_after_failure) skip_unstarted(r);
}

/* No final answer: status 0, no body, the reason (with what the attempts saw). */
static void job_fail(run *r, job *j, const char *reason) {
  cfr_http_response *out = j->out;
  char earlier[64] = "";
  if (j->prev_status > 0)
    snprintf(earlier, sizeof earlier, "; an earlier attempt got HTTP %ld", j->prev_status);
  if (out->attempts > 1)
    snprintf(out->error, sizeof out->error, "%s (after %d attempts%s)", reason, out->attempts,
             earlier);
  else
    snprintf(out->error, sizeof out->error, "%s", reason);
  free(out->body);
  out->body = NULL; out->body_len = 0; out->status = 0;
  job_done(r, j);
}

/* A final answer, whatever its status: the attempt's buffer, or "" for an empty body. */
static void job_answer(run *r, job *j, slot *s, long status) {
  cfr_http_response *out = j->out;
  out->body = s->data ? s->data : dup_str("");
  out->body_len = s->data ? s->len : 0;
  s->data = NULL;
  out->status = status;
  if (!out->body) job_fail(r, j, "out of memory");
  else job_done(r, j);
}

static void skip_unstarted(run *r) {
  for (int i = 0; i < r->n; i++) {
    job *j = &r->jobs[i];
    if (j->state != JOB_WAITING || j->out->attempts > 0) continue;
    snprintf(j->out->error, sizeof j->out->error, "%s", CFR_HTTP_NOT_SENT);
    j->state = JOB_DONE;
  }
}

/* ---------- judging an attempt ---------- */

/* After a complete answer worth a retry: when to retry, or 0 with `refusal` set when the wait it
** needs is a rate-limit wait that does not fit in the wait budget. */
static long long answer_retry_delay(cfr_http *h, slot *s, long status, long long t,
                                    char *refusal, size_t n) {
  job *j = s->job;
  long long asked = cfr_http_asked_delay_ms(&s->hints);
  long long delay = asked > 0 ? asked : cfr_http_backoff_ms(j->out->attempts - 1, &h->rng);
  if (status != 429 && asked == 0) return delay; /* a plain backoff: not a rate-limit wait */
  long long may;
  if (!charge_wait(h, t, t + delay, &may)) {
    refused_wait_text(h, refusal, n, asked > 0 ? WAIT_ASKED : WAIT_BACKOFF, status, delay, may);
    return 0;
  }
  if (status == 429 && asked > 0) /* the others hold back too */
    cfr_http_budget_block(h->budget, t + delay);
  j->out->waited_ms += delay;
  notify_wait(h, delay, "for the API's rate limit");
  return delay;
}

/* Judges a finished attempt: done (answer or error) or waiting for its retry. */
static void finish_attempt(cfr_http *h, run *r, slot *s, CURLcode rc) {
  job *j = s->job;
  cfr_http_response *out = j->out;
  long long t = cfr_http_now_ms(), elapsed = t - s->started_ms, delay = -1;
  long status = 0, request_bytes = 0;
  curl_off_t uploaded = 0;
  if (curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = 0;
  if (curl_easy_getinfo(s->easy, CURLINFO_REQUEST_SIZE, &request_bytes) != CURLE_OK)
    request_bytes = 1; /* unknown: assume it went out, the safe claim */
  if (curl_easy_getinfo(s->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded) != CURLE_OK)
    uploaded = (curl_off_t)j->body_len;
  int ok = rc == CURLE_OK && !s->too_big && !s->headers_too_big && !s->oom;
  if (request_bytes > 0) out->sent = 1;
  if (!ok && request_bytes > 0 && uploaded >= (curl_off_t)j->body_len) j->lost = 1;
  char reason[sizeof out->error] = "";
  if (ok && cfr_http_status_retryable(status, &s->hints) && out->attempts <= h->max_retries)
    delay = answer_retry_delay(h, s, status, t, reason, sizeof reason);
  else if (!ok) {
    describe_failure(h, s, rc, status, elapsed, reason, sizeof reason);
    /* Our own refusals (too big, out of memory) would only repeat. */
    if (!s->too_big && !s->headers_too_big && !s->oom && cfr_http_transport_retryable(rc) &&
        out->attempts <= h->max_retries)
      delay = cfr_http_backoff_ms(out->attempts - 1, &h->rng);
  }
  if (h->debug) log_attempt(h, j, ok ? status : 0, elapsed, reason);
  j->budget_wait_ms = 0;
  if (delay > 0) {
    if (ok) j->prev_status = status;
    j->state = JOB_WAITING;
    j->due_ms = t + delay;
  } else if (ok && !*reason) {
    job_answer(r, j, s, status);
  } else {
    job_fail(r, j, reason);
  }
  release_slot(s);
}

/* ---------- the engine: jobs over slots, on one multi handle ---------- */

static int ensure_slots(cfr_http *h, int want) {
  int n = 0;
  while (n < want && (h->slots[n] || (h->slots[n] = calloc(1, sizeof(slot))))) n++;
  return n;
}

static long long next_due(const run *r) { /* -1: nothing left to start */
  long long due = -1;
  for (int i = 0; i < r->n; i++)
    if (r->jobs[i].state == JOB_WAITING && (due < 0 || r->jobs[i].due_ms < due))
      due = r->jobs[i].due_ms;
  return due;
}

static job *next_ready(run *r, long long t) {
  for (int i = 0; i < r->n; i++)
    if (r->jobs[i].state == JOB_WAITING && r->jobs[i].due_ms <= t) return &r->jobs[i];
  return NULL;
}

/* Takes a rate-budget slot for j's next attempt. 0 when j must not start now: it waits for a
** slot (rescheduled) or the wait does not fit in the wait budget (failed). */
static int take_budget_slot(cfr_http *h, run *r, job *j) {
  int blocked;
  long long now, earliest = cfr_http_budget_take(h->budget, &now, &blocked), may;
  if (earliest <= now) return 1;
  if (!charge_wait(h, now, earliest, &may)) {
    char why[sizeof j->out->error];
    refused_wait_text(h, why, sizeof why, blocked ? WAIT_BLOCKED : WAIT_BUDGET, 0, earliest - now,
                      may);
    if (h->debug) log_attempt(h, j, 0, 0, why);
    job_fail(r, j, why);
    return 0;
  }
  j->due_ms = earliest;
  if (!blocked) j->budget_wait_ms += earliest - now;
  j->out->waited_ms += earliest - now;
  notify_wait(h, earliest - now, blocked ? "for the API's rate limit" : "for the rate budget");
  return 0;
}

/* Starts due jobs on idle slots; returns how many slots are busy. */
static int fill_slots(cfr_http *h, run *r, int nslots) {
  int busy = 0;
  for (int i = 0; i < nslots; i++) {
    slot *s = h->slots[i];
    job *j;
    while (!s->job && (j = next_ready(r, cfr_http_now_ms()))) {
      if (!take_budget_slot(h, r, j)) continue;
      s->budget = h->budget; /* the slot's attempt holds one of the budget's slots */
      const char *why = start_attempt(h, s, j);
      if (why) { release_slot(s); job_fail(r, j, why); }
    }
    busy += s->job != NULL;
  }
  return busy;
}

/* A handle whose removal failed is in an unknown state: drop it, the slot makes a new one. */
static void detach(cfr_http *h, slot *s) {
  if (curl_multi_remove_handle(h->multi, s->easy) != CURLM_OK) {
    curl_easy_cleanup(s->easy);
    s->easy = NULL;
  }
}

static void drain_done(cfr_http *h, run *r, int nslots) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(h->multi, &left))) {
    for (int i = 0; m->msg == CURLMSG_DONE && i < nslots; i++) {
      slot *s = h->slots[i];
      if (!s->job || s->easy != m->easy_handle) continue;
      CURLcode rc = m->data.result;
      finish_attempt(h, r, s, rc);
      detach(h, s); /* m is invalid from here on */
      break;
    }
  }
}

/* The multi handle itself failed: every unfinished job fails with that reason. */
static void abort_all(cfr_http *h, run *r, int nslots, CURLMcode mrc) {
  char why[128];
  snprintf(why, sizeof why, "libcurl failed: %s", curl_multi_strerror(mrc));
  for (int i = 0; i < nslots; i++)
    if (h->slots[i]->job) { detach(h, h->slots[i]); release_slot(h->slots[i]); }
  for (int i = 0; i < r->n; i++)
    if (r->jobs[i].state != JOB_DONE) job_fail(r, &r->jobs[i], why);
}

/* Wakes up for the next due retry even while other transfers are still running. */
static int poll_timeout_ms(const run *r) {
  long long due = next_due(r), wait = due < 0 ? 1000 : due - cfr_http_now_ms();
  return wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait;
}

static void run_jobs(cfr_http *h, run *r) {
  const char *log = getenv("CLOUDFLARE_LOG");
  h->debug = log && strcasecmp(log, "debug") == 0;
  int nslots = ensure_slots(h, r->n < MAX_PARALLEL ? r->n : MAX_PARALLEL);
  if (nslots == 0) {
    for (int i = 0; i < r->n; i++)
      if (r->jobs[i].state != JOB_DONE) job_fail(r, &r->jobs[i], "out of memory");
    return;
  }
  for (;;) {
    if (fill_slots(h, r, nslots) == 0) {
      long long due = next_due(r);
      if (due < 0) return; /* every job is done */
      /* nothing in flight: just wait for the next one to be due */
      sleep_ms(due - cfr_http_now_ms());
      continue;
    }
    int running = 0;
    CURLMcode mrc = curl_multi_perform(h->multi, &running);
    if (mrc == CURLM_OK) drain_done(h, r, nslots);
    if (mrc == CURLM_OK && running > 0)
      mrc = curl_multi_poll(h->multi, NULL, 0, poll_timeout_ms(r), NULL);
    if (mrc != CURLM_OK) { abort_all(h, r, nslots, mrc); return; }
  }
}

/* ---------- public requests ---------- */

static const char *request_problem(const cfr_http *h, const cfr_http_call *c) {
  if (!h) return "no HTTP client";
  if (h->bad_credentials) return "the credentials contain control characters; check them";
  if (!c->method || !*c->method ||
      strspn(c->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(c->method))
    return "invalid HTTP method";
  if (!c->path || c->path[0] != '/') return "request path must start with '/'";
  return NULL;
}

static void job_init(job *j, const cfr_http_call *c, cfr_http_response *out) {
  memset(j, 0, sizeof *j);
  j->call = *c;
  if (j->call.max_body == 0) j->call.max_body = CFR_HTTP_MAX_BODY;
  if (j->call.max_body > BODY_CAP_LIMIT) j->call.max_body = BODY_CAP_LIMIT;
  j->out = out;
  j->state = JOB_WAITING;
  int get = c->method && strcmp(c->method, "GET") == 0;
  j->body_len = c->body && !get ? strlen(c->body) : 0;
}

int cfr_http_run(cfr_http *h, int n, const cfr_http_call *calls, cfr_http_response *outs,
                 int stop_after_failure) {
  if (n < 0 || (n > 0 && (!calls || !outs))) return -1;
  for (int i = 0; i < n; i++) memset(&outs[i], 0, sizeof outs[i]);
  run r = {calloc(n > 0 ? (size_t)n : 1, sizeof(job)), n, stop_after_failure};
  if (!r.jobs) {
    for (int i = 0; i < n; i++) snprintf(outs[i].error, sizeof outs[i].error, "out of memory");
    return n;
  }
  for (int i = 0; i < n; i++) job_init(&r.jobs[i], &calls[i], &outs[i]);
  for (int i = 0; i < n; i++) { /* a bad request is the caller's error: it stops a stopping run */
    const char *problem = request_problem(h, &calls[i]);
    if (problem && r.jobs[i].state == JOB_WAITING) job_fail(&r, &r.jobs[i], problem);
  }
  if (h && n > 0) run_jobs(h, &r);
  free(r.jobs);
  int failed = 0;
  for (int i = 0; i < n; i++) failed += !is_2xx(outs[i].status);
  return failed;
}

int cfr_http_request(cfr_http *h, const char *method, const char *path_and_query,
                     const char *json_body, int items, cfr_http_response *out) {
  if (!out) return -1;
  cfr_http_call c = {method, path_and_query, json_body, items, 0};
  cfr_http_run(h, 1, &c, out, 0);
  return out->status ? 0 : -1;
}

int cfr_http_get_many(cfr_http *h, int n, const char *const *paths, cfr_http_response *outs) {
  if (n <= 0) return 0;
  if (!paths || !outs) return -1;
  cfr_http_call *calls = calloc((size_t)n, sizeof *calls);
  if (!calls) {
    for (int i = 0; i < n; i++) {
      memset(&outs[i], 0, sizeof outs[i]);
      snprintf(outs[i].error, sizeof outs[i].error, "out of memory");
    }
    return -1;
  }
  for (int i = 0; i < n; i++) calls[i] = (cfr_http_call){"GET", paths[i], NULL, 0, MANY_MAX_BODY};
  cfr_http_run(h, n, calls, outs, 0);
  free(calls);
  for (int i = 0; i < n; i++) if (!outs[i].status) return -1;
  return 0;
}
