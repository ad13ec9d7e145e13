#!/usr/bin/python3
"""test_borrow_auto_decline.py - a lender that declines a borrowed review by
its own rules, not by its reviewer (docs/borrowing.md, "Automatic
declines"), on two real nodes on loopback: the lender lends each reviewer
once a month; her first review is done, so the next offer is declined by the
monthly cap, saying so and from when she may be lent again (the start of the
lender's next month). The issuer then offers her nothing more across several
assignment passes (a new submission, a second reviewer certified, its clock
moved to ten minutes before that time) while the waiting work goes to the
other reviewer; once its clock passes that time she is offered work again,
and the lender invites her."""
import calendar
import sys
import time

from accordtest import check, skip_unless_built
from borrow_util import ISSUER, Pair, wait_for


def clock_now(api):
    """The node's clock (its test offset included), in seconds since 1970."""
    r = api.post("/v1/test/clock", {"advance_seconds": 0})
    assert r[0] == 200, r
    return calendar.timegm(time.strptime(r[1]["now"], "%Y-%m-%dT%H:%M:%SZ"))


def next_month(t):
    """The first second of the calendar month (UTC) after the one of |t|."""
    g = time.gmtime(t)
    year, month = (g.tm_year + 1, 1) if g.tm_mon == 12 else (g.tm_year, g.tm_mon + 1)
    return calendar.timegm((year, month, 1, 0, 0, 0))


def advance(p, seconds):
    """Moves both clocks (envelopes allow 300 s of skew), the lender's first:
    the issuer's jobs come due the moment its clock moves."""
    for api in (p.B, p.A):
        r = api.post("/v1/test/clock", {"advance_seconds": seconds})
        assert r[0] == 200, r


def main():
    skip_unless_built()
    with Pair() as p:
        r = p.B.put("/v1/federation/lending/%s/%s" % (ISSUER, p.defn["id"]),
                    {"reviewers": "all", "monthly_cap": 1})
        check(r[0] == 200, "the lender lends each of its reviewers once a month: %s" % (r,))
        ub1, api1, _, s1 = p.borrowed_reviewer("rev-one")

        def offers_to(stand_in):
            """The issuer's lent-out batches of |stand_in|, oldest first."""
            return sorted((b for b in p.lent_out().values() if b["stand_in"] == stand_in),
                          key=lambda b: b["batch"])

        def received_for(user):
            """The offers the lender received for its reviewer |user|."""
            return [b for b in p.lent_in() if b["reviewer"] == user]

        # ---- her one review this month ------------------------------------
        p.submit(p.earner("earner-one"), "Criteria shared on the first day of the unit.")
        b = wait_for("the first offer", lambda: [x for x in p.lent_in(api1)
                                                 if x["state"] == "invited"])[0]
        check(api1.post("/v1/borrowed/batches/%d/accept" % b["id"])[0] == 200,
              "rev-one accepts her first lent batch")
        check(api1.post("/v1/borrowed/items/%d/score" % b["items"][0]["id"],
                        {"level": "pass"})[0] == 200, "and scores it")
        wait_for("the issuer to apply her result",
                 lambda: offers_to(s1)[0]["state"] == "done")

        # ---- the next offer: declined by the monthly cap -------------------
        lender_now = clock_now(p.B)
        again = next_month(lender_now)
        p.submit(p.earner("earner-two"), "Criteria written with the students.")
        declined = wait_for("the lender's automatic decline", lambda: [
            x for x in offers_to(s1) if x["state"] == "declined"])
        check(len(declined) == 1 and "monthly cap 1 reached" in declined[0]["reason"],
              "the lender declines the next offer by its monthly cap: %s" % declined[0])
        check(len(received_for(ub1)) == 2,
              "the lender received two offers for rev-one so far: %s" % received_for(ub1))

        # ---- several passes while she is held: nothing more for her --------
        p.submit(p.earner("earner-three"), "Criteria read aloud before drafting.")
        _, api2, _, s2 = p.borrowed_reviewer("rev-two")
        wait_for("the lender to invite rev-two", lambda: [
            x for x in p.lent_in(api2) if x["state"] == "invited"])
        check(len(offers_to(s2)) == 1,
              "meanwhile the waiting work goes to the other reviewer: %s" % offers_to(s2))
        time.sleep(2.5)  # the passes the submission and the certification woke have run
        check(len(offers_to(s1)) == 2 and len(received_for(ub1)) == 2,
              "after several passes rev-one was offered nothing more: issuer %s, lender %s"
              % (offers_to(s1), received_for(ub1)))

        reason = offers_to(s1)[1]["reason"]
        check("not its reviewer" in reason
              and time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(again)) in reason,
              "the lender's answer said its cap declined, not its reviewer, and the issuer "
              "holds her until the lender's next month: %s" % reason)

        # ---- ten minutes before her time: still nothing --------------------
        early = again - clock_now(p.B) - 600
        if early > 0:
            advance(p, early)
            time.sleep(2.5)  # the scheduler looks at the clock once a second
            check(len(offers_to(s1)) == 2 and len(received_for(ub1)) == 2,
                  "ten minutes before the lender's next month rev-one is still not offered "
                  "work: issuer %s" % offers_to(s1))

        # ---- her time passes: offered again, and invited -------------------
        seen = {x["id"] for x in received_for(ub1)}
        advance(p, max(0, again - clock_now(p.B)) + 120)
        back = wait_for("an offer to rev-one after her time", lambda: [
            x for x in received_for(ub1) if x["id"] not in seen])
        check(back[0]["state"] == "invited" and len(received_for(ub1)) == 3,
              "once the lender's month turns rev-one is offered work again and the lender "
              "invites her: %s" % back[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
