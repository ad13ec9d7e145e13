/* test_cosignature.c - tests core/records/cosignature.c (C2SP
 * tlog-cosignature/v1 lines and witness keys). The key id and the signed
 * message are rebuilt here from the spec's wording, not taken from the code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/cosignature.h"

#define TEXT "accord.example/log\n13\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
#define NAME "witness.example"

static uint8_t pk[32], sk[64];

static int sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return crypto_sign_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : AC_ECRYPTO;
}

static void line_of(uint64_t t, struct ac_buf *out)
{
    assert_int_equal(0, ac_cosig_sign(TEXT, strlen(TEXT), NAME, pk, t, sign_cb, sk, out));
}

static void test_the_key_id_is_the_hash_of_name_newline_0x04_and_key(void **state)
{
    (void)state;
    uint8_t in[sizeof NAME - 1 + 2 + 32], h[32];
    memcpy(in, NAME, sizeof NAME - 1);
    in[sizeof NAME - 1] = '\n';
    in[sizeof NAME] = 0x04;
    memcpy(in + sizeof NAME + 1, pk, 32);
    crypto_hash_sha256(h, in, sizeof in);
    uint32_t want = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    assert_int_equal(want, ac_cosig_key_id(NAME, pk));
}

static void test_a_line_signs_the_cosignature_v1_message_with_its_time(void **state)
{
    (void)state;
    struct ac_buf line = AC_BUF_INIT;
    line_of(1767225600, &line);
    assert_memory_equal("\xe2\x80\x94 " NAME " ", line.data, 4 + sizeof NAME - 1);
    assert_int_equal('\n', line.data[line.len - 1]);
    struct ac_cosig_line l;
    assert_int_equal(0, ac_cosig_line_parse((const char *)line.data, line.len, &l, NULL, 0));
    assert_int_equal(1767225600, l.time_s);
    assert_int_equal(ac_cosig_key_id(NAME, pk), l.key_id);
    static const char msg[] = "cosignature/v1\ntime 1767225600\n" TEXT;
    assert_int_equal(
        0, crypto_sign_verify_detached(l.signature, (const uint8_t *)msg, sizeof msg - 1, pk));
    ac_buf_release(&line);
}

static void test_a_line_verifies_with_its_witness_and_not_over_other_text(void **state)
{
    (void)state;
    struct ac_buf line = AC_BUF_INIT;
    line_of(1767225600, &line);
    struct ac_cosig_line l;
    struct ac_cosig_witness w;
    assert_int_equal(0, ac_cosig_line_parse((const char *)line.data, line.len, &l, NULL, 0));
    assert_int_equal(0, ac_cosig_witness_init(&w, NAME, pk));
    assert_int_equal(0, ac_cosig_verify(&l, &w, TEXT, strlen(TEXT)));
    assert_int_equal(AC_ECRYPTO, ac_cosig_verify(&l, &w, TEXT, strlen(TEXT) - 1));
    l.time_s++; /* the time is signed */
    assert_int_equal(AC_ECRYPTO, ac_cosig_verify(&l, &w, TEXT, strlen(TEXT)));
    ac_buf_release(&line);
}

static void test_a_line_by_another_name_or_key_is_not_that_witnesses(void **state)
{
    (void)state;
    struct ac_buf line = AC_BUF_INIT;
    line_of(1, &line);
    struct ac_cosig_line l;
    struct ac_cosig_witness other;
    assert_int_equal(0, ac_cosig_line_parse((const char *)line.data, line.len, &l, NULL, 0));
    assert_int_equal(0, ac_cosig_witness_init(&other, "other.example", pk));
    assert_int_equal(AC_ENOENT, ac_cosig_verify(&l, &other, TEXT, strlen(TEXT)));
    uint8_t pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    assert_int_equal(0, ac_cosig_witness_init(&other, NAME, pk2));
    assert_int_equal(AC_ENOENT, ac_cosig_verify(&l, &other, TEXT, strlen(TEXT)));
    ac_buf_release(&line);
}

static void test_malformed_lines_are_refused_with_a_reason(void **state)
{
    (void)state;
    struct ac_cosig_line l;
    char why[160];
    const char *bad[] = {"- w AAAA\n", "\xe2\x80\x94 w\n", "\xe2\x80\x94 w AAAA\n",
                         "\xe2\x80\x94  AAAA\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        assert_int_equal(AC_EPARSE,
                         ac_cosig_line_parse(bad[i], strlen(bad[i]), &l, why, sizeof why));
        assert_non_null(strstr(why, "cosignature line"));
    }
}

static void test_a_witness_vkey_round_trips_and_a_note_key_is_refused(void **state)
{
    (void)state;
    struct ac_cosig_witness w, back;
    struct ac_buf text = AC_BUF_INIT;
    assert_int_equal(0, ac_cosig_witness_init(&w, NAME, pk));
    assert_int_equal(0, ac_cosig_witness_format(&w, &text));
    assert_int_equal(0, ac_buf_push(&text, 0));
    assert_int_equal(0, ac_cosig_witness_parse((const char *)text.data, &back));
    assert_string_equal(NAME, back.name);
    assert_memory_equal(pk, back.public_key, 32);
    /* The same key as a signed-note (type 0x01) verifier key is not a
     * witness key: its key id is another. */
    struct ac_note_verifier nv;
    struct ac_buf note_key = AC_BUF_INIT;
    assert_int_equal(0, ac_note_verifier_init(&nv, NAME, pk));
    assert_int_equal(0, ac_note_verifier_format(&nv, &note_key));
    assert_int_equal(0, ac_buf_push(&note_key, 0));
    assert_int_equal(AC_EPARSE, ac_cosig_witness_parse((const char *)note_key.data, &back));
    ac_buf_release(&text);
    ac_buf_release(&note_key);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(pk, sk);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_key_id_is_the_hash_of_name_newline_0x04_and_key),
        cmocka_unit_test(test_a_line_signs_the_cosignature_v1_message_with_its_time),
        cmocka_unit_test(test_a_line_verifies_with_its_witness_and_not_over_other_text),
        cmocka_unit_test(test_a_line_by_another_name_or_key_is_not_that_witnesses),
        cmocka_unit_test(test_malformed_lines_are_refused_with_a_reason),
        cmocka_unit_test(test_a_witness_vkey_round_trips_and_a_note_key_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
