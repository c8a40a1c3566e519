-- supported_regions: the eponymous table of (vendor, region, upper_tier_colos) that local tables
-- validate against, built from sql/supported_regions.json.
.mode quote

.print "# columns; zone_id is hidden"
SELECT name, hidden FROM pragma_table_xinfo('supported_regions');

.print "# regions per vendor"
SELECT vendor, count(*) FROM supported_regions GROUP BY vendor ORDER BY vendor;

.print "# a few known rows; upper_tier_colos is a JSON array"
SELECT * FROM supported_regions WHERE vendor = 'aws' AND region = 'us-east-1';
SELECT * FROM supported_regions WHERE vendor = 'gcp' AND region = 'us-central1';
SELECT * FROM supported_regions WHERE vendor = 'azure' AND region = 'eastus';
SELECT * FROM supported_regions WHERE vendor = 'oci' AND region = 'us-ashburn-1';
SELECT json_valid(upper_tier_colos), json_type(upper_tier_colos), count(*) FROM supported_regions GROUP BY 1, 2;
SELECT value FROM supported_regions, json_each(upper_tier_colos) WHERE vendor = 'aws' AND region = 'us-east-1';

.print "# (vendor, region) is unique; without zone_id the hidden column is NULL"
SELECT count(*) = count(DISTINCT vendor || '/' || region) FROM supported_regions;
SELECT count(*) FROM supported_regions WHERE zone_id IS NOT NULL;

.print "# the table holds exactly what sql/supported_regions.json lists"
.shell cp "$GOLDEN_SRCDIR/../../sql/supported_regions.json" regions.json
CREATE TEMP VIEW from_file AS
  SELECT v.key AS vendor, r.value ->> 'name' AS region, json(r.value -> 'upper_tier_colos') AS upper_tier_colos
    FROM json_each(readfile('regions.json'), '$.vendors') v, json_each(v.value) r;
SELECT (SELECT count(*) FROM from_file), (SELECT count(*) FROM supported_regions);
SELECT 'missing from the table', * FROM (SELECT * FROM from_file EXCEPT SELECT vendor, region, upper_tier_colos FROM supported_regions);
SELECT 'not in the file', * FROM (SELECT vendor, region, upper_tier_colos FROM supported_regions EXCEPT SELECT * FROM from_file);

.print "# every region listed is accepted by a local table, for its vendor"
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
INSERT INTO plan(origin_ip, vendor, region)
  SELECT printf('10.0.%d.%d', rowid / 256, rowid % 256), vendor, region FROM supported_regions;
SELECT count(*) = (SELECT count(*) FROM supported_regions) FROM plan;
