/*
** http_rules.c — the HTTP client's rules (see http_rules.h): base URL validation and
** normalization, the retry headers, and the SDK retry and backoff rules.
**
** Split from http.c so that everything the client decides without a transfer sits in one place
** and follows Cloudflare's Python SDK in one reading. No client state and no I/O here; like the
** rest of the client it stays free of SQLite and JSON, so the C test links the client alone.
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

/* "12", "1.5" → milliseconds at `scale` ms per unit, clamped; -1 if not a plain decimal number.
** Own parser: strtod would follow the host program's locale, and strtoll overflows to an error. */
static long long parse_amount_ms(const char *v, long long scale) {
  const long long clamp = CFR_HTTP_RETRY_AFTER_CLAMP_MS;
  long long whole = 0, ms, frac_unit = scale / 10;
  if (*v < '0' || *v > '9') return -1;
  for (; *v >= '0' && *v <= '9'; v++) /* past the clamp the digits no longer matter */
    if ((whole = whole * 10 + (*v - '0')) > clamp) whole = clamp;
  ms = whole > clamp / scale ? clamp : whole * scale;
  if (*v == '.') {
    for (v++; *v >= '0' && *v <= '9'; v++, frac_unit /= 10) ms += (*v - '0') * frac_unit;
  }
  if (*v) return -1;
  return ms > clamp ? clamp : ms;
}

/* Seconds or an HTTP date, as ms from `now`; a date in the past asks for no wait (0). */
static long long parse_retry_after(const char *v, long long now) {
  long long ms = parse_amount_ms(v, 1000);
  if (ms >= 0) return ms;
  time_t when = curl_getdate(v, NULL);
  if (when == (time_t)-1) return -1;
  /* Compared before subtracting: curl returns dates up to the year 2^31 and beyond. */
  if ((long long)when <= now) return 0;
  if ((long long)when - now >= CFR_HTTP_RETRY_AFTER_CLAMP_MS / 1000)
    return CFR_HTTP_RETRY_AFTER_CLAMP_MS;
  return ((long long)when - now) * 1000;
}

static int header_is(const char *name, size_t n, const char *want) {
  return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

void cfr_http_hints_reset(cfr_http_hints *hints) {
  hints->retry_after_ms = hints->retry_after = hints->should_retry = -1;
}

void cfr_http_hints_header(cfr_http_hints *hints, const char *p, size_t n, long long now) {
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
  else if (header_is(p, name_len, "retry-after")) hints->retry_after = parse_retry_after(v, now);
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

/* retry-after-ms takes precedence over Retry-After, as in the SDKs. No upper cap here: how long
** the client may wait is its wait budget's business (http_engine.c), not the header parser's. */
long long cfr_http_asked_delay_ms(const cfr_http_hints *hints) {
  long long asked = hints->retry_after_ms >= 0 ? hints->retry_after_ms : hints->retry_after;
  return asked > 0 ? asked : 0;
}

long long cfr_http_backoff_ms(int retry_index, uint64_t *rng) {
  long long base = BACKOFF_MAX_MS;
  if (retry_index >= 0 && retry_index < 5) base = (long long)BACKOFF_FIRST_MS << retry_index;
  if (base > BACKOFF_MAX_MS) base = BACKOFF_MAX_MS;
  return (long long)((double)base * (1.0 - 0.25 * rand01(rng)));
}

/* ---------- rate budget setting ---------- */

/* A whole number of at most 9 digits within [1, max] at *p; advances *p. -1 otherwise. */
static long parse_count(const char **p, long max) {
  long v = 0;
  int digits = 0;
  for (; **p >= '0' && **p <= '9' && digits < 10; (*p)++, digits++) v = v * 10 + (**p - '0');
  return digits == 0 || digits > 9 || v < 1 || v > max ? -1 : v;
}

int cfr_http_rate_parse(const char *text, int *requests, int *seconds) {
  *requests = CFR_HTTP_RATE_DEFAULT_REQUESTS;
  *seconds = CFR_HTTP_RATE_DEFAULT_SECONDS;
  if (!text) return 0;
  const char *p = text;
  long n = parse_count(&p, CFR_HTTP_RATE_MAX_REQUESTS);
  if (n < 0 || *p++ != '/') return -1;
  long s = parse_count(&p, CFR_HTTP_RATE_MAX_SECONDS);
  if (s < 0 || *p) return -1;
  *requests = (int)n;
  *seconds = (int)s;
  return 0;
}

/* ---------- texts for errors ---------- */

void cfr_http_escape(char *dst, size_t dstsize, const char *src, size_t n, size_t max_chars) {
  static const char hex[] = "0123456789abcdef";
  size_t w = 0, i = 0;
  if (dstsize == 0) return;
  for (; i < n && i < max_chars; i++) {
    unsigned char c = (unsigned char)src[i];
    char esc[5] = {'\\', 'x', hex[c >> 4], hex[c & 15], 0};
    const char *put = esc;
    size_t len = 4;
    if (c == '\\') { esc[1] = '\\'; len = 2; }
    else if (c >= 0x20 && c < 0x7f) { esc[0] = (char)c; len = 1; }
    if (w + len + 3 >= dstsize) break; /* keep room for "..." and the NUL */
    memcpy(dst + w, put, len);
    w += len;
  }
  if (i < n && w + 3 < dstsize) { memcpy(dst + w, "...", 3); w += 3; }
  dst[w] = 0;
}

void cfr_http_format_wait(char *dst, size_t n, long long ms) {
  if (ms >= CFR_HTTP_RETRY_AFTER_CLAMP_MS) { snprintf(dst, n, "over 30 days"); return; }
  if (ms < 0) ms = 0;
  long long tenths = (ms + 99) / 100; /* rounded up: never promise a shorter wait */
  if (tenths % 10 == 0) snprintf(dst, n, "%lld s", tenths / 10);
  else snprintf(dst, n, "%lld.%lld s", tenths / 10, tenths % 10);
}

void cfr_http_format_utc(char *dst, size_t n, long long epoch_s, long long now_s) {
  time_t t = (time_t)epoch_s;
  struct tm tm;
  long long apart = epoch_s > now_s ? epoch_s - now_s : now_s - epoch_s;
  if (!gmtime_r(&t, &tm) ||
      strftime(dst, n, apart < 86400 ? "%H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    snprintf(dst, n, "(unknown time)");
}
