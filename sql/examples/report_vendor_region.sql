-- report_vendor_region.sql — mappings per vendor and region, with the region's upper-tier
-- colos (Cloudflare data centres nearest to it) from supported_regions.
SELECT p.vendor, p.region, count(*) AS mappings,
       sum(ipfamily(p.origin_ip) = 4) AS ipv4, sum(ipfamily(p.origin_ip) = 6) AS ipv6,
       r.upper_tier_colos
  FROM plan p JOIN supported_regions r ON r.vendor = p.vendor AND r.region = p.region
 GROUP BY p.vendor, p.region
 ORDER BY p.vendor, mappings DESC, p.region;

SELECT vendor, count(*) AS mappings, count(DISTINCT region) AS regions
  FROM plan GROUP BY vendor
UNION ALL
SELECT 'total', count(*), count(DISTINCT vendor || '/' || region) FROM plan;
