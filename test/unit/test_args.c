/*
** test_args.c — the arguments of CREATE VIRTUAL TABLE … USING origin_cloud_regions(…)
** (ext/args.h): every key, quoting, defaults, and the errors for unknown, repeated, misplaced
** and credential keys.
*/
#include "args.h"
#include "cfregions_int.h"
#include "unit.h"

#include <stdio.h>

#define ZONE "023e105f4ecef8ad9ca31a8372d0c353"
#define SECRET "s3cr3t-Value-9f8e7d"

/* SQLite hands xCreate the module name, the database and the table name before the arguments. */
#define PARSE(out, err, ...)                                                                       \
  parse((out), (err), (const char *const[]){"origin_cloud_regions", "main", "t", __VA_ARGS__, NULL})

static int parse(cfr_table_args *out, char **err, const char *const *argv) {
  int argc = 0;
  while (argv[argc]) argc++;
  *err = NULL;
  return cfr_args_parse(argc, argv, out, err);
}

/* Parses one argument that must be refused, and returns the error (the caller frees it). */
static char *refusal(const char *arg) {
  cfr_table_args args;
  char *err;
  CHECK_INT(PARSE(&args, &err, arg), -1);
  CHECK(err != NULL);
  return err;
}

/* The error for arg followed by a valid zone_id (arguments are taken in order). */
static char *api_refusal(const char *arg) {
  cfr_table_args args;
  char *err;
  CHECK_INT(PARSE(&args, &err, arg, "zone_id=" ZONE), -1);
  CHECK(err != NULL);
  return err;
}

/* ---- What is accepted */

static void an_api_table_needs_only_a_zone(void) {
  cfr_table_args args;
  char *err;
  CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE), 0);
  CHECK(err == NULL);
  CHECK_INT(args.store, CFR_STORE_API);
  CHECK_STR(args.api.zone_id, ZONE);
  CHECK_INT(args.api.api_version, 2);
  CHECK(args.api.base_url == NULL); /* $CLOUDFLARE_BASE_URL, else Cloudflare's */
  CHECK(args.api.token_env == NULL); /* CLOUDFLARE_API_TOKEN */
  CHECK_INT(args.readonly, 0);
  CHECK_INT(args.api.max_retries, 2);
  CHECK_INT(args.api.timeout_ms, 60000);
  cfr_args_clear(&args);
}

static void a_local_table_takes_store_and_readonly(void) {
  cfr_table_args args;
  char *err;
  CHECK_INT(PARSE(&args, &err, "store='local'"), 0);
  CHECK_INT(args.store, CFR_STORE_LOCAL);
  CHECK_STR(args.api.zone_id, "");
  cfr_args_clear(&args);
  CHECK_INT(PARSE(&args, &err, "store='local'", "readonly=1"), 0);
  CHECK_INT(args.readonly, 1);
  cfr_args_clear(&args);
}

static void every_key_of_an_api_table(void) {
  cfr_table_args args;
  char *err;
  int rc = PARSE(&args, &err, "store='api'", "zone_id='023E105F4ECEF8AD9CA31A8372D0C353'",
                 "api='v1'", "base_url='http://127.0.0.1:8080/client/v4'", "token_env='CLOUDFLARE_MY_TOKEN'",
                 "readonly=1", "max_retries=0", "timeout_ms=100");
  CHECK_INT(rc, 0);
  CHECK_STR(err, NULL);
  CHECK_INT(args.store, CFR_STORE_API);
  CHECK_STR(args.api.zone_id, ZONE); /* lower-cased */
  CHECK_INT(args.api.api_version, 1);
  CHECK_STR(args.api.base_url, "http://127.0.0.1:8080/client/v4");
  CHECK_STR(args.api.token_env, "CLOUDFLARE_MY_TOKEN");
  CHECK_INT(args.readonly, 1);
  CHECK_INT(args.api.max_retries, 0);
  CHECK_INT(args.api.timeout_ms, 100);
  cfr_args_clear(&args);
  CHECK(args.api.base_url == NULL && args.api.token_env == NULL);
  CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE, "api=v2", "max_retries=10", "timeout_ms=600000"),
            0);
  CHECK_INT(args.api.api_version, 2);
  CHECK_INT(args.api.max_retries, 10);
  CHECK_INT(args.api.timeout_ms, 600000);
  cfr_args_clear(&args);
}

static void values_may_be_quoted_either_way_or_not_at_all(void) {
  const char *forms[] = {"token_env=CLOUDFLARE_MY_TOKEN", "token_env='CLOUDFLARE_MY_TOKEN'", "token_env=\"CLOUDFLARE_MY_TOKEN\"",
                         "  token_env  =  'CLOUDFLARE_MY_TOKEN'  "};
  for (int i = 0; i < 4; i++) {
    cfr_table_args args;
    char *err;
    CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE, forms[i]), 0);
    CHECK_STR(args.api.token_env, "CLOUDFLARE_MY_TOKEN");
    cfr_args_clear(&args);
  }
}

static void quotes_keep_spaces_and_undouble_as_in_sql(void) {
  const char *args_and_values[][2] = {
      {"base_url='https://h/a b '", "https://h/a b "},
      {"base_url='https://h/it''s'", "https://h/it's"},
      {"base_url=\"https://h/say \"\"hi\"\"\"", "https://h/say \"hi\""}};
  for (int i = 0; i < 3; i++) {
    cfr_table_args args;
    char *err;
    CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE, args_and_values[i][0]), 0);
    CHECK_STR(args.api.base_url, args_and_values[i][1]);
    cfr_args_clear(&args);
  }
  /* An unmatched quote is kept as part of the value (which then fails its own check). */
  cfr_table_args args;
  char *err;
  CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE, "base_url='https://h/x\""), -1);
  sqlite3_free(err);
}

/* ---- What is refused */

static void an_api_table_without_a_zone_is_refused(void) {
  cfr_table_args args;
  char *err;
  CHECK_INT(PARSE(&args, &err, NULL), -1);
  CHECK_CONTAINS(err, "zone_id is required");
  sqlite3_free(err);
  CHECK_INT(PARSE(&args, &err, "store=api"), -1);
  CHECK_CONTAINS(err, "zone_id is required");
  sqlite3_free(err);
}

static void values_out_of_range_are_refused_naming_the_key(void) {
  const char *bad[][2] = {{"store='remote'", "store="},
                          {"zone_id='023e105f'", "zone_id="},
                          {"zone_id='" ZONE "0'", "zone_id="},
                          {"zone_id='023e105f4ecef8ad9ca31a8372d0c35g'", "zone_id="},
                          {"api='v3'", "api="},
                          {"base_url='ftp://127.0.0.1/'", "base_url:"},
                          {"base_url='127.0.0.1'", "base_url:"},
                          {"token_env='AWS_SECRET_ACCESS_KEY'", "CLOUDFLARE_"},
                          {"max_wait_s=3601", "max_wait_s="},
                          {"token_env=''", "token_env"},
                          {"readonly=2", "readonly="},
                          {"readonly=yes", "readonly="},
                          {"max_retries=11", "max_retries="},
                          {"max_retries=-1", "max_retries="},
                          {"max_retries=", "max_retries="},
                          {"timeout_ms=99", "timeout_ms="},
                          {"timeout_ms=600001", "timeout_ms="},
                          {"timeout_ms=1e3", "timeout_ms="}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char *err = api_refusal(bad[i][0]);
    CHECK_CONTAINS(err, bad[i][1]);
    sqlite3_free(err);
  }
}

/* Today a refused value is quoted in the error, which shows a typo at once. The values quoted are
** those of non-credential keys; a token put by mistake in zone_id= or base_url= would be shown. */
static void a_refused_value_is_quoted_in_the_error(void) {
  char *err = api_refusal("readonly=yes");
  CHECK_STR(err, "readonly='yes': expected 0 or 1");
  sqlite3_free(err);
  err = api_refusal("zone_id='not-a-zone'");
  CHECK_CONTAINS(err, "zone_id='not-a-zone'");
  sqlite3_free(err);
}

static void a_failed_parse_keeps_nothing(void) {
  cfr_table_args args;
  char *err;
  /* base_url and token_env were copied before readonly was refused: all is freed (ASan checks). */
  CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE, "base_url='http://127.0.0.1:1'", "token_env=CLOUDFLARE_T",
                  "readonly=2"),
            -1);
  CHECK(args.api.base_url == NULL);
  CHECK(args.api.token_env == NULL);
  sqlite3_free(err);
}

static void unknown_keys_are_refused_naming_the_key_only(void) {
  char *err = api_refusal("colour='" SECRET "'");
  CHECK_CONTAINS(err, "unknown argument 'colour'");
  CHECK_CONTAINS(err, "zone_id"); /* the list of known keys */
  CHECK_LACKS(err, SECRET);
  sqlite3_free(err);
  err = api_refusal("ZONE_ID=" ZONE); /* keys are matched without regard to case */
  CHECK_STR(err, "argument 'zone_id' given twice");
  sqlite3_free(err);
}

static void a_repeated_key_is_refused(void) {
  char *err = api_refusal("zone_id=" ZONE);
  CHECK_STR(err, "argument 'zone_id' given twice");
  sqlite3_free(err);
  cfr_table_args args;
  CHECK_INT(PARSE(&args, &err, "zone_id=" ZONE, "api=v1", "api=v1"), -1);
  CHECK_STR(err, "argument 'api' given twice");
  sqlite3_free(err);
}

static void an_argument_without_a_value_is_refused(void) {
  char *err = api_refusal("readonly");
  CHECK_STR(err, "argument 'readonly': expected key=value");
  sqlite3_free(err);
}

static void api_keys_are_refused_for_a_local_table(void) {
  const char *keys[] = {"zone_id=" ZONE,           "api=v2",        "base_url='http://127.0.0.1:1'",
                        "token_env=CLOUDFLARE_T", "max_retries=1", "timeout_ms=1000",
                        "max_wait_s=10"};
  const char *names[] = {"zone_id",     "api",        "base_url",  "token_env",
                         "max_retries", "timeout_ms", "max_wait_s"};
  for (int i = 0; i < 7; i++) {
    cfr_table_args args;
    char *err;
    CHECK_INT(PARSE(&args, &err, keys[i], "store='local'"), -1); /* in either order */
    CHECK_CONTAINS(err, names[i]);
    CHECK_CONTAINS(err, "applies only to store='api'");
    sqlite3_free(err);
  }
}

/* Table arguments are stored in plain text in the schema, so a credential is refused there, and
** the error names the key and where a credential goes, never the value. */
static void credential_keys_are_refused_without_their_value(void) {
  const char *keys[] = {"token",  "api_token",     "apitoken",   "api_key",          "apikey",
                        "key",    "email",         "auth_email", "auth_key",         "password",
                        "secret", "authorization", "bearer",     "user_service_key", "TOKEN",
                        "Api_Key"};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    char arg[80];
    snprintf(arg, sizeof(arg), "%s='%s'", keys[i], SECRET);
    char *err = refusal(arg);
    char named[40];
    snprintf(named, sizeof(named), "argument '%s' refused", keys[i]);
    CHECK_CONTAINS(err, named);
    CHECK_CONTAINS(err, "CLOUDFLARE_API_TOKEN");
    CHECK_CONTAINS(err, "cfregions_set_token");
    CHECK_LACKS(err, SECRET);
    sqlite3_free(err);
  }
}

/* An argument without '=' is not quoted in the error: a token pasted on its own
** - USING origin_cloud_regions('<token>') - is exactly such an argument. */
static void an_argument_without_equals_is_not_echoed(void) {
  char *err = refusal(SECRET);
  CHECK_CONTAINS(err, "expected key=value");
  CHECK_LACKS(err, SECRET);
  sqlite3_free(err);
}

/* ---- Out of memory */

/* Whichever allocation fails, the parse fails or returns everything it was given. */
static int parse_with_failing_allocation(int n, int *complete) {
  cfr_table_args args;
  char *err;
  unit_fail_allocations_after(n);
  int rc = PARSE(&args, &err, "zone_id=" ZONE, "base_url='http://127.0.0.1:1'", "token_env=T");
  unit_fail_allocations_after(-1);
  *complete = rc == 0 && args.api.base_url && args.api.token_env;
  if (rc == 0) cfr_args_clear(&args);
  sqlite3_free(err); /* may be NULL: the message itself could not be allocated */
  return rc;
}

/* base_url and token_env are copied, and a failed copy fails the parse: were it treated as absent,
** the table would talk to Cloudflare's real API instead of the one given. */
static void a_value_that_cannot_be_copied_fails_the_parse(void) {
  for (int n = 0; n < 20; n++) {
    int complete = 0;
    int rc = parse_with_failing_allocation(n, &complete);
    if (!unit_check(rc == -1 || complete, __FILE__, __LINE__,
                    "with allocation %d failing, the parse succeeded without a value", n + 1))
      break;
    if (rc == 0) break; /* every allocation succeeded: all failure points are covered */
  }
}

static void an_allocation_failure_is_reported(void) {
  int complete = 0;
  CHECK_INT(parse_with_failing_allocation(0, &complete), -1); /* the first copy of an argument */
}

int main(void) {
  unit_init();
  RUN(an_api_table_needs_only_a_zone);
  RUN(a_local_table_takes_store_and_readonly);
  RUN(every_key_of_an_api_table);
  RUN(values_may_be_quoted_either_way_or_not_at_all);
  RUN(quotes_keep_spaces_and_undouble_as_in_sql);
  RUN(an_api_table_without_a_zone_is_refused);
  RUN(values_out_of_range_are_refused_naming_the_key);
  RUN(a_refused_value_is_quoted_in_the_error);
  RUN(a_failed_parse_keeps_nothing);
  RUN(unknown_keys_are_refused_naming_the_key_only);
  RUN(a_repeated_key_is_refused);
  RUN(an_argument_without_a_value_is_refused);
  RUN(api_keys_are_refused_for_a_local_table);
  RUN(credential_keys_are_refused_without_their_value);
  RUN(an_argument_without_equals_is_not_echoed);
  RUN(an_allocation_failure_is_reported);
  RUN(a_value_that_cannot_be_copied_fails_the_parse);
  return unit_done();
}
