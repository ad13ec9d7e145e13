"""test_pg_handler_waits - on PostgreSQL a write handler's round trips to the
database do not hold the event loop (node/http/reqtx.c runs each handler on
a fiber, core/base/fiber.c; the engine yields while it waits,
core/store/db_pg_wait.c).

A second session (psql) locks the idempotency keys' table. A keyed write
(POST /v1/users with an Idempotency-Key) then waits on that lock inside its
handler for as long as the session holds it. Meanwhile the node must go on
serving: GET /v1/node, GET /v1/users/me and /metrics answer while the write
is still unanswered, and /metrics counts the handler's waits on the
database that the loop did not wait for. (Before the fiber, the loop itself
sat in the handler's round trip, and every read waited for the lock.)

A key rotation sent while the write waits does not hold the loop either:
its writes are tasks of the request groups (node/records/keys.c), queued
behind the waiting handler, so the reads go on being answered and the
rotation waits for the lock like the write. (Before, it committed its own
transaction on the loop, which finished the waiting handler in place, the
loop waiting on the lock with it.)

A streamed artifact upload sent while the write waits does not hold the
loop either: once its file is in place, its row is a task of the request
groups too (node/review/artifacts.c), queued behind the waiting handler.
The reads go on being answered while its file is already there and it is
still unanswered, and no handler is finished in place
(accord_write_handler_finished_in_place_total does not move). (Before, the
row committed a transaction of the loop's own, which finished the waiting
handler in place, the loop waiting on the lock with it.) The session then
lets go: all three are answered, the user is there exactly once, and a
repeat with the key gets the stored answer; after SIGKILL and a restart the
user, the artifact and the rotation are still there.

Connecting does not hold the loop either: with the node's sessions ended
and the postmaster stopped (SIGSTOP: the kernel still queues connections
on its listening socket, nobody answers them), a write reconnects inside
its handler; once its connection sits in the listen queue (ss), GET
/v1/node answers while it waits, and after SIGCONT the write is answered.

All of it twice: with the node on the server's unix socket, and with the
node over TLS (sslmode=require to 127.0.0.1, the server's self-signed
certificate; pgserver.py tls=True). Over TLS bytes of an answer may sit
inside OpenSSL, where the socket's readiness does not show them; the engine
asks the probe the node registered (net/tls_pending.c) before each wait, so
it waits on the socket there too. Before that probe, over TLS libpq waited
itself and the loop with it: the reads below waited for the lock and the
run fails. There /metrics also shows the keyed writes' round trips yielded.

Loopback only (the socket or 127.0.0.1 of a throwaway server); every wait
bounded. Plain build only (tests/CMakeLists.txt: test_pg_*)."""
import hashlib
import json
import os
import signal
import subprocess
import threading

from accordtest import (PSQL, Node, check, h2_client, metric, psql, skip, skip_unless_built,
                        wait_for)

skip_unless_built()
if not os.access("/usr/lib/postgresql/15/bin/postgres", os.X_OK):
    skip("PostgreSQL 15 is not installed (tools/setup.sh)")
from pgserver import PgServer  # noqa: E402

READS = 20


def in_thread(fn):
    box = {}

    def run():
        try:
            box["r"] = fn()
        except Exception as e:  # the check below reports it
            box["e"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, box


def listen_queue(pg, over_tls):
    """Connections queued on the server's listening socket the node uses,
    not yet accepted (ss's Recv-Q of a listening socket)."""
    if over_tls:
        args = ["ss", "-ltnH", "sport = :%d" % pg.port]
    else:
        args = ["ss", "-xlnH", "src", "%s/.s.PGSQL.%d" % (pg.sock, pg.port)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=10).stdout
    total = 0
    for line in out.splitlines():
        fields = line.split()
        if "LISTEN" in fields:
            total += int(fields[fields.index("LISTEN") + 1])
    return total


def reconnect_while_serving(pg, n, c, auth, db_url, create, how):
    """The write's reconnect waits on a server that does not answer yet:
    the loop serves meanwhile."""
    check(listen_queue(pg, False) == 0 and listen_queue(pg, True) == 0,
          "nothing is queued on the server's listening sockets before")
    psql(db_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
         "WHERE application_name = 'accord'")
    postmaster = pg._postmaster_pid()
    os.kill(postmaster, signal.SIGSTOP)
    try:
        writer, wrote = in_thread(lambda: create("reconnected", "k-reconnect"))
        wait_for("the write's reconnect waits in the server's listen queue",
                 lambda: listen_queue(pg, "TLS" in how) >= 1, timeout=4, every=0.05)
        for _ in range(READS):
            r = c.get(n.url + "/v1/node", timeout=20)
            check(r.status_code == 200, "GET /v1/node answers while a write handler "
                  "connects to the database%s: %d" % (how, r.status_code))
        check(writer.is_alive() and "r" not in wrote,
              "and the write is still unanswered: its connect waits on the server (%s)"
              % (wrote["r"].text[:300] if "r" in wrote else wrote.get("e")))
    finally:
        os.kill(postmaster, signal.SIGCONT)
    writer.join(timeout=120)
    r = wrote.get("r")
    check(r is not None and r.status_code == 201 and r.json()["name"] == "reconnected",
          "the write that reconnected is answered 201 once the server answers: %s"
          % (r.text[:200] if r is not None else wrote.get("e")))


def scenario(pg, over_tls):
    """The whole run on a database of its own, the node reaching the server
    over TLS when |over_tls|; psql always takes the unix socket."""
    name = "accord_tls" if over_tls else "accord"
    db_url = pg.url.replace("/postgres?", "/%s?" % name)
    node_url = pg.tls_url.replace("/postgres?", "/%s?" % name) if over_tls else db_url
    # The reconnect below waits on a stopped server until the reads are
    # done: a bound well past them, so that a loaded machine cannot end the
    # connect first (the default is 5 s).
    node_url += "&connect_timeout=30"
    how = " (over TLS)" if over_tls else " (unix socket)"
    psql(pg.url, "CREATE DATABASE " + name)
    with Node(node_id="waits.test", store_url=node_url) as n, h2_client() as c:
        admin = n.init()
        n.start()
        auth = {"authorization": "Bearer " + admin}

        def create(name, key):
            with h2_client() as c2:
                return c2.post(n.url + "/v1/users",
                               headers=dict(auth, **{"content-type": "application/json",
                                                     "idempotency-key": key}),
                               content=json.dumps({"name": name, "roles": ["earner"]}),
                               timeout=120)

        def rotate():
            with h2_client() as c2:
                return c2.post(n.url + "/v1/keys/rotate", headers=auth, timeout=120)

        blob = b"a file stored while a write handler waits\n" * 64

        def upload():
            with h2_client() as c2:
                return c2.post(n.url + "/v1/artifacts", content=blob,
                               headers=dict(auth, **{"content-type":
                                                     "application/octet-stream"}),
                               timeout=120)

        def yields():
            return metric(c.get(n.url + "/metrics", headers=auth, timeout=20).text,
                          "accord_write_handler_yields_total")

        def in_place():
            return metric(c.get(n.url + "/metrics", headers=auth, timeout=20).text,
                          "accord_write_handler_finished_in_place_total")

        digest = hashlib.sha256(blob).hexdigest()
        stored = os.path.join(n.data_dir, "artifacts", digest[:2], digest)

        before = yields()
        check(create("warm", "k-warm").status_code == 201, "a first write is answered" + how)
        # A keyed write makes several round trips (BEGIN, the key's look-up,
        # the user, its audit entry, the stored answer): each one yields.
        warm_yields = yields() - before
        check(warm_yields >= 3, "the keyed write's round trips yielded%s: %d"
              % (how, warm_yields))
        ssl_conns = psql(db_url, "SELECT count(*) FILTER (WHERE s.ssl) || '/' || count(*) "
                         "FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                         "WHERE a.application_name = 'accord'")
        on_tls, conns = (int(x) for x in ssl_conns.split("/"))
        check(conns >= 1 and on_tls == (conns if over_tls else 0),
              "the node's connections are %s: %s over TLS"
              % ("all over TLS" if over_tls else "on the unix socket", ssl_conns))
        holder = subprocess.Popen([PSQL, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db_url],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            holder.stdin.write("BEGIN;\nLOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE;\n"
                               "SELECT 'locked';\n")
            holder.stdin.flush()
            check(holder.stdout.readline().strip() == "locked",
                  "a second session holds the idempotency keys' table")
            writer, wrote = in_thread(lambda: create("waiter", "k-waiter"))
            wait_for("the keyed write waits on the held table",
                     lambda: psql(db_url, "SELECT count(*) FROM pg_stat_activity WHERE "
                                  "wait_event_type = 'Lock' AND application_name = 'accord'")
                     != "0", timeout=30, every=0.05)

            # The handler waits on the database: the loop serves meanwhile.
            # The same statement waits all along: the server would cut the
            # wait at the node's lock_timeout (10 s) and the node run the
            # request again, so a loop that sat in the wait would serve the
            # reads only between such runs, a new statement waiting after.
            waiting = ("SELECT query_start FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND application_name = 'accord'")
            started = psql(db_url, waiting)
            for _ in range(READS):
                r = c.get(n.url + "/v1/node", timeout=20)
                check(r.status_code == 200, "GET /v1/node answers while a write handler waits "
                      "on the database%s: %d" % (how, r.status_code))
            r = c.get(n.url + "/v1/users/me", headers=auth, timeout=20)
            check(r.status_code == 200 and r.json()["name"] == "admin",
                  "GET /v1/users/me answers meanwhile: %d %s" % (r.status_code, r.text[:200]))
            check(psql(db_url, waiting) == started,
                  "the statement that waited before the reads still waits after them%s (%s)"
                  % (how, started))
            metrics = c.get(n.url + "/metrics", headers=auth, timeout=20).text
            check(metric(metrics, "accord_write_handler_yields_total") >= 1,
                  "/metrics counts the handler's wait the loop did not wait for" + how)
            check(writer.is_alive() and "r" not in wrote,
                  "and the write is still unanswered: its handler still waits on the lock")

            def served_while(what):
                """READS reads answered while |what|, the waiting statement
                the same one after them."""
                for _ in range(READS):
                    r = c.get(n.url + "/v1/node", timeout=20)
                    check(r.status_code == 200, "GET /v1/node answers while %s%s: %d"
                          % (what, how, r.status_code))
                check(psql(db_url, waiting) == started,
                      "the statement that waited still waits after them%s (%s)" % (how, started))

            # A rotation meanwhile queues its tasks behind the waiting
            # handler: the loop goes on serving, and both wait for the lock.
            rotator, rotated = in_thread(rotate)
            served_while("a key rotation waits behind the waiting handler")
            check(rotator.is_alive() and "r" not in rotated and writer.is_alive(),
                  "the rotation and the write are still unanswered: the rotation finished "
                  "nothing in place")

            # An upload meanwhile: once its file is in place its row queues
            # behind the waiting handler as a task; the loop goes on serving
            # and finishes nothing in place.
            in_place_before = in_place()
            uploader, uploaded = in_thread(upload)
            wait_for("the upload's file is in place", lambda: os.path.exists(stored),
                     timeout=30, every=0.05)
            served_while("an upload's row waits behind the waiting handler")
            check(uploader.is_alive() and "r" not in uploaded and writer.is_alive(),
                  "the upload and the write are still unanswered: the upload's row finished "
                  "nothing in place" + how)
            check(in_place() == in_place_before,
                  "no handler was finished in place%s (%d before the upload)"
                  % (how, in_place_before))
            holder.stdin.write("COMMIT;\n")
            holder.stdin.close()
            holder.wait(timeout=30)
        finally:
            if holder.poll() is None:
                holder.kill()
        writer.join(timeout=120)
        rotator.join(timeout=120)
        uploader.join(timeout=120)
        r = wrote.get("r")
        check(r is not None and r.status_code == 201 and r.json()["name"] == "waiter",
              "the write that waited is answered 201 once the lock goes: %s"
              % (r.text[:200] if r is not None else wrote.get("e")))
        waiter_id = r.json()["id"]
        r = uploaded.get("r")
        check(r is not None and r.status_code == 201 and r.json()["sha256"] == digest,
              "the upload that waited behind it is answered 201 once the lock goes: %s"
              % (r.text[:200] if r is not None else uploaded.get("e")))
        r = rotated.get("r")
        check(r is not None and r.status_code == 200,
              "the key rotation that waited behind it is answered 200: %s"
              % (r.text[:200] if r is not None else rotated.get("e")))
        new_key = r.json()
        check(in_place() == in_place_before,
              "once all are answered, still no handler was finished in place%s (%d)"
              % (how, in_place_before))
        check(psql(db_url, "SELECT count(*) FROM users WHERE name = 'waiter'") == "1",
              "the user is there exactly once")
        again = create("waiter", "k-waiter")
        check(again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
              and again.json()["id"] == waiter_id,
              "a repeat with the key gets the stored answer: %d %s"
              % (again.status_code, again.text[:200]))
        reconnect_while_serving(pg, n, c, auth, db_url, create, how)

        n.kill()
        n.start()
        with h2_client() as c3:
            r = c3.get(n.url + "/v1/users/%d" % waiter_id, headers=auth, timeout=20)
            check(r.status_code == 200 and r.json()["name"] == "waiter",
                  "after SIGKILL and a restart the write is there: %d" % r.status_code)
            r = c3.get(n.url + "/v1/artifacts/" + digest, headers=auth, timeout=20)
            check(r.status_code == 200 and r.content == blob,
                  "and the artifact: %d" % r.status_code)
            r = c3.get(n.url + "/v1/keys", headers=auth, timeout=20)
            check(r.status_code == 200 and r.json() == new_key,
                  "and the rotation is there too: %s" % r.text[:300])
        check(n.stop() == 0, "the node stops cleanly" + how)


with PgServer(tls=True) as pg:
    scenario(pg, False)
    scenario(pg, True)
print("all checks passed")
