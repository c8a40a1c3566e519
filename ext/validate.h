/*
** validate.h — the checks every row written to an origin_cloud_regions table passes, in one place,
** so that the local store and the API store accept exactly the same rows, and so that
** cfregions_check() can tell in advance what a write would say.
*/
#ifndef CFREGIONS_VALIDATE_H
#define CFREGIONS_VALIDATE_H

#include "view.h"

#define CFR_CAUSE_MAX (CFR_ERROR_MAX + 256)

/* Checks origin_ip, vendor and region against `regions` (the list of zone `zone_id`; NULL: the
** built-in list). Returns 0 and fills the canonical IP and value, or the SQLite code of the
** problem (SQLITE_CONSTRAINT_NOTNULL, SQLITE_CONSTRAINT_CHECK) with its cause in `cause`, as an
** error message states it: "region 'moon-1' is not supported for vendor 'aws' (see …)".
** current_ip and current: the row an UPDATE rewrites (NULL for new rows); a column the UPDATE does
** not assign reaches xUpdate as no value (sqlite3_value_nochange) and keeps the row's current one,
** whose IP is canonical already. */
int cfr_validate_row(sqlite3_value *ip, sqlite3_value *vendor, sqlite3_value *region, const char *current_ip,
                     const cfr_value *current, const cfr_regions *regions, const char *zone_id,
                     char canonical[CFR_IP_TEXT_MAX], cfr_value *value, char cause[CFR_CAUSE_MAX]);

/* cfregions_check(origin_ip, vendor, region[, zone_id]) on db. */
int cfr_validate_register(sqlite3 *db, cfr_context *ctx);

#endif
