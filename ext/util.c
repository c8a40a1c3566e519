/*
** util.c — the few helpers every module shares: setting a virtual table's error, quoting text from
** a server, fixed-size copies and wiping secrets. See cfregions_int.h for the rules they serve.
*/
#include "cfregions_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cfr_vtab_error(sqlite3_vtab *vtab, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = msg;
  return rc;
}

/* The length of the UTF-8 sequence at p (1-4) and its code point, or 0 when it is not valid
** UTF-8 (overlong forms and surrogates included). */
static int utf8_char(const unsigned char *p, unsigned *cp) {
  static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
  int n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0) return 0;
  unsigned c = n == 1 ? p[0] : p[0] & (0x7F >> n);
  for (int i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

/* Characters that change how a terminal or an editor shows the text around them: C0 and C1
** controls, and the bidirectional and line-separating format characters. */
static int is_disguising(unsigned c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void cfr_append_server_text(sqlite3_str *s, const char *text, size_t max) {
  const unsigned char *p = (const unsigned char *)text;
  size_t used = 0;
  while (*p) {
    unsigned c;
    int n = utf8_char(p, &c);
    char esc[16];
    if (n == 0) snprintf(esc, sizeof(esc), "\\x%02x", *p);
    else if (c == '\n') snprintf(esc, sizeof(esc), "\\n");
    else if (c == '\r') snprintf(esc, sizeof(esc), "\\r");
    else if (c == '\t') snprintf(esc, sizeof(esc), "\\t");
    else if (c < 0x80 && is_disguising(c)) snprintf(esc, sizeof(esc), "\\x%02x", c);
    else if (is_disguising(c)) snprintf(esc, sizeof(esc), "\\u{%04x}", c);
    else esc[0] = 0;
    size_t width = esc[0] ? strlen(esc) : (size_t)n;
    /* Whole characters only: a cut never leaves half a UTF-8 sequence. */
    if (used + width > max) break;
    if (esc[0]) sqlite3_str_appendall(s, esc);
    else sqlite3_str_append(s, (const char *)p, n);
    used += width;
    p += n ? n : 1;
  }
  if (*p) sqlite3_str_appendall(s, "...");
}

int cfr_copy_field(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) return -1;
  memcpy(dst, src, n + 1);
  return 0;
}

void cfr_free_secret(char *secret) {
  if (!secret) return;
  volatile char *p = secret;
  while (*p) *p++ = 0;
  sqlite3_free(secret);
}

void *cfr_grow(void *items, int *capacity, int need, size_t size) {
  if (need <= *capacity) return items;
  int grown = *capacity ? *capacity : 16;
  while (grown < need) grown *= 2;
  void *moved = sqlite3_realloc64(items, (sqlite3_uint64)grown * size);
  if (moved) *capacity = grown;
  return moved;
}

sqlite3_stmt *cfr_writing_statement(sqlite3 *db, sqlite3_int64 *run) {
  for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s)) {
    if (!sqlite3_stmt_busy(s) || sqlite3_stmt_readonly(s)) continue;
    /* A statement prepared after another was finalized may get its address, and both are on their
    ** first run: the connection's change count, which moves only when a write statement ends,
    ** tells them apart whenever the first one changed anything. */
    *run = (sqlite3_int64)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN, 0) ^ (sqlite3_total_changes64(db) << 24);
    return s;
  }
  *run = 0;
  return NULL;
}
