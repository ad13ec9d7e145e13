/* test_store_borrow.c - tests the lender's side of core/store/store_borrow.c:
 * an issuer's batch is held once, its items move through their states, and
 * the items a reviewer did or holds for an issuer since a time are counted
 * (declined and closed ones not), which the lending policy's monthly cap
 * reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/borrow.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "store_fixture.h"

static int64_t reviewer;

static int open_store(void **state)
{
    (void)state;
    struct ac_user u;
    int err = store_fixture_open("borrow");
    if (!err)
        err = ac_store_user_create(st, "rev", "Rev", AC_ROLE_REVIEWER, 1, &u);
    reviewer = u.id;
    return err;
}

/* Holds batch |remote| of issuer "a" with |n| items, created at |now|. */
static int64_t offered(int64_t remote, int n, int64_t now, int64_t *items)
{
    struct ac_lent_batch b = {.remote_batch = remote,
                              .reviewer = reviewer,
                              .version = 1,
                              .deadline_ms = now + 1000,
                              .created_ms = now,
                              .rubric = "{}"};
    strcpy(b.issuer, "a");
    strcpy(b.credential_id, "c");
    int64_t id;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_lent_batch_add(st, &b, &id));
    for (int i = 0; i < n; i++) {
        struct ac_lent_item it = {.batch_id = id, .elements = "[]"};
        snprintf(it.pseudonym, sizeof it.pseudonym, "p%lld-%d", (long long)remote, i);
        assert_int_equal(0, ac_store_lent_item_add(st, &it, &items[i]));
    }
    assert_int_equal(0, ac_store_tx_commit(st));
    return id;
}

static void test_an_issuers_batch_is_held_once(void **state)
{
    (void)state;
    int64_t items[1];
    offered(7, 1, 100, items);
    struct ac_lent_batch b = {.remote_batch = 7, .reviewer = reviewer, .rubric = "{}"};
    strcpy(b.issuer, "a");
    strcpy(b.credential_id, "c");
    int64_t id;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(AC_EEXIST, ac_store_lent_batch_add(st, &b, &id));
    ac_store_tx_rollback(st);
    struct ac_lent_batch got;
    assert_int_equal(0, ac_store_lent_batch_find(st, "a", 7, &got));
    assert_int_equal(AC_LENT_INVITED, got.state);
    assert_string_equal("{}", got.rubric);
    ac_lent_batch_release(&got);
    assert_int_equal(AC_ENOENT, ac_store_lent_batch_find(st, "b", 7, &got));
}

static void test_an_item_keeps_its_score_and_the_issuers_answer(void **state)
{
    (void)state;
    int64_t items[1];
    int64_t id = offered(8, 1, 100, items);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(
        0, ac_store_lent_item_set(st, items[0], AC_LITEM_SCORED, "\"pass\"", "ok", NULL, 500));
    assert_int_equal(0, ac_store_lent_item_set(st, items[0], AC_LITEM_REFUSED, NULL, NULL,
                                               "batch 8 was reclaimed", 600));
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_lent_item it;
    assert_int_equal(0, ac_store_lent_item_find(st, id, "p8-0", &it));
    assert_int_equal(AC_LITEM_REFUSED, it.state);
    assert_string_equal("\"pass\"", it.levels);
    assert_string_equal("ok", it.feedback);
    assert_string_equal("batch 8 was reclaimed", it.reason);
    assert_int_equal(500, it.scored_ms);
    ac_lent_item_release(&it);
}

static void test_the_count_leaves_out_declined_closed_and_older_work(void **state)
{
    (void)state;
    int64_t a[2], b[1], c[1], d[3];
    offered(1, 2, 100, a);  /* before |since|: not counted */
    offered(2, 1, 2000, b); /* counted */
    int64_t declined = offered(3, 1, 2000, c);
    int64_t held = offered(4, 3, 2000, d);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_lent_batch_set(st, declined, AC_LENT_DECLINED, "no", 2100));
    assert_int_equal(0, ac_store_lent_batch_set(st, held, AC_LENT_ACCEPTED, NULL, 2100));
    assert_int_equal(0, ac_store_lent_item_set(st, d[2], AC_LITEM_CLOSED, NULL, NULL, NULL, 0));
    assert_int_equal(0, ac_store_tx_commit(st));
    int64_t n = -1;
    assert_int_equal(0, ac_store_lent_count(st, "a", reviewer, 1000, &n));
    assert_int_equal(3, n); /* by hand: 1 of batch 2, 2 of batch 4 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_issuers_batch_is_held_once, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_an_item_keeps_its_score_and_the_issuers_answer,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_the_count_leaves_out_declined_closed_and_older_work,
                                        open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
