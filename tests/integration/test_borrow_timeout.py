#!/usr/bin/python3
"""test_borrow_timeout.py - the issuer's guards on borrowed review, on two
real nodes; what the lender could send is also sent by the test, signed with
the lender's own key (PyNaCl, independent of our C code), so each guard is
met exactly: an artifact is served only to the peer whose reviewer holds a
live assignment citing it (not before acceptance, not for an item that is
not its own, not after the review ended); a forged result (a key the issuer
does not know, or a batch not lent to the sender) is refused and changes
nothing; the deadline passes on the issuer's test clock, the batch is
reclaimed, and a result arriving after that is refused with the reason,
counted per peer, and never applied. A lender dropped from the issuer's
peers has its open work reclaimed when the issuer starts without it."""
import hashlib
import sys

import nacl.signing

from accordtest import Api, check, skip_unless_built
from borrow_util import LENDER, Pair, wait_for
from federation_util import now_ms, open_envelope, problem_slug


def main():
    skip_unless_built()
    with Pair() as p:
        first = p.borrowed_reviewer("rev-one")
        second = p.borrowed_reviewer("rev-two")
        by_stand_in = {first[3]: first, second[3]: second}
        key = p.lender_key()
        clock = lambda: now_ms() + 1000 * p.A.post("/v1/test/clock",
                                                   {"advance_seconds": 0})[1]["offset_seconds"]
        as_lender = lambda type_, id_, body, key=key: p.played(type_, id_, body, clock(), key=key,
                                                               sender=LENDER)
        fetch_as_lender = lambda body: p.played_fetch(body, clock(), key=key, sender=LENDER)

        work = b"A recording's transcript, line by line.\n" * 50
        digest = hashlib.sha256(work).hexdigest()
        sid = p.submit(p.earner("earner-one"), "Criteria on the wall.", artifact=work)
        out = wait_for("the batch lent out", lambda: p.lent_out())
        (bid, lb), = out.items()
        item = lb["items"][0]["item"]
        holder = by_stand_in[lb["stand_in"]]
        lent = wait_for("the offer at the lender", lambda: p.lent_in(holder[1]))

        fetch = {"batch": bid, "item": item, "hash": digest}
        r = fetch_as_lender(fetch)
        check(r.status_code == 409 and problem_slug(r) == "wrong-state",
              "no artifact before the lender's reviewer accepted: %d %s" % (r.status_code, r.text))
        r = fetch_as_lender({"batch": bid, "item": "0" * 24, "hash": digest})
        check(r.status_code == 403 and problem_slug(r) == "not-assigned",
              "no artifact for an item that is not the peer's: %d %s" % (r.status_code, r.text))
        r = p.played_fetch(fetch, clock())
        check(r.status_code == 403 and problem_slug(r) == "not-assigned",
              "no artifact for another peer, whose reviewer holds no assignment citing it: %d %s"
              % (r.status_code, r.text))

        check(holder[1].post("/v1/borrowed/batches/%d/accept" % lent[0]["id"])[0] == 200,
              "the lender's reviewer accepts")
        wait_for("the acceptance", lambda: p.lent_out()[bid]["state"] == "accepted")
        r = fetch_as_lender(fetch)
        check(r.status_code == 200 and r.content == work and r.headers["x-content-sha256"] == digest,
              "the artifact is served to the peer whose reviewer holds the live assignment")

        # ---- forged results change nothing ---------------------------------
        before = (p.submission(sid)["state"], p.lent_out()[bid])
        result = {"batch": bid, "item": item, "levels": "pass", "feedback": None}
        stranger = nacl.signing.SigningKey.generate()
        r = as_lender("review.result", "result-forged", result, key=stranger)
        check(r.status_code == 401, "a result signed by a key the issuer does not know is "
              "refused: %d %s" % (r.status_code, r.text))
        r = as_lender("review.result", "result-other", dict(result, batch=bid + 1000))
        check(r.status_code == 403 and problem_slug(r) == "not-yours",
              "a result for a batch not lent to the sender is refused: %d %s"
              % (r.status_code, r.text))
        r = p.played("review.result", "result-played", result, clock())
        check(r.status_code == 403 and problem_slug(r) == "not-yours",
              "a result from another lender for this batch is refused: %d %s"
              % (r.status_code, r.text))
        check((p.submission(sid)["state"], p.lent_out()[bid]) == before,
              "forged results changed nothing")

        # ---- the deadline passes: reclaimed, a late result refused ---------
        days = p.defn["review"]["deadline_days"] + 1
        assert p.A.post("/v1/test/clock", {"advance_seconds": days * 86400})[0] == 200
        wait_for("the reclaim", lambda: p.lent_out()[bid]["state"] == "reclaimed")
        # Queued and not yet taken (the lender's clock is days behind the
        # issuer's now), or taken; the delivered offer's row is not counted:
        # the moved clock may have pruned it already.
        def queued_or_told():
            r = p.A.get("/v1/federation/peers/%s/outbox" % LENDER)
            assert r[0] == 200, r
            if any(i["type"] == "review.reclaim" for i in r[1]["items"]):
                return "queued"
            return ["told" for b in p.lent_in(holder[1])
                    if b["id"] == lent[0]["id"] and b["state"] == "reclaimed"]
        told = wait_for("the reclaim queued to the lender", queued_or_told)
        check(told, "the reclaim is queued to the lender after the offer: %s" % (told,))
        late_id = "result-%d-%s" % (bid, item)  # the id the lender itself would use
        r = as_lender("review.result", late_id, result)
        ans = open_envelope(r.content, p.pa) if r.status_code == 200 else {}
        body = ans.get("body", {})
        check(r.status_code == 200 and body.get("accepted") is False
              and "reclaimed" in body.get("reason", ""),
              "a result after the reclaim is refused with the reason: %s" % body)
        led = p.A.get("/v1/federation/ledger?peer=%s" % LENDER)[1]
        check(led["peers"][0]["late_results_refused"] == 1 and led["peers"][0]["borrowed"] == 0,
              "the late result is counted against the peer, and nothing enters the ledger: %s"
              % led)
        out = p.lent_out()[bid]
        check(out["items"][0]["state"] == "expired" and out["items"][0]["result"] == ""
              and p.submission(sid)["state"] in ("queued", "in_review")
              and p.submission(sid).get("level") is None,
              "the late result was not applied: %s / %s" % (out, p.submission(sid)))
        r = as_lender("review.result", late_id, result)
        check(r.status_code == 200, "the same late result sent again gets the same answer")
        led = p.A.get("/v1/federation/ledger?peer=%s" % LENDER)[1]
        check(led["peers"][0]["late_results_refused"] == 1, "and is counted once")
        r = fetch_as_lender(fetch)
        check(r.status_code == 409 and problem_slug(r) == "wrong-state",
              "the artifact is refused after the review ended: %d" % r.status_code)

        # ---- a lender dropped from the peers: its open work comes back -----
        again = wait_for("the work lent out again", lambda: [
            v for k, v in p.lent_out().items() if k != bid])
        check(again[0]["stand_in"] != lb["stand_in"] and again[0]["state"] == "offered",
              "the reclaimed work goes to the other lent reviewer: %s" % again[0])
        p.issuer.stop()
        with open(p.issuer.config) as f:
            text = f.read()
        start = text.index("[peer %s]" % LENDER)
        end = text.index("[peer", start + 1)
        with open(p.issuer.config, "w") as f:
            f.write(text[:start] + text[end:])
        p.issuer.start()
        p.A.close()
        p.A = Api(p.issuer, p.ta)
        out = p.lent_out()[again[0]["batch"]]
        check(out["state"] == "reclaimed" and "no longer a peer" in out["reason"]
              and out["items"][0]["state"] == "expired",
              "the issuer, started without that lender, reclaims its open work: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
