#!/usr/bin/python3
"""test_federation_tls.py - per-peer TLS trust. b serves TLS on loopback with
a throwaway openssl certificate; a pins b with that certificate as its CA
file and the SHA-256 of its SubjectPublicKeyInfo. With the right pin a's
ping reaches b over https and a learns b's software version from its signed
self-description; with a wrong pin a refuses the connection, logs why, backs
off, and b receives nothing. A non-loopback http:// peer URL is refused both
in the config and by the API."""
import os
import re
import subprocess
import sys
import time

from accordtest import NODE_BIN, Api, Node, check, make_self_signed, skip_unless_built, wait_for
from federation_util import append_config, node_public_key


def spki_sha256(cert):
    """SHA-256 of the certificate's SubjectPublicKeyInfo, by openssl alone."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"],
                         check=True, capture_output=True, timeout=60).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         check=True, capture_output=True, timeout=60).stdout
    out = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=der,
                         check=True, capture_output=True, timeout=60).stdout
    return out.split()[0].decode()


def set_peer_section(node, text):
    """Replaces everything from "[peer " on in |node|'s config with |text|."""
    with open(node.config) as f:
        conf = f.read()
    i = conf.find("[peer ")
    with open(node.config, "w") as f:
        f.write((conf if i < 0 else conf[:i]) + text.strip() + "\n")


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a:
        cert, key = make_self_signed(a.tmp)
        with Node(node_id="b.example", tls=(cert, key)) as b:
            ta, tb = a.init(), b.init()
            a.start()
            b.start()
            pa, pb = node_public_key(a), node_public_key(b)
            a.stop()
            b.stop()
            pin = spki_sha256(cert)
            check(re.fullmatch("[0-9a-f]{64}", pin) is not None,
                  "openssl gives the certificate's SPKI SHA-256")
            append_config(b, "[peer a.example]\nurl = %s\nkey = %s\nrights = none\n"
                          % (a.url, pa.hex()))
            section = ("[peer b.example]\nurl = %s\nkey = %s\nrights = none\nca_file = %s\n"
                       "pin_spki_sha256 = %%s\n" % (b.url, pb.hex(), cert))
            set_peer_section(a, section % pin)
            a.start()
            b.start()
            A, B = Api(a, ta), Api(b, tb)

            def on_a():
                return A.get("/v1/federation/peers/b.example")[1]

            def received_by_b():
                return B.get("/v1/federation/peers/a.example")[1]["received"]

            check(b.url.startswith("https://127.0.0.1:"), "b serves TLS on loopback")
            r = a.ctl("peer", "probe", "b.example", token=ta)
            check(r.returncode == 0, "a probes b (a ping through its outbox): " + r.stderr)
            wait_for("b to receive a's ping over TLS", lambda: received_by_b() == 1)
            p = wait_for("a to record the delivery",
                         lambda: (lambda p: p if p.get("last_success") and
                                  p.get("software") else None)(on_a()))
            check(p["state"] == "ok" and p["outbox_depth"] == 0,
                  "with the right pin the ping is delivered: state %s" % p["state"])
            check(re.fullmatch(r"\d+\.\d+\.\d+.*", p["software"]) is not None,
                  "a learned b's software version from its description: %s" % p["software"])
            A.close()
            a.stop()

            wrong = "%064x" % (int(pin, 16) ^ 1)
            set_peer_section(a, section % wrong)
            a.start()
            A = Api(a, ta)
            r = a.ctl("peer", "probe", "b.example", token=ta)
            check(r.returncode == 0, "a probes b again, now with a wrong pin")
            # The state is memory's; the last error is stored by a task
            # that commits a moment later.
            p = wait_for("a to back off from b",
                         lambda: (lambda p: p if p["state"] == "backing-off" and
                                  p["last_error"] else None)(on_a()))
            check("pin" in p["last_error"],
                  "the peer's last error names the pin: %s" % p["last_error"])
            check(p["outbox_depth"] == 1, "the ping waits in a's outbox")
            log = a.read_stderr()
            check("refused: the server's public key is not the pinned SPKI SHA-256" in log,
                  "a logged why it refused the connection")
            time.sleep(0.5)
            check(received_by_b() == 1, "b received nothing more")

            status, body = A.post("/v1/federation/peers",
                                  {"node": "c.example", "url": "http://192.0.2.7:8443",
                                   "keys": [pb.hex()], "rights": ["submit"]})
            check(status == 400 and "loopback" in body.get("detail", ""),
                  "the API refuses a non-loopback http:// peer: %d %s"
                  % (status, body.get("detail")))
            A.close()
            B.close()
            a.stop()

            set_peer_section(a, "[peer b.example]\nurl = http://192.0.2.7:8080\nkey = %s\n"
                             "rights = none\n" % pb.hex())
            r = subprocess.run([NODE_BIN,
                                "--config", a.config], capture_output=True, text=True,
                               timeout=60)
            check(r.returncode != 0 and "loopback" in r.stderr,
                  "the node refuses to start with a non-loopback http:// peer url: %s"
                  % r.stderr.strip().splitlines()[-1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
