"""What the Python tests of the extension, and the benchmarks, share (standard library only).

    support.fake      the fake Cloudflare API (test/fake_cloudflare.py) in a child process, driven
                      through its control paths (Fake); a recording proxy in front of it (Recorder);
                      the zone, credentials and region lists the fake is started with
    support.mappings  numbered test mappings (ip_of, rows), their JSON form and address order, and
                      the bulk statements that write them (BULK_SQL, DELETE_SQL)
    support.client    SequentialClient: a plain v2 client (one keep-alive connection, one request
                      at a time), written as an SDK user would; the API benchmark's yardstick
    support.hostile   a database file crafted by an attacker (craft_database) and a loopback
                      proxy trap that records whatever libcurl would send off the machine
    support.cases     the command line of every test file (main, so_path) and FakeTestCase, the base
                      of the API store's tests: one fake per class, an empty zone and a fresh table
                      `t` per test, assertions on the fake's state and request log
    support.differential_gen, support.differential_targets, support.differential_run
                      the differential test's (test/test_differential.py) statement generator, the
                      tables it compares (and the oracle), and its runner, shrinker and reports
    support.fake_own_tests
                      what the fake's own tests (test/test_fake_*.py) share: the fake started with
                      their credentials, a plain HTTP client, FakeTest, main() with its leak check

A test file imports what it needs (`from support.cases import FakeTestCase, main`) and ends with
`if __name__ == "__main__": main()`, so that it runs alone as

    PYTHON test/test_x.py path/to/cfregions.so [unittest options]

test/run-python.sh runs every test/test_*.py that way; this package is not a test file.
"""
