/*
** fuzz_api_json.c — libFuzzer target for reading Cloudflare's answers (ext/api_json.c with the
** dialects of ext/api_dialect.c, and the supported-regions reader of ext/regions.c).
** Build and run: make fuzz (or sh test/fuzz/run.sh build/fuzz/fuzz_api_json [seconds]).
**
** The input is the body of an answer. For each dialect (v1: wrapped results and "origin-ip"; v2:
** plain results and "origin_ip") it is decoded twice: as a 200 with the bound a full listing gets,
** and with a status, attempt count and value bound taken from its first and last bytes (status 0
** being a transport failure). Whatever result comes out is read as a listing, a lookup, the
** outcome of a batch of three changes and a list of supported regions; a listing that reads also
** goes back out as upsert and delete bodies.
**
** Invariants, checked on every input (a violation prints what and aborts: a libFuzzer crash):
**  1. Nothing crashes, leaks (LeakSanitizer) or is undefined behaviour (UBSan).
**  2. Every call that fails gives an error text; no error text holds an ASCII control character
**     (server text is escaped), each is UTF-8 (server text is cut between characters), and each
**     stays short (server text is capped). The same holds for a batch item's error.
**  3. cfr_api_decode: a result exactly when it succeeds, only for a 2xx answer without transport
**     error; the error names the request; status is copied; error_code is the body's first
**     errors[].code; a decoded body never holds more values than max_values (the bound is checked
**     before decoding, and it is an upper bound), and a body refused for the bound is not decoded.
**  4. Decoded entries: IPs canonical (canonicalizing again gives the same text), every field
**     NUL-terminated within its column, vendor and region non-empty identifiers, modified_on
**     without spaces or control characters; a listing holds exactly the array's entries, each the
**     same as a lookup of it, and never more than max_entries (what the list held included).
**  5. Batch outcomes: `applied` is 0 or 1, and 1 exactly for the changes whose canonical IP the
**     answer lists under succeeded and not under failed; an unapplied change has a reason, within
**     its field and free of control characters; an answer of the wrong shape changes nothing.
**  6. Supported regions: sorted, at most CFR_REGIONS_MAX, identifiers within their fields, colos a
**     JSON array, and each listed pair passes cfr_regions_check against the list itself.
**  7. Request bodies built from a listing parse back to the same IPs, vendors and regions.
*/
#include "api_json.h"
#include "regions.h"
#include "sqlite_routines.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "GET /zones/023e105f4ecef8ad9ca31a8372d0c353/origin/cloud_regions"
/* The API store's limits (ext/store_api.c): a listing's entries, and the values an answer of n
** entries may hold. */
#define LIST_MAX (CFR_ZONE_MAX_MAPPINGS + 500)
#define VALUES_FOR(n) ((size_t)(n) * 40 + 512)
/* Longest error text expected: five quoted messages of 200 bytes, each escaped at most four
** times over, with their codes, and the request and the status around them. */
#define DECODE_ERROR_MAX 5000
#define READER_ERROR_MAX 400
#define BATCH_SIZE 3

static const long statuses[] = {200, 201, 204, 299, 0,   100, 199, 300, 304, 400,
                                401, 403, 404, 409, 429, 500, 502, 503, 599};
#define N_STATUSES ((int)(sizeof(statuses) / sizeof(statuses[0])))

/* The changes of every batch: the API's own example IPs and one more. */
static const char *const batch_ips[BATCH_SIZE] = {"192.0.2.1", "2001:db8::1", "198.51.100.4"};

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "invariant violated: %s\n  %s\n", what, detail ? detail : "");
  abort();
}

/* ---- Texts and fields */

static int has_control_character(const char *text, size_t n) {
  for (size_t i = 0; i < n && text[i]; i++)
    if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] == 0x7f) return 1;
  return 0;
}

/* Whether the NUL-terminated text is UTF-8 (no overlong forms, surrogates or code points past
** U+10FFFF): SQLite's error texts are UTF-8, and Python, for one, raises UnicodeDecodeError instead
** of the SQL error when one is not. */
static int is_utf8(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  while (*s) {
    unsigned c = *s++, need, min;
    if (c < 0x80) continue;
    if (c >= 0xc2 && c <= 0xdf) need = 1, min = 0x80, c &= 0x1f;
    else if (c >= 0xe0 && c <= 0xef) need = 2, min = 0x800, c &= 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) need = 3, min = 0x10000, c &= 0x07;
    else return 0;
    for (; need > 0; need--, s++) {
      if ((*s & 0xc0) != 0x80) return 0;
      c = c << 6 | (*s & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  }
  return 1;
}

/* Invariant 2 for an error text. */
static void check_error(const char *err, size_t max) {
  if (!err) fail("a failure without an error text", NULL);
  size_t n = strlen(err);
  if (n == 0) fail("an empty error text", NULL);
  if (n > max) fail("an error text longer than server text can make it", err);
  if (has_control_character(err, n)) fail("a control character in an error text", err);
  if (!is_utf8(err)) fail("an error text that is not UTF-8", err);
}

/* A fixed field holds a NUL within its size. */
static void check_terminated(const char *field, size_t size, const char *name) {
  if (!memchr(field, 0, size)) fail("a field not NUL-terminated within its size", name);
}

/* What the entry reader lets into a vendor, region or modified_on. */
static int is_token(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '"' || *s == '\'' ||
        *s == '\\')
      return 0;
  return 1;
}

static void check_canonical(const char *ip) {
  char again[CFR_IP_TEXT_MAX];
  int n = cfr_ip_canonicalize(ip, strlen(ip), again);
  if (n < 0 || (size_t)n != strlen(ip) || strcmp(again, ip) != 0)
    fail("a decoded IP is not canonical", ip);
}

/* Invariant 4 for one mapping. */
static void check_mapping(const cfr_mapping *m) {
  check_terminated(m->origin_ip, sizeof(m->origin_ip), "origin_ip");
  check_terminated(m->vendor, sizeof(m->vendor), "vendor");
  check_terminated(m->region, sizeof(m->region), "region");
  check_terminated(m->modified_on, sizeof(m->modified_on), "modified_on");
  check_canonical(m->origin_ip);
  if (!is_token(m->vendor) || !is_token(m->region) || !is_token(m->modified_on))
    fail("an entry field that is not an identifier", m->origin_ip);
  if ((!m->vendor[0] || !m->region[0]))
    fail("an entry with an empty vendor or region", m->origin_ip);
}

/* ---- Decoding */

/* JSON values in a decoded body, keys included: what max_values bounds. */
static size_t count_values(json_t *v) {
  size_t n = 1;
  const char *key;
  json_t *member;
  size_t i;
  if (json_is_object(v)) {
    json_object_foreach(v, key, member) n += 1 + count_values(member);
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, member) n += count_values(member);
  }
  return n;
}

static int first_error_code(json_t *root) {
  json_t *code = json_object_get(json_array_get(json_object_get(root, "errors"), 0), "code");
  return json_is_integer(code) ? (int)json_integer_value(code) : 0;
}

/* Invariant 3. Returns the rc; the caller clears *a. */
static int decode(const cfr_http_response *resp, int wrapped, size_t max_values,
                  cfr_api_answer *a) {
  char *err = NULL;
  int rc = cfr_api_decode(resp, WHAT, wrapped, max_values, a, &err);
  int transport = resp->status == 0 || resp->error[0];
  if (a->status != resp->status) fail("status not copied", NULL);
  if (rc == SQLITE_OK) {
    if (err) fail("an error text with SQLITE_OK", err);
    if (!a->result || !a->root) fail("success without a result", NULL);
    if (transport || resp->status < 200 || resp->status > 299) fail("success without a 2xx", NULL);
  } else {
    if (rc != SQLITE_ERROR) fail("decode returned neither SQLITE_OK nor SQLITE_ERROR", NULL);
    check_error(err, DECODE_ERROR_MAX);
    if (a->result) fail("a result with a failure", err);
    if (strncmp(err, WHAT, strlen(WHAT)) != 0) fail("an error that does not name the request", err);
    char refused[160];
    snprintf(refused, sizeof(refused), "%s: unexpected response (HTTP %ld): more JSON values ",
             WHAT, resp->status);
    if (strncmp(err, refused, strlen(refused)) == 0 && a->root)
      fail("a body refused for its size was decoded", err);
  }
  if (transport && (rc == SQLITE_OK || a->root)) fail("a transport failure's body was read", NULL);
  if (a->root) {
    if (count_values(a->root) > max_values) fail("decoded more values than max_values", NULL);
    if (a->error_code != first_error_code(a->root)) fail("error_code is not errors[0].code", NULL);
  } else if (a->error_code != 0) {
    fail("an error_code without a body", NULL);
  }
  sqlite3_free(err);
  return rc;
}

/* ---- Reading a result */

/* Invariant 7: the bodies of a batch made of the listing's first entries. */
static void check_bodies(const cfr_api_dialect *d, const cfr_mapping_list *list) {
  static cfr_change changes[CFR_BATCH_MAX];
  int n = list->count < CFR_BATCH_MAX ? list->count : CFR_BATCH_MAX;
  for (int i = 0; i < n; i++) {
    memset(&changes[i], 0, sizeof(changes[i]));
    changes[i].kind = CFR_UPSERT;
    changes[i].mapping = list->items[i];
  }
  char *upsert = cfr_api_upsert_body(d, changes, n), *del = cfr_api_delete_body(changes, n);
  json_t *ups = upsert ? json_loads(upsert, 0, NULL) : NULL;
  json_t *dels = del ? json_loads(del, 0, NULL) : NULL;
  if (!json_is_array(ups) || json_array_size(ups) != (size_t)n)
    fail("an unreadable upsert body", upsert);
  if (!json_is_array(dels) || json_array_size(dels) != (size_t)n)
    fail("an unreadable delete body", del);
  for (int i = 0; i < n; i++) {
    json_t *item = json_array_get(ups, (size_t)i);
    const char *ip = json_string_value(json_object_get(item, d->ip_in));
    const char *vendor = json_string_value(json_object_get(item, "vendor"));
    const char *region = json_string_value(json_object_get(item, "region"));
    if (!ip || !vendor || !region || strcmp(ip, changes[i].mapping.origin_ip) != 0 ||
        strcmp(vendor, changes[i].mapping.vendor) != 0 ||
        strcmp(region, changes[i].mapping.region) != 0)
      fail("an upsert body item differs from its change", upsert);
    const char *deleted = json_string_value(json_array_get(dels, (size_t)i));
    if (!deleted || strcmp(deleted, changes[i].mapping.origin_ip) != 0)
      fail("a delete body item differs from its change", del);
  }
  json_decref(ups);
  json_decref(dels);
  sqlite3_free(upsert);
  sqlite3_free(del);
}

/* Invariant 4 for a listing, read whole and then into a list that already holds one mapping with
** a small max_entries. */
static void read_listing(const cfr_api_dialect *d, json_t *result, int small_max) {
  cfr_mapping_list list = {NULL, 0, 0};
  char *err = NULL;
  int rc = cfr_api_entries(d, result, LIST_MAX, &list, &err);
  if (rc == SQLITE_OK) {
    if (err) fail("an error text with SQLITE_OK", err);
    if (!json_is_array(result) || (size_t)list.count != json_array_size(result))
      fail("a listing that is not the array's entries", NULL);
    for (int i = 0; i < list.count; i++) {
      cfr_mapping one;
      char *why = NULL;
      check_mapping(&list.items[i]);
      if (cfr_api_entry(d, json_array_get(result, (size_t)i), &one, &why) != SQLITE_OK ||
          memcmp(&one, &list.items[i], sizeof(one)) != 0)
        fail("a listed entry differs from a lookup of it", why);
    }
    check_bodies(d, &list);
  } else {
    check_error(err, READER_ERROR_MAX);
  }
  sqlite3_free(err);
  cfr_mapping_list_clear(&list);

  cfr_mapping held;
  memset(&held, 0, sizeof(held));
  strcpy(held.origin_ip, "203.0.113.9");
  if (cfr_mapping_list_push(&list, &held) != SQLITE_OK) fail("out of memory", NULL);
  err = NULL;
  rc = cfr_api_entries(d, result, small_max, &list, &err);
  if (rc == SQLITE_OK) {
    if (list.count > small_max) fail("more entries than max_entries", NULL);
    if (memcmp(&list.items[0], &held, sizeof(held)) != 0) fail("a held mapping changed", NULL);
  } else {
    check_error(err, READER_ERROR_MAX);
    if (json_is_array(result) && 1 + json_array_size(result) > (size_t)small_max && list.count != 1)
      fail("entries taken from a listing over max_entries", NULL);
  }
  sqlite3_free(err);
  cfr_mapping_list_clear(&list);
}

static void read_lookup(const cfr_api_dialect *d, json_t *result) {
  cfr_mapping m;
  char *err = NULL;
  if (cfr_api_entry(d, result, &m, &err) == SQLITE_OK) {
    if (err) fail("an error text with SQLITE_OK", err);
    check_mapping(&m);
  } else {
    check_error(err, READER_ERROR_MAX);
  }
  sqlite3_free(err);
}

/* Whether the array of batch items names ip (canonically) under the dialect's field. */
static int names_ip(const cfr_api_dialect *d, json_t *items, const char *ip) {
  size_t i;
  json_t *item;
  json_array_foreach(items, i, item) {
    const char *text = json_string_value(json_object_get(item, d->ip_out));
    char canonical[CFR_IP_TEXT_MAX];
    if (text && cfr_ip_canonicalize(text, strlen(text), canonical) >= 0 &&
        strcmp(canonical, ip) == 0)
      return 1;
  }
  return 0;
}

/* Invariant 5. */
static void read_batch(const cfr_api_dialect *d, json_t *result) {
  cfr_change changes[BATCH_SIZE], before[BATCH_SIZE];
  memset(changes, 0, sizeof(changes));
  for (int i = 0; i < BATCH_SIZE; i++) {
    changes[i].kind = CFR_UPSERT;
    strcpy(changes[i].mapping.origin_ip, batch_ips[i]);
    strcpy(changes[i].mapping.vendor, "aws");
    strcpy(changes[i].mapping.region, "us-east-1");
  }
  memcpy(before, changes, sizeof(changes));
  char *err = NULL;
  if (cfr_api_batch_outcome(d, result, changes, BATCH_SIZE, &err) != SQLITE_OK) {
    check_error(err, READER_ERROR_MAX);
    if (memcmp(before, changes, sizeof(changes)) != 0)
      fail("a refused batch result changed items", err);
    sqlite3_free(err);
    return;
  }
  if (err) fail("an error text with SQLITE_OK", err);
  json_t *succeeded = json_object_get(result, "succeeded");
  json_t *failed = json_object_get(result, "failed");
  for (int i = 0; i < BATCH_SIZE; i++) {
    const cfr_change *c = &changes[i];
    int confirmed = names_ip(d, succeeded, batch_ips[i]) && !names_ip(d, failed, batch_ips[i]);
    check_terminated(c->error, sizeof(c->error), "error");
    if (c->applied != 0 && c->applied != 1) fail("applied is neither 0 nor 1", batch_ips[i]);
    if (c->applied != confirmed)
      fail("applied without the answer saying so, or the reverse", batch_ips[i]);
    if (c->applied && c->error[0]) fail("an applied item with an error", c->error);
    if (!c->applied && !c->error[0]) fail("an unapplied item without a reason", batch_ips[i]);
    if (has_control_character(c->error, sizeof(c->error)))
      fail("a control character in an item error", c->error);
    if (!is_utf8(c->error)) fail("an item error that is not UTF-8", c->error);
    if (memcmp(&c->mapping, &before[i].mapping, sizeof(c->mapping)) != 0)
      fail("an item's mapping changed", NULL);
  }
}

static int is_identifier(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
        *s != '-' && *s != '_' && *s != '.')
      return 0;
  return 1;
}

/* Invariant 6. */
static void read_regions(json_t *result) {
  cfr_regions *list = NULL;
  char *err = NULL;
  if (cfr_regions_from_json(result, &list, &err) != 0) {
    check_error(err, READER_ERROR_MAX);
    if (list) fail("a list with a failure", err);
    sqlite3_free(err);
    return;
  }
  if (!list || err) fail("no list, or an error text, on success", err);
  if (list->count < 0 || list->count > CFR_REGIONS_MAX) fail("a list over CFR_REGIONS_MAX", NULL);
  for (int i = 0; i < list->count; i++) {
    const cfr_region *r = &list->items[i];
    check_terminated(r->vendor, sizeof(r->vendor), "vendor");
    check_terminated(r->region, sizeof(r->region), "region");
    if (!is_identifier(r->vendor) || !is_identifier(r->region))
      fail("a region that is no identifier", NULL);
    if (i > 0) {
      const cfr_region *p = &list->items[i - 1];
      int order = strcmp(p->vendor, r->vendor);
      if (order > 0 || (order == 0 && strcmp(p->region, r->region) > 0))
        fail("regions not sorted", NULL);
    }
    json_t *colos = r->upper_tier_colos ? json_loads(r->upper_tier_colos, 0, NULL) : NULL;
    if (!json_is_array(colos)) fail("upper_tier_colos is not a JSON array", r->upper_tier_colos);
    json_decref(colos);
    char why[256];
    if (cfr_regions_check(list, r->vendor, r->region, why, sizeof(why)) != 0)
      fail("a listed region fails its check", why);
  }
  cfr_regions_free(list);
}

static void read_result(const cfr_api_dialect *d, json_t *result, int small_max) {
  read_listing(d, result, small_max);
  read_lookup(d, result);
  read_batch(d, result);
  read_regions(result);
}

/* ---- libFuzzer */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_load_sqlite_routines();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A body as the HTTP client hands it over: exactly body_len bytes and a NUL. */
  char *body = malloc(size + 1);
  if (!body) return 0;
  if (size) memcpy(body, data, size);
  body[size] = 0;
  uint8_t first = size ? data[0] : 0, last = size ? data[size - 1] : 0;
  for (int version = 1; version <= 2; version++) {
    const cfr_api_dialect *d = cfr_api_dialect_for(version);
    cfr_http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    resp.body = body;
    resp.body_len = size;
    resp.attempts = 1;
    resp.sent = 1;
    cfr_api_answer a;
    if (decode(&resp, d->wrapped, VALUES_FOR(LIST_MAX), &a) == SQLITE_OK)
      read_result(d, a.result, 1 + last % 4);
    cfr_api_answer_clear(&a);

    resp.status = statuses[first % N_STATUSES];
    resp.attempts = 1 + first / N_STATUSES % 3;
    if (resp.status == 0) snprintf(resp.error, sizeof(resp.error), "Connection reset by peer");
    if (decode(&resp, d->wrapped, (size_t)last * 8, &a) == SQLITE_OK)
      read_result(d, a.result, 1 + first % 4);
    cfr_api_answer_clear(&a);
  }
  free(body);
  return 0;
}
