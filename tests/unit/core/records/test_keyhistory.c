/* test_keyhistory.c - tests core/records/keyhistory.c (key hand-overs):
 * what the outgoing key signs, strict parsing, and that a document of
 * another type signed by the same key is no hand-over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/keyhistory.h"

static uint8_t pk[32], sk[64], next_pk[32];

static int sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return crypto_sign_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : AC_ECRYPTO;
}

static void handover(struct ac_buf *out)
{
    struct ac_key_handover h;
    memset(&h, 0, sizeof h);
    strcpy(h.iss, "https://accord.example");
    ac_key_id(pk, h.kid);
    memcpy(h.next, next_pk, 32);
    h.at_ms = 1767225600123;
    h.size = 42;
    memset(h.root, 0xab, sizeof h.root);
    assert_int_equal(0, ac_key_handover_sign(&h, sign_cb, sk, out));
}

static void test_a_handover_parses_to_what_the_outgoing_key_signed(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    handover(&b);
    struct ac_key_handover h;
    char why[200] = "";
    assert_int_equal(0, ac_key_handover_parse(b.data, b.len, &h, why, sizeof why));
    assert_string_equal("https://accord.example", h.iss);
    assert_int_equal(1767225600123, h.at_ms);
    assert_int_equal(42, h.size);
    assert_memory_equal(next_pk, h.next, 32);
    uint8_t digest[32];
    crypto_hash_sha256(digest, next_pk, 32); /* a kid is SHA-256(key)[:8] */
    assert_memory_equal(digest, h.next_kid, 8);
    crypto_hash_sha256(digest, pk, 32);
    assert_memory_equal(digest, h.kid, 8);
    assert_int_equal(0, ac_key_handover_verify(&h, pk));
    assert_int_equal(AC_ECRYPTO, ac_key_handover_verify(&h, next_pk));
    ac_buf_release(&b);
}

static void test_every_flipped_bit_of_a_handover_is_caught(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    handover(&b);
    for (size_t i = 0; i < b.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b.data[i] ^= (uint8_t)(1 << bit);
            struct ac_key_handover h;
            int ok = ac_key_handover_parse(b.data, b.len, &h, NULL, 0) == 0 &&
                     ac_key_handover_verify(&h, pk) == 0;
            assert_false(ok);
            b.data[i] ^= (uint8_t)(1 << bit);
        }
    ac_buf_release(&b);
}

static void test_a_document_of_another_type_signed_by_the_key_is_no_handover(void **state)
{
    (void)state;
    /* A record-shaped COSE_Sign1 (no content type) over a hand-over payload. */
    struct ac_buf b = AC_BUF_INIT, other = AC_BUF_INIT;
    handover(&b);
    struct ac_key_handover h;
    assert_int_equal(0, ac_key_handover_parse(b.data, b.len, &h, NULL, 0));
    uint8_t kid[8];
    ac_key_id(pk, kid);
    assert_int_equal(0,
                     ac_cose_sign1(h.msg.payload, h.msg.payload_len, kid, 8, sign_cb, sk, &other));
    char why[200] = "";
    assert_int_equal(AC_EPARSE, ac_key_handover_parse(other.data, other.len, &h, why, sizeof why));
    assert_non_null(strstr(why, AC_KEY_HANDOVER_TYPE));
    ac_buf_release(&b);
    ac_buf_release(&other);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(pk, sk);
    uint8_t sk2[64];
    crypto_sign_keypair(next_pk, sk2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_handover_parses_to_what_the_outgoing_key_signed),
        cmocka_unit_test(test_every_flipped_bit_of_a_handover_is_caught),
        cmocka_unit_test(test_a_document_of_another_type_signed_by_the_key_is_no_handover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
