#!/usr/bin/env python3
"""The COMMIT journal, <database file>-cfregions: what a COMMIT could not apply outlives the
connection and the process, including a process killed in the middle of a COMMIT.

    PYTHON test/test_api_journal.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API (test/support/ says how tests drive it);
every test works on a database file in its own temporary directory.
"""

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import time

from support.cases import FakeTestCase, main, so_path
from support.fake import TOKEN, TOKEN2, SECRETS, die_with_parent
from support.mappings import rows


class JournalCases:
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="cfr-journal-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "ops.db")
        self.journal = self.path + "-cfregions"
        self.file_db = self.connect(self.path)
        self.create(self.file_db, "live")

    def write_rule(self, **rule):
        rule.setdefault("method", self.upsert_method)
        rule.setdefault("path_contains", "/batch")
        rule.setdefault("count", 1000)
        return rule

    def reopen(self):
        db = self.connect(self.path)
        return db

    def listed(self, db):
        return db.execute("SELECT table_name, operation, origin_ip, error FROM cfregions_unapplied "
                          "ORDER BY origin_ip").fetchall()

    def test_a_successful_commit_leaves_no_journal(self):
        self.bulk(rows(250), db=self.file_db, table="live")
        self.assertState(rows(250))
        self.assertFalse(os.path.exists(self.journal))

    def test_what_a_commit_could_not_apply_outlives_the_connection(self):
        self.fake.faults([self.write_rule(after=1, status=500)])   # the 2nd of 3 batches fails
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(250), db=self.file_db, table="live")
        self.assertTrue(os.path.exists(self.journal))
        self.assertEqual(stat.S_IMODE(os.stat(self.journal).st_mode), 0o600)
        with open(self.journal, "rb") as f:
            content = f.read()
        for secret in SECRETS:
            self.assertNotIn(secret.encode(), content)
        self.file_db.close()
        # A new connection (another process would do the same) lists the 150 not applied.
        db = self.reopen()
        listed = self.listed(db)
        self.assertEqual(len(listed), 150)
        self.assertTrue(all("HTTP 500" in e[3] or "not sent" in e[3] for e in listed), listed[:3])
        self.fake.clear_faults()
        self.fake.clear_log()
        self.assertEqual(db.execute("SELECT cfregions_retry('live')").fetchone(), (150,))
        self.assertState(rows(250))
        self.assertFalse(os.path.exists(self.journal), "everything applied: the journal is gone")
        self.assertEqual(self.listed(self.reopen()), [])

    def test_retry_from_another_connection_settles_the_journal(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(3), db=self.file_db, table="live")
        self.fake.clear_faults()
        self.fake.seed(rows(3))                # applied some other way meanwhile
        db = self.reopen()
        self.fake.clear_log()
        self.assertEqual(db.execute("SELECT cfregions_retry('live')").fetchone(), (0,))
        self.assertNoWrites()
        self.assertFalse(os.path.exists(self.journal))

    def test_the_journal_follows_a_rename(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(2), db=self.file_db, table="live")
        self.file_db.execute("ALTER TABLE live RENAME TO prod")
        self.file_db.close()
        db = self.reopen()
        self.assertEqual({e[0] for e in self.listed(db)}, {"prod"})

    def test_a_killed_commit_is_listed_as_interrupted_and_retry_converges(self):
        data = rows(3500)
        # Slow batches: the child is killed after the first group of 8 batches, while later ones are
        # in flight or not yet sent.
        self.fake.faults([], latency_ms=400)
        script = textwrap.dedent("""
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[2], isolation_level=None)
            db.enable_load_extension(True)
            db.load_extension(sys.argv[1])
            db.execute("INSERT OR REPLACE INTO live(origin_ip, vendor, region) SELECT "
                       "json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') "
                       "FROM json_each(?)", (sys.argv[3],))
        """)
        import json
        env = dict(os.environ)
        child = subprocess.Popen([sys.executable, "-c", script, so_path(), self.path,
                                  json.dumps([list(r) for r in data])], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 preexec_fn=die_with_parent)
        deadline = time.monotonic() + 60
        while len([w for w in self.writes() if w["status"] == 200]) < 8:
            self.assertIsNone(child.poll(), "the COMMIT finished before it could be interrupted")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        self.fake.clear_faults()
        time.sleep(0.5)  # a request in flight when the child died may still be applied by the fake
        applied = len(self.fake.state())
        self.assertTrue(800 <= applied < 3500, applied)
        db = self.reopen()
        listed = self.listed(db)
        interrupted = [e for e in listed if e[3].startswith("interrupted:")]
        self.assertEqual(len(listed), len(interrupted))
        # Every change not applied is listed (those the process had not yet heard back about may be
        # applied already: they are listed as interrupted, and retry drops them without a write).
        self.assertTrue(3500 - applied <= len(listed) <= 3500, (len(listed), applied))
        self.fake.clear_log()
        retried = db.execute("SELECT cfregions_retry('live')").fetchone()[0]
        self.assertEqual(retried, 3500 - applied)
        self.assertState(data)
        self.assertFalse(os.path.exists(self.journal))
        self.fake.clear_log()
        self.assertEqual(db.execute("SELECT cfregions_retry('live')").fetchone(), (0,))
        self.assertNoWrites()

    def test_concurrent_commits_keep_each_others_entries(self):
        other = self.connect(self.path)
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(2), db=self.file_db, table="live")
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(2, start=100), db=other, table="live")
        db = self.reopen()
        self.assertEqual(len(self.listed(db)), 4)

    def test_an_in_memory_database_has_no_journal(self):
        before = set(os.listdir(self.dir))
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(2))
        self.assertEqual(set(os.listdir(self.dir)), before)


class V1Tests(JournalCases, FakeTestCase):
    api = "v1"


class V2Tests(JournalCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
