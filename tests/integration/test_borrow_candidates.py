#!/usr/bin/python3
"""test_borrow_candidates.py - which borrowed reviewers the issuer's
assignment pass may pick, on two real nodes (docs/borrowing.md, "Borrowed
review"): a reviewer of the lender whose profile district (sent with
cross-node certification) is the earner's district is never given that
submission, and the submission waits saying every reviewer has a conflict of
interest, while work from another district goes to her; a stand-in whose
home node is no longer a peer of the issuer is no candidate at all (the work
waits for reviewers instead of being offered to a node that cannot be
reached), and is one again once the lender is a peer again."""
import sys

from accordtest import Api, check, skip_unless_built
from borrow_util import LENDER, Pair, wait_for

HOME = "Earner District"  # borrow_util's default district for submissions


def main():
    skip_unless_built()
    with Pair() as p:
        _, api, _, stand_in = p.borrowed_reviewer("rev-near", district=HOME)

        def waiting(sid):
            return lambda: (p.submission(sid).get("waiting") or {}).get("reason")

        def batches_of(sid_count):
            return lambda: (lambda o: o if len(o) >= sid_count else None)(p.lent_out())

        # ---- conflicts of interest across nodes ----------------------------
        same = p.submit(p.earner("earner-same"), "Criteria in the students' words.")
        why = wait_for("the pass to leave the same-district work waiting", waiting(same))
        check("conflict of interest" in why and p.lent_out() == {},
              "work from the borrowed reviewer's own district is not given to her; it waits "
              "on a conflict of interest: %s" % why)
        other = p.submit(p.earner("earner-other"), "Criteria read aloud.",
                         school="Other School", district="Other District")
        (bid, lb), = wait_for("work from another district lent out", batches_of(1)).items()
        check(lb["stand_in"] == stand_in and lb["state"] == "offered",
              "work from another district goes to her: %s" % lb)
        b = wait_for("the offer at the lender",
                     lambda: [x for x in p.lent_in(api) if x["issuer_batch"] == bid])[0]
        check(api.post("/v1/borrowed/batches/%d/accept" % b["id"])[0] == 200, "she accepts")
        wait_for("the acceptance", lambda: p.lent_out()[bid]["state"] == "accepted")
        r = api.get("/v1/borrowed/items/%d" % b["items"][0]["id"])
        check(r[0] == 200 and r[1]["district"] == "Other District",
              "the item she holds is the other district's: %s" % (r,))
        check(api.post("/v1/borrowed/items/%d/score" % b["items"][0]["id"],
                       {"level": "pass"})[0] == 200, "she scores it")
        wait_for("the decision", lambda: p.submission(other).get("level"))
        # She is free again: the next pass gives her new work, never |same|.
        third = p.submit(p.earner("earner-third"), "Criteria on the board.",
                         school="Other School", district="Other District")
        out = wait_for("the next work lent out", batches_of(2))
        check(sorted(v["stand_in"] for v in out.values()) == [stand_in, stand_in]
              and p.submission(same)["state"] == "queued"
              and p.submission(third)["state"] in ("queued", "in_review"),
              "a pass with her free still leaves the same-district work waiting: %s / %s"
              % (out, p.submission(same)))

        # ---- a stand-in whose home node is no longer a peer ----------------
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
        before = p.lent_out()
        check(all(v["state"] in ("done", "reclaimed") for v in before.values()),
              "the open work lent to the departed lender was reclaimed: %s" % before)
        fourth = p.submit(p.earner("earner-fourth"), "Criteria agreed in pairs.",
                          school="Other School", district="Other District")
        why = wait_for("the pass to leave the new work waiting", waiting(fourth))
        # The pass that left |fourth| waiting also had |third|'s reclaimed work.
        check("too few certified reviewers" in why and p.lent_out() == before
              and p.submission(third).get("level") is None,
              "a stand-in of a node that is no longer a peer is offered nothing, reclaimed or "
              "new, and the work says it waits for reviewers: %s / %s" % (why, p.lent_out()))

        p.issuer.stop()
        with open(p.issuer.config, "w") as f:
            f.write(text)
        p.issuer.start()
        p.A.close()
        p.A = Api(p.issuer, p.ta)
        # A pass runs when work is submitted; the new one may still wait.
        p.submit(p.earner("earner-fifth"), "Criteria with examples.",
                 school="Other School", district="Other District")
        new = wait_for("work lent out again", lambda: [
            v for k, v in p.lent_out().items() if k not in before])
        check(new[0]["stand_in"] == stand_in and new[0]["state"] == "offered",
              "with the lender a peer again her stand-in is a candidate again: %s" % new[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
