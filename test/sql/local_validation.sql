-- Every row written to a local-store table is validated before it is kept: the statement fails
-- with a constraint error (code 19) naming the row as written and the cause, and the table is
-- left as it was.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');

.print "# origin_ip that is not an IP address, of several kinds"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('example.com', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.256', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1.5', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.01', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.0/24', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:db8::/32', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('fe80::1%eth0', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:db8:::1', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:db8::1::2', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES (' 192.0.2.7', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.7 ', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('', 'aws', 'us-east-1');

.print "# origin_ip that is not text: an integer, a blob"
INSERT INTO plan(origin_ip, vendor, region) VALUES (3221225985, 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES (x'C0000201', 'aws', 'us-east-1');

.print "# NULL in each writable column"
INSERT INTO plan(origin_ip, vendor, region) VALUES (NULL, 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', NULL, 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 'aws', NULL);
INSERT INTO plan(origin_ip) VALUES ('192.0.2.9');
UPDATE plan SET region = NULL WHERE origin_ip = '192.0.2.1';
UPDATE plan SET origin_ip = NULL WHERE origin_ip = '192.0.2.1';

.print "# vendor that is not one of aws, azure, gcp, oci (names are lowercase)"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 'ibm', 'us-south');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 'AWS', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', '', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 7, 'us-east-1');

.print "# region not supported for the vendor: unknown, another vendor's, wrong case"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 'aws', 'mars-north-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 'aws', 'us-central1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.9', 'gcp', 'US-CENTRAL1');
UPDATE plan SET region = 'eastus' WHERE origin_ip = '192.0.2.1';

.print "# modified_on is set by the store: writing it is refused, in INSERT and in UPDATE"
INSERT INTO plan(origin_ip, vendor, region, modified_on) VALUES ('192.0.2.9', 'aws', 'us-east-1', '2024-01-01T00:00:00Z');
INSERT INTO plan VALUES ('192.0.2.9', 'aws', 'us-east-1', '2024-01-01T00:00:00Z');
UPDATE plan SET modified_on = '2024-01-01T00:00:00Z' WHERE origin_ip = '192.0.2.1';
UPDATE plan SET modified_on = NULL WHERE origin_ip = '192.0.2.1';
UPDATE plan SET region = 'us-east-2', modified_on = '2024-01-01T00:00:00Z' WHERE origin_ip = '192.0.2.1';

.print "# ... but an INSERT may name it with NULL, which is what leaving it out means"
INSERT INTO plan VALUES ('192.0.2.9', 'aws', 'us-east-1', NULL);
SELECT origin_ip, vendor, region, modified_on IS NOT NULL FROM plan WHERE origin_ip = '192.0.2.9';

.print "# the first invalid row of a statement is the one named"
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.10', 'aws', 'us-east-1'), ('192.0.2.11', 'aws', 'bad-1'), ('192.0.2.12', 'aws', 'bad-2');

.print "# none of the refused writes changed the table"
SELECT origin_ip, vendor, region FROM plan;

.print "# INSERT OR IGNORE skips only existing IPs: an invalid row is still an error, and the statement inserts nothing"
INSERT OR IGNORE INTO plan(origin_ip, vendor, region) VALUES
  ('not an ip', 'aws', 'us-east-1'), ('192.0.2.13', 'aws', 'nowhere'), ('192.0.2.14', 'aws', 'us-east-1');
SELECT changes();
SELECT origin_ip, vendor, region FROM plan;

.print "# INSERT OR REPLACE does not make an invalid row acceptable"
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'nowhere');
