-- A table created inside a transaction can be written in that same transaction, like an ordinary
-- table: CREATE, INSERT and COMMIT together, or DROP TABLE and CREATE again in one transaction. The
-- expected output is what an ordinary table gives: this script with each CREATE VIRTUAL TABLE line
-- replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
.print "# CREATE and INSERT in one transaction"
BEGIN;
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
COMMIT;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;

.print "# ROLLBACK of a DROP TABLE brings the table and its rows back"
BEGIN;
DROP TABLE t;
ROLLBACK;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;

.print "# DROP TABLE and CREATE again in one transaction, then writes"
BEGIN;
DROP TABLE t;
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
SELECT count(*) FROM t;
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.2', 'gcp', 'us-central1');
UPDATE t SET region = 'us-east1' WHERE origin_ip = '192.0.2.2';
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
COMMIT;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;

.print "# the same, rolled back: the first table's rows are back"
BEGIN;
DROP TABLE t;
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'oci', 'us-ashburn-1');
ROLLBACK;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;

.print "# a table created after a savepoint, written under OR FAIL (no statement savepoint), then"
.print "# ROLLBACK TO that savepoint: the table and its write are gone, and COMMIT succeeds"
BEGIN;
SAVEPOINT before_create;
CREATE VIRTUAL TABLE later USING origin_cloud_regions(store='local');
INSERT OR FAIL INTO later(origin_ip, vendor, region) VALUES ('192.0.2.9', 'aws', 'us-east-1');
ROLLBACK TO before_create;
COMMIT;
SELECT count(*) FROM sqlite_schema WHERE name LIKE 'later%';
SELECT count(*) FROM cfregions_unapplied;

.print "# ... and created again under the same name: only the second table's write is committed"
BEGIN;
SAVEPOINT before_create;
CREATE VIRTUAL TABLE later USING origin_cloud_regions(store='local');
INSERT OR FAIL INTO later(origin_ip, vendor, region) VALUES ('192.0.2.9', 'aws', 'us-east-1');
ROLLBACK TO before_create;
CREATE VIRTUAL TABLE later USING origin_cloud_regions(store='local');
INSERT OR FAIL INTO later(origin_ip, vendor, region) VALUES ('192.0.2.10', 'gcp', 'us-central1');
COMMIT;
SELECT origin_ip, vendor, region FROM later;
SELECT origin_ip, vendor, region FROM later_mappings;
