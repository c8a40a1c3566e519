-- ip_canonical(x): the one canonical text of an IP address, or NULL.
-- Output is in quote mode, so '' and NULL, text and integers, and stray spaces are all visible.
.mode quote

.print "# RFC 5952 section 4 rules, with the RFC's own examples"
SELECT 'rfc5952 4.1 leading zeros dropped', ip_canonical('2001:0db8::0001');
SELECT 'rfc5952 4.1 group 0000 is 0', ip_canonical('2001:db8:0:0:1:0000:0:1');
SELECT 'rfc5952 4.2.1 longest zero run shortened', ip_canonical('2001:db8:0:0:0:0:2:1');
SELECT 'rfc5952 4.2.1 :: used to the full', ip_canonical('2001:db8::0:1');
SELECT 'rfc5952 4.2.2 single zero group', ip_canonical('2001:db8:0:1:1:1:1:1');
SELECT 'rfc5952 4.2.3 longest run wins', ip_canonical('2001:0:0:1:0:0:0:1');
SELECT 'rfc5952 4.2.3 first run wins a tie', ip_canonical('2001:db8:0:0:1:0:0:1');
SELECT 'rfc5952 4.3 lowercase', ip_canonical('2001:DB8::1');
SELECT 'rfc5952 5 ipv4-mapped keeps dotted quad', ip_canonical('::ffff:192.0.2.1');
SELECT 'spec example', ip_canonical('2001:0DB8:0000:0000:0000:FF00:0042:8329');

.print "# RFC 5952 section 2.1: one address, many spellings"
SELECT column1, ip_canonical(column1) FROM (VALUES
  ('2001:db8:0:0:1:0:0:1'), ('2001:0db8:0:0:1:0:0:1'), ('2001:db8::1:0:0:1'),
  ('2001:db8::0:1:0:0:1'), ('2001:0db8::1:0:0:1'), ('2001:db8:0:0:1::1'),
  ('2001:db8:0000:0:1::1'), ('2001:DB8:0:0:1::1'));

.print "# RFC 5952 section 2.1-2.3: leading zeros, :: placement, case"
SELECT column1, ip_canonical(column1) FROM (VALUES
  ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001'), ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:001'),
  ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:01'), ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'),
  ('2001:db8:aaaa:bbbb:cccc:dddd::1'), ('2001:db8:aaaa:bbbb:cccc:dddd:0:1'),
  ('2001:db8:0:0:0::1'), ('2001:db8:0:0::1'), ('2001:db8:0::1'), ('2001:db8::1'),
  ('2001:db8::aaaa:0:0:1'), ('2001:db8:0:0:aaaa::1'),
  ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa'), ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:AAAA'),
  ('2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa'));

.print "# a zero run of every length at every position (length 1 is never shortened)"
SELECT column1, ip_canonical(column1) FROM (VALUES
  ('0:2:3:4:5:6:7:8'), ('1:0:3:4:5:6:7:8'), ('1:2:0:4:5:6:7:8'), ('1:2:3:0:5:6:7:8'),
  ('1:2:3:4:0:6:7:8'), ('1:2:3:4:5:0:7:8'), ('1:2:3:4:5:6:0:8'), ('1:2:3:4:5:6:7:0'),
  ('0:0:3:4:5:6:7:8'), ('1:0:0:4:5:6:7:8'), ('1:2:0:0:5:6:7:8'), ('1:2:3:0:0:6:7:8'),
  ('1:2:3:4:0:0:7:8'), ('1:2:3:4:5:0:0:8'), ('1:2:3:4:5:6:0:0'),
  ('0:0:0:4:5:6:7:8'), ('1:0:0:0:5:6:7:8'), ('1:2:0:0:0:6:7:8'), ('1:2:3:0:0:0:7:8'),
  ('1:2:3:4:0:0:0:8'), ('1:2:3:4:5:0:0:0'),
  ('0:0:0:0:5:6:7:8'), ('1:0:0:0:0:6:7:8'), ('1:2:0:0:0:0:7:8'), ('1:2:3:0:0:0:0:8'),
  ('1:2:3:4:0:0:0:0'),
  ('0:0:0:0:0:6:7:8'), ('1:0:0:0:0:0:7:8'), ('1:2:0:0:0:0:0:8'), ('1:2:3:0:0:0:0:0'),
  ('0:0:0:0:0:0:7:8'), ('1:0:0:0:0:0:0:8'), ('1:2:0:0:0:0:0:0'),
  ('0:0:0:0:0:0:0:8'), ('1:0:0:0:0:0:0:0'),
  ('0:0:0:0:0:0:0:0'));

.print "# ties and competing runs"
SELECT 'tie of two 2-runs: first wins', ip_canonical('1:0:0:2:0:0:3:4');
SELECT 'tie of two 3-runs: first wins', ip_canonical('0:0:0:1:0:0:0:2');
SELECT 'tie at both ends: first wins', ip_canonical('0:0:1:2:3:4:0:0');
SELECT 'later longer run wins', ip_canonical('1:0:0:2:0:0:0:3');
SELECT 'later longer run at the end wins', ip_canonical('0:0:1:2:3:0:0:0');
SELECT 'input :: not the longest run moves', ip_canonical('1::2:0:0:0:3');
SELECT 'alternating single zeros stay', ip_canonical('1:0:2:0:3:0:4:0');

.print "# a :: standing for a single group is written out"
SELECT ':: for group 1', ip_canonical('::2:3:4:5:6:7:8');
SELECT ':: for group 2', ip_canonical('1::3:4:5:6:7:8');
SELECT ':: for group 8', ip_canonical('1:2:3:4:5:6:7::');
SELECT ':: in the middle', ip_canonical('2001:db8:aaaa:bbbb::dddd:eeee:ffff');

.print "# special and edge addresses"
SELECT 'unspecified', ip_canonical('::');
SELECT 'loopback', ip_canonical('::1');
SELECT 'loopback, long form', ip_canonical('0:0:0:0:0:0:0:1');
SELECT 'trailing ::', ip_canonical('1::');
SELECT 'all ones', ip_canonical('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
SELECT 'all ones uppercase', ip_canonical('FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF');
SELECT 'link-local mixed case', ip_canonical('Fe80::1');
SELECT 'multicast', ip_canonical('FF02:0:0:0:0:0:0:1');
SELECT 'uppercase hex groups', ip_canonical('2001:DB8::ABCD:EF01');
SELECT 'leading zeros in every group', ip_canonical('0001:0002:0003:0004:0005:0006:0007:0008');
SELECT 'leading zeros around ::', ip_canonical('0001:0002::0003');
SELECT '0000::0000 is ::', ip_canonical('0000::0000');
SELECT '000a:: is a::', ip_canonical('000a::');
SELECT 'zero group spelled 00', ip_canonical('1:00:2:3:4:5:6:7');

.print "# IPv4-mapped ::ffff:0:0/96 keeps a dotted quad, whatever the input form"
SELECT 'mapped, dotted', ip_canonical('::ffff:192.0.2.1');
SELECT 'mapped, hex', ip_canonical('::ffff:c000:0201');
SELECT 'mapped, full hex', ip_canonical('0:0:0:0:0:ffff:c000:201');
SELECT 'mapped, uppercase', ip_canonical('::FFFF:10.0.0.1');
SELECT 'mapped, full dotted', ip_canonical('0:0:0:0:0:FFFF:192.0.2.1');
SELECT 'mapped 0.0.0.0', ip_canonical('::ffff:0:0');
SELECT 'mapped 255.255.255.255', ip_canonical('::ffff:ffff:ffff');
SELECT 'mapped 0.0.1.2', ip_canonical('::ffff:0.0.1.2');

.print "# no other range is dotted"
SELECT 'ipv4-compatible is hex', ip_canonical('::192.0.2.1');
SELECT 'ipv4-compatible 1.2.3.4', ip_canonical('::1.2.3.4');
SELECT 'ipv4-compatible 0.0.0.1 is ::1', ip_canonical('::0.0.0.1');
SELECT 'ipv4-compatible 0.0.0.0 is ::', ip_canonical('::0.0.0.0');
SELECT 'ipv4-compatible 0.1.0.0', ip_canonical('::0.1.0.0');
SELECT 'ipv4-compatible all ones', ip_canonical('::255.255.255.255');
SELECT 'nat64 64:ff9b::/96 embedded', ip_canonical('64:ff9b::192.0.2.1');
SELECT 'siit ::ffff:0:0:0/96 is not mapped', ip_canonical('::ffff:0:192.0.2.1');
SELECT '::fffe: is not mapped', ip_canonical('::fffe:192.0.2.1');
SELECT 'prefix before ::ffff is not mapped', ip_canonical('1::ffff:192.0.2.1');
SELECT '::ffff:ffff: before a quad is not mapped', ip_canonical('::ffff:ffff:1.2.3.4');
SELECT '::ffff:1: before a quad is not mapped', ip_canonical('::ffff:1:1.2.3.4');
SELECT '::ffff:1 is not mapped', ip_canonical('::ffff:1');
SELECT 'embedded after six groups', ip_canonical('2001:db8:1:2:3:4:192.0.2.1');
SELECT 'embedded after :: and five groups', ip_canonical('1:2:3:4:5::1.2.3.4');

.print "# IPv4"
SELECT column1, ip_canonical(column1) FROM (VALUES
  ('0.0.0.0'), ('255.255.255.255'), ('192.0.2.1'), ('10.0.0.1'), ('1.2.3.4'),
  ('100.64.0.0'), ('0.10.100.200'));

.print "# not IPv4 addresses"
SELECT column1, ip_canonical(column1) FROM (VALUES
  ('192.168.001.1'), ('01.2.3.4'), ('1.2.3.00'), ('1.2.3.010'), ('256.0.0.1'), ('1.2.3.256'),
  ('999.1.1.1'), ('1234.1.1.1'), ('1.2.3.1000'), ('1.2.3'), ('1.2.3.4.5'), ('1..2.3'),
  ('.1.2.3'), ('1.2.3.4.'), ('1.2.3.-4'), ('+1.2.3.4'), ('0x1.2.3.4'), ('1.2.3.4a'),
  ('4294967295'), ('1'), ('1.2.3.4/32'), ('１.2.3.4'));

.print "# not IPv6 addresses"
SELECT column1, ip_canonical(column1) FROM (VALUES
  (':::'), ('1:::2'), ('::1::'), ('1::2::3'), ('1:2:3:4:5:6:7'), ('1:2:3:4:5:6:7:8:9'),
  ('1:2:3:4:5:6:7:8::'), ('::1:2:3:4:5:6:7:8'), ('1:2:3:4::5:6:7:8'), ('12345::'),
  ('::12345'), ('00000::1'), (':'), (':1::'), ('1::2:'), ('1:'), (':1:2:3:4:5:6:7:8'),
  ('1:2:3:4:5:6:7:8:'), ('g::1'), ('::-1'), ('::1/128'), ('[::1]'), ('1.2.3.4::'),
  ('1:2:3:4:5:6:7:1.2.3.4'), ('1:2:3:4:5:6::1.2.3.4'), ('::1.2.3'), ('::1.2.3.4.5'),
  ('::256.1.1.1'), ('::ffff:1.2.3.04'), ('::1.2.3.4:5'), ('::1.2.3.4:'), ('::ffff:1.2.3.4::'));

.print "# zone ids, spaces and other surroundings are refused"
SELECT column1, ip_canonical(column1) FROM (VALUES
  ('fe80::1%eth0'), ('fe80::1%1'), ('fe80::1%'), (' ::1'), ('::1 '), (':: 1'), ('1:2:3:4:5:6:7:8 '),
  (' 1.2.3.4'), ('1.2.3.4 '), ('1.2 .3.4'), (''), ('localhost'));
SELECT 'trailing newline', ip_canonical('1.2.3.4' || char(10));
SELECT 'leading tab', ip_canonical(char(9) || '::1');
SELECT 'embedded NUL byte', ip_canonical('::1' || char(0) || 'x');

.print "# only text is an address: NULL, numbers and blobs give NULL"
SELECT 'NULL', ip_canonical(NULL);
SELECT 'integer', ip_canonical(3232235777);
SELECT 'real', ip_canonical(1.5);
SELECT 'blob of 4 bytes', ip_canonical(x'c0000201');
SELECT 'blob holding address text', ip_canonical(CAST('192.0.2.1' AS BLOB));
SELECT 'result is text', typeof(ip_canonical('::1'));
SELECT 'text made by CAST is text', ip_canonical(CAST(x'31302e302e302e31' AS TEXT));

.print "# canonical text is a fixed point"
SELECT 'canonical of canonical', ip_canonical(ip_canonical('2001:0DB8:0:0:0:0:0:0001'));
SELECT 'canonical of mapped', ip_canonical(ip_canonical('0:0:0:0:0:FFFF:C000:0201'));

.print "# canonical IPv6 text comes back as it is (1), and text one detail off is rewritten (0)"
SELECT column1, ip_canonical(column1), ip_canonical(column1) IS column1 FROM (VALUES
  ('2001:db8::1'), ('::'), ('::1'), ('1::'), ('1:0:2:0:3:0:4:0'), ('1::2:0:0'),
  ('1:0:0:2::3'), ('1:0:0:2::'), ('::2:3:4:5:6:7'), ('1:2:3:4:5:6::'),
  ('fe80::1:2'), ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), ('::ffff:1.2.3.4'),
  ('::ffff:0.0.0.0'), ('2001:db8::A'), ('2001:db8::01'), ('2001:db8::0'), ('1::0:2'),
  ('0::'), ('::0'), ('1:0::2'), ('0:0:1::2:3:4'), ('1:2:3:4:5:6:0:0'), ('1:2:3:4:5::7:8'),
  ('::ffff:0102:0304'), ('0::ffff:1.2.3.4'), ('::0:ffff:1.2.3.4'), ('::ffff:102:304'),
  ('1:2:3:4:5:6:1.2.3.4'), ('::fff:1.2.3.4'));
