#!/usr/bin/env python3
"""A hostile server against the API store: whatever a broken or malicious API answers, a statement
ends in a clear error that names the real failure, within its timeouts, in bounded memory, and no
escape character the server sent reaches a row or an error raw.

    PYTHON test/test_api_hostile.py build/cfregions.so [unittest options]

PYTHON is a python3 whose sqlite3 module can load extensions (`sh test/find-python.sh`). Standard
library only, plus the stock `sqlite3` shell and GNU time (/usr/bin/time).

Each case points a table's base_url (a loopback URL, trusted without asking) or, for
`supported_regions WHERE zone_id = …`, $CLOUDFLARE_BASE_URL at one behaviour of
test/hostile_server.py, and runs the statement in a child `sqlite3 :memory:` shell that loads the
extension and reads the SQL from stdin. The child's peak memory (its maximum resident set size, as
GNU time reports it) is compared with that of the same shell running a trivial query with the
extension loaded: a statement may use at most 64 MiB more, whatever the server sends (a valid
answer is far smaller).
A child that outlives its time limit is killed and the case fails as a hang.

Every case is recorded: at the end a table (case, the error's first 120 characters with the zone id
shown as Z, peak memory above the baseline in MB, seconds) goes to stderr, and to the file named by
$CFR_HOSTILE_REPORT.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support.cases import main, so_path  # noqa: E402
from support.fake import ROOT, TOKEN, ZONE  # noqa: E402

HOSTILE_SERVER = os.path.join(ROOT, "test", "hostile_server.py")
MIB = 1 << 20
MEMORY_LIMIT_KB = 64 * 1024      # what a statement may add to the shell's own peak
CHILD_LIMIT_S = 60.0             # a child still running after this is a hang
# Caps of the store per kind of request (ext/store_api.c): the error must name them.
CAP_PAGE, CAP_LIST, CAP_LOOKUP = 1 * MIB, 4 * MIB, 64 * 1024
CAP_REGIONS, CAP_BATCH = 1 * MIB, 1 * MIB
IN_FLIGHT = 8                    # concurrent requests of one statement
# Control characters the hostile server sends (a raw LF shows as a line the shell did not write).
ESCAPE_RAW = ("\x1b", "\r", "\x00", "\x08", "\x07", "\x7f")
# Characters that reorder or hide text on a terminal (bidi embeddings, overrides and isolates,
# marks) and C1 controls: as harmful as ESC in an error message.
INVISIBLE = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# 150 new mappings: two batch requests (100 + 50).
INSERT_150 = ("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 150) "
              "INSERT INTO t(origin_ip, vendor, region) "
              "SELECT '10.1.' || (i / 100) || '.' || (i % 100), 'aws', 'us-east-1' FROM s;")
SENT_150 = {"10.1.%d.%d" % (i // 100, i % 100) for i in range(1, 151)}
# The 150 mappings of /zone-writes/entries=150, which DELETE FROM t deletes.
ZONE_150 = {"10.0.0.%d" % i for i in range(150)}
UNAPPLIED = "SELECT operation || ' ' || origin_ip FROM cfregions_unapplied;"


class Outcome:
    """What one child shell did: its exit, its output, its peak memory and how long it took."""

    def __init__(self, returncode, stdout, stderr, maxrss_kb, seconds, timed_out):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.maxrss_kb, self.seconds, self.timed_out = maxrss_kb, seconds, timed_out
        self.text = stderr.decode("utf-8", "replace")
        found = re.search(r"(?:Runtime|Parse) error near line \d+: (.*)|^Error: (.*)", self.text,
                          re.M)
        self.error = (found.group(1) or found.group(2)) if found else None
        self.rows = stdout.decode("utf-8", "replace").splitlines()


def child_env(**extra):
    """The environment of a child shell: no CLOUDFLARE_* or proxy variable of ours, a token."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CLOUDFLARE_") and "proxy" not in k.lower()}
    env["CLOUDFLARE_API_TOKEN"] = TOKEN
    env.update(extra)
    return env


def run_shell(sql, env, limit_s=CHILD_LIMIT_S):
    """Runs `sqlite3 :memory:` with the extension loaded and sql on stdin, under GNU time, which
    reports the shell's own peak memory; kills both after limit_s.

    GNU time stands between this process and the shell because a child's peak memory starts at
    what its parent had when it forked (Linux carries the parent's resident set over fork and
    exec): measured from here it would be this Python's, not the shell's."""
    script = ".load %s\n%s\n" % (so_path(), sql)
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as report:
        stdin.write(script.encode())
        stdin.seek(0)
        start = time.monotonic()
        child = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", report.name, SQLITE3, "-batch",
                                  "-init", os.devnull, ":memory:"], stdin=stdin, stdout=out,
                                 stderr=err, env=env, start_new_session=True)
        try:
            child.wait(limit_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # the session started above: time and sqlite3
            child.wait()
            timed_out = True
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        lines = report.read().splitlines()
        killed = re.search(r"terminated by signal (\d+)", "\n".join(lines))
        returncode = -int(killed.group(1)) if killed else child.returncode
        maxrss_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        return Outcome(returncode, out.read(), err.read(), maxrss_kb, seconds, timed_out)


SQLITE3 = shutil.which("sqlite3")
GNU_TIME = "/usr/bin/time"
REPORT = []  # (case, error, MB above the baseline, seconds)


def setUpModule():
    """Starts test/hostile_server.py, and measures the baseline: the same shell, extension loaded,
    running a query that sends nothing (the largest peak of three runs)."""
    if not SQLITE3:
        raise RuntimeError("the sqlite3 shell is needed (apt-get install sqlite3)")
    if not os.access(GNU_TIME, os.X_OK):
        raise RuntimeError("GNU time is needed to measure the shell's memory (apt-get install "
                           "time)")
    server = subprocess.Popen([sys.executable, HOSTILE_SERVER, "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    unittest.addModuleCleanup(stop_server, server)
    line = server.stdout.readline().decode()
    found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not found:
        raise RuntimeError("hostile server did not start: %r" % line)
    HostileTestCase.origin = "http://127.0.0.1:%s" % found.group(1)
    runs = [run_shell("SELECT cfregions_version();", child_env()) for _ in range(3)]
    for r in runs:
        if r.returncode != 0 or len(r.rows) != 1 or r.maxrss_kb <= 0:
            raise RuntimeError("baseline shell failed: %s" % r.text)
    HostileTestCase.baseline_kb = max(r.maxrss_kb for r in runs)


def stop_server(server):
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.stdout.close()


def tearDownModule():
    if not REPORT:
        return
    lines = ["%-58s | %-120s | %8s | %6s" % ("case", "error (first 120 characters)", "MB above",
                                              "s")]
    for case, error, mb, seconds in REPORT:
        lines.append("%-58s | %-120s | %8.1f | %6.2f" % (case, error, mb, seconds))
    text = "\n".join(lines) + "\n"
    sys.stderr.write("\nPeak memory above the baseline shell (%.1f MB), per case:\n"
                     % (HostileTestCase.baseline_kb / 1024.0) + text)
    path = os.environ.get("CFR_HOSTILE_REPORT")
    if path:
        with open(path, "w") as f:
            f.write(text)


class HostileTestCase(unittest.TestCase):
    """Runs cases against the module's hostile server; origin and baseline_kb come from
    setUpModule."""

    origin = None
    baseline_kb = 0

    # ---- the server's request counts
    def requests_seen(self):
        with urllib.request.urlopen(self.origin + "/__hostile/requests", timeout=10) as r:
            return json.loads(r.read())

    def forget_requests(self):
        req = urllib.request.Request(self.origin + "/__hostile/requests", method="DELETE")
        urllib.request.urlopen(req, timeout=10).close()

    # ---- running a case
    def table_sql(self, behaviour, **args):
        args.setdefault("api", "v2")
        text = ", ".join(["zone_id='%s'" % ZONE, "base_url='%s/%s'" % (self.origin, behaviour)]
                         + ["%s='%s'" % kv for kv in args.items()])
        return "CREATE VIRTUAL TABLE t USING origin_cloud_regions(%s);" % text

    def run_case(self, case, sql, env=None, limit_s=CHILD_LIMIT_S, expect_error=True):
        """Runs sql in a child shell; records the case; checks what every case must hold: the
        child ended by itself (no hang, no crash), with an error (unless expect_error is False),
        in bounded memory, and its error output is valid UTF-8, only the shell's own error lines,
        without a raw control character."""
        self.forget_requests()
        r = run_shell(sql, env or child_env(), limit_s)
        above_mb = (r.maxrss_kb - self.baseline_kb) / 1024.0
        shown = (r.error or r.text.strip() or "(no error)").replace(ZONE, "Z")
        REPORT.append((case, shown[:120], above_mb, r.seconds))
        self.assertFalse(r.timed_out, "%s: still running after %.0f s: a hang" % (case, limit_s))
        self.assertGreaterEqual(r.returncode, 0, "%s: killed by signal %d (a crash): %s"
                                % (case, -r.returncode, r.text))
        if expect_error:
            self.assertIsNotNone(r.error, "%s: no error: %s" % (case, r.text))
        else:
            self.assertEqual((r.returncode, r.text), (0, ""), case)
        self.assertLessEqual(r.maxrss_kb - self.baseline_kb, MEMORY_LIMIT_KB,
                             "%s: peak memory %.1f MB above the baseline shell (limit 64 MiB)"
                             % (case, above_mb))
        try:
            r.stderr.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail("%s: the error is not valid UTF-8 (%s): %r" % (case, e, r.stderr[-80:]))
        # A raw CR or LF from the server would start a line of its own.
        for line in r.text.splitlines():
            self.assertRegex(line, r"^(Runtime error near line \d+: |Parse error near line "
                                   r"\d+: |Error: )", "%s: a line the shell did not write" % case)
        for c in ESCAPE_RAW:
            self.assertNotIn(c, r.text, "%s: raw %r in the error" % (case, c))
        return r

    def assertNames(self, r, words=(), not_words=()):
        """The error has every one of words and none of not_words."""
        for w in words:
            self.assertIn(w, r.error)
        for w in not_words:
            self.assertNotIn(w, r.error)

    def listing(self, case, behaviour, words=(), not_words=(), sql="SELECT count(*) FROM t;",
                limit_s=CHILD_LIMIT_S, **args):
        """A full listing of a table whose base_url is behaviour: it fails naming words, and
        yields no row."""
        r = self.run_case(case, self.table_sql(behaviour, **args) + "\n" + sql, limit_s=limit_s)
        self.assertNames(r, words, not_words)
        self.assertEqual(r.rows, [], "%s: a row came out of a failed listing" % case)
        return r

    def zone_regions(self, case, behaviour, words=()):
        """SELECT … FROM supported_regions WHERE zone_id = … with $CLOUDFLARE_BASE_URL at
        behaviour."""
        env = child_env(CLOUDFLARE_BASE_URL="%s/%s" % (self.origin, behaviour))
        r = self.run_case(case, "SELECT * FROM supported_regions WHERE zone_id = '%s';" % ZONE,
                          env)
        self.assertNames(r, words)
        self.assertEqual(r.rows, [], "%s: a row came out of a refused list" % case)
        return r


def too_big(cap):
    return "response exceeded the limit of %d bytes for this request" % cap


class V2ListingTests(HostileTestCase):
    """v2 listings: pages of 100, the pages after the first fetched concurrently."""

    def test_first_page_of_32_mib_is_stopped_at_the_page_cap(self):
        for pages in (10, 60, 200):
            with self.subTest(pages=pages):
                self.listing("v2 %d pages x 32 MiB" % pages,
                             "v2-page/mib=32/total_pages=%d" % pages,
                             ["page=1&", too_big(CAP_PAGE)])

    def test_later_pages_of_32_mib_are_each_stopped_at_the_page_cap(self):
        # Page 1 is valid and announces the pages; every page after it is 32 MiB.
        for pages in (10, 40):
            with self.subTest(pages=pages):
                r = self.listing("v2 page 1 ok, %d more x 32 MiB" % (pages - 1),
                                 "v2-page/first_entries=100/mib=32/total_pages=%d" % pages,
                                 [too_big(CAP_PAGE)], ["page=1&"])
                self.assertRegex(r.error, r"page=([2-9]|[1-3][0-9]|40)&")
                # The first failure stops the pages not yet requested: page 1 and one group.
                seen = sum(self.requests_seen().values())
                self.assertLessEqual(seen, 1 + IN_FLIGHT, "%d requests" % seen)

    def test_pages_just_under_the_cap_are_refused_by_their_json_values(self):
        # 39 pages of 0.99 MiB are all in memory at once before the first is decoded: the most a
        # listing can hold. Each page has far more JSON values than 100 entries can.
        self.listing("v2 page 1 ok, 39 more x 0.99 MiB",
                     "v2-page/first_entries=100/mib=0.99/total_pages=40",
                     ["more JSON values than a valid answer holds", "HTTP 200"], ["page=1&"])

    def test_more_pages_than_a_zone_can_have_is_refused_at_page_1(self):
        for pages in (60, 200):
            with self.subTest(pages=pages):
                self.listing("v2 %d pages of 100 valid entries" % pages,
                             "v2-page/entries=100/total_pages=%d/distinct=1" % pages,
                             ["page=1&", "result_info.total_pages or total_count", "more than a "
                              "zone can hold"])
                self.assertEqual(sum(self.requests_seen().values()), 1)

    def test_more_entries_than_a_zone_can_hold_across_pages(self):
        # result_info claims 40 pages and 4,000 mappings; each page holds 150 distinct ones.
        self.listing("v2 40 pages x 150 valid entries",
                     "v2-page/entries=150/total_pages=40/total_count=4000/distinct=1",
                     ["more than 4000 mappings (a zone holds at most 3500)"])


class V1ListingTests(HostileTestCase):
    """v1 listings: the whole zone in one GET (a value[] in the answer's result)."""

    def test_32_mib_of_empty_objects(self):
        self.listing("v1 32 MiB of {}", "v1-empty-objects/mib=32", [too_big(CAP_LIST)], api="v1")

    def test_empty_objects_under_the_cap_are_refused_before_decoding(self):
        self.listing("v1 3.9 MiB of {}", "v1-empty-objects/mib=3.9",
                     ["more JSON values than a valid answer holds"], ["exceeded the limit"],
                     api="v1")

    def test_the_most_empty_objects_the_value_bound_lets_through(self):
        # 79,700 objects: just under the bound on JSON values, so decoded, then refused by count.
        self.listing("v1 0.228 MiB of {} (decoded)", "v1-empty-objects/mib=0.228",
                     ["more than 4000 mappings"], api="v1")

    def test_32_mib_of_valid_entries(self):
        self.listing("v1 32 MiB of valid entries (332,222)", "v1-entries/mib=32",
                     [too_big(CAP_LIST)], api="v1")

    def test_valid_entries_under_the_cap_are_refused_before_decoding(self):
        self.listing("v1 3.9 MiB of valid entries", "v1-entries/mib=3.9",
                     ["more JSON values than a valid answer holds"], api="v1")

    def test_more_valid_entries_than_a_zone_can_hold(self):
        self.listing("v1 4,001 valid entries", "v1-entries/entries=4001",
                     ["more than 4000 mappings (a zone holds at most 3500)"], api="v1")


class SupportedRegionsTests(HostileTestCase):
    """supported_regions WHERE zone_id = …, sent to $CLOUDFLARE_BASE_URL."""

    def test_32_mib_answer(self):
        self.zone_regions("supported_regions 32 MiB", "supported-regions/mib=32",
                          [too_big(CAP_REGIONS)])

    def test_100000_valid_looking_regions(self):
        self.zone_regions("supported_regions 100,000 regions", "supported-regions/count=100000",
                          [too_big(CAP_REGIONS)])

    def test_more_regions_than_a_list_holds_under_the_cap(self):
        self.zone_regions("supported_regions 19,000 regions (< cap)",
                          "supported-regions/count=19000", ["supported regions: more than 4096"])

    def test_the_most_empty_objects_the_value_bound_lets_through(self):
        self.zone_regions("supported_regions 82,000 {} (decoded)",
                          "supported-regions/count=82000/empty=1",
                          ["supported regions: more than 4096"])

    def test_escapes_in_a_region_name(self):
        r = self.zone_regions("supported_regions escaped name", "escape-regions",
                              ["an entry has no usable name"])
        self.assertIsNone(INVISIBLE.search(r.error))


class ErrorMessageTests(HostileTestCase):
    """errors[].message of a failed answer is quoted in the error, short and escaped."""

    def test_31_mb_error_message_is_stopped_at_the_cap(self):
        self.listing("31 MB error message", "error-message", [too_big(CAP_PAGE)],
                     ["malformed", "HTTP 400:"])

    def test_error_message_under_the_cap_is_cut_short(self):
        r = self.listing("1,000,000-byte error message", "error-message/bytes=1000000",
                         ["failed with HTTP 400: code 1000 mmmm", "mmm..."])
        self.assertLess(len(r.error), 600)

    def test_error_message_cut_inside_a_multibyte_character_stays_utf8(self):
        # "aé" repeated: the cut at the quoting limit falls inside an "é". run_case checks that
        # the shell's error output is valid UTF-8.
        r = self.listing("error message of 'a\u00e9' x 333,333", "error-message/bytes=1000000/"
                         "fill=a%C3%A9", ["failed with HTTP 400: code 1000 a\u00e9a\u00e9"])
        self.assertLess(len(r.error), 600)

    def test_message_that_is_not_valid_json(self):
        # With a NUL and a lone surrogate, the whole answer is not JSON: the status remains.
        r = self.listing("escape message (invalid JSON)", "escape-message",
                         ["failed with HTTP 400"], ["X-Injected: 1\\r"])
        self.assertIsNone(INVISIBLE.search(r.error))

    def test_control_characters_in_a_message_are_escaped(self):
        self.listing("escape message", "escape-message/json=valid",
                     ["failed with HTTP 400: code 1000 bad \\x1b[31mred\\x1b[0m text\\r\\n"
                      "X-Injected: 1\\r\\n\\r\\nnul bs\\x08 bell\\x07 \"quoted\" back\\slash "])

    def test_no_bidi_override_reaches_an_error(self):
        # U+202E RIGHT-TO-LEFT OVERRIDE makes a terminal show the rest of the line reversed.
        cases = [
            ("bidi in an error message", "escape-message/json=valid", "HTTP 400"),
            ("bidi in an entry's IP", "escape-entry/field=origin_ip/text=10.0.0.1%E2%80%AE%1B",
             "entry with an invalid IP"),
            ("bidi in a malformed JSON answer",
             "status/code=200/body=%5B%22a%22%2C%20%E2%80%AEevil", "malformed JSON"),
        ]
        for case, behaviour, words in cases:
            with self.subTest(case=case):
                r = self.listing(case, behaviour, [words])
                found = INVISIBLE.search(r.error)
                self.assertIsNone(found, "raw U+%04X in: %s" % (ord(found.group()), r.error)
                                  if found else "")


class EntryTests(HostileTestCase):
    """Listed entries whose fields carry escapes are refused, and quoted only escaped."""

    def test_escapes_in_every_field(self):
        self.listing("escape entry (invalid JSON)", "escape-entry", ["malformed JSON"],
                     sql="SELECT * FROM t;")

    def test_escapes_in_one_field(self):
        for field in ("origin_ip", "vendor", "region", "modified_on"):
            with self.subTest(field=field):
                self.listing("escape entry: %s" % field,
                             "escape-entry/field=%s/json=valid" % field,
                             ['entry with an unusable "%s" (item 0)' % field],
                             sql="SELECT * FROM t;")

    def test_short_values_with_escapes_are_not_identifiers(self):
        # Short enough to be kept, then refused as vendor or region ids.
        for field, text in (("vendor", "aws%1B%5B0m"), ("region", "us-east-1%0D%0AX:1"),
                            ("vendor", "aws%E2%80%AE"), ("region", "us%22east")):
            with self.subTest(field=field, text=text):
                self.listing("escape entry: short %s %s" % (field, text),
                             "escape-entry/field=%s/json=valid/text=%s" % (field, text),
                             ["entry for 10.0.0.1 with a vendor or region that is not an "
                              "identifier"], sql="SELECT * FROM t;")

    def test_escape_in_an_ip_is_quoted_escaped(self):
        self.listing("escape entry: short IP", "escape-entry/field=origin_ip/text=10.0.0.1%1B%5B31m"
                     "%0D%0AX", ["entry with an invalid IP '10.0.0.1\\x1b[31m\\r\\nX'"],
                     sql="SELECT * FROM t;")


class TransportTests(HostileTestCase):
    """Answers broken below JSON: compression, length, time, headers."""

    def test_gzip_bomb(self):
        r = self.listing("gzip bomb (1 GiB decoded)", "gzip-bomb", [too_big(CAP_PAGE)])
        self.assertLess(r.seconds, 20)

    def test_truncated_body_after_a_404(self):
        self.listing("truncated 404 body", "truncated-404",
                     ["the HTTP 404 answer from 127.0.0.1:", "was cut off", "after 3 attempts"],
                     ["failed with HTTP 404", "malformed"])

    def test_truncated_body_after_a_200(self):
        # What arrived is not JSON, but that is a consequence: the answer was cut off.
        self.listing("truncated 200 body", "truncated/status=200",
                     ["the HTTP 200 answer from 127.0.0.1:", "was cut off"], ["malformed"])

    def test_slow_drip_of_the_body_past_timeout_ms(self):
        # 1,000 bytes at one per 500 ms; three attempts of 1 s each, backoffs of 0.5 s and 1 s.
        r = self.listing("slow drip body, timeout_ms=1000", "slow-drip",
                         ["request timed out after 1000 ms (while receiving an HTTP 200 answer",
                          "after 3 attempts"], timeout_ms=1000, limit_s=30)
        self.assertLess(r.seconds, 3 * 1 + 0.5 * 1.5 + 1 * 1.5 + 5)

    def test_slow_drip_of_the_headers_past_timeout_ms(self):
        r = self.listing("slow drip headers, timeout_ms=1000", "slow-drip/phase=headers",
                         ["request timed out after 1000 ms"], ["while receiving"],
                         timeout_ms=1000, max_retries=0, limit_s=30)
        self.assertLess(r.seconds, 1 + 5)

    def test_huge_headers(self):
        self.listing("1 MiB of headers", "huge-headers",
                     ["response headers exceeded the limit of 65536 bytes"])

    def test_huge_header_line(self):
        self.listing("one header line of 200 KiB", "huge-headers/kib=300/line_kib=200",
                     ["a response header line exceeded libcurl's limit of 100 KiB"])

    def test_endless_body(self):
        self.listing("endless chunked body", "endless", [too_big(CAP_PAGE)])


class LookupTests(HostileTestCase):
    """origin_ip = … and origin_ip IN (…): one GET per IP, each capped far below a listing."""

    def test_lookup_answered_with_32_mib(self):
        self.listing("lookup answered with 32 MiB", "v2-page/mib=32",
                     ["/10.0.0.1 failed: " + too_big(CAP_LOOKUP)],
                     sql="SELECT * FROM t WHERE origin_ip = '10.0.0.1';")

    def test_in_list_answered_with_endless_bodies(self):
        ips = ", ".join("'10.0.0.%d'" % i for i in range(1, 9))
        r = self.listing("IN list of 8, endless bodies", "endless", [too_big(CAP_LOOKUP)],
                         sql="SELECT * FROM t WHERE origin_ip IN (%s);" % ips)
        self.assertRegex(r.error, r"/10\.0\.0\.[1-8] failed: ")


class BatchAnswerTests(HostileTestCase):
    """COMMIT's batch requests answered with more than a batch: nothing is counted applied that
    the answer does not confirm for an item of that very request."""

    def commit(self, case, behaviour, statement=INSERT_150, **args):
        sql = "\n".join([self.table_sql(behaviour, **args), statement, UNAPPLIED])
        return self.run_case(case, sql)

    def unapplied(self, r, operation="upsert"):
        prefix = operation + " "
        self.assertTrue(all(line.startswith(prefix) for line in r.rows), r.rows)
        ips = [line[len(prefix):] for line in r.rows]
        self.assertEqual(len(ips), len(set(ips)))
        return set(ips)

    def test_32_mib_batch_answer(self):
        r = self.commit("batch answer 32 MiB (upserts)", "zone-writes/answer=huge/mib=32")
        self.assertNames(r, ["COMMIT applied 0 of 150 changes",
                             "outcome unknown (the API may have applied it)", too_big(CAP_BATCH)])
        self.assertEqual(self.unapplied(r), SENT_150)

    def test_32_mib_batch_answer_to_deletes(self):
        r = self.commit("batch answer 32 MiB (deletes)", "zone-writes/answer=huge/entries=150",
                        "DELETE FROM t;")
        self.assertNames(r, ["COMMIT applied 0 of 150 changes", too_big(CAP_BATCH)])
        self.assertEqual(self.unapplied(r, "delete"), ZONE_150)

    def test_succeeded_lists_only_ips_that_were_not_sent(self):
        for api in ("v2", "v1"):
            with self.subTest(api=api):
                r = self.commit("succeeded[] of IPs not sent (%s)" % api,
                                "zone-writes/answer=foreign", api=api)
                self.assertNames(r, ["COMMIT applied 0 of 150 changes",
                                     "not confirmed by the API (missing from succeeded and "
                                     "failed)"], ["198.51.100."])
                self.assertEqual(self.unapplied(r), SENT_150)

    def test_succeeded_lists_some_sent_ips_and_others(self):
        # Each of the two requests confirms its first 30 items and lists 100 or 50 strangers.
        r = self.commit("succeeded[] of 30 sent + IPs not sent",
                        "zone-writes/answer=foreign/own=30")
        self.assertNames(r, ["COMMIT applied 60 of 150 changes; 90 not applied"])
        left = self.unapplied(r)
        self.assertEqual(len(left), 90)
        self.assertLessEqual(left, SENT_150)

    def test_succeeded_lists_every_sent_ip_and_others(self):
        # The COMMIT succeeds: the strangers in succeeded[] are ignored, nothing is unapplied.
        r = self.run_case("succeeded[] of all sent + IPs not sent", "\n".join([
            self.table_sql("zone-writes/answer=foreign/own=100"), INSERT_150, UNAPPLIED]),
            expect_error=False)
        self.assertEqual(r.rows, [])

    def test_succeeded_lists_lookalikes_of_the_sent_ips(self):
        r = self.commit("succeeded[] of lookalike IPs", "zone-writes/answer=lookalike")
        self.assertNames(r, ["COMMIT applied 0 of 150 changes"])
        self.assertEqual(self.unapplied(r), SENT_150)

    def test_succeeded_lists_other_ips_for_deletes(self):
        # The deletes are checked with a GET each: the mappings are still there, so not applied.
        r = self.commit("succeeded[] of IPs not sent (deletes)",
                        "zone-writes/answer=foreign/entries=150", "DELETE FROM t;")
        self.assertNames(r, ["COMMIT applied 0 of 150 changes"])
        self.assertEqual(self.unapplied(r, "delete"), ZONE_150)


if __name__ == "__main__":
    main()
