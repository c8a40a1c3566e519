"""Running the differential test (test/test_differential.py): both sides, shrinking, reports.

run_sequence() runs a generated Sequence against a target and the oracle side by side in a fresh
directory and stops at the first Divergence; shrink() looks for a smaller sequence with the same
kind of divergence; report() prints it with a sqlite3 shell script per side (shell_script()).
What the aspects compared are, and why, is in test/test_differential.py's docstring.
"""

import os
import shutil
import sqlite3
import tempfile
import time

from support import cases
from support.differential_gen import candidate_pairs
from support.differential_targets import TARGET_LABELS, TARGETS, OracleTarget, code_name


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
