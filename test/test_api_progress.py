#!/usr/bin/env python3
"""Progress of a long COMMIT on a terminal: `sqlite3` in a pseudo-terminal (util-linux `script`)
shows "N/M changes applied" on stderr when a COMMIT needs more than three requests, and nothing when
stderr is not a terminal or the COMMIT is small. A wait of a second or more for the rate budget is
shown the same way ("cfregions: waiting 1.8 s for the rate budget"), once however many requests
wait together.

    PYTHON test/test_api_progress.py path/to/cfregions.so
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from support.cases import main, so_path
from support.fake import TOKEN, ZONE, Fake


def script_sql(api_url, rows):
    return (".load %s\n"
            "CREATE VIRTUAL TABLE live USING origin_cloud_regions(zone_id='%s', base_url='%s');\n"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)\n"
            "INSERT INTO live(origin_ip, vendor, region)\n"
            "  SELECT printf('10.0.%%d.%%d', i / 256, i %% 256), 'aws', 'us-east-1' FROM n;\n"
            "SELECT count(*) FROM live;\n") % (so_path(), ZONE, api_url, rows)


@unittest.skipUnless(shutil.which("script") and shutil.which("sqlite3"), "needs util-linux script and sqlite3")
class ProgressTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = Fake()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
        self.env["CLOUDFLARE_API_TOKEN"] = TOKEN

    def run_in_terminal(self, rows, tmpdir, env=None):
        path = os.path.join(tmpdir, "commit.sql")
        with open(path, "w") as f:
            f.write(script_sql(self.fake.api_url, rows))
        # script gives sqlite3 a pseudo-terminal for stdout and stderr; its output is what the
        # terminal showed.
        out = subprocess.run(["script", "-qec", "sqlite3 -batch < %s" % path, "/dev/null"],
                             env=env or self.env, capture_output=True, timeout=60)
        return out.stdout.decode()

    def test_progress_on_a_terminal(self):
        tmp = self.make_tmpdir()
        shown = self.run_in_terminal(500, tmp)
        self.assertIn("live: 100/500 changes applied", shown)
        self.assertIn("live: 500/500 changes applied", shown)
        self.assertIn("500", shown.splitlines()[-1])

    def test_progress_counts_only_what_the_api_applied(self):
        # All batch requests after the first two fail: the line must not claim more than the COMMIT's
        # message says was applied.
        self.fake.faults([{"method": "PUT", "after": 2, "count": 1000, "status": 500}])
        shown = self.run_in_terminal(500, self.make_tmpdir())
        counts = [int(n) for n in re.findall(r"live: (\d+)/500 changes applied", shown)]
        applied = re.search(r"applied (\d+) of 500 changes", shown)
        self.assertTrue(counts and applied, shown)
        self.assertEqual(max(counts), int(applied.group(1)), shown)
        self.assertLess(max(counts), 500)

    def test_no_progress_for_a_small_commit(self):
        shown = self.run_in_terminal(300, self.make_tmpdir())
        self.assertNotIn("changes applied", shown)  # 3 requests: quick enough to need none

    def test_a_wait_for_the_rate_budget_is_shown_on_a_terminal(self):
        # 3 requests per 2 s: the COMMIT's 5 batch requests and the count before them must wait.
        env = dict(self.env, CLOUDFLARE_RATE_LIMIT="3/2")
        shown = self.run_in_terminal(500, self.make_tmpdir(), env)
        waits = [line for line in shown.splitlines() if "cfregions: waiting" in line]
        self.assertTrue(waits, shown)
        for line in waits:
            self.assertRegex(line, r"cfregions: waiting \d+\.\d s for the rate budget")
        # Requests waiting together are shown once: fewer lines than requests.
        self.assertLess(len(waits), 6, shown)
        self.assertIn("500", shown.splitlines()[-1])

    def test_no_wait_shown_when_stderr_is_not_a_terminal(self):
        tmp = self.make_tmpdir()
        path = os.path.join(tmp, "commit.sql")
        with open(path, "w") as f:
            f.write(script_sql(self.fake.api_url, 500))
        env = dict(self.env, CLOUDFLARE_RATE_LIMIT="3/2")
        with open(path) as sql:
            out = subprocess.run(["sqlite3", "-batch"], stdin=sql, env=env, capture_output=True, timeout=60)
        self.assertEqual(out.stderr.decode(), "")
        self.assertEqual(out.stdout.decode().strip(), "500")

    def test_no_progress_when_stderr_is_not_a_terminal(self):
        tmp = self.make_tmpdir()
        path = os.path.join(tmp, "commit.sql")
        with open(path, "w") as f:
            f.write(script_sql(self.fake.api_url, 500))
        with open(path) as sql:
            out = subprocess.run(["sqlite3", "-batch"], stdin=sql, env=self.env, capture_output=True, timeout=60)
        self.assertEqual(out.stderr.decode(), "")
        self.assertEqual(out.stdout.decode().strip(), "500")

    def make_tmpdir(self):
        d = tempfile.mkdtemp(prefix="cfr-progress-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    main()
