/*
** journal.c — the COMMIT journal. See journal.h.
**
** Records are folded by (commit, table, ip): the first line of a change gives its end state, later
** lines its outcome. A change with no outcome belongs to a COMMIT still running (its process is
** alive and, in this process, the COMMIT is still open) or to one whose process died.
*/
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_MAX_BYTES (64 * 1024 * 1024) /* far above any real journal: refuse, never allocate */
#define COMMIT_ID_MAX 48

enum { STATE_SENT, STATE_APPLIED, STATE_FAILED };

struct cfr_journal {
  char *path;
  char *table;
  char zone[CFR_ZONE_ID_LEN + 1];
  char id[COMMIT_ID_MAX];
};

typedef struct record {
  char commit[COMMIT_ID_MAX];
  long pid;
  char *table;                 /* sqlite3 memory */
  char zone[CFR_ZONE_ID_LEN + 1];
  cfr_change change;           /* kind, mapping, error */
  int state;
  int keep;                    /* survives a rewrite */
} record;

typedef struct record_list {
  record *items;
  int n, capacity;
} record_list;

/* ---- COMMITs still running in this process ---- */

static pthread_mutex_t active_mutex = PTHREAD_MUTEX_INITIALIZER;
static char (*active_ids)[COMMIT_ID_MAX];
static int nactive, active_capacity;

static void set_active(const char *id, int active) {
  pthread_mutex_lock(&active_mutex);
  if (active) {
    char (*grown)[COMMIT_ID_MAX] = cfr_grow(active_ids, &active_capacity, nactive + 1, COMMIT_ID_MAX);
    if (grown) {
      active_ids = grown;
      memcpy(active_ids[nactive++], id, COMMIT_ID_MAX);
    }
  } else {
    for (int i = 0; i < nactive; i++)
      if (strcmp(active_ids[i], id) == 0) { memcpy(active_ids[i], active_ids[--nactive], COMMIT_ID_MAX); break; }
    if (nactive == 0) { sqlite3_free(active_ids); active_ids = NULL; active_capacity = 0; }
  }
  pthread_mutex_unlock(&active_mutex);
}

static int running(const char *id, long pid) {
  if (pid != (long)getpid()) return kill((pid_t)pid, 0) == 0 || errno == EPERM;
  int found = 0;
  pthread_mutex_lock(&active_mutex);
  for (int i = 0; i < nactive && !found; i++) found = strcmp(active_ids[i], id) == 0;
  pthread_mutex_unlock(&active_mutex);
  return found;
}

/* ---- the locked file ---- */

static int io_error(const char *path, const char *what, char **err) {
  if (err) *err = sqlite3_mprintf("COMMIT journal %s: %s: %s", path, what, strerror(errno));
  return SQLITE_IOERR;
}

/* Opens and locks the journal; *fd = -1 when it does not exist and create is 0. A file replaced
** while we waited for the lock is opened again. */
static int lock_file(const char *path, int create, int *fd, char **err) {
  for (;;) {
    *fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (*fd < 0) return errno == ENOENT && !create ? SQLITE_OK : io_error(path, "open", err);
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int rc;
    while ((rc = fcntl(*fd, F_SETLKW, &lk)) != 0 && errno == EINTR) {}
    if (rc != 0) { close(*fd); return io_error(path, "lock", err); }
    struct stat held, now;
    if (fstat(*fd, &held) == 0 && stat(path, &now) == 0 && held.st_ino == now.st_ino && held.st_dev == now.st_dev)
      return SQLITE_OK;
    close(*fd); /* renamed or removed under us: the next file is the journal now */
  }
}

static int write_all(int fd, const char *text, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, text, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    text += w;
    n -= (size_t)w;
  }
  return 0;
}

static int append_text(const char *path, const char *text, int create, char **err) {
  int fd, rc = lock_file(path, create, &fd, err);
  if (rc != SQLITE_OK || fd < 0) return rc;
  if (write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) rc = io_error(path, "write", err);
  close(fd);
  return rc;
}

/* ---- records ---- */

static void append_json(sqlite3_str *s, json_t *obj) {
  char *line = json_dumps(obj, JSON_COMPACT);
  if (line) sqlite3_str_appendf(s, "%s\n", line);
  else sqlite3_str_appendall(s, ""); /* out of memory: the str's own state says so */
  free(line);
  json_decref(obj);
}

static json_t *change_json(const char *id, long pid, const char *table, const char *zone, const cfr_change *c) {
  return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "commit", id, "pid", (json_int_t)pid,
                   "table", table, "zone", zone, "op", c->kind == CFR_DELETE ? "delete" : "upsert",
                   "ip", c->mapping.origin_ip, "vendor", c->mapping.vendor, "region", c->mapping.region);
}

static json_t *outcome_json(const char *id, const char *table, const cfr_change *c) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "commit", id, "table", table, "ip", c->mapping.origin_ip,
                   "state", c->applied ? "applied" : "failed", "error", c->applied ? "" : c->error);
}

static const char *str_field(json_t *obj, const char *key) {
  const char *v = json_string_value(json_object_get(obj, key));
  return v ? v : "";
}

static record *find_record(record_list *l, const char *commit, const char *table, const char *ip) {
  for (int i = l->n - 1; i >= 0; i--) {
    record *r = &l->items[i];
    if (strcmp(r->commit, commit) == 0 && strcmp(r->change.mapping.origin_ip, ip) == 0 && strcmp(r->table, table) == 0)
      return r;
  }
  return NULL;
}

/* One line: a change (added) or an outcome (folded into its change). Unreadable lines are skipped:
** a torn last line after a crash must not hide the rest. */
static int take_line(record_list *l, json_t *obj) {
  const char *commit = str_field(obj, "commit"), *table = str_field(obj, "table"), *ip = str_field(obj, "ip");
  if (!*commit || !*table || !*ip || strlen(commit) >= COMMIT_ID_MAX) return SQLITE_OK;
  const char *state = json_string_value(json_object_get(obj, "state"));
  record *r = find_record(l, commit, table, ip);
  if (state) {
    if (r) {
      r->state = strcmp(state, "applied") == 0 ? STATE_APPLIED : STATE_FAILED;
      cfr_copy_field(r->change.error, sizeof(r->change.error), str_field(obj, "error"));
    }
    return SQLITE_OK;
  }
  if (r) return SQLITE_OK;
  record *grown = cfr_grow(l->items, &l->capacity, l->n + 1, sizeof(record));
  if (!grown) return SQLITE_NOMEM;
  l->items = grown;
  r = &grown[l->n];
  memset(r, 0, sizeof(*r));
  memcpy(r->commit, commit, strlen(commit) + 1);
  r->pid = (long)json_integer_value(json_object_get(obj, "pid"));
  r->change.kind = strcmp(str_field(obj, "op"), "delete") == 0 ? CFR_DELETE : CFR_UPSERT;
  if (cfr_copy_field(r->zone, sizeof(r->zone), str_field(obj, "zone")) != 0 ||
      cfr_copy_field(r->change.mapping.origin_ip, sizeof(r->change.mapping.origin_ip), ip) != 0 ||
      cfr_copy_field(r->change.mapping.vendor, sizeof(r->change.mapping.vendor), str_field(obj, "vendor")) != 0 ||
      cfr_copy_field(r->change.mapping.region, sizeof(r->change.mapping.region), str_field(obj, "region")) != 0)
    return SQLITE_OK; /* not a record this extension wrote */
  if (!(r->table = sqlite3_mprintf("%s", table))) return SQLITE_NOMEM;
  r->state = STATE_SENT;
  r->keep = 1;
  l->n++;
  return SQLITE_OK;
}

static void free_records(record_list *l) {
  for (int i = 0; i < l->n; i++) sqlite3_free(l->items[i].table);
  sqlite3_free(l->items);
  memset(l, 0, sizeof(*l));
}

static int read_records(int fd, const char *path, record_list *l, char **err) {
  memset(l, 0, sizeof(*l));
  struct stat st;
  if (fstat(fd, &st) != 0) return io_error(path, "stat", err);
  if (st.st_size > JOURNAL_MAX_BYTES) {
    *err = sqlite3_mprintf("COMMIT journal %s: larger than %d bytes; not read", path, JOURNAL_MAX_BYTES);
    return SQLITE_ERROR;
  }
  char *text = sqlite3_malloc64((sqlite3_uint64)st.st_size + 1);
  if (!text) return SQLITE_NOMEM;
  ssize_t got = pread(fd, text, (size_t)st.st_size, 0);
  if (got < 0) { sqlite3_free(text); return io_error(path, "read", err); }
  text[got] = 0;
  int rc = SQLITE_OK;
  for (char *line = text, *next; rc == SQLITE_OK && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    else next = line + strlen(line);
    json_t *obj = json_loads(line, 0, NULL);
    if (json_is_object(obj)) rc = take_line(l, obj);
    json_decref(obj);
  }
  sqlite3_free(text);
  if (rc != SQLITE_OK) free_records(l);
  return rc;
}

/* Replaces the journal by the records still kept (or removes it when none is), under the lock
** held on fd. */
static int rewrite(int fd, const char *path, const record_list *l, char **err) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  int kept = 0;
  for (int i = 0; i < l->n; i++) {
    const record *r = &l->items[i];
    if (!r->keep) continue;
    kept++;
    append_json(s, change_json(r->commit, r->pid, r->table, r->zone, &r->change));
    if (r->state != STATE_SENT) append_json(s, outcome_json(r->commit, r->table, &r->change));
  }
  char *text = sqlite3_str_finish(s);
  if (!text && kept) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  if (!kept) {
    if (unlink(path) != 0 && errno != ENOENT) rc = io_error(path, "remove", err);
  } else {
    char *tmp = sqlite3_mprintf("%s.%ld.tmp", path, (long)getpid());
    int out = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    if (!tmp) rc = SQLITE_NOMEM;
    else if (out < 0 || write_all(out, text, strlen(text)) != 0 || fsync(out) != 0 || rename(tmp, path) != 0) {
      rc = io_error(path, "rewrite", err);
      unlink(tmp);
    }
    if (out >= 0) close(out);
    sqlite3_free(tmp);
  }
  sqlite3_free(text);
  (void)fd; /* the lock on the old file is released when the caller closes it */
  return rc;
}

/* Reads the journal under its lock, lets edit() mark what is kept, and writes it back. */
static int edit_journal(const char *path, void (*edit)(record_list *l, void *arg), void *arg, char **err) {
  int fd, rc = lock_file(path, 0, &fd, err);
  if (rc != SQLITE_OK || fd < 0) return rc;
  record_list l;
  rc = read_records(fd, path, &l, err);
  if (rc == SQLITE_OK) {
    edit(&l, arg);
    rc = rewrite(fd, path, &l, err);
  }
  free_records(&l);
  close(fd);
  return rc;
}

/* ---- the interface ---- */

int cfr_journal_path(sqlite3 *db, const char *schema, char **out) {
  const char *file = sqlite3_db_filename(db, schema);
  *out = NULL;
  if (!file || !*file) return SQLITE_OK;
  *out = sqlite3_mprintf("%s-cfregions", file);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int cfr_journal_begin(const char *path, const char *table, const char *zone_id, const cfr_change *changes,
                      int n, cfr_journal **out, char **err) {
  *out = NULL;
  if (!path) return SQLITE_OK;
  cfr_journal *j = sqlite3_malloc(sizeof(*j));
  if (!j) return SQLITE_NOMEM;
  memset(j, 0, sizeof(*j));
  static unsigned counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(j->id, sizeof(j->id), "%ld-%lld-%ld-%u", (long)getpid(), (long long)ts.tv_sec, ts.tv_nsec,
           __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
  j->path = sqlite3_mprintf("%s", path);
  j->table = sqlite3_mprintf("%s", table);
  cfr_copy_field(j->zone, sizeof(j->zone), zone_id);
  sqlite3_str *s = sqlite3_str_new(NULL);
  for (int i = 0; i < n; i++) append_json(s, change_json(j->id, (long)getpid(), table, zone_id, &changes[i]));
  char *text = sqlite3_str_finish(s);
  int rc = j->path && j->table && text ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    set_active(j->id, 1);
    rc = append_text(path, text, 1, err);
  }
  sqlite3_free(text);
  if (rc != SQLITE_OK) {
    set_active(j->id, 0);
    sqlite3_free(j->path);
    sqlite3_free(j->table);
    sqlite3_free(j);
    return rc;
  }
  *out = j;
  return SQLITE_OK;
}

int cfr_journal_record(cfr_journal *j, const cfr_change *changes, int n) {
  if (!j) return SQLITE_OK;
  sqlite3_str *s = sqlite3_str_new(NULL);
  for (int i = 0; i < n; i++) append_json(s, outcome_json(j->id, j->table, &changes[i]));
  char *text = sqlite3_str_finish(s);
  int rc = text ? append_text(j->path, text, 0, NULL) : SQLITE_NOMEM;
  sqlite3_free(text);
  return rc;
}

typedef struct settle_args {
  const char *commit;          /* this COMMIT, whose outcomes are `changes`; NULL: none */
  const char *table;
  const char *zone;
  const cfr_change *changes;   /* their IPs are settled */
  const char (*ips)[CFR_IP_TEXT_MAX]; /* more settled IPs */
  int n;
} settle_args;

static const char *settled_ip(const settle_args *a, int i) {
  return a->changes ? a->changes[i].mapping.origin_ip : a->ips[i];
}

static int settled_index(const settle_args *a, const char *ip) {
  for (int i = 0; i < a->n; i++)
    if (strcmp(settled_ip(a, i), ip) == 0) return i;
  return -1;
}

static void settle(record_list *l, void *arg) {
  settle_args *a = arg;
  for (int i = 0; i < l->n; i++) {
    record *r = &l->items[i];
    if (r->state == STATE_APPLIED) { r->keep = 0; continue; } /* done, whoever did it */
    if (strcmp(r->table, a->table) != 0 || strcmp(r->zone, a->zone) != 0) continue;
    int k = settled_index(a, r->change.mapping.origin_ip);
    if (k < 0) continue;
    if (a->commit && strcmp(r->commit, a->commit) == 0) {
      const cfr_change *c = &a->changes[k];
      r->state = c->applied ? STATE_APPLIED : STATE_FAILED;
      memcpy(r->change.error, c->error, sizeof(r->change.error));
      r->keep = !c->applied;
    } else if (!(r->state == STATE_SENT && running(r->commit, r->pid))) {
      r->keep = 0; /* superseded, or in place: only a COMMIT still running elsewhere keeps its own */
    }
  }
}

int cfr_journal_end(cfr_journal *j, const cfr_change *changes, int n, char **err) {
  if (!j) return SQLITE_OK;
  settle_args a = {j->id, j->table, j->zone, changes, NULL, n};
  int rc = edit_journal(j->path, settle, &a, err);
  set_active(j->id, 0);
  sqlite3_free(j->path);
  sqlite3_free(j->table);
  sqlite3_free(j);
  return rc;
}

int cfr_journal_settle(const char *path, const char *table, const char *zone_id,
                       const char (*ips)[CFR_IP_TEXT_MAX], int n, char **err) {
  if (!path || n == 0) return SQLITE_OK;
  settle_args a = {NULL, table, zone_id, NULL, ips, n};
  return edit_journal(path, settle, &a, err);
}

typedef struct rename_args {
  const char *old_name, *new_name;
  int rc;
} rename_args;

static void rename_table(record_list *l, void *arg) {
  rename_args *a = arg;
  for (int i = 0; i < l->n; i++) {
    record *r = &l->items[i];
    if (strcmp(r->table, a->old_name) != 0) continue;
    char *name = sqlite3_mprintf("%s", a->new_name);
    if (!name) { a->rc = SQLITE_NOMEM; return; }
    sqlite3_free(r->table);
    r->table = name;
  }
}

int cfr_journal_rename(const char *path, const char *old_name, const char *new_name, char **err) {
  if (!path) return SQLITE_OK;
  rename_args a = {old_name, new_name, SQLITE_OK};
  int rc = edit_journal(path, rename_table, &a, err);
  return rc == SQLITE_OK ? a.rc : rc;
}

int cfr_journal_read(const char *path, const char *table, cfr_journal_found found, void *arg, char **err) {
  if (!path) return SQLITE_OK;
  int fd, rc = lock_file(path, 0, &fd, err);
  if (rc != SQLITE_OK || fd < 0) return rc;
  record_list l;
  rc = read_records(fd, path, &l, err);
  close(fd);
  for (int i = 0; rc == SQLITE_OK && i < l.n; i++) {
    record *r = &l.items[i];
    if ((table && strcmp(r->table, table) != 0) || r->state == STATE_APPLIED) continue;
    if (r->state == STATE_SENT) {
      if (running(r->commit, r->pid)) continue;
      snprintf(r->change.error, sizeof(r->change.error),
               "interrupted: the COMMIT that sent this change did not finish (its process stopped); "
               "it may or may not have been applied");
    }
    r->change.applied = 0;
    rc = found(arg, r->table, r->zone, &r->change);
  }
  free_records(&l);
  return rc;
}
