#!/usr/bin/env python3
"""Recovery after a COMMIT that could not apply everything: the order that keeps mappings in place,
the unapplied list and its lifetime, cfregions_retry, and cfregions_pending, against the fake API.

    PYTHON test/test_api_recovery.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake). Cases that both API generations share are written
once (the mixin) and run by V1Tests and V2Tests.
"""

import sqlite3

from support.cases import FakeTestCase, main
from support.fake import ZONE
from support.mappings import rows


class RecoveryCases:
    def write_rule(self, **rule):
        rule.setdefault("method", self.upsert_method)
        rule.setdefault("path_contains", "/batch")
        rule.setdefault("count", 1000)
        return rule

    def retry(self, table="t"):
        return self.db.execute("SELECT cfregions_retry(?)", (table,)).fetchone()[0]

    def test_a_move_whose_upsert_fails_keeps_the_mapping(self):
        self.fake.seed([("10.1.0.1", "aws", "us-east-1")])
        self.fake.faults([self.write_rule(status=503)])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("UPDATE t SET origin_ip = '10.2.0.1' WHERE origin_ip = '10.1.0.1'")
        self.assertIn("applied 0 of 2", str(cm.exception))
        # The delete was never sent: the zone still has the mapping at its old IP.
        self.assertState([("10.1.0.1", "aws", "us-east-1")])
        self.assertEqual([w["method"] for w in self.writes()], [self.upsert_method] * 3)
        self.assertEqual([(u[1], u[2]) for u in self.unapplied()], [("delete", "10.1.0.1"), ("upsert", "10.2.0.1")])
        # Re-running the UPDATE would match nothing here; cfregions_retry finishes the move.
        self.fake.clear_faults()
        self.assertEqual(self.retry(), 2)
        self.assertState([("10.2.0.1", "aws", "us-east-1")])
        self.assertEqual(self.unapplied(), [])

    def test_a_half_applied_swap_is_finished_by_retry_not_swapped_back(self):
        data = rows(150, vendor="aws", region="us-east-1") + rows(150, start=150, vendor="aws", region="us-west-2")
        self.fake.seed(data)
        self.fake.faults([self.write_rule(after=1, status=500)])   # the 2nd of 3 batches fails
        swap = "UPDATE t SET region = CASE region WHEN 'us-east-1' THEN 'us-west-2' ELSE 'us-east-1' END"
        with self.assertRaises(sqlite3.OperationalError):
            self.db.execute(swap)
        self.assertEqual(len(self.unapplied()), 200)
        self.fake.clear_faults()
        self.fake.clear_log()
        self.assertEqual(self.retry(), 200)
        swapped = [(ip, v, "us-west-2" if r == "us-east-1" else "us-east-1") for ip, v, r in data]
        self.assertState(swapped)
        self.assertEqual(sum(w["items"] for w in self.writes()), 200)
        # Idempotent: a second call finds nothing listed and writes nothing.
        self.fake.clear_log()
        self.assertEqual(self.retry(), 0)
        self.assertNoWrites()

    def test_retry_drops_what_is_already_in_place_without_a_write(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(3))
        self.assertEqual(len(self.unapplied()), 3)
        self.fake.clear_faults()
        self.fake.seed(rows(2))               # someone else applied two of them meanwhile
        self.fake.clear_log()
        self.assertEqual(self.retry(), 1)
        self.assertEqual([w["items"] for w in self.writes()], [1])
        self.assertState(rows(3))
        self.assertEqual(self.unapplied(), [])

    def test_a_commit_with_nothing_to_send_keeps_the_list(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(3))
        self.fake.clear_faults()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'gcp', 'us-central1')")
        self.db.execute("UPDATE t SET region = region")
        self.assertEqual(len(self.unapplied()), 3)

    def test_a_later_commit_of_the_same_ip_supersedes_the_entry(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(2))
        self.fake.clear_faults()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES (?, 'gcp', 'us-central1')", (rows(1)[0][0],))
        self.assertEqual([u[2] for u in self.unapplied()], [rows(2)[1][0]])

    def test_the_list_follows_a_rename(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(2))
        self.db.execute("ALTER TABLE t RENAME TO live")
        self.assertEqual({u[0] for u in self.unapplied()}, {"live"})
        self.fake.clear_faults()
        self.assertEqual(self.retry("live"), 2)
        self.assertState(rows(2))

    def test_unapplied_carries_the_zone(self):
        self.fake.faults([self.write_rule(status=500)])
        with self.assertRaises(sqlite3.OperationalError):
            self.bulk(rows(1))
        self.assertEqual(self.db.execute("SELECT zone_id FROM cfregions_unapplied").fetchall(), [(ZONE,)])

    def test_a_failed_commit_lists_every_tables_unsent_changes(self):
        self.create(self.db, "u")
        self.fake.faults([self.write_rule(status=500)])
        self.db.execute("BEGIN")
        self.bulk(rows(2), table="t")
        self.bulk(rows(2, start=10), table="u")
        with self.assertRaises(sqlite3.OperationalError):
            self.db.execute("COMMIT")
        listed = self.db.execute("SELECT table_name, count(*) FROM cfregions_unapplied GROUP BY 1 ORDER BY 1").fetchall()
        self.assertEqual(listed, [("t", 2), ("u", 2)])
        self.fake.clear_faults()
        self.assertEqual(self.retry("t") + self.retry("u"), 4)
        self.assertState(rows(2) + rows(2, start=10))

    def test_pending_shows_what_commit_would_send(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.db.execute("UPDATE t SET origin_ip = '10.0.0.3' WHERE origin_ip = '10.0.0.1'")
        pending = self.db.execute("SELECT zone_id, operation, origin_ip, request FROM cfregions_pending "
                                  "ORDER BY request").fetchall()
        self.assertEqual(pending, [(ZONE, "create", "10.0.0.3", 1), (ZONE, "delete", "10.0.0.1", 2)])
        self.db.execute("ROLLBACK")
        self.assertNoWrites()

    def test_retry_is_refused_while_the_table_has_pending_writes(self):
        self.db.execute("BEGIN")
        self.bulk(rows(1))
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.retry()
        self.assertIn("COMMIT or ROLLBACK", str(cm.exception))
        self.db.execute("ROLLBACK")

    def test_retry_names_an_unknown_table(self):
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.retry("nosuch")
        self.assertIn("no origin_cloud_regions table named nosuch", str(cm.exception))


class V1Tests(RecoveryCases, FakeTestCase):
    api = "v1"


class V2Tests(RecoveryCases, FakeTestCase):
    api = "v2"


if __name__ == "__main__":
    main()
