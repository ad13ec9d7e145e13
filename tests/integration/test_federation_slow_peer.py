#!/usr/bin/python3
"""test_federation_slow_peer.py - node a has two peers: b, a real node, and
"stuck", a loopback socket that accepts connections and never reads. a queues
messages for both; b gets each of its messages at once, while a's sender for
stuck waits on its own (one request in flight per peer, with timeouts)."""
import socket
import sys
import threading
import time

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built
from federation_util import append_config, pin_pair


def main():
    skip_unless_built()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    held = []
    stop = threading.Event()

    def accept_and_ignore():
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
                held.append(conn)  # never read from, never closed until the end
            except socket.timeout:
                pass

    t = threading.Thread(target=accept_and_ignore, daemon=True)
    t.start()
    stuck_key = nacl.signing.SigningKey.generate().verify_key
    try:
        with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
            ta, tb = pin_pair(a, b, start=False)
            append_config(a, """
[peer stuck.example]
url = http://127.0.0.1:%d
key = %s
rights = none
""" % (lsock.getsockname()[1], bytes(stuck_key).hex()))
            a.start()
            b.start()
            A, B = Api(a, ta), Api(b, tb)
            for peer in ("stuck.example", "b.example") * 3:
                assert A.post("/v1/test/federation/send",
                              {"peer": peer, "type": "ping", "body_hex": "a0"})[0] == 202
            t0 = time.monotonic()
            while B.get("/v1/federation/peers/a.example")[1]["received"] < 3:
                assert time.monotonic() - t0 < 10, "b's messages were held up"
                time.sleep(0.05)
            took = time.monotonic() - t0
            stuck = A.get("/v1/federation/peers/stuck.example")[1]
            check(took < 5 and stuck["outbox_depth"] == 3,
                  "b got its 3 messages in %.2f s while all 3 for the peer that never reads "
                  "still wait" % took)
            check(len(held) >= 1, "a did connect to the peer that never reads")
            A.close()
            B.close()
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        lsock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
