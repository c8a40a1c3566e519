/*
** http_transfer.c — one attempt of the HTTP client (see http_int.h): a request on one slot's easy
** handle, from setting it up to saying why it failed.
**
** An attempt gets every option anew (curl_easy_reset keeps the handle's live connections, which
** gives keep-alive), its headers (credential copies among them, wiped when the attempt ends), and
** two callbacks that check the response caps as bytes arrive: the body up to the request's cap, the
** headers up to CFR_HTTP_MAX_HEADERS. Whether to retry, and when, is the engine's business
** (http_engine.c); this file only reports what the attempt saw.
*/
#include "http_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECT_TIMEOUT_MAX_MS 10000
#define BODY_FIRST_CAP 4096
#define SERVER_TEXT_MAX 200             /* characters of server-provided text in an error */

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

/* ---------- one attempt: set up ---------- */

static struct curl_slist *add_header(struct curl_slist *list, const char *line, int *ok) {
  struct curl_slist *l = *ok ? curl_slist_append(list, line) : NULL;
  if (!l) *ok = 0;
  return l ? l : list;
}

/* `prefix` is "Name: " (plus "Bearer " for a token); the joined line is wiped after copying. */
static struct curl_slist *add_secret_header(struct curl_slist *list, const char *prefix,
                                            const char *value, int *ok) {
  char *line = *ok ? cfr_http_dup_printf("%s%s", prefix, value) : NULL;
  if (!line) { *ok = 0; return list; }
  list = add_header(list, line, ok);
  cfr_http_free_secret(&line);
  return list;
}

/* curl_slist_append copies each line; those copies hold credentials, so wipe before freeing. */
static void free_headers(struct curl_slist *list) {
  for (struct curl_slist *l = list; l; l = l->next) cfr_http_wipe(l->data, strlen(l->data));
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
void cfr_http_release_slot(slot *s) {
  cfr_http_budget_end(s->budget);
  s->budget = NULL;
  free_headers(s->headers);
  free(s->url);
  free(s->data);
  s->headers = NULL; s->url = s->data = NULL; s->len = s->cap = 0; s->job = NULL;
}

/* NULL when the transfer is running, else why it could not start. */
const char *cfr_http_start_attempt(cfr_http *h, slot *s, job *j) {
  if (!s->easy && !(s->easy = curl_easy_init())) return "out of memory";
  curl_easy_reset(s->easy);
  s->too_big = s->headers_too_big = s->oom = 0;
  s->header_bytes = 0;
  s->max_body = j->call.max_body;
  s->errbuf[0] = 0;
  cfr_http_hints_reset(&s->hints);
  s->url = cfr_http_dup_printf("%s%s", h->base.url, j->call.path);
  s->headers = build_headers(h, j);
  if (!s->url || !s->headers) return "out of memory";
  if (configure(h, s, j) != CURLE_OK) return "libcurl refused the request options";
  if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK)
    return "libcurl could not start the request";
  s->job = j; j->state = JOB_RUNNING; j->out->attempts++;
  s->started_ms = cfr_http_now_ms();
  return NULL;
}

/* ---------- one attempt: why it failed ---------- */

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
void cfr_http_describe_failure(const cfr_http *h, const slot *s, CURLcode rc, long status,
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
