/*
** http_budget.c — the HTTP client's rate budget, per process and credential (see http_budget.h).
**
** Every budget of the process sits in one list under one mutex: clients of any thread that use the
** same credential (and the same CLOUDFLARE_RATE_LIMIT) share a budget, so together they stay
** within the limit. A budget that no client uses and whose attempts have all left the window is
** pruned when the next one is attached; whatever is left is freed when the extension is unloaded.
**
** Split from http.c; the engine and the transfers move the bytes, this file only counts attempts.
** Like the rest of the client it uses plain malloc/free and no SQLite, so the client's C test
** links it alone.
*/
#include "http_budget.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BUDGET_MARGIN_MS 100 /* see cfr_http_budget_end */

/* The rate budget of one credential in this process: the attempts in flight, and the end times of
** the last `limit` attempts. An attempt counts from its start until `window` after its end: the
** server counts it when it arrives, which may be well after it started (a new connection), so
** counting from the start would let the (limit+1)th attempt arrive inside the server's window.
** Keyed by a salted hash of the credential; the credential itself is never kept here. */
struct cfr_http_budget {
  struct cfr_http_budget *next;
  uint64_t key;
  int limit;
  long long window_ms;
  long long *times;                 /* ring of end times; times[head] the oldest */
  int head, count;
  int in_flight;                    /* attempts started and not ended */
  long long blocked_until;          /* a 429 asked every request of this credential to wait */
  int users;                        /* clients attached */
};

long long cfr_http_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t budget_salt;

void cfr_http_budget_init(void) {
  /* Not a secret: the salt only keeps the budget keys from being a plain hash of a token. */
  budget_salt = ((uint64_t)cfr_http_now_ms() << 24) ^ (uint64_t)time(NULL) ^ (uint64_t)getpid() ^
                (uint64_t)(uintptr_t)&budget_salt;
}

static pthread_mutex_t budget_mu = PTHREAD_MUTEX_INITIALIZER;
static cfr_http_budget *budgets; /* every budget of the process, under budget_mu */

/* FNV-1a over the salt, a kind letter and the credential's parts (each followed by a NUL). */
static uint64_t credential_key(const char *token, const char *email, const char *key) {
  uint64_t x = 0xcbf29ce484222325ULL;
  const char *parts[3] = {token, email, key};
  for (int i = 0; i < 8; i++) { x ^= (budget_salt >> (8 * i)) & 0xff; x *= 0x100000001b3ULL; }
  for (int i = 0; i < 3; i++) {
    const char *p = parts[i] ? parts[i] : "";
    x ^= (uint64_t)('a' + i); x *= 0x100000001b3ULL;
    do { x ^= (unsigned char)*p; x *= 0x100000001b3ULL; } while (*p++);
  }
  return x;
}

/* A budget nobody uses whose every recorded attempt is out of the window can affect nothing. */
static int budget_forgettable(const cfr_http_budget *b, long long now) {
  if (b->users > 0 || b->in_flight > 0 || b->blocked_until > now) return 0;
  if (b->count == 0) return 1;
  return b->times[(b->head + b->count - 1) % b->limit] + b->window_ms <= now;
}

static void budget_prune(long long now) { /* under budget_mu */
  for (cfr_http_budget **pp = &budgets; *pp;) {
    cfr_http_budget *b = *pp;
    if (!budget_forgettable(b, now)) { pp = &b->next; continue; }
    *pp = b->next;
    free(b->times);
    free(b);
  }
}

/* Frees the budgets when the extension is unloaded (the shell dlcloses it at exit), so that leak
** checkers see no block whose last pointer went away with the library. */
__attribute__((destructor)) static void free_budgets(void) {
  pthread_mutex_lock(&budget_mu);
  while (budgets) {
    cfr_http_budget *b = budgets;
    budgets = b->next;
    free(b->times);
    free(b);
  }
  pthread_mutex_unlock(&budget_mu);
}

/* The shared budget for (key, limit, seconds), created if need be; NULL when out of memory. */
static cfr_http_budget *budget_attach(uint64_t key, int limit, int seconds) {
  pthread_mutex_lock(&budget_mu);
  budget_prune(cfr_http_now_ms());
  cfr_http_budget *b = budgets;
  while (b && (b->key != key || b->limit != limit || b->window_ms != seconds * 1000LL)) b = b->next;
  if (!b && (b = calloc(1, sizeof *b)) != NULL) {
    b->times = malloc((size_t)limit * sizeof *b->times);
    if (!b->times) { free(b); b = NULL; }
    else {
      b->key = key; b->limit = limit; b->window_ms = seconds * 1000LL;
      b->next = budgets; budgets = b;
    }
  }
  if (b) b->users++;
  pthread_mutex_unlock(&budget_mu);
  return b;
}

void cfr_http_budget_detach(cfr_http_budget *b) {
  if (!b) return;
  pthread_mutex_lock(&budget_mu);
  b->users--;
  pthread_mutex_unlock(&budget_mu);
}

/* Follows the client's current credential; keeps the old budget if a new one cannot be made. */
int cfr_http_budget_follow(cfr_http_budget **budget, const char *token, const char *email,
                           const char *key, int limit, int seconds) {
  uint64_t hashed = credential_key(token, email, key);
  if (*budget && (*budget)->key == hashed) return 1; /* the store sets it before every request */
  cfr_http_budget *b = budget_attach(hashed, limit, seconds);
  if (!b) return 0;
  cfr_http_budget_detach(*budget);
  *budget = b;
  return 1;
}

/* How long until an attempt may start (earliest time, monotonic ms): every attempt in flight holds
** a slot, and so does every one that ended within the window. */
static long long budget_earliest(const cfr_http_budget *b, long long t) {
  int ended = 0; /* end times still in the window, the newest `count` of them */
  for (int i = 0; i < b->count; i++)
    if (b->times[(b->head + i) % b->limit] + b->window_ms > t) ended++;
  int over = ended + b->in_flight - b->limit + 1; /* slots that must free up first */
  if (over <= 0) return t;
  if (over > ended) return t + 50; /* held by attempts in flight: look again shortly */
  return b->times[(b->head + b->count - ended + over - 1) % b->limit] + b->window_ms;
}

/* Takes a slot for an attempt starting now when one is free. Returns the earliest time (monotonic
** ms) an attempt may start: <= *now means the slot was taken (release it with
** cfr_http_budget_end). *blocked tells whether what holds the attempt back is a 429 of this
** credential rather than the budget. */
long long cfr_http_budget_take(cfr_http_budget *b, long long *now, int *blocked) {
  pthread_mutex_lock(&budget_mu);
  long long t = cfr_http_now_ms(), earliest = t; /* read under the lock: end times stay in order */
  *now = t;
  *blocked = 0;
  if (b) {
    earliest = budget_earliest(b, t);
    if (b->blocked_until > earliest) { earliest = b->blocked_until; *blocked = 1; }
    if (earliest <= t) b->in_flight++;
  }
  pthread_mutex_unlock(&budget_mu);
  return earliest;
}

/* An attempt that took a slot has ended: its slot is held for a window from now. */
void cfr_http_budget_end(cfr_http_budget *b) {
  if (!b) return;
  pthread_mutex_lock(&budget_mu);
  /* The slot is held a little beyond the window: the server counts the request from its own
  ** clock and from when the request reached it, and a few milliseconds of difference between the
  ** two would be a 429. */
  long long t = cfr_http_now_ms() + BUDGET_MARGIN_MS;
  assert(b->in_flight > 0);
  b->in_flight--;
  if (b->count < b->limit) b->times[(b->head + b->count++) % b->limit] = t;
  else { b->times[b->head] = t; b->head = (b->head + 1) % b->limit; }
  pthread_mutex_unlock(&budget_mu);
}

void cfr_http_budget_block(cfr_http_budget *b, long long until) {
  if (!b) return;
  pthread_mutex_lock(&budget_mu);
  if (until > b->blocked_until) b->blocked_until = until;
  pthread_mutex_unlock(&budget_mu);
}
