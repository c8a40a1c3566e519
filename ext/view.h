/*
** view.h — what one origin_cloud_regions table looks like to the current statement or transaction:
** a snapshot of the store (complete after a listing, partial after point lookups) with the
** transaction's pending writes laid over it, an undo journal for savepoints, and the list of
** changes to send at COMMIT (rows whose current value differs from the snapshot).
*/
#ifndef CFREGIONS_VIEW_H
#define CFREGIONS_VIEW_H

#include "store.h"

typedef struct cfr_value {
  int present;                       /* the IP has a mapping */
  char vendor[CFR_VENDOR_MAX];
  char region[CFR_REGION_MAX];
  char modified_on[CFR_TIME_MAX];    /* "" for a pending write */
} cfr_value;

typedef struct cfr_row {
  char origin_ip[CFR_IP_TEXT_MAX];
  cfr_ip addr;                       /* for numeric ordering */
  cfr_value base;                    /* as in the store's snapshot */
  cfr_value cur;                     /* as the transaction has left it */
} cfr_row;

typedef struct cfr_view cfr_view;

cfr_view *cfr_view_new(void);
void cfr_view_free(cfr_view *view);

/* Adds the mappings of a listing the view does not know yet; rows it knows (from point lookups, or
** with pending writes) are kept as they are. complete: the listing is the whole store, so from now
** on an IP the view does not know has no mapping. */
int cfr_view_load(cfr_view *view, const cfr_mapping_list *list, int complete);
int cfr_view_is_complete(const cfr_view *view);
/* Records what a point lookup found (m == NULL: no mapping). Returns the row index, or -1 (OOM). */
int cfr_view_add_known(cfr_view *view, const char *origin_ip, const cfr_mapping *m);

/* Row index for a canonical IP, or -1 when the view knows nothing of it. */
int cfr_view_find(const cfr_view *view, const char *origin_ip);
const cfr_row *cfr_view_row(const cfr_view *view, int index);
/* Mappings present now, pending writes included; -1 when the view is neither complete nor told the
** store's total. */
int cfr_view_present_count(const cfr_view *view);
/* The store's number of mappings when the snapshot began, for counting without a full listing. */
void cfr_view_set_store_total(cfr_view *view, int total);
/* The store's number of mappings when the snapshot began; -1 when unknown. */
int cfr_view_base_count(const cfr_view *view);
int cfr_view_has_store_total(const cfr_view *view);
/* Counts a point lookup made for a write; returns how many this view has made. */
int cfr_view_note_write_lookup(cfr_view *view);
/* Counts n point lookups made for reads; returns how many this view had made before them. */
int cfr_view_note_read_lookups(cfr_view *view, int n);

/* Sets the current value of an IP (new row if unknown; the view must then be complete, so the
** base is known to be absent). Journaled for savepoints. Returns SQLITE_OK or SQLITE_NOMEM. */
int cfr_view_set(cfr_view *view, const char *origin_ip, const cfr_value *value);
int cfr_view_has_changes(const cfr_view *view);

void cfr_view_savepoint(cfr_view *view, int level);
void cfr_view_release(cfr_view *view, int level);
void cfr_view_rollback_to(cfr_view *view, int level);
/* How many savepoint levels the view has marks for. */
int cfr_view_savepoints(const cfr_view *view);
/* Whether the undo journal holds writes that a ROLLBACK TO of an open savepoint could still take
** back. */
int cfr_view_has_undo(const cfr_view *view);
/* A write statement begins: its writes are journaled, so that cfr_view_statement_undo can take
** them back when it fails (SQLite opens no savepoint around some statements, e.g. UPDATE … FROM
** on a virtual table in 3.40). */
void cfr_view_statement(cfr_view *view);
void cfr_view_statement_undo(cfr_view *view);
/* Forgets every pending write (ROLLBACK). */
void cfr_view_discard_changes(cfr_view *view);
/* COMMIT sent the view's changes (n of them) to a store that stamps what it writes: the upserts'
** stamps (mapping.modified_on) are noted on their rows. Not journaled: a ROLLBACK discards them
** with the writes. */
void cfr_view_note_stamps(cfr_view *view, const cfr_change *applied, int n);
/* The COMMIT is done: the snapshot becomes what the transaction left (every pending write, with
** its stamp, is now the store's), so that later statements need not read the store again. Returns
** 0, changing nothing, for a view that is not complete or has a written row without its stamp. */
int cfr_view_settle(cfr_view *view);

/* Row indices of present rows in numeric IP order; *n receives the count. The array is owned by
** the caller (sqlite3_free). NULL with *n == 0 for an empty view, or on OOM (returns SQLITE_NOMEM). */
int cfr_view_sorted(cfr_view *view, int **out, int *n);

/* Sorts row indices in numeric IP order (the `ip` collation's order). */
int cfr_view_sort_rows(const cfr_view *view, int *rows, int n);

/* The pending changes (deletes, then upserts, each in the order the rows were first seen), as an
** array owned by the caller (sqlite3_free). */
int cfr_view_changes(const cfr_view *view, cfr_change **out, int *n);

#endif
