/* test_store_keys.c - tests core/store/store_keys.c: a key's hand-over is
 * stored once, and the hand-overs come back oldest first, as bundles carry
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/store/keys.h"
#include "accord/store/store.h"
#include "store_fixture.h"

static int open_store(void **state)
{
    (void)state;
    return store_fixture_open("tkeys");
}

struct seen {
    char got[4][8];
    size_t n;
};

static int collect(void *ctx, const uint8_t *statement, size_t len)
{
    struct seen *s = ctx;
    if (s->n == 4 || len >= sizeof s->got[0])
        return AC_ERANGE;
    memcpy(s->got[s->n], statement, len);
    s->got[s->n++][len] = '\0';
    return 0;
}

static void test_handovers_come_back_oldest_first(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_key_handover_put(st, "bbbb", 2000, (const uint8_t *)"second", 6));
    assert_int_equal(0, ac_store_key_handover_put(st, "aaaa", 1000, (const uint8_t *)"first", 5));
    struct seen s = {0};
    assert_int_equal(0, ac_store_key_handovers(st, collect, &s));
    assert_int_equal(2, s.n);
    assert_string_equal("first", s.got[0]);
    assert_string_equal("second", s.got[1]);
}

static void test_a_keys_second_handover_is_refused(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_key_handover_put(st, "cccc", 3000, (const uint8_t *)"one", 3));
    assert_int_equal(AC_EEXIST,
                     ac_store_key_handover_put(st, "cccc", 4000, (const uint8_t *)"two", 3));
}

static void test_a_callback_error_stops_the_listing_and_is_returned(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_key_handover_put(st, "dddd", 5000, (const uint8_t *)"x", 1));
    struct seen s = {.n = 4};
    assert_int_equal(AC_ERANGE, ac_store_key_handovers(st, collect, &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handovers_come_back_oldest_first, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_a_keys_second_handover_is_refused, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_a_callback_error_stops_the_listing_and_is_returned,
                                        open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
