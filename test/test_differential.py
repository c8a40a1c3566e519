#!/usr/bin/env python3
"""Differential test: origin_cloud_regions against an ordinary SQLite table with the same rules.

    PYTHON test/test_differential.py build/cfregions.so [unittest options]

Seeded random sequences of SQL statements run against two database files side by side: one holds
the virtual table `t` (a local table, by default), the other an ordinary WITHOUT ROWID table `t`
that enforces the same rules by SQL's own means ("the oracle"). After every statement the two must
agree on whether it failed and its primary error code (SQLITE_CONSTRAINT, SQLITE_ERROR, ...; the
messages differ), a SELECT's rows, whether a transaction is open, changes() and the total_changes()
delta, and the table's contents (origin_ip, vendor, region: modified_on is the store's business).
Depending on the profile, also the contents of a second table u written in the same transactions,
and what a second connection to the file sees. For an API table, the zone as the fake Cloudflare
API holds it must equal the oracle's contents whenever no transaction is open.

Statements: INSERT with every conflict clause (and REPLACE), one or several rows, invalid rows
part-way, other column orders, no column list, DEFAULT VALUES; INSERT … SELECT from a staging table,
json_each or the table itself; UPDATE of vendor/region, of origin_ip (a move, onto an existing key,
a swap, another spelling of the same address), of modified_on; UPDATE … FROM the staging table;
DELETE by key, IN list, range, vendor, subquery, all; SELECTs (lookups, ranges, aggregates, LIMIT,
self-join, join with the staging table) inside and outside transactions; BEGIN (all kinds) /
COMMIT / END / ROLLBACK; SAVEPOINT / RELEASE / ROLLBACK TO, nested, and opening the transaction;
writes through an AFTER INSERT trigger of another table; 100-260 rows at once; CREATE/DROP TABLE,
CREATE/DROP INDEX, ALTER TABLE … RENAME (the oracle is renamed alike), DROP TABLE t and CREATE it
again, inside transactions too; closing and reopening the database; rollback journal or WAL. The
addresses come from a pool of 12 (IPv4, IPv6, IPv4-mapped), so conflicts are frequent.

The oracle:

    CREATE TABLE t(
      origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL
                CHECK (ip_canonical(origin_ip) IS origin_ip COLLATE BINARY),
      vendor TEXT NOT NULL CHECK (vendor IN ('aws', 'azure', 'gcp', 'oci')),
      region TEXT NOT NULL CHECK (vendor || '/' || region IN (<supported pairs>)),
      modified_on TEXT CHECK (modified_on IS NULL)) WITHOUT ROWID

Where the virtual table's rules are not plain constraints, the oracle's statement text says them;
only there do the two statement texts differ:
- The virtual table canonicalizes IPs on write. The oracle's statements write
  `coalesce(ip_canonical(x), x)` wherever the virtual table's statement writes an IP x (a value that
  is no address stays as it is and fails the CHECK). The generator writes canonical IPs most of the
  time, other spellings ('2001:DB8::1', '::ffff:a00:1', ...) sometimes, invalid values rarely
  (prefixes, spaces, leading zeros, integers, blobs, NUL bytes, NULL).
- Vendor and region: the CHECK lists the pairs the virtual table accepts (the built-in list for a
  local table, the zone's list for an API table) among those the generator can write — every vendor
  with every region it ever names — which gives the same verdict as the whole list on every row
  and keeps the scripts readable. The oracle's database has them in a table `allowed(pair)` too.
- modified_on: the virtual table refuses writes to it; the oracle's is always NULL and its CHECK
  refuses anything else. The generator writes it rarely, and only values both must refuse (never
  NULL over a stored timestamp, which the virtual table rightly calls a write).
- OR IGNORE: SQLite skips a row that breaks a NOT NULL or CHECK constraint under OR IGNORE; the
  virtual table never drops an invalid row silently: it fails the statement with SQLITE_ERROR (as
  the README says). Under OR IGNORE the oracle's statement routes each row it writes through
  `CASE WHEN <row is valid> THEN x ELSE json('[' || quote(x)) END`: an invalid row raises SQLite's
  own "malformed JSON" error (SQLITE_ERROR), which aborts the statement as the virtual table does.
- The 3,500-mapping limit is not exercised (at most about 270 rows).
Not generated, because SQLite itself treats virtual tables differently there (nothing an extension
can change), or SQL leaves the outcome open:
- `INSERT … ON CONFLICT` (upsert: refused on virtual tables) and RETURNING (echoes the values given,
  not the canonical ones stored, and no modified_on).
- UPDATE OR REPLACE that changes origin_ip of several rows: SQLite computes a virtual table's new
  rows from the rows as they were before the statement, an ordinary table's from each row as it is
  when its turn comes, after REPLACE may have deleted or refilled it. Reproduction: rows
  ('10.0.0.1', aws) and ('10.0.0.2', gcp), then `UPDATE OR REPLACE t SET origin_ip = '10.0.0.2'
  WHERE origin_ip IN ('10.0.0.1', '10.0.0.2')`: an ordinary table keeps aws, a virtual table gcp.
- UPDATE OR FAIL … FROM: which rows precede the failing one depends on the join order.
- UPDATE … FROM with several staging rows for one target row: SQL leaves open which one is used
  (the staging batches have distinct addresses).

Targets (CFR_DIFF_TARGET): `local` (the main database), `local-temp` (`temp.t`), `local-attached`
(a table in an ATTACHed database), `api-v1` and `api-v2` (the fake Cloudflare API, started once
through test/support's Fake, with the tests' zone region list). A target is a Target subclass:
connect/reopen, create_sql(name), supported_pairs(), remote_state() (what must equal the oracle
after each COMMIT), and the generator features it cannot take part in.

Every sequence is deterministic per seed. On a divergence the test prints the seed, what differed
and a minimal reproduction — the sequence shrunk by dropping statements, rows of multi-row
statements and content checks while the same kind of divergence persists, never bringing in a
feature the profile leaves out — as one sqlite3 shell script per table, each statement followed by
what that side answered.

Environment variables:
  CFR_DIFF_SEQUENCES=N     sequences per profile (default: 300 in all for the local target)
  CFR_DIFF_SEED=S          base seed (default 1); or PROFILE:SEED to run that one sequence and print
                           its whole trace
  CFR_DIFF_PROFILES=a,b    run only these profiles (see PROFILES)
  CFR_DIFF_TARGET=T,U      local (default), local-temp, local-attached, api-v1, api-v2, or all
  CFR_DIFF_AVOID=f,g       generate no statements with these features, to look past known
                           divergences, e.g. nul,collate_binary,savepoint_begin,update_from_invalid,
                           ddl_in_txn,rename_in_txn,create_in_txn (and staging_spellings for API
                           tables)
  CFR_DIFF_IGNORE=a,b      do not compare these aspects (error, result, autocommit, contents,
                           "contents of u", "second connection's view", changes, total_changes,
                           remote); changes_outside_dml compares changes() only right after
                           INSERT, UPDATE and DELETE statements that ran
  CFR_DIFF_REPORT=N        divergent seeds shrunk and printed per profile (default 1)
  CFR_DIFF_SHRINK_SECONDS  time allowed to shrink each of them (default 4)
  CFR_DIFF_KEEP_GOING=1    run all sequences even after divergences (and count them)
  CFR_DIFF_STATS=1         print how often each kind of statement ran, and how it ended
Example, many sequences:
  CFR_DIFF_SEQUENCES=2000 CFR_DIFF_KEEP_GOING=1 /usr/bin/python3 test/test_differential.py build/cfregions.so
"""

import faulthandler
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest

from support import cases, fake as fake_support

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SQLITE_ERROR_NAMES = {1: "SQLITE_ERROR", 5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM",
                      8: "SQLITE_READONLY", 10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT",
                      19: "SQLITE_CONSTRAINT", 21: "SQLITE_MISUSE", 20: "SQLITE_MISMATCH"}

# ---------------------------------------------------------------------------------------------
# Values the generator draws from

IPS = ["10.0.0.1", "10.0.0.2", "10.0.0.10", "192.0.2.1", "198.51.100.7", "255.255.255.255",
       "::1", "2001:db8::1", "2001:db8::a", "2001:db8:0:1::1", "::ffff:10.0.0.1", "fe80::1"]

# Other spellings of some of them (checked against ip_canonical() when a run starts).
SPELLINGS = {
    "::1": ["0:0:0:0:0:0:0:1", "::0001", "0::1"],
    "2001:db8::1": ["2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8:0::1"],
    "2001:db8::a": ["2001:DB8::A", "2001:db8::000a"],
    "2001:db8:0:1::1": ["2001:DB8:0:1:0:0:0:1", "2001:db8:0:1:0::1"],
    "::ffff:10.0.0.1": ["::FFFF:10.0.0.1", "::ffff:a00:1", "0:0:0:0:0:ffff:10.0.0.1"],
    "fe80::1": ["FE80::1", "fe80:0:0:0:0:0:0:1"],
}

# SQL expressions that are no IP address, and the feature that guards them (None: always allowed).
BAD_IPS = [("'10.0.0.256'", None), ("'010.0.0.1'", None), ("'10.0.0.1/32'", None),
           ("' 10.0.0.1'", None), ("'fe80::1%eth0'", None), ("''", None), ("NULL", None),
           ("3221225985", None), ("X'0A000001'", None), ("CAST('10.0.0.1' AS BLOB)", None),
           ("'2001:db8::1::2'", None), ("'10.0.0.1' || char(0) || 'x'", "nul")]

PAIRS = [("aws", "us-east-1"), ("aws", "us-west-2"), ("aws", "eu-west-1"), ("gcp", "us-central1"),
         ("gcp", "europe-west1"), ("azure", "eastus"), ("azure", "westeurope"),
         ("oci", "us-ashburn-1"), ("oci", "eu-frankfurt-1")]

# Pairs that are invalid for the local store (wrong case, unknown, mismatched, NULL, not text, NUL).
BAD_PAIRS = [("'AWS'", "'us-east-1'", None), ("'ibm'", "'us-south'", None),
             ("'aws '", "'us-east-1'", None), ("NULL", "'us-east-1'", None),
             ("'aws'", "NULL", None), ("'aws'", "'us-central1'", None),
             ("'gcp'", "'US-CENTRAL1'", None), ("'azure'", "''", None), ("7", "'us-east-1'", None),
             ("CAST('aws' AS BLOB)", "'us-east-1'", None), ("'aws'", "'us-test-1'", None),
             ("'aws' || char(0) || 'junk'", "'us-east-1'", "nul"),
             ("'aws'", "'us-east-1' || char(0)", "nul")]

VENDORS = ["aws", "azure", "gcp", "oci"]
TIMESTAMP = "'2020-01-01T00:00:00Z'"


def q(text):
    return "'" + text.replace("'", "''") + "'"


def ipc(expr):
    """The oracle writes what the virtual table would store: the canonical form of an address."""
    return "coalesce(ip_canonical(%s), %s)" % (expr, expr)


def par(expr):
    """expr in parentheses unless it is a plain name or literal (-> and ->> bind like ||)."""
    return expr if re.fullmatch(r"'[^']*'|[A-Za-z_][A-Za-z_0-9.]*|[0-9]+", expr) else "(%s)" % expr


def candidate_pairs():
    """Every (vendor, region) of plain text the generator can write: each vendor with each region
    it ever names. The oracle's CHECK lists those the virtual table supports, which gives the same
    verdict as the whole list on every generated row and keeps the scripts readable."""
    regions = {r for _, r in PAIRS} | {"moon-1"}
    regions |= {r[1:-1] for _, r, _ in BAD_PAIRS if re.fullmatch(r"'[^']*'", r)}
    return {(v, r) for v in VENDORS for r in regions}


def guard(ip, vendor, region, modified_on, value):
    """Under OR IGNORE: value if the row (ip, vendor, region, modified_on) is valid, else an error
    (SQLITE_ERROR, "malformed JSON") that aborts the statement as the virtual table does."""
    ip, vendor, region, modified_on = par(ip), par(vendor), par(region), par(modified_on)
    return ("CASE WHEN ip_canonical(%s) IS NOT NULL AND %s IN ('aws', 'azure', 'gcp', 'oci') "
            "AND (%s || '/' || %s) IN (SELECT pair FROM allowed) AND %s IS NULL "
            "THEN %s ELSE json('[' || quote(%s)) END"
            % (ip, vendor, vendor, region, modified_on, value, ip))


# ---------------------------------------------------------------------------------------------
# Statements

class Stmt:
    """One statement, as text for the virtual table's database (vt) and the oracle's (orc).

    kind: what it is ('insert', 'update', 'delete', 'select', 'begin', ..., 'reopen', 'create');
    'reopen' and 'create' are carried out by the targets. check: compare the tables' contents after
    it. rows/build: a multi-row statement keeps its rows and a function that renders a subset, so
    that shrinking can drop rows."""

    def __init__(self, kind, vt=None, orc=None, check=True, rows=None, build=None, table=None):
        self.kind, self.vt, self.orc, self.check = kind, vt, orc if orc is not None else vt, check
        self.rows, self.build, self.table = rows, build, table

    def copy(self, **changes):
        stmt = Stmt(self.kind, self.vt, self.orc, self.check, self.rows, self.build, self.table)
        stmt.__dict__.update(changes)
        return stmt

    def with_rows(self, rows):
        vt, orc = self.build(rows)
        return self.copy(vt=vt, orc=orc, rows=rows)

    def with_check(self, check):
        return self.copy(check=check)

    def label(self):
        if self.kind == "reopen":
            return "(close and reopen the database)"
        if self.kind == "create":
            return "(CREATE the table %s again)" % self.table
        return self.vt


class Gen:
    """Generates one sequence from a seed, tracking roughly what state its statements lead to
    (transaction open, savepoints, the table's name); statements that fail on both sides because
    the estimate was wrong do no harm."""

    def __init__(self, seed, features):
        self.r = random.Random(seed)
        self.f = features
        self.name = "t"
        self.in_txn = False
        self.savepoints = []
        self.sp_counter = 0
        self.x_exists = False
        self.table_exists = True

    # ---- values
    def chance(self, p):
        return self.r.random() < p

    def ip(self, bad_rate=0.06):
        x = self.r.random()
        if x < bad_rate and "invalid" in self.f:
            return self.r.choice([e for e, feat in BAD_IPS if feat is None or feat in self.f])
        if x < 0.22:
            return q(self.r.choice(self.r.choice(list(SPELLINGS.values()))))
        return q(self.r.choice(IPS))

    def pair(self, bad_rate=0.06):
        if self.chance(bad_rate) and "invalid" in self.f:
            v, r, _ = self.r.choice([p for p in BAD_PAIRS if p[2] is None or p[2] in self.f])
            return v, r
        v, r = self.r.choice(PAIRS)
        return q(v), q(r)

    def where(self, allow_all=True):
        r = self.r
        choices = [
            (14, lambda: "origin_ip = %s" % self.ip()),
            (6, lambda: "origin_ip IN (%s)" % ", ".join(self.ip() for _ in range(r.randint(1, 4)))),
            (4, lambda: "origin_ip %s %s" % (r.choice(["<", "<=", ">", ">="]), self.ip(0))),
            (2, lambda: "origin_ip BETWEEN %s AND %s" % (self.ip(0), self.ip(0))),
            (4, lambda: "vendor = %s" % q(r.choice(VENDORS))),
            (2, lambda: "vendor IN ('aws', 'gcp') AND region LIKE 'us-%'"),
            (2, lambda: "ipfamily(origin_ip) = %d" % r.choice([4, 6])),
            (2, lambda: "ipcontains('10.0.0.0/8', origin_ip)"),
            (2, lambda: "origin_ip IN (SELECT ip FROM staging WHERE batch = %d)" % r.randint(1, 4)),
            (1, lambda: "origin_ip IN (SELECT origin_ip FROM %s WHERE vendor = %s)"
             % (self.name, q(r.choice(VENDORS)))),
            (1, lambda: "origin_ip LIKE '10.%'"),
            (2, lambda: "origin_ip = %s OR vendor = %s" % (self.ip(), q(r.choice(VENDORS)))),
            (1, lambda: "origin_ip = %s AND origin_ip = %s" % (self.ip(0), self.ip(0))),
            (1, lambda: "0"),
        ]
        if allow_all:
            choices.append((3, lambda: "1"))
        if "collate_binary" in self.f:
            choices.append((2, lambda: "origin_ip = %s COLLATE BINARY" % self.ip(0)))
        return self.weighted(choices)()

    def weighted(self, choices):
        total = sum(w for w, _ in choices)
        x = self.r.uniform(0, total)
        for w, item in choices:
            x -= w
            if x <= 0:
                return item
        return choices[-1][1]

    def conflict(self):
        return self.weighted([(10, ""), (3, " OR REPLACE"), (3, " OR IGNORE"), (2, " OR FAIL"),
                              (1, " OR ABORT"), (1, " OR ROLLBACK")])

    # ---- writes
    def insert_values(self):
        conflict = self.conflict()
        if self.chance(0.01):
            # Every column NULL: refused by both (not under OR IGNORE: there is no value to guard).
            return Stmt("insert", "INSERT%s INTO %s DEFAULT VALUES" % (self.no_ignore(conflict), self.name))
        verb = "REPLACE" if conflict == " OR REPLACE" and self.chance(0.4) else "INSERT" + conflict
        ignore = conflict == " OR IGNORE"
        layout = self.weighted([(10, ("origin_ip", "vendor", "region")),
                                (2, ("vendor", "region", "origin_ip")),
                                (2, None),  # no column list: all four columns
                                (1, ("origin_ip", "vendor"))])  # region left NULL
        nrows = self.weighted([(6, 1), (3, 2), (2, 3), (1, 5)])
        rows = []
        for _ in range(nrows):
            v, reg = self.pair()
            mod = TIMESTAMP if "modified_on" in self.f and self.chance(0.03) else "NULL"
            rows.append({"origin_ip": self.ip(), "vendor": v, "region": reg, "modified_on": mod})
        name = self.name

        def build(rows_):
            cols = layout or ("origin_ip", "vendor", "region", "modified_on")
            head = "%s INTO %s%s VALUES " % (verb, name, "(%s)" % ", ".join(layout) if layout else "")

            def cell(row, col, oracle):
                e = row[col]
                if not oracle:
                    return e
                if ignore and col == cols[0]:
                    return guard(row["origin_ip"], row["vendor"] if "vendor" in cols else "NULL",
                                 row["region"] if "region" in cols else "NULL",
                                 row["modified_on"] if "modified_on" in cols else "NULL",
                                 ipc(e) if col == "origin_ip" else e)
                return ipc(e) if col == "origin_ip" else e
            def values(oracle):
                return ", ".join("(%s)" % ", ".join(cell(row, c, oracle) for c in cols) for row in rows_)
            return head + values(False), head + values(True)
        vt, orc = build(rows)
        return Stmt("insert", vt, orc, rows=rows, build=build)

    def insert_select(self):
        r = self.r
        conflict = self.conflict()
        ignore = conflict == " OR IGNORE"
        head = "INSERT%s INTO %s(origin_ip, vendor, region) " % (conflict, self.name)
        kind = self.weighted([(4, "staging"), (3, "json"), (2, "self")])

        def sel(ip, v, reg, oracle, tail):
            if not oracle:
                return "SELECT %s, %s, %s %s" % (ip, v, reg, tail)
            first = guard(ip, v, reg, "NULL", ipc(ip)) if ignore else ipc(ip)
            return "SELECT %s, %s, %s %s" % (first, v, reg, tail)
        if kind == "staging":
            tail = "FROM staging WHERE batch = %d ORDER BY id" % r.randint(1, 4)
            return Stmt("insert_select", head + sel("ip", "vendor", "region", False, tail),
                        head + sel("ip", "vendor", "region", True, tail))
        if kind == "json":
            rows = []
            for _ in range(r.randint(1, 5)):
                if self.chance(0.08) and "invalid" in self.f:
                    bad = r.choice([["10.0.0.256", "aws", "us-east-1"], ["10.0.0.3", "aws", None],
                                    ["10.0.0.3", "aws", "moon-1"], [None, "gcp", "us-central1"]])
                    rows.append(bad)
                else:
                    v, reg = r.choice(PAIRS)
                    rows.append([json.loads('"%s"' % self.ip(0)[1:-1]), v, reg])

            def build(rows_):
                tail = "FROM json_each(%s)" % q(json.dumps(rows_))
                return (head + sel("value ->> 0", "value ->> 1", "value ->> 2", False, tail),
                        head + sel("value ->> 0", "value ->> 1", "value ->> 2", True, tail))
            vt, orc = build(rows)
            return Stmt("insert_select", vt, orc, rows=rows, build=build)
        # From the table itself: copy a mapping to another address, or rewrite every mapping.
        if self.chance(0.5):
            v, reg = self.pair(0.03)
            tail = "FROM %s WHERE %s" % (self.name, self.where())
            return Stmt("insert_select", head + sel("origin_ip", v, reg, False, tail),
                        head + sel("origin_ip", v, reg, True, tail))
        tail = "FROM %s WHERE origin_ip = %s" % (self.name, self.ip(0))
        ip = self.ip()
        return Stmt("insert_select", head + sel(ip, "vendor", "region", False, tail),
                    head + sel(ip, "vendor", "region", True, tail))

    def update(self):
        r = self.r
        conflict = self.conflict()
        shape = self.weighted([(6, "pair"), (3, "region"), (4, "move"), (1, "swap"),
                               (1, "modified_on"), (1, "noop"), (1, "respell")])
        sets = {}
        where = None
        if shape == "pair":
            sets["vendor"], sets["region"] = self.pair()
        elif shape == "region":
            sets["region"] = self.pair()[1]
        elif shape == "move":
            sets["origin_ip"] = self.ip()
            if self.chance(0.8):
                where = "origin_ip = %s" % self.ip(0)
            else:
                where = self.where()
                conflict = self.no_replace(conflict)
            if self.chance(0.3):
                sets["vendor"], sets["region"] = self.pair(0.03)
        elif shape == "swap":
            conflict = self.no_replace(conflict)
            a, b = self.ip(0), self.ip(0)
            sets["origin_ip"] = "CASE origin_ip WHEN %s THEN %s WHEN %s THEN %s ELSE origin_ip END" % (
                a, b, b, a)
            where = "origin_ip IN (%s, %s)" % (a, b)
        elif shape == "modified_on":
            if "modified_on" not in self.f:
                sets["region"] = "region"
            else:
                sets["modified_on"] = TIMESTAMP
        elif shape == "respell":  # another spelling of the same address: no move
            sets["origin_ip"] = "upper(origin_ip)"
        else:  # a column given back its own value
            col = r.choice(["vendor", "region", "origin_ip"])
            sets[col] = col
        if where is None:
            where = self.where()
        return self._update_stmt("update", conflict, conflict == " OR IGNORE", sets, "", where)

    def no_replace(self, conflict):
        """UPDATE OR REPLACE that moves several rows: SQLite computes a virtual table's new rows
        from the rows as they were before the statement, an ordinary table's from each row as it
        is when its turn comes (after REPLACE may have deleted or refilled it). SQL leaves this
        open (OR REPLACE is SQLite's), so such statements are not generated."""
        if conflict != " OR REPLACE":
            return conflict
        return self.r.choice(["", " OR IGNORE", " OR FAIL", " OR ABORT"])

    def no_ignore(self, conflict):
        if conflict != " OR IGNORE":
            return conflict
        return self.r.choice(["", " OR FAIL", " OR ABORT"])

    def _update_stmt(self, kind, conflict, ignore, sets, from_, where, table=None, ignore_ok=False):
        if ignore_ok:
            ignore = conflict == " OR IGNORE"
        head = "UPDATE%s %s SET " % (conflict, table or self.name)

        def assignments(oracle):
            out = []
            for i, (col, e) in enumerate(sets.items()):
                val = ipc(e) if oracle and col == "origin_ip" else e
                if oracle and ignore and i == 0:
                    val = guard(sets.get("origin_ip", "origin_ip"), sets.get("vendor", "vendor"),
                                sets.get("region", "region"), sets.get("modified_on", "modified_on"),
                                val)
                out.append("%s = %s" % (col, val))
            return ", ".join(out)
        tail = "%s WHERE %s" % (from_, where)
        return Stmt(kind, head + assignments(False) + tail, head + assignments(True) + tail)

    def update_from(self):
        # Not OR FAIL: which rows precede a failing one depends on the join order (left open by SQL).
        conflict = self.weighted([(10, ""), (2, " OR REPLACE"), (2, " OR IGNORE"), (1, " OR ROLLBACK")])
        batch = self.r.choice([1, 2, 3, 4] if "update_from_invalid" in self.f else [1, 2])
        sets = {"vendor": "s.vendor", "region": "s.region"}
        where = "s.batch = %d AND %s.origin_ip = s.ip" % (batch, self.name)
        return self._update_stmt("update_from", conflict, conflict == " OR IGNORE", sets,
                                 " FROM staging AS s", where)

    def delete(self):
        if self.chance(0.08):
            return Stmt("delete", "DELETE FROM %s" % self.name)
        return Stmt("delete", "DELETE FROM %s WHERE %s" % (self.name, self.where()))

    def select(self):
        n = self.name
        r = self.r
        sql = self.weighted([
            (6, lambda: "SELECT origin_ip, vendor, region FROM %s WHERE %s ORDER BY origin_ip"
             % (n, self.where())),
            (3, lambda: "SELECT count(*), min(origin_ip), max(origin_ip) FROM %s" % n),
            (2, lambda: "SELECT vendor, count(*) FROM %s GROUP BY vendor ORDER BY vendor" % n),
            (2, lambda: "SELECT origin_ip FROM %s ORDER BY origin_ip DESC LIMIT %d OFFSET %d"
             % (n, r.randint(1, 3), r.randint(0, 2))),
            (1, lambda: "SELECT a.origin_ip, b.origin_ip FROM %s AS a JOIN %s AS b "
             "ON a.vendor = b.vendor AND a.origin_ip < b.origin_ip ORDER BY 1, 2" % (n, n)),
            (2, lambda: "SELECT s.id, %s.vendor, %s.region FROM staging AS s LEFT JOIN %s "
             "ON %s.origin_ip = s.ip WHERE s.batch = %d ORDER BY s.id" % (n, n, n, n, r.randint(1, 4))),
            (2, lambda: "SELECT origin_ip, vendor FROM %s WHERE origin_ip IN (%s) ORDER BY 1"
             % (n, ", ".join(self.ip() for _ in range(3)))),
        ])()
        return Stmt("select", sql)

    def feed(self):
        """INSERT into the ordinary table feed, whose AFTER INSERT trigger writes each row to the
        table (the trigger's INSERT takes the outer statement's conflict clause; not OR IGNORE,
        whose guard the oracle's trigger cannot know about)."""
        conflict = self.no_ignore(self.conflict())
        rows = []
        for _ in range(self.weighted([(5, 1), (3, 2), (2, 3)])):
            v, reg = self.pair()
            rows.append("(%s, %s, %s)" % (self.ip(), v, reg))

        def build(rows_):
            sql = "INSERT%s INTO feed(ip, vendor, region) VALUES %s" % (conflict, ", ".join(rows_))
            return sql, sql
        vt, orc = build(rows)
        return Stmt("feed", vt, orc, rows=rows, build=build)

    def bulk(self):
        """100-260 mappings in 10.1.0.0/16 in one statement (more than one batch of 100), or a
        statement that changes or deletes them all."""
        r = self.r
        n = r.randint(100, 260)
        v, reg = r.choice(PAIRS)
        what = self.weighted([(4, "insert"), (2, "update"), (2, "delete")])
        if what == "update":
            v, reg = self.pair(0.02)
            return self._update_stmt("update", self.no_replace(self.conflict()), False,
                                     {"vendor": v, "region": reg}, "",
                                     "ipcontains('10.1.0.0/16', origin_ip)", ignore_ok=True)
        if what == "delete":
            return Stmt("delete", "DELETE FROM %s WHERE ipcontains('10.1.0.0/16', origin_ip)%s"
                        % (self.name, r.choice(["", " AND origin_ip > '10.1.0.%d'" % r.randint(0, 200)])))
        conflict = self.weighted([(3, ""), (3, " OR REPLACE"), (2, " OR IGNORE"), (1, " OR FAIL")])
        ip = "'10.1.' || (i / 256) || '.' || (i % 256)"
        start = r.randint(0, 120)

        def text(oracle):
            first = ipc(ip) if oracle else ip
            if oracle and conflict == " OR IGNORE":
                first = guard(ip, q(v), q(reg), "NULL", ipc(ip))
            return ("WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
                    "INSERT%s INTO %s(origin_ip, vendor, region) SELECT %s, %s, %s FROM n"
                    % (start, start + n - 1, conflict, self.name, first, q(v), q(reg)))
        return Stmt("bulk", text(False), text(True))

    def second(self):
        """Writes to a second table u in the same transactions."""
        what = self.weighted([(3, "copy"), (2, "delete"), (2, "update"), (2, "insert")])
        if what == "copy":
            sql = ("INSERT OR REPLACE INTO u(origin_ip, vendor, region) SELECT origin_ip, vendor, region "
                   "FROM %s WHERE %s" % (self.name, self.where()))
            return Stmt("second", sql, sql.replace("SELECT origin_ip,", "SELECT %s," % ipc("origin_ip")))
        if what == "delete":
            return Stmt("second", "DELETE FROM u WHERE %s" % self.where())
        if what == "update":
            v, reg = self.pair()
            stmt = self._update_stmt("second", self.no_ignore(self.conflict()), False,
                                     {"vendor": v, "region": reg}, "", self.where(), table="u")
            return stmt
        v, reg = self.pair()
        head = "INSERT%s INTO u(origin_ip, vendor, region) VALUES " % self.no_ignore(self.conflict())
        ip = self.ip()
        return Stmt("second", head + "(%s, %s, %s)" % (ip, v, reg), head + "(%s, %s, %s)" % (ipc(ip), v, reg))

    def drop(self):
        self.table_exists = False
        return Stmt("drop", "DROP TABLE %s" % self.name)

    def create(self):
        self.table_exists = True
        return Stmt("create", table=self.name)

    # ---- transactions, DDL, reopen
    def savepoint(self):
        self.sp_counter += 1
        name = "sp%d" % self.sp_counter
        if self.in_txn is None:
            self.savepoints_unknown = True
        self.savepoints.append(name)
        self.in_txn = True
        return Stmt("savepoint", "SAVEPOINT %s" % name)

    def end_savepoint(self):
        i = self.r.randrange(len(self.savepoints))
        name = self.savepoints[i]
        if self.chance(0.5):
            del self.savepoints[i:]
            if not self.savepoints and not self.explicit_begin:
                self.in_txn = False
            return Stmt("release", "RELEASE %s" % name)
        del self.savepoints[i + 1:]
        return Stmt("rollback_to", "ROLLBACK TO %s" % name)

    def ddl(self):
        r = self.r
        if self.x_exists and self.chance(0.6):
            self.x_exists = False
            return Stmt("ddl", "DROP TABLE x")
        if not self.x_exists and self.chance(0.7):
            self.x_exists = True
            return Stmt("ddl", "CREATE TABLE x(a)")
        return Stmt("ddl", r.choice(["CREATE INDEX IF NOT EXISTS staging_ip ON staging(ip)",
                                     "DROP INDEX IF EXISTS staging_ip",
                                     "CREATE TABLE IF NOT EXISTS x(a)", "DROP TABLE IF EXISTS x"]))

    def rename(self):
        new = "t2" if self.name == "t" else "t"
        stmt = Stmt("rename", "ALTER TABLE %s RENAME TO %s" % (self.name, new))
        self.name = new
        return stmt

    def statement(self):
        """The next statement. self.in_txn is True, False, or None (unknown: an OR ROLLBACK
        statement ran inside the transaction, and whether it failed is not known here). Statements
        whose meaning depends on it (a SAVEPOINT that would open a transaction, DDL inside one)
        wait until a BEGIN, COMMIT or ROLLBACK settles it, unless the profile has those features;
        a BEGIN or COMMIT that then fails does so alike on both sides."""
        f = self.f
        choices = [(12, self.insert_values), (4, self.insert_select), (9, self.update),
                   (5, self.delete), (3, self.select)]
        if "update_from" in f:
            choices.append((3, self.update_from))
        if "reopen" in f:
            choices.append((1, self.reopen))
        if "ddl" in f and (self.in_txn is False or "ddl_in_txn" in f):
            choices.append((2, self.ddl))
        if "rename" in f and (self.in_txn is False or "rename_in_txn" in f):
            choices.append((1, self.rename))
        # DROP TABLE t inside a savepoint is refused while t has writes pending (README, "Known
        # limits"): the generator leaves it out there.
        if "drop_table" in f and (self.in_txn is False or "create_in_txn" in f):
            if not self.table_exists:
                choices.append((10, self.create))
            elif not self.savepoints and self.in_txn is not None and not self.savepoints_unknown:
                choices.append((1, self.drop))
        if "trigger" in f:
            choices.append((3, self.feed))
        if "bulk" in f:
            choices.append((1, self.bulk))
        if "second_table" in f:
            choices.append((4, self.second))
        if self.in_txn is not True:
            if "txn" in f:
                choices.append((8, self.begin))
            if "savepoint_begin" in f:
                choices.append((3, self.savepoint))
        if self.in_txn is not False:
            choices.append((4, self.select))
            if "txn" in f:
                choices.append((4, self.commit))
                choices.append((3, self.rollback))
        if self.in_txn is True and "savepoint" in f:
            choices.append((5, self.savepoint))
            if self.savepoints:
                choices.append((9, self.end_savepoint))
        stmt = self.weighted(choices)()
        if " OR ROLLBACK " in (stmt.vt or "") and self.in_txn is not False:
            self.in_txn, self.explicit_begin, self.savepoints = None, False, []
        return stmt

    explicit_begin = False
    savepoints_unknown = False  # after OR ROLLBACK: savepoints may still be open

    def begin(self):
        # After an OR ROLLBACK that may not have rolled back, this BEGIN may fail inside the
        # transaction still open: its savepoints are then unknown until it ends.
        self.savepoints_unknown = self.in_txn is None
        self.in_txn, self.explicit_begin, self.savepoints = True, True, []
        return Stmt("begin", self.r.choice(["BEGIN", "BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED",
                                            "BEGIN EXCLUSIVE"]))

    def commit(self):
        self.savepoints_unknown = False
        self.in_txn, self.explicit_begin, self.savepoints = False, False, []
        return Stmt("commit", self.r.choice(["COMMIT", "COMMIT", "END"]))

    def rollback(self):
        self.savepoints_unknown = False
        self.in_txn, self.explicit_begin, self.savepoints = False, False, []
        return Stmt("rollback", "ROLLBACK")

    def reopen(self):
        self.savepoints_unknown = False
        self.in_txn, self.explicit_begin, self.savepoints = False, False, []
        return Stmt("reopen")

    def sequence(self):
        """A few valid mappings first, then 10..40 statements, ending outside any transaction."""
        self.journal = "delete"
        if "journal" in self.f:
            self.journal = self.weighted([(6, "delete"), (3, "wal"), (1, "truncate"), (1, "memory")])
        seed_rows = []
        for ip in self.r.sample(IPS, self.r.randint(2, 6)):
            v, reg = self.r.choice(PAIRS)
            seed_rows.append("(%s, %s, %s)" % (q(ip), q(v), q(reg)))
        out = [Stmt("insert", "INSERT INTO t(origin_ip, vendor, region) VALUES " + ", ".join(seed_rows))]
        for _ in range(self.r.randint(10, 40)):
            out.append(self.statement())
        if self.in_txn is not False:
            out.append(self.commit() if self.chance(0.7) else self.rollback())
        check_every = "sparse_checks" not in self.f or self.chance(0.5)
        for i, s in enumerate(out):
            s.check = (check_every or s.kind in ("commit", "rollback", "release", "reopen")
                       or i == len(out) - 1)
        return out

    def staging(self):
        """The staging table's rows: batches 1-2 valid, batch 3 (and most often 4) with an invalid
        row part-way; IPs distinct within a batch (so that UPDATE … FROM matches each target row
        once), sometimes spelled otherwise."""
        rows = []
        for batch in (1, 2, 3, 4):
            ips = self.r.sample(IPS, self.r.randint(2, 5))
            for k, ip in enumerate(ips):
                spelled = ip
                if self.chance(0.25) and "staging_spellings" in self.f:
                    spelled = self.r.choice(SPELLINGS.get(ip, [ip]))
                v, reg = self.r.choice(PAIRS)
                v, reg = q(v), q(reg)
                if batch >= 3 and k == len(ips) // 2 + (batch == 4):
                    v, reg, _ = self.r.choice([p for p in BAD_PAIRS if p[2] is None or p[2] in self.f])
                rows.append("(%d, %s, %s, %s)" % (batch, q(spelled), v, reg))
        return rows


# ---------------------------------------------------------------------------------------------
# Targets: the two sides of a comparison

class Target:
    """One side of a comparison: a database file in the sequence's directory, one connection to
    it (extension loaded), and the table `t` in schema `schema`. A new kind of table to compare
    is a subclass: its create_sql(), supported_pairs(), and what it cannot take part in."""

    label = "?"
    remote = False
    schema = "main"
    unsupported = frozenset()  # generator features that make no sense for this target

    def __init__(self, directory, filename, journal="delete"):
        self.dir = directory
        self.filename = filename
        self.path = os.path.join(directory, filename)
        self.journal = journal
        self.conn = None

    def open_statements(self):
        """Run after every connect (and so after every reopen)."""
        return ["PRAGMA synchronous = OFF", "PRAGMA journal_mode = %s" % self.journal]

    def attach_statements(self):
        """What a second connection needs to see the table (an ATTACH)."""
        return []

    def _open(self, statements, timeout=5.0):
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
        conn.enable_load_extension(True)
        conn.load_extension(cases.so_path())
        conn.enable_load_extension(False)
        for sql in statements:
            conn.execute(sql).fetchall()
        return conn

    def connect(self):
        self.conn = self._open(self.open_statements())
        return self.conn

    def reopen(self):
        self.conn.close()
        return self.connect()

    reader_conn = None

    def reader(self):
        """A second connection to the same file (no busy wait), for what other connections see."""
        if self.reader_conn is None:
            self.reader_conn = self._open(self.attach_statements(), timeout=0)
        return self.reader_conn

    def close(self):
        for conn in (self.conn, self.reader_conn):
            if conn:
                conn.close()
        self.conn = self.reader_conn = None

    def create_sql(self, name):
        raise NotImplementedError

    def setup(self, staging, features):
        """Statements that set up the database before the sequence."""
        out = ["CREATE TABLE staging(id INTEGER PRIMARY KEY, batch INTEGER, ip, vendor, region)"]
        if staging:
            out.append("INSERT INTO staging(batch, ip, vendor, region) VALUES " + ", ".join(staging))
        out.append(self.create_sql("t"))
        if "second_table" in features:
            out.append(self.create_sql("u"))
        if "trigger" in features:
            out += ["CREATE TABLE feed(ip, vendor, region)",
                    "CREATE TRIGGER feed_to_t AFTER INSERT ON feed BEGIN INSERT INTO t(origin_ip, vendor, "
                    "region) VALUES (%s, new.vendor, new.region); END" % self.feed_ip()]
        return out

    def feed_ip(self):
        return "new.ip"

    def table_name(self):
        """The table's current name: t, or t2 after a rename (None when dropped)."""
        names = {r[0] for r in self.conn.execute(
            "SELECT name FROM \"%s\".sqlite_schema WHERE name IN ('t', 't2') AND type = 'table'"
            % self.schema)}
        return "t" if "t" in names else ("t2" if "t2" in names else None)

    def contents(self, conn=None):
        """(table name, its rows in address order); rows is a text when they cannot be read."""
        name = self.table_name()
        if name is None:
            return None, "no table"
        return name, self.rows(name, conn)

    def rows(self, name, conn=None):
        try:
            return (conn or self.conn).execute(
                "SELECT origin_ip, vendor, region FROM %s ORDER BY origin_ip" % name).fetchall()
        except sqlite3.Error as e:
            return "error %s: %s" % (code_name(e), e)

    def remote_state(self, name="t"):
        """The table's contents as its remote store holds them (None: no remote store)."""
        return None

    def script_notes(self):
        return []


class OracleTarget(Target):
    label = "ordinary table"

    def __init__(self, directory, pairs, journal):
        super().__init__(directory, "oracle.db", journal)
        self.pairs = sorted(pairs)

    def create_sql(self, name):
        pairs = ", ".join(q("%s/%s" % p) for p in self.pairs)
        return ("CREATE TABLE %s(origin_ip TEXT COLLATE ip PRIMARY KEY NOT NULL "
                "CHECK (ip_canonical(origin_ip) IS origin_ip COLLATE BINARY), "
                "vendor TEXT NOT NULL CHECK (vendor IN ('aws', 'azure', 'gcp', 'oci')), "
                "region TEXT NOT NULL CHECK (vendor || '/' || region IN (%s)), "
                "modified_on TEXT CHECK (modified_on IS NULL)) WITHOUT ROWID" % (name, pairs))

    def setup(self, staging, features):
        # Its own table first: both sides then start with the same changes() (the staging rows).
        return ["CREATE TABLE allowed(pair TEXT PRIMARY KEY)",
                "INSERT INTO allowed VALUES " + ", ".join("(%s)" % q("%s/%s" % p) for p in self.pairs)
                ] + super().setup(staging, features)

    def feed_ip(self):
        return ipc("new.ip")


class LocalTarget(Target):
    """A local table in the main database (schema=None), in temp, or in an attached database."""

    def __init__(self, directory, journal, schema="main"):
        super().__init__(directory, "vtab.db", journal)
        self.schema = schema
        self.key = {"main": "local", "temp": "local-temp", "aux": "local-attached"}[schema]
        self.label = {"main": "local virtual table", "temp": "local virtual table in temp",
                      "aux": "local virtual table in an attached database"}[schema]
        if schema == "temp":
            # The temp schema does not outlive its connection, the ordinary table does, nor can
            # another connection see it; triggers of main cannot reach other schemas.
            self.unsupported = frozenset({"reopen", "trigger", "reader"})
        elif schema == "aux":
            self.unsupported = frozenset({"trigger"})

    def open_statements(self):
        out = super().open_statements() + self.attach_statements()
        if self.schema == "aux":
            out.append("PRAGMA aux.journal_mode = %s" % self.journal)
        return out

    def attach_statements(self):
        if self.schema != "aux":
            return []
        return ["ATTACH %s AS aux" % q(os.path.join(self.dir, "vtab-aux.db"))]

    def create_sql(self, name):
        prefix = "" if self.schema == "main" else self.schema + "."
        return "CREATE VIRTUAL TABLE %s%s USING origin_cloud_regions(store='local')" % (prefix, name)

    def supported_pairs(self):
        return self.conn.execute("SELECT vendor, region FROM supported_regions").fetchall()


class ApiTarget(Target):
    """An API table in front of the fake Cloudflare API (test/fake_cloudflare.py, started through
    test/support's Fake, with the zone region list the tests use). One fake serves the whole run;
    each sequence starts from an empty zone. The zone must equal the oracle's contents whenever no
    transaction is open."""

    remote = True
    fake = None
    module = None
    # DROP TABLE leaves the zone's mappings in place (by design); API tables are DIRECTONLY, so no
    # trigger may write them.
    # The zone's state is compared after every COMMIT instead of a second connection's view.
    unsupported = frozenset({"drop_table", "trigger", "reader"})

    def __init__(self, directory, journal, api):
        super().__init__(directory, "vtab.db", journal)
        self.api = api
        self.label = "API table (%s)" % api
        self.key = "api-" + api

    @classmethod
    def ensure_fake(cls):
        if cls.fake is None:
            cls.module = fake_support
            for k in [k for k in os.environ if k.startswith("CLOUDFLARE_")]:
                del os.environ[k]
            cls.fake = fake_support.Fake()
            os.environ["CLOUDFLARE_API_TOKEN"] = fake_support.TOKEN
            os.environ["CLOUDFLARE_BASE_URL"] = cls.fake.api_url
        return cls.fake

    @classmethod
    def stop_fake(cls):
        if cls.fake is not None:
            cls.fake.stop()
            cls.fake = None

    def connect(self):
        self.ensure_fake()
        return super().connect()

    def zone(self, name):
        """t (or t2) is the test zone; the second table u another zone."""
        return self.module.OTHER_ZONE if name == "u" else self.module.ZONE

    def create_sql(self, name):
        return ("CREATE VIRTUAL TABLE %s USING origin_cloud_regions(zone_id='%s', api='%s')"
                % (name, self.zone(name), self.api))

    def supported_pairs(self):
        return [(v, r["name"]) for v, regions in self.fake.regions["vendors"].items() for r in regions]

    def remote_state(self, name="t"):
        return self.fake.state(self.zone(name))

    def script_notes(self):
        return ["-- Needs the fake API with test/support/fake.py's zone region list and an empty zone:",
                "--   python3 test/fake_cloudflare.py --port 0 --port-file PORT --regions REGIONS.json",
                "--   export CLOUDFLARE_BASE_URL=http://127.0.0.1:$(cat PORT)/client/v4 "
                "CLOUDFLARE_API_TOKEN=test-token"]


TARGETS = {
    "local": lambda d, j: LocalTarget(d, j),
    "local-temp": lambda d, j: LocalTarget(d, j, "temp"),
    "local-attached": lambda d, j: LocalTarget(d, j, "aux"),
    "api-v1": lambda d, j: ApiTarget(d, j, "v1"),
    "api-v2": lambda d, j: ApiTarget(d, j, "v2"),
}
TARGET_LABELS = {"local": "local virtual table", "local-temp": "local virtual table in temp",
                 "local-attached": "local virtual table in an attached database",
                 "api-v1": "API table (v1)", "api-v2": "API table (v2)"}
TARGET_UNSUPPORTED = {"local": frozenset(), "local-temp": frozenset({"reopen", "trigger", "reader"}),
                      "local-attached": frozenset({"trigger"}),
                      "api-v1": ApiTarget.unsupported, "api-v2": ApiTarget.unsupported}


def code_name(e):
    code = getattr(e, "sqlite_errorcode", None)
    if code is None:
        return "SQLITE_?"
    return SQLITE_ERROR_NAMES.get(code & 0xff, "SQLITE_%d" % (code & 0xff))


# ---------------------------------------------------------------------------------------------
# Running a sequence on both sides

DML = ("insert", "insert_select", "update", "update_from", "delete", "feed", "bulk", "second")


class Outcome:
    """What one side answered to one statement."""

    def __init__(self):
        self.error = None       # primary error name, e.g. SQLITE_CONSTRAINT
        self.message = None
        self.rows = None        # a SELECT's rows
        self.changes = None
        self.total_delta = None
        self.in_txn = None
        self.table = None       # the table's name when its contents were read
        self.contents = None
        self.second = None      # the second table's rows (when the sequence has one)
        self.reader = None      # what a second connection sees
        self.remote = None

    def describe(self):
        parts = ["error %s: %s" % (self.error, self.message) if self.error else "ok"]
        if self.rows is not None:
            parts.append("rows %r" % (self.rows,))
        parts.append("changes() %s, total_changes() +%s" % (self.changes, self.total_delta))
        if self.in_txn:
            parts.append("transaction open")
        return "; ".join(parts)


class Divergence:
    def __init__(self, index, stmt, aspect, vt_value, orc_value):
        self.index, self.stmt, self.aspect = index, stmt, aspect
        self.vt_value, self.orc_value = vt_value, orc_value

    @property
    def signature(self):
        return (self.aspect, self.stmt.kind)


class Sequence:
    """A generated test case: the staging rows, the statements, the features the profile allows,
    and the journal mode of both databases."""

    def __init__(self, staging, stmts, features, journal):
        self.staging, self.stmts, self.features, self.journal = staging, stmts, features, journal

    def with_stmts(self, stmts):
        return Sequence(self.staging, stmts, self.features, self.journal)


class Pair:
    """The virtual table's side and the oracle's side of one sequence."""

    def __init__(self, target_key, directory, seq):
        self.vt = TARGETS[target_key](directory, seq.journal)
        self.vt.connect()
        if self.vt.remote:
            self.vt.fake.reset()
        pairs = candidate_pairs() & set(self.vt.supported_pairs())
        self.orc = OracleTarget(directory, pairs, seq.journal)
        self.orc.connect()
        self.vt_setup = self.vt.setup(seq.staging, seq.features)
        self.orc_setup = self.orc.setup(seq.staging, seq.features)
        for side, setup in ((self.vt, self.vt_setup), (self.orc, self.orc_setup)):
            for sql in setup:
                side.conn.execute(sql)
        self.totals = {id(self.vt): self.total(self.vt), id(self.orc): self.total(self.orc)}
        self.used = set()
        self.features = seq.features
        if "reader" in seq.features:  # opened now: an ATTACH cannot wait for a writer's lock
            self.vt.reader()
            self.orc.reader()

    def close(self):
        self.vt.close()
        self.orc.close()

    @staticmethod
    def total(side):
        return side.conn.execute("SELECT total_changes()").fetchone()[0]

    def run_one(self, side, stmt):
        out = Outcome()
        if stmt.kind == "reopen":
            side.reopen()
            self.totals[id(side)] = 0
        else:
            sql = statement_text(side, stmt)
            try:
                rows = side.conn.execute(sql).fetchall()
                if stmt.kind == "select":
                    out.rows = rows
            except sqlite3.Error as e:
                out.error, out.message = code_name(e), str(e)
        changes, total = side.conn.execute("SELECT changes(), total_changes()").fetchone()
        out.changes = changes
        out.total_delta = total - self.totals[id(side)]
        self.totals[id(side)] = total
        out.in_txn = side.conn.in_transaction
        return out

    def step(self, index, stmt, ignore):
        # Features that depend on the state a statement runs in (shrinking must not bring them in).
        if self.orc.conn.in_transaction:
            if stmt.kind in ("ddl", "rename", "drop", "create"):
                self.used.add({"ddl": "ddl", "rename": "rename"}.get(stmt.kind, "create") + "_in_txn")
        elif stmt.kind == "savepoint":
            self.used.add("savepoint_begin")
        vt = self.run_one(self.vt, stmt)
        orc = self.run_one(self.orc, stmt)
        checks = [("error", vt.error, orc.error), ("result", vt.rows, orc.rows),
                  ("autocommit", vt.in_txn, orc.in_txn)]
        if stmt.check:
            (vt.table, vt.contents), (orc.table, orc.contents) = self.vt.contents(), self.orc.contents()
            checks.append(("contents", vt.contents, orc.contents))
            if "second_table" in self.features:
                vt.second, orc.second = self.vt.rows("u"), self.orc.rows("u")
                checks.append(("contents of u", vt.second, orc.second))
            if "reader" in self.features:
                vt.reader = self.vt.contents(self.vt.reader())[1]
                orc.reader = self.orc.contents(self.orc.reader())[1]
                # Only whether the other connection can read, not why not: while a transaction
                # holds the file, a table in an attached database fails differently ("no such
                # table" from a schema the reader cannot refresh) from one in main (busy).
                checks.append(("second connection's view", readable(vt.reader), readable(orc.reader)))
        ran = stmt.kind in DML and not (orc.message or "").startswith("no such table")
        if ran or "changes_outside_dml" not in ignore:
            checks.append(("changes", vt.changes, orc.changes))
        checks.append(("total_changes", vt.total_delta, orc.total_delta))
        if self.vt.remote and not orc.in_txn:
            vt.remote = self.vt.remote_state()
            orc.remote = orc.contents if orc.contents is not None else self.orc.contents()[1]
            checks.append(("remote", vt.remote, orc.remote))
            if "second_table" in self.features:
                checks.append(("remote of u", self.vt.remote_state("u"), self.orc.rows("u")))
        for aspect, a, b in checks:
            if aspect not in ignore and a != b:
                return vt, orc, Divergence(index, stmt, aspect, a, b)
        return vt, orc, None


def readable(rows):
    return "cannot read" if isinstance(rows, str) else rows


def statement_text(side, stmt):
    """The statement as this side runs it (None for a reopen)."""
    if stmt.kind == "create":
        return side.create_sql(stmt.table)
    if stmt.kind == "reopen":
        return None
    return stmt.orc if isinstance(side, OracleTarget) else stmt.vt


class Run:
    """What running a sequence found: the first divergence (or None), the outcomes up to it, the
    set-up statements of each side, and the state-dependent features it used."""

    def __init__(self):
        self.div, self.outcomes, self.vt_setup, self.orc_setup, self.used = None, [], [], [], set()
        self.vt_target = self.orc_target = None


def run_sequence(target_key, seq, ignore, trace=None):
    directory = tempfile.mkdtemp(prefix="cfr-diff-")
    pair = None
    run = Run()
    try:
        pair = Pair(target_key, directory, seq)
        run.vt_setup, run.orc_setup = pair.vt_setup, pair.orc_setup
        run.vt_target, run.orc_target = pair.vt, pair.orc
        for i, stmt in enumerate(seq.stmts):
            vt, orc, div = pair.step(i, stmt, ignore)
            run.outcomes.append((vt, orc))
            if trace:
                trace("%3d %-70s\n      vt:  %s\n      orc: %s"
                      % (i, stmt.label()[:70], vt.describe(), orc.describe()))
            if div:
                run.div = div
                break
        run.used = set(pair.used)
        return run
    finally:
        if pair:
            pair.close()
        shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Shrinking and reporting

def shrink(target_key, seq, ignore, signature, budget=400, seconds=None):
    """Drops statements (then rows of multi-row statements, then content checks) while a divergence
    of the same signature remains, using no feature the profile leaves out (dropping a BEGIN can
    make a later SAVEPOINT open the transaction). Returns the smaller sequence and its divergence.
    At most `budget` runs and `seconds` (CFR_DIFF_SHRINK_SECONDS, default 4)."""
    if seconds is None:
        seconds = float(os.environ.get("CFR_DIFF_SHRINK_SECONDS", "4"))
    deadline = time.monotonic() + seconds
    tries = [0]

    def diverges(stmts):
        if not stmts or tries[0] >= budget or time.monotonic() > deadline:
            return None
        tries[0] += 1
        run = run_sequence(target_key, seq.with_stmts(stmts), ignore)
        if run.div is None or run.div.signature != signature or not run.used <= seq.features:
            return None
        return run.div

    best = seq.stmts
    best_div = diverges(best)
    if best_div is None:
        return seq, None
    best = best[:best_div.index + 1]  # what follows the divergence plays no part
    n = 2
    while len(best) >= 2 and tries[0] < budget:
        chunk = max(1, len(best) // n)
        reduced = False
        for start in range(0, len(best), chunk):
            div = diverges(best[:start] + best[start + chunk:])
            if div:
                best, best_div = (best[:start] + best[start + chunk:])[:div.index + 1], div
                n = max(2, n - 1)
                reduced = True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(best), n * 2)
    i = 0
    while i < len(best) and tries[0] < budget:  # fewer rows in multi-row statements
        stmt, dropped = best[i], False
        for k in range(len(stmt.rows or []) if len(stmt.rows or []) > 1 else 0):
            cand = best[:i] + [stmt.with_rows(stmt.rows[:k] + stmt.rows[k + 1:])] + best[i + 1:]
            div = diverges(cand)
            if div:
                best, best_div, dropped = cand[:div.index + 1], div, True
                break
        if not dropped:
            i += 1
    for i in range(len(best) - 1):  # fewer content checks (each is a read that could matter)
        if i < len(best) - 1 and best[i].check:
            cand = best[:i] + [best[i].with_check(False)] + best[i + 1:]
            div = diverges(cand)
            if div:
                best, best_div = cand[:div.index + 1], div
    return seq.with_stmts(best), best_div


def shell_script(run, side, stmts):
    """One side of a run as a sqlite3 shell script, each statement followed by what it answered.
    A second connection's reads use the shell's .connection command."""
    target = run.vt_target if side == 0 else run.orc_target
    setup = run.vt_setup if side == 0 else run.orc_setup

    def local(sql):
        return sql.replace(target.dir + os.sep, "") + ";"
    opening = [".open %s" % target.filename, ".load %s" % cases.so_path()]
    opening += [local(x) for x in target.open_statements()]
    lines = ["-- %s: in an empty directory, run  sqlite3 < this-file" % target.label]
    lines += target.script_notes() + opening + [".changes on"] + [x + ";" for x in setup]
    reader_open = False
    for i, stmt in enumerate(stmts):
        if stmt.kind == "reopen":
            lines += ["-- close and reopen the database:"] + opening
        else:
            lines.append(statement_text(target, stmt) + ";")
        if i >= len(run.outcomes):
            continue
        out = run.outcomes[i][side]
        note = "--   -> " + out.describe()
        if stmt.check and out.table:
            lines.append("SELECT origin_ip, vendor, region FROM %s ORDER BY origin_ip;" % out.table)
            note += "; %s holds %r" % (out.table, out.contents)
        if out.second is not None:
            lines.append("SELECT origin_ip, vendor, region FROM u ORDER BY origin_ip;")
            note += "; u holds %r" % (out.second,)
        if out.reader is not None:
            lines.append(".connection 1")
            if not reader_open:
                lines += [".open %s" % target.filename, ".load %s" % cases.so_path()]
                lines += [local(x) for x in target.attach_statements()]
                reader_open = True
            lines += ["SELECT origin_ip, vendor, region FROM %s ORDER BY origin_ip;" % (out.table or "t"),
                      ".connection 0"]
            note += "; a second connection sees %r" % (out.reader,)
        if run.div and i == run.div.index:
            note += "   <<< the %s differs here" % run.div.aspect
        lines.append(note)
    return "\n".join(lines)


def report(profile, seed, target_key, seq, ignore, div):
    # An API target's statements cost requests to the fake: fewer shrinking steps.
    budget = 120 if target_key.startswith("api") else 400
    small, small_div = shrink(target_key, seq, ignore, div.signature, budget)
    if small_div is None:
        small = seq.with_stmts(seq.stmts[:div.index + 1])
    run = run_sequence(target_key, small, ignore)
    found = run.div or small_div or div
    label = TARGET_LABELS[target_key]
    return "\n".join([
        "DIVERGENCE [%s] seed %s:%d — the %s after statement %d of %d:"
        % (target_key, profile, seed, div.aspect, div.index + 1, len(seq.stmts)),
        "    %s" % div.stmt.label(),
        "  %s: %r" % (label, div.vt_value),
        "  ordinary table: %r" % (div.orc_value,),
        "minimal reproduction (%d statements; the %s after the last one: %r vs %r):"
        % (len(small.stmts), found.aspect, found.vt_value, found.orc_value),
        shell_script(run, 0, small.stmts), shell_script(run, 1, small.stmts)])


# ---------------------------------------------------------------------------------------------
# Profiles

ALL = {"invalid", "txn", "savepoint", "savepoint_begin", "update_from", "update_from_invalid", "ddl",
       "ddl_in_txn", "rename", "rename_in_txn", "reopen", "nul", "collate_binary", "modified_on",
       "sparse_checks", "drop_table", "trigger", "journal", "bulk", "second_table", "reader",
       "staging_spellings", "create_in_txn"}

# name: (features, aspects not compared, share of the sequences)
BASE = {"invalid", "staging_spellings"}
# A documented limit (README, "Known limits"): the table writes its storage when the transaction
# commits, and SQLite counts those writes in total_changes() and in changes() after COMMIT, as it
# does for the shadow tables of its own FTS5 and R*Tree. changes() right after every INSERT,
# UPDATE and DELETE is compared everywhere.
STORAGE_WRITES = {"total_changes", "changes_outside_dml"}
PROFILES = {
    # Single statements in autocommit: conflicts, invalid rows, OR clauses, moves, deletes.
    "autocommit": (BASE | {"modified_on", "nul", "collate_binary", "trigger", "update_from",
                           "update_from_invalid"},
                   {"changes", "total_changes"}, 2),
    # changes() after every write statement (in and out of transactions).
    "change_counts": (BASE | {"modified_on", "txn", "savepoint", "trigger", "bulk"}, STORAGE_WRITES, 1),
    # Explicit transactions with reads of pending writes, savepoints inside BEGIN, a second table
    # written in the same transactions, a second connection's view, bulk writes.
    "transactions": (BASE | {"txn", "savepoint", "update_from", "sparse_checks", "trigger", "journal",
                             "second_table", "reader", "bulk"}, {"changes", "total_changes"}, 3),
    # SAVEPOINT that opens the transaction; UPDATE … FROM failing part-way.
    "savepoints_and_update_from": (BASE | {"txn", "savepoint", "savepoint_begin", "update_from",
                                           "update_from_invalid"}, {"changes", "total_changes"}, 2),
    # DDL, ALTER TABLE … RENAME, DROP TABLE and reopening the database, also inside transactions.
    "ddl_rename_reopen": (BASE | {"txn", "savepoint", "ddl", "ddl_in_txn", "rename", "rename_in_txn",
                                  "reopen", "drop_table", "create_in_txn", "journal", "reader"},
                          {"changes", "total_changes"}, 2),
    # Everything at once, every aspect compared (but for the limit above).
    "everything": (set(ALL), STORAGE_WRITES, 2),
}

DEFAULT_SEQUENCES = 300  # in all, for the local target; about 15 s on the reference machine


def env_list(name):
    return {x.strip() for x in os.environ.get(name, "").split(",") if x.strip()}


def sequence_for(profile, seed, target_key, avoid):
    features = PROFILES[profile][0] - avoid - TARGET_UNSUPPORTED[target_key]
    gen = Gen("%s:%d" % (profile, seed), features)
    staging = gen.staging()
    stmts = gen.sequence()
    return Sequence(staging, stmts, features, gen.journal)


class Differential(unittest.TestCase):
    """One test per profile and target; fails with the first divergences found, shrunk."""

    timings = []

    @classmethod
    def setUpClass(cls):
        faulthandler.enable()
        # The IP spellings the generator uses must be what ip_canonical() says they are.
        conn = sqlite3.connect(":memory:")
        conn.enable_load_extension(True)
        conn.load_extension(cases.so_path())
        for canonical, spellings in SPELLINGS.items():
            for s in spellings + [canonical]:
                got = conn.execute("SELECT ip_canonical(?)", (s,)).fetchone()[0]
                if got != canonical:
                    raise AssertionError("ip_canonical(%r) = %r, not %r" % (s, got, canonical))
        conn.close()

    @classmethod
    def tearDownClass(cls):
        ApiTarget.stop_fake()
        if cls.timings:
            print("\n" + "\n".join(cls.timings), file=sys.stderr)

    def run_profile(self, profile, target_key):
        only = env_list("CFR_DIFF_PROFILES")
        if only and profile not in only:
            self.skipTest("not in CFR_DIFF_PROFILES")
        targets = os.environ.get("CFR_DIFF_TARGET", "local")
        if targets != "all" and target_key not in targets.split(","):
            self.skipTest("target %s not selected (CFR_DIFF_TARGET)" % target_key)
        avoid = env_list("CFR_DIFF_AVOID")
        ignore = PROFILES[profile][1] | env_list("CFR_DIFF_IGNORE")
        seed_env = os.environ.get("CFR_DIFF_SEED", "1")
        trace = None
        if ":" in seed_env:
            want, seed = seed_env.split(":", 1)
            if want != profile:
                self.skipTest("CFR_DIFF_SEED names profile %s" % want)
            seeds = [int(seed)]
            trace = lambda line: print(line, file=sys.stderr)  # noqa: E731
        else:
            share = PROFILES[profile][2]
            default = DEFAULT_SEQUENCES * share // sum(p[2] for p in PROFILES.values())
            count = int(os.environ.get("CFR_DIFF_SEQUENCES", default))
            seeds = range(int(seed_env), int(seed_env) + count)
        stats = {} if os.environ.get("CFR_DIFF_STATS") == "1" else None
        max_reports = int(os.environ.get("CFR_DIFF_REPORT", "1"))
        keep_going = os.environ.get("CFR_DIFF_KEEP_GOING") == "1"
        reports, divergent, signatures, elapsed, ran = [], 0, {}, 0.0, 0
        for seed in seeds:
            seq = sequence_for(profile, seed, target_key, avoid)
            started = time.monotonic()
            run = run_sequence(target_key, seq, ignore, trace)
            elapsed += time.monotonic() - started
            ran += 1
            if stats is not None:
                count_statements(stats, seq.stmts, run.outcomes)
            if run.div is None:
                continue
            divergent += 1
            signatures.setdefault(run.div.signature, []).append(seed)
            new = trace or run.div.signature not in [s for s, _ in reports]
            if len(reports) < max_reports and new:
                reports.append((run.div.signature, report(profile, seed, target_key, seq, ignore, run.div)))
            if not keep_going and len(reports) >= max_reports:
                break
        self.timings.append("differential %s/%s: %d sequences in %.1f s (%.2f s per 100), %d divergent"
                            % (target_key, profile, ran, elapsed, 100 * elapsed / max(ran, 1), divergent))
        for (what, result), n in sorted((stats or {}).items()):
            self.timings.append("    %-28s %-20s %6d" % (what, result, n))
        if divergent:
            summary = "; ".join("the %s at %s: seeds %s" % (a, k, ", ".join(map(str, s[:8])))
                                for (a, k), s in sorted(signatures.items()))
            self.fail("%d of %d sequences diverge (%s)\n\n%s"
                      % (divergent, ran, summary, "\n\n".join(r for _, r in reports)))


def count_statements(stats, stmts, outcomes):
    for stmt, (vt, orc) in zip(stmts, outcomes):
        key = (stmt.kind + (" in txn" if orc.in_txn else ""), orc.error or "ok")
        stats[key] = stats.get(key, 0) + 1
        if isinstance(orc.contents, list):
            for key, n in ((("rows at checks", "sum"), len(orc.contents)), (("rows at checks", "n"), 1)):
                stats[key] = stats.get(key, 0) + n


def add_tests():
    for target_key in TARGETS:
        for profile in PROFILES:
            def test(self, profile=profile, target_key=target_key):
                self.run_profile(profile, target_key)
            test.__doc__ = "%s: %s" % (target_key, profile)
            setattr(Differential, "test_%s_%s" % (target_key.replace("-", "_"), profile), test)


add_tests()


def main():
    cases.main()


if __name__ == "__main__":
    main()
