/*
** vtab_plan.c — how the origin_cloud_regions table answers a query: xBestIndex. See vtab.h.
**
** Of what SQLite offers (the WHERE constraints, ORDER BY, LIMIT and OFFSET), the plan takes what
** the table answers itself: zone_id and origin_ip equalities or IN lists, an origin_ip range, the
** order of origin_ip, LIMIT and OFFSET when nothing is left to filter or sort. It costs them in
** requests and hands them on as the PLAN_* bits of idxNum (vtab.h), which vtab_cursor.c carries
** out; idxStr says the same in words, for EXPLAIN QUERY PLAN.
*/
#include "vtab.h"

#include <math.h>

#define IN_LIST_GUESS 10   /* an IN list's length is unknown when planning */
#define REPEATED_LOOKUPS_AMORTIZED 1000.0 /* how much cheaper a lookup is when repeated by a join */
#define REQUEST_COST 10000.0

/* The constraints the plan can use: zone_id and origin_ip equalities (or IN), an origin_ip range,
** LIMIT and OFFSET. */
typedef struct usable_constraints {
  int zone, ip, lo, hi, limit, offset;  /* indices into aConstraint, or -1 */
  int other;                            /* constraints left for SQLite to check */
} usable_constraints;

/* A comparison of origin_ip that the table can answer: it compares as the ip collation does. One
** under another collation (… = '2001:DB8::A' COLLATE binary) is left to SQLite. */
static int ip_comparison(sqlite3_index_info *info, int i) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  const char *collation = sqlite3_vtab_collation(info, i);
  return c->usable && c->iColumn == COL_ORIGIN_IP && collation && sqlite3_stricmp(collation, "ip") == 0;
}

static int *slot_for(sqlite3_index_info *info, int i, usable_constraints *u) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  if (c->usable && c->iColumn == COL_ZONE_ID && c->op == SQLITE_INDEX_CONSTRAINT_EQ) return &u->zone;
  if (!ip_comparison(info, i)) return NULL;
  if (c->op == SQLITE_INDEX_CONSTRAINT_EQ) return &u->ip;
  if (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE) return &u->lo;
  if (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE) return &u->hi;
  return NULL;
}

static void find_constraints(sqlite3_index_info *info, usable_constraints *u) {
  u->zone = u->ip = u->lo = u->hi = u->limit = u->offset = -1;
  u->other = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) { if (c->usable) u->limit = i; continue; }
    if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) { if (c->usable) u->offset = i; continue; }
    int *slot = slot_for(info, i, u);
    if (slot && *slot < 0) *slot = i;
    else u->other++;
  }
  /* A lookup by IP leaves any range to SQLite. */
  if (u->ip >= 0) {
    u->other += (u->lo >= 0) + (u->hi >= 0);
    u->lo = u->hi = -1;
  }
}

static void use_constraint(sqlite3_index_info *info, int i, int *argv_next) {
  info->aConstraintUsage[i].argvIndex = (*argv_next)++;
  info->aConstraintUsage[i].omit = 1;
}

/* Costs of a listing of every known zone (their requests go out together, CFR_ZONES_IN_FLIGHT at
** a time) and of one lookup; before the zones are known, those of one API zone. */
static void costs(const cfr_vtab *vt, double *list_cost, double *get_cost, double *rows) {
  *list_cost = 0;
  *rows = 0;
  *get_cost = REQUEST_COST;
  for (int i = 0; i < vt->nparts; i++) {
    cfr_table *p = vt->parts[i];
    double l, g;
    p->store->methods->costs(p->store, p->estimated_rows, &l, &g);
    *list_cost += l / (vt->nparts > 1 ? CFR_ZONES_IN_FLIGHT : 1);
    *get_cost = g;
    *rows += p->estimated_rows;
  }
  if (vt->nparts == 0) {
    *list_cost = 10 * REQUEST_COST;
    *rows = 1000;
  }
}

/* The plan's idxNum bits; *order_consumed: ORDER BY origin_ip [DESC] needs no sort. */
static int choose_plan(cfr_vtab *vt, sqlite3_index_info *info, int *order_consumed) {
  usable_constraints u;
  find_constraints(info, &u);
  double list_cost, get_cost, rows;
  costs(vt, &list_cost, &get_cost, &rows);
  int plan = 0, argv_next = 1, zones = vt->nparts > 0 ? vt->nparts : 1;
  if (u.zone >= 0) {
    use_constraint(info, u.zone, &argv_next);
    int in = sqlite3_vtab_in(info, u.zone, -1) && sqlite3_vtab_in(info, u.zone, 1);
    plan |= in ? PLAN_ZONE_IN : PLAN_ZONE_EQ;
    double share = (in ? IN_LIST_GUESS : 1.0) / zones;
    if (share < 1) { list_cost *= share; rows *= share; }
  }
  /* A table that may hold rows never claims to hold none: SQLite would then put it outside the
  ** loop of a join and scan it once per outer row. */
  if (rows < 1) rows = 1;
  if (u.ip >= 0) {
    /* Lookups canonicalize the value first, so SQLite must not re-check it with a text compare.
    ** Lookups that keep coming (a join's inner loop) turn into one listing after a few
    ** (snapshot.c): per outer row they cost little, which is what is reported. (A join that SQLite
    ** would otherwise answer with an automatic index over the other table could miss rows whose IP
    ** is spelled differently: 3.40's Bloom filter there compares bytes, not addresses.) */
    use_constraint(info, u.ip, &argv_next);
    get_cost /= REPEATED_LOOKUPS_AMORTIZED;
    if (sqlite3_vtab_in(info, u.ip, -1) && sqlite3_vtab_in(info, u.ip, 1)) {
      plan |= PLAN_IP_IN;
      info->estimatedCost = fmin(IN_LIST_GUESS * get_cost, list_cost);
      info->estimatedRows = IN_LIST_GUESS;
    } else {
      plan |= PLAN_IP_EQ;
      /* Without zone_id, the IP is looked up in every zone, the requests together. */
      info->estimatedCost = get_cost * (u.zone >= 0 ? 1 : ceil((double)zones / CFR_ZONES_IN_FLIGHT));
      info->estimatedRows = 1;
      if (!vt->multi || u.zone >= 0) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    }
  } else if (u.lo >= 0 || u.hi >= 0) {
    /* A range is read from a complete snapshot in address order: a listing, a little less work
    ** for SQLite, and fewer rows. */
    if (u.lo >= 0) {
      use_constraint(info, u.lo, &argv_next);
      plan |= PLAN_LO | (info->aConstraint[u.lo].op == SQLITE_INDEX_CONSTRAINT_GT ? PLAN_LO_OPEN : 0);
    }
    if (u.hi >= 0) {
      use_constraint(info, u.hi, &argv_next);
      plan |= PLAN_HI | (info->aConstraint[u.hi].op == SQLITE_INDEX_CONSTRAINT_LT ? PLAN_HI_OPEN : 0);
    }
    info->estimatedCost = list_cost * 0.9;
    info->estimatedRows = (sqlite3_int64)(rows / ((u.lo >= 0) + (u.hi >= 0) + 1)) + 1;
  } else {
    info->estimatedCost = list_cost;
    info->estimatedRows = (sqlite3_int64)rows;
  }
  /* Rows come out in the ip collation's order, which is origin_ip's, zone by zone: ORDER BY
  ** origin_ip [DESC] needs no sort when one zone is read. (SQLite passes ORDER BY origin_ip COLLATE
  ** other only as no ORDER BY at all.) */
  *order_consumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_ORIGIN_IP &&
                    (!vt->multi || (plan & PLAN_ZONE_EQ));
  if (*order_consumed) {
    info->orderByConsumed = 1;
    if (info->aOrderBy[0].desc) plan |= PLAN_DESC;
  }
  /* LIMIT/OFFSET apply to our output only when no other constraint still filters it and SQLite
  ** does not sort it afterwards (cutting before that sort would return the wrong rows). */
  if (u.other == 0 && (info->nOrderBy == 0 || *order_consumed) && u.limit >= 0) {
    plan |= PLAN_LIMIT;
    use_constraint(info, u.limit, &argv_next);
    if (u.offset >= 0) {
      plan |= PLAN_OFFSET;
      use_constraint(info, u.offset, &argv_next);
    }
  }
  return plan;
}

/* What EXPLAIN QUERY PLAN shows. */
static char *describe_plan(int plan, int order_consumed) {
  const char *zone = (plan & PLAN_ZONE_IN) ? "zone_id IN (...): " : (plan & PLAN_ZONE_EQ) ? "zone_id = ?: " : "";
  const char *access = (plan & PLAN_IP_IN)            ? "lookup origin_ip IN (...)"
                       : (plan & PLAN_IP_EQ)          ? "lookup origin_ip = ?"
                       : (plan & (PLAN_LO | PLAN_HI)) ? "listing of an origin_ip range"
                                                      : "full listing";
  const char *order = !order_consumed ? "" : (plan & PLAN_DESC) ? " ORDER BY origin_ip DESC" : " ORDER BY origin_ip";
  return sqlite3_mprintf("%s%s%s%s%s", zone, access, order, (plan & PLAN_LIMIT) ? " LIMIT" : "",
                         (plan & PLAN_OFFSET) ? " OFFSET" : "");
}

int cfr_vtab_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
  int order_consumed;
  int plan = choose_plan((cfr_vtab *)base, info, &order_consumed);
  info->idxNum = plan;
  info->idxStr = describe_plan(plan, order_consumed);
  info->needToFreeIdxStr = 1;
  return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}
