"""test_scheduler_tasks - the scheduler's work waits on no database round
trip on the loop (issue 15): due jobs are read, run and marked done as
tasks of the request group commit, on the write handlers' fiber, joined to
the groups of a storm of writes instead of closing them.

Under a storm of user creations (tests/lib/storm.py), earners submit work
(each submission's "screen" and "assign" jobs, which run services of their
own), and the test clock then moves past the reminders of every batch so
invited (the "reminder" jobs). Checked through the API, as people see it:
every submission is screened and offered to its reviewers once, every
batch's reviewer is reminded exactly once; and through /metrics: the
statements the loop itself ran and waited for
(accord_store_loop_statements_total) do not grow with the jobs, while the
writes of the node's own committed in groups (accord_write_tasks_total)
grow by at least a task per job. Notifications are delivered by their own
pump, which still reads on the loop (node/review/notify.c): the bound
allows for each delivery of the window, and nothing for the jobs. Then the deadlines come due and the node is stopped at
once: after the restart each batch's reviewer has been told once that it
expired."""
import time

from accordtest import Api, Node, check, metric, skip_unless_built
from lifecycle import active_credential
from quality import Earners, eventually, fast_definition, invited, notifications, ok
from storm import UserStorm

skip_unless_built()

DAY = 24 * 3600
SUBMISSIONS = 3
WRITERS = 3
PER_DELIVERY = 9
SLACK = 8


def metrics(admin):
    r = admin.client.get(admin.node.url + "/metrics",
                         headers={"authorization": "Bearer " + admin.token})
    assert r.status_code == 200, r.status_code
    return r.text


def jobs_done(n, kind):
    return n.db_rows("SELECT COUNT(*) FROM jobs WHERE kind = ? AND done_ms <> 0", (kind,))[0][0]


def invited_batches(n):
    """Batches offered (the node has no other)."""
    return n.db_rows("SELECT COUNT(*) FROM batches")[0][0]


def delivered_count(n):
    return n.db_rows("SELECT COUNT(*) FROM notifications WHERE delivered_ms <> 0")[0][0]


def main():
    with Node(node_id="sched.tasks") as n:
        token = n.init()
        n.start()
        admin = Api(n, token)
        d = fast_definition("sched-tasks")
        # A reviewer is offered one batch at a time: a reviewer for each.
        cred = active_credential(n, token, d, reviewers=2 * SUBMISSIONS)
        earners = Earners(n, admin)
        # Deliveries of the notifications the set-up queued are out of the
        # way before the window opens.
        n.wait_settled(admin)

        storm = UserStorm(n.url, token, "s", WRITERS)
        storm.start()
        storm.wait_acked(50, timeout=120)
        before = metrics(admin)
        loop0 = metric(before, "accord_store_loop_statements_total")
        tasks0 = metric(before, "accord_write_tasks_total")
        screened0, assigned0, reminded0 = (jobs_done(n, k) for k in ("screen", "assign",
                                                                     "reminder"))
        delivered0 = delivered_count(n)

        subs = earners.submit("sched-tasks", SUBMISSIONS)
        # Inside the window the test reads the database itself: a
        # reviewer's first request would read their token on the loop.
        check(eventually(lambda: invited_batches(n) == 2 * SUBMISSIONS),
              "under the storm each of %d submissions is screened and offered to two "
              "reviewers" % SUBMISSIONS)
        ok(admin.post("/v1/test/clock", {"advance_seconds": 9 * DAY}))
        n.wait_settled(admin)
        after = metrics(admin)
        loop1 = metric(after, "accord_store_loop_statements_total")
        tasks1 = metric(after, "accord_write_tasks_total")
        delivered = delivered_count(n) - delivered0
        storm.stop.set()
        for t in storm.threads:
            t.join()
        for c in storm.clients:
            c.close()
        check(not storm.errors, "no storm write failed (%s)" % storm.errors[:2])

        for uid, api, _ in cred.reviewers:
            batches = len(invited(api))
            reminders = len(notifications(api, "reminder"))
            check(reminders == batches,
                  "reviewer %d, invited to %d batches, is reminded once of each (%d reminders)"
                  % (uid, batches, reminders))
        for sid, eapi in subs:
            s = ok(eapi.get("/v1/submissions/%d" % sid))
            check(s["state"] == "in_review", "submission %d is in review, once" % sid)
        ran = {k: jobs_done(n, k) - v for k, v in (("screen", screened0), ("assign", assigned0),
                                                  ("reminder", reminded0))}
        jobs = sum(ran.values())
        check(ran["reminder"] == 2 * SUBMISSIONS and ran["screen"] == SUBMISSIONS,
              "the window ran %s jobs" % ran)
        grew = loop1 - loop0
        print("# window: %d jobs (%s), %d storm writes, %d loop statements, %d deliveries, "
              "%d tasks" % (jobs, ran, len(storm.acked), grew, delivered, tasks1 - tasks0))
        check(tasks1 - tasks0 >= jobs,
              "every job ran as a task of the group commit (accord_write_tasks_total +%d for "
              "%d jobs)" % (tasks1 - tasks0, jobs))
        # What else ran on the loop in the window: /metrics' own statement
        # (shown by the next call), the delivery of each notification
        # (notify.c: the due one, its user and address, and its delivered
        # mark in a transaction: PER_DELIVERY at most) and a few reads of
        # the token cache's generation (SLACK).
        bound = 1 + PER_DELIVERY * delivered + SLACK
        check(grew <= bound,
              "the loop ran %d statements itself in the window of %d jobs, at most %d: "
              "%d deliveries of notifications, the rest none of the jobs'"
              % (grew, jobs, bound, delivered))

        # The deadlines come due and the node is stopped at once, its tick
        # perhaps in flight: a task that never ran ends cancelled and its
        # job stays due; none runs twice. After the restart every batch has
        # expired and its reviewer was told once.
        ok(admin.post("/v1/test/clock", {"advance_seconds": 2 * DAY}))
        admin.close()
        cred.close()
        status = n.stop()
        check(status == 0, "the node stops cleanly as the deadlines come due (status %s)" % status)
        n.start()
        admin = Api(n, token)
        # The test clock's offset lives in the process: set it again.
        ok(admin.post("/v1/test/clock", {"advance_seconds": 11 * DAY}))
        n.wait_settled(admin)
        for uid, _, tok in cred.reviewers:
            api = Api(n, tok)
            expired = len(notifications(api, "expired"))
            check(expired == 1, "after a stop during the deadlines' tick, reviewer %d is told "
                  "once that its batch expired (%d notices)" % (uid, expired))
            api.close()
        check(jobs_done(n, "deadline") == 2 * SUBMISSIONS,
              "every batch's deadline job ran, once")
        admin.close()


main()
