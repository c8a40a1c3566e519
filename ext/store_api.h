/*
** store_api.h — the API store: mappings kept by Cloudflare, reached over HTTPS (v1 or v2 endpoints).
*/
#ifndef CFREGIONS_STORE_API_H
#define CFREGIONS_STORE_API_H

#include "store.h"

/* Opens the store for one zone. Nothing is sent until the store is used. */
int cfr_store_api_open(cfr_context *ctx, const cfr_api_settings *settings, cfr_store **out, char **err);
/* Opens the stores of n zones sharing one client (out[i] for zone_ids[i]); on failure none is open. */
int cfr_store_api_open_zones(cfr_context *ctx, const cfr_api_settings *settings,
                             const char (*zone_ids)[CFR_ZONE_ID_LEN + 1], int n, cfr_store **out, char **err);

/* A zone's supported regions, read through an API store with a table's default settings (base URL
** and credentials from the environment or the connection), cached on the connection. */
int cfr_store_api_zone_regions(cfr_context *ctx, const char *zone_id, const cfr_regions **out, char **err);


#endif
