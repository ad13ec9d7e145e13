"""test_pg_failover - a node on a replicated PostgreSQL cluster (a primary and
two synchronous standbys, tests/lib/pgcluster.py) through one multi-host URL
with target_session_attrs=read-write loses no acknowledged write when a
standby dies, and when the primary dies and a standby is promoted, and does
not hang when both standbys are gone. One client thread issues records for the whole test and keeps the ones
the node acknowledged; the scenario, on one cluster:

1. one standby is killed (kill -9): writes go on, acknowledged by the other;
2. the other standby is killed too: a write ends in 503 naming the database
   (outcome-unknown: the engine's bounded COMMIT went unconfirmed, docs/api.md;
   or storage-unavailable) instead of waiting for ever, and reads are still
   served;
3. both standbys are started again, catch up, and writes go on;
4. the primary is killed (kill -9) while writes stream, the most advanced
   standby is promoted (its synchronous list cleared first: docs/ha.md) and
   the node, never restarted, reconnects by itself and writes go on;
5. every acknowledged record is present exactly once (on the new primary's
   tables and through the API), the log has one leaf per record, and every
   pair of checkpoints published across the whole run is consistent (RFC
   9162 consistency proofs from the node, checked with hashlib).

Loopback only: the servers listen on unix sockets, the node on 127.0.0.1.
Every wait is bounded. Plain build only (tests/CMakeLists.txt)."""
import base64
import os
import signal
import sys
import threading
import time

from accordtest import Node, check, h2_client, skip, skip_unless_built

skip_unless_built()
if not os.access("/usr/lib/postgresql/15/bin/pg_basebackup", os.X_OK):
    skip("PostgreSQL 15 is not installed (tools/setup.sh)")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgcluster import PgCluster  # noqa: E402
from test_records import verify_consistency  # noqa: E402

HASH = "cd" * 32
# How many acknowledged writes each phase waits for, and how long at most.
PER_PHASE = 8
PHASE_S = 120


class Writer(threading.Thread):
    """Issues records one after another until stopped, each to a subject of
    its own, and keeps what happened to each: acknowledged (with the record
    id the node gave) or failed (with the status, or the exception)."""

    def __init__(self, node, token):
        super().__init__(daemon=True)
        self.node = node
        self.token = token
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.acked = []    # (subject, record id)
        self.failed = []   # (subject, status or exception text, body)

    def run(self):
        i = 0
        with h2_client() as c:
            while not self.stop_flag.is_set():
                i += 1
                subject = "earner%d@failover.example" % i
                body = {"email": subject, "definition_id": "phonics-k2",
                        "definition_version": 3, "content_hash": HASH,
                        "achieved_level": "proficient"}
                try:
                    r = c.post(self.node.url + "/v1/credentials/issue", json=body,
                               headers={"authorization": "Bearer " + self.token})
                    outcome = (r.status_code, r.json() if r.content else None)
                except Exception as e:  # the client's own timeout: a hang
                    outcome = ("exception", repr(e))
                with self.lock:
                    if outcome[0] in (200, 201):
                        self.acked.append((subject, outcome[1]["id"]))
                    else:
                        self.failed.append((subject,) + outcome)
                if outcome[0] != 201 and outcome[0] != 200:
                    time.sleep(0.1)  # a failing node is not hammered

    def counts(self):
        with self.lock:
            return len(self.acked), len(self.failed)

    def wait_acked(self, more, what):
        """Waits (bounded) until |more| writes beyond now are acknowledged."""
        goal = self.counts()[0] + more
        deadline = time.monotonic() + PHASE_S
        while time.monotonic() < deadline:
            if self.counts()[0] >= goal:
                return
            time.sleep(0.02)
        with self.lock:
            last = self.failed[-3:]
        raise AssertionError("%s: fewer than %d writes acknowledged in %d s; last failures: %r"
                             % (what, more, PHASE_S, last))

    def wait_failed(self, more):
        goal = self.counts()[1] + more
        deadline = time.monotonic() + PHASE_S
        while time.monotonic() < deadline:
            if self.counts()[1] >= goal:
                return
            time.sleep(0.02)
        raise AssertionError("no write failed within %d s" % PHASE_S)


def checkpoint(c, n):
    r = c.get(n.url + "/v1/log/checkpoint")
    assert r.status_code == 200, r.text
    body = r.text.split("\n\n")[0].split("\n")
    return int(body[1]), base64.b64decode(body[2])


def _on_term(signum, frame):
    raise SystemExit(128 + signum)  # so that the cluster is torn down


def main():
    signal.signal(signal.SIGTERM, _on_term)
    with PgCluster() as cluster:
        print("# cluster (primary and two synchronous standbys) ready in %.2f s"
              % cluster.start_seconds)
        cluster.create_database("accord_failover")
        with Node(node_id="failover.example",
                  store_url=cluster.url("accord_failover")) as n, h2_client() as c:
            admin = n.init()
            n.start()
            checkpoints = [checkpoint(c, n)]
            w = Writer(n, admin)
            w.start()
            try:
                run(cluster, n, c, w, checkpoints)
            finally:
                w.stop_flag.set()
                w.join(timeout=PHASE_S)
            verify(cluster, n, c, w, checkpoints)


def run(cluster, n, c, w, checkpoints):
    s1, s2 = cluster.standbys
    w.wait_acked(PER_PHASE, "all three members up")
    checkpoints.append(checkpoint(c, n))

    cluster.kill(s2)
    w.wait_acked(PER_PHASE, "s2 killed")
    check(True, "with one standby killed (kill -9) writes go on: %d acknowledged so far"
          % w.counts()[0])
    checkpoints.append(checkpoint(c, n))

    # Both standbys gone: a COMMIT has nobody to confirm it. The engine
    # cancels the wait after its bound (core/store/db_pg_wait.c, COMMIT_WAIT_MS)
    # and the node answers 503 naming the database, and reads go on.
    cluster.kill(s1)
    w.wait_failed(1)
    with w.lock:
        _, status, problem = w.failed[-1]
    check(status == 503 and isinstance(problem, dict)
          and problem.get("type", "").endswith(("/outcome-unknown", "/storage-unavailable"))
          and "database" in problem.get("detail", ""),
          "with both standbys killed a write is answered 503 naming the database instead of "
          "hanging: %r" % (problem.get("detail") if isinstance(problem, dict) else problem,))
    r = c.get(n.url + "/v1/log/checkpoint")
    check(r.status_code == 200, "and reads are still served (the log's checkpoint)")

    s1.restart()
    s2.restart()
    cluster.wait_streaming({"s1", "s2"})
    w.wait_acked(PER_PHASE, "s2 restarted")
    check(True, "the killed standbys, started again, catch up and stream as synchronous "
          "candidates; writes go on")
    checkpoints.append(checkpoint(c, n))

    # Writes stream while the primary dies: one may be cut mid-COMMIT.
    before = w.counts()[0]
    old = cluster.primary
    cluster.kill(old)
    seconds = cluster.failover()
    print("# failover: the promoted standby took its first write %.2f s after the call"
          % seconds)
    check(cluster.primary is not old and cluster.primary.alive,
          "a standby (%s, the most advanced) was promoted; the other follows it"
          % cluster.primary.name)
    w.wait_acked(PER_PHASE, "after the failover")
    check(n.proc.poll() is None and w.counts()[0] >= before + PER_PHASE,
          "the node, never restarted, reconnected to the new primary by itself: "
          "writes are acknowledged again")
    checkpoints.append(checkpoint(c, n))


def verify(cluster, n, c, w, checkpoints):
    acked = dict(w.acked)
    ids = [rid for _, rid in w.acked]
    check(len(set(ids)) == len(ids), "every acknowledged write got a record id of its own")
    db = cluster.primary
    rows = db.sql("SELECT id FROM records ORDER BY id", dbname="accord_failover").split()
    present = [int(x) for x in rows]
    missing = sorted(set(ids) - set(present))
    check(not missing, "every acknowledged record (%d) is on the new primary: missing %r"
          % (len(ids), missing))
    check(len(present) == len(set(present)) and len(present) <= len(ids) + len(w.failed),
          "no record twice, and none more than the writes attempted (%d records, %d "
          "acknowledged, %d failed)" % (len(present), len(ids), len(w.failed)))
    leaves = int(db.sql("SELECT count(*) FROM log_leaves", dbname="accord_failover"))
    check(leaves == len(present), "the log has one leaf per record (%d)" % leaves)
    # Each reader thread's connection, and the loop's side connection, died
    # idle in the failover and first runs a query it never prepared: the
    # engine notices the dead link at that PREPARE and tries once more on a
    # new connection (core/store/db_pg.c), so no read is answered 503.
    auth = {"authorization": "Bearer " + w.token}
    bad = [(rid, st) for rid, st in
           ((rid, c.get(n.url + "/v1/credentials/%d" % rid, headers=auth).status_code)
            for rid in ids) if st != 200]
    check(not bad, "every acknowledged record is served by the node at the first read after "
          "the failover, none answered 503 by a connection lost in it: failing %r" % (bad,))
    checkpoints.append(checkpoint(c, n))
    sizes = [s for s, _ in checkpoints]
    check(sizes == sorted(sizes) and sizes[-1] == leaves,
          "the checkpoints published grow and the last covers every leaf: %r" % sizes)
    pairs = 0
    for i, (a, ra) in enumerate(checkpoints):
        for b, rb in checkpoints[i + 1:]:
            p = c.get(n.url + "/v1/log/consistency?from=%d&to=%d" % (a, b)).json()
            proof = [base64.b64decode(h) for h in p["hashes"]]
            if not verify_consistency(a, b, proof, ra, rb):
                check(False, "consistency %d -> %d verifies" % (a, b))
            pairs += 1
    check(True, "consistency proofs verify between every pair of the %d checkpoints "
          "published before and after the failover (%d pairs)" % (len(checkpoints), pairs))
    assert acked


if __name__ == "__main__":
    main()
