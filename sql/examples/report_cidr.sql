-- report_cidr.sql — mappings inside network blocks, with ipcontains(net, ip).
-- Edit the blocks in `nets` to ask about your own networks.
WITH nets(cidr) AS (VALUES ('10.20.0.0/22'), ('10.20.1.0/24'), ('10.30.0.0/16'), ('2001:db8:a::/48'),
                           ('2001:db8:c::/64'), ('192.0.2.0/24'))
SELECT n.cidr, ipnetwork(n.cidr) AS network, count(p.origin_ip) AS mappings,
       group_concat(DISTINCT p.vendor) AS vendors, count(DISTINCT p.region) AS regions
  FROM nets n LEFT JOIN plan p ON ipcontains(n.cidr, p.origin_ip)
 GROUP BY n.cidr
 ORDER BY n.cidr COLLATE ip;

-- The mappings of one block, in address order.
SELECT origin_ip, vendor, region
  FROM plan
 WHERE ipcontains('10.20.1.0/24', origin_ip)
 ORDER BY origin_ip COLLATE ip
 LIMIT 10;
