/*
** ip.c — IP address parsing and RFC 5952 formatting (see include/cfregions_ip.h).
**
** Hand-written on purpose: libc's inet_pton/inet_ntop differ between platforms (glibc prints
** `::c000:201` as `::192.0.2.1`, others accept leading zeros in IPv4 octets), and the text this
** module produces is stored in databases and compared, so it must be the same everywhere. Nothing
** here depends on the locale or allocates, and only cfr_ip_canonicalize_nt (whose caller promises a
** NUL after the text) reads text[len]: other input need not be NUL-terminated.
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

/* Value of each byte as a hex digit, or -1. A table rather than isxdigit(): no locale involved,
** and one load per character keeps ip_canonical() close to the cost of length() (bench/). */
#define N -1
static const signed char hex_digit[256] = {
    N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, N, N, N, N, N, N,
    N, 10, 11, 12, 13, 14, 15, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    N, 10, 11, 12, 13, 14, 15, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
};
#undef N

/* Decimal digit value, or a number > 9 for anything else (unsigned wrap-around on purpose). */
static unsigned dec_digit(unsigned char c) { return (unsigned)c - '0'; }

/* ---------------------------------------------------------------------------------------------
** Parsing. cfr_ip_parse copies the text into a small buffer with a NUL after it; the NUL stops
** every loop below (it is neither a digit nor ':' nor '.'), so they need no bounds checks, and the
** caller then makes sure the whole text was consumed (which also refuses embedded NUL bytes).
*/

/* Longest valid text: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
#define IP_TEXT_LONGEST 45

/* Parses a dotted quad into out[0..4): four octets of 1-3 digits, no leading zero, at most 255.
** Returns the position after it, or NULL. A 4th digit in an octet is left unread, so it fails as a
** missing '.' or, after the last octet, as an unconsumed byte. Each byte is read only after the one
** before it turned out to be a digit or '.', so the reads stay within the text and its NUL. */
static const unsigned char *parse_v4(const unsigned char *p, uint8_t out[4]) {
  for (int octet = 0;; octet++) {
    unsigned value = dec_digit(p[0]), d;
    if (value > 9) return NULL;
    if ((d = dec_digit(p[1])) > 9) {
      p += 1;
    } else if (value == 0) {
      return NULL; /* "01" is octal to some parsers: refuse it */
    } else if (value = value * 10 + d, (d = dec_digit(p[2])) > 9) {
      p += 2;
    } else {
      value = value * 10 + d;
      if (value > 255) return NULL;
      p += 3;
    }
    out[octet] = (uint8_t)value;
    if (octet == 3) return p;
    if (*p++ != '.') return NULL;
  }
}

/* Reads a group of 1-4 hex digits into *out. Returns the position after it, or NULL if there is
** no digit (":::", a stray byte, a lone trailing ':') or a 5th one follows. Unrolled, because this
** is the innermost loop of ip_canonical(); each byte is read only after the one before it turned
** out to be a digit, so the reads stay within the text and its NUL. */
static const unsigned char *parse_group(const unsigned char *p, unsigned *out) {
  int a = hex_digit[p[0]], b, c, d;
  if (a < 0) return NULL;
  if ((b = hex_digit[p[1]]) < 0) {
    *out = (unsigned)a;
    return p + 1;
  }
  if ((c = hex_digit[p[2]]) < 0) {
    *out = (unsigned)(a << 4 | b);
    return p + 2;
  }
  if ((d = hex_digit[p[3]]) < 0) {
    *out = (unsigned)(a << 8 | b << 4 | c);
    return p + 3;
  }
  if (hex_digit[p[4]] >= 0) return NULL;
  *out = (unsigned)(a << 12 | b << 8 | c << 4 | d);
  return p + 4;
}

/* Moves the groups read after the "::" (at index `gap`; none: gap < 0) to the end of the eight and
** zeroes the ones it stands for. */
static int expand_v6(unsigned w[V6_GROUPS], int count, int gap) {
  if (gap < 0) return count == V6_GROUPS ? 0 : -1;
  /* "::" stands for at least one zero group (RFC 4291 §2.2), so at most 7 explicit groups. */
  if (count >= V6_GROUPS) return -1;
  int tail = count - gap, zeros = V6_GROUPS - count;
  memmove(w + gap + zeros, w + gap, (size_t)tail * sizeof *w);
  for (int i = gap; i < gap + zeros; i++) w[i] = 0;
  return 0;
}

/* Parses IPv6 text into its eight groups. Returns the position after it, or NULL. */
static const unsigned char *parse_v6(const unsigned char *p, unsigned w[V6_GROUPS]) {
  int count = 0, gap = -1;

  /* A leading ':' is only valid as part of a leading "::". */
  if (p[0] == ':') {
    if (p[1] != ':') return NULL;
    gap = 0;
    p += 2;
    if (*p == '\0') return expand_v6(w, 0, 0) == 0 ? p : NULL; /* "::" */
  }
  for (;;) {
    const unsigned char *start = p;
    unsigned value = 0;
    p = parse_group(p, &value);
    if (p != NULL && *p == '.') {
      /* Embedded IPv4: a dotted quad fills the last two groups and must end the text. */
      uint8_t quad[4];
      if (count > V6_GROUPS - 2 || (p = parse_v4(start, quad)) == NULL) return NULL;
      w[count++] = (unsigned)(quad[0] << 8 | quad[1]);
      w[count++] = (unsigned)(quad[2] << 8 | quad[3]);
      break;
    }
    if (p == NULL || count == V6_GROUPS) return NULL;
    w[count++] = value;
    if (*p != ':') break; /* the end, or a byte the caller will find unconsumed (%, space, ...) */
    p++;
    if (*p == ':') {
      if (gap >= 0) return NULL; /* "::" twice */
      gap = count;
      p++;
      if (*p == '\0') break; /* a trailing "::" */
    }
    /* After a single ':' another group must follow; parse_group refuses the end. */
  }
  return expand_v6(w, count, gap) == 0 ? p : NULL;
}

/* Parses text[0..len) followed by a NUL: sets *family and fills quad (IPv4) or groups (IPv6).
** 0 or -1. */
static int parse_terminated(const unsigned char *text, size_t len, int *family, uint8_t quad[4],
                            unsigned groups[V6_GROUPS]) {
  if (len > IP_TEXT_LONGEST) return -1;
  /* Valid IPv6 text has ':' right after its first 0-4 hex digits (an embedded IPv4 address cannot
  ** come first); valid IPv4 text has none at all. So the first byte that is not a hex digit
  ** decides which parser to try. */
  const unsigned char *q = text, *end;
  while (q - text < 5 && hex_digit[*q] >= 0) q++;
  if (*q == ':') {
    *family = 6;
    end = parse_v6(text, groups);
  } else {
    *family = 4;
    end = parse_v4(text, quad);
  }
  return end == text + len ? 0 : -1; /* invalid, or trailing bytes (including a NUL) */
}

/* parse_terminated() for text without a NUL after it: parses a terminated copy. */
static int parse_address(const char *text, size_t len, int *family, uint8_t quad[4], unsigned groups[V6_GROUPS]) {
  if (text == NULL || len > IP_TEXT_LONGEST) return -1;
  unsigned char buf[IP_TEXT_LONGEST + 1];
  memcpy(buf, text, len);
  buf[len] = '\0';
  return parse_terminated(buf, len, family, quad, groups);
}

int cfr_ip_parse(const char *text, size_t len, cfr_ip *out) {
  cfr_ip ip;
  unsigned groups[V6_GROUPS];
  memset(&ip, 0, sizeof ip);
  ip.prefix = -1;
  if (parse_address(text, len, &ip.family, ip.bytes, groups) != 0) return -1;
  if (ip.family == 6) {
    for (int i = 0; i < V6_GROUPS; i++) {
      ip.bytes[2 * i] = (uint8_t)(groups[i] >> 8);
      ip.bytes[2 * i + 1] = (uint8_t)groups[i];
    }
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
    if (dec_digit((unsigned char)s[i]) > 9) return -1;
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

/* Writes 0..999 in decimal (octets and prefix lengths). */
static char *put_decimal(char *p, unsigned value) {
  if (value >= 100) *p++ = (char)('0' + value / 100);
  if (value >= 10) *p++ = (char)('0' + value / 10 % 10);
  *p++ = (char)('0' + value % 10);
  return p;
}

static char *put_v4(char *p, const uint8_t *b) {
  for (int i = 0; i < 4; i++) {
    if (i > 0) *p++ = '.';
    p = put_decimal(p, b[i]);
  }
  return p;
}

/* One group in lowercase hex without leading zeros (RFC 5952 §4.1, §4.3). (Measured: these plain
** branches beat table lookups and branch-free variants on mixed data.) */
static char *put_group(char *p, unsigned value) {
  static const char hex[] = "0123456789abcdef";
  if (value >= 0x1000) *p++ = hex[value >> 12];
  if (value >= 0x100) *p++ = hex[(value >> 8) & 0xf];
  if (value >= 0x10) *p++ = hex[(value >> 4) & 0xf];
  *p++ = hex[value & 0xf];
  return p;
}

/* Finds the longest run of at least two zero groups, the first one on ties (RFC 5952 §4.2), or
** sets *best_start to -1. Works on a bit mask of the zero groups instead of looping over runs:
** fewer unpredictable branches on mixed data. */
static void longest_zero_run(const unsigned *w, int *best_start, int *best_len) {
  /* Bit i: group i is zero. Spelled out: compilers leave the loop form rolled up. */
  unsigned starts = (unsigned)((w[0] == 0) | (w[1] == 0) << 1 | (w[2] == 0) << 2 | (w[3] == 0) << 3 |
                               (w[4] == 0) << 4 | (w[5] == 0) << 5 | (w[6] == 0) << 6 | (w[7] == 0) << 7);
  *best_start = -1;
  *best_len = 0;
  if ((starts & (starts >> 1)) == 0) return; /* no two adjacent zero groups: a single one stays (§4.2.2) */
  /* Each step keeps the groups that start a run one group longer; when no longer run exists,
  ** the remaining bits start the longest runs, and the lowest one is the first (§4.2.3). */
  int len = 1;
  for (unsigned longer; (longer = starts & (starts >> 1)) != 0; len++) starts = longer;
  int start = 0;
  while (!(starts >> start & 1)) start++;
  *best_start = start;
  *best_len = len;
}

/* Writes groups w[from..to) separated by ':'. */
static char *put_groups(char *p, const unsigned *w, int from, int to) {
  for (int i = from; i < to; i++) {
    if (i > from) *p++ = ':';
    p = put_group(p, w[i]);
  }
  return p;
}

/* Writes IPv6 text from its eight groups. */
static char *put_v6_groups(char *p, const unsigned *w) {
  /* ::ffff:0:0/96 (RFC 4291 §2.5.5.2) is the one range written with a dotted quad (RFC 5952 §5). */
  if ((w[0] | w[1] | w[2] | w[3] | w[4]) == 0 && w[5] == 0xffff) {
    const uint8_t quad[4] = {(uint8_t)(w[6] >> 8), (uint8_t)w[6], (uint8_t)(w[7] >> 8), (uint8_t)w[7]};
    memcpy(p, "::ffff:", 7);
    return put_v4(p + 7, quad);
  }
  int run_start, run_len;
  longest_zero_run(w, &run_start, &run_len);
  if (run_start < 0) return put_groups(p, w, 0, V6_GROUPS);
  p = put_groups(p, w, 0, run_start);
  *p++ = ':';
  *p++ = ':';
  return put_groups(p, w, run_start + run_len, V6_GROUPS);
}

static char *put_v6(char *p, const uint8_t *b) {
  unsigned w[V6_GROUPS];
  for (int i = 0; i < V6_GROUPS; i++) w[i] = (unsigned)(b[2 * i] << 8 | b[2 * i + 1]);
  return put_v6_groups(p, w);
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
  int family;
  uint8_t quad[4];
  unsigned groups[V6_GROUPS];
  if (parse_address(text, len, &family, quad, groups) != 0) return -1;
  /* IPv4 text that parses is canonical already (one spelling per address, leading zeros refused).
  ** IPv6 goes from groups to text without the detour through bytes. */
  if (family == 4) {
    memcpy(buf, text, len);
    buf[len] = '\0';
    return (int)len;
  }
  char *end = put_v6_groups(buf, groups);
  *end = '\0';
  return (int)(end - buf);
}

/* True if valid IPv6 text is an IPv4-mapped address written exactly as RFC 5952 wants it:
** "::ffff:" and a dotted quad (which has one spelling). Dual-stack sockets report IPv4 peers this
** way, so such text is common enough to return as it is. With no ':' after the prefix, the rest is
** one group or a dotted quad, and only the quad leaves 0xffff in group 5 ("::ffff:ffff:1.2.3.4"
** has a ':' after the prefix; "::ffff:1" puts 0xffff in group 6). */
static int is_mapped_as_written(const char *text, size_t len, const unsigned *groups) {
  return len > 7 && memcmp(text, "::ffff:", 7) == 0 && memchr(text + 7, ':', len - 7) == NULL &&
         groups[5] == 0xffff;
}

int cfr_ip_canonicalize_nt(const char *text, size_t len, char *buf, const char **out) {
  int family;
  uint8_t quad[4];
  unsigned groups[V6_GROUPS];
  if (text == NULL || parse_terminated((const unsigned char *)text, len, &family, quad, groups) != 0) return -1;
  if (family == 4 || is_mapped_as_written(text, len, groups)) {
    *out = text; /* its own canonical form: no copy at all */
    return (int)len;
  }
  char *end = put_v6_groups(buf, groups);
  *end = '\0';
  *out = buf;
  return (int)(end - buf);
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
