/* jobs.c - the review folder's stored job kinds: which service runs each and
 * in whose transaction (review/scheduler.h says how to add one). Every kind
 * runs inside the scheduler's transaction, a task of the request group
 * commit on a node serving requests: the runners below write only to the
 * store before that commit, and wake the scheduler, the senders and the
 * notification pump through after-commit hooks. */
#include "accord/base/error.h"
#include "review/review.h"

static const struct ac_job_kind review_kinds[] = {
    /* Its own transaction (nested in the scheduler's), and it marks itself
     * done in it: the record, the submission's link to it and the mark
     * commit together. The records state in memory moves before the group
     * commits, as for a record an admin's request issues: a group that
     * does not commit leaves it ahead of the store, and the next issue or
     * checkpoint read follows the stored head (records/issue.c). A run
     * that fails after issuing reloads the state only on the loop,
     * outermost (decisions.c): never inside a group. */
    {"issue", ac__decision_job_issue, AC_JOB_TX_RUNNER_MARKS_DONE, 0, {0, 0, 0}},
    /* Their own transactions (nested in the scheduler's, with the done
     * mark after them); harmless to repeat (they re-read the state), and a
     * subject gone is nothing to do. */
    {"screen", ac__screening_job, AC_JOB_TX_RUNNER, AC_ENOENT, {0, 0, 0}},
    {"assign", ac__assignment_job_pass, AC_JOB_TX_RUNNER, AC_ENOENT, {0, 0, 0}},
    /* Inside the scheduler's transaction with their done mark. */
    {"reminder", ac__assignment_job_reminder, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
    {"deadline", ac__assignment_job_deadline, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
    {"batch_timer", ac__assignment_job_batch_timer, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
    {"resubmit_open", ac__decision_job_resubmit_open, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
    {"monitor", ac__monitoring_job, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
};

int ac__review_jobs_register(struct ac_node *n)
{
    return ac__scheduler_add_kinds(n, review_kinds, sizeof review_kinds / sizeof review_kinds[0]);
}
