-- DROP TABLE inside a savepoint while the table has writes pending is refused: ROLLBACK TO the
-- savepoint would bring the table back, and SQLite gives a dropped virtual table no way to hear
-- of it, so the pending writes would be lost. SQLite reports the refusal of DROP as "database
-- table is locked". After RELEASE (or without pending writes) DROP works as usual.
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
BEGIN;
DELETE FROM t;
SAVEPOINT sp1;
DROP TABLE t;
.print "# refused: t is still there, its DELETE still pending"
SELECT count(*) FROM t;
ROLLBACK TO sp1;
SELECT count(*) FROM t;
RELEASE sp1;
DROP TABLE t;
COMMIT;
SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 't_mappings');
.print "# a table dropped and created again inside a savepoint, then ROLLBACK TO: the first one is back"
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.7', 'gcp', 'us-central1');
SAVEPOINT sp2;
DROP TABLE t;
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.8', 'oci', 'us-ashburn-1');
ROLLBACK TO sp2;
SELECT origin_ip FROM t;
RELEASE sp2;
SELECT origin_ip FROM t;
