-- ALTER TABLE … RENAME inside a transaction: the transaction's earlier writes stay visible under
-- the new name, later statements build on them, and COMMIT keeps exactly what they show, as for
-- an ordinary table. The expected output is what an ordinary table gives: this script with the
-- CREATE VIRTUAL TABLE line replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1');

BEGIN;
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.3', 'gcp', 'us-central1');
DELETE FROM t WHERE origin_ip = '192.0.2.2';
ALTER TABLE t RENAME TO t2;
.print "# after the rename: the INSERT and the DELETE are visible in t2"
SELECT origin_ip, vendor, region FROM t2 ORDER BY origin_ip;
.print "# an UPDATE of every aws row reaches 192.0.2.1 only (192.0.2.2 was deleted)"
UPDATE t2 SET region = 'us-west-2' WHERE vendor = 'aws';
SELECT changes();
.print "# an INSERT of 192.0.2.3 conflicts with the pending one"
INSERT OR IGNORE INTO t2(origin_ip, vendor, region) VALUES ('192.0.2.3', 'oci', 'us-ashburn-1');
SELECT changes();
COMMIT;
.print "# committed: what the transaction showed"
SELECT origin_ip, vendor, region FROM t2 ORDER BY origin_ip;
