"""test_public_reads_curl_nghttp - curl (--http2-prior-knowledge) and nghttp
fetch the node's public record endpoints, and code nobody here wrote checks
the bodies: cbor2 decodes the record and the status token, PyNaCl verifies the
record (RFC 9052 Sig_structure) and the checkpoint (C2SP signed-note: key id
SHA-256(name || 0x0A || 0x01 || key)[:4], signature over the note text)."""
import base64
import hashlib
import json
import subprocess

from accordtest import Node, check, require_tool, skip, skip_unless_built

skip_unless_built()
try:
    import cbor2
    import nacl.signing
except ImportError:
    skip("python3-cbor2 and python3-nacl are needed (tools/setup.sh)")
CURL = require_tool("curl")
NGHTTP = require_tool("nghttp")


def curl(url, *extra):
    r = subprocess.run([CURL, "-sS", "--http2-prior-knowledge", "-D", "-", *extra, url],
                       capture_output=True, timeout=30)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    return head.decode(), body


def nghttp(url):
    r = subprocess.run([NGHTTP, url], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def main():
    with Node() as n:
        admin = n.init()
        n.start()
        r = n.ctl("credential", "issue", "--email", "x@district.example", "--definition", "d1",
                  "--version", "1", "--content-hash", "cd" * 32, "--level", "pass",
                  token=admin, json_out=True)
        assert r.returncode == 0, r.stderr
        rid = r.json["id"]
        # The public reach a record only through a link its earner (or an
        # admin) shares.
        sh = n.ctl("credential", "share", str(rid), token=admin, json_out=True)
        assert sh.returncode == 0, sh.stderr
        rec_url = sh.json["url"]

        head, rec = curl(rec_url)
        check(head.startswith("HTTP/2 200"), "curl gets the record over h2c")
        check("etag:" in head.lower() and "cache-control: private, no-cache" in head.lower(),
              "the shared record carries ETag and a Cache-Control that revalidates (a link "
              "can be withdrawn)")
        etag = [l.split(":", 1)[1].strip() for l in head.split("\r\n")
                if l.lower().startswith("etag:")][0]
        head304, body304 = curl(rec_url, "-H", "if-none-match: " + etag)
        check(head304.startswith("HTTP/2 304") and body304 == b"", "If-None-Match gives 304")
        check(nghttp(rec_url) == rec, "nghttp gets the same record bytes")

        _, jwks_body = curl(n.url + "/.well-known/jwks.json")
        check(nghttp(n.url + "/.well-known/jwks.json") == jwks_body, "nghttp gets the JWKS")
        key = json.loads(jwks_body)["keys"][0]
        pub = base64.urlsafe_b64decode(key["x"] + "==")
        msg = cbor2.loads(rec)
        prot, _, payload, sig = msg.value
        nacl.signing.VerifyKey(pub).verify(cbor2.dumps(["Signature1", prot, b"", payload]), sig)
        claims = cbor2.loads(payload)
        check(claims[2] == "sha256$" + hashlib.sha256(
                  b"x@district.example" + claims[-65544].encode()).hexdigest(),
              "PyNaCl verifies the record; cbor2 reads sub, hashlib's salted e-mail hash")

        _, did = curl(n.url + "/.well-known/did.json")
        doc = json.loads(did)
        check(doc["id"].startswith("did:web:127.0.0.1") and
              doc["verificationMethod"][0]["type"] == "Multikey", "did.json is a did:web document")

        _, note = curl(n.url + "/v1/log/checkpoint")
        check(nghttp(n.url + "/v1/log/checkpoint") == note, "nghttp gets the checkpoint")
        text, _, sigs = note.decode().partition("\n\n")
        text += "\n"
        origin = text.split("\n")[0]
        line = sigs.strip().split("\n")[0]
        assert line.startswith("\u2014 ")
        name, b64sig = line[2:].rsplit(" ", 1)
        raw = base64.b64decode(b64sig)
        key_id = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
        check(name == origin and raw[:4] == key_id, "signed-note key id derives from the key")
        check(nacl.signing.VerifyKey(pub).verify(text.encode(), raw[4:]) == text.encode(),
              "PyNaCl verifies the checkpoint signature")

        head, tok = curl(n.url + "/v1/status/token")
        check("content-type: application/statuslist+cwt" in head.lower(),
              "the status token is application/statuslist+cwt")
        check(nghttp(n.url + "/v1/status/token") == tok, "nghttp gets the same token")
        t = cbor2.loads(tok)
        nacl.signing.VerifyKey(pub).verify(cbor2.dumps(["Signature1", t[0], b"", t[2]]), t[3])
        claims = cbor2.loads(t[2])
        check(claims[65533]["bits"] == 2 and claims[2].endswith("/v1/status/token"),
              "PyNaCl verifies the status token; cbor2 reads its status_list")
    print("all passed")


if __name__ == "__main__":
    main()
