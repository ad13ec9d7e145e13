#!/usr/bin/python3
"""test_catalog_peers.py - a district's teachers find the state's credentials
in their district's catalog. Two real nodes: state.example issues two
credentials and serves its signed catalog; district.example, which grants
the state the issuer right, has one credential of its own. Before the
district keeps the state's catalog its catalog lists only its own (and a
second issuer peer that never sent a catalog never shows). Once it has
fetched and verified it, GET /v1/catalog lists the state's entries after its
own, each with the state's node id, issuer URL and the content hash its
signed catalog gives; the domain and stack filters apply to them; a
recognizer policy on the district naming one state credential by content
hash shows under that entry and ?recognizer= keeps only it; ?peer=NODE and
?peer=self split the sources and an unknown peer is refused on "peer";
pages of one and of two walk local and peer entries in one stable order
with nothing lost or repeated; accordctl catalog --peer lists the same.
Last, the district is restarted with another key pinned for the state: its
kept catalog no longer verifies, and nothing of the state's is listed."""
import sys

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built
from federation_util import append_config, node_public_key
from lifecycle import active_credential, load_definition, new_user


def definition(id_, title, domains, stacks):
    d = load_definition()
    d.update({"id": id_, "title": title, "domains": domains, "stacks": stacks})
    return d


def walk(api, query, limit):
    """Every item of the catalog for |query|, |limit| at a time; also the
    cursors it was given."""
    items, cursors, cursor = [], [], None
    for _ in range(20):
        path = "/v1/catalog?limit=%d%s%s" % (limit, query,
                                               "&cursor=" + cursor if cursor else "")
        status, body = api.get(path)
        assert status == 200, body
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items, cursors
        cursors.append(cursor)
    raise AssertionError("the catalog never ended")


def keys(items):
    return [(i["from"], i["credential_id"]) for i in items]


def main():
    skip_unless_built()
    stranger = nacl.signing.SigningKey.generate()
    with Node(node_id="state.example") as a, Node(node_id="district.example") as b:
        ta, tb = a.init(), b.init()
        a.start()
        b.start()
        pa = node_public_key(a)
        a.stop()
        b.stop()
        peers = ("[peer state.example]\nurl = %s\nkey = %%s\nrights = issuer\n"
                 "[peer quiet.example]\nurl = http://127.0.0.1:9\nkey = %s\nrights = issuer\n"
                 % (a.url, bytes(stranger.verify_key).hex()))
        with open(b.config) as f:
            base_config = f.read()
        append_config(b, peers % pa.hex())
        a.start()
        b.start()
        active_credential(a, ta, definition("state-reading", "State Reading", ["ELA"],
                                            ["literacy"]), reviewers=2)
        active_credential(a, ta, definition("state-math", "State Math", ["Math"],
                                            ["numeracy"]), reviewers=2)
        active_credential(b, tb, definition("district-feedback", "District Feedback", ["ELA"],
                                            ["assessment"]), reviewers=2)
        B = Api(b, tb)
        _, T, _ = new_user(b, B, "tina", ["earner"])
        rid, R, _ = new_user(b, B, "rita", ["recognizer"])

        status, body = T.get("/v1/catalog")
        check(status == 200 and keys(body["items"]) == [("self", "district-feedback")],
              "before the state's catalog is kept, the district lists only its own: %s"
              % keys(body["items"]))

        status, fetched = B.post("/v1/federation/peers/state.example/catalog")
        assert status == 200, fetched
        hashes = {d["id"]: d["hash"] for d in fetched["definitions"]}
        status, body = T.get("/v1/catalog")
        items = body["items"]
        check(status == 200 and keys(items) == [("self", "district-feedback"),
                                                ("state.example", "state-math"),
                                                ("state.example", "state-reading")],
              "after it fetched and verified it, the state's credentials follow the "
              "district's own, in credential id order: %s" % keys(items))
        reading = items[2]
        check(reading["source"]["node"] == "state.example" and
              reading["source"]["issuer"] == a.url and reading["issuer"] == a.url and
              reading["source"]["content_hash"] == hashes["state-reading"] and
              reading["id"] is None and reading["title"] == "State Reading" and
              reading["domains"] == ["ELA"] and reading["ceus"] == 1,
              "a state entry names the peer, its issuer URL and the content hash its signed "
              "catalog gives: %s" % reading["source"])
        check(items[0]["source"] == {"node": "self"} and items[0]["id"] > 0,
              "the district's own entry says it is its own")

        status, body = T.get("/v1/catalog?domain=Math")
        check(keys(body["items"]) == [("state.example", "state-math")],
              "the domain filter applies to the state's entries: %s" % keys(body["items"]))
        status, body = T.get("/v1/catalog?stack=literacy")
        check(keys(body["items"]) == [("state.example", "state-reading")],
              "and so does the stack filter: %s" % keys(body["items"]))

        status, pol = R.post("/v1/recognition/policies",
                             {"peer": "state.example", "credential_id": "state-reading",
                              "content_hash": hashes["state-reading"], "purpose": "ceu"})
        assert status == 201, pol
        status, body = T.get("/v1/catalog?recognizer=%d" % rid)
        check(keys(body["items"]) == [("state.example", "state-reading")] and
              [p["policy_id"] for p in body["items"][0]["recognitions"]] == [pol["id"]],
              "a recognizer policy naming the state's credential by content hash shows under "
              "it, and the recognizer filter keeps only what it counts: %s" % body["items"])
        status, body = T.get("/v1/catalog")
        check([len(i["recognitions"]) for i in body["items"]] == [0, 0, 1],
              "no other entry claims that policy")

        status, body = T.get("/v1/catalog?peer=state.example")
        check(keys(body["items"]) == [("state.example", "state-math"),
                                      ("state.example", "state-reading")],
              "?peer=NODE lists only that peer's entries: %s" % keys(body["items"]))
        status, body = T.get("/v1/catalog?peer=self")
        check(keys(body["items"]) == [("self", "district-feedback")],
              "?peer=self lists only the district's own")
        status, body = T.get("/v1/catalog?peer=quiet.example")
        check(status == 200 and body["items"] == [],
              "an issuer peer whose catalog was never fetched shows nothing")
        status, body = T.get("/v1/catalog?peer=zz.example")
        check(status == 400 and body.get("field") == "peer",
              "a peer that is not an issuer peer here is refused on peer: %d %s"
              % (status, body.get("detail")))
        status, body = T.get("/v1/catalog?cursor=p.zz")
        check(status == 400 and body.get("field") == "cursor",
              "a cursor this node did not issue is refused on cursor")

        everything = keys(T.get("/v1/catalog")[1]["items"])
        for limit in (1, 2):
            paged, cursors = walk(T, "", limit)
            check(keys(paged) == everything,
                  "pages of %d walk local and peer entries in the same order, nothing lost or "
                  "repeated: %s (cursors %s)" % (limit, keys(paged), cursors))
        paged, cursors = walk(T, "&peer=state.example", 1)
        check(keys(paged) == everything[1:] and len(cursors) == 1 and
              cursors[0].startswith("p."),
              "pages within one peer move by the peer entry's key: %s" % cursors)

        r = b.ctl("catalog", "--peer", "state.example", token=tb, json_out=True)
        listed = r.json["items"] if isinstance(r.json, dict) else r.json
        check(r.returncode == 0 and [i["credential_id"] for i in listed] ==
              ["state-math", "state-reading"],
              "accordctl catalog --peer lists the same: %s" % r.stdout[:200])
        r = b.ctl("catalog", token=tb)
        check(r.returncode == 0 and "FROM" in r.stdout and "state.example" in r.stdout,
              "and its table says where each comes from")
        R.close()
        T.close()
        B.close()

        # Another key pinned for the state: what the district kept was signed
        # by a key that is no longer the state's, so it is not read.
        b.stop()
        other = nacl.signing.SigningKey.generate()
        with open(b.config, "w") as f:
            f.write(base_config)
        append_config(b, peers % bytes(other.verify_key).hex())
        b.start()
        T = Api(b, tb)
        status, body = T.get("/v1/catalog")
        check(status == 200 and keys(body["items"]) == [("self", "district-feedback")],
              "a kept catalog that no longer verifies shows nothing from that peer: %s"
              % keys(body["items"]))
        status, body = T.get("/v1/catalog?peer=state.example")
        check(status == 200 and body["items"] == [], "not even when asked for by name")
        T.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
