/*
** http.c — the API store's HTTP client (see http.h): libcurl with Cloudflare's SDK retry rules.
**
** Every request, single or batched, runs through one small curl-multi engine (run_jobs), so there
** is one set of retry rules and one connection pool per client: cfr_http_request is a batch of one
** on slot 0, cfr_http_get_many spreads its GETs over up to MAX_PARALLEL slots. Each slot keeps its
** easy handle between requests (curl_easy_reset keeps live connections), which gives keep-alive.
**
** What needs no transfer (base URL validation, the retry headers, the retry and backoff rules)
** is in http_rules.c; this file moves bytes and applies those rules to each attempt.
**
** Standalone on purpose: no SQLite, no JSON, plain malloc/free, so a C test links it (with
** http_rules.c) alone.
*/
#include "http.h"
#include "http_rules.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_PARALLEL 8
#define CONNECT_TIMEOUT_MAX_MS 10000
#define BODY_FIRST_CAP 4096

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_DONE } job_state;

typedef struct job {
  const char *method, *path, *body; /* borrowed from the caller for the duration of the call */
  int items;
  cfr_http_response *out;
  job_state state;
  long long due_ms;                 /* WAITING: earliest (monotonic) start time */
} job;

typedef struct slot {
  CURL *easy;                       /* kept across requests: its connections are reused */
  struct curl_slist *headers;       /* per attempt; holds credential copies, wiped on release */
  char *url;
  char *data;                       /* response body being read */
  size_t len, cap;
  int too_big, oom;
  cfr_http_hints hints;             /* what this attempt's response headers asked for */
  char errbuf[CURL_ERROR_SIZE];
  job *job;                         /* NULL when idle */
  long long started_ms;
} slot;

struct cfr_http {
  cfr_http_base base;    /* validated, normalized base URL; its loopback flag bars proxies */
  char *user_agent;
  int max_retries;
  long timeout_ms;
  char *token, *email, *key;
  int bad_credentials;   /* a credential had control characters (header injection): refuse */
  int debug;             /* CLOUDFLARE_LOG=debug, read at each call */
  CURLM *multi;
  slot *slots[MAX_PARALLEL];
  uint64_t rng;          /* per client, so no shared PRNG state between threads */
};

/* ---------- small utilities ---------- */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL); /* an early wake-up is harmless: the engine loop re-checks due times */
}

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
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---------- client lifetime ---------- */

static cfr_http *fail_new(cfr_http *h, char **err, const char *msg) {
  if (err) *err = dup_str(msg);
  cfr_http_free(h);
  return NULL;
}

cfr_http *cfr_http_new(const cfr_http_config *cfg, char **err) {
  if (err) *err = NULL;
  pthread_once(&curl_once, curl_init_once);
  if (curl_init_rc != CURLE_OK) return fail_new(NULL, err, "libcurl initialization failed");
  if (!cfg || !cfg->base_url || !*cfg->base_url) return fail_new(NULL, err, "base_url: missing");
  if (cfg->max_retries < 0 || cfg->max_retries > 100)
    return fail_new(NULL, err, "max_retries: must be between 0 and 100");
  if (cfg->timeout_ms <= 0) return fail_new(NULL, err, "timeout_ms: must be positive");
  cfr_http *h = calloc(1, sizeof *h);
  if (!h) return fail_new(NULL, err, "out of memory");
  h->max_retries = cfg->max_retries;
  h->timeout_ms = cfg->timeout_ms;
  h->rng = ((uint64_t)now_ms() << 20) ^ (uint64_t)(uintptr_t)h ^ (uint64_t)time(NULL);
  if (!h->rng) h->rng = 0x9E3779B97F4A7C15ULL;

  const char *problem = cfr_http_base_parse(cfg->base_url, &h->base);
  if (problem) return fail_new(h, err, problem);

  h->user_agent = dup_str(cfg->user_agent ? cfg->user_agent : "cfregions");
  h->multi = curl_multi_init();
  if (!h->user_agent || !h->multi) return fail_new(h, err, "out of memory");
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
}

void cfr_http_response_clear(cfr_http_response *r) {
  if (!r) return;
  free(r->body);
  memset(r, 0, sizeof *r);
}

/* ---------- curl callbacks ---------- */

/* Geometric growth from a small start, never past the limit (+1 for the NUL). */
static int body_reserve(slot *s, size_t need) {
  size_t cap = s->cap ? s->cap : BODY_FIRST_CAP;
  while (cap < need) cap *= 2;
  if (cap > (size_t)CFR_HTTP_MAX_BODY + 1) cap = (size_t)CFR_HTTP_MAX_BODY + 1;
  char *p = cap == s->cap ? s->data : realloc(s->data, cap);
  if (p) { s->data = p; s->cap = cap; }
  return p != NULL;
}

/* Returning less than n aborts the transfer (CURLE_WRITE_ERROR); the flags say why. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  slot *s = ud;
  size_t n = size * nmemb;
  if (n > (size_t)CFR_HTTP_MAX_BODY - s->len) { s->too_big = 1; return 0; }
  if (!body_reserve(s, s->len + n + 1)) { s->oom = 1; return 0; }
  memcpy(s->data + s->len, p, n);
  s->data[s->len += n] = 0;
  return n;
}

static size_t on_header(char *p, size_t size, size_t nitems, void *ud) {
  slot *s = ud;
  size_t n = size * nitems;
  cfr_http_hints_header(&s->hints, p, n);
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

static int method_is(const job *j, const char *m) { return strcmp(j->method, m) == 0; }

static struct curl_slist *build_headers(const cfr_http *h, const job *j) {
  int ok = 1;
  struct curl_slist *l = add_header(NULL, "Accept: application/json", &ok);
  /* "Content-Type:" with no value stops curl from adding a form content type to an empty body;
  ** "Expect:" avoids a 100-continue round trip on large batch bodies. */
  if (!method_is(j, "GET"))
    l = add_header(l, j->body ? "Content-Type: application/json" : "Content-Type:", &ok);
  l = add_header(l, "Expect:", &ok);
  if (h->token) l = add_secret_header(l, "Authorization: Bearer ", h->token, &ok);
  if (h->email) l = add_secret_header(l, "X-Auth-Email: ", h->email, &ok);
  if (h->key) l = add_secret_header(l, "X-Auth-Key: ", h->key, &ok);
  if (!ok) { free_headers(l); return NULL; }
  return l;
}

#define SETOPT(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)

/* All options, every attempt: curl_easy_reset cleared them but kept the live connections. */
static CURLcode configure(const cfr_http *h, slot *s, const job *j) {
  CURL *e = s->easy;
  CURLcode rc = CURLE_OK;
  long connect_ms = h->timeout_ms < CONNECT_TIMEOUT_MAX_MS ? h->timeout_ms : CONNECT_TIMEOUT_MAX_MS;
  SETOPT(CURLOPT_URL, s->url);
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);      /* a redirect goes back to the caller, never elsewhere */
  SETOPT(CURLOPT_NOSIGNAL, 1L);            /* no SIGALRM-based timeouts: we may run in threads */
  SETOPT(CURLOPT_TIMEOUT_MS, h->timeout_ms);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  SETOPT(CURLOPT_USERAGENT, h->user_agent);
  SETOPT(CURLOPT_HTTPHEADER, s->headers);
  SETOPT(CURLOPT_ACCEPT_ENCODING, "");     /* decoded bytes still go through on_body's limit */
  SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CFR_HTTP_MAX_BODY); /* early refusal by length */
  SETOPT(CURLOPT_WRITEFUNCTION, on_body); SETOPT(CURLOPT_WRITEDATA, (void *)s);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header); SETOPT(CURLOPT_HEADERDATA, (void *)s);
  SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
  if (h->base.loopback) SETOPT(CURLOPT_NOPROXY, "*"); /* a proxy would carry loopback away */
  if (method_is(j, "GET")) SETOPT(CURLOPT_HTTPGET, 1L); /* a body given with GET is ignored */
  else {
    SETOPT(CURLOPT_CUSTOMREQUEST, j->method);
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(j->body ? strlen(j->body) : 0));
    SETOPT(CURLOPT_POSTFIELDS, j->body ? j->body : "");
  }
  return rc;
}

/* The attempt's resources; the easy handle stays for the next request. */
static void release_slot(slot *s) {
  free_headers(s->headers);
  free(s->url);
  free(s->data);
  s->headers = NULL; s->url = s->data = NULL; s->len = s->cap = 0; s->job = NULL;
}

/* NULL when the transfer is running, else why it could not start. */
static const char *start_attempt(cfr_http *h, slot *s, job *j) {
  if (!s->easy && !(s->easy = curl_easy_init())) return "out of memory";
  curl_easy_reset(s->easy);
  s->too_big = s->oom = 0;
  s->errbuf[0] = 0;
  cfr_http_hints_reset(&s->hints);
  s->url = dup_printf("%s%s", h->base.url, j->path);
  s->headers = build_headers(h, j);
  if (!s->url || !s->headers) return "out of memory";
  if (configure(h, s, j) != CURLE_OK) return "libcurl refused the request options";
  if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK) return "libcurl could not start the request";
  s->job = j; j->state = JOB_RUNNING; j->out->attempts++;
  s->started_ms = now_ms();
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

/* Why an attempt got no usable response. Built from our own fields and curl's error buffer, which
** never holds request headers, so no credential can end up here. */
static void describe_failure(const cfr_http *h, const slot *s, CURLcode rc, long long elapsed,
                             char *dst, size_t n) {
  long connect_ms = h->timeout_ms < CONNECT_TIMEOUT_MAX_MS ? h->timeout_ms : CONNECT_TIMEOUT_MAX_MS;
  if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    snprintf(dst, n, "response exceeded the limit of %u bytes", (unsigned)CFR_HTTP_MAX_BODY);
  else if (s->oom || rc == CURLE_OUT_OF_MEMORY)
    snprintf(dst, n, "out of memory reading the response");
  else if (rc == CURLE_COULDNT_CONNECT)
    snprintf(dst, n, "connection to %s failed: %s", h->base.host_port,
             connect_reason(s->easy, rc));
  else if (rc == CURLE_OPERATION_TIMEDOUT && connect_ms < h->timeout_ms && elapsed < h->timeout_ms)
    snprintf(dst, n, "connection to %s timed out after %ld ms", h->base.host_port, connect_ms);
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    snprintf(dst, n, "request timed out after %ld ms", h->timeout_ms);
  else if (rc == CURLE_COULDNT_RESOLVE_HOST)
    snprintf(dst, n, "could not resolve the host of %s", h->base.host_port);
  else
    snprintf(dst, n, "request to %s failed: %.120s", h->base.host_port,
             s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
}

/* One line per attempt; only method, path, status, items, time, retry number, failure reason. */
static void log_attempt(const cfr_http *h, const job *j, long status, long long ms, int retry,
                        const char *reason) {
  char r[32] = "";
  if (retry > 0) snprintf(r, sizeof r, " retry %d", retry);
  fprintf(stderr, "cfregions: %s %s%s %ld %d items %lld ms%s%s%s%s\n", j->method,
          h->base.url + h->base.path_off, j->path, status, j->items, ms, r, *reason ? " (" : "",
          reason, *reason ? ")" : "");
}

static void fail_job(job *j, const char *reason) {
  cfr_http_response *out = j->out;
  if (out->attempts > 1)
    snprintf(out->error, sizeof out->error, "%s (after %d attempts)", reason, out->attempts);
  else
    snprintf(out->error, sizeof out->error, "%s", reason);
  free(out->body);
  out->body = NULL; out->body_len = 0; j->state = JOB_DONE;
}

/* Hands the body to the caller: the attempt's buffer, or "" for an empty body. */
static void succeed_job(job *j, slot *s) {
  cfr_http_response *out = j->out;
  out->body = s->data ? s->data : dup_str("");
  out->body_len = s->data ? s->len : 0;
  s->data = NULL;
  j->state = JOB_DONE;
  if (!out->body) fail_job(j, "out of memory");
}

/* Judges a finished attempt: done (response or error) or waiting for its retry. */
static void finish_attempt(cfr_http *h, slot *s, CURLcode rc) {
  job *j = s->job;
  cfr_http_response *out = j->out;
  long long t = now_ms(), elapsed = t - s->started_ms;
  long status = 0;
  if (curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = 0;
  if (status > 0) out->status = status; /* the last status seen, even from a failed attempt */
  int ok = rc == CURLE_OK && !s->too_big && !s->oom;
  char reason[200] = "";
  if (!ok) describe_failure(h, s, rc, elapsed, reason, sizeof reason);
  if (h->debug) log_attempt(h, j, ok ? status : 0, elapsed, out->attempts - 1, reason);
  /* Our own refusals (too big, out of memory) would only repeat. */
  int retry = ok ? cfr_http_status_retryable(status, &s->hints)
                 : !s->too_big && !s->oom && cfr_http_transport_retryable(rc);
  if (retry && out->attempts <= h->max_retries) {
    j->state = JOB_WAITING;
    j->due_ms = t + cfr_http_retry_delay_ms(&s->hints, ok, out->attempts - 1, &h->rng);
  } else if (ok) {
    succeed_job(j, s);
  } else {
    fail_job(j, reason);
  }
  release_slot(s);
}

/* ---------- the engine: jobs over slots, on one multi handle ---------- */

static int ensure_slots(cfr_http *h, int want) {
  int n = 0;
  while (n < want && (h->slots[n] || (h->slots[n] = calloc(1, sizeof(slot))))) n++;
  return n;
}

static long long next_due(const job *jobs, int n) { /* -1: nothing left to start */
  long long due = -1;
  for (int i = 0; i < n; i++)
    if (jobs[i].state == JOB_WAITING && (due < 0 || jobs[i].due_ms < due)) due = jobs[i].due_ms;
  return due;
}

static job *next_ready(job *jobs, int n, long long t) {
  for (int i = 0; i < n; i++) if (jobs[i].state == JOB_WAITING && jobs[i].due_ms <= t) return &jobs[i];
  return NULL;
}

/* Starts due jobs on idle slots; returns how many slots are busy. */
static int fill_slots(cfr_http *h, job *jobs, int n, int nslots) {
  long long t = now_ms();
  int busy = 0;
  for (int i = 0; i < nslots; i++) {
    slot *s = h->slots[i];
    job *j;
    while (!s->job && (j = next_ready(jobs, n, t))) {
      const char *why = start_attempt(h, s, j);
      if (why) { release_slot(s); fail_job(j, why); }
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

static void drain_done(cfr_http *h, int nslots) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(h->multi, &left))) {
    for (int i = 0; m->msg == CURLMSG_DONE && i < nslots; i++) {
      slot *s = h->slots[i];
      if (!s->job || s->easy != m->easy_handle) continue;
      finish_attempt(h, s, m->data.result);
      detach(h, s); /* m is invalid from here on */
      break;
    }
  }
}

/* The multi handle itself failed: every unfinished job fails with that reason. */
static void abort_all(cfr_http *h, job *jobs, int n, int nslots, CURLMcode mrc) {
  char why[128];
  snprintf(why, sizeof why, "libcurl failed: %s", curl_multi_strerror(mrc));
  for (int i = 0; i < nslots; i++)
    if (h->slots[i]->job) { detach(h, h->slots[i]); release_slot(h->slots[i]); }
  for (int i = 0; i < n; i++)
    if (jobs[i].state != JOB_DONE) fail_job(&jobs[i], why);
}

/* Wakes up for the next due retry even while other transfers are still running. */
static int poll_timeout_ms(const job *jobs, int n) {
  long long due = next_due(jobs, n), wait = due < 0 ? 1000 : due - now_ms();
  return wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait;
}

static void run_jobs(cfr_http *h, job *jobs, int n) {
  const char *log = getenv("CLOUDFLARE_LOG");
  h->debug = log && strcasecmp(log, "debug") == 0;
  int nslots = ensure_slots(h, n < MAX_PARALLEL ? n : MAX_PARALLEL);
  if (nslots == 0) {
    for (int i = 0; i < n; i++) if (jobs[i].state != JOB_DONE) fail_job(&jobs[i], "out of memory");
    return;
  }
  for (;;) {
    if (fill_slots(h, jobs, n, nslots) == 0) {
      long long due = next_due(jobs, n);
      if (due < 0) return; /* every job is done */
      sleep_ms(due - now_ms()); /* nothing in flight: just wait for the next backoff to end */
      continue;
    }
    int running = 0;
    CURLMcode mrc = curl_multi_perform(h->multi, &running);
    if (mrc == CURLM_OK) drain_done(h, nslots);
    if (mrc == CURLM_OK && running > 0)
      mrc = curl_multi_poll(h->multi, NULL, 0, poll_timeout_ms(jobs, n), NULL);
    if (mrc != CURLM_OK) { abort_all(h, jobs, n, nslots, mrc); return; }
  }
}

/* ---------- public requests ---------- */

static const char *request_problem(const cfr_http *h, const char *method, const char *path) {
  if (!h) return "no HTTP client";
  if (h->bad_credentials) return "the credentials contain control characters; check them";
  if (!method || !*method || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method))
    return "invalid HTTP method";
  if (!path || path[0] != '/') return "request path must start with '/'";
  return NULL;
}

int cfr_http_request(cfr_http *h, const char *method, const char *path_and_query,
                     const char *json_body, int items, cfr_http_response *out) {
  if (!out) return -1;
  memset(out, 0, sizeof *out);
  job j = {method, path_and_query, json_body, items, out, JOB_WAITING, 0};
  const char *problem = request_problem(h, method, path_and_query);
  if (problem) fail_job(&j, problem);
  else run_jobs(h, &j, 1);
  return out->error[0] ? -1 : 0;
}

int cfr_http_get_many(cfr_http *h, int n, const char *const *paths, cfr_http_response *outs) {
  if (n <= 0) return 0;
  if (!paths || !outs) return -1;
  job *jobs = calloc((size_t)n, sizeof *jobs);
  int rc = 0;
  for (int i = 0; i < n; i++) memset(&outs[i], 0, sizeof outs[i]);
  for (int i = 0; i < n; i++) {
    job j = {"GET", paths[i], NULL, 0, &outs[i], JOB_WAITING, 0};
    const char *problem = jobs ? request_problem(h, "GET", paths[i]) : "out of memory";
    if (problem) fail_job(&j, problem);
    if (jobs) jobs[i] = j;
  }
  if (h && jobs) run_jobs(h, jobs, n);
  free(jobs);
  for (int i = 0; i < n; i++) if (outs[i].error[0]) rc = -1;
  return rc;
}
