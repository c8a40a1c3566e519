#!/usr/bin/env python3
"""origin_cloud_regions edge cases that only a host program can produce, against the fake API.

    PYTHON test/test_api_edge_cases.py build/cfregions.so [unittest options]

Drives the fake through test/support/ (one fake per class, a fresh zone and table `t` per test).
Covers statements that interleave on one connection: a SELECT left unfinished (as Python's sqlite3
does with a cursor not read to the end) while other statements write, commit or roll back; and
answers the fake never gives, from a tiny loopback server (OddServer).
"""

import json
import os
import sqlite3
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.cases import FakeTestCase, main, so_path
from support.fake import TOKEN, ZONE
from support.mappings import rows, sort_rows


class OpenCursorCases:
    """A cursor's rows are one snapshot: writes by later statements never make it return a row
    with empty columns, and it never returns a row that a ROLLBACK took back."""

    def assertRowsComplete(self, got):
        for ip, vendor, region in got:
            self.assertTrue(vendor and region, "row with empty columns: %r" % ((ip, vendor, region),))

    def test_unfinished_select_keeps_its_snapshot_across_an_autocommit_delete(self):
        seeded = sort_rows(rows(6))
        self.fake.seed(seeded)
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        victim = seeded[3][0]
        self.db.execute("DELETE FROM t WHERE origin_ip = ?", (victim,))
        rest = cur.fetchall()
        self.assertRowsComplete(rest)
        self.assertEqual([first] + rest, seeded)
        self.assertState([r for r in seeded if r[0] != victim])
        self.assertEqual(self.select(), [r for r in seeded if r[0] != victim])

    def test_unfinished_select_keeps_its_snapshot_across_an_autocommit_update(self):
        seeded = sort_rows(rows(4))
        self.fake.seed(seeded)
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        self.db.execute("UPDATE t SET region = 'us-west-2' WHERE origin_ip = ?", (seeded[2][0],))
        self.assertEqual([first] + cur.fetchall(), seeded)
        self.assertEqual(self.select("SELECT region FROM t WHERE origin_ip = ?", (seeded[2][0],)), [("us-west-2",)])

    def test_cursor_in_a_transaction_skips_a_row_a_later_statement_deleted(self):
        seeded = sort_rows(rows(6))
        self.fake.seed(seeded)
        self.db.execute("BEGIN")
        self.db.execute("UPDATE t SET region = 'us-east-2' WHERE origin_ip = ?", (seeded[0][0],))
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        self.db.execute("DELETE FROM t WHERE origin_ip = ?", (seeded[3][0],))
        rest = cur.fetchall()
        self.assertRowsComplete(rest)
        self.assertNotIn(seeded[3][0], [r[0] for r in rest])
        self.db.execute("COMMIT")
        self.assertEqual(first, (seeded[0][0], "aws", "us-east-2"))

    def test_cursor_does_not_return_rows_a_rollback_took_back(self):
        seeded = sort_rows(rows(4))
        self.fake.seed(seeded)
        added = "2001:db8::ff"  # sorts after every seeded address
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES (?, 'gcp', 'us-central1')", (added,))
        cur = self.db.execute("SELECT origin_ip, vendor, region FROM t")
        first = cur.fetchone()
        self.db.execute("ROLLBACK")
        rest = cur.fetchall()
        self.assertRowsComplete(rest)
        self.assertEqual([first] + rest, seeded)
        self.assertNoWrites()


class SameNameTables(FakeTestCase):
    """Tables of the same name in two databases of one connection keep separate unapplied lists."""
    api = "v2"
    OTHER = "0123456789abcdef0123456789abcdef"

    def test_unapplied_lists_are_per_database(self):
        self.db.execute("ATTACH ':memory:' AS aux")
        self.create(self.db, "aux.t", zone=self.OTHER)
        self.fake.faults(reject_items={"10.0.0.1": "Mapping is locked.", "10.0.0.2": "Mapping is locked."})
        with self.assertRaises(sqlite3.Error):
            self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        with self.assertRaises(sqlite3.Error):
            self.db.execute("INSERT INTO aux.t(origin_ip, vendor, region) VALUES ('10.0.0.2', 'aws', 'us-east-1')")
        listed = self.db.execute("SELECT schema_name, table_name, origin_ip FROM cfregions_unapplied "
                                 "ORDER BY schema_name").fetchall()
        self.assertEqual(listed, [("aux", "t", "10.0.0.2"), ("main", "t", "10.0.0.1")])
        # A COMMIT of main.t that sends everything clears main.t's list only.
        self.fake.clear_faults()
        self.db.execute("INSERT INTO t(origin_ip, vendor, region) VALUES ('10.0.0.1', 'aws', 'us-east-1')")
        listed = self.db.execute("SELECT schema_name, table_name, origin_ip FROM cfregions_unapplied").fetchall()
        self.assertEqual(listed, [("aux", "t", "10.0.0.2")])


class V1OpenCursorTests(OpenCursorCases, FakeTestCase):
    api = "v1"


class V2OpenCursorTests(OpenCursorCases, FakeTestCase):
    api = "v2"


class OddServer:
    """A loopback server (in a thread) that answers every request with one fixed envelope, for
    answers the fake never gives."""

    def __init__(self, status, doc):
        data = json.dumps(doc).encode()
        self.paths = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                paths.append((self.command, self.path))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/client/v4" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class OddAnswerTests(unittest.TestCase):
    def table(self, server, api="v2"):
        os.environ["CLOUDFLARE_API_TOKEN"] = TOKEN
        self.addCleanup(os.environ.pop, "CLOUDFLARE_API_TOKEN", None)
        db = sqlite3.connect(":memory:", isolation_level=None)
        self.addCleanup(db.close)
        db.enable_load_extension(True)
        db.load_extension(so_path())
        db.execute("CREATE VIRTUAL TABLE t USING origin_cloud_regions(zone_id='%s', api='%s', base_url='%s', "
                   "max_retries=0)" % (ZONE, api, server.url))
        return db

    def test_lookup_answered_with_another_ip_is_an_error(self):
        entry = {"origin_ip": "10.0.0.2", "vendor": "aws", "region": "us-east-1",
                 "modified_on": "2024-01-01T00:00:00Z"}
        for api, doc in (("v2", entry), ("v1", {"id": "origin_public_cloud_region", "editable": True,
                                                "value": dict(entry, **{"origin-ip": entry["origin_ip"]}),
                                                "modified_on": entry["modified_on"]})):
            with self.subTest(api=api):
                server = OddServer(200, {"success": True, "errors": [], "messages": [], "result": doc})
                self.addCleanup(server.stop)
                db = self.table(server, api)
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    db.execute("SELECT * FROM t WHERE origin_ip = '10.0.0.1'").fetchall()
                self.assertIn("10.0.0.2", str(cm.exception))
                self.assertEqual(len(server.paths), 1)


if __name__ == "__main__":
    main()
