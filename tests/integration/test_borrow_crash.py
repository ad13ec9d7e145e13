#!/usr/bin/python3
"""test_borrow_crash.py - a lender killed with SIGKILL in the middle of a
borrowed review: once after its reviewer accepted, once right after the
reviewer's score was acknowledged (the result then waits in its outbox, or
is on the wire). Each time it restarts from its data directory, and the
review completes: the issuer applies the result once, decides once, and the
two ledgers hold one and the same receipt. Then the issuer is down while a
result waits at the lender: it is delivered once the issuer is back."""
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

        # ---- the issuer down while a result waits at the lender ------------
        sid2 = p.submit(p.earner("earner-two"), "Criteria pinned above each table.")
        b2 = wait_for("the second lent batch", lambda: [
            x for x in p.lent_in(api) if x["state"] == "invited"])[0]
        check(api.post("/v1/borrowed/batches/%d/accept" % b2["id"])[0] == 200, "accepted")
        wait_for("the acceptance at the issuer", lambda: all(
            v["state"] in ("accepted", "done") for v in p.lent_out().values()))
        p.issuer.stop()
        r = api.post("/v1/borrowed/items/%d/score" % b2["items"][0]["id"], {"level": "pass"})
        check(r[0] == 200, "the reviewer scores while the issuer is down")
        wait_for("the lender to find the issuer down", lambda: p.B.get(
            "/v1/federation/peers/issuer.example")[1]["attempts"] >= 1)
        p.issuer.start()
        p.A.close()
        p.A = Api(p.issuer, p.ta)
        s = wait_for("the second decision", lambda: (lambda x: x if x.get("record") else None)(
            p.submission(sid2)), timeout=90)
        check(s["level"] == "pass", "the waiting result is delivered when the issuer is back")
        at_i = wait_for("two receipts", lambda: (lambda r: r if len(r) == 2 else None)(
            p.A.get("/v1/federation/ledger/receipts")[1]["items"]))
        at_l = wait_for("two receipts at the lender", lambda: (
            lambda r: r if len(r) == 2 else None)(
            p.B.get("/v1/federation/ledger/receipts")[1]["items"]))
        check(sorted(e["receipt_sha256"] for e in at_i) == sorted(e["receipt_sha256"]
                                                                   for e in at_l),
              "each result applied once; both ledgers hold the same two receipts")
        api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
