/* test_store_ledger.c - tests core/store/store_ledger.c: receipts only inside
 * a transaction, one row per peer, direction and result however often it is
 * added, sums per peer, credential and month, and the debt cap of a peer
 * winning over the default for every peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/store/ledger.h"
#include "accord/store/store.h"
#include "store_fixture.h"

static uint8_t receipt[] = {0xd2, 0x84, 0x40};

static int open_store(void **state)
{
    (void)state;
    return store_fixture_open("ledger");
}

static int add(const char *peer, enum ac_ledger_direction d, const char *cred, const char *month,
               const char *result)
{
    struct ac_ledger_entry e = {.direction = d, .receipt = receipt, .receipt_len = sizeof receipt};
    snprintf(e.peer, sizeof e.peer, "%s", peer);
    snprintf(e.credential_id, sizeof e.credential_id, "%s", cred);
    snprintf(e.month, sizeof e.month, "%s", month);
    snprintf(e.result_id, sizeof e.result_id, "%s", result);
    int added = -1;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_ledger_add(st, &e, 1000, &added));
    assert_int_equal(0, ac_store_tx_commit(st));
    return added;
}

static void test_a_receipt_is_refused_outside_a_transaction(void **state)
{
    (void)state;
    struct ac_ledger_entry e = {.peer = "b",
                                .credential_id = "c",
                                .month = "2026-12",
                                .result_id = "r",
                                .receipt = receipt,
                                .receipt_len = 3};
    assert_int_equal(AC_EBUG, ac_store_ledger_add(st, &e, 1, NULL));
}

static void test_the_same_result_counts_once(void **state)
{
    (void)state;
    assert_int_equal(1, add("b", AC_LEDGER_LENT, "c", "2026-12", "result-1-x"));
    assert_int_equal(0, add("b", AC_LEDGER_LENT, "c", "2026-12", "result-1-x"));
    int64_t lent = -1, borrowed = -1;
    assert_int_equal(0, ac_store_ledger_totals(st, "b", &lent, &borrowed));
    assert_int_equal(1, lent);
    assert_int_equal(0, borrowed);
}

static void test_the_summary_sums_per_peer_credential_and_month(void **state)
{
    (void)state;
    add("b", AC_LEDGER_LENT, "c", "2026-11", "r1");
    add("b", AC_LEDGER_LENT, "c", "2026-11", "r2");
    add("b", AC_LEDGER_BORROWED, "c", "2026-11", "r3");
    add("b", AC_LEDGER_LENT, "c", "2026-12", "r4");
    add("d", AC_LEDGER_BORROWED, "e", "2026-12", "r5");
    struct ac_ledger_line *ls = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_ledger_summary(st, NULL, &ls, &n));
    /* By hand: b/c/2026-11 lent 2 borrowed 1; b/c/2026-12 lent 1; d/e/2026-12 borrowed 1. */
    assert_int_equal(3, n);
    assert_string_equal("b", ls[0].peer);
    assert_string_equal("2026-11", ls[0].month);
    assert_int_equal(2, ls[0].lent);
    assert_int_equal(1, ls[0].borrowed);
    assert_string_equal("2026-12", ls[1].month);
    assert_int_equal(1, ls[1].lent);
    assert_string_equal("d", ls[2].peer);
    assert_int_equal(1, ls[2].borrowed);
    free(ls);
    struct ac_ledger_entry *es = NULL;
    assert_int_equal(0, ac_store_ledger_list(st, "d", 0, 10, &es, &n));
    assert_int_equal(1, n);
    assert_memory_equal(receipt, es[0].receipt, sizeof receipt);
    ac_ledger_entry_release(&es[0]);
    free(es);
}

static void test_a_peers_cap_wins_over_the_default(void **state)
{
    (void)state;
    int64_t cap = -1;
    int set = -1;
    assert_int_equal(0, ac_store_ledger_policy_get(st, "b", &cap, &set));
    assert_int_equal(0, set);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_ledger_policy_put(st, "*", 10));
    assert_int_equal(0, ac_store_ledger_policy_put(st, "b", 3));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_ledger_policy_get(st, "b", &cap, &set));
    assert_int_equal(1, set);
    assert_int_equal(3, cap);
    assert_int_equal(0, ac_store_ledger_policy_get(st, "z", &cap, &set));
    assert_int_equal(10, cap);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_ledger_policy_put(st, "b", -1));
    assert_int_equal(0, ac_store_tx_commit(st));
    assert_int_equal(0, ac_store_ledger_policy_get(st, "b", &cap, &set));
    assert_int_equal(10, cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_receipt_is_refused_outside_a_transaction, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_the_same_result_counts_once, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_the_summary_sums_per_peer_credential_and_month,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_a_peers_cap_wins_over_the_default, open_store,
                                        close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
