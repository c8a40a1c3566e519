/*
** http_rules.c — the HTTP client's rules (see http_rules.h): base URL validation and
** normalization, the retry headers, and the SDK retry and backoff rules.
**
** Split from http.c so that everything the client decides without a transfer sits in one place
** and follows Cloudflare's Python SDK in one reading. No client state and no I/O here; like http.c
** it stays free of SQLite and JSON, so the C test links the two alone.
*/
#include "http_rules.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 8000
#define RETRY_AFTER_MAX_MS 60000      /* a longer server-asked delay falls back to the backoff */

/* ---------- base URL validation ---------- */

static int is_loopback_host(const char *host) {
  unsigned char a[16];
  char inner[64];
  size_t n = strlen(host);
  if (strcasecmp(host, "localhost") == 0) return 1;
  if (inet_pton(AF_INET, host, a) == 1) return a[0] == 127;
  if (n < 3 || n - 2 >= sizeof inner || host[0] != '[' || host[n - 1] != ']') return 0;
  memcpy(inner, host + 1, n - 2); /* curl has already moved any zone id out of the host */
  inner[n - 2] = 0;
  return inet_pton(AF_INET6, inner, a) == 1 && memcmp(a, &in6addr_loopback, 16) == 0;
}

static char *url_part(CURLU *u, CURLUPart part, unsigned flags) {
  char *v = NULL;
  if (curl_url_get(u, part, &v, flags) != CURLUE_OK) return NULL;
  return v;
}

/* Refusal text for a parsed base URL, or NULL if it is acceptable. Never echoes the URL: it
** could carry a password. */
static const char *base_url_problem(CURLU *u, int *loopback) {
  static const char *const http_refused = "base_url: http:// is allowed only to a loopback "
      "address (127.0.0.1, ::1, localhost); use https://";
  const char *problem = NULL;
  char *scheme = url_part(u, CURLUPART_SCHEME, 0), *host = url_part(u, CURLUPART_HOST, 0);
  char *user = url_part(u, CURLUPART_USER, 0), *pass = url_part(u, CURLUPART_PASSWORD, 0);
  char *query = url_part(u, CURLUPART_QUERY, 0), *frag = url_part(u, CURLUPART_FRAGMENT, 0);
  *loopback = host && is_loopback_host(host);
  if (!scheme || !host) problem = "base_url: not an absolute URL with a host";
  else if (user || pass) /* also defeats http://127.0.0.1@evil.com/ */
    problem = "base_url: must not contain a user name or password (credentials come from the "
              "environment)";
  else if (query || frag) problem = "base_url: must not contain a query or a fragment";
  else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
    problem = "base_url: only https:// (or http:// to a loopback address) is supported";
  else if (strcmp(scheme, "http") == 0 && !*loopback) problem = http_refused;
  curl_free(scheme); curl_free(host); curl_free(user); curl_free(pass);
  curl_free(query); curl_free(frag);
  return problem;
}

/* a + sep + b in plain malloc'd memory (curl's strings must go back through curl_free). */
static char *join(const char *a, const char *sep, const char *b) {
  int n = snprintf(NULL, 0, "%s%s%s", a, sep, b);
  char *d = n < 0 ? NULL : malloc((size_t)n + 1);
  if (d) snprintf(d, (size_t)n + 1, "%s%s%s", a, sep, b);
  return d;
}

/* Keeps curl's normalized form (what curl will actually connect to), minus trailing slashes. */
static int take_base(cfr_http_base *b, CURLU *u) {
  char *url = url_part(u, CURLUPART_URL, 0), *host = url_part(u, CURLUPART_HOST, 0);
  char *port = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  int ok = url && host && port;
  if (ok) {
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') url[--n] = 0;
    const char *after_scheme = strstr(url, "://");
    const char *path = after_scheme ? strchr(after_scheme + 3, '/') : NULL;
    b->url = join(url, "", "");
    b->path_off = path ? (size_t)(path - url) : n;
    b->host_port = join(host, ":", port);
    ok = b->url && b->host_port;
  }
  curl_free(url); curl_free(host); curl_free(port);
  return ok;
}

const char *cfr_http_base_parse(const char *base_url, cfr_http_base *out) {
  memset(out, 0, sizeof *out);
  CURLU *u = curl_url();
  if (!u) return "out of memory";
  CURLUcode urc = curl_url_set(u, CURLUPART_URL, base_url, 0);
  const char *problem = urc != CURLUE_OK ? "base_url: not a valid URL"
                                         : base_url_problem(u, &out->loopback);
  int ok = !problem && take_base(out, u);
  curl_url_cleanup(u);
  if (!problem && !ok) problem = "out of memory";
  if (problem) {
    free(out->url); free(out->host_port);
    memset(out, 0, sizeof *out);
  }
  return problem;
}

/* ---------- retry headers ---------- */

/* "12", "1.5" → milliseconds at `scale` ms per unit; -1 if not a plain decimal number. Own parser:
** strtod would follow the host program's locale. */
static long long parse_amount_ms(const char *v, long long scale) {
  long long whole = 0, ms, frac_unit = scale / 10;
  if (*v < '0' || *v > '9') return -1;
  for (; *v >= '0' && *v <= '9'; v++)
    if ((whole = whole * 10 + (*v - '0')) > 10000000) whole = 10000000; /* way past any cap */
  ms = whole * scale;
  if (*v == '.') {
    for (v++; *v >= '0' && *v <= '9'; v++, frac_unit /= 10) ms += (*v - '0') * frac_unit;
  }
  return *v ? -1 : ms;
}

static long long parse_retry_after(const char *v) {
  long long ms = parse_amount_ms(v, 1000);
  if (ms >= 0) return ms;
  time_t when = curl_getdate(v, NULL); /* the HTTP-date form */
  return when == (time_t)-1 ? -1 : ((long long)when - (long long)time(NULL)) * 1000;
}

static int header_is(const char *name, size_t n, const char *want) {
  return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

void cfr_http_hints_reset(cfr_http_hints *hints) {
  hints->retry_after_ms = hints->retry_after = hints->should_retry = -1;
}

void cfr_http_hints_header(cfr_http_hints *hints, const char *p, size_t n) {
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (e.g. after 100): forget the last */
    cfr_http_hints_reset(hints);
    return;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon) return;
  size_t name_len = (size_t)(colon - p), vs = name_len + 1, ve = n;
  while (vs < ve && (p[vs] == ' ' || p[vs] == '\t')) vs++;
  while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' || p[ve - 1] == ' ')) ve--;
  char v[96];
  if (ve - vs >= sizeof v) return; /* longer than any value we care about */
  memcpy(v, p + vs, ve - vs);
  v[ve - vs] = 0;
  if (header_is(p, name_len, "retry-after-ms")) hints->retry_after_ms = parse_amount_ms(v, 1);
  else if (header_is(p, name_len, "retry-after")) hints->retry_after = parse_retry_after(v);
  else if (header_is(p, name_len, "x-should-retry"))
    hints->should_retry = strcmp(v, "true") == 0 ? 1 : strcmp(v, "false") == 0 ? 0 : -1;
}

/* ---------- whether and when to retry ---------- */

/* SDK rules: x-should-retry decides when present; else 408, 409, 429 and 5xx. */
int cfr_http_status_retryable(long status, const cfr_http_hints *hints) {
  if (status >= 200 && status < 300) return 0;
  if (hints->should_retry >= 0) return hints->should_retry;
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

/* Connection errors and timeouts are retried; errors that would only repeat are not. */
int cfr_http_transport_retryable(CURLcode rc) {
  static const CURLcode never[] = {CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT,
    CURLE_OUT_OF_MEMORY, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_FILESIZE_EXCEEDED, CURLE_WRITE_ERROR,
    CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
    CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) if (rc == never[i]) return 0;
  return 1;
}

static double rand01(uint64_t *rng) { /* xorshift64*: jitter only, not security */
  *rng ^= *rng >> 12; *rng ^= *rng << 25; *rng ^= *rng >> 27;
  return (double)((*rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* retry-after-ms, else Retry-After, when 0 < value <= 60 s (as the Python SDK); else
** min(0.5·2^n, 8) s × (1 − 0.25·rand) for retry n = 0, 1, … */
long long cfr_http_retry_delay_ms(const cfr_http_hints *hints, int have_response, int retry_index,
                                  uint64_t *rng) {
  if (have_response) {
    long long asked = hints->retry_after_ms >= 0 ? hints->retry_after_ms : hints->retry_after;
    if (asked > 0 && asked <= RETRY_AFTER_MAX_MS) return asked;
  }
  long long base = BACKOFF_MAX_MS;
  if (retry_index < 5) base = (long long)BACKOFF_FIRST_MS << retry_index;
  if (base > BACKOFF_MAX_MS) base = BACKOFF_MAX_MS;
  return (long long)((double)base * (1.0 - 0.25 * rand01(rng)));
}
