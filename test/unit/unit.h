/*
** unit.h — a small harness for the C unit tests of the extension's modules (test/unit/test_*.c,
** `make test-unit`, which runs each one plain and under ASan+UBSan).
**
** A test file is a list of small functions, each run from main() with RUN(name). A CHECK macro
** that fails prints file:line, the test's name and what it compared, then the test goes on, so
** one run shows every broken expectation. unit_done() prints "N checks, M failed" and returns the
** exit status for main().
**
** RUN_FAILS_TODAY(name) marks a test of behaviour that is wanted but not there yet: it is compiled
** but not run (its definition carries a comment "FAILS TODAY: why"). UNIT_FAILING=1 in the
** environment runs those too, e.g. to check a fix: UNIT_FAILING=1 build/test/unit/test_view
**
** How the code under test reaches SQLite. The extension's files call SQLite through the
** loadable-extension routines pointer (sqlite3_api, see ext/cfregions_int.h), which
** sqlite3_cfregions_init sets. A unit test links the very objects the .so is made of, plus the
** real libsqlite3; unit_init() registers sqlite3_cfregions_init with sqlite3_auto_extension and
** opens an in-memory database, so SQLite calls the entry point with its routines exactly as
** `.load` would, and from then on the code under test works as it does in the .so. (The other
** way, compiling ext/ again with -DSQLITE_CORE so that it calls libsqlite3 directly, would test a
** second build of every file rather than the shipped one.) This is also why unit.c includes
** sqlite3.h and no ext/ header: in a file that does include one, every sqlite3_* name goes through
** that pointer, which is NULL until unit_init() has run.
*/
#ifndef CFREGIONS_UNIT_H
#define CFREGIONS_UNIT_H

#include <string.h>

/* Makes SQLite's routines available to the extension's code; call first in main(). */
void unit_init(void);
/* Prints "N checks, M failed" and returns main()'s exit status (0 when nothing failed). */
int unit_done(void);

/* After the next n SQLite allocations (sqlite3_malloc, sqlite3_realloc, sqlite3_mprintf…) every
** one fails, until unit_fail_allocations_after(-1): for testing out-of-memory paths. */
void unit_fail_allocations_after(int n);

#define RUN(test) unit_run(#test, test, 0)
#define RUN_FAILS_TODAY(test) unit_run(#test, test, 1)

#define CHECK(cond) unit_check(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECK_INT(actual, expected)                                                                \
  unit_check_int((long long)(actual), (long long)(expected), __FILE__, __LINE__, #actual)
/* Strings, either of which may be NULL. */
#define CHECK_STR(actual, expected)                                                                \
  unit_check_str((actual), (expected), __FILE__, __LINE__, #actual)
#define CHECK_CONTAINS(text, part) unit_check_contains((text), (part), 1, __FILE__, __LINE__, #text)
/* Passes for a NULL text: nothing was shown. */
#define CHECK_LACKS(text, part) unit_check_contains((text), (part), 0, __FILE__, __LINE__, #text)

void unit_run(const char *name, void (*test)(void), int fails_today);
int unit_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int unit_check_int(long long actual, long long expected, const char *file, int line,
                   const char *what);
int unit_check_str(const char *actual, const char *expected, const char *file, int line,
                   const char *what);
int unit_check_contains(const char *text, const char *part, int wanted, const char *file, int line,
                        const char *what);

#endif
