"""remote_cert - a shared fixture for tests that need reviewers of one node
certified for another node's credential (docs/borrowing.md, "Cross-node
certification"), through the real APIs of both nodes only:

    from remote_cert import certify_across
    # issuer grants lender "lend"; lender grants issuer "certify";
    # cred = lifecycle.active_credential(issuer, issuer_token, definition, ...)
    r = certify_across(issuer, issuer_token, lender, lender_token, cred, definition,
                       "ana", school="North High", district="North")
    r.user_id, r.api        # the reviewer on the lender (user id, Api)
    r.stand_in              # their stand-in's user id on the issuer
    r.application           # the application's id on the lender

It issues the reviewer a record of each "holds_credential" qualification on
the issuer, applies from the lender with those records, screens the manual
qualifications as the issuer's admin, trains, draws and answers every item
at its expert level, and waits for the lender to hold the signed record."""
import time

from accordtest import Api
from lifecycle import new_user


class RemoteReviewer:
    def __init__(self, user_id, api, stand_in, application):
        self.user_id = user_id
        self.api = api
        self.stand_in = stand_in
        self.application = application


def _ok(r, code):
    assert r[0] == code, r
    return r[1]


def _wait(api, path, ready, what, timeout=30.0):
    end = time.time() + timeout
    while True:
        status, body = api.get(path)
        if status == 200 and not body.get("pending") and ready(body):
            return body
        assert time.time() < end, "timed out waiting for %s: %s" % (what, body)
        time.sleep(0.1)


def certify_across(issuer, issuer_token, lender, lender_token, cred, definition, name,
                   school="", district="", domains=None):
    """Certifies a new reviewer |name| of |lender| for |cred| of |issuer|
    (see the module's docstring). Returns a RemoteReviewer."""
    issuer_admin, lender_admin = Api(issuer, issuer_token), Api(lender, lender_token)
    uid, api, _ = new_user(lender, lender_admin, name, ["reviewer"])
    _ok(api.put("/v1/reviewers/me", {"school": school, "district": district,
                                     "domains": domains if domains is not None else
                                     definition.get("domains", [])}), 200)
    held = []
    for q in definition.get("reviewers", {}).get("qualifications", []):
        if q.get("kind") == "holds_credential":
            rec = _ok(issuer_admin.post("/v1/credentials/issue", {
                "email": "%s@%s" % (name, lender.node_id),
                "definition_id": q["credential"], "definition_version": 1,
                "content_hash": "ab" * 32, "achieved_level": "pass"}), 201)
            held.append({"credential": q["credential"], "record": rec["id"]})
    app = _ok(api.post("/v1/peers/%s/credentials/%s/apply" % (issuer.node_id, definition["id"]),
                       {"answers": {"domain_expertise": "years"}, "held": held}), 202)
    path = "/v1/remote-certifications/%d" % app["id"]
    app = _wait(api, path, lambda b: b["state"] != "sent", "the issuer's screening")
    d = "/v1/definitions/" + cred.ref
    # The stand-in's user name is "<home user id>.<home node>" (docs/borrowing.md).
    users = _ok(issuer_admin.get("/v1/users?limit=200"), 200)["items"]
    stand_in = [u["id"] for u in users if u["name"] == "%d.%s" % (uid, lender.node_id)][0]
    if app["state"] == "applied":
        _ok(issuer_admin.post("%s/applications/%d/screen" % (d, stand_in), {"approve": True}),
            200)
        _wait(api, path, lambda b: b["state"] == "screened", "screening")
    _ok(api.post(path + "/training-complete"), 202)
    _wait(api, path, lambda b: b["state"] == "trained", "training")
    _ok(api.post(path + "/attempts"), 202)
    app = _wait(api, path, lambda b: "attempt" in b["issuer_says"], "a draw")
    attempt = app["issuer_says"]["attempt"]
    answers = [{"item_id": i["item_id"], "level": cred.levels[cred.bench_truth[i["content"]]]}
               for i in attempt["items"]]
    _ok(api.post(path + "/attempts/%d/answers" % attempt["id"], {"answers": answers}), 202)
    _wait(api, path, lambda b: b["state"] == "certified" and b["has_record"], "certification")
    issuer_admin.close()
    lender_admin.close()
    return RemoteReviewer(uid, api, stand_in, app["id"])
