"""test_attack_zero_window - a client that sets its receive window to zero,
opens many streams to a large resource (a 1 MB artifact) and sends a PING
every half second must not pin the node's memory: the node stops answering a
connection whose responses are not read (max_response_buffer_bytes), and
cuts it as a slow reader once the idle timeout passes without progress (PINGs
are not progress). A well-behaved client is served throughout. Bounded: 2
connections x 50 streams, loopback only; asserts on memory and service,
never on time."""
import os
import time

from accordtest import Node, check, h2_client, skip_unless_built
from h2attack import Peer, RssWatch, get, keep_rss_meaningful_under_asan, rss_kib

skip_unless_built()
keep_rss_meaningful_under_asan()

CONNS, STREAMS = 2, 50
ARTIFACT = 1000 * 1000
LIMITS = """idle_timeout_ms = 1500
request_timeout_ms = 5000
max_response_buffer_bytes = 262144
"""

with Node(limits=LIMITS) as n:
    admin = n.init()
    n.start()
    pid = n.proc.pid
    auth = ("authorization", "Bearer " + admin)
    with h2_client() as c:
        r = c.post(n.url + "/v1/artifacts", content=os.urandom(ARTIFACT),
                   headers={"authorization": auth[1],
                            "content-type": "application/octet-stream"})
        check(r.status_code == 201, "a %d-byte artifact is uploaded" % ARTIFACT)
        path = "/v1/artifacts/" + r.json()["sha256"]
        for _ in range(5):  # warm the allocator with ordinary downloads
            check(c.get(n.url + path, headers={"authorization": auth[1]}).status_code == 200,
                  "an ordinary download answers 200")
    base = rss_kib(pid)
    peers = [Peer(n.port, window=0, rcvbuf=4096) for _ in range(CONNS)]
    served = []
    with RssWatch(pid) as w:
        for p in peers:
            for _ in range(STREAMS):
                p.request("GET", path, [auth])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for p in peers:
                if not p.poll_closed():
                    p.ping()
            served.append(get(n.port, "/v1/node")[0])
            if all(p.poll_closed() for p in peers):
                break
            time.sleep(0.5)
    for p in peers:
        p.close()
    growth_mib = (w.peak - base) / 1024.0
    print("RSS %d KiB before, peak %d KiB (+%.1f MiB)" % (base, w.peak, growth_mib))
    check(all(p.closed for p in peers),
          "every zero-window connection was cut although it kept sending PINGs")
    check(growth_mib < 40,
          "node memory grew %.1f MiB under %d x %d zero-window downloads of %d bytes (limit 40)"
          % (growth_mib, CONNS, STREAMS, ARTIFACT))
    check(served and all(s == 200 for s in served),
          "a well-behaved client got 200 for all %d requests during the attack" % len(served))
    check(get(n.port, "/healthz")[0] == 200, "the node is healthy after the attack")
