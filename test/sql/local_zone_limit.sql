-- At most 3,500 mappings per zone (Cloudflare's error 1164): a local table keeps the same limit,
-- so a plan that fits locally also fits the zone. The rows are generated with a recursive CTE.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
CREATE TEMP VIEW n AS
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) SELECT i FROM n;

.print "# a bulk INSERT … SELECT of 3,501 rows fails as a whole, naming the row over the limit"
INSERT INTO plan(origin_ip, vendor, region)
  SELECT printf('10.0.%d.%d', i / 256, i % 256), 'aws', 'us-east-1' FROM n WHERE i < 3501;
SELECT count(*) FROM plan;

.print "# 3,500 rows fit"
INSERT INTO plan(origin_ip, vendor, region)
  SELECT printf('10.0.%d.%d', i / 256, i % 256), 'aws', 'us-east-1' FROM n WHERE i < 3500;
SELECT count(*) FROM plan;
SELECT count(*) FROM plan_mappings;

.print "# the 3,501st fails with the message"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
SELECT count(*) FROM plan;

.print "# ... also through INSERT OR REPLACE of a new IP"
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');

.print "# at the limit, existing mappings can still be changed, replaced and moved"
UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '10.0.0.0';
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.1', 'gcp', 'us-central1');
UPDATE plan SET origin_ip = '192.0.2.2' WHERE origin_ip = '10.0.0.2';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip IN ('10.0.0.0', '10.0.0.1', '10.0.0.2', '192.0.2.2') ORDER BY origin_ip COLLATE ip;
SELECT count(*) FROM plan;

.print "# a DELETE in the same transaction makes room for one more"
BEGIN;
DELETE FROM plan WHERE origin_ip = '10.0.0.3';
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.3', 'aws', 'us-east-1');
COMMIT;
SELECT count(*) FROM plan;
SELECT origin_ip FROM plan WHERE origin_ip IN ('10.0.0.3', '192.0.2.1', '192.0.2.3');

.print "# after a DELETE of 256 rows, 257 new ones do not fit (the statement keeps none), 256 do"
DELETE FROM plan WHERE origin_ip GLOB '10.0.1.*';
SELECT count(*) FROM plan;
INSERT INTO plan(origin_ip, vendor, region)
  SELECT printf('172.16.%d.%d', i / 256, i % 256), 'azure', 'eastus' FROM n WHERE i < 257;
SELECT count(*) FROM plan;
INSERT INTO plan(origin_ip, vendor, region)
  SELECT printf('172.16.%d.%d', i / 256, i % 256), 'azure', 'eastus' FROM n WHERE i < 256;
SELECT count(*) FROM plan;
