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
through test/support's Fake, with the tests' zone region list). A target is a Target subclass
(test/support/differential_targets.py): connect/reopen, create_sql(name), supported_pairs(),
remote_state() (what must equal the oracle after each COMMIT), and the generator features it
cannot take part in.

Every sequence is deterministic per seed. On a divergence the test prints the seed, what differed
and a minimal reproduction — the sequence shrunk by dropping statements, rows of multi-row
statements and content checks while the same kind of divergence persists, never bringing in a
feature the profile leaves out — as one sqlite3 shell script per table, each statement followed by
what that side answered.

Where things are: this file holds the profiles (PROFILES: which features each generates, which
aspects it compares) and the unittest class; test/support/differential_gen.py the generator (Gen,
Stmt, the values it draws from), test/support/differential_targets.py the targets and the oracle,
test/support/differential_run.py running a sequence on both sides, shrinking and the reports.

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
import os
import sqlite3
import sys
import time
import unittest

from support import cases
from support.differential_gen import SPELLINGS, Gen
from support.differential_run import Sequence, report, run_sequence
from support.differential_targets import TARGET_UNSUPPORTED, TARGETS, ApiTarget


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
