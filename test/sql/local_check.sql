-- cfregions_check(origin_ip, vendor, region): NULL when a local table would accept the row, else
-- the cause as the table's error would state it. Pure: one query validates a whole staging table.
.mode quote
.print "# valid rows give NULL (IPs in any spelling)"
SELECT cfregions_check('10.0.0.1', 'aws', 'us-east-1'), cfregions_check('2001:DB8::0001', 'gcp', 'us-central1');
.print "# each cause, worded as the INSERT's error"
SELECT cfregions_check('10.0.0.256', 'aws', 'us-east-1');
SELECT cfregions_check('10.0.0.1/32', 'aws', 'us-east-1');
SELECT cfregions_check(NULL, 'aws', 'us-east-1');
SELECT cfregions_check('10.0.0.1', NULL, 'us-east-1');
SELECT cfregions_check('10.0.0.1', 'aws', NULL);
SELECT cfregions_check('10.0.0.1', 'ibm', 'us-south');
SELECT cfregions_check('10.0.0.1', 'aws', 'moon-1');
SELECT cfregions_check('10.0.0.1', 'aws' || char(0) || 'junk', 'us-east-1');
SELECT cfregions_check('10.0.0.1', 'aws', 'us-east-1' || char(0));
SELECT cfregions_check(167772161, 'aws', 'us-east-1');
.print "# the same cause as the table's error"
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'moon-1');
.print "# a staging table validated in one query"
CREATE TABLE staging(ip, vendor, region);
INSERT INTO staging VALUES ('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.2', 'gcp', 'mars'), ('nope', 'aws', 'us-east-1'),
  ('10.0.0.4', 'oci', 'us-ashburn-1');
SELECT ip, cfregions_check(ip, vendor, region) AS problem FROM staging WHERE problem IS NOT NULL;
.print "# usable where only pure functions are (a CHECK constraint)"
CREATE TABLE checked(ip, vendor, region, CHECK (cfregions_check(ip, vendor, region) IS NULL));
INSERT INTO checked VALUES ('10.0.0.1', 'aws', 'us-east-1');
INSERT INTO checked VALUES ('10.0.0.1', 'aws', 'moon-1');
SELECT count(*) FROM checked;
