/*
** api_json.c — Cloudflare's envelope, entries and batch results, v1 and v2. See api_json.h.
*/
#include "api_json.h"

#include <stdio.h>
#include <string.h>

const cfr_api_dialect cfr_api_v1 = {1, "cache/origin_cloud_regions", "ip", "origin-ip", "PATCH", 1};
const cfr_api_dialect cfr_api_v2 = {2, "origin/cloud_regions", "origin_ip", "origin_ip", "PUT", 0};

/* "code 10000: Authentication error; code 7003: …" from errors[]. */
static void append_errors(sqlite3_str *s, json_t *errors) {
  size_t i;
  json_t *e;
  int n = 0;
  json_array_foreach(errors, i, e) {
    json_t *code = json_object_get(e, "code");
    const char *message = json_string_value(json_object_get(e, "message"));
    sqlite3_str_appendf(s, "%s", n++ ? "; " : ": ");
    if (json_is_integer(code)) sqlite3_str_appendf(s, "code %lld ", (long long)json_integer_value(code));
    sqlite3_str_appendf(s, "%s", message ? message : "(no message)");
    if (n == 5) break;
  }
}

static char *http_failure(const cfr_http_response *resp, const char *what, json_t *root) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  if (resp->status == 0) {
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

json_t *cfr_api_result(const cfr_api_dialect *d, const cfr_http_response *resp, const char *what,
                       json_t **root, char **err) {
  *root = NULL;
  if (resp->status == 0) { *err = http_failure(resp, what, NULL); return NULL; }
  json_error_t jerr;
  *root = resp->body ? json_loadb(resp->body, resp->body_len, 0, &jerr) : NULL;
  if (resp->status < 200 || resp->status > 299) { *err = http_failure(resp, what, *root); return NULL; }
  if (!*root) {
    *err = sqlite3_mprintf("%s: malformed JSON in the response (HTTP %ld): %s", what, resp->status,
                           resp->body ? jerr.text : "empty body");
    return NULL;
  }
  json_t *success = json_object_get(*root, "success");
  if (!json_is_boolean(success)) {
    *err = sqlite3_mprintf("%s: unexpected response (HTTP %ld): no \"success\" field in the envelope", what, resp->status);
    return NULL;
  }
  if (!json_is_true(success)) { *err = http_failure(resp, what, *root); return NULL; }
  json_t *result = json_object_get(*root, "result");
  if (d->wrapped && json_is_object(result)) result = json_object_get(result, "value");
  if (!result) {
    *err = sqlite3_mprintf("%s: unexpected response (HTTP %ld): no result%s", what, resp->status, d->wrapped ? ".value" : "");
    return NULL;
  }
  return result;
}

int cfr_api_error_code(const cfr_http_response *resp) {
  if (!resp->body) return 0;
  json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
  json_t *code = json_object_get(json_array_get(json_object_get(root, "errors"), 0), "code");
  int value = json_is_integer(code) ? (int)json_integer_value(code) : 0;
  json_decref(root);
  return value;
}

static int copy_string(json_t *obj, const char *key, char *dst, size_t size, int required, char *err, size_t errsize) {
  json_t *v = json_object_get(obj, key);
  dst[0] = 0;
  if (json_is_null(v) || !v) {
    if (!required) return 0;
    snprintf(err, errsize, "entry without \"%s\"", key);
    return -1;
  }
  if (!json_is_string(v) || cfr_copy_field(dst, size, json_string_value(v)) != 0) {
    snprintf(err, errsize, "entry with an unusable \"%s\"", key);
    return -1;
  }
  return 0;
}

int cfr_api_entry(const cfr_api_dialect *d, json_t *entry, cfr_mapping *m, char *err, size_t size) {
  char raw_ip[CFR_IP_TEXT_MAX];
  memset(m, 0, sizeof(*m));
  if (!json_is_object(entry)) { snprintf(err, size, "entry is not an object"); return -1; }
  if (copy_string(entry, d->ip_out, raw_ip, sizeof(raw_ip), 1, err, size) != 0) return -1;
  /* Cloudflare stores canonical IPs; canonicalizing again keeps lookups exact even if it did not. */
  if (cfr_ip_canonicalize(raw_ip, strlen(raw_ip), m->origin_ip) < 0) {
    snprintf(err, size, "entry with an invalid IP '%s'", raw_ip);
    return -1;
  }
  if (copy_string(entry, "vendor", m->vendor, sizeof(m->vendor), 1, err, size) != 0) return -1;
  if (copy_string(entry, "region", m->region, sizeof(m->region), 1, err, size) != 0) return -1;
  return copy_string(entry, "modified_on", m->modified_on, sizeof(m->modified_on), 0, err, size);
}

int cfr_api_entries(const cfr_api_dialect *d, json_t *array, cfr_mapping_list *out, char **err) {
  if (!json_is_array(array)) { *err = sqlite3_mprintf("unexpected response: the list is not an array"); return -1; }
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    cfr_mapping m;
    char why[128];
    if (cfr_api_entry(d, entry, &m, why, sizeof(why)) != 0) {
      *err = sqlite3_mprintf("unexpected response: %s (item %d)", why, (int)i);
      return -1;
    }
    if (cfr_mapping_list_push(out, &m) != SQLITE_OK) { *err = sqlite3_mprintf("out of memory"); return -1; }
  }
  return 0;
}

static int find_change(cfr_change *changes, int n, const char *raw_ip) {
  char ip[CFR_IP_TEXT_MAX];
  if (!raw_ip || cfr_ip_canonicalize(raw_ip, strlen(raw_ip), ip) < 0) return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(changes[i].mapping.origin_ip, ip) == 0) return i;
  return -1;
}

int cfr_api_batch_outcome(const cfr_api_dialect *d, json_t *result, cfr_change *changes, int n, char **err) {
  json_t *succeeded = json_object_get(result, "succeeded");
  json_t *failed = json_object_get(result, "failed");
  if (!json_is_array(succeeded) || !json_is_array(failed)) {
    *err = sqlite3_mprintf("unexpected response: the batch result has no succeeded/failed arrays");
    return -1;
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
    snprintf(changes[k].error, sizeof(changes[k].error), "rejected by the API: %s", why ? why : "(no reason given)");
  }
  for (int k = 0; k < n; k++)
    if (!changes[k].applied && !changes[k].error[0])
      snprintf(changes[k].error, sizeof(changes[k].error), "not confirmed by the API (missing from succeeded and failed)");
  return 0;
}

char *cfr_api_upsert_body(const cfr_api_dialect *d, const cfr_change *changes, int n) {
  json_t *array = json_array();
  for (int i = 0; array && i < n; i++) {
    json_t *item = json_pack("{s:s, s:s, s:s}", d->ip_in, changes[i].mapping.origin_ip,
                             "vendor", changes[i].mapping.vendor, "region", changes[i].mapping.region);
    if (!item || json_array_append_new(array, item) != 0) { json_decref(array); return NULL; }
  }
  char *body = array ? json_dumps(array, JSON_COMPACT) : NULL;
  json_decref(array);
  return body;
}

char *cfr_api_delete_body(const cfr_change *changes, int n) {
  json_t *array = json_array();
  for (int i = 0; array && i < n; i++) {
    if (json_array_append_new(array, json_string(changes[i].mapping.origin_ip)) != 0) { json_decref(array); return NULL; }
  }
  char *body = array ? json_dumps(array, JSON_COMPACT) : NULL;
  json_decref(array);
  return body;
}
