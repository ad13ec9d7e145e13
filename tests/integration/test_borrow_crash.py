#!/usr/bin/python3
"""test_borrow_crash.py - a lender killed with SIGKILL in the middle of a
borrowed review: once after its reviewer accepted, once right after the
reviewer's score was acknowledged (the result then waits in its outbox, or
is on the wire). Each time it restarts from its data directory, and the
review completes: the issuer applies the result once, decides once, and the
two ledgers hold one and the same receipt."""
import sys

from accordtest import Api, check, skip_unless_built
from borrow_util import Pair, wait_for


def main():
    skip_unless_built()
    with Pair() as p:
        ub, api, tok, _ = p.borrowed_reviewer("rev-crash")
        sid = p.submit(p.earner("earner-one"), "Criteria agreed with the class.")
        b = wait_for("the lent batch", lambda: (lambda x: x[0] if x else None)(p.lent_in(api)))
        check(api.post("/v1/borrowed/batches/%d/accept" % b["id"])[0] == 200, "accepted")

        def restart():
            p.lender.kill()
            p.lender.start()
            fresh = Api(p.lender, tok)
            p.B.close()
            p.B = Api(p.lender, p.tb)
            return fresh

        api = restart()
        wait_for("the acceptance at the issuer",
                 lambda: next(iter(p.lent_out().values()))["state"] == "accepted")
        item = b["items"][0]["id"]
        r = api.get("/v1/borrowed/items/%d" % item)
        check(r[0] == 200 and r[1]["state"] == "open",
              "after SIGKILL and a restart the accepted item is still there: %s" % (r,))
        r = api.post("/v1/borrowed/items/%d/score" % item, {"level": "almost there"})
        check(r[0] == 200, "the reviewer scores")
        api = restart()
        s = wait_for("the decision", lambda: (lambda x: x if x.get("record") or
                                              x["state"] in ("decided", "notified") else None)(
            p.submission(sid)), timeout=90)
        check(s["level"] == "almost there",
              "the result queued before the SIGKILL is delivered after the restart: %s" % s)
        at_l = wait_for("the receipt at the lender", lambda: (
            lambda r: r if r else None)(p.B.get("/v1/federation/ledger/receipts")[1]["items"]))
        at_i = p.A.get("/v1/federation/ledger/receipts")[1]["items"]
        check(len(at_i) == 1 and len(at_l) == 1
              and at_i[0]["receipt_sha256"] == at_l[0]["receipt_sha256"],
              "one receipt on each side, the same one: %s / %s" % (at_i, at_l))
        out = next(iter(p.lent_out().values()))
        check(out["state"] == "done" and out["items"][0]["state"] == "done",
              "the batch was scored once: %s" % out)
        r = api.get("/v1/borrowed/batches")
        check(r[1]["items"][0]["items"][0]["state"] == "accepted",
              "the lender knows its result was accepted: %s" % r[1]["items"][0])
        api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
