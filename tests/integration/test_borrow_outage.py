#!/usr/bin/python3
"""test_borrow_outage.py - the issuer down for hours while a borrowed
reviewer's result waits at the lender (docs/borrowing.md, "Reciprocity
ledger"): the lender's test clock moves six hours in steps of two, so its
durable back-off timers fire and fail against the closed port, and
`accordctl peer list` shows it backing off with the result in its outbox;
the issuer returns (its clock moved the same hours, so envelopes are not
skewed and the ten-day review deadline is still ahead) and probes the
lender, which delivers the result: applied once, the submission decided
from it, one receipt on each side, the same bytes, and the lender's
back-off reset."""
import sys
import time

from accordtest import Api, check, skip_unless_built
from borrow_util import ISSUER, LENDER, Pair, wait_for

STEP_S = 2 * 3600
HOURS = 6


def main():
    skip_unless_built()
    with Pair() as p:
        _, api, _, _ = p.borrowed_reviewer("rev-away")
        sid = p.submit(p.earner("earner-one"), "Criteria set out before the lesson.")
        b = wait_for("the lent batch", lambda: (lambda x: x[0] if x else None)(p.lent_in(api)))
        check(api.post("/v1/borrowed/batches/%d/accept" % b["id"])[0] == 200, "accepted")
        wait_for("the acceptance at the issuer",
                 lambda: next(iter(p.lent_out().values()))["state"] == "accepted")

        p.issuer.stop()
        r = api.post("/v1/borrowed/items/%d/score" % b["items"][0]["id"],
                     {"level": "high pass", "feedback": "Clear and shared early."})
        check(r[0] == 200, "the reviewer scores while the issuer is down: %s" % (r,))

        def peer_row():
            r = p.lender.ctl("peer", "list", token=p.tb, json_out=True)
            assert r.returncode == 0, r.stderr
            return [x for x in r.json["items"] if x["node"] == ISSUER][0]
        wait_for("the lender to find the issuer down", lambda: peer_row()["attempts"] >= 1)
        for _ in range(HOURS * 3600 // STEP_S):
            assert p.B.post("/v1/test/clock", {"advance_seconds": STEP_S})[0] == 200
            # A step may make the next attempt due; the sender (which looks
            # at the clock at least once a second) then tries, fails and
            # records the next attempt in the future: "backing-off" again.
            # Wait for that, not for a second that assumed the sender keeps
            # up: on a loaded machine the last step's attempt was still due
            # ("ok") when the state was checked.
            wait_for("the lender to try again after the step",
                     lambda: peer_row()["state"] == "backing-off")
        row = peer_row()
        check(row["state"] == "backing-off" and row["attempts"] >= 2
              and row["next_attempt"] and row["outbox_depth"] >= 1,
              "through the hours the lender kept trying and shows its back-off in "
              "accordctl peer list, the result still queued: %s" % row)
        r = p.lender.ctl("peer", "list", token=p.tb)
        check(r.returncode == 0 and "backing-off" in r.stdout,
              "the table accordctl prints says so too: %r" % r.stdout)
        check(p.B.get("/v1/federation/ledger/receipts")[1]["items"] == [],
              "no receipt at the lender while the issuer is away")

        p.issuer.start()
        p.A.close()
        p.A = Api(p.issuer, p.ta)
        check(p.A.post("/v1/test/clock", {"advance_seconds": HOURS * 3600})[0] == 200,
              "the issuer returns, its clock moved the same hours")
        r = p.A.post("/v1/federation/peers/%s/probe" % LENDER)
        check(r[0] == 202, "the issuer reaches the lender: %s" % (r,))
        s = wait_for("the decision", lambda: (lambda x: x if x.get("record") else None)(
            p.submission(sid)), timeout=90)
        check(s["level"] == "high pass", "the waiting result is applied: %s" % s)
        at_l = wait_for("the receipt at the lender", lambda: p.B.get(
            "/v1/federation/ledger/receipts")[1]["items"])
        time.sleep(1.5)  # a second delivery would show in the counts below
        at_i = p.A.get("/v1/federation/ledger/receipts")[1]["items"]
        at_l = p.B.get("/v1/federation/ledger/receipts")[1]["items"]
        check(len(at_i) == 1 and len(at_l) == 1
              and at_i[0]["receipt_sha256"] == at_l[0]["receipt_sha256"],
              "delivered exactly once: one receipt on each side, the same one: %s / %s"
              % (at_i, at_l))
        out = next(iter(p.lent_out().values()))
        check(out["state"] == "done" and out["items"][0]["state"] == "done"
              and out.get("late_results", 0) == 0,
              "the batch was scored once and nothing was refused: %s" % out)
        led = p.A.get("/v1/federation/ledger?peer=%s" % LENDER)[1]["peers"][0]
        check(led["borrowed"] == 1 and led["late_results_refused"] == 0,
              "the issuer's ledger counts one borrowed review: %s" % led)
        row = wait_for("the lender's back-off reset", lambda: (
            lambda x: x if x["attempts"] == 0 and x["outbox_depth"] == 0 else None)(peer_row()))
        check(row["state"] == "ok", "the lender's back-off is reset: %s" % row)
        api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
