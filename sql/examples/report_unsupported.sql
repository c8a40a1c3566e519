-- report_unsupported.sql — staging rows whose (vendor, region) is not in supported_regions, and
-- which vendors do have a region of that name (often the row names the wrong vendor).
SELECT s.rowid + 1 AS line, s.origin_ip, s.vendor, s.region,
       CASE WHEN NOT EXISTS (SELECT 1 FROM supported_regions v WHERE v.vendor = s.vendor)
            THEN 'unknown vendor' ELSE 'region not supported for ' || s.vendor END AS problem,
       coalesce((SELECT group_concat(o.vendor, ', ') FROM supported_regions o WHERE o.region = s.region),
                '(no vendor)') AS region_exists_for
  FROM staging s LEFT JOIN supported_regions r ON r.vendor = s.vendor AND r.region = s.region
 WHERE r.region IS NULL
 ORDER BY s.rowid;
