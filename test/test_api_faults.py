#!/usr/bin/env python3
"""When the API fails: retries (429 with Retry-After, retry-after-ms, 5xx), a COMMIT applied in part
(its error message, the cfregions_unapplied list, and the re-run that converges), dropped
connections, malformed or unexpected answers, items the API rejects, failed reads before a write,
and the zone's limit of 3,500 mappings reached meanwhile; then, once, which answers are retried at
all and the timeout (RetryRuleTests).

    PYTHON test/test_api_faults.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only. Each class starts its own fake Cloudflare API, and every test starts from an empty
one (test/support/ says how tests drive the fake).

Cases that both API generations share are written once (the mixin) and run by V1Tests and V2Tests.
"""

import sqlite3
import time

from support.cases import FakeTestCase, main
from support.mappings import BULK_SQL, as_json, ip_of, rows


class FaultCases:
    """Faults injected into the fake (self.fake.faults), and what the extension makes of them."""

    def write_rule(self, **rule):
        rule.setdefault("method", self.upsert_method)
        rule.setdefault("path_contains", "/batch")
        return rule

    def test_429_retry_after_is_honoured(self):
        self.fake.faults([self.write_rule(count=1, status=429, retry_after="1")])
        t0 = time.monotonic()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertEqual([(e["method"], e["status"]) for e in self.writes()],
                         [(self.upsert_method, 429), (self.upsert_method, 200)])
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_retry_after_ms_is_honoured(self):
        self.fake.faults([{"method": "GET", "count": 1, "status": 503, "retry_after_ms": 700}])
        t0 = time.monotonic()
        self.assertEqual(self.select(), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.6)
        self.assertEqual([e["status"] for e in self.fake.log()], [503, 200])

    def test_5xx_retried_then_success(self):
        for i, status in enumerate((500, 502, 503)):
            with self.subTest(status=status):
                self.fake.faults([self.write_rule(count=1, status=status)])
                self.fake.clear_log()
                self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES (?, 'aws', 'us-east-1')", (ip_of(i),))
                self.assertEqual([e["status"] for e in self.writes()], [status, 200])
        self.assertState(rows(3))
        # Two failures in a row are still within the default two retries, reads too.
        self.fake.faults([{"method": "GET", "count": 2, "status": 502}])
        self.fake.clear_log()
        self.assertEqual(len(self.select()), 3)
        self.assertEqual([e["status"] for e in self.fake.log()], [502, 502, 200])

    def test_retries_exhausted_lists_unapplied(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.create(self.db, "t1", max_retries="1")
        self.fake.faults([self.write_rule(method="DELETE", count=1000, status=503)])
        self.fake.clear_log()
        stmts = ["DELETE FROM t1 WHERE origin_ip = '10.0.0.1'",
                 "INSERT INTO t1(origin_ip, vendor, region) VALUES ('10.0.0.3', 'gcp', 'us-central1')",
                 "INSERT OR REPLACE INTO t1(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-2')"]
        self.db.execute("BEGIN")
        for s in stmts:
            self.db.execute(s)
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("COMMIT")
        msg = str(cm.exception)
        self.assertFalse(self.db.in_transaction)
        # Upserts go first, deletes last: the failing delete leaves nothing missing from the zone.
        self.assertIn("applied 2 of 3", msg)
        self.assertIn("503", msg)
        self.assertIn("10.0.0.1", msg)
        self.assertIn("cfregions_unapplied", msg)
        self.assertIn("cfregions_retry('t1')", msg)
        self.assertNoSecret(msg)
        log = self.fake.log()
        self.assertEqual([(e["method"], e["status"]) for e in log if e["method"] != "GET"],
                         [(self.upsert_method, 200), ("DELETE", 503), ("DELETE", 503)],
                         "the upserts, then the delete with 1 retry")
        un = self.unapplied()
        self.assertEqual([u[:5] for u in un], [("t1", "delete", "10.0.0.1", None, None)])
        self.assertIn("503", un[0][5])
        self.assertState([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-2"),
                          ("10.0.0.3", "gcp", "us-central1")])
        # Fixed: cfregions_retry sends what is listed (not the statements again), and the list empties.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.assertEqual(self.db.execute("SELECT cfregions_retry('t1')").fetchone(), (1,))
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [("DELETE", 1)])
        self.assertState([("10.0.0.2", "aws", "us-east-2"), ("10.0.0.3", "gcp", "us-central1")])
        self.assertEqual(self.unapplied(), [])
        self.fake.clear_log()
        self.assertEqual(self.db.execute("SELECT cfregions_retry('t1')").fetchone(), (0,))
        self.assertNoWrites()

    def test_error_message_names_first_few_and_counts_the_rest(self):
        self.create(self.db, "t0", max_retries="0")
        self.fake.faults([self.write_rule(count=1000, status=500)])
        with self.assertRaises(sqlite3.Error) as cm:
            self.bulk(rows(250), table="t0")
        msg = str(cm.exception)
        self.assertIn("applied 0 of 250", msg)
        self.assertIn("and 245 more", msg)
        self.assertEqual(len(self.unapplied()), 250)
        self.assertEqual(len(self.writes()), 3, "the step's 3 batches go out together; no retries")

    def drop_mid_commit(self, mode):
        data = rows(3500)
        # Every request from the 11th on fails. (Not count=3 with the default 2 retries: libcurl
        # itself resends once on a fresh connection when a reused one turns out dead.)
        self.fake.faults([self.write_rule(after=10, count=1000, mode=mode)])
        with self.assertRaises(sqlite3.Error) as cm:
            self.bulk(data)
        msg = str(cm.exception)
        self.assertIn("applied 1000 of 3500", msg)
        self.assertIn("2500 not applied", msg)
        writes = self.writes()
        statuses = [e["status"] for e in writes]
        self.assertEqual(sorted(statuses).count(200), 10)
        self.assertEqual(set(statuses) - {200}, {0})
        # Batches go out 8 at a time: the 2nd group's last 6 fail (3 attempts each at most, any of
        # which libcurl may resend once itself on a dead connection); the 19 batches after them
        # are not sent.
        failed_attempts = len(statuses) - 10
        self.assertTrue(6 <= failed_attempts <= 6 * 3 * 2, statuses)
        un = self.unapplied()
        self.assertEqual(len(un), 2500)
        self.assertEqual(sum("not sent: an earlier request failed" in u[5] for u in un), 1900)
        # A dropped connection says nothing of whether the API applied the batch: both are listed
        # as unknown (cfregions_retry, or a re-run, finds out).
        lost = "outcome unknown (the API may have applied it)"
        self.assertEqual(sum(u[5].startswith(lost) for u in un), 600)
        self.assertEqual({u[1] for u in un}, {"upsert"})
        applied_by_fake = 1600 if mode == "drop_after_apply" else 1000
        self.assertEqual(len(self.fake.state()), applied_by_fake)
        # Re-running the same statement sends only what is still missing.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.bulk(data)
        writes = self.writes()
        self.assertEqual(sum(e["items"] for e in writes), 3500 - applied_by_fake)
        self.assertEqual(len(writes), (3500 - applied_by_fake) // 100)
        self.assertState(data)
        self.assertEqual(self.unapplied(), [])
        self.fake.clear_log()
        self.bulk(data)
        self.assertNoWrites()

    def test_connection_dropped_mid_commit_then_rerun_converges(self):
        self.drop_mid_commit("drop")

    def test_response_lost_after_apply_then_rerun_converges(self):
        self.drop_mid_commit("drop_after_apply")

    def test_failed_read_fails_the_write_statement_before_sending(self):
        self.fake.faults([{"method": "GET", "path_contains": "/supported_regions", "count": 3, "status": 500}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertIn("supported_regions", str(cm.exception))
        self.assertIn("500", str(cm.exception))
        self.assertNoWrites()
        self.fake.faults([{"method": "GET", "path_contains": "cloud_regions", "count": 3, "status": 503}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertIn("503", str(cm.exception))
        self.assertNoWrites()
        self.fake.clear_faults()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        self.assertState([("10.0.0.1", "aws", "us-east-1")])

    def test_listing_page_retried(self):
        self.fake.seed(rows(3500))
        # v2: one of the pages fetched concurrently fails once.
        self.fake.faults([{"method": "GET", "after": 7 if self.api == "v2" else 0, "count": 1, "status": 502}])
        self.assertEqual(self.select("SELECT count(*) FROM t"), [(3500,)])
        log = self.fake.log()
        self.assertEqual(sorted(e["status"] for e in log), [200] * (1 if self.api == "v1" else 35) + [502])
        self.fake.faults([{"method": "GET", "after": 1 if self.api == "v2" else 0, "count": 1000, "status": 502}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select("SELECT count(*) FROM t")
        self.assertIn("502", str(cm.exception))

    def test_zone_limit_reached_remotely_during_transaction(self):
        self.fake.seed(rows(3499))
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')")
        self.fake.seed(rows(3500))  # someone else took the last slot
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("COMMIT")
        msg = str(cm.exception)
        self.assertIn("1164", msg)
        self.assertIn("192.0.2.1", msg)
        self.assertEqual([u[1:5] for u in self.unapplied()], [("upsert", "192.0.2.1", "aws", "us-east-1")])
        self.assertEqual(len(self.fake.state()), 3500)
        # Re-running now sees the full zone and refuses before sending.
        self.assertRefused("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')",
                           words=("1164",))

    def test_ipv4_mapped_and_uncommon_forms(self):
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES "
                        "('::FFFF:192.0.2.1', 'aws', 'us-east-1'), ('2001:0db8:0000:0000:0000:0000:0000:0001', 'aws', 'us-east-1'), "
                        "('::192.0.2.1', 'aws', 'us-east-1')")
        self.assertState([("::ffff:192.0.2.1", "aws", "us-east-1"), ("2001:db8::1", "aws", "us-east-1"),
                          ("::c000:201", "aws", "us-east-1")])
        self.fake.clear_log()
        self.assertEqual(self.select("SELECT origin_ip FROM t WHERE origin_ip = '::ffff:c000:201'"), [("::ffff:192.0.2.1",)])
        self.assertEqual(len(self.fake.log()), 1)
        self.db.execute("DELETE FROM t WHERE origin_ip = '0:0:0:0:0:ffff:192.0.2.1'")
        self.assertEqual(len(self.fake.state()), 2)

    def test_malformed_json(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        self.fake.faults([{"method": "GET", "count": 1, "mode": "malformed"}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select()
        self.assertIn("malformed JSON", str(cm.exception))
        self.fake.faults([{"method": "GET", "count": 1, "mode": "malformed"}])
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select("SELECT * FROM t WHERE origin_ip = '10.0.0.1'")
        self.assertIn("malformed JSON", str(cm.exception))
        self.fake.faults([self.write_rule(count=1, mode="malformed")])
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.assertIn("malformed JSON", str(cm.exception))
        self.assertEqual([u[2] for u in self.unapplied()], ["10.0.0.2"])
        # The connection is fine afterwards (the fake's malformed answer did not apply the item).
        self.fake.clear_faults()
        self.assertEqual(len(self.select()), 1)
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        self.assertEqual(len(self.select()), 2)
        self.assertEqual(self.unapplied(), [])

    def test_wrong_shape(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1")])
        for sql in ("SELECT * FROM t", "SELECT * FROM t WHERE origin_ip = '10.0.0.1'"):
            with self.subTest(sql=sql):
                self.fake.faults([{"method": "GET", "count": 1, "mode": "wrong_shape"}])
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    self.select(sql)
                self.assertIn("unexpected", str(cm.exception))
        for method, sql in ((self.upsert_method, "INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')"),
                            ("DELETE", "DELETE FROM t WHERE origin_ip = '10.0.0.1'")):
            with self.subTest(sql=sql):
                self.fake.faults([self.write_rule(method=method, count=1, mode="wrong_shape")])
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute(sql)
                self.assertIn("unexpected", str(cm.exception))
                ip = "10.0.0.2" if method != "DELETE" else "10.0.0.1"
                self.assertIn(ip, [u[2] for u in self.unapplied()])
        self.fake.clear_faults()
        self.assertEqual(len(self.select()), 1)

    def test_rejected_items(self):
        self.fake.seed([("10.0.0.50", "aws", "us-east-1"), ("10.0.0.51", "aws", "us-east-1")])
        self.fake.faults(reject_items={"10.0.0.2": "Region temporarily unavailable",
                                       "2001:db8::7": "Mapping locked by policy",
                                       "10.0.0.51": "Deletion locked by policy"})
        data = [("10.0.0.%d" % i, "aws", "us-east-1") for i in range(1, 6)] + [("2001:DB8::7", "gcp", "us-central1")]
        stmts = [(BULK_SQL, (as_json(data),)), ("DELETE FROM t WHERE origin_ip IN ('10.0.0.50', '10.0.0.51')", ())]
        self.db.execute("BEGIN")
        for s, p in stmts:
            self.db.execute(s, p)
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("COMMIT")
        msg = str(cm.exception)
        # Two upserts refused: the deletes, which go last, are held back (had one of the upserts
        # been the new half of a move, its delete would have lost the mapping).
        self.assertIn("applied 4 of 8", msg)
        for word in ("10.0.0.2", "Region temporarily unavailable", "2001:db8::7", "Mapping locked by policy",
                     "10.0.0.51", "not sent"):
            self.assertIn(word, msg)
        self.assertEqual([u[:5] for u in self.unapplied()],
                         [("t", "delete", "10.0.0.50", None, None),
                          ("t", "delete", "10.0.0.51", None, None),
                          ("t", "upsert", "10.0.0.2", "aws", "us-east-1"),
                          ("t", "upsert", "2001:db8::7", "gcp", "us-central1")])
        self.assertEqual(["rejected by the API" in u[5] for u in self.unapplied()], [False, False, True, True])
        self.assertState([("10.0.0.%d" % i, "aws", "us-east-1") for i in (1, 3, 4, 5)] +
                         [("10.0.0.50", "aws", "us-east-1"), ("10.0.0.51", "aws", "us-east-1")])
        # Cleared on the fake's side: cfregions_retry sends only what is listed.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.assertEqual(self.db.execute("SELECT cfregions_retry('t')").fetchone(), (4,))
        self.assertEqual(sorted((e["method"], e["items"]) for e in self.writes()),
                         sorted([("DELETE", 2), (self.upsert_method, 2)]))
        self.assertState([(ip.lower(), v, r) for ip, v, r in data])
        self.assertEqual(self.unapplied(), [])

    def test_delete_of_a_mapping_removed_remotely(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM t")
        self.fake.seed([("10.0.0.2", "aws", "us-east-1")])  # someone else removed 10.0.0.1 meanwhile
        self.fake.clear_log()
        # The API refuses the delete of 10.0.0.1 (no mapping); one GET confirms it is gone, which
        # is what the DELETE wanted, so the COMMIT succeeds and nothing is reported unapplied.
        self.db.execute("COMMIT")
        self.assertEqual(self.unapplied(), [])
        self.assertState([])
        reads = [e for e in self.fake.log() if e["method"] == "GET"]
        self.assertEqual(len(reads), 1)
        self.assertIn("10.0.0.1", reads[0]["path"])

    def test_refused_delete_of_a_mapping_that_still_exists(self):
        self.fake.seed([("10.0.0.1", "aws", "us-east-1"), ("10.0.0.2", "aws", "us-east-1")])
        self.fake.faults(reject_items={"10.0.0.1": "Mapping is locked."})
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute("DELETE FROM t")
        msg = str(cm.exception)
        self.assertIn("applied 1 of 2", msg)
        self.assertIn("10.0.0.1", msg)
        self.assertIn("Mapping is locked", msg)
        self.assertNotIn("..", msg)
        self.assertEqual([u[1:3] for u in self.unapplied()], [("delete", "10.0.0.1")])
        self.assertState([("10.0.0.1", "aws", "us-east-1")])
        # Once the API accepts it, re-running sends only the missing delete and empties the list.
        self.fake.clear_faults()
        self.fake.clear_log()
        self.db.execute("DELETE FROM t")
        self.assertEqual([(e["method"], e["items"]) for e in self.writes()], [("DELETE", 1)])
        self.assertState([])
        self.assertEqual(self.unapplied(), [])

    def test_zone_limit_3500(self):
        data = rows(3500)
        self.fake.seed(data)
        self.assertRefused("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')",
                           words=("192.0.2.1", "3500", "1164"))
        self.assertRefused("INSERT OR REPLACE INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')",
                           words=("3500",))
        # Changing an existing mapping, or making room first, is fine.
        self.db.execute("BEGIN")
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = ?", (ip_of(0),))
        self.db.execute("DELETE FROM t WHERE origin_ip = ?", (ip_of(1),))
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('192.0.2.1', 'aws', 'us-east-1')")
        self.db.execute("COMMIT")
        state = self.fake.state()
        self.assertEqual(len(state), 3500)
        self.assertIn(("192.0.2.1", "aws", "us-east-1"), state)
        self.assertIn((ip_of(0), "aws", "us-east-2"), state)



class V1Tests(FaultCases, FakeTestCase):
    api = "v1"


class V2Tests(FaultCases, FakeTestCase):
    api = "v2"


class RetryRuleTests(FakeTestCase):
    """Which statuses and headers make the extension retry, and how long it waits (v2)."""

    api = "v2"

    def test_retry_rules(self):
        def attempt(rule, expect_ok):
            self.fake.faults([dict(rule, method="GET")])
            self.fake.clear_log()
            t0 = time.monotonic()
            if expect_ok:
                self.assertEqual(self.select(), [])
            else:
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    self.select()
                self.assertIn("HTTP %d" % rule["status"], str(cm.exception))
            return [e["status"] for e in self.fake.log()], time.monotonic() - t0
        for status in (408, 409, 500, 502, 503, 504):
            with self.subTest(status=status):
                self.assertEqual(attempt({"count": 1, "status": status}, True)[0], [status, 200])
        with self.subTest("400 is not retried"):
            self.assertEqual(attempt({"count": 1, "status": 400}, False)[0], [400])
        with self.subTest("x-should-retry: false"):
            self.assertEqual(attempt({"count": 1, "status": 503, "headers": {"x-should-retry": "false"}}, False)[0], [503])
        with self.subTest("x-should-retry: true"):
            self.assertEqual(attempt({"count": 1, "status": 400, "headers": {"x-should-retry": "true"}}, True)[0], [400, 200])
        with self.subTest("Retry-After over max_wait_s fails at once, saying when to retry"):
            self.fake.faults([{"method": "GET", "count": 1, "status": 429, "retry_after": "3600"}])
            self.fake.clear_log()
            t0 = time.monotonic()
            with self.assertRaises(sqlite3.OperationalError) as cm:
                self.select()
            self.assertLess(time.monotonic() - t0, 2)
            self.assertEqual([e["status"] for e in self.fake.log()], [429])
            self.assertIn("3600 s", str(cm.exception))
            self.assertIn("max_wait_s", str(cm.exception))
            self.assertIn("retry after", str(cm.exception))
        with self.subTest("retries exhausted on reads"):
            log, elapsed = attempt({"count": 10, "status": 503}, False)
            self.assertEqual(log, [503, 503, 503])  # 1 + max_retries (2)
            self.assertGreaterEqual(elapsed, 0.7)  # two backoffs of 0.5 s and 1 s, minus 25 % jitter

    def test_max_wait_s_bounds_the_whole_statement(self):
        # The listing of an UPDATE waits 2 s on a 429; its COMMIT then draws another 429 asking for
        # 2 s, more than the 1 s the statement may still wait: it fails at once, saying so.
        self.create(self.db, "w", max_wait_s="3")
        self.fake.seed([("192.0.2.1", "aws", "us-east-1")])
        update = "UPDATE w SET region = 'us-east-2' WHERE origin_ip = '192.0.2.1'"
        both = [{"method": "GET", "count": 1, "status": 429, "retry_after": "2"},
                {"method": "PUT", "count": 1, "status": 429, "retry_after": "2"}]
        self.fake.faults(both)
        t0 = time.monotonic()
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.db.execute(update)
        self.assertLess(time.monotonic() - t0, 3.5)
        self.assertIn("max_wait_s", str(cm.exception))
        self.assertIn("retry after", str(cm.exception))
        self.assertEqual(self.fake.state(), [("192.0.2.1", "aws", "us-east-1")])
        # The next statement has the whole budget again: the same two waits fit in it one by one.
        self.fake.faults([both[0]])
        self.db.execute("SELECT count(*) FROM w").fetchall()
        self.fake.faults([both[1]])
        self.db.execute("SELECT cfregions_retry('w')").fetchall()
        self.assertEqual(self.fake.state(), [("192.0.2.1", "aws", "us-east-2")])

    def test_timeout(self):
        self.create(self.db, "slow", timeout_ms="300", max_retries="0")
        self.fake.faults(latency_ms=1500)
        t0 = time.monotonic()
        with self.assertRaises(sqlite3.OperationalError) as cm:
            self.select("SELECT * FROM slow")
        self.assertLess(time.monotonic() - t0, 1.4)
        self.assertIn("timed out", str(cm.exception))


if __name__ == "__main__":
    main()
