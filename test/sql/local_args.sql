-- Arguments of CREATE VIRTUAL TABLE … USING origin_cloud_regions(key=value, …): each mistake is
-- refused with an error naming the key; nothing is created.
.print "# a local table needs only store='local'; quotes around values are optional"
CREATE VIRTUAL TABLE t1 USING origin_cloud_regions(store='local');
CREATE VIRTUAL TABLE t2 USING origin_cloud_regions(store=local);
CREATE VIRTUAL TABLE t3 USING origin_cloud_regions(store="local", readonly=0);
CREATE VIRTUAL TABLE t4 USING origin_cloud_regions( store = 'local' , readonly = '1' );
SELECT name FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name;

.print "# unknown key"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', colour='blue');
.print "# keys are matched without regard to case"
CREATE VIRTUAL TABLE keycase USING origin_cloud_regions(STORE='local', ReadOnly=1);
SELECT name FROM sqlite_schema WHERE name = 'keycase';
DROP TABLE keycase;
.print "# repeated key"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', store='local');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', readonly=1, readonly=0);
.print "# not key=value"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', readonly);

.print "# bad values"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='cloud');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='LOCAL');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', readonly=2);
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', readonly=yes);
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c35');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c35z');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', api='v3');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', base_url='ftp://example.com');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', max_retries=11);
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', max_retries=-1);
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', timeout_ms=99);
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', timeout_ms='1s');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', token_env='');
.print "# token_env names a CLOUDFLARE_ variable: a database file cannot have another secret sent as a token"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', token_env='AWS_SECRET_ACCESS_KEY');
.print "# values that may be secrets are never repeated in errors"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', token_env='s3cr3t-pasted-token');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', base_url='ftp://user:s3cr3t@example.com');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='s3cr3t-0123456789abcdef0123456789abcdef0123456789');

.print "# a credential in the arguments is refused, saying why and what to do instead"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', token='s3cr3t-token-value');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', api_key='s3cr3t-key-value');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', email='me@example.com');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='023e105f4ecef8ad9ca31a8372d0c353', key='s3cr3t-key-value');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', token='s3cr3t-token-value');
.print "# ... in any case"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', Token='s3cr3t-token-value');

.print "# keys that only mean something for store='api' are refused on a local table"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', zone_id='023e105f4ecef8ad9ca31a8372d0c353');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', api='v1');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', base_url='https://api.cloudflare.com/client/v4');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', token_env='CLOUDFLARE_MY_TOKEN');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', max_retries=3);
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='local', timeout_ms=5000);

.print "# store='api' (the default) needs zone_id"
CREATE VIRTUAL TABLE bad USING origin_cloud_regions;
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(store='api');
CREATE VIRTUAL TABLE bad USING origin_cloud_regions(api='v1');

.print "# none of the refused tables exists, and no secret reached the schema"
SELECT count(*) FROM sqlite_schema WHERE name LIKE 'bad%';
SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%s3cr3t%';
