/*
** test_http_hostile.c — the HTTP client's rules (ext/http_rules.c) on their own, and the client
** against test/hostile_server.py: answers that a broken or malicious server could send (a gzip
** bomb, a body cut off after a 404, oversized headers, an endless body, a slow drip, a Retry-After
** in the year 2147483647, a refused certificate). Each must end in an error that names what really
** happened, within the request's caps and timeouts.
*/
#include "test_http.h"
#include "http_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---------- the rules ---------- */

static long long hint(const char *line, int want_ms_header) {
  cfr_http_hints h;
  cfr_http_hints_reset(&h);
  cfr_http_hints_header(&h, line, strlen(line), (long long)time(NULL));
  return want_ms_header ? h.retry_after_ms : h.retry_after;
}

static void test_retry_headers(void) {
  const long long clamp = CFR_HTTP_RETRY_AFTER_CLAMP_MS;
  static const struct { const char *line; int ms_header; long long want; } cases[] = {
    {"Retry-After: 2\r\n", 0, 2000},
    {"Retry-After: 1.5\r\n", 0, 1500},
    {"retry-after-ms: 250\r\n", 1, 250},
    {"Retry-After: 120\r\n", 0, 120000},      /* no 60 s cap in the parser */
    {"Retry-After: -5\r\n", 0, -1},
    {"Retry-After: soon\r\n", 0, -1},
    {"Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0, 0}, /* in the past: no wait */
    /* Past the clamp, never an overflow (the UBSan build aborts on one). */
    {"Retry-After: Sun, 06 Nov 2147483647 08:49:37 GMT\r\n", 0, clamp},
    {"Retry-After: Sun, 06 Nov 9999 08:49:37 GMT\r\n", 0, clamp},
    {"Retry-After: 99999999999999999999999999999999\r\n", 0, clamp},
    {"Retry-After: 9223372036854775807\r\n", 0, clamp},
    {"Retry-After: 9223372036854775.999\r\n", 0, clamp},
    {"retry-after-ms: 99999999999999999999999999999999\r\n", 1, clamp},
    {"retry-after-ms: 18446744073709551616.5\r\n", 1, clamp},
    {"retry-after-ms: 2592000001\r\n", 1, clamp},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    long long got = hint(cases[i].line, cases[i].ms_header);
    /* curl may not parse a date that far out at all: then the header is ignored (-1). */
    int far_date = strstr(cases[i].line, " GMT") && cases[i].want == clamp;
    check(got == cases[i].want || (far_date && got == -1), "%.*s -> %lld (want %lld)",
          (int)strlen(cases[i].line) - 2, cases[i].line, got, cases[i].want);
  }
  char date[96], line[128];
  time_t when = time(NULL) + 100;
  struct tm tm;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&when, &tm));
  snprintf(line, sizeof line, "Retry-After: %s\r\n", date);
  long long got = hint(line, 0);
  check(got >= 99000 && got <= 100000, "Retry-After date 100 s ahead -> %lld ms", got);

  cfr_http_hints h;
  cfr_http_hints_reset(&h);
  h.retry_after = 5000; h.retry_after_ms = 200;
  check(cfr_http_asked_delay_ms(&h) == 200, "retry-after-ms wins over Retry-After");
  h.retry_after_ms = -1;
  check(cfr_http_asked_delay_ms(&h) == 5000, "Retry-After alone");
  h.retry_after = clamp;
  check(cfr_http_asked_delay_ms(&h) == clamp, "a clamped wait is still asked for (no 60 s cap)");
  h.retry_after = 0;
  check(cfr_http_asked_delay_ms(&h) == 0, "Retry-After 0 asks for nothing (backoff instead)");
  uint64_t rng = 42;
  for (int n = -1; n < 70; n++) {
    long long b = cfr_http_backoff_ms(n, &rng), base = n < 0 || n > 3 ? 8000 : 500LL << n;
    check(b > base * 3 / 4 - 1 && b <= base, "backoff %d = %lld within [%lld, %lld]", n, b,
          base * 3 / 4, base);
  }
}

static void test_rate_parse(void) {
  int n = 0, s = 0;
  check(cfr_http_rate_parse(NULL, &n, &s) == 0 && n == 1200 && s == 300, "default 1200/300");
  check(cfr_http_rate_parse("5/2", &n, &s) == 0 && n == 5 && s == 2, "5/2");
  check(cfr_http_rate_parse("100000/86400", &n, &s) == 0 && n == 100000 && s == 86400,
        "the largest values");
  static const char *const bad[] = {"", "5", "5/", "/2", "0/2", "5/0", "5/2 ", "5/2x", "x5/2",
                                    "100001/1", "1/86401", "99999999999/1", "1/99999999999",
                                    "-1/2", "+1/2", "1.5/2", "5//2", NULL};
  for (int i = 0; bad[i]; i++)
    check(cfr_http_rate_parse(bad[i], &n, &s) == -1, "CLOUDFLARE_RATE_LIMIT '%s' refused", bad[i]);
}

static void test_texts(void) {
  char out[64];
  const char raw[] = "ok\x1b[31m\r\n\\\x00\x7f\xc3\xa9";
  cfr_http_escape(out, sizeof out, raw, sizeof raw - 1, 200);
  check(strcmp(out, "ok\\x1b[31m\\x0d\\x0a\\\\\\x00\\x7f\\xc3\\xa9") == 0, "escaped: %s", out);
  char big[1000];
  memset(big, 'a', sizeof big);
  char capped[512];
  cfr_http_escape(capped, sizeof capped, big, sizeof big, 200);
  check(strlen(capped) == 203 && strcmp(capped + 200, "...") == 0, "capped at 200 chars + ...");
  cfr_http_escape(out, 16, big, sizeof big, 200);
  check(strlen(out) == 15 && strcmp(out + 12, "...") == 0, "fits the buffer: %s", out);
  cfr_http_escape(out, 16, "\x01\x02\x03\x04\x05", 5, 200);
  check(strlen(out) < 16 && strstr(out, "..."), "escapes never split: %s", out);

  static const struct { long long ms; const char *want; } waits[] = {
    {2000, "2 s"}, {1500, "1.5 s"}, {1, "0.1 s"}, {0, "0 s"}, {120000, "120 s"},
    {1001, "1.1 s"}, {CFR_HTTP_RETRY_AFTER_CLAMP_MS, "over 30 days"}, {-5, "0 s"}};
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    cfr_http_format_wait(out, sizeof out, waits[i].ms);
    check(strcmp(out, waits[i].want) == 0, "wait %lld ms -> '%s'", waits[i].ms, out);
  }
  cfr_http_format_utc(out, sizeof out, 1700000000 + 3600, 1700000000);
  check(strcmp(out, "23:13:20 UTC") == 0, "UTC time within a day: %s", out);
  cfr_http_format_utc(out, sizeof out, 1700000000 + 30 * 86400, 1700000000);
  check(strcmp(out, "2023-12-14 22:13:20 UTC") == 0, "UTC time with its date: %s", out);
}

void test_rules(void) {
  test_retry_headers();
  test_rate_parse();
  test_texts();
}

/* ---------- against the hostile server ---------- */

static cfr_http *hostile(int retries, long timeout_ms, long long max_wait_ms) {
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", hostile_port);
  cfr_http_config cfg = {base, retries, timeout_ms, "cfregions/test", max_wait_ms, NULL, NULL};
  return client_with(&cfg);
}

static void print_max_rss(const char *when) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    printf("measured: max RSS %s: %ld KiB\n", when, ru.ru_maxrss);
}

/* One request with a body cap; the answer in *r (caller clears). Returns its duration. */
static long long get_capped(cfr_http *h, const char *path, size_t max_body, cfr_http_response *r) {
  cfr_http_call c = {"GET", path, NULL, 0, max_body};
  long long t0 = now_ms();
  cfr_http_run(h, 1, &c, r, 1);
  return now_ms() - t0;
}

static void test_body_caps(void) {
  cfr_http *h = hostile(2, 20000, 0);
  cfr_http_response r;
  long long ms = get_capped(h, "/gzip-bomb/mib=1024", 1u << 20, &r);
  printf("measured: gzip bomb (1 GiB decoded) with a 1 MiB cap -> %lld ms\n", ms);
  check(r.status == 0 && r.attempts == 1 && !r.body && r.sent && r.outcome_unknown &&
        strcmp(r.error, "response exceeded the limit of 1048576 bytes for this request") == 0,
        "gzip bomb stops at a 1 MiB cap: %lld ms '%s'", ms, r.error);
  cfr_http_response_clear(&r);
  print_max_rss("after the gzip bomb under a 1 MiB cap");
  ms = get_capped(h, "/gzip-bomb/mib=1024", 0, &r);
  printf("measured: gzip bomb (1 GiB decoded) with the default cap -> %lld ms\n", ms);
  check(r.status == 0 && r.attempts == 1 &&
        strcmp(r.error, "response exceeded the limit of 33554432 bytes for this request") == 0,
        "gzip bomb stops at the default cap: '%s'", r.error);
  cfr_http_response_clear(&r);
  get_capped(h, "/gzip-bomb/mib=3", 4u << 20, &r);
  int spaces = r.body && r.body_len == 3u << 20 && r.body[0] == ' ' &&
               r.body[r.body_len - 1] == ' ';
  check(r.status == 200 && spaces, "3 MiB compressed answer under a 4 MiB cap is read whole: "
        "%ld %zu '%s'", r.status, r.body_len, r.error);
  cfr_http_response_clear(&r);

  ms = get_capped(h, "/endless", 1u << 20, &r);
  check(r.status == 0 && r.attempts == 1 &&
        strcmp(r.error, "response exceeded the limit of 1048576 bytes for this request") == 0,
        "endless body stops at the cap: %lld ms '%s'", ms, r.error);
  cfr_http_response_clear(&r);

  /* A store-shaped answer: a page of 1.5 MiB fails under 1 MiB and is read under 2 MiB. */
  get_capped(h, "/v2-page/mib=1.5", 1u << 20, &r);
  check(r.status == 0 && strstr(r.error, "exceeded the limit of 1048576 bytes"),
        "1.5 MiB page over a 1 MiB cap: '%s'", r.error);
  cfr_http_response_clear(&r);
  get_capped(h, "/v2-page/mib=1.5", 2u << 20, &r);
  check(r.status == 200 && r.body_len > (14u << 20) / 10 && r.body_len <= 3u << 19,
        "1.5 MiB page under a 2 MiB cap: %ld %zu", r.status, r.body_len);
  cfr_http_response_clear(&r);
  /* Announced too big: refused by its Content-Length, before reading it. */
  ms = get_capped(h, "/v1-empty-objects/mib=32", 1u << 20, &r);
  check(r.status == 0 && r.attempts == 1 && strstr(r.error, "exceeded the limit of 1048576") &&
        ms < 5000, "32 MiB v1 body over a 1 MiB cap: %lld ms '%s'", ms, r.error);
  cfr_http_response_clear(&r);
  const char *pages[] = {"/v2-page/mib=9", "/v2-page/mib=1"};
  cfr_http_response outs[2];
  cfr_http_get_many(h, 2, pages, outs);
  check(outs[0].status == 0 && strstr(outs[0].error, "exceeded the limit of 8388608 bytes") &&
        outs[1].status == 200, "get_many caps each answer at 8 MiB: '%s' / %ld", outs[0].error,
        outs[1].status);
  cfr_http_response_clear(&outs[0]);
  cfr_http_response_clear(&outs[1]);
  cfr_http_free(h);
}

static void test_cut_off_answers(void) {
  cfr_http *h = hostile(2, 20000, 0);
  cfr_http_response r;
  char want[160];
  get_capped(h, "/truncated-404", 0, &r);
  snprintf(want, sizeof want, "the HTTP 404 answer from 127.0.0.1:%d was cut off: transfer closed "
           "with 3996 bytes remaining to read (after 3 attempts)", hostile_port);
  check(r.status == 0 && r.attempts == 3 && r.outcome_unknown && !r.body &&
        strcmp(r.error, want) == 0, "body cut off after a 404: %ld '%s'", r.status, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);

  h = hostile(0, 20000, 0);
  get_capped(h, "/truncated/status=200/announce=1000/send=10", 0, &r);
  check(r.status == 0 && starts_with(r.error, "the HTTP 200 answer from ") &&
        strstr(r.error, "was cut off: transfer closed with 990 bytes remaining to read"),
        "body cut off after a 200: %ld '%s'", r.status, r.error);
  cfr_http_response_clear(&r);

  cfr_http_call put = {"PUT", "/drop", "[{\"origin_ip\":\"10.0.0.1\"}]", 1, 0};
  cfr_http_run(h, 1, &put, &r, 1);
  snprintf(want, sizeof want, "127.0.0.1:%d closed the connection without answering",
           hostile_port);
  check(r.status == 0 && r.sent && r.outcome_unknown && strcmp(r.error, want) == 0,
        "dropped after reading the whole request: sent %d unknown %d '%s'", r.sent,
        r.outcome_unknown, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

static void test_oversized_headers(void) {
  cfr_http *h = hostile(2, 20000, 0);
  cfr_http_response r;
  get_capped(h, "/huge-headers/kib=1024", 0, &r);
  check(r.status == 0 && r.attempts == 1 &&
        strcmp(r.error, "response headers exceeded the limit of 65536 bytes") == 0,
        "1 MiB of headers: %d attempts '%s'", r.attempts, r.error);
  cfr_http_response_clear(&r);
  get_capped(h, "/huge-headers/kib=60", 0, &r);
  check(r.status == 200, "60 KiB of headers are accepted: %ld '%s'", r.status, r.error);
  cfr_http_response_clear(&r);
  /* One header line of 512 KiB: curl refuses it before we see it; the error still says so. */
  get_capped(h, "/huge-headers/kib=512/line_kib=512", 0, &r);
  check(r.status == 0 && r.attempts == 1 &&
        strcmp(r.error, "a response header line exceeded libcurl's limit of 100 KiB") == 0,
        "one giant header line: '%s'", r.error);
  printf("measured: one 512 KiB header line -> '%s'\n", r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

static void test_slow_answers(void) {
  cfr_http *h = hostile(0, 1500, 0);
  cfr_http_response r;
  long long ms = get_capped(h, "/slow-drip/bytes=1000/interval_ms=100", 0, &r);
  check(r.status == 0 && ms < 2500 && r.outcome_unknown &&
        starts_with(r.error, "request timed out after 1500 ms (while receiving an HTTP 200 "
                    "answer, ") && strstr(r.error, " body bytes in)"),
        "slow body: the timeout wins over the 200: %lld ms '%s'", ms, r.error);
  cfr_http_response_clear(&r);
  ms = get_capped(h, "/slow-drip/bytes=1000/interval_ms=100/phase=headers", 0, &r);
  check(r.status == 0 && ms < 2500 && starts_with(r.error, "request timed out after 1500 ms"),
        "slow headers: %lld ms '%s'", ms, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

static void test_hostile_retry_after(void) {
  cfr_http *h = hostile(2, 5000, 60000);
  cfr_http_response r;
  long long ms = get_capped(h, "/retry-after-date-overflow", 0, &r);
  check(r.status == 0 && r.attempts == 1 && ms < 1000 &&
        (starts_with(r.error, "rate limited (HTTP 429): the API asks to wait over 30 days, more "
                     "than the 60 s this statement may still wait (max_wait_s); retry after ") ||
         starts_with(r.error, "rate limited (HTTP 429): the retry would wait ")),
        "Retry-After in the year 2147483647: %lld ms '%s'", ms, r.error);
  printf("measured: Retry-After in the year 2147483647 -> '%s'\n", r.error);
  cfr_http_response_clear(&r);
  get_capped(h, "/retry-after/value=99999999999999999999999", 0, &r);
  check(r.status == 0 && strstr(r.error, "asks to wait over 30 days"), "huge Retry-After: '%s'",
        r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  /* Within the budget, a Retry-After is waited for, then the answer is taken. */
  h = hostile(2, 5000, 3000);
  ms = get_capped(h, "/retry-after/value=2/times=1", 0, &r);
  check(r.status == 200 && r.attempts == 2 && ms >= 1900 && ms < 3500,
        "Retry-After 2 within max_wait 3 s: %ld after %lld ms", r.status, ms);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

static void test_refused_certificate(void) {
  if (tls_port <= 0) { printf("skipped: no TLS listener (openssl missing)\n"); return; }
  char base[64], want[96];
  snprintf(base, sizeof base, "https://127.0.0.1:%d", tls_port);
  cfr_http *h = client_at(base, 2, 5000);
  cfr_http_response r;
  get_capped(h, "/ok", 0, &r);
  snprintf(want, sizeof want, "the TLS certificate of 127.0.0.1:%d was refused: ", tls_port);
  check(r.status == 0 && r.attempts == 1 && !r.sent && starts_with(r.error, want),
        "self-signed certificate: %d attempts sent %d '%s'", r.attempts, r.sent, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

/* Server-provided text is passed to the caller as the body, untouched: the caller decides what of
** it to show (and must bound and escape it). The client itself adds none of it to its errors. */
static void test_server_text(void) {
  cfr_http *h = hostile(0, 20000, 0);
  cfr_http_response r;
  get_capped(h, "/escape-message", 0, &r);
  check(r.status == 400 && r.body && strstr(r.body, "\\u001b[31m") && !r.error[0],
        "an error answer with escapes is returned as the body: %ld '%s'", r.status, r.error);
  cfr_http_response_clear(&r);
  get_capped(h, "/error-message", 0, &r);
  check(r.status == 400 && r.body_len > 31000000 && !r.error[0],
        "a 31 MB error message fits the default cap: %ld %zu", r.status, r.body_len);
  cfr_http_response_clear(&r);
  get_capped(h, "/error-message", 1u << 20, &r);
  check(r.status == 0 && strstr(r.error, "exceeded the limit of 1048576 bytes"),
        "a 31 MB error message over a 1 MiB cap: '%s'", r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

void test_hostile(void) {
  cfr_http *h = hostile(0, 5000, 0);
  cfr_http_response r;
  cfr_http_request(h, "DELETE", "/__hostile/requests", NULL, 0, &r); /* the /times= counters */
  check(r.status == 200, "hostile server reset: %ld '%s'", r.status, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  test_body_caps();
  test_cut_off_answers();
  test_oversized_headers();
  test_slow_answers();
  test_hostile_retry_after();
  test_refused_certificate();
  test_server_text();
  print_max_rss("after the hostile cases");
}
