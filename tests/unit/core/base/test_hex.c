/* test_hex.c - the value of one hexadecimal digit (core/base/hex.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "accord/base/hex.h"

static void test_every_digit_of_either_case_has_its_value(void **state)
{
    (void)state;
    /* RFC 4648 section 8: "0123456789ABCDEF", lowercase accepted as well. */
    const char upper[] = "0123456789ABCDEF", lower[] = "0123456789abcdef";
    for (int v = 0; v < 16; v++) {
        assert_int_equal(v, ac_hex_digit(upper[v]));
        assert_int_equal(v, ac_hex_digit(lower[v]));
    }
}

static void test_every_other_byte_is_not_a_digit(void **state)
{
    (void)state;
    int digits = 0;
    for (int c = -128; c < 256; c++)
        if (ac_hex_digit(c) >= 0)
            digits++;
    /* 10 decimal digits and 6 letters in each case, nothing else. */
    assert_int_equal(22, digits);
    assert_int_equal(-1, ac_hex_digit('g'));
    assert_int_equal(-1, ac_hex_digit('G'));
    assert_int_equal(-1, ac_hex_digit('/'));        /* just below '0' */
    assert_int_equal(-1, ac_hex_digit(':'));        /* just above '9' */
    assert_int_equal(-1, ac_hex_digit('@'));        /* just below 'A' */
    assert_int_equal(-1, ac_hex_digit('`'));        /* just below 'a' */
    assert_int_equal(-1, ac_hex_digit((char)0xc1)); /* a high byte, as a signed char */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_digit_of_either_case_has_its_value),
        cmocka_unit_test(test_every_other_byte_is_not_a_digit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
