#!/usr/bin/python3
"""test_federation_crash.py - two real nodes; a has 3,000 messages queued for b.
While a delivers them, a is killed with SIGKILL and restarted; later b is
killed with SIGKILL mid-delivery and restarted. Every message still arrives,
and exactly once: the outbox and its cursor are durable at a, and b's inbox
rows commit with their effects, so a message b applied but never answered is
answered from the inbox when a sends it again."""
import sys

from accordtest import Api, Node, check, skip_unless_built, wait_for
from federation_util import pin_pair

# Enough that a's pipelined sender (32 requests in flight) is still
# delivering when each node is killed.
N = 3000


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b, start=False)
        a.start()
        A = Api(a, ta)
        assert A.post("/v1/test/federation/send",
                      {"peer": "b.example", "type": "ping", "body_hex": "a0", "count": N})[0] == 202
        b.start()
        B = Api(b, tb)

        def received():
            return B.get("/v1/federation/peers/a.example")[1]["received"]

        wait_for("some deliveries", lambda: received() >= 30)
        a.kill()
        at_kill = received()
        check(at_kill < N, "a killed with SIGKILL after %d of %d deliveries" % (at_kill, N))
        A.close()
        a.start()
        A = Api(a, ta)
        B.post("/v1/federation/peers/a.example/probe")  # b reaches a: a tries at once

        wait_for("more deliveries", lambda: received() >= min(at_kill + 60, N))
        at_b_kill = received()
        b.kill()
        print("b killed with SIGKILL after %d of %d deliveries" % (at_b_kill, N))
        B.close()
        b.start()
        B = Api(b, tb)
        B.post("/v1/federation/peers/a.example/probe")
        wait_for("a's outbox to drain",
                 lambda: A.get("/v1/federation/peers/b.example")[1]["outbox_depth"] == 0)
        check(received() == N,
              "after both kills, b applied each of the %d messages exactly once (%d)"
              % (N, received()))
        A.close()
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
