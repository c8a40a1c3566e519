-- DDL in a transaction (here CREATE TABLE) followed by ROLLBACK TO a later savepoint: the
-- transaction's writes made before the savepoint stay in place and visible to the statements that
-- follow, exactly as for an ordinary table. The expected output is what an ordinary table gives:
-- this script with the CREATE VIRTUAL TABLE line replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1');

BEGIN;
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'gcp', 'us-central1');
CREATE TABLE notes(x);
DELETE FROM t WHERE origin_ip = '192.0.2.2';
SAVEPOINT sp1;
UPDATE t SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
ROLLBACK TO sp1;
.print "# after ROLLBACK TO sp1: the INSERT and the DELETE made before sp1 are in place"
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
SELECT count(*) FROM t WHERE origin_ip = '192.0.2.3';
.print "# ... so a second INSERT of 192.0.2.3 conflicts, and an UPDATE does not reach 192.0.2.2"
INSERT OR IGNORE INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'oci', 'us-ashburn-1');
SELECT changes();
UPDATE t SET region = 'eu-west-1' WHERE vendor = 'aws';
SELECT changes();
COMMIT;
.print "# committed"
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
