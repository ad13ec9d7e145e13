/* scheduler.h - stored jobs and the timer that runs them.
 *
 * A job is a row (kind, ref, due time) written in the transaction of the
 * change that wants it, so a restarted node runs whatever came due while it
 * was down. The scheduler knows kinds only from a table that the folders
 * owning them fill at start (node.c calls each folder's registration); it
 * never names a kind itself.
 *
 * How to add a job kind (federation's outbox is the next):
 *   1. write the runner, `int run(struct ac_node *n, const struct ac_job *job)`,
 *      in the service file that owns the work. It re-reads the state it acts
 *      on (a job may fire twice: after a crash between its effects and its
 *      done mark) and returns 0 or an AC_E* code;
 *   2. add a struct ac_job_kind line to the folder's table (for review:
 *      node/review/jobs.c; a new folder gets its own table and registration
 *      function, called from node.c after ac__scheduler_start());
 *   3. queue it with ac_store_job_add(n->store, "<name>", ref, due_ms) inside
 *      the transaction of the change that wants it.
 * A failing run is rolled back and retried per the kind's retry policy; the
 * last permitted failure abandons the job and tells the admins.
 *
 * On a node serving requests every store statement of the scheduler runs
 * as a task of the request group commit (ac__reqtx_task(), node/internal.h):
 * on the write handlers' fiber, so on PostgreSQL the loop waits on none of
 * its round trips, and joined to the open group instead of closing it. A
 * tick is: one task that reads the due jobs, then each job's run with its
 * done mark as a task of its own, and a failed run's record as another.
 * One tick is in flight at a time. So a runner is a transaction body: no
 * effect outside the store before its commit (it may be run again after a
 * lost race, and its group may never commit), wakes through after-commit
 * hooks (ac__scheduler_kick(), ac__fed_kick(), ac__notify_pump() do so).
 * Without a request group (before the routes exist: unit tests, tools) a
 * tick runs inline as before.
 * Everything runs on the loop thread. */
#ifndef AC_NODE_REVIEW_SCHEDULER_H
#define AC_NODE_REVIEW_SCHEDULER_H

#include <stdint.h>

#include <uv.h>

#include "accord/store/job.h"

struct ac_node;

/* Runs one due job; returns 0 or an AC_E* code (its effects then roll back). */
typedef int (*ac_job_run_cb)(struct ac_node *n, const struct ac_job *job);

/* Who opens the transaction a job runs in. Every kind runs inside the
 * scheduler's transaction (a task's savepoint of the group's, or one of
 * its own without a group), so a runner's own begin and commit are a
 * savepoint inside it, and its effects commit with the job's done mark. */
enum ac_job_tx {
    /* The scheduler: the runner's effects and the job's done mark commit
     * together, so a job fired twice does its work once. */
    AC_JOB_TX_SCHEDULER,
    /* The runner (it calls a service that opens its own, nested in the
     * scheduler's); the scheduler marks the job done after it. The runner
     * must be harmless to repeat. */
    AC_JOB_TX_RUNNER,
    /* The runner, which also marks the job done inside its transaction
     * (ac_store_job_done()), so effects and mark commit together. */
    AC_JOB_TX_RUNNER_MARKS_DONE,
};

/* How a failed job is retried: the first retry after |first_ms|, doubling up
 * to |max_ms|; after |max_attempts| failed runs it is abandoned. Zeros take
 * the defaults (30 s, 1 h, 20 attempts: about 13 hours in all). */
struct ac_job_retry {
    int64_t first_ms, max_ms;
    int64_t max_attempts;
};

struct ac_job_kind {
    const char *name; /* jobs.kind; at most AC_JOB_KIND_MAX bytes */
    ac_job_run_cb run;
    enum ac_job_tx tx;
    /* Errors a run may return that mean "nothing to do" (the job is marked
     * done): 0 for none, else e.g. AC_ENOENT for a subject that is gone. */
    int done_on;
    struct ac_job_retry retry;
};

/* Due jobs read per tick. */
#define AC__SCHEDULER_PAGE 64

/* One due job of the tick in flight, the argument of its tasks. */
struct ac__job_task {
    struct ac__scheduler *s;     /* borrowed: the owner */
    const struct ac_job_kind *k; /* NULL: no kind of that name is registered */
    struct ac_job job;
    int why; /* 0 while its run is the task; the run's error once its failure is */
};

/* The scheduler's state, owned by the node (n->scheduler). */
struct ac__delivery;
struct ac__scheduler {
    uv_timer_t timer;                 /* first: the scheduler's poll */
    struct ac_node *node;             /* borrowed */
    const struct ac_job_kind **kinds; /* owned array of borrowed entries */
    size_t n_kinds;
    struct ac__delivery *busy; /* the one notification delivery in flight (notify.c) */
    int closing;               /* the timer is being closed */
    int closed;                /* ... and is closed: the last one out frees this */
    /* The tick in flight (scheduler.c): its due jobs read by a task into
     * |due| (|got| of them; |notes|: a notification is due too), then run
     * by tasks of their own, |pending| of them not done yet (|queuing|
     * while they are being queued). |again|: kicked meanwhile, the next
     * tick starts at once; |cancelled|: the node stops, no next tick. */
    int ticking, again, cancelled, queuing, notes;
    int ran;     /* a job's run of this tick committed */
    int read_ok; /* this tick's due read committed */
    size_t got, pending;
    /* What the last due read learned (scheduler.c): a wake reads again only
     * when |force|d (a kick, a full page), once |next_ms| (the earliest
     * job or notification due, test clock) came, this node committed
     * since (|seen_commits|), the test clock moved (|seen_offset|) or
     * 30 s passed since |read_at| (loop time); |read|: one happened. */
    int read, force;
    int64_t next_ms, seen_offset;
    uint64_t seen_commits, read_at;
    struct ac_job due[AC__SCHEDULER_PAGE];
    struct ac__job_task tasks[AC__SCHEDULER_PAGE];
};

/* Creates n->scheduler and starts the timer that fires due jobs and delivers
 * notifications. Returns 0, AC_ENOMEM or a libuv error. */
int ac__scheduler_start(struct ac_node *n);

/* Adds the |count| kinds of |kinds| (borrowed; static tables) to |n|'s
 * scheduler. Returns 0, AC_EBUG (no scheduler, a name empty or too long),
 * AC_EEXIST (a name already registered; nothing added) or AC_ENOMEM. */
int ac__scheduler_add_kinds(struct ac_node *n, const struct ac_job_kind *kinds, size_t count);

/* The registered kind named |name|, or NULL. */
const struct ac_job_kind *ac__scheduler_kind(const struct ac_node *n, const char *name);

/* Runs one due job per its kind, inline (the loop waits for it: for tests
 * and the ticks of a node without request groups); marks it done in the
 * transaction of its effects. When it fails the attempt is recorded in a
 * transaction of its own and the job backs off; the last permitted failure
 * abandons it and notifies the admins. A kind nobody registered is logged
 * and marked done. Returns the run's result. */
int ac__scheduler_run(struct ac_node *n, const struct ac_job *job);

/* Ends the transaction a service opened: rolls back and returns |err| when
 * it is an error, else commits and asks for a pass soon, so jobs the change
 * queued due now run at once. */
int ac__scheduler_commit(struct ac_node *n, int err);

/* Asks for a pass soon (after a change that scheduled a job due now):
 * inside a transaction once it commits; while a tick is in flight, a new
 * one starts as soon as it ends. */
void ac__scheduler_kick(struct ac_node *n);

/* Closes the timer; its memory goes in the close callback (or when the
 * delivery in flight completes). Called after ac__reqtx_stop(), which ends
 * every task of a tick (AC_ECANCELED for those that never ran: their jobs
 * stay due for the next start). */
void ac__scheduler_stop(struct ac_node *n);

#endif
