"""test_lifecycle_review - the review lifecycle's HTTP surface on one real node.

Scenario (what a person would do, in order):
  1. an admin creates an earner, a second earner and a reviewer;
  2. the earner uploads an artifact (raw application/octet-stream body);
     an upload stating the wrong SHA-256 is refused and stores nothing;
  3. the earner reads its artifact back; the other earner cannot see it;
     the admin can;
  4. the node is SIGKILLed and restarted: the artifact is still there;
  5. the artifact file is damaged on disk: the node refuses to serve it;
  6. bad requests get clear errors and change nothing: a reviewer cannot
     submit, an unknown credential is 404, an earner cannot read the flags
     inbox, a reviewer cannot accept a batch that is not theirs.

The full acceptance scenario (60 submissions through assignment, batches,
decisions and monitoring) needs credentials made ACTIVE with certified
reviewers through the credential-lifecycle API, which is not merged yet.
"""
import hashlib
import os
import sys

from accordtest import Node, check, h2_client, skip_unless_built


def make_user(c, node, admin, name, role):
    r = c.post(node.url + "/v1/users", headers={"authorization": "Bearer " + admin},
               json={"name": name, "roles": [role]})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    r = c.post(node.url + "/v1/users/%d/tokens" % uid,
               headers={"authorization": "Bearer " + admin}, json={})
    assert r.status_code == 201, r.text
    return {"authorization": "Bearer " + r.json()["token"]}


def main():
    skip_unless_built()
    with Node() as node, h2_client() as c:
        admin_token = node.init()
        admin = {"authorization": "Bearer " + admin_token}
        node.start()
        earner = make_user(c, node, admin_token, "ana", "earner")
        other = make_user(c, node, admin_token, "ben", "earner")
        reviewer = make_user(c, node, admin_token, "rita", "reviewer")

        work = b"Lesson plan: formative checks every ten minutes.\n" * 50
        digest = hashlib.sha256(work).hexdigest()  # computed independently of the node
        octet = {"content-type": "application/octet-stream"}

        r = c.post(node.url + "/v1/artifacts?sha256=" + "0" * 64, content=work,
                   headers={**earner, **octet})
        check(r.status_code == 400 and r.json().get("field") == "sha256",
              "an upload whose stated hash does not match is refused (400, field sha256)")
        r = c.get(node.url + "/v1/artifacts/" + digest, headers=admin)
        check(r.status_code == 404, "the refused upload stored nothing")

        r = c.post(node.url + "/v1/artifacts?sha256=" + digest, content=work,
                   headers={**earner, **octet})
        check(r.status_code == 201 and r.json()["sha256"] == digest,
              "an upload is stored under its SHA-256")
        r = c.post(node.url + "/v1/artifacts", content=b"{}",
                   headers={**earner, "content-type": "application/json"})
        check(r.status_code == 415, "an artifact must be sent as application/octet-stream")

        r = c.get(node.url + "/v1/artifacts/" + digest, headers=earner)
        check(r.status_code == 200 and r.content == work, "the uploader reads its artifact")
        r = c.get(node.url + "/v1/artifacts/" + digest, headers=other)
        check(r.status_code == 404, "another earner has no right to the artifact (404)")
        r = c.get(node.url + "/v1/artifacts/" + digest, headers=reviewer)
        check(r.status_code == 404, "a reviewer without an accepted assignment cannot read it")
        r = c.get(node.url + "/v1/artifacts/" + digest, headers=admin)
        check(r.status_code == 200, "an admin reads any artifact")

        node.kill()
        node.start()
        c.close()
        c = h2_client()  # the old connection died with the process
        r = c.get(node.url + "/v1/artifacts/" + digest, headers=earner)
        check(r.status_code == 200 and r.content == work,
              "after SIGKILL and restart the artifact is still served intact")

        path = os.path.join(node.data_dir, "artifacts", digest[:2], digest)
        with open(path, "r+b") as f:
            f.write(b"X")
        r = c.get(node.url + "/v1/artifacts/" + digest, headers=earner)
        check(r.status_code == 500 and r.content != work and
              r.json().get("type", "").endswith("artifact-corrupt"),
              "a damaged artifact fails its hash check and is not served")

        sub = {"credential": "formative-feedback",
               "elements": [{"id": "plan", "text": "my plan"}]}
        r = c.post(node.url + "/v1/submissions", headers=reviewer, json=sub)
        check(r.status_code == 403, "a reviewer cannot submit work (403)")
        r = c.post(node.url + "/v1/submissions", headers=earner, json=sub)
        check(r.status_code == 404 and r.json().get("field") == "credential",
              "a submission for an unknown credential is 404 naming the field")
        r = c.get(node.url + "/v1/submissions", headers=earner)
        check(r.status_code == 200 and r.json()["items"] == [],
              "the refused submissions changed nothing")
        r = c.get(node.url + "/v1/flags", headers=earner)
        check(r.status_code == 403, "an earner cannot read the flags inbox (403)")
        r = c.post(node.url + "/v1/reviews/batches/1/accept", headers=reviewer)
        check(r.status_code == 404, "a reviewer cannot accept a batch that is not theirs")
        r = c.post(node.url + "/v1/reviews/assignments/1/score", headers=reviewer,
                   json={"level": "pass"})
        check(r.status_code == 404, "a reviewer cannot score an assignment that is not theirs")
        r = c.get(node.url + "/v1/notifications", headers=earner)
        check(r.status_code == 200 and r.json()["items"] == [],
              "an earner with no events has no notifications")
    return 0


if __name__ == "__main__":
    sys.exit(main())
