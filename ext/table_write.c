/*
** table_write.c — writes to origin_cloud_regions: validation, the per-transaction write buffer
** and COMMIT.
**
** Each INSERT/UPDATE/DELETE is validated at once (so the statement fails on the row at fault) and
** recorded in the transaction's view; nothing reaches the store until COMMIT. xSync then turns the
** view's net changes (same IP coalesced, no-ops dropped) into batches of at most 100 upserts or
** deletes. A remote store cannot roll back (as with zipfile.c), so a COMMIT that could not apply
** everything fails, says what was and was not applied, and leaves the full list of unapplied
** changes in the cfregions_unapplied table; re-running the same statements sends only the rest.
*/
#include "table.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ERRORS_NAMED_IN_MESSAGE 5

static int fail(cfr_table *tab, int rc, char *msg) {
  sqlite3_free(tab->base.zErrMsg);
  tab->base.zErrMsg = msg;
  return rc;
}

/* A value as an SQL literal, as quote() writes it: 'text', 42, NULL, X'C0000201'. */
static void append_literal(sqlite3_str *s, sqlite3_value *v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: sqlite3_str_appendall(s, "NULL"); break;
    case SQLITE_INTEGER: sqlite3_str_appendf(s, "%lld", sqlite3_value_int64(v)); break;
    case SQLITE_FLOAT: sqlite3_str_appendf(s, "%!.15g", sqlite3_value_double(v)); break;
    case SQLITE_BLOB: {
      const unsigned char *b = sqlite3_value_blob(v);
      int n = sqlite3_value_bytes(v);
      sqlite3_str_appendall(s, "X'");
      for (int i = 0; i < n && i < 64; i++) sqlite3_str_appendf(s, "%02X", b[i]);
      sqlite3_str_appendall(s, n > 64 ? "...'" : "'");
      break;
    }
    default: sqlite3_str_appendf(s, "%Q", sqlite3_value_text(v)); break;
  }
}

/* "('10.0.0.1', 'aws', 'us-east-1')": the row as the user wrote it, for error messages. */
static char *describe_row(sqlite3_value *ip, sqlite3_value *vendor, sqlite3_value *region) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(s, 1, '(');
  append_literal(s, ip);
  sqlite3_str_appendall(s, ", ");
  append_literal(s, vendor);
  sqlite3_str_appendall(s, ", ");
  append_literal(s, region);
  sqlite3_str_appendchar(s, 1, ')');
  return sqlite3_str_finish(s);
}

/* rc: SQLITE_CONSTRAINT for a conflict with an existing mapping, which OR IGNORE may skip and OR
** FAIL/ROLLBACK govern; an extended code (CHECK, NOTNULL) for an invalid row. Under OR IGNORE, SQLite
** drops any constraint error silently, so an invalid row is then reported as a plain error: bad
** input must never vanish unnoticed. */
static int row_error(cfr_table *tab, int rc, const char *verb, sqlite3_value **cols, const char *cause) {
  int ignoring = rc != SQLITE_CONSTRAINT && sqlite3_vtab_on_conflict(tab->db) == SQLITE_IGNORE;
  char *row = describe_row(cols[COL_ORIGIN_IP], cols[COL_VENDOR], cols[COL_REGION]);
  char *msg = sqlite3_mprintf("%s: cannot %s %s: %s%s", tab->name, verb, row ? row : "row", cause,
                              ignoring ? " (OR IGNORE skips only IPs that already have a mapping)" : "");
  sqlite3_free(row);
  return fail(tab, ignoring ? SQLITE_ERROR : rc, msg);
}

static int regions_for(cfr_table *tab, const cfr_regions **regions) {
  char *err = NULL;
  int rc = tab->store->methods->regions(tab->store, regions, &err);
  if (rc != SQLITE_OK) return fail(tab, rc, sqlite3_mprintf("%s: %s", tab->name, err ? err : "no region list"));
  sqlite3_free(err);
  return SQLITE_OK;
}

static int text_field(sqlite3_value *v, char *dst, size_t size) {
  if (sqlite3_value_type(v) != SQLITE_TEXT) return -1;
  return cfr_copy_field(dst, size, (const char *)sqlite3_value_text(v));
}

/* An UPDATE leaves modified_on alone when SQLite says so (sqlite3_value_nochange), or when it passes
** the row's own value back: UPDATE … FROM reads the row into a temporary table first, and then
** hands xUpdate the column's value instead. old: the row's value as cursors show it. */
static int modified_on_unchanged(sqlite3_value *v, const cfr_value *old) {
  if (sqlite3_value_nochange(v)) return 1;
  if (!old) return 0;
  if (sqlite3_value_type(v) == SQLITE_NULL) return old->modified_on[0] == 0;
  return sqlite3_value_type(v) == SQLITE_TEXT && strcmp((const char *)sqlite3_value_text(v), old->modified_on) == 0;
}

/* Checks the new values of a row (cols = origin_ip, vendor, region, modified_on) and fills value and
** the canonical IP. is_update: modified_on must be left unchanged (old: the row before the update,
** NULL if unknown) rather than NULL. */
static int validate_row(cfr_table *tab, const char *verb, sqlite3_value **cols, int is_update,
                        const cfr_value *old, char *ip, cfr_value *value) {
  const cfr_regions *regions;
  int rc = regions_for(tab, &regions);
  if (rc != SQLITE_OK) return rc;
  if (is_update ? !modified_on_unchanged(cols[COL_MODIFIED_ON], old) : sqlite3_value_type(cols[COL_MODIFIED_ON]) != SQLITE_NULL)
    return row_error(tab, SQLITE_CONSTRAINT_CHECK, verb, cols, "modified_on is set by the store and cannot be written");
  for (int c = COL_ORIGIN_IP; c <= COL_REGION; c++) {
    static const char *const names[] = {"origin_ip", "vendor", "region"};
    if (sqlite3_value_type(cols[c]) == SQLITE_NULL) {
      char *cause = sqlite3_mprintf("%s is NULL", names[c]);
      rc = row_error(tab, SQLITE_CONSTRAINT_NOTNULL, verb, cols, cause ? cause : "NULL value");
      sqlite3_free(cause);
      return rc;
    }
  }
  const char *ip_text = sqlite3_value_type(cols[COL_ORIGIN_IP]) == SQLITE_TEXT ? (const char *)sqlite3_value_text(cols[COL_ORIGIN_IP]) : NULL;
  if (!ip_text || cfr_ip_canonicalize(ip_text, (size_t)sqlite3_value_bytes(cols[COL_ORIGIN_IP]), ip) < 0)
    return row_error(tab, SQLITE_CONSTRAINT_CHECK, verb, cols, "origin_ip is not an IPv4 or IPv6 address (no prefix, zone id, spaces or leading zeros)");
  memset(value, 0, sizeof(*value));
  value->present = 1;
  if (text_field(cols[COL_VENDOR], value->vendor, sizeof(value->vendor)) != 0) {
    char cause[CFR_ERROR_MAX];
    snprintf(cause, sizeof(cause), "unknown vendor %s", sqlite3_value_type(cols[COL_VENDOR]) == SQLITE_TEXT ? "(too long)" : "(not text)");
    return row_error(tab, SQLITE_CONSTRAINT_CHECK, verb, cols, cause);
  }
  if (text_field(cols[COL_REGION], value->region, sizeof(value->region)) != 0)
    return row_error(tab, SQLITE_CONSTRAINT_CHECK, verb, cols, "region is not a known region id (not text, or too long)");
  char cause[CFR_ERROR_MAX + 128];
  if (cfr_regions_check(regions, value->vendor, value->region, cause, sizeof(cause)) != 0)
    return row_error(tab, SQLITE_CONSTRAINT_CHECK, verb, cols, cause);
  return SQLITE_OK;
}

static cfr_view *write_view(cfr_table *tab) { return tab->current ? tab->current->view : NULL; }

/* Point lookups a write may make before the view lists the store instead: a few single-row
** writes into a large zone cost a GET each, not a whole listing (35 GETs for 3,500 mappings on v2),
** while a bulk write soon switches to the one listing. */
#define WRITE_LOOKUPS_BEFORE_LISTING 2

/* The row index of ip in the view (-1: no mapping), asking the store when the view does not know
** the IP. The view also learns the store's total, which the 3,500 limit needs. */
static int known_row(cfr_table *tab, cfr_view *view, const char *ip, int *row) {
  *row = cfr_view_find(view, ip);
  if (*row >= 0 || cfr_view_is_complete(view)) return SQLITE_OK;
  int rc = cfr_table_count_view(tab, view);
  if (rc != SQLITE_OK) return rc;
  *row = cfr_view_find(view, ip);
  if (*row >= 0 || cfr_view_is_complete(view)) return SQLITE_OK;
  if (cfr_view_note_write_lookup(view) <= WRITE_LOOKUPS_BEFORE_LISTING)
    return cfr_table_lookup_ip(tab, view, ip, row);
  rc = cfr_table_complete_view(tab, view);
  if (rc == SQLITE_OK) *row = cfr_view_find(view, ip);
  return rc;
}

static int is_present(cfr_view *view, int row) { return row >= 0 && cfr_view_row(view, row)->cur.present; }

/* freed: mappings the same change removes (1 for a move, whose old IP is left), so a move within a
** full table is allowed. */
static int check_zone_limit(cfr_table *tab, cfr_view *view, sqlite3_value **cols, const char *verb, int freed) {
  int rc = cfr_table_count_view(tab, view);
  if (rc != SQLITE_OK) return rc;
  if (cfr_view_present_count(view) - freed < CFR_ZONE_MAX_MAPPINGS) return SQLITE_OK;
  char cause[160];
  snprintf(cause, sizeof(cause), "the table already holds %d mappings, the most Cloudflare allows per zone (error 1164)",
           CFR_ZONE_MAX_MAPPINGS);
  return row_error(tab, SQLITE_CONSTRAINT_CHECK, verb, cols, cause);
}

static int conflict_error(cfr_table *tab, cfr_view *view, int row, sqlite3_value **cols, const char *verb) {
  const cfr_row *r = cfr_view_row(view, row);
  char cause[CFR_ERROR_MAX + 128];
  snprintf(cause, sizeof(cause), "origin_ip %s already has a mapping (%s, %s); use %s OR REPLACE to change it",
           r->origin_ip, r->cur.vendor, r->cur.region, strcmp(verb, "update") == 0 ? "UPDATE" : "INSERT");
  return row_error(tab, SQLITE_CONSTRAINT, verb, cols, cause);
}

/* Puts value at ip, handling an existing mapping as the statement's ON CONFLICT says.
** freed: 1 when the change also removes a mapping (UPDATE of origin_ip moves it away), else 0. */
static int place_row(cfr_table *tab, cfr_view *view, const char *ip, const cfr_value *value,
                     sqlite3_value **cols, const char *verb, int freed, int *skipped) {
  int row, rc = known_row(tab, view, ip, &row);
  *skipped = 0;
  if (rc != SQLITE_OK) return rc;
  if (is_present(view, row)) {
    int mode = sqlite3_vtab_on_conflict(tab->db);
    /* SQLITE_CONSTRAINT under OR IGNORE: SQLite skips the row and leaves it out of changes(). */
    if (mode == SQLITE_IGNORE) { *skipped = 1; return SQLITE_CONSTRAINT; }
    if (mode != SQLITE_REPLACE) return conflict_error(tab, view, row, cols, verb);
  } else {
    rc = check_zone_limit(tab, view, cols, verb, freed);
    if (rc != SQLITE_OK) return rc;
  }
  return cfr_view_set(view, ip, value);
}

static int refuse_readonly(cfr_table *tab) {
  int ignoring = sqlite3_vtab_on_conflict(tab->db) == SQLITE_IGNORE;
  return fail(tab, ignoring ? SQLITE_ERROR : SQLITE_CONSTRAINT_CHECK, sqlite3_mprintf("%s: table is read-only (readonly=1)", tab->name));
}

static int delete_row(cfr_table *tab, cfr_view *view, sqlite3_value *key) {
  const char *ip = (const char *)sqlite3_value_text(key);
  int row;
  int rc = ip ? known_row(tab, view, ip, &row) : SQLITE_OK;
  if (rc != SQLITE_OK || !ip || !is_present(view, row)) return rc;
  cfr_value absent;
  memset(&absent, 0, sizeof(absent));
  return cfr_view_set(view, ip, &absent);
}

static int update_row(cfr_table *tab, cfr_view *view, sqlite3_value *old_key, sqlite3_value **cols) {
  char ip[CFR_IP_TEXT_MAX];
  cfr_value value, old;
  const char *old_ip = (const char *)sqlite3_value_text(old_key);
  int old_row = old_ip ? cfr_view_find(view, old_ip) : -1;
  if (old_row >= 0) old = cfr_view_row(view, old_row)->cur;
  int rc = validate_row(tab, "update", cols, 1, old_row >= 0 ? &old : NULL, ip, &value);
  if (rc != SQLITE_OK) return rc;
  if (old_ip && strcmp(old_ip, ip) == 0) return cfr_view_set(view, ip, &value);
  /* A move: the mapping leaves old_ip and lands on ip. */
  int skipped;
  rc = place_row(tab, view, ip, &value, cols, "update", 1, &skipped);
  if (rc != SQLITE_OK || skipped) return rc;
  return delete_row(tab, view, old_key);
}

static int insert_row(cfr_table *tab, cfr_view *view, sqlite3_value **cols) {
  char ip[CFR_IP_TEXT_MAX];
  cfr_value value;
  int skipped;
  int rc = validate_row(tab, "insert", cols, 0, NULL, ip, &value);
  if (rc == SQLITE_OK) rc = place_row(tab, view, ip, &value, cols, "insert", 0, &skipped);
  return rc;
}

/* WITHOUT ROWID: argv[0] is the old origin_ip (NULL for INSERT); argv[2..] the new columns. */
int cfr_table_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *rowid) {
  (void)rowid;
  cfr_table *tab = (cfr_table *)vtab;
  if (tab->args.readonly) return refuse_readonly(tab);
  cfr_view *view = write_view(tab);
  if (!view) return fail(tab, SQLITE_MISUSE, sqlite3_mprintf("%s: write outside a transaction", tab->name));
  if (argc == 1) return delete_row(tab, view, argv[0]);
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return insert_row(tab, view, &argv[2]);
  return update_row(tab, view, argv[0], &argv[2]);
}

/* ---- transactions ---- */

int cfr_table_begin(sqlite3_vtab *vtab) {
  cfr_table *tab = (cfr_table *)vtab;
  if (tab->in_transaction) return SQLITE_OK;
  /* xBegin runs before the writing statement opens any cursor, so a live view here belongs to
  ** statements still open (an unfinished SELECT): they keep it as their snapshot, and the
  ** transaction starts its own, so its writes never show up half-way through their rows. */
  tab->current = NULL;
  cfr_shared_view *shared;
  int rc = cfr_table_acquire_view(tab, &shared);  /* the table's own reference, until COMMIT/ROLLBACK */
  if (rc == SQLITE_OK) tab->in_transaction = 1;
  return rc;
}

static void end_transaction(cfr_table *tab) {
  if (!tab->in_transaction) return;
  tab->in_transaction = 0;
  cfr_shared_view *shared = tab->current;
  /* Cursors still open keep their view; new statements start from a fresh snapshot. */
  tab->current = NULL;
  if (shared && --shared->refs <= 0) {
    cfr_view_free(shared->view);
    sqlite3_free(shared);
  }
}

static int count_applied(const cfr_change *changes, int n) {
  int applied = 0;
  for (int i = 0; i < n; i++) applied += changes[i].applied;
  return applied;
}

static void show_progress(const cfr_table *tab, int done, int total, int requests) {
  if (requests <= 3 || !isatty(STDERR_FILENO)) return;
  fprintf(stderr, "\r%s: %d/%d changes sent", tab->name, done, total);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}

/* Items in the batch that starts at changes[i]: one kind, at most CFR_BATCH_MAX. */
static int batch_length(const cfr_change *changes, int i, int n) {
  int count = 1;
  while (i + count < n && count < CFR_BATCH_MAX && changes[i + count].kind == changes[i].kind) count++;
  return count;
}

static void mark_unapplied(cfr_change *changes, int from, int to, const char *why) {
  for (int k = from; k < to; k++) {
    if (changes[k].error[0]) continue;  /* keep the item's own reason */
    changes[k].applied = 0;
    snprintf(changes[k].error, sizeof(changes[k].error), "%s", why);
  }
}

/* Sends changes in batches. A failed request stops the rest: their items are marked as not sent. */
static void send_batches(cfr_table *tab, cfr_change *changes, int n) {
  int requests = 0;
  for (int i = 0; i < n; i += batch_length(changes, i, n)) requests++;
  char *request_error = NULL;
  for (int i = 0; i < n;) {
    int count = batch_length(changes, i, n);
    if (request_error) {
      mark_unapplied(changes, i, i + count, "not sent: an earlier request failed");
    } else {
      char *err = NULL;
      int rc = tab->store->methods->apply(tab->store, &changes[i], count, &err);
      if (rc != SQLITE_OK) {
        request_error = err ? err : sqlite3_mprintf("request failed (code %d)", rc);
        for (int k = i; k < i + count; k++)
          if (!changes[k].applied) mark_unapplied(changes, k, k + 1, request_error ? request_error : "request failed");
      } else {
        sqlite3_free(err);
      }
    }
    i += count;
    show_progress(tab, i, n, requests);
  }
  if (request_error && tab->store->methods->transactional) {
    /* The database rolls back this transaction, and with it whatever the store had applied. */
    for (int k = 0; k < n; k++) {
      if (!changes[k].applied) continue;
      changes[k].applied = 0;
      snprintf(changes[k].error, sizeof(changes[k].error), "rolled back: %s", request_error ? request_error : "a later write failed");
    }
  }
  sqlite3_free(request_error);
}

static char *commit_failure_message(const cfr_table *tab, const cfr_change *changes, int n) {
  int applied = count_applied(changes, n);
  sqlite3_str *s = sqlite3_str_new(tab->db);
  sqlite3_str_appendf(s, "%s: COMMIT applied %d of %d changes; %d not applied: ", tab->name, applied, n, n - applied);
  int named = 0;
  for (int i = 0; i < n && named < ERRORS_NAMED_IN_MESSAGE; i++) {
    const cfr_change *c = &changes[i];
    if (c->applied) continue;
    if (c->kind == CFR_DELETE) sqlite3_str_appendf(s, "%sdelete %s: %s", named ? "; " : "", c->mapping.origin_ip, c->error);
    else sqlite3_str_appendf(s, "%supsert %s (%s, %s): %s", named ? "; " : "", c->mapping.origin_ip, c->mapping.vendor, c->mapping.region, c->error);
    named++;
  }
  if (n - applied > named) sqlite3_str_appendf(s, "; and %d more", n - applied - named);
  /* The last reason named may already end a sentence (Cloudflare's texts do): no "..". */
  const char *text = sqlite3_str_value(s);
  int len = sqlite3_str_length(s);
  sqlite3_str_appendf(s, "%s All are listed in SELECT * FROM cfregions_unapplied; re-running the same statements sends only what is still missing",
                      text && len > 0 && text[len - 1] == '.' ? "" : ".");
  return sqlite3_str_finish(s);
}

int cfr_table_sync(sqlite3_vtab *vtab) {
  cfr_table *tab = (cfr_table *)vtab;
  cfr_view *view = write_view(tab);
  if (!view) return SQLITE_OK;
  if (!cfr_view_has_changes(view)) {
    /* Nothing left to send: whatever an earlier COMMIT could not apply is in place now. */
    cfr_conn_clear_unapplied(tab->conn, tab->schema, tab->name);
    return SQLITE_OK;
  }
  cfr_change *changes;
  int n;
  int rc = cfr_view_changes(view, &changes, &n);
  if (rc != SQLITE_OK) return rc;
  send_batches(tab, changes, n);
  int applied = count_applied(changes, n);
  rc = cfr_conn_set_unapplied(tab->conn, tab->schema, tab->name, changes, n);
  if (rc == SQLITE_OK && applied < n) rc = fail(tab, SQLITE_ERROR, commit_failure_message(tab, changes, n));
  sqlite3_free(changes);
  return rc;
}

int cfr_table_commit(sqlite3_vtab *vtab) {
  end_transaction((cfr_table *)vtab);
  return SQLITE_OK;
}

int cfr_table_rollback(sqlite3_vtab *vtab) {
  cfr_table *tab = (cfr_table *)vtab;
  cfr_view *view = write_view(tab);
  if (view) cfr_view_discard_changes(view);
  end_transaction(tab);
  return SQLITE_OK;
}

int cfr_table_savepoint(sqlite3_vtab *vtab, int level) {
  cfr_view *view = write_view((cfr_table *)vtab);
  if (view) cfr_view_savepoint(view, level);
  return SQLITE_OK;
}

int cfr_table_release(sqlite3_vtab *vtab, int level) {
  cfr_view *view = write_view((cfr_table *)vtab);
  if (view) cfr_view_release(view, level);
  return SQLITE_OK;
}

int cfr_table_rollback_to(sqlite3_vtab *vtab, int level) {
  cfr_view *view = write_view((cfr_table *)vtab);
  if (view) cfr_view_rollback_to(view, level);
  return SQLITE_OK;
}
