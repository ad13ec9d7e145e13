#!/usr/bin/python3
"""test_bundle_offline.py - what a version 2 credential bundle carries and
what accord-verify checks from it offline, against three real nodes: issuer
a, and witnesses b and c (a grants them the witness right; they recognise a
as an issuer). Both witnesses cosign a's checkpoint, then a teacher's bundle
is exported: it carries the two C2SP cosignature lines (PyNaCl verifies one
here from the spec), the record's OB 3.0 form, and later the key hand-over.

  - witnesses: --witnesses 2 valid; --witnesses 3 invalid, the reason naming
    the count; a tampered cosignature invalid ("does not verify"); the trust
    file's witness keys in the C2SP vkey form.
  - OB 3.0: both forms verified and found to state the same award; another
    award's OB 3.0 form in the bundle invalid.
  - rotation (issue 12 item 5): a's key is rotated (accordctl key rotate);
    the bundle exported BEFORE it is still valid offline with a trust file
    holding only the old key, and, with the node's JWKS after the rotation,
    its retired-key record is dated by the witnesses (key-window passes);
    a record forged with the retired key's file (as a thief of the old key
    would) gets no witness dating; a bundle exported after the rotation
    carries the old key's hand-over and verifies with a trust file holding
    only the old key, and after a second rotation both hand-overs lead there;
    a hand-over forged with the old key to another key or time is refused."""
import base64
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

from accordtest import BUILD, Api, Node, check, h2_client, skip, skip_unless_built, wait_for
from federation_util import append_config, node_public_key
from lifecycle import load_definition

skip_unless_built()
try:
    import cbor2
    import nacl.signing
except ImportError:
    skip("python3-cbor2 and python3-nacl are needed (tools/setup.sh)")

VERIFY = os.path.join(BUILD, "tools", "accord-verify")
VALID, INVALID, INDETERMINATE = 0, 1, 2
# The node's status snapshot asks for a refresh after 60 s; offline checks
# that expect "valid" accept one up to an hour old (the ttl itself is
# test_verify_node's).
FRESH_ENOUGH = ("--max-status-age", "3600")
HANDOVER_TYPE = "application/accord-key-handover+cbor"


def verify(*args):
    r = subprocess.run([VERIFY, "--json", *args], capture_output=True, text=True, timeout=60)
    out = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    checks = {c["check"]: (c["result"], c["reason"]) for c in out.get("checks", [])}
    return r.returncode, checks, r


def expect(cond, what, r=None):
    check(cond, what if cond or r is None else what + "\n" + r.stdout + r.stderr)


# ---- C2SP tlog-cosignature, written from the spec ---------------------------

def vkey(name, pub):
    """A witness verifier key: name+hex(keyid)+base64(0x04 || key), keyid =
    SHA-256(name || "\\n" || 0x04 || key)[:4]."""
    keyid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    return "%s+%s+%s" % (name, keyid.hex(), base64.b64encode(b"\x04" + pub).decode())


def verify_cosignature(line, name, pub, text):
    dash, who, b64 = line.rstrip("\n").split(" ")
    raw = base64.b64decode(b64, validate=True)
    assert dash == "\u2014" and who == name and len(raw) == 76
    assert raw[:4] == hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    t = struct.unpack(">Q", raw[4:12])[0]
    nacl.signing.VerifyKey(pub).verify(b"cosignature/v1\ntime %d\n" % t + text.encode(),
                                       raw[12:])
    return t


def canonical(obj):
    return cbor2.dumps(obj, canonical=True)


def key_seeds(n):
    """{kid hex: (seed, not_after)} from the node's key directory."""
    out = {}
    for path in glob.glob(os.path.join(n.data_dir, "keys", "*.key")):
        fields = dict(l.split(" ", 1) for l in open(path).read().splitlines() if " " in l)
        seed = bytes.fromhex(fields["seed"].strip())
        pub = bytes(nacl.signing.SigningKey(seed).verify_key)
        out[hashlib.sha256(pub).digest()[:8].hex()] = (seed, int(fields.get("not_after", "0")))
    return out


def handover(seed, iss, at_ms, next_pub, size, root):
    """A key hand-over (include/accord/records/keyhistory.h) signed with |seed|."""
    sk = nacl.signing.SigningKey(seed)
    kid = hashlib.sha256(bytes(sk.verify_key)).digest()[:8]
    protected = canonical({1: -8, 3: HANDOVER_TYPE, 4: kid})
    payload = canonical({"at": at_ms, "iss": iss, "next": next_pub, "root": root, "size": size})
    sig = sk.sign(cbor2.dumps(["Signature1", protected, b"", payload])).signature
    return canonical(cbor2.CBORTag(18, [protected, {}, payload, sig]))


class World:
    def __init__(self, a, b, c, ta, tmp):
        self.a, self.b, self.c, self.ta, self.tmp = a, b, c, ta, tmp

    def path(self, name):
        return os.path.join(self.tmp, name)

    def export(self, rid, tag):
        d = self.path("export-%d-%s" % (rid, tag))
        os.makedirs(d)
        r = self.a.ctl("credential", "export", str(rid), "--out", d, token=self.ta)
        assert r.returncode == 0, r.stderr
        return os.path.join(d, "credential-%d.bundle.cbor" % rid)

    def jwks(self):
        with h2_client() as c:
            return json.loads(c.get(self.a.url + "/.well-known/jwks.json").text)["keys"]

    def trust(self, name, keys, witnesses):
        with open(self.path(name), "w") as f:
            doc = {"issuers": [{"iss": self.a.url, "keys": keys}]}
            if witnesses:
                doc["witnesses"] = witnesses
            json.dump(doc, f)
        return self.path(name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)


def issue(w, d, subject):
    r = w.a.ctl("credential", "issue", "--email", subject, "--definition", d["id"],
                "--version", str(d["version"]), "--content-hash", "cd" * 32, "--level", "pass",
                token=w.ta, json_out=True)
    assert r.returncode == 0, r.stderr
    return r.json["id"]


def cosign_all(w, wb, wc):
    with h2_client() as c:
        size = int(c.get(w.a.url + "/v1/log/checkpoint").text.split("\n")[1])
    for api in (wb, wc):
        assert api.post("/v1/federation/witness")[0] == 202

    def two():
        with h2_client() as c:
            r = c.get(w.a.url + "/v1/federation/cosignatures?size=%d" % size)
        return len([l for l in r.text.splitlines() if l]) == 2
    wait_for("both witnesses' cosignatures at size %d" % size, two)


def main():
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b, \
            Node(node_id="c.example") as c, tempfile.TemporaryDirectory() as tmp:
        ta, tb, tc = a.init(), b.init(), c.init()
        for n in (a, b, c):
            n.start()
        pa, pb, pc = node_public_key(a), node_public_key(b), node_public_key(c)
        for n in (a, b, c):
            n.stop()
        append_config(a, "[peer b.example]\nurl = %s\nkey = %s\nrights = witness\n"
                      "[peer c.example]\nurl = %s\nkey = %s\nrights = witness\n"
                      % (b.url, pb.hex(), c.url, pc.hex()))
        for n in (b, c):
            append_config(n, "[peer a.example]\nurl = %s\nkey = %s\nrights = issuer\n"
                          % (a.url, pa.hex()))
        for n in (a, b, c):
            n.start()
        w = World(a, b, c, ta, tmp)
        A, B, C = Api(a, ta), Api(b, tb), Api(c, tc)
        d = load_definition()
        code, body = A.post("/v1/definitions", d)
        assert code == 201, body
        rid = issue(w, d, "ab@district.example")
        other = issue(w, d, "ef@district.example")
        cosign_all(w, B, C)
        old_keys = w.jwks()
        witnesses = [vkey("b.example", pb), vkey("c.example", pc)]
        trust_now = w.trust("trust-now.json", old_keys, witnesses)

        # ---- what the bundle carries --------------------------------------
        bundle_path = w.export(rid, "before")
        raw = open(bundle_path, "rb").read()
        bundle = cbor2.loads(raw)
        check(bundle["v"] == 2 and len(bundle["cosignatures"]) == 2 and "ob3" in bundle
              and "keys" not in bundle,
              "a version 2 bundle: two cosignature lines and the OB 3.0 form, no hand-over yet")
        check(canonical(bundle) == raw, "its CBOR is deterministic (cbor2 re-encodes it exactly)")
        text = bundle["checkpoint"].split("\n\n")[0] + "\n"
        t = verify_cosignature([l for l in bundle["cosignatures"] if "b.example" in l][0],
                               "b.example", pb, text)
        check(t > 0, "PyNaCl verifies b's cosignature line from the bundle over its checkpoint")

        # ---- --witnesses N -------------------------------------------------
        code, checks, r = verify("--trust", trust_now, "--witnesses", "2", *FRESH_ENOUGH,
                                 bundle_path)
        expect(code == VALID and checks["witnesses"][0] == "pass"
               and "2 witnesses" in checks["witnesses"][1],
               "--witnesses 2: valid, cosigned by b and c", r)
        expect(checks["ob3"][0] == "pass" and "same award" in checks["ob3"][1],
               "the OB 3.0 form verifies and states the same award as the record", r)
        code, checks, r = verify("--trust", trust_now, "--witnesses", "3", *FRESH_ENOUGH,
                                 bundle_path)
        expect(code == INVALID and checks["witnesses"][0] == "fail"
               and "--witnesses 3" in checks["witnesses"][1]
               and "only 2" in checks["witnesses"][1],
               "--witnesses 3: invalid, the witnesses check says only 2 cosigned", r)
        code, checks, r = verify("--trust", w.trust("trust-nowit.json", old_keys, [vkey(
            "b.example", pb)]), "--witnesses", "2", *FRESH_ENOUGH, bundle_path)
        expect(code == INVALID and "only 1" in checks["witnesses"][1],
               "c's line counts for nothing when the trust file does not list c", r)
        tampered = dict(bundle)
        line = bundle["cosignatures"][0]
        dash, who, b64 = line.rstrip("\n").split(" ")
        sig = bytearray(base64.b64decode(b64))
        sig[40] ^= 1
        tampered["cosignatures"] = [" ".join([dash, who, base64.b64encode(bytes(sig)).decode()])
                                    + "\n"] + bundle["cosignatures"][1:]
        code, checks, r = verify("--trust", trust_now, *FRESH_ENOUGH,
                                 w.write("tampered.cbor", canonical(tampered)))
        expect(code == INVALID and checks["witnesses"][0] == "fail"
               and "does not verify" in checks["witnesses"][1],
               "a tampered cosignature: invalid, even without --witnesses", r)
        code, checks, r = verify("--trust", trust_now, "--witnesses", "1", *FRESH_ENOUGH,
                                 w.write("record.cose", bundle["record"]))
        expect(code == INDETERMINATE and checks["witnesses"][0] == "indeterminate",
               "--witnesses on a record alone: indeterminate, it carries no cosignatures", r)

        # ---- the OB 3.0 form beside the record ----------------------------
        with h2_client() as h:
            other_ob3 = h.get("%s/v1/credentials/%d?format=ob3" % (a.url, other),
                              headers={"authorization": "Bearer " + ta}).content
        swapped = dict(bundle, ob3=other_ob3)
        code, checks, r = verify("--trust", trust_now, *FRESH_ENOUGH,
                                 w.write("swapped.cbor", canonical(swapped)))
        expect(code == INVALID and checks["ob3"][0] == "fail"
               and "another award" in checks["ob3"][1],
               "another credential's OB 3.0 form (validly signed): invalid, another award", r)
        forged_ob3 = json.loads(bundle["ob3"])
        forged_ob3["credentialSubject"]["result"][0]["achievedLevel"] += "x"
        changed = dict(bundle, ob3=json.dumps(forged_ob3).encode())
        code, checks, r = verify("--trust", trust_now, *FRESH_ENOUGH,
                                 w.write("changed.cbor", canonical(changed)))
        expect(code == INVALID and checks["ob3"][0] == "fail", "an altered OB 3.0 form: invalid",
               r)

        # ---- rotation: the old bundle after the key changed ----------------
        r = a.ctl("key", "rotate", token=ta)
        assert r.returncode == 0, r.stderr
        new_keys = w.jwks()
        check(len(new_keys) == 2 and "valid_until" in new_keys[0],
              "the node's JWKS now lists the old key as retired")
        code, checks, r = verify("--trust", trust_now, "--witnesses", "2", *FRESH_ENOUGH,
                                 bundle_path)
        expect(code == VALID, "the bundle exported before the rotation is valid offline with a "
               "trust file holding only the old key, with no re-export", r)
        trust_after = w.trust("trust-after.json", new_keys, witnesses)
        code, checks, r = verify("--trust", trust_after, "--witnesses", "2", "--skip-status",
                                 bundle_path)
        expect(code == VALID and checks["key-window"][0] == "pass"
               and "cosigned the checkpoint holding the record before the key retired"
               in checks["key-window"][1],
               "with the JWKS after the rotation, the retired key's record is dated by the "
               "two witnesses: its record checks are valid", r)
        code, checks, r = verify("--trust", trust_after, *FRESH_ENOUGH, bundle_path)
        expect(code == INDETERMINATE and checks["key-window"][0] == "pass"
               and checks["status"][0] == "indeterminate"
               and "retired key" in checks["status"][1],
               "but its status snapshot, signed by the now retired key, says only "
               "indeterminate (a thief of the old key could sign a 'valid' one)", r)
        old_only = w.trust("trust-nowitness.json", new_keys, [])
        code, checks, r = verify("--trust", old_only, "--skip-status", bundle_path)
        expect(code == INDETERMINATE and "signed by a retired key too" in checks["key-window"][1],
               "without witnesses in the trust file the retired key's date is not trusted", r)

        # A thief of the old key: a record of its own, dated inside the old
        # window, in a log of its own, checkpoint signed by the old key, with
        # the genuine cosignature lines copied in.
        seeds = key_seeds(a)
        old_kid = old_keys[0]["kid"]
        old_seed, retired_ms = seeds[old_kid]
        msg = cbor2.loads(bundle["record"]).value
        claims = cbor2.loads(msg[2])
        claims[2] = "sha256$" + "99" * 32
        claims[-65543] = 0
        sk = nacl.signing.SigningKey(old_seed)
        payload = canonical(claims)
        record = canonical(cbor2.CBORTag(18, [msg[0], {}, payload, sk.sign(cbor2.dumps(
            ["Signature1", msg[0], b"", payload])).signature]))
        root = hashlib.sha256(b"\x00" + record).digest()
        origin = bundle["checkpoint"].split("\n")[0]
        body = "%s\n1\n%s\n" % (origin, base64.b64encode(root).decode())
        nid = hashlib.sha256(origin.encode() + b"\n\x01" + bytes(sk.verify_key)).digest()[:4]
        note = body + "\n\u2014 %s %s\n" % (origin, base64.b64encode(
            nid + sk.sign(body.encode()).signature).decode())
        thief = dict(bundle, record=record, log={"size": 1, "index": 0, "proof": []},
                     checkpoint=note)
        del thief["ob3"]
        code, checks, r = verify("--trust", trust_after, "--skip-status",
                                 w.write("thief.cbor", canonical(thief)))
        expect(code == INVALID and checks["witnesses"][0] == "fail",
               "a record the stolen old key signs with the genuine cosignatures copied: invalid, "
               "they do not verify over its checkpoint", r)
        del thief["cosignatures"]
        thief["v"] = 1
        code, checks, r = verify("--trust", trust_after, "--skip-status",
                                 w.write("thief2.cbor", canonical(thief)))
        expect(code == INDETERMINATE and checks["key-window"][0] == "indeterminate",
               "without them: never valid, its date is not trusted", r)

        # ---- the key hand-over in bundles exported after the rotation ------
        cosign_all(w, B, C)
        after_path = w.export(rid, "after")
        after = cbor2.loads(open(after_path, "rb").read())
        check(len(after.get("keys", [])) == 1, "a bundle exported after the rotation carries "
              "the old key's hand-over")
        ho = cbor2.loads(after["keys"][0]).value
        ho_claims = cbor2.loads(ho[2])
        new_pub = base64.urlsafe_b64decode(new_keys[1]["x"] + "==")
        check(ho_claims["next"] == new_pub and abs(ho_claims["at"] - retired_ms) < 1000 and
              ho_claims["iss"] == a.url, "it names the new key, the moment of the rotation and "
              "the issuer")
        nacl.signing.VerifyKey(base64.urlsafe_b64decode(old_keys[0]["x"] + "==")).verify(
            cbor2.dumps(["Signature1", ho[0], b"", ho[2]]), ho[3])
        check(True, "PyNaCl verifies the old key's signature on it")
        check(handover(old_seed, a.url, ho_claims["at"], new_pub, ho_claims["size"],
                       ho_claims["root"]) == after["keys"][0],
              "cbor2 and PyNaCl, from keyhistory.h's format, rebuild the node's hand-over byte "
              "for byte")
        code, checks, r = verify("--trust", trust_now, "--witnesses", "2", *FRESH_ENOUGH,
                                 after_path)
        expect(code == VALID and checks["keys"][0] == "pass",
               "a trust file holding only the old key reaches the new one through the hand-over",
               r)
        code, checks, r = verify("--trust", trust_after, "--witnesses", "2", *FRESH_ENOUGH,
                                 after_path)
        expect(code == VALID and checks["keys"][0] == "pass",
               "and the hand-over agrees with the JWKS after the rotation", r)

        # A hand-over forged with the stolen old key to a key of the thief.
        thief_key = nacl.signing.SigningKey(b"\x07" * 32)
        forged = handover(old_seed, a.url, ho_claims["at"], bytes(thief_key.verify_key),
                          ho_claims["size"], ho_claims["root"])
        code, checks, r = verify("--trust", trust_after, *FRESH_ENOUGH,
                                 w.write("forged-ho.cbor", canonical(dict(after, keys=[forged]))))
        expect(code == INVALID and checks["keys"][0] == "fail"
               and "forged key history" in checks["keys"][1],
               "a hand-over the old key signs to another successor: a forged key history", r)
        forged = handover(old_seed, a.url, ho_claims["at"] + 86400000, new_pub,
                          ho_claims["size"], ho_claims["root"])
        code, checks, r = verify("--trust", trust_after, *FRESH_ENOUGH,
                                 w.write("forged-at.cbor", canonical(dict(after, keys=[forged]))))
        expect(code == INVALID and "retires it at" in checks["keys"][1],
               "a hand-over dated a day later than the JWKS retires the old key: refused", r)
        bad = bytearray(after["keys"][0])
        bad[-3] ^= 1
        code, checks, r = verify("--trust", trust_now, *FRESH_ENOUGH,
                                 w.write("bad-ho.cbor", canonical(dict(after, keys=[bytes(bad)]))))
        expect(code == INVALID and "does not verify" in checks["keys"][1],
               "a hand-over with a flipped signature bit: refused", r)
        # A second rotation: two hand-overs, followed in order.
        r = a.ctl("key", "rotate", token=ta)
        assert r.returncode == 0, r.stderr
        twice_path = w.export(rid, "twice")
        twice = cbor2.loads(open(twice_path, "rb").read())
        check(len(twice["keys"]) == 2, "after a second rotation the bundle carries two hand-overs")
        code, checks, r = verify("--trust", trust_now, *FRESH_ENOUGH, twice_path)
        expect(code == VALID and "2 key hand-overs" in checks["keys"][1],
               "a trust file holding only the first key follows both to the current key", r)
        code, checks, r = verify("--trust", w.trust("trust-twice.json", w.jwks(), witnesses),
                                 *FRESH_ENOUGH, twice_path)
        expect(code == VALID and checks["keys"][0] == "pass",
               "and they agree with the JWKS listing all three keys", r)
        swapped_keys = dict(twice, keys=list(reversed(twice["keys"])))
        code, checks, r = verify("--trust", trust_now, *FRESH_ENOUGH,
                                 w.write("swapped-ho.cbor", canonical(swapped_keys)))
        expect(code == INVALID and "does not start from a trusted key" in checks["keys"][1],
               "the hand-overs out of order: the history does not start from a trusted key", r)
        for api in (A, B, C):
            api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
