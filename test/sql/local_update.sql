-- UPDATE of a local-store table: vendor/region changes the mapping in place; a new origin_ip
-- moves the mapping to that IP (onto an IP that has a mapping: an error, or OR REPLACE / OR IGNORE).
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'),
  ('192.0.2.2', 'aws', 'us-east-1'),
  ('192.0.2.3', 'gcp', 'us-central1'),
  ('192.0.2.4', 'aws', 'us-east-1'),
  ('2001:db8::1', 'azure', 'eastus');

.print "# UPDATE of region changes the mapping"
UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.1';

.print "# UPDATE of vendor and region together"
UPDATE plan SET vendor = 'oci', region = 'us-ashburn-1' WHERE origin_ip = '192.0.2.1';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.1';

.print "# UPDATE of vendor alone is checked against the row's region: refused, the row unchanged"
UPDATE plan SET vendor = 'aws' WHERE origin_ip = '192.0.2.3';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.3';

.print "# UPDATE of several rows by another column"
UPDATE plan SET region = 'us-east-2' WHERE vendor = 'aws';
SELECT origin_ip, vendor, region FROM plan WHERE vendor = 'aws';
SELECT changes();

.print "# UPDATE of origin_ip moves the mapping: the old IP has none afterwards"
UPDATE plan SET origin_ip = '192.0.2.20' WHERE origin_ip = '192.0.2.2';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('192.0.2.2', '192.0.2.20');

.print "# a move to a non-canonical IP lands on the canonical one"
UPDATE plan SET origin_ip = '2001:DB8:0:0::20' WHERE origin_ip = '2001:db8::1';
SELECT origin_ip, vendor, region FROM plan WHERE vendor = 'azure';

.print "# UPDATE that writes the same IP in another form is not a move"
UPDATE plan SET origin_ip = '2001:0DB8::0020', region = 'westus' WHERE origin_ip = '2001:db8::20';
SELECT origin_ip, vendor, region FROM plan WHERE vendor = 'azure';

.print "# a move onto an IP that has a mapping fails, naming it; both rows unchanged"
UPDATE plan SET origin_ip = '192.0.2.3' WHERE origin_ip = '192.0.2.20';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('192.0.2.3', '192.0.2.20');

.print "# UPDATE OR IGNORE: the move is skipped, both rows unchanged"
UPDATE OR IGNORE plan SET origin_ip = '192.0.2.3' WHERE origin_ip = '192.0.2.20';
SELECT changes();
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('192.0.2.3', '192.0.2.20');

.print "# UPDATE OR REPLACE: the moved mapping replaces the one at the target IP"
UPDATE OR REPLACE plan SET origin_ip = '192.0.2.3' WHERE origin_ip = '192.0.2.20';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('192.0.2.3', '192.0.2.20');

.print "# UPDATE that matches no row changes nothing"
UPDATE plan SET region = 'us-east-1' WHERE origin_ip = '203.0.113.1';
SELECT changes();

.print "# the table after all of the above, as stored"
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip COLLATE ip;
