/* test_json_cbor.c - tests node/federation/json_cbor.c: federation message
 * bodies (certification, borrowed review) go from JSON to deterministic CBOR
 * and back unchanged, map keys in the RFC 8949 order whatever order they
 * were set in, and what the envelope's CBOR cannot carry (reals) or a
 * stranger could send (trailing bytes, non-text keys) is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "federation/json_cbor.h"

static void test_a_small_body_encodes_to_the_bytes_rfc_8949_gives(void **state)
{
    (void)state;
    /* {"bb": [true, null], "a": 1}: keys sort by length then bytes, so "a"
     * first; a2 61 61 01 62 62 62 82 f5 f6, worked out by hand from RFC 8949
     * section 4.2.1. */
    json_t *j = json_pack("{s:[b,n], s:i}", "bb", 1, "a", 1);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac__json_to_cbor(j, &b));
    static const uint8_t want[] = {0xa2, 0x61, 0x61, 0x01, 0x62, 0x62, 0x62, 0x82, 0xf5, 0xf6};
    assert_int_equal(sizeof want, b.len);
    assert_memory_equal(want, b.data, sizeof want);
    ac_buf_release(&b);
    json_decref(j);
}

static void test_a_state_body_comes_back_equal_after_the_round_trip(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:I, s:s, s:I, s:{s:I, s:[{s:I, s:s}]}, s:b, s:n}", "user",
                          (json_int_t)7, "credential", "feedback-cycles", "next_attempt_ms",
                          (json_int_t)-1, "attempt", "id", (json_int_t)12, "items", "item_id",
                          (json_int_t)40, "content", "Benchmark \xc3\xa9", "passed", 0, "problem");
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac__json_to_cbor(j, &b));
    json_t *back = NULL;
    assert_int_equal(0, ac__cbor_to_json(b.data, b.len, &back));
    assert_true(json_equal(j, back));
    ac_buf_release(&b);
    json_decref(back);
    json_decref(j);
}

static void test_a_real_is_refused_rather_than_rounded(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:f}", "exact_rate", 0.8);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(AC_EINVAL, ac__json_to_cbor(j, &b));
    assert_int_equal(0, b.len);
    json_decref(j);
}

static void test_trailing_bytes_and_integer_keys_are_refused(void **state)
{
    (void)state;
    json_t *out = NULL;
    static const uint8_t trailing[] = {0xa1, 0x61, 0x61, 0x01, 0x00};
    assert_int_equal(AC_EPARSE, ac__cbor_to_json(trailing, sizeof trailing, &out));
    static const uint8_t int_key[] = {0xa1, 0x01, 0x01};
    assert_int_equal(AC_EPARSE, ac__cbor_to_json(int_key, sizeof int_key, &out));
    static const uint8_t bytes[] = {0x41, 0x00}; /* a byte string: no JSON form */
    assert_int_equal(AC_EPARSE, ac__cbor_to_json(bytes, sizeof bytes, &out));
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_small_body_encodes_to_the_bytes_rfc_8949_gives),
        cmocka_unit_test(test_a_state_body_comes_back_equal_after_the_round_trip),
        cmocka_unit_test(test_a_real_is_refused_rather_than_rounded),
        cmocka_unit_test(test_trailing_bytes_and_integer_keys_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
