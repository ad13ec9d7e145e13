"""pgcluster - a throwaway replicated PostgreSQL 15 cluster for tests: one
primary and two synchronous standbys (s1, s2), each on its own unix socket in
a temporary directory, never on a TCP port (docs/ha.md, "Failover").

    from pgcluster import PgCluster
    with PgCluster() as c:
        c.create_database("node")
        c.url("node")               # multi-host URL, target_session_attrs=read-write
        c.kill(c.primary)           # kill -9 the whole member (postmaster and backends)
        c.failover()                # promote the most advanced standby safely

The primary runs with synchronous_standby_names = 'ANY 1 (s1, s2)' and
synchronous_commit = on: a COMMIT returns once one standby has the commit
record on disk, so an acknowledged write survives the primary's loss if the
standby promoted is the most advanced one (failover() picks it).

Standbys are made with pg_basebackup (-X stream) from the running primary
and stream from it (primary_conninfo names their application_name, s1 or
s2, which synchronous_standby_names quotes). Settings that a failover changes
live in postgresql.auto.conf (ALTER SYSTEM), never on the command line,
where they could not be changed without a restart."""
import os
import signal
import subprocess
import tempfile
import time

from pgserver import PG_BIN, SUPERUSER, PgServer, _as_user, _chown_tree

SYNC_NAMES = "ANY 1 (s1, s2)"
WAIT_S = 30


def _quote(s):
    return "'" + s.replace("'", "''") + "'"


class Member(PgServer):
    """One server of the cluster, named p, s1 or s2 (its application_name)."""

    def __init__(self, name, base=None):
        super().__init__(base)
        self.name = name
        self.alive = False

    def sql(self, statement, dbname="postgres", timeout=WAIT_S):
        """Runs one statement with psql over the member's socket; returns
        stdout (unaligned, tuples only), raises with psql's error."""
        r = subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.sock, "-U", SUPERUSER, "-d", dbname, "-c", statement],
                           capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, LC_ALL="C", PGCONNECT_TIMEOUT="5"))
        if r.returncode != 0:
            raise RuntimeError(f"psql on {self.name} ({statement}): {r.stderr.strip()}")
        return r.stdout.strip()

    def kill9(self):
        """kill -9 of the member's whole process group (the postmaster was
        started in a session of its own), as if its machine died: no
        shutdown checkpoint, no goodbye to the standbys or clients."""
        pid = self._postmaster_pid()
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.proc.wait()
        # A pid file naming a dead pid that another process may get later
        # would make the next start refuse; a rebooted machine's file is
        # stale too, but its pids start afresh.
        try:
            os.unlink(os.path.join(self.data, "postmaster.pid"))
        except FileNotFoundError:
            pass
        self.alive = False

    def restart(self):
        """Starts a killed member again on its data and socket (a standby
        resumes streaming from its primary_conninfo)."""
        if self.alive:
            self.kill()
        self._spawn()
        self.alive = True


class PgCluster:
    """A primary and two synchronous standbys. After failover() the promoted
    standby is .primary and the other one follows it."""

    def __init__(self):
        self.primary = Member("p")
        # Every member ever started, in start order: the URL names them all,
        # dead ones too, so that a node's URL never changes.
        self.all = [self.primary]
        self.pending = None  # a standby being made, for stop()
        self.start_seconds = None

    @property
    def standbys(self):
        return [m for m in self.all if m is not self.primary]

    def start(self):
        t0 = time.monotonic()
        try:
            self.primary.start()
            self.primary.alive = True
            # Settings the failover changes go through ALTER SYSTEM so the
            # promoted standby can change them at run time (a reload).
            self.primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = {_quote(SYNC_NAMES)}")
            self.primary.sql("ALTER SYSTEM SET synchronous_commit = 'on'")
            self.primary.sql("SELECT pg_reload_conf()")
            for name in ("s1", "s2"):
                self.all.append(self._make_standby(name))
            self.wait_streaming({"s1", "s2"})
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def _conninfo(self, upstream, name):
        return f"host={upstream.sock} user={SUPERUSER} application_name={name}"

    def _make_standby(self, name):
        """pg_basebackup of the live primary into a new member, which then
        starts as a hot standby streaming from it."""
        prefix, uid, gid = _as_user()
        m = Member(name, tempfile.mkdtemp(prefix=f"accord-pg-{name}-"))
        self.pending = m
        os.chmod(m.base, 0o755)
        os.mkdir(m.sock, 0o755)
        _chown_tree(m.base, uid, gid)
        try:
            r = subprocess.run(prefix + [f"{PG_BIN}/pg_basebackup", "-D", m.data, "-X", "stream",
                                         "-c", "fast", "--no-sync", "-R",
                                         "-d", self._conninfo(self.primary, name)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd="/",
                               timeout=120, env=dict(os.environ, LC_ALL="C"))
            if r.returncode != 0:
                raise RuntimeError(f"pg_basebackup for {name} failed ({r.returncode}): "
                                   f"{r.stdout.decode(errors='replace')}")
            # -R wrote standby.signal and a primary_conninfo; name the
            # application explicitly (the last line of the file wins) and
            # take the synchronous standby list off: a standby never waits
            # for others, and a promoted one must not (see failover()).
            with open(os.path.join(m.data, "postgresql.auto.conf"), "a") as f:
                f.write(f"primary_conninfo = {_quote(self._conninfo(self.primary, name))}\n")
                f.write("synchronous_standby_names = ''\n")
            # pg_basebackup leaves out the primary's postmaster.pid, so the
            # standby starts on the copy as it is.
            m._spawn()
            m.alive = True
        except BaseException:
            m.stop()
            raise
        finally:
            self.pending = None
        return m

    def url(self, dbname):
        """The libpq URL a node uses: every member's socket, in order, and
        target_session_attrs=read-write so libpq skips standbys and dead
        members and lands on whichever is the primary now."""
        hosts = ",".join(m.sock for m in self.all)
        return (f"postgresql://{SUPERUSER}@/{dbname}?host={hosts}"
                "&target_session_attrs=read-write")

    def create_database(self, dbname):
        self.primary.sql(f'CREATE DATABASE "{dbname}"')

    def replication(self):
        """{application_name: (state, sync_state)} as the primary sees it."""
        out = self.primary.sql("SELECT application_name, state, sync_state "
                               "FROM pg_stat_replication")
        rows = {}
        for line in out.splitlines():
            name, state, sync = line.split("|")
            rows[name] = (state, sync)
        return rows

    def wait_streaming(self, names, synchronous=True, timeout=WAIT_S):
        """Waits until each standby in |names| streams from the primary (as
        a synchronous candidate, sync_state quorum or sync, if
        |synchronous|)."""
        deadline = time.monotonic() + timeout
        rows = {}
        while time.monotonic() < deadline:
            rows = self.replication()
            if all(rows.get(n, ("", ""))[0] == "streaming"
                   and (not synchronous or rows[n][1] in ("quorum", "sync"))
                   for n in names):
                return
            time.sleep(0.05)
        raise RuntimeError(f"standbys {sorted(names)} not streaming after {timeout} s: {rows}")

    def kill(self, member):
        member.kill9()

    def _receive_lsn(self, standby):
        """How far a standby has WAL (received or replayed), as an integer."""
        out = standby.sql("SELECT pg_wal_lsn_diff(GREATEST(COALESCE(pg_last_wal_receive_lsn(), "
                          "'0/0'), pg_last_wal_replay_lsn()), '0/0')::bigint")
        return int(out)

    def failover(self):
        """Promotes the most advanced live standby after the primary is gone
        and points the other live standby at it. The procedure (docs/ha.md):

        1. choose the standby with the most WAL: with ANY 1 (s1, s2) an
           acknowledged commit is on at least one standby, perhaps only one;
        2. on it, synchronous_standby_names = '' and reload BEFORE promoting:
           a promoted server that still names synchronous standbys makes its
           first write wait for a standby that is not streaming from it yet,
           for ever (the known trap);
        3. pg_promote(wait => true);
        4. the other standby's primary_conninfo names the new primary
           (a reload; recovery_target_timeline = latest follows the switch);
        5. once it streams, synchronous_standby_names = 'ANY 1 (<it>)' on the
           new primary, so commits are again acknowledged only once on two
           servers.
        Returns the seconds from the call to the new primary's first
        accepted write."""
        t0 = time.monotonic()
        live = [s for s in self.standbys if s.alive]
        if not live:
            raise RuntimeError("no live standby to promote")
        lsns = {s.name: self._receive_lsn(s) for s in live}
        chosen = max(live, key=lambda s: lsns[s.name])
        others = [s for s in live if s is not chosen]
        chosen.sql("ALTER SYSTEM SET synchronous_standby_names = ''")
        chosen.sql("SELECT pg_reload_conf()")
        if chosen.sql("SELECT pg_promote(wait => true, wait_seconds => 30)") != "t":
            raise RuntimeError(f"{chosen.name} did not finish promotion in 30 s")
        self.primary = chosen
        for s in others:
            s.sql(f"ALTER SYSTEM SET primary_conninfo = {_quote(self._conninfo(chosen, s.name))}")
            s.sql("SELECT pg_reload_conf()")
        chosen.sql("CREATE TEMPORARY TABLE failover_probe (x int); "
                   "INSERT INTO failover_probe VALUES (1)")
        seconds = time.monotonic() - t0
        if others:
            self.wait_streaming({s.name for s in others}, synchronous=False)
            names = ", ".join(s.name for s in others)
            chosen.sql(f"ALTER SYSTEM SET synchronous_standby_names = {_quote(f'ANY 1 ({names})')}")
            chosen.sql("SELECT pg_reload_conf()")
            self.wait_streaming({s.name for s in others})
        return seconds

    def stop(self):
        """Kills every member and removes its directories. Idempotent."""
        for m in self.all + [self.pending]:
            if m is not None:
                m.stop()
        self.pending = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
