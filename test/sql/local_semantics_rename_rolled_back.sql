-- ALTER TABLE … RENAME undone by ROLLBACK TO (and by ROLLBACK): the table is back under its old
-- name with the transaction's earlier writes, and a write statement through a trigger into a
-- table created in the same transaction is undone whole when a row fails, as for an ordinary
-- table. The expected output is what an ordinary table gives (but for the wording of the error
-- message): this script with each CREATE
-- VIRTUAL TABLE line replaced by
--   CREATE TABLE <name>(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                       region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1');

BEGIN;
DELETE FROM t WHERE origin_ip = '192.0.2.2';
SAVEPOINT sp1;
ALTER TABLE t RENAME TO t2;
INSERT INTO t2(origin_ip, vendor, region) VALUES ('192.0.2.3', 'gcp', 'us-central1');
SELECT origin_ip FROM t2 ORDER BY origin_ip;
ROLLBACK TO sp1;
.print "# after ROLLBACK TO sp1: t again, with the DELETE made before sp1 and without the INSERT"
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
ALTER TABLE t RENAME TO t3;
COMMIT;
.print "# committed under the name of the second rename"
SELECT origin_ip, vendor, region FROM t3 ORDER BY origin_ip;

BEGIN;
ALTER TABLE t3 RENAME TO t4;
INSERT INTO t4(origin_ip, vendor, region) VALUES ('192.0.2.9', 'oci', 'us-ashburn-1');
ROLLBACK;
.print "# after ROLLBACK: t3 as it was"
SELECT origin_ip, vendor, region FROM t3 ORDER BY origin_ip;

.print "# a trigger writes two rows into a table created in the transaction; the second fails"
BEGIN;
CREATE VIRTUAL TABLE fresh USING origin_cloud_regions(store='local');
CREATE TABLE feed(ip, vendor, region);
CREATE TRIGGER feed_to_fresh AFTER INSERT ON feed BEGIN INSERT INTO fresh(origin_ip, vendor, region) VALUES (new.ip, new.vendor, new.region); END;
INSERT INTO feed VALUES ('10.0.0.10', 'aws', 'us-west-2'), ('10.0.0.11', 'aws', 'us-west-2'), ('10.0.0.10', 'oci', 'us-ashburn-1');
SELECT count(*) FROM fresh;
SELECT count(*) FROM feed;
COMMIT;
SELECT count(*) FROM fresh;
