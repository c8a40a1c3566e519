/*
** fuzz_ip.c — libFuzzer target for ext/ip.c (build and run: sh test/fuzz/run.sh [seconds]).
**
** Invariants, checked on every input:
**  1. cfr_ip_parse accepts exactly what glibc's inet_pton(AF_INET) or inet_pton(AF_INET6) accepts,
**     with the same family and the same 16 bytes. (glibc, like this module, refuses leading
**     zeros in IPv4 octets, zone ids and spaces, so no exception is needed; text with a NUL
**     byte, which inet_pton would silently cut short, must be refused outright.)
**  2. The canonical text is short enough, parses back to the same address, and is a fixed point.
**  3. It equals glibc's inet_ntop output, except for the one documented difference: glibc writes
**     "IPv4-compatible" addresses (first 96 bits zero, 7th group non-zero) as ::a.b.c.d, where
**     RFC 5952 §5 and this module keep the dotted form for ::ffff:0:0/96 only (::c000:201, not
**     ::192.0.2.1). inet_ntop is used here only, as an oracle; the extension never calls it.
**  4. cfr_ip_parse_cidr accepts address "/" prefix exactly when the address is valid and the
**     prefix is plain decimal without leading zeros within 0..32 or 0..128; the formatted
**     network reparses to itself.
**  5. cfr_ip_mask keeps the first `prefix` bits and clears every other one (checked bit by bit),
**     is idempotent, and cfr_ip_contains agrees with a bitwise oracle when one bit is flipped
**     inside or outside the network.
**  6. cfr_ip_compare is antisymmetric and consistent with equality.
**  7. cfr_ip_canonicalize and cfr_ip_canonicalize_nt (ip_canonical()'s fast path) accept and
**     return the same as the plain functions, and cfr_ip_canonicalize_nt hands back the input
**     itself exactly when it is canonical (the parser recognizes canonical spellings as it goes:
**     it must miss none, on the input or on any canonical text, and take no other for one).
** A violated invariant prints both sides and aborts, which libFuzzer reports as a crash.
*/
#include "cfregions_ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const uint8_t *data, size_t size, const char *ours, const char *theirs) {
  fprintf(stderr, "invariant violated: %s\n  input: \"%.*s\" (%zu bytes)\n  ours:   %s\n  oracle: %s\n", what,
          (int)size, (const char *)data, size, ours ? ours : "(none)", theirs ? theirs : "(none)");
  abort();
}

static int bits_of(const cfr_ip *ip) { return ip->family == 4 ? 32 : 128; }

static int get_bit(const uint8_t *b, int i) { return (b[i / 8] >> (7 - i % 8)) & 1; }

static void flip_bit(uint8_t *b, int i) { b[i / 8] ^= (uint8_t)(1u << (7 - i % 8)); }

static int same_address(const cfr_ip *a, const cfr_ip *b) {
  return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

/* What glibc's inet_ntop prints differently: first six groups zero and the seventh not. */
static int glibc_writes_compat_dotted(const cfr_ip *ip) {
  static const uint8_t zero[12];
  return ip->family == 6 && memcmp(ip->bytes, zero, 12) == 0 && (ip->bytes[12] | ip->bytes[13]) != 0;
}

/* Invariant 1: acceptance and value agree with inet_pton. */
static void check_parse(const uint8_t *data, size_t size, int ok, const cfr_ip *ip) {
  if (memchr(data, '\0', size) != NULL) {
    if (ok) fail("accepted text containing a NUL byte", data, size, "accepted", "refused");
    return;
  }
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  uint8_t b4[4], b6[16];
  int v4 = inet_pton(AF_INET, text, b4) == 1;
  int v6 = !v4 && inet_pton(AF_INET6, text, b6) == 1;
  free(text);
  if (ok != (v4 || v6)) fail("acceptance differs from inet_pton", data, size, ok ? "accepted" : "refused",
                             ok ? "refused" : "accepted");
  if (v4 && (ip->family != 4 || memcmp(ip->bytes, b4, 4) != 0)) fail("IPv4 value differs", data, size, NULL, NULL);
  if (v6 && (ip->family != 6 || memcmp(ip->bytes, b6, 16) != 0)) fail("IPv6 value differs", data, size, NULL, NULL);
}

/* The text glibc would print if it followed RFC 5952 §5 for IPv4-compatible addresses. */
static void compat_as_hex(const cfr_ip *ip, char *out, size_t n) {
  unsigned g6 = (unsigned)(ip->bytes[12] << 8 | ip->bytes[13]);
  unsigned g7 = (unsigned)(ip->bytes[14] << 8 | ip->bytes[15]);
  snprintf(out, n, "::%x:%x", g6, g7);
}

/* Invariants 2 and 3: the canonical text. */
static void check_format(const uint8_t *data, size_t size, const cfr_ip *ip) {
  char text[CFR_IP_TEXT_MAX], again[CFR_IP_TEXT_MAX], ref[INET6_ADDRSTRLEN];
  cfr_ip host = *ip;
  host.prefix = -1;
  size_t n = cfr_ip_format(&host, text);
  if (n >= CFR_IP_TEXT_MAX || strlen(text) != n) fail("format length", data, size, text, NULL);

  cfr_ip back;
  if (cfr_ip_parse(text, n, &back) != 0 || !same_address(&back, &host)) fail("canonical text does not reparse", data, size, text, NULL);
  int m = cfr_ip_canonicalize(text, n, again);
  if (m != (int)n || strcmp(again, text) != 0) fail("canonical text is not a fixed point", data, size, text, again);

  /* cfr_ip_canonicalize on the input itself (not NUL-terminated: ASan sees any read past it). */
  char direct[CFR_IP_TEXT_MAX];
  int d = cfr_ip_canonicalize((const char *)data, size, direct);
  if (d != (int)n || strcmp(direct, text) != 0)
    fail("canonicalize of the input differs", data, size, text, direct);

  /* The NUL-terminated fast path (used by ip_canonical()) must agree, and hands back the input
  ** itself exactly when it is canonical already: the parser recognizes canonical spellings, and
  ** must neither miss one nor take any other text for one. */
  char *input = malloc(size + 1), nt_buf[CFR_IP_TEXT_MAX];
  memcpy(input, data, size);
  input[size] = '\0';
  const char *nt = NULL;
  int k = cfr_ip_canonicalize_nt(input, size, nt_buf, &nt);
  if (k != (int)n || nt == NULL || memcmp(nt, text, n) != 0) fail("canonicalize_nt differs", data, size, text, nt);
  int canonical = size == n && memcmp(input, text, n) == 0;
  if (nt == input && !canonical)
    fail("canonicalize_nt returned non-canonical input", data, size, text, input);
  if (nt != input && canonical)
    fail("canonicalize_nt formatted canonical input", data, size, text, nt);
  free(input);
  /* The canonical text of any input is recognized as canonical. */
  k = cfr_ip_canonicalize_nt(text, n, nt_buf, &nt);
  if (k != (int)n || nt != text)
    fail("canonicalize_nt did not recognize canonical text", data, size, text, nt);

  if (inet_ntop(host.family == 4 ? AF_INET : AF_INET6, host.bytes, ref, sizeof ref) == NULL) fail("inet_ntop failed", data, size, text, NULL);
  if (glibc_writes_compat_dotted(&host)) {
    char hex[CFR_IP_TEXT_MAX];
    compat_as_hex(&host, hex, sizeof hex);
    if (strcmp(text, hex) != 0) fail("IPv4-compatible address not in hex", data, size, text, hex);
    if (strncmp(ref, "::", 2) != 0 || strchr(ref, '.') == NULL) fail("glibc no longer dots IPv4-compatible", data, size, text, ref);
  } else if (strcmp(text, ref) != 0) {
    fail("text differs from inet_ntop", data, size, text, ref);
  }
}

/* Invariant 4, the oracle side: the expected outcome of cfr_ip_parse_cidr. Deliberately written
** differently from ip.c (saturating accumulation, no length cap). */
static int expect_cidr(const uint8_t *data, size_t size, cfr_ip *addr, int *prefix) {
  const uint8_t *slash = memchr(data, '/', size);
  if (slash == NULL) return -1; /* handled by the plain parse */
  size_t alen = (size_t)(slash - data), plen = size - alen - 1;
  if (cfr_ip_parse((const char *)data, alen, addr) != 0 || plen == 0) return 0;
  if (slash[1] == '0' && plen > 1) return 0;
  unsigned long v = 0;
  for (size_t i = 0; i < plen; i++) {
    if (slash[1 + i] < '0' || slash[1 + i] > '9') return 0;
    v = v * 10 + (unsigned long)(slash[1 + i] - '0');
    if (v > 1000) v = 1000;
  }
  if (v > (unsigned long)bits_of(addr)) return 0;
  *prefix = (int)v;
  return 1;
}

/* Invariant 5: masking and containment against bit-by-bit oracles. */
static void check_mask(const uint8_t *data, size_t size, const cfr_ip *net_in) {
  int bits = bits_of(net_in), len = net_in->prefix;
  cfr_ip net = *net_in, host = *net_in;
  host.prefix = -1;
  cfr_ip_mask(&net, len);
  for (int i = 0; i < 128; i++) {
    int want = i < len ? get_bit(host.bytes, i) : 0;
    if (get_bit(net.bytes, i) != want) fail("mask bit wrong", data, size, NULL, NULL);
  }
  cfr_ip twice = net;
  cfr_ip_mask(&twice, len);
  if (memcmp(&twice, &net, sizeof net) != 0 || net.prefix != len) fail("mask not idempotent", data, size, NULL, NULL);
  if (!cfr_ip_contains(&net, &host)) fail("network does not contain its own host", data, size, NULL, NULL);
  if (!cfr_ip_contains(net_in, &host)) fail("unmasked network does not contain its host", data, size, NULL, NULL);

  /* Flip one bit chosen from the input: inside the prefix it must leave, outside it must stay. */
  unsigned h = 2166136261u;
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
  int bit = (int)(h % (unsigned)bits);
  cfr_ip other = host;
  flip_bit(other.bytes, bit);
  if (cfr_ip_contains(&net, &other) != (bit >= len)) fail("contains disagrees with the bit oracle", data, size, NULL, NULL);

  char text[CFR_IP_TEXT_MAX];
  size_t n = cfr_ip_format(&net, text);
  cfr_ip back;
  if (cfr_ip_parse_cidr(text, n, &back) != 0 || memcmp(&back, &net, sizeof net) != 0)
    fail("network text does not reparse", data, size, text, NULL);
}

/* Invariant 6. */
static void check_compare(const uint8_t *data, size_t size, const cfr_ip *a, const cfr_ip *b) {
  int ab = cfr_ip_compare(a, b), ba = cfr_ip_compare(b, a);
  if (ab != -ba) fail("compare not antisymmetric", data, size, NULL, NULL);
  int equal = same_address(a, b) && a->prefix == b->prefix;
  if ((ab == 0) != equal) fail("compare inconsistent with equality", data, size, NULL, NULL);
}

static void check_cidr(const uint8_t *data, size_t size, int plain_ok, const cfr_ip *plain) {
  cfr_ip got, addr;
  int got_ok = cfr_ip_parse_cidr((const char *)data, size, &got) == 0;
  int prefix = -1;
  int want = expect_cidr(data, size, &addr, &prefix);
  if (want < 0) {
    if (got_ok != plain_ok || (got_ok && memcmp(&got, plain, sizeof got) != 0)) fail("cidr without '/' differs from parse", data, size, NULL, NULL);
    return;
  }
  if (got_ok != want) fail("prefix acceptance differs", data, size, got_ok ? "accepted" : "refused", want ? "accepted" : "refused");
  if (!got_ok) return;
  if (!same_address(&got, &addr) || got.prefix != prefix) fail("cidr value differs", data, size, NULL, NULL);
  check_mask(data, size, &got);
  check_compare(data, size, &got, &addr); /* addr has no prefix: must order before got */
  if (cfr_ip_compare(&addr, &got) >= 0) fail("address without prefix must sort first", data, size, NULL, NULL);
}

/* cfr_ip_canonicalize_nt and cfr_ip_canonicalize refuse exactly what cfr_ip_parse refuses. */
static void check_nt_refuses(const uint8_t *data, size_t size, int ok) {
  char *input = malloc(size + 1), buf[CFR_IP_TEXT_MAX];
  memcpy(input, data, size);
  input[size] = '\0';
  const char *out = NULL;
  int n = cfr_ip_canonicalize_nt(input, size, buf, &out);
  free(input);
  if ((n >= 0) != ok) fail("canonicalize_nt acceptance differs from parse", data, size, n >= 0 ? "accepted" : "refused", ok ? "accepted" : "refused");
  n = cfr_ip_canonicalize((const char *)data, size, buf);
  if ((n >= 0) != ok)
    fail("canonicalize acceptance differs from parse", data, size, n >= 0 ? "accepted" : "refused",
         ok ? "accepted" : "refused");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cfr_ip ip;
  int ok = cfr_ip_parse((const char *)data, size, &ip) == 0;
  check_parse(data, size, ok, &ip);
  check_nt_refuses(data, size, ok);
  if (ok) {
    if (ip.prefix != -1) fail("plain parse set a prefix", data, size, NULL, NULL);
    check_format(data, size, &ip);
    ip.prefix = bits_of(&ip); /* a full-length network is just the host */
    check_mask(data, size, &ip);
    ip.prefix = -1;
  }
  check_cidr(data, size, ok, &ip);
  return 0;
}
