"""test_quality_monitoring - reviewer monitoring applies each threshold's own
actions (issue 12, items 6 and 9), driven through the API and accordctl:

  0. an active credential with five reviewers and three thresholds:
     agreement with consensus below 0.75 notifies the issuer, severity
     beyond 1.5 sends to retraining, a discrepancy rate above 0.1 notifies.
     Every submission deserves "pass": three reviewers say so, Y says "high
     pass" every other time (agreement about 0.5, |z| under 1), X always
     says "not yet" (agreement 0, z about -1.7);
  1. Y crossed only the notify threshold: the issuer is flagged and told,
     Y stays in the pool and is not told anything; X crossed both, and the
     retrain threshold's action applies: X is out of the pool (retraining), is told what happened and
     why; the discrepancy rate is flagged to the issuer once;
  2. X completes the training module again and passes a fresh draw of
     benchmark items: back in the pool, X is offered work again;
  3. the issuer acknowledges X's flag, X crosses again and is sent back to
     retraining; the issuer reinstates X with accordctl: X is back in the
     pool and told. Reinstating someone in the pool, or by a non-admin, is
     refused with a problem naming why."""
from accordtest import Node, check, skip_unless_built
from lifecycle import active_credential
from quality import (Earners, cert_state, fast_definition, flags, notifications, ok, work)

skip_unless_built()

THRESHOLDS = [
    {"measure": "consensus_agreement", "min": 0.75, "actions": ["notify"]},
    {"measure": "severity", "max": 1.5, "actions": ["retrain"]},
    {"measure": "discrepancy_rate", "max": 0.1, "actions": ["notify"]},
]


def main():
    with Node(node_id="quality.monitor") as n:
        token = n.init()
        n.start()
        d = fast_definition("monitor-loop", min_sample=4, thresholds=THRESHOLDS)
        cred = active_credential(n, token, d, reviewers=5)
        admin, ref = cred.admin, cred.ref
        x, y = cred.reviewers[0], cred.reviewers[1]
        honest = cred.reviewers[2:]
        given = {}

        def level_of(uid, _assignment):
            given[uid] = given.get(uid, 0) + 1
            if uid == x[0]:
                return "not yet"
            if uid == y[0]:
                return "high pass" if given[uid] % 2 else "pass"
            return "pass"

        earners = Earners(n, admin)
        earners.submit("monitor-loop", 16)
        work(cred.reviewers, level_of, admin=cred.admin)

        # ---- 1. each threshold's own actions ------------------------------------
        mon = flags(admin, "reviewer_monitor")
        y_flags = [f for f in mon if f.get("reviewer") == y[0]]
        check(len(y_flags) == 1 and y_flags[0]["detail"]["threshold"] == 0
              and y_flags[0]["detail"]["outcome"] == "notified"
              and "below 0.75" in y_flags[0]["detail"]["reason"],
              "Y, below only the notify threshold, is flagged to the issuer once, as notified")
        check(cert_state(admin, ref, y[0]) == "certified",
              "... and stays in the pool (no action of another threshold is applied)")
        check(not notifications(y[1], "monitoring"), "... and is sent nothing")
        check(any("Reviewer %d notified" % y[0] in m["subject"]
                  for m in notifications(admin, "flag")),
              "the issuer is told of Y's notify-only crossing")
        check(cert_state(admin, ref, x[0]) == "retraining",
              "X, below the retrain threshold, is out of the pool for retraining")
        told = notifications(x[1], "monitoring")
        check(len(told) == 1 and "Retraining required" in told[0]["subject"]
              and "severity z = " in told[0]["body"]
              and "training-module/complete" in told[0]["body"],
              "X is told what happened, why (the measure and its numbers) and what to do")
        x_flags = {f["detail"]["threshold"]: f for f in mon if f.get("reviewer") == x[0]}
        check(set(x_flags) == {0, 1} and x_flags[1]["detail"]["outcome"] == "sent to retraining",
              "the issuer has one flag per threshold X crossed, naming what was done")
        disc = flags(admin, "discrepancy_rate")
        check(len(disc) == 1 and disc[0]["detail"]["rate"] > 0.1
              and disc[0]["credential"] == "monitor-loop",
              "the credential's discrepancy rate above its maximum is flagged once (item 9)")
        check(any("Discrepancy rate of monitor-loop" in m["subject"]
                  for m in notifications(admin, "flag")),
              "... and the issuer is notified of it")

        # ---- 2. retraining and a fresh certification draw --------------------------
        D = "/v1/definitions/" + ref
        r = x[1].post(D + "/certification/attempts")
        check(r[0] == 409, "X may not attempt certification before retraining (409)")
        ok(x[1].post(D + "/training-module/complete"))
        a = ok(x[1].post(D + "/certification/attempts"), 201)
        answers = [{"item_id": i["item_id"], "level": cred.levels[cred.bench_truth[i["content"]]]}
                   for i in a["items"]]
        g = ok(x[1].post("/v1/certification/attempts/%d/answers" % a["attempt_id"],
                         {"answers": answers}))
        check(g["passed"] and cert_state(admin, ref, x[0]) == "certified",
              "X passes a fresh certification draw after retraining and is back in the pool")
        before = given.get(x[0], 0)
        earners.submit("monitor-loop", 6)
        work(cred.reviewers, level_of, admin=cred.admin)
        check(given.get(x[0], 0) > before, "X is offered work again")

        # ---- 3. reinstatement by the issuer ----------------------------------------
        ok(admin.post("/v1/flags/%d/resolve" % x_flags[1]["id"], {"action": "acknowledge"}))
        earners.submit("monitor-loop", 2)
        work(cred.reviewers, level_of, admin=cred.admin)
        check(cert_state(admin, ref, x[0]) == "retraining",
              "with the flag acknowledged, X crossing again is sent back to retraining")
        r = n.ctl("reviewer", "reinstate", ref, str(honest[0][0]), token=token, json_out=True)
        check(r.returncode != 0 and "certified" in (r.stdout + r.stderr),
              "reinstating a reviewer in the pool is refused, naming their state")
        r = x[1].post(D + "/reviewers/%d/reinstate" % x[0], {})
        check(r[0] == 403, "a reviewer cannot reinstate themselves (403)")
        r = n.ctl("reviewer", "reinstate", ref, str(x[0]), "--reason", "reviewed with X",
                  token=token, json_out=True)
        check(r.returncode == 0 and r.json["state"] == "certified",
              "accordctl reviewer reinstate puts X back in the pool")
        told = notifications(x[1], "reinstated")
        check(len(told) == 1 and "reviewed with X" in told[0]["body"],
              "X is told they were reinstated, and why")
        cred.close()
    print("ok - done")


if __name__ == "__main__":
    main()
