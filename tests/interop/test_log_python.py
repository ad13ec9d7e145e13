#!/usr/bin/python3
"""test_log_python.py - checks the transparency log, signed notes and status
lists and bundles that core/ produces with independent Python code: hashlib for RFC 9162
(recomputing tree heads from the definitions and running the RFC's own
verification algorithms), PyNaCl for the Ed25519 note signature, zlib and gzip
for the status lists, cbor2 for the bundle and the Status List Token (whose
RFC 9052 Sig_structure is rebuilt here). Nothing here imports or mirrors our C code.

The C side is tests/interop/tool_tlog (built by CMake); exit 77 skips when it
is missing."""
import base64
import gzip
import hashlib
import json
import os
import subprocess
import sys
import zlib

import cbor2
import nacl.signing

BUILD = os.environ.get("ACCORD_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_tlog")


def run(args, stdin=""):
    out = subprocess.run([TOOL] + args, input=stdin.encode(), capture_output=True, check=True)
    return json.loads(out.stdout)


def leaf_hash(d):
    return hashlib.sha256(b"\x00" + d).digest()


def node_hash(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(hashes):
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, path, first_hash, second_hash):
    """RFC 9162 §2.1.4.2, with the trivial cases the RFC describes in prose."""
    if first == second:
        return not path and first_hash == second_hash
    if first == 0:
        return not path
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def test_proofs():
    leaves = [hashlib.sha256(b"interop %d" % i).digest()[: i % 33] for i in range(37)]
    out = run(["proofs"], "".join(l.hex() + "\n" for l in leaves))
    hashes = [leaf_hash(l) for l in leaves]
    roots = [bytes.fromhex(r) for r in out["roots"]]
    for n in range(len(leaves) + 1):
        check(roots[n] == mth(hashes[:n]), "root of size %d" % n)
    for i, n, path in out["inclusion"]:
        path = [bytes.fromhex(p) for p in path]
        check(verify_inclusion(i, n, hashes[i], path, roots[n]), "inclusion %d in %d" % (i, n))
        if path:
            bad = list(path)
            bad[-1] = bytes([bad[-1][0] ^ 1]) + bad[-1][1:]
            check(not verify_inclusion(i, n, hashes[i], bad, roots[n]), "bad inclusion refused")
    check(len(out["inclusion"]) == len(leaves) * (len(leaves) + 1) // 2, "every inclusion pair")
    for m, n, path in out["consistency"]:
        path = [bytes.fromhex(p) for p in path]
        check(verify_consistency(m, n, path, roots[m], roots[n]), "consistency %d->%d" % (m, n))
    print("proofs: %d roots, %d inclusion and %d consistency proofs verified"
          % (len(roots), len(out["inclusion"]), len(out["consistency"])))


def test_note():
    seed = hashlib.sha256(b"interop seed").digest()
    leaves = [b"record %d" % i for i in range(11)]
    origin = "accord.example/interop-log"
    out = run(["note", seed.hex(), origin], "".join(l.hex() + "\n" for l in leaves))
    sk = nacl.signing.SigningKey(seed)
    pk = bytes(sk.verify_key)
    check(out["public_key"] == pk.hex(), "public key from seed")

    note = out["note"].encode("utf-8")
    text, sep, sigs = note.rpartition(b"\n\n")
    check(sep, "note has a blank line")
    text += b"\n"
    lines = sigs.decode("utf-8").rstrip("\n").split("\n")
    check(len(lines) == 1, "one signature line")
    check(lines[0].startswith("\u2014 "), "em dash and space")
    name, b64 = lines[0][2:].split(" ")
    check(name == origin, "key name is the origin")
    blob = base64.b64decode(b64, validate=True)
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]
    check(blob[:4] == key_id, "key id per C2SP signed-note")
    nacl.signing.VerifyKey(pk).verify(text, blob[4:])  # raises on a bad signature

    body = text.decode().split("\n")
    check(body[0] == origin and body[1] == str(len(leaves)), "origin and size lines")
    check(base64.b64decode(body[2], validate=True) == mth([leaf_hash(l) for l in leaves]),
          "root hash line")
    check(body[3:] == [""], "no extension lines")
    vname, vid, vkey = out["vkey"].split("+", 2)
    check(vname == origin and bytes.fromhex(vid) == key_id
          and base64.b64decode(vkey) == b"\x01" + pk, "verifier key text form")
    print("note: signature, key id and checkpoint body verified")


def test_status():
    out = run(["status"])
    n = out["entries"]
    check(n >= 131072, "at least 131,072 entries")
    raw = zlib.decompress(bytes.fromhex(out["lst"]))
    check(len(raw) == n // 4, "2 bits per entry")
    st = {i: s for i, s in out["statuses"]}
    check(len(st) == len(out["statuses"]), "indexes distinct")
    for i in range(n):
        v = (raw[i // 4] >> (2 * (i % 4))) & 3
        check(v == st.get(i, 0), "Token Status List entry %d" % i)

    for purpose, want in (("w3c_revocation", 1), ("w3c_suspension", 2)):
        enc = out[purpose]
        check(enc[0] == "u" and "=" not in enc, purpose + " multibase base64url, no padding")
        data = base64.urlsafe_b64decode(enc[1:] + "=" * (-len(enc[1:]) % 4))
        bits = gzip.decompress(data)
        check(len(bits) * 8 == n, purpose + " one bit per entry")
        for i in range(n):
            b = (bits[i // 8] >> (7 - i % 8)) & 1
            check(b == (st.get(i, 0) == want), "%s bit %d" % (purpose, i))
    print("status: %d entries checked in both encodings" % n)


def test_bundle():
    seed = hashlib.sha256(b"interop bundle seed").digest()
    leaves = [b"a signed record stands here"] + [b"other record %d" % i for i in range(8)]
    out = run(["bundle", seed.hex()], "".join(l.hex() + "\n" for l in leaves))
    pk = bytes.fromhex(out["public_key"])
    raw = bytes.fromhex(out["bundle"])
    b = cbor2.loads(raw)
    check(cbor2.dumps(b, canonical=True) == raw, "bundle is deterministic CBOR")
    check(set(b) == {"v", "log", "record", "status", "checkpoint"} and b["v"] == 1, "bundle keys")
    check(b["record"] == leaves[0], "record bytes carried exactly")
    lg = b["log"]
    text = b["checkpoint"].encode().rpartition(b"\n\n")[0] + b"\n"
    root = base64.b64decode(text.decode().split("\n")[2])
    check(verify_inclusion(lg["index"], lg["size"], leaf_hash(b["record"]), lg["proof"], root),
          "bundle inclusion proof leads to the checkpoint root")

    tok = cbor2.loads(b["status"])
    check(isinstance(tok, list) and len(tok) == 4, "status token is an untagged COSE_Sign1")
    prot_raw, unprot, payload_raw, sig = tok
    prot = cbor2.loads(prot_raw)
    check(prot[1] == -8 and prot[16] == "application/statuslist+cwt" and 4 in prot,
          "protected header alg, typ and kid")
    sig_structure = cbor2.dumps(["Signature1", prot_raw, b"", payload_raw])
    nacl.signing.VerifyKey(pk).verify(sig_structure, sig)
    claims = cbor2.loads(payload_raw)
    check(claims[2] == "https://accord.example/status/1" and claims[6] == 1700000000
          and claims[65534] == 300, "sub, iat and ttl claims")
    sl = claims[65533]
    check(sl["bits"] == 2, "two bits per entry")
    lst = zlib.decompress(sl["lst"])
    i = out["suspended"]
    check((lst[i // 4] >> (2 * (i % 4))) & 3 == 2, "suspended entry reads 2")
    check(sum(1 for x in lst if x) == 1, "only that entry is set")
    print("bundle: CBOR, inclusion, status token signature and bits verified")


def main():
    if not os.path.exists(TOOL):
        print("skip: %s not built" % TOOL)
        return 77
    test_proofs()
    test_note()
    test_status()
    test_bundle()
    return 0


if __name__ == "__main__":
    sys.exit(main())
