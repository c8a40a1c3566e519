-- golden: db=plan.db
-- A local table keeps its rows in this database file: in the shadow table "<name>_mappings",
-- created with the table, dropped with it, renamed with it. A new connection (after .load) sees
-- the same rows.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES
  ('192.0.2.1', 'aws', 'us-east-1'), ('2001:db8::1', 'gcp', 'europe-west1');

.print "# the shadow table plan_mappings holds the rows"
SELECT type, name FROM sqlite_schema ORDER BY name;
SELECT origin_ip, vendor, region FROM plan_mappings ORDER BY origin_ip;

.print "# reopen the file: the rows are still there"
.open plan.db
.load @CFREGIONS_SO@
SELECT origin_ip, vendor, region FROM plan;

.print "# writes after reopening are kept too"
DELETE FROM plan WHERE origin_ip = '192.0.2.1';
INSERT INTO plan(origin_ip, vendor, region) VALUES ('198.51.100.1', 'oci', 'ap-tokyo-1');
.open plan.db
.load @CFREGIONS_SO@
SELECT origin_ip, vendor, region FROM plan;

.print "# without the extension loaded, the table cannot be read (the shadow table can)"
.open plan.db
SELECT origin_ip FROM plan;
SELECT origin_ip FROM plan_mappings ORDER BY origin_ip;
.load @CFREGIONS_SO@

.print "# ALTER TABLE … RENAME renames the shadow table with it"
ALTER TABLE plan RENAME TO plan_v2;
SELECT type, name FROM sqlite_schema ORDER BY name;
SELECT origin_ip, vendor, region FROM plan_v2;
INSERT INTO plan_v2(origin_ip, vendor, region) VALUES ('192.0.2.9', 'azure', 'eastus');
.open plan.db
.load @CFREGIONS_SO@
SELECT origin_ip, vendor, region FROM plan_v2;

.print "# DROP TABLE removes the table and its shadow table"
DROP TABLE plan_v2;
SELECT count(*) FROM sqlite_schema;

.print "# a table created again under the same name starts empty"
CREATE VIRTUAL TABLE plan_v2 USING origin_cloud_regions(store='local');
SELECT count(*) FROM plan_v2;

.print "# a local table in an attached database keeps its rows in that file"
ATTACH 'other.db' AS other;
CREATE VIRTUAL TABLE other.plan USING origin_cloud_regions(store='local');
INSERT INTO other.plan(origin_ip, vendor, region) VALUES ('203.0.113.5', 'aws', 'eu-west-1');
SELECT origin_ip, vendor, region FROM other.plan;
SELECT type, name FROM other.sqlite_schema ORDER BY name;
.open other.db
.load @CFREGIONS_SO@
SELECT origin_ip, vendor, region FROM plan;
