/* test_store_remote_cert.c - tests core/store/store_remote_cert.c: a lender
 * keeps one row per reviewer, issuer and credential; the issuer's word
 * replaces the last one and clears the pending request; a record is kept,
 * kept again when the word carries none, or dropped when told to. */
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
#include "accord/store/remote_cert.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "store_fixture.h"

#define T0 1700000000000LL

static int64_t ada, bob;

static int open_store(void **state)
{
    (void)state;
    struct ac_user u;
    if (store_fixture_open("trcert") ||
        ac_store_user_create(st, "ada", NULL, AC_ROLE_REVIEWER, T0, &u))
        return -1;
    ada = u.id;
    if (ac_store_user_create(st, "bob", NULL, AC_ROLE_REVIEWER, T0, &u))
        return -1;
    bob = u.id;
    return 0;
}

static void test_an_application_is_kept_once_per_reviewer_issuer_and_credential(void **state)
{
    (void)state;
    int64_t id = 0, other = 0, again = 0;
    assert_int_equal(
        0, ac_store_remote_cert_create(st, ada, "state.example", "feedback", "apply", T0, &id));
    assert_int_equal(AC_EEXIST, ac_store_remote_cert_create(st, ada, "state.example", "feedback",
                                                            "apply", T0, &again));
    /* Another credential of the same issuer, or another reviewer, is a new row. */
    assert_int_equal(
        0, ac_store_remote_cert_create(st, ada, "state.example", "coaching", "apply", T0, &other));
    assert_int_equal(
        0, ac_store_remote_cert_create(st, bob, "state.example", "feedback", "apply", T0, &again));
    struct ac_remote_cert c;
    assert_int_equal(0, ac_store_remote_cert_find(st, ada, "state.example", "feedback", &c));
    assert_int_equal(id, c.id);
    assert_string_equal("sent", c.state);
    assert_string_equal("apply", c.pending);
    assert_string_equal("{}", c.detail);
    assert_null(c.record);
    ac_remote_cert_release(&c);
    struct ac_remote_cert rows[8];
    size_t n = 0;
    assert_int_equal(0, ac_store_remote_cert_list(st, ada, 0, rows, 8, &n));
    assert_int_equal(2, n);
    for (size_t i = 0; i < n; i++)
        ac_remote_cert_release(&rows[i]);
    assert_int_equal(0, ac_store_remote_cert_list(st, 0, 0, rows, 8, &n));
    assert_int_equal(3, n);
    for (size_t i = 0; i < n; i++)
        ac_remote_cert_release(&rows[i]);
}

static void test_the_issuers_word_clears_the_pending_request_and_keeps_a_record(void **state)
{
    (void)state;
    int64_t id = 0;
    static const uint8_t rec[] = {0xd2, 0x84, 0x01, 0x02};
    assert_int_equal(
        0, ac_store_remote_cert_create(st, ada, "state.example", "feedback", "apply", T0, &id));
    assert_int_equal(0, ac_store_remote_cert_update(st, id, 1, "certified", "{\"attempts\":2}", rec,
                                                    sizeof rec, T0 + 99, 1, T0 + 1));
    struct ac_remote_cert c;
    assert_int_equal(0, ac_store_remote_cert_get(st, id, &c));
    assert_string_equal("certified", c.state);
    assert_string_equal("", c.pending);
    assert_int_equal(1, c.version);
    assert_int_equal(sizeof rec, c.record_len);
    assert_memory_equal(rec, c.record, sizeof rec);
    assert_int_equal(T0 + 99, c.expires_ms);
    ac_remote_cert_release(&c);
    /* A word without a record keeps the one held unless told to drop it. */
    assert_int_equal(0, ac_store_remote_cert_pending(st, id, "attempt", T0 + 2));
    assert_int_equal(
        0, ac_store_remote_cert_update(st, id, 1, "certified", "{}", NULL, 0, 0, 0, T0 + 3));
    assert_int_equal(0, ac_store_remote_cert_get(st, id, &c));
    assert_int_equal(sizeof rec, c.record_len);
    assert_string_equal("", c.pending);
    ac_remote_cert_release(&c);
    assert_int_equal(
        0, ac_store_remote_cert_update(st, id, 1, "unavailable", "{}", NULL, 0, 0, 1, T0 + 4));
    assert_int_equal(0, ac_store_remote_cert_get(st, id, &c));
    assert_null(c.record);
    assert_int_equal(0, c.expires_ms);
    assert_string_equal("unavailable", c.state);
    ac_remote_cert_release(&c);
}

static void test_changing_a_row_that_does_not_exist_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_ENOENT, ac_store_remote_cert_pending(st, 999, "attempt", T0));
    assert_int_equal(AC_ENOENT,
                     ac_store_remote_cert_update(st, 999, 1, "certified", "{}", NULL, 0, 0, 0, T0));
    struct ac_remote_cert c;
    assert_int_equal(AC_ENOENT, ac_store_remote_cert_get(st, 999, &c));
    assert_int_equal(AC_ENOENT, ac_store_remote_cert_find(st, ada, "nobody.example", "x", &c));
}

static void test_an_application_for_a_user_that_does_not_exist_is_refused(void **state)
{
    (void)state;
    int64_t id = 0;
    assert_int_equal(AC_ENOENT, ac_store_remote_cert_create(st, 999, "state.example", "feedback",
                                                            "apply", T0, &id));
    assert_int_equal(AC_EINVAL,
                     ac_store_remote_cert_create(st, ada, "", "feedback", "apply", T0, &id));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_an_application_is_kept_once_per_reviewer_issuer_and_credential, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(
            test_the_issuers_word_clears_the_pending_request_and_keeps_a_record, open_store,
            close_store),
        cmocka_unit_test_setup_teardown(test_changing_a_row_that_does_not_exist_is_refused,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(
            test_an_application_for_a_user_that_does_not_exist_is_refused, open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
