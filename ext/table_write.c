/*
** table_write.c — writes to origin_cloud_regions: validation, conflicts and the transaction hooks.
**
** Each INSERT/UPDATE/DELETE is validated at once (so the statement fails on the row at fault) and
** recorded in the transaction's view; nothing reaches the store until COMMIT, when xSync hands the
** view to the COMMIT engine (commit.c). What the view must learn from the store first (whether an IP
** has a mapping, how many there are) is snapshot.c's business.
*/
#include "table.h"
#include "commit.h"
#include "journal.h"
#include "snapshot.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

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

/* A column of the row: what was written, or the current text when an UPDATE leaves it alone. */
static void append_column(sqlite3_str *s, sqlite3_value *v, const char *current) {
  if (current && sqlite3_value_nochange(v)) sqlite3_str_appendf(s, "%Q", current);
  else append_literal(s, v);
}

/* "('10.0.0.1', 'aws', 'us-east-1')": the row as the user wrote it, for error messages. */
static char *describe_row(sqlite3_value **cols, const char *current_ip, const cfr_value *current) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(s, 1, '(');
  append_column(s, cols[COL_ORIGIN_IP], current_ip);
  sqlite3_str_appendall(s, ", ");
  append_column(s, cols[COL_VENDOR], current ? current->vendor : NULL);
  sqlite3_str_appendall(s, ", ");
  append_column(s, cols[COL_REGION], current ? current->region : NULL);
  sqlite3_str_appendchar(s, 1, ')');
  return sqlite3_str_finish(s);
}

/* What a row being written looks like: its columns, and for an UPDATE the row before it. */
typedef struct row_write {
  const char *verb;          /* "insert" or "update" */
  sqlite3_value **cols;      /* origin_ip, vendor, region, modified_on */
  int is_update;
  const char *old_ip;        /* the row before an UPDATE (NULL if unknown): columns the UPDATE */
  const cfr_value *old;      /* does not assign keep these values */
} row_write;

/* rc: SQLITE_CONSTRAINT for a conflict with an existing mapping, which OR IGNORE may skip and OR
** FAIL/ROLLBACK govern; an extended code (CHECK, NOTNULL) for an invalid row. Under OR IGNORE, SQLite
** drops any constraint error silently, so an invalid row is then reported as a plain error: bad
** input must never vanish unnoticed. */
static int row_error(cfr_table *tab, int rc, const row_write *w, const char *cause) {
  int ignoring = rc != SQLITE_CONSTRAINT && sqlite3_vtab_on_conflict(tab->db) == SQLITE_IGNORE;
  char *row = describe_row(w->cols, w->old_ip, w->old);
  cfr_vtab_error(tab->owner, 0, "%s: cannot %s %s: %s%s", tab->name, w->verb, row ? row : "row", cause,
                 ignoring ? " (OR IGNORE skips only IPs that already have a mapping)" : "");
  sqlite3_free(row);
  return ignoring ? SQLITE_ERROR : rc;
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

/* Checks the new values of a row and fills value and the canonical IP. */
static int validate_row(cfr_table *tab, const row_write *w, char *ip, cfr_value *value) {
  sqlite3_value **cols = w->cols;
  int modified_on_written = w->is_update ? !modified_on_unchanged(cols[COL_MODIFIED_ON], w->old)
                                         : sqlite3_value_type(cols[COL_MODIFIED_ON]) != SQLITE_NULL;
  if (modified_on_written)
    return row_error(tab, SQLITE_CONSTRAINT_CHECK, w, "modified_on is set by the store and cannot be written");
  const cfr_regions *regions;
  const char *zone = NULL;
  char *err = NULL;
  int rc = tab->store->methods->regions(tab->store, &regions, &zone, &err);
  if (rc != SQLITE_OK) return cfr_table_error(tab, rc, err);
  char cause[CFR_CAUSE_MAX];
  rc = cfr_validate_row(cols[COL_ORIGIN_IP], cols[COL_VENDOR], cols[COL_REGION], w->old_ip, w->old, regions, zone,
                        ip, value, cause);
  return rc == 0 ? SQLITE_OK : row_error(tab, rc, w, cause);
}

static cfr_view *write_view(cfr_table *tab) { return tab->current ? tab->current->view : NULL; }

static int is_present(cfr_view *view, int row) { return row >= 0 && cfr_view_row(view, row)->cur.present; }

/* The row index of ip in the view (-1: no mapping), asking the store when the view does not know. */
static int row_for_write(cfr_table *tab, cfr_view *view, const char *ip, int *row) {
  char *err = NULL;
  int rc = cfr_snapshot_row_for_write(tab->store, view, ip, row, &err);
  return rc == SQLITE_OK ? rc : cfr_table_error(tab, rc, err);
}

/* freed: mappings the same change removes (1 for a move, whose old IP is left), so a move within a
** full table is allowed. */
static int check_zone_limit(cfr_table *tab, cfr_view *view, const row_write *w, int freed) {
  char *err = NULL;
  int rc = cfr_snapshot_count(tab->store, view, &err);
  if (rc != SQLITE_OK) return cfr_table_error(tab, rc, err);
  if (cfr_view_present_count(view) - freed < CFR_ZONE_MAX_MAPPINGS) return SQLITE_OK;
  char cause[160];
  snprintf(cause, sizeof(cause), "the table already holds %d mappings, the most Cloudflare allows per zone (error 1164)",
           CFR_ZONE_MAX_MAPPINGS);
  return row_error(tab, SQLITE_CONSTRAINT_CHECK, w, cause);
}

static int conflict_error(cfr_table *tab, cfr_view *view, int row, const row_write *w) {
  const cfr_row *r = cfr_view_row(view, row);
  char cause[CFR_ERROR_MAX + 128];
  snprintf(cause, sizeof(cause), "origin_ip %s already has a mapping (%s, %s); use %s OR REPLACE to change it",
           r->origin_ip, r->cur.vendor, r->cur.region, w->is_update ? "UPDATE" : "INSERT");
  return row_error(tab, SQLITE_CONSTRAINT, w, cause);
}

/* Puts value at ip, handling an existing mapping as the statement's ON CONFLICT says.
** freed: 1 when the change also removes a mapping (UPDATE of origin_ip moves it away), else 0. */
static int place_row(cfr_table *tab, cfr_view *view, const char *ip, const cfr_value *value,
                     const row_write *w, int freed, int *skipped) {
  int row, rc = row_for_write(tab, view, ip, &row);
  *skipped = 0;
  if (rc != SQLITE_OK) return rc;
  if (is_present(view, row)) {
    int mode = sqlite3_vtab_on_conflict(tab->db);
    /* SQLITE_CONSTRAINT under OR IGNORE: SQLite skips the row and leaves it out of changes(). */
    if (mode == SQLITE_IGNORE) { *skipped = 1; return SQLITE_CONSTRAINT; }
    if (mode != SQLITE_REPLACE) return conflict_error(tab, view, row, w);
  } else {
    rc = check_zone_limit(tab, view, w, freed);
    if (rc != SQLITE_OK) return rc;
  }
  return cfr_view_set(view, ip, value);
}

int cfr_table_refuse_readonly(cfr_table *tab) {
  int ignoring = sqlite3_vtab_on_conflict(tab->db) == SQLITE_IGNORE;
  return cfr_vtab_error(tab->owner, ignoring ? SQLITE_ERROR : SQLITE_CONSTRAINT_CHECK,
                        "%s: table is read-only (readonly=1)", tab->name);
}

static int delete_row(cfr_table *tab, cfr_view *view, const char *ip) {
  int row;
  int rc = ip ? row_for_write(tab, view, ip, &row) : SQLITE_OK;
  if (rc != SQLITE_OK || !ip || !is_present(view, row)) return rc;
  cfr_value absent;
  memset(&absent, 0, sizeof(absent));
  return cfr_view_set(view, ip, &absent);
}

/* Whether SQLite passed no value for some column: the UPDATE leaves it as the row has it now. */
static int leaves_columns_alone(sqlite3_value **cols) {
  return sqlite3_value_nochange(cols[COL_ORIGIN_IP]) || sqlite3_value_nochange(cols[COL_VENDOR]) ||
         sqlite3_value_nochange(cols[COL_REGION]);
}

static int update_row(cfr_table *tab, cfr_view *view, const char *old_ip, sqlite3_value **cols) {
  char ip[CFR_IP_TEXT_MAX];
  cfr_value value, old;
  int old_row = old_ip ? cfr_view_find(view, old_ip) : -1;
  /* A row an earlier row of the same statement removed (UPDATE OR REPLACE moving onto it): as for
  ** an ordinary table, there is nothing left to update. */
  if (!is_present(view, old_row) && leaves_columns_alone(cols)) return SQLITE_OK;
  if (old_row >= 0) old = cfr_view_row(view, old_row)->cur;
  row_write w = {"update", cols, 1, old_row >= 0 ? old_ip : NULL, old_row >= 0 ? &old : NULL};
  int rc = validate_row(tab, &w, ip, &value);
  if (rc != SQLITE_OK) return rc;
  if (old_ip && strcmp(old_ip, ip) == 0) return cfr_view_set(view, ip, &value);
  /* A move: the mapping leaves old_ip and lands on ip. */
  int skipped;
  rc = place_row(tab, view, ip, &value, &w, 1, &skipped);
  if (rc != SQLITE_OK || skipped) return rc;
  return delete_row(tab, view, old_ip);
}

static int insert_row(cfr_table *tab, cfr_view *view, sqlite3_value **cols) {
  char ip[CFR_IP_TEXT_MAX];
  cfr_value value;
  int skipped;
  row_write w = {"insert", cols, 0, NULL, NULL};
  int rc = validate_row(tab, &w, ip, &value);
  if (rc == SQLITE_OK) rc = place_row(tab, view, ip, &value, &w, 0, &skipped);
  return rc;
}

/* The view writes go to: the transaction's (xBegin took a reference). A table created inside the
** transaction joined it without xBegin (SQLite adds it at CREATE): its first write begins here. */
static int view_for_write(cfr_table *tab, cfr_view **view) {
  *view = NULL;
  if (tab->tx == CFR_TX_NONE) {
    int rc = cfr_table_begin(tab);
    if (rc != SQLITE_OK) return rc;
  }
  *view = write_view(tab);
  if (!*view) return cfr_vtab_error(tab->owner, SQLITE_MISUSE, "%s: write outside a transaction", tab->name);
  assert(tab->tx == CFR_TX_OPEN);
  return SQLITE_OK;
}

/* Notes the start of each write statement in the view, so that its writes can be taken back. */
static void follow_statement(cfr_table *tab, cfr_view *view) {
  sqlite3_int64 run;
  sqlite3_stmt *stmt = cfr_writing_statement(tab->db, &run);
  if (stmt && stmt == tab->statement && run == tab->statement_run) return;
  tab->statement = stmt;
  tab->statement_run = run;
  cfr_view_statement(view);
}

/* A row that fails aborts its statement (unless OR FAIL keeps what came before, or OR IGNORE skips
** the row): the statement's earlier rows are taken back here, because SQLite does not ask every
** statement's virtual tables to roll back (UPDATE … FROM on 3.40 opens no savepoint for them). */
static int finish_row(cfr_table *tab, cfr_view *view, int rc) {
  if (view) cfr_table_note_size(tab, view);
  if (rc == SQLITE_OK || !view) return rc;
  int mode = sqlite3_vtab_on_conflict(tab->db);
  int skipped = mode == SQLITE_IGNORE && rc == SQLITE_CONSTRAINT;
  if (mode != SQLITE_FAIL && !skipped) cfr_view_statement_undo(view);
  return rc;
}

int cfr_table_insert(cfr_table *tab, sqlite3_value **cols) {
  cfr_view *view;
  int rc = view_for_write(tab, &view);
  if (rc == SQLITE_OK) {
    follow_statement(tab, view);
    rc = insert_row(tab, view, cols);
  }
  return finish_row(tab, view, rc);
}

int cfr_table_update(cfr_table *tab, const char *old_ip, sqlite3_value **cols) {
  cfr_view *view;
  int rc = view_for_write(tab, &view);
  if (rc == SQLITE_OK) {
    follow_statement(tab, view);
    rc = update_row(tab, view, old_ip, cols);
  }
  return finish_row(tab, view, rc);
}

int cfr_table_delete(cfr_table *tab, const char *old_ip) {
  cfr_view *view;
  int rc = view_for_write(tab, &view);
  if (rc == SQLITE_OK) follow_statement(tab, view);
  if (rc == SQLITE_OK && old_ip) rc = delete_row(tab, view, old_ip);
  return finish_row(tab, view, rc);
}

/* ---- transactions ---- */

int cfr_table_begin(cfr_table *tab) {
  if (tab->tx != CFR_TX_NONE) return SQLITE_OK;
  cfr_context_forget_commit_failure(tab->ctx); /* a new transaction */
  /* In autocommit mode xBegin runs before the writing statement opens any cursor, so a live view
  ** here belongs to statements still open (an unfinished SELECT): they keep it as their snapshot,
  ** and the write starts its own, so that it never shows up half-way through their rows. Inside
  ** BEGIN … COMMIT, the view a read of this transaction took is the transaction's snapshot: every
  ** later statement shares it, as an ordinary table's cursors see their own connection's writes. */
  if (sqlite3_get_autocommit(tab->db)) tab->current = NULL;
  cfr_shared_view *shared;
  int rc = cfr_table_acquire_view(tab, &shared);  /* the table's own reference, until COMMIT/ROLLBACK */
  if (rc == SQLITE_OK) tab->tx = CFR_TX_OPEN;
  return rc;
}

static void end_transaction(cfr_table *tab) {
  if (tab->tx == CFR_TX_NONE) return;
  tab->tx = CFR_TX_NONE;
  assert(tab->current != NULL);
  cfr_shared_view *shared = tab->current;
  /* Cursors still open keep their view; new statements start from a fresh snapshot. */
  tab->current = NULL;
  cfr_table_release_view(tab, shared); /* the table's own reference */
}

/* Whether the table is still in its database's schema. A ROLLBACK TO that undoes the CREATE of a
** table made after that savepoint opened does not tell the table (SQLite calls xRollbackTo only on
** tables that heard of the savepoint): its writes were undone with it and must not be sent. */
static int still_in_schema(cfr_table *tab) {
  char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_schema WHERE type = 'table' AND name = %Q COLLATE NOCASE",
                              tab->schema, tab->name);
  sqlite3_stmt *stmt = NULL;
  int rc = sql ? sqlite3_prepare_v2(tab->db, sql, -1, &stmt, NULL) : SQLITE_NOMEM;
  /* When the schema cannot be read, the writes go out as they would have: nothing is dropped. */
  int found = rc != SQLITE_OK || sqlite3_step(stmt) != SQLITE_DONE;
  sqlite3_finalize(stmt);
  sqlite3_free(sql);
  return found;
}

/* Whether the store shows the version it had when the transaction's view was made: then the view
** is exactly the store plus the pending writes. */
static int unchanged_since_made(cfr_table *tab) {
  sqlite3_uint64 now[2];
  const cfr_shared_view *shared = tab->current;
  return shared->stamped && tab->store->methods->version(tab->store, now) == SQLITE_OK &&
         now[0] == shared->stamp[0] && now[1] == shared->stamp[1];
}

int cfr_table_sync(cfr_table *tab) { return cfr_table_sync_parts(&tab, 1); }

int cfr_table_sync_parts(cfr_table **parts, int n) {
  cfr_table **sending = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_table *));
  cfr_commit_target *targets = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_commit_target));
  cfr_view **views = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_view *));
  int *failed = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(int));
  int rc = sending && targets && views && failed ? SQLITE_OK : SQLITE_NOMEM, k = 0;
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    cfr_table *tab = parts[i];
    /* CREATE VIRTUAL TABLE joins the transaction without xBegin: nothing of ours to send then. A
    ** part shared by two instances of the table (table.h) is synced by the first of them. */
    if (tab->tx != CFR_TX_OPEN) continue;
    assert(tab->current);
    tab->tx = CFR_TX_SYNCED;
    if (tab->created_in_transaction && !still_in_schema(tab)) {
      cfr_view_discard_changes(tab->current->view);
      continue;
    }
    tab->settle = unchanged_since_made(tab);
    targets[k] = (cfr_commit_target){tab->store, tab->ctx, tab->schema, tab->name, tab->journal};
    views[k] = tab->current->view;
    cfr_commit_reconcile(&targets[k], views[k]);
    sending[k++] = tab;
  }
  char *err = NULL;
  if (rc == SQLITE_OK && k > 0) rc = cfr_commit_views(targets, views, k, failed, &err);
  for (int i = 0; i < k; i++) sending[i]->settle = sending[i]->settle && rc == SQLITE_OK;
  if (rc != SQLITE_OK) {
    /* The zones that failed (all of them when nothing could be sent) roll back as FAILED. */
    int first = -1;
    for (int i = 0; i < k; i++) {
      if (err && !failed[i]) continue;
      sending[i]->tx = CFR_TX_FAILED;
      if (first < 0) first = i;
    }
    cfr_table *tab = first >= 0 ? sending[first] : parts[0];
    cfr_context_note_commit_failure(tab->ctx, tab->name, err);
    rc = cfr_table_error(tab, rc, err);
  }
  sqlite3_free(sending);
  sqlite3_free(targets);
  sqlite3_free(views);
  sqlite3_free(failed);
  return rc;
}

/* The transaction is rolled back because another table's COMMIT failed: this table's changes were
** either never sent, or sent to a transactional store that now rolls them back. Either way they
** are listed as unapplied, so that nothing the user wrote goes missing without a trace. */
static int list_rolled_back(cfr_table *tab, cfr_view *view, const char *failure) {
  cfr_change *changes;
  int n;
  int rc = cfr_view_changes(view, &changes, &n);
  if (rc != SQLITE_OK) return rc;
  const char *how = tab->tx == CFR_TX_OPEN ? "not sent" : "rolled back";
  for (int i = 0; i < n; i++) snprintf(changes[i].error, sizeof(changes[i].error), "%s: %s", how, failure);
  rc = cfr_context_record_outcomes(tab->ctx, tab->schema, tab->name, tab->store->zone_id, changes, n);
  /* Journaled like a COMMIT that failed before its first request, so they outlive the connection. */
  cfr_journal *j = NULL;
  char *err = NULL;
  if (rc == SQLITE_OK && cfr_journal_begin(tab->journal, tab->name, tab->store->zone_id, changes, n, &j, &err) == SQLITE_OK)
    cfr_journal_end(j, changes, n, &err);
  sqlite3_free(err);
  sqlite3_free(changes);
  return rc;
}

/* ---- renames within the transaction ---- */

/* Gives back the names of the renames made after `savepoints` levels were open (all: -1): SQLite
** undid their DDL; the store, the unapplied list and the journal follow. */
static void undo_renames(cfr_table *tab, int savepoints) {
  while (tab->nrenames > 0 && tab->renames[tab->nrenames - 1].savepoints > savepoints) {
    cfr_rename *r = &tab->renames[--tab->nrenames];
    if (tab->store->methods->rename_undone) tab->store->methods->rename_undone(tab->store, r->old_name);
    cfr_context_rename_unapplied(tab->ctx, tab->schema, tab->name, r->old_name);
    char *err = NULL;
    cfr_journal_rename(tab->journal, tab->name, r->old_name, &err);
    sqlite3_free(err);
    sqlite3_free(tab->name);
    tab->name = r->old_name;
  }
}

/* The transaction ended: its renames stay. */
static void keep_renames(cfr_table *tab) {
  for (int i = 0; i < tab->nrenames; i++) sqlite3_free(tab->renames[i].old_name);
  tab->nrenames = 0;
  tab->savepoints = 0;
}

/* After a COMMIT that xSync applied to a store nothing else had written since the view was made
** (and nothing but other tables' xSync writes after it), the view is the store's new snapshot,
** stamped with the store's version now that the database has committed. */
static void settle(cfr_table *tab) {
  int settle = tab->settle;
  tab->settle = 0;
  sqlite3_uint64 now[2];
  if (!settle || !tab->current || tab->store->methods->version(tab->store, now) != SQLITE_OK ||
      !cfr_view_settle(tab->current->view))
    return;
  memcpy(tab->current->stamp, now, sizeof(now));
}

void cfr_table_commit(cfr_table *tab) {
  /* SQLite syncs every table of a transaction before committing any: the changes went out there. */
  assert(tab->tx != CFR_TX_OPEN);
  tab->created_in_transaction = 0;
  settle(tab);
  end_transaction(tab);
  keep_renames(tab);
}

int cfr_table_rollback(cfr_table *tab) {
  tab->settle = 0;
  tab->created_in_transaction = 0;
  cfr_view *view = write_view(tab);
  const char *failure = cfr_context_commit_failure(tab->ctx);
  int sent = tab->tx == CFR_TX_SYNCED;
  int rc = SQLITE_OK;
  if (view && failure && tab->tx != CFR_TX_NONE && tab->tx != CFR_TX_FAILED &&
      (!sent || tab->store->methods->transactional))
    rc = list_rolled_back(tab, view, failure);
  if (view) cfr_view_discard_changes(view);
  end_transaction(tab);
  undo_renames(tab, -1);
  keep_renames(tab);
  /* What the transaction did to the store (DDL included) is undone without moving its version. */
  cfr_table_forget_kept(tab);
  return rc;
}

void cfr_table_savepoint(cfr_table *tab, int level) {
  /* A table created inside the transaction is in it without xBegin (SQLite adds it at CREATE), so
  ** the savepoint that opens each later write statement is its first word: begin here, or the
  ** statement's rollback would find nothing to undo to. */
  if (tab->tx == CFR_TX_NONE && !sqlite3_get_autocommit(tab->db) && cfr_table_begin(tab) != SQLITE_OK) return;
  if (level + 1 > tab->savepoints) tab->savepoints = level + 1;
  cfr_view *view = write_view(tab);
  if (view) cfr_view_savepoint(view, level);
}

void cfr_table_release(cfr_table *tab, int level) {
  /* Renames inside the released savepoints now belong to the one around them. */
  int open = level < 0 ? 0 : level;
  for (int i = 0; i < tab->nrenames; i++)
    if (tab->renames[i].savepoints > open) tab->renames[i].savepoints = open;
  if (tab->savepoints > open) tab->savepoints = open;
  cfr_view *view = write_view(tab);
  if (view) cfr_view_release(view, level);
}

void cfr_table_rollback_to(cfr_table *tab, int level) {
  cfr_table_forget_kept(tab);
  undo_renames(tab, level);
  if (level >= 0) tab->savepoints = level + 1;
  cfr_view *view = write_view(tab);
  if (view) cfr_view_rollback_to(view, level);
  /* With nothing left pending, a local table starts again from a fresh snapshot (re-reading the
  ** database costs little): what was rolled back may have been DDL — a DROP and CREATE of the
  ** table's name — after which the old snapshot is another table's. The savepoints stay open. An
  ** API table's snapshot is of its zone, which no DDL changes. */
  if (view && !cfr_view_has_changes(view) && !cfr_view_has_undo(view) && tab->tx == CFR_TX_OPEN &&
      tab->store->methods->transactional) {
    int open = cfr_view_savepoints(view);
    end_transaction(tab);
    cfr_table_forget_kept(tab); /* the view just given up, kept as complete */
    if (cfr_table_begin(tab) == SQLITE_OK && open > 0) cfr_view_savepoint(write_view(tab), open - 1);
  }
}
