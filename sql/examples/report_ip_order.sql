-- report_ip_order.sql — IPs in numeric order next to plain text order (COLLATE BINARY), which puts
-- 10.20.1.100 before 10.20.1.20. IPv4 comes before IPv6. origin_ip has the ip collation, so a plain
-- ORDER BY origin_ip is already numeric; COLLATE ip is spelled out for columns of other tables.
WITH numeric AS (SELECT row_number() OVER (ORDER BY origin_ip COLLATE ip) AS n, origin_ip FROM plan),
     text AS (SELECT row_number() OVER (ORDER BY origin_ip COLLATE BINARY) AS n, origin_ip FROM plan)
SELECT numeric.n, numeric.origin_ip AS by_address, text.origin_ip AS by_text
  FROM numeric JOIN text USING (n)
 WHERE numeric.n <= 12;

-- The first IPv6 mappings by address, and the last mappings of all.
SELECT origin_ip, vendor, region FROM plan WHERE ipfamily(origin_ip) = 6
 ORDER BY origin_ip COLLATE ip LIMIT 3;
SELECT origin_ip, vendor, region FROM plan
 ORDER BY origin_ip COLLATE ip DESC LIMIT 3;
