/*
** view.c — snapshot + pending writes of one table. See view.h.
**
** Rows live in an append-only array (indices stay valid while cursors hold them); an open-addressing
** hash of row indices finds an IP in O(1), which keeps a 3,500-row bulk INSERT linear.
*/
#include "view.h"

#include <stdlib.h>
#include <string.h>

typedef struct undo_entry {
  int row;
  cfr_value previous;
} undo_entry;

struct cfr_view {
  cfr_row *rows;
  int nrows, row_capacity;
  int *slots;             /* row index + 1; 0 = empty */
  int nslots;             /* power of two */
  int complete;
  int present;            /* rows whose cur.present is set */
  int base_present;       /* rows whose base.present is set */
  int store_total;        /* mappings in the store when the snapshot began; -1 unknown */
  int write_lookups;      /* point lookups made for writes (a budget before listing instead) */
  int read_lookups;       /* point lookups made for reads (likewise) */
  undo_entry *undo;
  int nundo, undo_capacity;
  int *marks;             /* journal length at each open savepoint level */
  int nmarks, mark_capacity;
  int in_statement;       /* a statement's writes are journaled (cfr_view_statement) */
  int statement_mark;     /* journal length when the statement began */
  int *order;             /* every row index in address order, for the first `ordered` rows */
  int ordered;            /* rows the order covers: valid while it equals nrows */
};

static unsigned hash_text(const char *s) {
  unsigned h = 2166136261u;  /* FNV-1a */
  while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
  return h;
}

cfr_view *cfr_view_new(void) {
  cfr_view *view = sqlite3_malloc(sizeof(*view));
  if (view) {
    memset(view, 0, sizeof(*view));
    view->store_total = -1;
  }
  return view;
}

static void clear_rows(cfr_view *view) {
  sqlite3_free(view->rows);
  sqlite3_free(view->slots);
  view->rows = NULL;
  view->slots = NULL;
  view->nrows = view->row_capacity = view->nslots = 0;
  view->present = 0;
  view->complete = 0;
}

void cfr_view_free(cfr_view *view) {
  if (!view) return;
  clear_rows(view);
  sqlite3_free(view->undo);
  sqlite3_free(view->marks);
  sqlite3_free(view->order);
  sqlite3_free(view);
}

int cfr_view_is_complete(const cfr_view *view) { return view->complete; }
int cfr_view_present_count(const cfr_view *view) {
  if (view->complete) return view->present;
  if (view->store_total < 0) return -1;
  /* Rows the view knows about stand for themselves; the rest are counted by the store. */
  return view->store_total - view->base_present + view->present;
}

void cfr_view_set_store_total(cfr_view *view, int total) { view->store_total = total; }
int cfr_view_base_count(const cfr_view *view) { return view->complete ? view->base_present : view->store_total; }
int cfr_view_has_store_total(const cfr_view *view) { return view->complete || view->store_total >= 0; }
int cfr_view_note_write_lookup(cfr_view *view) { return ++view->write_lookups; }
int cfr_view_note_read_lookups(cfr_view *view, int n) {
  int before = view->read_lookups;
  view->read_lookups += n;
  return before;
}
const cfr_row *cfr_view_row(const cfr_view *view, int index) { return &view->rows[index]; }

int cfr_view_find(const cfr_view *view, const char *origin_ip) {
  if (view->nslots == 0) return -1;
  unsigned mask = (unsigned)view->nslots - 1;
  for (unsigned i = hash_text(origin_ip) & mask;; i = (i + 1) & mask) {
    int slot = view->slots[i];
    if (slot == 0) return -1;
    if (strcmp(view->rows[slot - 1].origin_ip, origin_ip) == 0) return slot - 1;
  }
}

static void insert_slot(cfr_view *view, int row) {
  unsigned mask = (unsigned)view->nslots - 1;
  unsigned i = hash_text(view->rows[row].origin_ip) & mask;
  while (view->slots[i] != 0) i = (i + 1) & mask;
  view->slots[i] = row + 1;
}

/* Keeps the hash at most half full. */
static int grow_slots(cfr_view *view) {
  if ((view->nrows + 1) * 2 <= view->nslots) return SQLITE_OK;
  int nslots = view->nslots ? view->nslots * 2 : 64;
  int *slots = sqlite3_malloc64((sqlite3_uint64)nslots * sizeof(int));
  if (!slots) return SQLITE_NOMEM;
  memset(slots, 0, (size_t)nslots * sizeof(int));
  sqlite3_free(view->slots);
  view->slots = slots;
  view->nslots = nslots;
  for (int r = 0; r < view->nrows; r++) insert_slot(view, r);
  return SQLITE_OK;
}

/* Appends a row with both values absent; returns its index or -1. */
static int append_row(cfr_view *view, const char *origin_ip) {
  if (grow_slots(view) != SQLITE_OK) return -1;
  if (view->nrows == view->row_capacity) {
    int capacity = view->row_capacity ? view->row_capacity * 2 : 64;
    cfr_row *rows = sqlite3_realloc64(view->rows, (sqlite3_uint64)capacity * sizeof(cfr_row));
    if (!rows) return -1;
    view->rows = rows;
    view->row_capacity = capacity;
  }
  cfr_row *row = &view->rows[view->nrows];
  memset(row, 0, sizeof(*row));
  if (cfr_copy_field(row->origin_ip, sizeof(row->origin_ip), origin_ip) != 0) return -1;
  if (cfr_ip_parse(origin_ip, strlen(origin_ip), &row->addr) != 0) memset(&row->addr, 0, sizeof(row->addr));
  insert_slot(view, view->nrows);
  return view->nrows++;
}

static void value_from_mapping(cfr_value *v, const cfr_mapping *m) {
  memset(v, 0, sizeof(*v));
  if (!m) return;
  v->present = 1;
  memcpy(v->vendor, m->vendor, sizeof(v->vendor));
  memcpy(v->region, m->region, sizeof(v->region));
  memcpy(v->modified_on, m->modified_on, sizeof(v->modified_on));
}

int cfr_view_load(cfr_view *view, const cfr_mapping_list *list, int complete) {
  /* Rows the view knows already (point lookups, pending writes) keep their snapshot and their
  ** pending value, and keep their index (cursors of the same statement may hold it). */
  for (int i = 0; i < list->count; i++) {
    if (cfr_view_find(view, list->items[i].origin_ip) >= 0) continue;
    int r = append_row(view, list->items[i].origin_ip);
    if (r < 0) return SQLITE_NOMEM;
    value_from_mapping(&view->rows[r].base, &list->items[i]);
    view->rows[r].cur = view->rows[r].base;
    view->present++;
    view->base_present++;
  }
  if (complete) view->complete = 1;
  return SQLITE_OK;
}

int cfr_view_add_known(cfr_view *view, const char *origin_ip, const cfr_mapping *m) {
  int r = cfr_view_find(view, origin_ip);
  if (r >= 0) return r;  /* already known: keep what the transaction sees */
  r = append_row(view, origin_ip);
  if (r < 0) return -1;
  value_from_mapping(&view->rows[r].base, m);
  view->rows[r].cur = view->rows[r].base;
  if (m) {
    view->present++;
    view->base_present++;
  }
  return r;
}

static int journal(cfr_view *view, int row) {
  /* Nothing to undo to without a savepoint or a statement in progress. */
  if (view->nmarks == 0 && !view->in_statement) return SQLITE_OK;
  if (view->nundo == view->undo_capacity) {
    int capacity = view->undo_capacity ? view->undo_capacity * 2 : 64;
    undo_entry *undo = sqlite3_realloc64(view->undo, (sqlite3_uint64)capacity * sizeof(undo_entry));
    if (!undo) return SQLITE_NOMEM;
    view->undo = undo;
    view->undo_capacity = capacity;
  }
  view->undo[view->nundo].row = row;
  view->undo[view->nundo].previous = view->rows[row].cur;
  view->nundo++;
  return SQLITE_OK;
}

static void assign(cfr_view *view, int row, const cfr_value *value) {
  view->present += (value->present ? 1 : 0) - (view->rows[row].cur.present ? 1 : 0);
  view->rows[row].cur = *value;
}

int cfr_view_set(cfr_view *view, const char *origin_ip, const cfr_value *value) {
  int r = cfr_view_find(view, origin_ip);
  if (r < 0 && (r = append_row(view, origin_ip)) < 0) return SQLITE_NOMEM;
  if (journal(view, r) != SQLITE_OK) return SQLITE_NOMEM;
  assign(view, r, value);
  return SQLITE_OK;
}

static int same_value(const cfr_value *a, const cfr_value *b) {
  if (a->present != b->present) return 0;
  if (!a->present) return 1;
  return strcmp(a->vendor, b->vendor) == 0 && strcmp(a->region, b->region) == 0;
}

int cfr_view_has_changes(const cfr_view *view) {
  for (int r = 0; r < view->nrows; r++)
    if (!same_value(&view->rows[r].base, &view->rows[r].cur)) return 1;
  return 0;
}

void cfr_view_savepoint(cfr_view *view, int level) {
  if (level < 0) return;
  if (level >= view->mark_capacity) {
    int capacity = level + 16;
    int *marks = sqlite3_realloc64(view->marks, (sqlite3_uint64)capacity * sizeof(int));
    if (!marks) return;  /* the savepoint then cannot be rolled back to beyond the journal's start */
    view->marks = marks;
    view->mark_capacity = capacity;
  }
  /* Levels skipped by SQLite (savepoints opened before this table joined) start here too. */
  for (int i = view->nmarks; i <= level; i++) view->marks[i] = view->nundo;
  view->nmarks = level + 1;
}

int cfr_view_savepoints(const cfr_view *view) { return view->nmarks; }
int cfr_view_has_undo(const cfr_view *view) { return view->nundo > 0; }

void cfr_view_release(cfr_view *view, int level) {
  if (level < 0) level = 0;
  if (level < view->nmarks) view->nmarks = level;
  if (view->nmarks == 0 && !view->in_statement) view->nundo = 0;
}

/* Entries before the statement's mark are needed only for savepoints; without one they are
** dropped, so the journal holds at most one statement's writes. */
void cfr_view_statement(cfr_view *view) {
  if (view->nmarks == 0) view->nundo = 0;
  view->in_statement = 1;
  view->statement_mark = view->nundo;
}

void cfr_view_statement_undo(cfr_view *view) {
  if (!view->in_statement) return;
  while (view->nundo > view->statement_mark) {
    view->nundo--;
    assign(view, view->undo[view->nundo].row, &view->undo[view->nundo].previous);
  }
}

void cfr_view_rollback_to(cfr_view *view, int level) {
  /* Level -1: ROLLBACK TO the savepoint that opened the transaction. Everything the transaction
  ** wrote goes, and the transaction goes on: the snapshot is what it started from. */
  if (level < 0) {
    cfr_view_discard_changes(view);
    return;
  }
  int target = level < view->nmarks ? view->marks[level] : view->nundo;
  while (view->nundo > target) {
    view->nundo--;
    assign(view, view->undo[view->nundo].row, &view->undo[view->nundo].previous);
  }
  if (level < view->nmarks) view->nmarks = level + 1;
  if (view->statement_mark > view->nundo) view->statement_mark = view->nundo;
}

void cfr_view_discard_changes(cfr_view *view) {
  for (int r = 0; r < view->nrows; r++) assign(view, r, &view->rows[r].base);
  view->nundo = 0;
  view->nmarks = 0;
  view->in_statement = 0;
  view->statement_mark = 0;
}

void cfr_view_note_stamps(cfr_view *view, const cfr_change *applied, int n) {
  for (int i = 0; i < n; i++) {
    if (applied[i].kind != CFR_UPSERT || !applied[i].applied) continue;
    int r = cfr_view_find(view, applied[i].mapping.origin_ip);
    if (r >= 0) memcpy(view->rows[r].cur.modified_on, applied[i].mapping.modified_on, CFR_TIME_MAX);
  }
}

int cfr_view_settle(cfr_view *view) {
  if (!view->complete) return 0;
  for (int r = 0; r < view->nrows; r++) {
    const cfr_row *row = &view->rows[r];
    if (row->cur.present && !same_value(&row->base, &row->cur) && !row->cur.modified_on[0]) return 0;
  }
  /* A row written back to its value was no change: it keeps the store's modified_on. */
  for (int r = 0; r < view->nrows; r++) {
    cfr_row *row = &view->rows[r];
    if (same_value(&row->base, &row->cur)) row->cur = row->base;
    else row->base = row->cur;
  }
  view->base_present = view->present;
  view->store_total = view->present;
  view->nundo = 0;
  view->nmarks = 0;
  view->in_statement = 0;
  view->statement_mark = 0;
  return 1;
}

static int compare_rows(const void *a, const void *b) {
  const cfr_row *x = *(const cfr_row *const *)a, *y = *(const cfr_row *const *)b;
  int c = cfr_ip_compare(&x->addr, &y->addr);
  return c ? c : strcmp(x->origin_ip, y->origin_ip);
}

int cfr_view_sort_rows(const cfr_view *view, int *rows, int n) {
  if (n < 2) return SQLITE_OK;
  /* Sorted as pointers (qsort has no context argument), handed back as indices. */
  const cfr_row **sorted = sqlite3_malloc64((sqlite3_uint64)n * sizeof(cfr_row *));
  if (!sorted) return SQLITE_NOMEM;
  for (int i = 0; i < n; i++) sorted[i] = &view->rows[rows[i]];
  qsort(sorted, (size_t)n, sizeof(cfr_row *), compare_rows);
  for (int i = 0; i < n; i++) rows[i] = (int)(sorted[i] - view->rows);
  sqlite3_free(sorted);
  return SQLITE_OK;
}

/* Sorts every row once; a snapshot read by many statements (a cached one, or a transaction's)
** is then sorted only again after rows were added. */
static int order_rows(cfr_view *view) {
  if (view->ordered == view->nrows && (view->order || view->nrows == 0)) return SQLITE_OK;
  int *order = sqlite3_realloc64(view->order, (sqlite3_uint64)(view->nrows ? view->nrows : 1) * sizeof(int));
  if (!order) return SQLITE_NOMEM;
  view->order = order;
  for (int r = 0; r < view->nrows; r++) order[r] = r;
  int rc = cfr_view_sort_rows(view, order, view->nrows);
  view->ordered = rc == SQLITE_OK ? view->nrows : 0;
  return rc;
}

int cfr_view_sorted(cfr_view *view, int **out, int *n) {
  *out = NULL;
  *n = 0;
  if (view->present == 0) return SQLITE_OK;
  int rc = order_rows(view);
  if (rc != SQLITE_OK) return rc;
  int *order = sqlite3_malloc64((sqlite3_uint64)view->present * sizeof(int));
  if (!order) return SQLITE_NOMEM;
  int count = 0;
  for (int i = 0; i < view->nrows && count < view->present; i++)
    if (view->rows[view->order[i]].cur.present) order[count++] = view->order[i];
  *out = order;
  *n = count;
  return SQLITE_OK;
}

static void change_from_row(cfr_change *c, const cfr_row *row, cfr_change_kind kind) {
  memset(c, 0, sizeof(*c));
  c->kind = kind;
  memcpy(c->mapping.origin_ip, row->origin_ip, sizeof(c->mapping.origin_ip));
  const cfr_value *v = kind == CFR_DELETE ? &row->base : &row->cur;
  memcpy(c->mapping.vendor, v->vendor, sizeof(c->mapping.vendor));
  memcpy(c->mapping.region, v->region, sizeof(c->mapping.region));
  c->existed = row->base.present;
  memcpy(c->old_vendor, row->base.vendor, sizeof(c->old_vendor));
  memcpy(c->old_region, row->base.region, sizeof(c->old_region));
}

int cfr_view_changes(const cfr_view *view, cfr_change **out, int *n) {
  int count = 0;
  for (int r = 0; r < view->nrows; r++)
    if (!same_value(&view->rows[r].base, &view->rows[r].cur)) count++;
  *out = NULL;
  *n = 0;
  if (count == 0) return SQLITE_OK;
  cfr_change *changes = sqlite3_malloc64((sqlite3_uint64)count * sizeof(cfr_change));
  if (!changes) return SQLITE_NOMEM;
  int k = 0;
  for (int r = 0; r < view->nrows; r++) {
    const cfr_row *row = &view->rows[r];
    if (row->base.present && !row->cur.present) change_from_row(&changes[k++], row, CFR_DELETE);
  }
  for (int r = 0; r < view->nrows; r++) {
    const cfr_row *row = &view->rows[r];
    if (row->cur.present && !same_value(&row->base, &row->cur)) change_from_row(&changes[k++], row, CFR_UPSERT);
  }
  *out = changes;
  *n = k;
  return SQLITE_OK;
}
