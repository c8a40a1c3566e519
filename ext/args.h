/*
** args.h — the arguments of CREATE VIRTUAL TABLE … USING origin_cloud_regions(key=value, …), and
** the settings of one zone on Cloudflare's API, with their defaults in one place.
*/
#ifndef CFREGIONS_ARGS_H
#define CFREGIONS_ARGS_H

#define CFR_ZONE_ID_LEN 32

typedef enum cfr_store_kind { CFR_STORE_API = 0, CFR_STORE_LOCAL = 1 } cfr_store_kind;

/* Everything the API store needs to reach one zone. */
typedef struct cfr_api_settings {
  char zone_id[CFR_ZONE_ID_LEN + 1]; /* lowercase hex; "" when not given */
  int api_version;                   /* 1 or 2 */
  char *base_url;                    /* NULL: $CLOUDFLARE_BASE_URL, else Cloudflare's */
  char *token_env;                   /* NULL: CLOUDFLARE_API_TOKEN (then email + key) */
  int max_retries;                   /* HTTP retries after the first attempt */
  long timeout_ms;                   /* per attempt */
  long max_wait_s;                   /* total rate-limit waiting per statement */
} cfr_api_settings;

typedef struct cfr_table_args {
  cfr_store_kind store;
  int readonly;
  cfr_api_settings api;              /* store='api' only */
  char *zone_name;                   /* zone='example.com': found when the table is first used */
  char *zones;                       /* zones='*' or 'id,id,…': a multi-zone table */
  char account_id[CFR_ZONE_ID_LEN + 1]; /* with zones='*': only that account's zones */
  char regions_zone[CFR_ZONE_ID_LEN + 1]; /* store='local': validate against this zone; "" built-in */
} cfr_table_args;

/* The defaults: v2, base URL and token from the environment, 2 retries, 60 s, 300 s of waiting. */
void cfr_api_settings_init(cfr_api_settings *settings);
void cfr_api_settings_clear(cfr_api_settings *settings);

/* Checks a zone id (32 hexadecimal digits) and writes it in lowercase. 0, or -1 with *err
** (sqlite3_malloc'd). */
int cfr_zone_id_parse(const char *text, char out[CFR_ZONE_ID_LEN + 1], char **err);

/* Parses argv[3..argc-1] of xCreate/xConnect. Returns 0, or -1 with *err (sqlite3_malloc'd); the
** error never repeats a value that could be a secret (base_url, token_env, long values). */
int cfr_args_parse(int argc, const char *const *argv, cfr_table_args *out, char **err);
void cfr_args_clear(cfr_table_args *args);

#endif
