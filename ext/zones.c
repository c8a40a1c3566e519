/*
** zones.c — GET /zones read into a checked list (cfr_zones_list), shared by the reads of one
** statement (cfr_zones_list_in_statement), and the one zone of a name (cfr_zones_resolve): how
** origin_cloud_regions tables resolve `zone=`, `zones='*'` and `account_id=`, and what the
** cloudflare_zones table (cloudflare_zones.c) shows. See zones.h.
**
** The listing checks every filter itself, so a server that ignores one cannot slip other zones in.
*/
#include "zones.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* A listing of more zones than this is refused: its page 1 announcing more than MAX_PAGES pages
** fails it, and no page holds more than PAGE_SIZE zones. */
#define PAGE_SIZE CFR_ZONES_PAGE_SIZE
#define ZONES_MAX 100000
#define MAX_PAGES (ZONES_MAX / PAGE_SIZE)
/* A zone object holds some 90 JSON values (keys included) as Cloudflare documents it; the bound
** leaves room for five times that (longer permission lists, fields added later). */
#define VALUES_PER_ZONE 500
#define PAGE_VALUES ((size_t)PAGE_SIZE * VALUES_PER_ZONE + 512)
#define CAP_PAGE (2u << 20) /* a page of 50 zones is some 55 KB */
/* Pages read at once: CFR_HTTP_MAX_IN_FLIGHT, so at most 8 × CAP_PAGE of bodies are held. */
#define PAGES_AT_ONCE CFR_HTTP_MAX_IN_FLIGHT
#define QUOTED_MAX 80 /* bytes of a server's value quoted in an error */
#define CANDIDATES_SHOWN 5 /* zones named in the error of an ambiguous name */

/* ---- values from the server (or from a query) ---- */

/* The kinds of text a zone holds, and the longest of each. */
enum text_kind { T_NAME, T_LABEL, T_STATUS, T_TIME };
static const size_t text_max[] = {253 /* a DNS name */, 1024, 32, 64};

/* Control characters (C0, C1) and the characters that reorder or split the text around them on a
** terminal (bidirectional marks, embeddings, overrides and isolates, line separators) must not
** reach a row: a zone name is shown as it is. Checked on the UTF-8 bytes (jansson hands out valid
** UTF-8 only): C1 is C2 80-9F; U+061C D8 9C; U+200E-200F E2 80 8E-8F; U+2028-202E E2 80 A8-AE;
** U+2066-2069 E2 81 A6-A9. */
static int shows_as_is(const char *text) {
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p < 0x20 || *p == 0x7F) return 0;
    if ((p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) || (p[0] == 0xD8 && p[1] == 0x9C)) return 0;
    if (p[0] != 0xE2) continue;
    if (p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xA8 && p[2] <= 0xAE))) return 0;
    if (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9) return 0;
  }
  return 1;
}

/* Whether text (len bytes) is a usable value of kind k. */
static int usable(enum text_kind k, const char *text, size_t len) {
  if (len == 0 || len > text_max[k] || strlen(text) != len) return 0;
  if (k == T_STATUS) return strspn(text, "abcdefghijklmnopqrstuvwxyz_") == len;
  if (k == T_TIME) return strspn(text, "0123456789TZ:.+-") == len;
  return shows_as_is(text);
}

/* text as a lowercase id; -1 when it is not 32 hexadecimal digits. */
int cfr_zones_parse_id(const char *text, char out[CFR_ZONE_ID_LEN + 1]) {
  if (!text || strlen(text) != CFR_ZONE_ID_LEN) return -1;
  for (int i = 0; i < CFR_ZONE_ID_LEN; i++) {
    if (!isxdigit((unsigned char)text[i])) return -1;
    out[i] = (char)tolower((unsigned char)text[i]);
  }
  out[CFR_ZONE_ID_LEN] = 0;
  return 0;
}

/* ---- one zone ---- */

static void zone_clear(cfr_zone *z) {
  sqlite3_free(z->name);
  sqlite3_free(z->status);
  sqlite3_free(z->account_name);
  sqlite3_free(z->plan);
  sqlite3_free(z->modified_on);
  memset(z, 0, sizeof(*z));
}

/* *why = "a zone with an unusable "field": 'value'" (the value escaped and cut short). */
static int unusable(const char *field, json_t *v, char **why) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendf(s, "a zone with %s \"%s\"", v && !json_is_null(v) ? "an unusable" : "no",
                      field);
  if (json_is_string(v)) {
    sqlite3_str_appendall(s, ": '");
    cfr_append_server_text(s, json_string_value(v), QUOTED_MAX);
    sqlite3_str_appendall(s, "'");
  }
  *why = sqlite3_str_finish(s);
  return *why ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int take_id(json_t *v, const char *field, char out[CFR_ZONE_ID_LEN + 1], char **why) {
  return cfr_zones_parse_id(json_string_value(v), out) == 0 ? SQLITE_OK : unusable(field, v, why);
}

/* A text field into *out; absent or null leaves it NULL unless required. */
static int take_text(json_t *v, const char *field, enum text_kind k, int required, char **out,
                     char **why) {
  if (!v || json_is_null(v)) return required ? unusable(field, v, why) : SQLITE_OK;
  const char *text = json_string_value(v);
  if (!text || !usable(k, text, json_string_length(v))) return unusable(field, v, why);
  *out = sqlite3_mprintf("%s", text);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

/* One entry of result[] into z (cleared by the caller on failure). id, name, status and account.id
** are required; account.name, plan.name, paused and modified_on may be absent. */
static int take_zone(json_t *e, cfr_zone *z, char **why) {
  memset(z, 0, sizeof(*z));
  z->paused = -1;
  if (!json_is_object(e)) {
    *why = sqlite3_mprintf("an entry that is not a zone object");
    return *why ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  json_t *account = json_object_get(e, "account"), *plan = json_object_get(e, "plan");
  json_t *paused = json_object_get(e, "paused");
  const struct {
    json_t *v;
    const char *field;
    enum text_kind kind;
    int required;
    char **out;
  } texts[] = {{json_object_get(e, "name"), "name", T_NAME, 1, &z->name},
               {json_object_get(e, "status"), "status", T_STATUS, 1, &z->status},
               {json_object_get(account, "name"), "account.name", T_LABEL, 0, &z->account_name},
               {json_object_get(plan, "name"), "plan.name", T_LABEL, 0, &z->plan},
               {json_object_get(e, "modified_on"), "modified_on", T_TIME, 0, &z->modified_on}};
  int rc = take_id(json_object_get(e, "id"), "id", z->id, why);
  if (rc == SQLITE_OK)
    rc = take_id(json_object_get(account, "id"), "account.id", z->account_id, why);
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(texts) / sizeof(texts[0]); i++)
    rc = take_text(texts[i].v, texts[i].field, texts[i].kind, texts[i].required, texts[i].out, why);
  if (rc == SQLITE_OK && plan && !json_is_null(plan) && !json_is_object(plan))
    rc = unusable("plan", plan, why);
  if (rc != SQLITE_OK || !paused || json_is_null(paused)) return rc;
  if (!json_is_boolean(paused)) return unusable("paused", paused, why);
  z->paused = json_is_true(paused);
  return SQLITE_OK;
}

/* ---- the listing ---- */

/* What a listing asks for; NULL or "": anything. */
typedef struct zone_filter {
  const char *name;
  char account_id[CFR_ZONE_ID_LEN + 1];
  const char *status;
} zone_filter;

/* The filter as the listing applies it to every zone, whatever the server did with it. */
static int matches(const zone_filter *f, const cfr_zone *z) {
  return (!f->name || sqlite3_stricmp(f->name, z->name) == 0) &&
         (!f->account_id[0] || strcmp(f->account_id, z->account_id) == 0) &&
         (!f->status || strcmp(f->status, z->status) == 0);
}

/* Checks the filter's values: *none = 1 when no zone can pass (nothing need be sent). */
static int filter_init(zone_filter *f, const char *name, const char *account_id, const char *status,
                       int *none, char **err) {
  memset(f, 0, sizeof(*f));
  f->name = name;
  f->status = status;
  *none = (name && !usable(T_NAME, name, strlen(name))) ||
          (status && !usable(T_STATUS, status, strlen(status)));
  if (!account_id || cfr_zones_parse_id(account_id, f->account_id) == 0) return SQLITE_OK;
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, "account id '");
  cfr_append_server_text(s, account_id, QUOTED_MAX);
  sqlite3_str_appendall(s, "' is not 32 hexadecimal digits");
  *err = sqlite3_str_finish(s);
  return *err ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* A query value, percent-encoded (all but RFC 3986's unreserved characters). */
static void append_encoded(sqlite3_str *s, const char *value) {
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
    if (plain || strchr("-._~", *p)) sqlite3_str_appendchar(s, 1, (char)*p);
    else sqlite3_str_appendf(s, "%%%02X", *p);
  }
}

static char *page_path(const zone_filter *f, int page) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendf(s, "/zones?page=%d&per_page=%d", page, PAGE_SIZE);
  if (f->name) {
    sqlite3_str_appendall(s, "&name=");
    /* The API reads "op:value" as an operator when op is one ("contains:…"); equal: says not. */
    if (strchr(f->name, ':')) append_encoded(s, "equal:");
    append_encoded(s, f->name);
  }
  if (f->account_id[0]) sqlite3_str_appendf(s, "&account.id=%s", f->account_id);
  if (f->status) sqlite3_str_appendf(s, "&status=%s", f->status); /* a lowercase word */
  return sqlite3_str_finish(s);
}

/* "GET path: unexpected response: why". */
static int unexpected(const char *path, char *why, char **err) {
  *err = why ? sqlite3_mprintf("GET %s: unexpected response: %s", path, why) : NULL;
  sqlite3_free(why);
  return *err ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Moves z to the end of out; frees it when it cannot. */
static int append_zone(cfr_zone_list *out, cfr_zone *z) {
  cfr_zone *items = cfr_grow(out->items, &out->capacity, out->count + 1, sizeof(*z));
  if (!items) {
    zone_clear(z);
    return SQLITE_NOMEM;
  }
  out->items = items;
  out->items[out->count++] = *z;
  return SQLITE_OK;
}

/* Adds the zones of one page's result[] that pass the filter to out. */
static int take_page(const zone_filter *f, const char *path, json_t *result, cfr_zone_list *out,
                     char **err) {
  if (!json_is_array(result) || json_array_size(result) > PAGE_SIZE)
    return unexpected(
        path, sqlite3_mprintf("result is not an array of at most %d zones", PAGE_SIZE), err);
  size_t i;
  json_t *e;
  json_array_foreach(result, i, e) {
    cfr_zone z;
    char *why = NULL;
    int rc = take_zone(e, &z, &why);
    if (rc == SQLITE_OK && !matches(f, &z)) {
      zone_clear(&z);
      continue;
    }
    if (rc == SQLITE_OK) rc = append_zone(out, &z);
    if (rc == SQLITE_OK) continue;
    zone_clear(&z);
    if (rc != SQLITE_ERROR) return rc;
    return unexpected(path, why ? sqlite3_mprintf("%z (item %d)", why, (int)i) : NULL, err);
  }
  return SQLITE_OK;
}

/* Page 1, which also tells how many pages there are. */
static int first_page(cfr_api_client *client, const zone_filter *f, cfr_zone_list *out,
                      int *total_pages, char **err) {
  char *path = page_path(f, 1);
  if (!path) return SQLITE_NOMEM;
  cfr_api_answer a;
  int rc = cfr_api_client_get(client, path, 0, CAP_PAGE, PAGE_VALUES, &a, err);
  if (rc == SQLITE_OK) rc = take_page(f, path, a.result, out, err);
  if (rc == SQLITE_OK) {
    json_t *v = json_object_get(json_object_get(a.root, "result_info"), "total_pages");
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
    *total_pages = (int)n;
    if (n < 0 || n > MAX_PAGES)
      rc = unexpected(path,
                      sqlite3_mprintf("result_info.total_pages missing or above %d (%d zones)",
                                      MAX_PAGES, ZONES_MAX),
                      err);
  }
  cfr_api_answer_clear(&a);
  sqlite3_free(path);
  return rc;
}

/* Pages first .. first + n - 1, concurrently; each decoded and freed in turn. */
static int other_pages(cfr_api_client *client, const zone_filter *f, int first, int n,
                       cfr_zone_list *out, char **err) {
  cfr_api_requests r;
  int rc = cfr_api_requests_init(&r, n);
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    rc = cfr_api_requests_put(&r, i, "GET", page_path(f, first + i), NULL, 0, CAP_PAGE);
  if (rc == SQLITE_OK) rc = cfr_api_requests_send(client, &r, 1, err);
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    cfr_api_answer a;
    rc = cfr_api_requests_decode(&r, i, 0, PAGE_VALUES, &a, err);
    if (rc == SQLITE_OK) rc = take_page(f, r.calls[i].path, a.result, out, err);
    cfr_api_answer_clear(&a);
  }
  cfr_api_requests_free(&r);
  return rc;
}

/* Orders zones by id, and among equal ids by position (so the first is kept). */
static int by_id(const void *a, const void *b) {
  const cfr_zone *za = *(const cfr_zone *const *)a, *zb = *(const cfr_zone *const *)b;
  int c = strcmp(za->id, zb->id);
  return c ? c : (za > zb) - (za < zb);
}

/* A zone added while the pages were read shifts the others, so one may be listed twice: only its
** first listing is kept. */
static int drop_duplicates(cfr_zone_list *l) {
  if (l->count < 2) return SQLITE_OK;
  cfr_zone **order = sqlite3_malloc64((sqlite3_uint64)l->count * sizeof(*order));
  if (!order) return SQLITE_NOMEM;
  for (int i = 0; i < l->count; i++) order[i] = &l->items[i];
  qsort(order, (size_t)l->count, sizeof(*order), by_id);
  for (int i = 1, kept = 0; i < l->count; i++) {
    if (strcmp(order[i]->id, order[kept]->id) == 0) zone_clear(order[i]); /* name NULL: dropped */
    else kept = i;
  }
  sqlite3_free(order);
  int n = 0;
  for (int i = 0; i < l->count; i++)
    if (l->items[i].name) l->items[n++] = l->items[i];
  l->count = n;
  return SQLITE_OK;
}

int cfr_zones_list(cfr_api_client *client, const char *name, const char *account_id,
                   const char *status, cfr_zone_list *out, char **err) {
  memset(out, 0, sizeof(*out));
  zone_filter f;
  int none = 0;
  int rc = filter_init(&f, name, account_id, status, &none, err);
  if (rc != SQLITE_OK || none) return rc;
  cfr_api_client_begin(client);
  int total_pages = 0;
  rc = first_page(client, &f, out, &total_pages, err);
  for (int page = 2; rc == SQLITE_OK && page <= total_pages; page += PAGES_AT_ONCE) {
    int n = total_pages - page + 1;
    rc = other_pages(client, &f, page, n < PAGES_AT_ONCE ? n : PAGES_AT_ONCE, out, err);
  }
  if (rc == SQLITE_OK) rc = drop_duplicates(out);
  if (rc != SQLITE_OK) cfr_zone_list_clear(out);
  return rc;
}

void cfr_zone_list_clear(cfr_zone_list *list) {
  for (int i = 0; i < list->count; i++) zone_clear(&list->items[i]);
  sqlite3_free(list->items);
  memset(list, 0, sizeof(*list));
}

/* ---- the listing shared by the reads of one statement ---- */

typedef struct kept_listing {
  sqlite3_uint64 stamp; /* the statements running when it was read */
  char *key;            /* where from, with which filters */
  cfr_zone_list list;
} kept_listing;

static void free_kept(void *arg) {
  kept_listing *k = arg;
  cfr_zone_list_clear(&k->list);
  sqlite3_free(k->key);
  sqlite3_free(k);
}

static int copy_zone(const cfr_zone *from, cfr_zone *to) {
  *to = *from;
  to->name = to->status = to->account_name = to->plan = to->modified_on = NULL;
  const char *const src[] = {from->name, from->status, from->account_name, from->plan, from->modified_on};
  char **dst[] = {&to->name, &to->status, &to->account_name, &to->plan, &to->modified_on};
  for (int i = 0; i < 5; i++) {
    if (src[i] && !(*dst[i] = sqlite3_mprintf("%s", src[i]))) {
      zone_clear(to);
      return SQLITE_NOMEM;
    }
  }
  return SQLITE_OK;
}

static int copy_list(const cfr_zone_list *from, cfr_zone_list *to) {
  memset(to, 0, sizeof(*to));
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < from->count; i++) {
    cfr_zone z;
    rc = copy_zone(&from->items[i], &z);
    if (rc == SQLITE_OK) rc = append_zone(to, &z);
  }
  if (rc != SQLITE_OK) cfr_zone_list_clear(to);
  return rc;
}

int cfr_zones_list_in_statement(cfr_context *ctx, cfr_api_client *client, const char *name,
                                const char *account_id, const char *status, cfr_zone_list *out, char **err) {
  sqlite3_uint64 stamp = cfr_context_statement(ctx);
  char *key = sqlite3_mprintf("%s\x1f%s\x1f%s\x1f%s", cfr_api_client_base_url(client), name ? name : "\x1e",
                              account_id ? account_id : "\x1e", status ? status : "\x1e");
  if (!key) return SQLITE_NOMEM;
  const kept_listing *kept = cfr_context_zone_listing(ctx);
  if (stamp && kept && kept->stamp == stamp && strcmp(kept->key, key) == 0) {
    sqlite3_free(key);
    return copy_list(&kept->list, out);
  }
  int rc = cfr_zones_list(client, name, account_id, status, out, err);
  kept_listing *k = rc == SQLITE_OK && stamp ? sqlite3_malloc(sizeof(*k)) : NULL;
  if (k && copy_list(out, &k->list) == SQLITE_OK) {
    k->stamp = stamp;
    k->key = key;
    key = NULL;
    cfr_context_keep_zone_listing(ctx, k, free_kept);
  } else {
    sqlite3_free(k); /* not kept: the next read lists again */
  }
  sqlite3_free(key);
  return rc;
}

/* ---- a zone by its name ---- */

/* Why name names no zone, or more than one (the first few of them). */
static int name_problem(const char *name, const cfr_zone_list *l, char **err) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, "zone '");
  cfr_append_server_text(s, name, QUOTED_MAX);
  if (l->count == 0) {
    sqlite3_str_appendall(s, "': no zone of that name is visible with these credentials");
  } else {
    sqlite3_str_appendf(s, "' is ambiguous: %d zones have that name (", l->count);
    for (int i = 0; i < l->count && i < CANDIDATES_SHOWN; i++) {
      const cfr_zone *z = &l->items[i];
      sqlite3_str_appendf(s, "%s%s in account %s", i ? ", " : "", z->id, z->account_id);
      if (z->account_name) {
        sqlite3_str_appendall(s, " '");
        cfr_append_server_text(s, z->account_name, QUOTED_MAX);
        sqlite3_str_appendall(s, "'");
      }
    }
    if (l->count > CANDIDATES_SHOWN)
      sqlite3_str_appendf(s, ", and %d more", l->count - CANDIDATES_SHOWN);
    sqlite3_str_appendall(s, "): give its zone_id instead");
  }
  *err = sqlite3_str_finish(s);
  return *err ? SQLITE_ERROR : SQLITE_NOMEM;
}

int cfr_zones_resolve(cfr_api_client *client, const char *name, char id[CFR_ZONE_ID_LEN + 1],
                      char **err) {
  cfr_zone_list l;
  id[0] = 0;
  if (!name) name = "";
  int rc = cfr_zones_list(client, name, NULL, NULL, &l, err);
  if (rc == SQLITE_OK && l.count == 1) memcpy(id, l.items[0].id, CFR_ZONE_ID_LEN + 1);
  else if (rc == SQLITE_OK) rc = name_problem(name, &l, err);
  cfr_zone_list_clear(&l);
  return rc;
}
