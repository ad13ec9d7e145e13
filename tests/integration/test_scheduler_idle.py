"""test_scheduler_idle - an idle node opens no write transaction each
second: the scheduler reads the due jobs only when something may have come
due (the earliest due time it last read, a commit of this node since, the
test clock moved, or its 30 s poll), not on every one-second wake
(node/review/scheduler.c). Scheduled jobs still fire when due.

A submission is screened and offered to a reviewer, which schedules its
reminder and deadline days ahead; the node is then left alone for a few
seconds: /metrics' accord_write_groups_total and accord_write_tasks_total
grow by at most one (the 30 s poll may fall in the window; a read each
second would be several). Then the test clock passes the reminder time:
the reviewer is reminded once, and the node is idle again afterwards."""
import time

from accordtest import Api, Node, check, metric, skip_unless_built
from lifecycle import active_credential
from quality import Earners, eventually, fast_definition, invited, notifications, ok

skip_unless_built()

DAY = 24 * 3600
IDLE_S = 5


def metrics(admin):
    r = admin.client.get(admin.node.url + "/metrics",
                         headers={"authorization": "Bearer " + admin.token})
    assert r.status_code == 200, r.status_code
    return r.text


def quiet(admin, still_s=2.5, bound_s=60):
    """Waits until the node's tasks stopped for |still_s| seconds: what the
    test's own steps set off (a moved test clock makes the federation's
    clock-driven prune and capacity offers due, and a commit makes the
    scheduler read once more) is done before the idle window opens."""
    deadline = time.monotonic() + bound_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        tasks = metric(metrics(admin), "accord_write_tasks_total")
        if tasks != last:
            last, since = tasks, time.monotonic()
        elif time.monotonic() - since >= still_s:
            return
        time.sleep(0.25)
    raise AssertionError("the node's tasks never stopped for %.1f s" % still_s)


def idle_growth(admin):
    """How much the write groups and tasks grew while nobody asked anything
    of the node for IDLE_S seconds."""
    quiet(admin)
    m0 = metrics(admin)
    time.sleep(IDLE_S)
    m1 = metrics(admin)
    return tuple(metric(m1, k) - metric(m0, k)
                 for k in ("accord_write_groups_total", "accord_write_tasks_total"))


def main():
    with Node(node_id="sched.idle") as n:
        token = n.init()
        n.start()
        admin = Api(n, token)
        d = fast_definition("sched-idle")
        cred = active_credential(n, token, d, reviewers=2)
        earners = Earners(n, admin)
        earners.submit("sched-idle", 1)
        check(eventually(lambda: n.db_rows("SELECT COUNT(*) FROM batches")[0][0] == 2),
              "the submission is screened and offered to two reviewers")
        n.wait_settled(admin)
        pending = n.db_rows("SELECT COUNT(*) FROM jobs WHERE done_ms = 0")[0][0]
        check(pending > 0, "reminders and deadlines are scheduled ahead (%d jobs)" % pending)

        groups, tasks = idle_growth(admin)
        print("# idle %d s with %d jobs ahead: +%d write groups, +%d tasks"
              % (IDLE_S, pending, groups, tasks))
        check(groups <= 1 and tasks <= 1,
              "an idle node opens at most the 30 s poll's group in %d s (+%d groups, +%d tasks)"
              % (IDLE_S, groups, tasks))

        # The reminders come due on the test clock: the scheduler notices the
        # clock moved and runs them, once each.
        ok(admin.post("/v1/test/clock", {"advance_seconds": 9 * DAY}))
        n.wait_settled(admin)
        for uid, api, _ in cred.reviewers:
            batches = len(invited(api))
            reminders = len(notifications(api, "reminder"))
            check(batches == 0 or reminders == batches,
                  "reviewer %d, invited to %d batches, is reminded once of each (%d)"
                  % (uid, batches, reminders))
        check(n.db_rows("SELECT COUNT(*) FROM jobs WHERE kind = 'reminder' AND done_ms <> 0")
              [0][0] == 2, "both batches' reminders ran once the clock passed them")

        groups, tasks = idle_growth(admin)
        print("# idle again: +%d write groups, +%d tasks" % (groups, tasks))
        check(groups <= 1 and tasks <= 1,
              "after the jobs ran the node is idle again (+%d groups, +%d tasks)"
              % (groups, tasks))
        cred.close()
        admin.close()


main()
