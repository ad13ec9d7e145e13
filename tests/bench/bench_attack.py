#!/usr/bin/python3
"""bench_attack.py - what a well-behaved client sees while the node is under
attack, in one run: h2load's request rate and p99 latency for GET /v1/node
with no attack, then under each bounded attack (zero-window readers,
connection floods, body floods), each as a ratio to the run without attack,
and the node's peak RSS during each.

    ACCORD_BUILD=build /usr/bin/python3 tests/bench/bench_attack.py [seconds]
    tests/bench/bench_attack.sh [BUILD_DIR]      (as tests/bench/run.sh runs it)

The node runs with its default [limits] (so the same script measures a build
without them). Attackers come from 127.0.0.2, h2load from 127.0.0.1, all on
loopback. Every attack is bounded in connections, streams and bytes:
  zero-window  2 connections x 50 streams downloading a 1 MB artifact with the
               receive window at 0, a PING every 0.5 s
  conn-flood   1100 connections from one address (more than the node's 1024
               slots), each kept warm with PINGs, reopened when the node
               closes them
  body-flood   2 connections x 50 POSTs of 1 MiB each, never ended, to a path
               that does not exist and to /v1/artifacts with a valid token
Prints figures; asserts nothing (benchmarks are never asserted).
"""
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from accordtest import Node, h2_client, require_tool  # noqa: E402
from h2attack import Peer, RssWatch, post_body_flood  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ATTACKER = "127.0.0.2"
ARTIFACT = 1000 * 1000
FLOOD = 1100


def h2load(port, seconds):
    """Runs h2load -c 4 -m 10 for |seconds|; returns (req/s, p99 ms, failed)."""
    with tempfile.NamedTemporaryFile(prefix="h2load-", suffix=".log") as log:
        out = subprocess.run(
            ["h2load", "-c", "4", "-m", "10", "-D", str(seconds), "--log-file", log.name,
             "http://127.0.0.1:%d/v1/node" % port],
            capture_output=True, text=True, timeout=seconds + 60).stdout
        lat = []
        with open(log.name) as f:
            for line in f:
                cols = line.split()
                if len(cols) >= 3 and cols[1] == "200":
                    lat.append(int(cols[2]))
    failed = 0
    for line in out.splitlines():
        if line.startswith("requests:"):
            # "requests: N total, N started, N done, N succeeded, N failed, ..."
            parts = line.replace(",", "").split()
            failed = int(parts[parts.index("failed") - 1])
    lat.sort()
    rate = len(lat) / float(seconds)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000.0 if lat else float("nan")
    return rate, p99, failed


def zero_window(node, stop, path, auth):
    peers = []
    for _ in range(2):
        p = Peer(node.port, source=ATTACKER, window=0, rcvbuf=4096)
        for _ in range(50):
            p.request("GET", path, [auth])
        peers.append(p)
    while not stop.wait(0.5):
        for p in peers:
            if not p.poll_closed():
                p.ping()
    for p in peers:
        p.close()


def conn_flood(node, stop, path, auth):
    peers, opened = [], 0
    while not stop.is_set():
        alive = []
        for p in peers:
            if p.poll_closed():
                p.close()
            else:
                alive.append(p)
        peers = alive
        while len(peers) < FLOOD and opened < 20000 and not stop.is_set():
            try:
                peers.append(Peer(node.port, source=ATTACKER))
                opened += 1
            except OSError:
                opened += 1
                break
        for p in peers:
            p.ping()
        stop.wait(0.3)
    for p in peers:
        p.close()


def body_flood(node, stop, path, auth):
    def one(target, headers):
        while not stop.is_set():
            post_body_flood(node.port, target, 50, 1024 * 1024, headers, deadline_s=SECONDS)

    ts = [threading.Thread(target=one, args=("/v1/no-such-route", ())),
          threading.Thread(target=one, args=("/v1/artifacts", (auth,)))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def main():
    require_tool("h2load")
    # The flood's sockets, and the node's (it inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = FLOOD + 200 if hard == resource.RLIM_INFINITY else min(hard, FLOOD + 200)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    with Node(limits="", grace_ms=1000) as n:
        admin = n.init()
        n.start()
        auth = ("authorization", "Bearer " + admin)
        with h2_client() as c:
            r = c.post(n.url + "/v1/artifacts", content=os.urandom(ARTIFACT),
                       headers={"authorization": auth[1],
                                "content-type": "application/octet-stream"})
            path = "/v1/artifacts/" + r.json()["sha256"]
        h2load(n.port, 2)  # warm-up
        rows = []
        # Each attack is measured right after a run without attack, and
        # compared with that one: the machine's load drifts (other work on a
        # shared machine), and adjacent runs see the same drift.
        for name, attack in (("zero-window", zero_window), ("conn-flood", conn_flood),
                             ("body-flood", body_flood)):
            pair = []
            for fn in (None, attack):
                stop = threading.Event()
                t = None
                with RssWatch(n.proc.pid) as w:
                    if fn:
                        t = threading.Thread(target=fn, args=(n, stop, path, auth))
                        t.start()
                        time.sleep(0.5)  # let the attack take hold
                    rate, p99, failed = h2load(n.port, SECONDS)
                    stop.set()
                    if t:
                        t.join()
                pair.append((rate, p99, failed, w.peak / 1024.0))
                time.sleep(1)
            rows.append((name, pair))
        print("bench_attack: h2load -c 4 -m 10 -D %d GET /v1/node on loopback, build %s"
              % (SECONDS, os.environ.get("ACCORD_BUILD", "build")))
        print("%-12s %9s %9s %9s %9s %7s %7s %7s %8s" % (
            "attack", "req/s", "under", "p99 ms", "under", "rate x", "p99 x", "failed",
            "RSS MiB"))
        for name, ((r0, p0, f0, m0), (r1, p1, f1, m1)) in rows:
            print("%-12s %9.0f %9.0f %9.2f %9.2f %7.2f %7.2f %7d %8.1f"
                  % (name, r0, r1, p0, p1, r1 / r0 if r0 else 0, p1 / p0 if p0 else 0, f1, m1))
        print("(req/s and p99 without the attack, then under it; rate x and p99 x are the "
              "ratios; RSS is the node's peak during the attack)")
        for name, ((r0, p0, f0, m0), (r1, p1, f1, m1)) in rows:
            print("bench_attack %s: well-behaved client's rate ratio %.2f, p99 ratio %.2f, "
                  "node peak RSS %.1f MiB" % (name, r1 / r0 if r0 else 0,
                                              p1 / p0 if p0 else 0, m1))


if __name__ == "__main__":
    main()
