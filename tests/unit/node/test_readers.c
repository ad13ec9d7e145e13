/* test_readers.c - the reader threads of node/readers.c: jobs run off the
 * loop on their own read-only connections and complete on the loop; a stop
 * cancels what is queued (or not yet handed over) and finishes what runs;
 * jobs run and complete in submission order; the jobs a thread takes share
 * one read transaction, split by count and by age; no more threads run at
 * once than the CPUs allowed (one CPU: one thread takes a whole batch, and
 * what comes while it runs waits for it); without a reader the work
 * runs on the loop with the writer's store, done still coming later. */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>
#include <uv.h>

#include "accord/base/error.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "core/store/store_fixture.h"
#include "readers.h"

struct job {
    struct ac__read_job job; /* first */
    pthread_t loop_thread;   /* the test's thread, which runs the loop */
    int worked_off_loop;     /* work ran on another thread */
    int used_writer;         /* work was given the writer's store */
    int64_t users;           /* what work read */
    int read_err, write_err;
    int done_calls, done_status, done_on_loop;
    sem_t *started, *release; /* optional: work signals, then waits */
    pthread_t ran_on;         /* the thread work ran on */
};

static int finished; /* jobs whose done has run */

static void count_users(struct ac__read_job *job, struct ac_store *rst)
{
    struct job *j = (struct job *)job;
    j->worked_off_loop = !pthread_equal(pthread_self(), j->loop_thread);
    j->used_writer = rst == st;
    if (j->started)
        sem_post(j->started);
    if (j->release)
        sem_wait(j->release);
    j->read_err = ac_store_user_count(rst, &j->users);
}

static void try_write(struct ac__read_job *job, struct ac_store *rst)
{
    struct job *j = (struct job *)job;
    struct ac_user u;
    j->write_err = ac_store_user_create(rst, "mallory", "Mallory", AC_ROLE_EARNER, 1, &u);
}

static void on_done(struct ac__read_job *job, int status)
{
    struct job *j = (struct job *)job;
    j->done_calls++;
    j->done_status = status;
    j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
    finished++;
}

static void init_job(struct job *j, ac__read_work_cb work)
{
    *j = (struct job){.job = {work, on_done, NULL}, .loop_thread = pthread_self(), .users = -1};
}

static int open_store(void **state)
{
    (void)state;
    finished = 0;
    return store_fixture_open("readers");
}

/* Runs the loop until |n| jobs are done. */
static void run_until(uv_loop_t *loop, int n)
{
    while (finished < n)
        uv_run(loop, UV_RUN_ONCE);
}

static void stop_and_close(uv_loop_t *loop, struct ac__readers *p)
{
    ac__readers_stop(p);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(0, uv_loop_close(loop));
}

static void test_a_job_reads_committed_rows_off_the_loop_and_completes_on_it(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "ada", "Ada", AC_ROLE_ADMIN, 1, &u));
    assert_int_equal(0, ac_store_user_create(st, "emma", "Emma", AC_ROLE_EARNER, 1, &u));
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 2, st, &p));
    assert_int_equal(2, ac__readers_threads(p));
    struct job jobs[8];
    for (int i = 0; i < 8; i++) {
        init_job(&jobs[i], count_users);
        assert_int_equal(0, ac__readers_submit(p, &jobs[i].job));
    }
    run_until(&loop, 8);
    assert_int_equal(0, ac__readers_pending(p));
    for (int i = 0; i < 8; i++) {
        assert_int_equal(1, jobs[i].done_calls);
        assert_int_equal(0, jobs[i].done_status);
        assert_true(jobs[i].done_on_loop);
        assert_true(jobs[i].worked_off_loop);
        assert_false(jobs[i].used_writer);
        assert_int_equal(0, jobs[i].read_err);
        assert_int_equal(2, jobs[i].users); /* ada and emma, committed before */
    }
    stop_and_close(&loop, p);
}

static void test_a_reader_connection_refuses_to_write(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 1, st, &p));
    struct job j;
    init_job(&j, try_write);
    assert_int_equal(0, ac__readers_submit(p, &j.job));
    run_until(&loop, 1);
    assert_int_not_equal(0, j.write_err);
    int64_t users = -1;
    assert_int_equal(0, ac_store_user_count(st, &users));
    assert_int_equal(0, users);
    stop_and_close(&loop, p);
}

struct releaser {
    struct ac__readers *pool;
    sem_t *release;
};

/* Lets the blocked job go once the stop has taken the queue: until then the
 * only thread is blocked, so only the stop can empty it. */
static void *release_after_cancel(void *arg)
{
    struct releaser *r = arg;
    while (ac__readers_queued(r->pool) != 0)
        sched_yield();
    sem_post(r->release);
    return NULL;
}

static void test_a_stop_cancels_queued_jobs_and_finishes_the_running_one(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 1, st, &p));
    sem_t started, release;
    sem_init(&started, 0, 0);
    sem_init(&release, 0, 0);
    struct job running, queued[3];
    init_job(&running, count_users);
    running.started = &started;
    running.release = &release;
    assert_int_equal(0, ac__readers_submit(p, &running.job));
    assert_int_equal(0, ac__readers_queued(p)); /* handed over when the iteration ends */
    uv_run(&loop, UV_RUN_NOWAIT);
    sem_wait(&started);
    for (int i = 0; i < 3; i++) {
        init_job(&queued[i], count_users);
        assert_int_equal(0, ac__readers_submit(p, &queued[i].job));
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(3, ac__readers_queued(p));
    pthread_t helper;
    struct releaser r = {p, &release};
    assert_int_equal(0, pthread_create(&helper, NULL, release_after_cancel, &r));
    ac__readers_stop(p);
    pthread_join(helper, NULL);
    /* Every job was answered, once, on the loop, before the stop returned. */
    assert_int_equal(4, finished);
    assert_int_equal(1, running.done_calls);
    assert_int_equal(0, running.done_status);
    assert_int_equal(0, running.read_err);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(1, queued[i].done_calls);
        assert_int_equal(AC_ECANCELED, queued[i].done_status);
        assert_int_equal(-1, queued[i].users); /* work never ran */
        assert_true(queued[i].done_on_loop);
    }
    struct job late;
    init_job(&late, count_users);
    assert_int_equal(AC_ECANCELED, ac__readers_submit(p, &late.job));
    assert_int_equal(0, late.done_calls);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(0, uv_loop_close(&loop));
    sem_destroy(&started);
    sem_destroy(&release);
}

static int order[16], norder; /* work's order of the jobs (one thread) */
static int done_order[16], ndone;

static void note_order(struct ac__read_job *job, struct ac_store *rst)
{
    (void)rst;
    order[norder++] = ((struct job *)job)->read_err;
}

static void on_done_in_order(struct ac__read_job *job, int status)
{
    done_order[ndone++] = ((struct job *)job)->read_err;
    on_done(job, status);
}

static void test_a_burst_runs_and_completes_in_submission_order(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 1, st, &p));
    struct job jobs[16];
    norder = ndone = 0;
    /* Two bursts, the second submitted from the loop while the first may
     * still run: every job once, in order, all done on the loop. */
    for (int burst = 0; burst < 2; burst++) {
        for (int i = burst * 8; i < burst * 8 + 8; i++) {
            init_job(&jobs[i], note_order);
            jobs[i].job.done = on_done_in_order;
            jobs[i].read_err = i; /* the job's number, for the order */
            assert_int_equal(0, ac__readers_submit(p, &jobs[i].job));
        }
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    run_until(&loop, 16);
    assert_int_equal(16, norder);
    assert_int_equal(16, ndone);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(i, order[i]);
        assert_int_equal(i, done_order[i]);
        assert_int_equal(1, jobs[i].done_calls);
        assert_true(jobs[i].done_on_loop);
    }
    stop_and_close(&loop, p);
}

/* Reads first, so that the read opens its burst's snapshot, then (when
 * |started| is set) tells the test and waits for it. */
static void count_then_wait(struct ac__read_job *job, struct ac_store *rst)
{
    struct job *j = (struct job *)job;
    j->read_err = ac_store_user_count(rst, &j->users);
    if (j->started)
        sem_post(j->started);
    if (j->release)
        sem_wait(j->release);
}

/* Hands |n| jobs to one reader thread at once, bursts bounded by
 * |burst_jobs| and |burst_ns|; the first job, after its read, waits while
 * the writer commits a user. Returns when every job is done. */
static void burst_around_a_write(unsigned burst_jobs, int64_t burst_ns, struct job *jobs, int n)
{
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 1, st, &p));
    ac__readers_set_burst(p, burst_jobs, burst_ns);
    sem_t started, release;
    assert_int_equal(0, sem_init(&started, 0, 0));
    assert_int_equal(0, sem_init(&release, 0, 0));
    for (int i = 0; i < n; i++) {
        init_job(&jobs[i], count_then_wait);
        assert_int_equal(0, ac__readers_submit(p, &jobs[i].job));
    }
    jobs[0].started = &started;
    jobs[0].release = &release;
    uv_run(&loop, UV_RUN_NOWAIT); /* the thread takes all n at once */
    sem_wait(&started);
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "ada", "Ada", AC_ROLE_ADMIN, 1, &u));
    sem_post(&release);
    run_until(&loop, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(0, jobs[i].read_err);
        assert_int_equal(1, jobs[i].done_calls);
        assert_int_equal(0, jobs[i].done_status);
    }
    stop_and_close(&loop, p);
    sem_destroy(&started);
    sem_destroy(&release);
}

static void test_a_long_burst_is_split_and_the_next_part_sees_a_commit_made_meanwhile(void **state)
{
    (void)state;
    struct job jobs[6];
    /* Four jobs a transaction, with no time bound to speak of: the first
     * four read the snapshot the first one opened, before the commit; the
     * last two a new one, after it. */
    burst_around_a_write(4, INT64_MAX, jobs, 6);
    for (int i = 0; i < 4; i++)
        assert_int_equal(0, jobs[i].users);
    for (int i = 4; i < 6; i++)
        assert_int_equal(1, jobs[i].users);
}

static void test_a_slow_job_ends_its_burst_so_the_next_job_sees_a_commit_made_meanwhile(
    void **state)
{
    (void)state;
    struct job jobs[3];
    /* A microsecond at most: the first job waited for a commit (an fsync),
     * so the jobs after it start a new transaction. */
    burst_around_a_write(32, 1000, jobs, 3);
    assert_int_equal(0, jobs[0].users);
    assert_int_equal(1, jobs[1].users);
    assert_int_equal(1, jobs[2].users);
}

/* Notes the thread, then waits as count_then_wait does. */
static void note_thread(struct ac__read_job *job, struct ac_store *rst)
{
    ((struct job *)job)->ran_on = pthread_self();
    count_then_wait(job, rst);
}

static void test_on_one_cpu_one_thread_runs_a_batch_and_what_comes_while_it_runs(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 2, st, &p));
    assert_int_equal(2, ac__readers_threads(p));
    ac__readers_set_lanes(p, 1);
    /* Both threads waiting, so that neither finds the queue on its way to
     * sleep (it would take the jobs whatever the lanes). */
    for (int i = 0; i < 10000 && ac__readers_idle(p) < 2; i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    assert_int_equal(2, ac__readers_idle(p));
    sem_t started, release;
    assert_int_equal(0, sem_init(&started, 0, 0));
    assert_int_equal(0, sem_init(&release, 0, 0));
    /* 16 jobs in one iteration would wake both threads, 8 each, with two
     * lanes; with one, one thread takes them all. Its first job holds it
     * while 8 more come: the other thread is not woken for them, and they
     * run when the first thread is done with its batch. */
    struct job jobs[24];
    for (int i = 0; i < 24; i++)
        init_job(&jobs[i], note_thread);
    jobs[0].started = &started;
    jobs[0].release = &release;
    for (int i = 0; i < 16; i++)
        assert_int_equal(0, ac__readers_submit(p, &jobs[i].job));
    uv_run(&loop, UV_RUN_NOWAIT);
    sem_wait(&started);
    for (int i = 16; i < 24; i++)
        assert_int_equal(0, ac__readers_submit(p, &jobs[i].job));
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(8, ac__readers_queued(p)); /* nobody took them */
    sem_post(&release);
    run_until(&loop, 24);
    for (int i = 0; i < 24; i++) {
        assert_int_equal(0, jobs[i].read_err);
        assert_int_equal(1, jobs[i].done_calls);
        assert_int_equal(0, jobs[i].done_status);
    }
    for (int i = 1; i < 16; i++)
        assert_true(pthread_equal(jobs[0].ran_on, jobs[i].ran_on));
    stop_and_close(&loop, p);
    sem_destroy(&started);
    sem_destroy(&release);
}

static void test_a_stop_cancels_jobs_submitted_in_the_same_iteration(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, store_path, 2, st, &p));
    struct job jobs[3];
    for (int i = 0; i < 3; i++) {
        init_job(&jobs[i], count_users);
        assert_int_equal(0, ac__readers_submit(p, &jobs[i].job));
    }
    /* Never handed over: the stop answers them itself, once each. */
    ac__readers_stop(p);
    assert_int_equal(3, finished);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(1, jobs[i].done_calls);
        assert_int_equal(AC_ECANCELED, jobs[i].done_status);
        assert_int_equal(-1, jobs[i].users);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(0, uv_loop_close(&loop));
}

static void test_without_a_reader_the_loop_reads_and_done_still_comes_later(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "ada", "Ada", AC_ROLE_ADMIN, 1, &u));
    uv_loop_t loop;
    assert_int_equal(0, uv_loop_init(&loop));
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no-such-dir/accord.db", store_dir);
    struct ac__readers *p;
    assert_int_equal(0, ac__readers_start(&loop, missing, 2, st, &p));
    assert_int_equal(0, ac__readers_threads(p));
    struct job j;
    init_job(&j, count_users);
    assert_int_equal(0, ac__readers_submit(p, &j.job));
    assert_int_equal(0, j.done_calls); /* never from inside the submit */
    run_until(&loop, 1);
    assert_int_equal(1, j.done_calls);
    assert_int_equal(0, j.done_status);
    assert_true(j.used_writer);
    assert_false(j.worked_off_loop);
    assert_int_equal(1, j.users);
    stop_and_close(&loop, p);
}

static void test_a_reader_refuses_a_database_of_another_schema_version(void **state)
{
    (void)state;
    struct ac_store *r = NULL;
    assert_int_equal(0, ac_store_open_readonly(store_path, &r));
    ac_store_close(r);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'INSERT INTO schema_migrations VALUES (%d, \"x\", 0)'",
             store_path, ac_store_schema_latest() + 1);
    if (system(cmd) != 0)
        skip(); /* no sqlite3 shell */
    r = NULL;
    assert_int_equal(AC_ESCHEMA, ac_store_open_readonly(store_path, &r));
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_job_reads_committed_rows_off_the_loop_and_completes_on_it, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_a_reader_connection_refuses_to_write, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(
            test_a_stop_cancels_queued_jobs_and_finishes_the_running_one, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_a_burst_runs_and_completes_in_submission_order,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_on_one_cpu_one_thread_runs_a_batch_and_what_comes_while_it_runs, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_a_stop_cancels_jobs_submitted_in_the_same_iteration,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_a_long_burst_is_split_and_the_next_part_sees_a_commit_made_meanwhile,
            open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_a_slow_job_ends_its_burst_so_the_next_job_sees_a_commit_made_meanwhile,
            open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_without_a_reader_the_loop_reads_and_done_still_comes_later, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_a_reader_refuses_a_database_of_another_schema_version,
                                        open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
