/*
** ip.c — IP address parsing and RFC 5952 formatting (see include/cfregions_ip.h).
**
** Hand-written on purpose: libc's inet_pton/inet_ntop differ between platforms (glibc prints
** `::c000:201` as `::192.0.2.1`, others accept leading zeros in IPv4 octets), and the text this
** module produces is stored in databases and compared, so it must be the same everywhere. Nothing
** here depends on the locale or allocates, and only cfr_ip_canonicalize_nt (whose caller promises a
** NUL after the text) reads text[len]: other input need not be NUL-terminated.
**
** Accepted text:
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

/* Each byte as a hex digit: 0 if it is none, else HEX_VALID | flags | its value. A table rather
** than isxdigit(): no locale involved, and one load per character keeps ip_canonical() close to
** the cost of length() (bench/). The flags let the parser see, at no extra load, whether IPv6 text
** is spelled the way it prints (then ip_canonical() returns it as it is): HEX_UPPER marks 'A'-'F',
** HEX_ZERO marks '0' (which may not lead a group of two digits or more). They sit above bit 15 so
** that a group's digits combine by shifting: digit k from the right keeps its value in bits
** 4k..4k+3 and its flags in bits 16+4k..19+4k, and the group's value is the low 16 bits. */
enum { HEX_UPPER = 1 << 16, HEX_ZERO = 1 << 17, HEX_VALID = 1 << 18 };
#define D(v) (HEX_VALID | (v))
#define U(v) (HEX_VALID | HEX_UPPER | (v))
static const uint32_t hex_digit[256] = {
    ['0'] = D(HEX_ZERO), ['1'] = D(1),  ['2'] = D(2),  ['3'] = D(3),  ['4'] = D(4),  ['5'] = D(5),
    ['6'] = D(6),        ['7'] = D(7),  ['8'] = D(8),  ['9'] = D(9),  ['a'] = D(10), ['b'] = D(11),
    ['c'] = D(12),       ['d'] = D(13), ['e'] = D(14), ['f'] = D(15), ['A'] = U(10), ['B'] = U(11),
    ['C'] = U(12),       ['D'] = U(13), ['E'] = U(14), ['F'] = U(15),
};
#undef D
#undef U

/* A group's value, and the bits of a group of n digits (combined as above) that mean it is not
** spelled as it prints: an uppercase digit anywhere, or a leading '0' when n >= 2. */
#define GROUP_VALUE 0xffffu
#define GROUP_UPPER (HEX_UPPER * 0x1111u)
#define GROUP_KEEP(n)                                                                              \
  (GROUP_VALUE | GROUP_UPPER | ((n) >= 2 ? (uint32_t)HEX_ZERO << 4 * ((n)-1) : 0))

/* Decimal digit value, or a number > 9 for anything else (unsigned wrap-around on purpose). */
static unsigned dec_digit(unsigned char c) { return (unsigned)c - '0'; }

/* ---------------------------------------------------------------------------------------------
** Parsing. cfr_ip_parse copies the text into a small buffer with a NUL after it; the NUL stops
** every loop below (it is neither a digit nor ':' nor '.'), so they need no bounds checks, and the
** caller then makes sure the whole text was consumed (which also refuses embedded NUL bytes).
*/

/* Longest valid text: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
#define IP_TEXT_LONGEST 45

/* What the parser found. For IPv6 it also notes how the text was written, which is all that
** dotted_as_printed() and groups_as_printed() need to tell whether it is the canonical text. */
typedef struct parsed {
  int family; /* 4 or 6 */
  uint8_t quad[4]; /* IPv4 */
  uint16_t w[V6_GROUPS]; /* IPv6: the eight groups */
  int gap; /* IPv6: index of the first group "::" stands for, or -1 */
  int written; /* IPv6: groups written out (an embedded dotted quad counts as two) */
  int dotted; /* IPv6: ended in an embedded dotted quad */
  uint32_t faults; /* IPv6: above GROUP_VALUE, a group was spelled unlike its printed form */
} parsed;

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

/* Reads a group of 1-4 hex digits into *out: its value in the low 16 bits, above them the bits
** of GROUP_KEEP (spelling faults). Returns the position after it, or NULL if there is no digit
** (":::", a stray byte, a lone trailing ':'). A 5th digit is left unread: no group or quad may
** be followed by a digit, so the caller refuses it as a byte in the wrong place. Unrolled,
** because this is the innermost loop of ip_canonical(); each byte is read only after the one
** before it turned out to be a digit, so the reads stay within the text and its NUL. */
static const unsigned char *parse_group(const unsigned char *p, uint32_t *out) {
  uint32_t a = hex_digit[p[0]], b, c, d;
  if (a == 0) return NULL;
  if ((b = hex_digit[p[1]]) == 0) {
    *out = a & GROUP_KEEP(1);
    return p + 1;
  }
  if ((c = hex_digit[p[2]]) == 0) {
    *out = (a << 4 | b) & GROUP_KEEP(2);
    return p + 2;
  }
  if ((d = hex_digit[p[3]]) == 0) {
    *out = (a << 8 | b << 4 | c) & GROUP_KEEP(3);
    return p + 3;
  }
  *out = (a << 12 | b << 8 | c << 4 | d) & GROUP_KEEP(4);
  return p + 4;
}

/* Moves the groups read after the "::" (at index `gap`; none: gap < 0) to the end of the eight,
** clearing the places they leave: the groups after the ones read are zero already (parse_v6
** clears them first), so these are all the "::" stands for. 0, or -1 if the count does not add up.
** (A loop: at most 7 groups move, fewer than a memmove() call costs.) */
static int expand_v6(uint16_t *w, int count, int gap) {
  if (gap < 0) return count == V6_GROUPS ? 0 : -1;
  /* "::" stands for at least one zero group (RFC 4291 §2.2), so at most 7 explicit groups. */
  if (count >= V6_GROUPS) return -1;
  int zeros = V6_GROUPS - count;
  for (int i = count - 1; i >= gap; i--) {
    w[i + zeros] = w[i];
    w[i] = 0;
  }
  return 0;
}

/* Parses the embedded dotted quad that ends IPv6 text at p into w[count], w[count + 1]. */
static const unsigned char *parse_embedded_v4(const unsigned char *p, uint16_t *w, int count) {
  uint8_t quad[4];
  if (count > V6_GROUPS - 2 || (p = parse_v4(p, quad)) == NULL) return NULL;
  w[count] = (uint16_t)(quad[0] << 8 | quad[1]);
  w[count + 1] = (uint16_t)(quad[2] << 8 | quad[3]);
  return p;
}

/* Records how IPv6 text ending at p was written and expands its groups. Returns p, or NULL if
** the groups do not add up to eight. */
static const unsigned char *end_v6(parsed *r, const unsigned char *p, int count, int gap,
                                   uint32_t faults, int dotted) {
  r->gap = gap;
  r->written = count;
  r->faults = faults;
  r->dotted = dotted;
  return expand_v6(r->w, count, gap) == 0 ? p : NULL;
}

/* Parses IPv6 text into r->w and notes how it was written. Returns the position after it, or
** NULL. */
static const unsigned char *parse_v6(const unsigned char *p, parsed *r) {
  uint16_t *w = r->w;
  int count = 0, gap = -1;
  uint32_t faults = 0;
  memset(w, 0, sizeof r->w); /* for expand_v6 */
  if (p[0] == ':') { /* only valid as part of a leading "::" */
    if (p[1] != ':') return NULL;
    gap = 0;
    p += 2;
    if (*p == '\0') return end_v6(r, p, 0, 0, 0, 0); /* "::" */
  }
  for (;;) {
    const unsigned char *start = p;
    uint32_t value;
    if ((p = parse_group(p, &value)) == NULL) return NULL;
    if (*p == ':') {
      /* Another group follows, or "::" for at least one: at most 7 so far. */
      if (count == V6_GROUPS - 1) return NULL;
      faults |= value;
      w[count++] = (uint16_t)value;
      if (*++p != ':') continue; /* after a single ':' a group must follow: parse_group checks */
      if (gap >= 0) return NULL; /* "::" twice */
      gap = count;
      if (*++p == '\0') break; /* a trailing "::" */
      continue;
    }
    if (*p == '.') { /* a dotted quad fills the last two groups and must end the text */
      if ((p = parse_embedded_v4(start, w, count)) == NULL) return NULL;
      return end_v6(r, p, count + 2, gap, faults, 1);
    }
    /* The end, or a byte the caller will find unconsumed (%, space, a 5th digit, ...). The
    ** branch above left count <= 7, so this group fits. */
    faults |= value;
    w[count++] = (uint16_t)value;
    break;
  }
  return end_v6(r, p, count, gap, faults, 0);
}

/* True if text at p starts as IPv4 text does: 1-3 decimal digits and a '.'. No IPv6 text starts
** so (its first '.' would come after a ':'), and all IPv4 text does. Each byte is read only after
** the one before it turned out to be a digit. */
static int starts_as_v4(const unsigned char *p) {
  if (dec_digit(p[0]) > 9) return 0;
  if (p[1] == '.') return 1;
  if (dec_digit(p[1]) > 9) return 0;
  if (p[2] == '.') return 1;
  return dec_digit(p[2]) <= 9 && p[3] == '.';
}

/* Parses IPv4 or IPv6 text into *r. Returns the position after it, or NULL. */
static const unsigned char *parse_text(const unsigned char *p, parsed *r) {
  if (starts_as_v4(p)) {
    r->family = 4;
    return parse_v4(p, r->quad);
  }
  r->family = 6;
  return parse_v6(p, r);
}

/* Parses text[0..len) followed by a NUL into *r. 0 or -1. */
static int parse_terminated(const unsigned char *text, size_t len, parsed *r) {
  if (len > IP_TEXT_LONGEST) return -1;
  return parse_text(text, r) == text + len ? 0 : -1; /* invalid, or trailing bytes (a NUL too) */
}

/* parse_terminated() for text without a NUL after it: parses a terminated copy. */
static int parse_address(const char *text, size_t len, parsed *r) {
  if (text == NULL || len > IP_TEXT_LONGEST) return -1;
  unsigned char buf[IP_TEXT_LONGEST + 1];
  memcpy(buf, text, len);
  buf[len] = '\0';
  return parse_terminated(buf, len, r);
}

int cfr_ip_parse(const char *text, size_t len, cfr_ip *out) {
  parsed r;
  if (parse_address(text, len, &r) != 0) return -1;
  cfr_ip ip;
  memset(&ip, 0, sizeof ip);
  ip.prefix = -1;
  ip.family = r.family;
  if (r.family == 4) {
    memcpy(ip.bytes, r.quad, 4);
  } else {
    for (int i = 0; i < V6_GROUPS; i++) {
      ip.bytes[2 * i] = (uint8_t)(r.w[i] >> 8);
      ip.bytes[2 * i + 1] = (uint8_t)r.w[i];
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
  if (parse_prefix(slash + 1, len - addr_len - 1, family_bits(ip.family), &ip.prefix) != 0)
    return -1;
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

/* How an address prints: as ::ffff:a.b.c.d, or with "::" for its longest run of zero groups. */
typedef struct v6_layout {
  int mapped; /* in ::ffff:0:0/96 (RFC 4291 §2.5.5.2), the one range written with a dotted quad
                 (RFC 5952 §5) */
  int run_start; /* first group of the run "::" stands for, or -1 */
  int run_len; /* its length (>= 2) */
} v6_layout;

/* Index of the lowest set bit of x (x != 0). */
#if defined(__GNUC__) || defined(__clang__)
static int lowest_bit(unsigned x) { return __builtin_ctz(x); }
#else
static int lowest_bit(unsigned x) {
  int i = 0;
  while (!(x >> i & 1)) i++;
  return i;
}
#endif

/* Bits 0-3 set for the zero groups among w[0..4). Four groups at a time in one 64-bit word rather
** than eight compares: a 16-bit lane is zero exactly when it has no bit 15 and adding 0x7fff to its
** low 15 bits (which cannot carry into the next lane) gives no bit 15 either. The multiplication
** gathers bits 15, 31, 47 and 63 into bits 60-63 (its terms move them by 45, 30, 15 and 0; no
** two products land on one bit, so nothing carries). The word is built with shifts, not memcpy,
** so that lane i is group i whatever the byte order (compilers make it one load). */
static unsigned zero_groups4(const uint16_t *w) {
  const uint64_t low15 = 0x7fff7fff7fff7fffu;
  uint64_t x = (uint64_t)w[0] | (uint64_t)w[1] << 16 | (uint64_t)w[2] << 32 | (uint64_t)w[3] << 48;
  uint64_t zero = ~(((x & low15) + low15) | x) & ~low15;
  return (unsigned)((zero * 0x0000200040008001u) >> 60);
}

/* Lays out an address: mapped or not, and the longest run of at least two zero groups, the first
** one on ties (RFC 5952 §4.2). Works on a bit mask of the zero groups instead of looping over
** runs: fewer unpredictable branches on mixed data. */
static v6_layout layout_v6(const uint16_t *w) {
  unsigned starts = zero_groups4(w) | zero_groups4(w + 4) << 4; /* bit i: group i is zero */
  v6_layout l = {(starts & 0x1f) == 0x1f && w[5] == 0xffff, -1, 0};
  /* No two adjacent zero groups: a single one stays (§4.2.2). */
  if ((starts & (starts >> 1)) == 0) return l;
  /* Each step keeps the groups that start a run one group longer; when no longer run exists,
  ** the remaining bits start the longest runs, and the lowest one is the first (§4.2.3). */
  int len = 1;
  for (unsigned longer; (longer = starts & (starts >> 1)) != 0; len++) starts = longer;
  l.run_start = lowest_bit(starts);
  l.run_len = len;
  return l;
}

/* Writes groups w[from..to), each followed by ':' (cheaper than a test for the first one). */
static char *put_groups(char *p, const uint16_t *w, int from, int to) {
  for (int i = from; i < to; i++) {
    p = put_group(p, w[i]);
    *p++ = ':';
  }
  return p;
}

/* Writes IPv6 text from its eight groups, laid out by layout_v6(). */
static char *put_v6_laid_out(char *p, const uint16_t *w, const v6_layout *l) {
  if (l->mapped) {
    const uint8_t quad[4] = {(uint8_t)(w[6] >> 8), (uint8_t)w[6], (uint8_t)(w[7] >> 8),
                             (uint8_t)w[7]};
    memcpy(p, "::ffff:", 7);
    return put_v4(p + 7, quad);
  }
  if (l->run_start < 0) return put_groups(p, w, 0, V6_GROUPS) - 1; /* less the last ':' */
  p = put_groups(p, w, 0, l->run_start); /* "a:b:" or nothing */
  if (l->run_start == 0) *p++ = ':';
  *p++ = ':'; /* "a:b::" or "::" */
  int after = l->run_start + l->run_len;
  return after == V6_GROUPS ? p : put_groups(p, w, after, V6_GROUPS) - 1;
}

static char *put_v6(char *p, const uint8_t *b) {
  uint16_t w[V6_GROUPS];
  for (int i = 0; i < V6_GROUPS; i++) w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
  v6_layout l = layout_v6(w);
  return put_v6_laid_out(p, w, &l);
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

/* Whether parsed IPv6 text is exactly what put_v6_laid_out() prints for its address, so that it
** can be returned as it is. That text is fixed by the address, so it is enough that every group
** is spelled as it prints (no uppercase digit, no leading zero: no faults) and that the text has
** the same shape. test/fuzz/fuzz_ip.c checks both directions against the formatter. */

/* Dotted text: only ::ffff:a.b.c.d prints so. "::" before one group and the quad's two leaves
** groups 0-4 zero, and a group 5 of 0xffff spelled without faults is "ffff". */
static int dotted_as_printed(const parsed *r) {
  return r->faults <= GROUP_VALUE && r->dotted && r->gap == 0 && r->written == 3 &&
         r->w[5] == 0xffff;
}

/* Text without a dotted quad: "::" must stand where the layout puts it (or nowhere when the
** layout has no run), and the address must not be one that prints with a dotted quad. */
static int groups_as_printed(const parsed *r, const v6_layout *l) {
  if (r->faults > GROUP_VALUE || r->dotted || l->mapped) return 0;
  if (r->gap < 0) return l->run_start < 0;
  return l->run_start == r->gap && l->run_len == V6_GROUPS - r->written;
}

/* Writes the canonical text of parsed IPv6 text into buf (CFR_IP_TEXT_MAX bytes) from its groups,
** without the detour through bytes, and returns its length; or returns -1 without writing when
** the text is canonical already. */
static int print_unless_canonical(const parsed *r, char *buf) {
  if (dotted_as_printed(r)) return -1; /* common (IPv4 peers of dual-stack sockets) and cheap */
  v6_layout l = layout_v6(r->w);
  if (groups_as_printed(r, &l)) return -1;
  char *end = put_v6_laid_out(buf, r->w, &l);
  *end = '\0';
  return (int)(end - buf);
}

/* Both canonicalizers return IPv4 text as it is: text that parses is canonical already (one
** spelling per address, leading zeros refused). */
int cfr_ip_canonicalize(const char *text, size_t len, char *buf) {
  parsed r;
  if (parse_address(text, len, &r) != 0) return -1;
  int n = r.family == 6 ? print_unless_canonical(&r, buf) : -1;
  if (n >= 0) return n;
  memcpy(buf, text, len);
  buf[len] = '\0';
  return (int)len;
}

int cfr_ip_canonicalize_nt(const char *text, size_t len, char *buf, const char **out) {
  parsed r;
  if (text == NULL || parse_terminated((const unsigned char *)text, len, &r) != 0) return -1;
  int n = r.family == 6 ? print_unless_canonical(&r, buf) : -1;
  if (n >= 0) {
    *out = buf;
    return n;
  }
  *out = text; /* canonical already: no copy at all */
  return (int)len;
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
