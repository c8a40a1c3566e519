/*
** args.c — argument parsing for origin_cloud_regions, in one place (as csv.c does).
**
** Every argument is `key=value`, the value optionally in single or double quotes (a zone id that
** starts with a digit must be quoted: SQLite's tokenizer refuses it bare). Keys are matched without
** regard to case. Unknown and repeated keys are errors naming the key. Keys that would carry a
** credential are refused: table arguments are stored verbatim in sqlite_schema, so a token given
** there would sit in plain text in the database file and in every copy of it. For the same reason
** an error never repeats a value that may be a secret.
*/
#include "args.h"
#include "cfregions_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_API_VERSION 2
#define DEFAULT_MAX_RETRIES 2
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_WAIT_S 300
#define ECHO_MAX 40 /* longer values are not repeated in errors */

static const char *const credential_keys[] = {
  "token", "api_token", "apitoken", "api_key", "apikey", "key", "email", "auth_email",
  "auth_key", "password", "secret", "authorization", "bearer", "user_service_key", 0
};

typedef int (*value_parser)(cfr_table_args *a, const char *value, char **err);

/* The value as it may appear in an error: quoted, or a placeholder when it is long or unusual. */
static char *shown(const char *value) {
  size_t n = strlen(value);
  int plain = n <= ECHO_MAX;
  for (size_t i = 0; plain && i < n; i++)
    if (!isprint((unsigned char)value[i])) plain = 0;
  return plain ? sqlite3_mprintf("'%q'", value) : sqlite3_mprintf("(a value of %d bytes)", (int)n);
}

static int bad_value(const char *key, const char *value, const char *expected, char **err) {
  char *v = shown(value);
  *err = sqlite3_mprintf("%s=%s: expected %s", key, v ? v : "", expected);
  sqlite3_free(v);
  return -1;
}

static int parse_long(const char *text, long min, long max, long *out) {
  char *end;
  if (!*text || isspace((unsigned char)*text)) return -1;
  long v = strtol(text, &end, 10);
  if (*end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static char *copy_text(const char *value, char **err) {
  char *copy = sqlite3_mprintf("%s", value);
  if (!copy) *err = sqlite3_mprintf("out of memory");
  return copy;
}

int cfr_zone_id_parse(const char *text, char out[CFR_ZONE_ID_LEN + 1], char **err) {
  size_t n = strlen(text);
  int ok = n == CFR_ZONE_ID_LEN;
  for (size_t i = 0; ok && i < n; i++) ok = isxdigit((unsigned char)text[i]) != 0;
  if (!ok) return bad_value("zone_id", text, "the zone's 32 hexadecimal digits", err);
  for (int i = 0; i < CFR_ZONE_ID_LEN; i++) out[i] = (char)tolower((unsigned char)text[i]);
  out[CFR_ZONE_ID_LEN] = 0;
  return 0;
}

static int set_store(cfr_table_args *a, const char *v, char **err) {
  if (strcmp(v, "api") == 0) a->store = CFR_STORE_API;
  else if (strcmp(v, "local") == 0) a->store = CFR_STORE_LOCAL;
  else return bad_value("store", v, "'api' or 'local'", err);
  return 0;
}

static int set_zone_id(cfr_table_args *a, const char *v, char **err) {
  return cfr_zone_id_parse(v, a->api.zone_id, err);
}

static int set_api(cfr_table_args *a, const char *v, char **err) {
  if (strcmp(v, "v2") == 0) a->api.api_version = 2;
  else if (strcmp(v, "v1") == 0) a->api.api_version = 1;
  else return bad_value("api", v, "'v2' (/origin/cloud_regions) or 'v1' (/cache/origin_cloud_regions)", err);
  return 0;
}

/* Only the scheme is checked here; whether the URL may be used is decided before each request
** (the database file must not choose where credentials go). The value is never repeated: a URL can
** carry a password. */
static int set_base_url(cfr_table_args *a, const char *v, char **err) {
  if (sqlite3_strnicmp(v, "https://", 8) != 0 && sqlite3_strnicmp(v, "http://", 7) != 0) {
    *err = sqlite3_mprintf("base_url: expected an https:// URL (the value is not repeated here)");
    return -1;
  }
  return (a->api.base_url = copy_text(v, err)) ? 0 : -1;
}

/* A token pasted here by mistake must not be echoed, nor may a database file make the extension
** send an unrelated secret (AWS_SECRET_ACCESS_KEY, …) as a Cloudflare token. */
static int set_token_env(cfr_table_args *a, const char *v, char **err) {
  int ok = strncmp(v, "CLOUDFLARE_", 11) == 0 && v[11];
  for (size_t i = 0; ok && v[i]; i++) ok = isalnum((unsigned char)v[i]) || v[i] == '_';
  if (!ok) {
    *err = sqlite3_mprintf("token_env: expected the name of an environment variable beginning with "
                           "CLOUDFLARE_, such as CLOUDFLARE_API_TOKEN (the value is not repeated here)");
    return -1;
  }
  return (a->api.token_env = copy_text(v, err)) ? 0 : -1;
}

static int set_regions_zone(cfr_table_args *a, const char *v, char **err) {
  if (cfr_zone_id_parse(v, a->regions_zone, err) == 0) return 0;
  sqlite3_free(*err);
  return bad_value("regions_zone", v, "the zone's 32 hexadecimal digits", err);
}

static int set_zone(cfr_table_args *a, const char *v, char **err) {
  size_t n = strlen(v);
  int ok = n > 0 && n <= 253;
  for (size_t i = 0; ok && i < n; i++) ok = isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '-' || v[i] == '_';
  if (!ok) return bad_value("zone", v, "a zone name such as example.com", err);
  return (a->zone_name = copy_text(v, err)) ? 0 : -1;
}

/* '*', or zone ids separated by commas (each checked, stored lowercase). */
static int set_zones(cfr_table_args *a, const char *v, char **err) {
  if (strcmp(v, "*") == 0) return (a->zones = copy_text(v, err)) ? 0 : -1;
  sqlite3_str *s = sqlite3_str_new(NULL);
  const char *p = v;
  int count = 0;
  while (*p) {
    size_t len = strcspn(p, ",");
    char id[CFR_ZONE_ID_LEN + 1], text[CFR_ZONE_ID_LEN + 2];
    int ok = len <= CFR_ZONE_ID_LEN;
    if (ok) {
      memcpy(text, p, len);
      text[len] = 0;
      char *why = NULL;
      ok = cfr_zone_id_parse(text, id, &why) == 0;
      sqlite3_free(why);
    }
    if (!ok) {
      sqlite3_free(sqlite3_str_finish(s));
      return bad_value("zones", v, "'*' or zone ids (32 hexadecimal digits) separated by commas", err);
    }
    sqlite3_str_appendf(s, "%s%s", count++ ? "," : "", id);
    p += len + (p[len] == ',');
  }
  a->zones = sqlite3_str_finish(s);
  if (count == 0 || !a->zones) {
    sqlite3_free(a->zones);
    a->zones = NULL;
    return count ? -1 : bad_value("zones", v, "'*' or zone ids separated by commas", err);
  }
  return 0;
}

static int set_account_id(cfr_table_args *a, const char *v, char **err) {
  if (cfr_zone_id_parse(v, a->account_id, err) == 0) return 0; /* account ids have the same shape */
  sqlite3_free(*err);
  return bad_value("account_id", v, "the account's 32 hexadecimal digits", err);
}

static int set_readonly(cfr_table_args *a, const char *v, char **err) {
  long n;
  if (parse_long(v, 0, 1, &n) != 0) return bad_value("readonly", v, "0 or 1", err);
  a->readonly = (int)n;
  return 0;
}

static int set_max_retries(cfr_table_args *a, const char *v, char **err) {
  long n;
  if (parse_long(v, 0, 10, &n) != 0) return bad_value("max_retries", v, "a whole number from 0 to 10", err);
  a->api.max_retries = (int)n;
  return 0;
}

static int set_timeout_ms(cfr_table_args *a, const char *v, char **err) {
  long n;
  if (parse_long(v, 100, 600000, &n) != 0)
    return bad_value("timeout_ms", v, "milliseconds from 100 to 600000", err);
  a->api.timeout_ms = n;
  return 0;
}

static int set_max_wait_s(cfr_table_args *a, const char *v, char **err) {
  long n;
  if (parse_long(v, 0, 3600, &n) != 0) return bad_value("max_wait_s", v, "seconds from 0 to 3600", err);
  a->api.max_wait_s = n;
  return 0;
}

static const struct {
  const char *key;
  value_parser parse;
  int local_too; /* also allowed on store='local' */
} keys[] = {
  {"store", set_store, 1},          {"zone_id", set_zone_id, 0},
  {"api", set_api, 0},              {"base_url", set_base_url, 0},
  {"token_env", set_token_env, 0},  {"readonly", set_readonly, 1},
  {"max_retries", set_max_retries, 0}, {"timeout_ms", set_timeout_ms, 0},
  {"max_wait_s", set_max_wait_s, 0}, {"regions_zone", set_regions_zone, 1},
  {"zone", set_zone, 0},            {"zones", set_zones, 0},
  {"account_id", set_account_id, 0},
};
#define NKEYS (int)(sizeof(keys) / sizeof(keys[0]))

static int key_index(const char *key) {
  for (int i = 0; i < NKEYS; i++)
    if (sqlite3_stricmp(keys[i].key, key) == 0) return i;
  return -1;
}

static int is_credential_key(const char *key) {
  for (int i = 0; credential_keys[i]; i++)
    if (sqlite3_stricmp(credential_keys[i], key) == 0) return 1;
  return 0;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return s;
}

/* Strips one level of matching quotes, undoubling embedded ones as SQL does. */
static void unquote(char *s) {
  size_t n = strlen(s);
  if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0]) return;
  char q = s[0];
  size_t j = 0;
  for (size_t i = 1; i < n - 1; i++) {
    s[j++] = s[i];
    if (s[i] == q && s[i + 1] == q) i++;
  }
  s[j] = 0;
}

static char *known_keys_text(void) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  for (int i = 0; i < NKEYS; i++) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", keys[i].key);
  return sqlite3_str_finish(s);
}

static int refuse_credential(const char *key, char **err) {
  *err = sqlite3_mprintf(
      "argument '%s' refused: table arguments are stored in plain text in the database schema. "
      "Put the API token in the CLOUDFLARE_API_TOKEN environment variable (or name another "
      "CLOUDFLARE_ variable with token_env=), or call cfregions_set_token(?) with a bound parameter "
      "on this connection; for an email and global API key, use CLOUDFLARE_EMAIL and "
      "CLOUDFLARE_API_KEY, or cfregions_set_credentials(?, ?)", key);
  return -1;
}

/* One key=value. seen: bit i set once keys[i] was given. */
static int parse_one(const char *arg, cfr_table_args *out, unsigned *seen, char **err) {
  char *copy = sqlite3_mprintf("%s", arg);
  if (!copy) { *err = sqlite3_mprintf("out of memory"); return -1; }
  int rc = -1;
  char *eq = strchr(copy, '=');
  if (!eq) {
    /* A known key is named; anything else may be a secret pasted alone, and is not repeated. */
    char *key = trim(copy);
    if (key_index(key) >= 0) *err = sqlite3_mprintf("argument '%s': expected key=value", key);
    else *err = sqlite3_mprintf("an argument without '=': expected key=value (the text is not repeated here)");
  } else {
    *eq = 0;
    char *key = trim(copy), *value = trim(eq + 1);
    unquote(value);
    int idx = is_credential_key(key) ? -2 : key_index(key);
    if (idx == -2) rc = refuse_credential(key, err);
    else if (idx < 0) {
      char *known = known_keys_text();
      *err = sqlite3_mprintf("unknown argument '%s' (expected %s)", key, known ? known : "");
      sqlite3_free(known);
    } else if (*seen & (1u << idx)) *err = sqlite3_mprintf("argument '%s' given twice", keys[idx].key);
    else {
      *seen |= 1u << idx;
      rc = keys[idx].parse(out, value, err);
    }
  }
  sqlite3_free(copy);
  return rc;
}

static int check_store_keys(const cfr_table_args *a, unsigned seen, char **err) {
  if (a->store == CFR_STORE_API) {
    if (a->regions_zone[0]) {
      *err = sqlite3_mprintf("regions_zone applies only to store='local' (an API table validates against its own zone)");
      return -1;
    }
    int named = (a->api.zone_id[0] != 0) + (a->zone_name != NULL) + (a->zones != NULL);
    if (named > 1) {
      *err = sqlite3_mprintf("give one of zone_id, zone or zones");
      return -1;
    }
    if (a->account_id[0] && !(a->zones && strcmp(a->zones, "*") == 0)) {
      *err = sqlite3_mprintf("account_id goes with zones='*' (every zone of that account)");
      return -1;
    }
    if (named == 1) return 0;
    *err = sqlite3_mprintf("zone_id is required for store='api' (or zone='example.com', or zones='*' for "
                           "every zone; or use store='local' for a table kept in this database)");
    return -1;
  }
  for (int i = 0; i < NKEYS; i++) {
    if ((seen & (1u << i)) && !keys[i].local_too) {
      *err = sqlite3_mprintf("%s applies only to store='api'", keys[i].key);
      return -1;
    }
  }
  return 0;
}

void cfr_api_settings_init(cfr_api_settings *s) {
  memset(s, 0, sizeof(*s));
  s->api_version = DEFAULT_API_VERSION;
  s->max_retries = DEFAULT_MAX_RETRIES;
  s->timeout_ms = DEFAULT_TIMEOUT_MS;
  s->max_wait_s = DEFAULT_MAX_WAIT_S;
}

void cfr_api_settings_clear(cfr_api_settings *s) {
  sqlite3_free(s->base_url);
  sqlite3_free(s->token_env);
  s->base_url = s->token_env = NULL;
}

int cfr_args_parse(int argc, const char *const *argv, cfr_table_args *out, char **err) {
  memset(out, 0, sizeof(*out));
  cfr_api_settings_init(&out->api);
  unsigned seen = 0;
  for (int i = 3; i < argc; i++) {
    if (parse_one(argv[i], out, &seen, err) != 0) { cfr_args_clear(out); return -1; }
  }
  if (check_store_keys(out, seen, err) != 0) { cfr_args_clear(out); return -1; }
  return 0;
}

void cfr_args_clear(cfr_table_args *args) {
  cfr_api_settings_clear(&args->api);
  sqlite3_free(args->zone_name);
  sqlite3_free(args->zones);
  args->zone_name = args->zones = NULL;
}
