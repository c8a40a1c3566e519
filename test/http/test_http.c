/*
** test_http.c — the HTTP client (ext/http.c) against the fake API (SPEC §6) and, for what the fake
** cannot do (arbitrary headers, huge bodies, connection counting), a tiny scripted socket server
** running in a thread of this program. Usage: test_http FAKE_PORT. Last line: "N passed, M failed".
** Every address used is loopback; refused URLs are never requested.
*/
#include "http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ZONE "023e105f4ecef8ad9ca31a8372d0c353"
#define LIST "/zones/" ZONE "/origin/cloud_regions"
#define TOKEN "tok-123"

static int passed, failed, fake_port;
static cfr_http *control; /* talks to the fake's control paths */

static void check(int ok, const char *fmt, ...) {
  if (ok) { passed++; return; }
  failed++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "FAIL: ");
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cfr_http *client_at(const char *base, int retries, long timeout_ms) {
  cfr_http_config cfg = {base, retries, timeout_ms, "cfregions/test"};
  char *err = NULL;
  cfr_http *h = cfr_http_new(&cfg, &err);
  check(h != NULL, "new(%s): %s", base, err ? err : "?");
  free(err);
  return h;
}

static cfr_http *api_client(int retries, long timeout_ms) {
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d/client/v4", fake_port);
  cfr_http *h = client_at(base, retries, timeout_ms);
  if (h) cfr_http_set_credentials(h, TOKEN, NULL, NULL);
  return h;
}

/* Control request to the fake; returns the body (caller frees) or NULL. */
static char *fake(const char *method, const char *path, const char *body) {
  cfr_http_response r;
  int rc = cfr_http_request(control, method, path, body, 0, &r);
  int ok = rc == 0 && r.status >= 200 && r.status < 300;
  check(ok, "fake %s %s: rc=%d status=%ld %s", method, path, rc, r.status, r.error);
  char *b = ok ? r.body : NULL;
  if (!ok) free(r.body);
  return b;
}

static void fake_do(const char *method, const char *path, const char *body) {
  free(fake(method, path, body));
}

static void fake_reset(void) { fake_do("POST", "/__fake/reset", NULL); }

static void fake_faults(const char *json) {
  fake_do("DELETE", "/__fake/faults", NULL);
  fake_do("DELETE", "/__fake/requests", NULL);
  fake_do("POST", "/__fake/faults", json);
}

static int count_of(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; hay && (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* The fake's request log with spaces removed, so matches do not depend on its JSON style. */
static char *request_log(void) {
  char *b = fake("GET", "/__fake/requests", NULL), *w = b;
  for (const char *r = b; r && *r; r++) if (*r != ' ') *w++ = *r;
  if (w) *w = 0;
  return b;
}

/* ---------- scripted socket server (in a thread) ---------- */

typedef struct canned {
  const char *status;  /* "503 Service Unavailable" */
  const char *headers; /* extra lines, each ending in \r\n */
  const char *body;
  size_t huge;         /* >0: stream this many bytes instead of body */
  int with_length;     /* huge: announce Content-Length */
} canned;

static struct {
  int fd, port, stop, conns, reqs, next, n;
  canned script[8];
  char last[4096];     /* last request's head and body */
  pthread_mutex_t mu;
  pthread_t th;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int srv_get(int *field) {
  pthread_mutex_lock(&srv.mu);
  int v = *field;
  pthread_mutex_unlock(&srv.mu);
  return v;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w; n -= (size_t)w;
  }
}

/* Answers one request; returns 0 when the connection must close. */
static int srv_answer(int conn) {
  pthread_mutex_lock(&srv.mu);
  canned c = srv.script[srv.next < srv.n ? srv.next : srv.n - 1];
  srv.next++;
  srv.reqs++;
  pthread_mutex_unlock(&srv.mu);
  char head[512];
  if (c.huge) {
    char len[64] = "Connection: close\r\n";
    if (c.with_length) snprintf(len, sizeof len, "Content-Length: %zu\r\n", c.huge);
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n%s\r\n", len);
    send_all(conn, head, strlen(head));
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (size_t sent = 0; sent < c.huge; sent += sizeof chunk)
      if (send(conn, chunk, sizeof chunk, MSG_NOSIGNAL) <= 0) break;
    return 0;
  }
  snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n", c.status,
           strlen(c.body), c.headers);
  send_all(conn, head, strlen(head));
  send_all(conn, c.body, strlen(c.body));
  return 1;
}

/* Reads requests from one connection at a time (a new connection replaces the old). */
static void *srv_main(void *arg) {
  (void)arg;
  static char buf[65536];
  size_t have = 0;
  int conn = -1;
  while (!srv_get(&srv.stop)) {
    struct pollfd p[2] = {{srv.fd, POLLIN, 0}, {conn, POLLIN, 0}};
    if (poll(p, conn >= 0 ? 2 : 1, 50) <= 0) continue;
    if (p[0].revents & POLLIN) {
      int c = accept(srv.fd, NULL, NULL);
      if (c < 0) continue;
      if (conn >= 0) close(conn);
      conn = c; have = 0;
      pthread_mutex_lock(&srv.mu); srv.conns++; pthread_mutex_unlock(&srv.mu);
      continue;
    }
    ssize_t r = recv(conn, buf + have, sizeof buf - 1 - have, 0);
    if (r <= 0) { close(conn); conn = -1; continue; }
    have += (size_t)r;
    buf[have] = 0;
    char *end = strstr(buf, "\r\n\r\n"), *cl = strstr(buf, "Content-Length: ");
    size_t body = cl && (!end || cl < end) ? strtoul(cl + 16, NULL, 10) : 0;
    if (!end || have < (size_t)(end + 4 - buf) + body) continue;
    size_t total = (size_t)(end + 4 - buf) + body;
    pthread_mutex_lock(&srv.mu);
    snprintf(srv.last, sizeof srv.last, "%.*s", (int)total, buf);
    pthread_mutex_unlock(&srv.mu);
    memmove(buf, buf + total, have - total);
    have -= total;
    if (!srv_answer(conn)) { close(conn); conn = -1; have = 0; }
  }
  if (conn >= 0) close(conn);
  return NULL;
}

static int listen_loopback(int *port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("listen");
    exit(2);
  }
  *port = ntohs(a.sin_port);
  return fd;
}

static void srv_script(int n, const canned *script) {
  pthread_mutex_lock(&srv.mu);
  memcpy(srv.script, script, sizeof(canned) * (size_t)n);
  srv.n = n; srv.next = 0; srv.reqs = 0; srv.conns = 0; srv.last[0] = 0;
  pthread_mutex_unlock(&srv.mu);
}

static cfr_http *srv_client(int retries) {
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", srv.port);
  return client_at(base, retries, 10000);
}

static void expect_status(cfr_http *h, const char *method, const char *path, const char *body,
                          long status, int attempts, const char *what) {
  cfr_http_response r;
  int rc = cfr_http_request(h, method, path, body, 0, &r);
  check(rc == 0 && r.status == status && r.attempts == attempts,
        "%s: rc=%d status=%ld (want %ld) attempts=%d (want %d) %s", what, rc, r.status, status,
        r.attempts, attempts, r.error);
  cfr_http_response_clear(&r);
}

/* ---------- cases ---------- */

static void test_url_validation(void) {
  static const char *const refused[] = {
    "http://example.com/client/v4", "http://127.0.0.1@evil.example/",
    "http://127.0.0.1:80@evil.example/", "http://user:pw@127.0.0.1/", "http://evil.example\\@127.0.0.1/",
    "http://127.0.0.1.evil.example/", "http://localhost.evil.example/", "http://10.0.0.1/",
    "http://0.0.0.0/", "http://128.0.0.1/", "http://[::2]/", "http://[::ffff:127.0.0.1]/",
    "http://evil.example#@127.0.0.1/", "http://evil.example?@127.0.0.1/", "ftp://127.0.0.1/",
    "file:///etc/passwd", "gopher://127.0.0.1/", "127.0.0.1:8080", "not a url", "",
    "https://127.0.0.1/?x=1", "http://127.0.0.1./", "http://127.0.0.1:99999/", NULL};
  for (int i = 0; refused[i]; i++) {
    cfr_http_config cfg = {refused[i], 2, 60000, "cfregions/test"};
    char *err = NULL;
    cfr_http *h = cfr_http_new(&cfg, &err); /* refused: no client, so no request can be made */
    check(h == NULL && err && *err, "base_url %s should be refused", refused[i]);
    cfr_http_free(h);
    free(err);
  }
  cfr_http_config cfg = {"http://example.com/client/v4", 2, 60000, "x"};
  char *err = NULL;
  cfr_http_free(cfr_http_new(&cfg, &err));
  check(err && strcmp(err, "base_url: http:// is allowed only to a loopback address (127.0.0.1, "
                           "::1, localhost); use https://") == 0, "http refusal text: %s", err);
  free(err);
  cfg.base_url = "https://user:s3cretpw@api.cloudflare.com/client/v4";
  cfr_http_free(cfr_http_new(&cfg, &err));
  check(err && !strstr(err, "s3cretpw"), "refusal must not echo a password: %s", err);
  free(err);
  cfg.base_url = "https://api.cloudflare.com/client/v4"; cfg.max_retries = -1;
  cfr_http_free(cfr_http_new(&cfg, &err));
  check(err != NULL, "negative max_retries refused");
  free(err);
  cfg.max_retries = 2; cfg.timeout_ms = 0;
  cfr_http_free(cfr_http_new(&cfg, &err));
  check(err != NULL, "timeout_ms 0 refused");
  free(err);
  check(cfr_http_new(NULL, &err) == NULL && err, "NULL config refused");
  free(err);

  char buf[8][80];
  const char *accepted[] = {"https://api.cloudflare.com/client/v4", "HTTPS://API.cloudflare.com/client/v4/",
                            "https://10.0.0.1/", "http://127.255.255.254/", buf[0], buf[1], buf[2], buf[3], NULL};
  snprintf(buf[0], 80, "http://127.0.0.1:%d/client/v4", fake_port);
  snprintf(buf[1], 80, "http://LOCALHOST:%d/client/v4", fake_port);
  snprintf(buf[2], 80, "http://[::1]:%d/client/v4", fake_port);
  snprintf(buf[3], 80, "http://127.1:%d/", fake_port);
  for (int i = 0; accepted[i]; i++) cfr_http_free(client_at(accepted[i], 2, 60000)); /* no request */
  cfr_http *h = client_at(buf[1], 0, 10000); /* localhost really reaches the fake */
  if (!h) return;
  cfr_http_set_credentials(h, TOKEN, NULL, NULL);
  expect_status(h, "GET", LIST, NULL, 200, 1, "GET via localhost");
  cfr_http_free(h);
}

static long status_with(const char *token, const char *email, const char *key) {
  cfr_http *h = api_client(0, 10000);
  if (!h) return -1;
  cfr_http_set_credentials(h, token, email, key);
  cfr_http_response r;
  long st = cfr_http_request(h, "GET", LIST, NULL, 0, &r) == 0 ? r.status : -1;
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  return st;
}

static void test_auth(void) {
  fake_reset();
  check(status_with(TOKEN, NULL, NULL) == 200, "right token → 200");
  check(status_with(TOKEN "\n", NULL, NULL) == 200, "token with a trailing newline → 200");
  check(status_with("wrong-token", NULL, NULL) == 403, "wrong token → 403");
  check(status_with(NULL, NULL, NULL) == 403, "no credentials → 403");
  check(status_with(NULL, "me@example.com", "key-456") == 200, "email + key → 200");
  check(status_with(NULL, "me@example.com", "wrong-key") == 403, "wrong key → 403");
  fake_do("DELETE", "/__fake/requests", NULL);
  cfr_http *h = api_client(0, 10000);
  cfr_http_set_credentials(h, "tok\r\nX-Evil: 1", NULL, NULL);
  cfr_http_response r;
  int rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  check(rc == -1 && strstr(r.error, "control characters") && !strstr(r.error, "tok"),
        "credential with CR/LF refused: %s", r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  char *log = request_log();
  check(log && count_of(log, "\"method\"") == 0, "nothing sent with a bad credential: %s", log);
  free(log);
}

static void test_headers_and_keepalive(void) {
  canned ok[] = {{"200 OK", "", "{}", 0, 0}};
  srv_script(1, ok);
  cfr_http *h = srv_client(0);
  cfr_http_set_credentials(h, "tok-abc", NULL, NULL);
  expect_status(h, "POST", "/x", "[1,2]", 200, 1, "POST to the socket server");
  pthread_mutex_lock(&srv.mu);
  check(strstr(srv.last, "POST /x HTTP/1.1\r\n") && strstr(srv.last, "\r\nAccept: application/json\r\n") &&
        strstr(srv.last, "\r\nContent-Type: application/json\r\n") &&
        strstr(srv.last, "\r\nUser-Agent: cfregions/test\r\n") &&
        strstr(srv.last, "\r\nAuthorization: Bearer tok-abc\r\n") && strstr(srv.last, "\r\n\r\n[1,2]"),
        "POST headers: %s", srv.last);
  pthread_mutex_unlock(&srv.mu);
  cfr_http_set_credentials(h, NULL, "me@example.com", "key-9");
  expect_status(h, "GET", "/y?a=1", NULL, 200, 1, "GET to the socket server");
  pthread_mutex_lock(&srv.mu);
  check(strstr(srv.last, "GET /y?a=1 HTTP/1.1\r\n") && !strstr(srv.last, "Content-Type") &&
        strstr(srv.last, "\r\nX-Auth-Email: me@example.com\r\n") &&
        strstr(srv.last, "\r\nX-Auth-Key: key-9\r\n") && !strstr(srv.last, "Authorization"),
        "GET headers: %s", srv.last);
  pthread_mutex_unlock(&srv.mu);
  expect_status(h, "PUT", "/z", NULL, 200, 1, "PUT without a body");
  pthread_mutex_lock(&srv.mu);
  check(strstr(srv.last, "\r\nContent-Length: 0\r\n") && !strstr(srv.last, "Content-Type"),
        "PUT without body: %s", srv.last);
  pthread_mutex_unlock(&srv.mu);
  check(srv_get(&srv.conns) == 1 && srv_get(&srv.reqs) == 3, "keep-alive: %d connections for %d requests",
        srv_get(&srv.conns), srv_get(&srv.reqs));
  canned redirect[] = {{"302 Found", "Location: http://127.0.0.1:1/elsewhere\r\n", "", 0, 0}};
  srv_script(1, redirect);
  expect_status(h, "GET", "/r", NULL, 302, 1, "a redirect is returned, not followed");
  cfr_http_free(h);
}

static void test_should_retry_header(void) {
  cfr_http *h = srv_client(2);
  canned no[] = {{"503 Service Unavailable", "x-should-retry: false\r\n", "{}", 0, 0}, {"200 OK", "", "{}", 0, 0}};
  srv_script(2, no);
  expect_status(h, "GET", "/a", NULL, 503, 1, "x-should-retry: false on 503");
  canned yes[] = {{"400 Bad Request", "x-should-retry: true\r\nretry-after-ms: 10\r\n", "{}", 0, 0},
                  {"200 OK", "", "{}", 0, 0}};
  srv_script(2, yes);
  expect_status(h, "GET", "/b", NULL, 200, 2, "x-should-retry: true on 400");
  canned plain[] = {{"404 Not Found", "", "{}", 0, 0}, {"200 OK", "", "{}", 0, 0}};
  srv_script(2, plain);
  expect_status(h, "GET", "/c", NULL, 404, 1, "404 is not retried");

  char date[96], hdr[128];
  time_t when = time(NULL) + 2;
  struct tm tm;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&when, &tm));
  snprintf(hdr, sizeof hdr, "Retry-After: %s\r\n", date);
  canned dated[] = {{"503 Service Unavailable", hdr, "{}", 0, 0}, {"200 OK", "", "{}", 0, 0}};
  srv_script(2, dated);
  long long t0 = now_ms();
  expect_status(h, "GET", "/d", NULL, 200, 2, "Retry-After as an HTTP date");
  long long ms = now_ms() - t0;
  printf("measured: Retry-After HTTP date (+2 s, whole seconds) -> %lld ms\n", ms);
  check(ms >= 900 && ms < 3000, "Retry-After date delay %lld ms", ms);
  canned far[] = {{"429 Too Many Requests", "Retry-After: 120\r\n", "{}", 0, 0}, {"200 OK", "", "{}", 0, 0}};
  srv_script(2, far);
  t0 = now_ms();
  expect_status(h, "GET", "/e", NULL, 200, 2, "Retry-After 120 falls back to the backoff");
  ms = now_ms() - t0;
  printf("measured: Retry-After: 120 (over 60 s) -> backoff %lld ms\n", ms);
  check(ms >= 370 && ms < 1000, "Retry-After over 60 s uses the backoff: %lld ms", ms);
  cfr_http_free(h);
}

static void test_body_limit(void) {
  cfr_http *h = srv_client(2);
  canned mid[] = {{"200 OK", "", "", 1u << 20, 1}};
  srv_script(1, mid);
  cfr_http_response r;
  int rc = cfr_http_request(h, "GET", "/mid", NULL, 0, &r);
  check(rc == 0 && r.body_len == (1u << 20) && r.body && r.body[0] == 'x' && r.body[r.body_len] == 0,
        "1 MiB body read whole and NUL-terminated: rc=%d len=%zu %s", rc, r.body_len, r.error);
  cfr_http_response_clear(&r);
  for (int with_length = 1; with_length >= 0; with_length--) {
    canned huge[] = {{"200 OK", "", "", 40u << 20, with_length}};
    srv_script(1, huge);
    rc = cfr_http_request(h, "GET", "/huge", NULL, 0, &r);
    check(rc == -1 && strstr(r.error, "exceeded the limit") && r.attempts == 1 && !r.body,
          "40 MiB body (%s) refused: rc=%d attempts=%d %s",
          with_length ? "Content-Length" : "streamed", rc, r.attempts, r.error);
    cfr_http_response_clear(&r);
  }
  cfr_http_free(h);
}

static long long timed(cfr_http *h, long status, int attempts, const char *what) {
  long long t0 = now_ms();
  expect_status(h, "GET", LIST, NULL, status, attempts, what);
  return now_ms() - t0;
}

#define RULE(extra) "{\"rules\":[{\"method\":\"GET\",\"path_contains\":\"/origin/cloud_regions\"," extra "}]}"

static void test_fake_retries(void) {
  cfr_http *h = api_client(2, 10000);
  if (!h) return;
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"1\""));
  long long ms = timed(h, 200, 2, "429 with Retry-After: 1");
  printf("measured: 429 Retry-After: 1 -> %lld ms\n", ms);
  check(ms >= 950 && ms < 2500, "Retry-After: 1 honoured: %lld ms", ms);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after_ms\":1200"));
  ms = timed(h, 200, 2, "429 with retry-after-ms: 1200");
  printf("measured: 429 retry-after-ms: 1200 -> %lld ms\n", ms);
  check(ms >= 1150 && ms < 2500, "retry-after-ms honoured: %lld ms", ms);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"5\",\"retry_after_ms\":200"));
  ms = timed(h, 200, 2, "retry-after-ms before Retry-After");
  printf("measured: retry-after-ms 200 with Retry-After 5 -> %lld ms\n", ms);
  check(ms >= 190 && ms < 1000, "retry-after-ms takes precedence: %lld ms", ms);
  static const int retried[] = {500, 502, 503, 408, 409};
  for (int i = 0; i < 5; i++) {
    char rule[256];
    snprintf(rule, sizeof rule, RULE("\"after\":0,\"count\":1,\"status\":%d"), retried[i]);
    fake_faults(rule);
    ms = timed(h, 200, 2, "retried status then success");
    printf("measured: %d then 200 -> backoff %lld ms\n", retried[i], ms);
    check(ms >= 370 && ms < 800, "first backoff 375-500 ms after %d: %lld ms", retried[i], ms);
  }
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":400"));
  timed(h, 400, 1, "400 not retried");
  /* "headers" in a rule is the fake's extension of SPEC §6 */
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":503,\"headers\":{\"x-should-retry\":\"false\"}"));
  timed(h, 503, 1, "fake: x-should-retry false on 503 not retried");
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":400,\"retry_after_ms\":10,"
                   "\"headers\":{\"x-should-retry\":\"true\"}"));
  timed(h, 200, 2, "fake: x-should-retry true on 400 retried");
  /* A fresh client: on a reused connection curl itself retries a request the server dropped. */
  cfr_http *fresh = api_client(2, 10000);
  fake_faults(RULE("\"after\":0,\"count\":1,\"mode\":\"drop\""));
  if (fresh) timed(fresh, 200, 2, "dropped connection retried");
  cfr_http_free(fresh);
  fake_faults(RULE("\"after\":0,\"count\":10,\"status\":503"));
  ms = timed(h, 503, 3, "503 until retries are exhausted");
  printf("measured: 3 attempts of 503 -> %lld ms (backoffs 375-500 + 750-1000)\n", ms);
  check(ms >= 1120 && ms < 1800, "two backoffs: %lld ms", ms);
  char *log = request_log();
  check(log && count_of(log, "\"status\":503") == 3, "fake saw 3 attempts: %s", log);
  free(log);
  fake_do("DELETE", "/__fake/faults", NULL);
  cfr_http_free(h);
}

static int closed_port(void) {
  int port, fd = listen_loopback(&port);
  close(fd);
  return port;
}

static void test_failures(void) {
  fake_faults("{\"latency_ms\":1500}");
  for (int retries = 0; retries <= 1; retries++) {
    cfr_http *h = api_client(retries, 300);
    cfr_http_response r;
    long long t0 = now_ms();
    int rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
    long long ms = now_ms() - t0;
    const char *want = retries ? "request timed out after 300 ms (after 2 attempts)"
                               : "request timed out after 300 ms";
    check(rc == -1 && strcmp(r.error, want) == 0 && r.attempts == retries + 1 && ms < 1400,
          "timeout: rc=%d attempts=%d %lld ms '%s'", rc, r.attempts, ms, r.error);
    cfr_http_response_clear(&r);
    cfr_http_free(h);
  }
  fake_do("DELETE", "/__fake/faults", NULL);
  int port = closed_port();
  char base[64], want[160];
  snprintf(base, sizeof base, "http://127.0.0.1:%d/client/v4", port);
  snprintf(want, sizeof want, "connection to 127.0.0.1:%d failed: Connection refused (after 3 attempts)", port);
  cfr_http *h = client_at(base, 2, 5000);
  cfr_http_set_credentials(h, TOKEN, NULL, NULL);
  cfr_http_response r;
  int rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  check(rc == -1 && strcmp(r.error, want) == 0 && r.status == 0 && r.attempts == 3 && !r.body,
        "refused: rc=%d status=%ld attempts=%d '%s'", rc, r.status, r.attempts, r.error);
  cfr_http_response_clear(&r);
  rc = cfr_http_request(h, "GET", "no-slash", NULL, 0, &r);
  check(rc == -1 && r.attempts == 0, "a path without '/' is refused: %s", r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

static void test_get_many(void) {
  enum { ROWS = 3480, PAGES = 35 };
  fake_reset();
  char *seed = malloc(ROWS * 80 + 8), *w = seed;
  *w++ = '[';
  for (int k = 0; k < ROWS; k++)
    w += sprintf(w, "%s{\"origin_ip\":\"10.0.%d.%d\",\"vendor\":\"aws\",\"region\":\"us-east-1\"}",
                 k ? "," : "", k / 256, k % 256);
  strcpy(w, "]");
  fake_do("PUT", "/__fake/zones/" ZONE "/mappings", seed);
  free(seed);
  fake_faults("{\"latency_ms\":150,\"rules\":[{\"method\":\"GET\",\"path_contains\":\"/origin/\","
              "\"after\":5,\"count\":1,\"status\":503}]}");
  char paths[PAGES][96];
  const char *ptrs[PAGES];
  cfr_http_response outs[PAGES];
  for (int i = 0; i < PAGES; i++) {
    snprintf(paths[i], sizeof paths[i], LIST "?page=%d&per_page=100", i + 1);
    ptrs[i] = paths[i];
  }
  cfr_http *h = api_client(2, 10000);
  long long t0 = now_ms();
  int rc = cfr_http_get_many(h, PAGES, ptrs, outs), attempts = 0;
  long long ms = now_ms() - t0;
  printf("measured: get_many of %d pages at 150 ms latency (one 503 retried) -> %lld ms\n", PAGES, ms);
  check(rc == 0 && ms < 2500, "get_many concurrent: rc=%d %lld ms (serial >= 5250)", rc, ms);
  for (int i = 0; i < PAGES; i++) {
    char first[32], last[32], next[32];
    int a = i * 100, b = (i + 1) * 100 > ROWS ? ROWS - 1 : (i + 1) * 100 - 1;
    snprintf(first, 32, "\"10.0.%d.%d\"", a / 256, a % 256);
    snprintf(last, 32, "\"10.0.%d.%d\"", b / 256, b % 256);
    snprintf(next, 32, "\"10.0.%d.%d\"", (b + 1) / 256, (b + 1) % 256);
    check(outs[i].status == 200 && outs[i].body && strstr(outs[i].body, first) &&
          strstr(outs[i].body, last) && !strstr(outs[i].body, next),
          "page %d: status %ld %s", i + 1, outs[i].status, outs[i].error);
    attempts += outs[i].attempts;
    cfr_http_response_clear(&outs[i]);
  }
  check(attempts == PAGES + 1, "attempts %d (want %d)", attempts, PAGES + 1);
  const char *mixed[] = {LIST "?page=1&per_page=100", "bad"};
  rc = cfr_http_get_many(h, 2, mixed, outs);
  check(rc == -1 && outs[0].status == 200 && outs[1].error[0], "get_many with a bad path: rc=%d", rc);
  cfr_http_response_clear(&outs[0]);
  cfr_http_response_clear(&outs[1]);
  check(cfr_http_get_many(h, 0, NULL, NULL) == 0, "get_many of nothing");
  fake_reset();
  cfr_http_free(h);
}

static char *capture_debug_log(int refused_port) {
  char path[] = "/tmp/cfr_http_logXXXXXX";
  int fd = mkstemp(path), saved = dup(2);
  fflush(stderr);
  dup2(fd, 2);
  setenv("CLOUDFLARE_LOG", "debug", 1);
  cfr_http *h = api_client(2, 10000);
  expect_status(h, "GET", LIST "?page=1&per_page=5", NULL, 200, 2, "debug: 429 then 200");
  cfr_http_response r;
  cfr_http_request(h, "PUT", LIST "/batch", "[]", 7, &r);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", refused_port);
  h = client_at(base, 1, 5000);
  cfr_http_set_credentials(h, TOKEN, NULL, NULL);
  cfr_http_request(h, "GET", "/gone", NULL, 0, &r);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  unsetenv("CLOUDFLARE_LOG");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *text = calloc(1, 65536);
  lseek(fd, 0, SEEK_SET);
  ssize_t n = read(fd, text, 65535);
  text[n > 0 ? n : 0] = 0;
  close(fd);
  unlink(path);
  return text;
}

static void test_debug_log(void) {
  int port = closed_port();
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after_ms\":10"));
  char *log = capture_debug_log(port), *line = log, *save = NULL;
  static const char *const want[] = {
    "cfregions: GET /client/v4" LIST "?page=1&per_page=5 429 0 items ",
    "cfregions: GET /client/v4" LIST "?page=1&per_page=5 200 0 items ",
    "cfregions: PUT /client/v4" LIST "/batch ", "cfregions: GET /gone 0 0 items ",
    "cfregions: GET /gone 0 0 items "};
  static const char *const tail[] = {" ms", " ms retry 1", " ms", " ms (connection to 127.0.0.1:%d failed: "
                                     "Connection refused)", " ms retry 1 (connection to 127.0.0.1:%d failed: Connection refused)"};
  int i = 0;
  for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
    char t[160];
    snprintf(t, sizeof t, i < 5 ? tail[i] : "", port);
    const char *ms = i < 5 ? strstr(line, t) : NULL;
    check(i < 5 && strncmp(line, want[i], strlen(want[i])) == 0 && ms && strlen(ms) == strlen(t) &&
          (i != 2 || strstr(line, " 7 items ")), "debug line %d: '%s'", i + 1, line);
  }
  check(i == 5, "5 debug lines, got %d", i);
  check(!strstr(log, TOKEN) && !strstr(log, "Bearer") && !strstr(log, "Authorization") &&
        !strstr(log, "tok-"), "no credential in the debug log");
  free(log);
  fake_do("DELETE", "/__fake/faults", NULL);
}

int main(int argc, char **argv) {
  fake_port = argc > 1 ? atoi(argv[1]) : 0;
  if (fake_port <= 0) { fprintf(stderr, "usage: %s FAKE_PORT\n", argv[0]); return 2; }
  setvbuf(stdout, NULL, _IONBF, 0);
  unsetenv("CLOUDFLARE_LOG");
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", fake_port);
  control = client_at(base, 0, 10000);
  if (!control) return 1;
  srv.fd = listen_loopback(&srv.port);
  pthread_create(&srv.th, NULL, srv_main, NULL);
  test_url_validation();
  test_auth();
  test_headers_and_keepalive();
  test_should_retry_header();
  test_body_limit();
  test_fake_retries();
  test_failures();
  test_get_many();
  test_debug_log();
  pthread_mutex_lock(&srv.mu); srv.stop = 1; pthread_mutex_unlock(&srv.mu);
  pthread_join(srv.th, NULL);
  close(srv.fd);
  cfr_http_free(control);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
