#!/usr/bin/python3
"""test_borrow_notice.py - the issuer's monitoring of a borrowed reviewer,
on two real nodes (docs/borrowing.md, "Borrowed review"): the credential
judges a reviewer after one review (min_sample 1) and sets aside anyone
whose agreement with the benchmarks falls below 0.9; its batches are seeded
with benchmark items written as real submissions. A lenient reviewer of the
lender scores everything far from the truth. The benchmark results the
issuer applies came from the batch it lent (read from its database); the
reviewer's agreement crosses the threshold, so the issuer takes her stand-in
out of its pool and sends the lender a signed review.notice, which the
lender shows to the reviewer (API and accordctl) and its admin, and her
certification there reads as set aside."""
import json
import sys

from accordtest import check, skip_unless_built
from borrow_util import ISSUER, LENDER, Pair, definition, wait_for
from quality import cert_state, notifications


def bench(level, k, name):
    """Benchmark content in the shape of a real submission (blind seeding)."""
    return json.dumps([{"id": "criteria", "text": "Criteria %s, example %d." % (name, k)},
                       {"id": "reflection", "text": "What students did, %d-%d." % (level, k)}])


def main():
    skip_unless_built()
    d = definition()
    d["review"]["batch_size"] = 3
    d["maintenance"]["benchmark_seed_rate"] = 0.9
    d["maintenance"]["second_master_rate"] = 0
    d["maintenance"]["min_sample"] = 1
    d["maintenance"]["thresholds"] = [
        {"measure": "benchmark_agreement", "min": 0.9, "actions": ["unavailable"]}]
    with Pair(d, bench_content=bench) as p:
        uid, api, tok, stand_in = p.borrowed_reviewer("rev-lenient")
        levels = d["scoring"]["levels"]
        for i in range(3):
            p.submit(p.earner("earner-%d" % i), "Criteria shown on slide %d." % i,
                     school="School %d" % i, district="District %d" % i)

        # She accepts what she is offered and scores it far from the truth,
        # benchmark items first (the test knows them; she cannot).
        # Monitoring runs after each decision: while she is still in the
        # pool and nothing is offered, another earner submits (bounded).
        benchmarks_scored = 0
        for k in range(8):
            if cert_state(p.A, p.ref, stand_in) != "certified":
                break
            open_ = lambda: [b for b in p.lent_in(api) if b["state"] in ("invited", "accepted")]
            try:
                invited = wait_for("an offer", open_, timeout=10)
            except AssertionError:
                p.submit(p.earner("earner-more-%d" % k), "Criteria revisited, round %d." % k,
                         school="School %d" % k, district="District %d" % k)
                continue
            for b in invited:
                if b["state"] == "invited":
                    check(api.post("/v1/borrowed/batches/%d/accept" % b["id"])[0] == 200,
                          "she accepts lent batch %d" % b["id"])
                wait_for("the acceptance at the issuer",
                         lambda: p.lent_out()[b["issuer_batch"]]["state"] == "accepted")
                shown = []
                for it in b["items"]:
                    r = api.get("/v1/borrowed/items/%d" % it["id"])
                    if r[0] == 200 and r[1]["state"] == "open":
                        content = json.dumps([{"id": e["id"], "text": e.get("text")}
                                              for e in r[1]["elements"]])
                        shown.append((p.cred.bench_truth.get(content), it["id"]))
                for truth, item in sorted(shown, key=lambda x: x[0] is None):
                    far = levels[-1] if truth is None or truth < len(levels) - 2 else levels[0]
                    benchmarks_scored += truth is not None
                    r = api.post("/v1/borrowed/items/%d/score" % item, {"level": far})
                    check(r[0] == 200, "she scores item %d %r: %s" % (item, far, r))
            wait_for("the results applied", lambda: all(
                v["state"] != "accepted" for v in p.lent_out().values()))
        state = wait_for("the issuer to set her stand-in aside", lambda: (
            lambda s: s if s != "certified" else None)(cert_state(p.A, p.ref, stand_in)))
        check(state == "unavailable" and benchmarks_scored >= 1,
              "after %d seeded benchmark(s) scored far from the truth the issuer takes the "
              "lender's reviewer out of its pool: %s" % (benchmarks_scored, state))

        db = p.issuer
        from_lent = db.db_rows(
            "SELECT COUNT(*) FROM borrow_items i JOIN assignments a ON a.id = i.assignment_id"
            " WHERE a.benchmark_id <> '' AND a.level >= 0 AND a.reviewer_id = ?",
            (stand_in,))[0][0]
        other = db.db_rows("SELECT COUNT(*) FROM assignments WHERE benchmark_id <> ''"
                           " AND level >= 0 AND id NOT IN (SELECT assignment_id FROM borrow_items)"
                           )[0][0]
        notices = [r[0] for r in db.db_rows(
            "SELECT peer FROM fed_outbox WHERE type = 'review.notice'")]
        check(from_lent == benchmarks_scored and other == 0,
              "the benchmark results the issuer judged her by came from the lent batches: "
              "%d of them, %d from elsewhere" % (from_lent, other))
        check(notices == [LENDER], "the issuer queued one review.notice, to her home node: %s"
              % notices)

        seen = wait_for("the notice at the lender", lambda: notifications(api, "notice"))
        check(ISSUER in seen[0]["subject"] and d["id"] in seen[0]["subject"],
              "the lender tells its reviewer that the issuer set her aside: %s" % seen[0])
        r = p.lender.ctl("submission", "notifications", token=tok, json_out=True)
        check(r.returncode == 0 and any(m["kind"] == "notice" for m in r.json["items"]),
              "accordctl shows her the notice: %s" % r.stderr)
        check(notifications(p.B, "notice"), "and the lender's admin is told")
        mine = wait_for("her certification at the lender to change", lambda: [
            c for c in api.get("/v1/remote-certifications")[1]["items"]
            if c["state"] != "certified"])
        check(mine[0]["state"] == "unavailable",
              "her certification by the issuer reads as set aside at the lender: %s" % mine[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
