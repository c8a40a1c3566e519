/*
** http_rules.h — the HTTP client's rules, apart from its engine and transfers (http.c,
** http_engine.c and http_transfer.c, the only users).
**
** What is decided here needs no connection and no client: whether a base URL is acceptable and
** what it normalizes to, what a response's retry headers ask for, whether a status or a transport
** error is worth a retry, and how long to wait before it. Keeping these apart lets the engine and
** the transfers read as what they are, and keeps the SDK-compatible rules together in one place.
**
** Standalone like the rest of the client: libcurl (for its URL parser, date parser and error
** codes) and libc only.
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

/* Longest wait a retry header can ask for, after clamping: a Retry-After date in the year
** 2147483647 or a 30-digit number of seconds becomes this, never an overflow. Waits this long are
** refused by every real wait budget anyway; the clamp only keeps the arithmetic exact. */
#define CFR_HTTP_RETRY_AFTER_CLAMP_MS (30LL * 24 * 3600 * 1000)

/* What one response's headers asked for. */
typedef struct cfr_http_hints {
  long long retry_after_ms; /* retry-after-ms, -1 when absent or unparsable */
  long long retry_after;    /* Retry-After in ms (seconds or HTTP date), -1 likewise */
  int should_retry;         /* x-should-retry: 1 true, 0 false, -1 absent */
} cfr_http_hints;

/* Forgets every hint (before an attempt). */
void cfr_http_hints_reset(cfr_http_hints *hints);

/* Takes one raw header line of n bytes as curl hands it over (not NUL-terminated). A status line
** starts a new response (e.g. after a 100) and forgets the hints of the previous one. `now` is the
** wall-clock time (seconds since the epoch) that a Retry-After date is measured from. Every value
** ends up in 0..CFR_HTTP_RETRY_AFTER_CLAMP_MS, or -1. */
void cfr_http_hints_header(cfr_http_hints *hints, const char *line, size_t n, long long now);

/* Whether a response with this status is retried. */
int cfr_http_status_retryable(long status, const cfr_http_hints *hints);

/* Whether a transfer that ended with rc (and no usable response) is retried. */
int cfr_http_transport_retryable(CURLcode rc);

/* The wait the server asked for: retry-after-ms, else Retry-After, when positive; else 0. */
long long cfr_http_asked_delay_ms(const cfr_http_hints *hints);

/* The backoff before retry number retry_index (0 for the first retry):
** min(0.5·2^n, 8) s × (1 − 0.25·rand). *rng is the caller's xorshift state. */
long long cfr_http_backoff_ms(int retry_index, uint64_t *rng);

/* ---------- rate budget setting ---------- */

#define CFR_HTTP_RATE_DEFAULT_REQUESTS 1200
#define CFR_HTTP_RATE_DEFAULT_SECONDS 300
#define CFR_HTTP_RATE_MAX_REQUESTS 100000  /* the budget keeps one timestamp per request */
#define CFR_HTTP_RATE_MAX_SECONDS 86400

/* Parses "N/S" (requests per seconds, whole numbers within the limits above) into *requests and
** *seconds. NULL text gives the defaults. Returns 0, or -1 for anything else. */
int cfr_http_rate_parse(const char *text, int *requests, int *seconds);

/* ---------- texts for errors ---------- */

/* Copies at most max_chars characters of src (n bytes, not NUL-terminated) into dst (size dstsize,
** always NUL-terminated), with every control and non-ASCII byte written as \xNN and a backslash
** as \\, and "..." appended when src was longer: what a server sent can reach an error text only
** this way. */
void cfr_http_escape(char *dst, size_t dstsize, const char *src, size_t n, size_t max_chars);

/* "2 s", "1.5 s", "over 30 days" (at the clamp): a wait for an error text. */
void cfr_http_format_wait(char *dst, size_t n, long long ms);

/* The wall-clock time `epoch_s` as "22:41:07 UTC" when it is within a day of now_s, else as
** "2031-05-04 22:41:07 UTC". */
void cfr_http_format_utc(char *dst, size_t n, long long epoch_s, long long now_s);

#endif
