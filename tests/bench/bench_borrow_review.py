#!/usr/bin/python3
"""bench_borrow_review.py - cross-node review throughput on loopback, measured,
never asserted (issue 11, docs/borrowing.md):

An issuer and two lenders (real accord-node processes, pinned to each other:
each lender grants the issuer "submit" and "certify", the issuer grants each
"lend"). The issuer holds two active credentials built from the same sample
definition, one reviewer per submission, batches of one:
- "borrowed": no reviewers of its own; REVIEWERS reviewers of each lender
  certified for it through cross-node certification (tests/lib/remote_cert.py);
- "local": REVIEWERS x 2 reviewers of the issuer itself (the anchor).

Each round, N submissions go to each credential (the issuer assigns them
as they come: a reviewer holds one batch at a time, so each reviewer works
through its share batch after batch). Then, timed, in an order alternating
per round, each reviewer works as fast as its node lets it (one thread per
reviewer: list its batches, accept each invitation, score each open item,
again):
- subject: the lenders' reviewers on their own nodes (the offer, the
  acceptance and the result each a signed federation message); timed until
  the issuer has applied every result (its lent-out batches all "done": the
  result went through its scoring service, decided and issued the record);
- anchor: the local reviewers on the issuer; timed until the last score is
  answered (applied in that request).
The figure is results applied per second at the issuer, borrowed against
local, per round and the median of the rounds (target >= 0.5).

Usage: bench_borrow_review.py [N] [ROUNDS] (defaults 40 and 3; N x ROUNDS
at most 200, the longest page the batch lists serve); ACCORD_BUILD names
the build."""
import copy
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))

from accordtest import Api, Node
from borrow_util import definition, wait_for
from federation_util import append_config, node_public_key
from lifecycle import active_credential, new_user
from remote_cert import certify_across

ISSUER = "issuer.example"
LENDERS = ("lender-one.example", "lender-two.example")
REVIEWERS = 2  # per lender; the anchor has twice as many, all on the issuer


def bench_definition(local):
    d = copy.deepcopy(definition())
    # Room for every round's work: no reviewer reaches a cap mid-run.
    d["pool"]["assignments_per_reviewer"] = 1000
    d["pool"]["submissions_per_period"] = 1000
    if local:
        d["id"] = d["id"] + "-local"
    return d


def ok(r, code=200):
    assert r[0] == code, r
    return r[1]


def submit(earner_api, cred_id, text):
    return ok(earner_api.post("/v1/submissions", {
        "credential": cred_id, "domain": "ELA", "school": "Earner School",
        "district": "Earner District",
        "elements": [{"id": "criteria", "text": text},
                     {"id": "reflection", "text": text + " (reflection)"}]}), 201)["id"]


def lent_out(A):
    return {b["batch"]: b for b in ok(A.get("/v1/federation/borrowed?limit=200"))["items"]}


def done_from(A, peer):
    return sum(1 for b in lent_out(A).values() if b["peer"] == peer and b["state"] == "done")


def reviewer_loop(api, lent, stop, scored):
    """One reviewer working as fast as the node lets them: accepts each
    batch it is invited to, scores each open item, until |stop| is set.
    |lent|: a lender's reviewer (the borrowed routes); else a local one.
    Appends one entry to |scored| per score answered."""
    batches = "/v1/borrowed/batches?limit=200" if lent else "/v1/reviews/batches?limit=200"
    accept = "/v1/borrowed/batches/%d/accept" if lent else "/v1/reviews/batches/%d/accept"
    score = "/v1/borrowed/items/%d/score" if lent else "/v1/reviews/assignments/%d/score"
    while not stop.is_set():
        did = False
        for b in ok(api.get(batches))["items"]:
            if b["state"] == "invited":
                ok(api.post(accept % b["id"]))
                did = True
            elif b["state"] == "accepted":
                for it in b["items"]:
                    if it["state"] == ("open" if lent else "accepted"):
                        ok(api.post(score % (it["id"] if lent else it["assignment"]),
                                    {"level": "pass"}))
                        scored.append(1)
                        did = True
        if not did:
            time.sleep(0.01)


def timed(apis, lent, done):
    """Runs one thread per reviewer in |apis| until done(scored) is true;
    returns the seconds taken."""
    stop, scored, errors = threading.Event(), [], []

    def work(api):
        try:
            reviewer_loop(api, lent, stop, scored)
        except Exception as e:  # noqa: BLE001 - reported after the join
            errors.append(e)
            stop.set()
    ts = [threading.Thread(target=work, args=(api,)) for api in apis]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    try:
        wait_for("the round's results applied", lambda: stop.is_set() or done(scored),
                 timeout=600, every=0.02)
        took = time.perf_counter() - t0
    finally:
        stop.set()
        for t in ts:
            t.join()
    assert not errors, errors
    return took


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    assert n * rounds <= 200, "N x ROUNDS must be at most 200"
    nodes = [Node(node_id=ISSUER)] + [Node(node_id=x) for x in LENDERS]
    for x in nodes:
        x.__enter__()
    try:
        issuer, lenders = nodes[0], nodes[1:]
        toks = [x.init() for x in nodes]
        for x in nodes:
            x.start()
        keys = [node_public_key(x) for x in nodes]
        for x in nodes:
            x.stop()
        for i, l in enumerate(lenders):
            append_config(issuer, "[peer %s]\nurl = %s\nkey = %s\nrights = lend\n"
                          % (l.node_id, l.url, keys[i + 1].hex()))
            append_config(l, "[peer %s]\nurl = %s\nkey = %s\nrights = submit,certify\n"
                          % (ISSUER, issuer.url, keys[0].hex()))
        for x in nodes:
            x.start()
        A = Api(issuer, toks[0])
        dl, db = bench_definition(True), bench_definition(False)
        local = active_credential(issuer, toks[0], dl, reviewers=REVIEWERS * 2)
        borrowed = active_credential(issuer, toks[0], db, reviewers=0)
        lender_apis = []
        for i, l in enumerate(lenders):
            L = Api(l, toks[i + 1])
            ok(L.put("/v1/federation/lending/%s/%s" % (ISSUER, db["id"]),
                     {"reviewers": "all", "monthly_cap": 10000}))
            L.close()
            lender_apis.append([certify_across(issuer, toks[0], l, toks[i + 1], borrowed, db,
                                               "rev%d-%d" % (i, k), school="Lender School %d" % i,
                                               district="Lender District %d" % i).api
                                for k in range(REVIEWERS)])
        _, earner, _ = new_user(issuer, A, "earner-bench", ["earner"])
        local_apis = [api for _, api, _ in local.reviewers]
        results = []
        for r in range(rounds):
            before_done = sum(1 for b in lent_out(A).values() if b["state"] == "done")
            done_before = [done_from(A, l.node_id) for l in lenders]
            for k in range(n):
                submit(earner, db["id"], "Borrowed round %d item %d." % (r, k))
                submit(earner, dl["id"], "Local round %d item %d." % (r, k))

            def borrowed_run():
                return timed([api for apis in lender_apis for api in apis], True,
                             lambda scored: sum(1 for b in lent_out(A).values()
                                                if b["state"] == "done") >= before_done + n)

            def local_run():
                return timed(local_apis, False, lambda scored: len(scored) >= n)

            if r % 2:
                tb = borrowed_run()
                tl = local_run()
            else:
                tl = local_run()
                tb = borrowed_run()
            per_lender = [done_from(A, l.node_id) - done_before[i]
                          for i, l in enumerate(lenders)]
            rate_b, rate_l = n / tb, n / tl
            results.append(rate_b / rate_l)
            print("borrowed review round %d: %d results from two lenders (%s) applied at the "
                  "issuer in %.2f s = %.1f/s; local scoring on the issuer %d in %.2f s = "
                  "%.1f/s; ratio %.3f" % (r + 1, n, "+".join(map(str, per_lender)), tb, rate_b,
                                          n, tl, rate_l, rate_b / rate_l))
            sys.stdout.flush()
        s = sorted(results)
        print("borrowed review: %d rounds of %d; ratio per round %s; median ratio %.3f "
              "(target >= 0.5)" % (rounds, n, " ".join("%.3f" % x for x in s), s[len(s) // 2]))
        for apis in lender_apis:
            for api in apis:
                api.close()
        local.close()
        borrowed.close()
        A.close()
    finally:
        for x in reversed(nodes):
            x.__exit__(None, None, None)


if __name__ == "__main__":
    main()
