"""test_quality_second_master - second-master checks (issue 12, item 7):
a master-mode credential with second_master_rate 1.0 and two masters free.

  1. each of two submissions goes to both masters (each wants two reviews);
  2. on the first the masters agree: it is decided as usual;
  3. on the second they disagree: the issuer gets an escalation flag naming
     the second-master check and both levels, and decides it;
  4. the disagreement counts in both masters' monitoring (agreement with
     consensus below 0.9 after two reviews flags each of them), though the
     issuer's decision matched one of them."""
from accordtest import Node, check, skip_unless_built
from lifecycle import active_credential
from quality import Earners, eventually, fast_definition, flags, ok, work

skip_unless_built()


def main():
    with Node(node_id="quality.masters") as n:
        token = n.init()
        n.start()
        d = fast_definition("two-masters", second_master_rate=1.0, min_sample=2,
                            thresholds=[{"measure": "consensus_agreement", "min": 0.9,
                                         "actions": ["notify"]}])
        d["reviewers"]["mode"] = "master"
        d["reviewers"]["per_submission"] = 1
        d["pool"]["open_assignments_max"] = 5
        cred = active_credential(n, token, d, reviewers=2)
        admin = cred.admin
        (a_id, _, _), (b_id, _, _) = cred.reviewers
        earners = Earners(n, admin)
        (agreed, e1), (split, e2) = earners.submit("two-masters", 2)
        split_text = ok(e2.get("/v1/submissions/%d" % split))["elements"][0]["text"]

        def level_of(uid, a):
            if uid == b_id and a["elements"][0]["text"] == split_text:
                return "not yet"
            return "pass"

        scored = work(cred.reviewers, level_of, admin=cred.admin)
        check(scored == {a_id: 2, b_id: 2},
              "with the rate at 1.0 and two masters free, both masters review both: %s" % scored)
        s1 = ok(e1.get("/v1/submissions/%d" % agreed))
        check(s1["reviews_wanted"] == 2 and s1["state"] in ("decided", "notified")
              and s1["level"] == "pass", "where the masters agree the submission is decided")
        s2 = ok(e2.get("/v1/submissions/%d" % split))
        esc = [f for f in flags(admin, "escalation") if f.get("submission") == split]
        check(s2["state"] == "escalated" and len(esc) == 1
              and "second-master check" in esc[0]["detail"]["reason"]
              and '"pass"' in esc[0]["detail"]["reason"]
              and '"not yet"' in esc[0]["detail"]["reason"],
              "a disagreement between the masters raises a flag naming both levels")
        ok(admin.post("/v1/flags/%d/resolve" % esc[0]["id"], {"action": "decide", "level": "pass"}))
        check(not flags(admin, "no_reviewer"),
              "a master busy for a moment is waited for, not reported missing")
        mon = eventually(lambda: {f.get("reviewer") for f in flags(admin, "reviewer_monitor")}
                         >= {a_id, b_id} and flags(admin, "reviewer_monitor"))
        check({f.get("reviewer") for f in mon or []} == {a_id, b_id},
              "the disagreement counts in both masters' monitoring")
        cred.close()
    print("ok - done")


if __name__ == "__main__":
    main()
