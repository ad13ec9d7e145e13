"""test_attack_reset_while_writing - clients that hang up while the node is
still writing to them (a body flood whose connections close with unread
answers, alongside short well-behaved connections) must end only their own
connections: a write to a reset socket raises SIGPIPE, which killed the node
before it ignored the signal. Bounded: at most 20 flood connections of 50
streams and 30 short connections, loopback only; asserts that the node is
alive and serving afterwards."""
import threading
import time

from accordtest import Node, check, skip_unless_built
from h2attack import get, post_body_flood

skip_unless_built()

with Node() as n:
    n.init()
    n.start()
    stop = threading.Event()

    def flood():
        for _ in range(20):
            if stop.is_set() or n.proc.poll() is not None:
                return
            try:
                post_body_flood(n.port, "/v1/no-such-route", 50, 1024 * 1024, deadline_s=4)
            except OSError:
                return

    t = threading.Thread(target=flood)
    t.start()
    time.sleep(0.5)  # the flood in full swing
    statuses = []
    for _ in range(30):
        statuses.append(get(n.port, "/v1/node", timeout=3)[0])
        if n.proc.poll() is not None:
            break
    stop.set()
    t.join()
    check(n.proc.poll() is None,
          "the node is alive after connections hung up while it wrote (exit %r)" % n.proc.poll())
    check(get(n.port, "/v1/node")[0] == 200, "and serves a well-behaved client")
