/*
** util.c — the few helpers every module shares: setting a virtual table's error, quoting text from
** a server, fixed-size copies and wiping secrets. See cfregions_int.h for the rules they serve.
*/
#include "cfregions_int.h"

#include <stdarg.h>
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

void cfr_append_server_text(sqlite3_str *s, const char *text, size_t max) {
  size_t i = 0;
  for (; text[i] && i < max; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '\n') sqlite3_str_appendall(s, "\\n");
    else if (c == '\r') sqlite3_str_appendall(s, "\\r");
    else if (c == '\t') sqlite3_str_appendall(s, "\\t");
    else if (c < 0x20 || c == 0x7f) sqlite3_str_appendf(s, "\\x%02x", c);
    else sqlite3_str_appendchar(s, 1, (char)c);
  }
  if (text[i]) sqlite3_str_appendall(s, "...");
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
