"""test_record_etag_earner - an earner reading her own record gets its ETag
every time: on the first read (from the store) and on later ones (from the
record cache, the ownership still checked in the store), whether the read
is answered on the event loop or handed to a reader thread
(ACCORD_TEST_READ_DELAY_MS stands for pages not in memory, so every read
goes to a thread). A wrong If-None-Match then gets the record, the right
one 304. (A cached read handed to a thread once lost its ETag, and any
If-None-Match matched the empty one: 304 for a record the client never
had.)"""
import os

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()


def run(delay_ms):
    if delay_ms:
        os.environ["ACCORD_TEST_READ_DELAY_MS"] = str(delay_ms)
    else:
        os.environ.pop("ACCORD_TEST_READ_DELAY_MS", None)
    how = "handed to a reader thread" if delay_ms else "as the node chooses"
    with Node(node_id="etag.test") as n:
        admin = n.init()
        n.start()
        with h2_client() as c:
            auth = {"authorization": "Bearer " + admin}
            r = c.post(n.url + "/v1/users", headers=auth,
                       json={"name": "earner1", "roles": ["earner"],
                             "email": "e1@district.example"})
            check(r.status_code == 201, "an earner is created: %d" % r.status_code)
            uid = r.json()["id"]
            r = c.post(n.url + "/v1/users/%d/tokens" % uid, headers=auth, json={})
            check(r.status_code == 201, "the earner gets a token: %d" % r.status_code)
            mine = {"authorization": "Bearer " + r.json()["token"]}
            r = n.ctl("credential", "issue", "--earner", str(uid), "--definition", "phonics-k2",
                      "--version", "3", "--content-hash", "ab" * 32, "--level", "proficient",
                      token=admin, json_out=True)
            check(r.returncode == 0, "a record is issued to her: %s" % r.stderr)
            url = n.url + "/v1/credentials/%d" % r.json["id"]
            first = c.get(url, headers=mine)
            etag = first.headers.get("etag", "")
            check(first.status_code == 200 and len(etag) > 2,
                  "%s: her first read answers 200 with an ETag (%r)" % (how, etag))
            for i in range(3):
                again = c.get(url, headers=mine)
                check(again.status_code == 200 and again.headers.get("etag") == etag
                      and again.content == first.content,
                      "%s: read %d (the record cache) carries the same ETag and bytes (%r)"
                      % (how, i + 2, again.headers.get("etag")))
            wrong = c.get(url, headers=dict(mine, **{"if-none-match": '"0000"'}))
            check(wrong.status_code == 200 and wrong.content == first.content,
                  "%s: a wrong If-None-Match gets the record: %d" % (how, wrong.status_code))
            right = c.get(url, headers=dict(mine, **{"if-none-match": etag}))
            check(right.status_code == 304, "%s: the right one gets 304: %d"
                  % (how, right.status_code))
        check(n.stop() == 0, "the node stops cleanly")


run(0)
run(50)
print("all checks passed")
