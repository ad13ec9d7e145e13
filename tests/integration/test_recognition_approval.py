"""test_recognition_approval - a recognition policy that requires approval
counts a credential only for the teacher's earner account whose approval was
granted before the record was issued (the record carries no submission time;
its iat follows the submission, so an approval decided after it is late).
Two real nodes: an issuer and a district; the district's node verifies each
presented record itself."""
import base64
import json
import os
import sys
import tempfile

from accordtest import Node, check, h2_client, skip_unless_built


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    skip_unless_built()
    with Node(node_id="issuer.example") as iss, Node(node_id="district.example") as dist, \
            tempfile.TemporaryDirectory() as tmp, h2_client() as c:
        iss_admin = iss.init()
        iss.start()
        dist_admin = dist.init()
        dist.start()

        def req(node, token, method, path, body=None):
            headers = {"authorization": "Bearer " + token}
            if body is not None:
                headers["content-type"] = "application/json"
            r = c.request(method, node.url + path, timeout=60, headers=headers,
                          content=None if body is None else json.dumps(body))
            r.body = r.json() if r.content else None
            return r

        def user(name, role):
            r = req(dist, dist_admin, "POST", "/v1/users", {"name": name, "roles": [role]})
            assert r.status_code == 201, r.text
            t = req(dist, dist_admin, "POST", "/v1/users/%d/tokens" % r.body["id"], {})
            return r.body["id"], t.body["token"]

        def advance(node, admin, seconds):
            r = req(node, admin, "POST", "/v1/test/clock", {"advance_seconds": seconds})
            assert r.status_code == 200, r.text

        issued_to = {}  # a record -> the address its subject hashes

        def issue(n):
            r = iss.ctl("credential", "issue", "--email", "teacher%d@district.example" % n,
                        "--definition", "coaching", "--version", "1", "--content-hash",
                        "ab" * 32, "--level", "pass", "--ceu", "3", token=iss_admin,
                        json_out=True)
            assert r.returncode == 0, r.stderr
            d = os.path.join(tmp, str(n))
            e = iss.ctl("credential", "export", str(r.json["id"]), "--out", d, token=iss_admin)
            assert e.returncode == 0, e.stderr
            with open(os.path.join(d, "credential-%d.cose" % r.json["id"]), "rb") as f:
                record = f.read()
            issued_to[record] = "teacher%d@district.example" % n
            return record

        rec_id, rec = user("district", "recognizer")
        ann_id, ann = user("ann", "earner")
        bob_id, _ = user("bob", "earner")
        r = req(dist, rec, "POST", "/v1/recognition/policies",
                {"issuer": iss.url, "credential_id": "coaching", "purpose": "ceu", "ceus": 2,
                 "requires_approval": True})
        assert r.status_code == 201, r.text

        def present(teacher, record, earner=None):
            body = {"teacher": teacher, "record": b64u(record), "email": issued_to[record]}
            if earner is not None:
                body["earner_id"] = earner
            return req(dist, rec, "POST", "/v1/recognition/presentations", body)

        def total(teacher):
            r = req(dist, rec, "GET", "/v1/recognition/teachers/%s/total" % teacher)
            assert r.status_code == 200, r.text
            return r.body["totals"]["ceu"]

        # Issued before any approval.
        early = issue(1)
        r = present("t-ann", early, ann_id)
        check(r.status_code == 201 and r.body["verdict"] == "valid"
              and r.body["earner_id"] == ann_id,
              "the record verifies and is linked to ann's earner account")
        check(total("t-ann") == 0.0, "without an approval a policy that requires one counts nothing")

        # Approved now, after that record was issued.
        advance(dist, dist_admin, 5)
        a = req(dist, ann, "POST", "/v1/approvals",
                {"recognizer_id": rec_id, "credential_id": "coaching", "issuer": iss.url})
        assert a.status_code == 201, a.text
        d = req(dist, rec, "POST", "/v1/approvals/%d/decision" % a.body["id"],
                {"decision": "approve", "reason": "in the plan"})
        assert d.status_code == 200, d.text
        check(total("t-ann") == 0.0,
              "an approval granted after the credential was issued does not count it")

        # Earned after the approval: the issuer's clock moves past it.
        advance(iss, iss_admin, 10)
        later = issue(2)
        r = present("t-ann", later, ann_id)
        check(r.status_code == 201 and r.body["verdict"] == "valid",
              "a record issued after the approval verifies")
        check(total("t-ann") == 2.0, "a credential earned after the approval counts")

        r = present("t-bob", issue(3), bob_id)
        check(r.status_code == 201 and total("t-bob") == 0.0,
              "another earner's credential does not ride on ann's approval")
        r = present("t-x", issue(4))
        check(r.status_code == 201 and total("t-x") == 0.0,
              "a presentation naming no earner account counts nothing where approval is required")
        r = present("t-y", issue(5), 99999)
        check(r.status_code == 400 and r.body["field"] == "earner_id",
              "an earner_id that is no earner account here is refused, naming the field")
        r = present("t-z", issue(6), rec_id)
        check(r.status_code == 400 and r.body["field"] == "earner_id",
              "a recognizer's own account is not an earner account")
        for node in (dist, iss):
            status = node.stop()
            check(status == 0, "%s stops cleanly (exit %s; an ASan build exits non-zero on a "
                               "leak or memory error)" % (node.node_id, status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
