"""pgserver - throwaway PostgreSQL 15 servers for tests, on a unix socket in a
temporary directory, never on a TCP port (docs/ha.md, "Running the tests on
PostgreSQL").

    from pgserver import PgServer
    with PgServer() as pg:
        pg.url          # libpq URL: postgresql://accord@/postgres?host=<socket dir>
        pg.restart()    # kill -QUIT (an immediate shutdown, like a crash), start again

Command form: starts one server, runs CMD with ACCORD_TEST_PG_URL (the URL
above) and ACCORD_TEST_PG_RESTART (a shell command that kills the server and
starts it again on the same socket and data) in its environment, and tears the
server down whatever CMD does; exits with CMD's status:

    python3 tests/lib/pgserver.py -- CMD ARGS...

initdb runs once per machine and PostgreSQL version (about 1.5 s) into a
template directory under $TMPDIR (ACCORD_PG_TEMPLATE names another); each
server copies the template, which is much faster than initdb. PostgreSQL
refuses to run as root, and CI runs as root: then the server runs as `nobody`
(setpriv), owning its directories."""
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
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

    def __init__(self, base=None):
        self.base = base
        self.proc = None
        self.url = None
        self.start_seconds = None

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
            _chown_tree(self.base, uid, gid)
            self._spawn()
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql://{SUPERUSER}@/postgres?host={self.sock}"
        self.start_seconds = time.monotonic() - t0
        return self

    def _spawn(self):
        prefix, uid, gid = _as_user()
        # fsync off: a test server's data need not survive the machine, only
        # the postmaster (an immediate shutdown keeps what the OS was given).
        # ACCORD_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync, full page
        # writes, a larger cache) for a benchmark that compares its commits
        # with SQLite's fsynced ones (tests/bench/bench_writes.sh).
        durable = os.environ.get("ACCORD_PG_DURABLE") == "1"
        cmd = prefix + [f"{PG_BIN}/postgres", "-D", self.data,
                        "-c", "listen_addresses=", "-c", f"unix_socket_directories={self.sock}",
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
    if not argv or argv[0] != "--" or len(argv) < 2:
        print("usage: pgserver.py -- CMD [ARGS...]  |  pgserver.py --restart BASE_DIR",
              file=sys.stderr)
        return 2
    # ctest ends a timed-out test with a signal: the server goes with it.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    srv = PgServer()
    try:
        srv.start()
        print(f"pgserver: PostgreSQL ready in {srv.start_seconds:.2f} s at {srv.sock}",
              file=sys.stderr)
        env = dict(os.environ, ACCORD_TEST_PG_URL=srv.url,
                   ACCORD_TEST_PG_RESTART=shlex.join([sys.executable, os.path.abspath(__file__),
                                                      "--restart", srv.base]))
        return subprocess.call(argv[1:], env=env)
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
