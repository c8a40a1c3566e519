/*
** http_int.h — what the HTTP client's own files share, and nothing outside them includes.
**
** The client (see http.h) is spread over:
**   http.c           the client itself: configuration, lifetime, credentials, shared helpers;
**   http_engine.c    the engine: a run of requests as jobs over slots on one curl-multi handle,
**                    with the retries, the waits and the budgets between attempts;
**   http_transfer.c  one attempt on one slot: its options and headers, the bytes it reads (within
**                    the caps), and what to call its failure;
**   http_rules.c     the rules that need no transfer (base URL, retry headers, backoff, texts);
**   http_budget.c    the process-wide rate budget per credential.
** The structures below are the client's state, which the engine and the transfers both work on.
**
** Standalone like the rest of the client: libcurl, libc and pthreads, plain malloc/free, no SQLite.
*/
#ifndef CFREGIONS_HTTP_INT_H
#define CFREGIONS_HTTP_INT_H

#include "http.h"
#include "http_budget.h"
#include "http_rules.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_PARALLEL CFR_HTTP_MAX_IN_FLIGHT

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

/* ---------- small helpers (http.c) ---------- */

/* Zeroes n bytes in a way the compiler keeps, even right before the memory is freed. */
void cfr_http_wipe(void *p, size_t n);
/* Wipes and frees *s (NULL: nothing to do) and sets it to NULL. */
void cfr_http_free_secret(char **s);
/* fmt with two string arguments, malloc'd; NULL when out of memory. */
char *cfr_http_dup_printf(const char *fmt, const char *a, const char *b);
/* A malloc'd copy of s; NULL when out of memory. */
char *cfr_http_dup_str(const char *s);

/* ---------- one attempt on a slot (http_transfer.c) ---------- */

/* Starts j's next attempt on the idle slot s. Returns NULL when the transfer is running on the
** client's multi handle, else why it could not start (the caller then releases the slot). */
const char *cfr_http_start_attempt(cfr_http *h, slot *s, job *j);

/* Ends the attempt's hold on its resources and its rate-budget slot; the easy handle stays for the
** next request. */
void cfr_http_release_slot(slot *s);

/* Why the attempt on s got no usable answer (rc, a partial answer's status or 0, and the time it
** took), into dst: the real failure, escaped where it quotes the server, never a credential. */
void cfr_http_describe_failure(const cfr_http *h, const slot *s, CURLcode rc, long status,
                               long long elapsed, char *dst, size_t n);

#endif
