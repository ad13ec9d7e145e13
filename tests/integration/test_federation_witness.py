#!/usr/bin/python3
"""test_federation_witness.py - two real nodes: a issues records, b
witnesses a (a grants b the witness right; b recognises a as an issuer). b
cosigns a's first checkpoint and, after a consistency proof, its next one;
a keeps and serves the cosignatures, which PyNaCl verifies here from the C2SP
tlog-cosignature definition. Then b's memory of a's log is replaced by a
checkpoint a's own key signed with another root (as if a had shown b another
history); when a's log grows, the proof cannot join the two: b raises a
log_fork flag and does not cosign."""
import base64
import glob
import hashlib
import os
import struct
import sys
import time

import nacl.signing

from accordtest import Api, Node, check, h2_client, skip_unless_built, wait_for
from federation_util import node_public_key, pin_pair



def issue(n, token, subject):
    r = n.ctl("credential", "issue", "--email", subject, "--definition", "phonics-k2",
              "--version", "3", "--content-hash", "cd" * 32, "--level", "proficient",
              token=token, json_out=True)
    assert r.returncode == 0, r.stderr


def checkpoint_text(node):
    with h2_client() as c:
        note = c.get(node.url + "/v1/log/checkpoint").text
    return note.split("\n\n")[0] + "\n"


def cosignatures(node, size):
    with h2_client() as c:
        r = c.get(node.url + "/v1/federation/cosignatures?size=%d" % size)
    assert r.status_code == 200, r.text
    return [l for l in r.text.splitlines() if l]


def verify_cosignature(line, name, pub, text):
    """C2SP tlog-cosignature: "— <name> base64(keyid || time || sig)" where
    keyid = SHA-256(name || "\\n" || 0x04 || key)[:4] and the signature is over
    "cosignature/v1\\ntime <T>\\n" || checkpoint text."""
    dash, who, b64 = line.split(" ")
    raw = base64.b64decode(b64, validate=True)
    assert dash == "\u2014" and who == name and len(raw) == 76
    assert raw[:4] == hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    t = struct.unpack(">Q", raw[4:12])[0]
    msg = b"cosignature/v1\ntime %d\n" % t + text.encode()
    nacl.signing.VerifyKey(pub).verify(msg, raw[12:])
    return t


def forged_note(a, text_origin, size):
    """A checkpoint of |size| with a made-up root, signed with a's own current
    key read from its key directory (as a log showing two histories would)."""
    for path in glob.glob(os.path.join(a.data_dir, "keys", "*.key")):
        fields = dict(l.split(" ", 1) for l in open(path).read().splitlines() if " " in l)
        if fields.get("not_after", "0").strip() == "0":
            sk = nacl.signing.SigningKey(bytes.fromhex(fields["seed"].strip()))
    pub = bytes(sk.verify_key)
    root = base64.b64encode(hashlib.sha256(b"another history").digest()).decode()
    text = "%s\n%d\n%s\n" % (text_origin, size, root)
    keyid = hashlib.sha256(text_origin.encode() + b"\n\x01" + pub).digest()[:4]
    sig = base64.b64encode(keyid + sk.sign(text.encode()).signature).decode()
    return (text + "\n\u2014 %s %s\n" % (text_origin, sig)).encode()


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b, "witness", b_rights="issuer")
        pb = node_public_key(b)
        B = Api(b, tb)

        issue(a, ta, "one@district.example")
        text1 = checkpoint_text(a)
        assert B.post("/v1/federation/witness")[0] == 202
        lines = wait_for("b's cosignature at size 1", lambda: cosignatures(a, 1))
        t = verify_cosignature(lines[0], "b.example", pb, text1)
        check(len(lines) == 1 and t > 0,
              "b cosigned a's first checkpoint; PyNaCl verifies the C2SP cosignature a serves")

        issue(a, ta, "two@district.example")
        text2 = checkpoint_text(a)
        assert B.post("/v1/federation/witness")[0] == 202
        lines = wait_for("b's cosignature at size 2", lambda: cosignatures(a, 2))
        verify_cosignature(lines[0], "b.example", pb, text2)
        check(True, "after a consistency proof from size 1, b cosigned size 2 too")

        # b's memory of a's log becomes another history of size 2.
        b.stop()
        origin = text2.split("\n")[0]
        b.db_write("UPDATE fed_peer_docs SET doc = ? WHERE node_id = 'a.example' AND "
                   "kind = 'checkpoint'", (forged_note(a, origin, 2),))
        b.start()
        B.close()
        B = Api(b, tb)
        issue(a, ta, "three@district.example")
        assert B.post("/v1/federation/witness")[0] == 202
        flags = wait_for("a log_fork flag at b", lambda: [
            f for f in B.get("/v1/flags")[1]["items"] if f["kind"] == "log_fork"])
        check(len(flags) == 1 and "a.example" in str(flags[0]),
              "the proof from the other history does not join: b raised a log_fork flag")
        time.sleep(1.0)
        check(cosignatures(a, 3) == [], "and did not cosign a's size 3")
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
