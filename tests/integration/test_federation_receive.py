#!/usr/bin/python3
"""test_federation_receive.py - one real node and a peer played by Python
(cbor2 + PyNaCl, pinned in the node's config with the right "lend" only).
Each refusal the receiver must make is sent and its problem checked, and the
node's count of applied messages from the peer shows that nothing changed:
forged signature, unknown sender, a known peer's unknown key, missing right,
wrong `to`, a key of one node claiming to be another, skewed clock (401 with
the server's time), a record-style COSE_Sign1, a replayed id with a changed
body; and the same id twice gets the same signed answer with one effect."""
import sys

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built
from federation_util import (append_config, envelope, node_public_key, now_ms, open_envelope,
                             post_inbox, problem_slug)

import cbor2


def received(api):
    status, body = api.get("/v1/federation/peers/py.example")
    assert status == 200, (status, body)
    return body["received"]


def main():
    skip_unless_built()
    py = nacl.signing.SigningKey.generate()
    with Node(node_id="b.example") as b:
        admin = b.init()
        append_config(b, """
[peer py.example]
url = http://127.0.0.1:9
key = %s
rights = lend
""" % bytes(py.verify_key).hex())
        b.start()
        b_pub = node_public_key(b)
        api = Api(b, admin)

        def send(type_="ping", id_="m-1", from_="py.example", to="b.example", ts=None,
                 body=None, sk=py, sender=None):
            raw = envelope(sk, type_, id_, from_, to, now_ms() if ts is None else ts,
                           {} if body is None else body)
            return post_inbox(b, raw, sender)

        r1 = send(body={"n": 1})
        check(r1.status_code == 200, "a signed ping from a pinned peer is accepted: %d"
              % r1.status_code)
        ans = open_envelope(r1.content, b_pub)
        check(ans["from"] == "b.example" and ans["to"] == "py.example" and
              ans["body"]["re"] == "m-1",
              "the answer is an envelope signed by the node, to the sender, naming the message")
        check(received(api) == 1, "the ping had its one effect (received = 1)")

        r2 = send(body={"n": 1})
        check(r2.status_code == 200 and r2.content == r1.content,
              "the same id with the same body gets the very same signed answer")
        check(received(api) == 1, "and no second effect (received still 1)")

        r = send(body={"n": 2})
        check(r.status_code == 409 and problem_slug(r) == "replayed-id",
              "the same id with a changed body is refused: %d %s" % (r.status_code,
                                                                     problem_slug(r)))

        raw = bytearray(envelope(py, "ping", "m-forged", "py.example", "b.example", now_ms(), {}))
        raw[-1] ^= 0x01
        r = post_inbox(b, bytes(raw))
        check(r.status_code == 401 and problem_slug(r) == "bad-signature",
              "a forged signature is refused: %d %s" % (r.status_code, problem_slug(r)))

        stranger = nacl.signing.SigningKey.generate()
        r = send(id_="m-stranger", from_="stranger.example", sk=stranger)
        check(r.status_code == 401 and problem_slug(r) == "unknown-sender",
              "an unknown sender is refused: %d %s" % (r.status_code, problem_slug(r)))

        r = send(id_="m-newkey", sk=stranger, sender="py.example")
        check(r.status_code == 401 and problem_slug(r) == "unknown-key",
              "a known peer's unknown key is refused as such: %d %s"
              % (r.status_code, problem_slug(r)))

        r = send(type_="catalog.offer", id_="m-catalog", body={"definitions": []})
        check(r.status_code == 403 and problem_slug(r) == "missing-right" and
              "issuer" in r.json()["detail"],
              "a catalog offer without the issuer right is refused (403): %s"
              % r.json().get("detail"))

        r = send(id_="m-to", to="c.example")
        check(r.status_code == 421 and problem_slug(r) == "wrong-recipient",
              "a message to another node is refused: %d %s" % (r.status_code, problem_slug(r)))

        r = send(id_="m-claim", from_="c.example")
        check(r.status_code == 401 and problem_slug(r) == "wrong-key",
              "py.example's key claiming to be c.example is refused: %d %s"
              % (r.status_code, problem_slug(r)))

        r = send(id_="m-skew", ts=now_ms() - 600 * 1000)
        body = r.json()
        check(r.status_code == 401 and problem_slug(r) == "clock-skew" and "server_time" in body,
              "a ts 600 s old is refused with 401 carrying the server's time: %s"
              % body.get("server_time"))

        record_like = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -8, 4: b"12345678"}), {},
                                                     b"\xa0", b"\x00" * 64]))
        r = post_inbox(b, record_like)
        check(r.status_code == 400 and problem_slug(r) == "bad-envelope",
              "a COSE_Sign1 without the envelope content type is refused: %s"
              % r.json().get("detail"))

        check(received(api) == 1, "after every refusal, still exactly one applied message")
        api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
