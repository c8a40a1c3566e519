/*
** http.h — the API store's HTTP client: libcurl with Cloudflare's retry rules.
**
** One client per table, holding one reused easy handle (keep-alive). It knows nothing about
** SQLite or JSON, so it is tested on its own against the fake API. Credentials are kept only in
** memory, are sent only as headers, and never appear in an error text or a log line.
*/
#ifndef CFREGIONS_HTTP_H
#define CFREGIONS_HTTP_H

#include <stddef.h>

typedef struct cfr_http cfr_http;

typedef struct cfr_http_config {
  const char *base_url;  /* API root without trailing slash; https://, or http:// to loopback only */
  int max_retries;       /* retries after the first attempt (SPEC default 2) */
  long timeout_ms;       /* per attempt (SPEC default 60000) */
  const char *user_agent;/* "cfregions/<version>" */
} cfr_http_config;

typedef struct cfr_http_response {
  long status;       /* final HTTP status; 0 when no response was obtained */
  char *body;        /* NUL-terminated, owned by the response; NULL when none */
  size_t body_len;
  int attempts;      /* requests made, retries included */
  char error[256];   /* why no usable response (transport error, size limit); "" otherwise */
} cfr_http_response;

/* Largest response body read into memory; a larger one is an error, not an allocation. */
#define CFR_HTTP_MAX_BODY (32u * 1024u * 1024u)

/* Creates a client. On failure returns NULL and sets *err (malloc'd text, caller frees). */
cfr_http *cfr_http_new(const cfr_http_config *cfg, char **err);
void cfr_http_free(cfr_http *http);

/* Credentials used from the next request on: a token (Authorization: Bearer) or an email + key
** pair (X-Auth-Email, X-Auth-Key). NULLs clear them. The strings are copied. */
void cfr_http_set_credentials(cfr_http *http, const char *token, const char *email, const char *key);

/* One request: base_url + path_and_query, optional JSON body (Content-Type: application/json).
** `items` is only reported in the debug log line. Retries per SPEC §5. Returns 0 when a response
** was obtained (whatever its status: the caller judges it), -1 otherwise with out->error set. */
int cfr_http_request(cfr_http *http, const char *method, const char *path_and_query,
                     const char *json_body, int items, cfr_http_response *out);

/* n GETs run concurrently (curl multi), each retried as above. outs[i] answers paths[i].
** Returns 0 when every request got a response, -1 otherwise (see each outs[i].error). */
int cfr_http_get_many(cfr_http *http, int n, const char *const *paths, cfr_http_response *outs);

void cfr_http_response_clear(cfr_http_response *resp);

#endif
