/*
** zones.h — the zones a connection's credentials can see: GET /zones read into a list (for the
** tables that name a zone by its name or span many zones), and the eponymous cloudflare_zones
** table over it. zones.c reads the listing; cloudflare_zones.c is the table.
**
** Every value from the server is checked before it is kept: ids are 32 hexadecimal digits (kept in
** lowercase), texts are length-capped and free of control and bidirectional characters; a zone
** entry with an unusable field makes the whole listing fail as an unexpected response. A listing
** uses bounded memory: a page's body and its JSON values are capped, and a listing of more than
** 100,000 zones is refused.
*/
#ifndef CFREGIONS_ZONES_H
#define CFREGIONS_ZONES_H

#include "api_client.h"
#include "args.h"

/* Zones per page of GET /zones: the listing asks for pages of this many. */
#define CFR_ZONES_PAGE_SIZE 50

/* One zone. The strings are sqlite3 memory owned by the list that holds the zone; account_name,
** plan and modified_on are NULL when the server left them out, paused is -1 then. */
typedef struct cfr_zone {
  char id[CFR_ZONE_ID_LEN + 1]; /* lowercase hex */
  char *name;
  char *status; /* "active", "pending", … */
  char account_id[CFR_ZONE_ID_LEN + 1];
  char *account_name;
  char *plan; /* the plan's name: "Free Website", … */
  int paused; /* 1, 0, or -1 when unknown */
  char *modified_on;
} cfr_zone;

/* Zones in the order the API lists them (by name, then id), each id once. */
typedef struct cfr_zone_list {
  cfr_zone *items;
  int count, capacity;
} cfr_zone_list;

/* Lists the zones, reading GET /zones in pages of 50 (the pages after the first concurrently, at
** most 8 in flight), with the API filtering on name (equal, ignoring case, as DNS names compare),
** account id and status when given (NULL: no filter). The list holds exactly the zones that pass
** the filters, whatever the server sends. A name or status that no zone can have (empty, too long,
** control characters) lists nothing without a request; an account id that is not 32 hexadecimal
** digits is an error. One operation against the client's rate-limit wait budget.
** *out is overwritten, and on failure left empty; free it with cfr_zone_list_clear. SQLITE_OK, or
** an error code with *err. */
int cfr_zones_list(cfr_api_client *client, const char *name, const char *account_id,
                   const char *status, cfr_zone_list *out, char **err);
void cfr_zone_list_clear(cfr_zone_list *list);
/* cfr_zones_list through the connection's last listing: the reads of one execution of a statement
** with the same filters share one listing (a report joining cloudflare_zones with a zones='*'
** table lists the zones once). A listing never serves a later statement. */
int cfr_zones_list_in_statement(cfr_context *ctx, cfr_api_client *client, const char *name,
                                const char *account_id, const char *status, cfr_zone_list *out, char **err);

/* The id of the zone named `name` (compared ignoring case): exactly one visible zone must have
** that name. An unknown name, or one that several zones share (the same domain in two accounts),
** is an SQLITE_ERROR whose *err says so, listing the candidates' ids and accounts. */
int cfr_zones_resolve(cfr_api_client *client, const char *name, char id[CFR_ZONE_ID_LEN + 1],
                      char **err);

/* text as a lowercase zone or account id: 0, or -1 when it is NULL or not 32 hexadecimal digits.
** Unlike cfr_zone_id_parse (args.h) it writes no error message. */
int cfr_zones_parse_id(const char *text, char out[CFR_ZONE_ID_LEN + 1]);

/* The eponymous cloudflare_zones table on db (see cloudflare_zones.c). */
int cfr_zones_register(sqlite3 *db, cfr_context *ctx);

#endif
