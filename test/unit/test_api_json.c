/*
** test_api_json.c — reading Cloudflare's answers for the API store (ext/api_json.h, with the
** dialects of ext/api_dialect.h): the envelope and what each HTTP status means, the bound on JSON
** values checked before decoding, mapping entries (v1 and v2), listings, batch results, and the
** request bodies. Responses are built by hand as the HTTP client would hand them over: no network.
**
** JSON in this file is written with ' where JSON has " (see json_text), so that it reads as JSON.
*/
#include "api_json.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#define ZONE_PATH "/zones/023e105f4ecef8ad9ca31a8372d0c353/origin/cloud_regions"
#define WHAT "GET " ZONE_PATH "/192.0.2.1"
#define PLENTY 100000 /* a max_values no answer of this file comes near */

/* ---- Helpers */

/* JSON text written with ' for " (an apostrophe inside a string is \u0027), in malloc memory. */
static char *json_text(const char *single_quoted) {
  char *text = strdup(single_quoted);
  for (char *p = text; p && *p; p++)
    if (*p == '\'') *p = '"';
  return text;
}

/* A JSON value from single-quoted text; the caller releases it with json_decref. */
static json_t *json_of(const char *single_quoted) {
  char *text = json_text(single_quoted);
  json_error_t error;
  json_t *value = text ? json_loads(text, JSON_DECODE_ANY, &error) : NULL;
  if (!unit_check(value != NULL, __FILE__, __LINE__, "test JSON does not parse: %s", single_quoted))
    value = json_null();
  free(text);
  return value;
}

/* A response as the HTTP client leaves it: a final answer, its body NUL-terminated. */
static cfr_http_response response(long status, const char *body, size_t body_len) {
  cfr_http_response resp;
  memset(&resp, 0, sizeof(resp));
  resp.status = status;
  resp.body = (char *)body;
  resp.body_len = body_len;
  resp.attempts = 1;
  resp.sent = 1;
  return resp;
}

/* What cfr_api_decode made of an answer. */
typedef struct decoded {
  int rc;
  cfr_api_answer answer;
  char *err;
} decoded;

static decoded decode_response(const cfr_http_response *resp, int wrapped, size_t max_values) {
  decoded d;
  d.err = NULL;
  d.rc = cfr_api_decode(resp, WHAT, wrapped, max_values, &d.answer, &d.err);
  return d;
}

/* Decodes a body (single-quoted JSON, or any text without ') answered with `status`. */
static decoded decode_body(long status, const char *single_quoted, int wrapped, size_t max_values) {
  char *body = json_text(single_quoted);
  cfr_http_response resp = response(status, body, body ? strlen(body) : 0);
  decoded d = decode_response(&resp, wrapped, max_values);
  free(body);
  return d;
}

static decoded decode_v2(long status, const char *single_quoted) {
  return decode_body(status, single_quoted, 0, PLENTY);
}

static void decoded_clear(decoded *d) {
  cfr_api_answer_clear(&d->answer);
  sqlite3_free(d->err);
  d->err = NULL;
}

/* Checks the common shape of a refused answer: an error naming the request, no result. */
static void check_refused(const decoded *d) {
  CHECK_INT(d->rc, SQLITE_ERROR);
  CHECK(d->answer.result == NULL);
  CHECK(d->err != NULL);
  CHECK_CONTAINS(d->err, WHAT);
}

/* 1 when text holds an ASCII control character (what could forge lines or drive a terminal). */
static int has_control_character(const char *text) {
  for (; text && *text; text++)
    if ((unsigned char)*text < 0x20 || (unsigned char)*text == 0x7f) return 1;
  return 0;
}

/* 1 when text is UTF-8 (SQLite's error texts are; Python raises UnicodeDecodeError for one that
** is not, in place of the SQL error). Checks the sequences' shape only: enough for cut text. */
static int is_utf8(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  while (s && *s) {
    int follow = *s < 0x80 ? 0 : *s >= 0xc2 && *s <= 0xdf ? 1 : *s >= 0xe0 && *s <= 0xef ? 2
                 : *s >= 0xf0 && *s <= 0xf4 ? 3 : -1;
    if (follow < 0) return 0;
    for (s++; follow > 0; follow--, s++)
      if ((*s & 0xc0) != 0x80) return 0;
  }
  return 1;
}

/* Reads one entry as the dialect of `version` would; returns the error, or NULL (caller frees). */
static char *entry_error(int version, const char *single_quoted, cfr_mapping *m) {
  json_t *entry = json_of(single_quoted);
  char *err = NULL;
  int rc = cfr_api_entry(cfr_api_dialect_for(version), entry, m, &err);
  CHECK_INT(rc, err ? SQLITE_ERROR : SQLITE_OK);
  json_decref(entry);
  return err;
}

/* An entry (v2 field names) whose `field` holds a JSON string made with json_stringn. */
static char *entry_error_with(const char *field, const char *value, size_t len) {
  json_t *entry = json_of("{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}");
  json_object_set_new(entry, field, json_stringn(value, len));
  cfr_mapping m;
  char *err = NULL;
  int rc = cfr_api_entry(cfr_api_dialect_for(2), entry, &m, &err);
  CHECK_INT(rc, err ? SQLITE_ERROR : SQLITE_OK);
  json_decref(entry);
  return err;
}

static cfr_change change(const char *ip, const char *vendor, const char *region) {
  cfr_change c;
  memset(&c, 0, sizeof(c));
  c.kind = CFR_UPSERT;
  snprintf(c.mapping.origin_ip, sizeof(c.mapping.origin_ip), "%s", ip);
  snprintf(c.mapping.vendor, sizeof(c.mapping.vendor), "%s", vendor);
  snprintf(c.mapping.region, sizeof(c.mapping.region), "%s", region);
  return c;
}

/* Applies a batch result (single-quoted JSON) to changes with the dialect of `version`. */
static int outcome(int version, const char *single_quoted, cfr_change *changes, int n, char **err) {
  json_t *result = json_of(single_quoted);
  *err = NULL;
  int rc = cfr_api_batch_outcome(cfr_api_dialect_for(version), result, changes, n, err);
  json_decref(result);
  return rc;
}

/* Counts jansson's allocations, to show what was never decoded. */
static long jansson_allocations;
static void *counting_malloc(size_t n) {
  jansson_allocations++;
  return malloc(n);
}

/* ---- The dialects */

static void the_two_dialects_differ_in_paths_field_names_and_wrapping(void) {
  const cfr_api_dialect *v1 = cfr_api_dialect_for(1), *v2 = cfr_api_dialect_for(2);
  CHECK_INT(v1->version, 1);
  CHECK_STR(v1->collection, "cache/origin_cloud_regions");
  CHECK_STR(v1->ip_in, "ip");
  CHECK_STR(v1->ip_out, "origin-ip");
  CHECK_STR(v1->upsert_method, "PATCH");
  CHECK_INT(v1->wrapped, 1);
  CHECK_INT(v1->paged, 0);
  CHECK_INT(v2->version, 2);
  CHECK_STR(v2->collection, "origin/cloud_regions");
  CHECK_STR(v2->ip_in, "origin_ip");
  CHECK_STR(v2->ip_out, "origin_ip");
  CHECK_STR(v2->upsert_method, "PUT");
  CHECK_INT(v2->wrapped, 0);
  CHECK_INT(v2->paged, 1);
  /* Any other version is the current one. */
  CHECK(cfr_api_dialect_for(0) == v2);
  CHECK(cfr_api_dialect_for(3) == v2);
}

/* ---- The envelope: answers that succeed */

static void a_v1_result_is_unwrapped_to_its_value(void) {
  decoded d = decode_body(200, "{'errors': [], 'messages': [], 'success': true, 'result': "
                               "{'editable': true, 'id': 'origin_public_cloud_region', "
                               "'modified_on': '2026-03-01T12:00:00Z', 'value': "
                               "{'origin-ip': '192.0.2.1', 'region': 'us-east-1', "
                               "'vendor': 'aws'}}}",
                          1, PLENTY);
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK(d.err == NULL);
  CHECK_STR(json_string_value(json_object_get(d.answer.result, "origin-ip")), "192.0.2.1");
  CHECK(json_object_get(d.answer.result, "editable") == NULL); /* the wrapper is gone */
  CHECK(d.answer.root != NULL);
  CHECK_INT(d.answer.status, 200);
  CHECK_INT(d.answer.error_code, 0);
  decoded_clear(&d);
  CHECK(d.answer.root == NULL && d.answer.result == NULL);
  cfr_api_answer_clear(&d.answer); /* a cleared answer can be cleared again */
}

static void a_v2_result_is_taken_as_it_is(void) {
  decoded d = decode_v2(200, "{'errors': [], 'messages': [], 'success': true, 'result': "
                             "{'origin_ip': '192.0.2.1', 'region': 'us-east-1', 'vendor': 'aws', "
                             "'value': 'not a wrapper'}}");
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK_STR(json_string_value(json_object_get(d.answer.result, "origin_ip")), "192.0.2.1");
  CHECK_STR(json_string_value(json_object_get(d.answer.result, "value")), "not a wrapper");
  decoded_clear(&d);
  /* A v1 listing's value is an array; an empty zone answers []. */
  d = decode_body(200, "{'success': true, 'result': {'modified_on': null, 'value': []}}", 1,
                  PLENTY);
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK(json_is_array(d.answer.result) && json_array_size(d.answer.result) == 0);
  decoded_clear(&d);
}

static void any_2xx_status_is_a_success(void) {
  decoded d = decode_v2(201, "{'success': true, 'result': []}");
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK_INT(d.answer.status, 201);
  decoded_clear(&d);
}

/* The envelope passes a null result on; the reader that expects a shape refuses it. */
static void a_null_result_is_judged_by_its_reader(void) {
  decoded d = decode_v2(200, "{'success': true, 'result': null}");
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK(json_is_null(d.answer.result));
  cfr_mapping_list list = {NULL, 0, 0};
  cfr_mapping m;
  cfr_change c = change("192.0.2.1", "aws", "us-east-1");
  char *err = NULL;
  CHECK_INT(cfr_api_entries(cfr_api_dialect_for(2), d.answer.result, 10, &list, &err),
            SQLITE_ERROR);
  CHECK_CONTAINS(err, "not an array");
  sqlite3_free(err);
  err = NULL;
  CHECK_INT(cfr_api_entry(cfr_api_dialect_for(2), d.answer.result, &m, &err), SQLITE_ERROR);
  CHECK_CONTAINS(err, "not an object");
  sqlite3_free(err);
  err = NULL;
  CHECK_INT(cfr_api_batch_outcome(cfr_api_dialect_for(2), d.answer.result, &c, 1, &err),
            SQLITE_ERROR);
  CHECK_CONTAINS(err, "no succeeded/failed arrays");
  sqlite3_free(err);
  decoded_clear(&d);
}

/* ---- The envelope: answers that say they failed */

static void success_false_quotes_the_error_codes_and_messages(void) {
  decoded d = decode_v2(400, "{'success': false, 'result': null, 'messages': [], 'errors': "
                             "[{'code': 1157, 'message': "
                             "'The vendor provided doesn\\u0027t exist'}, {'code': 1146, "
                             "'message': 'Invalid or missing origin IP address.'}]}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 400");
  CHECK_CONTAINS(d.err, "code 1157 The vendor provided doesn't exist");
  CHECK_CONTAINS(d.err, "; code 1146 Invalid or missing origin IP address.");
  CHECK_INT(d.answer.error_code, 1157); /* the first one */
  CHECK_INT(d.answer.status, 400);
  decoded_clear(&d);
}

static void success_false_with_a_2xx_status_is_still_a_failure(void) {
  decoded d = decode_v2(200, "{'success': false, 'result': [], "
                             "'errors': [{'code': 1140, 'message': 'Internal error.'}]}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 200: code 1140 Internal error.");
  CHECK_INT(d.answer.error_code, 1140);
  decoded_clear(&d);
}

static void at_most_five_errors_are_quoted(void) {
  decoded d = decode_v2(400, "{'success': false, 'errors': [{'code': 1, 'message': 'm1'}, "
                             "{'code': 2, 'message': 'm2'}, {'code': 3, 'message': 'm3'}, "
                             "{'code': 4, 'message': 'm4'}, {'code': 5, 'message': 'm5'}, "
                             "{'code': 6, 'message': 'm6'}, {'code': 7, 'message': 'm7'}]}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "code 1 m1; code 2 m2; code 3 m3; code 4 m4; code 5 m5; and 2 more");
  CHECK_LACKS(d.err, "m6");
  CHECK_LACKS(d.err, "m7");
  decoded_clear(&d);
}

static void errors_without_a_code_or_a_message_are_still_named(void) {
  decoded d = decode_v2(500, "{'success': false, "
                             "'errors': [{'code': 'x'}, {'message': 'bare'}, 7]}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 500: (no message); bare; (no message)");
  CHECK_LACKS(d.err, "code");
  CHECK_INT(d.answer.error_code, 0); /* the first code is not an integer */
  decoded_clear(&d);
}

static void server_text_in_an_error_is_escaped_and_capped(void) {
  char message[301];
  memset(message, 'A', 200);
  memset(message + 200, 'B', 100);
  message[300] = 0;
  char *body = sqlite3_mprintf("{'success': false, 'errors': [{'code': 9, 'message': "
                               "'line\\nforged\\r\\t\\u001b[31mred\\u007f'}, "
                               "{'code': 10, 'message': '%s'}]}", message);
  decoded d = decode_v2(403, body);
  check_refused(&d);
  CHECK(!has_control_character(d.err));
  CHECK_CONTAINS(d.err, "code 9 line\\nforged\\r\\t\\x1b[31mred\\x7f;");
  message[200] = 0;
  char *capped = sqlite3_mprintf("code 10 %s...", message); /* 200 bytes, then a mark */
  CHECK_CONTAINS(d.err, capped);
  CHECK_LACKS(d.err, "B");
  sqlite3_free(capped);
  sqlite3_free(body);
  decoded_clear(&d);
}

/* The cap on server text counts bytes; where it falls inside a character, the cut must come before
** that character, or the error is no longer UTF-8: both in a failed answer's error and in a
** failed batch item's error (a message whose 200th byte starts a two-byte character). */
static void server_text_is_cut_between_characters(void) {
  char message[202];
  memset(message, 'x', 199);
  memcpy(message + 199, "\xc3\xa9", 3); /* an e with an acute accent, and the NUL */
  char *body = sqlite3_mprintf("{'success': false, 'errors': [{'code': 1, 'message': '%s'}]}",
                               message);
  decoded d = decode_v2(400, body);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "..."); /* still marked as cut */
  CHECK(is_utf8(d.err));
  decoded_clear(&d);
  sqlite3_free(body);
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
  char *result = sqlite3_mprintf("{'succeeded': [], 'failed': [{'origin_ip': '192.0.2.1', "
                                 "'error': '%s'}]}", message);
  char *err;
  CHECK_INT(outcome(2, result, changes, 1, &err), SQLITE_OK);
  CHECK_CONTAINS(changes[0].error, "...");
  CHECK(is_utf8(changes[0].error));
  sqlite3_free(result);
}

/* Jansson quotes the bytes it stumbled on; they come from the server like any other text, so a
** body such as {}<ESC>[2J must not put a raw escape character into the message. */
static void malformed_json_is_quoted_escaped(void) {
  decoded d = decode_v2(200, "{}\x1b[2J");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "malformed JSON");
  CHECK(!has_control_character(d.err));
  decoded_clear(&d);
}

/* ---- The envelope: statuses, transport failures, malformed answers */

static void a_non_2xx_status_with_a_json_body_quotes_it(void) {
  decoded d = decode_v2(404, "{'success': false, 'result': null, 'errors': [{'code': 1142, "
                             "'message': 'Unable to retrieve origin_public_cloud_region setting "
                             "value. The zone setting does not exist.'}]}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 404: code 1142 Unable to retrieve");
  CHECK_INT(d.answer.error_code, 1142); /* a lookup tells "no mapping" from this */
  CHECK_INT(d.answer.status, 404);
  decoded_clear(&d);
  /* A body that says success does not make a 500 a success. */
  d = decode_v2(500, "{'success': true, 'result': []}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 500");
  decoded_clear(&d);
}

static void a_non_2xx_status_without_a_json_body_says_the_status(void) {
  decoded d = decode_v2(502, "<html><body>Bad gateway</body></html>");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 502");
  CHECK_LACKS(d.err, "html");
  CHECK_INT(d.answer.error_code, 0);
  CHECK_INT(d.answer.status, 502);
  decoded_clear(&d);
  cfr_http_response resp = response(503, NULL, 0);
  d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 503");
  decoded_clear(&d);
  /* Neither 1xx nor 3xx is an answer the API gives. */
  d = decode_v2(304, "");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 304");
  decoded_clear(&d);
  d = decode_v2(199, "{'success': true, 'result': []}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 199");
  decoded_clear(&d);
}

static void rate_limits_and_retries_are_explained(void) {
  char *body = json_text("{'success': false, 'errors': [{'code': 971, "
                         "'message': 'Please wait and consider throttling your request speed'}]}");
  cfr_http_response resp = response(429, body, strlen(body));
  resp.attempts = 3;
  decoded d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed with HTTP 429: code 971 Please wait");
  CHECK_CONTAINS(d.err, "rate limited");
  CHECK_CONTAINS(d.err, "after 3 attempts");
  CHECK_INT(d.answer.error_code, 971);
  decoded_clear(&d);
  free(body);
}

static void a_transport_failure_wins_over_everything(void) {
  char *body = json_text("{'success': true, 'result': [], "
                         "'errors': [{'code': 5, 'message': 'x'}]}");
  cfr_http_response resp = response(0, body, strlen(body));
  snprintf(resp.error, sizeof(resp.error), "Could not connect to 127.0.0.1: Connection refused");
  decoded d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_STR(d.err, WHAT " failed: Could not connect to 127.0.0.1: Connection refused");
  CHECK(d.answer.root == NULL); /* the body is not even read */
  CHECK_INT(d.answer.error_code, 0);
  CHECK_INT(d.answer.status, 0);
  decoded_clear(&d);
  /* An error text wins over a status too, and a status 0 without one still fails. */
  resp.status = 200;
  d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "failed: Could not connect");
  decoded_clear(&d);
  resp.status = 0;
  resp.error[0] = 0;
  d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_STR(d.err, WHAT " failed: no response");
  decoded_clear(&d);
  free(body);
}

static void malformed_json_is_refused(void) {
  decoded d = decode_v2(200, "{'success': tru");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "malformed JSON in the response (HTTP 200)");
  CHECK(d.answer.root == NULL);
  decoded_clear(&d);
  d = decode_v2(200, "");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "malformed JSON");
  decoded_clear(&d);
  cfr_http_response resp = response(200, NULL, 0);
  d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "malformed JSON in the response (HTTP 200): empty body");
  decoded_clear(&d);
  /* A NUL byte inside the body ends nothing early: the whole body is JSON or it is refused. */
  static const char with_nul[] = "{\"success\": true, \"result\": []}\0junk";
  resp = response(200, with_nul, sizeof(with_nul) - 1);
  d = decode_response(&resp, 0, PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "malformed JSON");
  decoded_clear(&d);
}

static void an_envelope_without_a_boolean_success_is_refused(void) {
  const char *bodies[] = {"{'result': []}", "{'success': 'true', 'result': []}",
                          "{'success': 1, 'result': []}", "[]"};
  for (int i = 0; i < 4; i++) {
    decoded d = decode_v2(200, bodies[i]);
    check_refused(&d);
    CHECK_CONTAINS(d.err, "unexpected response (HTTP 200): no \"success\" field in the envelope");
    decoded_clear(&d);
  }
}

static void a_success_without_its_result_is_refused(void) {
  decoded d = decode_v2(200, "{'success': true, 'errors': []}");
  check_refused(&d);
  CHECK_CONTAINS(d.err, "unexpected response (HTTP 200): no result");
  CHECK_LACKS(d.err, "result.value");
  decoded_clear(&d);
  d = decode_body(200, "{'success': true, 'result': {'id': 'origin_public_cloud_region'}}", 1,
                  PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "no result.value");
  decoded_clear(&d);
  d = decode_body(200, "{'success': true}", 1, PLENTY);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "no result.value");
  decoded_clear(&d);
}

/* ---- The bound on JSON values */

/* 100,000 empty objects: about 200,000 values in 300 kB. */
static char *many_empty_objects(int n, int bracketed) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  if (bracketed) sqlite3_str_appendall(s, "[");
  for (int i = 0; i < n; i++) sqlite3_str_appendall(s, i ? ",{}" : "{}");
  if (bracketed) sqlite3_str_appendall(s, "]");
  return sqlite3_str_finish(s);
}

static void a_body_of_too_many_values_is_refused_before_decoding(void) {
  json_malloc_t saved_malloc;
  json_free_t saved_free;
  json_get_alloc_funcs(&saved_malloc, &saved_free);
  json_set_alloc_funcs(counting_malloc, free);
  for (int bracketed = 0; bracketed < 2; bracketed++) {
    char *body = many_empty_objects(100000, bracketed);
    for (long status = 200; status <= 500; status += 300) {
      cfr_http_response resp = response(status, body, strlen(body));
      jansson_allocations = 0;
      decoded d = decode_response(&resp, 0, 552); /* a lookup's bound */
      CHECK_INT(jansson_allocations, 0); /* jansson never saw it */
      check_refused(&d);
      CHECK_CONTAINS(d.err, "more JSON values than a valid answer holds");
      char *size = sqlite3_mprintf("(%d bytes)", (int)strlen(body));
      CHECK_CONTAINS(d.err, size);
      sqlite3_free(size);
      CHECK(d.answer.root == NULL);
      CHECK_INT(d.answer.status, status);
      decoded_clear(&d);
    }
    sqlite3_free(body);
  }
  json_set_alloc_funcs(saved_malloc, saved_free);
}

/* The body holds 11 values (keys included): the root, 2 keys and their 2 values, and the result's
** 3 keys and 3 values. Commas, colons and brackets inside strings are no values. */
static void a_body_within_the_bound_is_accepted(void) {
  const char *body = "{'success': true, 'result': {'origin_ip': '192.0.2.1', 'vendor': 'aws', "
                     "'region': 'a,b:{[\\'x\\\\'}}";
  decoded d = decode_body(200, body, 0, 11);
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK_STR(json_string_value(json_object_get(d.answer.result, "region")), "a,b:{[\"x\\");
  decoded_clear(&d);
  d = decode_body(200, body, 0, 10);
  check_refused(&d);
  CHECK_CONTAINS(d.err, "more JSON values than a valid answer holds");
  decoded_clear(&d);
  /* A v2 page of 100 entries fits the bound the store gives a page (40 values an entry). */
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, "{\"success\": true, \"errors\": [], \"messages\": [], \"result\": [");
  for (int i = 0; i < 100; i++)
    sqlite3_str_appendf(s, "%s{\"origin_ip\": \"192.0.2.%d\", \"vendor\": \"aws\", \"region\": "
                           "\"us-east-1\", \"modified_on\": \"2026-03-01T12:00:00Z\"}",
                        i ? ", " : "", i);
  sqlite3_str_appendall(s, "], \"result_info\": {\"page\": 1, \"per_page\": 100, \"count\": 100, "
                           "\"total_count\": 100, \"total_pages\": 1}}");
  char *page = sqlite3_str_finish(s);
  cfr_http_response resp = response(200, page, strlen(page));
  d = decode_response(&resp, 0, 100 * 40 + 512);
  CHECK_INT(d.rc, SQLITE_OK);
  CHECK_INT(json_array_size(d.answer.result), 100);
  decoded_clear(&d);
  sqlite3_free(page);
}

/* ---- Entries */

static void a_v1_entry_has_origin_ip_with_a_hyphen(void) {
  cfr_mapping m;
  char *err = entry_error(1, "{'origin-ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1', "
                             "'modified_on': '2026-03-01T12:00:00Z'}", &m);
  CHECK_STR(err, NULL);
  CHECK_STR(m.origin_ip, "192.0.2.1");
  CHECK_STR(m.vendor, "aws");
  CHECK_STR(m.region, "us-east-1");
  CHECK_STR(m.modified_on, "2026-03-01T12:00:00Z");
  /* v2's field name is not v1's. */
  err = entry_error(1, "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}", &m);
  CHECK_STR(err, "entry without \"origin-ip\"");
  sqlite3_free(err);
}

static void a_v2_entry_has_origin_ip_with_an_underscore(void) {
  cfr_mapping m;
  char *err = entry_error(2, "{'origin_ip': '2001:db8::1', 'vendor': 'gcp', "
                             "'region': 'us-central1', 'modified_on': '2026-03-01T12:30:00Z'}", &m);
  CHECK_STR(err, NULL);
  CHECK_STR(m.origin_ip, "2001:db8::1");
  CHECK_STR(m.vendor, "gcp");
  CHECK_STR(m.region, "us-central1");
  CHECK_STR(m.modified_on, "2026-03-01T12:30:00Z");
  err = entry_error(2, "{'origin-ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}", &m);
  CHECK_STR(err, "entry without \"origin_ip\"");
  sqlite3_free(err);
}

static void an_entry_ip_is_canonicalized(void) {
  const char *ips[][2] = {{"2001:DB8:0:0::1", "2001:db8::1"},
                          {"::FFFF:192.0.2.1", "::ffff:192.0.2.1"},
                          {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}};
  for (int i = 0; i < 3; i++) {
    cfr_mapping m;
    char *text = sqlite3_mprintf("{'origin_ip': '%s', 'vendor': 'aws', 'region': 'us-east-1'}",
                                 ips[i][0]);
    char *err = entry_error(2, text, &m);
    CHECK_STR(err, NULL);
    CHECK_STR(m.origin_ip, ips[i][1]);
    sqlite3_free(text);
  }
}

static void an_entry_with_an_invalid_ip_is_refused_quoting_it_escaped(void) {
  cfr_mapping m;
  char *err = entry_error(2, "{'origin_ip': '192.0.2.256', 'vendor': 'aws', 'region': 'x'}", &m);
  CHECK_STR(err, "entry with an invalid IP '192.0.2.256'");
  sqlite3_free(err);
  err = entry_error(2, "{'origin_ip': '192.0.2.1\\n', 'vendor': 'aws', 'region': 'x'}", &m);
  CHECK_STR(err, "entry with an invalid IP '192.0.2.1\\n'");
  sqlite3_free(err);
  err = entry_error(2, "{'origin_ip': '192.0.2.0/24', 'vendor': 'aws', 'region': 'x'}", &m);
  CHECK_CONTAINS(err, "invalid IP");
  sqlite3_free(err);
}

static void an_entry_without_a_required_field_is_refused(void) {
  const char *entries[][2] = {
      {"{'vendor': 'aws', 'region': 'us-east-1'}", "entry without \"origin_ip\""},
      {"{'origin_ip': null, 'vendor': 'aws', 'region': 'us-east-1'}",
       "entry without \"origin_ip\""},
      {"{'origin_ip': '192.0.2.1', 'region': 'us-east-1'}", "entry without \"vendor\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': null, 'region': 'us-east-1'}",
       "entry without \"vendor\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': 'aws'}", "entry without \"region\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': null}", "entry without \"region\""}};
  for (int i = 0; i < 6; i++) {
    cfr_mapping m;
    char *err = entry_error(2, entries[i][0], &m);
    CHECK_STR(err, entries[i][1]);
    sqlite3_free(err);
  }
}

static void an_entry_that_is_no_object_is_refused(void) {
  const char *entries[] = {"[]", "'192.0.2.1'", "null", "3"};
  for (int i = 0; i < 4; i++) {
    cfr_mapping m;
    char *err = entry_error(2, entries[i], &m);
    CHECK_STR(err, "entry is not an object");
    sqlite3_free(err);
  }
}

static void fields_that_are_not_strings_are_unusable(void) {
  const char *entries[][2] = {
      {"{'origin_ip': 3232235777, 'vendor': 'aws', 'region': 'x'}", "\"origin_ip\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': ['aws'], 'region': 'x'}", "\"vendor\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': {}}", "\"region\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'x', 'modified_on': 0}",
       "\"modified_on\""},
      {"{'origin_ip': '192.0.2.1', 'vendor': true, 'region': 'x'}", "\"vendor\""}};
  for (int i = 0; i < 5; i++) {
    cfr_mapping m;
    char *err = entry_error(2, entries[i][0], &m);
    CHECK_CONTAINS(err, "entry with an unusable ");
    CHECK_CONTAINS(err, entries[i][1]);
    sqlite3_free(err);
  }
}

/* Each field fits its column with its NUL: vendor 15 bytes, region 63, modified_on 39, IP 47. */
static void fields_too_long_for_their_column_are_unusable(void) {
  char text[80];
  const struct { const char *field; size_t fits; } fields[] = {
      {"vendor", CFR_VENDOR_MAX - 1}, {"region", CFR_REGION_MAX - 1},
      {"modified_on", CFR_TIME_MAX - 1}};
  for (int i = 0; i < 3; i++) {
    memset(text, 'a', sizeof(text));
    char *err = entry_error_with(fields[i].field, text, fields[i].fits);
    CHECK_STR(err, NULL);
    err = entry_error_with(fields[i].field, text, fields[i].fits + 1);
    CHECK_CONTAINS(err, "entry with an unusable");
    CHECK_CONTAINS(err, fields[i].field);
    sqlite3_free(err);
  }
  /* An IP padded past what any address needs is refused before it is parsed. */
  memset(text, '0', sizeof(text));
  memcpy(text + CFR_IP_TEXT_MAX - 2, "::1", 3);
  char *err = entry_error_with("origin_ip", text, CFR_IP_TEXT_MAX + 1);
  CHECK_STR(err, "entry with an unusable \"origin_ip\"");
  sqlite3_free(err);
}

static void a_nul_inside_a_string_is_refused_not_cut_short(void) {
  const struct { const char *field; const char *value; size_t len; } cases[] = {
      {"origin_ip", "192.0.2.1\0junk", 14},
      {"vendor", "aws\0x", 5},
      {"region", "us-east-1\0", 10},
      {"modified_on", "2026\0", 5}};
  for (int i = 0; i < 4; i++) {
    char *err = entry_error_with(cases[i].field, cases[i].value, cases[i].len);
    CHECK_CONTAINS(err, "entry with an unusable");
    CHECK_CONTAINS(err, cases[i].field);
    sqlite3_free(err);
  }
}

static void a_vendor_or_region_that_is_not_an_identifier_is_refused(void) {
  const char *entries[] = {
      "{'origin_ip': '192.0.2.1', 'vendor': 'aws ', 'region': 'us-east-1'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us east 1'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'a\\'ws', 'region': 'us-east-1'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'it\\u0027s'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'a\\\\b'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1\\n'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'x\\u007f'}",
      "{'origin_ip': '192.0.2.1', 'vendor': 'a\\u00e9', 'region': 'us-east-1'}"};
  for (int i = 0; i < 8; i++) {
    cfr_mapping m;
    char *err = entry_error(2, entries[i], &m);
    CHECK_STR(err, "entry for 192.0.2.1 with a vendor or region that is not an identifier");
    sqlite3_free(err);
  }
}

/* No mapping can have an empty vendor or region (the region list refuses both), so such an entry
** is refused rather than becoming a row with vendor ''. */
static void an_empty_vendor_or_region_is_refused(void) {
  const char *entries[] = {"{'origin_ip': '192.0.2.1', 'vendor': '', 'region': 'us-east-1'}",
                           "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': ''}"};
  for (int i = 0; i < 2; i++) {
    cfr_mapping m;
    char *err = entry_error(2, entries[i], &m);
    CHECK_CONTAINS(err, "not an identifier");
    sqlite3_free(err);
  }
}

static void modified_on_is_optional_but_must_be_usable_when_present(void) {
  cfr_mapping m;
  char *err = entry_error(2, "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'x'}", &m);
  CHECK_STR(err, NULL);
  CHECK_STR(m.modified_on, "");
  err = entry_error(1, "{'origin-ip': '192.0.2.1', 'vendor': 'aws', 'region': 'x', "
                       "'modified_on': null}", &m);
  CHECK_STR(err, NULL);
  CHECK_STR(m.modified_on, "");
  err = entry_error(2, "{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'x', "
                       "'modified_on': '2026-03-01 12:00:00'}", &m);
  CHECK_STR(err, "entry for 192.0.2.1 with an unusable \"modified_on\"");
  sqlite3_free(err);
}

/* ---- Listings */

static void a_listing_appends_every_entry(void) {
  cfr_mapping_list list = {NULL, 0, 0};
  json_t *page1 = json_of("[{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}, "
                          "{'origin_ip': '2001:DB8::1', 'vendor': 'gcp', "
                          "'region': 'us-central1'}]");
  json_t *page2 = json_of("[{'origin_ip': '198.51.100.4', 'vendor': 'oci', "
                          "'region': 'us-ashburn-1'}]");
  json_t *empty = json_of("[]");
  char *err = NULL;
  const cfr_api_dialect *v2 = cfr_api_dialect_for(2);
  CHECK_INT(cfr_api_entries(v2, page1, 3, &list, &err), SQLITE_OK);
  CHECK_INT(cfr_api_entries(v2, page2, 3, &list, &err), SQLITE_OK);
  CHECK_INT(cfr_api_entries(v2, empty, 3, &list, &err), SQLITE_OK);
  CHECK_STR(err, NULL);
  CHECK_INT(list.count, 3);
  if (list.count == 3) {
    CHECK_STR(list.items[0].origin_ip, "192.0.2.1");
    CHECK_STR(list.items[1].origin_ip, "2001:db8::1");
    CHECK_STR(list.items[1].vendor, "gcp");
    CHECK_STR(list.items[2].region, "us-ashburn-1");
  }
  cfr_mapping_list_clear(&list);
  json_decref(page1);
  json_decref(page2);
  json_decref(empty);
}

static void a_listing_that_is_not_an_array_is_refused(void) {
  const char *results[] = {"{'value': []}", "null", "'[]'"};
  for (int i = 0; i < 3; i++) {
    cfr_mapping_list list = {NULL, 0, 0};
    json_t *result = json_of(results[i]);
    char *err = NULL;
    CHECK_INT(cfr_api_entries(cfr_api_dialect_for(2), result, 10, &list, &err), SQLITE_ERROR);
    CHECK_STR(err, "unexpected response: the list is not an array");
    CHECK_INT(list.count, 0);
    sqlite3_free(err);
    json_decref(result);
  }
}

/* The limit counts what the list already holds: pages add up to a zone. */
static void a_listing_past_max_entries_is_refused_whole(void) {
  cfr_mapping_list list = {NULL, 0, 0};
  json_t *two = json_of("[{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}, "
                        "{'origin_ip': '192.0.2.2', 'vendor': 'aws', 'region': 'us-east-1'}]");
  char *err = NULL;
  const cfr_api_dialect *v2 = cfr_api_dialect_for(2);
  CHECK_INT(cfr_api_entries(v2, two, 1, &list, &err), SQLITE_ERROR);
  CHECK_STR(err, "unexpected response: more than 1 mappings (a zone holds at most 3500)");
  CHECK_INT(list.count, 0); /* refused before any entry is taken */
  sqlite3_free(err);
  err = NULL;
  CHECK_INT(cfr_api_entries(v2, two, 2, &list, &err), SQLITE_OK); /* exactly the limit */
  CHECK_INT(list.count, 2);
  CHECK_INT(cfr_api_entries(v2, two, 3, &list, &err), SQLITE_ERROR);
  CHECK_CONTAINS(err, "more than 3 mappings");
  CHECK_INT(list.count, 2);
  sqlite3_free(err);
  cfr_mapping_list_clear(&list);
  json_decref(two);
}

static void a_bad_item_of_a_listing_is_named_by_its_index(void) {
  cfr_mapping_list list = {NULL, 0, 0};
  json_t *items = json_of("[{'origin-ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}, "
                          "{'origin-ip': '192.0.2.2', 'vendor': 'aws', 'region': 'us-east-1'}, "
                          "{'origin-ip': '192.0.2.999', 'vendor': 'aws', 'region': 'us-east-1'}]");
  char *err = NULL;
  CHECK_INT(cfr_api_entries(cfr_api_dialect_for(1), items, 10, &list, &err), SQLITE_ERROR);
  CHECK_STR(err, "unexpected response: entry with an invalid IP '192.0.2.999' (item 2)");
  sqlite3_free(err);
  cfr_mapping_list_clear(&list);
  json_decref(items);
}

static void a_listing_without_memory_is_sqlite_nomem(void) {
  cfr_mapping_list list = {NULL, 0, 0};
  json_t *one = json_of("[{'origin_ip': '192.0.2.1', 'vendor': 'aws', 'region': 'us-east-1'}]");
  char *err = NULL;
  unit_fail_allocations_after(0);
  CHECK_INT(cfr_api_entries(cfr_api_dialect_for(2), one, 10, &list, &err), SQLITE_NOMEM);
  unit_fail_allocations_after(-1);
  CHECK_INT(list.count, 0);
  sqlite3_free(err);
  cfr_mapping_list_clear(&list);
  json_decref(one);
}

/* ---- Batch results */

static void a_batch_result_marks_each_item(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1"),
                          change("2001:db8::1", "gcp", "us-central1"),
                          change("198.51.100.4", "oci", "us-ashburn-1")};
  char *err;
  snprintf(changes[0].error, sizeof(changes[0].error), "from an earlier attempt");
  int rc = outcome(2, "{'succeeded': [{'origin_ip': '192.0.2.1', 'vendor': 'aws', "
                      "'region': 'us-east-1'}], 'failed': [{'origin_ip': '2001:db8::1', "
                      "'error': 'region not supported'}]}", changes, 3, &err);
  CHECK_INT(rc, SQLITE_OK);
  CHECK_STR(err, NULL);
  CHECK_INT(changes[0].applied, 1);
  CHECK_STR(changes[0].error, "");
  CHECK_INT(changes[1].applied, 0);
  CHECK_STR(changes[1].error, "rejected by the API: region not supported");
  /* The answer does not mention the third: it is not taken as applied. */
  CHECK_INT(changes[2].applied, 0);
  CHECK_STR(changes[2].error, "not confirmed by the API (missing from succeeded and failed)");
}

static void batch_items_are_matched_by_canonical_ip(void) {
  cfr_change changes[] = {change("2001:db8::1", "gcp", "us-central1"),
                          change("::ffff:192.0.2.1", "aws", "us-east-1")};
  char *err;
  int rc = outcome(1, "{'succeeded': [{'origin-ip': '2001:DB8:0:0::1'}, "
                      "{'origin-ip': '::FFFF:C000:0201'}], 'failed': []}", changes, 2, &err);
  CHECK_INT(rc, SQLITE_OK);
  CHECK_INT(changes[0].applied, 1);
  CHECK_INT(changes[1].applied, 1);
}

/* v1 answers name items "origin-ip": an item under v2's name is not an answer about it. */
static void batch_items_use_the_dialects_field_name(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
  char *err;
  CHECK_INT(outcome(1, "{'succeeded': [{'origin_ip': '192.0.2.1'}], 'failed': []}", changes, 1,
                    &err), SQLITE_OK);
  CHECK_INT(changes[0].applied, 0);
  CHECK_CONTAINS(changes[0].error, "not confirmed");
  changes[0] = change("192.0.2.1", "aws", "us-east-1");
  CHECK_INT(outcome(2, "{'succeeded': [{'origin-ip': '192.0.2.1'}], 'failed': []}", changes, 1,
                    &err), SQLITE_OK);
  CHECK_INT(changes[0].applied, 0);
}

static void items_the_batch_did_not_send_are_ignored(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
  char *err;
  int rc = outcome(2, "{'succeeded': [{'origin_ip': '192.0.2.2'}, {'origin_ip': 'not an ip'}, "
                      "{'origin_ip': 7}, 'x', null, {}], 'failed': [{'origin_ip': '192.0.2.3', "
                      "'error': 'x'}, 5]}", changes, 1, &err);
  CHECK_INT(rc, SQLITE_OK);
  CHECK_INT(changes[0].applied, 0);
  CHECK_CONTAINS(changes[0].error, "not confirmed");
}

/* Never marks an item applied unless it is: a contradictory answer counts as a failure. */
static void an_item_both_succeeded_and_failed_is_not_applied(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
  char *err;
  int rc = outcome(2, "{'failed': [{'origin_ip': '192.0.2.1', 'error': 'quota'}], "
                      "'succeeded': [{'origin_ip': '192.0.2.1'}]}", changes, 1, &err);
  CHECK_INT(rc, SQLITE_OK);
  CHECK_INT(changes[0].applied, 0);
  CHECK_STR(changes[0].error, "rejected by the API: quota");
}

static void a_failed_items_error_is_escaped_and_capped_into_its_field(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1"),
                          change("192.0.2.2", "aws", "us-east-1"),
                          change("192.0.2.3", "aws", "us-east-1")};
  char long_reason[1001];
  memset(long_reason, 'r', 1000);
  long_reason[1000] = 0;
  char *result = sqlite3_mprintf("{'succeeded': [], 'failed': ["
                                 "{'origin_ip': '192.0.2.1', 'error': 'bad\\nline\\u001b[1m'}, "
                                 "{'origin_ip': '192.0.2.2', 'error': '%s'}, "
                                 "{'origin_ip': '192.0.2.3', 'error': {'code': 1157}}]}",
                                 long_reason);
  char *err;
  CHECK_INT(outcome(2, result, changes, 3, &err), SQLITE_OK);
  CHECK_STR(changes[0].error, "rejected by the API: bad\\nline\\x1b[1m");
  CHECK(strlen(changes[1].error) < sizeof(changes[1].error));
  CHECK_CONTAINS(changes[1].error, "rejected by the API: rrrr");
  CHECK(strlen(changes[1].error) <= strlen("rejected by the API: ") + 200 + 3);
  CHECK_STR(changes[2].error, "rejected by the API: (no reason given)");
  for (int i = 0; i < 3; i++) {
    CHECK_INT(changes[i].applied, 0);
    CHECK(!has_control_character(changes[i].error));
  }
  sqlite3_free(result);
}

static void a_batch_result_of_the_wrong_shape_changes_nothing(void) {
  const char *results[] = {"{'succeeded': []}", "{'failed': []}",
                           "{'succeeded': {}, 'failed': []}", "[]", "null"};
  for (int i = 0; i < 5; i++) {
    cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
    cfr_change before = changes[0];
    char *err;
    CHECK_INT(outcome(2, results[i], changes, 1, &err), SQLITE_ERROR);
    CHECK_STR(err, "unexpected response: the batch result has no succeeded/failed arrays");
    CHECK(memcmp(&before, &changes[0], sizeof(before)) == 0);
    sqlite3_free(err);
  }
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
  char *err = NULL;
  CHECK_INT(cfr_api_batch_outcome(cfr_api_dialect_for(2), NULL, changes, 1, &err), SQLITE_ERROR);
  CHECK(err != NULL);
  sqlite3_free(err);
}

/* ---- Request bodies */

static void an_upsert_body_uses_the_dialects_ip_field(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1"),
                          change("2001:db8::1", "gcp", "us-central1")};
  for (int version = 1; version <= 2; version++) {
    const char *ip = version == 1 ? "ip" : "origin_ip", *other = version == 1 ? "origin_ip" : "ip";
    char *body = cfr_api_upsert_body(cfr_api_dialect_for(version), changes, 2);
    CHECK(body != NULL);
    json_t *array = body ? json_loads(body, 0, NULL) : NULL;
    CHECK(json_is_array(array) && json_array_size(array) == 2);
    for (size_t i = 0; i < 2 && json_is_array(array); i++) {
      json_t *item = json_array_get(array, i);
      CHECK_INT(json_object_size(item), 3);
      CHECK_STR(json_string_value(json_object_get(item, ip)), changes[i].mapping.origin_ip);
      CHECK(json_object_get(item, other) == NULL);
      CHECK_STR(json_string_value(json_object_get(item, "vendor")), changes[i].mapping.vendor);
      CHECK_STR(json_string_value(json_object_get(item, "region")), changes[i].mapping.region);
    }
    CHECK(body == NULL || strchr(body, ' ') == NULL); /* compact */
    json_decref(array);
    sqlite3_free(body);
  }
}

static void a_delete_body_is_a_json_array_of_ips(void) {
  cfr_change changes[] = {change("192.0.2.1", "", ""), change("2001:db8::1", "", "")};
  changes[0].kind = changes[1].kind = CFR_DELETE;
  char *body = cfr_api_delete_body(changes, 2);
  CHECK_STR(body, "[\"192.0.2.1\",\"2001:db8::1\"]");
  sqlite3_free(body);
  body = cfr_api_delete_body(changes, 0);
  CHECK_STR(body, "[]");
  sqlite3_free(body);
  body = cfr_api_upsert_body(cfr_api_dialect_for(2), changes, 0);
  CHECK_STR(body, "[]");
  sqlite3_free(body);
}

/* The bodies are SQLite's memory: a failing SQLite allocator makes them NULL. */
static void request_bodies_are_sqlite_memory(void) {
  cfr_change changes[] = {change("192.0.2.1", "aws", "us-east-1")};
  unit_fail_allocations_after(0);
  char *upsert = cfr_api_upsert_body(cfr_api_dialect_for(2), changes, 1);
  char *del = cfr_api_delete_body(changes, 1);
  unit_fail_allocations_after(-1);
  CHECK(upsert == NULL);
  CHECK(del == NULL);
}

int main(void) {
  unit_init();
  RUN(the_two_dialects_differ_in_paths_field_names_and_wrapping);
  RUN(a_v1_result_is_unwrapped_to_its_value);
  RUN(a_v2_result_is_taken_as_it_is);
  RUN(any_2xx_status_is_a_success);
  RUN(a_null_result_is_judged_by_its_reader);
  RUN(success_false_quotes_the_error_codes_and_messages);
  RUN(success_false_with_a_2xx_status_is_still_a_failure);
  RUN(at_most_five_errors_are_quoted);
  RUN(errors_without_a_code_or_a_message_are_still_named);
  RUN(server_text_in_an_error_is_escaped_and_capped);
  RUN(server_text_is_cut_between_characters);
  RUN(malformed_json_is_quoted_escaped);
  RUN(a_non_2xx_status_with_a_json_body_quotes_it);
  RUN(a_non_2xx_status_without_a_json_body_says_the_status);
  RUN(rate_limits_and_retries_are_explained);
  RUN(a_transport_failure_wins_over_everything);
  RUN(malformed_json_is_refused);
  RUN(an_envelope_without_a_boolean_success_is_refused);
  RUN(a_success_without_its_result_is_refused);
  RUN(a_body_of_too_many_values_is_refused_before_decoding);
  RUN(a_body_within_the_bound_is_accepted);
  RUN(a_v1_entry_has_origin_ip_with_a_hyphen);
  RUN(a_v2_entry_has_origin_ip_with_an_underscore);
  RUN(an_entry_ip_is_canonicalized);
  RUN(an_entry_with_an_invalid_ip_is_refused_quoting_it_escaped);
  RUN(an_entry_without_a_required_field_is_refused);
  RUN(an_entry_that_is_no_object_is_refused);
  RUN(fields_that_are_not_strings_are_unusable);
  RUN(fields_too_long_for_their_column_are_unusable);
  RUN(a_nul_inside_a_string_is_refused_not_cut_short);
  RUN(a_vendor_or_region_that_is_not_an_identifier_is_refused);
  RUN(an_empty_vendor_or_region_is_refused);
  RUN(modified_on_is_optional_but_must_be_usable_when_present);
  RUN(a_listing_appends_every_entry);
  RUN(a_listing_that_is_not_an_array_is_refused);
  RUN(a_listing_past_max_entries_is_refused_whole);
  RUN(a_bad_item_of_a_listing_is_named_by_its_index);
  RUN(a_listing_without_memory_is_sqlite_nomem);
  RUN(a_batch_result_marks_each_item);
  RUN(batch_items_are_matched_by_canonical_ip);
  RUN(batch_items_use_the_dialects_field_name);
  RUN(items_the_batch_did_not_send_are_ignored);
  RUN(an_item_both_succeeded_and_failed_is_not_applied);
  RUN(a_failed_items_error_is_escaped_and_capped_into_its_field);
  RUN(a_batch_result_of_the_wrong_shape_changes_nothing);
  RUN(an_upsert_body_uses_the_dialects_ip_field);
  RUN(a_delete_body_is_a_json_array_of_ips);
  RUN(request_bodies_are_sqlite_memory);
  return unit_done();
}
