/*
** commit.c — the COMMIT engine. See commit.h.
*/
#include "commit.h"
#include "journal.h"
#include "snapshot.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ERRORS_NAMED_IN_MESSAGE 5
#define PROGRESS_MIN_REQUESTS 4   /* shorter COMMITs finish before progress would help */

/* ---- the plan ---- */

/* How many deletes must go before the upserts so that the zone never holds more than the limit:
** the snapshot's count plus the new IPs, minus the limit. */
static int deletes_needed_first(const cfr_view *view, const cfr_change *changes, int n) {
  int base = cfr_view_base_count(view), creates = 0;
  for (int i = 0; i < n; i++) creates += changes[i].kind == CFR_UPSERT && !changes[i].existed;
  int over = base + creates - CFR_ZONE_MAX_MAPPINGS;
  return base >= 0 && over > 0 ? over : 0;
}

/* Orders the view's changes (deletes, then upserts) as the steps send them. */
static void order_changes(cfr_change *sorted, const cfr_change *changes, int n, int room, int *step_len) {
  int k = 0;
  memset(step_len, 0, CFR_STEPS * sizeof(int));
  for (int i = 0; i < n && step_len[CFR_STEP_ROOM] < room; i++)
    if (changes[i].kind == CFR_DELETE) { sorted[k++] = changes[i]; step_len[CFR_STEP_ROOM]++; }
  for (int i = 0; i < n; i++)
    if (changes[i].kind == CFR_UPSERT) { sorted[k++] = changes[i]; step_len[CFR_STEP_UPSERTS]++; }
  int skipped = 0;
  for (int i = 0; i < n; i++) {
    if (changes[i].kind != CFR_DELETE) continue;
    if (skipped++ < step_len[CFR_STEP_ROOM]) continue; /* sent in the first step */
    sorted[k++] = changes[i];
    step_len[CFR_STEP_DELETES]++;
  }
}

static int batches_for(int len) { return (len + CFR_BATCH_MAX - 1) / CFR_BATCH_MAX; }

int cfr_commit_plan_make(const cfr_view *view, cfr_commit_plan *plan) {
  memset(plan, 0, sizeof(*plan));
  cfr_change *changes;
  int n, step_len[CFR_STEPS];
  int rc = cfr_view_changes(view, &changes, &n);
  if (rc != SQLITE_OK || n == 0) return rc;
  plan->changes = sqlite3_malloc64((sqlite3_uint64)n * sizeof(cfr_change));
  if (!plan->changes) { sqlite3_free(changes); return SQLITE_NOMEM; }
  order_changes(plan->changes, changes, n, deletes_needed_first(view, changes, n), step_len);
  sqlite3_free(changes);
  int nbatches = 0;
  for (int s = 0; s < CFR_STEPS; s++) nbatches += batches_for(step_len[s]);
  plan->batches = sqlite3_malloc64((sqlite3_uint64)nbatches * sizeof(cfr_batch));
  if (!plan->batches) { cfr_commit_plan_clear(plan); return SQLITE_NOMEM; }
  memset(plan->batches, 0, (size_t)nbatches * sizeof(cfr_batch));
  plan->n = n;
  int b = 0, first = 0;
  for (int s = 0; s < CFR_STEPS; s++) {
    plan->step_start[s] = b;
    for (int done = 0; done < step_len[s]; b++) {
      int len = step_len[s] - done < CFR_BATCH_MAX ? step_len[s] - done : CFR_BATCH_MAX;
      plan->batches[b].changes = &plan->changes[first + done];
      plan->batches[b].n = len;
      done += len;
    }
    first += step_len[s];
  }
  plan->step_start[CFR_STEPS] = b;
  plan->nbatches = nbatches;
  return SQLITE_OK;
}

void cfr_commit_plan_clear(cfr_commit_plan *plan) {
  for (int b = 0; b < plan->nbatches; b++) sqlite3_free(plan->batches[b].err);
  sqlite3_free(plan->batches);
  sqlite3_free(plan->changes);
  memset(plan, 0, sizeof(*plan));
}

/* ---- sending ---- */

/* Progress of a long COMMIT on a terminal. Only the COMMIT engine writes to the user's terminal,
** and only when stderr is one: inside Datasette or a script nothing is printed. The count shown is
** what the API confirmed as applied, so a COMMIT that fails part-way never shows more than the
** message that follows says. */
typedef struct progress {
  const char *table;
  int shown;            /* stderr is a terminal and the COMMIT is long enough */
  int done, total;
} progress;

static void progress_start(progress *p, const char *table, int total, int requests) {
  p->table = table;
  p->shown = requests >= PROGRESS_MIN_REQUESTS && isatty(STDERR_FILENO);
  p->done = 0;
  p->total = total;
}

static void progress_batch_done(progress *p, const cfr_batch *batch) {
  for (int i = 0; i < batch->n; i++) p->done += batch->changes[i].applied;
  if (!p->shown) return;
  fprintf(stderr, "\r%s: %d/%d changes applied", p->table, p->done, p->total);
  fflush(stderr);
}

static void progress_end(const progress *p) {
  if (p->shown && p->done > 0) fputc('\n', stderr);
}

/* One zone's share of a COMMIT being sent. */
typedef struct zone_send {
  const cfr_commit_target *t;
  cfr_commit_plan *plan;
  cfr_journal *journal;
  char *stop; /* why its later steps must not run (sqlite3 memory), or NULL */
} zone_send;

/* A COMMIT of one or more zones of one table, sent step by step. */
typedef struct sending {
  zone_send *zones;
  int n;
  progress progress;
} sending;

static zone_send *zone_of_batch(sending *s, const cfr_batch *batch) {
  for (int i = 0; i < s->n; i++) {
    const cfr_commit_plan *p = s->zones[i].plan;
    if (batch >= p->batches && batch < p->batches + p->nbatches) return &s->zones[i];
  }
  return NULL;
}

/* Each batch's outcome as soon as it is known: into its zone's journal, and onto the terminal. */
static void batch_done(void *arg, const cfr_batch *batch) {
  sending *s = arg;
  zone_send *z = zone_of_batch(s, batch);
  /* A journal that cannot take the outcome still holds the change as sent: after a crash it is
  ** listed as interrupted, which is the safe side. */
  if (z) cfr_journal_record(z->journal, batch->changes, batch->n);
  progress_batch_done(&s->progress, batch);
}

static void mark_unapplied(cfr_change *changes, int n, const char *why) {
  for (int k = 0; k < n; k++) {
    if (changes[k].applied || changes[k].error[0]) continue; /* keep the item's own reason */
    snprintf(changes[k].error, sizeof(changes[k].error), "%s", why);
  }
}

static cfr_batch *step_batches(const zone_send *z, int step, int *n) {
  *n = z->plan->step_start[step + 1] - z->plan->step_start[step];
  return &z->plan->batches[z->plan->step_start[step]];
}

/* After a zone's step: why the zone's steps after it must not run (sqlite3 memory), or NULL — a
** request that failed, or an item the API refused: a delete after a refused upsert could be the
** second half of a move, and would leave the zone without the mapping. */
static char *step_outcome(cfr_batch *batches, int n) {
  char *stop = NULL;
  for (int b = 0; b < n; b++) {
    cfr_batch *batch = &batches[b];
    if (!batch->sent) {
      mark_unapplied(batch->changes, batch->n, "not sent: an earlier request failed");
    } else if (batch->rc != SQLITE_OK) {
      const char *why = batch->err ? batch->err : "request failed";
      mark_unapplied(batch->changes, batch->n, why);
      if (!stop) stop = sqlite3_mprintf("%s", why);
    }
    for (int i = 0; !stop && i < batch->n; i++)
      if (!batch->changes[i].applied) stop = sqlite3_mprintf("an earlier change was not applied");
  }
  return stop;
}

/* Sends one step of every zone still going: one zone's batches through its store, several
** zones' batches together where their stores can (they were opened together), so that the zones
** of a table cost the round trips of one. */
static void send_step(sending *s, int step) {
  cfr_batch_listener listener = {batch_done, s};
  int total = 0, going = 0;
  for (int i = 0; i < s->n; i++) {
    int nb;
    cfr_batch *batches = step_batches(&s->zones[i], step, &nb);
    if (s->zones[i].stop) {
      for (int b = 0; b < nb; b++) mark_unapplied(batches[b].changes, batches[b].n, "not sent: an earlier change failed");
      continue;
    }
    total += nb;
    going += nb > 0;
  }
  if (total == 0) return;
  cfr_store **stores = NULL;
  cfr_batch **each = NULL;
  if (going > 1 && s->zones[0].t->store->methods->apply_together) {
    stores = sqlite3_malloc64((sqlite3_uint64)total * sizeof(*stores));
    each = sqlite3_malloc64((sqlite3_uint64)total * sizeof(*each));
  }
  if (stores && each) {
    int k = 0;
    for (int i = 0; i < s->n; i++) {
      int nb;
      cfr_batch *batches = step_batches(&s->zones[i], step, &nb);
      for (int b = 0; !s->zones[i].stop && b < nb; b++, k++) {
        stores[k] = s->zones[i].t->store;
        each[k] = &batches[b];
      }
    }
    stores[0]->methods->apply_together(stores, each, total, &listener);
  } else {
    for (int i = 0; i < s->n; i++) {
      int nb;
      cfr_batch *batches = step_batches(&s->zones[i], step, &nb);
      if (!s->zones[i].stop && nb > 0) s->zones[i].t->store->methods->apply(s->zones[i].t->store, batches, nb, &listener);
    }
  }
  sqlite3_free(stores);
  sqlite3_free(each);
  for (int i = 0; i < s->n; i++) {
    int nb;
    cfr_batch *batches = step_batches(&s->zones[i], step, &nb);
    if (!s->zones[i].stop) s->zones[i].stop = step_outcome(batches, nb);
  }
}

/* The database rolls back this transaction, and with it whatever a transactional store applied. */
static void relabel_rolled_back(cfr_change *changes, int n, const char *why) {
  for (int k = 0; k < n; k++) {
    if (!changes[k].applied) continue;
    changes[k].applied = 0;
    snprintf(changes[k].error, sizeof(changes[k].error), "rolled back: %s", why);
  }
}

static int count_applied(const cfr_change *changes, int n) {
  int applied = 0;
  for (int i = 0; i < n; i++) applied += changes[i].applied;
  return applied;
}

/* "COMMIT applied 3 of 5 changes; 2 not applied: …" — for a table of several zones, the first
** zone that failed is named, and how many others failed too. */
static char *failure_message(const cfr_commit_target *t, const char *what, const cfr_change *changes, int n,
                             int zones, int other_failed) {
  int applied = count_applied(changes, n);
  sqlite3_str *s = sqlite3_str_new(NULL);
  if (zones > 1) sqlite3_str_appendf(s, "zone %s: ", t->store->zone_id);
  sqlite3_str_appendf(s, "%s applied %d of %d changes; %d not applied: ", what, applied, n, n - applied);
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
  if (text && len > 0 && text[len - 1] != '.') sqlite3_str_appendchar(s, 1, '.');
  if (other_failed > 0)
    sqlite3_str_appendf(s, " %d other zone%s of the table failed too.", other_failed, other_failed > 1 ? "s" : "");
  sqlite3_str_appendf(s, " All are listed in SELECT * FROM cfregions_unapplied; "
                      "SELECT cfregions_retry('%q') sends them again", t->table);
  return sqlite3_str_finish(s);
}

/* Journals a zone's change list before its first request: a crash cannot lose it. */
static void journal_begin(zone_send *z) {
  char *why = NULL;
  const cfr_commit_target *t = z->t;
  if (cfr_journal_begin(t->journal, t->table, t->store->zone_id, z->plan->changes, z->plan->n, &z->journal, &why) != SQLITE_OK)
    z->stop = sqlite3_mprintf("not sent: %s", why ? why : "the COMMIT journal could not be written");
  sqlite3_free(why);
}

/* Its outcomes: out of the journal, onto the connection's unapplied list. */
static int journal_end(zone_send *z) {
  if (z->journal) {
    char *why = NULL;
    cfr_journal_end(z->journal, z->plan->changes, z->plan->n, &why);
    sqlite3_free(why); /* the outcomes are recorded below; a stale journal line only repeats them */
  }
  const cfr_commit_target *t = z->t;
  if (z->stop && t->store->methods->transactional) relabel_rolled_back(z->plan->changes, z->plan->n, z->stop);
  return cfr_context_record_outcomes(t->ctx, t->schema, t->table, t->store->zone_id, z->plan->changes, z->plan->n);
}

int cfr_commit_send_zones(const cfr_commit_target *targets, cfr_commit_plan *plans, int n, const char *what,
                          int *failed, char **err) {
  sending s = {sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(zone_send)), n, {0}};
  if (!s.zones) return SQLITE_NOMEM;
  int changes = 0, requests = 0;
  for (int i = 0; i < n; i++) {
    s.zones[i] = (zone_send){&targets[i], &plans[i], NULL, NULL};
    changes += plans[i].n;
    requests += plans[i].nbatches;
    failed[i] = 0;
  }
  progress_start(&s.progress, n ? targets[0].table : "", changes, requests);
  for (int i = 0; i < n; i++)
    if (plans[i].n > 0) journal_begin(&s.zones[i]);
  for (int step = 0; step < CFR_STEPS; step++) send_step(&s, step);
  progress_end(&s.progress);
  int rc = SQLITE_OK, first_failed = -1, nfailed = 0;
  for (int i = 0; i < n; i++) {
    if (plans[i].n == 0) continue;
    int recorded = journal_end(&s.zones[i]);
    if (rc == SQLITE_OK) rc = recorded;
    failed[i] = count_applied(plans[i].changes, plans[i].n) < plans[i].n;
    if (failed[i] && first_failed < 0) first_failed = i;
    nfailed += failed[i];
    sqlite3_free(s.zones[i].stop);
  }
  if (rc == SQLITE_OK && first_failed >= 0) {
    *err = failure_message(&targets[first_failed], what, plans[first_failed].changes, plans[first_failed].n, n,
                           nfailed - 1);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(s.zones);
  return rc;
}

int cfr_commit_send(const cfr_commit_target *t, cfr_commit_plan *plan, const char *what, char **err) {
  int failed;
  return cfr_commit_send_zones(t, plan, 1, what, &failed, err);
}

int cfr_commit_views(const cfr_commit_target *targets, cfr_view *const *views, int n, int *failed, char **err) {
  cfr_commit_plan *plans = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof(cfr_commit_plan));
  if (!plans) return SQLITE_NOMEM;
  memset(plans, 0, (size_t)(n ? n : 1) * sizeof(cfr_commit_plan));
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < n; i++) rc = cfr_commit_plan_make(views[i], &plans[i]);
  if (rc == SQLITE_OK) rc = cfr_commit_send_zones(targets, plans, n, "COMMIT", failed, err);
  /* What a transactional store now holds, should the transaction commit (cfr_view_settle). */
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    if (targets[i].store->methods->transactional) cfr_view_note_stamps(views[i], plans[i].changes, plans[i].n);
  for (int i = 0; i < n; i++) cfr_commit_plan_clear(&plans[i]);
  sqlite3_free(plans);
  return rc;
}

/* An entry of the target's table and zone. */
static int same_table(const cfr_unapplied *u, const cfr_commit_target *t) {
  return sqlite3_stricmp(u->table_name, t->table) == 0 && sqlite3_stricmp(u->schema_name, t->schema) == 0 &&
         strcmp(u->zone_id, t->store->zone_id) == 0;
}

/* Whether the view's snapshot shows ip in the change's end state, with nothing pending over it.
** An IP a complete view does not know has no mapping. */
static int reached(const cfr_view *view, const cfr_change *c) {
  int row = cfr_view_find(view, c->mapping.origin_ip);
  if (row < 0) return cfr_view_is_complete(view) && c->kind == CFR_DELETE;
  const cfr_value *b = &cfr_view_row(view, row)->base, *cur = &cfr_view_row(view, row)->cur;
  if (b->present != cur->present || (b->present && (strcmp(b->vendor, cur->vendor) || strcmp(b->region, cur->region))))
    return 0;
  if (c->kind == CFR_DELETE) return !b->present;
  return b->present && strcmp(b->vendor, c->mapping.vendor) == 0 && strcmp(b->region, c->mapping.region) == 0;
}

/* Takes IPs off the list and out of the journal (one rewrite): they reached their end state. */
static void forget(const cfr_commit_target *t, const char (*ips)[CFR_IP_TEXT_MAX], int n) {
  if (n == 0) return;
  char *why = NULL;
  cfr_journal_settle(t->journal, t->table, t->store->zone_id, ips, n, &why);
  sqlite3_free(why); /* a stale line is dropped again when the IP is next settled */
  for (int i = 0; i < n; i++) cfr_context_forget_unapplied(t->ctx, t->schema, t->table, t->store->zone_id, ips[i]);
}

/* The listed IPs of the table that the view shows in their end state (sqlite3 memory, *n of them). */
static char (*reached_ips(const cfr_commit_target *t, const cfr_view *view, int *n))[CFR_IP_TEXT_MAX] {
  int total = cfr_context_unapplied_count(t->ctx);
  char (*ips)[CFR_IP_TEXT_MAX] = sqlite3_malloc64((sqlite3_uint64)(total ? total : 1) * CFR_IP_TEXT_MAX);
  *n = 0;
  for (int i = 0; ips && i < total; i++) {
    const cfr_unapplied *u = cfr_context_unapplied(t->ctx, i);
    if (!same_table(u, t)) continue;
    if (reached(view, &u->change)) memcpy(ips[(*n)++], u->change.mapping.origin_ip, CFR_IP_TEXT_MAX);
  }
  return ips;
}

void cfr_commit_reconcile(const cfr_commit_target *t, const cfr_view *view) {
  int n;
  char (*ips)[CFR_IP_TEXT_MAX] = reached_ips(t, view, &n);
  if (ips) forget(t, (const char (*)[CFR_IP_TEXT_MAX])ips, n);
  sqlite3_free(ips);
}

/* The end states listed for the table, copied (the list changes while they are sent). */
static int listed_changes(const cfr_commit_target *t, cfr_change **out, int *n) {
  int count = 0, total = cfr_context_unapplied_count(t->ctx);
  for (int i = 0; i < total; i++) count += same_table(cfr_context_unapplied(t->ctx, i), t);
  *out = NULL;
  *n = 0;
  if (count == 0) return SQLITE_OK;
  cfr_change *changes = sqlite3_malloc64((sqlite3_uint64)count * sizeof(cfr_change));
  if (!changes) return SQLITE_NOMEM;
  for (int i = 0, k = 0; i < total; i++) {
    const cfr_unapplied *u = cfr_context_unapplied(t->ctx, i);
    if (same_table(u, t)) changes[k++] = u->change;
  }
  *out = changes;
  *n = count;
  return SQLITE_OK;
}

/* Loads what the store holds now for the listed IPs into a fresh view, and the store's count when
** an upsert would add a mapping (the first step of the plan needs it). */
static int load_listed(const cfr_commit_target *t, cfr_view *view, const cfr_change *changes, int n,
                       double estimated_rows, char **err) {
  char (*ips)[CFR_IP_TEXT_MAX] = sqlite3_malloc64((sqlite3_uint64)n * CFR_IP_TEXT_MAX);
  int *rows = sqlite3_malloc64((sqlite3_uint64)n * sizeof(int));
  int rc = ips && rows ? SQLITE_OK : SQLITE_NOMEM, found = 0;
  for (int i = 0; rc == SQLITE_OK && i < n; i++) memcpy(ips[i], changes[i].mapping.origin_ip, CFR_IP_TEXT_MAX);
  if (rc == SQLITE_OK) rc = cfr_snapshot_rows_of(t->store, view, ips, n, estimated_rows, rows, &found, err);
  int adds = 0;
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    adds |= changes[i].kind == CFR_UPSERT && cfr_view_find(view, ips[i]) >= 0 &&
            !cfr_view_row(view, cfr_view_find(view, ips[i]))->base.present;
  if (rc == SQLITE_OK && adds) rc = cfr_snapshot_count(t->store, view, err);
  sqlite3_free(ips);
  sqlite3_free(rows);
  return rc;
}

int cfr_commit_retry(const cfr_commit_target *t, double estimated_rows, int *applied, char **err) {
  cfr_change *changes;
  int n;
  *applied = 0;
  int rc = listed_changes(t, &changes, &n);
  if (rc != SQLITE_OK || n == 0) return rc;
  cfr_view *view = cfr_view_new();
  if (!view) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = load_listed(t, view, changes, n, estimated_rows, err);
  if (rc == SQLITE_OK) cfr_commit_reconcile(t, view);
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    const char *ip = changes[i].mapping.origin_ip;
    if (reached(view, &changes[i])) continue; /* taken off the list just above */
    cfr_value value;
    memset(&value, 0, sizeof(value));
    value.present = changes[i].kind == CFR_UPSERT;
    memcpy(value.vendor, changes[i].mapping.vendor, sizeof(value.vendor));
    memcpy(value.region, changes[i].mapping.region, sizeof(value.region));
    rc = cfr_view_set(view, ip, &value);
  }
  cfr_commit_plan plan;
  memset(&plan, 0, sizeof(plan));
  if (rc == SQLITE_OK) rc = cfr_commit_plan_make(view, &plan);
  if (rc == SQLITE_OK && plan.n > 0) {
    rc = cfr_commit_send(t, &plan, "cfregions_retry", err);
    *applied = count_applied(plan.changes, plan.n);
  }
  cfr_commit_plan_clear(&plan);
  cfr_view_free(view);
  sqlite3_free(changes);
  return rc;
}
