/*
** ip_sql.c — the SQL face of the IP module (addresses as text, in canonical form).
**
**   ip_canonical(x)      canonical text of an address; NULL if x is not one (a /prefix is refused)
**   ipfamily(x)          4 or 6                         } x may carry a /prefix; these follow
**   iphost(x)            canonical address, prefix gone } sqlean's ipaddr functions of the same
**   ipmasklen(x)         prefix length, else 32 or 128  } names, but mask bit-exactly and print
**   ipnetwork(x)         network/prefix, host bits 0    } canonical text
**   ipcontains(net, x)   1 if x (an address or a network no larger than net) lies in net, else 0;
**                        0 when the families differ (an IPv4 network holds no IPv6 address, mapped
**                        or not); NULL when either argument is not an address or network
**   collation ip         IPv4 before IPv6, numerically, no prefix before any prefix; text that is
**                        not an address after every address, bytewise. Equal addresses written
**                        differently ('::1', '0::1') compare equal, as NOCASE does with case.
**   cfregions_version()  CFREGIONS_VERSION
**
** Every function gives NULL for NULL and for anything that is not text: an integer or a blob is
** not an address, and quietly converting 3232235777 or a 4-byte blob would guess at intent.
** All are deterministic and innocuous so they may appear in indexes, CHECK constraints and views.
*/
#include "cfregions_int.h"

#include <string.h>

/* Text of an argument, or NULL if it is not text. *len receives its length in bytes. */
static const char *arg_text(sqlite3_value *v, size_t *len) {
  if (sqlite3_value_type(v) != SQLITE_TEXT) return NULL;
  const char *text = (const char *)sqlite3_value_text(v);
  *len = (size_t)sqlite3_value_bytes(v); /* after _text(), so it counts the UTF-8 bytes */
  return text;
}

/* Parses an argument that may carry a /prefix. 0 on success. */
static int arg_cidr(sqlite3_value *v, cfr_ip *ip) {
  size_t len = 0;
  const char *text = arg_text(v, &len);
  return text != NULL ? cfr_ip_parse_cidr(text, len, ip) : -1;
}

static void result_ip(sqlite3_context *ctx, const cfr_ip *ip) {
  char buf[CFR_IP_TEXT_MAX];
  size_t n = cfr_ip_format(ip, buf);
  sqlite3_result_text(ctx, buf, (int)n, SQLITE_TRANSIENT);
}

static int full_length(const cfr_ip *ip) { return ip->family == 4 ? 32 : 128; }

static void fn_ip_canonical(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  size_t len = 0;
  const char *text = arg_text(argv[0], &len), *canonical;
  char buf[CFR_IP_TEXT_MAX];
  /* sqlite3_value_text() ends the text with a NUL, which lets the parser skip its copy: this
  ** function runs once per row in bulk queries and should cost little more than length(). */
  int n = text != NULL ? cfr_ip_canonicalize_nt(text, len, buf, &canonical) : -1;
  if (n >= 0) sqlite3_result_text(ctx, canonical, n, SQLITE_TRANSIENT); /* else NULL stays */
}

static void fn_ipfamily(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_ip ip;
  if (arg_cidr(argv[0], &ip) == 0) sqlite3_result_int(ctx, ip.family);
}

static void fn_iphost(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_ip ip;
  if (arg_cidr(argv[0], &ip) != 0) return;
  ip.prefix = -1;
  result_ip(ctx, &ip);
}

static void fn_ipmasklen(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_ip ip;
  if (arg_cidr(argv[0], &ip) != 0) return;
  sqlite3_result_int(ctx, ip.prefix >= 0 ? ip.prefix : full_length(&ip));
}

static void fn_ipnetwork(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_ip ip;
  if (arg_cidr(argv[0], &ip) != 0) return;
  /* A bare address is its own /32 or /128 network, as in sqlean. */
  cfr_ip_mask(&ip, ip.prefix >= 0 ? ip.prefix : full_length(&ip));
  result_ip(ctx, &ip);
}

static void fn_ipcontains(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  cfr_ip net, addr;
  if (arg_cidr(argv[0], &net) != 0 || arg_cidr(argv[1], &addr) != 0) return;
  sqlite3_result_int(ctx, cfr_ip_contains(&net, &addr));
}

static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(ctx, CFREGIONS_VERSION, -1, SQLITE_STATIC);
}

/* Bytewise order for text that is not an address: memcmp, then the shorter first. */
static int compare_bytes(const void *a, int na, const void *b, int nb) {
  int c = memcmp(a, b, (size_t)(na < nb ? na : nb));
  if (c != 0) return c;
  return (na > nb) - (na < nb);
}

static int collate_ip(void *unused, int na, const void *a, int nb, const void *b) {
  (void)unused;
  cfr_ip ia, ib;
  int a_ok = cfr_ip_parse_cidr(a, (size_t)na, &ia) == 0;
  int b_ok = cfr_ip_parse_cidr(b, (size_t)nb, &ib) == 0;
  if (a_ok && b_ok) return cfr_ip_compare(&ia, &ib);
  if (a_ok != b_ok) return a_ok ? -1 : 1; /* addresses first */
  return compare_bytes(a, na, b, nb);
}

typedef void (*scalar_fn)(sqlite3_context *, int, sqlite3_value **);

static const struct {
  const char *name;
  int nargs;
  scalar_fn fn;
} ip_functions[] = {
    {"ip_canonical", 1, fn_ip_canonical}, {"ipfamily", 1, fn_ipfamily},
    {"iphost", 1, fn_iphost},             {"ipmasklen", 1, fn_ipmasklen},
    {"ipnetwork", 1, fn_ipnetwork},       {"ipcontains", 2, fn_ipcontains},
    {"cfregions_version", 0, fn_version},
};

int cfr_ip_sql_register(sqlite3 *db) {
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  for (size_t i = 0; i < sizeof ip_functions / sizeof ip_functions[0]; i++) {
    int rc = sqlite3_create_function_v2(db, ip_functions[i].name, ip_functions[i].nargs, flags, NULL,
                                        ip_functions[i].fn, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
  }
  return sqlite3_create_collation_v2(db, "ip", SQLITE_UTF8, NULL, collate_ip, NULL);
}
