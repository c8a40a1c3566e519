/*
** journal.h — the COMMIT journal of a database file: "<database file>-cfregions".
**
** A COMMIT to a store that cannot roll back (Cloudflare's API) writes its change list here, and
** fsyncs it, before its first request; it records each batch's outcome as it completes, and at the
** end keeps only what was not applied. So what a COMMIT could not apply outlives the connection and
** the process: a later connection that opens the table lists those changes in cfregions_unapplied —
** with their errors, or, when the process died mid-COMMIT, as "interrupted:" — and cfregions_retry
** sends them. In-memory and temporary databases have no journal.
**
** The file is JSON, one record per line: a change of one COMMIT ({"commit", "pid", "table", "zone",
** "op", "ip", "vendor", "region"}) and later lines about it ({"commit", "table", "ip", "state":
** "applied"|"failed", "error"}). It holds no credential. Several connections, in several processes,
** may write one journal at once: every access takes an exclusive fcntl lock on the file, appends go
** through O_APPEND, and a rewrite replaces the file by rename() under the lock (a writer that locked
** the old file notices and starts again).
*/
#ifndef CFREGIONS_JOURNAL_H
#define CFREGIONS_JOURNAL_H

#include "store.h"

typedef struct cfr_journal cfr_journal;

/* The journal path of a table's database, in sqlite3 memory; NULL (and SQLITE_OK) when the
** database has no file (in-memory, temporary). */
int cfr_journal_path(sqlite3 *db, const char *schema, char **out);

/* Starts a COMMIT's journal: appends its changes and fsyncs. *out is NULL when path is NULL. */
int cfr_journal_begin(const char *path, const char *table, const char *zone_id, const cfr_change *changes,
                      int n, cfr_journal **out, char **err);
/* Records the outcome of each change of a batch just answered. */
int cfr_journal_record(cfr_journal *j, const cfr_change *changes, int n);
/* Ends the COMMIT with the final outcome of each of its changes: the applied ones leave the
** journal, the others stay with their errors; the records of finished COMMITs for the same IPs go
** (this COMMIT superseded them), and so does every applied record. The file is removed when nothing
** is left. Frees j. */
int cfr_journal_end(cfr_journal *j, const cfr_change *changes, int n, char **err);

/* Takes IPs off the journal (they reached their end state) without a COMMIT. */
int cfr_journal_settle(const char *path, const char *table, const char *zone_id,
                       const char (*ips)[CFR_IP_TEXT_MAX], int n, char **err);

/* What the journal still lists for a table (NULL: every table): calls found() once per change,
** with its error ("interrupted: …" for a COMMIT whose process is gone). Changes of COMMITs still
** running elsewhere are not reported. */
typedef int (*cfr_journal_found)(void *arg, const char *table, const char *zone_id, const cfr_change *change);
int cfr_journal_read(const char *path, const char *table, cfr_journal_found found, void *arg, char **err);

/* ALTER TABLE … RENAME: the table's records follow it. */
int cfr_journal_rename(const char *path, const char *old_name, const char *new_name, char **err);

#endif
