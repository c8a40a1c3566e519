/*
** commit.c — the COMMIT engine. See commit.h.
*/
#include "commit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ERRORS_NAMED_IN_MESSAGE 5
#define PROGRESS_MIN_REQUESTS 4   /* shorter COMMITs finish before progress would help */

static int count_applied(const cfr_change *changes, int n) {
  int applied = 0;
  for (int i = 0; i < n; i++) applied += changes[i].applied;
  return applied;
}

/* Progress of a long COMMIT on a terminal. Only the COMMIT engine writes to the user's terminal,
** and only when stderr is one: inside Datasette or a script nothing is printed.
** A COMMIT stopped by a failure ends the line where it stopped: the count shown is what was sent. */
static void show_progress(const cfr_commit_target *t, int done, int total, int requests, int last) {
  if (requests < PROGRESS_MIN_REQUESTS || !isatty(STDERR_FILENO)) return;
  fprintf(stderr, "\r%s: %d/%d changes sent", t->table, done, total);
  if (last) fputc('\n', stderr);
  fflush(stderr);
}

static void mark_unapplied(cfr_change *changes, int n, const char *why) {
  for (int k = 0; k < n; k++) {
    if (changes[k].applied || changes[k].error[0]) continue; /* keep the item's own reason */
    snprintf(changes[k].error, sizeof(changes[k].error), "%s", why);
  }
}

/* Items in the batch that starts at changes[i]: one kind, at most CFR_BATCH_MAX. */
static int batch_length(const cfr_change *changes, int i, int n) {
  int count = 1;
  while (i + count < n && count < CFR_BATCH_MAX && changes[i + count].kind == changes[i].kind) count++;
  return count;
}

/* Cuts changes into batches (sqlite3 memory, *nbatches of them). */
static cfr_batch *make_batches(cfr_change *changes, int n, int *nbatches) {
  int count = 0;
  for (int i = 0; i < n; i += batch_length(changes, i, n)) count++;
  cfr_batch *batches = sqlite3_malloc64((sqlite3_uint64)(count ? count : 1) * sizeof(cfr_batch));
  if (!batches) return NULL;
  memset(batches, 0, (size_t)(count ? count : 1) * sizeof(cfr_batch));
  for (int i = 0, b = 0; i < n; b++) {
    batches[b].changes = &changes[i];
    batches[b].n = batch_length(changes, i, n);
    i += batches[b].n;
  }
  *nbatches = count;
  return batches;
}

/* Sends every batch; returns the first failed request's error (sqlite3 memory) or NULL. */
static char *send_batches(const cfr_commit_target *t, cfr_batch *batches, int nbatches, int total) {
  char *request_error = NULL;
  int done = 0;
  for (int b = 0; b < nbatches; b++) {
    if (request_error) {
      mark_unapplied(batches[b].changes, batches[b].n, "not sent: an earlier request failed");
      continue;
    }
    t->store->methods->apply(t->store, &batches[b], 1);
    if (batches[b].rc != SQLITE_OK) {
      request_error = batches[b].err ? batches[b].err : sqlite3_mprintf("request failed (code %d)", batches[b].rc);
      batches[b].err = NULL;
      mark_unapplied(batches[b].changes, batches[b].n, request_error ? request_error : "request failed");
    }
    done += batches[b].n;
    show_progress(t, done, total, nbatches, request_error != NULL || b == nbatches - 1);
  }
  for (int b = 0; b < nbatches; b++) sqlite3_free(batches[b].err);
  return request_error;
}

/* The database rolls back this transaction, and with it whatever a transactional store applied. */
static void relabel_rolled_back(cfr_change *changes, int n, const char *why) {
  for (int k = 0; k < n; k++) {
    if (!changes[k].applied) continue;
    changes[k].applied = 0;
    snprintf(changes[k].error, sizeof(changes[k].error), "rolled back: %s", why);
  }
}

static char *failure_message(const cfr_change *changes, int n) {
  int applied = count_applied(changes, n);
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendf(s, "COMMIT applied %d of %d changes; %d not applied: ", applied, n, n - applied);
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

int cfr_commit_send(const cfr_commit_target *t, cfr_view *view, char **err) {
  if (!cfr_view_has_changes(view)) {
    /* Nothing left to send: whatever an earlier COMMIT could not apply is in place now. */
    cfr_context_clear_unapplied(t->ctx, t->schema, t->table);
    return SQLITE_OK;
  }
  cfr_change *changes;
  int n, nbatches = 0;
  int rc = cfr_view_changes(view, &changes, &n);
  if (rc != SQLITE_OK) return rc;
  cfr_batch *batches = make_batches(changes, n, &nbatches);
  if (!batches) { sqlite3_free(changes); return SQLITE_NOMEM; }
  char *request_error = send_batches(t, batches, nbatches, n);
  if (request_error && t->store->methods->transactional) relabel_rolled_back(changes, n, request_error);
  sqlite3_free(request_error);
  rc = cfr_context_set_unapplied(t->ctx, t->schema, t->table, t->store->zone_id, changes, n);
  if (rc == SQLITE_OK && count_applied(changes, n) < n) {
    *err = failure_message(changes, n);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(batches);
  sqlite3_free(changes);
  return rc;
}
