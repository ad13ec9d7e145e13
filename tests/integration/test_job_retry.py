"""test_job_retry - a stored job that keeps failing backs off instead of
running every scheduler tick: a full page of failing jobs no longer starves
the jobs due after them, a failed job waits its back-off before running
again, and one past its last attempt is abandoned with the admins told.

The failing jobs are "monitor" jobs about a credential row whose stored
definition is not JSON, written straight into the database before the node
starts: the handler cannot parse it (AC_EPARSE) every time it runs."""
import time

from accordtest import Api, Node, check, skip_unless_built, wait_for

skip_unless_built()

FAILING = 64  # the scheduler's page: before the fix they filled every tick


def plant(n, failing, attempts=0):
    """Adds a credential with a broken definition, |failing| monitor jobs
    about it (already due) and one reminder for a batch that does not exist
    (a job that runs and is done) due after all of them. Returns the node."""
    admin_id = n.db_rows("SELECT MIN(id) FROM users")[0][0]
    n.db_write("INSERT INTO credentials(def_id, version, title, definition, content_hash,"
               " state, created_by, created_ms, updated_ms)"
               " VALUES ('broken', 1, 'Broken', '{not json', 'x', 'active', ?, 0, 0)",
               (admin_id,))
    row = n.db_rows("SELECT id FROM credentials WHERE def_id = 'broken'")[0][0]
    n.db_write("INSERT INTO jobs(kind, ref, due_ms, attempts) VALUES ('monitor', ?, ?, ?)",
               many=[(row, i + 1, attempts) for i in range(failing)])
    n.db_write("INSERT INTO jobs(kind, ref, due_ms) VALUES ('reminder', 999999, ?)",
               (failing + 100,))
    return n


def jobs(n, kind):
    return n.db_rows("SELECT attempts, done_ms FROM jobs WHERE kind = ?", (kind,))


def test_a_page_of_failing_jobs_does_not_starve_a_later_due_job():
    with Node() as n:
        n.init()
        plant(n, FAILING)
        n.start()
        wait_for("the job due after %d failing ones to run" % FAILING,
                 lambda: jobs(n, "reminder")[0][1] != 0)
        check(all(a >= 1 and d == 0 for a, d in jobs(n, "monitor")),
              "each failing job has its failed attempt recorded and is not done")


def test_a_failed_job_waits_its_back_off_before_running_again():
    with Node() as n:
        token = n.init()
        plant(n, 1)
        n.start()
        wait_for("the job to fail once", lambda: jobs(n, "monitor")[0][0] == 1)
        # The scheduler polls every second: three polls with the clock short
        # of the 30 s back-off must not run it again.
        time.sleep(3.5)
        check(jobs(n, "monitor")[0][0] == 1, "no retry before the back-off")
        admin = Api(n, token)
        r = admin.post("/v1/test/clock", {"advance_seconds": 31})
        check(r[0] == 200, "the test clock moves: %r" % (r,))
        wait_for("the job to run again once its back-off has passed",
                 lambda: jobs(n, "monitor")[0][0] == 2)
        admin.close()


def test_a_job_failing_its_last_attempt_is_abandoned_and_the_admins_told():
    with Node() as n:
        n.init()
        plant(n, 1, attempts=19)
        n.start()
        wait_for("the 20th failure to mark the job done",
                 lambda: jobs(n, "monitor")[0] == (20, jobs(n, "monitor")[0][1])
                 and jobs(n, "monitor")[0][1] != 0)
        told = n.db_rows("SELECT COUNT(*) FROM notifications WHERE kind = 'flag'"
                         " AND subject = 'Scheduled job abandoned'")[0][0]
        check(told >= 1, "the admins get a notification about the abandoned job")


test_a_page_of_failing_jobs_does_not_starve_a_later_due_job()
test_a_failed_job_waits_its_back_off_before_running_again()
test_a_job_failing_its_last_attempt_is_abandoned_and_the_admins_told()
