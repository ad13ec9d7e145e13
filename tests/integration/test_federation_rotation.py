#!/usr/bin/python3
"""test_federation_rotation.py - a message signed before a key rotation
still verifies after it. Two real nodes pin each other; the test keeps an
envelope signed (with PyNaCl, from the seed in a's keyring file) by a's first
key before a rotates. a rotates; b learns a's new key from a's
self-description when a's next message arrives. Then the kept envelope,
delivered late, is accepted with its one effect, while an envelope signed
by the retired key with a ts after the rotation is refused as retired, and
nothing changes for it."""
import glob
import os
import sys
import time

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built, wait_for
from federation_util import (envelope, node_public_key, now_ms, pin_pair, post_inbox,
                             problem_slug)


def current_seed(node):
    """The seed of |node|'s current key, read from its keyring's files."""
    for path in glob.glob(os.path.join(node.data_dir, "keys", "*")):
        with open(path) as f:
            fields = dict(line.split(" ", 1) for line in f.read().splitlines()[1:])
        if int(fields["not_after"]) == 0:
            return bytes.fromhex(fields["seed"].strip())
    raise AssertionError("no current key in %s" % node.data_dir)


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b)
        A, B = Api(a, ta), Api(b, tb)

        def peer_b():
            return B.get("/v1/federation/peers/a.example")[1]

        old = nacl.signing.SigningKey(current_seed(a))
        check(bytes(old.verify_key) == node_public_key(a),
              "the test holds a's first key (from its keyring)")
        kept = envelope(old, "ping", "signed-before-rotation", "a.example", "b.example",
                        now_ms(), {})
        time.sleep(0.05)  # the rotation comes strictly after the kept ts

        r = a.ctl("key", "rotate", token=ta)
        check(r.returncode == 0, "a rotates its signing key")
        base = peer_b()["received"]
        status, _ = A.post("/v1/test/federation/send",
                           {"peer": "b.example", "type": "ping", "body_hex": "a0"})
        check(status == 202, "a queues a ping to b, to be signed with its new key")
        wait_for("b to accept a's ping under the new key",
                 lambda: peer_b()["received"] == base + 1 and len(peer_b()["kids"]) == 2)
        check(len(peer_b()["kids"]) == 2,
              "b learned a's new key from its description (b holds 2 kids of a)")

        r = post_inbox(b, kept)
        check(r.status_code == 200, "the envelope signed before the rotation, delivered after "
              "it, is accepted: %d" % r.status_code)
        check(peer_b()["received"] == base + 2, "and had its one effect")

        late = envelope(old, "ping", "signed-after-rotation", "a.example", "b.example",
                        now_ms(), {})
        r = post_inbox(b, late)
        check(r.status_code == 401 and problem_slug(r) == "retired-key",
              "the retired key signing after the rotation is refused: %d %s"
              % (r.status_code, problem_slug(r)))
        check(peer_b()["received"] == base + 2, "and changed nothing")
        A.close()
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
