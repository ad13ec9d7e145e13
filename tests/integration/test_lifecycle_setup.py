"""test_lifecycle_setup - a credential from authoring to an active reviewer
pool on one node, driven through the HTTP API (and accordctl for the issuer's
everyday commands), as a scenario a person can follow:

  1. an issuer admin authors "feedback-cycles" with a four-level scale and
     answers the framework audit;
  2. two experts score ten pilot submissions independently; the admin sees
     their agreement and accepts the pilot;
  3. a benchmark database of 18 x 4 = 72 items is imported, scored by both
     experts, and the items they split on are resolved in conference with
     annotations; the sufficiency report says it is enough;
  4. the training module is generated from the template;
  5. twelve reviewers apply: eleven hold the prerequisite credential and are
     approved by the admin, one does not and fails screening; each completes
     the general and the credential module and attempts certification; one
     fails, waits out the seven days (test clock) and passes on a second try;
  6. the pool reaches the formula's minimum, ceil(20 x 2 / 5) = 8, and the
     credential turns active by itself;
  7. a second credential's pilot misses its threshold and goes back to draft.

Every bad request on the way (wrong role, wrong owner, invalid definition,
score off the scale, attempt before the wait is over, transition not
allowed) gets a problem+json naming what was wrong and changes nothing."""
import copy
import json
import os

from accordtest import Api, Node, SOURCE, check, skip_unless_built

skip_unless_built()

DATA = os.path.join(SOURCE, "tests", "integration", "data", "lifecycle")
LEVELS = ["not yet", "almost there", "pass", "high pass"]
REF = "feedback-cycles@1"
D = "/v1/definitions/" + REF

with open(os.path.join(DATA, "definition.json")) as f:
    DEFINITION = json.load(f)


def problem(status_body, status, slug=None):
    """Is the answer an RFC 9457 problem with |status| (and type |slug|)?"""
    code, body = status_body
    return (code == status and isinstance(body, dict) and body.get("status") == status
            and bool(body.get("detail"))
            and (slug is None or body.get("type", "").endswith("/" + slug)))


with Node(node_id="issuer.lifecycle") as n:
    admin_token = n.init()
    n.start()
    admin = Api(n, admin_token)

    def new_user(name, roles):
        code, u = admin.post("/v1/users", {"name": name, "roles": roles})
        assert code == 201, (code, u)
        code, t = admin.post("/v1/users/%d/tokens" % u["id"], {"label": "test"})
        assert code == 201, (code, t)
        return u["id"], Api(n, t["token"])

    ada_id, ada = new_user("ada", ["expert"])
    ben_id, ben = new_user("ben", ["expert"])
    cy_id, cy = new_user("cy", ["expert"])
    reviewers = [new_user("rev%02d" % i, ["reviewer"]) for i in range(1, 13)]
    rev1 = reviewers[0][1]

    # ---- 1. authoring --------------------------------------------------------
    bad = copy.deepcopy(DEFINITION)
    bad["scoring"]["levels"] = ["pass", "pass"]
    del bad["title"]
    r = admin.post("/v1/definitions", bad)
    paths = [e["path"] for e in (r[1] or {}).get("errors", [])]
    check(problem(r, 422, "invalid-definition") and "title" in paths
          and any(p.startswith("scoring.levels") for p in paths),
          "an invalid definition is refused with 422 listing every problem by path")
    check(admin.get("/v1/definitions")[1]["items"] == [],
          "the invalid definition stored nothing")
    check(problem(rev1.post("/v1/definitions", DEFINITION), 403),
          "a reviewer cannot author a definition (403)")

    r = n.ctl("def", "create", os.path.join(DATA, "definition.json"), token=admin_token,
              json_out=True)
    check(r.returncode == 0 and r.json["state"] == "draft" and r.json["version"] == 1
          and r.json["content_hash"].startswith("sha256:"),
          "accordctl def create stores version 1 in draft with its content hash")
    first_hash = r.json["content_hash"]
    check(problem(admin.post("/v1/definitions", DEFINITION), 409, "version-exists"),
          "posting version 1 again is refused: stored versions are never replaced")

    check(problem(admin.post(D + "/transition", {"to": "active"}), 409,
                  "transition-not-allowed"),
          "draft -> active is not an allowed transition (409)")
    r = admin.post(D + "/transition",
                   {"to": "piloting", "pilot": {"statistic": "quadratic_kappa",
                                                "threshold": 0.6}})
    check(problem(r, 409, "evidence-missing") and r[1]["field"] == "impact",
          "piloting needs the framework audit answered first")
    r = admin.put(D + "/audit", {
        "impact": "Feedback with time to revise has one of the largest effects on writing.",
        "equity": "Reviewers look for feedback that reaches every student.",
        "access": "Text submissions only; no special equipment.",
        "language": "Prompts in English and Spanish.",
        "big_picture": "Part of the assessment-for-learning stack."})
    check(r[0] == 200 and r[1]["content_hash"] != first_hash,
          "the admin answers the five framework audit questions; the draft's hash changes")
    check(admin.get(D)[1]["definition"]["audit"]["equity"].startswith("Reviewers"),
          "the audit answers are part of the stored definition")
    check(problem(admin.post(D + "/transition", {"to": "piloting", "override": True}), 400),
          "an override is only for activation")
    r = admin.post(D + "/transition",
                   {"to": "piloting", "pilot": {"statistic": "quadratic_kappa",
                                                "threshold": 0.6}})
    check(r[0] == 200 and r[1]["state"] == "piloting", "the credential enters piloting")
    check(problem(admin.put(D, DEFINITION), 409, "wrong-state"),
          "a version out of draft can no longer be edited")

    # ---- 2. pilot ------------------------------------------------------------
    subs = [{"label": "pilot-%02d" % i, "content": "Pilot submission %d: criteria and "
             "reflection text." % i} for i in range(10)]
    check(problem(admin.post(D + "/pilot/submissions",
                             {"experts": [ada_id, reviewers[0][0]], "submissions": subs}), 422),
          "pilot experts must hold the expert role")
    r = admin.post(D + "/pilot/submissions", {"experts": [ada_id, ben_id], "submissions": subs})
    check(r[0] == 201 and len(r[1]["submission_ids"]) == 10,
          "the admin assigns ten pilot submissions to two experts")
    # The experts' intended levels: they agree on nine and split on one by a
    # single level.
    pilot_levels = [0, 1, 2, 3, 0, 1, 2, 3, 2, 1]
    ids = r[1]["submission_ids"]
    r = ada.get("/v1/pilot/assignments")
    check(r[0] == 200 and len(r[1]["items"]) == 10
          and all(set(i) == {"submission_id", "credential", "label", "content", "my_level", "guide", "grain", "elements"}
                  for i in r[1]["items"]),
          "an expert sees her own ten assignments and no other expert's score")
    guide = r[1]["items"][0]["guide"]
    check([l["level"] for l in guide["levels"]] == LEVELS
          and [l["level"] for l in guide["levels"] if l["passing"]] == ["pass", "high pass"]
          and "checklist" in guide and "common_errors" in guide,
          "each pilot assignment carries the rubric to score against, its levels and which pass")
    check(cy.get("/v1/pilot/assignments")[1]["items"] == [],
          "an expert with no assignments sees none")
    check(problem(ada.post("/v1/pilot/submissions/%d/score" % ids[0], {"level": "superb"}), 422,
                  "off-scale"),
          "a pilot score off the scale is refused (422 naming the levels)")
    check(problem(cy.post("/v1/pilot/submissions/%d/score" % ids[0], {"level": "pass"}), 403,
                  "not-assigned"),
          "an expert cannot score a submission assigned to others")
    for i, sid in enumerate(ids):
        assert ada.post("/v1/pilot/submissions/%d/score" % sid,
                        {"level": LEVELS[pilot_levels[i]]})[0] == 200
    r = ben.get("/v1/pilot/assignments")
    check(all(i["my_level"] is None and "scored_at" not in i for i in r[1]["items"]),
          "ben still sees only his own (empty) scores after ada scored")
    check(all(i["my_level"] and i["scored_at"] for i in ada.get("/v1/pilot/assignments")[1]["items"]),
          "ada's scored assignments say when she scored them")
    check(problem(ben.get(D + "/pilot"), 403),
          "an expert cannot read the pilot report with both scores (403)")
    r = admin.post(D + "/transition", {"to": "benchmarks"})
    check(problem(r, 409, "evidence-missing") and r[1]["fully_scored"] == 0,
          "the pilot cannot be accepted before both experts scored")
    for i, sid in enumerate(ids):
        lvl = pilot_levels[i] if i != 9 else pilot_levels[i] + 1
        assert ben.post("/v1/pilot/submissions/%d/score" % sid, {"level": LEVELS[lvl]})[0] == 200
    check(problem(ben.post("/v1/pilot/submissions/%d/score" % ids[0], {"level": "pass"}), 409,
                  "already-scored"),
          "an independent score cannot be changed once given")
    r = admin.get(D + "/pilot")
    # 9 of 10 pairs agree exactly (counted by hand from pilot_levels above).
    check(r[0] == 200 and r[1]["submissions"] == 10 and r[1]["fully_scored"] == 10
          and abs(r[1]["agreement"]["exact"] - 0.9) < 1e-9 and r[1]["threshold_met"],
          "the pilot report shows 90% exact agreement and the threshold met")
    r = n.ctl("def", "transition", REF, "benchmarks", token=admin_token, json_out=True)
    check(r.returncode == 0 and r.json["state"] == "benchmarks",
          "the admin accepts the pilot (accordctl def transition ... benchmarks)")

    # ---- 3. benchmarks -------------------------------------------------------
    items, truth = [], {}
    for lvl in range(4):
        for k in range(18):
            label = "bench-%d-%02d" % (lvl, k)
            items.append({"label": label, "content": "Benchmark %s: a %s example." %
                          (label, LEVELS[lvl])})
            truth[label] = lvl
    r = admin.post(D + "/benchmarks", {"experts": [ada_id, ben_id], "items": items})
    check(r[0] == 201 and len(r[1]["item_ids"]) == 72,
          "the admin imports 72 = 18 x 4 benchmark items for two experts")
    label_of = {iid: items[i]["label"] for i, iid in enumerate(r[1]["item_ids"])}
    split = {iid for iid, lab in label_of.items() if lab.endswith("-00")}  # one per level
    for iid, lab in label_of.items():
        assert ada.post("/v1/benchmarks/items/%d/score" % iid,
                        {"level": LEVELS[truth[lab]]})[0] == 200
        # Ben scores one item per level a level away (down, or up from the lowest).
        lvl = truth[lab] if iid not in split else (truth[lab] - 1 if truth[lab] else 1)
        assert ben.post("/v1/benchmarks/items/%d/score" % iid, {"level": LEVELS[lvl]})[0] == 200
    check(problem(ada.post("/v1/benchmarks/items/%d/score" % min(split), {"level": 7}), 422,
                  "off-scale"),
          "a benchmark score off the scale (index 7 of 4 levels) is refused")
    r = admin.get(D + "/benchmarks/report")
    check(r[0] == 200 and r[1]["open_conflicts"] == 4 and not r[1]["sufficient"]
          and r[1]["minimum_size"] == 72,
          "the sufficiency report shows four open conflicts, a minimum of 72, not yet enough")
    check(problem(admin.post(D + "/transition", {"to": "training"}), 409, "evidence-missing"),
          "training cannot start on an insufficient database")
    r = ada.get(D + "/benchmarks/conflicts")
    check(r[0] == 200 and {i["item_id"] for i in r[1]["items"]} == split,
          "the conference sees exactly the four split items, with both scores")
    for iid in split:
        lab = label_of[iid]
        r = ada.post("/v1/benchmarks/items/%d/resolve" % iid, {
            "level": LEVELS[truth[lab]],
            "key_characteristics": "Feedback at the %s level: %s." % (LEVELS[truth[lab]], lab),
            "common_errors": "Scoring it one level off by reading the reflection alone."})
        assert r[0] == 200 and r[1]["final_level"] == LEVELS[truth[lab]], r
    agreed = next(iid for iid, lab in label_of.items() if lab == "bench-2-05")  # both: "pass"
    check(problem(admin.post("/v1/benchmarks/items/%d/resolve" % agreed, {"level": "not yet"}),
                  422),
          "a conference cannot overrule a unanimous expert score")
    r = admin.get(D + "/benchmarks/report")
    check(r[0] == 200 and r[1]["sufficient"] and r[1]["open_conflicts"] == 0
          and all(l["resolved"] == 18 and l["short_by"] == 0 for l in r[1]["levels"]),
          "after the conference every level has 18 resolved items: sufficient")

    # ---- 4. training module --------------------------------------------------
    r = n.ctl("def", "transition", REF, "training", token=admin_token, json_out=True)
    check(r.returncode == 0 and r.json["state"] == "training",
          "the credential enters training")
    r = admin.get(D + "/training-module")
    tm = r[1]
    check(r[0] == 200 and tm["rubric"]["levels"] == LEVELS and len(tm["requirements"]) == 2
          and tm["rationale"]["competency"] == DEFINITION["competency"]
          and [len(e["items"]) for e in tm["examples"]] == [3, 3, 3, 3]
          and all(truth[i["label"]] == LEVELS.index(e["level"])
                  for e in tm["examples"] for i in e["items"])
          and len(tm["feedback_guidance"]) > 0,
          "the training module has rationale, requirements, rubric, 3 examples per level "
          "of that level, and feedback guidance")
    check(all(e["items"][0]["key_characteristics"] for e in tm["examples"]),
          "annotated items lead the examples of each level")
    examples = {i["item_id"] for e in tm["examples"] for i in e["items"]}
    check(problem(admin.post(D + "/transition", {"to": "recruiting"}), 409, "evidence-missing"),
          "recruiting needs the node's general module")
    r = admin.put("/v1/general-module", {"title": "Reviewing on this node", "sections": [
        {"heading": "Bias", "body": "Score the evidence, not the person."},
        {"heading": "Confidentiality", "body": "Submissions stay on the node."}]})
    check(r[0] == 200 and r[1]["title"] == "Reviewing on this node",
          "the admin writes the node's general module")
    r = admin.post(D + "/transition", {"to": "recruiting"})
    check(r[0] == 200 and r[1]["state"] == "recruiting", "recruiting opens")

    # ---- 5. reviewers --------------------------------------------------------
    for uid, _ in reviewers[:11]:
        assert admin.post("/v1/held-credentials", {"user_id": uid,
                          "credential": "writing-workshop-basics",
                          "issuer": "did:web:district.example"})[0] == 201
    check(problem(rev1.post("/v1/held-credentials", {"user_id": reviewers[0][0],
                                                     "credential": "x"}), 403),
          "a reviewer cannot register held credentials")
    states = {}
    for uid, api in reviewers:
        api.put("/v1/reviewers/me", {"school": "School %d" % uid, "district": "North",
                                     "domains": ["ELA"]})
        r = api.post(D + "/applications", {"answers": {"domain_expertise": "8 years of ELA"}})
        assert r[0] == 201, r
        states[uid] = r[1]["state"]
    twelfth = reviewers[11][0]
    check(states[twelfth] == "rejected" and sum(s == "applied" for s in states.values()) == 11,
          "eleven applicants await manual screening; the one without the prerequisite "
          "credential fails the automatic check")
    check(problem(rev1.post(D + "/applications", {}), 409, "already-applied"),
          "applying twice is refused")
    check(problem(rev1.post("/v1/definitions/%s/applications/%d/screen" % (REF, reviewers[1][0]),
                            {"approve": True}), 403),
          "a reviewer cannot screen applications")
    for uid, _ in reviewers[:11]:
        r = admin.post("/v1/definitions/%s/applications/%d/screen" % (REF, uid),
                       {"approve": True, "reason": "ELA experience confirmed"})
        assert r[0] == 200 and r[1]["state"] == "screened", r
    check(problem(admin.post("/v1/definitions/%s/applications/%d/screen" % (REF, twelfth),
                             {"approve": True}), 409, "wrong-state"),
          "a rejected application cannot be approved afterwards")
    check(problem(reviewers[11][1].get(D + "/training-module"), 403, "not-screened"),
          "the rejected applicant cannot open the training module")

    check(problem(rev1.post(D + "/training-module/complete"), 409, "general-module-first"),
          "the credential module comes after the general module")
    for _, api in reviewers[:11]:
        assert api.post("/v1/general-module/complete")[0] == 200
        assert api.get(D + "/training-module")[0] == 200
        assert api.post(D + "/training-module/complete")[0] == 200

    def attempt(api, correct):
        code, a = api.post(D + "/certification/attempts")
        assert code == 201, (code, a)
        shown = {i["item_id"] for i in a["items"]}
        answers = [{"item_id": i, "level": LEVELS[truth[label_of[i]]] if correct
                    else "not yet"} for i in shown]
        return a, shown, api.post("/v1/certification/attempts/%d/answers" % a["attempt_id"],
                                  {"answers": answers})

    # rev01 answers "not yet" to everything: 5 of 20 exact, and "high pass"
    # items two or more levels off, so the rule fails.
    a1, shown1, r = attempt(rev1, False)
    check(len(shown1) == 20 and not (shown1 & examples),
          "a draw has 5 items per level and none of the training examples")
    check(r[0] == 200 and not r[1]["passed"] and r[1]["state"] == "trained"
          and r[1]["result"]["exact"] == 5 and "next_attempt_at" in r[1],
          "a reviewer who marks everything 'not yet' fails with a wait before the next try")
    check(problem(rev1.post("/v1/certification/attempts/%d/answers" % a1["attempt_id"],
                            {"answers": []}), 409, "attempt-closed"),
          "a graded attempt cannot be answered again")
    r = rev1.post(D + "/certification/attempts")
    check(problem(r, 409, "attempt-too-early") and "retry_at" in r[1],
          "an attempt before the seven-day wait is over is refused, saying when")
    check(rev1.get(D + "/certification")[1]["attempts"] == 1,
          "the early attempt changed nothing")

    for uid, api in reviewers[1:8]:
        _, _, r = attempt(api, True)
        assert r[0] == 200 and r[1]["passed"], r
    check(problem(reviewers[2][1].post(
        "/v1/certification/attempts/%d/answers" % a1["attempt_id"], {"answers": []}), 403,
        "not-yours"),
          "a reviewer cannot answer another reviewer's attempt")
    r = admin.get(D + "/pool")
    check(r[0] == 200 and r[1]["certified"] == 7 and r[1]["minimum"] == 8
          and not r[1]["may_activate"] and r[1]["state"] == "recruiting",
          "seven certified reviewers are short of the minimum ceil(20 x 2 / 5) = 8")
    check(r[1]["guess_pass_probability"] < 0.01,
          "the pool report shows the (small) chance of passing by guessing")
    check(problem(admin.post(D + "/transition", {"to": "active"}), 409, "evidence-missing"),
          "the admin cannot activate below the minimum without an override")

    r = admin.post("/v1/test/clock", {"advance_seconds": 7 * 86400 + 60})
    check(r[0] == 200, "the test clock moves seven days on")
    check(problem(rev1.post("/v1/test/clock", {"advance_seconds": 1}), 403),
          "only an admin moves the test clock")
    a2, shown2, r = attempt(rev1, True)
    check(not (shown2 & shown1) and not (shown2 & examples),
          "the second draw repeats no item seen in the first attempt or in training")
    check(r[0] == 200 and r[1]["passed"] and r[1]["state"] == "certified"
          and r[1]["attempts"] == 2 and r[1]["credential_state"] == "active",
          "rev01 passes on the second attempt, the eighth certification, and the credential "
          "turns active by itself")

    for uid, api in reviewers[8:11]:
        _, _, r = attempt(api, True)
        assert r[0] == 200 and r[1]["passed"], r
    r = n.ctl("reviewer", "pool", REF, token=admin_token, json_out=True)
    check(r.returncode == 0 and r.json["certified"] == 11 and r.json["state"] == "active",
          "all eleven screened reviewers are certified and the credential is active "
          "(accordctl reviewer pool)")
    r = admin.get(D)
    check(r[1]["state"] == "active" and "activated_at" in r[1]
          and r[1]["activation_override"] is False,
          "the credential records when it activated, without override")
    trail, cursor = [], ""
    while True:
        r = admin.get(D + "/audit-trail?limit=200" + cursor)
        assert r[0] == 200, r
        trail += r[1]["items"]
        if "next_cursor" not in r[1]:
            break
        cursor = "&cursor=" + r[1]["next_cursor"]
    actions = [e["action"] for e in trail]
    # draft -> piloting -> benchmarks -> training -> recruiting -> active: five moves;
    # 20 pilot scores and 144 benchmark scores (72 items x 2 experts).
    check(actions[0] == "create" and actions.count("transition") == 5
          and actions.count("pilot-score") == 20 and actions.count("benchmark-score") == 144
          and all(e["node"] == "issuer.lifecycle" for e in trail)
          and [e["actor"] for e in trail if e["action"] == "transition"][-1] == 0,
          "the audit trail records every step, who took it and from which node; the node "
          "itself activated the credential")

    r = admin.get("/v1/audit/reviewer/%d" % reviewers[0][0])
    check(r[0] == 200 and [e["action"] for e in r[1]["items"]] ==
          ["held-credential", "profile", "apply", "screen", "general-module-complete", "training-complete",
           "attempt-start", "attempt-failed", "attempt-start", "certified"],
          "rev01's own trail shows each step from the admin registering the prerequisite "
          "credential to certification, in order")
    check(problem(rev1.get("/v1/audit/reviewer/%d" % reviewers[0][0]), 403),
          "audit trails are for admins")

    # A new version is a new record; the active one does not change.
    v2 = copy.deepcopy(DEFINITION)
    v2["version"] = 2
    r = admin.post("/v1/definitions", v2)
    check(r[0] == 201 and r[1]["version"] == 2 and r[1]["state"] == "draft",
          "version 2 is a new draft record")
    check(admin.get(D)[1]["state"] == "active", "version 1 stays active")
    check(admin.get("/v1/definitions/feedback-cycles")[1]["version"] == 2,
          "the bare id names the highest version")
    r = admin.post("/v1/definitions/feedback-cycles@2/transition", {"to": "retired"})
    check(r[0] == 200 and r[1]["state"] == "retired", "an unused draft can be retired")
    check(problem(admin.post("/v1/definitions/feedback-cycles@2/transition", {"to": "draft"}),
                  409, "transition-not-allowed"),
          "retired is final")
    # The same views from accordctl, as each role would use them.
    r = n.ctl("expert", "tasks", "benchmark", token=ada.token)
    check(r.returncode == 0 and "bench-3-17" in r.stdout and "MY LEVEL" in r.stdout,
          "accordctl expert tasks lists an expert's own benchmark items")
    r = n.ctl("benchmark", "report", REF, token=admin_token, json_out=True)
    check(r.returncode == 0 and r.json["sufficient"], "accordctl benchmark report")
    r = n.ctl("training", "show", REF, token=reviewers[4][1].token, json_out=True)
    check(r.returncode == 0 and len(r.json["examples"]) == 4,
          "a certified reviewer reads the training module with accordctl")
    r = n.ctl("reviewer", "attempt", REF, token=reviewers[4][1].token)
    check(r.returncode == 1 and "409" in r.stderr, "accordctl reports a refused attempt (exit 1)")

    # A pilot below the issuer's threshold goes back to draft for revision.
    pc = copy.deepcopy(DEFINITION)
    pc["id"] = "peer-coaching"
    pc["audit"] = {k: "Answered." for k in
                   ("impact", "equity", "access", "language", "big_picture")}
    P = "/v1/definitions/peer-coaching@1"
    assert admin.post("/v1/definitions", pc)[0] == 201
    r = admin.post(P + "/transition", {"to": "piloting",
                                       "pilot": {"statistic": "exact", "threshold": 0.9}})
    assert r[0] == 200, r
    r = admin.post(P + "/pilot/submissions", {"experts": [ada_id, cy_id], "submissions": subs})
    for i, sid in enumerate(r[1]["submission_ids"]):
        assert ada.post("/v1/pilot/submissions/%d/score" % sid, {"level": "pass"})[0] == 200
        # cy disagrees on three of ten: 70% exact agreement, below 90%.
        assert cy.post("/v1/pilot/submissions/%d/score" % sid,
                       {"level": "not yet" if i < 3 else "pass"})[0] == 200
    r = admin.post(P + "/transition", {"to": "benchmarks"})
    check(problem(r, 409, "evidence-missing") and not r[1]["threshold_met"]
          and abs(r[1]["agreement"]["exact"] - 0.7) < 1e-9,
          "a pilot at 70% exact agreement cannot be accepted against a 90% threshold")
    r = admin.post(P + "/transition", {"to": "draft"})
    check(r[0] == 200 and r[1]["state"] == "draft", "the admin sends the credential back to draft")
    pc["competency"] = "Revised after the pilot: " + pc["competency"]
    r = admin.put(P, pc)
    check(r[0] == 200 and r[1]["definition"]["competency"].startswith("Revised"),
          "the draft can be revised again")
    r = admin.post(P + "/transition", {"to": "piloting",
                                       "pilot": {"statistic": "exact", "threshold": 0.9}})
    check(r[0] == 200 and admin.get(P + "/pilot")[1]["round"] == 2
          and admin.get(P + "/pilot")[1]["submissions"] == 0,
          "piloting again starts a fresh round")

    for api in [admin, ada, ben, cy] + [a for _, a in reviewers]:
        api.close()
    # Under ASan a leak on any path above makes this exit status non-zero.
    check(n.stop() == 0, "the node shuts down cleanly")
