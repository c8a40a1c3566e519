/*
** unit.c — the harness of unit.h: counting checks, reporting failures, and SQLite's routines
** for the extension's code. Includes sqlite3.h, not an ext/ header (see unit.h).
*/
#include "unit.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfregions.h"

static int checks, failures, not_run;
static const char *current = "";

/* ---- SQLite allocations that can be made to fail */

static sqlite3_mem_methods system_mem; /* SQLite's own allocator, which does the real work */
static int allocations_left = -1; /* -1: never fail */

static int may_allocate(void) {
  if (allocations_left < 0) return 1;
  if (allocations_left == 0) return 0;
  allocations_left--;
  return 1;
}

static void *failing_malloc(int n) { return may_allocate() ? system_mem.xMalloc(n) : NULL; }

static void *failing_realloc(void *p, int n) {
  return may_allocate() ? system_mem.xRealloc(p, n) : NULL;
}

void unit_fail_allocations_after(int n) { allocations_left = n; }

/* SQLite's allocator can be replaced only before SQLite initializes, hence first in unit_init. */
static void wrap_allocator(void) {
  sqlite3_mem_methods wrapped;
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &system_mem) != SQLITE_OK) {
    fprintf(stderr, "unit: cannot read SQLite's allocator\n");
    exit(2);
  }
  wrapped = system_mem;
  wrapped.xMalloc = failing_malloc;
  wrapped.xRealloc = failing_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapped) != SQLITE_OK) {
    fprintf(stderr, "unit: cannot wrap SQLite's allocator\n");
    exit(2);
  }
}

void unit_init(void) {
  sqlite3 *db = NULL;
  wrap_allocator();
  /* void (*)(void) is the generic function pointer type sqlite3_auto_extension expects. */
  int rc = sqlite3_auto_extension((void (*)(void))sqlite3_cfregions_init);
  if (rc == SQLITE_OK) rc = sqlite3_open(":memory:", &db);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "unit: cannot load the extension: %s\n", db ? sqlite3_errmsg(db) : "");
    exit(2);
  }
  /* The routines pointer now refers to SQLite's own table, which outlives any connection: the
  ** database (and the extension's state on it) is not needed any more. */
  sqlite3_close(db);
  sqlite3_reset_auto_extension();
}

int unit_done(void) {
  printf("%d checks, %d failed", checks, failures);
  if (not_run)
    printf(" (%d test%s failing today not run; UNIT_FAILING=1 runs them)", not_run,
           not_run == 1 ? "" : "s");
  printf("\n");
  return failures ? 1 : 0;
}

/* ---- Running tests and checking */

void unit_run(const char *name, void (*test)(void), int fails_today) {
  if (fails_today) {
    const char *all = getenv("UNIT_FAILING");
    if (!all || strcmp(all, "1") != 0) {
      not_run++;
      return;
    }
  }
  current = name;
  test();
  unit_fail_allocations_after(-1); /* a test that failed midway must not starve the next one */
  current = "";
}

int unit_check(int ok, const char *file, int line, const char *fmt, ...) {
  checks++;
  if (ok) return 1;
  failures++;
  printf("%s:%d: in %s: FAILED ", file, line, current);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  return 0;
}

int unit_check_int(long long actual, long long expected, const char *file, int line,
                   const char *what) {
  return unit_check(actual == expected, file, line, "%s is %lld, expected %lld", what, actual,
                    expected);
}

int unit_check_str(const char *actual, const char *expected, const char *file, int line,
                   const char *what) {
  int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
  return unit_check(same, file, line, "%s is %s%s%s, expected %s%s%s", what, actual ? "\"" : "",
                    actual ? actual : "NULL", actual ? "\"" : "", expected ? "\"" : "",
                    expected ? expected : "NULL", expected ? "\"" : "");
}

int unit_check_contains(const char *text, const char *part, int wanted, const char *file, int line,
                        const char *what) {
  int found = text && strstr(text, part) != NULL;
  return unit_check(found == wanted, file, line, "%s %s \"%s\": it is %s%s%s", what,
                    wanted ? "should contain" : "should not contain", part, text ? "\"" : "",
                    text ? text : "NULL", text ? "\"" : "");
}
