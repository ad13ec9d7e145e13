/* test_base64.c - strict base64: one spelling per value (core/base/base64.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/base64.h"
#include "accord/base/error.h"

static void test_standard_base64_decodes_the_rfc4648_examples(void **state)
{
    (void)state;
    /* RFC 4648 section 10 test vectors. */
    uint8_t out[8];
    size_t n = 99;
    assert_int_equal(0, ac_base64_decode("Zm9vYg==", 8, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(4, n);
    assert_memory_equal("foob", out, 4);
    assert_int_equal(0, ac_base64_decode("Zm9vYmFy", 8, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(6, n);
    assert_memory_equal("foobar", out, 6);
}

static void test_bytes_above_0x7f_are_refused_although_libsodium_would_decode_them(void **state)
{
    (void)state;
    /* The spelling the checkpoint fuzzer found: CD 8B inside a root line. */
    const char text[] = "AAAA\xcd\x8b" "AA";
    uint8_t out[16];
    size_t n = 0;
    const char *end = NULL;
    /* libsodium 1.0.18 accepts it (the reason for the check); newer ones may not. */
    int sodium = sodium_base642bin(out, sizeof out, text, 8, NULL, &n, &end,
                                   sodium_base64_VARIANT_ORIGINAL);
    (void)sodium;
    n = 77;
    assert_int_equal(AC_EPARSE, ac_base64_decode(text, 8, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(77, n); /* unchanged on failure */
}

static void test_the_other_alphabet_and_misplaced_padding_are_refused(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n;
    assert_int_equal(AC_EPARSE, ac_base64_decode("ab-_", 4, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(AC_EPARSE,
                     ac_base64_decode("ab+/", 4, AC_BASE64_URL_NOPAD, out, sizeof out, &n));
    assert_int_equal(AC_EPARSE, ac_base64_decode("a=bc", 4, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(AC_EPARSE, ac_base64_decode("Zm9vYg", 6, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(AC_EPARSE, ac_base64_decode("Zm9vY", 5, AC_BASE64_URL_NOPAD, out, sizeof out,
                                                 &n));
}

static void test_nonzero_leftover_bits_are_refused(void **state)
{
    (void)state;
    /* "Zg==" is "f"; "Zh==" carries the same byte with a stray low bit set. */
    uint8_t out[8];
    size_t n;
    assert_int_equal(0, ac_base64_decode("Zg==", 4, AC_BASE64_STD, out, sizeof out, &n));
    assert_int_equal(AC_EPARSE, ac_base64_decode("Zh==", 4, AC_BASE64_STD, out, sizeof out, &n));
}

static void test_output_that_does_not_fit_is_refused(void **state)
{
    (void)state;
    uint8_t out[3];
    size_t n;
    assert_int_equal(AC_E2BIG, ac_base64_decode("Zm9vYmFy", 8, AC_BASE64_STD, out, sizeof out,
                                                &n));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_base64_decodes_the_rfc4648_examples),
        cmocka_unit_test(test_bytes_above_0x7f_are_refused_although_libsodium_would_decode_them),
        cmocka_unit_test(test_the_other_alphabet_and_misplaced_padding_are_refused),
        cmocka_unit_test(test_nonzero_leftover_bits_are_refused),
        cmocka_unit_test(test_output_that_does_not_fit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
