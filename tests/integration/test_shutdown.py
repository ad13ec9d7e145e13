"""test_shutdown - SIGTERM lets the node finish and exit 0 with the database
closed (on SQLite: the WAL checkpointed away and the file intact; on
PostgreSQL: none of the node's connections left on the server); SIGHUP
reopens the log file after rotation; SIGINT works like SIGTERM."""
import os
import signal
import time

from accordtest import Node, check, h2_client, on_postgresql, skip_unless_built

skip_unless_built()

with Node() as n:
    log = os.path.join(n.tmp, "node.log")
    with open(n.config, "a") as f:
        f.write("file = %s\n" % log)
    admin = n.init()
    n.start()
    with h2_client() as c:
        check(c.get(n.url + "/healthz").status_code == 200, "the node serves")
    check(os.path.exists(log) and "listening on" in open(log).read(), "the node logs to its file")

    os.rename(log, log + ".1")
    n.proc.send_signal(signal.SIGHUP)
    # The reopened file exists a moment before the line saying so is in it,
    # so wait for the line, not for the file.
    def reopened():
        return os.path.exists(log) and "log reopened" in open(log).read()
    deadline = time.monotonic() + 60  # a bound only a stuck node reaches
    while not reopened() and time.monotonic() < deadline:
        time.sleep(0.05)
    check(reopened(), "SIGHUP reopens the log at its configured path")

    check(n.stop(signal.SIGTERM) == 0, "SIGTERM exits 0")
    text = open(log).read()
    check("stopping" in text and "exit 0" in text, "the log records the graceful stop")
    if on_postgresql():
        # The node closed its connections before exiting; the server ends a
        # closed connection's backend a moment later, so poll (a bound only
        # a stuck server reaches).
        def backends():
            return n.db_rows("SELECT COUNT(*) FROM pg_stat_activity"
                             " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                             )[0][0]
        deadline = time.monotonic() + 30
        while backends() and time.monotonic() < deadline:
            time.sleep(0.05)
        check(backends() == 0, "the node's connections to PostgreSQL are all closed")
    else:
        # A clean close checkpoints the WAL away.
        wal = os.path.join(n.data_dir, "accord.db-wal")
        check(not os.path.exists(wal) or os.path.getsize(wal) == 0,
              "the WAL is checkpointed on close")
        check(n.db_rows("PRAGMA integrity_check") == [("ok",)], "the database is intact")

    n.start()
    check(n.stop(signal.SIGINT) == 0, "SIGINT exits 0 too")
