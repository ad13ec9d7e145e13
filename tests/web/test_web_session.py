"""Browser sessions over HTTP against a real node over TLS, without a
browser: the cookie's flags, the CSRF header, the sign-in throttle, a mailed
sign-in link, an admin's invitation, a password reset by mail, sign-out, and the static pages' headers
and ETags. (The browser journeys are in test_web_browser.py.)"""
import glob
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from accordtest import Api, Node, check, h2_client, make_self_signed, skip_unless_built  # noqa: E402

skip_unless_built()


def mailed_token(node, page):
    """The token of the newest mailed link to |page| in the node's maildir."""
    files = sorted(glob.glob(os.path.join(node.data_dir, "maildir", "new", "*")),
                   key=os.path.getmtime)
    for path in reversed(files):
        with open(path, errors="replace") as f:
            m = re.search(r"/%s#(acl_[A-Za-z0-9_-]{43})" % re.escape(page), f.read())
        if m:
            return m.group(1)
    raise AssertionError("no mail with a %s link in %s" % (page, files))


def wait_mail(node, page, timeout=10):
    import time
    deadline = time.monotonic() + timeout
    while True:
        try:
            return mailed_token(node, page)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_new_mail(node, before, timeout=10):
    """The text of the first mail delivered that is not in |before|."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        new = set(glob.glob(os.path.join(node.data_dir, "maildir", "new", "*"))) - before
        if new:
            with open(sorted(new)[0], errors="replace") as f:
                return f.read()
        if time.monotonic() > deadline:
            raise AssertionError("no new mail within %d s" % timeout)
        time.sleep(0.2)


def sign_in_kinds(node, who):
    """The kinds of the notifications |who| (an Api) has that carry a
    sign-in link: stored in the same transaction as the link, so read at
    once."""
    st, r = who.get("/v1/notifications")
    assert st == 200, r
    return [m for m in r["items"] if m["kind"] == "sign-in"]


def answer(r):
    """A response's status and problem without its server_time, which
    differs between any two answers."""
    body = dict(r.json())
    body.pop("server_time", None)
    return r.status_code, body


def addresses(n, c, admin):
    """Signing in by a verified e-mail address: with a password and with a
    mailed link; an unverified or shared address never signs in and is
    answered like an unknown one; one throttle per account, whichever of
    name and address was typed."""
    # A fresh 15-minute window: the throttles above forget their counts.
    st, _ = admin.post("/v1/test/clock", {"advance_seconds": 16 * 60})
    assert st == 200
    st, una = admin.post("/v1/users", {"name": "una", "roles": ["earner"], "email": "Una@School.example"})
    assert st == 201, una
    assert admin.put("/v1/users/%d/password" % una["id"], {"password": "una's password"})[0] == 200
    r = c.post(n.url + "/v1/session", json={"name": "una@school.example", "password": "una's password"})
    check(r.status_code == 201 and r.json()["user"]["name"] == "una",
          "a user signs in with her verified e-mail address and password")
    r = c.post(n.url + "/v1/session", json={"name": " UNA@School.Example ", "password": "una's password"})
    check(r.status_code == 201, "the address is matched without regard to case or surrounding spaces")
    r = c.post(n.url + "/v1/session", json={"name": "una", "password": "una's password"})
    check(r.status_code == 201, "the user name still signs in beside the address")

    # uri's address is stored but not proved: it must not sign him in.
    st, uri = admin.post("/v1/users", {"name": "uri", "roles": ["earner"]})
    assert admin.put("/v1/users/%d/password" % uri["id"], {"password": "uri's password"})[0] == 200
    st, e = admin.put("/v1/users/%d/email" % uri["id"], {"email": "uri@school.example"})
    assert st == 200 and not e.get("verified_at"), e
    unverified = c.post(n.url + "/v1/session", json={"name": "uri@school.example", "password": "uri's password"})
    unknown = c.post(n.url + "/v1/session", json={"name": "nobody@school.example", "password": "uri's password"})
    check(unverified.status_code == 401 and unknown.status_code == 401
          and answer(unverified) == answer(unknown) and unverified.json()["field"] == "password",
          "an unverified address is refused with the very answer an unknown one gets: %s" % unverified.json())

    # Links by address: mailed to a verified one; an unverified one answers alike and mails nothing.
    una_api = Api(n, admin.post("/v1/users/%d/tokens" % una["id"], {"label": "t"})[1]["token"])
    uri_api = Api(n, admin.post("/v1/users/%d/tokens" % uri["id"], {"label": "t"})[1]["token"])
    before = set(glob.glob(os.path.join(n.data_dir, "maildir", "new", "*")))
    known = c.post(n.url + "/v1/session/link", json={"name": "una@school.example"})
    check(known.status_code == 202 and len(sign_in_kinds(n, una_api)) == 1,
          "a sign-in link is requested by a verified address")
    mail = wait_new_mail(n, before)
    check(re.search(r"^To: .*una@school\.example", mail, re.M | re.I) is not None,
          "the link is mailed to the verified address")
    token = re.search(r"/link\.html#(acl_[A-Za-z0-9_-]{43})", mail).group(1)
    r = c.post(n.url + "/v1/session/redeem", json={"token": token})
    check(r.status_code == 201 and r.json()["user"]["name"] == "una", "the link mailed by address signs her in")
    r1 = c.post(n.url + "/v1/session/link", json={"name": "uri@school.example"})
    r2 = c.post(n.url + "/v1/session/link", json={"name": "nobody@school.example"})
    check(r1.status_code == r2.status_code == 202 and answer(r1) == answer(r2) and not sign_in_kinds(n, uri_api),
          "a link asked for an unverified address answers like an unknown one and mails no link")

    # One count per account: failures by name and by address add up.
    codes = []
    for i in range(5):
        who = "una" if i % 2 else "una@school.example"
        codes.append(c.post(n.url + "/v1/session", json={"name": who, "password": "wrong password!"}).status_code)
    by_name = c.post(n.url + "/v1/session", json={"name": "una", "password": "una's password"})
    by_addr = c.post(n.url + "/v1/session", json={"name": "una@school.example", "password": "una's password"})
    link = c.post(n.url + "/v1/session/link", json={"name": "una@school.example"})
    check(codes == [401] * 5 and by_name.status_code == 429 and by_addr.status_code == 429
          and link.status_code == 429,
          "five failures mixing name and address throttle the account by either (%s, then %d, %d, link %d)"
          % (codes, by_name.status_code, by_addr.status_code, link.status_code))
    st, _ = admin.post("/v1/test/clock", {"advance_seconds": 16 * 60})
    r = c.post(n.url + "/v1/session", json={"name": "una@school.example", "password": "una's password"})
    check(r.status_code == 201, "after the 15-minute window the address signs in again")

    # An address two accounts have each proved names neither.
    st, _ = admin.post("/v1/users", {"name": "una2", "roles": ["earner"], "email": "una@school.example"})
    assert st == 201
    r = c.post(n.url + "/v1/session", json={"name": "una@school.example", "password": "una's password"})
    check(answer(r) == answer(unknown),
          "an address verified by two accounts signs in neither, answered like an unknown one (%d %s)" % (r.status_code, r.text))
    una_api.close()
    uri_api.close()


def main():
    tmp = tempfile.mkdtemp(prefix="accord-web-")
    try:
        run(make_self_signed(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("all checks passed")


def run(tls):
    with Node(tls=tls) as n:
        admin_token = n.init()
        n.start()
        admin = Api(n, admin_token)
        st, u = admin.post("/v1/users", {"name": "tess", "roles": ["earner"]})
        assert st == 201, (st, u)
        st, body = admin.put("/v1/users/%d/password" % u["id"], {"password": "short"})
        check(st == 400 and body["field"] == "password",
              "a password under 10 characters is refused, naming the field")
        st, body = admin.put("/v1/users/%d/password" % u["id"], {"password": "correct horse 1"})
        check(st == 200, "an admin sets a user's password")

        with h2_client() as c:
            r = c.get(n.url + "/")
            check(r.status_code == 200 and "text/html" in r.headers["content-type"],
                  "the sign-in page is served at / over TLS")
            csp = r.headers.get("content-security-policy", "")
            check("script-src 'self'" in csp and "frame-ancestors 'none'" in csp
                  and "unsafe-inline" not in csp,
                  "pages carry a self-only CSP with no inline script and no framing")
            check(r.headers.get("x-content-type-options") == "nosniff"
                  and r.headers.get("referrer-policy") == "no-referrer",
                  "pages carry nosniff and a referrer policy")
            r2 = c.get(n.url + "/app.js", headers={"if-none-match": c.get(n.url + "/app.js").headers["etag"]})
            check(r2.status_code == 304, "an unchanged file answers 304 to its ETag")
            check(c.get(n.url + "/..%2Fnode.conf").status_code == 404
                  and c.get(n.url + "/no-such.html").status_code == 404,
                  "only the loaded files are served, never a path outside web/")

            r = c.post(n.url + "/v1/session", json={"name": "tess", "password": "correct horse 1"})
            check(r.status_code == 201, "a user signs in with name and password")
            cookie = r.headers["set-cookie"]
            for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age="):
                check(flag in cookie, "the session cookie has " + flag)
            csrf = r.json()["csrf"]
            value = cookie.split(";")[0]
            hdr = {"cookie": value}
            r = c.get(n.url + "/v1/submissions", headers=hdr)
            check(r.status_code == 200, "the API accepts the session cookie for a read")
            r = c.post(n.url + "/v1/artifacts", headers=dict(hdr, **{"content-type": "application/octet-stream"}),
                       content=b"evidence")
            check(r.status_code == 403 and r.json()["field"] == "x-accord-csrf",
                  "a write from a session without the CSRF header is refused")
            r = c.post(n.url + "/v1/artifacts", headers=dict(hdr, **{"content-type": "application/octet-stream",
                                                                        "x-accord-csrf": "x" * 43}),
                       content=b"evidence")
            check(r.status_code == 403, "a write with a wrong CSRF value is refused")
            r = c.post(n.url + "/v1/artifacts", headers=dict(hdr, **{"content-type": "application/octet-stream",
                                                                        "x-accord-csrf": csrf}),
                       content=b"evidence")
            check(r.status_code == 201, "a write with the session's CSRF header is accepted")
            for h, v in (("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")):
                r = c.post(n.url + "/v1/artifacts",
                           headers=dict(hdr, **{"content-type": "application/octet-stream",
                                                "x-accord-csrf": csrf, h: v}), content=b"x")
                check(r.status_code == 403 and r.json()["field"] == "origin",
                      "a cross-site write (%s: %s) is refused even with the CSRF value" % (h, v))
            r = c.post(n.url + "/v1/session", json={"name": "tess", "password": "correct horse 1"})
            check(r.headers["set-cookie"].split(";")[0] != value,
                  "signing in again rotates the cookie (a new random session)")
            check(admin.get("/v1/submissions")[0] == 200, "bearer tokens keep working")

            r = c.delete(n.url + "/v1/session", headers=dict(hdr, **{"x-accord-csrf": csrf}))
            check(r.status_code == 204 and "Max-Age=0" in r.headers["set-cookie"],
                  "sign-out answers 204 and clears the cookie")
            check(c.get(n.url + "/v1/submissions", headers=hdr).status_code == 401,
                  "a signed-out session is refused")

            codes = [c.post(n.url + "/v1/session", json={"name": "tess", "password": "wrong password!"}).status_code
                     for _ in range(6)]
            check(codes[:5] == [401] * 5 and codes[5] == 429,
                  "the sixth failed sign-in of an account within 15 minutes is refused with 429")
            r = c.post(n.url + "/v1/session", json={"name": "tess", "password": "correct horse 1"})
            check(r.status_code == 429, "while throttled even the right password waits")

            r = c.post(n.url + "/v1/session/link", json={"name": "nobody-here"})
            check(r.status_code == 202, "a link request for an unknown name answers like a known one")
            st, v = admin.post("/v1/users", {"name": "vera", "roles": ["recognizer"]})
            r = c.post(n.url + "/v1/session/link", json={"name": "vera@test.node"})
            check(r.status_code == 202, "a sign-in link is requested by mail address")
            token = wait_mail(n, "link.html")
            r = c.post(n.url + "/v1/session/redeem", json={"token": token})
            check(r.status_code == 201 and "HttpOnly" in r.headers["set-cookie"],
                  "the mailed link signs in")
            r = c.post(n.url + "/v1/session/redeem", json={"token": token})
            check(r.status_code == 401 and r.json()["field"] == "token", "the link works only once")

            st, w = admin.post("/v1/users", {"name": "wren", "roles": ["reviewer"]})
            st, _ = admin.post("/v1/users/%d/invite" % w["id"])
            check(st == 202, "an admin invites a user by mail")
            token = wait_mail(n, "password.html")
            r = c.post(n.url + "/v1/password", json={"token": token, "password": "a new password"})
            check(r.status_code == 201, "the invitation link sets the password and signs in")
            r = c.post(n.url + "/v1/session", json={"name": "wren", "password": "a new password"})
            check(r.status_code == 201, "the chosen password then signs in")

            # A forgotten password: a reset link by mail, like an invitation
            # but asked for by the person, and limited per account.
            r = c.post(n.url + "/v1/password/reset", json={"name": "nobody-here"})
            check(r.status_code == 202, "a reset for an unknown name answers like a known one")
            before = set(glob.glob(os.path.join(n.data_dir, "maildir", "new", "*")))
            r = c.post(n.url + "/v1/password/reset", json={"name": "wren@test.node"})
            check(r.status_code == 202, "a password reset is requested by mail address")
            mail = wait_new_mail(n, before)
            token = re.search(r"/password\.html#(acl_[A-Za-z0-9_-]{43})", mail).group(1)
            check("Reset your Accord password" in mail and "your password is unchanged" in mail,
                  "the reset mail says it is a reset the person asked for")
            r = c.post(n.url + "/v1/session", json={"name": "wren", "password": "a new password"})
            check(r.status_code == 201, "asking for a reset leaves the password working until the link is used")
            r = c.post(n.url + "/v1/password", json={"token": token, "password": "another password"})
            check(r.status_code == 201, "the reset link sets a new password and signs in")
            r = c.post(n.url + "/v1/session", json={"name": "wren", "password": "a new password"})
            check(r.status_code == 401, "the old password no longer signs in after a reset")
            r = c.post(n.url + "/v1/password", json={"token": token, "password": "a third password"})
            check(r.status_code == 401 and r.json()["field"] == "token", "a reset link works only once")
            codes = [c.post(n.url + "/v1/password/reset", json={"name": "wren"}).status_code for _ in range(5)]
            r = c.post(n.url + "/v1/password/reset", json={"name": "wren"})
            check(codes == [202] * 4 + [429] and r.status_code == 429 and r.json()["field"] == "name",
                  "the sixth reset of an account within 15 minutes is refused with 429 (%s)" % codes)
            r = c.post(n.url + "/v1/password/reset", json={"name": "wren", "password": "x"})
            check(r.status_code == 400, "a reset request takes only a name")

            addresses(n, c, admin)
        admin.close()
        code = n.stop()
        check(code == 0 and "Sanitizer" not in n.read_stderr(),
              "the node stops cleanly (exit 0, no sanitizer report under ASan)")


main()
