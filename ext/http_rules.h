/*
** http_rules.h — the HTTP client's rules, apart from its transfer engine (http.c, the only user).
**
** What is decided here needs no connection and no client: whether a base URL is acceptable and
** what it normalizes to, what a response's retry headers ask for, whether a status or a transport
** error is worth a retry, and how long to wait before it. Keeping these apart lets http.c read as
** the engine it is, and keeps the SDK-compatible rules (SPEC §5) together in one place.
**
** Standalone like http.c: libcurl (for its URL parser, date parser and error codes) and libc only.
*/
#ifndef CFREGIONS_HTTP_RULES_H
#define CFREGIONS_HTTP_RULES_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- base URL ---------- */

typedef struct cfr_http_base {
  char *url;         /* normalized scheme://host[:port][/path], no trailing slash (malloc'd) */
  size_t path_off;   /* where the path starts in url: log lines show the path only */
  char *host_port;   /* "host:port", for error texts (malloc'd) */
  int loopback;      /* loopback host: the client must never go through a proxy */
} cfr_http_base;

/* Validates base_url (https://, or http:// to loopback only; no credentials, query or fragment)
** and fills *out with curl's normalized form. Returns NULL, or the refusal text (static; never
** echoes the URL, which could carry a password) with *out left zeroed. */
const char *cfr_http_base_parse(const char *base_url, cfr_http_base *out);

/* ---------- retry rules ---------- */

/* What one response's headers asked for. */
typedef struct cfr_http_hints {
  long long retry_after_ms; /* retry-after-ms, -1 when absent or unparsable */
  long long retry_after;    /* Retry-After in ms (seconds or HTTP date), -1 likewise */
  int should_retry;         /* x-should-retry: 1 true, 0 false, -1 absent */
} cfr_http_hints;

/* Forgets every hint (before an attempt). */
void cfr_http_hints_reset(cfr_http_hints *hints);

/* Takes one raw header line of n bytes as curl hands it over (not NUL-terminated). A status line
** starts a new response (e.g. after a 100) and forgets the hints of the previous one. */
void cfr_http_hints_header(cfr_http_hints *hints, const char *line, size_t n);

/* Whether a response with this status is retried. */
int cfr_http_status_retryable(long status, const cfr_http_hints *hints);

/* Whether a transfer that ended with rc (and no usable response) is retried. */
int cfr_http_transport_retryable(CURLcode rc);

/* Delay before retry number retry_index (0 for the first retry). hints is consulted only when
** have_response; *rng is the caller's xorshift state, advanced only when jitter is drawn. */
long long cfr_http_retry_delay_ms(const cfr_http_hints *hints, int have_response, int retry_index,
                                  uint64_t *rng);

#endif
