"""test_record_waits_for_email - what an earner expects when she passes before
her account has a verified e-mail address (issue 12 item 2): the pass
stands and she is told, but no record is issued, because a record names its
earner only by the salted hash of a verified address; once she proves her
address (a one-time link mailed to it, never shown by the API), the waiting
record is issued at once, naming her by that address."""
import glob
import hashlib
import os
import re
import sys
import time

import cbor2

from accordtest import Api, Node, check, skip_unless_built
from lifecycle import active_credential, load_definition

skip_unless_built()

CID = "feedback-waits"
ADDRESS = "dee@district.example"


def definition():
    d = load_definition()
    d["id"], d["title"] = CID, "Feedback Cycles (waits for an address)"
    d["reviewers"]["per_submission"] = 2
    d["reviewers"]["agreement"] = {"rule": "pass_boundary"}
    d["reviewers"]["disagreement"] = {"add_per_round": 1, "max_reviewers": 2,
                                      "then": "median", "median_rounding": "lower"}
    d["review"]["batch_size"] = 1
    d["maintenance"] = {"benchmark_seed_rate": 0, "second_master_rate": 0,
                        "min_sample": 10, "thresholds": []}
    d["pool"] = {"submissions_per_period": 2, "assignments_per_reviewer": 10,
                 "period_days": 30}
    return d


def mailed_token(node):
    for path in sorted(glob.glob(os.path.join(node.data_dir, "maildir", "new", "*"))):
        with open(path, errors="replace") as f:
            text = f.read()
        if "X-Accord-Kind: email_verify" in text:
            m = re.search(r"ace_[A-Za-z0-9_-]{43}", text)
            return m.group(0) if m else None
    return None


def main():
    with Node(node_id="issuer.waits") as n:
        admin_token = n.init()
        n.start()
        cred = active_credential(n, admin_token, definition(), reviewers=2)
        admin = cred.admin
        # Made without an address (not through lifecycle.new_user, which
        # gives earners one the admin vouches for).
        st, u = admin.post("/v1/users", {"name": "dee", "roles": ["earner"]})
        assert st == 201, u
        st, t = admin.post("/v1/users/%d/tokens" % u["id"], {"label": "test"})
        assert st == 201, t
        dee = t["token"]

        def ctl(token, *args):
            return n.ctl(*args, token=token, json_out=True)

        r = ctl(dee, "submission", "create", CID, "--text",
                "criteria=Shared criteria before the first draft.", "--text",
                "reflection=Students revised using one named next step.", "--domain", "ELA")
        assert r.returncode == 0, r.stderr
        sub = r.json["id"]
        scored, s = 0, {}
        for _ in range(80):
            for _, api, tok in cred.reviewers:
                for b in api.get("/v1/reviews/batches")[1]["items"]:
                    if b["state"] == "invited":
                        assert ctl(tok, "review", "accept", str(b["id"])).returncode == 0
                    for item in b["items"] if b["state"] in ("invited", "accepted") else []:
                        scored += ctl(tok, "review", "score", str(item["assignment"]),
                                      "--level", "pass").returncode == 0
            s = ctl(dee, "submission", "show", str(sub)).json or {}
            if s.get("passed"):
                break
            time.sleep(0.25)
        check(scored == 2 and s.get("passed") is True, "both reviewers pass the submission")

        api = Api(n, dee)
        notes = []
        for _ in range(80):
            notes = [m for m in api.get("/v1/notifications")[1]["items"]
                     if m["kind"] == "record_waiting"]
            if notes:
                break
            time.sleep(0.1)
        check(len(notes) == 1 and "accordctl user email me" in notes[0]["body"],
              "she is told her record waits for a verified address, and how to give one")
        s = ctl(dee, "submission", "show", str(sub)).json
        check(s["passed"] is True and not s.get("record"),
              "the pass stands but no record was issued")

        r = ctl(dee, "user", "email", "me", ADDRESS)
        check(r.returncode == 0 and not r.json["verified"], "she gives her address")
        token = None
        for _ in range(100):
            token = mailed_token(n)
            if token:
                break
            time.sleep(0.05)
        check(token is not None, "a one-time link is mailed to it")
        shown = [m for m in api.get("/v1/notifications")[1]["items"]
                 if m["kind"] == "email_verify"]
        check(shown and "ace_" not in shown[0]["body"],
              "the API never shows the link: only reading that mailbox proves the address")
        s = ctl(dee, "submission", "show", str(sub)).json
        check(not s.get("record"), "an unverified address releases nothing")
        r = ctl(dee, "user", "verify-email", token)
        check(r.returncode == 0 and r.json["verified"], "she proves it with the link")
        for _ in range(80):
            s = ctl(dee, "submission", "show", str(sub)).json
            if s.get("record"):
                break
            time.sleep(0.1)
        check(s.get("record"), "the waiting record is issued once the address is verified")
        cose = api.client.get(n.url + "/v1/credentials/%d" % s["record"],
                              headers={"authorization": "Bearer " + dee}).content
        claims = cbor2.loads(cbor2.loads(cose).value[2])
        check(claims[2] == "sha256$" + hashlib.sha256(
                  (ADDRESS + claims[-65544]).encode()).hexdigest(),
              "it names her by the salted hash of the verified address")
        api.close()
        cred.close()
        check(n.stop() == 0, "the node stops cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
