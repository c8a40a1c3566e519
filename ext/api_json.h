/*
** api_json.h — Cloudflare's answers for the API store: the envelope ({success, errors, messages,
** result}) and what an HTTP status means, mapping entries and batch results (v1 and v2), and the
** JSON bodies of batch requests. Every unexpected status or shape becomes an error text, never a
** crash, and an answer is refused before it is decoded when it holds more JSON values than a valid
** one could (so a hostile server cannot make decoding take unbounded memory). Text that came from
** the server reaches an error only length-capped and escaped.
*/
#ifndef CFREGIONS_API_JSON_H
#define CFREGIONS_API_JSON_H

#include <jansson.h>

#include "api_dialect.h"
#include "http.h"
#include "store.h"

/* A decoded answer. */
typedef struct cfr_api_answer {
  json_t *root;    /* owned; released by cfr_api_answer_clear */
  json_t *result;  /* `result` (v1: its `value` when wrapped), borrowed from root; NULL on failure */
  long status;     /* the HTTP status; 0 when no response was obtained */
  int error_code;  /* the first errors[].code of a failed answer, else 0 */
} cfr_api_answer;

/* Checks the status and envelope of the response to `what` ("GET /zones/…") and finds its result.
** max_values bounds the JSON values (keys included) the body may hold. SQLITE_OK, or SQLITE_ERROR
** with *err naming the request, the real failure (transport, status, Cloudflare's error codes and
** messages, size) — out->error_code is set in both cases when the body says. */
int cfr_api_decode(const cfr_http_response *resp, const char *what, int wrapped, size_t max_values,
                   cfr_api_answer *out, char **err);
void cfr_api_answer_clear(cfr_api_answer *answer);

/* Reads one entry into m. SQLITE_OK, or SQLITE_ERROR with *err. */
int cfr_api_entry(const cfr_api_dialect *d, json_t *entry, cfr_mapping *m, char **err);

/* Appends every entry of a JSON array of entries, refusing more than max_entries in all (out
** included). SQLITE_OK, or an error code with *err. */
int cfr_api_entries(const cfr_api_dialect *d, json_t *array, int max_entries, cfr_mapping_list *out,
                    char **err);

/* Marks changes[i].applied / .error from {succeeded: [...], failed: [...]}. Items the answer does
** not mention stay unapplied, with a note. SQLITE_OK, or SQLITE_ERROR with *err when the shape is
** wrong. */
int cfr_api_batch_outcome(const cfr_api_dialect *d, json_t *result, cfr_change *changes, int n,
                          char **err);

/* Request bodies (JSON text in sqlite3 memory), NULL when out of memory. */
char *cfr_api_upsert_body(const cfr_api_dialect *d, const cfr_change *changes, int n);
char *cfr_api_delete_body(const cfr_change *changes, int n);

#endif
