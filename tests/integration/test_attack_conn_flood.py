"""test_attack_conn_flood - one client address that opens every connection
slot and keeps each warm with PINGs must not lock other clients out: the node
refuses its connections beyond max_connections_per_client, and closes the
ones it holds once they are idle (PINGs do not count as activity). A client
from another loopback address (127.0.0.2) is served throughout. Bounded: 64
connections, loopback only; asserts on service and memory, never on time."""
import time

from accordtest import Node, check, skip_unless_built
from h2attack import Peer, RssWatch, get, keep_rss_meaningful_under_asan, rss_kib

skip_unless_built()
keep_rss_meaningful_under_asan()

SLOTS = 64
LIMITS = """max_connections = %d
max_connections_per_client = 16
idle_timeout_ms = 1500
""" % SLOTS

with Node(limits=LIMITS) as n:
    n.init()
    n.start()
    pid = n.proc.pid
    check(get(n.port, "/v1/node", source="127.0.0.2")[0] == 200,
          "a client from 127.0.0.2 is served before the attack")
    base = rss_kib(pid)
    peers = []
    with RssWatch(pid) as w:
        for _ in range(SLOTS):
            try:
                peers.append(Peer(n.port, source="127.0.0.1"))
            except OSError:
                pass
        time.sleep(0.2)
        for p in peers:
            p.ping()
        held = sum(1 for p in peers if not p.poll_closed())
        during = [get(n.port, "/v1/node", source="127.0.0.2")[0] for _ in range(3)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for p in peers:
                if not p.poll_closed():
                    p.ping()
            if all(p.poll_closed() for p in peers):
                break
            time.sleep(0.3)
    for p in peers:
        p.close()
    print("attacker opened %d connections, %d held; RSS %d KiB before, peak %d KiB"
          % (len(peers), held, base, w.peak))
    check(held <= 16, "127.0.0.1 holds %d connections, at most its 16" % held)
    check(during == [200, 200, 200],
          "a client from 127.0.0.2 is served while 127.0.0.1 floods the slots: %r" % during)
    check(all(p.closed for p in peers),
          "the flood's connections are closed as idle although they keep sending PINGs")
    check(get(n.port, "/v1/node", source="127.0.0.1")[0] == 200,
          "the flooding address is served again once its connections are gone")
    check((w.peak - base) / 1024.0 < 40, "node memory grew %.1f MiB (limit 40)"
          % ((w.peak - base) / 1024.0))
