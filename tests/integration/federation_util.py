"""federation_util - what the federation integration tests share: building
and signing envelopes in Python (cbor2 + PyNaCl, independent of our C code),
reading a node's public key, writing [peer] and [consortium] config sections,
and sending an envelope to a node's inbox."""
import base64
import hashlib
import time

import cbor2
import nacl.signing

from accordtest import h2_client

ENVELOPE_TYPE = "application/accord-envelope+cbor"
CONSORTIUM_TYPE = "application/accord-consortium+cbor"


def canonical(obj):
    return cbor2.dumps(obj, canonical=True)


def kid_of(pub):
    return hashlib.sha256(pub).digest()[:8]


def envelope(sk, type_, id_, from_, to, ts_ms, body):
    """A COSE_Sign1 envelope signed by |sk| (nacl SigningKey)."""
    pub = bytes(sk.verify_key)
    protected = canonical({1: -8, 3: ENVELOPE_TYPE, 4: kid_of(pub)})
    payload = canonical({"v": 1, "type": type_, "id": id_, "from": from_, "to": to,
                         "ts": ts_ms, "body": body})
    sig = sk.sign(cbor2.dumps(["Signature1", protected, b"", payload])).signature
    return canonical(cbor2.CBORTag(18, [protected, {}, payload, sig]))


def open_envelope(raw, pub):
    """Verifies |raw| with |pub| and returns its payload as a dict."""
    protected, unprotected, payload, sig = cbor2.loads(raw).value
    nacl.signing.VerifyKey(pub).verify(cbor2.dumps(["Signature1", protected, b"", payload]), sig)
    return cbor2.loads(payload)


def now_ms():
    return int(time.time() * 1000)


def node_public_key(node):
    """The node's current Ed25519 public key, from its JWKS."""
    with h2_client() as c:
        jwks = c.get(node.url + "/.well-known/jwks.json").json()
    x = jwks["keys"][-1]["x"]
    return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))


def append_config(node, text):
    with open(node.config, "a") as f:
        f.write(text.strip() + "\n")


def post_inbox(node, raw, sender=None):
    headers = {"content-type": ENVELOPE_TYPE}
    if sender:
        headers["accord-sender"] = sender
    with h2_client() as c:
        r = c.post(node.url + "/v1/federation/inbox", content=raw, headers=headers)
    return r


def problem_slug(r):
    try:
        return r.json()["type"].rsplit("/", 1)[-1]
    except Exception:
        return None
