/* test_clock.c - tests core/clock.c: RFC 3339 parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"

static void test_epoch_parses_to_zero(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_int_equal(0, ac_clock_parse("1970-01-01T00:00:00Z", &ms));
    assert_int_equal(0, ms);
}

static void test_known_instant_parses_to_its_unix_time(void **state)
{
    (void)state;
    int64_t ms;
    /* `date -u -d 2026-11-22T15:12:00Z +%s` gives 1795360320. */
    assert_int_equal(0, ac_clock_parse("2026-11-22T15:12:00Z", &ms));
    assert_int_equal(1795360320000LL, ms);
}

static void test_offset_and_fraction_are_applied(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(0, ac_clock_parse("1970-01-01T01:00:00.250+01:00", &ms));
    assert_int_equal(250, ms);
}

static void test_garbage_is_refused(void **state)
{
    (void)state;
    int64_t ms = 7;
    assert_int_equal(AC_EINVAL, ac_clock_parse("2026-13-01T00:00:00Z", &ms));
    assert_int_equal(AC_EINVAL, ac_clock_parse("2026-11-22 15:12:00Z", &ms));
    assert_int_equal(AC_EINVAL, ac_clock_parse("2026-11-22T15:12:00", &ms));
    assert_int_equal(AC_EINVAL, ac_clock_parse("2026-11-22T15:12:00Zjunk", &ms));
    assert_int_equal(7, ms);
}

static void test_format_round_trips(void **state)
{
    (void)state;
    char out[21];
    assert_string_equal("2026-11-22T15:12:00Z", ac_clock_format(1795360320000LL, out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch_parses_to_zero),
        cmocka_unit_test(test_known_instant_parses_to_its_unix_time),
        cmocka_unit_test(test_offset_and_fraction_are_applied),
        cmocka_unit_test(test_garbage_is_refused),
        cmocka_unit_test(test_format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
