/*
** http_budget.h — the HTTP client's rate budget: a sliding window of attempts per process and per
** credential, shared by every client and thread of the process (see "Rate budget" in http.h).
**
** The client's files are the only users: http.c attaches each client to the budget of its current
** credential; the engine (http_engine.c) takes a slot of it before every attempt and blocks the
** budget when a 429 asks every request of the credential to wait; http_transfer.c ends the slot
** when the attempt ends. The budget holds no credential: it is keyed by a salted hash of it.
**
** Standalone like http.c: libc and pthreads only, plain malloc/free (the one exception to the
** extension's allocator rule, see cfregions_int.h), so the client's C test links it alone.
*/
#ifndef CFREGIONS_HTTP_BUDGET_H
#define CFREGIONS_HTTP_BUDGET_H

typedef struct cfr_http_budget cfr_http_budget;

/* The monotonic clock, in ms, that budget times are on; the engine schedules its attempts on it
** too, so that a time the budget returns can be compared with its own. */
long long cfr_http_now_ms(void);

/* Picks the salt of the budget keys. Called once per process, before any budget is attached
** (http.c's one-time initialization). */
void cfr_http_budget_init(void);

/* Makes *budget the budget of this credential (NULLs count as empty parts) for `limit` attempts
** per `seconds`, detaching the previous one. Returns 1, or 0 when out of memory: *budget is then
** left as it was (the previous credential's budget, or NULL). */
int cfr_http_budget_follow(cfr_http_budget **budget, const char *token, const char *email,
                           const char *key, int limit, int seconds);

/* The client no longer uses the budget (NULL: nothing to do). */
void cfr_http_budget_detach(cfr_http_budget *budget);

/* Takes a slot for an attempt starting now when one is free. Returns the earliest time (monotonic
** ms) an attempt may start: <= *now means the slot was taken (release it with
** cfr_http_budget_end). *blocked tells whether what holds the attempt back is a 429 of this
** credential rather than the budget. A NULL budget always lets the attempt start. */
long long cfr_http_budget_take(cfr_http_budget *budget, long long *now, int *blocked);

/* An attempt that took a slot has ended: its slot is held for a window from now. */
void cfr_http_budget_end(cfr_http_budget *budget);

/* A 429 asked every request of this credential to wait until `until` (monotonic ms). */
void cfr_http_budget_block(cfr_http_budget *budget, long long until);

#endif
