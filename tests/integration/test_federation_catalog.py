#!/usr/bin/python3
"""test_federation_catalog.py - two real nodes pinned to each other in their
configs. a makes a credential active through the real lifecycle; its signed
catalog carries each definition's canonical bytes and their SHA-256, which
is the content hash a's own API gives for that version; b, which grants a
the issuer right, fetches a's signed catalog, verifies it with a's pinned
key and every hash against the definition it carries, and keeps it; the
kept copy reads back (verified again). a, which grants b no issuer right,
refuses to fetch b's catalog. A peer played by Python (cbor2 + PyNaCl) with
the issuer right offers b catalogs: one whose hash is not its definition's
is refused (hash-mismatch), one that changes the hash of a version it
listed before is refused (conflict), and neither changes what b keeps.
Last, a recognizer on b names a's credential in a policy by (a's node id,
credential id, content hash): b checks it against a's kept catalog and
fills in a's issuer URL and the version; a hash a's catalog does not list is
refused."""
import hashlib
import sys

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built
from federation_util import (ENVELOPE_TYPE, append_config, envelope, node_public_key, now_ms,
                             open_envelope, pin_pair, post_inbox, problem_slug)
from lifecycle import active_credential, load_definition

from accordtest import h2_client


def main():
    skip_unless_built()
    py = nacl.signing.SigningKey.generate()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b, "lend", b_rights="issuer", start=False)
        append_config(b, "[peer py.example]\nurl = http://127.0.0.1:9\nkey = %s\nrights = issuer\n"
                      % bytes(py.verify_key).hex())
        a.start()
        b.start()
        pa = node_public_key(a)
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
        entry = doc["body"]["definitions"][0]
        check(hashlib.sha256(entry["definition"]).digest() == entry["hash"],
              "each entry's hash is the SHA-256 of the definition bytes it carries")
        A0 = Api(a, ta)
        status, creds = A0.get("/v1/definitions")
        hashes = {c["content_hash"] for c in creds["items"] if c["id"] == definition["id"]}
        check("sha256:" + entry["hash"].hex() in hashes,
              "and it is the content hash a's API gives for that version: %s" % hashes)
        A0.close()

        B, A = Api(b, tb), Api(a, ta)
        status, body = B.post("/v1/federation/peers/a.example/catalog")
        check(status == 200 and body["node"] == "a.example" and
              body["definitions"][0]["id"] == definition["id"],
              "b fetches, verifies and keeps a's catalog: %s" % body)
        status, cached = B.get("/v1/federation/peers/a.example/catalog")
        check(status == 200 and cached["definitions"] == body["definitions"],
              "the kept catalog reads back, verified again")
        check(body["definitions"][0]["hash"] == "sha256:" + entry["hash"].hex() and
              body["issuer"] == a.url,
              "b shows each credential's content hash and a's issuer URL: %s"
              % body["definitions"][0]["hash"])

        def offer(id_, defs):
            raw = envelope(py, "catalog.offer", id_, "py.example", "b.example", now_ms(),
                           {"node": "py.example", "issuer": "https://py.example",
                            "definitions": defs})
            return post_inbox(b, raw)

        def entry_of(text, version=1):
            d = text.encode()
            return {"id": "py-cred", "version": version, "title": "Py",
                    "hash": hashlib.sha256(d).digest(), "definition": d}

        good = entry_of('{"id":"py-cred","version":1,"title":"Py"}')
        r = offer("cat-1", [good])
        check(r.status_code == 200, "an honest catalog offer is kept: %d" % r.status_code)
        status, kept = B.get("/v1/federation/peers/py.example/catalog")
        check(status == 200 and kept["definitions"][0]["hash"] ==
              "sha256:" + good["hash"].hex(), "and reads back with its hash")
        forged = dict(good, definition=b'{"id":"py-cred","version":1,"title":"Other"}')
        r = offer("cat-2", [forged])
        check(r.status_code == 400 and problem_slug(r) == "hash-mismatch" and
              "py-cred@1" in r.json()["detail"],
              "a hash that is not its definition's is refused: %d %s"
              % (r.status_code, r.json().get("detail")))
        changed = entry_of('{"id":"py-cred","version":1,"title":"Changed"}')
        r = offer("cat-3", [changed])
        check(r.status_code == 409 and problem_slug(r) == "conflict" and
              "never changes" in r.json()["detail"],
              "a version listed before with another hash is refused: %d %s"
              % (r.status_code, r.json().get("detail")))
        status, after = B.get("/v1/federation/peers/py.example/catalog")
        check(after["definitions"] == kept["definitions"],
              "and b still keeps the catalog it had")
        status, user = B.post("/v1/users", {"name": "district", "roles": ["recognizer"]})
        assert status == 201, user
        status, tok = B.post("/v1/users/%d/tokens" % user["id"], {})
        assert status == 201, tok
        R = Api(b, tok["token"])
        status, pol = R.post("/v1/recognition/policies",
                             {"peer": "a.example", "credential_id": definition["id"],
                              "content_hash": "sha256:" + entry["hash"].hex(), "purpose": "ceu"})
        check(status == 201 and pol["issuer"] == a.url and pol["peer"] == "a.example" and
              pol["min_version"] == definition["version"] and
              pol["content_hash"] == "sha256:" + entry["hash"].hex(),
              "a recognizer on b names a's credential by (node id, credential id, hash); b "
              "fills in a's issuer URL and the version from a's signed catalog: %s" % pol)
        status, body = R.post("/v1/recognition/policies",
                              {"peer": "a.example", "credential_id": definition["id"],
                               "content_hash": "sha256:" + "00" * 32, "purpose": "pay_scale"})
        check(status == 422 and "lists no" in body["detail"],
              "a hash a's catalog does not list is refused: %d %s" % (status, body.get("detail")))
        status, body = R.post("/v1/recognition/policies",
                              {"peer": "zz.example", "credential_id": definition["id"],
                               "content_hash": "sha256:" + entry["hash"].hex(),
                               "purpose": "pay_scale"})
        check(status == 404, "a peer b does not know is refused: %d %s"
              % (status, body.get("detail")))
        R.close()
        status, body = A.post("/v1/federation/peers/b.example/catalog")
        check(status == 403 and body["type"].endswith("/missing-right"),
              "a does not take a catalog from b, which it grants no issuer right")
        A.close()
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
