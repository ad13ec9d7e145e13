/* test_scheduler.c - tests node/review/scheduler.c without a running loop:
 * jobs run through the table of registered kinds (a kind is registered
 * once); a run's effects and its done mark commit together; a failed run is
 * rolled back and retried on its kind's policy, the last attempt abandoned
 * and told to the admins, unless the job is done already (a commit whose
 * outcome was unknown went through); a kind nobody registered is marked
 * done. With the
 * request layer started (as the node starts it), a tick runs as tasks of
 * the group commit: each due job runs once however often the scheduler is
 * kicked while its tick is in flight, a stop before its task ran leaves
 * the job due, a runner's own AC_ECANCELED is a failure (not the stop),
 * and a stopping node arms no next tick even with a full page due. */
#include "review_fixture.h"
#include "accord/net/router.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"

static int runs;

/* Writes a notification to the admin, then succeeds. */
static int run_ok(struct ac_node *n, const struct ac_job *job)
{
    runs++;
    return ac_store_notify_add(n->store, fx.admin, "test", 0, "ran", job->kind, ac_clock_now_ms(),
                               NULL);
}

/* Writes a notification to the earner, then fails: the write must go. */
static int run_failing(struct ac_node *n, const struct ac_job *job)
{
    runs++;
    int err = ac_store_notify_add(n->store, fx.earner, "test", 0, "half", job->kind,
                                  ac_clock_now_ms(), NULL);
    return err ? err : AC_EIO;
}

/* Fails as a cancelled operation of its own would: not the node's stop. */
static int run_cancelled(struct ac_node *n, const struct ac_job *job)
{
    (void)n;
    (void)job;
    runs++;
    return AC_ECANCELED;
}

static const struct ac_job_kind test_kinds[] = {
    {"test_ok", run_ok, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
    {"test_fail", run_failing, AC_JOB_TX_SCHEDULER, 0, {1000, 4000, 3}},
    {"test_cancel", run_cancelled, AC_JOB_TX_SCHEDULER, 0, {0, 0, 0}},
};

static int setup(void **state)
{
    if (fx_open(state))
        return -1;
    runs = 0;
    if (ac__scheduler_start(&fx.nf.node) || ac__review_jobs_register(&fx.nf.node))
        return -1;
    return ac__scheduler_add_kinds(&fx.nf.node, test_kinds, 3);
}

static struct ac_job add_job(const char *kind)
{
    struct ac_store *st = fx.nf.node.store;
    int64_t now = ac_clock_now_ms();
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_add(st, kind, 7, now));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_job jobs[8];
    size_t got = 0;
    assert_int_equal(0, ac_store_job_due(st, now, jobs, 8, &got));
    for (size_t i = 0; i < got; i++)
        if (strcmp(jobs[i].kind, kind) == 0)
            return jobs[i];
    fail_msg("job %s not stored", kind);
    return jobs[0];
}

static void test_a_kind_is_registered_once_and_every_review_kind_is_in_the_table(void **state)
{
    (void)state;
    assert_int_equal(AC_EEXIST, ac__scheduler_add_kinds(&fx.nf.node, test_kinds, 1));
    assert_int_equal(AC_EEXIST, ac__review_jobs_register(&fx.nf.node));
    static const char *const review[] = {"issue",    "screen",      "assign",        "reminder",
                                         "deadline", "batch_timer", "resubmit_open", "monitor"};
    for (size_t i = 0; i < sizeof review / sizeof review[0]; i++)
        assert_non_null(ac__scheduler_kind(&fx.nf.node, review[i]));
    assert_null(ac__scheduler_kind(&fx.nf.node, "outbox"));
    static const struct ac_job_kind nameless[] = {{"", run_ok, AC_JOB_TX_SCHEDULER, 0, {0}}};
    assert_int_equal(AC_EBUG, ac__scheduler_add_kinds(&fx.nf.node, nameless, 1));
}

static void test_a_run_and_its_done_mark_commit_together(void **state)
{
    (void)state;
    struct ac_job job = add_job("test_ok");
    assert_int_equal(0, ac__scheduler_run(&fx.nf.node, &job));
    assert_int_equal(1, runs);
    assert_int_equal(1, fx_notifications(fx.admin, NULL));
    assert_int_equal(0, fx_jobs("test_ok", 0, ac_clock_now_ms()));
}

/* Runs |job|, which fails, and checks its next try waits |delay_ms| from
 * the failure (the wall clock moves: bounded by the times around the run). */
static void fail_once(const struct ac_job *job, int64_t delay_ms)
{
    int64_t t0 = ac_clock_now_ms();
    assert_int_equal(AC_EIO, ac__scheduler_run(&fx.nf.node, job));
    int64_t t1 = ac_clock_now_ms();
    struct ac_job jobs[8];
    size_t got = 0;
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, t1 + 3600LL * 1000, jobs, 8, &got));
    assert_int_equal(1, got);
    assert_int_equal(job->attempts + 1, jobs[0].attempts);
    assert_in_range(jobs[0].retry_ms, t0 + delay_ms, t1 + delay_ms);
}

static void test_a_failed_run_rolls_back_and_retries_on_its_kinds_policy(void **state)
{
    (void)state;
    struct ac_job job = add_job("test_fail");
    /* This kind waits 1 s, then 2 s, and gives up after 3 runs. */
    fail_once(&job, 1000);
    assert_int_equal(0, fx_notifications(fx.earner, NULL));
    ac_clock_advance(1000);
    struct ac_job jobs[8];
    size_t got = 0;
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, ac_clock_now_ms(), jobs, 8, &got));
    assert_int_equal(1, got);
    fail_once(&jobs[0], 2000);
    ac_clock_advance(2000);
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, ac_clock_now_ms(), jobs, 8, &got));
    assert_int_equal(1, got);
    assert_int_equal(2, jobs[0].attempts);
    /* The third failure is this kind's last: abandoned, the admins told. */
    size_t before = fx_notifications(fx.admin, NULL);
    assert_int_equal(AC_EIO, ac__scheduler_run(&fx.nf.node, &jobs[0]));
    assert_int_equal(0, fx_jobs("test_fail", 0, ac_clock_now_ms() + 3600LL * 1000 * 24));
    assert_int_equal(before + 1, fx_notifications(fx.admin, NULL));
    json_t *d = fx_audit("job", jobs[0].id, "abandoned");
    assert_non_null(d);
    assert_string_equal("test_fail", json_string_value(json_object_get(d, "kind")));
    assert_int_equal(3, json_integer_value(json_object_get(d, "attempts")));
    json_decref(d);
    assert_int_equal(3, runs);
    assert_int_equal(0, fx_notifications(fx.earner, NULL));
}

/* A commit whose outcome was unknown may have gone through: the job is done
 * already when its "failure" is recorded. Nothing is recorded then, and on
 * the last attempt nobody is told it was abandoned. */
static void test_a_failure_of_a_job_done_already_records_nothing(void **state)
{
    (void)state;
    struct ac_store *st = fx.nf.node.store;
    struct ac_job job = add_job("test_fail");
    job.attempts = 2; /* this kind's last */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_job_done(st, job.id, ac_clock_now_ms()));
    assert_int_equal(0, ac_store_tx_commit(st));
    size_t before = fx_notifications(fx.admin, NULL);
    assert_int_equal(AC_EIO, ac__scheduler_run(&fx.nf.node, &job));
    assert_int_equal(before, fx_notifications(fx.admin, NULL));
    assert_null(fx_audit("job", job.id, "abandoned"));
    /* Marking it done again changes nothing and says so. */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_ENOENT, ac_store_job_done(st, job.id, ac_clock_now_ms() + 5));
    assert_int_equal(AC_ENOENT, ac_store_job_retry(st, job.id, 3, 0));
    ac_store_tx_rollback(st);
}

static void test_a_job_of_a_kind_nobody_registered_is_marked_done(void **state)
{
    (void)state;
    struct ac_job job = add_job("retired_kind");
    assert_int_equal(0, ac__scheduler_run(&fx.nf.node, &job));
    assert_int_equal(0, fx_jobs("retired_kind", 0, ac_clock_now_ms() + 3600LL * 1000));
    assert_int_equal(0, runs);
}

/* Starts the request layer with its writer thread, as the node does: the
 * scheduler's ticks then run as tasks. */
static void start_requests(void)
{
    struct ac_node *n = &fx.nf.node;
    assert_int_equal(0, ac_router_new(&n->router));
    ac__route_write(n, "POST", "/unused", NULL);
    assert_int_equal(0, ac__reqtx_start(n));
}

/* Stops the request layer (its tasks end), closes its handles, frees it. */
static void stop_requests(void)
{
    struct ac_node *n = &fx.nf.node;
    ac__reqtx_stop(n);
    uv_run(n->loop, UV_RUN_NOWAIT);
    ac__reqtx_free(n);
    ac_router_free(n->router);
    n->router = NULL;
}

static size_t jobs_due(void)
{
    struct ac_job jobs[8];
    size_t got = 0;
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, ac_clock_now_ms(), jobs, 8, &got));
    return got;
}

static void add_jobs(int k)
{
    struct ac_store *st = fx.nf.node.store;
    assert_int_equal(0, ac_store_tx_begin(st));
    for (int i = 0; i < k; i++)
        assert_int_equal(0, ac_store_job_add(st, "test_ok", 100 + i, ac_clock_now_ms()));
    assert_int_equal(0, ac_store_tx_commit(st));
}

static void test_each_due_job_runs_once_while_kicks_come_during_its_tick(void **state)
{
    (void)state;
    struct ac_node *n = &fx.nf.node;
    start_requests();
    add_jobs(3);
    ac__scheduler_kick(n);
    /* Kicked on every turn: a tick in flight is never joined by a second
     * one that would read the same jobs as due again. */
    int ticked = 0;
    for (int i = 0; i < 400 && (jobs_due() || n->scheduler->ticking); i++) {
        ticked |= n->scheduler->ticking;
        ac__scheduler_kick(n);
        uv_run(n->loop, UV_RUN_ONCE);
    }
    assert_true(ticked);
    assert_int_equal(0, jobs_due());
    assert_int_equal(3, runs);
    assert_int_equal(3, fx_notifications(fx.admin, NULL));
    stop_requests();
}

static void test_a_job_whose_task_the_stop_cancels_stays_due(void **state)
{
    (void)state;
    struct ac_node *n = &fx.nf.node;
    start_requests();
    add_jobs(2);
    ac__scheduler_kick(n);
    /* Until the due jobs were read and their tasks queued. */
    for (int i = 0; i < 400 && n->scheduler->pending == 0; i++)
        uv_run(n->loop, UV_RUN_ONCE);
    assert_true(n->scheduler->pending > 0);
    stop_requests();
    /* Every job either ran (once, and is done) or stays due for the next
     * start: none lost, none run twice; the tick is over. */
    assert_int_equal(0, n->scheduler->ticking);
    assert_int_equal(2, (int)jobs_due() + runs);
    assert_int_equal(runs, fx_notifications(fx.admin, NULL));
    if (jobs_due())
        assert_true(n->scheduler->cancelled);
}

/* Runs the loop until the tick in flight is over. */
static void until_tick_ends(void)
{
    struct ac_node *n = &fx.nf.node;
    for (int i = 0; i < 400 && (n->scheduler->ticking || !n->scheduler->read); i++)
        uv_run(n->loop, UV_RUN_ONCE);
    assert_int_equal(0, n->scheduler->ticking);
}

/* A runner's own AC_ECANCELED is not the node's stop: its failure is
 * recorded (the job backs off) and the scheduler keeps going. */
static void test_a_runners_own_cancel_is_a_failure_not_a_stop(void **state)
{
    (void)state;
    struct ac_node *n = &fx.nf.node;
    start_requests();
    struct ac_job job = add_job("test_cancel");
    ac__scheduler_kick(n);
    for (int i = 0; i < 400 && runs == 0; i++)
        uv_run(n->loop, UV_RUN_ONCE);
    assert_int_equal(1, runs);
    until_tick_ends();
    assert_false(n->scheduler->cancelled);
    assert_true(uv_is_active((uv_handle_t *)&n->scheduler->timer));
    struct ac_job jobs[8];
    size_t got = 0;
    assert_int_equal(0,
                     ac_store_job_due(n->store, ac_clock_now_ms() + 3600LL * 1000, jobs, 8, &got));
    assert_int_equal(1, got);
    assert_int_equal(job.id, jobs[0].id);
    assert_int_equal(1, jobs[0].attempts);
    stop_requests();
}

/* While the node stops, a full page of due jobs queues nothing and arms no
 * next tick: the shutdown's grace is no loop of ticks. */
static void test_a_stopping_node_arms_no_next_tick(void **state)
{
    (void)state;
    struct ac_node *n = &fx.nf.node;
    start_requests();
    add_jobs(AC__SCHEDULER_PAGE + 2);
    n->stopping = 1;
    until_tick_ends();
    assert_int_equal(0, runs);
    assert_false(uv_is_active((uv_handle_t *)&n->scheduler->timer));
    n->stopping = 0;
    stop_requests();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_kind_is_registered_once_and_every_review_kind_is_in_the_table),
        T(test_a_run_and_its_done_mark_commit_together),
        T(test_a_failed_run_rolls_back_and_retries_on_its_kinds_policy),
        T(test_a_failure_of_a_job_done_already_records_nothing),
        T(test_a_job_of_a_kind_nobody_registered_is_marked_done),
        T(test_each_due_job_runs_once_while_kicks_come_during_its_tick),
        T(test_a_job_whose_task_the_stop_cancels_stays_due),
        T(test_a_runners_own_cancel_is_a_failure_not_a_stop),
        T(test_a_stopping_node_arms_no_next_tick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
