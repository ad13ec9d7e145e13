#!/usr/bin/python3
"""test_envelope_python.py - checks federation envelopes (core/sign/envelope.c)
with independent Python code: cbor2 decodes the COSE_Sign1 and payload and
re-encodes them canonically (RFC 8949 §4.2.1) to prove the bytes were
deterministic; PyNaCl verifies the Ed25519 signature over a Sig_structure
rebuilt here from RFC 9052 §4.4. In the other direction, an envelope built
here is verified by our C code, and one whose content type is a record's is
refused. Nothing here imports or mirrors our C code.

The C side is tests/interop/tool_envelope (built by CMake); exit 77 skips when
it is missing."""
import hashlib
import os
import subprocess
import sys

import cbor2
import nacl.signing

BUILD = os.environ.get("ACCORD_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_envelope")
CONTENT_TYPE = "application/accord-envelope+cbor"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok - " + what)


def canonical(obj):
    return cbor2.dumps(obj, canonical=True)


def sig_structure(protected, payload):
    return cbor2.dumps(["Signature1", protected, b"", payload])


def c_signs_python_verifies(seed):
    sk = nacl.signing.SigningKey(seed)
    pub = bytes(sk.verify_key)
    body = canonical({"definitions": [{"id": "lit-1", "version": 2}], "n": 7})
    out = subprocess.run([TOOL, "sign", seed.hex(), "catalog.offer", "m-42", "a.example",
                          "b.example", "1700000000123", body.hex()],
                         capture_output=True, text=True, check=True)
    raw = bytes.fromhex(out.stdout.strip())
    tag = cbor2.loads(raw)
    check(isinstance(tag, cbor2.CBORTag) and tag.tag == 18, "the envelope is a tagged COSE_Sign1")
    protected, unprotected, payload, signature = tag.value
    check(unprotected == {}, "the unprotected header is empty")
    hdr = cbor2.loads(protected)
    check(hdr == {1: -8, 3: CONTENT_TYPE, 4: hashlib.sha256(pub).digest()[:8]},
          "the protected header is {alg EdDSA, content type, kid = SHA-256(key)[:8]}")
    check(canonical(hdr) == protected, "the protected header is deterministic CBOR")
    nacl.signing.VerifyKey(pub).verify(sig_structure(protected, payload), signature)
    check(True, "PyNaCl verifies the signature over the rebuilt Sig_structure")
    fields = cbor2.loads(payload)
    check(fields == {"v": 1, "type": "catalog.offer", "id": "m-42", "from": "a.example",
                     "to": "b.example", "ts": 1700000000123, "body": cbor2.loads(body)},
          "the payload carries exactly v, type, id, from, to, ts and body")
    check(canonical(fields) == payload, "the payload is deterministic CBOR (cbor2 canonical)")
    check(canonical(tag) == raw, "the whole envelope is deterministic CBOR")


def python_signs_c_verifies(seed):
    sk = nacl.signing.SigningKey(seed)
    pub = bytes(sk.verify_key)
    kid = hashlib.sha256(pub).digest()[:8]

    def envelope(ctype):
        protected = canonical({1: -8, 3: ctype, 4: kid})
        payload = canonical({"v": 1, "type": "ping", "id": "py-1", "from": "py.example",
                             "to": "c.example", "ts": 5, "body": {"hello": [1, 2]}})
        sig = sk.sign(sig_structure(protected, payload)).signature
        return canonical(cbor2.CBORTag(18, [protected, {}, payload, sig]))

    def verify(raw):
        return subprocess.run([TOOL, "verify", pub.hex()], input=raw.hex() + "\n",
                              capture_output=True, text=True)

    r = verify(envelope(CONTENT_TYPE))
    check(r.returncode == 0 and r.stdout.split()[:6] ==
          ["ok", "ping", "py-1", "py.example", "c.example", "5"],
          "our C code verifies and decodes an envelope built with cbor2 and PyNaCl: " + r.stdout)
    check(cbor2.loads(bytes.fromhex(r.stdout.split()[6])) == {"hello": [1, 2]},
          "the body comes back as the exact bytes sent")
    r = verify(envelope("application/cwt"))
    check(r.returncode == 1 and "not an envelope's" in r.stdout,
          "a COSE_Sign1 with another content type is refused: " + r.stdout.strip())
    raw = bytearray(envelope(CONTENT_TYPE))
    raw[-70] ^= 1  # inside the payload, before the 64-byte signature
    r = verify(bytes(raw))
    check(r.returncode == 1, "a flipped payload bit is refused: " + r.stdout.strip())


def main():
    if not os.access(TOOL, os.X_OK):
        print("SKIP: %s is not built" % TOOL)
        sys.exit(77)
    seed = hashlib.sha256(b"accord envelope interop").digest()
    c_signs_python_verifies(seed)
    python_signs_c_verifies(seed)


if __name__ == "__main__":
    main()
