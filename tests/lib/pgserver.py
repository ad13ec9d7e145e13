"""pgserver - throwaway PostgreSQL 15 servers for tests, on a unix socket in a
temporary directory, and with tls=True also over TLS on a loopback TCP port
(docs/ha.md, "Running the tests on PostgreSQL").

    from pgserver import PgServer
    with PgServer() as pg:
        pg.url          # libpq URL: postgresql://accord@/postgres?host=<socket dir>
        pg.restart()    # kill -QUIT (an immediate shutdown, like a crash), start again
    with PgServer(tls=True) as pg:
        pg.tls_url      # postgresql://accord@127.0.0.1:<port>/postgres?sslmode=require

With tls=True the server has ssl=on with a self-signed certificate the
`openssl` command makes at start into the server's directory, and listens on
127.0.0.1 at a free port besides its socket (pg.url then names the port).
sslmode=require encrypts without checking the certificate: these tests are
about how the node waits on a TLS connection, not whom it trusts.

    with PgServer(tls=True) as pg, TlsRelay(pg) as relay:
        relay.url       # the same server over TLS records of up to 16 KiB

PostgreSQL 15 writes at most 8 KiB at a time, each write its own TLS record,
and libpq keeps 8 KiB free before every read, so a record from it is always
read whole. A server or pooler that fills records to TLS's 16 KiB
(a server that writes large messages whole; TLS-terminating proxies) leaves
the rest of a record inside OpenSSL whenever libpq had less room, where the
socket's readiness does not show it. TlsRelay is such a front: it takes TLS
on a loopback port and talks plain to the server's unix socket, gathering
what the server sends into writes of up to 64 KiB that end in a full
record, so that the end of an answer is often left inside OpenSSL.

Command form: starts one server, runs CMD with ACCORD_TEST_PG_URL (the URL
above) and ACCORD_TEST_PG_RESTART (a shell command that kills the server and
starts it again on the same socket, port and data) in its environment, and
tears the server down whatever CMD does; exits with CMD's status. --tls adds
ACCORD_TEST_PG_TLS_URL (pg.tls_url) and ACCORD_TEST_PG_TLS_RELAY_URL (a
TlsRelay's url):

    python3 tests/lib/pgserver.py [--tls] -- CMD ARGS...

initdb runs once per machine and PostgreSQL version (about 1.5 s) into a
template directory under $TMPDIR (ACCORD_PG_TEMPLATE names another); each
server copies the template, which is much faster than initdb. PostgreSQL
refuses to run as root, and CI runs as root: then the server runs as `nobody`
(setpriv), owning its directories."""
import os
import pwd
import queue
import select
import shlex
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

PG_BIN = "/usr/lib/postgresql/15/bin"
SUPERUSER = "accord"
START_TIMEOUT_S = 30


def _as_user():
    """The setpriv prefix and uid/gid a server runs under: nobody when we are
    root (postgres refuses root), ourselves otherwise."""
    if os.geteuid() != 0:
        return [], None, None
    pw = pwd.getpwnam("nobody")
    prefix = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", "--"]
    return prefix, pw.pw_uid, pw.pw_gid


def _chown_tree(path, uid, gid):
    if uid is None:
        return
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def _template():
    """Returns the template data directory, running initdb the first time.
    Several test processes may race here: each initdb's into its own temporary
    directory and the first rename wins, so a template is never half-made."""
    path = os.environ.get("ACCORD_PG_TEMPLATE") or os.path.join(
        tempfile.gettempdir(), f"accord-pg15-template-{os.geteuid()}")
    if os.path.exists(os.path.join(path, "PG_VERSION")):
        return path
    prefix, uid, gid = _as_user()
    work = tempfile.mkdtemp(prefix="accord-pg-initdb-", dir=os.path.dirname(path))
    try:
        os.chmod(work, 0o755)
        _chown_tree(work, uid, gid)
        data = os.path.join(work, "data")
        cmd = prefix + [f"{PG_BIN}/initdb", "-D", data, "-U", SUPERUSER, "--auth=trust",
                        "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=dict(os.environ, LC_ALL="C"), cwd="/")
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed ({r.returncode}): {r.stdout.decode(errors='replace')}")
        try:
            os.rename(data, path)
        except OSError:
            if not os.path.exists(os.path.join(path, "PG_VERSION")):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


def _pid_alive(pid):
    """False once |pid| has exited, even while it waits as a zombie for a
    parent that is another process (the restart command's postmaster)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class PgServer:
    """One server: a copy of the template in a temporary directory, a socket
    directory beside it, and the postmaster's log. Not thread-safe."""

    def __init__(self, base=None, tls=False):
        self.base = base
        self.tls = tls
        self.port = None
        self.proc = None
        self.url = None
        self.tls_url = None
        self.start_seconds = None
        if base is not None and os.path.exists(self.tls_port_file):
            # A second process (the restart command) restarts a TLS server as it was.
            self.tls = True
            with open(self.tls_port_file) as f:
                self.port = int(f.read())

    # The directory layout is fixed so that a second process (the restart
    # command) can find a server from its base directory alone.
    @property
    def data(self):
        return os.path.join(self.base, "data")

    @property
    def sock(self):
        return os.path.join(self.base, "sock")

    @property
    def log(self):
        return os.path.join(self.base, "postgres.log")

    @property
    def tls_port_file(self):
        return os.path.join(self.base, "tls-port")

    def _make_certificate(self):
        """A self-signed P-256 certificate and its key, made by the openssl
        command into the server's directory, and a free loopback port."""
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-keyout",
                            os.path.join(self.base, "server.key"), "-out",
                            os.path.join(self.base, "server.crt")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError(f"openssl req failed ({r.returncode}): "
                               f"{r.stdout.decode(errors='replace')}")
        os.chmod(os.path.join(self.base, "server.key"), 0o600)
        self._pick_port()

    def _pick_port(self):
        """A loopback port free now; the postmaster takes it a moment later,
        and should another process take it first (tests run in parallel)
        _spawn() picks again."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        with open(self.tls_port_file, "w") as f:
            f.write(str(self.port))

    def start(self):
        t0 = time.monotonic()
        template = _template()
        prefix, uid, gid = _as_user()
        if self.base is None:
            self.base = tempfile.mkdtemp(prefix="accord-pg-")
        try:
            os.chmod(self.base, 0o755)
            shutil.copytree(template, self.data, symlinks=True)
            os.chmod(self.data, 0o700)
            os.mkdir(self.sock, 0o755)
            if self.tls:
                self._make_certificate()
            _chown_tree(self.base, uid, gid)
            self._spawn(may_move=True)
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql://{SUPERUSER}@/postgres?host={self.sock}"
        if self.tls:
            self.url += f"&port={self.port}"
            self.tls_url = (f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
                            "?sslmode=require")
        self.start_seconds = time.monotonic() - t0
        return self

    def _spawn(self, may_move=False):
        """Starts the postmaster and waits until it is ready. Over TLS, when
        its port was taken meanwhile, tries again: on another port at the
        first start (|may_move|), on the same one after a pause at a restart,
        whose clients know the port already."""
        for attempt in range(PORT_ATTEMPTS):
            logged = os.path.getsize(self.log) if os.path.exists(self.log) else 0
            try:
                return self._spawn_once()
            except RuntimeError:
                if (not self.tls or attempt + 1 == PORT_ATTEMPTS
                        or not self._bind_failed(logged)):
                    raise
            if may_move:
                self._pick_port()
            else:
                time.sleep(0.2)

    def _bind_failed(self, offset):
        """Whether the postmaster's log past |offset| says it could not
        listen on its port."""
        try:
            with open(self.log, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return False
        return "could not bind" in text or "could not create any TCP/IP sockets" in text

    def _spawn_once(self):
        prefix, uid, gid = _as_user()
        # fsync off: a test server's data need not survive the machine, only
        # the postmaster (an immediate shutdown keeps what the OS was given).
        # ACCORD_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync, full page
        # writes, a larger cache) for a benchmark that compares its commits
        # with SQLite's fsynced ones (tests/bench/bench_writes.sh).
        durable = os.environ.get("ACCORD_PG_DURABLE") == "1"
        listen = ["-c", "listen_addresses="]
        if self.tls:
            listen = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
                      "-c", "ssl=on",
                      "-c", "ssl_cert_file=" + os.path.join(self.base, "server.crt"),
                      "-c", "ssl_key_file=" + os.path.join(self.base, "server.key")]
        cmd = prefix + [f"{PG_BIN}/postgres", "-D", self.data] + listen + [
                        "-c", f"unix_socket_directories={self.sock}",
                        "-c", "fsync=%s" % ("on" if durable else "off"),
                        "-c", "full_page_writes=%s" % ("on" if durable else "off"),
                        "-c", "max_connections=20",
                        "-c", "shared_buffers=%s" % ("128MB" if durable else "16MB"),
                        "-c", "logging_collector=off"]
        with open(self.log, "ab") as log:
            if uid is not None:
                os.chown(self.log, uid, gid)
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd="/", start_new_session=True,
                                         env=dict(os.environ, LC_ALL="C"))
        self._wait_ready(self.proc)

    def _wait_ready(self, proc):
        """Waits until postmaster.pid says "ready" (PostgreSQL 10+ writes the
        postmaster's status on its eighth line once it accepts connections)."""
        pidfile = os.path.join(self.data, "postmaster.pid")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {proc.returncode}: {self._log_tail()}")
            try:
                with open(pidfile) as f:
                    lines = f.read().split("\n")
                if len(lines) > 7 and lines[7].strip() == "ready":
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"postgres not ready after {START_TIMEOUT_S} s: {self._log_tail()}")

    def _log_tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return "(no log)"

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def kill(self):
        """An immediate shutdown (SIGQUIT): backends end at once without a
        checkpoint, and the next start runs crash recovery. Waits until the
        postmaster is gone."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.pid == pid:
                if self.proc.poll() is not None:
                    break
            elif not _pid_alive(pid):
                break
            time.sleep(0.01)
        else:
            os.kill(pid, signal.SIGKILL)

    def restart(self):
        self.kill()
        self._spawn()

    def stop(self):
        """Kills the server and removes its directories. Idempotent."""
        if self.base is None:
            return
        try:
            self.kill()
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


PORT_ATTEMPTS = 5
SSL_REQUEST = struct.pack("!II", 8, 80877103)  # PostgreSQL's SSLRequest message
RELAY_GATHER = 65536
TLS_RECORD = 16384  # the most plaintext a TLS record carries (RFC 8446, 5.1)


class TlsRelay:
    """A TLS front for a TLS PgServer's unix socket that sends records of up
    to 16 KiB (see the module's comment). One thread per client connection
    relays both ways with select(), the only thread that uses its SSL
    object; what it reads from the client goes to the server through a
    second thread with a queue, so that it never blocks writing to a server
    that is itself blocked writing an answer nobody reads. Its blocking
    writes to the client end: libpq reads while it writes. It speaks TLS
    only: a cancel request (plain, on a new connection) is dropped, as a
    TLS-only front drops it."""

    def __init__(self, pg):
        self.pg = pg
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(pg.base, "server.crt"),
                                 os.path.join(pg.base, "server.key"))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres?sslmode=require"
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        backend = socket.socket(socket.AF_UNIX)
        to_backend = None
        try:
            # libpq asks for TLS with an SSLRequest, answered 'S' in the clear.
            request = b""
            while len(request) < 8:
                more = client.recv(8 - len(request))
                if not more:
                    return
                request += more
            if request != SSL_REQUEST:
                return
            client.sendall(b"S")
            tls = self.ctx.wrap_socket(client, server_side=True)
            backend.connect(os.path.join(self.pg.sock, f".s.PGSQL.{self.pg.port}"))
            to_backend = queue.Queue()
            threading.Thread(target=self._to_backend, args=(backend, to_backend),
                             daemon=True).start()
            while True:
                ready, _, _ = select.select([tls, backend], [], [])
                if tls in ready:
                    data = tls.recv(RELAY_GATHER)
                    while tls.pending():
                        data += tls.recv(tls.pending())
                    if not data:
                        return
                    to_backend.put(data)
                if backend in ready:
                    data = backend.recv(RELAY_GATHER)
                    if not data:
                        return
                    # Gathered, so that OpenSSL cuts full 16 KiB records.
                    while (len(data) < RELAY_GATHER
                           and select.select([backend], [], [], 0.002)[0]):
                        more = backend.recv(RELAY_GATHER - len(data))
                        if not more:
                            break
                        data += more
                    # The odd part first, so that every answer ends in a
                    # full record: read whole only if libpq has 16 KiB free.
                    head = len(data) % TLS_RECORD
                    if head and len(data) > TLS_RECORD:
                        tls.sendall(data[:head])
                        data = data[head:]
                    tls.sendall(data)
        except (OSError, ssl.SSLError):
            return
        finally:
            if to_backend is not None:
                to_backend.put(None)
            else:
                backend.close()
            client.close()

    @staticmethod
    def _to_backend(backend, pending):
        """Writes what the client sent to the server, in order, until None;
        then closes the server's socket."""
        try:
            while True:
                data = pending.get()
                if data is None:
                    return
                backend.sendall(data)
        except OSError:
            return
        finally:
            backend.close()

    def close(self):
        self.closed = True
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--restart":
        # Used through ACCORD_TEST_PG_RESTART by a test of reconnection. The
        # new postmaster is started in its own session, so it outlives this
        # process; the command form's teardown finds it by its pid file.
        srv = PgServer(argv[1])
        srv.restart()
        return 0
    tls = bool(argv) and argv[0] == "--tls"
    if tls:
        argv = argv[1:]
    if not argv or argv[0] != "--" or len(argv) < 2:
        print("usage: pgserver.py [--tls] -- CMD [ARGS...]  |  pgserver.py --restart BASE_DIR",
              file=sys.stderr)
        return 2
    # ctest ends a timed-out test with a signal: the server goes with it.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    srv = PgServer(tls=tls)
    try:
        srv.start()
        print(f"pgserver: PostgreSQL ready in {srv.start_seconds:.2f} s at {srv.sock}"
              + (f" and 127.0.0.1:{srv.port} (TLS)" if tls else ""), file=sys.stderr)
        env = dict(os.environ, ACCORD_TEST_PG_URL=srv.url,
                   ACCORD_TEST_PG_RESTART=shlex.join([sys.executable, os.path.abspath(__file__),
                                                      "--restart", srv.base]))
        if tls:
            relay = TlsRelay(srv)
            env["ACCORD_TEST_PG_TLS_URL"] = srv.tls_url
            env["ACCORD_TEST_PG_TLS_RELAY_URL"] = relay.url
        return subprocess.call(argv[1:], env=env)
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
