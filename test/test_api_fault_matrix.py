#!/usr/bin/env python3
"""The fault matrix: every kind of bulk edit, hit by every kind of fault in the middle of its
COMMIT, in both API generations, and the one promise that must hold after each: nothing is lost.

    PYTHON test/test_api_fault_matrix.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API (test/support/ says how tests drive it).

A cell of the matrix is one test, test_<fault>__<edit>, e.g. test_5xx_exhausted__move_mid_deletes:

1. The zone is seeded with SEED (500 mappings), and a table `t` over it is created in a database
   FILE, so that the COMMIT keeps its journal beside it.
2. The edit (EDITS: insert, update, move, swap, delete) runs as one statement. Each changes a few
   hundred mappings, i.e. several batch requests of at most 100 items; a move is two steps (its
   upserts, then its deletes) and is hit once in each.
3. The fault (FAULTS) hits the batch requests of the COMMIT from the middle of a step on: the fake
   lets the first `after` of them through and faults the following ones, so that some batches are
   applied and others not; what the fake's log and zone then show must say so. The two kill faults
   run the COMMIT in a child process and kill it with SIGKILL, one while it waits to retry, one
   while its last requests are in flight.
4. The invariant, checked against an end state computed here in Python from SEED and the edit
   (never read from the extension): the fake's zone, together with cfregions_unapplied read from
   a NEW connection to the same file (so from the journal), is the intended end state. For every
   IP, either the zone already holds its end state and the IP is not listed, or it is listed with
   exactly the change that gets it there and the zone still holds its start state. An entry whose
   error says "outcome unknown" or "interrupted:" may be listed although its change is in place
   (nobody could know). No mapping that exists at the start and at the end is ever missing from the
   zone, and a moved mapping is at its old or at its new address. Deletes reach the API only after
   every upsert of the same COMMIT was answered.
5. Then SELECT cfregions_retry('t') on that new connection sends exactly the missing changes (it
   returns their number and writes no other item), the zone is the end state, nothing is listed
   (on any connection) and the journal is gone; a second cfregions_retry returns 0 and writes
   nothing.

At the end of the run one line on stderr gives the matrix size, how many cells failed and the time.
"""

import functools
import ipaddress
import json
import math
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time

from support.cases import FakeTestCase, main, so_path
from support.fake import ZONE, Recorder, die_with_parent
from support.mappings import as_json, ip_of

BATCH = 100        # items per batch request
IN_FLIGHT = 8      # batch requests of one step sent at a time

# ---- the zone before every edit: 500 mappings, IPv4 (10.0.0.0 - 10.0.0.249) and IPv6 in turn;
# every tenth on gcp, the others on aws, in us-east-1 and us-west-2 in turn (by pairs, so that both
# families have both regions).


def seed_mapping(i):
    if i % 10 == 9:
        return ("gcp", "us-central1")
    return ("aws", "us-east-1" if (i // 2) % 2 == 0 else "us-west-2")


SEED = {ip_of(i): seed_mapping(i) for i in range(500)}


@functools.lru_cache(maxsize=None)
def addr_key(ip):
    """The order in which the API lists addresses (IPv4 first, then numerically)."""
    a = ipaddress.ip_address(ip)
    return a.version, int(a)


class Plan:
    """What the COMMIT of an edit sends, as the extension documents it: upserts first, then
    deletes, each step in batches of BATCH, IN_FLIGHT batches at a time."""

    def __init__(self, start, end):
        self.upserts = sorted((ip for ip in end if start.get(ip) != end[ip]), key=addr_key)
        self.deletes = sorted((ip for ip in start if ip not in end), key=addr_key)
        # The steps as (name, changes, number of batch requests), empty ones left out.
        steps = (("upserts", self.upserts), ("deletes", self.deletes))
        self.steps = [(name, ips, math.ceil(len(ips) / BATCH)) for name, ips in steps if ips]
        self.requests = sum(n for _, _, n in self.steps)

    def positions(self):
        """One fault position per step: (label, after, the step's changes), `after` being the
        number of batch requests let through: those of the steps before, and half of this one's."""
        out, before = [], 0
        for name, ips, n in self.steps:
            out.append(("mid_" + name if len(self.steps) > 1 else "", before + n // 2, ips))
            before += n
        return out

    def group_end(self, after):
        """The number of batch requests up to the end of the group (IN_FLIGHT at a time) that
        holds request number after + 1: what a COMMIT sends before a failure there stops it."""
        before = 0
        for _, _, n in self.steps:
            if after < before + n:
                offset = after - before
                return before + min(n, (offset // IN_FLIGHT + 1) * IN_FLIGHT)
            before += n
        raise ValueError("no request %d" % (after + 1))

    def faulted(self, after):
        """How many requests of that group come after the first `after` (the ones a fault from
        `after` on hits before the COMMIT stops)."""
        return self.group_end(after) - after


# ---- the edits: a statement, and the end state it means, computed from the start state.

INSERTED = [(ip_of(i), "oci", "us-ashburn-1") for i in range(500, 750)]
MOVED_FROM = ipaddress.ip_network("10.0.0.0/24")


def moved_to(ip):
    return "10.0.9." + ip.rsplit(".", 1)[1]


def is_moved(ip):
    addr = ipaddress.ip_address(ip)
    return addr.version == 4 and addr in MOVED_FROM


class Edit:
    """A statement, and what it means for SEED: `end` maps a start state to the end state
    ({ip: (vendor, region)}), `moves` to the (old ip, new ip) pairs of a move."""

    def __init__(self, name, sql, params, end, moves=lambda start: []):
        self.name, self.sql, self.params = name, sql, params
        self.start = SEED
        self.end = end(SEED)
        self.moves = moves(SEED)
        self.plan = Plan(self.start, self.end)


EDITS = [
    Edit("insert",
         "INSERT INTO t(origin_ip, vendor, region) SELECT json_extract(value, '$[0]'), "
         "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)",
         (as_json(INSERTED),),
         lambda s: dict(s, **{ip: (v, r) for ip, v, r in INSERTED})),
    Edit("update",
         "UPDATE t SET vendor = 'azure', region = 'eastus' WHERE region = 'us-west-2'", (),
         lambda s: {ip: ("azure", "eastus") if m[1] == "us-west-2" else m for ip, m in s.items()}),
    Edit("move",
         "UPDATE t SET origin_ip = '10.0.9.' || substr(origin_ip, 8) "
         "WHERE ipcontains('10.0.0.0/24', origin_ip)", (),
         lambda s: {moved_to(ip) if is_moved(ip) else ip: m for ip, m in s.items()},
         lambda s: [(ip, moved_to(ip)) for ip in s if is_moved(ip)]),
    Edit("swap",
         "UPDATE t SET region = CASE region WHEN 'us-east-1' THEN 'us-west-2' ELSE 'us-east-1' END "
         "WHERE vendor = 'aws'", (),
         lambda s: {ip: (v, {"us-east-1": "us-west-2", "us-west-2": "us-east-1"}[r]) if v == "aws"
                    else (v, r) for ip, (v, r) in s.items()}),
    Edit("delete",
         "DELETE FROM t WHERE region = 'us-east-1'", (),
         lambda s: {ip: m for ip, m in s.items() if m[1] != "us-east-1"}),
]

# ---- the faults


class Hit:
    """What a cell's COMMIT did, for a fault's `expect`: `statuses` of its batch requests in the
    fake's log (0: connection dropped), how many of the edit's `changed` IPs the zone holds in
    their end state (`done`), the fault's position (`after`, `group_end`, and `failed`: the
    requests it hits before the COMMIT stops) and the number of `requests` of the whole COMMIT."""

    def __init__(self, plan, after, log_writes, zone, start, end):
        self.statuses = [w["status"] for w in log_writes]
        self.changed = [ip for ip in set(start) | set(end) if start.get(ip) != end.get(ip)]
        self.done = sum(zone.get(ip) == end.get(ip) for ip in self.changed)
        self.after, self.group_end, self.requests = after, plan.group_end(after), plan.requests
        self.failed = plan.faulted(after)


def rule(after, **fields):
    """A fault on the batch requests (upserts and deletes alike) after the first `after`."""
    return dict({"path_contains": "/batch", "after": after}, **fields)


def half_done(test, hit):
    test.assertTrue(0 < hit.done < len(hit.changed),
                    "the faulted requests changed nothing: %d of %d changes are in place"
                    % (hit.done, len(hit.changed)))


def let_through(status):
    """The first `after` requests answered 200, the faulted ones `status`."""
    def check(test, hit):
        test.assertEqual(hit.statuses.count(200), hit.after)
        test.assertIn(status, hit.statuses)
    return check


def not_retried(test, hit):
    """Each faulted request of the failing group sent once; no group after it sent at all."""
    test.assertEqual(len(hit.statuses), hit.group_end, hit.statuses)


# kill_in_flight: the requests refused with a 503 are retried this long after it, and then take
# this long at the fake (the test slows the fake down in between).
KILL_RETRY_AFTER_MS = 1000
KILL_LATENCY_MS = 300


class Fault:
    """A fault: `args` for the table, `rules(after, failed)` for the fake (failed: how many
    requests of the failing group follow `after`), whether the COMMIT `fails`, and `expect`:
    checks of what the fake then logged and holds (see Hit). `kill` runs the COMMIT in a child
    process and kills it ("waiting" or "in_flight"); `reject` has the fake refuse a few items."""

    def __init__(self, name, doc, args, rules=lambda after, failed: [], fails=True, expect=(),
                 kill=None, reject=False):
        self.name, self.doc, self.args, self.rules = name, doc, args, rules
        self.fails, self.expect, self.kill, self.reject = fails, expect, kill, reject


FAULTS = [
    Fault("429_waited_out", "one 429 with Retry-After: 1, waited out; the COMMIT succeeds",
          {"max_retries": "1"}, lambda a, n: [rule(a, count=1, status=429, retry_after="1")],
          fails=False,
          expect=[lambda t, h: t.assertEqual(sorted(h.statuses), [200] * h.requests + [429])]),
    Fault("429_past_max_wait", "429s with Retry-After: 3600, more than max_wait_s allows",
          {"max_retries": "1", "max_wait_s": "60"},
          lambda a, n: [rule(a, status=429, retry_after="3600")],
          expect=[let_through(429), half_done, not_retried]),
    Fault("5xx_exhausted", "HTTP 503 until the one retry (max_retries=1) is spent",
          {"max_retries": "1"}, lambda a, n: [rule(a, status=503)],
          expect=[let_through(503), half_done,
                  lambda t, h: t.assertEqual(h.statuses.count(503), 2 * h.failed)]),
    Fault("drop", "the connection closes before the fake applies the request",
          {"max_retries": "0"}, lambda a, n: [rule(a, mode="drop")],
          expect=[let_through(0), half_done]),
    Fault("drop_after_apply", "the fake applies the request, then closes without an answer",
          {"max_retries": "0"}, lambda a, n: [rule(a, mode="drop_after_apply")],
          expect=[let_through(0)]),
    Fault("drop_after_apply_then_retried",
          "one request applied and its answer lost; its retry gets through; the COMMIT succeeds",
          {"max_retries": "1"}, lambda a, n: [rule(a, count=1, mode="drop_after_apply")],
          fails=False,
          expect=[lambda t, h: t.assertEqual(sorted(h.statuses), [0] + [200] * h.requests)]),
    # (The faulted answers of these two are 200s.)
    Fault("malformed", "200 with cut-off JSON", {"max_retries": "0"},
          lambda a, n: [rule(a, mode="malformed")], expect=[half_done, not_retried]),
    Fault("wrong_shape", "200 whose result has the wrong shape", {"max_retries": "0"},
          lambda a, n: [rule(a, mode="wrong_shape")], expect=[half_done, not_retried]),
    Fault("reject_items", "three items from the middle of the step refused in failed[]", {},
          reject=True, expect=[lambda t, h: t.assertEqual(set(h.statuses), {200})]),
    Fault("kill_while_waiting",
          "SIGKILL while the COMMIT waits to retry the requests after `after` (HTTP 503 with "
          "Retry-After: 30)",
          {"max_retries": "1"}, lambda a, n: [rule(a, status=503, retry_after="30")],
          kill="waiting", expect=[half_done]),
    Fault("kill_in_flight",
          "SIGKILL while the requests after `after` (retried after a 503) are in flight; the fake "
          "applies them after the process is gone",
          {"max_retries": "1"},
          lambda a, n: [rule(a, count=n, status=503, retry_after_ms=KILL_RETRY_AFTER_MS)],
          kill="in_flight",
          expect=[lambda t, h: t.assertEqual(h.statuses.count(200), h.group_end)]),
]

UNKNOWN = ("outcome unknown", "interrupted:")  # listed entries that may already be in place

# The database files (and their journals) live in memory when the machine has a tmpfs at /dev/shm:
# the journal is fsync'ed at every change of state, which on a disk makes the cells that settle
# many entries up to twice as slow and has nothing to do with the invariant.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

# The child of the kill cells: the edit in a transaction, then COMMIT once the parent says "go"
# (so that the reads of the edit are neither slowed down nor faulted; only the COMMIT is).
CHILD = textwrap.dedent("""
    import json, sqlite3, sys
    so, path, sql, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.execute("BEGIN")
    db.execute(sql, params)
    print("ready", flush=True)
    sys.stdin.readline()
    db.execute("COMMIT")
    print("committed", flush=True)
""")

STATS = {"cells": 0, "failed": 0, "started": time.monotonic(), "generations": set()}


def tearDownModule():
    positions = sum(len(e.plan.positions()) for e in EDITS)
    sys.stderr.write("fault matrix: %d cells run (of %d API generations x %d edit positions x %d "
                     "faults), %d failed, %.1f s\n"
                     % (STATS["cells"], 2, positions, len(FAULTS), STATS["failed"],
                        time.monotonic() - STATS["started"]))


class MatrixCases:
    """One test per (fault, edit position); the module's docstring says what each checks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The kill cells talk through this proxy: it records a request when it arrives, so the
        # test knows when the requests it wants in flight are in flight.
        cls.recorder = Recorder(cls.fake.port)
        cls.addClassCleanup(cls.recorder.stop)

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="cfr-matrix-", dir=SCRATCH)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "ops.db")
        self.journal = self.path + "-cfregions"

    def run_cell(self, fault, edit, after, step_ips):
        STATS["cells"] += 1
        try:
            self.cell(fault, edit, after, step_ips)
        except BaseException:
            STATS["failed"] += 1
            raise

    def cell(self, fault, edit, after, step_ips):
        start, end, plan = edit.start, edit.end, edit.plan
        self.fake.seed([(ip, v, r) for ip, (v, r) in start.items()])
        db = self.connect(self.path)
        args = dict(fault.args)
        if fault.kill:
            args["base_url"] = self.recorder.url
        self.create(db, "t", **args)
        rejected = {}
        if fault.reject:
            n = len(step_ips)
            rejected = {step_ips[i]: "Mapping locked by policy (item %d)" % i
                        for i in (n // 3, n // 2, 2 * n // 3)}
        self.fake.clear_log()
        if fault.kill:
            self.commit_and_kill(fault, edit, after)
        else:
            self.commit(fault, edit, after, db, rejected)

        log = self.fake.log()
        zone = self.zone()
        hit = Hit(plan, after, self.writes(log), zone, start, end)
        for expect in fault.expect:
            expect(self, hit)
        self.assertDeletesAfterUpserts(log)

        # The invariant, from a new connection: what the journal lists.
        other = self.connect(self.path)
        listed = self.listed(other)
        if not fault.kill:
            self.assertEqual(sorted(u[:4] for u in self.listed(db)), sorted(u[:4] for u in listed),
                             "the COMMIT's own connection lists what the journal lists")
        else:
            self.assertEqual([u for u in listed if not u[4].startswith("interrupted:")], [],
                             "what a killed COMMIT did not finish is listed as 'interrupted:'")
        errors = {u[1]: u[4] for u in listed}
        for ip, text in rejected.items():
            self.assertIn(text, errors.get(ip, "(not listed)"), "a refused item is listed")
        self.assertInvariant(start, end, zone, listed, edit.moves)
        self.assertEqual(os.path.exists(self.journal), bool(listed),
                         "the journal exists exactly while something is listed")
        self.check_retry(other, start, end, zone)

    def commit(self, fault, edit, after, db, rejected):
        """The edit as one statement in this process, the fault set."""
        self.fake.faults(fault.rules(after, edit.plan.faulted(after)), reject_items=rejected)
        try:
            db.execute(edit.sql, edit.params)
            error = None
        except sqlite3.Error as e:
            error = str(e)
        self.fake.clear_faults()
        if fault.fails:
            self.assertIsNotNone(error, "the COMMIT must fail under " + fault.doc)
            self.assertIn("cfregions_unapplied", error)
        else:
            self.assertIsNone(error, "the COMMIT must succeed under " + fault.doc)

    def check_retry(self, db, start, end, zone):
        """cfregions_retry sends what is missing, and only that, once."""
        missing = [ip for ip in set(start) | set(end) if zone.get(ip) != end.get(ip)]
        self.fake.clear_log()
        retried = db.execute("SELECT cfregions_retry('t')").fetchone()[0]
        log = self.fake.log()
        self.assertEqual(self.zone(), end, "cfregions_retry reaches the end state")
        self.assertEqual(retried, len(missing), "cfregions_retry counts the changes it applied")
        self.assertEqual(sum(w["items"] for w in self.writes(log)), len(missing),
                         "cfregions_retry writes the missing changes and nothing else")
        self.assertDeletesAfterUpserts(log)
        self.assertNothingListed(db, "after cfregions_retry")
        self.assertNothingListed(self.connect(self.path), "after cfregions_retry, a new connection")
        self.assertFalse(os.path.exists(self.journal), "the journal is gone")
        self.fake.clear_log()
        self.assertEqual(db.execute("SELECT cfregions_retry('t')").fetchone(), (0,))
        self.assertNoWrites()

    # ---- the kill cells: the COMMIT in a child process

    def commit_and_kill(self, fault, edit, after):
        plan = edit.plan
        group_end, failed = plan.group_end(after), plan.faulted(after)
        self.child_stderr = os.path.join(self.dir, "child.stderr")
        with open(self.child_stderr, "wb") as err:
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, so_path(), self.path, edit.sql,
                 json.dumps(edit.params)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                preexec_fn=die_with_parent)
        self.addCleanup(self.reap, child)
        self.assertEqual(self.read_line(child, 30), "ready")
        self.fake.clear_log()
        self.fake.faults(fault.rules(after, failed))
        seen = len(self.recorder.records)
        child.stdin.write(b"go\n")
        child.stdin.flush()
        # The first `after` batch requests are answered; the rest of their group got a 503 that
        # asks to wait. (Not a 429: that one holds back every request of the credential, so which
        # requests it hits would depend on timing.)
        self.wait_for(lambda: self.statuses() == {200: after, 503: failed}, child,
                      "the batches to be answered and refused")
        if fault.kill == "in_flight":
            # The retries, due KILL_RETRY_AFTER_MS after the 503s, are slowed down, and the child
            # is killed as soon as the last of them has reached the proxy (in flight at the fake).
            self.fake.faults(latency_ms=KILL_LATENCY_MS)
            self.wait_for(lambda: sum("/batch" in r["path"] for r in self.recorder.records[seen:])
                          == group_end + failed, child, "the retries to be in flight")
        self.assertIsNone(child.poll(), "the COMMIT finished before it could be killed")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        if fault.kill == "in_flight":
            # The fake applies what was in flight although nobody waits for the answer.
            self.wait_for(lambda: self.statuses().get(200) == group_end, None,
                          "the fake to answer what was in flight")
        self.fake.clear_faults()

    def reap(self, child):
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdin.close()
        child.stdout.close()

    def read_line(self, child, timeout):
        ready, _, _ = select.select([child.stdout], [], [], timeout)
        self.assertTrue(ready, "the child did not answer within %d s" % timeout)
        return child.stdout.readline().decode().strip()

    def statuses(self):
        out = {}
        for w in self.writes():
            out[w["status"]] = out.get(w["status"], 0) + 1
        return out

    def wait_for(self, condition, child, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not condition():
            if child is not None and child.poll() is not None:
                with open(self.child_stderr, encoding="utf-8", errors="replace") as f:
                    self.fail("the child ended while waiting for %s: %s" % (what, f.read()[-2000:]))
            self.assertLess(time.monotonic(), deadline, "timed out waiting for " + what)
            time.sleep(0.01)

    # ---- reading and asserting

    def zone(self):
        return {ip: (v, r) for ip, v, r in self.fake.state()}

    def listed(self, db):
        return db.execute("SELECT operation, origin_ip, vendor, region, error, zone_id "
                          "FROM cfregions_unapplied WHERE table_name = 't' "
                          "ORDER BY origin_ip").fetchall()

    def assertNothingListed(self, db, when):
        listed = self.listed(db)
        if listed:
            self.fail("%s, %d changes are still listed, e.g. %s"
                      % (when, len(listed), "; ".join(map(str, listed[:3]))))

    def assertDeletesAfterUpserts(self, log):
        """No delete reaches the API before every upsert of the COMMIT was answered (the log is in
        answer order), so a mapping being moved never leaves the zone."""
        kinds = ["delete" if w["method"] == "DELETE" else "upsert" for w in self.writes(log)]
        if "delete" in kinds and "upsert" in kinds:
            self.assertLess(max(i for i, k in enumerate(kinds) if k == "upsert"),
                            min(i for i, k in enumerate(kinds) if k == "delete"), kinds)

    def assertInvariant(self, start, end, zone, listed, moves):
        problems = []
        by_ip = {}
        for op, ip, vendor, region, error, zone_id in listed:
            if ip in by_ip:
                problems.append("%s listed twice" % ip)
            by_ip[ip] = (op, (vendor, region) if op == "upsert" else None, error)
            if zone_id != ZONE:
                problems.append("%s listed for zone %s" % (ip, zone_id))
        for ip in sorted(set(start) | set(end) | set(zone) | set(by_ip), key=addr_key):
            want, have = end.get(ip), zone.get(ip)
            if have not in (start.get(ip), want):
                problems.append("%s is %s in the zone, neither its start %s nor its end %s"
                                % (ip, have, start.get(ip), want))
            entry = by_ip.get(ip)
            if entry is None:
                if have != want:
                    problems.append("%s is %s in the zone, not its end state %s, and not listed"
                                    % (ip, have, want))
                continue
            op, state, error = entry
            if state != want:
                problems.append("%s is listed as %s %s, but its end state is %s"
                                % (ip, op, state, want))
            elif have == want and not error.startswith(UNKNOWN):
                problems.append("%s is listed (%s: %s) although already in its end state"
                                % (ip, op, error))
        for ip in sorted(set(start) & set(end), key=addr_key):
            if ip not in zone:
                problems.append("%s exists at start and end, but is missing from the zone" % ip)
        for old, new in moves:
            if old not in zone and new not in zone:
                problems.append("moved mapping %s -> %s is at neither address (listed: %s, %s)"
                                % (old, new, by_ip.get(old), by_ip.get(new)))
        if problems:
            self.fail("%d violations of the invariant, e.g.:\n  %s"
                      % (len(problems), "\n  ".join(problems[:8])))


def add_cells(cls):
    """One test method per (fault, edit position), e.g. test_5xx_exhausted__move_mid_deletes."""
    for fault in FAULTS:
        for edit in EDITS:
            for label, after, step_ips in edit.plan.positions():
                name = "test_%s__%s" % (fault.name, edit.name + ("_" + label if label else ""))

                def test(self, fault=fault, edit=edit, after=after, step_ips=step_ips):
                    self.run_cell(fault, edit, after, step_ips)
                test.__doc__ = "%s: %s (fault after %d batch requests)" % (edit.name, fault.doc,
                                                                           after)
                setattr(cls, name, test)
    return cls


@add_cells
class V1Tests(MatrixCases, FakeTestCase):
    api = "v1"


@add_cells
class V2Tests(MatrixCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
