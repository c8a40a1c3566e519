-- changes() counts the rows each INSERT, UPDATE and DELETE wrote, as for an ordinary table: a row
-- an OR IGNORE skips is not counted, and a write inside a transaction counts when it runs. (The
-- table writes its storage when the transaction commits; SQLite counts those writes in
-- total_changes() and in changes() after COMMIT, as for its own FTS5 and R*Tree tables: the
-- README's known limits.) The expected output is what an ordinary table gives: this script with
-- the CREATE VIRTUAL TABLE line replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
CREATE TABLE audit(note TEXT);
.print "# autocommit statements"
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1');
SELECT changes();
UPDATE t SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
SELECT changes();
UPDATE t SET region = 'us-west-2' WHERE vendor = 'aws';
SELECT changes();
DELETE FROM t WHERE origin_ip = '192.0.2.2';
SELECT changes();
INSERT OR IGNORE INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'gcp', 'us-central1'), ('192.0.2.5', 'gcp', 'us-central1');
SELECT changes();
DELETE FROM t WHERE origin_ip = '203.0.113.9';
SELECT changes();
.print "# inside a transaction"
BEGIN;
INSERT INTO audit VALUES ('adding 192.0.2.3 and 192.0.2.4');
SELECT changes();
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'gcp', 'us-central1'), ('192.0.2.4', 'oci', 'us-ashburn-1');
SELECT changes();
UPDATE t SET region = 'europe-west1' WHERE vendor = 'gcp';
SELECT changes();
DELETE FROM t WHERE origin_ip IN ('192.0.2.3', '192.0.2.4');
SELECT changes();
COMMIT;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
