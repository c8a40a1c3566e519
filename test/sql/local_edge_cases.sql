-- Unusual but valid SQL against a local table: UPDATE … FROM, IN lists with NULLs and duplicates,
-- a primary key rewritten in another spelling of the same address, UPSERT clauses (refused by
-- SQLite on virtual tables), and DROP TABLE with writes pending (sanitizer runs check for leaks).
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.2', 'gcp', 'us-central1'), ('2001:db8::1', 'aws', 'us-east-1');

.print "# UPDATE … FROM changes vendor/region and leaves modified_on alone"
CREATE TABLE changes(ip TEXT, region TEXT);
INSERT INTO changes VALUES ('10.0.0.1', 'us-east-2'), ('2001:DB8::1', 'us-west-2');
UPDATE plan SET region = changes.region FROM changes WHERE plan.origin_ip = changes.ip;
SELECT origin_ip, vendor, region FROM plan;
.print "-- inside a transaction, over pending writes"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.3', 'aws', 'us-east-1');
INSERT INTO changes VALUES ('10.0.0.3', 'us-west-1');
UPDATE plan SET region = changes.region FROM changes WHERE plan.origin_ip = changes.ip;
COMMIT;
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip;
.print "-- writing modified_on through UPDATE … FROM is still refused; its own value is no write"
UPDATE plan SET modified_on = changes.region FROM changes WHERE plan.origin_ip = changes.ip;
UPDATE plan SET region = 'us-central1', modified_on = modified_on WHERE origin_ip = '10.0.0.2';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '10.0.0.2';

.print "# IN with NULLs, duplicates and invalid text: each address once"
SELECT origin_ip FROM plan WHERE origin_ip IN ('10.0.0.1', NULL, '10.0.0.1', '2001:DB8::1', 'junk', 42);
SELECT count(*) FROM plan WHERE origin_ip NOT IN ('10.0.0.1', NULL);
DELETE FROM plan WHERE origin_ip IN ('10.0.0.3', '10.0.0.3', NULL);
SELECT origin_ip FROM plan;

.print "# origin_ip set to another spelling of the same address: the row stays, canonical"
UPDATE plan SET origin_ip = '2001:DB8:0::1' WHERE origin_ip = '2001:db8::1';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '2001:db8::1';
SELECT count(*) FROM plan;

.print "# UPSERT clauses are refused by SQLite itself; INSERT OR REPLACE is the way"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.1', 'gcp', 'us-central1') ON CONFLICT DO NOTHING;


.print "# DROP TABLE with writes pending: dropped with them, nothing left behind"
CREATE VIRTUAL TABLE scratch USING origin_cloud_regions(store='local');
BEGIN;
INSERT INTO scratch(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
DROP TABLE scratch;
COMMIT;
SELECT name FROM sqlite_schema WHERE name GLOB 'scratch*';
