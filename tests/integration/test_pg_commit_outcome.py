"""test_pg_commit_outcome - a node on PostgreSQL settles what a lost race and
a lost COMMIT leave behind (docs/ha.md), through its real API.

A small proxy (tests/lib/pgproxy.py) sits between the node and a
throwaway PostgreSQL server and, armed with a marker (a user name the
request writes), cuts the connection at the COMMIT of the transaction that
carried it: "after" forwarding it (the write committed, the node cannot
know) or "before" (it did not commit; the node cannot know either).
The node must answer a request with an Idempotency-Key once, its effect
present exactly once, a retry with the key getting the same answer; without
a key it answers 503 outcome-unknown. accordctl, which sends a fresh key
with every write, sends it again with the same key when the node could not
tell (the database away a moment longer) and gets the stored answer.

A COMMIT that no synchronous standby confirms is found on the server but
not acknowledged until a write of the key's row is confirmed.

Then a race: a second session (psql) holds the row a request updates,
the request waits on it, the session commits its own change, and the
request's transaction fails to serialize (SQLSTATE 40001): the node runs
the request again and answers 200 with both changes present.

Loopback only (unix sockets); every wait bounded. Plain build only
(tests/CMakeLists.txt: test_pg_*)."""
import json
import os
import subprocess
import sys
import threading
import time

from accordtest import PSQL, Node, check, h2_client, psql, skip, skip_unless_built

skip_unless_built()
if not os.access("/usr/lib/postgresql/15/bin/postgres", os.X_OK):
    skip("PostgreSQL 15 is not installed (tools/setup.sh)")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgproxy import CutProxy  # noqa: E402
from pgserver import PgServer  # noqa: E402



def create(c, node, token, name, key=None):
    headers = {"authorization": "Bearer " + token, "content-type": "application/json"}
    if key:
        headers["idempotency-key"] = key
    return c.post(node.url + "/v1/users", headers=headers,
                  content=json.dumps({"name": name, "roles": ["earner"]}))


with PgServer() as pg:
    db_url = pg.url.replace("/postgres?", "/accord?")
    psql(pg.url, "CREATE DATABASE accord")
    proxy = CutProxy(pg.sock)
    try:
        proxied = "postgresql://accord@/accord?host=%s" % proxy.dir
        with Node(node_id="commit.test", store_url=proxied) as n, h2_client() as c:
            admin = n.init()
            n.start()

            def count(name):
                return int(psql(db_url, "SELECT count(*) FROM users WHERE name = '%s'" % name))

            # The COMMIT reaches the server; its reply never reaches the node.
            proxy.arm("after", b"cut-after-keyed")
            r = create(c, n, admin, "cut-after-keyed", key="k-after")
            check(proxy.cuts == 1, "the proxy cut the connection after forwarding COMMIT")
            check(r.status_code == 201 and r.json()["name"] == "cut-after-keyed",
                  "a keyed write whose COMMIT reply was lost is answered 201: %s" % r.text)
            check(count("cut-after-keyed") == 1, "its effect is present exactly once")
            again = create(c, n, admin, "cut-after-keyed", key="k-after")
            check(again.status_code == 201 and again.content == r.content
                  and again.headers.get("idempotent-replayed") == "true",
                  "the retry with the same key gets the same answer, not applied again")
            check(count("cut-after-keyed") == 1, "still exactly once after the retry")

            # The connection goes before COMMIT reaches the server.
            proxy.arm("before", b"cut-before-keyed")
            r = create(c, n, admin, "cut-before-keyed", key="k-before")
            check(proxy.cuts == 2, "the proxy cut the connection instead of forwarding COMMIT")
            check(r.status_code == 201,
                  "a keyed write whose COMMIT never arrived is found not applied, run again "
                  "and answered 201: %s" % r.text)
            check(count("cut-before-keyed") == 1, "its effect is present exactly once")
            again = create(c, n, admin, "cut-before-keyed", key="k-before")
            check(again.status_code == 201 and again.content == r.content,
                  "the retry with the same key gets the same answer")

            # Without a key nobody can tell.
            proxy.arm("after", b"cut-after-bare")
            r = create(c, n, admin, "cut-after-bare")
            check(proxy.cuts == 3, "the proxy cut an unkeyed write's COMMIT")
            p = r.json()
            check(r.status_code == 503 and p["type"].endswith("/outcome-unknown")
                  and "Idempotency-Key" in p["detail"],
                  "without a key the node answers 503 outcome-unknown, pointing at the header")
            check(count("cut-after-bare") == 1, "(the server did commit it)")

            # accordctl sends a fresh key with each write and repeats it with
            # the same key when the node cannot tell (the database is away
            # for a moment after the cut, so the node answers 503).
            proxy.arm("after", b"ctl-retry", down_s=0.2)
            r = n.ctl("user", "add", "ctl-retry", "--role", "earner", token=admin, json_out=True)
            check(proxy.cuts == 4, "the proxy cut accordctl's write")
            check(r.returncode == 0 and r.json["name"] == "ctl-retry"
                  and "same Idempotency-Key" in r.stderr,
                  "accordctl sent the write again with its key and got the stored answer: %s"
                  % r.stderr)
            check(count("ctl-retry") == 1, "accordctl's write is applied exactly once")

            # A COMMIT no synchronous standby confirms (one is named, none
            # runs): the engine stops waiting after its bound and cannot
            # tell. The key's row is on the server, but an answer is given
            # only once a write of it is confirmed, so the node keeps
            # answering 503 while nothing can confirm; once the server no
            # longer waits for a standby, the retry gets the stored answer.
            psql(pg.url, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
            psql(pg.url, "SELECT pg_reload_conf()")
            r = create(c, n, admin, "unconfirmed", key="k-unconfirmed")
            p = r.json()
            check(r.status_code == 503 and p["type"].endswith("/outcome-unknown")
                  and "same Idempotency-Key" in p["detail"],
                  "a keyed write whose COMMIT no standby confirmed is not acknowledged: 503 "
                  "outcome-unknown, retry with the same key")
            psql(pg.url, "ALTER SYSTEM RESET synchronous_standby_names")
            psql(pg.url, "SELECT pg_reload_conf()")
            again = create(c, n, admin, "unconfirmed", key="k-unconfirmed")
            check(again.status_code == 201 and again.json()["name"] == "unconfirmed"
                  and again.headers.get("idempotent-replayed") == "true",
                  "once commits are confirmed again the retry gets the stored answer")
            check(count("unconfirmed") == 1, "and the write is there exactly once")

            # A lost race: psql holds the row the request updates.
            r = create(c, n, admin, "racer")
            racer = r.json()["id"]
            holder = subprocess.Popen([PSQL, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db_url],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            holder.stdin.write("BEGIN;\nUPDATE users SET display_name = 'held' WHERE id = %d;\n"
                               "SELECT 'locked';\n" % racer)
            holder.stdin.flush()
            check(holder.stdout.readline().strip() == "locked", "a second session holds the row")
            answer = {}

            def roles():
                with h2_client() as c2:
                    answer["r"] = c2.post(
                        n.url + "/v1/users/%d/roles" % racer,
                        headers={"authorization": "Bearer " + admin,
                                 "content-type": "application/json"},
                        content=json.dumps({"add": ["reviewer"]}), timeout=60)

            t = threading.Thread(target=roles)
            t.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if psql(db_url, "SELECT count(*) FROM pg_stat_activity WHERE "
                        "wait_event_type = 'Lock' AND application_name = 'accord'") != "0":
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the node's request never waited on the held row")
            holder.stdin.write("COMMIT;\n")
            holder.stdin.close()
            holder.wait(timeout=30)
            t.join(timeout=60)
            r = answer.get("r")
            check(r is not None and r.status_code == 200
                  and "reviewer" in r.json()["roles"],
                  "the request that lost the race was run again and answered 200: %s"
                  % (r.text if r is not None else "no answer"))
            check(psql(db_url, "SELECT display_name FROM users WHERE id = %d" % racer) == "held",
                  "the winner's change stands beside it")
            log = n.read_stderr()
            check("lost a race (run 1 of" in log, "the node logged the run again")
    finally:
        proxy.close()

print("ok")
