/*
** api_json.c — Cloudflare's envelope, entries and batch results, v1 and v2. See api_json.h.
*/
#include "api_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVER_TEXT_MAX 200  /* bytes of a server's message or value quoted in an error */
#define ERRORS_QUOTED 5      /* errors[] entries quoted from a failed answer */

/* ---- bounding an answer before decoding it ---- */

/* An upper bound on the JSON values in text (keys included): every value but the first follows a
** ',' or a ':' or opens with '{' or '['. Strings are skipped, escapes included. Cheap, and it keeps
** a body of "{},{},…" from costing a thousand times its size once decoded. */
static size_t json_value_bound(const char *text, size_t len) {
  size_t count = 1;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == '"') {
      for (i++; i < len && text[i] != '"'; i++)
        if (text[i] == '\\') i++;
    } else if (c == ',' || c == ':' || c == '{' || c == '[') {
      count++;
    }
  }
  return count;
}

/* ---- the envelope ---- */

/* "code 10000: Authentication error; code 7003: …" from errors[]. */
static void append_errors(sqlite3_str *s, json_t *errors) {
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    if (i == ERRORS_QUOTED) {
      sqlite3_str_appendf(s, "; and %d more", (int)(json_array_size(errors) - i));
      break;
    }
    json_t *code = json_object_get(e, "code");
    const char *message = json_string_value(json_object_get(e, "message"));
    sqlite3_str_appendall(s, i ? "; " : ": ");
    if (json_is_integer(code)) sqlite3_str_appendf(s, "code %lld ", (long long)json_integer_value(code));
    cfr_append_server_text(s, message ? message : "(no message)", SERVER_TEXT_MAX);
  }
}

static char *http_failure(const cfr_http_response *resp, const char *what, json_t *root) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  if (resp->status == 0 || resp->error[0]) {
    sqlite3_str_appendf(s, "%s failed: %s", what, resp->error[0] ? resp->error : "no response");
    return sqlite3_str_finish(s);
  }
  sqlite3_str_appendf(s, "%s failed with HTTP %ld", what, resp->status);
  json_t *errors = root ? json_object_get(root, "errors") : NULL;
  if (json_is_array(errors) && json_array_size(errors) > 0) append_errors(s, errors);
  if (resp->status == 429) sqlite3_str_appendf(s, " (rate limited: Cloudflare allows 1,200 requests per 5 minutes)");
  if (resp->attempts > 1) sqlite3_str_appendf(s, " after %d attempts", resp->attempts);
  return sqlite3_str_finish(s);
}

static int first_error_code(json_t *root) {
  json_t *code = json_object_get(json_array_get(json_object_get(root, "errors"), 0), "code");
  return json_is_integer(code) ? (int)json_integer_value(code) : 0;
}

static int decode_failed(cfr_api_answer *out, char *msg, char **err) {
  *err = msg;
  out->result = NULL;
  return SQLITE_ERROR;
}

int cfr_api_decode(const cfr_http_response *resp, const char *what, int wrapped, size_t max_values,
                   cfr_api_answer *out, char **err) {
  memset(out, 0, sizeof(*out));
  out->status = resp->status;
  if (resp->status == 0 || resp->error[0]) return decode_failed(out, http_failure(resp, what, NULL), err);
  if (resp->body && json_value_bound(resp->body, resp->body_len) > max_values)
    return decode_failed(out, sqlite3_mprintf("%s: unexpected response (HTTP %ld): more JSON values "
                                              "than a valid answer holds (%d bytes)", what,
                                              resp->status, (int)resp->body_len), err);
  json_error_t jerr;
  out->root = resp->body ? json_loadb(resp->body, resp->body_len, 0, &jerr) : NULL;
  out->error_code = out->root ? first_error_code(out->root) : 0;
  if (resp->status < 200 || resp->status > 299) return decode_failed(out, http_failure(resp, what, out->root), err);
  if (!out->root) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "%s: malformed JSON in the response (HTTP %ld): ", what, resp->status);
    cfr_append_server_text(s, resp->body ? jerr.text : "empty body", SERVER_TEXT_MAX); /* quotes the body */
    return decode_failed(out, sqlite3_str_finish(s), err);
  }
  json_t *success = json_object_get(out->root, "success");
  if (!json_is_boolean(success))
    return decode_failed(out, sqlite3_mprintf("%s: unexpected response (HTTP %ld): no \"success\" field "
                                              "in the envelope", what, resp->status), err);
  if (!json_is_true(success)) return decode_failed(out, http_failure(resp, what, out->root), err);
  json_t *result = json_object_get(out->root, "result");
  if (wrapped && json_is_object(result)) result = json_object_get(result, "value");
  if (!result)
    return decode_failed(out, sqlite3_mprintf("%s: unexpected response (HTTP %ld): no result%s", what,
                                              resp->status, wrapped ? ".value" : ""), err);
  out->result = result;
  return SQLITE_OK;
}

void cfr_api_answer_clear(cfr_api_answer *answer) {
  json_decref(answer->root);
  memset(answer, 0, sizeof(*answer));
}

/* ---- entries ---- */

/* A string member into a fixed field. required: absence is an error. */
static int copy_string(json_t *obj, const char *key, char *dst, size_t size, int required, char **err) {
  json_t *v = json_object_get(obj, key);
  dst[0] = 0;
  if (!v || json_is_null(v)) {
    if (!required) return SQLITE_OK;
    *err = sqlite3_mprintf("entry without \"%s\"", key);
    return SQLITE_ERROR;
  }
  const char *text = json_string_value(v);
  /* A NUL inside the string would cut it short unnoticed: refused like any unusable value. */
  if (!text || strlen(text) != json_string_length(v) || cfr_copy_field(dst, size, text) != 0) {
    *err = sqlite3_mprintf("entry with an unusable \"%s\"", key);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Vendor and region ids are short tokens; anything else (spaces, control characters, quotes) is
** not a value Cloudflare stores, and must not reach a row. An empty value is no token either. */
static int is_token(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '"' || *s == '\'' || *s == '\\') return 0;
  return 1;
}

int cfr_api_entry(const cfr_api_dialect *d, json_t *entry, cfr_mapping *m, char **err) {
  char raw_ip[CFR_IP_TEXT_MAX];
  memset(m, 0, sizeof(*m));
  if (!json_is_object(entry)) { *err = sqlite3_mprintf("entry is not an object"); return SQLITE_ERROR; }
  int rc = copy_string(entry, d->ip_out, raw_ip, sizeof(raw_ip), 1, err);
  if (rc != SQLITE_OK) return rc;
  /* Cloudflare stores canonical IPs; canonicalizing again keeps lookups exact even if it did not. */
  if (cfr_ip_canonicalize(raw_ip, strlen(raw_ip), m->origin_ip) < 0) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "entry with an invalid IP '");
    cfr_append_server_text(s, raw_ip, SERVER_TEXT_MAX);
    sqlite3_str_appendall(s, "'");
    *err = sqlite3_str_finish(s);
    return SQLITE_ERROR;
  }
  if ((rc = copy_string(entry, "vendor", m->vendor, sizeof(m->vendor), 1, err)) != SQLITE_OK) return rc;
  if ((rc = copy_string(entry, "region", m->region, sizeof(m->region), 1, err)) != SQLITE_OK) return rc;
  if (!is_token(m->vendor) || !is_token(m->region)) {
    *err = sqlite3_mprintf("entry for %s with a vendor or region that is not an identifier", m->origin_ip);
    return SQLITE_ERROR;
  }
  rc = copy_string(entry, "modified_on", m->modified_on, sizeof(m->modified_on), 0, err);
  if (rc == SQLITE_OK && m->modified_on[0] && !is_token(m->modified_on)) {
    *err = sqlite3_mprintf("entry for %s with an unusable \"modified_on\"", m->origin_ip);
    rc = SQLITE_ERROR;
  }
  return rc;
}

int cfr_api_entries(const cfr_api_dialect *d, json_t *array, int max_entries, cfr_mapping_list *out,
                    char **err) {
  if (!json_is_array(array)) {
    *err = sqlite3_mprintf("unexpected response: the list is not an array");
    return SQLITE_ERROR;
  }
  if (out->count + (long long)json_array_size(array) > max_entries) {
    *err = sqlite3_mprintf("unexpected response: more than %d mappings (a zone holds at most %d)",
                           max_entries, CFR_ZONE_MAX_MAPPINGS);
    return SQLITE_ERROR;
  }
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    cfr_mapping m;
    char *why = NULL;
    if (cfr_api_entry(d, entry, &m, &why) != SQLITE_OK) {
      *err = sqlite3_mprintf("unexpected response: %s (item %d)", why ? why : "out of memory", (int)i);
      sqlite3_free(why);
      return SQLITE_ERROR;
    }
    if (cfr_mapping_list_push(out, &m) != SQLITE_OK) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* ---- batches ---- */

static int find_change(cfr_change *changes, int n, const char *raw_ip) {
  char ip[CFR_IP_TEXT_MAX];
  if (!raw_ip || cfr_ip_canonicalize(raw_ip, strlen(raw_ip), ip) < 0) return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(changes[i].mapping.origin_ip, ip) == 0) return i;
  return -1;
}

static void set_item_error(cfr_change *c, const char *prefix, const char *server_text) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, prefix);
  cfr_append_server_text(s, server_text, SERVER_TEXT_MAX);
  char *text = sqlite3_str_finish(s);
  /* Truncating here cuts only an already escaped text. */
  snprintf(c->error, sizeof(c->error), "%s", text ? text : prefix);
  sqlite3_free(text);
}

int cfr_api_batch_outcome(const cfr_api_dialect *d, json_t *result, cfr_change *changes, int n,
                          char **err) {
  json_t *succeeded = json_object_get(result, "succeeded");
  json_t *failed = json_object_get(result, "failed");
  if (!json_is_array(succeeded) || !json_is_array(failed)) {
    *err = sqlite3_mprintf("unexpected response: the batch result has no succeeded/failed arrays");
    return SQLITE_ERROR;
  }
  size_t i;
  json_t *item;
  json_array_foreach(succeeded, i, item) {
    int k = find_change(changes, n, json_string_value(json_object_get(item, d->ip_out)));
    if (k >= 0) { changes[k].applied = 1; changes[k].error[0] = 0; }
  }
  json_array_foreach(failed, i, item) {
    int k = find_change(changes, n, json_string_value(json_object_get(item, d->ip_out)));
    if (k < 0) continue;
    const char *why = json_string_value(json_object_get(item, "error"));
    changes[k].applied = 0;
    set_item_error(&changes[k], "rejected by the API: ", why ? why : "(no reason given)");
  }
  for (int k = 0; k < n; k++)
    if (!changes[k].applied && !changes[k].error[0])
      snprintf(changes[k].error, sizeof(changes[k].error), "not confirmed by the API (missing from succeeded and failed)");
  return SQLITE_OK;
}

/* jansson's text, copied into sqlite3 memory (one allocator across modules). */
static char *dump_array(json_t *array) {
  char *text = array ? json_dumps(array, JSON_COMPACT) : NULL;
  char *copy = text ? sqlite3_mprintf("%s", text) : NULL;
  free(text);
  json_decref(array);
  return copy;
}

char *cfr_api_upsert_body(const cfr_api_dialect *d, const cfr_change *changes, int n) {
  json_t *array = json_array();
  for (int i = 0; array && i < n; i++) {
    json_t *item = json_pack("{s:s, s:s, s:s}", d->ip_in, changes[i].mapping.origin_ip,
                             "vendor", changes[i].mapping.vendor, "region", changes[i].mapping.region);
    if (!item || json_array_append_new(array, item) != 0) { json_decref(array); return NULL; }
  }
  return dump_array(array);
}

char *cfr_api_delete_body(const cfr_change *changes, int n) {
  json_t *array = json_array();
  for (int i = 0; array && i < n; i++) {
    if (json_array_append_new(array, json_string(changes[i].mapping.origin_ip)) != 0) {
      json_decref(array);
      return NULL;
    }
  }
  return dump_array(array);
}
