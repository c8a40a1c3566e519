/*
** cfregions_int.h — declarations shared by the extension's source files, and the rules they follow.
**
** Every file of the extension that uses SQLite includes this instead of sqlite3.h, so that all of
** them call SQLite through the loadable-extension API table set up in cfregions.c.
**
** Errors. A function that can fail returns an SQLite result code (SQLITE_OK on success) and, when
** the caller needs words, hands back `char **err`: a sentence without a trailing period, allocated
** with sqlite3_mprintf, owned (and freed with sqlite3_free) by the caller. Only the SQL layer turns
** such a text into a virtual table's error, through cfr_vtab_error(), prefixed with the table name.
** Text that came from a server never reaches an error unchecked: see cfr_append_server_text().
**
** Memory. Everything that crosses a module boundary is allocated with sqlite3_malloc/_mprintf and
** freed with sqlite3_free: callers never have to look up which free() goes with a result. The one
** exception is the HTTP client (http.c and http_*.c), which uses plain malloc/free so that its C
** test links it alone, without SQLite; its results (cfr_http_response) are released with
** cfr_http_response_clear() and never handed further up. Strings from jansson (json_dumps) are
** copied into sqlite3 memory where they are produced.
**
** Invariants. assert() checks what the code relies on (transaction order, reference counts, which
** view is current); the ASan build compiles the asserts in, the plain build defines NDEBUG.
*/
#ifndef CFREGIONS_INT_H
#define CFREGIONS_INT_H

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <assert.h>
#include <stddef.h>

#include "cfregions.h"
#include "cfregions_ip.h"

typedef struct cfr_context cfr_context;

/* ---- errors ---- */

/* Replaces vtab's error message with the formatted text and returns rc. Out of memory leaves the
** message empty; SQLite then reports rc's own text. */
int cfr_vtab_error(sqlite3_vtab *vtab, int rc, const char *fmt, ...);

/* Appends text that came from a server (a message, a region name) to s, safely: whole UTF-8
** characters only, at most `max` bytes once escaped; control characters, the bidirectional and
** line-separating format characters and invalid bytes escaped (\n, \x1b, \u{202e}), so that
** nothing from the network can forge lines, disguise text or flood an error. */
void cfr_append_server_text(sqlite3_str *s, const char *text, size_t max);

/* ---- small helpers ---- */

/* Copies src into a fixed-size field; returns -1 (and copies nothing) when it does not fit. */
int cfr_copy_field(char *dst, size_t size, const char *src);

/* Makes room for `need` elements of `size` bytes in a growable array (sqlite3 memory): returns
** the array, moved if it had to grow (capacity doubles), or NULL when out of memory, with the old
** array untouched. */
void *cfr_grow(void *items, int *capacity, int need, size_t size);

/* Writes zeros over a secret (sqlite3 memory) before freeing it. */
void cfr_free_secret(char *secret);

/* The write statement running now (the one calling xUpdate), and which run of it (*run): a pair
** that tells one execution of a statement from the next, and from a statement that wrote before it
** at the same address. NULL when none is running. */
sqlite3_stmt *cfr_writing_statement(sqlite3 *db, sqlite3_int64 *run);

/* ---- registration (each called once per connection by sqlite3_cfregions_init) ---- */

/* ip_sql.c: ip_canonical(), ipfamily(), iphost(), ipmasklen(), ipnetwork(), ipcontains(),
** the `ip` collation and cfregions_version(). */
int cfr_ip_sql_register(sqlite3 *db);
/* vtab.c: the origin_cloud_regions module. It owns ctx and frees it when the connection closes;
** the other registrations below keep the same pointer, which is safe because SQLite destroys every
** module of a connection only when it closes. */
int cfr_table_register(sqlite3 *db, cfr_context *ctx);
/* context_sql.c: cfregions_set_token(), cfregions_set_credentials(), cfregions_allow_base_url()
** and the cfregions_unapplied table. */
int cfr_context_sql_register(sqlite3 *db, cfr_context *ctx);
/* recovery.c: cfregions_retry() and the cfregions_pending table. */
int cfr_recovery_register(sqlite3 *db, cfr_context *ctx);
/* supported_regions.c: the eponymous supported_regions table. */
int cfr_supported_regions_register(sqlite3 *db, cfr_context *ctx);

#endif
