#!/usr/bin/python3
"""test_federation_certification.py - cross-node certification through
three real nodes on loopback. state.example (the issuer) grants
north.example the lend right; north.example (the lender) grants state the
certify right; east.example knows north but grants it no lend right.

A reviewer of north applies from north for state's credential, presenting a
record state issued (checked by state itself; a second reviewer presenting
the same record is rejected); state's admin screens the stand-in by hand; the reviewer reads the modules state sent,
completes training, fails a first attempt (the wait is enforced), passes the
next after the clocks move eight days, and north holds a record signed by
state's key, verified here with PyNaCl from the COSE definition. State's
pool counts the stand-in. A peer played here (fake.example, which north
takes certifications from) sends forged records in signed cert.state
messages: each is refused. Suspension, reinstatement and decertification by
state's admin reach north. Refusals, each with nothing changed: answers for an
attempt that is not open, a forged record, an application to a peer that
does not grant lend."""
import base64
import os
import sys
import time

import cbor2
import nacl.signing

from accordtest import Api, Node, check, free_port, h2_client, skip_unless_built, wait_for
from federation_util import (append_config, canonical, envelope, kid_of, node_public_key,
                             now_ms, post_inbox, problem_slug)
from lifecycle import active_credential, load_definition, new_user
from remote_cert import certify_across

RECORD_TYPE = "application/accord-reviewer-cert+cbor"
DAY = 86400


def main():
    skip_unless_built()
    with Node(node_id="state.example") as st, Node(node_id="north.example") as no, \
            Node(node_id="east.example") as ea:
        ts, tn, te = st.init(), no.init(), ea.init()
        for n in (st, no, ea):
            n.start()
        ps, pn, pe = node_public_key(st), node_public_key(no), node_public_key(ea)
        for n in (st, no, ea):
            n.stop()
        peer = "[peer %s]\nurl = %s\nkey = %s\nrights = %s\n"
        append_config(st, peer % ("north.example", no.url, pn.hex(), "lend"))
        append_config(no, peer % ("state.example", st.url, ps.hex(), "certify"))
        append_config(no, peer % ("east.example", ea.url, pe.hex(), "certify"))
        append_config(ea, peer % ("north.example", no.url, pn.hex(), "submit"))
        # fake.example is played here with a key of its own; north takes
        # certifications from it, so only the record's checks stand between.
        fake = nacl.signing.SigningKey.generate()
        append_config(no, peer % ("fake.example", "http://127.0.0.1:%d" % free_port(),
                                  bytes(fake.verify_key).hex(), "certify"))
        for n in (st, no, ea):
            n.start()

        # Qualifications: holds writing-workshop-basics (checked by state
        # itself) and ELA expertise (screened by state's admin).
        definition = load_definition()
        held_id = definition["reviewers"]["qualifications"][0]["credential"]
        cred = active_credential(st, ts, definition, reviewers=2)
        S = Api(st, ts)
        # The reviewer earned writing-workshop-basics from state earlier.
        status, rec = S.post("/v1/credentials/issue", {
            "email": "ada@north.example", "definition_id": held_id,
            "definition_version": 1, "content_hash": "ab" * 32, "achieved_level": "pass"})
        check(status == 201, "state issued the reviewer a record of %s: %s" % (held_id, rec))
        d = "/v1/definitions/" + cred.ref
        levels = definition["scoring"]["levels"]
        pool_before = S.get(d + "/pool")[1]["certified"]

        N = Api(no, tn)
        uid, R, _ = new_user(no, N, "ada", ["reviewer"])
        status, _ = R.put("/v1/reviewers/me", {"school": "North High", "district": "North",
                                               "domains": ["ELA"]})
        check(status == 200, "the lender's reviewer has a profile")

        # --- apply, screened by the issuer's admin ---
        r = no.ctl("reviewer", "apply", "--peer", "state.example", definition["id"],
                   "--answer", "domain_expertise=ten years of ELA",
                   "--held", "%s=%d" % (held_id, rec["id"]), token=R.token, json_out=True)
        app = r.json
        check(r.returncode == 0 and app["state"] == "sent" and app["pending"] == "apply",
              "accordctl reviewer apply --peer sends the application to the issuer: %s %s"
              % (r.stderr, app))
        path = "/v1/remote-certifications/%d" % app["id"]

        def state_is(*states):
            def probe():
                s, b = R.get(path)
                return b if s == 200 and b["state"] in states and not b.get("pending") else None
            return probe

        app = wait_for("the issuer's word on the application", state_is("applied"))
        screening = app["issuer_says"]["screening"]
        check([(q["check"], q["met"]) for q in screening] ==
              [("automatic", True), ("manual", None)] and "material" not in app["issuer_says"],
              "the issuer checked the record itself and waits for manual screening, sending no "
              "modules before it: %s" % screening)

        # Another reviewer of north presenting the same record is rejected.
        _, B, _ = new_user(no, N, "bob", ["reviewer"])
        status, other = B.post("/v1/peers/state.example/credentials/%s/apply" % definition["id"],
                               {"held": [{"credential": held_id, "record": rec["id"]}]})
        check(status == 202, "bob applies with ada's record")
        p_bob = "/v1/remote-certifications/%d" % other["id"]
        other = wait_for("bob's screening", lambda: (lambda b: b if b["state"] != "sent"
                                                     else None)(B.get(p_bob)[1]))
        check(other["state"] == "rejected" and
              other["issuer_says"]["screening"][0]["met"] is False,
              "one record backs one reviewer: bob is rejected by the automatic check: %s"
              % other["issuer_says"]["screening"])
        B.close()
        status, apps = S.get(d + "/applications?state=applied")
        stand_in = [a for a in apps["items"] if a["user_id"] not in
                    [r[0] for r in cred.reviewers]]
        check(status == 200 and len(stand_in) == 1, "the issuer holds the stand-in's application")
        sid = stand_in[0]["user_id"]
        status, _ = S.post("%s/applications/%d/screen" % (d, sid), {"approve": True})
        check(status == 200, "the issuer's admin approves the stand-in")
        app = wait_for("screened", state_is("screened"))
        material = app["issuer_says"]["material"]
        check(material["general"]["title"] == "Reviewing here" and
              material["training"]["credential"] == cred.ref and
              len(material["training"]["examples"]) == len(levels),
              "the lender holds the issuer's general and training modules")

        # --- training, a failed attempt, the wait ---
        status, _ = R.post(path + "/attempts")
        check(status == 409, "no draw before training")
        status, _ = R.post(path + "/training-complete")
        check(status == 202, "training completed on the lender")
        wait_for("trained", state_is("trained"))
        status, _ = R.post(path + "/attempts")
        check(status == 202, "a draw is asked for")
        app = wait_for("a draw", lambda: (lambda b: b if "attempt" in b["issuer_says"] and
                                          not b.get("pending") else None)(R.get(path)[1]))
        attempt = app["issuer_says"]["attempt"]
        items = attempt["items"]
        check(len(items) == definition["training"]["sample_per_level"] * len(levels) and
              all(set(i) == {"item_id", "content"} for i in items),
              "the draw carries item ids and content only, never expert scores")
        wrong = [{"item_id": i["item_id"],
                  "level": levels[(cred.bench_truth[i["content"]] + 2) % len(levels)]}
                 for i in items]
        status, body = R.post(path + "/attempts/%d/answers" % (attempt["id"] + 1000),
                              {"answers": wrong})
        check(status == 409 and body["type"].endswith("/attempt-closed"),
              "answers for an attempt that is not open are refused: %s" % body)
        check(not R.get(path)[1].get("pending"), "and nothing was sent")
        status, _ = R.post(path + "/attempts/%d/answers" % attempt["id"], {"answers": wrong})
        check(status == 202, "the answers go to the issuer")
        app = wait_for("the grading", lambda: (lambda b: b if "result" in b["issuer_says"] and
                                               not b.get("pending") else None)(R.get(path)[1]))
        says = app["issuer_says"]
        check(app["state"] == "trained" and says["result"]["passed"] is False and
              says["attempts"] == 1 and says["next_attempt_ms"] > 0 and "attempt" not in says,
              "the issuer graded the attempt with its rules: failed, a wait set: %s" % says)
        status, _ = R.post(path + "/attempts")
        app = wait_for("the refusal", lambda: (lambda b: b if not b.get("pending") else None)(
            R.get(path)[1]))
        check(status == 202 and
              app["issuer_says"].get("problem", {}).get("type") == "attempt-too-early" and
              "attempt" not in app["issuer_says"],
              "the wait is enforced by the issuer: %s" % app["issuer_says"].get("problem"))

        # --- a forged record in a signed cert.state is refused ---
        status, fk = R.post("/v1/peers/fake.example/credentials/%s/apply" % definition["id"], {})
        check(status == 202, "the reviewer also applies to fake.example")
        pf = "/v1/remote-certifications/%d" % fk["id"]

        def fake_state(record, n):
            body = {"user": uid, "credential": definition["id"], "version": 1,
                    "state": "certified", "record": base64.urlsafe_b64encode(record)
                    .rstrip(b"=").decode()}
            env = envelope(fake, "cert.state", "forged-%d" % n, "fake.example",
                           "north.example", now_ms(), body)
            return post_inbox(no, env)

        def fake_record(iss, signer, flip=False):
            protected = canonical({1: -8, 3: RECORD_TYPE, 4: kid_of(bytes(signer.verify_key))})
            payload = bytearray(canonical({
                "v": 1, "exp": now_ms() + 10 ** 9, "iat": now_ms(), "iss": iss,
                "hash": "sha256:" + "00" * 32, "version": 1,
                "reviewer": {"node": "north.example", "user": uid},
                "credential": definition["id"]}))
            sig = signer.sign(cbor2.dumps(["Signature1", protected, b"", bytes(payload)]))
            if flip:
                payload[payload.find(b"north") + 1] ^= 0x01
            return canonical(cbor2.CBORTag(18, [protected, {}, bytes(payload), sig.signature]))

        r1 = fake_state(fake_record("state.example", fake), 1)
        r2 = fake_state(fake_record("fake.example", fake, flip=True), 2)
        stranger = nacl.signing.SigningKey.generate()
        r3 = fake_state(fake_record("fake.example", stranger), 3)
        s_, b_ = R.get(pf)
        check([(r.status_code, problem_slug(r)) for r in (r1, r2, r3)] ==
              [(422, "bad-certification")] * 3 and b_["state"] == "sent" and
              not b_["has_record"],
              "a record naming another issuer, one with a byte changed and one signed by a "
              "stranger are refused in a signed cert.state, nothing changed: %s"
              % [r.text for r in (r1, r2, r3)])

        # --- eight days later on every clock (envelopes allow 300 s of skew) ---
        for n, t in ((st, ts), (no, tn), (ea, te)):
            api = Api(n, t)
            status, _ = api.post("/v1/test/clock", {"advance_seconds": 8 * DAY})
            check(status == 200, "the test clock of %s moves eight days" % n.node_id)
            api.close()
        status, _ = R.post(path + "/attempts")
        check(status == 202, "a second draw is asked for")
        app = wait_for("a second draw", lambda: (lambda b: b if "attempt" in b["issuer_says"]
                                                 and not b.get("pending") else None)(
            R.get(path)[1]))
        second = app["issuer_says"]["attempt"]
        check(second["number"] == 2 and
              not {i["item_id"] for i in second["items"]} & {i["item_id"] for i in items},
              "the second draw repeats no item of the first")
        right = [{"item_id": i["item_id"], "level": levels[cred.bench_truth[i["content"]]]}
                 for i in second["items"]]
        status, _ = R.post(path + "/attempts/%d/answers" % second["id"], {"answers": right})
        check(status == 202, "the second answers go to the issuer")
        app = wait_for("certified", state_is("certified"))
        check(app["has_record"] and app["version"] == definition["version"] and
              "expires_at" in app, "the lender holds the certification: %s" % app)

        # --- the record, verified independently ---
        with h2_client() as c:
            r = c.get(no.url + path + "/record", headers={"authorization": "Bearer " + R.token})
        check(r.status_code == 200 and r.headers["content-type"] == RECORD_TYPE,
              "the reviewer shows the record as its COSE bytes")
        raw = r.content
        tag = cbor2.loads(raw)
        protected, unprotected, payload, sig = tag.value
        nacl.signing.VerifyKey(ps).verify(cbor2.dumps(["Signature1", protected, b"", payload]),
                                          sig)
        hdr, claims = cbor2.loads(protected), cbor2.loads(payload)
        check(tag.tag == 18 and hdr == {1: -8, 3: RECORD_TYPE, 4: kid_of(ps)} and
              unprotected == {} and claims["iss"] == "state.example" and
              claims["reviewer"] == {"node": "north.example", "user": uid} and
              claims["credential"] == definition["id"] and
              claims["version"] == definition["version"] and
              claims["exp"] - claims["iat"] == 365 * DAY * 1000,
              "the record verifies with the issuer's key and names reviewer, credential "
              "version, issuer, date and expiry: %s" % claims)

        def verify(body):
            with h2_client() as c:
                r = c.post(no.url + "/v1/certification-records/verify", content=body,
                           headers={"authorization": "Bearer " + R.token,
                                    "content-type": RECORD_TYPE})
            return r.status_code, r.json()

        status, v = verify(raw)
        check(status == 200 and v["issuer"] == "state.example" and not v["expired"],
              "the lender verifies the presented record: %s" % v)
        saved = os.path.join(no.tmp, "ada.cose")
        r = no.ctl("remote", "record", str(app["id"]), "--out", saved, token=R.token)
        check(r.returncode == 0 and open(saved, "rb").read() == raw,
              "accordctl remote record saves the record: %s" % r.stderr)
        r = no.ctl("remote", "verify", saved, token=R.token, json_out=True)
        check(r.returncode == 0 and r.json["reviewer"] == {"node": "north.example", "user": uid},
              "accordctl remote verify checks it: %s" % r.stderr)
        forged = bytearray(raw)
        at = forged.find(b"north.example")
        forged[at + 1] ^= 0x01
        status, v = verify(bytes(forged))
        check(status == 422 and v["type"].endswith("/bad-certification"),
              "a forged record is refused: %s" % v)
        with h2_client() as c:
            r = c.get(no.url + path + "/record", headers={"authorization": "Bearer " + R.token})
        check(r.content == raw, "and the record kept is unchanged")

        # --- the issuer's pool ---
        status, pool = S.get(d + "/pool")
        check(status == 200 and pool["certified"] == pool_before + 1,
              "the issuer's pool counts the certified stand-in: %s" % pool)
        status, apps = S.get(d + "/applications?state=certified")
        check(sid in [a["user_id"] for a in apps["items"]],
              "the issuer lists the stand-in as certified")

        # --- the shared fixture other tests use does the same in one call ---
        t0 = time.monotonic()
        cai = certify_across(st, ts, no, tn, cred, definition, "cai", school="North Middle",
                             district="North")
        print("# a whole cross-node certification (4 signed requests, 5 signed cert.state answers, a 20-item draw) took %.2f s"
              % (time.monotonic() - t0))
        status, pool = S.get(d + "/pool")
        check(pool["certified"] == pool_before + 2 and cai.stand_in != sid,
              "remote_cert.certify_across certifies a second reviewer of north: %s" % pool)
        cai.api.close()
        pool_before += 1

        # --- suspension, reinstatement and decertification flow back ---
        def record_status():
            with h2_client() as c:
                return c.get(no.url + path + "/record",
                             headers={"authorization": "Bearer " + R.token}).status_code

        r = st.ctl("reviewer", "suspend", cred.ref, str(sid), "--reason", "late reviews",
                   token=ts, json_out=True)
        check(r.returncode == 0 and r.json["state"] == "unavailable",
              "the issuer's admin suspends the stand-in (accordctl reviewer suspend): %s"
              % r.stderr)
        app = wait_for("the suspension at the lender", state_is("unavailable"))
        check(not app["has_record"] and record_status() == 404,
              "the lender shows the suspension and holds no record to show")
        status, body = N.get("/v1/remote-certifications")
        check(status == 200 and [(a["user_id"], a["state"]) for a in body["items"]][0] ==
              (uid, "unavailable"), "the lender's admin sees its reviewer suspended")
        status, _ = S.post("%s/reviewers/%d/reinstate" % (d, sid), {"reason": "caught up"})
        check(status == 200, "the issuer's admin reinstates the stand-in")
        app = wait_for("the reinstatement at the lender", state_is("certified"))
        with h2_client() as c:
            r = c.get(no.url + path + "/record", headers={"authorization": "Bearer " + R.token})
        status, v = verify(r.content)
        again = cbor2.loads(cbor2.loads(r.content).value[2])
        check(app["has_record"] and status == 200 and again["reviewer"] == claims["reviewer"] and
              again["iat"] >= claims["iat"],
              "certified again, the lender holds a record the issuer signed at reinstatement")
        status, body = S.post("%s/reviewers/%d/suspend" % (d, sid),
                              {"reason": "drifted from the benchmarks", "decertify": True})
        check(status == 200 and body["state"] == "retraining",
              "the issuer's admin decertifies the stand-in")
        app = wait_for("the decertification at the lender", state_is("retraining"))
        check(not app["has_record"] and app["issuer_says"]["attempts"] == 0 and
              app["issuer_says"]["material"]["training"]["credential"] == cred.ref,
              "the lender shows retraining with the modules to train with again")
        status, pool = S.get(d + "/pool")
        check(pool["certified"] == pool_before, "the issuer's pool no longer counts the stand-in")

        # --- a peer that does not grant lend ---
        status, app2 = R.post("/v1/peers/east.example/credentials/%s/apply" % definition["id"],
                              {"answers": {}})
        check(status == 202, "the application to east is sent")
        p2 = "/v1/remote-certifications/%d" % app2["id"]
        app2 = wait_for("east's refusal", lambda: (lambda b: b if b["state"] == "refused"
                                                   else None)(R.get(p2)[1]))
        problem = app2["issuer_says"]["problem"]
        check(problem["status"] == 403 and "lend" in problem["detail"],
              "east refuses: it does not grant north the lend right: %s" % problem)
        status, body = R.post("/v1/peers/nowhere.example/credentials/x/apply", {})
        check(status == 404, "an application to a node that is no peer is refused")
        for a in (S, N, R):
            a.close()
        # A clean stop, so a sanitizer build reports what the nodes leaked.
        for n in (st, no, ea):
            n.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
