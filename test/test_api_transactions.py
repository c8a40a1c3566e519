#!/usr/bin/env python3
"""Transactions over the API store: nothing is sent before COMMIT; ROLLBACK and ROLLBACK TO drop
pending writes; reads inside a transaction see its pending writes, and an INSERT may select from its
own table.

    PYTHON test/test_api_transactions.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).

Cases that both API generations share are written once (the mixin) and run by V1Tests and V2Tests.
"""

from support.cases import FakeTestCase, main
from support.mappings import rows


class TransactionCases:
    """BEGIN … COMMIT, ROLLBACK and savepoints."""

    def test_rollback_sends_nothing(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.bulk(rows(300, start=10))
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.1'")
        self.db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
        self.db.execute("ROLLBACK")
        self.assertNoWrites()
        self.assertState([("10.0.0.1", "aws", "us-east-1")])
        self.assertEqual(self.select(), [("10.0.0.1", "aws", "us-east-1")])

    def test_savepoint_rollback_to(self):
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.db.execute("SAVEPOINT s")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.db.execute("ROLLBACK TO s")
        self.db.execute("RELEASE s")
        self.db.execute("COMMIT")
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_a_table_whose_create_is_rolled_back_sends_nothing(self):
        # SQLite does not tell a table created after a savepoint that ROLLBACK TO undid it: its
        # writes (OR FAIL opens no statement savepoint) must still never reach the API.
        self.db.execute("BEGIN")
        self.db.execute("SAVEPOINT s")
        self.create(self.db, "later")
        self.db.execute("INSERT OR FAIL INTO later(origin_ip, vendor, region) VALUES ('10.0.0.9', 'aws', 'us-east-1')")
        self.db.execute("ROLLBACK TO s")
        self.db.execute("COMMIT")
        self.assertNoWrites()
        self.assertState([])
        self.assertEqual(self.unapplied(), [])
        # Created again under the same name in one transaction: only the second table's write goes.
        self.db.execute("BEGIN")
        self.db.execute("SAVEPOINT s")
        self.create(self.db, "again")
        self.db.execute("INSERT OR FAIL INTO again(origin_ip, vendor, region) VALUES ('10.0.0.9', 'aws', 'us-east-1')")
        self.db.execute("ROLLBACK TO s")
        self.create(self.db, "again")
        self.db.execute("INSERT OR FAIL INTO again(origin_ip, vendor, region) VALUES ('10.0.0.10', 'aws', 'us-east-1')")
        self.db.execute("COMMIT")
        self.assertState([("10.0.0.10", "aws", "us-east-1")])

    def test_reads_inside_transaction_see_pending_writes(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.3', 'gcp', 'us-central1')")
        self.db.execute("DELETE FROM t WHERE origin_ip = '10.0.0.1'")
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = '10.0.0.2'")
        self.assertEqual(self.select("SELECT origin_ip, vendor, region FROM t ORDER BY origin_ip"),
                         [("10.0.0.2", "aws", "us-east-2"), ("10.0.0.3", "gcp", "us-central1")])
        self.assertEqual(self.select("SELECT region FROM t WHERE origin_ip = '10.0.0.3'"), [("us-central1",)])
        self.assertEqual(self.select("SELECT * FROM t WHERE origin_ip = '10.0.0.1'"), [])
        self.assertEqual(self.select("SELECT count(*) FROM t WHERE origin_ip IN ('10.0.0.1', '10.0.0.2', '10.0.0.3')"), [(2,)])
        self.assertNoWrites()
        self.assertState([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("COMMIT")
        self.assertState([("10.0.0.2", "aws", "us-east-2"), ("10.0.0.3", "gcp", "us-central1")])

    def test_insert_select_from_itself(self):
        self.fake.seed(rows(120))
        self.db.execute("INSERT OR REPLACE INTO t(origin_ip, vendor, region) "
                        "SELECT origin_ip, 'gcp', 'us-central1' FROM t WHERE origin_ip LIKE '10.%'")
        self.assertState(rows(120, vendor="aws")[1::2] + rows(120, vendor="gcp", region="us-central1")[0::2])
        self.assertEqual([e["items"] for e in self.writes()], [60])


class V1Tests(TransactionCases, FakeTestCase):
    api = "v1"


class V2Tests(TransactionCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
