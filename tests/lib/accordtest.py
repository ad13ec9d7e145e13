"""accordtest - helpers for integration and interop tests: start real
accord-node processes on free loopback ports with temporary data directories,
drive them with accordctl or HTTP/2 clients, and stop or kill them.

    from accordtest import Node, skip_unless_built
    skip_unless_built()
    with Node() as n:
        admin = n.init()                  # the admin token printed by `init`
        n.start()
        r = n.ctl("user", "list", token=admin)
        assert r.returncode == 0

Binaries come from $ACCORD_BUILD (set by ctest). A test exits 77 (skipped)
when they are not built. Everything a Node creates lives under one temporary
directory, removed on exit unless ACCORD_KEEP_TMP is set.

Engines: nodes run on SQLite unless ACCORD_DB=postgresql. Then the first Node
of the test process starts one throwaway PostgreSQL 15 server
(tests/lib/pgserver.py; or uses the one named by ACCORD_TEST_PG_URL when the
test runs inside `pgserver.py -- ...`), each Node gets a database of its own
on it (created in Node(), dropped on exit) and its config says
`[store] engine = postgresql` and `url = ...`; the server goes when the test
process exits (docs/ha.md, "Running the integration tests on PostgreSQL").
A test reads and changes rows with Node.db_rows and Node.db_write, which
run its SQL on whichever engine the node uses.
"""
import atexit
import fcntl
import json
import os
import re
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

BUILD = os.environ.get("ACCORD_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE = os.environ.get("ACCORD_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
NODE_BIN = os.path.join(BUILD, "node", "accord-node")
CTL_BIN = os.path.join(BUILD, "tools", "accordctl")
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def skip_unless_built():
    for b in (NODE_BIN, CTL_BIN):
        if not os.access(b, os.X_OK):
            skip(b + " is not built")


def require_tool(name):
    path = shutil.which(name) or (os.path.exists("/usr/sbin/" + name) and "/usr/sbin/" + name)
    if not path:
        skip(name + " is not installed (tools/setup.sh installs it)")
    return path


# Ports for the nodes of tests. A port asked of the kernel (bind to port 0)
# and released until the node binds it was the cause of flaky runs under
# `ctest -j`: the kernel hands the same ephemeral range out for every
# client's outgoing connection, and to every other test asking the same
# question, so between the choice and the bind (and across a node's restart)
# the port could be taken. A node then failed to start, or worse, a test's
# health check was answered by another test's node and the test talked to
# the wrong node. So ports come from below the kernel's ephemeral range
# (which outgoing connections never use) and each is reserved for the whole
# life of the test process by a lock file that every test on the machine
# honours; the kernel drops the lock when the process ends, however it ends.
PORT_DIR = os.path.join(tempfile.gettempdir(), "accord-test-ports")
_held_ports = {}  # port -> fd holding its lock, for the life of this process


def _port_range():
    """Ports below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range)."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return max(1024, low - 12000), max(1025, low)


def _bindable(port):
    """Can a listener bind 127.0.0.1:|port| now (libuv sets SO_REUSEADDR, so
    a connection of an earlier node in TIME_WAIT does not count)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port():
    """A loopback TCP port nobody listens on, reserved for this test process
    until it exits (see PORT_DIR): a node may stop and start on it again."""
    os.makedirs(PORT_DIR, exist_ok=True)
    low, high = _port_range()
    pick = random.SystemRandom()  # tests seed the shared generator alike
    for _ in range(4 * (high - low)):
        port = pick.randrange(low, high)
        if port in _held_ports:
            continue
        fd = os.open(os.path.join(PORT_DIR, str(port)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another test holds it
            os.close(fd)
            continue
        if _bindable(port):
            _held_ports[port] = fd
            return port
        os.close(fd)  # closing drops the lock
    raise AssertionError("no free loopback port in %d-%d" % (low, high - 1))


# ---- the database engine (ACCORD_DB) ----

DB_ENGINE = os.environ.get("ACCORD_DB", "sqlite") or "sqlite"
if DB_ENGINE not in ("sqlite", "postgresql"):
    raise SystemExit("ACCORD_DB=%r: must be sqlite or postgresql" % DB_ENGINE)
PSQL = "/usr/lib/postgresql/15/bin/psql"
_pg = None        # the PgServer this process started, if any
_pg_base = None   # the server's URL (database postgres), started or given
_pg_count = 0     # databases made so far: their names are unique per server


def on_postgresql():
    return DB_ENGINE == "postgresql"


def sqlite_only(what, why="it reads the SQLite file accord.db"):
    """Skips (77) a test that is about SQLite itself (|why|) when nodes run on
    PostgreSQL. A test that only looks at rows uses Node.db_rows instead."""
    if on_postgresql():
        skip("%s is about SQLite (%s); nodes run on PostgreSQL here" % (what, why))


def _stop_pg():
    global _pg
    if _pg is not None:
        _pg.stop()
        _pg = None


def _on_term(signum, frame):
    raise SystemExit(128 + signum)


def pg_base_url():
    """The URL (database postgres) of this test's PostgreSQL server, starting
    it on the first call. ctest ends a test that times out with a signal; the
    server is a child of this process, so it goes with the process tree, and
    SIGTERM/SIGINT run the teardown here too."""
    global _pg, _pg_base
    if _pg_base:
        return _pg_base
    given = os.environ.get("ACCORD_TEST_PG_URL")
    if given:
        _pg_base = given
        return _pg_base
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pgserver import PgServer
    _pg = PgServer()
    atexit.register(_stop_pg)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(sig, _on_term)
    _pg.start()
    print("# PostgreSQL ready in %.2f s" % _pg.start_seconds)
    _pg_base = _pg.url
    return _pg_base


def pg_url(base, dbname):
    """|base| with its database replaced by |dbname| (the query, with the
    socket directory or hosts, kept)."""
    u = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, u.fragment))


def psql(url, sql, timeout=60):
    """Runs |sql| with psql on |url|; returns stdout (unaligned, tuples only)."""
    r = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                        "-c", sql], capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, LC_ALL="C"))
    if r.returncode != 0:
        raise AssertionError("psql %s: %s" % (sql, r.stderr.strip()))
    return r.stdout.strip()


def pg_new_database(node_id):
    """Creates an empty database for one node on this test's server; returns
    (its name, its URL)."""
    global _pg_count
    _pg_count += 1
    base = pg_base_url()
    safe = "".join(c if c.isalnum() else "_" for c in node_id.lower())[:40]
    name = "accord_%d_%d_%s" % (os.getpid(), _pg_count, safe)
    psql(base, 'CREATE DATABASE "%s"' % name)
    return name, pg_url(base, name)


def _pg_literal(v):
    """|v| as a PostgreSQL literal (psql takes no bound parameters)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    if isinstance(v, str):
        if "\0" in v:
            raise AssertionError("text with a NUL byte cannot go to PostgreSQL: %r" % v)
        return "'" + v.replace("'", "''") + "'"
    raise AssertionError("no SQL literal for %r (%s)" % (v, type(v).__name__))


def _pg_bind(sql, params):
    """|sql| with each ? replaced by the next of |params| as a literal."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise AssertionError("%d ? in %r but %d parameters" % (len(parts) - 1, sql, len(params)))
    out = [parts[0]]
    for v, rest in zip(params, parts[1:]):
        out += [_pg_literal(v), rest]
    return "".join(out)


def _pg_value(v):
    """A value of a json_agg row back as Python: bytea comes as "\\x<hex>"
    (so a text value that itself starts with \\x and hex digits would come
    back as bytes too; no test's text does)."""
    if isinstance(v, str) and v.startswith("\\x"):
        try:
            return bytes.fromhex(v[2:])
        except ValueError:
            return v
    return v


def _nodelay_connect(create):
    def connect(*args, **kwargs):
        sock = create(*args, **kwargs)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    return connect


# A request with a body goes out as two h2 frames in two writes (HEADERS,
# then DATA); with Nagle on, the second waits for the node's delayed ACK,
# about 40 ms per POST. The httpx of Debian 12 (0.23) takes no socket
# options, so the connections its sync backend opens get TCP_NODELAY here:
# the several hundred writes the scenario tests make then take seconds, not
# tens of seconds.
try:
    import httpcore.backends.sync as _httpcore_sync
    _httpcore_sync.socket.create_connection = _nodelay_connect(socket.create_connection)
except ImportError:  # a newer httpcore: slower, still correct
    pass

def h2_client(verify=False):
    """An httpx client speaking HTTP/2 only (prior knowledge on http://).
    Its timeout only catches a stuck node: a loaded machine (ASan, ctest -j)
    can make a single fsync-bound request take seconds."""
    import httpx
    return httpx.Client(http1=False, http2=True, verify=verify, timeout=60.0)


class Node:
    """One accord-node with its own config, data directory and port."""

    def __init__(self, node_id="test.node", tls=None, limits="", log_file=None, grace_ms=5000,
                 durability=None, store_url=None):
        """|store_url|: run on this PostgreSQL URL (e.g. a cluster's
        multi-host URL) instead of the engine ACCORD_DB chooses."""
        self.tmp = tempfile.mkdtemp(prefix="accord-test-")
        self.port = free_port()
        self.node_id = node_id
        self.tls = tls  # (cert_path, key_path) or None
        self.data_dir = os.path.join(self.tmp, "data")
        self.config = os.path.join(self.tmp, "node.conf")
        self.log_file = log_file
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.proc = None
        lines = ["[node]", "id = " + node_id, "data_dir = " + self.data_dir]
        if durability:  # "async" (the default) or "inline"
            lines += ["durability = " + durability]
        # The node's database: its own, dropped on exit, when ACCORD_DB says
        # postgresql; a URL the test gives (a cluster's) is the test's own.
        self.pg_db = None
        self.store_url = store_url
        if store_url is None and on_postgresql():
            self.pg_db, self.store_url = pg_new_database(node_id)
        if self.store_url:
            lines += ["[store]", "engine = postgresql", "url = " + self.store_url]
        lines += ["[http]", "listen = 127.0.0.1:%d" % self.port]
        if tls:
            lines += ["tls_cert = " + tls[0], "tls_key = " + tls[1]]
        lines += ["[limits]", "shutdown_grace_ms = %d" % grace_ms]
        if limits:
            lines += limits.strip().splitlines()
        lines += ["[log]", "level = debug"]
        if log_file:
            lines += ["file = " + log_file]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        if self.pg_db and _pg_base:
            # FORCE: a node killed mid-query may leave a backend behind for
            # a moment. A server of our own goes whole at exit anyway.
            try:
                psql(_pg_base, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.pg_db)
            except (AssertionError, subprocess.TimeoutExpired) as e:
                print("# could not drop %s: %s" % (self.pg_db, e))
            self.pg_db = None
        if not os.environ.get("ACCORD_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- the node's database, on whichever engine it runs ----
    # Tests that look at rows or set up a state the API cannot reach (a job
    # forced to run again, rows removed to test a rebuild) use these two, so
    # they run on SQLite and on PostgreSQL alike. SQL: what both engines
    # accept (SQLite's two-argument max() is PostgreSQL's GREATEST: compare
    # each instead), ? for parameters (int, str, bytes, None; no ? inside a
    # quoted literal); rows come back as tuples of int, str, bytes or None.

    def db_rows(self, sql, params=()):
        """The rows of the read-only query |sql| on this node's database, as
        a list of tuples. On SQLite the file is opened read-only beside the
        running node; on PostgreSQL psql runs the query in a read-only
        transaction on the node's database."""
        if self.store_url:
            # json_agg keeps the columns in order (even two of one name) and
            # their types: numbers, text, null, bytea as "\\x<hex>".
            out = psql(self.store_url,
                       "BEGIN READ ONLY; SELECT coalesce(json_agg(q), '[]') FROM (%s) q; COMMIT"
                       % _pg_bind(sql, params))
            rows = json.loads(out, object_pairs_hook=lambda pairs: [v for _, v in pairs])
            return [tuple(_pg_value(v) for v in row) for row in rows]
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data_dir, "accord.db"),
                             uri=True, timeout=30)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def db_write(self, sql, params=(), many=None):
        """Runs one INSERT, UPDATE or DELETE on this node's database (the node
        stopped, or running when the test means to change rows under it),
        once with |params| or once per tuple of |many|, all in one
        transaction; returns how many rows it changed."""
        runs = [params] if many is None else list(many)
        if self.store_url:
            # On stdin (a bulk insert is megabytes; one argument may hold
            # 128 KiB), in one transaction (-1); psql prints a command tag per
            # statement ("INSERT 0 1", "UPDATE 3"): their counts add up.
            head, values, tail = sql.rpartition("VALUES")
            if many is not None and head.lstrip().upper().startswith("INSERT") and values:
                # Many rows of one INSERT ... VALUES (?, ...): a thousand rows
                # a statement, not a statement (and a parse) a row.
                stmts = [head + "VALUES " + ",".join(_pg_bind(tail, p) for p in runs[i:i + 1000])
                         for i in range(0, len(runs), 1000)]
            else:
                stmts = [_pg_bind(sql, p) for p in runs]
            script = "".join(st + ";\n" for st in stmts)
            r = subprocess.run([PSQL, "-X", "-1", "-v", "ON_ERROR_STOP=1", "-d", self.store_url,
                                "-f", "-"], input=script, capture_output=True, text=True,
                               timeout=300, env=dict(os.environ, LC_ALL="C"))
            if r.returncode != 0:
                raise AssertionError("psql %s: %s" % (sql, r.stderr.strip()))
            tags = [l.split() for l in r.stdout.splitlines()
                    if l.split()[:1] in (["INSERT"], ["UPDATE"], ["DELETE"])]
            if len(tags) != len(stmts):
                raise AssertionError("psql %s: %d command tags in %r" % (sql, len(tags), r.stdout))
            return sum(int(t[-1]) for t in tags)
        import sqlite3
        db = sqlite3.connect(os.path.join(self.data_dir, "accord.db"), timeout=30)
        try:
            n = db.executemany(sql, runs).rowcount
            db.commit()
            return n
        finally:
            db.close()

    SETTLE_MARGIN_MS = 2000

    def wait_settled(self, api, timeout=120.0):
        """Waits until no stored job and no notification is due by the node's
        clock (the test clock's offset, read through |api|, an admin's Api):
        the scheduler has run whatever came due, and whatever that queued,
        each job's effects committed with it being marked done. For a test
        that moved the clock or queued work, instead of sleeping for the
        scheduler's poll (a time that assumes the machine keeps up). The
        bound is one only a stuck node reaches."""
        status, body = api.post("/v1/test/clock", {"advance_seconds": 0})
        assert status == 200, (status, body)
        offset_ms = int(body["offset_seconds"]) * 1000
        deadline = time.monotonic() + timeout
        while True:
            # What comes due within the margin counts as due now: the node
            # stamps what it queues with its own clock, a moment after this
            # read of it (a notification queued as we look would otherwise
            # not count yet, and be delivered after we returned).
            now_ms = int(time.time() * 1000) + offset_ms + self.SETTLE_MARGIN_MS
            jobs = self.db_rows("SELECT COUNT(*) FROM jobs WHERE done_ms = 0 AND due_ms <= ?"
                                " AND retry_ms <= ?", (now_ms, now_ms))[0][0]
            mail = self.db_rows("SELECT COUNT(*) FROM notifications WHERE delivered_ms = 0"
                                " AND next_ms <= ?", (now_ms,))[0][0]
            if jobs + mail == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError("%d jobs and %d notifications still due after %.0f s"
                                     % (jobs, mail, timeout))
            time.sleep(0.1)

    def init(self, admin="admin"):
        """Runs `accord-node init` and returns the admin token it prints."""
        r = subprocess.run([NODE_BIN, "init", "--config", self.config, "--admin", admin],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("init failed (%d): %s" % (r.returncode, r.stderr))
        token = r.stdout.strip().splitlines()[-1]
        assert token.startswith("acc_"), r.stdout
        return token

    def start(self, wait=True):
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([NODE_BIN, "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=120.0):
        """Polls GET /healthz until it answers 200."""
        deadline = time.monotonic() + timeout
        last = None
        with h2_client() as c:
            while time.monotonic() < deadline:
                if self.proc and self.proc.poll() is not None:
                    raise AssertionError("accord-node exited with %d:\n%s"
                                         % (self.proc.returncode, self.read_stderr()))
                try:
                    if c.get(self.url + "/healthz").status_code == 200:
                        return
                except Exception as e:  # not listening yet
                    last = e
                time.sleep(0.05)
        raise AssertionError("node did not become healthy: %r\n%s" % (last, self.read_stderr()))

    def read_stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args, token=None, json_out=False, timeout=120):
        """Runs accordctl against this node; returns the CompletedProcess.
        With json_out, adds --json and parses stdout into .json."""
        argv = [CTL_BIN, "--node", self.url]
        if self.tls:
            argv.append("--insecure")
        if json_out:
            argv.append("--json")
        argv += list(args)
        env = dict(os.environ)
        env.pop("ACCORD_TOKEN", None)
        if token:  # not --token: accordctl warns that ps shows it
            env["ACCORD_TOKEN"] = token
        env["ACCORDCTL_CONFIG"] = os.path.join(self.tmp, "no-such-accordctl.conf")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
        r.json = None
        if json_out and r.stdout.strip():
            r.json = json.loads(r.stdout.strip().splitlines()[-1])
        return r

    def stop(self, sig=signal.SIGTERM, timeout=120):
        """Sends |sig| and waits; returns the exit status."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("accord-node did not stop within %ss after %s"
                                 % (timeout, signal.Signals(sig).name))

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def check(cond, what):
    """Asserts with a message; tests print what they checked for the ctest log."""
    if not cond:
        raise AssertionError(what)
    print("ok - " + what)


def wait_for(what, cond, timeout=60.0, every=0.1):
    """Polls cond() every |every| seconds until it returns a true value,
    which it returns; past |timeout| seconds without one it raises
    AssertionError naming |what| and cond()'s last value. The bound is one
    only a stuck node reaches (a loaded machine outlasts shorter ones): the
    test waits for something that must happen and asserts no time."""
    deadline = time.monotonic() + timeout
    while True:
        last = cond()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s (last: %.300r)"
                                 % (timeout, what, last))
        time.sleep(every)


def metric(text, name):
    """The value of the unlabelled counter or gauge |name| in the Prometheus
    text |text| (GET /metrics), or -1 when it is not there."""
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else -1


def loop_statements(client, node, token):
    """accord_store_loop_statements_total on |node| (GET /metrics with the
    admin |token| on |client|): the statements its event loop ran on the
    database and waited for itself (issue 15; tests hold deltas of it)."""
    r = client.get(node.url + "/metrics", headers={"authorization": "Bearer " + token},
                   timeout=30)
    assert r.status_code == 200, (r.status_code, r.text[:200])
    return metric(r.text, "accord_store_loop_statements_total")


def make_self_signed(directory):
    """Generates a self-signed certificate for 127.0.0.1 with openssl req;
    returns (cert_path, key_path)."""
    require_tool("openssl")
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Api:
    """JSON over HTTP/2 to one node as one user: api.post(path, body) returns
    (status, parsed body). One connection, reused for every call."""

    def __init__(self, node, token):
        self.node = node
        self.token = token
        self.client = h2_client()

    def close(self):
        self.client.close()

    def loop_statements(self):
        """loop_statements() of this node, as this (admin) user."""
        return loop_statements(self.client, self.node, self.token)

    def call(self, method, path, body=None, raw=None):
        headers = {"authorization": "Bearer " + self.token}
        content = raw
        if body is not None:
            content = json.dumps(body)
        if content is not None:
            headers["content-type"] = "application/json"
        r = self.client.request(method, self.node.url + path, headers=headers, content=content)
        try:
            parsed = r.json()
        except ValueError:
            parsed = None
        return r.status_code, parsed

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body=None, raw=None):
        return self.call("POST", path, body if body is not None or raw is not None else {},
                         raw)

    def put(self, path, body=None, raw=None):
        return self.call("PUT", path, body, raw)
