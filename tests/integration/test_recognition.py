"""test_recognition - a recognizer's workflow on a real node: recognition
policies, earners' approval requests (each earner sees only its own), the
catalog's filters, credentials presented and verified by the node itself, and
a teacher's recognized total. Every bad request gets a problem+json naming the
field and changes nothing.

The records come from a second real node, the issuer, which the recognizer's
node asks for keys, log proofs and status while verifying them.
"""
import base64
import json
import os
import sys
import tempfile

from accordtest import Node, check, h2_client, skip_unless_built


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Api:
    def __init__(self, node, client):
        self.node, self.c = node, client

    def req(self, method, path, token, body=None):
        headers = {"authorization": "Bearer " + token}
        if body is not None:
            headers["content-type"] = "application/json"
            r = self.c.request(method, self.node.url + path, headers=headers,
                               content=json.dumps(body))
        else:
            r = self.c.request(method, self.node.url + path, headers=headers)
        try:
            r.body = r.json()
        except ValueError:
            r.body = None
        return r


def problem(r, status, field):
    return (r.status_code == status
            and r.headers.get("content-type", "").startswith("application/problem+json")
            and r.body.get("field") == field)


def main():
    skip_unless_built()
    with Node(node_id="issuer.example") as issuer, Node(node_id="district.example") as n, \
            tempfile.TemporaryDirectory() as tmp:
        iss_admin = issuer.init()
        issuer.start()
        admin = n.init()
        n.start()
        ISS = issuer.url

        def issue(def_id, version, ceu):
            """A record the issuer node signs and logs; returns its id and bytes."""
            r = issuer.ctl("credential", "issue", "--email", "abc@district.example", "--definition",
                           def_id, "--version", str(version), "--content-hash", "ab" * 32,
                           "--level", "pass", "--ceu", ceu, token=iss_admin, json_out=True)
            assert r.returncode == 0, r.stderr
            d = os.path.join(tmp, "export-%d" % r.json["id"])
            e = issuer.ctl("credential", "export", str(r.json["id"]), "--out", d,
                           token=iss_admin)
            assert e.returncode == 0, e.stderr
            with open(os.path.join(d, "credential-%d.cose" % r.json["id"]), "rb") as f:
                return r.json["id"], f.read()

        with h2_client() as client:
            api = Api(n, client)

            def user(name, role):
                r = api.req("POST", "/v1/users", admin, {"name": name, "roles": [role]})
                assert r.status_code == 201, r.text
                uid = r.body["id"]
                t = api.req("POST", "/v1/users/%d/tokens" % uid, admin, {})
                return uid, t.body["token"]

            rec_id, rec = user("district", "recognizer")
            rec2_id, rec2 = user("state", "recognizer")
            e1_id, e1 = user("teacher1", "earner")
            _, e2 = user("teacher2", "earner")

            # ---- policies ----
            r = api.req("POST", "/v1/recognition/policies", rec,
                        {"issuer": ISS, "credential_id": "formative-assessment",
                         "min_version": 2, "ceus": 1.5, "purpose": "ceu",
                         "requires_approval": True})
            check(r.status_code == 201 and r.body["ceus"] == 1.5 and r.body["min_version"] == 2,
                  "a recognizer creates a CEU policy requiring approval")
            p_ceu = r.body["id"]
            r = api.req("POST", "/v1/recognition/policies", rec,
                        {"issuer": ISS, "credential_id": "formative-assessment",
                         "purpose": "pay_scale"})
            check(r.status_code == 201 and r.body["ceus"] is None,
                  "a pay-scale policy without CEUs counts the record's own CEUs")
            r = api.req("POST", "/v1/recognition/policies", rec,
                        {"issuer": ISS, "credential_id": "formative-assessment",
                         "purpose": "ceu", "ceus": 3})
            check(problem(r, 409, "credential_id"),
                  "a second active policy for the same credential and purpose is refused")
            bad = [({"credential_id": "x", "purpose": "bonus"}, "purpose"),
                   ({"credential_id": "x", "purpose": "ceu", "ceus": 1.234}, "ceus"),
                   ({"credential_id": "x", "purpose": "ceu", "ceus": -1}, "ceus"),
                   ({"credential_id": "x", "purpose": "ceu", "min_version": 0}, "min_version"),
                   ({"purpose": "ceu"}, "credential_id"),
                   ({"credential_id": "x", "purpose": "ceu", "colour": "red"}, "colour")]
            for body, field in bad:
                r = api.req("POST", "/v1/recognition/policies", rec, body)
                check(problem(r, 400, field), "a policy with a bad %s gets 400 naming it" % field)
            r = api.req("POST", "/v1/recognition/policies", e1,
                        {"credential_id": "x", "purpose": "ceu"})
            check(r.status_code == 403, "an earner cannot create policies")
            r = api.req("GET", "/v1/recognition/policies?recognizer=%d" % rec_id, e1)
            check(r.status_code == 200 and len(r.body["items"]) == 2,
                  "bad policy requests changed nothing: the recognizer has two policies")
            r = api.req("GET", "/v1/recognition/policies?limit=1", e1)
            check(len(r.body["items"]) == 1 and "next_cursor" in r.body,
                  "policies page with a cursor")
            r2 = api.req("GET", "/v1/recognition/policies?limit=1&cursor=" +
                         r.body["next_cursor"], e1)
            check(r2.body["items"][0]["id"] != r.body["items"][0]["id"],
                  "the cursor leads to the next policy")

            # ---- approvals ----
            r = api.req("POST", "/v1/approvals", e1,
                        {"recognizer_id": rec_id, "credential_id": "formative-assessment",
                         "issuer": ISS, "note": "for my lane change"})
            check(r.status_code == 201 and r.body["state"] == "pending"
                  and r.body["policy_id"] == p_ceu,
                  "an earner asks the recognizer whose policy requires approval")
            a1 = r.body["id"]
            r = api.req("POST", "/v1/approvals", e1,
                        {"recognizer_id": rec_id, "credential_id": "formative-assessment",
                         "issuer": ISS})
            check(problem(r, 409, "credential_id"), "a second pending request is refused")
            r = api.req("POST", "/v1/approvals", e1,
                        {"recognizer_id": rec2_id, "credential_id": "formative-assessment",
                         "issuer": ISS})
            check(problem(r, 409, "credential_id") and "no active policy" in r.body["detail"],
                  "asking a recognizer with no policy for the credential is refused")
            r = api.req("POST", "/v1/approvals", e2,
                        {"recognizer_id": rec_id, "credential_id": "formative-assessment",
                         "issuer": ISS})
            a2 = r.body["id"]
            r = api.req("GET", "/v1/approvals", e1)
            check([a["id"] for a in r.body["items"]] == [a1],
                  "an earner lists only its own approval requests")
            r = api.req("GET", "/v1/approvals/%d" % a2, e1)
            check(r.status_code == 404, "an earner cannot read another earner's request")
            r = api.req("GET", "/v1/approvals?state=pending", rec)
            check(sorted(a["id"] for a in r.body["items"]) == sorted([a1, a2]),
                  "the recognizer sees the requests addressed to it")
            r = api.req("GET", "/v1/approvals", rec2)
            check(r.body["items"] == [], "another recognizer sees none of them")
            r = api.req("POST", "/v1/approvals/%d/decision" % a1, rec2, {"decision": "approve"})
            check(r.status_code == 404, "another recognizer cannot decide the request")
            r = api.req("POST", "/v1/approvals/%d/decision" % a1, e1, {"decision": "approve"})
            check(r.status_code == 403, "the earner cannot approve its own request")
            r = api.req("POST", "/v1/approvals/%d/decision" % a2, rec, {"decision": "deny"})
            check(problem(r, 400, "reason"), "a denial without a reason is refused")
            r = api.req("POST", "/v1/approvals/%d/decision" % a2, rec, {"decision": "maybe"})
            check(problem(r, 400, "decision"), "a decision other than approve/deny is refused")
            r = api.req("GET", "/v1/approvals/%d" % a2, e2)
            check(r.body["state"] == "pending", "refused decisions changed nothing")
            r = api.req("POST", "/v1/approvals/%d/decision" % a1, rec,
                        {"decision": "approve", "reason": "fits the district plan"})
            check(r.status_code == 200 and r.body["state"] == "approved"
                  and r.body["reason"] == "fits the district plan",
                  "the recognizer approves with a reason")
            r = api.req("POST", "/v1/approvals/%d/decision" % a1, rec,
                        {"decision": "deny", "reason": "changed my mind"})
            check(problem(r, 409, "decision"), "a decided request cannot be decided again")
            r = api.req("POST", "/v1/approvals/%d/decision" % a2, rec,
                        {"decision": "deny", "reason": "not in this year's plan"})
            check(r.body["state"] == "denied", "the recognizer denies with a reason")
            r = api.req("POST", "/v1/approvals", e2,
                        {"recognizer_id": rec_id, "credential_id": "formative-assessment",
                         "issuer": ISS})
            check(r.status_code == 201, "after a denial the earner may ask again")

            # ---- catalog ----
            r = api.req("GET", "/v1/catalog?domain=math&recognizer=%d" % rec_id, e1)
            check(r.status_code == 200 and r.body["items"] == [],
                  "the catalog answers with filters (no active credential on this node yet)")
            r = api.req("GET", "/v1/catalog?recognizer=abc", e1)
            check(problem(r, 400, "recognizer"), "a catalog recognizer filter must be an id")
            r = api.req("GET", "/v1/catalog?limit=0", e1)
            check(problem(r, 400, "limit"), "a catalog limit out of range is refused")

            # ---- presentations and the recognized total ----
            # The CEU policy requires approval: e1's approval (granted above)
            # counts records issued after it, so the issuer's clock moves on.
            r = client.post(ISS + "/v1/test/clock", json={"advance_seconds": 2},
                            headers={"authorization": "Bearer " + iss_admin})
            assert r.status_code == 200, r.text
            id_v2, rec_v2 = issue("formative-assessment", 2, "2")
            _, rec_v1 = issue("formative-assessment", 1, "2")
            _, other = issue("unrecognized-credential", 3, "1")
            r = api.req("POST", "/v1/recognition/presentations", rec,
                        {"teacher": "t-1042", "email": "abc@district.example", "record": b64u(rec_v2), "earner_id": e1_id})
            check(r.status_code == 201 and r.body["verdict"] == "valid"
                  and r.body["status"] == "pass" and r.body["credential_version"] == 2
                  and r.body["ceus"] == 2.0 and r.body["verified_by"] == "node",
                  "a presented record is verified by the node and stored with its own claims")
            pres = r.body["id"]
            for record in (rec_v1, other):
                r = api.req("POST", "/v1/recognition/presentations", rec,
                            {"teacher": "t-1042", "email": "abc@district.example", "record": b64u(record)})
                assert r.status_code == 201 and r.body["verdict"] == "valid", r.text
            r = api.req("GET", "/v1/recognition/teachers/t-1042/total", rec)
            # CEU policy: 1.5 CEUs for version >= 2 (version 1 does not count);
            # pay-scale policy: the record's own 2.00 CEUs, version 2 counted
            # once (version 1 also matches min_version 1 with 2.00: the max is 2.00).
            check(r.status_code == 200 and r.body["totals"] ==
                  {"ceu": 1.5, "pay_scale": 2.0, "relicensure": 0.0},
                  "the teacher's total sums matching policies per purpose")
            r = api.req("GET", "/v1/recognition/teachers/t-1042/total", rec2)
            check(r.body["totals"]["ceu"] == 0.0 and r.body["credentials"] == [],
                  "another recognizer's total for the teacher is its own (empty)")

            # Revoked by its issuer, then presented again: the node's own
            # verification fetches the status and finds it revoked.
            c = issuer.ctl("credential", "revoke", str(id_v2), "--reason", "test",
                           token=iss_admin)
            assert c.returncode == 0, c.stderr
            r = api.req("POST", "/v1/recognition/presentations", rec,
                        {"teacher": "t-1042", "email": "abc@district.example", "record": b64u(rec_v2)})
            check(r.status_code == 200 and r.body["id"] == pres and r.body["verdict"] == "invalid"
                  and r.body["status"] == "fail",
                  "presenting the same record again re-verifies it")
            r = api.req("GET", "/v1/recognition/teachers/t-1042/total", rec)
            check(r.body["totals"] == {"ceu": 0.0, "pay_scale": 2.0, "relicensure": 0.0},
                  "a revoked record no longer counts; the pay-scale total falls back to v1")

            before = api.req("GET", "/v1/recognition/presentations", rec).body["items"]
            bad = [({"teacher": "t-1042", "email": "abc@district.example", "record": "!!!"}, "record"),
                   ({"teacher": "t-1042", "email": "abc@district.example", "record": b64u(b"\x01\x02")}, "record"),
                   ({"teacher": "t 1042", "email": "abc@district.example", "record": b64u(rec_v2)}, "teacher"),
                   ({"teacher": "t-1042", "email": "abc@district.example", "record": b64u(rec_v2),
                     "verification": {"verdict": "valid", "checks": []}}, "verification"),
                   ({"teacher": "t-1042", "email": "abc@district.example"}, "record"),
                   ({"teacher": "t-9", "email": "abc@district.example", "record": b64u(rec_v1)}, "teacher")]
            for body, field in bad:
                r = api.req("POST", "/v1/recognition/presentations", rec, body)
                want = 409 if field == "teacher" and body["teacher"] == "t-9" else 400
                check(problem(r, want, field),
                      "a bad presentation (%s) gets %d naming it" % (field, want))
            after = api.req("GET", "/v1/recognition/presentations", rec).body["items"]
            check(after == before, "bad presentations changed nothing")
            r = api.req("GET", "/v1/recognition/presentations/%d" % pres, rec2)
            check(r.status_code == 404, "another recognizer cannot read the presentation")

            # ---- retiring a policy ----
            r = api.req("POST", "/v1/recognition/policies/%d/retire" % p_ceu, rec2)
            check(r.status_code == 404, "a recognizer cannot retire another's policy")
            r = api.req("POST", "/v1/recognition/policies/%d/retire" % p_ceu, rec)
            check(r.status_code == 200 and r.body["retired"], "the owner retires a policy")

            # ---- accordctl ----
            c = n.ctl("recognize", "total", "t-1042", token=rec)
            check(c.returncode == 0 and "2.00 toward pay scale" in c.stdout,
                  "accordctl recognize total prints the totals")
            c = n.ctl("approval", "list", token=e1, json_out=True)
            check(c.returncode == 0 and [a["id"] for a in c.json["items"]] == [a1],
                  "accordctl approval list shows the earner its own requests")
            c = n.ctl("recognize", "policy-add", "x", "--purpose", "bonus", token=rec)
            check(c.returncode == 1 and "purpose" in c.stderr,
                  "accordctl reports the node's refusal and exits 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
