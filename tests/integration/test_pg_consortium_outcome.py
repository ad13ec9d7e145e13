"""test_pg_consortium_outcome - a consortium file's adoption whose COMMIT
has an unknown outcome, but did commit, still reaches the node's peer table
(docs/federation.md, "Adopting a consortium file").

Node a's store sits behind a proxy (tests/lib/pgproxy.py) that cuts the
connection right after forwarding the COMMIT of the transaction that stored
a marked file: the server committed, the node cannot know. No
Idempotency-Key settles it, so the adoption's after-commit hook is released
without running; the node must still take the stored file, without a
restart or any further traffic:

1. the operator publishes serial 2 to a over HTTP without a key: 503
   outcome-unknown; a's store holds serial 2, and a's peer table follows it
   (x.example, removed, is gone; y.example, added, is there); offering
   serial 2 again is refused as "not newer than the 2 held". The proxy
   refuses connections for 3 s after the cut, so the settle the federation
   timer starts usually fails first and is retried by that timer after its
   back-off (the log shows "tried again later"), with no other traffic;
2. b publishes serial 3 and offers it to a: a's batch that adopts it loses
   its COMMIT the same way (b's resend then finds a's stored reply); a's
   peer table still follows serial 3.

Loopback only (unix sockets and 127.0.0.1); every wait bounded. Plain build
only (tests/CMakeLists.txt: test_pg_*)."""
import os
import sys

from accordtest import Api, Node, check, h2_client, psql, skip, skip_unless_built, wait_for

skip_unless_built()
if not os.access("/usr/lib/postgresql/15/bin/postgres", os.X_OK):
    skip("PostgreSQL 15 is not installed (tools/setup.sh)")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgproxy import CutProxy  # noqa: E402
from pgserver import PgServer  # noqa: E402
from federation_util import (append_config, consortium_file, node_public_key,  # noqa: E402
                             pin_pair)

EVERYTHING = ["submit", "lend", "certify", "issuer", "witness"]
NOWHERE = "http://127.0.0.1:9"  # a member never reached: only its place in the table counts
OTHER_KEY = bytes(32 * [7])


def table(api):
    body = api.get("/v1/federation/peers")[1]
    return body["consortium_serial"], sorted(p["node"] for p in body["items"])


with PgServer() as pg:
    db_url = pg.url.replace("/postgres?", "/accord?")
    psql(pg.url, "CREATE DATABASE accord")
    proxy = CutProxy(pg.sock)
    proxied = "postgresql://accord@/accord?host=%s" % proxy.dir
    try:
        with Node(node_id="a.example", store_url=proxied) as a, Node(node_id="b.example") as b, \
                h2_client() as c:
            ta, tb = pin_pair(a, b, rights=",".join(EVERYTHING))
            pa, pb = node_public_key(a), node_public_key(b)
            key_file = os.path.join(b.tmp, "consortium.key")
            ckey = b.ctl("consortium", "keygen", key_file, json_out=True).json["public_key"]

            def members(extra):
                return [("a.example", a.url, pa, EVERYTHING), ("b.example", b.url, pb, EVERYTHING),
                        (extra, NOWHERE, OTHER_KEY, ["lend"])]
            f1 = consortium_file(b, key_file, 1, members("x.example"), "first")
            f2 = consortium_file(b, key_file, 2, members("y.example"), "cutmark-publish")
            f3 = consortium_file(b, key_file, 3, members("z.example"), "cutmark-offer")
            for n in (a, b):
                n.stop()
                append_config(n, "[consortium]\nkey = %s\nfile = %s\n" % (ckey, f1))
                n.start()
            A, B = Api(a, ta), Api(b, tb)
            check(table(A) == (1, ["b.example", "x.example"]), "a starts on serial 1")

            # 1. Published over HTTP, no Idempotency-Key: the COMMIT is cut
            # after it reached the server.
            with open(f2, "rb") as fp:
                file2 = fp.read()
            headers = {"authorization": "Bearer " + ta,
                       "content-type": "application/accord-consortium+cbor"}
            proxy.arm("after", b"cutmark-publish", down_s=3.0)
            r = c.post(a.url + "/v1/federation/consortium", headers=headers, content=file2)
            check(proxy.cuts == 1 and r.status_code == 503
                  and r.json()["type"].endswith("/outcome-unknown"),
                  "the publish's COMMIT was cut after forwarding: 503 outcome-unknown")
            check(psql(db_url, "SELECT serial FROM fed_consortium").strip() == "2",
                  "a's store committed serial 2")
            wait_for("a's peer table to follow the stored serial 2",
                     lambda: table(A) == (2, ["b.example", "y.example"]), timeout=60)
            r = c.post(a.url + "/v1/federation/consortium", headers=headers, content=file2)
            check(r.status_code == 409 and "not newer than the 2 held" in r.json()["detail"],
                  "serial 2 offered again: 409, not newer than the 2 held")

            # 2. b publishes serial 3; a's batch adopting b's offer loses its
            # COMMIT the same way.
            proxy.arm("after", b"cutmark-offer")
            r = b.ctl("consortium", "publish", f3, token=tb)
            check(r.returncode == 0, "b publishes serial 3")
            wait_for("the proxy to cut a's batch COMMIT", lambda: proxy.cuts == 2, timeout=60)
            wait_for("a's peer table to follow the stored serial 3",
                     lambda: table(A) == (3, ["b.example", "z.example"]), timeout=60)
            check(psql(db_url, "SELECT serial FROM fed_consortium").strip() == "3",
                  "a's store holds serial 3")
            A.close()
            B.close()
            for n in (a, b):
                rc = n.stop()
                check(rc == 0 and "Sanitizer" not in n.read_stderr(),
                      "%s stops cleanly (no sanitizer report)" % n.node_id)
    finally:
        proxy.close()
