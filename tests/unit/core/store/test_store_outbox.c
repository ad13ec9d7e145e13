/* test_store_outbox.c - tests core/store/store_outbox.c, store_peer.c and
 * store_inbox.c: outbox rows only inside a transaction, pages after the
 * cursor, dead letters moving the cursor and coming back on retry, a
 * consortium file that never goes back, and inbox rows unique per sender
 * and id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/store/inbox.h"
#include "accord/store/outbox.h"
#include "accord/store/peer.h"
#include "accord/store/store.h"
#include "store_fixture.h"

static const uint8_t body[] = {0xa0};

static int open_store(void **state)
{
    (void)state;
    return store_fixture_open("outbox");
}

static int64_t queue(const char *peer, const char *id)
{
    int64_t row = 0;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_outbox_add(st, peer, "ping", id, body, sizeof body, 1000, &row));
    assert_int_equal(0, ac_store_tx_commit(st));
    return row;
}

static void test_outbox_rows_are_refused_outside_a_transaction(void **state)
{
    (void)state;
    assert_int_equal(AC_EBUG, ac_store_outbox_add(st, "b", "ping", "m", body, 1, 1, NULL));
}

static void test_pages_follow_the_cursor_and_skip_other_peers(void **state)
{
    (void)state;
    int64_t first = queue("b", "m1");
    queue("c", "other");
    int64_t second = queue("b", "m2");
    int64_t third = queue("b", "m3");
    struct ac_outbox_msg *page = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_outbox_page(st, "b", 0, 2, &page, &n));
    assert_int_equal(2, n);
    assert_int_equal(first, page[0].id);
    assert_int_equal(second, page[1].id);
    assert_string_equal("m2", page[1].msg_id);
    ac_outbox_msgs_free(page, n);
    assert_int_equal(0, ac_store_peer_state_success(st, "b", second, 5000));
    struct ac_peer_state s;
    assert_int_equal(0, ac_store_peer_state_get(st, "b", &s));
    assert_int_equal(second, s.cursor);
    assert_int_equal(0, ac_store_outbox_page(st, "b", s.cursor, 10, &page, &n));
    assert_int_equal(1, n);
    assert_int_equal(third, page[0].id);
    ac_outbox_msgs_free(page, n);
    int64_t depth, oldest;
    assert_int_equal(0, ac_store_outbox_depth(st, "b", s.cursor, &depth, &oldest));
    assert_int_equal(1, depth);
    assert_int_equal(1000, oldest);
}

static void test_the_cursor_never_moves_back(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_peer_state_success(st, "b", 9, 1));
    assert_int_equal(0, ac_store_peer_state_success(st, "b", 4, 2));
    struct ac_peer_state s;
    assert_int_equal(0, ac_store_peer_state_get(st, "b", &s));
    assert_int_equal(9, s.cursor);
    assert_int_equal(2, s.last_success_ms);
}

static void test_a_dead_letter_moves_the_cursor_and_a_retry_queues_it_again(void **state)
{
    (void)state;
    int64_t id = queue("b", "bad");
    struct ac_outbox_msg *page = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_outbox_page(st, "b", 0, 10, &page, &n));
    assert_int_equal(1, n);
    int added = 0;
    assert_int_equal(0, ac_store_outbox_dead(st, &page[0], 400, "bad-envelope", 2000, &added));
    assert_int_equal(1, added);
    /* Written again (an unknown COMMIT outcome that did commit): no error,
     * nothing added, the first one kept. */
    assert_int_equal(0, ac_store_outbox_dead(st, &page[0], 500, "again", 2500, &added));
    assert_int_equal(0, added);
    ac_outbox_msgs_free(page, n);
    struct ac_peer_state s;
    assert_int_equal(0, ac_store_peer_state_get(st, "b", &s));
    assert_int_equal(id, s.cursor);
    struct ac_outbox_msg *dead = NULL;
    assert_int_equal(0, ac_store_dead_list(st, "b", &dead, &n));
    assert_int_equal(1, n);
    assert_int_equal(400, dead[0].status);
    assert_string_equal("bad-envelope", dead[0].problem);
    ac_outbox_msgs_free(dead, n);
    char peer[65];
    assert_int_equal(0, ac_store_dead_retry(st, id, 3000, peer));
    assert_string_equal("b", peer);
    assert_int_equal(0, ac_store_outbox_page(st, "b", s.cursor, 10, &page, &n));
    assert_int_equal(1, n);
    assert_string_equal("bad", page[0].msg_id);
    ac_outbox_msgs_free(page, n);
    assert_int_equal(AC_ENOENT, ac_store_dead_retry(st, id, 3000, peer));
}

static void test_the_consortium_file_is_replaced_only_by_a_higher_serial(void **state)
{
    (void)state;
    static const uint8_t one[] = {1}, two[] = {2, 2};
    assert_int_equal(0, ac_store_consortium_put(st, 2, two, sizeof two, 1));
    assert_int_equal(AC_ECONFLICT, ac_store_consortium_put(st, 1, one, sizeof one, 2));
    assert_int_equal(AC_ECONFLICT, ac_store_consortium_put(st, 2, one, sizeof one, 2));
    uint8_t *file = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    assert_int_equal(0, ac_store_consortium_get(st, &file, &len, &serial));
    assert_int_equal(2, serial);
    assert_int_equal(2, len);
    free(file);
}

static void test_an_inbox_row_is_unique_per_sender_and_id(void **state)
{
    (void)state;
    uint8_t answer[] = {0xd2};
    struct ac_inbox_entry e = {.status = 200, .answer = answer, .answer_len = 1,
                               .received_ms = 7};
    strcpy(e.type, "ping");
    memset(e.body_hash, 0xab, 32);
    assert_int_equal(AC_EBUG, ac_store_inbox_put(st, "b", "m1", &e));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_inbox_put(st, "b", "m1", &e));
    assert_int_equal(0, ac_store_inbox_put(st, "c", "m1", &e));
    assert_int_equal(AC_EEXIST, ac_store_inbox_put(st, "b", "m1", &e));
    ac_store_tx_rollback(st);
    struct ac_inbox_entry got;
    assert_int_equal(AC_ENOENT, ac_store_inbox_get(st, "b", "m1", &got));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_inbox_put(st, "b", "m1", &e));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_inbox_get(st, "b", "m1", &got));
    assert_int_equal(200, got.status);
    assert_int_equal(1, got.answer_len);
    assert_int_equal(0xd2, got.answer[0]);
    free(got.answer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outbox_rows_are_refused_outside_a_transaction,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_pages_follow_the_cursor_and_skip_other_peers,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_the_cursor_never_moves_back, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(
            test_a_dead_letter_moves_the_cursor_and_a_retry_queues_it_again, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_the_consortium_file_is_replaced_only_by_a_higher_serial, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_an_inbox_row_is_unique_per_sender_and_id,
                                        open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
