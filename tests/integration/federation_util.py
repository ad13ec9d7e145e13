"""federation_util - what the federation integration tests share: building
and signing envelopes in Python (cbor2 + PyNaCl, independent of our C code),
reading a node's public key, writing [peer] and [consortium] config sections,
and sending an envelope to a node's inbox."""
import base64
import hashlib
import json
import os
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


def pin_pair(a, b, rights="none", b_rights=None, start=True):
    """Initialises nodes |a| and |b|, pins each as the other's peer with
    |rights| (b's section for a with |b_rights| instead, when given), and
    starts both (with start=False, leaves both stopped, for a test that adds
    to their configs or starts them its own way): returns their admin
    tokens."""
    ta, tb = a.init(), b.init()
    a.start()
    b.start()
    pa, pb = node_public_key(a), node_public_key(b)
    a.stop()
    b.stop()
    append_config(a, "[peer %s]\nurl = %s\nkey = %s\nrights = %s\n"
                  % (b.node_id, b.url, pb.hex(), rights))
    append_config(b, "[peer %s]\nurl = %s\nkey = %s\nrights = %s\n"
                  % (a.node_id, a.url, pa.hex(), rights if b_rights is None else b_rights))
    if start:
        a.start()
        b.start()
    return ta, tb


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


def post_many(node, bodies, width=64, sender=None):
    """Posts every envelope in |bodies| to |node|'s inbox over one h2c
    connection with up to |width| streams open, each batch of new requests
    written in one send (so a burst reaches the node in one read). Returns
    [(status, body bytes)] in the order of |bodies|. Plain h2 (python3-h2),
    no client library in between, so the node rather than the client is
    what a benchmark measures."""
    import socket
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=60)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24})
    conn.increment_flow_control_window(1 << 24)
    sock.sendall(conn.data_to_send())
    headers = [(":method", "POST"), (":scheme", "http"),
               (":authority", "127.0.0.1:%d" % node.port), (":path", "/v1/federation/inbox"),
               ("content-type", ENVELOPE_TYPE)]
    if sender:
        headers.append(("accord-sender", sender))
    results = [None] * len(bodies)
    streams = {}  # stream id -> [index, status, body]
    nxt = 0
    done = 0
    while done < len(bodies):
        while nxt < len(bodies) and len(streams) < width:
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, headers + [("content-length", str(len(bodies[nxt])))])
            conn.send_data(sid, bodies[nxt], end_stream=True)
            streams[sid] = [nxt, None, b""]
            nxt += 1
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
        data = sock.recv(1 << 20)
        if not data:
            raise ConnectionError("the node closed the connection")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                streams[ev.stream_id][1] = int(dict(ev.headers)[b":status"])
            elif isinstance(ev, h2.events.DataReceived):
                streams[ev.stream_id][2] += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                i, status, body = streams.pop(ev.stream_id)
                results[i] = (status, body)
                done += 1
            elif isinstance(ev, h2.events.StreamReset):
                raise ConnectionError("stream %d reset" % ev.stream_id)
    sock.close()
    return results


def consortium_file(ctl_node, key_file, serial, members, name, title=None):
    """Signs, with `accordctl consortium sign` on |ctl_node| and the
    consortium key in |key_file|, a consortium file of |serial| listing
    |members| as (node id, url, public key bytes, rights), named |title|
    (default |name|); writes it as <name>.cose in ctl_node.tmp and returns
    its path."""
    doc = {"name": title or name, "serial": serial, "members": [
        {"node": node_id, "url": url, "rights": rights,
         "keys": [{"key": key.hex(), "not_before": "2020-01-01T00:00:00Z"}]}
        for node_id, url, key, rights in members]}
    src = os.path.join(ctl_node.tmp, name + ".json")
    out = os.path.join(ctl_node.tmp, name + ".cose")
    with open(src, "w") as f:
        json.dump(doc, f)
    r = ctl_node.ctl("consortium", "sign", src, "--key", key_file, "--out", out)
    assert r.returncode == 0, r.stderr
    return out
