-- INSERT into a local-store origin_cloud_regions table: new rows, canonical storage, and what
-- happens when the IP already has a mapping (plain INSERT, INSERT OR REPLACE, REPLACE,
-- INSERT OR IGNORE). Rows are read back without modified_on (its own test: local_modified_on).
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');

.print "# INSERT of a new IP creates its mapping"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
SELECT origin_ip, vendor, region FROM plan;

.print "# several rows in one INSERT; reads list them in address order, IPv4 before IPv6"
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('2001:db8::10', 'gcp', 'us-central1'),
  ('198.51.100.7', 'azure', 'eastus'),
  ('10.0.0.1', 'oci', 'us-ashburn-1');
SELECT origin_ip, vendor, region FROM plan;

.print "# a non-canonical IP is stored in canonical form"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:DB8:0::1', 'aws', 'us-west-2');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:0db8:0000:0000:0000:0000:0000:00ff', 'aws', 'us-west-2');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('::FFFF:203.0.113.9', 'aws', 'us-west-2');
SELECT origin_ip FROM plan WHERE vendor = 'aws' AND region = 'us-west-2';

.print "# the values given for vendor and region are stored as given"
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '2001:db8::1';

.print "# INSERT of an IP that has a mapping fails, naming the IP and its current mapping"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'gcp', 'us-central1');
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.1';

.print "# ... also when the IP is written differently from the stored canonical form"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:DB8::0:1', 'gcp', 'us-central1');

.print "# ... also when the duplicate comes later in the same statement: the statement keeps nothing"
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.50', 'aws', 'us-east-1'),
  ('192.0.2.50', 'aws', 'us-east-2');
SELECT count(*) FROM plan WHERE origin_ip = '192.0.2.50';

.print "# INSERT OR REPLACE changes the existing mapping"
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'gcp', 'us-central1');
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.1';

.print "# REPLACE is the same statement"
REPLACE INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'azure', 'westeurope');
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.1';

.print "# INSERT OR REPLACE of a new IP creates it"
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.2', 'oci', 'eu-frankfurt-1');
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.2';

.print "# INSERT OR IGNORE skips an IP that has a mapping and inserts the others"
INSERT OR IGNORE INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'),
  ('192.0.2.3', 'aws', 'us-east-1');
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('192.0.2.1', '192.0.2.3');

.print "# changes() counts the rows written, not the skipped ones"
INSERT OR IGNORE INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.4', 'aws', 'us-east-1'), ('192.0.2.5', 'aws', 'us-east-1');
SELECT changes();

.print "# the rows are kept in the shadow table plan_mappings, one per IP"
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip COLLATE ip;
SELECT (SELECT count(*) FROM plan) = (SELECT count(*) FROM plan_mappings);
