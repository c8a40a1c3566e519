/*
** cfregions_ip.h — IP address parsing and RFC 5952 formatting.
**
** A small self-contained module (no SQLite, no libc inet_* calls) shared by the SQL functions, the
** origin_cloud_regions table, the fuzzer and the tests. Addresses are held as 16 bytes in network
** order; an IPv4 address uses the first 4 bytes.
*/
#ifndef CFREGIONS_IP_H
#define CFREGIONS_IP_H

#include <stddef.h>
#include <stdint.h>

/* Longest text ever produced: a full IPv6 address with a /128 prefix, plus the NUL. */
#define CFR_IP_TEXT_MAX 48

typedef struct cfr_ip {
  int family;          /* 4 or 6 */
  uint8_t bytes[16];   /* network order; IPv4 uses bytes[0..3] */
  int prefix;          /* 0..32 or 0..128; -1 when the text had no /prefix */
} cfr_ip;

/* Parses an address with no prefix. Returns 0 on success, -1 if the text is not an address. */
int cfr_ip_parse(const char *text, size_t len, cfr_ip *out);

/* Parses an address with an optional /prefix (no leading zeros in the prefix). 0 or -1. */
int cfr_ip_parse_cidr(const char *text, size_t len, cfr_ip *out);

/* Writes the canonical text of the address (RFC 5952 for IPv6), plus "/prefix" when prefix >= 0.
** buf must hold CFR_IP_TEXT_MAX bytes. Returns the text length. */
size_t cfr_ip_format(const cfr_ip *ip, char *buf);

/* Canonical text of an address given as text (no prefix allowed). Returns the length written to
** buf (CFR_IP_TEXT_MAX bytes), or -1 if the text is not an address. */
int cfr_ip_canonicalize(const char *text, size_t len, char *buf);

/* cfr_ip_canonicalize for text that is followed by a NUL byte (text[len] == '\0', as SQLite's
** sqlite3_value_text() guarantees), which saves copying it. On success *out points to the canonical
** text: `text` itself when it is canonical already (every valid IPv4 address), else buf
** (CFR_IP_TEXT_MAX bytes). Returns its length, or -1 if the text is not an address. */
int cfr_ip_canonicalize_nt(const char *text, size_t len, char *buf, const char **out);

/* Clears every bit after the first `prefix` bits, bit-exactly, and sets ip->prefix. */
void cfr_ip_mask(cfr_ip *ip, int prefix);

/* True if `addr` lies inside the network `net` (net->prefix < 0 means a single host). */
int cfr_ip_contains(const cfr_ip *net, const cfr_ip *addr);

/* Total order: IPv4 before IPv6, then numerically, then by prefix (none first). */
int cfr_ip_compare(const cfr_ip *a, const cfr_ip *b);

#endif
