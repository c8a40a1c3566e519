/*
** args.h — the arguments of CREATE VIRTUAL TABLE … USING origin_cloud_regions(key=value, …).
*/
#ifndef CFREGIONS_ARGS_H
#define CFREGIONS_ARGS_H

typedef enum cfr_store_kind { CFR_STORE_API = 0, CFR_STORE_LOCAL = 1 } cfr_store_kind;

typedef struct cfr_table_args {
  cfr_store_kind store;
  char zone_id[33];        /* "" when not given */
  int api_version;         /* 1 or 2 */
  char *base_url;          /* NULL: $CLOUDFLARE_BASE_URL, else Cloudflare's */
  char *token_env;         /* NULL: CLOUDFLARE_API_TOKEN (then email + key) */
  int readonly;
  int max_retries;
  long timeout_ms;
} cfr_table_args;

/* Parses argv[3..argc-1] of xCreate/xConnect. Returns 0, or -1 with *err (sqlite3_malloc'd). */
int cfr_args_parse(int argc, const char *const *argv, cfr_table_args *out, char **err);
void cfr_args_clear(cfr_table_args *args);

#endif
