"""test_analytics_data - the issuer's analytics on a credential with real
reviews and decisions, checked against figures computed by hand.

A credential with a pool of three certified reviewers (tests/lib/lifecycle.py)
takes six submissions in two phases, each reviewed by exactly two reviewers;
which two is forced by reviewer availability, so every figure is known in
advance:

  phase A (R3 away):  S1..S3 reviewed by R1 and R2, decided 2 days after
                      submission;
  8 days later, phase B (R2 away, R3 back): S4..S6 reviewed by R1 and R3,
                      decided 4 days after submission.

R3 is the lenient reviewer: "high pass" for everything. Agreement is
pass_boundary with two reviewers per submission and no third one
(max_reviewers 2, then the lower median), so the decided level is always the
lower of the two (docs/definitions.md "Median rounding"). Levels are indexes
on not yet (0), almost there (1), pass (2), high pass (3); passing is 2.

    sub  R1 R2 R3  agree?              decided      pass
    S1   2  2  -   both pass           2            yes
    S2   0  1  -   both fail           0            no
    S3   3  2  -   both pass           2            yes
    S4   2  -  3   both pass           2            yes
    S5   0  -  3   split, at maximum   0 (lower)    no
    S6   1  -  3   split, at maximum   1 (lower)    no

The node's answers (JSON, CSV, per reviewer, accordctl, and the two SVG
charts) are checked against the arithmetic in the comments below.
"""
import csv
import io
import math
import os
import random
import sys
import time
import xml.etree.ElementTree as ET

from accordtest import Node, check, skip_unless_built
from lifecycle import active_credential, load_definition, new_user

skip_unless_built()

DAY = 86400
SVG = "{http://www.w3.org/2000/svg}"
LEVELS = ["not yet", "almost there", "pass", "high pass"]
# Submission index -> {reviewer index: level index}; reviewers 0, 1, 2 are
# R1, R2, R3 in the module docstring.
PLAN = {0: {0: 2, 1: 2}, 1: {0: 0, 1: 1}, 2: {0: 3, 1: 2},
        3: {0: 2, 2: 3}, 4: {0: 0, 2: 3}, 5: {0: 1, 2: 3}}
PHASE_A, PHASE_B = (0, 1, 2), (3, 4, 5)
ADVANCE_A, GAP, ADVANCE_B = 2 * DAY, 8 * DAY, 4 * DAY
CID = "feedback-cycles-in-writing-analytics-k12"


def definition():
    d = load_definition()
    # An id longer than 31 bytes: the CSV once cut text fields there.
    d["id"], d["title"] = CID, "Feedback Cycles (analytics)"
    d["reviewers"]["per_submission"] = 2
    d["reviewers"]["agreement"] = {"rule": "pass_boundary"}
    d["reviewers"]["disagreement"] = {"add_per_round": 1, "max_reviewers": 2,
                                      "then": "median", "median_rounding": "lower"}
    d["review"]["batch_size"] = 3
    # No blind benchmark items (every review is of a real submission), and
    # no monitoring action that would take the lenient reviewer out.
    d["maintenance"] = {"benchmark_seed_rate": 0, "second_master_rate": 0,
                        "min_sample": 3, "thresholds": []}
    d["pool"] = {"submissions_per_period": 3, "assignments_per_reviewer": 10,
                 "period_days": 30}
    return d


def near(a, b, tol=1e-4):
    return a is not None and b is not None and abs(float(a) - float(b)) <= tol


def main():
    with Node(node_id="issuer.analytics") as n:
        admin_token = n.init()
        n.start()
        cred = active_credential(n, admin_token, definition(), reviewers=3)
        admin = cred.admin
        revs = cred.reviewers
        cid = CID
        base = "/v1/analytics/credentials/" + cid
        rng = random.Random(7)
        syl = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo"]

        def words(k):
            return " ".join("".join(rng.choice(syl) for _ in range(3)) for _ in range(k))

        def advance(seconds):
            r = admin.post("/v1/test/clock", {"advance_seconds": seconds})
            assert r[0] == 200, r
            n.wait_settled(admin)  # what came due has run

        def availability(i, on):
            r = n.ctl("review", "availability", "on" if on else "off", token=revs[i][2])
            assert r.returncode == 0, r.stderr

        texts = [words(40) for _ in range(6)]
        sub_of_text = {}
        sub_ids = []

        def submit(i):
            uid, api, tok = new_user(n, admin, "earner%d" % i, ["earner"])
            r = n.ctl("submission", "create", cid, "--text", "criteria=" + texts[i],
                      "--text", "reflection=" + words(40), token=tok, json_out=True)
            assert r.returncode == 0, r.stderr
            sub_of_text[texts[i]] = i
            sub_ids.append(r.json["id"])
            api.close()

        def review(who):
            """Reviewers |who| accept their invitations and score as PLAN says;
            returns the submission indexes each scored."""
            seen = {}
            for ri in who:
                uid, api, tok = revs[ri]
                for b in api.get("/v1/reviews/batches")[1]["items"]:
                    if b["state"] == "invited":
                        r = n.ctl("review", "accept", str(b["id"]), token=tok)
                        assert r.returncode == 0, r.stderr
                for b in api.get("/v1/reviews/batches")[1]["items"]:
                    for item in b["items"]:
                        if item["state"] != "accepted":
                            continue
                        r = n.ctl("review", "show", str(item["assignment"]), token=tok,
                                  json_out=True)
                        assert r.returncode == 0, r.stderr
                        i = sub_of_text[r.json["elements"][0]["text"]]
                        r = n.ctl("review", "score", str(item["assignment"]), "--level",
                                  LEVELS[PLAN[i][ri]], token=tok)
                        assert r.returncode == 0, r.stderr
                        seen.setdefault(ri, []).append(i)
            return {k: sorted(v) for k, v in seen.items()}

        wall0 = time.monotonic()
        # ---- phase A: R3 away; S1..S3 go to R1 and R2 -----------------------
        availability(2, False)
        for i in PHASE_A:
            submit(i)
        n.wait_settled(admin)  # the screen and assign jobs
        advance(ADVANCE_A)
        done = review((0, 1, 2))
        check(done == {0: [0, 1, 2], 1: [0, 1, 2]},
              "phase A: R1 and R2 each reviewed S1..S3; R3 (away) nothing")

        # ---- phase B, 8 days later: R2 away, R3 back ------------------------
        advance(GAP)
        availability(1, False)
        availability(2, True)
        for i in PHASE_B:
            submit(i)
        n.wait_settled(admin)
        for ri in (0, 2):
            for b in revs[ri][1].get("/v1/reviews/batches")[1]["items"]:
                if b["state"] == "invited":
                    r = n.ctl("review", "accept", str(b["id"]), token=revs[ri][2])
                    assert r.returncode == 0, r.stderr

        # Midway: S4..S6 are accepted by R1 and R3 but not scored.
        # backlog = 3 undecided submissions; capacity = certified (3) x
        # assignments_per_reviewer (10) / per_submission (2) = 15 per period;
        # backlog_periods = 3 / 15 = 0.2; open assignments = 3 x 2 = 6.
        r = admin.get(base)
        j = r[1]
        check(r[0] == 200 and j["submissions"] == 6 and j["decided"] == 3
              and j["backlog"] == 3 and j["open_assignments"] == 6
              and j["certified_reviewers"] == 3 and near(j["capacity_per_period"], 15)
              and near(j["backlog_periods"], 0.2),
              "midway: backlog 3 against a capacity of 15 per period (0.2 periods), "
              "6 open assignments")
        r = admin.get(base + "/reviewers")
        load = {x["reviewer_id"]: (x["open"], x["done"]) for x in r[1]["items"]}
        ids = [rv[0] for rv in revs]
        check(load == {ids[0]: (3, 3), ids[1]: (0, 3), ids[2]: (3, 0)},
              "midway load (open, done): R1 (3, 3), R2 (0, 3), R3 (3, 0)")

        advance(ADVANCE_B)
        done = review((0, 2))
        check(done == {0: [3, 4, 5], 2: [3, 4, 5]},
              "phase B: R1 and R3 each reviewed S4..S6")
        wall = time.monotonic() - wall0
        availability(1, True)

        subs = {s["id"]: s for s in admin.get("/v1/submissions?limit=100")[1]["items"]}
        got = [(subs[s]["level"], subs[s]["passed"]) for s in sub_ids]
        check(got == [("pass", True), ("not yet", False), ("pass", True),
                      ("pass", True), ("not yet", False), ("almost there", False)],
              "the six decisions are the lower of each pair: pass, not yet, pass, pass, "
              "not yet, almost there")

        # ---- per credential, JSON -------------------------------------------
        r = admin.get(base)
        j = r[1]
        check(r[0] == 200 and j["submissions"] == 6 and j["decided"] == 6 and j["passed"] == 3
              and near(j["pass_rate"], 0.5) and j["backlog"] == 0
              and j["open_assignments"] == 0 and j["escalated"] == 0 and j["flagged"] == 0,
              "volume 6, decided 6, passed 3 (S1, S3, S4): pass rate 3/6 = 0.5, backlog 0")
        # Days to decision: S1..S3 took 2 days plus the seconds the test took,
        # S4..S6 4 days plus those seconds. mean = (3x2 + 3x4)/6 = 3; the
        # median of {2,2,2,4,4,4} is (2 + 4)/2 = 3. Each is at least 3 days
        # and at most 3 days + the wall time of the whole run.
        slack = wall / DAY
        check(3 <= j["mean_days_to_decision"] <= 3 + slack,
              "mean days to decision is 3 (%.5f)" % j["mean_days_to_decision"])
        check(3 <= j["median_days_to_decision"] <= 3 + slack,
              "median days to decision is 3, the mean of the middle two (%.5f)"
              % j["median_days_to_decision"])
        # Discrepancies: reviews more than 1 level from the decided level.
        # S5: R3 3 vs 0 (3 off); S6: R3 3 vs 1 (2 off); all others 0 or 1 off.
        # 2 of 12 reviews = 1/6.
        check(j["reviews"] == 12 and j["discrepancies"] == 2
              and near(j["discrepancy_rate"], 1 / 6),
              "discrepancy rate 2/12 = 0.1667 (R3 on S5 and S6)")
        ag = j["agreement"]
        # Exact: one pair per submission; only S1 (2,2) agrees: 1/6.
        # Adjacent (within 1): S1, S2 (0,1), S3 (3,2), S4 (2,3): 4/6.
        check(near(ag["exact"]["value"], 1 / 6) and ag["exact"]["items"] == 6,
              "exact agreement 1/6 over 6 submissions")
        check(near(ag["adjacent"]["value"], 4 / 6), "adjacent agreement 4/6")
        # Fleiss (1971): P-bar = 1/6; category shares over 12 ratings:
        # 0: 2, 1: 2, 2: 4, 3: 4 -> Pe = (1+1+4+4)/36 = 10/36;
        # kappa = (1/6 - 10/36)/(1 - 10/36) = (6-10)/26 = -2/13 = -0.153846.
        check(near(ag["fleiss_kappa"]["value"], -2 / 13), "Fleiss' kappa -2/13")
        # Krippendorff (2011), ordinal: n_c = 2, 2, 4, 4 (n = 12);
        # delta(c,k) = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2:
        # d01=4 d02=25 d03=81 d12=9 d13=49 d23=16.
        # Observed coincidences (both orders): (0,1) x1, (2,3) x2, (0,3) x1,
        # (1,3) x1 -> sum o*d = 2(4 + 2x16 + 81 + 49) = 332.
        # Expected: 2 * sum_{c<k} n_c n_k d = 2(16+200+648+72+392+256) = 3168.
        # alpha = 1 - (n-1) * 332/3168 = 1 - 3652/3168 = -11/72 = -0.152778.
        check(near(ag["krippendorff_alpha_ordinal"]["value"], -11 / 72),
              "Krippendorff's ordinal alpha -11/72")
        # Gwet (2008) AC1: Pa = 1/6; pi = 1/6, 1/6, 1/3, 1/3;
        # Pe = sum pi(1-pi)/(q-1) = (5/36+5/36+8/36+8/36)/3 = 13/54;
        # AC1 = (1/6 - 13/54)/(1 - 13/54) = -4/41 = -0.097561.
        check(near(ag["gwet_ac1"]["value"], -4 / 41), "Gwet's AC1 -4/41")

        # ---- per credential, CSV --------------------------------------------
        raw = admin.client.get(n.url + base + "?format=csv",
                               headers={"authorization": "Bearer " + admin_token})
        rows = list(csv.DictReader(io.StringIO(raw.text)))
        row = rows[0] if rows else {}
        check(raw.status_code == 200 and len(rows) == 1 and row["credential_id"] == cid
              and row["submissions"] == "6" and row["decided"] == "6" and row["passed"] == "3"
              and near(row["pass_rate"], 0.5) and near(row["discrepancy_rate"], 1 / 6)
              and near(row["exact_agreement"], 1 / 6)
              and near(row["adjacent_agreement"], 4 / 6)
              and near(row["fleiss_kappa"], -2 / 13)
              and near(row["krippendorff_alpha_ordinal"], -11 / 72)
              and near(row["gwet_ac1"], -4 / 41) and row["backlog"] == "0"
              and near(row["capacity_per_period"], 15)
              and 3 <= float(row["median_days_to_decision"]) <= 3 + slack,
              "the CSV row (parsed with Python's csv) carries the same figures")

        # ---- per reviewer ----------------------------------------------------
        # Deviation = level - decided level.
        # R1: S1..S6 levels 2,0,3,2,0,1 vs 2,0,2,2,0,1 -> devs 0,0,1,0,0,0:
        #     mean 1/6, exact with consensus 5/6, done 6.
        # R2: S1..S3 2,1,2 vs 2,0,2 -> 0,1,0: mean 1/3, agreement 2/3, done 3.
        # R3: S4..S6 3,3,3 vs 2,0,1 -> 1,3,2: mean 2, agreement 0/3, done 3.
        # Severity (population SD over the three judged reviewers, min_sample 3):
        # pool mean = (1/6 + 1/3 + 2)/3 = 5/6; deviations from it -2/3, -1/2, 7/6;
        # variance = (16 + 9 + 49)/36/3 = 37/54; SD = sqrt(37/54) = 0.827759;
        # z = -0.805387, -0.604040, +1.409428: R3, the lenient one, is positive.
        sd = math.sqrt(37 / 54)
        want = {ids[0]: (6, 5 / 6, 1 / 6, (1 / 6 - 5 / 6) / sd),
                ids[1]: (3, 2 / 3, 1 / 3, (1 / 3 - 5 / 6) / sd),
                ids[2]: (3, 0.0, 2.0, (2 - 5 / 6) / sd)}
        r = admin.get(base + "/reviewers")
        items = {x["reviewer_id"]: x for x in r[1]["items"]}
        check(sorted(items) == sorted(ids), "every reviewer of the pool is listed")
        for k, uid in enumerate(ids):
            x = items[uid]
            d, agree, dev, z = want[uid]
            check(x["open"] == 0 and x["done"] == d and x["declined_or_expired"] == 0
                  and near(x["consensus_agreement"], agree)
                  and x["benchmark_agreement"] is None
                  and near(x["mean_deviation"], dev) and near(x["severity_z"], z)
                  and x["trend_drop"] is None and x["judged"] is True,
                  "R%d: done %d, agreement with consensus %.4f, mean deviation %+.4f, "
                  "severity z %+.4f" % (k + 1, d, agree, dev, z))
        # Each reviewer reads their own row, the same figures, and no one else's.
        for k, (uid, api, _) in enumerate(revs):
            r = api.get(base + "/reviewers/me")
            check(r[0] == 200 and r[1]["reviewer"] == items[uid] and r[1]["credential_id"] == cid,
                  "R%d reads their own agreement and severity, as the issuer sees them" % (k + 1))
        st, e = admin.post("/v1/users", {"name": "earner-stats", "roles": ["earner"]})
        tok = admin.post("/v1/users/%d/tokens" % e["id"], {"label": "t"})[1]["token"]
        r = admin.client.get(n.url + base + "/reviewers/me", headers={"authorization": "Bearer " + tok})
        check(r.status_code == 403, "someone without the reviewer role cannot read a reviewer's row")
        check(items[ids[2]]["severity_z"] > 0 and items[ids[0]]["severity_z"] < 0
              and items[ids[1]]["severity_z"] < 0,
              "the lenient reviewer alone has a positive severity")
        raw = admin.client.get(n.url + base + "/reviewers?format=csv",
                               headers={"authorization": "Bearer " + admin_token})
        rows = {int(x["reviewer_id"]): x for x in csv.DictReader(io.StringIO(raw.text))}
        check(raw.status_code == 200 and sorted(rows) == sorted(ids)
              and all(rows[u]["done"] == str(want[u][0])
                      and near(rows[u]["severity_z"], want[u][3])
                      and near(rows[u]["consensus_agreement"], want[u][1])
                      and rows[u]["trend_drop"] == "" for u in ids),
              "the reviewers CSV has one row per reviewer with the same figures")

        # ---- accordctl --------------------------------------------------------
        c = n.ctl("analytics", "credential", cid, token=admin_token, json_out=True)
        check(c.returncode == 0 and c.json["passed"] == 3 and near(c.json["pass_rate"], 0.5)
              and near(c.json["discrepancy_rate"], 1 / 6),
              "accordctl analytics credential --json prints the same figures")
        c = n.ctl("analytics", "reviewers", cid, token=admin_token)
        lines = [ln.split() for ln in c.stdout.splitlines()[1:] if ln.strip()]
        by_id = {int(x[0]): x for x in lines if x[0].isdigit()}
        check(c.returncode == 0 and sorted(by_id) == sorted(ids)
              and [by_id[u][2] for u in ids] == ["6", "3", "3"],
              "accordctl analytics reviewers prints a table: DONE 6, 3, 3")

        # ---- charts -------------------------------------------------------------
        auth = {"authorization": "Bearer " + admin_token}
        raw = admin.client.get(n.url + base + "/severity.svg", headers=auth)
        root = ET.fromstring(raw.content)
        bars = [(e.find(SVG + "title").text) for e in root.iter(SVG + "rect")
                if e.get("class") == "bar"]
        # Bins of 0.5 on whole multiples: z = -0.81, -0.60 fall in [-1, -0.5),
        # 1.41 in [1, 1.5); the chart spans floor(-0.81/0.5) = -2 to
        # floor(1.41/0.5) = 2, five bins with counts 2, 0, 0, 0, 1.
        counts = [int(t.rsplit(":", 1)[1]) for t in bars]
        check(raw.status_code == 200 and counts == [2, 0, 0, 0, 1]
              and bars[0].startswith("-1 to -0.5") and bars[-1].startswith("1 to 1.5"),
              "severity.svg parses and has five bins of 0.5 from -1 to 1.5: %s" % bars)
        raw = admin.client.get(n.url + base + "/agreement.svg", headers=auth)
        root = ET.fromstring(raw.content)
        points = [e.find(SVG + "title").text for e in root.iter(SVG + "circle")
                  if e.get("class") == "point"]
        exact = [float(t.rsplit(":", 1)[1]) for t in points if t.startswith("exact")]
        alpha = [float(t.rsplit(":", 1)[1]) for t in points if t.startswith("Krippendorff")]
        # The phases were decided 12 days apart, so in two different weeks.
        # Week A: S1 (2,2), S2 (0,1), S3 (3,2): exact 1/3. Ordinal alpha:
        # n_c = 1,1,3,1 (n = 6); sum o*d = 2(d01 + d23) = 2(1 + 4) = 10;
        # expected 2(1 + 27 + 25 + 12 + 16 + 12) = 186; 1 - 5x10/186 = 0.731183.
        # Week B: S4 (2,3), S5 (0,3), S6 (1,3): exact 0. n_c = 1,1,1,3;
        # sum o*d = 2(d23 + d03 + d13) = 2(4 + 16 + 9) = 58; expected 186;
        # 1 - 5x58/186 = -0.559140.
        check(raw.status_code == 200 and len(points) == 4
              and [round(v, 3) for v in exact] == [0.333, 0.0]
              and [round(v, 3) for v in alpha] == [0.731, -0.559],
              "agreement.svg parses and has one point per week per series: exact "
              "%s, alpha %s" % (exact, alpha))
        cred.close()
        admin.close()
        status = n.stop()
        check(status == 0, "the node stops cleanly (exit %s; an ASan build exits non-zero on a "
                           "leak or memory error)" % status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
