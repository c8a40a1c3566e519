-- Reading a local table: which constraints are pushed down (EXPLAIN QUERY PLAN shows the plan
-- after "INDEX n:"), IP lookups canonicalize their value, and ordering.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.0.2', 'aws', 'us-east-1'), ('10.0.0.10', 'aws', 'us-east-2'), ('9.255.255.255', 'gcp', 'us-central1'),
  ('2001:db8::1', 'azure', 'eastus'), ('2001:db8::a', 'azure', 'westus'), ('::ffff:10.0.0.1', 'oci', 'us-ashburn-1');

.print "# a full scan is one listing"
EXPLAIN QUERY PLAN SELECT * FROM plan;
.print "# origin_ip = ? is a lookup"
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip = '2001:db8::1';
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip = ?1;
.print "# origin_ip IN (…) is one lookup per value"
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip IN ('10.0.0.2', '10.0.0.10');
.print "# constraints on other columns are checked by SQLite over a full listing"
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE vendor = 'aws';
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip LIKE '10.%';
.print "# ... and so is origin_ip compared under another collation"
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip = '2001:DB8::A' COLLATE binary;
SELECT count(*) FROM plan WHERE origin_ip = '2001:DB8::A' COLLATE binary;
SELECT count(*) FROM plan WHERE origin_ip = '2001:DB8::A';
.print "# <, <=, >, >= and BETWEEN on origin_ip compare addresses, as the ip collation does"
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip > '10.0.0.0';
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip BETWEEN '10.0.0.0' AND '10.255.255.255';
SELECT origin_ip FROM plan WHERE origin_ip BETWEEN '10.0.0.0' AND '10.255.255.255';
SELECT origin_ip FROM plan WHERE origin_ip > '10.0.0.2' AND origin_ip < '2001:db8::a' ORDER BY origin_ip DESC;
SELECT origin_ip FROM plan WHERE origin_ip >= '2001:db8::/32';
SELECT count(*) FROM plan WHERE origin_ip < 'not an address';
.print "# LIMIT and OFFSET are pushed down when nothing else filters the rows"
EXPLAIN QUERY PLAN SELECT * FROM plan LIMIT 2;
EXPLAIN QUERY PLAN SELECT * FROM plan LIMIT 2 OFFSET 1;
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE origin_ip = '10.0.0.2' LIMIT 1;
.print "# ... and not when another constraint still filters them"
EXPLAIN QUERY PLAN SELECT * FROM plan WHERE vendor = 'aws' LIMIT 2;
.print "# ... nor under an ORDER BY, which SQLite applies before the LIMIT"
EXPLAIN QUERY PLAN SELECT * FROM plan ORDER BY region DESC LIMIT 1;
.print "# a join with the other table first looks each IP up"
CREATE TEMP TABLE wanted(ip TEXT);
EXPLAIN QUERY PLAN SELECT * FROM wanted CROSS JOIN plan ON plan.origin_ip = wanted.ip;

.print "# a lookup canonicalizes the value: any spelling of an IP finds its row"
SELECT origin_ip, vendor FROM plan WHERE origin_ip = '2001:DB8::1';
SELECT origin_ip, vendor FROM plan WHERE origin_ip = '2001:0db8:0000:0000:0000:0000:0000:0001';
SELECT origin_ip, vendor FROM plan WHERE origin_ip = '::FFFF:10.0.0.1';
SELECT origin_ip, vendor FROM plan WHERE origin_ip IN ('2001:DB8::A', '10.0.0.10', '2001:db8:0::a');
.print "# ... and an invalid IP matches nothing (no error)"
SELECT count(*) FROM plan WHERE origin_ip = '10.0.0.02';
SELECT count(*) FROM plan WHERE origin_ip = 'not an ip';
SELECT count(*) FROM plan WHERE origin_ip = 167772162;
SELECT count(*) FROM plan WHERE origin_ip IN ('10.0.0.2/32', NULL, '10.0.0.2');
SELECT count(*) FROM plan WHERE origin_ip = NULL;
.print "# ... also in a join that looks IPs up"
INSERT INTO wanted VALUES ('10.0.0.2'), ('2001:DB8::A'), ('bogus'), ('192.0.2.1');
SELECT wanted.ip, plan.origin_ip, plan.vendor FROM wanted CROSS JOIN plan ON plan.origin_ip = wanted.ip;
.print "# ... and when SQLite scans the table and compares itself: origin_ip has the ip collation,"
.print "# so = matches the same address however it is written (ip_canonical() on the other side too)"
SELECT wanted.ip, plan.origin_ip FROM plan CROSS JOIN wanted ON plan.origin_ip = wanted.ip;
SELECT wanted.ip, plan.origin_ip FROM plan CROSS JOIN wanted ON plan.origin_ip = ip_canonical(wanted.ip);

.print "# a full listing comes in address order; ORDER BY origin_ip sorts the same way (ip collation)"
SELECT origin_ip FROM plan;
SELECT origin_ip FROM plan ORDER BY origin_ip;
.print "# ORDER BY origin_ip COLLATE ip sorts numerically, IPv4 before IPv6"
SELECT origin_ip FROM plan ORDER BY origin_ip COLLATE ip DESC;

.print "# LIMIT / OFFSET"
SELECT origin_ip FROM plan LIMIT 2;
SELECT origin_ip FROM plan LIMIT 2 OFFSET 3;
SELECT origin_ip FROM plan LIMIT 10 OFFSET 5;
SELECT origin_ip FROM plan LIMIT 0;
SELECT origin_ip FROM plan WHERE vendor = 'azure' LIMIT 1 OFFSET 1;
SELECT origin_ip, region FROM plan ORDER BY region DESC LIMIT 2;
SELECT origin_ip FROM plan ORDER BY origin_ip COLLATE ip DESC LIMIT 1 OFFSET 1;

.print "# aggregates and a self-join (min() and < compare addresses numerically)"
SELECT vendor, count(*), min(origin_ip) FROM plan GROUP BY vendor ORDER BY vendor;
SELECT a.origin_ip, b.origin_ip FROM plan a JOIN plan b ON a.vendor = b.vendor AND a.origin_ip < b.origin_ip ORDER BY 1;
SELECT count(*) FROM plan a, plan b;

.print "# ORDER BY origin_ip [DESC] is served in address order without a sort, and LIMIT goes with it"
EXPLAIN QUERY PLAN SELECT origin_ip FROM plan ORDER BY origin_ip DESC LIMIT 2;
SELECT origin_ip FROM plan ORDER BY origin_ip DESC LIMIT 2;
SELECT origin_ip FROM plan ORDER BY origin_ip LIMIT 2 OFFSET 1;
SELECT origin_ip FROM plan WHERE origin_ip IN ('::ffff:10.0.0.1', '10.0.0.10', '9.255.255.255') ORDER BY origin_ip DESC;
.print "# ... while ORDER BY origin_ip COLLATE BINARY is sorted by SQLite, as text"
EXPLAIN QUERY PLAN SELECT origin_ip FROM plan ORDER BY origin_ip COLLATE BINARY;
SELECT origin_ip FROM plan ORDER BY origin_ip COLLATE BINARY LIMIT 3;
