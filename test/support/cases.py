"""The command line of the test files, and FakeTestCase, the base of the API store's tests.

A test of the API store reads like this:

    class V2Tests(FakeTestCase):
        api = "v2"

        def test_delete(self):
            self.fake.seed([("10.0.0.1", "aws", "us-east-1")])        # the zone before
            self.db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
            self.assertState([])                                       # the zone after
            self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [("DELETE", 1)])

Every test starts from an empty fake with an empty request log, and a connection `self.db` with the
extension loaded and a table `t` over ZONE in the class's API generation, pointed at the fake.
Whatever the test sends is then in `self.fake.log()`; `writes()` and `reads()` split it, and the
assertions below compare the fake's state and the errors the extension raised. Cases that both
generations share are written once, as a mixin, and run by a V1Tests and a V2Tests class.
"""

import os
import sqlite3
import sys
import unittest

from support.fake import Fake, ZONE, TOKEN, SECRETS, ROOT
from support.mappings import BULK_SQL, as_json, sort_rows

_so_path = os.path.join(ROOT, "build", "cfregions.so")  # replaced by main()'s first argument


def so_path():
    """The extension under test: the path main() was given, else build/cfregions.so."""
    return _so_path


def main():
    """`python3 test_x.py [path/to/cfregions.so] [unittest options]`: sets so_path() from the first
    argument, then runs the tests of the file that called it (the __main__ module)."""
    global _so_path
    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        _so_path = os.path.abspath(args.pop(0))
    if not os.path.exists(_so_path):
        sys.exit("usage: %s path/to/cfregions.so [unittest options]" % sys.argv[0])
    unittest.main(argv=[sys.argv[0]] + args)


class FakeTestCase(unittest.TestCase):
    """Starts one fake per class; a fresh fake state, connection and table `t` per test."""

    api = "v2"

    @classmethod
    def setUpClass(cls):
        saved = {k: v for k, v in os.environ.items() if k.startswith("CLOUDFLARE_")}
        for k in saved:
            del os.environ[k]

        def restore():
            for k in [k for k in os.environ if k.startswith("CLOUDFLARE_")]:
                del os.environ[k]
            os.environ.update(saved)
        cls.addClassCleanup(restore)
        os.environ["CLOUDFLARE_API_TOKEN"] = TOKEN
        cls.fake = Fake()
        cls.addClassCleanup(cls.fake.stop)
        # Everything, including tables created without base_url, talks to the fake only.
        os.environ["CLOUDFLARE_BASE_URL"] = cls.fake.api_url

    def setUp(self):
        self.fake.reset()
        self.db = self.connect()
        self.create(self.db, "t")
        self.fake.clear_log()

    # ---- the API's paths for this class's generation
    @property
    def collection(self):
        path = "cache/origin_cloud_regions" if self.api == "v1" else "origin/cloud_regions"
        return "/zones/%s/%s" % (ZONE, path)

    @property
    def upsert_method(self):
        return "PATCH" if self.api == "v1" else "PUT"

    # ---- the test's environment, connections and tables
    def setenv(self, name, value):
        """Sets (or, with None, removes) an environment variable until the test ends."""
        old = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

        def restore():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
        self.addCleanup(restore)

    def connect(self, path=":memory:"):
        db = sqlite3.connect(path, isolation_level=None)
        db.enable_load_extension(True)
        db.load_extension(so_path())
        db.enable_load_extension(False)
        self.addCleanup(db.close)
        return db

    def create(self, db, name, zone=ZONE, **args):
        """CREATE VIRTUAL TABLE name over zone, in this class's generation, against the fake;
        args are further table arguments."""
        args.setdefault("api", self.api)
        args.setdefault("base_url", self.fake.api_url)
        text = ", ".join(["zone_id='%s'" % zone] + ["%s='%s'" % kv for kv in args.items()])
        db.execute("CREATE VIRTUAL TABLE %s USING origin_cloud_regions(%s)" % (name, text))

    def select(self, sql="SELECT origin_ip, vendor, region FROM t", params=()):
        return self.db.execute(sql, params).fetchall()

    def bulk(self, rows_, db=None, table="t"):
        """Upserts rows in one statement (BULK_SQL) into table."""
        (db or self.db).execute(BULK_SQL.replace("INTO t(", "INTO %s(" % table), (as_json(rows_),))

    def unapplied(self, db=None):
        return (db or self.db).execute(
            "SELECT table_name, operation, origin_ip, vendor, region, error "
            "FROM cfregions_unapplied ORDER BY operation, origin_ip").fetchall()

    # ---- what the fake saw, and what it holds
    def writes(self, log=None):
        return [e for e in (self.fake.log() if log is None else log) if e["method"] != "GET"]

    def reads(self, log=None):
        return [e for e in (self.fake.log() if log is None else log) if e["method"] == "GET"]

    def assertNoWrites(self, msg=None):
        self.assertEqual(self.writes(), [], msg)

    def assertState(self, expected, zone=ZONE):
        self.assertEqual(self.fake.state(zone), sort_rows(expected))

    def assertNoSecret(self, text):
        for secret in SECRETS:
            self.assertNotIn(secret, text)

    def assertRefused(self, sql, params=(), words=(), db=None, error=sqlite3.IntegrityError):
        """sql fails with error, whose message has every one of words, before anything is sent:
        no write request, and the fake's state is what it was."""
        self.fake.clear_log()
        before = self.fake.state()
        with self.assertRaises(error) as cm:
            (db or self.db).execute(sql, params)
        msg = str(cm.exception)
        for w in words:
            self.assertIn(w, msg)
        self.assertNoWrites()
        self.assertEqual(self.fake.state(), before)
        return msg
