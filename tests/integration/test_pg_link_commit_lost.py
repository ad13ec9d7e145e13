"""test_pg_link_commit_lost - a set-password link works once even when the
request transaction it ran in never commits (node/http/reqtx.c, "answered
later"), through the real API on PostgreSQL.

POST /v1/password answers later: it hands the password to a hashing worker,
so its request's group may commit after that answer, or not at all. The
link used to be spent in that group: when the group's COMMIT was lost, the
worker's own transaction still set the password and the client was told
201, while the link stayed unspent and set a password a second time.

A small proxy (tests/lib/pgproxy.py) between the node and a throwaway
PostgreSQL server (unix sockets) closes the node's connection instead of
forwarding the COMMIT of the first transaction that names the link's
purpose ("set-password") after it is armed: the request's group. The link must then set a password at most
once: of two uses, exactly one succeeds.

Loopback only (unix sockets); every wait bounded. Plain build only
(tests/CMakeLists.txt: test_pg_*)."""
import glob
import os
import re
import sys
import time

from accordtest import Api, Node, check, h2_client, psql, skip, skip_unless_built

skip_unless_built()
if not os.access("/usr/lib/postgresql/15/bin/postgres", os.X_OK):
    skip("PostgreSQL 15 is not installed (tools/setup.sh)")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgproxy import CutProxy  # noqa: E402
from pgserver import PgServer  # noqa: E402



def wait_token(node, page, timeout=10):
    """The token of a mailed link to |page| in the node's maildir."""
    deadline = time.monotonic() + timeout
    while True:
        for path in glob.glob(os.path.join(node.data_dir, "maildir", "new", "*")):
            with open(path, errors="replace") as f:
                m = re.search(r"/%s#(acl_[A-Za-z0-9_-]{43})" % re.escape(page), f.read())
            if m:
                return m.group(1)
        if time.monotonic() > deadline:
            raise AssertionError("no mail with a %s link within %d s" % (page, timeout))
        time.sleep(0.2)


with PgServer() as pg:
    psql(pg.url, "CREATE DATABASE accord")
    proxy = CutProxy(pg.sock)
    try:
        proxied = "postgresql://accord@/accord?host=%s" % proxy.dir
        with Node(node_id="link.test", store_url=proxied) as n, h2_client() as c:
            admin = Api(n, n.init())
            n.start()
            st, w = admin.post("/v1/users", {"name": "wren", "roles": ["reviewer"]})
            assert st == 201, (st, w)
            st, _ = admin.post("/v1/users/%d/invite" % w["id"])
            check(st == 202, "an admin invites a user by mail")
            token = wait_token(n, "password.html")

            # The request's group carries the link's purpose; its COMMIT
            # never reaches the server.
            proxy.arm("before", b"set-password")
            first = c.post(n.url + "/v1/password",
                           json={"token": token, "password": "a first password"})
            check(proxy.cuts == 1, "the proxy cut the connection instead of forwarding COMMIT")
            second = c.post(n.url + "/v1/password",
                            json={"token": token, "password": "a second password"})
            codes = [first.status_code, second.status_code]
            check(codes.count(201) == 1,
                  "of two uses of one set-password link exactly one sets the password and "
                  "signs in, although the first one's request transaction never committed: %s "
                  "(%s / %s)" % (codes, first.text, second.text))
            refused = second if first.status_code == 201 else first
            check(refused.status_code in (401, 503),
                  "the other use is refused (used link) or answered busy: %d %s"
                  % (refused.status_code, refused.text))
            chosen = "a first password" if first.status_code == 201 else "a second password"
            r = c.post(n.url + "/v1/session", json={"name": "wren", "password": chosen})
            check(r.status_code == 201, "the password the link set signs in: %s" % r.text)
    finally:
        proxy.close()
print("all checks passed")
