-- The `ip` collation: IPv4 before IPv6, numeric order, an address before its networks (shorter
-- prefix first), text that is not an address last in bytewise order.
.mode quote

CREATE TABLE hosts(x);
INSERT INTO hosts VALUES
  ('10.0.0.2'), ('9.255.255.255'), ('10.0.0.10'), ('2001:db8::1'), ('::1'), ('::ffff:1.2.3.4'),
  ('1.2.3.4'), ('zebra'), ('apple'), ('10.0.0.0/8'), ('10.0.0.0'), ('10.0.0.0/24'), ('ff02::1'),
  ('::'), ('0.0.0.0'), ('255.255.255.255'), ('2001:DB8::2'), ('1.2.3.04'), (''), ('Apple'),
  ('::/0'), ('1.2.3.4 '), ('2001:db8::10'), ('2001:db8::9');

.print "# ORDER BY x COLLATE ip"
SELECT x FROM hosts ORDER BY x COLLATE ip;

.print "# the same rows in binary order, for contrast"
SELECT group_concat(x, ' ') FROM (SELECT x FROM hosts WHERE x LIKE '10.%' ORDER BY x);
SELECT group_concat(x, ' ') FROM (SELECT x FROM hosts WHERE x LIKE '10.%' ORDER BY x COLLATE ip);

.print "# single comparisons"
SELECT '10.0.0.10 after 9.255.255.255', '10.0.0.10' > '9.255.255.255' COLLATE ip;
SELECT 'IPv4 before IPv6', '255.255.255.255' < '::' COLLATE ip;
SELECT 'mapped address is IPv6, after all IPv4', '::ffff:0.0.0.1' > '255.255.255.255' COLLATE ip;
SELECT 'address before its network', '10.0.0.0' < '10.0.0.0/8' COLLATE ip;
SELECT 'shorter prefix first', '10.0.0.0/8' < '10.0.0.0/24' COLLATE ip;
SELECT 'any address before junk', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' < '' COLLATE ip;
SELECT 'junk is bytewise: uppercase first', 'Zebra' < 'apple' COLLATE ip;
SELECT 'junk is bytewise: prefix first', 'abc' < 'abcd' COLLATE ip;
SELECT 'equal when the addresses are equal', '2001:DB8:0::1' = '2001:db8::1' COLLATE ip;
SELECT 'mapped spellings are equal', '::ffff:192.0.2.1' = '::FFFF:C000:201' COLLATE ip;
SELECT 'different prefix is not equal', '10.0.0.0/8' = '10.0.0.0/08' COLLATE ip;
SELECT 'leading-zero octet is junk, not equal', '1.2.3.4' = '1.2.3.04' COLLATE ip;

.print "# a column declared COLLATE ip: UNIQUE, DISTINCT, min/max and an index"
CREATE TABLE origins(ip TEXT COLLATE ip UNIQUE);
INSERT INTO origins VALUES ('2001:db8::1'), ('192.0.2.10'), ('192.0.2.9');
INSERT INTO origins VALUES ('2001:DB8:0:0:0:0:0:1');
SELECT min(ip), max(ip) FROM origins;
SELECT count(DISTINCT column1 COLLATE ip) FROM (VALUES ('::1'), ('0::1'), ('0:0:0:0:0:0:0:1'), ('::2'));
EXPLAIN QUERY PLAN SELECT ip FROM origins ORDER BY ip;
SELECT ip FROM origins WHERE ip > '192.0.2.9' ORDER BY ip;

.print "# values that are not text keep SQLite's order: NULL, numbers, text, blobs"
SELECT column1 FROM (VALUES ('::1'), (NULL), (42), (x'00'), ('1.2.3.4'), (1.5))
 ORDER BY column1 COLLATE ip;
