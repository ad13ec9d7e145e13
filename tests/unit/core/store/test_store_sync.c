/* test_store_sync.c - tests core/store/store_sync.c and the commit numbers of
 * core/store/store.c: which writes count as commits (on either engine), and a
 * storage thread that reports every commit durable, in groups, and
 * checkpoints (SQLite only). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/store.h"
#include "accord/store/sync.h"
#include "accord/store/user.h"
#include "store_fixture.h"

/* What the durable callback saw, on the storage thread. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t seen_durable;
static int calls;

static void on_durable(void *arg)
{
    struct ac_store *s = arg;
    pthread_mutex_lock(&mu);
    seen_durable = ac_store_durable(s);
    calls++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Waits until the callback has reported |n| durable; gives up (and the
 * caller's assertion fails) after 20 s so a broken thread cannot hang the
 * suite. */
static uint64_t wait_durable(uint64_t n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&mu);
    while (seen_durable < n && pthread_cond_timedwait(&cv, &mu, &until) == 0)
        ;
    uint64_t got = seen_durable;
    pthread_mutex_unlock(&mu);
    return got;
}

static int open_store(void **state)
{
    (void)state;
    seen_durable = 0;
    calls = 0;
    return store_fixture_open("sync");
}

static void add_user(int i)
{
    char name[32];
    struct ac_user u;
    snprintf(name, sizeof name, "user%d", i);
    assert_int_equal(0, ac_store_user_create(st, name, NULL, AC_ROLE_EARNER, 1, &u));
}

static void test_each_outermost_commit_counts_one(void **state)
{
    (void)state;
    uint64_t c0 = ac_store_commits(st);
    assert_int_equal(0, ac_store_tx_begin(st));
    add_user(1); /* a savepoint inside the transaction */
    add_user(2);
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(c0 + 1, ac_store_commits(st));
    add_user(3); /* a write in a transaction of its own */
    assert_int_equal(c0 + 2, ac_store_commits(st));
}

static void test_rollbacks_and_refused_writes_count_no_commit(void **state)
{
    (void)state;
    add_user(1);
    uint64_t c0 = ac_store_commits(st);
    assert_int_equal(0, ac_store_tx_begin(st));
    add_user(2);
    ac_store_tx_rollback(st);
    struct ac_user u;
    assert_int_equal(AC_EEXIST, ac_store_user_create(st, "user1", NULL, AC_ROLE_EARNER, 1, &u));
    assert_int_equal(c0, ac_store_commits(st));
}

static void test_without_a_storage_thread_every_commit_is_durable_at_once(void **state)
{
    (void)state;
    add_user(1);
    add_user(2);
    assert_true(ac_store_commits(st) > 0);
    assert_int_equal(ac_store_commits(st), ac_store_durable(st));
    assert_int_equal(0, ac_store_sync_fsyncs(st));
}

static void test_the_storage_thread_reports_every_commit_durable_in_groups(void **state)
{
    (void)state;
    STORE_SQLITE_ONLY("the storage thread fsyncs and checkpoints a SQLite WAL; on "
                      "PostgreSQL a commit is durable when COMMIT returns (test_store.c)");
    assert_int_equal(0, ac_store_sync_start(st, on_durable, st));
    for (int i = 0; i < 200; i++)
        add_user(i);
    uint64_t n = ac_store_commits(st);
    assert_int_equal(n, wait_durable(n));
    assert_int_equal(n, ac_store_durable(st));
    /* One fsync per group: never more fsyncs than commits, at least one. */
    uint64_t f = ac_store_sync_fsyncs(st);
    assert_true(f >= 1 && f <= 200);
    assert_int_equal(0, ac_store_sync_error(st));
    ac_store_sync_stop(st);
}

static void test_stopping_makes_every_commit_durable_first(void **state)
{
    (void)state;
    STORE_SQLITE_ONLY("the storage thread fsyncs and checkpoints a SQLite WAL; on "
                      "PostgreSQL a commit is durable when COMMIT returns (test_store.c)");
    assert_int_equal(0, ac_store_sync_start(st, on_durable, st));
    for (int i = 0; i < 50; i++)
        add_user(i);
    uint64_t n = ac_store_commits(st);
    ac_store_sync_stop(st);
    /* The last report came from the thread before it was joined. */
    pthread_mutex_lock(&mu);
    assert_int_equal(n, seen_durable);
    pthread_mutex_unlock(&mu);
    assert_int_equal(0, ac_store_sync_fsyncs(st)); /* stopped: inline again */
}

static void test_the_storage_thread_checkpoints_a_long_wal(void **state)
{
    (void)state;
    STORE_SQLITE_ONLY("the storage thread fsyncs and checkpoints a SQLite WAL; on "
                      "PostgreSQL a commit is durable when COMMIT returns (test_store.c)");
    assert_int_equal(0, ac_store_sync_start(st, on_durable, st));
    /* Commit until the WAL holds more than the 1,000 frames (of 4 KiB pages
     * plus 24-byte headers) a checkpoint waits for, and fewer than the 2,000
     * at which the loop would checkpoint itself. */
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", store_path);
    int users = 0;
    struct stat sb;
    while (stat(wal, &sb) == 0 && sb.st_size < 1100LL * (4096 + 24))
        add_user(users++);
    uint64_t n = ac_store_commits(st);
    assert_int_equal(n, wait_durable(n));
    /* The checkpoint follows the fsync; wait for it a bounded number of times. */
    for (int i = 0; i < 2000 && ac_store_sync_checkpoints(st) == 0; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    assert_true(ac_store_sync_checkpoints(st) >= 1);
    ac_store_sync_stop(st);
    /* Everything reads back from the file on another connection. */
    sqlite3 *db;
    assert_int_equal(SQLITE_OK, sqlite3_open(store_path, &db));
    sqlite3_stmt *s;
    assert_int_equal(SQLITE_OK,
                     sqlite3_prepare_v2(db, "SELECT count(*) FROM users", -1, &s, NULL));
    assert_int_equal(SQLITE_ROW, sqlite3_step(s));
    assert_int_equal(users, sqlite3_column_int(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_the_wal_starts_over_under_a_steady_stream_of_commits(void **state)
{
    (void)state;
    STORE_SQLITE_ONLY("the storage thread fsyncs and checkpoints a SQLite WAL; on "
                      "PostgreSQL a commit is durable when COMMIT returns (test_store.c)");
    assert_int_equal(0, ac_store_sync_start(st, on_durable, st));
    /* 6,000 commits of a few frames each would leave a WAL of more than 18,000
     * frames (over 70 MB) if it never started over. The loop finishes what the
     * storage thread's checkpoints leave, and checkpoints itself at 2,000
     * frames (8.2 MB of 4 KiB pages and frame headers) whatever the storage
     * thread does; the bound leaves room for the frames of the commits that
     * land while the WAL cannot start over (on a loaded machine the storage
     * thread's checkpoint can hold it back for a while: 12 MB was seen
     * exceeded), and still fails a WAL that never starts over. */
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", store_path);
    long long largest = 0;
    for (int i = 0; i < 6000; i++) {
        add_user(i);
        struct stat sb;
        if (stat(wal, &sb) == 0 && sb.st_size > largest)
            largest = sb.st_size;
    }
    assert_true(largest > 0);
    assert_true(largest < 40LL * 1024 * 1024);
    ac_store_sync_stop(st);
}

static void test_an_in_memory_store_refuses_a_storage_thread(void **state)
{
    (void)state;
    struct ac_store *mem;
    assert_int_equal(0, ac_store_open(":memory:", &mem));
    assert_int_equal(AC_EINVAL, ac_store_sync_start(mem, on_durable, mem));
    ac_store_close(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_outermost_commit_counts_one, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_rollbacks_and_refused_writes_count_no_commit,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_without_a_storage_thread_every_commit_is_durable_at_once, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_the_storage_thread_reports_every_commit_durable_in_groups, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_stopping_makes_every_commit_durable_first, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_the_storage_thread_checkpoints_a_long_wal, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_the_wal_starts_over_under_a_steady_stream_of_commits,
                                        open_store, close_store),
        cmocka_unit_test(test_an_in_memory_store_refuses_a_storage_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
