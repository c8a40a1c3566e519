/*
** store_api.h — the API store: mappings kept by Cloudflare, reached over HTTPS (v1 or v2 endpoints).
*/
#ifndef CFREGIONS_STORE_API_H
#define CFREGIONS_STORE_API_H

#include "args.h"
#include "conn.h"
#include "store.h"

int cfr_store_api_open(cfr_conn *conn, const cfr_table_args *args, cfr_store **out, char **err);

/* GET …/supported_regions of a zone (v2 unless api_version is 1), cached on the connection.
** base_url NULL: $CLOUDFLARE_BASE_URL, else Cloudflare's. */
int cfr_api_zone_regions(cfr_conn *conn, const char *zone_id, const char *base_url, int api_version,
                         const cfr_regions **out, char **err);

#endif
