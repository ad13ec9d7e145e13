"""test_recognition_verify - a recognizer node verifies what a teacher presents
itself, with core/trust (the rules of accord-verify), asking the issuer node
for its keys, log proofs and current status, and never takes a verdict from
the client. Two real nodes: an issuer and a district recognizer. A suspended
credential stops counting once the recognizer's cached status is older than
its ttl, and counts again after reinstatement; a revoked one stops for good,
and presenting it again (or an old verification) cannot bring it back; an
issuer that cannot be reached makes the credential count nothing.

None of it makes the recognizer's event loop wait on the database (issue
15): the write after a presentation's verification, the re-checks' writes
(tasks of the request group, on its fiber) and the total's reads (a reader
thread) run no statement there, so accord_store_loop_statements_total does
not move across them; and the total answers the same bytes as a node whose
reads all run on the loop ([node] readers = 0)."""
import base64
import contextlib
import json
import os
import sys
import tempfile

from accordtest import Node, check, h2_client, skip_unless_built
import test_reader_threads as rt
import test_reads_loop_statements as rls

STATUS_TTL_S = 60  # AC__RECOGNITION_STATUS_TTL_S


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
                               content=json.dumps(body), timeout=60)
        else:
            r = self.c.request(method, self.node.url + path, headers=headers, timeout=60)
        try:
            r.body = r.json()
        except ValueError:
            r.body = None
        return r


def main():
    skip_unless_built()
    with Node(node_id="issuer.example") as iss, Node(node_id="district.example") as dist, \
            tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as clients:
        client = clients.enter_context(h2_client())
        iss_admin = iss.init()
        iss.start()
        dist_admin = dist.init()
        dist.start()
        issuer = Api(iss, client)
        district = Api(dist, client)

        def issue(n, ceu):
            r = iss.ctl("credential", "issue", "--email", "teacher%d@district.example" % n,
                        "--definition", "phonics-k2", "--version", "3", "--content-hash",
                        "ab" * 32, "--level", "proficient", "--ceu", ceu, token=iss_admin,
                        json_out=True)
            assert r.returncode == 0, r.stderr
            d = os.path.join(tmp, "export-%d" % r.json["id"])
            os.makedirs(d)
            e = iss.ctl("credential", "export", str(r.json["id"]), "--out", d, token=iss_admin)
            assert e.returncode == 0, e.stderr
            base = os.path.join(d, "credential-%d" % r.json["id"])
            with open(base + ".bundle.cbor", "rb") as f, open(base + ".cose", "rb") as g:
                return r.json["id"], f.read(), g.read()

        def change(rid, verb):
            r = iss.ctl("credential", verb, str(rid), "--reason", "test " + verb, token=iss_admin)
            assert r.returncode == 0, r.stderr

        def advance(node, admin, seconds):
            r = Api(node, client).req("POST", "/v1/test/clock", admin,
                                      {"advance_seconds": seconds})
            assert r.status_code == 200, r.text

        r = district.req("POST", "/v1/users", dist_admin, {"name": "district", "roles": ["recognizer"]})
        assert r.status_code == 201, r.text
        t = district.req("POST", "/v1/users/%d/tokens" % r.body["id"], dist_admin, {})
        rec = t.body["token"]
        r = district.req("POST", "/v1/recognition/policies", rec,
                         {"issuer": iss.url, "credential_id": "phonics-k2", "purpose": "ceu"})
        assert r.status_code == 201, r.text

        id1, bundle1, cose1 = issue(1, "2")
        id2, bundle2, _ = issue(2, "1.5")

        def total(teacher):
            r = district.req("GET", "/v1/recognition/teachers/%s/total" % teacher, rec)
            assert r.status_code == 200, r.text
            return r.body["totals"]["ceu"]

        # ---- the node verifies; the client's verdict is not accepted ----
        r = district.req("POST", "/v1/recognition/presentations", rec,
                         {"teacher": "t-1", "email": "teacher1@district.example", "bundle": b64u(bundle1),
                          "verification": {"verdict": "valid", "checks": []}})
        check(r.status_code == 400 and r.body.get("field") == "verification",
              "a verdict posted by the client is refused, naming the field")
        own, _ = rls.fewest(client, dist, dist_admin, lambda: None)
        answers = []

        def present(teacher, email, bundle):
            r = district.req("POST", "/v1/recognition/presentations", rec,
                             {"teacher": teacher, "email": email, "bundle": b64u(bundle)})
            answers.append(r)
            return r

        # Presented again on a later try (the fewest statements of a few
        # count): the same record for the same teacher, 200 then.
        d, _ = rls.fewest(client, dist, dist_admin,
                          lambda: present("t-1", "teacher1@district.example", bundle1), own)
        check(d == 0, "recording a verified presentation runs no statement on the loop (%d)" % d)
        check(all(a.status_code == 200 and a.body["verdict"] == "valid" for a in answers[1:]),
              "presenting the same record again answers 200, valid")
        r = answers[0]
        checks = {c["check"]: c for c in (r.body or {}).get("checks", [])}
        check(r.status_code == 201 and r.body["verdict"] == "valid"
              and r.body["verified_by"] == "node"
              and checks.get("status", {}).get("result") == "pass"
              and "fetched now" in checks["status"]["reason"]
              and checks.get("log-fetch", {}).get("result") == "pass",
              "the recognizer verifies the bundle itself, status and log fetched from the issuer")
        r = district.req("POST", "/v1/recognition/presentations", rec,
                         {"teacher": "t-2", "email": "teacher2@district.example", "bundle": b64u(bundle2)})
        check(r.status_code == 201 and r.body["verdict"] == "valid",
              "a second teacher's bundle verifies")
        r = present("t-5", "teacher1@district.example", bundle1)
        check(r.status_code == 409 and r.body.get("field") == "teacher"
              and "one teacher only" in r.body.get("detail", ""),
              "a record presented for a second teacher is refused once verified: 409 naming "
              "teacher (%d)" % r.status_code)
        check(total("t-1") == 2.0 and total("t-2") == 1.5, "both credentials count")
        d, r = rls.fewest(client, dist, dist_admin, lambda: district.req(
            "GET", "/v1/recognition/teachers/t-1/total", rec), own)
        check(d == 0 and r.status_code == 200 and r.body["totals"]["ceu"] == 2.0,
              "the total is read with no statement on the loop (%d)" % d)

        # The same bytes as with every read on the loop.
        def totals(c):
            return [rls.answer(c.get(dist.url + "/v1/recognition/teachers/%s/total" % t,
                                     headers={"authorization": "Bearer " + rec}))
                    for t in ("t-1", "t-2", "t-9")]
        off_loop = totals(client)
        check(dist.stop() == 0, "the recognizer stops cleanly")
        rt.set_readers(dist, 0)
        dist.start()
        with h2_client() as c:
            on_loop = totals(c)
        check(dist.stop() == 0, "the recognizer stops cleanly")
        rt.set_readers(dist, None)
        dist.start()
        # The old connections went with the node: a new client from here.
        client = clients.enter_context(h2_client())
        district.c = client
        check(on_loop == off_loop and on_loop[0][0] == 200,
              "the totals answer the same status and bytes as with every read on the loop")

        # The last byte of the record is its signature's: the record still
        # decodes, so only verifying it shows the change.
        forged = cose1[:-1] + bytes([cose1[-1] ^ 1])
        assert bundle1.count(cose1) == 1
        r = district.req("POST", "/v1/recognition/presentations", rec,
                         {"teacher": "t-3", "email": "teacher1@district.example", "bundle": b64u(bundle1.replace(cose1, forged))})
        checks = {c["check"]: c for c in (r.body or {}).get("checks", [])}
        check(r.status_code == 201 and r.body["verdict"] == "invalid"
              and checks.get("signature", {}).get("result") == "fail",
              "a bundle whose record signature was altered is found invalid by the node")
        check(total("t-3") == 0.0, "a tampered bundle counts nothing")

        # ---- an issuer no policy names is not asked ----
        with Node(node_id="elsewhere.example") as other:
            other_admin = other.init()
            other.start()
            r = other.ctl("credential", "issue", "--email", "teacher9@district.example", "--definition",
                          "phonics-k2", "--version", "3", "--content-hash", "ab" * 32, "--level",
                          "proficient", "--ceu", "5", token=other_admin, json_out=True)
            assert r.returncode == 0, r.stderr
            d = os.path.join(tmp, "other")
            e = other.ctl("credential", "export", str(r.json["id"]), "--out", d,
                          token=other_admin)
            assert e.returncode == 0, e.stderr
            with open(os.path.join(d, "credential-%d.cose" % r.json["id"]), "rb") as f:
                foreign = f.read()
            r = district.req("POST", "/v1/recognition/presentations", rec,
                             {"teacher": "t-4", "email": "teacher9@district.example", "record": b64u(foreign)})
            check(r.status_code == 201 and r.body["verdict"] == "indeterminate"
                  and "no active policy" in r.body["checks"][0]["reason"],
                  "a record from an issuer none of the recognizer's policies names is not "
                  "fetched from: indeterminate")

        # ---- suspension and reinstatement, seen when the cached status expires ----
        change(id1, "suspend")
        check(total("t-1") == 2.0, "within the status ttl the cached verdict still counts")

        def recheck(teacher):
            advance(dist, dist_admin, STATUS_TTL_S + 1)
            return total(teacher)
        # Every try re-checks (the clock moved past the ttl again).
        d, ceus = rls.fewest(client, dist, dist_admin, lambda: recheck("t-1"), own)
        check(ceus == 0.0, "after the ttl the total re-checks status: suspended, no CEUs")
        check(d == 0, "re-checking and storing the verdicts runs no statement on the loop (%d)" % d)
        r = district.req("GET", "/v1/recognition/presentations?teacher=t-1", rec)
        check(r.body["items"][0]["status"] == "fail"
              and "SUSPENDED" in [c for c in r.body["items"][0]["checks"]
                                  if c["check"] == "status"][0]["reason"],
              "the stored verdict says the status check found it suspended")
        change(id1, "reinstate")
        advance(dist, dist_admin, STATUS_TTL_S + 1)
        check(total("t-1") == 2.0, "reinstatement restores the CEUs")

        # ---- revocation cannot be undone by presenting again ----
        change(id2, "revoke")
        advance(dist, dist_admin, STATUS_TTL_S + 1)
        check(total("t-2") == 0.0, "a revoked credential no longer counts")
        r = district.req("POST", "/v1/recognition/presentations", rec,
                         {"teacher": "t-2", "email": "teacher2@district.example", "bundle": b64u(bundle2)})
        check(r.status_code == 200 and r.body["verdict"] == "invalid",
              "presenting the revoked bundle again re-verifies it as invalid")
        check(total("t-2") == 0.0, "re-presenting a bundle made before revocation brings nothing back")

        # ---- an unreachable issuer: indeterminate, counts nothing ----
        iss.stop()
        advance(dist, dist_admin, STATUS_TTL_S + 1)
        check(total("t-1") == 0.0, "with the issuer unreachable the status is unknown: no CEUs")
        r = district.req("GET", "/v1/recognition/presentations?teacher=t-1", rec)
        check(r.body["items"][0]["verdict"] == "indeterminate",
              "the verdict is indeterminate while the issuer cannot be asked")
        status = dist.stop()
        check(status == 0, "the recognizer's node stops cleanly (exit %s; an ASan build exits "
                           "non-zero on a leak or memory error)" % status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
