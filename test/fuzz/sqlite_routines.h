/*
** sqlite_routines.h — SQLite's routines for the extension's code inside a fuzzer.
**
** The extension's files call SQLite through the loadable-extension routines pointer, which
** sqlite3_cfregions_init sets. A fuzzer links the extension's objects and the real libsqlite3, and
** calls this once (from LLVMFuzzerInitialize) so that SQLite hands the entry point its routines
** exactly as `.load` would (the C unit tests do the same: see test/unit/unit.h).
*/
#ifndef CFREGIONS_FUZZ_SQLITE_ROUTINES_H
#define CFREGIONS_FUZZ_SQLITE_ROUTINES_H

/* Exits with status 2 when the extension cannot be loaded. */
void fuzz_load_sqlite_routines(void);

#endif
