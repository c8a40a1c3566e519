#!/usr/bin/env python3
"""Secrets and addresses: credentials never reach the database file, an error message or the debug
log; credentials given as table arguments are refused; base URLs that are not loopback are refused.

    PYTHON test/test_api_security.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time

from support.cases import FakeTestCase, main, so_path
from support.fake import SECRETS, TOKEN, TOKEN2, ZONE


CHILD = textwrap.dedent("""
    import sqlite3, sys
    so, base, zone, token2 = sys.argv[1:5]
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.execute("CREATE VIRTUAL TABLE t USING origin_cloud_regions(zone_id='%s', base_url='%s')" % (zone, base))
    db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1'), ('10.0.0.2', 'aws', 'us-east-1')")
    db.execute("SELECT * FROM t").fetchall()
    db.execute("SELECT cfregions_set_token(?)", (token2,))
    db.execute("SELECT * FROM t WHERE origin_ip = '10.0.0.2'").fetchall()
    db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
    db.execute("SELECT cfregions_set_token(?)", ("wrong-" + token2,))
    try:
        db.execute("SELECT * FROM t").fetchall()
    except sqlite3.Error as e:
        print(e)
""")


class SecurityTests(FakeTestCase):
    """What must never leak or be reached (v2, the default generation)."""

    api = "v2"

    def test_token_never_in_database_file(self):
        d = tempfile.mkdtemp(prefix="cfr-db-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "x.db")
        db = self.connect(path)
        self.create(db, "live")
        db.execute("CREATE TABLE notes(x)")
        db.execute("INSERT INTO notes VALUES ('hello')")
        db.execute("INSERT INTO live(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        db.execute("SELECT cfregions_set_token(?)", (TOKEN2,))
        db.execute("INSERT INTO live(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        db.execute("CREATE TABLE copy AS SELECT * FROM live")
        with self.assertRaises(sqlite3.Error):
            db.execute("CREATE VIRTUAL TABLE bad USING origin_cloud_regions(zone_id='%s', token='%s')" % (ZONE, TOKEN2))
        db.close()
        self.assertEqual(len(self.fake.state()), 2)
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            for secret in SECRETS:
                self.assertNotIn(secret.encode(), data, name)
        # Reopened: the table works from the environment alone.
        db = self.connect(path)
        self.assertEqual(len(db.execute("SELECT * FROM live").fetchall()), 2)

    def test_credential_arguments_refused(self):
        for arg in ("token", "api_token", "api_key", "key", "email", "TOKEN", "password", "authorization"):
            with self.subTest(arg=arg):
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute("CREATE VIRTUAL TABLE c USING origin_cloud_regions(zone_id='%s', %s='%s')"
                                    % (ZONE, arg, TOKEN2))
                msg = str(cm.exception)
                self.assertIn("refused", msg)
                self.assertIn("CLOUDFLARE_API_TOKEN", msg)
                self.assertIn("cfregions_set_token", msg)
                self.assertNoSecret(msg)
        self.assertEqual(self.db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'c'").fetchone(), (0,))
        self.assertEqual(self.fake.log(), [])

    def test_non_loopback_http_refused_at_create(self):
        # The client refuses these before any connection: CREATE fails, nothing is stored, nothing sent.
        for url in ("http://10.1.2.3/client/v4", "http://10.1.2.3:8080/client/v4",
                    "http://127.0.0.1@10.1.2.3/client/v4", "ftp://127.0.0.1/x"):
            with self.subTest(url=url):
                t0 = time.monotonic()
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute("CREATE VIRTUAL TABLE c USING origin_cloud_regions(zone_id='%s', base_url='%s', timeout_ms=100, max_retries=0)"
                                    % (ZONE, url))
                self.assertLess(time.monotonic() - t0, 0.5)
                self.assertIn("base_url", str(cm.exception))
                self.assertEqual(self.db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'c'").fetchone(), (0,))
        self.setenv("CLOUDFLARE_BASE_URL", "http://10.1.2.3/client/v4")
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("CREATE VIRTUAL TABLE c USING origin_cloud_regions(zone_id='%s', timeout_ms=100, max_retries=0)" % ZONE)
        self.assertIn("loopback", str(cm.exception))

    def test_debug_log_never_shows_credentials(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
        env.update(CLOUDFLARE_API_TOKEN=TOKEN2, CLOUDFLARE_LOG="debug", CLOUDFLARE_BASE_URL=self.fake.api_url)
        proc = subprocess.run([sys.executable, "-c", CHILD, so_path(), self.fake.api_url, ZONE, TOKEN],
                              env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        log = self.fake.log()
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), len(log), proc.stderr)
        for line, entry in zip(lines, log):
            self.assertIn(entry["method"], line)
            self.assertIn(entry["path"], line)
            self.assertIn(str(entry["status"]), line)
            self.assertIn(" ms", line)
        self.assertIn("403", proc.stdout)
        for text in (proc.stderr, proc.stdout):
            self.assertNoSecret(text)
            self.assertNotIn("Bearer", text)
            self.assertNotIn("Authorization", text)


if __name__ == "__main__":
    main()
