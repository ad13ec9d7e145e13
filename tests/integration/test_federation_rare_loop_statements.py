#!/usr/bin/python3
"""test_federation_rare_loop_statements.py - the federation's two rare paths
that used to run statements on the event loop itself (issue 15) no longer
do: adopting a newer consortium file and checking a fetched peer catalog
against the copy kept. Nodes a and b are pinned to each other and both pin
a consortium key; the file they start from (serial 1) lists a, b and c.

Adoption: the operator publishes serial 2 (a, b and d; c dropped) to a
alone (accordctl consortium publish, a write request); a adopts it and
passes it on to b through its outbox, and b adopts it from the federation
batch that carried it. Checked on both: the serial, c gone from the peer
table and d in it (taken from the file), b's consortium.offer applied once.

Catalog: b makes a credential active; a fetches b's catalog (POST
/v1/federation/peers/b.example/catalog) after b offered one that lists
that same credential version with another hash: refused 409 (a published
definition never changes) and the kept copy unchanged; after b offers an
empty catalog, the fetch is kept (200) and reads back.

Reclaim (first, on borrow_util's issuer and lender): the issuer knows the
lender through the consortium file alone and lends it a batch, accepted;
a played peer offers the issuer a newer file without the lender; the
lender leaves the issuer's peers and the batch comes back (reclaimed).

Both nodes' accord_store_loop_statements_total (statements the loop ran on
the database and waited for; on PostgreSQL each a round trip) stay flat
over each part: the settle's reads and the reclaim run as tasks on the
write handlers' fiber, and the catalog's check in its cache task. The old
code waited on the loop for b's settle (the stored file, the peer list,
each peer's description) and for a's check (the kept catalog)."""
import hashlib
import os
import sys
import time

import nacl.signing

from accordtest import Api, check, Node, skip_unless_built
from borrow_util import ISSUER, LENDER, Pair
from federation_util import (append_config, canonical, consortium_file, node_public_key, now_ms,
                             pin_pair)
from lifecycle import active_credential, load_definition

EVERYTHING = ["submit", "lend", "certify", "issuer", "witness"]


def wait_for(what, cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what + ": " + repr(last))


def peer(api, node_id):
    status, body = api.get("/v1/federation/peers/" + node_id)
    return body if status == 200 else None


def serial(api):
    return api.get("/v1/federation/peers")[1]["consortium_serial"]


def drained(api, node_id):
    p = peer(api, node_id)
    return p and p["outbox_depth"] == 0 and p["state"] != "backing-off"


def deltas(before, apis, own):
    """Loop statements since |before| on each node, less what the /metrics
    read that took |before| costs itself (|own|: 1 on PostgreSQL, whose
    database size is a statement counted by the next read; 0 on SQLite)."""
    return {k: api.loop_statements() - before[k] - own[k] for k, api in apis.items()}


def calibrate(apis):
    """What a /metrics read costs itself, seen by the read after it on an
    idle node."""
    first = {k: api.loop_statements() for k, api in apis.items()}
    own = {k: api.loop_statements() - first[k] for k, api in apis.items()}
    assert all(v in (0, 1) for v in own.values()), own
    return own


def reclaim():
    """A member dropped by a newer file has its lent-out work reclaimed:
    the issuer knows the lender through the consortium file alone, lends it
    a batch, and adopts a file without it from a consortium.offer that a
    played peer sends (so the settle follows the federation's batch)."""
    with Pair() as p:
        issuer, lender = p.issuer, p.lender
        key_file = os.path.join(issuer.tmp, "consortium.key")
        r = issuer.ctl("consortium", "keygen", key_file, json_out=True)
        assert r.returncode == 0, r.stderr
        ckey = r.json["public_key"]
        f1 = consortium_file(issuer, key_file, 1, [(ISSUER, issuer.url, p.pa, EVERYTHING),
                                                   (LENDER, lender.url, p.pb, ["lend"])],
                             "lend-1", title="rare")
        f2 = consortium_file(issuer, key_file, 2, [(ISSUER, issuer.url, p.pa, EVERYTHING)],
                             "lend-2", title="rare")
        issuer.stop()
        with open(issuer.config) as f:
            text = f.read()
        start = text.index("[peer %s]" % LENDER)
        end = text.index("[peer", start + 1)
        with open(issuer.config, "w") as f:
            f.write(text[:start] + text[end:])
        append_config(issuer, "[consortium]\nkey = %s\nfile = %s\n" % (ckey, f1))
        issuer.start()
        p.A.close()
        p.A = Api(issuer, p.ta)
        check(peer(p.A, LENDER)["source"] == "consortium",
              "the issuer knows the lender through the consortium file alone")
        _, api, _, _ = p.borrowed_reviewer("rev-rare")
        p.submit(p.earner("earner-rare"), "Criteria shared, rarely.")

        def invited():
            bs = [b for b in p.lent_in(api) if b["state"] == "invited"]
            return bs[0] if bs else None
        b = wait_for("a lent batch at the lender", invited)
        r = api.post("/v1/borrowed/batches/%d/accept" % b["id"])
        assert r[0] == 200, r
        bid = b["issuer_batch"]
        wait_for("the issuer to apply the acceptance",
                 lambda: p.lent_out()[bid]["state"] == "accepted")
        time.sleep(1.5)  # the answers' receipts and the senders' writes settle
        apis = {"issuer": p.A}
        own = calibrate(apis)
        before = {k: a.loop_statements() for k, a in apis.items()}
        with open(f2, "rb") as f:
            file2 = f.read()
        r = p.played("consortium.offer", "consortium-2", file2, now_ms())
        check(r.status_code == 200, "a peer offers the issuer serial 2, without the lender: %d"
              % r.status_code)
        wait_for("the lent batch to be reclaimed",
                 lambda: p.lent_out()[bid]["state"] == "reclaimed")
        check(serial(p.A) == 2 and peer(p.A, LENDER) is None,
              "the issuer took serial 2: the lender left its peers, and the batch lent to it "
              "was reclaimed")
        time.sleep(1.0)
        got = deltas(before, apis, own)
        print("# loop statements over the adoption and the reclaim: issuer %d" % got["issuer"])
        check(got["issuer"] == 0,
              "the issuer's loop waited on no statement for them (%d)" % got["issuer"])


def main():
    skip_unless_built()
    reclaim()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b, rights=",".join(EVERYTHING))
        pa, pb = node_public_key(a), node_public_key(b)
        pc = bytes(nacl.signing.SigningKey.generate().verify_key)
        pd = bytes(nacl.signing.SigningKey.generate().verify_key)
        key_file = os.path.join(a.tmp, "consortium.key")
        r = a.ctl("consortium", "keygen", key_file, json_out=True)
        assert r.returncode == 0, r.stderr
        ckey = r.json["public_key"]
        nowhere = "http://127.0.0.1:9"  # c and d are never reached
        f1 = consortium_file(a, key_file, 1, [("a.example", a.url, pa, EVERYTHING),
                                              ("b.example", b.url, pb, EVERYTHING),
                                              ("c.example", nowhere, pc, ["lend"])],
                             "rare-1", title="rare")
        f2 = consortium_file(a, key_file, 2, [("a.example", a.url, pa, EVERYTHING),
                                              ("b.example", b.url, pb, EVERYTHING),
                                              ("d.example", nowhere, pd, ["lend"])],
                             "rare-2", title="rare")
        for n in (a, b):
            n.stop()
            append_config(n, "[consortium]\nkey = %s\nfile = %s\n" % (ckey, f1))
            n.start()
        A, B = Api(a, ta), Api(b, tb)
        check(serial(A) == 1 and serial(B) == 1 and peer(A, "c.example") and
              peer(B, "c.example") and not peer(A, "d.example"),
              "a and b start on serial 1, which lists c and not d")

        # b's credential, made active before anything is counted.
        definition = load_definition()
        cred = active_credential(b, tb, definition, reviewers=0)
        want_hash = None
        for d in B.get("/v1/definitions")[1]["items"]:
            if d["id"] == definition["id"] and d["version"] == definition["version"]:
                want_hash = d["content_hash"]
        assert want_hash, "b's credential has a content hash"

        # Warm-up: one ping each way, so the connections are up, the
        # descriptions fetched and the start's offers delivered.
        for api, other in ((A, "b.example"), (B, "a.example")):
            status, _ = api.post("/v1/test/federation/send",
                                 {"peer": other, "type": "ping", "body_hex": "a0"})
            assert status == 202
        for api, other in ((A, "b.example"), (B, "a.example")):
            wait_for("%s's outbox to drain" % other, lambda: drained(api, other))
        time.sleep(1.5)  # the senders' idle cursor writes settle
        apis = {"a": A, "b": B}
        own = calibrate(apis)

        # ---- adoption: published to a, passed on to b -----------------------
        base_b = peer(B, "a.example")["received"]
        before = {k: api.loop_statements() for k, api in apis.items()}
        r = a.ctl("consortium", "publish", f2, token=ta)
        check(r.returncode == 0, "the operator publishes serial 2 to a: " + r.stdout.strip())
        for name, api in apis.items():
            wait_for("%s to take serial 2" % name,
                     lambda: serial(api) == 2 and not peer(api, "c.example") and
                     peer(api, "d.example"))
        wait_for("a's outbox to b to drain", lambda: drained(A, "b.example"))
        time.sleep(1.0)
        got = deltas(before, apis, own)
        dp = peer(B, "d.example")
        check(dp["source"] == "consortium" and dp["rights"] == "lend" and
              peer(B, "a.example")["received"] == base_b + 1,
              "b took serial 2 from a's offer (applied once): c left, d joined with the "
              "file's rights (%s)" % dp["rights"])
        print("# loop statements over the adoption: a %d, b %d" % (got["a"], got["b"]))
        check(got == {"a": 0, "b": 0},
              "neither loop waited on a statement for the adoption (a %d, b %d)"
              % (got["a"], got["b"]))

        # ---- catalog: a changed hash refused, then one kept ------------------
        forged_def = b'{"id":"%s","version":%d,"title":"Other"}' % (
            definition["id"].encode(), definition["version"])
        listed = {"node": "b.example", "issuer": b.url, "definitions": [
            {"id": definition["id"], "version": definition["version"], "title": "Other",
             "hash": hashlib.sha256(forged_def).digest(), "definition": forged_def}]}
        empty = {"node": "b.example", "issuer": b.url, "definitions": []}

        def offer(body):
            base = peer(A, "b.example")["received"]
            status, _ = B.post("/v1/test/federation/send",
                               {"peer": "a.example", "type": "catalog.offer",
                                "body_hex": canonical(body).hex()})
            assert status == 202
            wait_for("a to apply b's catalog offer",
                     lambda: peer(A, "b.example")["received"] == base + 1 and
                     drained(B, "a.example"))

        offer(listed)
        status, kept = A.get("/v1/federation/peers/b.example/catalog")
        check(status == 200 and kept["definitions"][0]["hash"] ==
              "sha256:" + hashlib.sha256(forged_def).hexdigest(),
              "a keeps b's offered catalog, which lists %s@%d with another hash"
              % (definition["id"], definition["version"]))
        time.sleep(1.0)
        before = {k: api.loop_statements() for k, api in apis.items()}
        status, body = A.post("/v1/federation/peers/b.example/catalog")
        check(status == 409 and body["type"].endswith("/conflict") and
              "never changes" in body["detail"] and want_hash in body["detail"],
              "a refuses b's fetched catalog, which changes that version's hash: %d %s"
              % (status, body.get("detail")))
        status, after = A.get("/v1/federation/peers/b.example/catalog")
        check(after["definitions"] == kept["definitions"], "and keeps what it had")
        got = deltas(before, apis, own)
        print("# loop statements over the refused fetch: a %d, b %d" % (got["a"], got["b"]))
        check(got == {"a": 0, "b": 0},
              "neither loop waited on a statement for the refused fetch (a %d, b %d)"
              % (got["a"], got["b"]))

        offer(empty)
        time.sleep(1.0)
        before = {k: api.loop_statements() for k, api in apis.items()}
        status, body = A.post("/v1/federation/peers/b.example/catalog")
        check(status == 200 and [(d["id"], d["hash"]) for d in body["definitions"]] ==
              [(definition["id"], want_hash)],
              "after b's empty offer, a keeps b's fetched catalog: %d %s" % (status, body))
        status, cached = A.get("/v1/federation/peers/b.example/catalog")
        check(status == 200 and cached["definitions"] == body["definitions"],
              "the kept catalog reads back")
        got = deltas(before, apis, own)
        print("# loop statements over the kept fetch: a %d, b %d" % (got["a"], got["b"]))
        check(got == {"a": 0, "b": 0},
              "neither loop waited on a statement for the kept fetch (a %d, b %d)"
              % (got["a"], got["b"]))
        cred.close()
        A.close()
        B.close()
        rcs = (a.stop(), b.stop())
        check(rcs == (0, 0), "both nodes stop cleanly (exit %s, %s)" % rcs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
