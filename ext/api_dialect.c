/*
** api_dialect.c — the two generations of the endpoints. See api_dialect.h.
*/
#include "api_dialect.h"

static const cfr_api_dialect v1 = {1, "cache/origin_cloud_regions", "ip", "origin-ip", "PATCH", 1, 0};
static const cfr_api_dialect v2 = {2, "origin/cloud_regions", "origin_ip", "origin_ip", "PUT", 0, 1};

const cfr_api_dialect *cfr_api_dialect_for(int version) { return version == 1 ? &v1 : &v2; }
