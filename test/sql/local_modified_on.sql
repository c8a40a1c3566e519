-- modified_on: set by the local store when a change is committed, as RFC 3339 UTC
-- ("2024-05-01T12:00:00Z"); the value depends on the clock, so its shape is checked, not its value.
.mode quote
CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local');
CREATE TEMP VIEW stamp_ok AS SELECT origin_ip,
  modified_on GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z' AS rfc3339_utc,
  strftime('%Y-%m-%dT%H:%M:%SZ', modified_on) IS modified_on AS valid_time,
  abs(strftime('%s', modified_on) - strftime('%s', 'now')) < 300 AS about_now
  FROM plan;

.print "# a committed INSERT sets modified_on to the commit time, RFC 3339 UTC"
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1'), ('2001:db8::1', 'gcp', 'us-east1');
SELECT * FROM stamp_ok;
SELECT typeof(modified_on), length(modified_on) FROM plan;

.print "# inside a transaction, a row not yet committed has no modified_on (NULL)"
BEGIN;
INSERT INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.2', 'aws', 'us-east-1');
SELECT origin_ip, modified_on FROM plan WHERE origin_ip = '192.0.2.2';
COMMIT;
SELECT * FROM stamp_ok WHERE origin_ip = '192.0.2.2';

.print "# (fixture: an old time put straight into the shadow table)"
UPDATE plan_mappings SET modified_on = '2001-02-03T04:05:06Z';
SELECT origin_ip, modified_on FROM plan;

.print "# an UPDATE that changes the mapping sets a new modified_on"
UPDATE plan SET region = 'us-east-2' WHERE origin_ip = '192.0.2.1';
SELECT * FROM stamp_ok WHERE origin_ip = '192.0.2.1';

.print "# a write that leaves the mapping as it is does not touch modified_on"
UPDATE plan SET region = 'us-east1' WHERE origin_ip = '2001:db8::1';
INSERT OR REPLACE INTO plan(origin_ip, vendor, region) VALUES ('192.0.2.2', 'aws', 'us-east-1');
SELECT origin_ip, modified_on FROM plan WHERE origin_ip IN ('2001:db8::1', '192.0.2.2') ORDER BY 1;

.print "# ... nor does a change undone in the same transaction"
BEGIN;
UPDATE plan SET region = 'us-west-2' WHERE origin_ip = '192.0.2.2';
UPDATE plan SET region = 'us-east-1' WHERE origin_ip = '192.0.2.2';
COMMIT;
SELECT origin_ip, modified_on FROM plan WHERE origin_ip = '192.0.2.2';

.print "# a moved mapping gets a new modified_on at its new IP"
UPDATE plan SET origin_ip = '192.0.2.3' WHERE origin_ip = '192.0.2.2';
SELECT * FROM stamp_ok WHERE origin_ip = '192.0.2.3';

.print "# modified_on cannot be written"
UPDATE plan SET modified_on = '2030-01-01T00:00:00Z';
