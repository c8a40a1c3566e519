-- origin_ip is declared COLLATE ip, so plain comparisons match any spelling of an address; an
-- explicit COLLATE BINARY asks for a byte-wise comparison, which '2001:DB8::A' does not pass against
-- the stored '2001:db8::a' — for reads, UPDATE and DELETE alike, as with an ordinary table. The
-- expected output is what an ordinary table gives: this script with the CREATE VIRTUAL TABLE line
-- replaced by
--   CREATE TABLE t(origin_ip TEXT COLLATE ip PRIMARY KEY, vendor TEXT NOT NULL,
--                  region TEXT NOT NULL, modified_on TEXT) WITHOUT ROWID;
.mode quote
CREATE VIRTUAL TABLE t USING origin_cloud_regions(store='local');
INSERT INTO t(origin_ip, vendor, region) VALUES ('2001:db8::a', 'aws', 'us-east-1'), ('2001:db8::b', 'gcp', 'us-central1');
.print "# the column's collation: any spelling matches"
SELECT origin_ip FROM t WHERE origin_ip = '2001:DB8::A';
.print "# COLLATE BINARY on either side: only the stored bytes match"
SELECT count(*) FROM t WHERE origin_ip = '2001:DB8::A' COLLATE BINARY;
SELECT count(*) FROM t WHERE origin_ip COLLATE BINARY = '2001:DB8::A';
SELECT origin_ip FROM t WHERE origin_ip = '2001:db8::a' COLLATE BINARY;
SELECT count(*) FROM t WHERE origin_ip = '2001:0db8::a' COLLATE NOCASE;
.print "# UPDATE and DELETE with COLLATE BINARY on another spelling: no row"
UPDATE t SET region = 'us-west-2' WHERE origin_ip = '2001:DB8::A' COLLATE BINARY;
SELECT changes();
DELETE FROM t WHERE origin_ip = '2001:DB8::B' COLLATE BINARY;
SELECT changes();
SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip;
