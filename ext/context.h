/*
** context.h — what one database connection keeps between statements, shared by every table on it:
** the credentials set with cfregions_set_token() (memory only), the base URLs the user allowed with
** cfregions_allow_base_url(), the changes COMMITs could not apply, and the supported-region lists
** fetched per zone. The state is private to context.c; other modules use these functions. The SQL
** faces of this state are in context_sql.c.
*/
#ifndef CFREGIONS_CONTEXT_H
#define CFREGIONS_CONTEXT_H

#include "store.h"

/* The state of connection db. */
cfr_context *cfr_context_new(sqlite3 *db);
void cfr_context_free(void *ctx);

/* ---- the connection's origin_cloud_regions tables (for cfregions_pending, cfregions_retry) ---- */

struct cfr_table;
/* A table registers itself when connected and leaves when disconnected. */
int cfr_context_add_table(cfr_context *ctx, struct cfr_table *table);
void cfr_context_remove_table(cfr_context *ctx, struct cfr_table *table);
int cfr_context_table_count(const cfr_context *ctx);
struct cfr_table *cfr_context_table(const cfr_context *ctx, int index);

/* ---- credentials ---- */

/* Replaces the connection's token, or its email + global API key (NULL or "" clears). The old
** values are wiped. SQLITE_OK or SQLITE_NOMEM. */
int cfr_context_set_token(cfr_context *ctx, const char *token);
int cfr_context_set_email_key(cfr_context *ctx, const char *email, const char *key);
int cfr_context_has_token(const cfr_context *ctx);
int cfr_context_has_email_key(const cfr_context *ctx);

/* The credentials in force for a table, borrowed (valid until the next call that changes them):
** the connection's token; else its email + key; else the variable named token_env (default
** CLOUDFLARE_API_TOKEN); else, when token_env is not given, CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY.
** Exactly one of token or (email, key) is set on success; SQLITE_ERROR with *err when none is. */
typedef struct cfr_credentials {
  const char *token;
  const char *email, *key;
} cfr_credentials;
int cfr_context_credentials(const cfr_context *ctx, const char *token_env, cfr_credentials *out,
                            char **err);

/* ---- base URLs the user allowed on this connection ---- */

/* url must already be normalized by the caller (see store_api.c). */
int cfr_context_allow_base_url(cfr_context *ctx, const char *url);
int cfr_context_base_url_allowed(const cfr_context *ctx, const char *url);

/* ---- changes a COMMIT could not apply ---- */

typedef struct cfr_unapplied {
  const char *schema_name; /* the database holding the table: "main", or an attached one */
  const char *table_name;
  const char *zone_id;     /* "" for a local table */
  cfr_change change;       /* kind, end state, error */
} cfr_unapplied;

/* Records what a COMMIT (or a retry) did with each change: an applied change takes its IP off the
** table's list; one that was not applied replaces whatever was listed for its IP. IPs the changes do
** not name keep their entries. Entries are keyed by (table, zone, IP): a multi-zone table may list
** the same IP in several zones. */
int cfr_context_record_outcomes(cfr_context *ctx, const char *schema_name, const char *table_name,
                                const char *zone_id, const cfr_change *changes, int n);
/* Lists a change found in the COMMIT journal, unless the table's list has its IP already (what this
** connection saw itself is newer). */
int cfr_context_list_unapplied(cfr_context *ctx, const char *schema_name, const char *table_name,
                               const char *zone_id, const cfr_change *change);
/* Takes one IP off a table's list (it reached its end state some other way). */
void cfr_context_forget_unapplied(cfr_context *ctx, const char *schema_name, const char *table_name,
                                  const char *zone_id, const char *origin_ip);
/* ALTER TABLE … RENAME: the table's entries follow it. */
int cfr_context_rename_unapplied(cfr_context *ctx, const char *schema_name, const char *old_name,
                                 const char *new_name);
int cfr_context_unapplied_count(const cfr_context *ctx);
const cfr_unapplied *cfr_context_unapplied(const cfr_context *ctx, int index);

/* A COMMIT failing at one table rolls the whole transaction back: the other tables' changes, sent
** or not, are then listed too. The failing table notes it here (the text is copied); xBegin of the
** next transaction forgets it. NULL when no COMMIT failed since. */
void cfr_context_note_commit_failure(cfr_context *ctx, const char *table_name, const char *why);
const char *cfr_context_commit_failure(const cfr_context *ctx);
void cfr_context_forget_commit_failure(cfr_context *ctx);

/* ---- supported-region lists per zone ---- */

/* The list cached for (zone, base_url, api_version); NULL when not fetched yet. */
const cfr_regions *cfr_context_zone_regions(const cfr_context *ctx, const char *zone_id,
                                            const char *base_url, int api_version);
/* Takes ownership of regions (freed here even on failure). */
int cfr_context_cache_zone_regions(cfr_context *ctx, const char *zone_id, const char *base_url,
                                   int api_version, cfr_regions *regions);

/* ---- statements: what one statement's reads and writes share ---- */

/* Told by every cursor of the extension's tables when it opens and closes. When none is left
** open and no write statement runs, a statement has ended: the zone listing it kept is dropped. */
void cfr_context_cursor_opened(cfr_context *ctx);
void cfr_context_cursor_closed(cfr_context *ctx);
/* A stamp of the statements running now, to tell one statement's execution from the next (the
** rate-limit wait budget, the zone listing are per statement); 0 when none runs. A statement
** prepared where a finalized one was, on its first run too, is told apart by the moments no cursor
** was open and by the connection's change count. */
sqlite3_uint64 cfr_context_statement(const cfr_context *ctx);

/* ---- the last zone listing (zones.c keeps it for the other reads of the same statement) ---- */

void *cfr_context_zone_listing(const cfr_context *ctx);
/* Replaces it; the old one is freed with the function it was kept with. */
void cfr_context_keep_zone_listing(cfr_context *ctx, void *listing, void (*free_listing)(void *));

#endif
