/*
** context.c — per-connection state. See context.h.
*/
#include "context.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct zone_regions {
  char zone_id[33];
  char *base_url;
  int api_version;
  cfr_regions *regions;
} zone_regions;

struct cfr_context {
  sqlite3 *db;
  struct cfr_table **tables; /* connected origin_cloud_regions tables, not owned */
  int ntables, tables_capacity;
  char *token;           /* cfregions_set_token(); wiped when replaced */
  char *email, *key;     /* cfregions_set_credentials() */
  char **allowed_urls;   /* cfregions_allow_base_url() */
  int nallowed, allowed_capacity;
  cfr_unapplied *unapplied;
  int nunapplied, unapplied_capacity;
  zone_regions *zones;
  int nzones, zones_capacity;
  char *commit_failure;  /* see cfr_context_note_commit_failure */
  void *zone_listing;    /* see cfr_context_keep_zone_listing */
  int open_cursors;      /* see cfr_context_cursor_opened */
  sqlite3_uint64 quiet_moments;
  void (*free_zone_listing)(void *);
};

cfr_context *cfr_context_new(sqlite3 *db) {
  cfr_context *ctx = sqlite3_malloc(sizeof(*ctx));
  if (ctx) {
    memset(ctx, 0, sizeof(*ctx));
    ctx->db = db;
  }
  return ctx;
}

/* The entries' strings are owned here; the header shows them as const to everyone else. */
static void free_unapplied_entry(cfr_unapplied *u) {
  sqlite3_free((char *)u->schema_name);
  sqlite3_free((char *)u->table_name);
  sqlite3_free((char *)u->zone_id);
}

void cfr_context_free(void *p) {
  cfr_context *ctx = p;
  if (!ctx) return;
  cfr_free_secret(ctx->token);
  cfr_free_secret(ctx->email);
  cfr_free_secret(ctx->key);
  for (int i = 0; i < ctx->nallowed; i++) sqlite3_free(ctx->allowed_urls[i]);
  sqlite3_free(ctx->allowed_urls);
  for (int i = 0; i < ctx->nunapplied; i++) free_unapplied_entry(&ctx->unapplied[i]);
  sqlite3_free(ctx->unapplied);
  for (int i = 0; i < ctx->nzones; i++) {
    sqlite3_free(ctx->zones[i].base_url);
    cfr_regions_free(ctx->zones[i].regions);
  }
  sqlite3_free(ctx->zones);
  sqlite3_free(ctx->commit_failure);
  if (ctx->zone_listing) ctx->free_zone_listing(ctx->zone_listing);
  /* SQLite disconnects every table before it destroys the module that owns this context. */
  assert(ctx->ntables == 0);
  sqlite3_free(ctx->tables);
  sqlite3_free(ctx);
}

/* ---- tables ---- */

int cfr_context_add_table(cfr_context *ctx, struct cfr_table *table) {
  struct cfr_table **grown = cfr_grow(ctx->tables, &ctx->tables_capacity, ctx->ntables + 1, sizeof(*grown));
  if (!grown) return SQLITE_NOMEM;
  ctx->tables = grown;
  grown[ctx->ntables++] = table;
  return SQLITE_OK;
}

void cfr_context_remove_table(cfr_context *ctx, struct cfr_table *table) {
  for (int i = 0; i < ctx->ntables; i++) {
    if (ctx->tables[i] != table) continue;
    ctx->tables[i] = ctx->tables[--ctx->ntables];
    return;
  }
}

int cfr_context_table_count(const cfr_context *ctx) { return ctx->ntables; }

struct cfr_table *cfr_context_table(const cfr_context *ctx, int index) {
  assert(index >= 0 && index < ctx->ntables);
  return ctx->tables[index];
}

/* ---- credentials ---- */

/* Copies text into *slot, wiping the old secret; NULL or "" leaves it cleared. */
static int replace_secret(char **slot, const char *text) {
  cfr_free_secret(*slot);
  *slot = NULL;
  if (!text || !*text) return SQLITE_OK;
  *slot = sqlite3_mprintf("%s", text);
  return *slot ? SQLITE_OK : SQLITE_NOMEM;
}

int cfr_context_set_token(cfr_context *ctx, const char *token) {
  return replace_secret(&ctx->token, token);
}

int cfr_context_set_email_key(cfr_context *ctx, const char *email, const char *key) {
  int rc = replace_secret(&ctx->email, email);
  if (rc == SQLITE_OK) rc = replace_secret(&ctx->key, key);
  if (rc != SQLITE_OK) {
    replace_secret(&ctx->email, NULL);
    replace_secret(&ctx->key, NULL);
  }
  return rc;
}

int cfr_context_has_token(const cfr_context *ctx) { return ctx->token != NULL; }
int cfr_context_has_email_key(const cfr_context *ctx) { return ctx->email && ctx->key; }

static const char *env_value(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

int cfr_context_credentials(const cfr_context *ctx, const char *token_env, cfr_credentials *out,
                            char **err) {
  memset(out, 0, sizeof(*out));
  const char *name = token_env ? token_env : "CLOUDFLARE_API_TOKEN";
  if (ctx->token) out->token = ctx->token;
  else if (ctx->email && ctx->key) { out->email = ctx->email; out->key = ctx->key; }
  else if ((out->token = env_value(name)) != NULL) {}
  else if (!token_env && env_value("CLOUDFLARE_EMAIL") && env_value("CLOUDFLARE_API_KEY")) {
    out->email = env_value("CLOUDFLARE_EMAIL");
    out->key = env_value("CLOUDFLARE_API_KEY");
  } else {
    *err = sqlite3_mprintf("no API credentials: set %s (an API token with Zone Cache Rules "
                           "permission)%s, or call cfregions_set_token(?) on this connection", name,
                           token_env ? "" : ", or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY");
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* ---- allowed base URLs ---- */

int cfr_context_allow_base_url(cfr_context *ctx, const char *url) {
  if (cfr_context_base_url_allowed(ctx, url)) return SQLITE_OK;
  char **grown = cfr_grow(ctx->allowed_urls, &ctx->allowed_capacity, ctx->nallowed + 1, sizeof(char *));
  if (!grown) return SQLITE_NOMEM;
  ctx->allowed_urls = grown;
  if (!(grown[ctx->nallowed] = sqlite3_mprintf("%s", url))) return SQLITE_NOMEM;
  ctx->nallowed++;
  return SQLITE_OK;
}

int cfr_context_base_url_allowed(const cfr_context *ctx, const char *url) {
  for (int i = 0; i < ctx->nallowed; i++)
    if (strcmp(ctx->allowed_urls[i], url) == 0) return 1;
  return 0;
}

/* ---- unapplied changes ---- */

static int same_table(const cfr_unapplied *u, const char *schema_name, const char *table_name) {
  return sqlite3_stricmp(u->table_name, table_name) == 0 && sqlite3_stricmp(u->schema_name, schema_name) == 0;
}

/* The index of the table's entry for ip, or -1. */
/* The index of the table's entry for ip in zone (a multi-zone table may list one IP per zone). */
static int find_unapplied(const cfr_context *ctx, const char *schema_name, const char *table_name,
                          const char *zone_id, const char *ip) {
  for (int i = 0; i < ctx->nunapplied; i++) {
    const cfr_unapplied *u = &ctx->unapplied[i];
    if (strcmp(u->change.mapping.origin_ip, ip) == 0 && strcmp(u->zone_id, zone_id) == 0 &&
        same_table(u, schema_name, table_name))
      return i;
  }
  return -1;
}

static void remove_unapplied(cfr_context *ctx, int i) {
  free_unapplied_entry(&ctx->unapplied[i]);
  memmove(&ctx->unapplied[i], &ctx->unapplied[i + 1], (size_t)(ctx->nunapplied - i - 1) * sizeof(cfr_unapplied));
  ctx->nunapplied--;
}

static int append_unapplied(cfr_context *ctx, const char *schema_name, const char *table_name,
                            const char *zone_id, const cfr_change *change) {
  cfr_unapplied *grown = cfr_grow(ctx->unapplied, &ctx->unapplied_capacity, ctx->nunapplied + 1,
                                  sizeof(cfr_unapplied));
  if (!grown) return SQLITE_NOMEM;
  ctx->unapplied = grown;
  cfr_unapplied *u = &grown[ctx->nunapplied];
  u->schema_name = sqlite3_mprintf("%s", schema_name);
  u->table_name = sqlite3_mprintf("%s", table_name);
  u->zone_id = sqlite3_mprintf("%s", zone_id);
  u->change = *change;
  if (!u->schema_name || !u->table_name || !u->zone_id) {
    free_unapplied_entry(u);
    return SQLITE_NOMEM;
  }
  ctx->nunapplied++;
  return SQLITE_OK;
}

int cfr_context_record_outcomes(cfr_context *ctx, const char *schema_name, const char *table_name,
                                const char *zone_id, const cfr_change *changes, int n) {
  for (int i = 0; i < n; i++) {
    int k = find_unapplied(ctx, schema_name, table_name, zone_id, changes[i].mapping.origin_ip);
    if (k >= 0) remove_unapplied(ctx, k);
    if (changes[i].applied) continue;
    int rc = append_unapplied(ctx, schema_name, table_name, zone_id, &changes[i]);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

int cfr_context_list_unapplied(cfr_context *ctx, const char *schema_name, const char *table_name,
                               const char *zone_id, const cfr_change *change) {
  if (find_unapplied(ctx, schema_name, table_name, zone_id, change->mapping.origin_ip) >= 0) return SQLITE_OK;
  return append_unapplied(ctx, schema_name, table_name, zone_id, change);
}

void cfr_context_forget_unapplied(cfr_context *ctx, const char *schema_name, const char *table_name,
                                  const char *zone_id, const char *origin_ip) {
  int k = find_unapplied(ctx, schema_name, table_name, zone_id, origin_ip);
  if (k >= 0) remove_unapplied(ctx, k);
}

int cfr_context_rename_unapplied(cfr_context *ctx, const char *schema_name, const char *old_name,
                                 const char *new_name) {
  for (int i = 0; i < ctx->nunapplied; i++) {
    cfr_unapplied *u = &ctx->unapplied[i];
    if (!same_table(u, schema_name, old_name)) continue;
    char *name = sqlite3_mprintf("%s", new_name);
    if (!name) return SQLITE_NOMEM;
    sqlite3_free((char *)u->table_name);
    u->table_name = name;
  }
  return SQLITE_OK;
}

int cfr_context_unapplied_count(const cfr_context *ctx) { return ctx->nunapplied; }

const cfr_unapplied *cfr_context_unapplied(const cfr_context *ctx, int index) {
  assert(index >= 0 && index < ctx->nunapplied);
  return &ctx->unapplied[index];
}

void cfr_context_note_commit_failure(cfr_context *ctx, const char *table_name, const char *why) {
  if (ctx->commit_failure) return; /* the first failure is the one that stopped the COMMIT */
  ctx->commit_failure = sqlite3_mprintf("the COMMIT failed at table %s: %s", table_name, why ? why : "error");
}

const char *cfr_context_commit_failure(const cfr_context *ctx) { return ctx->commit_failure; }

void cfr_context_forget_commit_failure(cfr_context *ctx) {
  sqlite3_free(ctx->commit_failure);
  ctx->commit_failure = NULL;
}

/* ---- region lists per zone ---- */

const cfr_regions *cfr_context_zone_regions(const cfr_context *ctx, const char *zone_id,
                                            const char *base_url, int api_version) {
  for (int i = 0; i < ctx->nzones; i++) {
    const zone_regions *z = &ctx->zones[i];
    if (strcmp(z->zone_id, zone_id) == 0 && strcmp(z->base_url, base_url) == 0 && z->api_version == api_version)
      return z->regions;
  }
  return NULL;
}

int cfr_context_cache_zone_regions(cfr_context *ctx, const char *zone_id, const char *base_url,
                                   int api_version, cfr_regions *regions) {
  zone_regions *grown = cfr_grow(ctx->zones, &ctx->zones_capacity, ctx->nzones + 1, sizeof(zone_regions));
  if (!grown) { cfr_regions_free(regions); return SQLITE_NOMEM; }
  ctx->zones = grown;
  zone_regions *z = &grown[ctx->nzones];
  memset(z, 0, sizeof(*z));
  if (cfr_copy_field(z->zone_id, sizeof(z->zone_id), zone_id) != 0 ||
      !(z->base_url = sqlite3_mprintf("%s", base_url))) {
    cfr_regions_free(regions);
    return SQLITE_NOMEM;
  }
  z->api_version = api_version;
  z->regions = regions;
  ctx->nzones++;
  return SQLITE_OK;
}

/* ---- statements ---- */

/* The busy statements and their run counts, hashed; 0 when none runs. */
static sqlite3_uint64 busy_statements(sqlite3 *db) {
  sqlite3_uint64 x = 0;
  for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s)) {
    if (!sqlite3_stmt_busy(s)) continue;
    sqlite3_uint64 h = (sqlite3_uint64)(uintptr_t)s * 0x9e3779b97f4a7c15ULL;
    h ^= (sqlite3_uint64)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN, 0) * 0xc2b2ae3d27d4eb4fULL;
    x = (x ^ h) * 0x100000001b3ULL + 1;
  }
  return x;
}

void cfr_context_cursor_opened(cfr_context *ctx) { ctx->open_cursors++; }

void cfr_context_cursor_closed(cfr_context *ctx) {
  assert(ctx->open_cursors > 0);
  if (--ctx->open_cursors > 0) return;
  /* A write statement closes its cursors before it writes and COMMITs: it is still the same
  ** statement then (once it ends, the change count it adds tells the next one apart). */
  sqlite3_int64 run;
  if (cfr_writing_statement(ctx->db, &run)) return;
  ctx->quiet_moments++;
  cfr_context_keep_zone_listing(ctx, NULL, NULL);
}

sqlite3_uint64 cfr_context_statement(const cfr_context *ctx) {
  sqlite3_uint64 running = busy_statements(ctx->db);
  if (running == 0) return 0;
  running ^= ctx->quiet_moments * 0x9e3779b97f4a7c15ULL;
  return running ^ (sqlite3_uint64)sqlite3_total_changes64(ctx->db) * 0xc2b2ae3d27d4eb4fULL;
}

/* ---- the last zone listing ---- */

void *cfr_context_zone_listing(const cfr_context *ctx) { return ctx->zone_listing; }

void cfr_context_keep_zone_listing(cfr_context *ctx, void *listing, void (*free_listing)(void *)) {
  if (ctx->zone_listing && ctx->free_zone_listing) ctx->free_zone_listing(ctx->zone_listing);
  ctx->zone_listing = listing;
  ctx->free_zone_listing = free_listing;
}
