#!/usr/bin/python3
"""test_lending_order.py - which reviewers get the work when the pool is own
+ borrowed, through two real nodes. state.example (the issuer, two own
reviewers) grants north.example "lend"; north grants state "certify". A
reviewer of north is certified for state's credential across the nodes;
north's lending policy offers her, and the issuer's capacity shows her as
certified where she lives. The issuer's pool then counts her (own 2,
borrowed 1). With the built-in mode above_capacity the first two
submissions go to the own reviewers, the idle borrowed one waiting; with
"always" the next goes to her, the least loaded."""
import sys

from accordtest import Api, Node, check, skip_unless_built, wait_for
from federation_util import pin_pair
from lifecycle import active_credential, load_definition, new_user
from remote_cert import certify_across


def reviewers_of(S, sid):
    """The reviewers the issuer assigned to submission |sid| (its audit)."""
    status, trail = S.get("/v1/audit/submission/%d?limit=200" % sid)
    assert status == 200, trail
    return sorted(e["detail"]["reviewer"] for e in trail["items"]
                  if e["action"] == "assigned")


def main():
    skip_unless_built()
    with Node(node_id="state.example") as st, Node(node_id="north.example") as no:
        ts, tn = pin_pair(st, no, "lend", b_rights="certify")

        definition = load_definition()
        # Batches of five wait for their timer, so assigned work stays open
        # (load) without making its reviewer busy between submissions.
        cred = active_credential(st, ts, definition, reviewers=2)
        cid = definition["id"]
        S, N = Api(st, ts), Api(no, tn)
        ada = certify_across(st, ts, no, tn, cred, definition, "ada", school="North High",
                             district="North")
        uid, sid = ada.user_id, ada.stand_in
        status, p = N.put("/v1/federation/lending/state.example/" + cid,
                          {"reviewers": [uid], "monthly_cap": 6})
        check(status == 200, "north lends ada to state for %s" % cid)

        def capacity():
            return S.get("/v1/federation/capacity?credential=" + cid)[1]["items"]

        items = wait_for("north's offer", lambda: capacity())
        check(items[0]["home_user"] == uid and items[0]["user_id"] == sid and
              items[0]["certified_at_home"] is True,
              "the offer names ada, certified as far as north knows (it holds state's record), "
              "and links her to the stand-in state certified")
        status, pool = S.get("/v1/definitions/%s/pool" % cred.ref)
        her = [m for m in pool["reviewers"] if m["user_id"] == sid][0]
        check(pool["own"] == 2 and pool["borrowed"] == 1 and pool["certified"] == 3 and
              her["lives"] == "north.example" and her["state"] == "certified",
              "the issuer's pool sizing counts her: own 2 + borrowed 1, living on north")

        own = sorted(u for u, _, _ in cred.reviewers)
        earner, E, _ = new_user(st, S, "erin", ["earner"])

        def submit(n):
            body = {"credential": cid, "school": "Earner School", "district": "Earner District",
                    "elements": [{"id": "criteria", "text": "Criteria %d shared first." % n},
                                 {"id": "reflection", "text": "Students revised %d." % n}]}
            status, s = E.post("/v1/submissions", body)
            assert status == 201, s
            return wait_for("reviewers for submission %d" % n,
                            lambda: (lambda r: r if len(r) == 2 else None)(
                                reviewers_of(S, s["id"])))

        first = submit(1)
        check(first == own,
              "above_capacity (the default): the first submission goes to the two own "
              "reviewers while own capacity covers the backlog: %s" % first)
        second = submit(2)
        check(second == own,
              "and so does the second, though ada is idle and they already hold one each: %s"
              % second)
        status, m = S.put("/v1/federation/borrowing/" + cid, {"mode": "always"})
        check(status == 200 and m["mode"] == "always" and m["from"] == "credential",
              "state's admin sets the credential's borrowing mode to always")
        third = submit(3)
        check(sid in third,
              "always: the next submission goes to ada, the least loaded, with one own "
              "reviewer: %s" % third)
        for api in (S, N, ada.api, E):
            api.close()
        cred.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
