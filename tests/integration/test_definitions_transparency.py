"""test_definitions_transparency - what an issuer publishes about how a
credential is judged, and what earners and reviewers can read of it, as a
scenario on one node:

  0. setup (tests/lib/lifecycle.py): "feedback-cycles" is piloted by two
     experts on ten submissions (exact agreement, threshold 0.5) and active;
  1. the catalog shows each credential's validation summary: the approach
     in words, experts, items, every agreement statistic, the threshold and
     the date  [item 20];
  2. a second credential's pilot is judged on exact agreement across the
     pass boundary (accordctl def transition ... --statistic pass_boundary),
     and its report measures it  [item 20];
  3. the rubric's level descriptors, the checklist of submission
     requirements and the common errors are shown to earners (catalog and
     their submission), in the training module and in the reviewer's view
     of an assignment; a descriptor list that does not match the levels is
     refused naming the field  [item 18];
"""
import time

from accordtest import Node, check, skip_unless_built
from lifecycle import active_credential, load_definition, new_user

skip_unless_built()


DESCRIPTORS = ["The criteria are missing or not shared with students.",
               "Criteria are shared but feedback does not refer to them.",
               "Feedback names the criteria and one next step; students revise.",
               "Students use the criteria to give each other feedback too."]
CHECKLIST = ["The success criteria as students saw them",
             "One student draft before and after feedback"]
ERRORS = ["Describing feedback without showing it",
          "Feedback on spelling only"]


def definition():
    d = load_definition()
    d["scoring"]["descriptors"] = DESCRIPTORS
    d["submission"]["checklist"] = CHECKLIST
    d["submission"]["common_errors"] = ERRORS
    d["review"]["batch_size"] = 1
    d["maintenance"]["benchmark_seed_rate"] = 0
    return d


def guide_ok(g):
    return (g is not None and [l.get("descriptor") for l in g["levels"]] == DESCRIPTORS
            and [l["passing"] for l in g["levels"]] == [False, False, True, True]
            and g["checklist"] == CHECKLIST and g["common_errors"] == ERRORS)


def ok(r, code=200):
    assert r[0] == code, r
    return r[1]


def main():
    with Node(node_id="issuer.transparency") as n:
        admin_token = n.init()
        n.start()
        cred = active_credential(n, admin_token, definition(), reviewers=2)
        admin = cred.admin
        eid, eapi, etok = new_user(n, admin, "earner-bo", ["earner"])

        # ---- 1. the catalog's validation summary --------------------------------
        items = ok(eapi.get("/v1/catalog"))["items"]
        entry = [i for i in items if i["credential_id"] == "feedback-cycles"]
        v = entry[0].get("validation") if entry else None
        check(v is not None and v["experts"] == 2 and v["items"] == 10
              and v["statistic"] == "exact" and v["threshold"] == 0.5
              and v["agreement"]["exact"] == 1.0 and "quadratic_kappa" in v["agreement"]
              and v["threshold_met"] and v.get("date") and "independently by two experts" in v["approach"],
              "an earner reads the catalog's validation summary of feedback-cycles: %s" % v)

        # ---- 2. a pilot judged across the pass boundary -------------------------
        peer = load_definition()
        peer["id"], peer["title"] = "peer-feedback", "Peer Feedback Protocols"
        ok(admin.post("/v1/definitions", peer), 201)
        ok(admin.put("/v1/definitions/peer-feedback@1/audit",
                     {"impact": "i", "equity": "e", "access": "a", "language": "l",
                      "big_picture": "b"}))
        r = n.ctl("def", "transition", "peer-feedback@1", "piloting", "--statistic",
                  "pass_boundary", "--threshold", "0.8", token=admin_token)
        check(r.returncode == 0,
              "the issuer sets the pilot's threshold on exact agreement across the pass "
              "boundary: %s" % r.stderr)
        levels = peer["scoring"]["levels"]
        pilot = [{"label": "p%02d" % i, "content": "Pilot %d." % i} for i in range(10)]
        ids = ok(admin.post("/v1/definitions/peer-feedback@1/pilot/submissions",
                            {"experts": [e[0] for e in cred.experts], "submissions": pilot}),
                 201)["submission_ids"]
        # Expert 1 gives 0,1,2,3,...; expert 2 agrees exactly on none, but is
        # on the same side of "pass" (index 2) on all but one submission.
        first = [i % 4 for i in range(10)]
        second = [{0: 1, 1: 0, 2: 3, 3: 2}[x] for x in first]
        second[0] = 2  # "not yet" against "pass": across the boundary
        for (_, api, _), given in zip(cred.experts, (first, second)):
            for sid, lv in zip(ids, given):
                ok(api.post("/v1/pilot/submissions/%d/score" % sid, {"level": levels[lv]}))
        rep = ok(admin.get("/v1/definitions/peer-feedback@1/pilot"))
        check(rep["statistic"] == "pass_boundary" and rep["agreement"]["exact"] == 0.0
              and rep["agreement"]["pass_boundary"] == 0.9 and rep["threshold_met"],
              "the pilot report measures exact agreement across the pass boundary (0.9 of "
              "10, though exact agreement is 0): %s" % rep.get("verdict"))

        # ---- 3. descriptors, checklist and common errors, shown to everyone -----
        check(guide_ok(entry[0].get("guide")),
              "the catalog shows the earner the level descriptors, checklist and common errors")
        tm = ok(cred.reviewers[0][1].get("/v1/definitions/%s/training-module" % cred.ref))
        check(guide_ok(tm.get("guide")), "the training module shows them to trainees")
        sub = ok(eapi.post("/v1/submissions", {"credential": "feedback-cycles", "elements": [
            {"id": "criteria", "text": "Our criteria."},
            {"id": "reflection", "text": "What changed."}]}), 201)
        check(guide_ok(ok(eapi.get("/v1/submissions/%d" % sub["id"])).get("guide")),
              "the earner's own submission shows them")
        view = None
        for _ in range(100):
            for uid, api, _ in cred.reviewers:
                for b in ok(api.get("/v1/reviews/batches"))["items"]:
                    if b["state"] == "invited":
                        ok(api.post("/v1/reviews/batches/%d/accept" % b["id"]))
                    if b["state"] in ("invited", "accepted"):
                        view = ok(api.get("/v1/reviews/assignments/%d"
                                          % b["items"][0]["assignment"]))
            if view:
                break
            time.sleep(0.2)
        check(view is not None and guide_ok(view.get("guide")),
              "the reviewer's view of an assignment shows them")
        bad = definition()
        bad["id"] = "short-descriptors"
        bad["scoring"]["descriptors"] = DESCRIPTORS[:3]
        r = admin.post("/v1/definitions", bad)
        check(r[0] == 422 and any(e["path"] == "scoring.descriptors" and "one per level"
                                  in e["message"] for e in r[1]["errors"]),
              "three descriptors for four levels are refused naming scoring.descriptors")


if __name__ == "__main__":
    main()
