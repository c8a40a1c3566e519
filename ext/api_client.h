/*
** api_client.h — talking to Cloudflare's API on behalf of one connection: where requests may go
** (the base-URL policy), with which credentials, and requests sent together (at most 8 in flight)
** whose answers are decoded one by one. The API store (mappings of a zone) and the zone listing
** (cloudflare_zones) are built on it.
**
** A database file is not trusted (it may come from someone else), so a base_url table argument is
** used only when it is Cloudflare's, a loopback address, $CLOUDFLARE_BASE_URL, or a URL the user
** allowed on this connection with cfregions_allow_base_url(); otherwise a request fails before
** any DNS lookup or connection. Credentials come from the connection (context.h), looked up
** again before every send.
*/
#ifndef CFREGIONS_API_CLIENT_H
#define CFREGIONS_API_CLIENT_H

#include "api_json.h"
#include "context.h"
#include "http.h"

/* JSON values per entry of a valid answer (keys included), with room for fields Cloudflare may
** add, and for the envelope: the bound an answer must stay under before it is decoded. */
#define CFR_API_VALUES_PER_ENTRY 40
#define CFR_API_VALUES_FOR(entries) ((size_t)(entries) * CFR_API_VALUES_PER_ENTRY + 512)

typedef struct cfr_api_client cfr_api_client;

/* A client for settings' base URL, retries, timeouts and credentials (settings' zone is not used). */
int cfr_api_client_open(cfr_context *ctx, const cfr_api_settings *settings, cfr_api_client **out, char **err);
/* Clients are shared by the stores of a multi-zone table: each holder retains it once and closes it
** once; the last close frees it. */
cfr_api_client *cfr_api_client_retain(cfr_api_client *client);
void cfr_api_client_close(cfr_api_client *client);
/* The normalized base URL (for caches keyed by where an answer came from). */
const char *cfr_api_client_base_url(const cfr_api_client *client);
/* Starts an operation of a statement (a listing, lookups, a COMMIT step): the first of a statement
** refills the rate-limit wait budget (max_wait_s), which its later operations then share. */
void cfr_api_client_begin(cfr_api_client *client);

/* Requests sent together: their paths and bodies (sqlite3 memory, owned by the set), their caps,
** and their answers. */
typedef struct cfr_api_requests {
  int n;
  cfr_http_call *calls;
  cfr_http_response *resps;
} cfr_api_requests;

int cfr_api_requests_init(cfr_api_requests *r, int n);
/* Sets request i; path and body become the set's, even when NULL from lack of memory (then
** SQLITE_NOMEM). */
int cfr_api_requests_put(cfr_api_requests *r, int i, const char *method, char *path, char *body, int items,
                         size_t max_body);
/* Checks the base URL, takes the credentials in force and sends every request; each answer, or
** its failure, is for the caller to judge. */
int cfr_api_requests_send(cfr_api_client *client, cfr_api_requests *r, int stop_after_failure, char **err);
/* Decodes answer i (then frees its body). */
int cfr_api_requests_decode(cfr_api_requests *r, int i, int wrapped, size_t max_values,
                            cfr_api_answer *answer, char **err);
void cfr_api_requests_free(cfr_api_requests *r);

/* One GET, decoded. The caller clears *answer. */
int cfr_api_client_get(cfr_api_client *client, const char *path, int wrapped, size_t max_body,
                       size_t max_values, cfr_api_answer *answer, char **err);

/* The form a base URL is compared in (scheme and host lowercased, default port and trailing slash
** dropped), in sqlite3 memory; SQLITE_ERROR with *err when it is not a usable base URL. */
int cfr_api_normalize_base_url(const char *url, char **out, char **err);

#endif
