/*
** commit.h — the COMMIT engine: how one transaction's changes to one table reach its store.
**
** The view's net changes (same IP coalesced, no-ops dropped) go out in steps — deletes, then
** upserts — each in batches of at most CFR_BATCH_MAX. The first request that fails stops the rest;
** what was not applied is listed on the connection (cfregions_unapplied) with its reason, and the
** COMMIT fails with a message naming the first few. A store that cannot roll back keeps what it
** applied (as with zipfile.c); for a transactional store the database rolls it back, and the
** changes are listed as such. On a terminal, a long COMMIT shows its progress on stderr.
*/
#ifndef CFREGIONS_COMMIT_H
#define CFREGIONS_COMMIT_H

#include "context.h"
#include "view.h"

typedef struct cfr_commit_target {
  cfr_store *store;
  cfr_context *ctx;
  const char *schema;  /* "main", or an attached database */
  const char *table;
} cfr_commit_target;

/* Sends the view's pending changes. SQLITE_OK when every change was applied; otherwise an error
** code with *err (sqlite3 memory, without the table name, which the caller adds). */
int cfr_commit_send(const cfr_commit_target *target, cfr_view *view, char **err);

#endif
