#!/usr/bin/python3
"""bench_federation.py - federation figures, measured, never asserted:

1. ingest: signed pings (envelopes built with PyNaCl) sent to one node's inbox
   over one HTTP/2 connection, 16 at a time, each acknowledged only after its
   commit; accepted per second against raw Ed25519 verification of the same
   envelopes' signatures on one core (PyNaCl's libsodium) in the same run.
2. backlog: N pings queued at node a for node b while b is down; then b
   starts and reaches a: time for a to drain its outbox, and a's peak RSS.

Usage: bench_federation.py [N_INGEST] [N_BACKLOG]; ACCORD_BUILD names the build."""
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))

import cbor2
import httpx
import nacl.signing

from accordtest import Api, Node
from federation_util import ENVELOPE_TYPE, append_config, envelope, node_public_key, now_ms


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


async def send_all(url, bodies, width=16):
    async with httpx.AsyncClient(http1=False, http2=True, timeout=60.0) as c:
        sem = asyncio.Semaphore(width)

        async def one(raw):
            async with sem:
                r = await c.post(url, content=raw, headers={"content-type": ENVELOPE_TYPE})
                assert r.status_code == 200, r.text
        await asyncio.gather(*(one(b) for b in bodies))


def ingest(n):
    py = nacl.signing.SigningKey.generate()
    with Node(node_id="b.example") as b:
        b.init()
        append_config(b, "[peer py.example]\nurl = http://127.0.0.1:9\nkey = %s\nrights = none\n"
                      % bytes(py.verify_key).hex())
        b.start()
        msgs = [envelope(py, "ping", "m-%d" % i, "py.example", "b.example", now_ms(), {})
                for i in range(n)]
        t0 = time.perf_counter()
        asyncio.run(send_all(b.url + "/v1/federation/inbox", msgs))
        took = time.perf_counter() - t0
        vk = py.verify_key
        parts = [cbor2.loads(m).value for m in msgs]
        tbs = [cbor2.dumps(["Signature1", p[0], b"", p[2]]) for p in parts]
        t1 = time.perf_counter()
        for t, p in zip(tbs, parts):
            vk.verify(t, p[3])
        raw = time.perf_counter() - t1
        rate, raw_rate = n / took, n / raw
        print("federation ingest: %d envelopes in %.2f s = %.0f/s committed; raw verify %.0f/s;"
              " ratio %.3f" % (n, took, rate, raw_rate, rate / raw_rate))


def backlog(n):
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = a.init(), b.init()
        a.start()
        b.start()
        pa, pb = node_public_key(a), node_public_key(b)
        a.stop()
        b.stop()
        append_config(a, "[peer b.example]\nurl = %s\nkey = %s\nrights = none\n"
                      % (b.url, pb.hex()))
        append_config(b, "[peer a.example]\nurl = %s\nkey = %s\nrights = none\n"
                      % (a.url, pa.hex()))
        a.start()
        A = Api(a, ta)
        for i in range(n):
            assert A.post("/v1/test/federation/send",
                          {"peer": "b.example", "type": "ping", "body_hex": "a0"})[0] == 202
        b.start()
        B = Api(b, tb)
        t0 = time.perf_counter()
        B.post("/v1/federation/peers/a.example/probe")
        while A.get("/v1/federation/peers/b.example")[1]["outbox_depth"] > 0:
            time.sleep(0.2)
        took = time.perf_counter() - t0
        got = B.get("/v1/federation/peers/a.example")[1]["received"]
        print("federation backlog: %d messages drained in %.1f s (%.0f/s), received %d, "
              "sender peak RSS %.1f MiB" % (n, took, n / took, got,
                                            peak_rss_kib(a.proc.pid) / 1024))
        A.close()
        B.close()


if __name__ == "__main__":
    ingest(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    backlog(int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
