#!/usr/bin/python3
"""test_federation_catalog.py - two real nodes pinned to each other in their
configs. a makes a credential active through the real lifecycle; b, which
grants a the issuer right, fetches a's signed catalog, verifies it with a's
pinned key and keeps it; the kept copy reads back (verified again). a, which
grants b no issuer right, refuses to fetch b's catalog."""
import sys

from accordtest import Api, Node, check, skip_unless_built
from federation_util import ENVELOPE_TYPE, append_config, node_public_key, open_envelope
from lifecycle import active_credential, load_definition

from accordtest import h2_client


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = a.init(), b.init()
        a.start()
        b.start()
        pa, pb = node_public_key(a), node_public_key(b)
        a.stop()
        b.stop()
        append_config(a, "[peer b.example]\nurl = %s\nkey = %s\nrights = lend\n" % (b.url, pb.hex()))
        append_config(b, "[peer a.example]\nurl = %s\nkey = %s\nrights = issuer\n"
                      % (a.url, pa.hex()))
        a.start()
        b.start()
        definition = load_definition()
        active_credential(a, ta, definition, reviewers=2)

        with h2_client() as c:
            r = c.get(a.url + "/v1/federation/catalog")
        doc = open_envelope(r.content, pa)
        check(r.headers["content-type"] == ENVELOPE_TYPE and doc["from"] == "a.example" and
              doc["to"] == "*" and
              [(d["id"], d["version"]) for d in doc["body"]["definitions"]] ==
              [(definition["id"], definition["version"])],
              "a serves its catalog of active credentials as an envelope signed by its key")

        B, A = Api(b, tb), Api(a, ta)
        status, body = B.post("/v1/federation/peers/a.example/catalog")
        check(status == 200 and body["node"] == "a.example" and
              body["definitions"][0]["id"] == definition["id"],
              "b fetches, verifies and keeps a's catalog: %s" % body)
        status, cached = B.get("/v1/federation/peers/a.example/catalog")
        check(status == 200 and cached["definitions"] == body["definitions"],
              "the kept catalog reads back, verified again")
        status, body = A.post("/v1/federation/peers/b.example/catalog")
        check(status == 403 and body["type"].endswith("/missing-right"),
              "a does not take a catalog from b, which it grants no issuer right")
        A.close()
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
