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

Each round, N submissions go to each credential; the untimed preparation
waits until every borrowed batch is accepted on its lender (the issuer knows
it) and every local batch is accepted on the issuer. Then, timed, in an
order alternating per round:
- subject: the lenders' reviewers score their items on their own nodes, one
  thread per lender; timed until the issuer has applied every result (its
  lent-out batches all "done": the result went through its scoring service,
  decided and issued the record);
- anchor: the local reviewers score on the issuer, one thread per half of
  them; timed until the last score is answered (applied in that request).
The figure is results applied per second at the issuer, borrowed against
local, per round and the median of the rounds (target >= 0.5).

Usage: bench_borrow_review.py [N] [ROUNDS] (defaults 40 and 3);
ACCORD_BUILD names the build."""
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
    return {b["batch"]: b for b in ok(A.get("/v1/federation/borrowed?limit=1000"))["items"]}


def accepted_borrowed(lender_apis, want):
    """Accepts every invited borrowed batch of the lenders' reviewers; returns
    {lender index: [(reviewer Api, item id)]} once |want| items are accepted."""
    held = {}

    def step():
        held.clear()
        n = 0
        for li, apis in enumerate(lender_apis):
            for api in apis:
                for b in ok(api.get("/v1/borrowed/batches?limit=1000"))["items"]:
                    if b["state"] == "invited":
                        ok(api.post("/v1/borrowed/batches/%d/accept" % b["id"]))
                    elif b["state"] == "accepted":
                        for it in b["items"]:
                            if it.get("state", "") not in ("scored",) and not it.get("scored"):
                                held.setdefault(li, []).append((api, it["id"]))
                                n += 1
        return n >= want
    wait_for("%d borrowed items accepted" % want, step, timeout=300, every=0.2)
    return held


def accepted_local(apis, want):
    held = []

    def step():
        held.clear()
        for api in apis:
            for b in ok(api.get("/v1/reviews/batches?limit=1000"))["items"]:
                if b["state"] == "invited":
                    ok(api.post("/v1/reviews/batches/%d/accept" % b["id"]))
                elif b["state"] == "accepted":
                    for it in b["items"]:
                        if it["state"] == "accepted":
                            held.append((api, it["assignment"]))
        return len(held) >= want
    wait_for("%d local items accepted" % want, step, timeout=300, every=0.2)
    return list(held)


def run_threads(groups, score):
    errors = []

    def work(items):
        try:
            for api, ident in items:
                score(api, ident)
        except Exception as e:  # noqa: BLE001 - reported after the join
            errors.append(e)
    ts = [threading.Thread(target=work, args=(g,)) for g in groups]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
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
            for k in range(n):
                submit(earner, db["id"], "Borrowed round %d item %d." % (r, k))
                submit(earner, dl["id"], "Local round %d item %d." % (r, k))
            held = accepted_borrowed(lender_apis, n)
            wait_for("the issuer to know every acceptance", lambda: sum(
                1 for b in lent_out(A).values() if b["state"] == "accepted") >= n,
                timeout=300, every=0.2)
            held_local = accepted_local(local_apis, n)

            def borrowed_run():
                t0 = time.perf_counter()
                run_threads([held.get(i, []) for i in range(len(lenders))],
                            lambda api, item: ok(api.post("/v1/borrowed/items/%d/score" % item,
                                                          {"level": "pass"})))
                wait_for("the issuer to apply every result", lambda: sum(
                    1 for b in lent_out(A).values() if b["state"] == "done")
                    >= before_done + n, timeout=600, every=0.02)
                return time.perf_counter() - t0

            def local_run():
                t0 = time.perf_counter()
                run_threads([held_local[0::2], held_local[1::2]],
                            lambda api, aid: ok(api.post("/v1/reviews/assignments/%d/score"
                                                         % aid, {"level": "pass"})))
                return time.perf_counter() - t0

            if r % 2:
                tb = borrowed_run()
                tl = local_run()
            else:
                tl = local_run()
                tb = borrowed_run()
            per_lender = [len(held.get(i, [])) for i in range(len(lenders))]
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
