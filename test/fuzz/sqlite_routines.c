/*
** sqlite_routines.c — see sqlite_routines.h. Includes sqlite3.h and no ext/ header: in a file
** that includes one, every sqlite3_* name goes through the routines pointer, which is NULL until
** this has run.
*/
#include "sqlite_routines.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfregions.h"

void fuzz_load_sqlite_routines(void) {
  sqlite3 *db = NULL;
  /* void (*)(void) is the generic function pointer type sqlite3_auto_extension expects. */
  int rc = sqlite3_auto_extension((void (*)(void))sqlite3_cfregions_init);
  if (rc == SQLITE_OK) rc = sqlite3_open(":memory:", &db);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "fuzz: cannot load the extension: %s\n", db ? sqlite3_errmsg(db) : "");
    exit(2);
  }
  /* The routines pointer now refers to SQLite's own table, which outlives any connection. */
  sqlite3_close(db);
  sqlite3_reset_auto_extension();
}
