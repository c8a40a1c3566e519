/*
** test_http.h — what the HTTP client's C test files share: the check counter, clocks, clients and
** the ports of the servers that test/http/run.sh starts.
*/
#ifndef CFREGIONS_TEST_HTTP_H
#define CFREGIONS_TEST_HTTP_H

#include "http.h"

extern int fake_port;    /* test/fake_cloudflare.py */
extern int hostile_port; /* test/hostile_server.py, plain HTTP */
extern int tls_port;     /* test/hostile_server.py over TLS, self-signed certificate; 0: none */

/* Counts a passed check, or prints "FAIL: <message>" and counts a failure. */
void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

long long now_ms(void); /* monotonic */
int starts_with(const char *s, const char *prefix);

/* A client (checked: a failure to create one is a failed check). */
cfr_http *client_with(const cfr_http_config *cfg);
cfr_http *client_at(const char *base, int retries, long timeout_ms);

/* A listening loopback socket on a free port. */
int listen_loopback(int *port);

/* stderr goes to a temporary file between these two; the second returns what was written. */
void capture_stderr_begin(void);
char *capture_stderr_end(void); /* malloc'd */

/* test_http_hostile.c */
void test_rules(void);
void test_hostile(void);

#endif
