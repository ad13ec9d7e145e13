#!/usr/bin/python3
"""test_federation_query.py - status and log queries between nodes go through
signed envelopes. Two real nodes pin each other; a issues two records and
revokes one; b asks a for both statuses with `accordctl peer status`, which
sends a signed status.query and checks a's signed answer and the status
token inside it with a's key. Then a peer played by Python (cbor2 + PyNaCl)
sends log.checkpoint, log.consistency and log.inclusion queries and checks
each signed answer against what a publishes over plain HTTP and against the
RFC 9162 hashing it recomputes itself; a query a cannot answer (an index
past the end of its status list, a size past its log) is refused and stores
nothing, and a stranger's query is refused as from an unknown sender.
Throughout, a's event loop runs no statement on the database of its own
(/metrics accord_store_loop_statements_total stays flat): the answers are
made from what a published, the head and proofs read on reader threads, and
only the dedup rows are written, as request-group tasks (issue 15)."""
import base64
import hashlib
import sys

import nacl.signing

from accordtest import Api, Node, check, h2_client, skip_unless_built
from federation_util import (append_config, envelope, node_public_key, now_ms, open_envelope,
                             pin_pair, post_inbox, problem_slug)


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2: the root an inclusion proof leads to."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def main():
    skip_unless_built()
    py = nacl.signing.SigningKey.generate()
    stranger = nacl.signing.SigningKey.generate()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b, start=False)
        append_config(a, "[peer py.example]\nurl = http://127.0.0.1:9\nkey = %s\nrights = none\n"
                      % bytes(py.verify_key).hex())
        a.start()
        b.start()
        pa = node_public_key(a)
        A = Api(a, ta)

        issued = []
        for subject in ("aa@district.example", "bb@district.example", "cc@district.example"):
            r = a.ctl("credential", "issue", "--email", subject, "--definition", "phonics-k2",
                      "--version", "3", "--content-hash", "cd" * 32, "--level", "pass",
                      token=ta, json_out=True)
            assert r.returncode == 0, r.stderr
            issued.append(r.json)
        r = a.ctl("credential", "revoke", str(issued[1]["id"]), "--reason", "test", token=ta)
        check(r.returncode == 0, "a issues three records and revokes the second")
        a.wait_settled(A)
        loop_before = A.loop_statements()

        idx = [str(i["status_index"]) for i in issued[:2]]
        r = b.ctl("peer", "status", "a.example", *idx, token=tb, json_out=True)
        check(r.returncode == 0, "b asks a for two statuses in a signed query: " + r.stderr)
        got = {s["index"]: s["status"] for s in r.json["statuses"]}
        check(got == {issued[0]["status_index"]: "valid", issued[1]["status_index"]: "revoked"},
              "b reads them from a's signed status token: %s" % got)
        r = b.ctl("peer", "status", "a.example", idx[0], token=tb)
        check(r.returncode == 0 and "valid" in r.stdout and "verified with its key" in r.stdout,
              "accordctl prints the status as a table: %r" % r.stdout)

        def rows():
            return A.get("/v1/federation/peers/py.example")[1]["inbox_rows"]

        def ask(type_, id_, body, sk=py, from_="py.example"):
            return post_inbox(a, envelope(sk, type_, id_, from_, "a.example", now_ms(), body))

        before = rows()
        r = ask("status.query", "q-past-end", {"indexes": [1 << 23]})
        check(r.status_code == 400 and problem_slug(r) == "invalid-field",
              "a status index past the end of the list is refused: %d %s"
              % (r.status_code, problem_slug(r)))
        r = ask("log.consistency", "q-too-big", {"from": 1, "to": 99})
        check(r.status_code == 400 and problem_slug(r) == "invalid-field",
              "a consistency proof past the log's size is refused: %d %s"
              % (r.status_code, problem_slug(r)))
        check(rows() == before, "and neither stored anything (inbox rows %d)" % rows())
        r = ask("log.checkpoint", "q-stranger", {}, sk=stranger, from_="stranger.example")
        check(r.status_code == 401 and problem_slug(r) == "unknown-sender",
              "a stranger's query is refused: %d %s" % (r.status_code, problem_slug(r)))

        r = ask("log.checkpoint", "q-cp", {})
        check(r.status_code == 200, "py asks a for its checkpoint: %d" % r.status_code)
        ans = open_envelope(r.content, pa)
        check(ans["type"] == "answer" and ans["to"] == "py.example" and ans["body"]["re"] == "q-cp",
              "the answer is signed by a, to py, naming the query")
        with h2_client() as c:
            note_http = c.get(a.url + "/v1/log/checkpoint").content
            proof_http = c.get(a.url + "/v1/log/consistency?from=1&to=3").json()
        check(ans["body"]["note"] == note_http,
              "the note is the checkpoint a publishes over HTTP")
        lines = note_http.decode().split("\n")
        size, root = int(lines[1]), base64.b64decode(lines[2])
        check(size == 3, "a's log holds the three records")

        r = ask("log.consistency", "q-cons", {"from": 1, "to": 3})
        body = open_envelope(r.content, pa)["body"]
        check(r.status_code == 200 and body["from"] == 1 and body["to"] == 3 and
              [base64.b64encode(h).decode() for h in body["hashes"]]
              == proof_http["hashes"],
              "a consistency proof from 1 to 3 comes signed, the same as over HTTP")

        r = ask("log.inclusion", "q-incl", {"index": 2, "size": 3})
        body = open_envelope(r.content, pa)["body"]
        check(r.status_code == 200 and
              root_from_inclusion(2, 3, body["leaf_hash"], body["hashes"]) == root,
              "an inclusion proof for entry 2 leads (RFC 9162 hashing) to the checkpoint's root")
        check(rows() == before + 3, "each answered query keeps its dedup row")
        again = ask("log.inclusion", "q-incl", {"index": 2, "size": 3})
        check(again.status_code == 200 and again.content == r.content,
              "the same query id gets the very same signed answer")
        a.wait_settled(A)
        loop = A.loop_statements() - loop_before
        check(loop == 0, "a's loop ran no statement of its own on the database for the "
              "queries (%d)" % loop)
        A.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
