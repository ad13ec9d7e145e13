"""test_shutdown - SIGTERM lets the node finish and exit 0 with the database
closed; SIGHUP reopens the log file after rotation; SIGINT works like SIGTERM."""
import os
import signal
import sqlite3
import time

from accordtest import Node, check, h2_client, skip_unless_built, sqlite_only

skip_unless_built()
sqlite_only("test_shutdown")

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
    # A clean close checkpoints the WAL away.
    wal = os.path.join(n.data_dir, "accord.db-wal")
    check(not os.path.exists(wal) or os.path.getsize(wal) == 0, "the WAL is checkpointed on close")
    db = sqlite3.connect(os.path.join(n.data_dir, "accord.db"))
    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the database is intact")
    db.close()

    n.start()
    check(n.stop(signal.SIGINT) == 0, "SIGINT exits 0 too")
