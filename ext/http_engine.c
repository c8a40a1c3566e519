/*
** http_engine.c — the HTTP client's engine (see http_int.h): every request, single or batched,
** runs through it, so there is one set of retry rules and one connection pool per client.
**
** A run is a list of jobs (one per request) spread over up to CFR_HTTP_MAX_IN_FLIGHT slots on the
** client's curl-multi handle: cfr_http_request is a run of one, cfr_http_get_many a run of GETs,
** and cfr_http_run any requests. Each attempt of a job is a transfer on a slot (http_transfer.c);
** when it ends, the engine judges it: the answer, the error, or a retry after a wait.
**
** Between attempts sit two of the client's limits: the process-wide rate budget per credential
** (http_budget.c), which every attempt takes a slot of, and the client's rate-limit wait budget,
** which bounds what a statement spends waiting on rate limits (charged here). The third limit, the
** response caps, is checked by the transfer as bytes arrive.
*/
#include "http_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BODY_CAP_LIMIT ((size_t)1 << 40) /* larger per-request caps are taken as this */
/* cfr_http_get_many's cap per request: with 8 in flight, at most 64 MiB of answers at once. No
** valid page or lookup comes near it. */
#define MANY_MAX_BODY ((size_t)8 << 20)

/* One run of cfr_http_run: its jobs and whether unstarted ones are still to be started. */
typedef struct run {
  job *jobs;
  int n;
  int stop_after_failure;
} run;

/* ---------- small utilities ---------- */

static void sleep_ms(long long ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL); /* an early wake-up is harmless: the engine loop re-checks due times */
}

static long long max_ll(long long a, long long b) { return a > b ? a : b; }

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

/* ---------- the debug log ---------- */

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
  out->body = s->data ? s->data : cfr_http_dup_str("");
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
    cfr_http_describe_failure(h, s, rc, status, elapsed, reason, sizeof reason);
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
  cfr_http_release_slot(s);
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
      const char *why = cfr_http_start_attempt(h, s, j);
      if (why) { cfr_http_release_slot(s); job_fail(r, j, why); }
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
    if (h->slots[i]->job) { detach(h, h->slots[i]); cfr_http_release_slot(h->slots[i]); }
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
