-- Writes to a local table are buffered per transaction and applied to its shadow table
-- (plan_mappings) at COMMIT; ROLLBACK applies nothing. Reads inside the transaction see its
-- own pending writes. Savepoints work as they do for ordinary tables.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
CREATE TABLE audit(note TEXT);
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1'), ('192.0.2.3', 'gcp', 'us-central1');

.print "# inside BEGIN, reads see the transaction's pending writes (full scan, by IP, IN, count)"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.4', 'oci', 'us-ashburn-1');
UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
DELETE FROM plan WHERE origin_ip = '192.0.2.2';
SELECT origin_ip, vendor, region FROM plan;
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '192.0.2.4';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('192.0.2.1', '192.0.2.2') ORDER BY 1;
SELECT count(*) FROM plan;

.print "# ... while nothing has reached the shadow table yet"
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip;

.print "# ROLLBACK applies nothing: table and shadow table as before BEGIN"
ROLLBACK;
SELECT origin_ip, vendor, region FROM plan;
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip;

.print "# COMMIT applies the same writes"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.4', 'oci', 'us-ashburn-1');
UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
DELETE FROM plan WHERE origin_ip = '192.0.2.2';
COMMIT;
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip;

.print "# a local table commits and rolls back together with ordinary tables"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.5', 'aws', 'us-east-1');
INSERT INTO audit VALUES ('added 192.0.2.5');
ROLLBACK;
SELECT (SELECT count(*) FROM plan WHERE origin_ip = '192.0.2.5'), (SELECT count(*) FROM audit);
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.5', 'aws', 'us-east-1');
INSERT INTO audit VALUES ('added 192.0.2.5');
COMMIT;
SELECT (SELECT count(*) FROM plan WHERE origin_ip = '192.0.2.5'), (SELECT count(*) FROM audit);

.print "# changes to one IP within a transaction: the last one wins"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.6', 'aws', 'us-east-1');
UPDATE plan SET region = 'us-east-2' WHERE origin_ip = '192.0.2.6';
UPDATE plan SET vendor = 'gcp', region = 'us-east1' WHERE origin_ip = '192.0.2.6';
DELETE FROM plan WHERE origin_ip = '192.0.2.3';
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.3', 'azure', 'eastus');
COMMIT;
SELECT origin_ip, vendor, region FROM plan_mappings WHERE origin_ip IN ('192.0.2.3', '192.0.2.6') ORDER BY 1;

.print "# an IP inserted and deleted in one transaction leaves no trace"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.7', 'aws', 'us-east-1');
DELETE FROM plan WHERE origin_ip = '192.0.2.7';
COMMIT;
SELECT count(*) FROM plan_mappings WHERE origin_ip = '192.0.2.7';

.print "# writes made through lookups by IP are kept when a later statement reads the whole table"
BEGIN;
UPDATE plan SET region = 'us-east-2' WHERE origin_ip = '192.0.2.1';
DELETE FROM plan WHERE origin_ip = '192.0.2.4';
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.8', 'aws', 'us-east-1');
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip GLOB '192.0.2.*';
COMMIT;
SELECT origin_ip, vendor, region FROM plan_mappings WHERE origin_ip GLOB '192.0.2.*' ORDER BY 1;

.print "# SAVEPOINT / ROLLBACK TO undoes the writes made since the savepoint, keeps the earlier ones"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('198.51.100.1', 'aws', 'us-east-1');
SAVEPOINT sp1;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('198.51.100.2', 'aws', 'us-east-1');
DELETE FROM plan WHERE origin_ip = '192.0.2.1';
SAVEPOINT sp2;
UPDATE plan SET region = 'us-east-2' WHERE origin_ip = '198.51.100.1';
SELECT origin_ip, region FROM plan WHERE origin_ip GLOB '198.51.100.*' OR origin_ip = '192.0.2.1';
ROLLBACK TO sp2;
.print "-- after ROLLBACK TO sp2"
SELECT origin_ip, region FROM plan WHERE origin_ip GLOB '198.51.100.*' OR origin_ip = '192.0.2.1';
ROLLBACK TO sp1;
.print "-- after ROLLBACK TO sp1"
SELECT origin_ip, region FROM plan WHERE origin_ip GLOB '198.51.100.*' OR origin_ip = '192.0.2.1';

.print "# ... the savepoint stays open: writes after ROLLBACK TO count, RELEASE keeps them"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('198.51.100.3', 'aws', 'us-east-1');
RELEASE sp1;
COMMIT;
SELECT origin_ip, region FROM plan_mappings WHERE origin_ip GLOB '198.51.100.*' OR origin_ip = '192.0.2.1' ORDER BY 1;

.print "# SAVEPOINT outside BEGIN starts a transaction; RELEASE of the outermost one commits it"
SAVEPOINT outer_sp;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('198.51.100.4', 'aws', 'us-east-1');
SAVEPOINT inner_sp;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('198.51.100.5', 'aws', 'us-east-1');
RELEASE inner_sp;
SELECT count(*) FROM plan_mappings WHERE origin_ip IN ('198.51.100.4', '198.51.100.5');
RELEASE outer_sp;
SELECT count(*) FROM plan_mappings WHERE origin_ip IN ('198.51.100.4', '198.51.100.5');

.print "# ROLLBACK of a transaction with released savepoints undoes everything"
BEGIN;
SAVEPOINT a;
DELETE FROM plan;
RELEASE a;
SELECT count(*) FROM plan;
ROLLBACK;
SELECT count(*) FROM plan;

.print "# nothing is left unapplied after these commits"
SELECT count(*) FROM cfregions_unapplied;
