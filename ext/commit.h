/*
** commit.h — the COMMIT engine: how one transaction's changes to one table reach its store.
**
** The view's net changes (same IP coalesced, no-ops dropped) go out in three steps, so that no
** mapping is removed before the upserts of the same COMMIT are in place: first the deletes needed to
** stay within 3,500 mappings (as few as needed), then the upserts, then the other deletes. A move
** (UPDATE … SET origin_ip) therefore never leaves the zone without the mapping. Each step is cut
** into batches of at most CFR_BATCH_MAX, which the store may send concurrently; the first request
** that fails stops the steps after it. What was not applied is listed on the connection
** (cfregions_unapplied) with its reason, and the COMMIT fails with a message naming the first few.
** A store that cannot roll back keeps what it applied (as with zipfile.c); for a transactional
** store the database rolls it back, and the changes are listed as such. On a terminal, a long
** COMMIT shows its progress on stderr.
*/
#ifndef CFREGIONS_COMMIT_H
#define CFREGIONS_COMMIT_H

#include "context.h"
#include "view.h"

enum { CFR_STEP_ROOM, CFR_STEP_UPSERTS, CFR_STEP_DELETES, CFR_STEPS };

/* The requests a COMMIT sends, in order. */
typedef struct cfr_commit_plan {
  cfr_change *changes;          /* in sending order */
  int n;
  cfr_batch *batches;           /* each over a run of changes */
  int nbatches;
  int step_start[CFR_STEPS + 1]; /* batches of step s: [step_start[s], step_start[s + 1]) */
} cfr_commit_plan;

/* The plan for the view's pending changes (empty when there are none). */
int cfr_commit_plan_make(const cfr_view *view, cfr_commit_plan *plan);
void cfr_commit_plan_clear(cfr_commit_plan *plan);

typedef struct cfr_commit_target {
  cfr_store *store;
  cfr_context *ctx;
  const char *schema;  /* "main", or an attached database */
  const char *table;
  const char *journal; /* the database's COMMIT journal (journal.h); NULL: none */
} cfr_commit_target;

/* Sends the plan's batches step by step and records every outcome on the connection. SQLITE_OK
** when every change was applied; otherwise an error code with *err (sqlite3 memory, without the
** table name, which the caller adds). `what` names the operation in the message ("COMMIT"). */
int cfr_commit_send(const cfr_commit_target *target, cfr_commit_plan *plan, const char *what, char **err);
/* The same for n zones of one table (stores opened together), plans[i] for targets[i]: step s of
** every zone goes out together, so that the zones cost the round trips of one. Each zone stops
** after its own failure; failed[i] says whether zone i applied less than all of its changes. The
** message names the first zone that failed and counts the others. */
int cfr_commit_send_zones(const cfr_commit_target *targets, cfr_commit_plan *plans, int n, const char *what,
                          int *failed, char **err);

/* Takes off the table's unapplied list the IPs that the view's snapshot shows in their listed end
** state with no write pending: they got there after all (an answer lost after the API applied the
** change, someone else's edit, a re-run). */
void cfr_commit_reconcile(const cfr_commit_target *target, const cfr_view *view);

/* cfregions_retry: sends the table's unapplied changes again. IPs the store already shows in
** their end state are taken off the list without a write; the rest go out like a COMMIT (same
** order, same batches, same outcome records). *applied: how many this call applied. */
int cfr_commit_retry(const cfr_commit_target *target, double estimated_rows, int *applied, char **err);

/* The same for the pending changes of n views (views[i] of targets[i]'s zone): plan, then send
** together. */
int cfr_commit_views(const cfr_commit_target *targets, cfr_view *const *views, int n, int *failed, char **err);

#endif
