/*
** ip.c — IP address parsing and RFC 5952 formatting (see include/cfregions_ip.h).
**
** Hand-written on purpose: libc's inet_pton/inet_ntop differ between platforms (glibc prints
** `::c000:201` as `::192.0.2.1`, others accept leading zeros in IPv4 octets), and the text this
** module produces is stored in databases and compared, so it must be the same everywhere. Nothing
** here depends on the locale, allocates, or reads past `len`: input need not be NUL-terminated.
**
** Accepted text (SPEC §4):
**   IPv4  exactly four decimal octets 0-255, no leading zeros ("0" itself is fine).
**   IPv6  RFC 4291 §2.2 text: eight groups of 1-4 hex digits (either case), at most one "::"
**         standing for one or more zero groups, optionally ending in an embedded IPv4 address that
**         fills the last 32 bits. No zone id, no brackets, no spaces.
** This is exactly the set glibc's inet_pton accepts; test/fuzz/fuzz_ip.c checks that.
*/
/* Only the module's own header: no SQLite here, so the fuzzer links this file alone. */
#include "cfregions_ip.h"

#include <string.h>

enum { V4_BITS = 32, V6_BITS = 128, V6_GROUPS = 8 };

static int family_bits(int family) { return family == 4 ? V4_BITS : V6_BITS; }

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Value of a hex digit, or -1. Explicit ranges instead of isxdigit(): no locale involved. */
static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* ---------------------------------------------------------------------------------------------
** Parsing
*/

/* Parses one decimal octet at s[*pos]: 1-3 digits, no leading zero, at most 255. */
static int parse_octet(const char *s, size_t len, size_t *pos, uint8_t *out) {
  size_t start = *pos, i = start;
  unsigned value = 0;
  /* Reading at most 3 digits keeps `value` small; a 4th digit then fails as a missing '.'. */
  while (i < len && i - start < 3 && is_digit((unsigned char)s[i])) value = value * 10 + (unsigned)(s[i++] - '0');
  if (i == start || value > 255) return -1;
  if (s[start] == '0' && i - start > 1) return -1; /* "01" is octal to some parsers: refuse it */
  *out = (uint8_t)value;
  *pos = i;
  return 0;
}

/* Parses a whole dotted quad s[0..len) into out[0..4). */
static int parse_v4(const char *s, size_t len, uint8_t out[4]) {
  size_t pos = 0;
  for (int octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (pos >= len || s[pos] != '.') return -1;
      pos++;
    }
    if (parse_octet(s, len, &pos, &out[octet]) != 0) return -1;
  }
  return pos == len ? 0 : -1;
}

/* Reads 1-4 hex digits at s[*pos] into *out. A 5th digit is left unread, so the caller fails on it
** as a character that is neither ':' nor the end. */
static int parse_group(const char *s, size_t len, size_t *pos, unsigned *out) {
  size_t start = *pos, i = start;
  unsigned value = 0;
  int digit;
  while (i < len && i - start < 4 && (digit = hex_value((unsigned char)s[i])) >= 0) {
    value = (value << 4) | (unsigned)digit;
    i++;
  }
  if (i == start) return -1; /* empty group: ":::", a lone trailing ':' or a stray character */
  *out = value;
  *pos = i;
  return 0;
}

/* Spreads the `count` groups read around the "::" at index `gap` (or none: gap < 0) over 16 bytes. */
static int expand_v6(const unsigned *groups, int count, int gap, uint8_t out[16]) {
  unsigned full[V6_GROUPS] = {0};
  if (gap < 0) {
    if (count != V6_GROUPS) return -1;
    memcpy(full, groups, sizeof full);
  } else {
    /* "::" stands for at least one zero group (RFC 4291), so at most 7 explicit groups. */
    if (count >= V6_GROUPS) return -1;
    int tail = count - gap;
    memcpy(full, groups, (size_t)gap * sizeof *full);
    memcpy(full + V6_GROUPS - tail, groups + gap, (size_t)tail * sizeof *full);
  }
  for (int i = 0; i < V6_GROUPS; i++) {
    out[2 * i] = (uint8_t)(full[i] >> 8);
    out[2 * i + 1] = (uint8_t)full[i];
  }
  return 0;
}

/* Parses IPv6 text s[0..len) into out[0..16). */
static int parse_v6(const char *s, size_t len, uint8_t out[16]) {
  unsigned groups[V6_GROUPS];
  int count = 0, gap = -1;
  size_t pos = 0;

  /* A leading ':' is only valid as part of a leading "::". */
  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    pos = 2;
  } else if (len >= 1 && s[0] == ':') {
    return -1;
  }
  while (pos < len) {
    size_t start = pos;
    unsigned value;
    if (parse_group(s, len, &pos, &value) != 0) return -1;
    if (pos < len && s[pos] == '.') {
      /* Embedded IPv4: the rest of the text is a dotted quad that fills the last two groups. */
      uint8_t quad[4];
      if (count > V6_GROUPS - 2 || parse_v4(s + start, len - start, quad) != 0) return -1;
      groups[count++] = (unsigned)(quad[0] << 8 | quad[1]);
      groups[count++] = (unsigned)(quad[2] << 8 | quad[3]);
      break;
    }
    if (count == V6_GROUPS) return -1;
    groups[count++] = value;
    if (pos == len) break;
    if (s[pos] != ':') return -1; /* zone ids, spaces, 5-digit groups and stray bytes end here */
    pos++;
    if (pos < len && s[pos] == ':') {
      if (gap >= 0) return -1; /* "::" twice */
      gap = count;
      pos++;
    } else if (pos == len) {
      return -1; /* a single trailing ':' */
    }
  }
  return expand_v6(groups, count, gap, out);
}

int cfr_ip_parse(const char *text, size_t len, cfr_ip *out) {
  cfr_ip ip;
  memset(&ip, 0, sizeof ip);
  ip.prefix = -1;
  /* Any ':' makes it IPv6; otherwise it can only be a dotted quad. */
  if (text != NULL && memchr(text, ':', len) != NULL) {
    if (parse_v6(text, len, ip.bytes) != 0) return -1;
    ip.family = 6;
  } else {
    if (text == NULL || parse_v4(text, len, ip.bytes) != 0) return -1;
    ip.family = 4;
  }
  *out = ip;
  return 0;
}

/* Parses a prefix length s[0..len): decimal, no leading zeros, 0..max. */
static int parse_prefix(const char *s, size_t len, int max, int *out) {
  if (len == 0 || len > 3) return -1;
  if (s[0] == '0' && len > 1) return -1;
  int value = 0;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit((unsigned char)s[i])) return -1;
    value = value * 10 + (s[i] - '0');
  }
  if (value > max) return -1;
  *out = value;
  return 0;
}

int cfr_ip_parse_cidr(const char *text, size_t len, cfr_ip *out) {
  const char *slash = text != NULL ? memchr(text, '/', len) : NULL;
  if (slash == NULL) return cfr_ip_parse(text, len, out);

  cfr_ip ip;
  size_t addr_len = (size_t)(slash - text);
  if (cfr_ip_parse(text, addr_len, &ip) != 0) return -1;
  if (parse_prefix(slash + 1, len - addr_len - 1, family_bits(ip.family), &ip.prefix) != 0) return -1;
  *out = ip;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
** Formatting. Writers return the position after what they wrote; the caller guarantees room.
*/

static char *put_decimal(char *p, unsigned value) {
  char digits[3];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 3);
  while (n > 0) *p++ = digits[--n];
  return p;
}

static char *put_v4(char *p, const uint8_t *b) {
  for (int i = 0; i < 4; i++) {
    if (i > 0) *p++ = '.';
    p = put_decimal(p, b[i]);
  }
  return p;
}

/* One group in lowercase hex without leading zeros (RFC 5952 §4.1, §4.3). */
static char *put_group(char *p, unsigned value) {
  static const char hex[] = "0123456789abcdef";
  int shift = 12;
  while (shift > 0 && ((value >> shift) & 0xf) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) *p++ = hex[(value >> shift) & 0xf];
  return p;
}

/* Finds the longest run of at least two zero groups, the first one on ties (RFC 5952 §4.2). */
static void longest_zero_run(const unsigned *w, int *best_start, int *best_len) {
  *best_start = -1;
  *best_len = 1; /* a single zero group is never compressed (§4.2.2) */
  for (int i = 0; i < V6_GROUPS;) {
    if (w[i] != 0) {
      i++;
      continue;
    }
    int start = i;
    while (i < V6_GROUPS && w[i] == 0) i++;
    if (i - start > *best_len) { /* strictly longer: the first run wins a tie (§4.2.3) */
      *best_start = start;
      *best_len = i - start;
    }
  }
}

/* ::ffff:0:0/96 (RFC 4291 §2.5.5.2) is the one range written with a dotted quad (RFC 5952 §5). */
static int is_v4_mapped(const uint8_t *b) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(b, mapped, sizeof mapped) == 0;
}

static char *put_v6(char *p, const uint8_t *b) {
  if (is_v4_mapped(b)) {
    memcpy(p, "::ffff:", 7);
    return put_v4(p + 7, b + 12);
  }
  unsigned w[V6_GROUPS];
  for (int i = 0; i < V6_GROUPS; i++) w[i] = (unsigned)(b[2 * i] << 8 | b[2 * i + 1]);
  int run_start, run_len;
  longest_zero_run(w, &run_start, &run_len);
  for (int i = 0; i < V6_GROUPS; i++) {
    if (i == run_start) {
      *p++ = ':';
      *p++ = ':';
      i += run_len - 1;
      continue;
    }
    /* A separator goes before every group except the first and one right after "::". */
    if (i > 0 && i != run_start + run_len) *p++ = ':';
    p = put_group(p, w[i]);
  }
  return p;
}

size_t cfr_ip_format(const cfr_ip *ip, char *buf) {
  char *p = ip->family == 4 ? put_v4(buf, ip->bytes) : put_v6(buf, ip->bytes);
  if (ip->prefix >= 0) {
    *p++ = '/';
    p = put_decimal(p, (unsigned)ip->prefix);
  }
  *p = '\0';
  return (size_t)(p - buf);
}

int cfr_ip_canonicalize(const char *text, size_t len, char *buf) {
  cfr_ip ip;
  if (cfr_ip_parse(text, len, &ip) != 0) return -1;
  return (int)cfr_ip_format(&ip, buf);
}

/* ---------------------------------------------------------------------------------------------
** Networks and ordering
*/

/* The mask byte that keeps the first `bits` bits of a byte (bits clamped to 0..8). */
static uint8_t keep_mask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 8) return 0xff;
  return (uint8_t)(0xff << (8 - bits));
}

void cfr_ip_mask(cfr_ip *ip, int prefix) {
  int bits = family_bits(ip->family);
  /* Out-of-range lengths are clamped rather than trusted: they index bytes below. */
  if (prefix < 0) prefix = 0;
  if (prefix > bits) prefix = bits;
  /* Every byte, not just the one holding the boundary: bytes past an IPv4 address stay zero. */
  for (int i = 0; i < 16; i++) ip->bytes[i] &= keep_mask(prefix - 8 * i);
  ip->prefix = prefix;
}

/* True if the first `bits` bits of a and b are equal. */
static int same_leading_bits(const uint8_t *a, const uint8_t *b, int bits) {
  int whole = bits / 8;
  if (memcmp(a, b, (size_t)whole) != 0) return 0;
  if (bits % 8 == 0) return 1;
  uint8_t m = keep_mask(bits % 8);
  return (a[whole] & m) == (b[whole] & m);
}

int cfr_ip_contains(const cfr_ip *net, const cfr_ip *addr) {
  if (net->family != addr->family) return 0;
  int bits = family_bits(net->family);
  int net_len = net->prefix < 0 ? bits : net->prefix;
  int addr_len = addr->prefix < 0 ? bits : addr->prefix;
  /* A network given as addr is inside net only if it is no larger (sqlean's rule). */
  if (addr_len < net_len) return 0;
  return same_leading_bits(net->bytes, addr->bytes, net_len);
}

int cfr_ip_compare(const cfr_ip *a, const cfr_ip *b) {
  if (a->family != b->family) return a->family < b->family ? -1 : 1;
  int c = memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16);
  if (c != 0) return c < 0 ? -1 : 1;
  if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1; /* -1 (none) sorts first */
  return 0;
}
