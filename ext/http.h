/*
** http.h — the API store's HTTP client: libcurl with Cloudflare's retry rules.
**
** One client per table. It knows nothing about SQLite or JSON, so it is tested on its own. Its
** credentials are kept only in memory, are sent only as headers, and never appear in an error text
** or a log line.
**
** Retries: connection errors, 408, 409, 429 and 5xx are retried (x-should-retry, when present,
** decides instead), up to max_retries times, after min(0.5·2^n, 8) s with jitter, or after what
** retry-after-ms / Retry-After ask for.
**
** Time bounds. Nothing waits silently without a limit. A call lasts at most:
**   every attempt's timeout_ms (connecting included)
** + the backoffs between attempts that are not rate-limit waits (at most 8 s each)
** + the rate-limit waits, whose sum is bounded by the wait budget.
** Rate-limit waits are: the wait after a 429 (asked for or backed off), any wait a server asks for
** with retry-after-ms / Retry-After, and waits for the process's rate budget (below). They are
** counted as wall-clock time (waits that overlap, in concurrent requests, count once) against
** max_wait_ms, which cfr_http_reset_wait_budget() refills: the caller refills it at the start of
** each statement, so that a statement never waits longer than max_wait_ms in total. A wait that
** would go past what is left is not started: the request fails at once with an error that says how
** long the server (or the budget) asked to wait and at what UTC time a retry can succeed.
**
** Rate budget. Every attempt, retries included, takes a slot of a sliding-window budget kept per
** process and per credential (every client of this process using the same token shares it; it is
** keyed by a salted hash, never by the secret): CLOUDFLARE_RATE_LIMIT=N/S (read when a client is
** created; default 1200/300, Cloudflare's published limit) allows N requests in any S seconds. An
** attempt with no free slot waits for one while the client's other transfers go on; a 429 with a
** wait also holds back the other requests of that credential until the wait is over.
**
** Memory: a response body is read into memory up to a cap per request (max_body, default
** CFR_HTTP_MAX_BODY; decoded bytes when the server compresses), its headers up to
** CFR_HTTP_MAX_HEADERS; past either the transfer stops and the request fails, naming the limit.
**
** CLOUDFLARE_LOG=debug prints one line per attempt to stderr: method, path, status, items, ms, the
** retry number, how long it waited for the rate budget and why it failed; never a header.
*/
#ifndef CFREGIONS_HTTP_H
#define CFREGIONS_HTTP_H

#include <stddef.h>

typedef struct cfr_http cfr_http;

/* Default response body cap: more than any valid answer of the API (3,500 mappings). */
#define CFR_HTTP_MAX_BODY (32u * 1024u * 1024u)
/* Cap on the response headers of one attempt (all of its responses, 1xx included). */
#define CFR_HTTP_MAX_HEADERS (64u * 1024u)
/* Concurrent transfers of one call (cfr_http_run, cfr_http_get_many). */
#define CFR_HTTP_MAX_IN_FLIGHT 8
/* Rate-limit wait budget when the config leaves max_wait_ms at 0: Cloudflare's rate window. */
#define CFR_HTTP_DEFAULT_MAX_WAIT_MS 300000LL
/* max_wait_ms value for "never wait on a rate limit": fail at once instead. */
#define CFR_HTTP_NO_WAIT (-1LL)
/* Longest max_wait_ms accepted. */
#define CFR_HTTP_MAX_WAIT_LIMIT_MS (7LL * 24 * 3600 * 1000)

/* The error of a request that cfr_http_run did not start because an earlier one failed. */
#define CFR_HTTP_NOT_SENT "not sent: an earlier request failed"

typedef struct cfr_http_config {
  const char *base_url;   /* API root, no trailing slash; https://, or http:// to loopback only */
  int max_retries;        /* retries after the first attempt, 0..100 (the table's default is 2) */
  long timeout_ms;        /* per attempt, > 0 (the table's default is 60000) */
  const char *user_agent; /* "cfregions/<version>" */
  long long max_wait_ms;  /* the rate-limit wait budget (see above): 0 means
                          ** CFR_HTTP_DEFAULT_MAX_WAIT_MS, CFR_HTTP_NO_WAIT never waits, at most
                          ** CFR_HTTP_MAX_WAIT_LIMIT_MS */
  /* Optional: told each time a request starts a rate-limit wait (the rate budget, or a wait a 429
  ** or Retry-After asked for), with its length and a reason ("for the rate budget", "for the API's
  ** rate limit"), so that the caller can show it on a terminal, e.g.
  ** "\rwaiting 12 s for the rate budget". Called on the caller's thread, from inside the call that
  ** is waiting; it must not use the client. Concurrent requests may report the same wait. */
  void (*on_wait)(void *ctx, long long wait_ms, const char *reason);
  void *on_wait_ctx;
} cfr_http_config;

/* One request of cfr_http_run. The strings are borrowed for the duration of the call. */
typedef struct cfr_http_call {
  const char *method;   /* "GET", "PUT", … */
  const char *path;     /* appended to base_url: "/zones/…?page=2" */
  const char *body;     /* JSON text (sent with Content-Type: application/json), or NULL */
  int items;            /* for the debug log only */
  size_t max_body;      /* response body cap for this request; 0 = CFR_HTTP_MAX_BODY */
} cfr_http_call;

/* What became of one request.
**   status != 0: a final answer (2xx or not) with its body; error is "".
**   status == 0: no final answer; error says why, and:
**     sent == 0             the server never saw the request: attempts == 0 when it was not started
**                           (CFR_HTTP_NOT_SENT, a rate-limit wait refused before its first
**                           attempt, an invalid request), else every attempt failed before the
**                           request went out (connection refused, certificate refused);
**     outcome_unknown == 1  an attempt's whole request went out but its answer was lost
**                           (connection dropped, timeout, truncated or oversized answer): the
**                           server may have applied it. A read can simply be repeated; a write's
**                           effect must be looked up;
**     sent == 1, outcome_unknown == 0: every attempt that reached the server got its answer, and
**                           none applied it (e.g. a 429 whose wait did not fit in max_wait_ms).
**   outcome_unknown is also 1 when a later attempt did get a non-2xx answer but an earlier one's
**   answer was lost (that earlier attempt may have been applied); it is 0 with a 2xx status. */
typedef struct cfr_http_response {
  long status;          /* final HTTP status; 0 when there is no final answer (see error) */
  char *body;           /* NUL-terminated, owned by the response; NULL when status is 0 */
  size_t body_len;
  int attempts;         /* attempts started, retries included */
  int sent;             /* 1 when some attempt put (part of) the request on the wire */
  int outcome_unknown;  /* 1 when the server may have applied a request we got no answer to */
  long long waited_ms;  /* time spent waiting on rate limits (budget, 429, Retry-After) */
  char error[320];      /* why there is no final answer; "" when status != 0 */
} cfr_http_response;

/* Creates a client. On failure returns NULL and sets *err (malloc'd text, caller frees). A
** malformed CLOUDFLARE_RATE_LIMIT is such a failure (the text names the variable, not the
** value). */
cfr_http *cfr_http_new(const cfr_http_config *cfg, char **err);
void cfr_http_free(cfr_http *http);

/* Credentials used from the next request on: a token (Authorization: Bearer) or an email + key
** pair (X-Auth-Email, X-Auth-Key). NULLs clear them. The strings are copied. The client's rate
** budget follows the credential. */
void cfr_http_set_credentials(cfr_http *http, const char *token, const char *email,
                              const char *key);

/* Refills the rate-limit wait budget to max_wait_ms. The caller calls it at the start of each
** statement-level operation (a listing, a lookup, a COMMIT). */
void cfr_http_reset_wait_budget(cfr_http *http);

/* Runs n requests, at most CFR_HTTP_MAX_IN_FLIGHT in flight, each retried per the rules above;
** outs[i] answers calls[i] (cleared first). With stop_after_failure, once a request has finally
** failed (no final answer, or a non-2xx status after its retries) no request that has not started
** yet is started: each is reported with attempts == 0, sent == 0 and error CFR_HTTP_NOT_SENT;
** requests already started (in flight or waiting for a retry) run to their end.
** Returns how many requests did not end with a 2xx answer (0: all did); -1 on bad arguments. */
int cfr_http_run(cfr_http *http, int n, const cfr_http_call *calls, cfr_http_response *outs,
                 int stop_after_failure);

/* One request (cfr_http_run of one, default body cap). Returns 0 when a final answer was obtained
** (whatever its status: the caller judges it), -1 otherwise with out->error set. */
int cfr_http_request(cfr_http *http, const char *method, const char *path_and_query,
                     const char *json_body, int items, cfr_http_response *out);

/* n GETs run concurrently (cfr_http_run without stopping, a body cap of 8 MiB each, so 64 MiB
** in flight at most). outs[i] answers paths[i]. Returns 0 when every request got a final answer,
** -1 otherwise (see outs[i].error). */
int cfr_http_get_many(cfr_http *http, int n, const char *const *paths, cfr_http_response *outs);

void cfr_http_response_clear(cfr_http_response *resp);

#endif
