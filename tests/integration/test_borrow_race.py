#!/usr/bin/python3
"""test_borrow_race.py - two lenders racing for one batch slot, on three
real nodes (docs/borrowing.md): an issuer and two lenders, each lender with
a reviewer certified for the issuer's credential through cross-node
certification and capacity offered. One submission needs one review: the
issuer offers it to one lender only. While that lender's reviewer accepts,
the other lender (signed with its own key, PyNaCl) claims the same slot at
the same moment: an acceptance and a result for the batch and item. Whatever
the interleaving, the other lender's claims are refused (not its batch) and
change nothing; the holder's review is applied once; the issuer's ledger
and each lender's agree (one receipt, the same bytes, nothing with the
other lender)."""
import os
import sys
import threading

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built
from borrow_util import ISSUER, LENDER, Pair, wait_for
from federation_util import append_config, node_public_key, now_ms, problem_slug
from remote_cert import certify_across

SECOND = "second.example"


def node_key(node):
    """|node|'s current signing key, read from its data directory."""
    for name in sorted(os.listdir(os.path.join(node.data_dir, "keys"))):
        with open(os.path.join(node.data_dir, "keys", name)) as f:
            fields = dict(line.split(" ", 1) for line in f.read().splitlines()[1:])
        if fields.get("not_after", "0").strip() == "0":
            return nacl.signing.SigningKey(bytes.fromhex(fields["seed"].strip()))
    raise AssertionError("%s has no current key" % node.node_id)


def main():
    skip_unless_built()
    with Pair() as p, Node(node_id=SECOND) as l2:
        t2 = l2.init()
        l2.start()
        p2 = node_public_key(l2)
        l2.stop()
        append_config(l2, "[peer %s]\nurl = %s\nkey = %s\nrights = submit,certify\n"
                      % (ISSUER, p.issuer.url, p.pa.hex()))
        p.issuer.stop()
        append_config(p.issuer, "[peer %s]\nurl = %s\nkey = %s\nrights = lend\n"
                      % (SECOND, l2.url, p2.hex()))
        p.issuer.start()
        l2.start()
        p.A.close()
        p.A = Api(p.issuer, p.ta)
        B2 = Api(l2, t2)
        assert B2.put("/v1/federation/lending/%s/%s" % (ISSUER, p.defn["id"]),
                      {"reviewers": "all", "monthly_cap": 20})[0] == 200

        one = p.borrowed_reviewer("rev-one")
        two = certify_across(p.issuer, p.ta, l2, t2, p.cred, p.defn, "rev-two",
                             school="Second School", district="Second District")
        for node, token in ((p.lender, p.tb), (l2, t2)):
            r = node.ctl("lending", "offer", ISSUER, token=token)
            check(r.returncode == 0, "%s offers its capacity now: %s" % (node.node_id, r.stderr))
        offered = wait_for("both lenders' capacity at the issuer", lambda: (
            lambda c: c if {x["peer"] for x in c} >= {LENDER, SECOND} else None)(
            p.A.get("/v1/federation/capacity")[1]["items"]))
        check(len(offered) >= 2, "both lenders offer their certified reviewers' capacity")

        sid = p.submit(p.earner("earner-one"), "Criteria agreed before the first draft.")
        (bid, lb), = wait_for("the slot lent out", lambda: p.lent_out()).items()
        holder = {LENDER: (p.lender, p.B, one[1], p.lender_key()),
                  SECOND: (l2, B2, two.api, node_key(l2))}
        other_id = SECOND if lb["peer"] == LENDER else LENDER
        _, h_admin, h_api, _ = holder[lb["peer"]]
        _, o_admin, o_api, o_key = holder[other_id]
        b = wait_for("the offer at the holder", lambda: p.lent_in(h_api))[0]
        check(p.lent_in(o_api) == [] and p.lent_in(o_admin) == [],
              "the slot is offered to one lender only (%s); the other holds nothing"
              % lb["peer"])
        item = lb["items"][0]["item"]

        # ---- the race ---------------------------------------------------
        barrier = threading.Barrier(3)
        got = {}

        def holder_accepts():
            barrier.wait()
            got["accept"] = h_api.post("/v1/borrowed/batches/%d/accept" % b["id"])

        def other_answers():
            barrier.wait()
            got["answer"] = p.played("review.answer", "answer-%d" % bid,
                                     {"batch": bid, "accept": True, "reason": ""}, now_ms(),
                                     key=o_key, sender=other_id)

        def other_results():
            barrier.wait()
            got["result"] = p.played("review.result", "result-%d-%s" % (bid, item),
                                     {"batch": bid, "item": item, "levels": "not yet",
                                      "feedback": None}, now_ms(), key=o_key, sender=other_id)
        threads = [threading.Thread(target=f) for f in (holder_accepts, other_answers,
                                                         other_results)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        check(got["accept"][0] == 200, "the holder's reviewer accepts: %s" % (got["accept"],))
        for k in ("answer", "result"):
            r = got[k]
            check(r.status_code == 403 and problem_slug(r) == "not-yours",
                  "the other lender's %s for the same slot is refused, not its batch: %d %s"
                  % (k, r.status_code, r.text))
        wait_for("the acceptance at the issuer", lambda: p.lent_out()[bid]["state"] == "accepted")
        it = b["items"][0]["id"]
        check(h_api.post("/v1/borrowed/items/%d/score" % it, {"level": "pass"})[0] == 200,
              "the holder's reviewer scores")
        s = wait_for("the decision", lambda: (lambda x: x if x.get("record") else None)(
            p.submission(sid)))
        check(s["level"] == "pass", "the holder's review decides, not the other's claim: %s" % s)

        # ---- the ledgers ------------------------------------------------
        def receipts(api):
            return api.get("/v1/federation/ledger/receipts?limit=200")[1]["items"]
        at_h = wait_for("the receipt at the holder", lambda: receipts(h_admin))
        at_i, at_o = receipts(p.A), receipts(o_admin)
        check(len(at_i) == 1 and len(at_h) == 1 and at_o == []
              and at_i[0]["receipt_sha256"] == at_h[0]["receipt_sha256"],
              "one review applied for the slot: one receipt at the issuer and the holder, the "
              "same one, none at the other lender: %s / %s / %s" % (at_i, at_h, at_o))
        li = {x["peer"]: x for x in p.A.get("/v1/federation/ledger")[1]["peers"]}
        lh = h_admin.get("/v1/federation/ledger")[1]["peers"]
        lo = o_admin.get("/v1/federation/ledger")[1]["peers"]
        check(li[lb["peer"]]["borrowed"] == 1
              and li.get(other_id, {"borrowed": 0})["borrowed"] == 0
              and [(x["peer"], x["lent"], x["balance"]) for x in lh] == [(ISSUER, 1, 1)]
              and all(x["lent"] == 0 and x["borrowed"] == 0 for x in lo),
              "the ledgers agree: %s / %s / %s" % (li, lh, lo))
        out = p.lent_out()
        check(list(out) == [bid] and out[bid]["state"] == "done"
              and out[bid]["items"][0]["state"] == "done",
              "the slot was lent once and is done: %s" % out)
        B2.close()
        two.api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
