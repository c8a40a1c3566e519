-- cfregions_pending: inside a transaction, one row per change COMMIT would send, in the order it
-- would send them (upserts, then deletes; the request number counts that table's batches of at
-- most 100). A dry run is BEGIN; …; SELECT * FROM cfregions_pending; ROLLBACK;
.mode quote
.headers on
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
CREATE VIRTUAL TABLE other USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'), ('192.0.2.2', 'aws', 'us-east-1'), ('192.0.2.3', 'gcp', 'us-central1');

.print "# nothing pending outside a transaction"
SELECT count(*) FROM cfregions_pending;

.print "# a create, an update, a move (create + delete) and a delete; no-ops are not listed"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('2001:DB8::1', 'oci', 'us-ashburn-1');
UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '192.0.2.1';
UPDATE plan SET origin_ip = '192.0.2.9' WHERE origin_ip = '192.0.2.2';
DELETE FROM plan WHERE origin_ip = '192.0.2.3';
UPDATE plan SET region = region;
INSERT INTO other(origin_ip, vendor, region) VALUES ('10.0.0.1', 'azure', 'eastus');
SELECT table_name, operation, origin_ip, old_vendor, old_region, new_vendor, new_region, request
  FROM cfregions_pending ORDER BY table_name, request, operation, origin_ip;
SELECT DISTINCT schema_name, zone_id FROM cfregions_pending;

.print "# the dry run ends with ROLLBACK: nothing was written, nothing is pending"
ROLLBACK;
SELECT origin_ip, vendor, region FROM plan;
SELECT count(*) FROM cfregions_pending;

.print "# 250 creates and 3 deletes: requests 1-3 carry the creates (100, 100, 50), 4 the deletes"
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250)
INSERT INTO plan(origin_ip, vendor, region) SELECT '10.1.0.' || i, 'aws', 'us-east-1' FROM n;
DELETE FROM plan WHERE origin_ip LIKE '192.0.2.%';
SELECT request, operation, count(*) FROM cfregions_pending GROUP BY request, operation ORDER BY request;
ROLLBACK;

.print "# writes undone by ROLLBACK TO are no longer pending"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.9.9.9', 'aws', 'us-east-1');
SAVEPOINT s;
DELETE FROM plan WHERE origin_ip = '192.0.2.1';
SELECT operation, origin_ip FROM cfregions_pending ORDER BY request;
ROLLBACK TO s;
SELECT operation, origin_ip FROM cfregions_pending ORDER BY request;
COMMIT;
SELECT count(*) FROM cfregions_pending;
