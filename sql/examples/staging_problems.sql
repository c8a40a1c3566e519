-- staging_problems.sql — rows of a staging table (origin_ip, vendor, region, e.g. from
-- `.import --csv mappings.csv staging`) that a local origin_cloud_regions table would refuse, and why:
-- an invalid IP, an unknown vendor, a region not supported for the vendor (checked against
-- supported_regions), or an IP that an earlier line already maps (compared in canonical form).
-- The line number is the CSV line (header = line 1).
SELECT s.rowid + 1 AS line, s.origin_ip, s.vendor, s.region,
       CASE
         WHEN ip_canonical(s.origin_ip) IS NULL THEN 'invalid IP address'
         WHEN NOT EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor) THEN 'unknown vendor'
         WHEN NOT EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor AND r.region = s.region)
           THEN 'region not supported for ' || s.vendor
         ELSE 'same IP as line ' || (SELECT min(e.rowid) + 1 FROM staging e
                                      WHERE ip_canonical(e.origin_ip) = ip_canonical(s.origin_ip))
       END AS problem
  FROM staging s
 WHERE ip_canonical(s.origin_ip) IS NULL
    OR NOT EXISTS (SELECT 1 FROM supported_regions r WHERE r.vendor = s.vendor AND r.region = s.region)
    OR EXISTS (SELECT 1 FROM staging e
                WHERE ip_canonical(e.origin_ip) = ip_canonical(s.origin_ip) AND e.rowid < s.rowid)
 ORDER BY s.rowid;
