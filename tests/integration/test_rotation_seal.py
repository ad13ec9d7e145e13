"""test_rotation_seal.py - a key rotation's seal (node/records/keys.c: the
keyring signs nothing while the key files are fsynced) while the libuv thread
pool is busy with decoy sign-ins (Argon2id): the files are written on a
thread of the rotation's own, so the seal does not wait behind that queue.
Reads (status token, bitstring, OB 3.0 status list, bundle) answer 200, or 503 busy with retry_after_seconds while
sealed, never 500; a status token served is never past its expiry (the
node's clock moved two days on since the cached one was made); a write sent
during the rotation is issued; afterwards every read answers 200."""
import threading
import time

import cbor2

from accordtest import Api, Node, check, h2_client, skip_unless_built

HASH = "ab" * 32
SIGNINS = 48
ROUNDS_MAX = 2000  # read rounds: a bound on the loop, not a time


def issue(n, admin, email):
    return n.ctl("credential", "issue", "--email", email, "--definition", "phonics-k2",
                 "--version", "3", "--content-hash", HASH, "--level", "proficient", "--ceu",
                 "1.5", "--evidence", "x", token=admin, json_out=True)


def answered(r, what):
    """200, or the busy problem: 503 that says when to come back."""
    if r.status_code == 200:
        return True
    if r.status_code == 503:
        p = r.json()
        check(p.get("type", "").endswith("busy") and p.get("retry_after_seconds", 0) >= 1,
              "%s: a 503 during the seal is the busy problem with a retry-after (%s)"
              % (what, r.text[:200]))
        return True
    print("%s: HTTP %d %s" % (what, r.status_code, r.text[:200]))
    return False


def token_exp(r):
    return cbor2.loads(cbor2.loads(r.content)[2])[4]


def main():
    skip_unless_built()
    with Node() as n:
        admin = n.init()
        n.start()
        A = Api(n, admin)
        r = issue(n, admin, "e1@district.example")
        check(r.returncode == 0, "a credential is issued (%s)" % r.stderr)
        rec = r.json
        with h2_client() as c:
            check(c.get(n.url + "/v1/status/token").status_code == 200, "a token is cached")
            status, body = A.post("/v1/test/clock", {"advance_seconds": 2 * 86400})
            check(status == 200, "the node's clock moves two days on (%s)" % (body,))
            node_now = time.time() + 2 * 86400

            def sign_in(i):
                with h2_client() as cc:
                    cc.post(n.url + "/v1/session",
                            json={"name": "nobody%d@x.example" % i, "password": "wrong"},
                            timeout=120)

            ths = [threading.Thread(target=sign_in, args=(i,)) for i in range(SIGNINS)]
            for t in ths:
                t.start()
            rot = {}

            def rotate():
                with h2_client() as cc:
                    rot["r"] = cc.post(n.url + "/v1/keys/rotate",
                                       headers={"authorization": "Bearer " + admin}, timeout=120)

            rt = threading.Thread(target=rotate)
            rt.start()
            wr = {}

            def write():
                wr["r"] = issue(n, admin, "e2@district.example")

            wt = threading.Thread(target=write)
            wt.start()
            bad, rounds, exps = [], 0, []
            while (rt.is_alive() or wt.is_alive()) and rounds < ROUNDS_MAX:
                rounds += 1
                tok = c.get(n.url + "/v1/status/token")
                if tok.status_code == 200:
                    exps.append(token_exp(tok))
                for what, resp in (("token", tok),
                                   ("bitstring", c.get(n.url + "/v1/status/bitstring")),
                                   ("ob3 list", c.get(n.url + "/v1/status/ob3/revocation")),
                                   ("bundle", c.get(n.url + "/v1/credentials/%d/bundle"
                                                    % rec["id"],
                                                    headers={"authorization": "Bearer " + admin}))
                                   ):
                    if not answered(resp, what):
                        bad.append(what)
            rt.join()
            wt.join()
            for t in ths:
                t.join()
            check(rot["r"].status_code == 200,
                  "the rotation succeeds (%d %s)" % (rot["r"].status_code, rot["r"].text[:200]))
            check(wr["r"].returncode == 0, "a write sent during the rotation is issued (%s)"
                  % wr["r"].stderr)
            check(not bad, "no read during the rotation failed (%d of %d rounds: %s)"
                  % (len(bad), rounds, sorted(set(bad))))
            check(all(e > node_now for e in exps),
                  "no status token past its expiry was served (%d served)" % len(exps))
            tok = c.get(n.url + "/v1/status/token")
            check(tok.status_code == 200 and token_exp(tok) > node_now,
                  "after the rotation the token is fresh")
            for path in ("/v1/status/bitstring", "/v1/status/ob3/revocation",
                         "/v1/credentials/%d/bundle" % rec["id"]):
                r = c.get(n.url + path, headers={"authorization": "Bearer " + admin})
                check(r.status_code == 200, "after the rotation %s answers 200 (%d)"
                      % (path, r.status_code))
        errors = [l for l in n.read_stderr().splitlines() if " ERROR " in l]
        check(not errors, "nothing was logged as an error (%s)" % errors[:3])


if __name__ == "__main__":
    main()
