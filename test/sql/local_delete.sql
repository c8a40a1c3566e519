-- DELETE from a local-store table removes mappings.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'),
  ('192.0.2.2', 'aws', 'us-east-2'),
  ('192.0.2.3', 'gcp', 'us-central1'),
  ('2001:db8::1', 'azure', 'eastus'),
  ('2001:db8::2', 'azure', 'westus');

.print "# DELETE by origin_ip"
DELETE FROM plan WHERE origin_ip = '192.0.2.1';
SELECT origin_ip FROM plan;

.print "# DELETE by origin_ip written in a non-canonical form"
DELETE FROM plan WHERE origin_ip = '2001:DB8:0::2';
SELECT origin_ip FROM plan;

.print "# DELETE by another column"
DELETE FROM plan WHERE vendor = 'aws';
SELECT changes();
SELECT origin_ip FROM plan;

.print "# DELETE of an IP without a mapping, or of text that is not an IP, deletes nothing"
DELETE FROM plan WHERE origin_ip = '203.0.113.1';
DELETE FROM plan WHERE origin_ip = 'not an ip';
SELECT changes();
SELECT origin_ip FROM plan;

.print "# DELETE of every row empties the table and its shadow table"
DELETE FROM plan;
SELECT count(*) FROM plan;
SELECT count(*) FROM plan_mappings;

.print "# a deleted IP can be inserted again"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'oci', 'us-phoenix-1');
SELECT origin_ip, vendor, region FROM plan;
