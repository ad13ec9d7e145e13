"""test_catalog_recognition_data - the earner catalog and a recognizer's
workflow with a credential this node really made active and a record it
really issued, as a scenario a person can follow:

  1. "feedback-recog" (domain ELA, stack assessment-for-learning, 1 CEU) is
     authored, piloted, benchmarked and made active with two reviewers
     (tests/lib/lifecycle.py);
  2. a district (a recognizer) counts it for 1.5 CEUs, with its approval
     required; the earner's catalog lists it under its domain, its stack and
     the district's filter, and not under others;
  3. the earner asks the district's approval and gets it;
  4. the earner submits; its work waits for the 48-hour batch timer (the
     test clock crosses it); both reviewers score "pass"; the node issues a
     record for the pass;
  5. the earner exports it (accordctl credential export); the district
     verifies the bundle with accord-verify --json, presents it (accordctl
     recognize present; the node verifies it itself) and the teacher's total is 1.5 CEUs
     toward CEUs and the record's own 1 CEU toward the pay scale (a second
     policy naming this node by its node id);
  6. the issuer revokes the record; accord-verify --fetch sees it revoked;
     presented again, the node's own verification finds it invalid and the
     total drops to 0.
"""
import base64
import json
import os
import subprocess
import sys
import time

from accordtest import BUILD, Node, check, require_tool, skip, skip_unless_built
from lifecycle import active_credential, load_definition, new_user

skip_unless_built()
VERIFY = os.path.join(BUILD, "tools", "accord-verify")
if not os.access(VERIFY, os.X_OK):
    skip(VERIFY + " is not built")
require_tool("faketime")

CID = "feedback-recog"


def definition():
    d = load_definition()
    d["id"], d["title"] = CID, "Feedback Cycles (recognized)"
    d["reviewers"]["per_submission"] = 2
    d["reviewers"]["agreement"] = {"rule": "pass_boundary"}
    d["reviewers"]["disagreement"] = {"add_per_round": 1, "max_reviewers": 2,
                                      "then": "median", "median_rounding": "lower"}
    d["review"]["batch_size"] = 5   # one submission waits for the batch timer
    d["maintenance"] = {"benchmark_seed_rate": 0, "second_master_rate": 0,
                        "min_sample": 10, "thresholds": []}
    d["pool"] = {"submissions_per_period": 2, "assignments_per_reviewer": 10,
                 "period_days": 30}
    return d


def main():
    with Node(node_id="issuer.recog") as n:
        admin_token = n.init()
        n.start()
        cred = active_credential(n, admin_token, definition(), reviewers=2)
        admin = cred.admin
        rec_id, rec_api, rec = new_user(n, admin, "district", ["recognizer"])
        other_id, other_api, _ = new_user(n, admin, "state", ["recognizer"])
        e_id, e_api, earner = new_user(n, admin, "teacher", ["earner"])

        def ctl(token, *args):
            return n.ctl(*args, token=token, json_out=True)

        # ---- 2. the district's policy and the catalog ------------------------
        r = ctl(rec, "recognize", "policy-add", CID, "--purpose", "ceu", "--ceus", "1.5",
                "--requires-approval")
        check(r.returncode == 0 and r.json["ceus"] == 1.5 and r.json["requires_approval"]
              and r.json["issuer"] == n.url,
              "the district counts %s for 1.5 CEUs, approval required "
              "(accordctl recognize policy-add); the issuer defaults to this node's URL, "
              "the iss its records carry" % CID)
        policy = r.json["id"]
        r = ctl(rec, "recognize", "policy-add", CID, "--purpose", "pay_scale",
                "--issuer", "issuer.recog")
        check(r.returncode == 0 and r.json["ceus"] is None and r.json["issuer"] == n.url,
              "a pay-scale policy naming this node by its node id means the same issuer")
        pay_policy = r.json["id"]

        def catalog(*args):
            r = ctl(earner, "catalog", *args)
            assert r.returncode == 0, r.stderr
            return [(x["credential_id"], x["version"]) for x in r.json["items"]], r.json
        got, body = catalog()
        check(got == [(CID, 1)], "the catalog lists the active credential (and only it)")
        entry = body["items"][0]
        check(entry["domains"] == ["ELA"] and entry["stacks"] == ["assessment-for-learning"]
              and entry["ceus"] == 1.0,
              "its entry shows the definition's domain, stack and 1 CEU")
        check([(p["policy_id"], p["recognizer_id"], p["recognizer"], p["ceus"], p["requires_approval"])
               for p in entry["recognitions"]] == [(policy, rec_id, "district", 1.5, True),
                                                   (pay_policy, rec_id, "district", None, False)]
              and entry["issuer"] == n.url,
              "its entry lists the district's two policies by the district's name (CEU: 1.5, "
              "approval required; pay scale: the record's own CEUs)")
        check(catalog("--domain", "ELA")[0] == [(CID, 1)]
              and catalog("--domain", "math")[0] == [],
              "the domain filter keeps it under ELA and drops it under math")
        check(catalog("--stack", "assessment-for-learning")[0] == [(CID, 1)]
              and catalog("--stack", "classroom-management")[0] == [],
              "the stack filter keeps it under its stack and drops it under another")
        check(catalog("--recognizer", str(rec_id))[0] == [(CID, 1)]
              and catalog("--recognizer", str(other_id))[0] == [],
              "the recognizer filter keeps it for the district that counts it, not for "
              "another recognizer")

        # ---- 3. approval -------------------------------------------------------
        r = ctl(earner, "approval", "request", str(rec_id), CID, "--note", "for my lane change")
        check(r.returncode == 0 and r.json["state"] == "pending"
              and r.json["policy_id"] == policy,
              "the earner asks the district's approval (accordctl approval request)")
        approval = r.json["id"]
        r = ctl(earner, "approval", "request", str(other_id), CID)
        check(r.returncode == 1 and "no active policy" in r.stderr,
              "asking a recognizer that does not count the credential is refused")
        r = ctl(rec, "approval", "approve", str(approval), "--reason", "fits the plan")
        check(r.returncode == 0 and r.json["state"] == "approved",
              "the district approves (accordctl approval approve)")
        r = ctl(earner, "approval", "show", str(approval))
        check(r.returncode == 0 and r.json["state"] == "approved"
              and r.json["reason"] == "fits the plan",
              "the earner sees the approval and its reason")

        # ---- 4. submit, review, decide, issue ----------------------------------
        r = ctl(earner, "submission", "create", CID, "--text",
                "criteria=Shared criteria before the first draft.", "--text",
                "reflection=Students revised using one named next step.", "--domain", "ELA")
        assert r.returncode == 0, r.stderr
        sub = r.json["id"]
        time.sleep(1.3)
        invited = sum(b["state"] == "invited" for _, api, _ in cred.reviewers
                      for b in api.get("/v1/reviews/batches")[1]["items"])
        check(invited == 0, "a lone submission waits for a full batch or the batch timer")
        r = admin.post("/v1/test/clock", {"advance_seconds": 49 * 3600})
        assert r[0] == 200, r
        offset = 49 * 3600
        time.sleep(1.3)  # the scheduler polls its stored jobs every second
        scored = 0
        for _ in range(40):
            for uid, api, tok in cred.reviewers:
                for b in api.get("/v1/reviews/batches")[1]["items"]:
                    if b["state"] == "invited":
                        assert ctl(tok, "review", "accept", str(b["id"])).returncode == 0
                    for item in b["items"] if b["state"] in ("invited", "accepted") else []:
                        r = ctl(tok, "review", "score", str(item["assignment"]),
                                "--level", "pass")
                        scored += r.returncode == 0
            s = e_api.get("/v1/submissions/%d" % sub)[1]
            if s.get("record"):
                break
            time.sleep(0.25)
        check(scored == 2 and s["passed"] is True and s["level"] == "pass" and s.get("record"),
              "both reviewers scored pass; the submission passed and record %s was issued"
              % s.get("record"))
        record = s["record"]

        # ---- 5. export, verify, present ----------------------------------------
        out = os.path.join(n.tmp, "export")
        r = n.ctl("credential", "export", str(record), "--out", out, token=earner)
        check(r.returncode == 0, "the earner exports the record (accordctl credential export)")
        bundle = os.path.join(out, "credential-%d.bundle.cbor" % record)
        cose = os.path.join(out, "credential-%d.cose" % record)
        key = admin.get("/v1/node")[1]["public_key"]["x"]
        key_hex = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).hex()

        def verify(*args):
            """accord-verify --json with the issuer's key pinned; returns
            (exit code, first JSON line, path of the saved output). The node's
            test clock runs 49 hours ahead; faketime runs the verifier at the
            node's time, or the record's issue time would be in the future.
            libfaketime is preloaded before an ASan build's runtime, which ASan
            would otherwise refuse. Exactly the node's time, no more: the
            status snapshot's age is then the real time since the export,
            where 60 s added here made it pass its 60 s ttl as soon as the
            export took a second on a loaded machine (a flaky run)."""
            env = dict(os.environ, ASAN_OPTIONS="verify_asan_link_order=0")
            v = subprocess.run(["faketime", "-f", "+%d" % offset, VERIFY, "--key",
                                key_hex, "--json"] + list(args),
                               capture_output=True, text=True, timeout=60, env=env)
            path = os.path.join(n.tmp, "verification-%d.json" % len(os.listdir(n.tmp)))
            with open(path, "w") as f:
                f.write(v.stdout)
            first = json.loads(v.stdout.splitlines()[0]) if v.stdout.strip() else {}
            return v.returncode, first, path
        code, v1, _ = verify(bundle)
        checks = {c["check"]: c["result"] for c in v1.get("checks", [])}
        check(code == 0 and v1.get("verdict") == "valid" and checks.get("status") == "pass",
              "accord-verify --json finds the exported bundle valid, status good "
              "(by its signed snapshot)%s" % ("" if code == 0 else ": %s" % v1))
        # The district's node verifies it itself (asking this node, the
        # issuer, for its keys, log and status): no verdict is sent.
        # The CEU policy requires approval: the presentation names the
        # teacher's earner account, whose approval came before the record.
        r = ctl(rec, "recognize", "present", "t-1042", bundle, "--bundle", "--earner", str(e_id))
        check(r.returncode == 0 and r.json["verdict"] == "valid"
              and r.json["credential_id"] == CID and r.json["ceus"] == 1.0,
              "the district records the presentation (accordctl recognize present): valid, "
              "the record's own 1 CEU%s" % ("" if r.returncode == 0 else ": " + r.stderr))
        presentation = r.json["id"]
        # The policy gives 1.5 CEUs for the credential (not the record's 1.0).
        # The pay-scale policy names no CEUs: the record's own 1.0 counts.
        r = ctl(rec, "recognize", "total", "t-1042")
        check(r.returncode == 0 and r.json["totals"] ==
              {"ceu": 1.5, "pay_scale": 1.0, "relicensure": 0.0}
              and sorted((c["policy_id"], c["credential_id"], c["ceus"])
                         for c in r.json["credentials"])
              == [(policy, CID, 1.5), (pay_policy, CID, 1.0)],
              "the teacher's recognized total is the CEU policy's 1.5 and the record's own "
              "1 toward the pay scale (%s)" % (r.json["totals"] if r.json else r.stderr))
        r = other_api.get("/v1/recognition/teachers/t-1042/total")
        check(r[0] == 200 and r[1]["totals"]["ceu"] == 0.0,
              "another recognizer's total for the teacher stays 0")

        # ---- 6. revoke, re-verify with --fetch, re-present ---------------------
        r = n.ctl("credential", "revoke", str(record), "--reason", "evidence was not the "
                  "teacher's own", token=admin_token)
        check(r.returncode == 0, "the issuer revokes the record (accordctl credential revoke)")
        code, v2, _ = verify("--fetch", cose)
        checks = {c["check"]: (c["result"], c.get("reason", "")) for c in v2.get("checks", [])}
        check(code == 1 and v2.get("verdict") == "invalid"
              and checks.get("status", ("", ""))[0] == "fail"
              and "REVOKED" in checks["status"][1].upper(),
              "accord-verify --fetch now finds it revoked: %s" % (checks.get("status"),))
        r = ctl(rec, "recognize", "present", "t-1042", cose, "--email", "teacher@district.example")
        check(r.returncode == 0 and r.json["id"] == presentation
              and r.json["verdict"] == "invalid",
              "presenting the bare record again re-verifies the same presentation: invalid")
        r = ctl(rec, "recognize", "total", "t-1042")
        check(r.returncode == 0 and r.json["totals"] ==
              {"ceu": 0.0, "pay_scale": 0.0, "relicensure": 0.0}
              and r.json["credentials"] == [],
              "the revoked record no longer counts: the total drops to 0")
        cred.close()
        for api in (admin, rec_api, other_api, e_api):
            api.close()
        status = n.stop()
        check(status == 0, "the node stops cleanly (exit %s; an ASan build exits non-zero on a "
                           "leak or memory error)" % status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
