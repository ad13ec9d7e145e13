"""test_attack_body_flood - request bodies must not be held before the node
knows it wants them: POSTs to a path that does not exist get 404, and POSTs
without a valid token get 401, at the end of their headers, their bodies
discarded unread; a client with a token cannot make one connection hold more
than max_body_buffer_bytes of bodies at once (503 beyond). A well-behaved
client is served throughout. Bounded: 2 connections x 50 streams x 1 MiB per
attack, loopback only; asserts on memory and service, never on time."""
import threading

from accordtest import Node, check, skip_unless_built
from h2attack import RssWatch, get, keep_rss_meaningful_under_asan, post_body_flood, rss_kib

skip_unless_built()
keep_rss_meaningful_under_asan()

CONNS, STREAMS, BODY = 2, 50, 1024 * 1024
LIMITS = """request_timeout_ms = 5000
max_body_buffer_bytes = 4194304
"""


def flood(port, path, headers=()):
    """CONNS connections in parallel; returns {status: count} over all."""
    results = [None] * CONNS

    def one(i):
        results[i] = post_body_flood(port, path, STREAMS, BODY, headers, deadline_s=15)

    ts = [threading.Thread(target=one, args=(i,)) for i in range(CONNS)]
    for t in ts:
        t.start()
    # At least one request: a flood refused at the end of its headers can be
    # over before a first check of the threads would see them running.
    served = []
    while True:
        served.append(get(port, "/v1/node")[0])
        for t in ts:
            t.join(0.3)
        if not any(t.is_alive() for t in ts):
            break
    total = {}
    for r in results:
        for k, v in (r or {}).items():
            total[k] = total.get(k, 0) + v
    return total, served


with Node(limits=LIMITS) as n:
    admin = n.init()
    n.start()
    pid = n.proc.pid
    for _ in range(5):
        get(n.port, "/v1/node")
    cases = [
        ("/v1/no-such-route", (), 404, "unauthenticated POSTs to a path that does not exist"),
        ("/v1/artifacts", (), 401, "POSTs without a token to an existing route"),
        ("/v1/artifacts", (("authorization", "Bearer acc_" + "A" * 43),), 401,
         "POSTs with an unknown token"),
        ("/v1/definitions", (("authorization", "Bearer " + admin),), 503,
         "authenticated POSTs beyond the connection's body budget"),
    ]
    for path, headers, refused, what in cases:
        base = rss_kib(pid)
        with RssWatch(pid) as w:
            statuses, served = flood(n.port, path, headers)
        growth = (w.peak - base) / 1024.0
        print("%s: answers %r; RSS %d KiB before, peak %d KiB (+%.1f MiB)"
              % (what, statuses, base, w.peak, growth))
        check(statuses.get(refused, 0) > 0, "%s are refused with %d" % (what, refused))
        check(growth < 40, "%s grew node memory %.1f MiB (limit 40; %d MiB sent)"
              % (what, growth, CONNS * STREAMS * BODY >> 20))
        check(served and all(s == 200 for s in served),
              "a well-behaved client got 200 for all %d requests meanwhile" % len(served))
    check(get(n.port, "/healthz")[0] == 200, "the node is healthy after the attacks")
