-- UPDATE leaves the columns it does not assign as the row has them when its turn comes, as an
-- ordinary table does: SQLite passes no value for them, and the row's current value stands. Each
-- case runs on the virtual table `plan` and on an ordinary table `plain` with the same rows; the
-- two results must read alike.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
CREATE TABLE plain(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT, region TEXT) WITHOUT ROWID;
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('10.0.0.1', 'aws', 'us-east-1'),
  ('10.0.0.2', 'gcp', 'us-central1'),
  ('10.0.0.3', 'oci', 'us-ashburn-1'),
  ('2001:db8::1', 'azure', 'eastus');
INSERT INTO plain SELECT origin_ip, vendor, region FROM plan;

.print "# SET region alone: origin_ip and vendor stay"
UPDATE plan SET region = 'westus' WHERE vendor = 'azure';
UPDATE plain SET region = 'westus' WHERE vendor = 'azure';
SELECT * FROM (SELECT origin_ip, vendor, region FROM plan EXCEPT SELECT * FROM plain);
SELECT origin_ip, vendor, region FROM plan WHERE vendor = 'azure';

.print "# a chain of moves under OR REPLACE: 10.0.0.1 replaces 10.0.0.2, which then moves on to"
.print "# 10.0.0.3 carrying the vendor and region it holds by then (10.0.0.1's)"
UPDATE OR REPLACE plan SET origin_ip = CASE origin_ip WHEN '10.0.0.1' THEN '10.0.0.2'
                                                      WHEN '10.0.0.2' THEN '10.0.0.3' ELSE origin_ip END;
UPDATE OR REPLACE plain SET origin_ip = CASE origin_ip WHEN '10.0.0.1' THEN '10.0.0.2'
                                                       WHEN '10.0.0.2' THEN '10.0.0.3' ELSE origin_ip END;
SELECT 'plan', origin_ip, vendor, region FROM plan ORDER BY origin_ip;
SELECT 'plain', origin_ip, vendor, region FROM plain ORDER BY origin_ip;

.print "# a refused row is named with the values it would have had"
UPDATE plan SET vendor = 'gcp' WHERE origin_ip = '10.0.0.3';
SELECT origin_ip, vendor, region FROM plan WHERE origin_ip = '10.0.0.3';

.print "# stored as shown"
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip COLLATE ip;
