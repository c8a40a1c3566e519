-- changes() and total_changes() count the rows the user's statements wrote, as for an ordinary
-- table: applying the transaction's changes to the table's storage at COMMIT is no change of the
-- user's, and COMMIT leaves changes() as the last INSERT/UPDATE/DELETE set it. The expected output
-- is what an ordinary table gives: this script with the CREATE VIRTUAL TABLE line replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
CREATE TABLE audit(note TEXT);
.print "# autocommit statements (.changes on prints changes() and total_changes() after each)"
.changes on
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1');
UPDATE t SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
DELETE FROM t WHERE origin_ip = '192.0.2.2';
INSERT OR IGNORE INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'gcp', 'us-central1'), ('192.0.2.5', 'gcp', 'us-central1');
.print "# a transaction: its last statement writes two rows; COMMIT leaves changes() at 2"
BEGIN;
INSERT INTO audit VALUES ('adding 192.0.2.3 and 192.0.2.4');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'gcp', 'us-central1'), ('192.0.2.4', 'oci', 'us-ashburn-1');
COMMIT;
.changes off
SELECT changes(), total_changes();
