"""test_earner_experience - an earner's side of one credential on one node,
as a scenario a person can follow (accordctl where a command exists, the
HTTP API otherwise):

  0. setup (tests/lib/lifecycle.py): "feedback-cycles", scored per element,
     is active with three certified reviewers; "peer-feedback", the next
     credential of the same stack, is still a draft; "coaching-feedback",
     active, asks its reviewers to hold feedback-cycles;
  1. an earner submits; two reviewers score each element and say why;
  2. the outcome is a pass; recommendations name only active credentials
     (the draft next in the stack is not offered)  [item 16];
  3. the earner sees each reviewer's feedback per element, in the API, in
     `accordctl submission show` and in the outcome mail  [item 13];
  4. roles are a set: the pass invites the earner to review
     coaching-feedback; they accept (earner and reviewer now) and apply,
     the qualification met automatically; an admin adds and removes roles
     with accordctl, and a user is never left without one  [item 14];
  5. teams: a team name nobody declared is refused; a declared team counts
     once every member confirmed; a non-member cannot borrow its name; the
     team's shared element is not plagiarism among its members, but a member
     copying another's individual element is flagged  [item 15];
  6. appeals: within the issuer's 30-day window an earner who failed states
     a reason; the issuer sends it to a certified reviewer who did not review
     it (one who did is refused); that master overturns the decision, which
     is recorded, told to the earner and audited; after the window an appeal
     is refused  [item 17];
  7. stacks: the issuer declares the stack "feedback-leader" of
     feedback-cycles and coaching-feedback; when ana passes the second, the
     stack credential is issued to her (signed and logged like any record,
     once), and she is told; eve, holding one of the two, gets none
     [item 19].
"""
import random
import time

from accordtest import Node, check, skip_unless_built, wait_for
from lifecycle import active_credential, load_definition, new_user

skip_unless_built()

CRED = "feedback-cycles"


def definition():
    d = load_definition()
    d["scoring"]["grain"] = "per_element"
    d["scoring"]["combine"] = {"rule": "thresholds"}
    d["review"]["batch_size"] = 1
    d["maintenance"]["benchmark_seed_rate"] = 0  # every scored item is real work
    d["submission"]["collaboration"] = {"allowed": True, "individual_element": "reflection"}
    d["review"]["appeal_window_days"] = 30
    return d


def words(rng, n):
    """|n| pseudo-words no two texts share by chance."""
    syl = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo", "gi", "he"]
    return " ".join("".join(rng.choice(syl) for _ in range(3)) for _ in range(n))


def ok(r, code=200):
    assert r[0] == code, r
    return r[1]


class Flow:
    """Drives reviewers through invitations to scores."""

    def __init__(self, node, cred):
        self.node, self.cred = node, cred

    def review(self, sub_id, levels, feedback):
        """Every reviewer invited to |sub_id| accepts and scores it with
        |levels| ({element: level}) and |feedback| ({element: text}); returns
        the reviewers' user ids, once the submission is decided."""
        admin = self.cred.admin
        seen = []

        def step():
            did = False
            for uid, api, _ in self.cred.reviewers:
                for b in ok(api.get("/v1/reviews/batches"))["items"]:
                    if b["state"] == "invited":
                        ok(api.post("/v1/reviews/batches/%d/accept" % b["id"]))
                for b in ok(api.get("/v1/reviews/batches"))["items"]:
                    if b["state"] != "accepted":
                        continue
                    for item in b["items"]:
                        if item["state"] != "accepted":
                            continue
                        ok(api.post("/v1/reviews/assignments/%d/score" % item["assignment"],
                                    {"levels": levels, "feedback": feedback}))
                        seen.append(uid)
                        did = True
            return did

        idle = 0
        for _ in range(150):
            idle = 0 if step() else idle + 1
            s = ok(admin.get("/v1/submissions/%d" % sub_id))
            if s["state"] in ("decided", "notified"):
                return seen
            if idle >= 4:
                # Reviewers rest (cool-off) between batches: move the test
                # clock on; the scheduler polls its jobs about once a second.
                ok(admin.post("/v1/test/clock", {"advance_seconds": 25 * 3600}))
                idle = 0
            time.sleep(0.4)
        raise AssertionError("submission %d was never decided" % sub_id)


def main():
    with Node(node_id="issuer.earner") as n:
        admin_token = n.init()
        n.start()
        cred = active_credential(n, admin_token, definition(), reviewers=3)
        admin = cred.admin
        flow = Flow(n, cred)
        peer = load_definition()
        peer["id"], peer["title"] = "peer-feedback", "Peer Feedback Protocols"
        ok(admin.post("/v1/definitions", peer), 201)
        coach = load_definition()
        coach["id"], coach["title"] = "coaching-feedback", "Coaching Colleagues on Feedback"
        coach["reviewers"]["qualifications"] = [
            {"kind": "holds_credential", "credential": CRED},
            {"kind": "domain_expertise", "domain": "ELA"}]
        coach["review"]["batch_size"] = 1
        coach["maintenance"]["benchmark_seed_rate"] = 0
        coach_cred = active_credential(n, admin_token, coach, reviewers=2)

        # ---- 1. a submission, reviewed per element ------------------------------
        eid, eapi, etok = new_user(n, admin, "earner-ana", ["earner"])
        r = n.ctl("submission", "create", CRED, "--text", "criteria=Shared rubric up front.",
                  "--text", "reflection=Students revised twice.", token=etok, json_out=True)
        check(r.returncode == 0, "the earner submits with accordctl: %s" % r.stderr)
        sid = r.json["id"]
        levels = {"criteria": "pass", "reflection": "high pass"}
        notes = {"criteria": "The criteria are concrete; name the exemplar you used.",
                 "reflection": "Shows what changed between drafts."}
        seen = flow.review(sid, levels, notes)
        s = ok(eapi.get("/v1/submissions/%d" % sid))
        check(s["passed"] and len(seen) == 2, "two reviewers scored it and it passed")

        # ---- 2. recommendations name active credentials only --------------------
        recs = ok(eapi.get("/v1/submissions/%d/recommendations" % sid))["items"]
        check(all(x["credential"] != "peer-feedback" for x in recs)
              and [x["credential"] for x in recs] == ["coaching-feedback"],
              "recommendations offer active coaching-feedback, not peer-feedback, still a draft (%s)" % recs)

        # ---- 3. the earner reads the feedback, element by element ---------------
        fb = s.get("feedback", [])
        per = [{e["element"]: (e.get("level"), e.get("feedback")) for e in r.get("elements", [])}
               for r in fb]
        check(len(fb) == 2 and all(p == {k: (levels[k], notes[k]) for k in levels} for p in per)
              and all("reviewer_id" not in r for r in fb),
              "GET /v1/submissions/{id} shows each reviewer's level and feedback per element, "
              "without naming the reviewer")
        r = n.ctl("submission", "show", str(sid), token=etok)
        check(r.returncode == 0 and all(t in r.stdout for t in notes.values())
              and "element: criteria" in r.stdout,
              "accordctl submission show prints the feedback per element")
        mail = [m for m in ok(eapi.get("/v1/notifications"))["items"] if m["kind"] == "outcome"]
        check(len(mail) == 1 and all(mail[0]["body"].count(t) == 2 for t in notes.values())
              and "criteria (pass): " in mail[0]["body"],
              "the outcome mail carries both reviewers' feedback, element by element")

        # ---- 4. from earner to reviewer: roles are a set ------------------------
        wait_for("the record of the pass", lambda: "record" in ok(
            eapi.get("/v1/submissions/%d" % sid)))
        inv = [m for m in ok(eapi.get("/v1/notifications"))["items"]
               if m["kind"] == "reviewer_invitation"]
        check(len(inv) == 1 and "coaching-feedback@1" in inv[0]["body"]
              and "accept-invitation" in inv[0]["body"],
              "the pass invites the earner to review coaching-feedback (a notification)")
        other_id, _, other_tok = new_user(n, admin, "earner-cy", ["earner"])
        r = n.ctl("reviewer", "accept-invitation", token=other_tok)
        check(r.returncode == 1 and "409" in r.stderr,
              "an earner with no qualifying pass cannot take the reviewer role (409)")
        r = n.ctl("reviewer", "accept-invitation", token=etok, json_out=True)
        check(r.returncode == 0 and sorted(r.json["roles"]) == ["earner", "reviewer"]
              and [c["credential"] for c in r.json["can_review"]] == ["coaching-feedback"],
              "the earner accepts: they are now earner and reviewer (%s)" % r.stderr)
        ok(eapi.put("/v1/reviewers/me", {"school": "Ana School", "district": "Ana District",
                                         "domains": ["ELA"]}))
        app = ok(eapi.post("/v1/definitions/coaching-feedback@1/applications",
                           {"answers": {"why": "I coach colleagues."}}), 201)
        check(app["state"] != "rejected"
              and all(q["met"] for q in app["screening"] if q["check"] == "automatic"),
              "they apply to review coaching-feedback; holding feedback-cycles is met (%s)"
              % app.get("screening"))
        r = n.ctl("user", "roles", str(other_id), "--add", "reviewer,expert", token=admin_token,
                  json_out=True)
        check(r.returncode == 0 and sorted(r.json["roles"]) == ["earner", "expert", "reviewer"],
              "accordctl user roles --add gives an account second and third roles")
        r = n.ctl("user", "roles", str(other_id), "--remove", "expert", token=admin_token,
                  json_out=True)
        check(r.returncode == 0 and sorted(r.json["roles"]) == ["earner", "reviewer"],
              "accordctl user roles --remove takes one away and keeps the rest")
        r = n.ctl("user", "roles", str(other_id), "--remove", "earner,reviewer",
                  token=admin_token)
        check(r.returncode == 1 and "400" in r.stderr and "no role" in r.stderr,
              "removing every role is refused, naming the rule")
        r = n.ctl("user", "roles", str(other_id), "--add", "wizard", token=admin_token)
        check(r.returncode == 1 and "add[0]" in r.stderr and "wizard" in r.stderr,
              "an unknown role is refused naming it")

        # ---- 5. teams are declared and confirmed; the individual element --------
        rng = random.Random(15)
        bo, cy, dan, dee = [new_user(n, admin, name, ["earner"])
                            for name in ("team-bo", "team-cy", "team-dan", "team-dee")]
        shared, own = words(rng, 60), [words(rng, 60) for _ in range(4)]

        def submit(who, team, criteria, reflection):
            return who[1].post("/v1/submissions", {
                "credential": CRED, "team": team, "elements": [
                    {"id": "criteria", "text": criteria},
                    {"id": "reflection", "text": reflection}]})

        r = submit(bo, "made-up", shared, own[0])
        check(r[0] == 400 and r[1]["field"] == "team" and "never declared" in r[1]["detail"],
              "a team name nobody declared is refused (400 naming team)")
        t = ok(bo[1].post("/v1/teams", {"credential": CRED, "name": "north",
                                        "members": [cy[0], dan[0]]}), 201)
        check(not t["confirmed"] and sum(m["confirmed"] for m in t["members"]) == 1,
              "bo declares team north with cy and dan; only bo has confirmed")
        r = submit(bo, "north", shared, own[0])
        check(r[0] == 400 and "2 of the 3 members" in r[1]["detail"],
              "a team counts only once every member confirmed")
        invited = [m for m in ok(cy[1].get("/v1/notifications"))["items"] if m["kind"] == "team"]
        check(len(invited) == 1 and "/v1/teams/%d/confirm" % t["id"] in invited[0]["body"],
              "each named member is asked to confirm")
        check(dee[1].post("/v1/teams/%d/confirm" % t["id"])[0] == 404,
              "a non-member cannot confirm someone else's team")
        for who in (cy, dan):
            ok(who[1].post("/v1/teams/%d/confirm" % t["id"]))
        check(ok(bo[1].get("/v1/teams/%d" % t["id"]))["confirmed"], "north is confirmed")
        first = ok(submit(bo, "north", shared, own[0]), 201)
        r = submit(dee, "north", shared, own[0])
        check(r[0] == 400 and "not a member" in r[1]["detail"],
              "an earner outside north cannot claim its name to copy its work")
        second = ok(submit(cy, "north", shared, own[1]), 201)
        third = ok(submit(dan, "north", shared, own[0]), 201)

        def state(s):
            return ok(admin.get("/v1/submissions/%d" % s["id"]))["state"]
        check(state(second) != "flagged",
              "cy shares the team's criteria with bo and writes her own reflection: not flagged")
        flags = [f for f in ok(admin.get("/v1/flags"))["items"]
                 if f["submission"] == third["id"]]
        check(state(third) == "flagged" and flags and flags[0]["kind"] == "near_duplicate"
              and flags[0]["detail"]["matches"][0]["submission"] == first["id"],
              "dan, in the same team, copies bo's individual reflection: flagged against bo's")

        # ---- 6. appeals -----------------------------------------------------------
        eve, fin = [new_user(n, admin, name, ["earner"]) for name in ("appeal-eve", "appeal-fin")]
        subs = [ok(who[1].post("/v1/submissions", {"credential": CRED, "elements": [
            {"id": "criteria", "text": words(rng, 50)},
            {"id": "reflection", "text": words(rng, 50)}]}), 201)["id"] for who in (eve, fin)]
        low = {"criteria": "not yet", "reflection": "almost there"}
        reviewed = flow.review(subs[0], low, {"criteria": "No criteria shown."})
        flow.review(subs[1], low, {})
        check(not ok(eve[1].get("/v1/submissions/%d" % subs[0]))["passed"],
              "eve's submission did not pass")
        r = eve[1].post("/v1/submissions/%d/appeal" % subs[0], {"reason": ""})
        check(r[0] == 400 and r[1]["field"] == "reason", "an appeal needs a reason")
        r = fin[1].post("/v1/submissions/%d/appeal" % subs[0], {"reason": "Not mine."})
        check(r[0] == 404, "an earner cannot appeal someone else's submission")
        ap = ok(eve[1].post("/v1/submissions/%d/appeal" % subs[0],
                            {"reason": "My criteria are in the second paragraph."}), 201)
        check(ap["state"] == "open", "eve appeals within the window, stating why")
        check(eve[1].post("/v1/submissions/%d/appeal" % subs[0], {"reason": "Again."})[0] == 409,
              "one appeal per submission")
        check(any(m["kind"] == "appeal" for m in ok(admin.get("/v1/notifications"))["items"]),
              "the issuer is told of the appeal")
        # Who reviewed eve's work: those whose scored assignments name it.
        trail = ok(admin.get("/v1/audit/submission/%d?limit=200" % subs[0]))
        actions = [(e["actor"], e["action"]) for e in trail["items"]]
        rev_of = {a for a, act in actions if act == "scored"}
        others = [r for r in cred.reviewers if r[0] not in rev_of]
        check(len(rev_of) == 2 and len(others) == 1, "two of the three reviewers reviewed it")
        r = admin.post("/v1/appeals/%d/assign" % ap["id"], {"master_id": sorted(rev_of)[0]})
        check(r[0] == 400 and r[1]["field"] == "master_id" and "did not" in r[1]["detail"],
              "the appeal cannot go to a reviewer who reviewed the submission")
        master = others[0]
        ap = ok(admin.post("/v1/appeals/%d/assign" % ap["id"], {"master_id": master[0]}))
        check(ap["state"] == "assigned" and ap["master_id"] == master[0]
              and any(m["kind"] == "appeal" for m in ok(master[1].get("/v1/notifications"))
                      ["items"]),
              "the issuer sends it to the third reviewer, who is told")
        r = cred.reviewers[0][1].post("/v1/appeals/%d/decide" % ap["id"], {"level": "pass"}) \
            if cred.reviewers[0][0] != master[0] else (404, None)
        check(r[0] == 404, "another reviewer cannot decide it")
        ap = ok(master[1].post("/v1/appeals/%d/decide" % ap["id"],
                               {"level": "pass", "note": "The criteria are there."}))
        s = ok(eve[1].get("/v1/submissions/%d" % subs[0]))
        check(ap["state"] == "overturned" and ap["level"] == "pass" and s["passed"]
              and s["level"] == "pass",
              "the master overturns the decision: the submission now passes")
        mails = [m for m in ok(eve[1].get("/v1/notifications"))["items"]
                 if m["kind"] == "outcome"]
        trail = [e["action"] for e in ok(admin.get("/v1/audit/submission/%d?limit=200" % subs[0]))["items"]]
        check(len(mails) == 2 and sum("Outcome: pass" in m["body"] for m in mails) == 1
              and all(a in trail for a in ("appealed", "appeal_assigned", "appeal_decided")),
              "the new outcome is told to eve and the appeal is audited step by step")
        ok(admin.post("/v1/test/clock", {"advance_seconds": 31 * 24 * 3600}))
        r = fin[1].post("/v1/submissions/%d/appeal" % subs[1], {"reason": "Late."})
        check(r[0] == 409 and "window" in r[1]["detail"],
              "after the 30-day window an appeal is refused, naming the window")

        # ---- 7. stacks ------------------------------------------------------------
        r = admin.post("/v1/stacks", {"id": "feedback-leader", "title": "Feedback Leader",
                                      "credentials": [CRED, "nonesuch"]})
        check(r[0] == 400 and r[1]["field"] == "credentials" and "nonesuch" in r[1]["detail"],
              "a stack of an unknown credential is refused naming it")
        ok(admin.post("/v1/stacks", {"id": "feedback-leader", "title": "Feedback Leader",
                                     "credentials": [CRED, "coaching-feedback"], "ceus": 0.5}),
           201)
        csid = ok(eapi.post("/v1/submissions", {"credential": "coaching-feedback", "elements": [
            {"id": "criteria", "text": words(rng, 40)},
            {"id": "reflection", "text": words(rng, 40)}]}), 201)["id"]
        Flow(n, coach_cred).review(csid, "pass", "Clear coaching moves.")
        mine = wait_for("the stack record", lambda: [
            s for s in ok(eapi.get("/v1/stacks"))["items"]
            if s["id"] == "feedback-leader" and "record" in s])
        rec = ok(eapi.get("/v1/credentials/%d?format=json" % mine[0]["record"]))
        check(rec.get("definition_id") == "feedback-leader" and rec.get("ceu_hundredths") == 50,
              "ana, holding both, is issued the stack credential as a signed record: %s"
              % {k: rec.get(k) for k in ("definition_id", "ceu_hundredths", "achieved_level")})
        incl = eapi.get("/v1/credentials/%d/inclusion" % mine[0]["record"])
        check(incl[0] == 200, "the stack record is in the transparency log (inclusion proof)")
        told = [m for m in ok(eapi.get("/v1/notifications"))["items"] if m["kind"] == "stack"]
        check(len(told) == 1 and "Feedback Leader" in told[0]["subject"],
              "ana is told she earned the stack credential")
        trail = ok(admin.get("/v1/audit/stack/feedback-leader"))["items"]
        check([e["action"] for e in trail].count("record_issued") == 1,
              "the stack record is audited, issued once")
        check(all("record" not in s for s in ok(eve[1].get("/v1/stacks"))["items"]),
              "eve, holding only feedback-cycles, has no stack credential")


if __name__ == "__main__":
    main()
