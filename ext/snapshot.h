/*
** snapshot.h — filling a view (view.h) from its store: the rules for when to count, look up,
** prefetch or list, and the lookup budgets, in one place. The SQL layer asks for what a statement
** needs (every row, some IPs, one IP for a write, the count for the 3,500 limit); this module picks
** the cheapest way to learn it, by the store's own cost estimates.
*/
#ifndef CFREGIONS_SNAPSHOT_H
#define CFREGIONS_SNAPSHOT_H

#include "view.h"

/* Makes the view hold every mapping of the store (one listing), keeping what it knows already. */
int cfr_snapshot_complete(cfr_store *store, cfr_view *view, char **err);

/* Completes n views of n stores opened together (the zones of one table) — with their requests
** sent together where the stores can. */
int cfr_snapshot_complete_many(cfr_store **stores, cfr_view **views, int n, char **err);

/* Gives the view the store's number of mappings (and perhaps the start of a listing), or completes
** it when the store cannot say more cheaply. */
int cfr_snapshot_count(cfr_store *store, cfr_view *view, char **err);

/* The present rows of the given canonical IPs, in the order given (absent IPs skipped): looked up,
** all at once where the store can overlap lookups, or listed once when that is cheaper. rows must
** hold n entries; *nrows receives how many were found. A view that keeps being asked for IPs it
** does not know — the inner loop of a join, a correlated subquery — lists the store instead once
** its lookups reach a sixteenth of what a listing costs. */
int cfr_snapshot_rows_of(cfr_store *store, cfr_view *view, char (*ips)[CFR_IP_TEXT_MAX], int n,
                         double estimated_rows, int *rows, int *nrows, char **err);

/* Before cfr_snapshot_rows_of over n stores opened together (the zones of a multi-zone table),
** the same nips IPs in each: the views that should list (by the same rules) list together, and the
** IPs the others do not know are looked up in every one of them together, where the stores can:
** one round of requests instead of one per zone. estimated_rows[s]: stores[s]'s size as last seen. */
int cfr_snapshot_prefetch_together(cfr_store **stores, cfr_view **views, int n, char (*ips)[CFR_IP_TEXT_MAX],
                                   int nips, const double *estimated_rows, char **err);

/* For a write: the row index of ip (-1 when the view is complete and has no such row), asking the
** store when the view does not know the IP. The view also learns the store's count, which the
** 3,500 limit needs. After a few such lookups in one view it lists the store instead. */
int cfr_snapshot_row_for_write(cfr_store *store, cfr_view *view, const char *ip, int *row, char **err);

#endif
