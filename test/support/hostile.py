"""A database file written by an attacker, and a trap for anything that tries to leave the machine.

craft_database(path, statements, virtual_tables) writes a file as someone who wants the victim's
credentials would: from a connection WITHOUT the extension, so nothing the extension refuses at
CREATE time stops it. The extension's SQL functions are stand-ins there (deterministic, returning
1), so views, triggers, CHECK constraints, generated columns, index expressions and DEFAULT
values may name them; virtual tables are written straight into sqlite_schema (PRAGMA
writable_schema), so their arguments can be anything, even what CREATE VIRTUAL TABLE refuses.

ProxyTrap is a loopback TCP listener meant to be named by HTTPS_PROXY and its relatives (env()).
libcurl then hands every non-loopback request to it (a CONNECT host:port line) instead of
resolving or contacting the host, so a test can prove that nothing was sent to a non-loopback
address, or that something would have been, without the machine ever leaving loopback. It records
each connection's request head and answers 403, so the request fails.
"""

import socket
import sqlite3
import threading

# The extension's SQL functions that set, clear or redirect credentials, with their arity.
CREDENTIAL_FUNCTIONS = (("cfregions_set_token", 1), ("cfregions_set_credentials", 2),
                        ("cfregions_allow_base_url", 1))

# Every variable through which libcurl may pick a proxy (it ignores upper-case HTTP_PROXY, but the
# trap must catch whatever it honours).
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY",
                   "http_proxy")


def craft_database(path, statements=(), virtual_tables=()):
    """Writes statements (SQL text, run in order) and virtual_tables ((name, "CREATE VIRTUAL TABLE
    …" text) pairs, stored without being run) into the database file at path."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for name, nargs in CREDENTIAL_FUNCTIONS:
            db.create_function(name, nargs, lambda *args: 1, deterministic=True)
        for sql in statements:
            db.execute(sql)
        if virtual_tables:
            db.execute("PRAGMA writable_schema = ON")
            for name, sql in virtual_tables:
                db.execute("INSERT INTO sqlite_schema(type, name, tbl_name, rootpage, sql) "
                           "VALUES ('table', ?, ?, 0, ?)", (name, name, sql))
            db.execute("PRAGMA writable_schema = OFF")
    finally:
        db.close()


class ProxyTrap:
    """A loopback 'proxy' (in a thread) that records each connection's request head (the bytes up
    to the blank line, at most 8 KiB) and refuses it with 403."""

    def __init__(self):
        self.requests = []      # one bytes object per connection, in arrival order
        self._stopping = False
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def env(self):
        """The proxy variables that send libcurl's non-loopback requests here."""
        return {name: self.url for name in PROXY_VARIABLES}

    def lines(self):
        """The first line of each recorded request ('CONNECT attacker.example:443 HTTP/1.1')."""
        with self._lock:
            return [r.split(b"\r\n", 1)[0].decode("latin-1") for r in self.requests]

    def clear(self):
        with self._lock:
            self.requests.clear()

    def stop(self):
        # Closing the socket does not wake a thread blocked in accept(): a last connection does.
        self._stopping = True
        socket.create_connection(self._sock.getsockname(), timeout=5).close()
        self._thread.join(5)
        self._sock.close()

    def _serve(self):
        while True:
            conn, _ = self._sock.accept()
            if self._stopping:
                conn.close()
                return
            with conn:
                conn.settimeout(5)
                head = b""
                try:
                    while b"\r\n\r\n" not in head and len(head) < 8192:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        head += chunk
                except OSError:
                    pass
                with self._lock:
                    self.requests.append(head)
                try:
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                except OSError:
                    pass
