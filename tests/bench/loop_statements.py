#!/usr/bin/python3
"""loop_statements.py - which GET routes still make the event loop wait on
the database: starts a node (PostgreSQL with ACCORD_DB=postgresql, where
each such statement is a network round trip), fills it with a little of
everything (records, a share link, a credential definition, users of each
role, a reviewer profile, the general module, a recognition policy, an
uploaded artifact), then calls each GET route and prints how far
accord_store_loop_statements_total moved for it (the smallest of three
tries, so a timer of the node's firing meanwhile does not count; /metrics'
own statements, if any, are measured first and taken off). The last rows
are requests with a token the node has not seen yet.

    ACCORD_BUILD=build ACCORD_SOURCE=. PYTHONPATH=tests/lib:tests/integration \
        ACCORD_DB=postgresql /usr/bin/python3 tests/bench/loop_statements.py
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
sys.argv = sys.argv[:1]

from accordtest import SOURCE, Node, h2_client, metric  # noqa: E402
import test_reader_threads as rt  # noqa: E402


def main():
    with open(os.path.join(SOURCE, "conf", "definitions",
                           "formative-feedback-associate.json")) as f:
        definition = json.load(f)
    definition.pop("state", None)
    cred = definition["id"]
    with Node(grace_ms=1000) as n, h2_client() as c:
        admin = n.init()
        n.start()
        ids = [rt.issue(n, admin, i) for i in range(3)]
        A = {"authorization": "Bearer " + admin}
        share = c.post(n.url + "/v1/credentials/%d/shares" % ids[0], headers=A).json()["token"]
        version = c.post(n.url + "/v1/definitions", headers=A, json=definition).json()["version"]
        users = {}
        tokens = {"admin": admin,
                  "expert": rt.make_user(c, n, admin, "expert1", "expert"),
                  "recognizer": rt.make_user(c, n, admin, "recognizer1", "recognizer"),
                  "earner": rt.make_user(c, n, admin, "earner1", "earner", users,
                                         "earner1@district.example"),
                  "reviewer": rt.make_user(c, n, admin, "reviewer1", "reviewer", users,
                                           "reviewer1@district.example")}
        c.put(n.url + "/v1/reviewers/me", headers={"authorization": "Bearer " + tokens["reviewer"]},
              json={"school": "Lincoln Elementary", "district": "Springfield"})
        c.put(n.url + "/v1/general-module", headers=A,
              json={"title": "Reviewing fairly", "sections": [{"heading": "Bias", "body": "x"}]})
        c.post(n.url + "/v1/recognition/policies",
               headers={"authorization": "Bearer " + tokens["recognizer"]},
               json={"issuer": "did:web:elsewhere.example", "credential_id": cred,
                     "purpose": "ceu", "ceus": 1.5})
        work = b"lesson video\n" * 64
        digest = hashlib.sha256(work).hexdigest()
        r = c.post(n.url + "/v1/artifacts?media_type=text%2Fplain", content=work,
                   headers={"authorization": "Bearer " + tokens["earner"],
                            "content-type": "application/octet-stream"})
        assert r.status_code == 201, r.text

        routes = [(p, "admin") for p in rt.reads_of(ids, share)]
        routes += rt.lifecycle_reads(cred, version)
        routes += [(p, who) for p, who, _ in rt.one_row_reads(cred, version, users["reviewer1"])]
        routes += [(p, "admin") for p in [
            "/healthz", "/v1/node", "/metrics", "/v1/keys", "/.well-known/jwks.json",
            "/.well-known/did.json", "/v1/log/checkpoint", "/v1/status/bitstring",
            "/v1/status/token", "/v1/credentials/%d/qr.png" % ids[0],
            "/v1/credentials/%d/subject" % ids[0], "/v1/users/me", "/v1/users/%d/tokens" % users["earner1"],
            "/v1/catalog", "/v1/teams/1", "/v1/federation/consortium", "/v1/federation/peers",
            "/v1/federation/ledger", "/v1/federation/ledger/receipts",
            "/v1/federation/cosignatures", "/v1/federation/borrowed", "/v1/borrowed/batches",
            "/v1/borrowed/items/1", "/v1/borrowed/items/1/artifacts/" + digest,
            "/v1/recognition/teachers/earner1@district.example/total",
            "/v1/remote-certifications/1", "/v1/approvals/1", "/v1/recognition/policies/1",
            "/v1/recognition/presentations/1", "/v1/submissions/1/recommendations",
            "/v1/session", "/", "/v1/federation/peers/none.example",
            "/v1/federation/borrowing/" + cred, "/v1/credentials/%d?format=ob3" % ids[1],
            "/v1/status/ob3/revocation", "/v1/status/ob3/suspension"]]
        routes += [("/v1/artifacts/" + digest, "earner"), ("/v1/users/me", "earner"),
                   ("/v1/submissions", "earner")]

        def loop_count():
            r = c.get(n.url + "/metrics", headers=A)
            return metric(r.text, "accord_store_loop_statements_total")

        own = min(-(loop_count() - loop_count()) for _ in range(3))
        print("/metrics itself: %d loop statements per call" % own)
        rows = []
        for path, who in routes:
            h = {"authorization": "Bearer " + tokens[who]}
            best = None
            for _ in range(3):
                before = loop_count()
                r = c.get(n.url + path, headers=h)
                d = loop_count() - before - own
                best = d if best is None else min(best, d)
            rows.append((best, path, who, r.status_code))
        # A token the node has not seen: each try a new one.
        for path in ["/v1/users/me", "/v1/submissions"]:
            best = None
            for i in range(3):
                t = c.post(n.url + "/v1/users/%d/tokens" % users["earner1"], headers=A,
                           json={}).json()["token"]
                before = loop_count()
                r = c.get(n.url + path, headers={"authorization": "Bearer " + t})
                d = loop_count() - before - own
                best = d if best is None else min(best, d)
            rows.append((best, path + " (uncached token)", "earner", r.status_code))
        for d, path, who, st in rows:
            print("%3d  %-70s %-10s %d" % (d, path, who, st))
        print("routes with loop statements: %d of %d" % (sum(1 for r in rows if r[0] > 0), len(rows)))


if __name__ == "__main__":
    main()
