"""test_records_privacy - public reads stop telling who earned what. Records
are reached by row id only with an admin's or their earner's token, so
walking /v1/credentials/1..N gets nothing; the transparency log publishes
leaf hashes, enough to rebuild and check its tree, and no records; the public
reach a record through a share link (128 random bits) that can be withdrawn,
after which it answers 404 like a made-up one."""
import base64
import hashlib
import json
import sys

from accordtest import Node, check, h2_client, skip_unless_built


def salted(who, summary):
    """The OB 3.0 identity hash of who@district.example with the record's salt."""
    return "sha256$" + hashlib.sha256(("%s@district.example" % who).encode()
                                      + summary["subject_salt"].encode()).hexdigest()


def issue(n, admin, subject):
    r = n.ctl("credential", "issue", "--email", subject, "--definition", "phonics-k2",
              "--version", "3", "--content-hash", "ab" * 32, "--level", "proficient",
              token=admin, json_out=True)
    assert r.returncode == 0, r.stderr
    return r.json["id"]


def main():
    skip_unless_built()
    with Node() as n, h2_client() as c:
        admin = n.init()
        n.start()
        ids = [issue(n, admin, "person%d@district.example" % i) for i in range(3)]
        r = c.post(n.url + "/v1/users", headers={"authorization": "Bearer " + admin},
                   json={"name": "someone", "roles": ["earner"]})
        assert r.status_code == 201, r.text
        t = c.post(n.url + "/v1/users/%d/tokens" % r.json()["id"],
                   headers={"authorization": "Bearer " + admin}, json={})
        earner = {"authorization": "Bearer " + t.json()["token"]}

        # ---- enumeration by row id ----
        anon = [c.get(n.url + "/v1/credentials/%d%s" % (i, suffix))
                for i in ids for suffix in ("", "?format=json", "/bundle", "/inclusion")]
        check(all(r.status_code == 401 for r in anon),
              "anonymous reads of /v1/credentials/{1..N} (record, summary, bundle, proof) get 401")
        other = [c.get(n.url + "/v1/credentials/%d%s" % (i, suffix), headers=earner)
                 for i in ids + [999] for suffix in ("", "?format=json", "/bundle")]
        check(all(r.status_code == 404 for r in other)
              and len({r.json()["detail"].split(":")[1] for r in other}) == 1,
              "an earner walking other people's ids gets the same 404 for taken and free ids")
        r = c.get(n.url + "/v1/credentials/%d?format=json" % ids[0],
                  headers={"authorization": "Bearer " + admin})
        check(r.status_code == 200 and r.json()["sub"] == salted("person0", r.json()),
              "an admin still reads a record by its row id")

        # ---- the log publishes leaf hashes ----
        e = c.get(n.url + "/v1/log/entries?start=0&end=3").json()
        text = json.dumps(e)
        check(all(set(x) == {"index", "leaf_hash"} for x in e["entries"])
              and "person" not in text and "phonics" not in text,
              "/v1/log/entries publishes leaf hashes, no subject and no credential")
        cose = c.get(n.url + "/v1/credentials/%d" % ids[1],
                     headers={"authorization": "Bearer " + admin}).content
        check(base64.b64decode(e["entries"][1]["leaf_hash"])
              == hashlib.sha256(b"\x00" + cose).digest(),
              "a leaf hash is SHA-256(0x00 || record), so a holder can find its own entry")

        # ---- a share link, then withdrawn ----
        s = n.ctl("credential", "share", str(ids[2]), token=admin, json_out=True)
        check(s.returncode == 0 and len(s.json["token"]) == 22
              and len(base64.urlsafe_b64decode(s.json["token"] + "==")) == 16,
              "a share link carries a 128-bit random token (accordctl credential share)")
        token, url = s.json["token"], s.json["url"]
        check(url == n.url + "/v1/shared/" + token,
              "the link is the token alone, not the row id")
        r = c.get(url + "?format=json")
        check(r.status_code == 200 and r.json()["sub"] == salted("person2", r.json())
              and r.headers["cache-control"] == "private, no-cache",
              "anyone with the link reads the record's summary, revalidated every time")
        b = c.get(url + "/bundle")
        check(b.status_code == 200 and b.headers["content-type"] == "application/cbor",
              "and its bundle")
        s2 = n.ctl("credential", "share", str(ids[2]), token=admin, json_out=True)
        check(s2.json["token"] != token, "each share is its own link")
        w = n.ctl("credential", "unshare", str(ids[2]), token, token=admin)
        check(w.returncode == 0, "the link is withdrawn (accordctl credential unshare)")
        check(c.get(url + "?format=json").status_code == 404
              and c.get(url + "/bundle").status_code == 404,
              "a withdrawn link answers 404")
        check(c.get(s2.json["url"] + "?format=json").status_code == 200,
              "withdrawing one link leaves the other")
        made_up = url[:-len(token)] + "A" * 22
        check(c.get(made_up).status_code == 404, "a made-up token answers 404")
        r = c.post(n.url + "/v1/credentials/%d/shares" % ids[0], headers=earner, json={})
        check(r.status_code == 404, "an earner cannot share someone else's record")
        w = n.ctl("credential", "unshare", str(ids[2]), token, token=admin)
        check(w.returncode == 1, "withdrawing a withdrawn link is refused")
        status = n.stop()
        check(status == 0, "the node stops cleanly (exit %s; an ASan build exits non-zero on a "
                           "leak or memory error)" % status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
