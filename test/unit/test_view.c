/*
** test_view.c — the view of one table (ext/view.h): a snapshot of the store, the transaction's
** pending writes over it, savepoints, and the changes sent at COMMIT. Only view.h's functions
** are used, so the tests describe what the SQL layer relies on.
*/
#include "unit.h"
#include "view.h"

#include <stdio.h>

#define IP_A "192.0.2.1"
#define IP_B "192.0.2.2"
#define IP_C "2001:db8::c"
#define IP_D "198.51.100.4"

static cfr_mapping mapping(const char *ip, const char *vendor, const char *region) {
  cfr_mapping m;
  memset(&m, 0, sizeof(m));
  snprintf(m.origin_ip, sizeof(m.origin_ip), "%s", ip);
  snprintf(m.vendor, sizeof(m.vendor), "%s", vendor);
  snprintf(m.region, sizeof(m.region), "%s", region);
  snprintf(m.modified_on, sizeof(m.modified_on), "2025-01-02T03:04:05Z");
  return m;
}

/* A value as a write leaves it: present, with no modification time yet. */
static cfr_value present(const char *vendor, const char *region) {
  cfr_value v;
  memset(&v, 0, sizeof(v));
  v.present = 1;
  snprintf(v.vendor, sizeof(v.vendor), "%s", vendor);
  snprintf(v.region, sizeof(v.region), "%s", region);
  return v;
}

static cfr_value absent(void) {
  cfr_value v;
  memset(&v, 0, sizeof(v));
  return v;
}

/* A new view loaded with a listing of n mappings. */
static cfr_view *view_of(const cfr_mapping *items, int n, int complete) {
  cfr_view *view = cfr_view_new();
  CHECK(view != NULL);
  cfr_mapping_list list = {(cfr_mapping *)items, n, n};
  CHECK_INT(cfr_view_load(view, &list, complete), SQLITE_OK);
  return view;
}

/* The view of a store holding A (aws), B (aws) and C (gcp), after a full listing. */
static cfr_view *complete_abc(void) {
  const cfr_mapping store[] = {mapping(IP_A, "aws", "us-east-1"), mapping(IP_B, "aws", "eu-west-1"),
                               mapping(IP_C, "gcp", "us-central1")};
  return view_of(store, 3, 1);
}

static const cfr_row *row_of(const cfr_view *view, const char *ip) {
  int r = cfr_view_find(view, ip);
  return r < 0 ? NULL : cfr_view_row(view, r);
}

/* The vendor an IP has now, "" when it has no mapping or the view does not know it. */
static const char *vendor_now(const cfr_view *view, const char *ip) {
  const cfr_row *row = row_of(view, ip);
  return row && row->cur.present ? row->cur.vendor : "";
}

static void set(cfr_view *view, const char *ip, cfr_value value) {
  CHECK_INT(cfr_view_set(view, ip, &value), SQLITE_OK);
}

/* ---- Snapshots */

static void a_new_view_knows_nothing(void) {
  cfr_view *view = cfr_view_new();
  CHECK_INT(cfr_view_is_complete(view), 0);
  CHECK_INT(cfr_view_find(view, IP_A), -1);
  CHECK_INT(cfr_view_present_count(view), -1); /* neither complete nor told the store's total */
  CHECK_INT(cfr_view_has_store_total(view), 0);
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_change *changes = NULL;
  int n = -1;
  CHECK_INT(cfr_view_changes(view, &changes, &n), SQLITE_OK);
  CHECK(changes == NULL);
  CHECK_INT(n, 0);
  int *order = NULL;
  CHECK_INT(cfr_view_sorted(view, &order, &n), SQLITE_OK);
  CHECK(order == NULL);
  CHECK_INT(n, 0);
  cfr_view_free(view);
  cfr_view_free(NULL); /* allowed, like free(NULL) */
}

static void a_complete_listing_is_the_whole_store(void) {
  cfr_view *view = complete_abc();
  CHECK_INT(cfr_view_is_complete(view), 1);
  CHECK_INT(cfr_view_present_count(view), 3);
  CHECK_INT(cfr_view_has_store_total(view), 1);
  const cfr_row *b = row_of(view, IP_B);
  CHECK(b != NULL);
  if (b) {
    CHECK_STR(b->origin_ip, IP_B);
    CHECK_INT(b->base.present, 1);
    CHECK_STR(b->base.region, "eu-west-1");
    CHECK_STR(b->base.modified_on, "2025-01-02T03:04:05Z");
    CHECK_STR(b->cur.region, "eu-west-1"); /* no pending write: current is the snapshot */
  }
  CHECK_INT(cfr_view_find(view, IP_D), -1);
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_view_free(view);
}

static void a_partial_listing_leaves_the_view_incomplete(void) {
  const cfr_mapping head[] = {mapping(IP_A, "aws", "us-east-1")};
  const cfr_mapping all[] = {mapping(IP_A, "aws", "us-east-1"), mapping(IP_B, "aws", "eu-west-1")};
  cfr_view *view = view_of(head, 1, 0);
  CHECK_INT(cfr_view_is_complete(view), 0);
  CHECK_INT(cfr_view_present_count(view), -1);
  cfr_mapping_list rest = {(cfr_mapping *)all, 2, 2};
  CHECK_INT(cfr_view_load(view, &rest, 1), SQLITE_OK);
  CHECK_INT(cfr_view_is_complete(view), 1);
  CHECK_INT(cfr_view_present_count(view), 2); /* A is not counted twice */
  cfr_view_free(view);
}

static void a_point_lookup_is_remembered_once(void) {
  cfr_view *view = cfr_view_new();
  cfr_mapping a = mapping(IP_A, "aws", "us-east-1");
  int none = cfr_view_add_known(view, IP_D, NULL);
  CHECK(none >= 0);
  CHECK_INT(cfr_view_row(view, none)->base.present, 0);
  /* A second lookup's answer does not replace what the transaction already sees. */
  CHECK_INT(cfr_view_add_known(view, IP_D, &a), none);
  CHECK_INT(cfr_view_row(view, none)->cur.present, 0);
  int found = cfr_view_add_known(view, IP_A, &a);
  CHECK(found >= 0 && found != none);
  CHECK_STR(vendor_now(view, IP_A), "aws");
  CHECK_INT(cfr_view_is_complete(view), 0);
  cfr_view_free(view);
}

static void a_listing_keeps_the_rows_the_view_already_knows(void) {
  cfr_view *view = cfr_view_new();
  cfr_mapping looked_up = mapping(IP_A, "aws", "us-east-1");
  int a = cfr_view_add_known(view, IP_A, &looked_up);
  set(view, IP_A, present("gcp", "us-central1"));
  /* The listing comes later and says something else of A: the view keeps its snapshot of A, the
  ** pending write over it, and A's index (a cursor of the same statement may hold it). */
  const cfr_mapping listing[] = {mapping(IP_A, "azure", "westeurope"),
                                 mapping(IP_B, "aws", "eu-west-1")};
  cfr_mapping_list list = {(cfr_mapping *)listing, 2, 2};
  CHECK_INT(cfr_view_load(view, &list, 1), SQLITE_OK);
  CHECK_INT(cfr_view_find(view, IP_A), a);
  CHECK_STR(cfr_view_row(view, a)->base.vendor, "aws");
  CHECK_STR(vendor_now(view, IP_A), "gcp");
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_INT(cfr_view_present_count(view), 2);
  cfr_view_free(view);
}

/* Without a full listing, the count is the store's total corrected by what the view knows:
** total - (known rows present in the snapshot) + (known rows present now). */
static void present_count_without_a_listing_uses_the_store_total(void) {
  cfr_view *view = cfr_view_new();
  cfr_view_set_store_total(view, 10);
  CHECK_INT(cfr_view_has_store_total(view), 1);
  CHECK_INT(cfr_view_present_count(view), 10);
  cfr_mapping a = mapping(IP_A, "aws", "us-east-1");
  cfr_view_add_known(view, IP_A, &a); /* one of the 10 */
  cfr_view_add_known(view, IP_B, NULL); /* not in the store */
  CHECK_INT(cfr_view_present_count(view), 10);
  set(view, IP_A, absent());
  CHECK_INT(cfr_view_present_count(view), 9);
  set(view, IP_B, present("aws", "eu-west-1"));
  CHECK_INT(cfr_view_present_count(view), 10);
  set(view, IP_A, present("gcp", "us-central1"));
  CHECK_INT(cfr_view_present_count(view), 11);
  cfr_view_free(view);
}

static void a_complete_view_counts_its_own_rows(void) {
  cfr_view *view = complete_abc();
  cfr_view_set_store_total(view, 50);
  CHECK_INT(cfr_view_present_count(view), 3);
  cfr_view_free(view);
}

static void write_lookups_are_counted(void) {
  cfr_view *view = cfr_view_new();
  CHECK_INT(cfr_view_note_write_lookup(view), 1);
  CHECK_INT(cfr_view_note_write_lookup(view), 2);
  cfr_view_free(view);
}

/* ---- Pending writes and the changes they make */

static void a_write_is_laid_over_the_snapshot(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, present("gcp", "us-central1"));
  const cfr_row *a = row_of(view, IP_A);
  CHECK_STR(a->base.vendor, "aws");
  CHECK_STR(a->cur.vendor, "gcp");
  CHECK_INT(cfr_view_has_changes(view), 1);
  set(view, IP_D, present("aws", "us-east-1")); /* an IP the complete view knows is absent */
  CHECK_INT(row_of(view, IP_D)->base.present, 0);
  CHECK_INT(cfr_view_present_count(view), 4);
  set(view, IP_B, absent());
  CHECK_INT(cfr_view_present_count(view), 3);
  cfr_view_free(view);
}

static void writes_that_end_where_they_started_are_not_changes(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, present("gcp", "us-central1"));
  set(view, IP_A, present("aws", "us-east-1")); /* back to the snapshot */
  set(view, IP_D, present("aws", "us-east-1"));
  set(view, IP_D, absent()); /* inserted, then deleted */
  /* Only vendor and region count: a rewrite of the same values (no modified_on yet) is no change.
   */
  set(view, IP_B, present("aws", "eu-west-1"));
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_change *changes = NULL;
  int n = -1;
  CHECK_INT(cfr_view_changes(view, &changes, &n), SQLITE_OK);
  CHECK_INT(n, 0);
  CHECK(changes == NULL);
  cfr_view_free(view);
}

static void check_change(const cfr_change *c, cfr_change_kind kind, const char *ip,
                         const char *vendor, const char *region) {
  CHECK_INT(c->kind, kind);
  CHECK_STR(c->mapping.origin_ip, ip);
  CHECK_STR(c->mapping.vendor, vendor);
  CHECK_STR(c->mapping.region, region);
  CHECK_INT(c->applied, 0);
  CHECK_STR(c->error, "");
}

/* Deletes come first: they make room under the zone's limit for the upserts that follow. */
static void changes_are_deletes_then_upserts(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, present("gcp", "us-east4")); /* update */
  set(view, IP_D, present("aws", "us-east-1")); /* insert */
  set(view, IP_B, absent()); /* delete */
  set(view, IP_C, absent()); /* delete */
  set(view, "203.0.113.9", present("aws", "us-east-1"));
  set(view, "203.0.113.9", absent()); /* no-op: dropped */
  cfr_change *changes = NULL;
  int n = 0;
  CHECK_INT(cfr_view_changes(view, &changes, &n), SQLITE_OK);
  CHECK_INT(n, 4);
  if (n == 4) {
    check_change(&changes[0], CFR_DELETE, IP_B, "aws", "eu-west-1"); /* the snapshot's value */
    check_change(&changes[1], CFR_DELETE, IP_C, "gcp", "us-central1");
    check_change(&changes[2], CFR_UPSERT, IP_A, "gcp", "us-east4");
    check_change(&changes[3], CFR_UPSERT, IP_D, "aws", "us-east-1");
  }
  sqlite3_free(changes);
  cfr_view_free(view);
}

static void sorted_lists_present_rows_in_numeric_ip_order(void) {
  const cfr_mapping store[] = {
      mapping("10.0.0.10", "aws", "us-east-1"),     mapping("2001:db8::1", "aws", "us-east-1"),
      mapping("10.0.0.9", "aws", "us-east-1"),      mapping("::1", "aws", "us-east-1"),
      mapping("9.255.255.255", "aws", "us-east-1"), mapping("10.0.0.11", "aws", "us-east-1")};
  cfr_view *view = view_of(store, 6, 1);
  set(view, "10.0.0.11", absent());
  int *order = NULL, n = 0;
  CHECK_INT(cfr_view_sorted(view, &order, &n), SQLITE_OK);
  const char *expected[] = {"9.255.255.255", "10.0.0.9", "10.0.0.10", "::1", "2001:db8::1"};
  CHECK_INT(n, 5);
  for (int i = 0; i < n && i < 5; i++)
    CHECK_STR(cfr_view_row(view, order[i])->origin_ip, expected[i]);
  sqlite3_free(order);
  cfr_view_free(view);
}

/* ---- Savepoints
**
** The levels are those SQLite 3.40 passes to a virtual table's xSavepoint, xRelease and
** xRollbackTo (each forwards its level to the view):
**   BEGIN; SAVEPOINT a; then the table's first write     xSavepoint(0)
**   SAVEPOINT b                                           xSavepoint(1)
**   ROLLBACK TO b; RELEASE b; ROLLBACK TO a; RELEASE a    xRollbackTo(1), xRelease(1), …(0)
**   a multi-row statement inside savepoints a and b       xSavepoint(2), then xRelease(2), or
**                                                         xRollbackTo(2) + xRelease(2) on failure
**   the table's first write comes after SAVEPOINT a, b   xSavepoint(1) only (level 0 skipped), or
**                                                         xSavepoint(2) for a multi-row statement
**   SAVEPOINT a without BEGIN, then SAVEPOINT b           xSavepoint(0) for b
**   ROLLBACK TO a, a being that transaction's savepoint   xRollbackTo(-1)
** Writes made while no savepoint is open are undone only by ROLLBACK (discard).
*/

static void rollback_to_undoes_the_writes_since_that_savepoint(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, present("gcp", "us-central1")); /* before any savepoint */
  cfr_view_savepoint(view, 0); /* SAVEPOINT a */
  set(view, IP_B, absent());
  cfr_view_savepoint(view, 1); /* SAVEPOINT b */
  set(view, IP_A, present("azure", "westeurope"));
  set(view, IP_D, present("aws", "us-east-1"));
  cfr_view_rollback_to(view, 1); /* ROLLBACK TO b */
  CHECK_STR(vendor_now(view, IP_A), "gcp");
  CHECK_STR(vendor_now(view, IP_D), "");
  CHECK_STR(vendor_now(view, IP_B), "");
  CHECK_INT(cfr_view_present_count(view), 2);
  cfr_view_release(view, 1); /* RELEASE b */
  cfr_view_rollback_to(view, 0); /* ROLLBACK TO a */
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_STR(vendor_now(view, IP_A), "gcp"); /* written before SAVEPOINT a */
  CHECK_INT(cfr_view_present_count(view), 3);
  cfr_view_release(view, 0); /* RELEASE a */
  cfr_change *changes = NULL;
  int n = 0;
  CHECK_INT(cfr_view_changes(view, &changes, &n), SQLITE_OK);
  CHECK_INT(n, 1);
  if (n == 1) check_change(&changes[0], CFR_UPSERT, IP_A, "gcp", "us-central1");
  sqlite3_free(changes);
  cfr_view_free(view);
}

static void a_savepoint_stays_open_after_rollback_to(void) {
  cfr_view *view = complete_abc();
  cfr_view_savepoint(view, 0);
  set(view, IP_A, absent());
  cfr_view_rollback_to(view, 0);
  CHECK_STR(vendor_now(view, IP_A), "aws");
  set(view, IP_B, absent());
  cfr_view_rollback_to(view, 0);
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_view_free(view);
}

static void release_keeps_the_writes_for_the_enclosing_savepoint(void) {
  cfr_view *view = complete_abc();
  cfr_view_savepoint(view, 0);
  cfr_view_savepoint(view, 1);
  set(view, IP_A, absent());
  cfr_view_release(view, 1);
  CHECK_STR(vendor_now(view, IP_A), "");
  cfr_view_rollback_to(view, 0); /* the outer savepoint still undoes what the inner one did */
  CHECK_STR(vendor_now(view, IP_A), "aws");
  set(view, IP_B, absent());
  cfr_view_release(view, 0);
  CHECK_STR(vendor_now(view, IP_B), "");
  CHECK_INT(cfr_view_has_changes(view), 1);
  cfr_view_free(view);
}

static void a_failed_statement_undoes_only_its_own_rows(void) {
  cfr_view *view = complete_abc();
  cfr_view_savepoint(view, 0); /* SAVEPOINT a */
  set(view, IP_A, absent());
  cfr_view_savepoint(view, 1); /* the statement's savepoint */
  set(view, IP_B, absent());
  set(view, IP_D, present("aws", "us-east-1"));
  cfr_view_rollback_to(view, 1); /* the statement failed */
  cfr_view_release(view, 1);
  CHECK_STR(vendor_now(view, IP_A), "");
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_STR(vendor_now(view, IP_D), "");
  cfr_view_savepoint(view, 1); /* the next statement succeeds */
  set(view, IP_C, absent());
  cfr_view_release(view, 1);
  cfr_view_rollback_to(view, 0);
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_view_free(view);
}

static void levels_opened_before_the_table_joined_start_where_it_joined(void) {
  cfr_view *view = complete_abc();
  cfr_view_savepoint(view, 2); /* INSERT … SELECT, the first write, after SAVEPOINT a, b */
  set(view, IP_A, absent());
  cfr_view_release(view, 2);
  cfr_view_rollback_to(view, 1); /* ROLLBACK TO b */
  CHECK_STR(vendor_now(view, IP_A), "aws");
  cfr_view_savepoint(view, 2);
  set(view, IP_B, absent());
  cfr_view_release(view, 2);
  cfr_view_rollback_to(view, 0); /* ROLLBACK TO a */
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_view_free(view);
}

/* SQLite passes -1 for ROLLBACK TO the savepoint that opened the transaction
** (SAVEPOINT a without BEGIN): every write of the transaction is undone, the transaction goes on.
**   SAVEPOINT a; INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
**   ROLLBACK TO a; RELEASE a;    -- nothing is committed */
static void rollback_to_the_transaction_savepoint_undoes_every_write(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, absent());
  cfr_view_rollback_to(view, -1);
  CHECK_STR(vendor_now(view, IP_A), "aws");
  set(view, IP_A, absent());
  cfr_view_savepoint(view, 0); /* SAVEPOINT b */
  set(view, IP_B, absent());
  cfr_view_rollback_to(view, -1);
  CHECK_STR(vendor_now(view, IP_A), "aws");
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_view_free(view);
}

static void discard_forgets_every_pending_write(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, absent());
  cfr_view_savepoint(view, 0);
  set(view, IP_D, present("aws", "us-east-1"));
  cfr_view_discard_changes(view); /* ROLLBACK */
  CHECK_INT(cfr_view_has_changes(view), 0);
  CHECK_INT(cfr_view_present_count(view), 3);
  CHECK_STR(vendor_now(view, IP_A), "aws");
  CHECK_STR(vendor_now(view, IP_D), "");
  /* The next transaction's savepoints start afresh. */
  cfr_view_savepoint(view, 0);
  set(view, IP_B, absent());
  cfr_view_rollback_to(view, 0);
  CHECK_STR(vendor_now(view, IP_B), "aws");
  CHECK_STR(vendor_now(view, IP_A), "aws");
  cfr_view_free(view);
}

/* ---- After COMMIT */

/* The changes as the store applied them, each upsert stamped with `stamp` ("": the store could
** not tell). */
static cfr_change *applied_changes(cfr_view *view, const char *stamp, int *n) {
  cfr_change *changes = NULL;
  CHECK_INT(cfr_view_changes(view, &changes, n), SQLITE_OK);
  for (int i = 0; i < *n; i++) {
    changes[i].applied = 1;
    if (changes[i].kind == CFR_UPSERT) snprintf(changes[i].mapping.modified_on, CFR_TIME_MAX, "%s", stamp);
  }
  return changes;
}

static void a_settled_view_is_the_store_after_commit(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, present("gcp", "us-central1")); /* changed */
  set(view, IP_B, present("aws", "eu-west-1"));   /* written back as it was */
  set(view, IP_C, absent());                      /* deleted */
  set(view, IP_D, present("oci", "us-ashburn-1")); /* new */
  cfr_view_savepoint(view, 0);
  int n;
  cfr_change *changes = applied_changes(view, "2026-12-02T00:00:00Z", &n);
  CHECK_INT(n, 3);
  cfr_view_note_stamps(view, changes, n);
  sqlite3_free(changes);
  CHECK_INT(cfr_view_settle(view), 1);
  CHECK_INT(cfr_view_has_changes(view), 0);
  CHECK_INT(cfr_view_present_count(view), 3);
  CHECK_INT(cfr_view_base_count(view), 3);
  CHECK_STR(row_of(view, IP_A)->base.vendor, "gcp");
  CHECK_STR(row_of(view, IP_A)->cur.modified_on, "2026-12-02T00:00:00Z");
  CHECK_STR(row_of(view, IP_D)->base.modified_on, "2026-12-02T00:00:00Z");
  /* A row written back to its own value was no change: it keeps the store's time. */
  CHECK_STR(row_of(view, IP_B)->cur.modified_on, "2025-01-02T03:04:05Z");
  CHECK_INT(row_of(view, IP_C)->base.present, 0);
  /* Nothing of the transaction is left to undo. */
  cfr_view_rollback_to(view, 0);
  CHECK_STR(vendor_now(view, IP_A), "gcp");
  CHECK_INT(cfr_view_savepoints(view), 0);
  cfr_view_free(view);
}

static void a_view_without_every_stamp_does_not_settle(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, present("gcp", "us-central1"));
  int n;
  cfr_change *changes = applied_changes(view, "", &n);
  cfr_view_note_stamps(view, changes, n);
  sqlite3_free(changes);
  CHECK_INT(cfr_view_settle(view), 0);
  CHECK_INT(cfr_view_has_changes(view), 1); /* left as it was: the table reads the store again */
  CHECK_STR(row_of(view, IP_A)->base.vendor, "aws");
  cfr_view_free(view);
}

static void an_incomplete_view_does_not_settle(void) {
  const cfr_mapping part[] = {mapping(IP_A, "aws", "us-east-1")};
  cfr_view *view = view_of(part, 1, 0);
  set(view, IP_A, present("gcp", "us-central1"));
  int n;
  cfr_change *changes = applied_changes(view, "2026-12-02T00:00:00Z", &n);
  cfr_view_note_stamps(view, changes, n);
  sqlite3_free(changes);
  CHECK_INT(cfr_view_settle(view), 0);
  CHECK_INT(cfr_view_has_changes(view), 1);
  cfr_view_free(view);
}

/* ---- Out of memory */

static void a_write_that_cannot_be_journaled_changes_nothing(void) {
  cfr_view *view = complete_abc();
  cfr_view_savepoint(view, 0);
  unit_fail_allocations_after(0);
  cfr_value gcp = present("gcp", "us-central1");
  CHECK_INT(cfr_view_set(view, IP_A, &gcp), SQLITE_NOMEM);
  unit_fail_allocations_after(-1);
  CHECK_STR(vendor_now(view, IP_A), "aws");
  CHECK_INT(cfr_view_has_changes(view), 0);
  cfr_view_free(view);
}

static void changes_that_cannot_be_listed_are_an_error(void) {
  cfr_view *view = complete_abc();
  set(view, IP_A, absent());
  cfr_change *changes = NULL;
  int n = -1;
  unit_fail_allocations_after(0);
  CHECK_INT(cfr_view_changes(view, &changes, &n), SQLITE_NOMEM);
  unit_fail_allocations_after(-1);
  CHECK(changes == NULL);
  CHECK_INT(n, 0);
  cfr_view_free(view);
}

int main(void) {
  unit_init();
  RUN(a_new_view_knows_nothing);
  RUN(a_complete_listing_is_the_whole_store);
  RUN(a_partial_listing_leaves_the_view_incomplete);
  RUN(a_point_lookup_is_remembered_once);
  RUN(a_listing_keeps_the_rows_the_view_already_knows);
  RUN(present_count_without_a_listing_uses_the_store_total);
  RUN(a_complete_view_counts_its_own_rows);
  RUN(write_lookups_are_counted);
  RUN(a_write_is_laid_over_the_snapshot);
  RUN(writes_that_end_where_they_started_are_not_changes);
  RUN(changes_are_deletes_then_upserts);
  RUN(sorted_lists_present_rows_in_numeric_ip_order);
  RUN(rollback_to_undoes_the_writes_since_that_savepoint);
  RUN(a_savepoint_stays_open_after_rollback_to);
  RUN(release_keeps_the_writes_for_the_enclosing_savepoint);
  RUN(a_failed_statement_undoes_only_its_own_rows);
  RUN(levels_opened_before_the_table_joined_start_where_it_joined);
  RUN(rollback_to_the_transaction_savepoint_undoes_every_write);
  RUN(discard_forgets_every_pending_write);
  RUN(a_settled_view_is_the_store_after_commit);
  RUN(a_view_without_every_stamp_does_not_settle);
  RUN(an_incomplete_view_does_not_settle);
  RUN(a_write_that_cannot_be_journaled_changes_nothing);
  RUN(changes_that_cannot_be_listed_are_an_error);
  return unit_done();
}
