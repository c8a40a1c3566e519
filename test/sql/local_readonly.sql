-- readonly=1: a local table that can be read but refuses every write with a clear error.
.mode quote
CREATE VIRTUAL TABLE frozen USING origin_cloud_regions(store='local', readonly=1);

.print "# INSERT is refused"
INSERT INTO frozen(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
SELECT count(*) FROM frozen;

.print "# rows put straight into the shadow table (a fixture here) can be read"
INSERT INTO frozen_mappings VALUES ('192.0.2.1', 'aws', 'us-east-1', '2024-05-01T12:00:00Z');
SELECT * FROM frozen;
SELECT * FROM frozen WHERE origin_ip = '192.0.2.1';

.print "# UPDATE, DELETE, INSERT OR REPLACE and INSERT OR IGNORE are refused too"
UPDATE frozen SET region = 'us-east-2';
DELETE FROM frozen;
INSERT OR REPLACE INTO frozen(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-2');
INSERT OR IGNORE INTO frozen(origin_ip, vendor, region) VALUES ('192.0.2.2', 'aws', 'us-east-2');

.print "# ... inside a transaction as well"
BEGIN;
UPDATE frozen SET region = 'us-east-2';
COMMIT;

.print "# the table is as it was"
SELECT * FROM frozen;

.print "# readonly=0 is the default: a table that accepts writes"
CREATE VIRTUAL TABLE open USING origin_cloud_regions(store='local', readonly=0);
INSERT INTO open(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
SELECT origin_ip, vendor, region FROM open;
