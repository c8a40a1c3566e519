/*
** cfregions.h — public interface of the cfregions SQLite extension.
**
** Load it with `.load ./build/cfregions` in the sqlite3 shell, or link it and call
** sqlite3_cfregions_init() on a connection. See README.md for the SQL it registers.
*/
#ifndef CFREGIONS_H
#define CFREGIONS_H

#define CFREGIONS_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The extension is built with -fvisibility=hidden: this entry point is the one symbol its .so
** exports, so the internal functions of its modules cannot clash with the loading program's. */
#if defined(__GNUC__)
#define CFREGIONS_EXPORT __attribute__((visibility("default")))
#else
#define CFREGIONS_EXPORT
#endif

struct sqlite3;
struct sqlite3_api_routines;

CFREGIONS_EXPORT int sqlite3_cfregions_init(struct sqlite3 *db, char **pzErrMsg,
                                            const struct sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif

#endif
