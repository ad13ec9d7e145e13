"""test_group_turns - a group of write requests runs one handler per loop
turn, its transaction parked on the store between turns (node/http/reqtx.c,
store/writer.h), and the writes a request makes after its handler handed it
off join a later group as tasks (ac__reqtx_task()), never lost with it.

Under a storm of writes (users created on eight connections), people set
their password through a mailed link and sign in: POST /v1/password and
POST /v1/session hand the password to a hashing worker, and the worker's
answer comes back to the loop, which then writes (the link spent with the
password it sets, and the new session) as a task of the request groups:
in a savepoint of an open group, committed with it, instead of closing
it (/metrics: accord_write_tasks_total). The node is SIGKILLed at once
after the last answer and restarted: every password set and every session
started is there, each link sets a password once, and every storm write
acknowledged is there exactly once. Meanwhile /metrics says that no loop
turn ran more than one write handler (accord_write_handlers_per_loop_turn_max),
a count the loop keeps between two of its polls for I/O, so a read waits
behind one write handler at most."""
import glob
import os
import re
import time

from accordtest import Api, Node, check, h2_client, metric, skip_unless_built
from storm import UserStorm

skip_unless_built()

WRITERS = 8
PEOPLE = 4


def wait_token(node, name, timeout=60):
    """The token of the set-password link mailed to |name|."""
    deadline = time.monotonic() + timeout
    while True:
        for path in glob.glob(os.path.join(node.data_dir, "maildir", "new", "*")):
            with open(path, errors="replace") as f:
                text = f.read()
            if "%s@example.org" % name not in text:
                continue
            m = re.search(r"/password\.html#(acl_[A-Za-z0-9_-]{43})", text)
            if m:
                return m.group(1)
        check(time.monotonic() < deadline, "a set-password link reached %s in %d s"
              % (name, timeout))
        time.sleep(0.1)


def session_cookie(r):
    m = re.search(r"accord_session=([^;]+)", r.headers.get("set-cookie", ""))
    return m.group(1) if m else None


with Node(node_id="turns.test") as n:
    admin_token = n.init()
    n.start()
    admin = Api(n, admin_token)
    people = []
    for i in range(PEOPLE):
        name = "person%d" % i
        st, u = admin.post("/v1/users", {"name": name, "email": "%s@example.org" % name,
                                         "roles": ["reviewer"]})
        check(st == 201, "%s is created: %d %s" % (name, st, u))
        st, _ = admin.post("/v1/users/%d/invite" % u["id"])
        check(st == 202, "%s is invited by mail" % name)
        people.append((name, wait_token(n, name)))
    admin.close()

    storm = UserStorm(n.url, admin_token, "w", WRITERS)
    storm.start()
    storm.wait_acked(50, timeout=120)
    cookies = {}
    with h2_client() as c:
        for name, token in people:
            password = "the password of " + name
            r = c.post(n.url + "/v1/password", json={"token": token, "password": password})
            check(r.status_code == 201, "during the storm %s sets a password through the "
                  "mailed link: %d %s" % (name, r.status_code, r.text[:200]))
            r = c.post(n.url + "/v1/session", json={"name": name, "password": password})
            check(r.status_code == 201 and session_cookie(r),
                  "during the storm %s signs in with it: %d %s"
                  % (name, r.status_code, r.text[:200]))
            cookies[name] = session_cookie(r)
        metrics = c.get(n.url + "/metrics",
                        headers={"authorization": "Bearer " + admin_token}).text
    storm.end(n)  # at once after the last answer
    check(not storm.errors, "no storm write failed before the kill (%s)" % storm.errors[:2])
    turn_max = metric(metrics, "accord_write_handlers_per_loop_turn_max")
    groups = metric(metrics, "accord_write_groups_total")
    check(turn_max == 1, "no loop turn ran more than one write handler under a storm of "
          "%d writes in %d groups (most in one turn: %d)" % (len(storm.acked), groups, turn_max))
    check(groups >= 1, "the storm's writes were committed in groups (%d)" % groups)
    # Each link's password and its session, then each sign-in's session:
    # written after the hashing worker, as tasks that join a group instead
    # of closing it.
    tasks = metric(metrics, "accord_write_tasks_total")
    check(tasks >= 2 * PEOPLE, "the %d password sets and sign-ins wrote in groups of the storm "
          "(accord_write_tasks_total %d)" % (2 * PEOPLE, tasks))
    print("# %d storm writes in %d groups; %d groups closed early by another store call"
          % (len(storm.acked), groups, metric(metrics, "accord_write_group_closes_total")))

    n.start()
    with h2_client() as c:
        for name, token in people:
            r = c.get(n.url + "/v1/session", headers={"cookie": "accord_session=" + cookies[name]})
            check(r.status_code == 200, "after SIGKILL and restart, the session %s started "
                  "during the storm is there: %d %s" % (name, r.status_code, r.text[:200]))
            r = c.post(n.url + "/v1/session",
                       json={"name": name, "password": "the password of " + name})
            check(r.status_code == 201, "after restart %s signs in with the password set "
                  "during the storm: %d" % (name, r.status_code))
            r = c.post(n.url + "/v1/password", json={"token": token, "password": "another long password"})
            check(r.status_code in (401, 403, 404, 410),
                  "%s's link, spent with the password it set, sets no second one: %d"
                  % (name, r.status_code))
    r = n.ctl("user", "list", token=admin_token, json_out=True)
    check(r.returncode == 0, "accordctl user list answers after the restart")
    names = [u["name"] for u in r.json["items"]]
    missing = [w for w in storm.names() if w not in names]
    check(not missing, "every acknowledged storm write is present after restart (missing: %s)"
          % missing[:5])
    check(len(names) == len(set(names)), "no write is present twice")
    check(n.stop() == 0, "the restarted node stops cleanly")
print("all checks passed")
