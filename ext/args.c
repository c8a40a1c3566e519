/*
** args.c — argument parsing for origin_cloud_regions, in one place (as csv.c does).
**
** Every argument is `key=value`, the value optionally in single or double quotes. Unknown and
** repeated keys are errors naming the key. Keys that would carry a credential are refused: table
** arguments are stored verbatim in sqlite_schema, so a token given there would sit in plain text in
** the database file and in every copy of it.
*/
#include "args.h"
#include "cfregions_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const credential_keys[] = {
  "token", "api_token", "apitoken", "api_key", "apikey", "key", "email", "auth_email",
  "auth_key", "password", "secret", "authorization", "bearer", "user_service_key", 0
};

static const char *const known_keys[] = {
  "store", "zone_id", "api", "base_url", "token_env", "readonly", "max_retries", "timeout_ms", 0
};

static int in_list(const char *const *list, const char *key) {
  for (int i = 0; list[i]; i++)
    if (sqlite3_stricmp(list[i], key) == 0) return 1;
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

static int parse_int(const char *text, long min, long max, long *out) {
  char *end;
  if (!*text) return -1;
  long v = strtol(text, &end, 10);
  if (*end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static int is_hex32(const char *s) {
  if (strlen(s) != 32) return 0;
  for (int i = 0; i < 32; i++)
    if (!isxdigit((unsigned char)s[i])) return 0;
  return 1;
}

static int set_value(cfr_table_args *a, const char *key, const char *value, char **err) {
  long n;
  if (strcmp(key, "store") == 0) {
    if (strcmp(value, "api") == 0) a->store = CFR_STORE_API;
    else if (strcmp(value, "local") == 0) a->store = CFR_STORE_LOCAL;
    else { *err = sqlite3_mprintf("store='%s': expected 'api' or 'local'", value); return -1; }
  } else if (strcmp(key, "zone_id") == 0) {
    if (!is_hex32(value)) {
      *err = sqlite3_mprintf("zone_id='%s': expected the zone's 32 hexadecimal digits", value);
      return -1;
    }
    for (int i = 0; i < 32; i++) a->zone_id[i] = (char)tolower((unsigned char)value[i]);
    a->zone_id[32] = 0;
  } else if (strcmp(key, "api") == 0) {
    if (strcmp(value, "v2") == 0) a->api_version = 2;
    else if (strcmp(value, "v1") == 0) a->api_version = 1;
    else { *err = sqlite3_mprintf("api='%s': expected 'v2' (/origin/cloud_regions) or 'v1' (/cache/origin_cloud_regions)", value); return -1; }
  } else if (strcmp(key, "base_url") == 0) {
    if (strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0) {
      *err = sqlite3_mprintf("base_url='%s': expected an https:// URL", value);
      return -1;
    }
    a->base_url = sqlite3_mprintf("%s", value);
  } else if (strcmp(key, "token_env") == 0) {
    if (!*value) { *err = sqlite3_mprintf("token_env: expected the name of an environment variable"); return -1; }
    a->token_env = sqlite3_mprintf("%s", value);
  } else if (strcmp(key, "readonly") == 0) {
    if (parse_int(value, 0, 1, &n) != 0) { *err = sqlite3_mprintf("readonly='%s': expected 0 or 1", value); return -1; }
    a->readonly = (int)n;
  } else if (strcmp(key, "max_retries") == 0) {
    if (parse_int(value, 0, 10, &n) != 0) { *err = sqlite3_mprintf("max_retries='%s': expected a whole number from 0 to 10", value); return -1; }
    a->max_retries = (int)n;
  } else if (strcmp(key, "timeout_ms") == 0) {
    if (parse_int(value, 100, 600000, &n) != 0) { *err = sqlite3_mprintf("timeout_ms='%s': expected milliseconds from 100 to 600000", value); return -1; }
    a->timeout_ms = n;
  }
  return 0;
}

static int check_store_keys(const cfr_table_args *a, const unsigned seen, char **err) {
  /* bit i of `seen` is known_keys[i] */
  if (a->store == CFR_STORE_API) {
    if (!a->zone_id[0]) {
      *err = sqlite3_mprintf("zone_id is required for store='api' (or use store='local' for a table kept in this database)");
      return -1;
    }
    return 0;
  }
  for (int i = 0; known_keys[i]; i++) {
    int local_ok = strcmp(known_keys[i], "store") == 0 || strcmp(known_keys[i], "readonly") == 0;
    if ((seen & (1u << i)) && !local_ok) {
      *err = sqlite3_mprintf("%s applies only to store='api'", known_keys[i]);
      return -1;
    }
  }
  return 0;
}

static int key_index(const char *key) {
  for (int i = 0; known_keys[i]; i++)
    if (strcmp(known_keys[i], key) == 0) return i;
  return -1;
}

static int parse_one(const char *arg, cfr_table_args *out, unsigned *seen, char **err) {
  char *copy = sqlite3_mprintf("%s", arg);
  if (!copy) { *err = sqlite3_mprintf("out of memory"); return -1; }
  char *eq = strchr(copy, '=');
  char *key = trim(copy);
  int rc = -1;
  if (!eq) {
    *err = sqlite3_mprintf("argument '%s': expected key=value", key);
    goto done;
  }
  *eq = 0;
  key = trim(copy);
  char *value = trim(eq + 1);
  unquote(value);
  if (in_list(credential_keys, key)) {
    *err = sqlite3_mprintf(
        "argument '%s' refused: table arguments are stored in plain text in the database schema. "
        "Put the API token in the CLOUDFLARE_API_TOKEN environment variable (or name another "
        "variable with token_env=), or call cfregions_set_token(?) with a bound parameter on this connection; "
        "for an email and global API key, use CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY, or cfregions_set_credentials(?, ?)",
        key);
    goto done;
  }
  int idx = key_index(key);
  if (idx < 0) {
    *err = sqlite3_mprintf("unknown argument '%s' (expected store, zone_id, api, base_url, token_env, readonly, max_retries, timeout_ms)", key);
    goto done;
  }
  if (*seen & (1u << idx)) { *err = sqlite3_mprintf("argument '%s' given twice", key); goto done; }
  *seen |= 1u << idx;
  rc = set_value(out, key, value, err);
done:
  sqlite3_free(copy);
  return rc;
}

int cfr_args_parse(int argc, const char *const *argv, cfr_table_args *out, char **err) {
  memset(out, 0, sizeof(*out));
  out->api_version = 2;
  out->max_retries = 2;
  out->timeout_ms = 60000;
  unsigned seen = 0;
  for (int i = 3; i < argc; i++) {
    if (parse_one(argv[i], out, &seen, err) != 0) { cfr_args_clear(out); return -1; }
  }
  if (check_store_keys(out, seen, err) != 0) { cfr_args_clear(out); return -1; }
  return 0;
}

void cfr_args_clear(cfr_table_args *args) {
  sqlite3_free(args->base_url);
  sqlite3_free(args->token_env);
  args->base_url = NULL;
  args->token_env = NULL;
}
