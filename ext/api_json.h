/*
** api_json.h — decoding Cloudflare's answers for the API store: the envelope
** ({success, errors, messages, result}), mapping entries and batch results, for v1 and v2.
** Every unexpected status or shape becomes an error text, never a crash.
*/
#ifndef CFREGIONS_API_JSON_H
#define CFREGIONS_API_JSON_H

#include <jansson.h>

#include "http.h"
#include "store.h"

typedef struct cfr_api_dialect {
  int version;
  const char *collection;   /* path after /zones/{zone_id}/ */
  const char *ip_in;        /* IP field in request bodies: "ip" (v1), "origin_ip" (v2) */
  const char *ip_out;       /* IP field in responses: "origin-ip" (v1), "origin_ip" (v2) */
  const char *upsert_method;/* batch upsert: PATCH (v1), PUT (v2) */
  int wrapped;              /* v1 wraps results in {id, editable, value, modified_on} */
} cfr_api_dialect;

extern const cfr_api_dialect cfr_api_v1, cfr_api_v2;

/* Checks status and envelope of a response to `what` ("GET /zones/…") and returns its `result`
** (unwrapped from v1's `value` when the dialect wraps; borrowed from *root, which the caller
** decrefs). On failure returns NULL with *err (sqlite3_malloc'd) naming the request, the status and
** Cloudflare's error codes and messages. */
json_t *cfr_api_result(const cfr_api_dialect *d, const cfr_http_response *resp, const char *what,
                       json_t **root, char **err);

/* The first error code in the envelope of a failed response, or 0. */
int cfr_api_error_code(const cfr_http_response *resp);

/* Reads one entry into m. Returns 0, or -1 with a description in err. */
int cfr_api_entry(const cfr_api_dialect *d, json_t *entry, cfr_mapping *m, char *err, size_t size);

/* Appends every entry of a JSON array of entries. 0, or -1 with *err. */
int cfr_api_entries(const cfr_api_dialect *d, json_t *array, cfr_mapping_list *out, char **err);

/* Marks changes[i].applied / .error from {succeeded: [...], failed: [...]}. Items the answer does
** not mention stay unapplied, with a note. 0, or -1 with *err when the shape is wrong. */
int cfr_api_batch_outcome(const cfr_api_dialect *d, json_t *result, cfr_change *changes, int n, char **err);

/* Request bodies (malloc'd JSON text, free with free()). */
char *cfr_api_upsert_body(const cfr_api_dialect *d, const cfr_change *changes, int n);
char *cfr_api_delete_body(const cfr_change *changes, int n);

#endif
