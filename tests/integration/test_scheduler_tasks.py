"""test_scheduler_tasks - the scheduler's work and the delivery of
notifications wait on no database round trip on the loop (issue 15): due
jobs are read, run and marked done as tasks of the request group commit, on
the write handlers' fiber, joined to the groups of a storm of writes
instead of closing them; so are the reads of a notification due (with its
recipient and their address) and the record of its delivery
(node/review/notify.c).

Under a storm of user creations (tests/lib/storm.py), earners submit work
(each submission's "screen" and "assign" jobs, which run services of their
own), and the test clock then moves past the reminders of every batch so
invited (the "reminder" jobs). Checked through the API, as people see it:
every submission is screened and offered to its reviewers once, every
batch's reviewer is reminded exactly once, each reminder delivered on its
one attempt into a maildir file of its own; every notification delivered
has its file, and no other file is there. And through /metrics: the
statements the loop itself ran and waited for
(accord_store_loop_statements_total) grow by a small constant however many
jobs ran and notifications went out, while the writes of the node's own
committed in groups (accord_write_tasks_total) grow by at least a task per
job and two per delivery. Then the deadlines come due and the node is
stopped at once: after the restart each batch's reviewer has been told once
that it expired, and that notice was delivered. Last, a delivery that cannot
be written is recorded as a failed attempt and goes on the next one once its
back-off passed."""
import glob
import os
import time

from accordtest import Api, Node, check, metric, skip_unless_built
from lifecycle import active_credential
from quality import Earners, eventually, fast_definition, invited, notifications, ok
from storm import UserStorm

skip_unless_built()

DAY = 24 * 3600
SUBMISSIONS = 3
WRITERS = 3
# What node/federation's clock-driven work still runs on the loop when the
# test clock jumps days (not this test's subject): the prune of its inbox
# and outbox (BEGIN, two DELETEs, COMMIT) and the lending offers' read of
# the policies with its (empty) transaction.
FEDERATION = 7


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


def settled(n, admin):
    """Waits until nothing is due and every notification went out:
    wait_settled() reads the clock before the database, so one queued in
    between is not due yet by it (and every notification of this test goes
    on its first attempt)."""
    n.wait_settled(admin)
    check(eventually(lambda: n.db_rows("SELECT COUNT(*) FROM notifications"
                                       " WHERE delivered_ms = 0")[0][0] == 0),
          "every notification queued is delivered")


def maildir_ids(n):
    """The notification ids of the maildir's delivered files (<id>.accord)."""
    paths = glob.glob(os.path.join(n.data_dir, "maildir", "new", "*"))
    return sorted(int(os.path.basename(p).split(".")[0]) for p in paths)


def mail_kind(n, nid):
    """The X-Accord-Kind of notification |nid|'s maildir file, or None."""
    try:
        with open(os.path.join(n.data_dir, "maildir", "new", "%d.accord" % nid),
                  errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        if line.startswith("X-Accord-Kind: "):
            return line[len("X-Accord-Kind: "):]
    return None


def check_mailed(n, api, kind, who):
    """Each notification of |kind| |api|'s user has was delivered on its one
    attempt, into its own maildir file of that kind."""
    for m in notifications(api, kind):
        check(m["delivered"] and m["attempts"] == 1,
              "%s's %s notice %d was delivered on its one attempt (delivered %s, %d attempts)"
              % (who, kind, m["id"], m["delivered"], m["attempts"]))
        check(mail_kind(n, m["id"]) == kind,
              "%s's %s notice %d is in the maildir as %d.accord (found %s)"
              % (who, kind, m["id"], m["id"], mail_kind(n, m["id"])))


def check_maildir(n):
    """Every notification delivered has its file, and no other file is
    there (a delivery repeated overwrites its own)."""
    delivered = [r[0] for r in n.db_rows("SELECT id FROM notifications WHERE delivered_ms <> 0"
                                         " ORDER BY id")]
    files = maildir_ids(n)
    check(files == delivered, "the maildir holds one file per notification delivered "
          "(%d files, %d delivered)" % (len(files), len(delivered)))
    tmp = glob.glob(os.path.join(n.data_dir, "maildir", "tmp", "*"))
    check(not tmp, "no delivery is left half-written in maildir/tmp (%s)" % tmp[:3])


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
        settled(n, admin)

        storm = UserStorm(n.url, token, "s", WRITERS)
        storm.start()
        storm.wait_acked(50, timeout=120)
        opened = time.monotonic()
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
        settled(n, admin)
        after = metrics(admin)
        seconds = time.monotonic() - opened
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
            check_mailed(n, api, "reminder", "reviewer %d" % uid)
        check_maildir(n)
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
        check(delivered >= ran["reminder"],
              "the window delivered its %d reminders at least (%d deliveries)"
              % (ran["reminder"], delivered))
        # What else ran on the loop in the window, none of it the jobs' or
        # the deliveries' (before, each delivery ran about 8: the due one,
        # its user and address, and its delivered mark in a transaction of
        # the loop's): /metrics' own statement (shown by the next call);
        # each earner's token, new to the token cache, read on their first
        # request; FEDERATION. (The token cache's check of the auth
        # generation, once a second, runs on a reader thread.)
        bound = 1 + SUBMISSIONS + FEDERATION
        check(grew <= bound,
              "the loop ran %d statements itself in the window of %d jobs and %d deliveries "
              "(%.1f s), at most %d (1 for /metrics, %d token reads, %d for federation): none "
              "of theirs" % (grew, jobs, delivered, seconds, bound, SUBMISSIONS, FEDERATION))
        check(tasks1 - tasks0 >= jobs + 2 * delivered,
              "every job ran as a task of the group commit, and every delivery was read and "
              "recorded by two (accord_write_tasks_total +%d for %d jobs and %d deliveries)"
              % (tasks1 - tasks0, jobs, delivered))

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
        settled(n, admin)
        for uid, _, tok in cred.reviewers:
            api = Api(n, tok)
            expired = len(notifications(api, "expired"))
            check(expired == 1, "after a stop during the deadlines' tick, reviewer %d is told "
                  "once that its batch expired (%d notices)" % (uid, expired))
            check_mailed(n, api, "expired", "reviewer %d" % uid)
            api.close()
        check(jobs_done(n, "deadline") == 2 * SUBMISSIONS,
              "every batch's deadline job ran, once")
        check_maildir(n)

        # A delivery that fails (maildir/tmp made a file: no message can be
        # written) has its failed attempt and back-off recorded, by a task
        # as its delivered mark is; once the back-off passed it goes on its
        # next attempt, into its own file.
        tmp = os.path.join(n.data_dir, "maildir", "tmp")
        os.rmdir(tmp)
        open(tmp, "w").close()
        uid, _, tok = cred.reviewers[0]
        api = Api(n, tok)
        ok(admin.put("/v1/users/%d/email" % uid, {"email": "reviewer0@example.org"}))

        def attempted():
            notes = notifications(api, "email_verify")
            return notes[0] if notes and notes[0]["attempts"] >= 1 else None

        note = eventually(attempted)
        check(note is not None and not note["delivered"],
              "a link that cannot be written to the maildir is recorded as a failed attempt, "
              "not delivered (%s)" % note)
        failed = note["attempts"]
        os.remove(tmp)
        os.mkdir(tmp, 0o700)
        # The first retry waits 30 s by the node's clock.
        ok(admin.post("/v1/test/clock", {"advance_seconds": 60}))
        settled(n, admin)
        note = notifications(api, "email_verify")[0]
        check(note["delivered"] and note["attempts"] == failed + 1,
              "after its back-off the link is delivered on the next attempt (delivered %s, %d "
              "attempts after %d failed)" % (note["delivered"], note["attempts"], failed))
        check(mail_kind(n, note["id"]) == "email_verify",
              "the link is in the maildir as %d.accord" % note["id"])
        check_maildir(n)
        api.close()
        admin.close()
        status = n.stop()
        check(status == 0, "the node stops cleanly after its deliveries (status %s)" % status)


main()
