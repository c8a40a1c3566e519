/*
** test_http.c — the HTTP client (ext/http*.c) against the fake API (test/fake_cloudflare.py) and,
** for what the fake cannot do (arbitrary headers, huge bodies, connection counting), a tiny
** scripted socket server running in a thread of this program; test_http_hostile.c adds the cases
** that need test/hostile_server.py.
**
** Usage: test_http [--only fake|hostile] FAKE_PORT HOSTILE_PORT [TLS_PORT]
** Last line: "N passed, M failed". Every address used is loopback; refused URLs are never
** requested.
*/
#include "test_http.h"

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

static int passed, failed;
int fake_port, hostile_port, tls_port;
static cfr_http *control; /* talks to the fake's control paths */

void check(int ok, const char *fmt, ...) {
  if (ok) { passed++; return; }
  failed++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "FAIL: ");
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
}

int starts_with(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cfr_http *client_with(const cfr_http_config *cfg) {
  char *err = NULL;
  cfr_http *h = cfr_http_new(cfg, &err);
  check(h != NULL, "new(%s): %s", cfg->base_url, err ? err : "?");
  free(err);
  return h;
}

cfr_http *client_at(const char *base, int retries, long timeout_ms) {
  cfr_http_config cfg = {base, retries, timeout_ms, "cfregions/test", 0, NULL, NULL};
  return client_with(&cfg);
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

int listen_loopback(int *port) {
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
    "http://127.0.0.1:80@evil.example/", "http://user:pw@127.0.0.1/",
    "http://evil.example\\@127.0.0.1/",
    "http://127.0.0.1.evil.example/", "http://localhost.evil.example/", "http://10.0.0.1/",
    "http://0.0.0.0/", "http://128.0.0.1/", "http://[::2]/", "http://[::ffff:127.0.0.1]/",
    "http://evil.example#@127.0.0.1/", "http://evil.example?@127.0.0.1/", "ftp://127.0.0.1/",
    "file:///etc/passwd", "gopher://127.0.0.1/", "127.0.0.1:8080", "not a url", "",
    "https://127.0.0.1/?x=1", "http://127.0.0.1./", "http://127.0.0.1:99999/", NULL};
  for (int i = 0; refused[i]; i++) {
    cfr_http_config cfg = {refused[i], 2, 60000, "cfregions/test", 0, NULL, NULL};
    char *err = NULL;
    cfr_http *h = cfr_http_new(&cfg, &err); /* refused: no client, so no request can be made */
    check(h == NULL && err && *err, "base_url %s should be refused", refused[i]);
    cfr_http_free(h);
    free(err);
  }
  cfr_http_config cfg = {"http://example.com/client/v4", 2, 60000, "x", 0, NULL, NULL};
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
  const char *accepted[] = {"https://api.cloudflare.com/client/v4",
                            "HTTPS://API.cloudflare.com/client/v4/", "https://10.0.0.1/",
                            "http://127.255.255.254/", buf[0], buf[1], buf[2], buf[3], NULL};
  snprintf(buf[0], 80, "http://127.0.0.1:%d/client/v4", fake_port);
  snprintf(buf[1], 80, "http://LOCALHOST:%d/client/v4", fake_port);
  snprintf(buf[2], 80, "http://[::1]:%d/client/v4", fake_port);
  snprintf(buf[3], 80, "http://127.1:%d/", fake_port);
  for (int i = 0; accepted[i]; i++) /* no request */
    cfr_http_free(client_at(accepted[i], 2, 60000));
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
  check(strstr(srv.last, "POST /x HTTP/1.1\r\n") &&
        strstr(srv.last, "\r\nAccept: application/json\r\n") &&
        strstr(srv.last, "\r\nContent-Type: application/json\r\n") &&
        strstr(srv.last, "\r\nUser-Agent: cfregions/test\r\n") &&
        strstr(srv.last, "\r\nAuthorization: Bearer tok-abc\r\n") &&
        strstr(srv.last, "\r\n\r\n[1,2]"),
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
  check(srv_get(&srv.conns) == 1 && srv_get(&srv.reqs) == 3,
        "keep-alive: %d connections for %d requests",
        srv_get(&srv.conns), srv_get(&srv.reqs));
  canned redirect[] = {{"302 Found", "Location: http://127.0.0.1:1/elsewhere\r\n", "", 0, 0}};
  srv_script(1, redirect);
  expect_status(h, "GET", "/r", NULL, 302, 1, "a redirect is returned, not followed");
  cfr_http_free(h);
}

static void test_should_retry_header(void) {
  cfr_http *h = srv_client(2);
  canned no[] = {{"503 Service Unavailable", "x-should-retry: false\r\n", "{}", 0, 0},
                 {"200 OK", "", "{}", 0, 0}};
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
  cfr_http_free(h);
  /* No more 60 s cap: a longer Retry-After is honoured when the wait budget allows it, and
  ** refused at once, saying so, when it does not. */
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", srv.port);
  cfr_http_config cfg = {base, 2, 10000, "cfregions/test", 60000, NULL, NULL};
  h = client_with(&cfg);
  canned far[] = {{"429 Too Many Requests", "Retry-After: 120\r\n", "{}", 0, 0},
                  {"200 OK", "", "{}", 0, 0}};
  srv_script(2, far);
  cfr_http_response r;
  t0 = now_ms();
  int rc = cfr_http_request(h, "GET", "/e", NULL, 0, &r);
  ms = now_ms() - t0;
  check(rc == -1 && r.status == 0 && r.attempts == 1 && ms < 500 &&
        starts_with(r.error, "rate limited (HTTP 429): the API asks to wait 120 s, more than the "
                    "60 s this statement may still wait (max_wait_s); retry after "),
        "Retry-After 120 over a 60 s wait budget fails at once: rc=%d %lld ms '%s'", rc, ms,
        r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
}

static void test_body_limit(void) {
  cfr_http *h = srv_client(2);
  canned mid[] = {{"200 OK", "", "", 1u << 20, 1}};
  srv_script(1, mid);
  cfr_http_response r;
  int rc = cfr_http_request(h, "GET", "/mid", NULL, 0, &r);
  check(rc == 0 && r.body_len == (1u << 20) && r.body && r.body[0] == 'x' &&
        r.body[r.body_len] == 0,
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

#define RULE(extra) \
  "{\"rules\":[{\"method\":\"GET\",\"path_contains\":\"/origin/cloud_regions\"," extra "}]}"

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
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"5\","
                   "\"retry_after_ms\":200"));
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
  /* "headers" in a rule: extra response headers the fake sends with its fault (test/fake_cloudflare.py) */
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":503,"
                   "\"headers\":{\"x-should-retry\":\"false\"}"));
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
  snprintf(want, sizeof want,
           "connection to 127.0.0.1:%d failed: Connection refused (after 3 attempts)", port);
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
  printf("measured: get_many of %d pages at 150 ms latency (one 503 retried) -> %lld ms\n", PAGES,
         ms);
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
  check(rc == -1 && outs[0].status == 200 && outs[1].error[0], "get_many with a bad path: rc=%d",
        rc);
  cfr_http_response_clear(&outs[0]);
  cfr_http_response_clear(&outs[1]);
  check(cfr_http_get_many(h, 0, NULL, NULL) == 0, "get_many of nothing");
  fake_reset();
  cfr_http_free(h);
}

static struct { char path[64]; int fd, saved; } cap = {.fd = -1, .saved = -1};

void capture_stderr_begin(void) {
  snprintf(cap.path, sizeof cap.path, "/tmp/cfr_http_logXXXXXX");
  cap.fd = mkstemp(cap.path);
  cap.saved = dup(2);
  fflush(stderr);
  if (cap.fd >= 0) dup2(cap.fd, 2);
}

char *capture_stderr_end(void) {
  fflush(stderr);
  dup2(cap.saved, 2);
  close(cap.saved);
  char *text = calloc(1, 65536);
  lseek(cap.fd, 0, SEEK_SET);
  ssize_t n = text ? read(cap.fd, text, 65535) : 0;
  if (text) text[n > 0 ? n : 0] = 0;
  close(cap.fd);
  unlink(cap.path);
  return text;
}

static char *capture_debug_log(int refused_port) {
  capture_stderr_begin();
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
  return capture_stderr_end();
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
  static const char *const tail[] = {
    " ms", " ms retry 1", " ms", " ms (connection to 127.0.0.1:%d failed: Connection refused)",
    " ms retry 1 (connection to 127.0.0.1:%d failed: Connection refused)"};
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

/* ---------- runs of many requests (cfr_http_run) ---------- */

#define BATCH "/client/v4" LIST "/batch"

/* A client at the fake's root, so that one run can mix API paths and control paths. */
static cfr_http *root_client(int retries) {
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", fake_port);
  cfr_http *h = client_at(base, retries, 10000);
  if (h) cfr_http_set_credentials(h, TOKEN, NULL, NULL);
  return h;
}

/* calls[i] = PUT of a batch upserting 10.1.0.i; bodies[i] holds its body. */
static void batch_calls(int n, cfr_http_call *calls, char (*bodies)[128]) {
  for (int i = 0; i < n; i++) {
    snprintf(bodies[i], 128, "[{\"origin_ip\":\"10.1.0.%d\",\"vendor\":\"aws\","
             "\"region\":\"us-east-1\"}]", i);
    calls[i] = (cfr_http_call){"PUT", BATCH, bodies[i], 1, 0};
  }
}

static int zone_has(const char *mappings, int i) {
  char ip[32];
  snprintf(ip, sizeof ip, "\"10.1.0.%d\"", i);
  return mappings && strstr(mappings, ip) != NULL;
}

static int is_not_sent(const cfr_http_response *r) {
  return r->status == 0 && r->attempts == 0 && r->sent == 0 && r->outcome_unknown == 0 &&
         strcmp(r->error, CFR_HTTP_NOT_SENT) == 0 && !r->body;
}

/* The 2nd of 10 requests fails at once while the first 8 are in flight (300 ms of latency): the
** in-flight ones complete, the 2 not started are reported as not sent. */
static void test_run_stops_after_failure(void) {
  enum { N = 10 };
  char bodies[N][128];
  cfr_http_call calls[N];
  cfr_http_response outs[N];
  fake_reset();
  fake_faults("{\"latency_ms\":300}");
  batch_calls(N, calls, bodies);
  calls[1] = (cfr_http_call){"GET", "/__fake/no-such-control-path", NULL, 0, 0}; /* 404 at once */
  cfr_http *h = root_client(2);
  long long t0 = now_ms();
  int failed = cfr_http_run(h, N, calls, outs, 1);
  long long ms = now_ms() - t0;
  printf("measured: run of 10 with a failure while 8 are in flight -> %lld ms\n", ms);
  check(failed == 3 && ms < 1500, "run: %d not 2xx (want 3) in %lld ms", failed, ms);
  check(outs[1].status == 404 && outs[1].attempts == 1 && outs[1].body && !outs[1].error[0],
        "the failing request keeps its answer: %ld '%s'", outs[1].status, outs[1].error);
  for (int i = 0; i < N; i++) {
    if (i == 1) continue;
    if (i < CFR_HTTP_MAX_IN_FLIGHT)
      check(outs[i].status == 200 && outs[i].attempts == 1 && outs[i].sent &&
            !outs[i].outcome_unknown && !outs[i].error[0], "in flight %d completed: %ld '%s'", i,
            outs[i].status, outs[i].error);
    else
      check(is_not_sent(&outs[i]), "request %d not started, reported not sent: %ld %d %d '%s'", i,
            outs[i].status, outs[i].attempts, outs[i].sent, outs[i].error);
  }
  char *zone = fake("GET", "/__fake/zones/" ZONE "/mappings", NULL);
  for (int i = 0; i < N; i++)
    if (i != 1)
      check(zone_has(zone, i) == (i < CFR_HTTP_MAX_IN_FLIGHT), "zone has 10.1.0.%d: %d", i,
            zone_has(zone, i));
  free(zone);
  for (int i = 0; i < N; i++) cfr_http_response_clear(&outs[i]);

  /* Without stop_after_failure every request runs. */
  failed = cfr_http_run(h, N, calls, outs, 0);
  int ok = 0;
  for (int i = 0; i < N; i++) { ok += outs[i].status == 200; cfr_http_response_clear(&outs[i]); }
  check(failed == 1 && ok == N - 1, "run without stopping: %d failed, %d ok", failed, ok);
  fake_reset();
  cfr_http_free(h);
}

/* A 500 on the 2nd request to arrive, no retries: whichever requests had started complete, the
** rest are not sent, and what the fake saw matches what was reported. */
static void test_run_stops_after_500(void) {
  enum { N = 10 };
  char bodies[N][128];
  cfr_http_call calls[N];
  cfr_http_response outs[N];
  fake_reset();
  fake_faults("{\"latency_ms\":100,\"rules\":[{\"method\":\"PUT\",\"path_contains\":\"/batch\","
              "\"after\":1,\"count\":1,\"status\":500}]}");
  batch_calls(N, calls, bodies);
  cfr_http *h = root_client(0);
  int failed = cfr_http_run(h, N, calls, outs, 1);
  int n500 = 0, n200 = 0, skipped = 0, early_skip = 0;
  for (int i = 0; i < N; i++) {
    n500 += outs[i].status == 500 && outs[i].attempts == 1;
    n200 += outs[i].status == 200;
    skipped += is_not_sent(&outs[i]);
    early_skip += is_not_sent(&outs[i]) && i < CFR_HTTP_MAX_IN_FLIGHT;
    cfr_http_response_clear(&outs[i]);
  }
  char *log = request_log();
  int seen = count_of(log, "\"method\":\"PUT\"");
  printf("measured: 500 on the 2nd arrival -> %d ok, 1 failed, %d not sent\n", n200, skipped);
  check(n500 == 1 && n200 + n500 + skipped == N && failed == 1 + skipped && early_skip == 0 &&
        seen == N - skipped, "500 stops the run: %d 500, %d 200, %d not sent, fake saw %d",
        n500, n200, skipped, seen);
  free(log);
  fake_reset();
  cfr_http_free(h);
}

/* ---------- what became of a request without an answer ---------- */

static void test_outcome_unknown(void) {
  fake_reset();
  /* A fresh client each time: on a reused connection curl itself re-sends a dropped request. */
  fake_faults("{\"rules\":[{\"method\":\"PUT\",\"path_contains\":\"/batch\",\"count\":1,"
              "\"mode\":\"drop_after_apply\"}]}");
  cfr_http *h = root_client(0);
  char bodies[1][128];
  cfr_http_call call;
  cfr_http_response r;
  batch_calls(1, &call, bodies);
  cfr_http_run(h, 1, &call, &r, 1);
  char want[96];
  snprintf(want, sizeof want, "127.0.0.1:%d closed the connection without answering", fake_port);
  char *zone = fake("GET", "/__fake/zones/" ZONE "/mappings", NULL);
  check(r.status == 0 && r.sent && r.outcome_unknown && r.attempts == 1 &&
        strcmp(r.error, want) == 0 && zone_has(zone, 0),
        "dropped after apply: status %ld sent %d unknown %d '%s' (applied: %d)", r.status, r.sent,
        r.outcome_unknown, r.error, zone_has(zone, 0));
  free(zone);
  cfr_http_response_clear(&r);
  cfr_http_free(h);

  fake_faults("{\"rules\":[{\"method\":\"PUT\",\"path_contains\":\"/batch\",\"count\":1,"
              "\"mode\":\"drop_after_apply\"}]}");
  h = root_client(2);
  cfr_http_run(h, 1, &call, &r, 1);
  check(r.status == 200 && r.attempts == 2 && !r.outcome_unknown && r.sent,
        "dropped then answered: the answer settles it: %ld %d %d", r.status, r.attempts,
        r.outcome_unknown);
  cfr_http_response_clear(&r);
  cfr_http_free(h);

  fake_faults("{\"rules\":[{\"method\":\"PUT\",\"path_contains\":\"/batch\",\"count\":1,"
              "\"mode\":\"drop_after_apply\"},{\"method\":\"PUT\",\"path_contains\":\"/batch\","
              "\"after\":1,\"count\":5,\"status\":503}]}");
  h = root_client(2);
  cfr_http_run(h, 1, &call, &r, 1);
  check(r.status == 503 && r.attempts == 3 && r.outcome_unknown && !r.error[0],
        "dropped, then 503s: the first attempt may have applied: %ld %d %d '%s'", r.status,
        r.attempts, r.outcome_unknown, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);

  int port = closed_port();
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
  h = client_at(base, 1, 5000);
  cfr_http_run(h, 1, &call, &r, 1);
  check(r.status == 0 && !r.sent && !r.outcome_unknown && r.attempts == 2,
        "connection refused: never sent: sent %d unknown %d attempts %d", r.sent,
        r.outcome_unknown, r.attempts);
  cfr_http_response_clear(&r);
  cfr_http_free(h);
  fake_reset();
}

/* ---------- the rate-limit wait budget ---------- */

/* "...; retry after HH:MM:SS UTC" names a time `after_s` seconds from now (±1 s). */
static int retry_time_ok(const char *error, int after_s) {
  const char *p = strstr(error, "retry after ");
  int hh, mm, ss;
  char utc[4] = "";
  if (!p || sscanf(p, "retry after %2d:%2d:%2d %3s", &hh, &mm, &ss, utc) != 4) return 0;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  int diff = ((hh * 3600 + mm * 60 + ss) - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) +
              86400) % 86400;
  return strcmp(utc, "UTC") == 0 && diff >= after_s - 1 && diff <= after_s + 1;
}

typedef struct waits { int calls; long long last_ms; char last_reason[64]; } waits;

static void on_wait(void *ctx, long long ms, const char *reason) {
  waits *w = ctx;
  w->calls++;
  w->last_ms = ms;
  snprintf(w->last_reason, sizeof w->last_reason, "%s", reason);
}

static cfr_http *waiting_client(int retries, long long max_wait_ms, waits *w) {
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d/client/v4", fake_port);
  cfr_http_config cfg = {base, retries, 10000, "cfregions/test", max_wait_ms, on_wait, w};
  cfr_http *h = client_with(&cfg);
  if (h) cfr_http_set_credentials(h, TOKEN, NULL, NULL);
  return h;
}

static void test_max_wait(void) {
  waits w = {0, 0, ""};
  cfr_http *h = waiting_client(2, 1000, &w);
  cfr_http_response r;
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"2\""));
  long long t0 = now_ms();
  int rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  long long ms = now_ms() - t0;
  check(rc == -1 && r.status == 0 && r.attempts == 1 && ms < 500 && !r.body && w.calls == 0 &&
        starts_with(r.error, "rate limited (HTTP 429): the API asks to wait 2 s, more than the 1 s "
                    "this statement may still wait (max_wait_s); retry after ") &&
        retry_time_ok(r.error, 2), "Retry-After 2 over max_wait 1 s: %lld ms '%s'", ms, r.error);
  cfr_http_response_clear(&r);
  cfr_http_free(h);

  /* Waits add up within a statement; the reset refills the budget. */
  h = waiting_client(3, 1500, &w);
  fake_faults(RULE("\"after\":0,\"count\":2,\"status\":429,\"retry_after\":\"1\""));
  t0 = now_ms();
  rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  ms = now_ms() - t0;
  check(rc == -1 && r.attempts == 2 && ms >= 950 && ms < 1500 && r.waited_ms == 1000 &&
        starts_with(r.error, "rate limited (HTTP 429): the API asks to wait 1 s, more than the "
                    "0.5 s this statement may still wait (max_wait_s); retry after ") &&
        strstr(r.error, "(after 2 attempts; an earlier attempt got HTTP 429)"),
        "second wait past the budget: %lld ms waited %lld '%s'", ms, r.waited_ms, r.error);
  check(w.calls == 1 && w.last_ms == 1000 && strcmp(w.last_reason, "for the API's rate limit") == 0,
        "on_wait told of the wait: %d calls, %lld ms, '%s'", w.calls, w.last_ms, w.last_reason);
  cfr_http_response_clear(&r);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"1\""));
  rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  check(rc == -1 && r.attempts == 1 && strstr(r.error, "more than the 0.5 s"),
        "the same statement has 0.5 s left: '%s'", r.error);
  cfr_http_response_clear(&r);
  cfr_http_reset_wait_budget(h);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"1\""));
  t0 = now_ms();
  rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  ms = now_ms() - t0;
  check(rc == 0 && r.status == 200 && r.attempts == 2 && ms >= 950,
        "after the reset the wait fits again: %ld %lld ms '%s'", r.status, ms, r.error);
  cfr_http_response_clear(&r);

  /* Concurrent waits count once: 4 requests each told to wait 1 s fit in 1.5 s. */
  enum { N = 4 };
  cfr_http_call calls[N];
  cfr_http_response outs[N];
  for (int i = 0; i < N; i++) calls[i] = (cfr_http_call){"GET", LIST, NULL, 0, 0};
  cfr_http_reset_wait_budget(h);
  fake_faults(RULE("\"after\":0,\"count\":4,\"status\":429,\"retry_after\":\"1\""));
  t0 = now_ms();
  int failed = cfr_http_run(h, N, calls, outs, 1);
  ms = now_ms() - t0;
  printf("measured: 4 concurrent requests, each told to wait 1 s, max_wait 1.5 s -> %lld ms\n",
         ms);
  check(failed == 0 && ms < 2500, "overlapping waits count once: %d failed, %lld ms, '%s'",
        failed, ms, outs[0].error);
  for (int i = 0; i < N; i++) cfr_http_response_clear(&outs[i]);
  cfr_http_free(h);

  /* Never waiting: a 429 fails at once, with or without Retry-After; a 503's backoff is no
  ** rate-limit wait and still happens. */
  h = waiting_client(2, CFR_HTTP_NO_WAIT, &w);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after_ms\":100"));
  rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  check(rc == -1 && starts_with(r.error, "rate limited (HTTP 429): the API asks to wait 0.1 s, "
                                "more than the 0 s this statement may still wait"),
        "no waiting: '%s'", r.error);
  cfr_http_response_clear(&r);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429"));
  rc = cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  check(rc == -1 && starts_with(r.error, "rate limited (HTTP 429): the retry would wait "),
        "no waiting, 429 without Retry-After: '%s'", r.error);
  cfr_http_response_clear(&r);
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":503"));
  expect_status(h, "GET", LIST, NULL, 200, 2, "no waiting still backs off after a 503");
  cfr_http_free(h);

  cfr_http_config bad = {"http://127.0.0.1:1", 2, 1000, "x", CFR_HTTP_MAX_WAIT_LIMIT_MS + 1,
                         NULL, NULL};
  char *err = NULL;
  check(cfr_http_new(&bad, &err) == NULL && err && starts_with(err, "max_wait_ms: "),
        "max_wait_ms past its limit refused: %s", err ? err : "(none)");
  free(err);
  fake_do("DELETE", "/__fake/faults", NULL);
}

/* ---------- the rate budget ---------- */

static cfr_http *budget_client(const char *limit, const char *token, waits *w, long long max_wait) {
  setenv("CLOUDFLARE_RATE_LIMIT", limit, 1);
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d/client/v4", fake_port);
  cfr_http_config cfg = {base, 2, 10000, "cfregions/test", max_wait, w ? on_wait : NULL, w};
  cfr_http *h = client_with(&cfg);
  unsetenv("CLOUDFLARE_RATE_LIMIT"); /* read at creation only */
  if (h && token) cfr_http_set_credentials(h, token, NULL, NULL);
  else if (h) cfr_http_set_credentials(h, NULL, "me@example.com", "key-456");
  return h;
}

static long long timed_request(cfr_http *h, long *status) {
  cfr_http_response r;
  long long t0 = now_ms();
  cfr_http_request(h, "GET", LIST, NULL, 0, &r);
  *status = r.status;
  cfr_http_response_clear(&r);
  return now_ms() - t0;
}

typedef struct worker { cfr_http *h; int ok; pthread_t th; } worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  cfr_http_call calls[4];
  cfr_http_response outs[4];
  for (int i = 0; i < 4; i++) calls[i] = (cfr_http_call){"GET", LIST, NULL, 0, 0};
  cfr_http_run(w->h, 4, calls, outs, 0);
  for (int i = 0; i < 4; i++) {
    w->ok += outs[i].status == 200;
    cfr_http_response_clear(&outs[i]);
  }
  return NULL;
}

static void threaded_budget(void) {
  worker a = {budget_client("4/2", TOKEN, NULL, 0), 0, 0};
  worker b = {budget_client("4/2", TOKEN, NULL, 0), 0, 0};
  long long t0 = now_ms();
  pthread_create(&a.th, NULL, worker_main, &a);
  pthread_create(&b.th, NULL, worker_main, &b);
  pthread_join(a.th, NULL);
  pthread_join(b.th, NULL);
  long long ms = now_ms() - t0;
  printf("measured: 2 threads x 4 requests at 4/2 -> %lld ms\n", ms);
  check(a.ok == 4 && b.ok == 4 && ms >= 1900 && ms < 4000,
        "budget shared by threads: %d + %d answered in %lld ms", a.ok, b.ok, ms);
  cfr_http_free(a.h);
  cfr_http_free(b.h);
}

static void *one_request(void *arg) {
  worker *w = arg;
  cfr_http_response r;
  cfr_http_request(w->h, "GET", LIST, NULL, 0, &r);
  w->ok = r.status == 200 && r.attempts == 2;
  cfr_http_response_clear(&r);
  return NULL;
}

/* A 429 that asks to wait holds back every request with the same credentials, in any client. */
static void test_429_holds_back_the_credential(void) {
  fake_faults(RULE("\"after\":0,\"count\":1,\"status\":429,\"retry_after\":\"2\""));
  worker a = {budget_client("1000/1", TOKEN, NULL, 5000), 0, 0};
  cfr_http *b = budget_client("1000/1", TOKEN, NULL, 1000);
  cfr_http *c = budget_client("1000/1", TOKEN, NULL, 5000);
  pthread_create(&a.th, NULL, one_request, &a);
  struct timespec pause = {0, 300 * 1000000L};
  nanosleep(&pause, NULL);
  cfr_http_response r;
  cfr_http_request(b, "GET", LIST, NULL, 0, &r);
  check(r.status == 0 && r.attempts == 0 && !r.sent &&
        starts_with(r.error, "rate limited (HTTP 429 to another request with these credentials): "
                    "the API asks to wait 1.") &&
        strstr(r.error, "s more, more than the 1 s this statement may still wait"),
        "held back by another client's 429: '%s'", r.error);
  cfr_http_response_clear(&r);
  long long t0 = now_ms();
  cfr_http_request(c, "GET", LIST, NULL, 0, &r);
  long long ms = now_ms() - t0;
  pthread_join(a.th, NULL);
  check(a.ok && r.status == 200 && r.attempts == 1 && ms >= 1400 && r.waited_ms >= 1400,
        "a third client waits out the 429 instead of drawing another: %ld after %lld ms",
        r.status, ms);
  cfr_http_response_clear(&r);
  char *log = request_log();
  check(log && count_of(log, "\"status\":429") == 1 && count_of(log, "\"status\":200") == 2,
        "one 429, then two answers: %s", log);
  free(log);
  cfr_http_free(a.h); cfr_http_free(b); cfr_http_free(c);
  fake_do("DELETE", "/__fake/faults", NULL);
}

static void test_rate_budget(void) {
  enum { N = 12 };
  waits w = {0, 0, ""};
  fake_do("DELETE", "/__fake/faults", NULL);
  fake_do("DELETE", "/__fake/requests", NULL);
  cfr_http *h = budget_client("5/2", TOKEN, &w, 0);
  cfr_http_call calls[N];
  cfr_http_response outs[N];
  char paths[N][96];
  for (int i = 0; i < N; i++) {
    snprintf(paths[i], sizeof paths[i], LIST "?page=%d&per_page=1", i + 1);
    calls[i] = (cfr_http_call){"GET", paths[i], NULL, 0, 0};
  }
  capture_stderr_begin();
  setenv("CLOUDFLARE_LOG", "debug", 1);
  long long t0 = now_ms();
  int failed = cfr_http_run(h, N, calls, outs, 1);
  long long ms = now_ms() - t0;
  unsetenv("CLOUDFLARE_LOG");
  char *log = capture_stderr_end();
  int once = 0, waited = 0;
  for (int i = 0; i < N; i++) {
    once += outs[i].status == 200 && outs[i].attempts == 1;
    waited += outs[i].waited_ms > 0;
    cfr_http_response_clear(&outs[i]);
  }
  printf("measured: 12 requests at CLOUDFLARE_RATE_LIMIT=5/2 -> %lld ms, %d waited\n", ms, waited);
  check(failed == 0 && once == N && ms >= 3900 && ms < 6500 && waited == N - 5,
        "5 per 2 s: 12 requests in %lld ms, %d answered at once, %d waited", ms, once, waited);
  check(log && count_of(log, " ms for the rate budget)") == N - 5 &&
        strstr(log, " 0 items ") && strstr(log, "(waited "), "debug lines say who waited: %s", log);
  check(w.calls >= N - 5 && strcmp(w.last_reason, "for the rate budget") == 0 && w.last_ms > 0,
        "on_wait told of the budget waits: %d '%s'", w.calls, w.last_reason);
  free(log);
  char *seen = request_log();
  check(seen && count_of(seen, "\"status\":200") == N && count_of(seen, "\"status\":429") == 0,
        "the fake answered all 12 with 200: %s", seen);
  free(seen);
  cfr_http_free(h);

  /* The budget belongs to the credential, in the whole process. */
  cfr_http *a = budget_client("3/2", TOKEN, &w, 0), *b = budget_client("3/2", TOKEN, &w, 0);
  cfr_http *c = budget_client("3/2", NULL, &w, 0);
  long st = 0, sa = 0;
  long long first = 0;
  for (int i = 0; i < 3; i++) first += timed_request(a, &sa);
  long long same = timed_request(b, &st);
  long sc = 0;
  long long other = timed_request(c, &sc);
  printf("measured: budget 3/2 shared: 3 requests %lld ms, 4th (other client, same token) "
         "%lld ms, other credential %lld ms\n", first, same, other);
  check(sa == 200 && st == 200 && sc == 200 && first < 1000 && same >= 1500 && other < 500,
        "shared per credential: %lld / %lld / %lld ms", first, same, other);
  cfr_http_free(a); cfr_http_free(b); cfr_http_free(c);

  /* Threads share it too: two connections in two threads, 4 requests each, 4 per 2 s. */
  threaded_budget();
  test_429_holds_back_the_credential();

  /* A budget wait that does not fit in max_wait fails at once, and stops a stopping run. */
  h = budget_client("2/30", TOKEN, &w, 1000);
  for (int i = 0; i < 4; i++) calls[i] = (cfr_http_call){"GET", LIST, NULL, 0, 0};
  t0 = now_ms();
  failed = cfr_http_run(h, 4, calls, outs, 1);
  ms = now_ms() - t0;
  int answered = (outs[0].status == 200) + (outs[1].status == 200);
  int refused = 0, skipped = 0;
  for (int i = 2; i < 4; i++) {
    refused += outs[i].attempts == 0 && !outs[i].sent &&
               starts_with(outs[i].error, "rate budget used up (2 requests per 30 s, "
                           "CLOUDFLARE_RATE_LIMIT): the next request may go in ") &&
               strstr(outs[i].error, "more than the 1 s this statement may still wait");
    skipped += is_not_sent(&outs[i]);
  }
  check(failed == 2 && answered == 2 && refused == 1 && skipped == 1 && ms < 1000,
        "budget over max_wait: %d failed, %lld ms, '%s' / '%s'", failed, ms, outs[2].error,
        outs[3].error);
  for (int i = 0; i < 4; i++) cfr_http_response_clear(&outs[i]);
  cfr_http_free(h);

  static const char *const malformed[] = {"", "abc", "7/", "/9", "0/9", "9/0", "9/9x", "77",
                                          "9/9/9", "100001/9", "9/86401", "-3/9", " 9/9", "9 / 9",
                                          "99999999999999999999/9", NULL};
  for (int i = 0; malformed[i]; i++) {
    setenv("CLOUDFLARE_RATE_LIMIT", malformed[i], 1);
    cfr_http_config cfg = {"http://127.0.0.1:1", 2, 1000, "x", 0, NULL, NULL};
    char *err = NULL;
    cfr_http *bad = cfr_http_new(&cfg, &err);
    check(!bad && err && starts_with(err, "CLOUDFLARE_RATE_LIMIT: expected requests/seconds") &&
          (strlen(malformed[i]) < 2 || !strstr(err, malformed[i])),
          "CLOUDFLARE_RATE_LIMIT='%s' refused without echoing it: %s", malformed[i], err);
    free(err);
    cfr_http_free(bad);
  }
  unsetenv("CLOUDFLARE_RATE_LIMIT");
}

static void test_fake_cases(void) {
  test_url_validation();
  test_auth();
  test_headers_and_keepalive();
  test_should_retry_header();
  test_body_limit();
  test_fake_retries();
  test_failures();
  test_get_many();
  test_debug_log();
  test_run_stops_after_failure();
  test_run_stops_after_500();
  test_outcome_unknown();
  test_max_wait();
  test_rate_budget();
}

int main(int argc, char **argv) {
  const char *only = NULL;
  if (argc > 2 && strcmp(argv[1], "--only") == 0) { only = argv[2]; argc -= 2; argv += 2; }
  fake_port = argc > 1 ? atoi(argv[1]) : 0;
  hostile_port = argc > 2 ? atoi(argv[2]) : 0;
  tls_port = argc > 3 ? atoi(argv[3]) : 0;
  if (fake_port <= 0 || hostile_port <= 0) {
    fprintf(stderr, "usage: test_http [--only fake|hostile] FAKE_PORT HOSTILE_PORT [TLS_PORT]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  unsetenv("CLOUDFLARE_LOG");
  unsetenv("CLOUDFLARE_RATE_LIMIT");
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", fake_port);
  control = client_at(base, 0, 10000);
  if (!control) return 1;
  srv.fd = listen_loopback(&srv.port);
  pthread_create(&srv.th, NULL, srv_main, NULL);
  if (!only || strcmp(only, "fake") == 0) test_fake_cases();
  if (!only || strcmp(only, "hostile") == 0) { test_rules(); test_hostile(); }
  pthread_mutex_lock(&srv.mu); srv.stop = 1; pthread_mutex_unlock(&srv.mu);
  pthread_join(srv.th, NULL);
  close(srv.fd);
  cfr_http_free(control);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
