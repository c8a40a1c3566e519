-- ipfamily, iphost, ipmasklen, ipnetwork, ipcontains: sqlean's ipaddr functions, bit-exact and
-- canonical; cfregions_version(); and the properties that let them live in a schema.
.mode quote

.print "# ipfamily(x): 4 or 6, a /prefix allowed"
SELECT 'v4', ipfamily('192.0.2.1');
SELECT 'v6', ipfamily('2001:db8::1');
SELECT 'v4 network', ipfamily('192.0.2.0/24');
SELECT 'v6 network', ipfamily('2001:db8::/32');
SELECT 'v4-mapped is 6', ipfamily('::ffff:192.0.2.1');
SELECT 'not an address', ipfamily('example.com');
SELECT 'prefix too long', ipfamily('192.0.2.1/33');
SELECT 'integer', ipfamily(4);
SELECT 'NULL', ipfamily(NULL);

.print "# prefix lengths, seen through ipmasklen(x); no prefix means the full length"
SELECT column1, ipmasklen(column1) FROM (VALUES
  ('10.0.0.1'), ('::1'), ('10.0.0.0/0'), ('10.0.0.0/8'), ('10.0.0.1/32'), ('::/0'),
  ('2001:db8::/32'), ('::1/128'), ('::ffff:1.2.3.4/96'),
  ('10.0.0.1/33'), ('::1/129'), ('10.0.0.0/'), ('10.0.0.0/024'), ('10.0.0.0/00'), ('::/000'),
  ('10.0.0.0/+8'), ('10.0.0.0/-1'), ('10.0.0.0/ 8'), ('10.0.0.0 /8'), ('10.0.0.0/8 '),
  ('10.0.0.0/8/8'), ('/8'), ('10.0.0.0/1000'), ('10.0.0.0/4294967304'),
  ('::1/99999999999999999999'), ('10.0.0.0/0x8'), ('fe80::1%eth0/64'), ('010.0.0.0/8'));

.print "# iphost(x): the address without its prefix, canonical"
SELECT column1, iphost(column1) FROM (VALUES
  ('2001:db8::123/64'), ('192.0.2.1/24'), ('192.0.2.1'), ('2001:0DB8:0:0::1/48'),
  ('::ffff:c000:201/120'), ('::c000:201/96'), ('1.2.3.4/33'), ('bogus/8'));

.print "# ipnetwork(x): host bits cleared bit-exactly, prefix kept (a bare address is /32 or /128)"
SELECT column1, ipnetwork(column1) FROM (VALUES
  ('192.168.16.12/24'), ('192.0.2.1'), ('2001:db8::1'),
  ('192.168.255.255/17'), ('10.255.255.255/9'), ('172.31.255.255/12'), ('203.0.113.77/26'),
  ('255.255.255.255/0'), ('255.255.255.255/1'), ('255.255.255.255/31'), ('255.255.255.255/32'),
  ('2001:db8:ffff::/40'), ('2001:db8:ffff::/44'), ('2001:db8:ffff::/36'), ('2001:db8:ffff::/33'),
  ('2001:db8:abcd:1234::1/52'),
  ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/0'), ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/1'),
  ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/63'), ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/65'),
  ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127'), ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'),
  ('::ffff:192.0.2.255/120'), ('::ffff:192.0.2.255/96'), ('::ffff:192.0.2.255/95'),
  ('2001:db8::/129'), ('x/8'));
SELECT 'sqlean gets this one wrong', ipnetwork('2001:db8:ffff::/40');

.print "# ipcontains(net, x): 1 if x lies in net"
SELECT 'sqlean example', ipcontains('192.168.16.0/24', '192.168.16.3');
SELECT 'outside', ipcontains('192.168.16.0/24', '192.168.17.3');
SELECT 'host bits of net are ignored', ipcontains('192.168.16.77/24', '192.168.16.3');
SELECT '/8 first address', ipcontains('10.0.0.0/8', '10.0.0.0');
SELECT '/8 last address', ipcontains('10.0.0.0/8', '10.255.255.255');
SELECT '/8 next address', ipcontains('10.0.0.0/8', '11.0.0.0');
SELECT '/12 boundary byte: last inside', ipcontains('172.16.0.0/12', '172.31.255.255');
SELECT '/12 boundary byte: just above', ipcontains('172.16.0.0/12', '172.32.0.0');
SELECT '/12 boundary byte: just below', ipcontains('172.16.0.0/12', '172.15.255.255');
SELECT '/26 boundary byte: last inside', ipcontains('203.0.113.64/26', '203.0.113.127');
SELECT '/26 boundary byte: just above', ipcontains('203.0.113.64/26', '203.0.113.128');
SELECT '/26 boundary byte: just below', ipcontains('203.0.113.64/26', '203.0.113.63');
SELECT '/0 holds every v4 address', ipcontains('0.0.0.0/0', '255.255.255.255');
SELECT '/40 boundary byte: inside', ipcontains('2001:db8:ff00::/40', '2001:db8:ffff::1');
SELECT '/40 boundary byte: outside', ipcontains('2001:db8:ff00::/40', '2001:db8:fe00::1');
SELECT '/40 net written with host bits', ipcontains('2001:db8:ffff::/40', '2001:db8:ff12::');
SELECT '/127 holds its pair', ipcontains('::1/127', '::');
SELECT '/128 holds only itself', ipcontains('::1/128', '::');
SELECT 'any spelling', ipcontains('2001:DB8::/32', '2001:0db8:0:0::1');
SELECT 'net without prefix is a host: same', ipcontains('192.0.2.1', '192.0.2.1');
SELECT 'net without prefix is a host: other', ipcontains('192.0.2.1', '192.0.2.2');

.print "# ipcontains with a network as x: inside only if no larger than net"
SELECT 'smaller network inside', ipcontains('10.0.0.0/8', '10.1.0.0/16');
SELECT 'larger network not inside', ipcontains('10.1.0.0/16', '10.0.0.0/8');
SELECT 'a network holds itself', ipcontains('10.0.0.0/8', '10.0.0.0/8');
SELECT 'disjoint network', ipcontains('10.0.0.0/8', '11.0.0.0/16');
SELECT 'host and its /32', ipcontains('192.0.2.1', '192.0.2.1/32');
SELECT 'host does not hold its /24', ipcontains('192.0.2.1', '192.0.2.0/24');

.print "# ipcontains across families is 0, even for IPv4-mapped addresses"
SELECT 'v4 /0 and v6', ipcontains('0.0.0.0/0', '::');
SELECT 'v6 /0 and v4', ipcontains('::/0', '1.2.3.4');
SELECT 'mapped range and plain v4', ipcontains('::ffff:0:0/96', '192.0.2.1');
SELECT 'mapped range and mapped address', ipcontains('::ffff:0:0/96', '::ffff:192.0.2.1');

.print "# ipcontains with an argument that is not an address is NULL"
SELECT 'net not an address', ipcontains('x', '1.2.3.4');
SELECT 'x not an address', ipcontains('10.0.0.0/8', 'x');
SELECT 'invalid prefix on net', ipcontains('10.0.0.0/33', '10.0.0.1');
SELECT 'invalid beats mixed families', ipcontains('::/0', 'bogus');
SELECT 'integer address', ipcontains('10.0.0.0/8', 167772161);
SELECT 'NULL net', ipcontains(NULL, '10.0.0.1');
SELECT 'NULL address', ipcontains('10.0.0.0/8', NULL);

.print "# cfregions_version()"
SELECT 'version', cfregions_version();

.print "# every function is deterministic and innocuous (flags 0x800 and 0x200000)"
SELECT name, narg, (flags & 0x800) != 0, (flags & 0x200000) != 0 FROM pragma_function_list
 WHERE name IN ('ip_canonical', 'ipfamily', 'iphost', 'ipmasklen', 'ipnetwork', 'ipcontains',
                'cfregions_version')
 ORDER BY name;

.print "# an index on ip_canonical(x) serves lookups by any spelling"
CREATE TABLE origins(addr TEXT);
INSERT INTO origins VALUES ('2001:DB8::1'), ('2001:0db8:0:0:0:0:0:2'), ('192.0.2.1'), ('junk');
CREATE INDEX origins_canonical ON origins(ip_canonical(addr));
SELECT addr FROM origins WHERE ip_canonical(addr) = ip_canonical('2001:db8:0::1');
EXPLAIN QUERY PLAN SELECT addr FROM origins WHERE ip_canonical(addr) = '2001:db8::1';

.print "# a CHECK constraint keeps only canonical addresses (IS, not =, so junk fails too)"
CREATE TABLE strict_origins(addr TEXT NOT NULL CHECK (addr IS ip_canonical(addr)));
INSERT INTO strict_origins VALUES ('2001:db8::1');
INSERT INTO strict_origins VALUES ('2001:DB8::1');
INSERT INTO strict_origins VALUES ('junk');
INSERT INTO strict_origins VALUES ('::ffff:192.0.2.1');
SELECT addr FROM strict_origins;

.print "# a generated column (needs a deterministic function)"
CREATE TABLE raw(addr TEXT, canon TEXT GENERATED ALWAYS AS (ip_canonical(addr)) STORED);
INSERT INTO raw(addr) VALUES ('0:0:0:0:0:FFFF:C000:0201'), ('nope');
SELECT addr, canon FROM raw;

.print "# the schema still works with trusted_schema=OFF (needs innocuous functions)"
.open schema.db
.load @CFREGIONS_SO@
CREATE TABLE t(addr TEXT CHECK (addr IS ip_canonical(addr)));
CREATE INDEX t_net ON t(ipnetwork(addr || '/24'));
CREATE VIEW v AS SELECT addr, ipfamily(addr) AS family FROM t;
.open schema.db
.load @CFREGIONS_SO@
PRAGMA trusted_schema = OFF;
INSERT INTO t VALUES ('192.0.2.1');
INSERT INTO t VALUES ('192.0.2.01');
SELECT addr, family FROM v;
