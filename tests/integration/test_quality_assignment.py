"""test_quality_assignment - assignment and the earner's experience (issue
12, items 10-12), driven through the API with the test clock, one
credential per part on one node:

  10. "starve-free", two reviewers, both away: a submission no reviewer can
      take is flagged to the issuer and shows the earner why it waits; each
      reviewer coming back is offered the work at once (no unrelated event
      needed), and once it has its reviewers it no longer waits;
  11. "monthly-quota": assignments_per_reviewer is a count per period (2),
      the open cap a separate setting (1): each reviewer holds one at a
      time, stops at two in the period, and gets the third when the period
      moves on (the test clock crosses 30 days);
  12. "lapse": the node is "down" across a batch's reminder and deadline
      (one clock jump): the reviewers get the expiry notice but no stale
      reminder, the work goes to the third reviewer, and the two who let it
      lapse are not offered new work until their cool-off ends."""
import time

from accordtest import Api, Node, check, skip_unless_built
from lifecycle import active_credential
from quality import (Earners, advance, eventually, fast_definition, flags, invited,
                     notifications, ok, work)

skip_unless_built()
DAY = 24 * 3600


def starvation(n, token, earners):
    d = fast_definition("starve-free")
    cred = active_credential(n, token, d, reviewers=2)
    admin = cred.admin
    (r1, api1, _), (r2, api2, _) = cred.reviewers
    for api in (api1, api2):
        ok(api.put("/v1/reviewers/me", {"available": False}))
    (sid, eapi), = earners.submit("starve-free")
    waiting = eventually(lambda: [f for f in flags(admin, "no_reviewer")
                                  if f.get("submission") == sid])
    check(len(waiting) == 1 and "too few certified reviewers" in waiting[0]["detail"]["reason"],
          "a submission no reviewer can take is flagged to the issuer, saying why")
    s = ok(eapi.get("/v1/submissions/%d" % sid))
    check(s["state"] == "queued" and "too few certified reviewers" in s["waiting"]["reason"]
          and s["waiting"]["missing"] == 2,
          "... and its earner sees in its status why it waits and for how many reviews")
    check(len(notifications(eapi, "waiting")) == 1, "... and is told once")

    ok(api1.put("/v1/reviewers/me", {"available": True}))
    time.sleep(1.3)
    check(eventually(lambda: len(invited(api1)) == 1),
          "a reviewer becoming available is offered the queued work at once")
    s = ok(eapi.get("/v1/submissions/%d" % sid))
    check(s["waiting"]["missing"] == 2 and len(
        [f for f in flags(admin, "no_reviewer") if f.get("submission") == sid]) == 1,
          "... while one review is still missing, the one flag stays (no second one)")
    ok(api2.put("/v1/reviewers/me", {"available": True}))
    time.sleep(1.3)
    check(eventually(lambda: len(invited(api2)) == 1), "the second reviewer coming back is offered it too")
    s = ok(eapi.get("/v1/submissions/%d" % sid))
    check("waiting" not in s and not [f for f in flags(admin, "no_reviewer")
                                      if f.get("submission") == sid],
          "with its reviewers found it no longer waits and the flag is resolved")
    cred.close()


def quota(n, token, earners):
    d = fast_definition("monthly-quota")
    d["pool"]["assignments_per_reviewer"] = 2
    d["pool"]["open_assignments_max"] = 1
    bad = dict(d, id="monthly-quota-bad")
    bad["pool"] = dict(d["pool"], open_assignments_max=0)
    r = earners.admin.post("/v1/definitions", bad)
    check(r[0] == 422 and r[1]["field"] == "pool.open_assignments_max",
          "an open cap of 0 is refused, naming pool.open_assignments_max")
    cred = active_credential(n, token, d, reviewers=2)
    got = ok(cred.admin.get("/v1/definitions/" + cred.ref))
    check(got["definition"]["pool"]["open_assignments_max"] == 1
          if "definition" in got else got["pool"]["open_assignments_max"] == 1,
          "the definition keeps its open cap")
    subs = earners.submit("monthly-quota", 3)
    check(eventually(lambda: all(len(invited(api)) == 1 for _, api, _ in cred.reviewers)),
          "each reviewer holds one assignment at a time (the open cap)")
    scored = work(cred.reviewers, lambda uid, a: "pass", admin=cred.admin)
    check(all(v == 2 for v in scored.values()),
          "each reviewer is given two in the period (the per-period count), no more: %s" % scored)
    third = ok(subs[2][1].get("/v1/submissions/%d" % subs[2][0]))
    check(third["state"] == "queued", "the third submission waits for the next period")
    advance(cred.admin, 31 * DAY)
    scored = work(cred.reviewers, lambda uid, a: "pass", admin=cred.admin)
    third = ok(subs[2][1].get("/v1/submissions/%d" % subs[2][0]))
    check(all(v == 1 for v in scored.values()) and third["state"] in ("decided", "notified"),
          "when the period moves on the quota frees and the third is reviewed")
    cred.close()


def lapse(n, token, earners):
    d = fast_definition("lapse")
    d["review"]["cool_off_hours"] = 24
    cred = active_credential(n, token, d, reviewers=3)
    admin = cred.admin
    (sid, _), = earners.submit("lapse")
    eventually(lambda: sum(bool(invited(api)) for _, api, _ in cred.reviewers) >= 2)
    holders = [(uid, api) for uid, api, _ in cred.reviewers if invited(api)]
    third = [(uid, api) for uid, api, _ in cred.reviewers if not invited(api)]
    check(len(holders) == 2 and len(third) == 1, "the submission goes to two of three reviewers")
    # Down across the reminder (48 h before) and the deadline (10 days).
    advance(admin, 11 * DAY)
    for uid, api in holders:
        check(len(notifications(api, "expired")) == 1
              and not notifications(api, "reminder"),
              "reviewer %d gets the expiry notice and no reminder past its deadline" % uid)
    check(eventually(lambda: len(invited(third[0][1])) == 1),
          "the lapsed work goes to the third reviewer")
    earners.submit("lapse")
    time.sleep(2.5)  # its "screen" and "assign" jobs run within the scheduler's polls
    for uid, api in holders:
        check(not invited(api),
              "reviewer %d, who let work lapse, is not offered new work at once" % uid)
    advance(admin, 25 * 3600)
    check(eventually(lambda: any(invited(api) for _, api in holders)),
          "after their cool-off the lapsed reviewers are offered work again")
    cred.close()


def main():
    with Node(node_id="quality.assign") as n:
        token = n.init()
        n.start()
        earners = Earners(n, Api(n, token))
        starvation(n, token, earners)
        quota(n, token, earners)
        lapse(n, token, earners)
    print("ok - done")


if __name__ == "__main__":
    main()
