-- A SAVEPOINT outside BEGIN opens the transaction; ROLLBACK TO that savepoint must undo the writes
-- made since, exactly as it does for an ordinary table (and as it does when BEGIN opened the
-- transaction). The expected output is what an ordinary table gives: this script with the CREATE
-- VIRTUAL TABLE line replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');

.print "# SAVEPOINT sp1 opens the transaction; ROLLBACK TO sp1 undoes the INSERT and the UPDATE"
SAVEPOINT sp1;
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.2', 'gcp', 'us-central1');
UPDATE t SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
ROLLBACK TO sp1;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
.print "-- the savepoint is still open; RELEASE commits what is left: nothing"
RELEASE sp1;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;

.print "# the same with a nested savepoint: ROLLBACK TO the outer one undoes both levels"
SAVEPOINT outer_sp;
DELETE FROM t WHERE origin_ip = '192.0.2.1';
SAVEPOINT inner_sp;
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'oci', 'us-ashburn-1');
RELEASE inner_sp;
ROLLBACK TO outer_sp;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
.print "-- writes after ROLLBACK TO count, and RELEASE of the outermost savepoint commits them"
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.4', 'azure', 'eastus');
RELEASE outer_sp;
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
