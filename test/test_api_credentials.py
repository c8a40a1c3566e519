#!/usr/bin/env python3
"""Where API tables take their credentials from: CLOUDFLARE_API_TOKEN, a token_env argument,
CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY, cfregions_set_token() and cfregions_set_credentials() (for
one connection, and not from a view or trigger); missing or wrong credentials are clear errors.

    PYTHON test/test_api_credentials.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).
"""

import sqlite3

from support.cases import FakeTestCase, main
from support.fake import API_KEY, EMAIL, TOKEN2


class CredentialTests(FakeTestCase):
    """Credentials (v2, the default generation)."""

    api = "v2"

    def test_wrong_token_is_a_clear_403(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-" + TOKEN2)
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        msg = str(cm.exception)
        self.assertIn("403", msg)
        self.assertIn("10000", msg)
        self.assertIn("Authentication error", msg)
        self.assertNoSecret(msg)
        self.assertEqual(len(self.fake.log()), 1, "403 is not retried")
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertIn("10000", str(cm.exception))
        self.assertNoSecret(str(cm.exception))

    def test_no_credentials_error(self):
        self.setenv("CLOUDFLARE_API_TOKEN", None)
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        self.assertIn("CLOUDFLARE_API_TOKEN", str(cm.exception))
        self.assertEqual(self.fake.log(), [])

    def test_set_token_bound_parameter_overrides_environment(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
        self.assertEqual(self.db.execute("SELECT cfregions_set_token(?)", (TOKEN2,)).fetchone(), (1,))
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual(self.select(), [("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.assertEqual(len(self.fake.state()), 2)
        # Cleared: back to the environment's (wrong) token.
        self.assertEqual(self.db.execute("SELECT cfregions_set_token(NULL)").fetchone(), (0,))
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        self.assertIn("10000", str(cm.exception))
        # Other connections do not see it.
        other = self.connect()
        self.create(other, "t")
        with self.assertRaises(sqlite3.OperationalError):
            other.execute("SELECT * FROM t").fetchall()

    def test_set_token_not_callable_from_schema(self):
        # SQLITE_DIRECTONLY: a view or trigger in the database (which anyone could have written)
        # cannot call it.
        self.db.execute("CREATE VIEW v AS SELECT cfregions_set_token('x') AS r")
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("SELECT * FROM v").fetchall()
        self.assertIn("unsafe", str(cm.exception))
        self.db.execute("CREATE TABLE a(x)")
        self.db.execute("CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT cfregions_set_credentials('e', 'k'); END")
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("INSERT INTO a VALUES (1)")
        self.assertIn("unsafe", str(cm.exception))

    def test_email_and_key_credentials(self):
        self.setenv("CLOUDFLARE_API_TOKEN", None)
        self.setenv("CLOUDFLARE_EMAIL", EMAIL)
        self.setenv("CLOUDFLARE_API_KEY", API_KEY)
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual(self.select(), [("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("DELETE FROM t")
        self.assertState([])
        # Wrong key: 403; the same pair through cfregions_set_credentials(?, ?) works.
        self.setenv("CLOUDFLARE_API_KEY", "nope")
        with self.assertRaises(sqlite3.OperationalError):
            self.select()
        self.assertEqual(self.db.execute("SELECT cfregions_set_credentials(?, ?)", (EMAIL, API_KEY)).fetchone(), (1,))
        self.assertEqual(self.select(), [])

    def test_token_env(self):
        self.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
        self.setenv("CLOUDFLARE_TOKEN_FOR_TESTS", TOKEN2)
        self.create(self.db, "mine", token_env="CLOUDFLARE_TOKEN_FOR_TESTS")
        self.assertEqual(self.select("SELECT * FROM mine"), [])
        schema = self.db.execute("SELECT sql FROM sqlite_schema WHERE name = 'mine'").fetchone()[0]
        self.assertNotIn(TOKEN2, schema)


if __name__ == "__main__":
    main()
