-- Loading a local table in bulk: the shell's .import --csv, and INSERT … SELECT from a table, from
-- json_each and from VALUES. Invalid rows are refused with the usual messages.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');

.print "# (fixture: a CSV file with a header, written here)"
.output mappings.csv
.print origin_ip,vendor,region
.print 192.0.2.1,aws,us-east-1
.print 2001:DB8::0:10,gcp,europe-west1
.print 192.0.2.256,aws,us-east-1
.print 198.51.100.7,ibm,us-south
.print 198.51.100.8,azure,eastus
.output stdout

.print "# .import --csv into the table: the header must be skipped (--skip 1), as the table exists;"
.print "# the shell fills the 4th column (modified_on) with NULL and says so; each invalid row"
.print "# is reported and skipped, the others are kept"
.import --csv --skip 1 mappings.csv plan
SELECT origin_ip, vendor, region FROM plan;

.print "# without --skip 1 the header is a row too, and is refused as an invalid IP"
DELETE FROM plan;
.import --csv mappings.csv plan
SELECT count(*) FROM plan;

.print "# quieter and all-or-nothing: .import into a staging table (created from the header),"
.print "# then INSERT … SELECT; the first invalid row fails the statement and nothing is kept"
DELETE FROM plan;
.import --csv mappings.csv staging
SELECT * FROM staging;
INSERT INTO plan(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM staging;
SELECT count(*) FROM plan;

.print "# ... so check the staging rows first: those a local table would refuse"
SELECT s.origin_ip, s.vendor, s.region,
       CASE WHEN ip_canonical(s.origin_ip) IS NULL THEN 'invalid IP'
            WHEN r.region IS NULL THEN 'unsupported vendor/region' END AS problem
  FROM staging s LEFT JOIN supported_regions r ON r.vendor = s.vendor AND r.region = s.region
 WHERE ip_canonical(s.origin_ip) IS NULL OR r.region IS NULL;

.print "# ... and load the others"
INSERT INTO plan(origin_ip, vendor, region)
  SELECT s.origin_ip, s.vendor, s.region FROM staging s
   WHERE ip_canonical(s.origin_ip) IS NOT NULL
     AND EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor AND r.region = s.region);
SELECT origin_ip, vendor, region FROM plan;

.print "# INSERT … SELECT from json_each: a JSON array of objects"
DELETE FROM plan;
INSERT INTO plan(origin_ip, vendor, region)
  SELECT value ->> 'origin_ip', value ->> 'vendor', value ->> 'region' FROM json_each('[
    {"origin_ip": "192.0.2.1", "vendor": "aws", "region": "us-east-1"},
    {"origin_ip": "2001:db8::1", "vendor": "oci", "region": "eu-frankfurt-1"},
    {"origin_ip": "::ffff:c000:0202", "vendor": "gcp", "region": "asia-east1"}]');
SELECT origin_ip, vendor, region FROM plan;

.print "# ... an invalid element fails the statement, naming the row"
INSERT INTO plan(origin_ip, vendor, region)
  SELECT value ->> 'origin_ip', value ->> 'vendor', value ->> 'region' FROM json_each('[
    {"origin_ip": "192.0.2.5", "vendor": "aws", "region": "us-east-1"},
    {"origin_ip": "192.0.2.6", "vendor": "aws"}]');
SELECT count(*) FROM plan;

.print "# INSERT OR REPLACE … SELECT from another local table copies it, upserting"
CREATE VIRTUAL TABLE backup USING origin_cloud_regions(store='local');
INSERT INTO backup(origin_ip, vendor, region) VALUES ('192.0.2.1', 'azure', 'westeurope'), ('192.0.2.9', 'aws', 'us-west-2');
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM backup;
SELECT origin_ip, vendor, region FROM plan;
