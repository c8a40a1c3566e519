/*
** cfregions_int.h — declarations shared by the extension's source files.
** Every file of the extension includes this instead of sqlite3.h, so that all of them call SQLite
** through the loadable-extension API table set up in cfregions.c.
*/
#ifndef CFREGIONS_INT_H
#define CFREGIONS_INT_H

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include "cfregions.h"
#include "cfregions_ip.h"

/* ip_sql.c: ip_canonical(), ipfamily(), iphost(), ipmasklen(), ipnetwork(), ipcontains(),
** the `ip` collation and cfregions_version(). */
int cfr_ip_sql_register(sqlite3 *db);

#endif
