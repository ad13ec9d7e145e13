"""test_ob3_node - one award in both forms from a real accord-node: the native
COSE record (accordctl credential export) and its Open Badges 3.0 credential
(GET /v1/credentials/{id} with ?format=ob3 or Accept: application/vc+ld+json,
and accordctl credential export --format ob3), with the node's signed
BitstringStatusListCredentials at stable URLs with caching headers.
accord-verify gives both forms the same verdict with a trust file and with
--fetch: valid, then suspended (invalid), valid again once reinstated, then
revoked (invalid); with --fetch alone (keys from the issuer itself) both are
indeterminate. When the pinned Digital Bazaar packages are installed
(tools/setup.sh), the node's credential and status lists are also checked
with them (tests/interop/ob3_verify.mjs): verified, and revoked at the end."""
import json
import os
import shutil
import subprocess
import tempfile

from accordtest import BUILD, SOURCE, Api, Node, check, h2_client, skip, skip_unless_built
from lifecycle import load_definition

skip_unless_built()
VERIFY = os.path.join(BUILD, "tools", "accord-verify")
if not os.access(VERIFY, os.X_OK):
    skip(VERIFY + " is not built")
VALID, INVALID, INDETERMINATE = 0, 1, 2
OB3 = "application/vc+ld+json"
DB_HELPER = os.path.join(SOURCE, "tests", "interop", "ob3_verify.mjs")
HAVE_DB = shutil.which("node") and os.path.isdir(os.path.join(
    SOURCE, "tests", "interop", "npm", "node_modules", "@digitalbazaar", "vc-bitstring-status-list"))


def digital_bazaar(c, n, cred_path, tmp):
    """Runs ob3_verify.mjs on |cred_path| with the node's did.json and its
    two status list credentials as fetched now; returns its JSON answer."""
    d = os.path.join(tmp, "db")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "did.json"), "wb") as f:
        f.write(c.get(n.url + "/.well-known/did.json").content)
    for purpose in ("revocation", "suspension"):
        with open(os.path.join(d, "status-%s.json" % purpose), "wb") as f:
            f.write(c.get("%s/v1/status/ob3/%s" % (n.url, purpose)).content)
    r = subprocess.run(["node", DB_HELPER, cred_path, d,
                        os.path.join(SOURCE, "core", "records", "contexts")],
                       capture_output=True, text=True, timeout=120)
    return json.loads(r.stdout)


def verify(*args):
    r = subprocess.run([VERIFY, "--json", *args], capture_output=True, text=True, timeout=60)
    out = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    checks = {c["check"]: (c["result"], c["reason"]) for c in out.get("checks", [])}
    return r.returncode, checks, r


def main():
    with Node() as n, tempfile.TemporaryDirectory() as tmp:
        admin_token = n.init()
        n.start()
        admin = Api(n, admin_token)
        d = load_definition()
        code, body = admin.post("/v1/definitions", d)
        check(code == 201, "the definition is stored: %s %s" % (code, body))
        r = n.ctl("credential", "issue", "--email", "ab@district.example", "--definition",
                  d["id"], "--version", str(d["version"]), "--content-hash", "cd" * 32,
                  "--level", "pass", token=admin_token, json_out=True)
        check(r.returncode == 0, "a credential is issued: " + r.stderr)
        rid = r.json["id"]

        with h2_client() as c:
            url = "%s/v1/credentials/%d" % (n.url, rid)
            # A record by row id is its earner's or an admin's to read.
            auth = {"authorization": "Bearer " + admin_token}
            a = c.get(url + "?format=ob3", headers=auth)
            check(a.status_code == 200 and a.headers["content-type"] == OB3,
                  "?format=ob3 answers the OB 3.0 form: %s %s" % (a.status_code, a.text[:300]))
            b = c.get(url, headers=dict(auth, accept=OB3))
            check(b.status_code == 200 and b.content == a.content,
                  "Accept: application/vc+ld+json answers the same bytes")
            cred = json.loads(a.content)
            check(cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"] and
                  cred["credentialSubject"]["achievement"]["achievementType"] == "MicroCredential",
                  "it is an OpenBadgeCredential for a MicroCredential")
            check(cred["credentialSubject"]["result"][0]["achievedLevel"].endswith("#level-1"),
                  "the result names 'pass', second best of the four levels")
            etag = a.headers["etag"]
            nm = c.get(url + "?format=ob3", headers=dict(auth, **{"if-none-match": etag}))
            check(nm.status_code == 304 and "max-age" in a.headers["cache-control"],
                  "the OB 3.0 form has an ETag (304 on a match) and Cache-Control")
            lists = {}
            for purpose in ("revocation", "suspension"):
                s = c.get("%s/v1/status/ob3/%s" % (n.url, purpose))
                check(s.status_code == 200 and s.headers["content-type"] == OB3 and
                      "max-age" in s.headers["cache-control"] and s.headers.get("etag"),
                      "the %s list credential is served with caching headers" % purpose)
                lists[purpose] = json.loads(s.content)
                check(lists[purpose]["credentialSubject"]["statusPurpose"] == purpose,
                      "it is the %s list" % purpose)
            jwks = json.loads(c.get(n.url + "/.well-known/jwks.json").text)["keys"]

        ob3 = os.path.join(tmp, "credential.ob3.json")
        with open(ob3, "wb") as f:
            f.write(a.content)
        exp = os.path.join(tmp, "export")
        os.makedirs(exp)
        r = n.ctl("credential", "export", str(rid), "--out", exp, token=admin_token)
        check(r.returncode == 0, "the native record exports: " + r.stderr)
        cose = os.path.join(exp, "credential-%d.cose" % rid)
        r = n.ctl("credential", "export", str(rid), "--format", "ob3", "--out", exp,
                  token=admin_token)
        check(r.returncode == 0, "accordctl exports the OB 3.0 form: " + r.stderr)
        with open(os.path.join(exp, "credential-%d.ob3.json" % rid), "rb") as f:
            check(json.loads(f.read()) == cred, "the exported OB 3.0 form is the served one")
        trust = os.path.join(tmp, "trust.json")
        with open(trust, "w") as f:
            json.dump({"issuers": [{"iss": n.url, "keys": jwks}]}, f)

        def both(expected, word, *opts):
            for form in (cose, ob3):
                code, checks, r = verify(*opts, form)
                check(code == expected and (word is None or word in checks["status"][1]),
                      "%s %s: exit %d (want %d)\n%s%s" % (os.path.basename(form), opts, code,
                                                           expected, r.stdout, r.stderr))

        both(VALID, "fetched now", "--trust", trust, "--fetch")
        # Keys fetched from the issuer itself check the signature, not the
        # issuer's right to issue: both forms are indeterminate, status fine.
        both(INDETERMINATE, "fetched now", "--fetch")
        if HAVE_DB:
            with h2_client() as c:
                o = digital_bazaar(c, n, ob3, tmp)
            check(o["verified"] and o["status"] == {"revocation": False, "suspension": False},
                  "Digital Bazaar verifies the node's credential and status lists: %s" % o)
        both(INDETERMINATE, None, "--trust", trust)
        for verb, expected, word in (("suspend", INVALID, "SUSPENDED"),
                                     ("reinstate", VALID, "fetched now"),
                                     ("revoke", INVALID, "REVOKED")):
            r = n.ctl("credential", verb, str(rid), "--reason", "test " + verb,
                      token=admin_token)
            check(r.returncode == 0, verb + ": " + r.stderr)
            both(expected, word, "--trust", trust, "--fetch")
        if HAVE_DB:
            with h2_client() as c:
                o = digital_bazaar(c, n, ob3, tmp)
            check(o["verified"] and o["status"] == {"revocation": True, "suspension": False},
                  "Digital Bazaar reports the revoked credential revoked: %s" % o)
        admin.close()
    print("all passed")


if __name__ == "__main__":
    main()
