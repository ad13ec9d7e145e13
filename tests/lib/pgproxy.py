"""pgproxy.py - a proxy between a node and a throwaway PostgreSQL server
(pgserver.py), on unix sockets, for tests of a COMMIT whose outcome the node
cannot know (test_pg_commit_outcome, test_pg_link_commit_lost). It forwards
the node's bytes both ways and, when armed with a marker (bytes the
transaction to cut sends, such as a name it writes), cuts the connection at
that transaction's COMMIT:
  - "after": COMMIT is forwarded, the server's reply awaited and dropped,
    and the connection closed: the write committed, the node cannot know;
  - "before": the connection is closed instead of forwarding COMMIT: the
    write did not commit, the node cannot know either.
Loopback only (unix sockets)."""
import os
import socket
import tempfile
import threading
import time

# libpq's simple-protocol COMMIT: 'Q', length 11, "COMMIT\0".
COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"


class CutProxy:
    """Forwards unix-socket connections to PostgreSQL's socket; cuts one
    COMMIT when armed (see the module comment)."""

    def __init__(self, server_sock_dir):
        self.target = os.path.join(server_sock_dir, ".s.PGSQL.5432")
        self.dir = tempfile.mkdtemp(prefix="accord-test-proxy-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, ".s.PGSQL.5432")
        self.lock = threading.Lock()
        self.mode = None
        self.marker = None
        self.cuts = 0
        self.down_s = 0.0       # after a cut, refuse connections this long
        self.down_until = 0.0
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, mode, marker, down_s=0.0):
        with self.lock:
            self.mode, self.marker, self.down_s = mode, marker, down_s

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                down = time.monotonic() < self.down_until
            if down:  # the database "is away": the node cannot ask it yet
                client.close()
                continue
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.target)
            conn = {"client": client, "server": server, "cut_reply": False, "seen": b""}
            threading.Thread(target=self._up, args=(conn,), daemon=True).start()
            threading.Thread(target=self._down, args=(conn,), daemon=True).start()

    @staticmethod
    def _close(conn):
        for s in (conn["client"], conn["server"]):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _up(self, conn):
        """Client to server: watches for the armed marker and its COMMIT."""
        while True:
            try:
                data = conn["client"].recv(65536)
            except OSError:
                return
            if not data:
                self._close(conn)
                return
            conn["seen"] = (conn["seen"] + data)[-65536:]
            cut = None
            if COMMIT in data:
                with self.lock:
                    if self.mode and self.marker in conn["seen"]:
                        cut, self.mode = self.mode, None
                        self.cuts += 1
                        self.down_until = time.monotonic() + self.down_s
                conn["seen"] = b""
            if cut == "before":
                self._close(conn)
                return
            if cut == "after":
                conn["cut_reply"] = True
            try:
                conn["server"].sendall(data)
            except OSError:
                return

    def _down(self, conn):
        """Server to client: after a cut COMMIT went up, its reply is
        dropped and both sides closed."""
        while True:
            try:
                data = conn["server"].recv(65536)
            except OSError:
                return
            if not data or conn["cut_reply"]:
                self._close(conn)
                return
            try:
                conn["client"].sendall(data)
            except OSError:
                return

    def close(self):
        self.listener.close()
        os.unlink(self.path)
        os.rmdir(self.dir)
