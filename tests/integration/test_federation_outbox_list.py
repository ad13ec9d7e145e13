#!/usr/bin/python3
"""test_federation_outbox_list.py - GET /v1/federation/peers/{node}/outbox
(docs/federation.md), what the issuer's peers page shows as queued to a
peer: a peer pinned by the admin at an address where nothing listens keeps
what is sent to it in the outbox; the route lists those messages oldest
first with their type, message id, size and time, pages them, leaves the
bodies out, and answers only an admin and only for a peer."""
from accordtest import Api, Node, check, skip_unless_built
from lifecycle import new_user

PEER = "quiet.example"


def main():
    skip_unless_built()
    with Node(node_id="lister.example") as n:
        admin = Api(n, n.init())
        n.start()
        # Port 9 (discard) on loopback: nothing answers, so nothing is delivered.
        r = admin.post("/v1/federation/peers", {"node": PEER, "url": "http://127.0.0.1:9",
                                                "keys": ["11" * 32], "rights": ["submit"]})
        check(r[0] == 201, "the admin pins a peer that never answers: %s" % (r,))
        r = admin.get("/v1/federation/peers/%s/outbox" % PEER)
        check(r[0] == 200 and r[1]["items"] == [] and "next_cursor" not in r[1],
              "nothing is queued to a new peer: %s" % (r,))
        ids = []
        for _ in range(3):
            r = admin.post("/v1/federation/peers/%s/probe" % PEER)
            assert r[0] == 202, r
            ids.append(r[1]["queued"])
        r = admin.get("/v1/federation/peers/%s/outbox" % PEER)
        items = r[1]["items"]
        check(r[0] == 200 and [i["msg_id"] for i in items] == ids
              and all(i["type"] == "ping" and i["bytes"] == 1 and i["queued_at"].endswith("Z")
                      and "body" not in i for i in items)
              and items[0]["id"] < items[1]["id"] < items[2]["id"],
              "the three probes are listed oldest first as pings of one byte, without bodies: %s"
              % items)
        depth = admin.get("/v1/federation/peers/%s" % PEER)[1]["outbox_depth"]
        check(depth == 3, "the peer's outbox depth agrees with the list: %s" % depth)
        r = admin.get("/v1/federation/peers/%s/outbox?limit=2" % PEER)
        check(r[0] == 200 and [i["msg_id"] for i in r[1]["items"]] == ids[:2]
              and r[1].get("next_cursor"), "a page of two says more follow: %s" % (r,))
        r = admin.get("/v1/federation/peers/%s/outbox?limit=2&cursor=%s"
                      % (PEER, r[1]["next_cursor"]))
        check(r[0] == 200 and [i["msg_id"] for i in r[1]["items"]] == ids[2:]
              and "next_cursor" not in r[1], "the next page holds the third: %s" % (r,))
        r = admin.get("/v1/federation/peers/nobody.example/outbox")
        check(r[0] == 404 and r[1]["field"] == "node",
              "a node that is not a peer is 404 naming node: %s" % (r,))
        _, earner, _ = new_user(n, admin, "earner-one", ["earner"])
        r = earner.get("/v1/federation/peers/%s/outbox" % PEER)
        check(r[0] == 403, "a user who is not an admin is refused: %s" % (r,))
        earner.close()
        admin.close()
        code = n.stop()
        check(code == 0, "the node stops cleanly")
    print("all checks passed")


main()
