-- A statement that fails part-way (here: a multi-row INSERT whose 3rd row is invalid) follows
-- SQLite's ON CONFLICT rules: ABORT (the default) undoes that statement's rows; FAIL keeps the
-- rows before the failing one; ROLLBACK ends the whole transaction.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'gcp', 'us-central1');

.print "# autocommit: nothing of the failing statement is kept"
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.2', 'aws', 'us-east-1'),
  ('10.0.0.3', 'aws', 'no-such-region'), ('10.0.0.4', 'aws', 'us-east-1');
SELECT origin_ip FROM plan;

.print "# autocommit: an UPDATE that fails on its second row changes no row"
UPDATE plan SET region = 'us-east-2';
SELECT origin_ip, vendor, region FROM plan;

.print "# inside BEGIN: the failing statement's rows are undone, earlier statements are kept"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.1.1', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.1.2', 'aws', 'us-east-1'), ('10.0.1.3', 'aws', 'us-east-1'),
  ('10.0.1.4', 'aws', 'no-such-region'), ('10.0.1.5', 'aws', 'us-east-1');
SELECT origin_ip FROM plan;
.print "-- the transaction is still open and can go on"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.1.6', 'aws', 'us-east-1');
COMMIT;
SELECT origin_ip FROM plan;

.print "# INSERT OR FAIL inside BEGIN: the rows before the failing one are kept"
BEGIN;
INSERT OR FAIL INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.2.1', 'aws', 'us-east-1'), ('10.0.2.2', 'aws', 'us-east-1'),
  ('10.0.2.3', 'aws', 'no-such-region'), ('10.0.2.4', 'aws', 'us-east-1');
COMMIT;
SELECT origin_ip FROM plan WHERE origin_ip GLOB '10.0.2.*';

.print "# INSERT OR FAIL in autocommit: the same, and they are committed"
INSERT OR FAIL INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.3.1', 'aws', 'us-east-1'), ('10.0.3.2', 'aws', 'us-east-1'),
  ('10.0.3.3', 'aws', 'no-such-region'), ('10.0.3.4', 'aws', 'us-east-1');
SELECT origin_ip FROM plan_mappings WHERE origin_ip GLOB '10.0.3.*';

.print "# INSERT OR ROLLBACK inside BEGIN: the whole transaction is rolled back"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.4.1', 'aws', 'us-east-1');
INSERT OR ROLLBACK INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.4.2', 'aws', 'us-east-1'), ('10.0.4.3', 'aws', 'no-such-region');
COMMIT;
SELECT count(*) FROM plan WHERE origin_ip GLOB '10.0.4.*';

.print "# a failing statement after a savepoint takes back its own rows only: a ROLLBACK TO then"
.print "# still brings back what an earlier statement of the savepoint removed (each statement here is"
.print "# prepared where the previous one was freed: they are still told apart)"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.5.1', 'aws', 'us-east-1');
SAVEPOINT sp1;
DELETE FROM plan WHERE origin_ip = '10.0.5.1';
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.5.2', 'azure', 'eastus'), ('10.0.5.2', 'oci', 'us-ashburn-1');
SELECT count(*) FROM plan WHERE origin_ip GLOB '10.0.5.*';
ROLLBACK TO sp1;
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip GLOB '10.0.5.*';
COMMIT;
SELECT origin_ip, vendor, region FROM plan_mappings WHERE origin_ip GLOB '10.0.5.*';

.print "# the table in the end"
SELECT origin_ip FROM plan;
SELECT count(*) FROM cfregions_unapplied;
