#!/usr/bin/python3
"""test_federation_ingest.py - group commit of inbound federation messages.
A peer played by Python (cbor2 + PyNaCl, pinned with the right "issuer")
writes bursts of envelopes on one HTTP/2 connection in one send, so the node
reads them in one loop tick. Checked: every message of a burst is answered
with its own signed answer and had its one effect, in fewer transactions than
messages (the node's ingest counters); and inside one burst, a message whose
effect fails (a catalog offer that is not a map) is refused alone while the
others commit, a second copy of a message gets the first copy's very answer
with one effect, and a reused id with another body is refused. Last, the
node is stopped right after a burst it has not yet answered (its signatures
being checked on the thread pool) and must stop cleanly: a sanitizer build
fails on a leak or a use after free."""
import json
import sys

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built
from federation_util import (append_config, envelope, node_public_key, now_ms, open_envelope,
                             post_many)


def problem_slug(body):
    try:
        return json.loads(body)["type"].rsplit("/", 1)[-1]
    except ValueError:
        return None


def send_unanswered(node, bodies):
    """Writes every envelope in |bodies| to |node|'s inbox in one send on one
    h2c connection and returns the socket without reading any answer."""
    import socket
    import h2.config
    import h2.connection
    import h2.settings
    from federation_util import ENVELOPE_TYPE
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=60)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24})
    conn.increment_flow_control_window(1 << 24)
    headers = [(":method", "POST"), (":scheme", "http"),
               (":authority", "127.0.0.1:%d" % node.port), (":path", "/v1/federation/inbox"),
               ("content-type", ENVELOPE_TYPE)]
    for body in bodies:
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, headers + [("content-length", str(len(body)))])
        conn.send_data(sid, body, end_stream=True)
    sock.sendall(conn.data_to_send())
    return sock


def main():
    skip_unless_built()
    py = nacl.signing.SigningKey.generate()
    with Node(node_id="b.example") as b:
        admin = b.init()
        append_config(b, """
[peer py.example]
url = http://127.0.0.1:9
key = %s
rights = issuer
""" % bytes(py.verify_key).hex())
        b.start()
        b_pub = node_public_key(b)
        api = Api(b, admin)

        def ingest():
            status, body = api.get("/v1/federation/peers")
            assert status == 200, (status, body)
            return body["ingest"]

        def received():
            status, body = api.get("/v1/federation/peers/py.example")
            assert status == 200, (status, body)
            return body["received"]

        def msg(id_, type_="ping", body=None):
            return envelope(py, type_, id_, "py.example", "b.example", now_ms(),
                            {} if body is None else body)

        n = 40
        before = ingest()
        got = post_many(b, [msg("burst-%d" % i) for i in range(n)], width=n)
        check(all(s == 200 for s, _ in got), "all %d messages of a burst are accepted" % n)
        res = [open_envelope(body, b_pub)["body"]["re"] for _, body in got]
        check(res == ["burst-%d" % i for i in range(n)],
              "each is answered with its own signed answer naming it")
        check(received() == n, "each had its one effect (received = %d)" % n)
        after = ingest()
        commits = after["commits"] - before["commits"]
        check(after["messages"] - before["messages"] == n and commits < n,
              "the burst was committed in %d transactions, fewer than its %d messages "
              "(largest %d)" % (commits, n, after["largest"]))

        mixed = [msg("mix-1"), msg("mix-bad", "catalog.offer", [1, 2]), msg("mix-2"),
                 msg("mix-1"), msg("mix-2", body={"changed": True}), msg("mix-3")]
        before = ingest()
        got = post_many(b, mixed, width=len(mixed))
        status = [s for s, _ in got]
        # Streams of one connection are concurrent: signatures are checked on
        # the thread pool, so of the two messages reusing mix-2 either may
        # arrive first; exactly one of them takes effect.
        won, lost = (2, 4) if status[2] == 200 else (4, 2)
        check([status[i] for i in (0, 1, 3, 5)] == [200, 400, 200, 200]
              and status[won] == 200 and status[lost] == 409,
              "in one burst: the failing effect alone is refused (400), the second copy is "
              "answered, of the two uses of one id one is accepted and the other refused "
              "(409), the others accepted: %s" % status)
        check(problem_slug(got[1][1]) == "bad-envelope"
              and problem_slug(got[lost][1]) == "replayed-id",
              "with the problems bad-envelope and replayed-id")
        check(got[3][1] == got[0][1], "the second copy gets the very same signed answer")
        check(received() == n + 3, "three messages had an effect, once each (received = %d)"
              % (n + 3))
        after = ingest()
        check(after["commits"] - before["commits"] < len(mixed),
              "and the burst shared transactions (%d for %d messages)"
              % (after["commits"] - before["commits"], len(mixed)))
        got = post_many(b, [msg("mix-bad", "catalog.offer", {"definitions": []})], width=1)
        check(got[0][0] == 200, "the refused id left no inbox row: a good offer may reuse it")
        api.close()
        burst = [msg("late-%d" % i) for i in range(300)]
        sock = send_unanswered(b, burst)
        rc = b.stop()
        sock.close()
        check(rc == 0, "the node stops cleanly right after a burst it had not answered "
              "(exit %s; a sanitizer build fails on a leak)" % rc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
