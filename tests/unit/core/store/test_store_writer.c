/* test_store_writer.c - tests core/store/store_writer.c and the hand-over of
 * COMMITs in core/store/store.c (writer.h), on either engine: a transaction
 * of several savepoints commits once on the writer thread, its hooks run
 * only when the loop collects the result, a write made meanwhile waits for
 * the COMMIT and settles it while a read runs on the side connection, and
 * stopping settles what is in flight. A parked transaction (a group open
 * between two loop turns) is nobody's: reads made meanwhile see only what
 * is committed, and any other call has its owner close it first, exactly
 * once, and then runs in a transaction of its own. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "accord/store/writer.h"
#include "store_fixture.h"

/* How often the writer thread said a COMMIT ended. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ended;

static void on_committed(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    ended++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Waits until the writer has reported |n| COMMITs ended; gives up after 20 s
 * (the caller's assertion then fails) so a stuck thread cannot hang the
 * suite. */
static int wait_ended(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&mu);
    while (ended < n && pthread_cond_timedwait(&cv, &mu, &until) == 0)
        ;
    int got = ended;
    pthread_mutex_unlock(&mu);
    return got;
}

static int hook_runs;

static void on_hook(void *arg)
{
    (void)arg;
    hook_runs++;
}

static int open_store(void **state)
{
    (void)state;
    ended = 0;
    hook_runs = 0;
    int err = store_fixture_open("writer");
    if (!err)
        err = ac_store_writer_start(st, on_committed, NULL);
    return err;
}

/* Creates user |name|; returns its id. */
static int64_t add_user(const char *name)
{
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, name, NULL, AC_ROLE_EARNER, 1, &u));
    return u.id;
}

/* 1 when user |id| is stored under |name|, read on a connection of its own
 * (a rolled-back id may be given again to a later user). */
static int stored(int64_t id, const char *name)
{
    struct ac_store *r = NULL;
    assert_int_equal(0, ac_store_open_reader(st, &r));
    struct ac_user u;
    int err = ac_store_user_get(r, id, &u);
    ac_store_close(r);
    assert_true(err == 0 || err == AC_ENOENT);
    return err == 0 && !strcmp(u.name, name);
}

/* A transaction body (ac_store_tx_run()) creating user |arg|. */
static int add_in_tx(struct ac_store *s, void *arg)
{
    struct ac_user u;
    return ac_store_user_create(s, arg, NULL, AC_ROLE_EARNER, 1, &u);
}

static void test_a_group_of_savepoints_commits_once_on_the_writer_thread(void **state)
{
    (void)state;
    uint64_t c0 = ac_store_commits(st);
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t first = add_user("first"); /* each a savepoint of the group, as a request is */
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t refused = add_user("refused");
    ac_store_tx_rollback(st); /* one request failed alone */
    int64_t third = add_user("third");
    assert_int_equal(0, ac_store_commit_start(st));
    assert_int_equal(1, ac_store_commit_busy(st));
    assert_int_equal(0, ac_store_tx_open(st));
    assert_int_equal(1, wait_ended(1));
    int result = -1;
    assert_int_equal(1, ac_store_commit_poll(st, &result));
    assert_int_equal(0, result);
    assert_int_equal(0, ac_store_commit_busy(st));
    assert_int_equal(c0 + 1, ac_store_commits(st));
    assert_true(stored(first, "first"));
    assert_false(stored(refused, "refused"));
    assert_true(stored(third, "third"));
    assert_int_equal(0, ac_store_commit_waits(st));
}

static void test_hooks_run_when_the_result_is_collected_not_on_the_writer(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    add_user("hooked");
    assert_int_equal(0, ac_store_after_commit(st, on_hook, NULL, NULL));
    assert_int_equal(0, ac_store_commit_start(st));
    assert_int_equal(1, wait_ended(1));
    /* The COMMIT ended, but nothing of it has reached this thread yet. */
    assert_int_equal(0, hook_runs);
    int result = -1;
    assert_int_equal(1, ac_store_commit_poll(st, &result));
    assert_int_equal(0, result);
    assert_int_equal(1, hook_runs);
    /* Collected once. */
    assert_int_equal(AC_ENOENT, ac_store_commit_poll(st, &result));
}

static void test_a_write_during_a_commit_in_flight_waits_and_settles_it(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t before = add_user("before");
    assert_int_equal(0, ac_store_after_commit(st, on_hook, NULL, NULL));
    assert_int_equal(0, ac_store_commit_start(st));
    /* A write on the loop's connection while the writer may hold it. */
    int64_t after = add_user("after");
    assert_int_equal(1, ac_store_commit_waits(st));
    assert_int_equal(1, hook_runs); /* settled before the write ran */
    int result = -1;
    assert_int_equal(1, ac_store_commit_poll(st, &result));
    assert_int_equal(0, result);
    assert_true(stored(before, "before"));
    assert_true(stored(after, "after"));
}

static void test_a_read_during_a_commit_in_flight_runs_beside_it_without_waiting(void **state)
{
    (void)state;
    int64_t old = add_user("committed");
    assert_int_equal(0, ac_store_tx_begin(st));
    add_user("in-flight");
    assert_int_equal(0, ac_store_after_commit(st, on_hook, NULL, NULL));
    assert_int_equal(0, ac_store_commit_start(st));
    struct ac_user u;
    assert_int_equal(0, ac_store_user_get(st, old, &u));
    assert_string_equal("committed", u.name);
    assert_int_equal(0, ac_store_commit_waits(st));
    assert_int_equal(1, ac_store_commit_side_reads(st));
    assert_int_equal(0, hook_runs); /* the COMMIT was not settled by the read */
    int result = -1;
    assert_int_equal(1, ac_store_commit_wait(st, &result));
    assert_int_equal(0, result);
    assert_int_equal(1, hook_runs);
    /* Settled: reads are the write connection's again. */
    assert_int_equal(0, ac_store_user_get(st, old, &u));
    assert_int_equal(1, ac_store_commit_side_reads(st));
}

static void test_a_commit_is_handed_over_only_from_the_outermost_level(void **state)
{
    (void)state;
    int result;
    assert_int_equal(AC_EBUG, ac_store_commit_start(st)); /* nothing open */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_EBUG, ac_store_commit_start(st)); /* a savepoint */
    assert_int_equal(2, ac_store_tx_depth(st));
    assert_int_equal(0, ac_store_tx_commit(st));
    int64_t outer = add_user("outer");
    assert_int_equal(0, ac_store_commit_start(st));
    /* One COMMIT at a time: nothing is open to hand over until it settles. */
    assert_int_equal(AC_EBUG, ac_store_commit_start(st));
    assert_int_equal(1, ac_store_commit_wait(st, &result));
    assert_int_equal(0, result);
    assert_true(stored(outer, "outer"));
}

static void test_stopping_the_writer_settles_the_commit_in_flight(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t last = add_user("last");
    assert_int_equal(0, ac_store_after_commit(st, on_hook, NULL, NULL));
    assert_int_equal(0, ac_store_commit_start(st));
    ac_store_writer_stop(st);
    assert_int_equal(0, ac_store_writer_running(st));
    assert_int_equal(1, hook_runs);
    int result = -1;
    assert_int_equal(1, ac_store_commit_poll(st, &result));
    assert_int_equal(0, result);
    assert_true(stored(last, "last"));
    /* Without the thread a handed-over COMMIT is refused: commit inline. */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_EBUG, ac_store_commit_start(st));
    assert_int_equal(0, ac_store_tx_commit(st));
}

static void test_a_reader_store_refuses_a_writer_thread(void **state)
{
    (void)state;
    struct ac_store *r = NULL;
    assert_int_equal(0, ac_store_open_reader(st, &r));
    assert_int_equal(AC_EINVAL, ac_store_writer_start(r, on_committed, NULL));
    ac_store_close(r);
    assert_int_equal(AC_EINVAL, ac_store_writer_start(st, on_committed, NULL)); /* twice */
}

/* How often the owner of a parked transaction was asked to close it. */
static int closes;

/* The request layer's close: hands the COMMIT over. */
static void close_by_commit(void *arg)
{
    (void)arg;
    closes++;
    assert_int_equal(0, ac_store_commit_start(st));
}

/* A close that rolls back: shows what the caller's own transaction holds. */
static void close_by_rollback(void *arg)
{
    (void)arg;
    closes++;
    ac_store_tx_rollback(st);
}

static void test_while_parked_a_select_from_outside_sees_only_committed_rows(void **state)
{
    (void)state;
    closes = 0;
    int64_t old = add_user("committed");
    ac_store_set_park(st, close_by_commit, NULL);
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t parked = add_user("parked");
    assert_int_equal(0, ac_store_park(st));
    assert_int_equal(1, ac_store_parked(st));
    /* To everyone but the owner the store is outside any transaction. */
    assert_int_equal(0, ac_store_tx_open(st));
    struct ac_user u;
    assert_int_equal(0, ac_store_user_get(st, old, &u));
    assert_string_equal("committed", u.name);
    assert_int_equal(AC_ENOENT, ac_store_user_get(st, parked, &u));
    assert_int_equal(2, ac_store_commit_side_reads(st));
    assert_int_equal(0, closes);
    assert_int_equal(0, ac_store_park_closes(st));
    /* The owner, resumed, sees its own rows on its connection. */
    assert_int_equal(0, ac_store_resume(st));
    assert_int_equal(1, ac_store_tx_open(st));
    assert_int_equal(0, ac_store_user_get(st, parked, &u));
    assert_string_equal("parked", u.name);
    ac_store_tx_rollback(st);
    assert_false(stored(parked, "parked"));
    assert_int_equal(0, closes);
}

static void test_a_begin_from_outside_closes_the_parked_transaction_once_and_runs_alone(
    void **state)
{
    (void)state;
    closes = 0;
    ac_store_set_park(st, close_by_rollback, NULL);
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t grouped = add_user("grouped");
    assert_int_equal(0, ac_store_park(st));
    /* A timer's transaction: the parked one is closed before it begins, so
     * it is a transaction of its own, not a savepoint of the parked one. */
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(1, closes);
    assert_int_equal(0, ac_store_parked(st));
    assert_int_equal(1, ac_store_tx_depth(st));
    int64_t own = add_user("own");
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(1, closes);
    assert_int_equal(1, ac_store_park_closes(st));
    assert_int_equal(AC_ENOENT, ac_store_resume(st)); /* nothing parked any more */
    /* The parked one rolled back alone; the caller's own committed. */
    assert_true(stored(own, "own"));
    assert_false(stored(grouped, "grouped"));
}

static void test_a_write_from_outside_hands_the_parked_commit_over_and_waits_for_it(void **state)
{
    (void)state;
    closes = 0;
    ac_store_set_park(st, close_by_commit, NULL);
    assert_int_equal(0, ac_store_tx_begin(st));
    int64_t grouped = add_user("grouped");
    assert_int_equal(0, ac_store_after_commit(st, on_hook, NULL, NULL));
    assert_int_equal(0, ac_store_park(st));
    /* A write in autocommit (no begin): the parked transaction's COMMIT
     * goes to the writer first, and the write waits for it. */
    int64_t own = add_user("own");
    assert_int_equal(1, closes);
    assert_int_equal(1, ac_store_commit_waits(st));
    assert_int_equal(1, hook_runs);
    assert_int_equal(0, ac_store_tx_open(st));
    int result = -1;
    assert_int_equal(1, ac_store_commit_poll(st, &result));
    assert_int_equal(0, result);
    assert_true(stored(grouped, "grouped"));
    assert_true(stored(own, "own"));
    /* A transaction run whole (ac_store_tx_run()) closes a parked one too. */
    assert_int_equal(0, ac_store_tx_begin(st));
    add_user("second");
    assert_int_equal(0, ac_store_park(st));
    assert_int_equal(0, ac_store_tx_run(st, add_in_tx, "third"));
    assert_int_equal(2, closes);
    assert_int_equal(1, ac_store_commit_poll(st, &result));
    assert_int_equal(0, result);
}

static void test_a_parked_transaction_is_nobody_elses_to_add_to_or_commit(void **state)
{
    (void)state;
    closes = 0;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_EBUG, ac_store_park(st)); /* no owner registered */
    ac_store_set_park(st, close_by_rollback, NULL);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_EBUG, ac_store_park(st)); /* a savepoint is open */
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_park(st));
    assert_int_equal(AC_EBUG, ac_store_park(st)); /* parked already */
    assert_int_equal(AC_EBUG, ac_store_after_commit(st, on_hook, NULL, NULL));
    assert_int_equal(AC_EBUG, ac_store_tx_commit(st));
    assert_int_equal(AC_EBUG, ac_store_commit_start(st));
    assert_int_equal(0, closes);
    assert_int_equal(0, ac_store_resume(st));
    assert_int_equal(0, ac_store_commit_start(st));
    int result = -1;
    assert_int_equal(1, ac_store_commit_wait(st, &result));
    assert_int_equal(0, result);
    assert_int_equal(AC_EBUG, ac_store_park(st)); /* nothing open */
    assert_int_equal(0, hook_runs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_group_of_savepoints_commits_once_on_the_writer_thread, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_hooks_run_when_the_result_is_collected_not_on_the_writer, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_a_write_during_a_commit_in_flight_waits_and_settles_it, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_a_read_during_a_commit_in_flight_runs_beside_it_without_waiting, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_a_commit_is_handed_over_only_from_the_outermost_level,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_stopping_the_writer_settles_the_commit_in_flight,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_a_reader_store_refuses_a_writer_thread, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(
            test_while_parked_a_select_from_outside_sees_only_committed_rows, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_a_begin_from_outside_closes_the_parked_transaction_once_and_runs_alone,
            open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_a_write_from_outside_hands_the_parked_commit_over_and_waits_for_it, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_a_parked_transaction_is_nobody_elses_to_add_to_or_commit, open_store,
            close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
