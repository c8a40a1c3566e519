/*
** api_dialect.h — what differs between the two generations of Cloudflare's origin cloud region
** endpoints, decided here and nowhere else: paths, field names, the batch upsert method, v1's
** wrapped results and v2's paged listings.
**
**   v2 (current):    /zones/{zone}/origin/cloud_regions        paged listing, PUT …/batch
**   v1 (deprecated): /zones/{zone}/cache/origin_cloud_regions  one-GET listing, PATCH …/batch
** Both: GET …/{ip}, DELETE …/batch with a JSON array of IPs, GET …/supported_regions.
*/
#ifndef CFREGIONS_API_DIALECT_H
#define CFREGIONS_API_DIALECT_H

typedef struct cfr_api_dialect {
  int version;               /* 1 or 2 */
  const char *collection;    /* path after /zones/{zone_id}/ */
  const char *ip_in;         /* IP field in request bodies: "ip" (v1), "origin_ip" (v2) */
  const char *ip_out;        /* IP field in responses: "origin-ip" (v1), "origin_ip" (v2) */
  const char *upsert_method; /* batch upsert: PATCH (v1), PUT (v2) */
  int wrapped;               /* results sit in {id, editable, value, modified_on} (v1) */
  int paged;                 /* listings come in pages with result_info (v2) */
} cfr_api_dialect;

/* The dialect of api version 1 or 2 (anything else: 2). */
const cfr_api_dialect *cfr_api_dialect_for(int version);

#endif
