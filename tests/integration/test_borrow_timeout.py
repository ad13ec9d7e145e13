#!/usr/bin/python3
"""test_borrow_timeout.py - the issuer's guards on borrowed review, against a
lender played by the test (its messages signed with PyNaCl, independent of
our C code): an artifact is served only to the peer whose reviewer holds a
live assignment citing it (not before acceptance, not to a stranger's item,
not after the review ended); a forged result (a key the issuer does not
know, or a batch not lent to the sender) is refused and changes nothing; the
deadline passes on the issuer's test clock, the batch is reclaimed and the
lender told, and a result arriving after that is refused with the reason,
counted per peer, and never applied. A lender an admin removes has its open
work reclaimed at once."""
import hashlib
import sys

import nacl.signing

from accordtest import check, skip_unless_built
from borrow_util import ISSUER, PLAYED, Pair, wait_for
from federation_util import now_ms, open_envelope, problem_slug


def main():
    skip_unless_built()
    with Pair() as p:
        sp = p.certify_stand_in(PLAYED, 7, "Played School", "Played District")
        clock = lambda: now_ms() + 1000 * p.A.post("/v1/test/clock",
                                                   {"advance_seconds": 0})[1]["offset_seconds"]
        work = b"A recording's transcript, line by line.\n" * 50
        digest = hashlib.sha256(work).hexdigest()
        sid = p.submit(p.earner("earner-one"), "Criteria on the wall.", artifact=work)
        out = wait_for("the batch lent out", lambda: p.lent_out())
        (bid, lb), = out.items()
        item = lb["items"][0]["item"]
        check(lb["peer"] == PLAYED and lb["stand_in"] == sp, "the batch is offered to the lender")

        fetch = {"batch": bid, "item": item, "hash": digest}
        r = p.played_fetch(fetch, clock())
        check(r.status_code == 409 and problem_slug(r) == "wrong-state",
              "no artifact before the lender's reviewer accepted: %d %s" % (r.status_code, r.text))
        r = p.played_fetch({"batch": bid, "item": "0" * 24, "hash": digest}, clock())
        check(r.status_code == 403 and problem_slug(r) == "not-assigned",
              "no artifact for an item that is not the peer's: %d %s" % (r.status_code, r.text))

        r = p.played("review.answer", "answer-%d" % bid, {"batch": bid, "accept": True,
                                                          "reason": ""}, clock())
        ans = open_envelope(r.content, p.pa) if r.status_code == 200 else {}
        check(r.status_code == 200 and ans["body"]["applied"] is True,
              "the issuer applies the lender's signed acceptance: %d %s" % (r.status_code, ans))
        check(p.lent_out()[bid]["state"] == "accepted", "the lent-out batch is accepted")
        r = p.played_fetch(fetch, clock())
        check(r.status_code == 200 and r.content == work and r.headers["x-content-sha256"] == digest,
              "the artifact is served to the peer whose reviewer holds the live assignment")

        # ---- forged results change nothing ---------------------------------
        before = (p.submission(sid)["state"], p.lent_out()[bid])
        result = {"batch": bid, "item": item, "levels": "pass", "feedback": None}
        stranger = nacl.signing.SigningKey.generate()
        r = p.played("review.result", "result-forged", result, clock(), key=stranger)
        check(r.status_code == 401, "a result signed by a key the issuer does not know is "
              "refused: %d %s" % (r.status_code, r.text))
        r = p.played("review.result", "result-other", dict(result, batch=bid + 1000), clock())
        check(r.status_code == 403 and problem_slug(r) == "not-yours",
              "a result for a batch not lent to the sender is refused: %d %s"
              % (r.status_code, r.text))
        check((p.submission(sid)["state"], p.lent_out()[bid]) == before,
              "forged results changed nothing")

        # ---- the deadline passes: reclaimed, a late result refused ---------
        days = p.defn["review"]["deadline_days"] + 1
        assert p.A.post("/v1/test/clock", {"advance_seconds": days * 86400})[0] == 200
        wait_for("the reclaim", lambda: p.lent_out()[bid]["state"] == "reclaimed")
        r = p.A.get("/v1/federation/peers/%s" % PLAYED)
        check(r[0] == 200 and r[1]["outbox_rows"] >= 2,
              "the reclaim is queued to the lender after the offer: %s" % (r[1],))
        r = p.played("review.result", "result-%d-%s" % (bid, item), result, clock())
        ans = open_envelope(r.content, p.pa) if r.status_code == 200 else {}
        body = ans.get("body", {})
        check(r.status_code == 200 and body.get("accepted") is False
              and "reclaimed" in body.get("reason", ""),
              "a result after the reclaim is refused with the reason: %s" % body)
        led = p.A.get("/v1/federation/ledger?peer=%s" % PLAYED)[1]
        check(led["peers"][0]["late_results_refused"] == 1 and led["peers"][0]["borrowed"] == 0,
              "the late result is counted against the peer, and nothing enters the ledger: %s"
              % led)
        out = p.lent_out()[bid]
        check(out["items"][0]["state"] == "expired" and out["items"][0]["result"] == ""
              and p.submission(sid)["state"] in ("queued", "in_review")
              and p.submission(sid).get("level") is None,
              "the late result was not applied: %s / %s" % (out, p.submission(sid)))
        r = p.played("review.result", "result-%d-%s" % (bid, item), result, clock())
        check(r.status_code == 200, "the same late result sent again gets the same answer")
        led = p.A.get("/v1/federation/ledger?peer=%s" % PLAYED)[1]
        check(led["peers"][0]["late_results_refused"] == 1, "and is counted once")
        r = p.played_fetch(fetch, clock())
        check(r.status_code == 409 and problem_slug(r) == "wrong-state",
              "the artifact is refused after the review ended: %d" % r.status_code)

        # ---- a lender removed from the peers: its open work comes back -----
        gone = nacl.signing.SigningKey.generate()
        r = p.A.post("/v1/federation/peers", {"node": "gone.example", "url": "http://127.0.0.1:9",
                                              "keys": [bytes(gone.verify_key).hex()],
                                              "rights": ["lend"]})
        check(r[0] == 201, "an admin pins another lender: %s" % (r,))
        sg = p.certify_stand_in("gone.example", 9, "Gone School", "Gone District")
        # The restart set the clock back; the pass the reclaim queued is due
        # again once it is moved past the deadline.
        assert p.A.post("/v1/test/clock", {"advance_seconds": (days + 1) * 86400})[0] == 200
        lent = wait_for("the waiting work lent to the new lender", lambda: [
            v for v in p.lent_out().values() if v["peer"] == "gone.example"])
        check(lent[0]["stand_in"] == sg and lent[0]["state"] == "offered",
              "the reclaimed submission goes to the new lender's reviewer: %s" % lent[0])
        check(p.A.call("DELETE", "/v1/federation/peers/gone.example")[0] == 204,
              "the admin removes that lender")
        out = p.lent_out()[lent[0]["batch"]]
        check(out["state"] == "reclaimed" and "no longer a peer" in out["reason"]
              and out["items"][0]["state"] == "expired",
              "its open work is reclaimed at once: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
