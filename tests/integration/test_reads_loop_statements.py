"""test_reads_loop_statements - no GET route makes the event loop wait on the
database (issue 15): with reader threads, every read a GET route makes (a
token the node has not seen yet, the log head before the checkpoint, proofs
and status lists, /metrics' database size, a record's subject and QR code,
the user a token list names, an artifact's rights row, and every list and
one-row read moved before) runs on a reader thread, so
accord_store_loop_statements_total (statements the loop ran on the database
and waited for; on PostgreSQL each a round trip) does not move while they
are answered. Each route is asked up to a few times and must show no
statement at least once: a route that reads on the loop does so every time
it is asked, while whatever else might run one (a timer) does not.

The answers are the ones the node gives with no reader threads at all
([node] readers = 0, every read on the loop with the writer's connection):
the same status, bytes and ETag (status, content type and ETag presence only
where the body carries a time signed at start: the status token, bundles,
the OB 3.0 status lists, the metrics). A token the node has not seen, and a
browser session's cookie, are read off the loop too, and a refused one is
refused with the same words; a revoked token is refused at once after the
revocation, cached or not. A write with a body and a token the node has
not seen (the headers check's read) runs no statement on the loop either,
and a bogus one is refused 401 off the loop. An idle node runs no statement on the loop at all
(the token cache's once-a-second check of the auth generation runs on a
reader thread), and a token row a write's handler read is not cached.

The submissions list builds every item on a reader thread: a page of
submissions that were reviewed (the reviews' levels), passed (the record
issued for it), failed (the reason and the wait) or wait for reviewers (the
open "no_reviewer" flag, why it waits) reads their definition, reviews,
record and flag there, not on the loop once per item."""
import glob
import hashlib
import json
import os
import random
import re
import time

from accordtest import SOURCE, Node, check, h2_client, loop_statements, skip_unless_built
from lifecycle import active_credential, new_user
from quality import eventually, fast_definition, ok, words, work
import test_reader_threads as rt

skip_unless_built()

TRIES = 5
# Bodies carrying a time signed when the node started, or the node's counters.
UNSTABLE = ("/bundle", "/v1/status/token", "/v1/status/ob3/", "/metrics")


def routes_of(ids, share, cred, version, users, digest):
    """(path, role) of the GET routes the test asks."""
    routes = [(p, "admin") for p in rt.reads_of(ids[:3], share)]
    routes += rt.lifecycle_reads(cred, version)
    routes += [(p, who) for p, who, _ in rt.one_row_reads(cred, version, users["reviewer1"])]
    routes += [(p, "admin") for p in [
        "/healthz", "/v1/node", "/metrics", "/v1/keys", "/.well-known/jwks.json",
        "/.well-known/did.json", "/v1/log/checkpoint", "/v1/status/bitstring",
        "/v1/status/token", "/v1/status/ob3/revocation", "/v1/status/ob3/suspension",
        "/v1/credentials/%d/qr.png" % ids[0], "/v1/credentials/%d/subject" % ids[0],
        "/v1/users/me", "/v1/users/%d/tokens" % users["earner1"], "/v1/users/999999/tokens",
        "/v1/catalog", "/v1/federation/peers", "/v1/federation/ledger",
        "/v1/federation/cosignatures", "/v1/borrowed/batches",
        "/v1/recognition/policies/1", "/v1/artifacts/" + "0" * 64]]
    routes += [("/v1/credentials/%d?format=ob3" % ids[-1], "admin"),
               ("/v1/credentials/%d?format=ob3" % ids[0], "admin"),  # definition not here
               ("/v1/credentials/%d/bundle" % ids[-1], "admin"),
               ("/v1/artifacts/" + digest, "earner"),
               ("/v1/credentials/%d/subject" % ids[0], "earner"),
               ("/v1/users/%d/tokens" % users["earner1"], "earner")]
    return routes


def fill(n, c, admin, definition):
    """Records, a share link, a definition and a record of it, users of each
    role (the earner's address is the first record's subject), a reviewer
    profile, the general module, a recognition policy and an uploaded
    artifact."""
    A = {"authorization": "Bearer " + admin}
    users = {}
    tokens = {"admin": admin,
              "expert": rt.make_user(c, n, admin, "expert1", "expert"),
              "recognizer": rt.make_user(c, n, admin, "recognizer1", "recognizer"),
              "earner": rt.make_user(c, n, admin, "earner1", "earner", users,
                                     "earner0@district.example"),
              "reviewer": rt.make_user(c, n, admin, "reviewer1", "reviewer", users,
                                       "reviewer1@district.example")}
    ids = [rt.issue(n, admin, i) for i in range(rt.RECORDS)]
    r = c.post(n.url + "/v1/credentials/%d/shares" % ids[0], headers=A)
    check(r.status_code == 201, "a share link is made (%d)" % r.status_code)
    share = r.json()["token"]
    r = c.post(n.url + "/v1/definitions", headers=A, json=definition)
    check(r.status_code == 201, "a credential is authored (%d)" % r.status_code)
    version = r.json()["version"]
    # A record of a definition the node holds, so its OB 3.0 form is made.
    r = n.ctl("credential", "issue", "--email", "earner0@district.example", "--definition",
              definition["id"], "--version", str(version), "--content-hash", rt.HASH,
              "--level", "pass", token=admin, json_out=True)
    check(r.returncode == 0, "a record of the authored credential is issued (%s)" % r.stderr)
    ids.append(r.json["id"])
    c.put(n.url + "/v1/reviewers/me", headers={"authorization": "Bearer " + tokens["reviewer"]},
          json={"school": "Lincoln Elementary", "district": "Springfield"})
    c.put(n.url + "/v1/general-module", headers=A,
          json={"title": "Reviewing fairly", "sections": [{"heading": "Bias", "body": "x"}]})
    r = c.post(n.url + "/v1/recognition/policies",
               headers={"authorization": "Bearer " + tokens["recognizer"]},
               json={"issuer": "did:web:elsewhere.example", "credential_id": definition["id"],
                     "purpose": "ceu", "ceus": 1.5})
    check(r.status_code == 201, "a recognition policy is made (%d)" % r.status_code)
    work = b"lesson video\n" * 64
    digest = hashlib.sha256(work).hexdigest()
    r = c.post(n.url + "/v1/artifacts?media_type=text%2Fplain", content=work,
               headers={"authorization": "Bearer " + tokens["earner"],
                        "content-type": "application/octet-stream"})
    check(r.status_code == 201, "an artifact is uploaded (%d)" % r.status_code)
    return ids, share, version, users, tokens, digest


def reviewed_work(n, admin):
    """Submissions of "listed" in every state a list shows something read for:
    two earners' passes (reviews, records), a fail (reason, resubmission
    wait), and one no reviewer can take (both away: a "no_reviewer" flag).
    Returns the routes that list them and the first earner's token."""
    cred = active_credential(n, admin, fast_definition("listed"), reviewers=2)
    api = cred.admin
    rng = random.Random(15)
    earners = [new_user(n, api, "lister%d" % i, ["earner"]) for i in range(4)]

    def submit(who, mark=""):
        return ok(who[1].post("/v1/submissions", {
            "credential": "listed", "school": "Earner School", "district": "Earner District",
            "elements": [{"id": "criteria", "text": mark + words(rng, 50)},
                         {"id": "reflection", "text": words(rng, 50)}]}), 201)["id"]

    decided = [submit(earners[0]), submit(earners[1]), submit(earners[2], "Unfinished. ")]
    work(cred.reviewers, lambda uid, a: "not yet" if "Unfinished." in json.dumps(a) else "pass",
         admin=api)
    for sid in decided:
        s = eventually(lambda: (lambda s: s if "passed" in s and (not s["passed"] or "record" in s)
                                else None)(ok(api.get("/v1/submissions/%d" % sid))))
        check(s and len(s["feedback"]) == 2 and ("record" in s) == s["passed"],
              "submission %d is decided with two reviews (and a record when it passed)" % sid)
    for _, rapi, _ in cred.reviewers:
        ok(rapi.put("/v1/reviewers/me", {"available": False}))
    waits = submit(earners[3])
    check(eventually(lambda: "waiting" in ok(api.get("/v1/submissions/%d" % waits))),
          "a submission no reviewer can take waits, saying why")
    n.wait_settled(api)
    # Told of its outcome, a decided submission is "notified".
    state = ok(api.get("/v1/submissions/%d" % decided[0]))["state"]
    listed = ok(api.get("/v1/submissions?state=" + state))["items"]
    check(sorted(s["id"] for s in listed) == decided,
          "the three decided submissions list as %s" % state)
    cred.close()
    api.close()
    for _, eapi, _ in earners:
        eapi.close()
    # (routes_of() asks GET /v1/submissions as the admin: all of them.)
    routes = [(p, "admin") for p in ("/v1/submissions?limit=2",
                                     "/v1/submissions?state=" + state,
                                     "/v1/submissions?credential=listed&state=queued")]
    return routes + [("/v1/submissions", "lister")], earners[0][2]


def mailed_link(n, address, timeout=60):
    """The token of the set-password link mailed to |address|."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in glob.glob(os.path.join(n.data_dir, "maildir", "new", "*")):
            with open(path, errors="replace") as f:
                text = f.read()
            m = re.search(r"/password\.html#(acl_[A-Za-z0-9_-]{43})", text)
            if address in text and m:
                return m.group(1)
        time.sleep(0.1)
    check(False, "a set-password link reached %s" % address)


def sign_in(n, c, admin):
    """A browser session of a new user (invited by mail, password set
    through the link): its cookie value."""
    A = {"authorization": "Bearer " + admin}
    r = c.post(n.url + "/v1/users", headers=A,
               json={"name": "wren", "email": "wren@example.org", "roles": ["reviewer"]})
    check(r.status_code == 201, "a user to sign in is made (%d)" % r.status_code)
    r = c.post(n.url + "/v1/users/%d/invite" % r.json()["id"], headers=A, json={})
    check(r.status_code == 202, "and invited (%d %s)" % (r.status_code, r.text[:200]))
    password = "the password of wren"
    r = c.post(n.url + "/v1/password", json={"token": mailed_link(n, "wren@example.org"),
                                             "password": password})
    check(r.status_code == 201, "wren sets a password (%d %s)" % (r.status_code, r.text[:200]))
    r = c.post(n.url + "/v1/session", json={"name": "wren", "password": password})
    m = re.search(r"accord_session=([^;]+)", r.headers.get("set-cookie", ""))
    check(r.status_code == 201 and m, "wren signs in (%d)" % r.status_code)
    return m.group(1)


def answer(r):
    return (r.status_code, r.headers.get("content-type"), r.headers.get("etag"), r.content)


def fewest(c, n, admin, ask, own=0):
    """The fewest loop statements one call of |ask| made in up to TRIES
    tries (0 ends them), less |own| (what a /metrics call adds itself), and
    its last answer."""
    best, got = None, None
    for _ in range(TRIES):
        before = loop_statements(c, n, admin)
        got = ask()
        d = loop_statements(c, n, admin) - before - own
        best = d if best is None else min(best, d)
        if best == 0:
            break
    return best, got


def fiber_reads_not_cached(c, n, admin):
    """On a node with every read on the loop ([node] readers = 0): a token
    first used by a write without a body (its handler on a fiber, inside the
    request group's transaction, whose snapshot may predate a revocation
    made elsewhere) is read there and not cached, so its first GET reads it
    on the loop again (a statement) and caches it (the next GET reads
    nothing)."""
    A = {"authorization": "Bearer " + admin}
    own, _ = fewest(c, n, admin, lambda: None)
    me = c.get(n.url + "/v1/users/me", headers=A).json()["id"]
    r = c.post(n.url + "/v1/users/%d/tokens" % me, headers=A, json={})
    check(r.status_code == 201, "a second admin token is made (%d)" % r.status_code)
    B = {"authorization": "Bearer " + r.json()["token"]}
    r = c.delete(n.url + "/v1/federation/dead-letters/999999", headers=B)
    check(r.status_code == 404, "a write without a body authenticates with it (%d %s)"
          % (r.status_code, r.text[:120]))
    before = loop_statements(c, n, admin)
    r = c.get(n.url + "/v1/users/me", headers=B)
    first = loop_statements(c, n, admin) - before - own
    check(r.status_code == 200 and first >= 1,
          "a token row read by a write's handler is not cached: the next GET reads it "
          "(%d statements, %d)" % (first, r.status_code))
    d, r = fewest(c, n, admin, lambda: c.get(n.url + "/v1/users/me", headers=B), own)
    check(d == 0 and r.status_code == 200, "... and caches it (%d statements)" % d)


def writes_with_new_tokens(c, n, admin, own):
    """A write with a body, each with a token the node has not seen: the
    headers check reads the token's row on a reader thread (net/ holds the
    stream and at most its window of body meanwhile), caches it, and the
    write goes on to its handler; the loop waits on no statement. A bogus
    token with a body is refused 401 the same way."""
    A = {"authorization": "Bearer " + admin}
    me = c.get(n.url + "/v1/users/me", headers=A).json()["id"]

    def write_with_new_token():
        r = c.post(n.url + "/v1/users/%d/tokens" % me, headers=A, json={})
        assert r.status_code == 201, r.text
        fresh = {"authorization": "Bearer " + r.json()["token"]}
        # Used once, for a POST with a body (it makes another token).
        return c.post(n.url + "/v1/users/%d/tokens" % me, headers=fresh,
                      json={"label": "made with a new token"})

    for i in range(3):
        d, r = fewest(c, n, admin, write_with_new_token, own)
        check(d == 0 and r.status_code == 201 and r.json()["token"].startswith("acc_"),
              "a write with a body and a token not seen before runs no statement on the "
              "loop (%d statements, %d %s)" % (d, r.status_code, r.text[:120]))
    bogus = {"authorization": "Bearer acc_" + "B" * 43}
    d, r = fewest(c, n, admin, lambda: c.post(n.url + "/v1/users/%d/tokens" % me,
                                              headers=bogus, json={"label": "x" * 5000}), own)
    check(d == 0 and r.status_code == 401
          and r.json()["detail"] == "the bearer token is not known to this node",
          "a write with an unknown token is refused off the loop (%d statements, %d)"
          % (d, r.status_code))


def idle_node_is_flat(c, n, admin):
    """An idle node runs no statement on the loop: the token cache's check
    of the auth generation, once a second, runs on a reader thread."""
    before = loop_statements(c, n, admin)
    time.sleep(3.5)
    grew = loop_statements(c, n, admin) - before
    check(grew == 0, "an idle node's loop ran no statement in 3.5 s (%d)" % grew)


def main():
    os.environ.pop("ACCORD_TEST_READ_DELAY_MS", None)
    with open(os.path.join(SOURCE, "conf", "definitions",
                           "formative-feedback-associate.json")) as f:
        definition = json.load(f)
    definition.pop("state", None)
    with Node(grace_ms=1000) as n:
        admin = n.init()
        n.start()
        with h2_client() as c:
            ids, share, version, users, tokens, digest = fill(n, c, admin, definition)
        routes = routes_of(ids, share, definition["id"], version, users, digest)
        listed, tokens["lister"] = reviewed_work(n, admin)
        routes += listed
        check(n.stop() == 0, "the node stops cleanly")

        # The answers with every read on the loop.
        rt.set_readers(n, 0)
        n.start()
        expected = {}
        with h2_client() as c:
            for path, who in routes:
                r = c.get(n.url + path, headers={"authorization": "Bearer " + tokens[who]})
                expected[(path, who)] = answer(r)
        check(n.stop() == 0, "the node stops cleanly")
        rt.set_readers(n, None)

        n.start()
        waited = []
        with h2_client() as c:
            # Checked last, so that a node where it does not hold still
            # lists the routes that wait.
            own, _ = fewest(c, n, admin, lambda: None)
            for path, who in routes:
                h = {"authorization": "Bearer " + tokens[who]}
                d, r = fewest(c, n, admin, lambda: c.get(n.url + path, headers=h), own)
                if d:
                    waited.append((path, d))
                want = expected[(path, who)]
                got = answer(r)
                if any(u in path for u in UNSTABLE):
                    check(got[:2] == want[:2] and (got[2] is None) == (want[2] is None),
                          "%s as %s answers %d %s as on the loop" % (path, who, got[0], got[1]))
                else:
                    check(got == want, "%s as %s answers the same status, ETag and bytes as on "
                          "the loop (%d, %d bytes)" % (path, who, got[0], len(got[3])))
            check(not waited, "no GET route runs a statement on the loop: %s" % waited)
            check(own == 0, "/metrics itself runs no statement on the loop (%d)" % own)
            idle_node_is_flat(c, n, admin)
            writes_with_new_tokens(c, n, admin, own)

            # Tokens the node has not seen: read on a reader thread, then
            # the request goes on to its handler.
            A = {"authorization": "Bearer " + admin}

            def fresh_token():
                r = c.post(n.url + "/v1/users/%d/tokens" % users["earner1"], headers=A, json={})
                assert r.status_code == 201, r.text
                return r.json()

            def me(token):
                return c.get(n.url + "/v1/users/me", headers={"authorization": "Bearer " + token})

            d, r = fewest(c, n, admin, lambda: me(fresh_token()["token"]), own)
            check(d == 0 and r.status_code == 200 and r.json()["name"] == "earner1",
                  "a token not seen before authenticates off the loop (%d statements, %d)"
                  % (d, r.status_code))
            unknown = "acc_" + "A" * 43
            d, r = fewest(c, n, admin, lambda: me(unknown), own)
            check(d == 0 and r.status_code == 401
                  and r.json()["detail"] == "the bearer token is not known to this node",
                  "an unknown token is refused off the loop (%d statements, %d)"
                  % (d, r.status_code))
            d, r = fewest(c, n, admin, lambda: c.get(n.url + "/v1/log/inclusion?index=1&size=3",
                                                      headers={"authorization": "Bearer "
                                                               + fresh_token()["token"]}), own)
            check(d == 0 and r.status_code == 200, "a public read with a new token too (%d)" % d)

            # A browser session's row is read off the loop too.
            cookie = sign_in(n, c, admin)

            def as_browser(path, value):
                return c.get(n.url + path, headers={"cookie": "accord_session=" + value})

            for path in ("/v1/users/me", "/v1/session", "/v1/reviewers/me"):
                d, r = fewest(c, n, admin, lambda: as_browser(path, cookie), own)
                # wren wrote no reviewer profile: 404 says "your" profile.
                right = (r.status_code == 404 and b"your reviewer profile" in r.content
                         if path == "/v1/reviewers/me"
                         else r.status_code == 200 and b'"name":"wren"' in r.content)
                check(d == 0 and right,
                      "%s with a session cookie is answered off the loop (%d statements, %d %s)"
                      % (path, d, r.status_code, r.text[:120]))
            bogus = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
            d, r = fewest(c, n, admin, lambda: as_browser("/v1/users/me", bogus), own)
            check(d == 0 and r.status_code == 401
                  and "session cookie is not known" in r.json()["detail"],
                  "an unknown session cookie is refused off the loop (%d statements, %d %s)"
                  % (d, r.status_code, r.text[:120]))

            # Revoked: at once, whether the token was cached or never seen.
            used, unseen = fresh_token(), fresh_token()
            check(me(used["token"]).status_code == 200, "a new token works (and is cached)")
            for t in (used, unseen):
                r = c.delete(n.url + "/v1/tokens/%d" % t["id"], headers=A)
                check(r.status_code == 200, "the token is revoked (%d %s)" % (r.status_code, r.text))
                r = me(t["token"])
                check(r.status_code == 401 and "was revoked at" in r.json()["detail"],
                      "a revoked token is refused at once (%d %s)" % (r.status_code, r.text))
                d, r = fewest(c, n, admin, lambda: me(t["token"]), own)
                check(d == 0 and r.status_code == 401,
                      "and refused off the loop on every request (%d statements)" % d)
        check(n.stop() == 0, "the node stops cleanly")

        rt.set_readers(n, 0)
        n.start()
        with h2_client() as c:
            fiber_reads_not_cached(c, n, admin)
        check(n.stop() == 0, "the node stops cleanly")
    print("all passed")


if __name__ == "__main__":
    main()
