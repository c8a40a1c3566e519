/*
** validate.c — row validation and cfregions_check(). See validate.h.
**
**   SELECT ip, cfregions_check(ip, vendor, region) AS problem FROM staging
**     WHERE problem IS NOT NULL;                                  -- what a load would refuse
**   SELECT cfregions_check(ip, vendor, region, '023e…c353') …;    -- against a zone's own list
**
** With three arguments the function is pure (deterministic, innocuous: usable in a CHECK
** constraint or an index). With a zone, it reads that zone's supported regions through the API
** with the user's credentials, and is therefore SQLITE_DIRECTONLY, like every such function.
*/
#include "validate.h"
#include "context.h"
#include "store_api.h"

#include <stdio.h>
#include <string.h>

/* Copies a text value into a fixed field: -1 when it is not text, too long, or holds a NUL byte
** (which would otherwise cut it short unnoticed). */
static int text_field(sqlite3_value *v, char *dst, size_t size) {
  if (sqlite3_value_type(v) != SQLITE_TEXT) return -1;
  const char *text = (const char *)sqlite3_value_text(v);
  if (!text || strlen(text) != (size_t)sqlite3_value_bytes(v)) return -1;
  return cfr_copy_field(dst, size, text);
}

static int problem(char cause[CFR_CAUSE_MAX], int rc, const char *text) {
  snprintf(cause, CFR_CAUSE_MAX, "%s", text);
  return rc;
}

/* A column's text: the value written, or the row's current text when the column is not assigned. */
static int field(sqlite3_value *v, const char *current, char *dst, size_t size) {
  if (current && sqlite3_value_nochange(v)) return cfr_copy_field(dst, size, current);
  return text_field(v, dst, size);
}

static int is_null(sqlite3_value *v, const void *current) {
  return sqlite3_value_type(v) == SQLITE_NULL && !(current && sqlite3_value_nochange(v));
}

int cfr_validate_row(sqlite3_value *ip, sqlite3_value *vendor, sqlite3_value *region, const char *current_ip,
                     const cfr_value *current, const cfr_regions *regions, const char *zone_id,
                     char canonical[CFR_IP_TEXT_MAX], cfr_value *value, char cause[CFR_CAUSE_MAX]) {
  if (is_null(ip, current_ip)) return problem(cause, SQLITE_CONSTRAINT_NOTNULL, "origin_ip is NULL");
  if (is_null(vendor, current)) return problem(cause, SQLITE_CONSTRAINT_NOTNULL, "vendor is NULL");
  if (is_null(region, current)) return problem(cause, SQLITE_CONSTRAINT_NOTNULL, "region is NULL");
  char ip_text[CFR_IP_TEXT_MAX];
  if (current_ip && sqlite3_value_nochange(ip)) {
    if (cfr_copy_field(canonical, CFR_IP_TEXT_MAX, current_ip) != 0) return problem(cause, SQLITE_CONSTRAINT_CHECK, "origin_ip is too long");
  } else if (text_field(ip, ip_text, sizeof(ip_text)) != 0 || cfr_ip_canonicalize(ip_text, strlen(ip_text), canonical) < 0) {
    return problem(cause, SQLITE_CONSTRAINT_CHECK,
                   "origin_ip is not an IPv4 or IPv6 address (no prefix, zone id, spaces or leading zeros)");
  }
  memset(value, 0, sizeof(*value));
  value->present = 1;
  if (field(vendor, current ? current->vendor : NULL, value->vendor, sizeof(value->vendor)) != 0)
    return problem(cause, SQLITE_CONSTRAINT_CHECK, sqlite3_value_type(vendor) == SQLITE_TEXT
                                                       ? "unknown vendor (too long, or holds a NUL byte)"
                                                       : "unknown vendor (not text)");
  if (field(region, current ? current->region : NULL, value->region, sizeof(value->region)) != 0)
    return problem(cause, SQLITE_CONSTRAINT_CHECK,
                   "region is not a known region id (not text, too long, or holds a NUL byte)");
  int bad = cfr_regions_check(regions, value->vendor, value->region, cause, CFR_CAUSE_MAX);
  if (bad == 0) return 0;
  size_t used = strlen(cause);
  /* An unsupported region: say where the supported ones are listed (an unknown vendor's message
  ** lists the vendors already). */
  if (bad == -2 && zone_id)
    snprintf(cause + used, CFR_CAUSE_MAX - used, " (see SELECT region FROM supported_regions WHERE zone_id = '%s' AND vendor = '%s')", zone_id, value->vendor);
  else if (bad == -2)
    snprintf(cause + used, CFR_CAUSE_MAX - used, " (see SELECT region FROM supported_regions WHERE vendor = '%s')", value->vendor);
  return SQLITE_CONSTRAINT_CHECK;
}

/* cfregions_check(origin_ip, vendor, region[, zone_id]): NULL, or the cause. */
static void check_func(sqlite3_context *fctx, int argc, sqlite3_value **argv) {
  const cfr_regions *regions = cfr_regions_builtin();
  const char *zone = NULL;
  if (argc == 4) {
    cfr_context *ctx = sqlite3_user_data(fctx);
    char *err = NULL;
    zone = (const char *)sqlite3_value_text(argv[3]);
    int rc = cfr_store_api_zone_regions(ctx, zone ? zone : "", &regions, &err);
    if (rc != SQLITE_OK) {
      char *msg = sqlite3_mprintf("cfregions_check: %s", err ? err : "out of memory");
      sqlite3_result_error(fctx, msg ? msg : "cfregions_check: out of memory", -1);
      sqlite3_free(msg);
      sqlite3_free(err);
      return;
    }
  }
  char canonical[CFR_IP_TEXT_MAX], cause[CFR_CAUSE_MAX];
  cfr_value value;
  if (cfr_validate_row(argv[0], argv[1], argv[2], NULL, NULL, regions, zone, canonical, &value, cause) != 0)
    sqlite3_result_text(fctx, cause, -1, SQLITE_TRANSIENT);
}

int cfr_validate_register(sqlite3 *db, cfr_context *ctx) {
  int rc = sqlite3_create_function(db, "cfregions_check", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   ctx, check_func, 0, 0);
  /* DETERMINISTIC only so that SQLite checks DIRECTONLY in CHECK constraints too (context_sql.c). */
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "cfregions_check", 4, SQLITE_UTF8 | SQLITE_DIRECTONLY | SQLITE_DETERMINISTIC,
                                 ctx, check_func, 0, 0);
  return rc;
}
