#!/usr/bin/python3
"""test_federation_consortium.py - four real nodes on loopback. An operator
makes a consortium key and signs a trust file listing a, b and c; every node
pins the key. d's config holds only the key and a newer file that adds d;
published to a alone, the file reaches b and c through a's outbox, and d's
messages are then accepted by them: d joined by the file alone. Then: a
never goes back to an older serial; c's config narrows what the file grants
a, so a's catalog offer to c is refused (403) and dead-lettered while a's
other messages to c go on; b caches a's catalog; c goes down, a's messages
to c wait in a's outbox (backing off), and when c is back and reaches a,
each arrives exactly once."""
import hashlib
import os
import sys
import time

import cbor2

from accordtest import Api, Node, check, skip_unless_built, wait_for
from federation_util import append_config, canonical, consortium_file, node_public_key


def peer(api, node_id):
    status, body = api.get("/v1/federation/peers/" + node_id)
    return body if status == 200 else None


def drained(api, node_id):
    p = peer(api, node_id)
    return p and p["outbox_depth"] == 0 and p["state"] != "backing-off"


def serial(api):
    return api.get("/v1/federation/peers")[1]["consortium_serial"]


def main():
    skip_unless_built()
    nodes = [Node(node_id=i + ".example") for i in "abcd"]
    a, b, c, d = nodes
    try:
        tokens = [n.init() for n in nodes]
        pubs = []
        for n in nodes:
            n.start()
            pubs.append(node_public_key(n))
            n.stop()
        key_file = os.path.join(a.tmp, "consortium.key")
        r = a.ctl("consortium", "keygen", key_file, json_out=True)
        check(r.returncode == 0, "the operator makes a consortium key")
        ckey = r.json["public_key"]
        everything = ["submit", "lend", "certify", "issuer", "witness"]
        f1 = consortium_file(a, key_file, 1, [(a.node_id, a.url, pubs[0], everything),
                                              (b.node_id, b.url, pubs[1], ["submit", "witness"]),
                                              (c.node_id, c.url, pubs[2], ["lend"])],
                             "east-1", title="east")
        f2 = consortium_file(a, key_file, 2, [(a.node_id, a.url, pubs[0], everything),
                                              (b.node_id, b.url, pubs[1], ["submit", "witness"]),
                                              (c.node_id, c.url, pubs[2], ["lend"]),
                                              (d.node_id, d.url, pubs[3], ["lend"])],
                             "east-2", title="east")
        r = a.ctl("consortium", "show", f2, "--key", ckey)
        check(r.returncode == 0 and '"d.example"' in r.stdout,
              "consortium show verifies the signed file and lists d")
        for n in (a, b, c):
            append_config(n, "[consortium]\nkey = %s\nfile = %s\n" % (ckey, f1))
        # c narrows what the file grants a: submit only (no issuer).
        append_config(c, "[peer a.example]\nrights = submit\n")
        append_config(d, "[consortium]\nkey = %s\nfile = %s\n" % (ckey, f2))
        for n in nodes:
            n.start()
        api = {n.node_id: Api(n, t) for n, t in zip(nodes, tokens)}
        A, B, C, D = (api[n.node_id] for n in nodes)

        check(serial(A) == 1 and serial(B) == 1 and serial(D) == 2,
              "a, b, c hold serial 1; d holds serial 2 from its config")
        check(peer(B, "d.example") is None, "b does not know d yet")
        check(peer(C, "a.example")["rights"] == "submit",
              "c's config narrows a to submit although the file grants everything")

        r = a.ctl("consortium", "publish", f2, token=tokens[0])
        check(r.returncode == 0, "the operator publishes serial 2 to a alone: " + r.stdout.strip())
        wait_for("b and c to adopt serial 2", lambda: serial(B) == 2 and serial(C) == 2)
        check(True, "a's outbox passed serial 2 on to b and c")
        r = a.ctl("consortium", "publish", f1, token=tokens[0])
        check(r.returncode != 0 and "not newer" in r.stderr,
              "a refuses to go back to serial 1: " + r.stderr.strip())

        status, body = D.post("/v1/federation/peers/b.example/probe")
        check(status == 202, "d probes b")
        wait_for("d's outbox to b to drain", lambda: drained(D, "b.example"))
        check(peer(B, "d.example")["source"] == "consortium" and
              peer(B, "d.example")["received"] >= 1,
              "b accepted d's signed messages: d joined by the consortium file alone")

        # Members also pass the file on to each other, and those offers count
        # as applied messages too: counts are compared once outboxes drained.
        for x, target in ((A, "b.example"), (A, "c.example")):
            wait_for("a's outbox to %s to drain" % target, lambda: drained(x, target))
        base_b, base_c = peer(B, "a.example")["received"], peer(C, "a.example")["received"]
        definition = b'{"id":"lit-1","version":1}'
        catalog = canonical({"node": "a.example", "definitions": [
            {"id": "lit-1", "version": 1, "hash": hashlib.sha256(definition).digest(),
             "definition": definition}]}).hex()
        for target in ("b.example", "c.example"):
            status, _ = A.post("/v1/test/federation/send",
                               {"peer": target, "type": "catalog.offer", "body_hex": catalog})
            assert status == 202
        status, _ = A.post("/v1/federation/peers/c.example/probe")
        wait_for("a's outbox to b to drain", lambda: drained(A, "b.example"))
        check(peer(B, "a.example")["received"] == base_b + 1,
              "b (which grants a the issuer right) took a's catalog offer")
        dead = wait_for("a dead letter at a", lambda: A.get(
            "/v1/federation/dead-letters?peer=c.example")[1]["items"])
        check(len(dead) == 1 and dead[0]["status"] == 403 and "issuer" in dead[0]["problem"],
              "c refused a's catalog offer (403, issuer narrowed away); a dead-lettered it: "
              + dead[0]["problem"])
        wait_for("a's outbox to c to drain", lambda: drained(A, "c.example"))
        check(peer(C, "a.example")["received"] == base_c + 1,
              "a's next message to c (the probe) still went through after the dead letter")
        r = a.ctl("peer", "dead-letters", token=tokens[0])
        check(r.returncode == 0 and "catalog.offer" in r.stdout, "accordctl peer dead-letters")
        r = a.ctl("peer", "drop", str(dead[0]["id"]), token=tokens[0])
        check(r.returncode == 0 and A.get("/v1/federation/dead-letters")[1]["items"] == [],
              "accordctl peer drop removes it")

        base_c = peer(C, "a.example")["received"]
        c.stop()
        for i in range(5):
            status, _ = A.post("/v1/test/federation/send",
                               {"peer": "c.example", "type": "ping", "body_hex": "a0"})
            assert status == 202
        down = wait_for("a to back off from c",
                        lambda: (lambda p: p if p["state"] == "backing-off" else None)(
                            peer(A, "c.example")))
        check(down["outbox_depth"] == 5 and down["last_error"] != "",
              "c down: a backs off with 5 messages waiting (last error: %s)"
              % down["last_error"])
        r = a.ctl("peer", "list", token=tokens[0])
        check(r.returncode == 0 and "backing-off" in r.stdout, "accordctl peer list shows it")
        c.start()
        C.close()
        C = Api(c, tokens[2])
        status, body = C.post("/v1/federation/peers/a.example/probe")
        check(status == 202, "c is back and reaches a: %d %s" % (status, body))
        wait_for("a to deliver its backlog to c",
                 lambda: peer(A, "c.example")["outbox_depth"] == 0)
        time.sleep(0.5)
        check(peer(C, "a.example")["received"] == base_c + 5,
              "each of a's 5 waiting messages arrived exactly once")
        check(peer(A, "c.example")["state"] == "ok", "a's back-off from c is reset")
        # a rotates its key: b learns the new one from a's self-description,
        # fetched once when the unknown kid arrives; no admin edits anything.
        wait_for("a's outbox to b to drain", lambda: drained(A, "b.example"))
        base_b = peer(B, "a.example")["received"]
        r = a.ctl("key", "rotate", token=tokens[0])
        check(r.returncode == 0, "a rotates its signing key")
        status, _ = A.post("/v1/federation/peers/b.example/probe")
        wait_for("a's ping under its new key", lambda: drained(A, "b.example") and
                 peer(B, "a.example")["received"] == base_b + 1)
        check(len(peer(B, "a.example")["kids"]) == 2,
              "b accepted a's ping signed with the rotated key and holds both of a's keys")
        for x in api.values():
            x.close()
        C.close()
    finally:
        for n in nodes:
            n.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
