"""test_recognition - a recognizer's workflow on a real node: recognition
policies, earners' approval requests (each earner sees only its own), the
catalog's filters, credentials presented with accord-verify's verdict, and a
teacher's recognized total. Every bad request gets a problem+json naming the
field and changes nothing.

Records are built here with cbor2 and PyNaCl (independent of the node's own
encoder) and verified with the real accord-verify before being presented.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

from accordtest import BUILD, Node, check, h2_client, skip, skip_unless_built

try:
    import cbor2
    import nacl.signing
except ImportError:
    skip("python3-cbor2 and python3-nacl are needed (tools/setup.sh installs them)")

VERIFY_BIN = os.path.join(BUILD, "tools", "accord-verify")


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_record(key, iss, sub, def_id, version, level, ceu_hundredths, cti):
    """A native record per include/accord/record.h: tagged COSE_Sign1 (RFC 9052)
    over a deterministic CBOR claims set, alg EdDSA (-8), kid in the protected
    header (the first 8 bytes of SHA-256 of the public key, as accord-verify
    derives it for a pinned key)."""
    import hashlib
    pub = bytes(key.verify_key)
    kid = hashlib.sha256(pub).digest()[:8]
    claims = {1: iss, 2: sub, 6: 1767225600, 7: cti,
              -65537: def_id, -65538: version, -65539: hashlib.sha256(def_id.encode()).digest(),
              -65540: level, -65541: ceu_hundredths}
    payload = cbor2.dumps(claims, canonical=True)
    protected = cbor2.dumps({1: -8, 4: kid}, canonical=True)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    sig = key.sign(to_sign).signature
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, sig]))


def verify(record, pub_hex):
    """Runs accord-verify --json on |record| with the issuer's key pinned."""
    with tempfile.NamedTemporaryFile(suffix=".cose", delete=False) as f:
        f.write(record)
    try:
        r = subprocess.run([VERIFY_BIN, "--key", pub_hex, "--json", f.name],
                           capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(f.name)
    return json.loads(r.stdout.strip().splitlines()[0])


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
    if not os.access(VERIFY_BIN, os.X_OK):
        skip(VERIFY_BIN + " is not built")
    with Node(node_id="district.example") as n:
        admin = n.init()
        n.start()
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
                        {"issuer": "issuer.example", "credential_id": "formative-assessment",
                         "min_version": 2, "ceus": 1.5, "purpose": "ceu",
                         "requires_approval": True})
            check(r.status_code == 201 and r.body["ceus"] == 1.5 and r.body["min_version"] == 2,
                  "a recognizer creates a CEU policy requiring approval")
            p_ceu = r.body["id"]
            r = api.req("POST", "/v1/recognition/policies", rec,
                        {"issuer": "issuer.example", "credential_id": "formative-assessment",
                         "purpose": "pay_scale"})
            check(r.status_code == 201 and r.body["ceus"] is None,
                  "a pay-scale policy without CEUs counts the record's own CEUs")
            r = api.req("POST", "/v1/recognition/policies", rec,
                        {"issuer": "issuer.example", "credential_id": "formative-assessment",
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
                         "issuer": "issuer.example", "note": "for my lane change"})
            check(r.status_code == 201 and r.body["state"] == "pending"
                  and r.body["policy_id"] == p_ceu,
                  "an earner asks the recognizer whose policy requires approval")
            a1 = r.body["id"]
            r = api.req("POST", "/v1/approvals", e1,
                        {"recognizer_id": rec_id, "credential_id": "formative-assessment",
                         "issuer": "issuer.example"})
            check(problem(r, 409, "credential_id"), "a second pending request is refused")
            r = api.req("POST", "/v1/approvals", e1,
                        {"recognizer_id": rec2_id, "credential_id": "formative-assessment",
                         "issuer": "issuer.example"})
            check(problem(r, 409, "credential_id") and "no active policy" in r.body["detail"],
                  "asking a recognizer with no policy for the credential is refused")
            r = api.req("POST", "/v1/approvals", e2,
                        {"recognizer_id": rec_id, "credential_id": "formative-assessment",
                         "issuer": "issuer.example"})
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
                         "issuer": "issuer.example"})
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
            key = nacl.signing.SigningKey(bytes(range(32)))
            pub_hex = bytes(key.verify_key).hex()
            rec_v2 = make_record(key, "issuer.example", "sha256$abc", "formative-assessment",
                                 2, "pass", 200, bytes(16 * [1]))
            rec_v1 = make_record(key, "issuer.example", "sha256$abc", "formative-assessment",
                                 1, "pass", 200, bytes(16 * [2]))
            other = make_record(key, "issuer.example", "sha256$abc", "unrecognized-credential",
                                3, "pass", 100, bytes(16 * [3]))
            v2 = verify(rec_v2, pub_hex)
            check(v2["verdict"] == "valid", "accord-verify finds the test record valid")
            r = api.req("POST", "/v1/recognition/presentations", rec,
                        {"teacher": "t-1042", "record": b64u(rec_v2), "verification": v2})
            check(r.status_code == 201 and r.body["verdict"] == "valid"
                  and r.body["status"] == "pass" and r.body["credential_version"] == 2
                  and r.body["ceus"] == 2.0,
                  "a presented record is stored with its verdict and its own claims")
            pres = r.body["id"]
            for record in (rec_v1, other):
                api.req("POST", "/v1/recognition/presentations", rec,
                        {"teacher": "t-1042", "record": b64u(record),
                         "verification": verify(record, pub_hex)})
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

            # Re-verified later as revoked: accord-verify's status check fails.
            revoked = dict(v2)
            revoked["verdict"] = "invalid"
            revoked["checks"] = [dict(c) for c in v2["checks"]]
            for c in revoked["checks"]:
                if c["check"] == "status":
                    c["result"], c["reason"] = "fail", "revoked"
            r = api.req("POST", "/v1/recognition/presentations", rec,
                        {"teacher": "t-1042", "record": b64u(rec_v2), "verification": revoked})
            check(r.status_code == 200 and r.body["id"] == pres and r.body["verdict"] == "invalid",
                  "presenting the same record again re-verifies it")
            r = api.req("GET", "/v1/recognition/teachers/t-1042/total", rec)
            check(r.body["totals"] == {"ceu": 0.0, "pay_scale": 2.0, "relicensure": 0.0},
                  "a revoked record no longer counts; the pay-scale total falls back to v1")

            before = api.req("GET", "/v1/recognition/presentations", rec).body["items"]
            lying = dict(v2)
            lying["verdict"] = "valid"
            lying["checks"] = revoked["checks"]
            bad = [({"teacher": "t-1042", "record": "!!!", "verification": v2}, "record"),
                   ({"teacher": "t-1042", "record": b64u(b"\x01\x02"), "verification": v2},
                    "record"),
                   ({"teacher": "t 1042", "record": b64u(rec_v2), "verification": v2}, "teacher"),
                   ({"teacher": "t-1042", "record": b64u(rec_v2), "verification": lying},
                    "verification.verdict"),
                   ({"teacher": "t-1042", "record": b64u(rec_v1), "verification": v2},
                    "verification.claims.cti"),
                   ({"teacher": "t-1042", "record": b64u(rec_v2)}, "verification"),
                   ({"teacher": "t-1042", "verification": v2}, "record"),
                   ({"teacher": "t-9", "record": b64u(rec_v1),
                     "verification": verify(rec_v1, pub_hex)}, "teacher")]
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
