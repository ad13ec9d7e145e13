"""test_record_cache - GET /v1/credentials/{id} answers the same from the
node's in-memory record cache as from the store: the same signed bytes, ETag,
headers and 304s, before and after a hit and across a restart (which empties
the cache); unknown ids still get 404 problem+json; the JSON summary, which
carries the status, follows a revocation while the cached COSE bytes do not
change. Expected values come from the record itself: the RFC 9052 signature
checked with PyNaCl against the published JWKS, and the ETag as the quoted hex
of the record's cti claim (RFC 8392 claim key 7), the strong validator
docs/api-records.md promises."""
import base64
import json

from accordtest import Node, check, h2_client, skip, skip_unless_built

skip_unless_built()
try:
    import cbor2
    import nacl.signing
except ImportError:
    skip("python3-cbor2 and python3-nacl are needed (tools/setup.sh)")

# A record read by row id is its earner's or an admin's: never for shared
# caches, and revalidated.
CACHE_CONTROL = "private, no-cache"
TOKEN = {}


def issue(n, token, subject):
    r = n.ctl("credential", "issue", "--email", subject, "--definition", "phonics-k2",
              "--version", "3", "--content-hash", "cd" * 32, "--level", "proficient",
              token=token, json_out=True)
    assert r.returncode == 0, r.stderr
    return r.json["id"]


def signed_claims(cose, keys):
    """RFC 9052 §4.4 Sig_structure built here, Ed25519 verified with PyNaCl."""
    msg = cbor2.loads(cose)
    assert msg.tag == 18
    prot, _, payload, sig = msg.value
    kid = cbor2.loads(prot)[4].hex()
    key = [k for k in keys if k["kid"] == kid][0]
    x = base64.urlsafe_b64decode(key["x"] + "==")
    nacl.signing.VerifyKey(x).verify(cbor2.dumps(["Signature1", prot, b"", payload]), sig)
    return cbor2.loads(payload)


def get(c, n, rid, etag=None, query=""):
    headers = {"authorization": "Bearer " + TOKEN["admin"]}
    if etag:
        headers["if-none-match"] = etag
    return c.get("%s/v1/credentials/%s%s" % (n.url, rid, query), headers=headers)


def answer(r):
    """What must not differ between a store read and a cache hit."""
    return (r.status_code, r.headers.get("content-type"), r.headers.get("etag"),
            r.headers.get("cache-control"), r.headers.get("content-length"), r.content)


def test_the_first_read_and_a_cached_read_are_identical(n, admin, c, ids):
    keys = json.loads(c.get(n.url + "/.well-known/jwks.json").text)["keys"]
    first = get(c, n, ids[0])
    claims = signed_claims(first.content, keys)
    check(first.status_code == 200 and first.headers["content-type"] == "application/cose",
          "the first read is 200 application/cose")
    check(first.headers["etag"] == '"%s"' % claims[7].hex(),
          "its ETag is the quoted hex of the signed cti claim")
    check(first.headers["cache-control"] == CACHE_CONTROL, "it is cacheable by the reader only, revalidated")
    check(first.headers["content-length"] == str(len(first.content)),
          "content-length is the body's length")
    second = get(c, n, ids[0])
    check(answer(second) == answer(first), "a second (cached) read is byte-for-byte the same")


def test_if_none_match_gives_304_from_the_cache(n, admin, c, ids):
    etag = get(c, n, ids[0]).headers["etag"]
    r = get(c, n, ids[0], etag)
    check(r.status_code == 304 and r.content == b"", "a matching If-None-Match gives 304, no body")
    check(r.headers["etag"] == etag and r.headers["cache-control"] == CACHE_CONTROL,
          "the 304 repeats the ETag and Cache-Control")
    r = get(c, n, ids[0], '"00000000000000000000000000000000"')
    check(r.status_code == 200 and r.headers["etag"] == etag,
          "a different If-None-Match gets the full record")


def test_each_record_keeps_its_own_bytes_and_etag(n, admin, c, ids):
    a, b = get(c, n, ids[0]), get(c, n, ids[1])
    check(a.content != b.content and a.headers["etag"] != b.headers["etag"],
          "two records read in turn keep their own bytes and ETags")
    check(answer(get(c, n, ids[1])) == answer(b), "the second record's cached read matches")


def test_unknown_ids_are_404_problem_json_every_time(n, admin, c, ids):
    for rid in ("999999", "999999", "0", "abc"):
        r = get(c, n, rid)
        body = r.json() if r.headers.get("content-type") == "application/problem+json" else {}
        check(r.status_code == 404 and body.get("status") == 404,
              "GET /v1/credentials/%s is 404 problem+json" % rid)


def test_the_json_summary_follows_a_revocation_while_the_cose_bytes_stay(n, admin, c, ids):
    cose = get(c, n, ids[1])
    before = get(c, n, ids[1], query="?format=json")
    check(before.json()["status"] == "valid", "the summary says valid before")
    r = n.ctl("credential", "revoke", str(ids[1]), "--reason", "issued in error", token=admin)
    assert r.returncode == 0, r.stderr
    after = get(c, n, ids[1], query="?format=json")
    check(after.json()["status"] == "revoked", "the summary says revoked right after")
    check(after.headers["etag"] != before.headers["etag"], "and its ETag changed with it")
    check(get(c, n, ids[1], before.headers["etag"], "?format=json").status_code == 200,
          "the old summary ETag no longer gives 304")
    check(answer(get(c, n, ids[1])) == answer(cose), "the signed COSE bytes are unchanged")


def test_a_restart_serves_the_same_answers_from_the_store(n, admin, c, ids):
    before = [get(c, n, rid) for rid in ids]
    n.stop()
    n.start()
    with h2_client() as fresh:
        # The first request after the restart is conditional: a 304 from the store.
        r = get(fresh, n, ids[0], before[0].headers["etag"])
        check(r.status_code == 304, "after a restart a matching If-None-Match gives 304")
        after = [get(fresh, n, rid) for rid in ids]
        check([answer(r) for r in after] == [answer(r) for r in before],
              "after a restart every record reads the same as before")


def main():
    # In file order: the restart comes last.
    tests = sorted((v for k, v in globals().items() if k.startswith("test_")),
                   key=lambda f: f.__code__.co_firstlineno)
    with Node() as n:
        admin = n.init()
        TOKEN["admin"] = admin
        n.start()
        ids = [issue(n, admin, "cache%d@district.example" % i) for i in (1, 2)]
        with h2_client() as c:
            for t in tests:
                print("# " + t.__name__)
                t(n, admin, c, ids)
    print("all passed")


if __name__ == "__main__":
    main()
