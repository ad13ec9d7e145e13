/* test_store_tlog.c - tests core/store/store_tlog.c, the transparency log's
 * single-writer guard: the head row starts at the empty tree and moves with
 * each append, a writer that read an older head (another process appended
 * since) is refused and stores nothing, one checkpoint per size and key, a
 * re-signed checkpoint must be the stored head, and the head lock needs the
 * caller's transaction. Two connections to one database stand for two node
 * processes; on either engine (store_fixture.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/store/record.h"
#include "accord/store/store.h"
#include "accord/store/tlog.h"
#include "store_fixture.h"

#define T0 1700000000000LL

/* SHA-256 of nothing: RFC 9162's head of the empty tree. */
static const uint8_t empty_root[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

static struct ac_store *second; /* another process's connection to the file */

static int open_stores(void **state)
{
    (void)state;
    if (store_fixture_open("tlog"))
        return -1;
    return ac_store_open_engine(store_engine, store_target, &second) ? -1 : 0;
}

static int close_stores(void **state)
{
    ac_store_close(second);
    second = NULL;
    return close_store(state);
}

/* Issues a record with byte |n| in its cti, hashes and status index at
 * |log_index| through |s|; returns the store's code. */
static int issue_at(struct ac_store *s, uint8_t n, uint64_t log_index)
{
    int64_t id;
    return store_fixture_issue(s, n, log_index, 0, NULL, T0, &id);
}

static void test_a_new_log_head_is_the_empty_tree(void **state)
{
    (void)state;
    struct ac_store_tlog_head h;
    assert_int_equal(0, ac_store_tlog_head(st, &h));
    assert_int_equal(0, h.size);
    assert_memory_equal(empty_root, h.root, 32);
}

static void test_an_append_moves_the_head_every_connection_reads(void **state)
{
    (void)state;
    assert_int_equal(0, issue_at(st, 1, 0));
    struct ac_store_tlog_head h;
    assert_int_equal(0, ac_store_tlog_head(second, &h));
    uint8_t root[32];
    memset(root, 2, sizeof root);
    assert_int_equal(1, h.size);
    assert_memory_equal(root, h.root, 32);
}

static void test_a_writer_that_read_an_older_head_is_refused_and_stores_nothing(void **state)
{
    (void)state;
    assert_int_equal(0, issue_at(st, 1, 0));
    /* The second process still believes the log is empty. */
    assert_int_equal(AC_ECONFLICT, issue_at(second, 2, 0));
    uint64_t size = 0;
    assert_int_equal(0, ac_store_log_size(second, &size));
    assert_int_equal(1, size);
    struct ac_store_checkpoint cp = {0};
    assert_int_equal(0, ac_store_log_checkpoint_latest(second, &cp));
    assert_int_equal(1, cp.size);
    free(cp.note);
    /* Having read the head again, it appends after the first. */
    assert_int_equal(0, issue_at(second, 2, 1));
    struct ac_store_tlog_head h;
    assert_int_equal(0, ac_store_tlog_head(st, &h));
    assert_int_equal(2, h.size);
}

static void test_the_head_lock_inside_a_transaction_reads_the_last_commit(void **state)
{
    (void)state;
    assert_int_equal(0, issue_at(second, 1, 0));
    assert_int_equal(0, ac_store_tx_begin(st));
    struct ac_store_tlog_head h;
    assert_int_equal(0, ac_store_tlog_head_lock(st, &h));
    assert_int_equal(1, h.size);
    ac_store_tx_rollback(st);
}

/* The second process's writer: begins, locks the head and reports what it
 * read (or the error). */
struct locker {
    int err;
    struct ac_store_tlog_head head;
};

static void *lock_second(void *arg)
{
    struct locker *l = arg;
    l->err = ac_store_tx_begin(second);
    if (l->err)
        return NULL;
    l->err = ac_store_tlog_head_lock(second, &l->head);
    ac_store_tx_rollback(second);
    return NULL;
}

static void test_a_writer_waiting_at_the_head_lock_never_reads_the_head_it_waited_on(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    struct ac_store_tlog_head h;
    assert_int_equal(0, ac_store_tlog_head_lock(st, &h));
    assert_int_equal(0, h.size);
    struct locker l = {0};
    pthread_t t;
    assert_int_equal(0, pthread_create(&t, NULL, lock_second, &l));
    /* Give the second writer time to reach the lock and wait there (the
     * outcome below holds whether or not it got there first). */
    usleep(100 * 1000);
    assert_int_equal(0, issue_at(st, 1, 0));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, pthread_join(t, NULL));
    /* SQLite: its BEGIN IMMEDIATE waited for the commit, then read it.
     * PostgreSQL: its FOR UPDATE waited, then failed as a serialization
     * failure (run the transaction again), or ran after the commit. */
    print_message("the second writer %s\n", l.err == 0 ? "read the committed head"
                                                       : "must run again (serialization failure)");
    if (l.err == 0)
        assert_int_equal(1, l.head.size);
    else
        assert_true(store_fixture_pg() && l.err == AC_EAGAIN);
}

static void test_the_head_lock_outside_a_transaction_is_refused(void **state)
{
    (void)state;
    struct ac_store_tlog_head h;
    assert_int_equal(AC_EBUG, ac_store_tlog_head_lock(st, &h));
}

static void test_a_second_checkpoint_of_one_size_under_one_key_is_refused(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_log_checkpoint_add(st, 0, empty_root, "aa", "a\n", T0));
    /* Two processes starting on a new log both sign its first checkpoint:
     * the database keeps one. */
    assert_int_equal(AC_EEXIST,
                     ac_store_log_checkpoint_add(second, 0, empty_root, "aa", "b\n", T0));
    /* The same head under the next key (after a rotation) is another log
     * identity's checkpoint, and stands beside it. */
    assert_int_equal(0, ac_store_log_checkpoint_add(second, 0, empty_root, "bb", "c\n", T0));
    struct ac_store_checkpoint cp = {0};
    assert_int_equal(0, ac_store_log_checkpoint_latest(st, &cp));
    assert_string_equal("c\n", cp.note);
    free(cp.note);
}

static void test_a_checkpoint_that_is_not_the_stored_head_is_refused(void **state)
{
    (void)state;
    uint8_t other[32];
    memset(other, 7, sizeof other);
    assert_int_equal(AC_ECONFLICT, ac_store_log_checkpoint_add(st, 0, other, "aa", "x\n", T0));
    assert_int_equal(AC_ECONFLICT, ac_store_log_checkpoint_add(st, 1, empty_root, "aa", "x\n", T0));
    assert_int_equal(0, issue_at(st, 1, 0));
    /* The old head, signed again by a process that missed the append. */
    assert_int_equal(AC_ECONFLICT,
                     ac_store_log_checkpoint_add(second, 0, empty_root, "bb", "x\n", T0));
    struct ac_store_tlog_head h;
    assert_int_equal(0, ac_store_tlog_head(st, &h));
    assert_int_equal(1, h.size);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, open_stores, close_stores)
    const struct CMUnitTest tests[] = {
        T(test_a_new_log_head_is_the_empty_tree),
        T(test_an_append_moves_the_head_every_connection_reads),
        T(test_a_writer_that_read_an_older_head_is_refused_and_stores_nothing),
        T(test_the_head_lock_inside_a_transaction_reads_the_last_commit),
        T(test_a_writer_waiting_at_the_head_lock_never_reads_the_head_it_waited_on),
        T(test_the_head_lock_outside_a_transaction_is_refused),
        T(test_a_second_checkpoint_of_one_size_under_one_key_is_refused),
        T(test_a_checkpoint_that_is_not_the_stored_head_is_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
