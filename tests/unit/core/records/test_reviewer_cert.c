/* test_reviewer_cert.c - tests core/records/reviewer_cert.c: a reviewer
 * certification record signs and verifies with the issuer's key, and is
 * refused when forged, signed by a stranger, out of its key's window, or of
 * another kind of document signed by the same key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/reviewer_cert.h"
#include "accord/sign/envelope.h"

static uint8_t pk[32], sk[64], other_pk[32], other_sk[64];

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    /* Fixed seeds: the same keys every run. */
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    memset(seed, 9, sizeof seed);
    crypto_sign_seed_keypair(other_pk, other_sk, seed);
    return 0;
}

static struct ac_rcert_record sample(void)
{
    struct ac_rcert_record r = {
        .home_user = 7, .version = 2, .issued_ms = 1700000000000, .expires_ms = 1731536000000};
    strcpy(r.issuer, "state.example");
    strcpy(r.home_node, "north.example");
    strcpy(r.credential, "formative-assessment");
    strcpy(r.content_hash,
           "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    return r;
}

static struct ac_rcert_key key_of(const uint8_t public_key[32])
{
    struct ac_rcert_key k = {0};
    memcpy(k.public_key, public_key, 32);
    uint8_t h[32];
    crypto_hash_sha256(h, public_key, 32);
    memcpy(k.kid, h, 8);
    return k;
}

static void sign_sample(const struct ac_rcert_record *r, const uint8_t *secret,
                        const struct ac_rcert_key *k, struct ac_buf *out)
{
    assert_int_equal(0, ac_rcert_record_sign(r, k->kid, sizeof k->kid, ac_cose_sign_with_secret_key,
                                             (void *)secret, out));
}

static void test_a_signed_record_verifies_and_gives_back_every_field(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample(), got;
    struct ac_rcert_key k = key_of(pk);
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&r, sk, &k, &b);
    char why[AC_RCERT_RECORD_WHY_LEN] = "";
    assert_int_equal(0, ac_rcert_record_verify(b.data, b.len, &k, 1, &got, why, sizeof why));
    assert_string_equal("state.example", got.issuer);
    assert_string_equal("north.example", got.home_node);
    assert_int_equal(7, got.home_user);
    assert_string_equal("formative-assessment", got.credential);
    assert_int_equal(2, got.version);
    assert_string_equal(r.content_hash, got.content_hash);
    assert_int_equal(1700000000000, got.issued_ms);
    assert_int_equal(1731536000000, got.expires_ms);
    ac_buf_release(&b);
}

static void test_a_record_with_one_payload_byte_changed_is_refused_as_forged(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample(), got;
    struct ac_rcert_key k = key_of(pk);
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&r, sk, &k, &b);
    /* "north" becomes "nosth": still a well-formed record, naming another
     * reviewer node, so only the signature can tell. */
    uint8_t *at = memmem(b.data, b.len, "north.example", 13);
    assert_non_null(at);
    at[2] = 's';
    char why[AC_RCERT_RECORD_WHY_LEN] = "";
    assert_int_equal(AC_ECRYPTO,
                     ac_rcert_record_verify(b.data, b.len, &k, 1, &got, why, sizeof why));
    assert_non_null(strstr(why, "does not verify"));
    ac_buf_release(&b);
}

static void test_a_record_signed_by_a_key_the_issuer_does_not_hold_is_refused(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample(), got;
    struct ac_rcert_key theirs = key_of(other_pk), ours = key_of(pk);
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&r, other_sk, &theirs, &b);
    char why[AC_RCERT_RECORD_WHY_LEN] = "";
    assert_int_equal(AC_ECRYPTO,
                     ac_rcert_record_verify(b.data, b.len, &ours, 1, &got, why, sizeof why));
    assert_non_null(strstr(why, "not a key of the issuer"));
    ac_buf_release(&b);
}

static void test_a_stranger_claiming_the_issuers_kid_is_refused(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample(), got;
    struct ac_rcert_key ours = key_of(pk);
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&r, other_sk, &ours, &b); /* our kid, their signature */
    assert_int_equal(AC_ECRYPTO, ac_rcert_record_verify(b.data, b.len, &ours, 1, &got, NULL, 0));
    ac_buf_release(&b);
}

static void test_a_record_issued_after_its_key_was_retired_is_refused(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample(), got;
    struct ac_rcert_key k = key_of(pk);
    k.not_after_ms = r.issued_ms; /* retired at the very ms it claims */
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&r, sk, &k, &b);
    char why[AC_RCERT_RECORD_WHY_LEN] = "";
    assert_int_equal(AC_ECRYPTO,
                     ac_rcert_record_verify(b.data, b.len, &k, 1, &got, why, sizeof why));
    assert_non_null(strstr(why, "not valid"));
    ac_buf_release(&b);
}

static void test_an_envelope_signed_by_the_same_key_is_not_taken_for_a_record(void **state)
{
    (void)state;
    struct ac_rcert_key k = key_of(pk);
    struct ac_envelope e = {.ts_ms = 1700000000000};
    strcpy(e.type, "ping");
    strcpy(e.id, "m1");
    strcpy(e.from, "state.example");
    strcpy(e.to, "north.example");
    static const uint8_t empty_map = 0xa0;
    e.body = &empty_map;
    e.body_len = 1;
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(
        0, ac_envelope_sign(&e, k.kid, sizeof k.kid, ac_cose_sign_with_secret_key, sk, &b));
    struct ac_rcert_record got;
    char why[AC_RCERT_RECORD_WHY_LEN] = "";
    assert_int_equal(AC_EPARSE,
                     ac_rcert_record_verify(b.data, b.len, &k, 1, &got, why, sizeof why));
    assert_non_null(strstr(why, "content type"));
    ac_buf_release(&b);
}

static void test_a_record_is_not_taken_for_an_envelope(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample();
    struct ac_rcert_key k = key_of(pk);
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&r, sk, &k, &b);
    struct ac_cose_sign1 m;
    assert_int_equal(AC_EPARSE, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    ac_buf_release(&b);
}

static void test_signing_refuses_an_expiry_not_after_the_issue(void **state)
{
    (void)state;
    struct ac_rcert_record r = sample();
    r.expires_ms = r.issued_ms;
    struct ac_rcert_key k = key_of(pk);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(AC_EINVAL, ac_rcert_record_sign(&r, k.kid, sizeof k.kid,
                                                     ac_cose_sign_with_secret_key, sk, &b));
    assert_int_equal(0, b.len);
    r = sample();
    r.home_user = 0;
    assert_int_equal(AC_EINVAL, ac_rcert_record_sign(&r, k.kid, sizeof k.kid,
                                                     ac_cose_sign_with_secret_key, sk, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_signed_record_verifies_and_gives_back_every_field),
        cmocka_unit_test(test_a_record_with_one_payload_byte_changed_is_refused_as_forged),
        cmocka_unit_test(test_a_record_signed_by_a_key_the_issuer_does_not_hold_is_refused),
        cmocka_unit_test(test_a_stranger_claiming_the_issuers_kid_is_refused),
        cmocka_unit_test(test_a_record_issued_after_its_key_was_retired_is_refused),
        cmocka_unit_test(test_an_envelope_signed_by_the_same_key_is_not_taken_for_a_record),
        cmocka_unit_test(test_a_record_is_not_taken_for_an_envelope),
        cmocka_unit_test(test_signing_refuses_an_expiry_not_after_the_issue),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
