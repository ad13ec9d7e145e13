/* test_cose.c - tests core/cose.c: COSE_Sign1 structure against the COSE WG
 * example eddsa-sig-02, signatures checked with libsodium over Sig_structures
 * built by hand here, and every refusal the parser must make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/sign/cose.h"
#include "accord/base/error.h"

/* RFC 8032 §7.1 TEST 1: secret seed and its public key. */
static const uint8_t rfc8032_seed[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
static const uint8_t rfc8032_pub[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};

static uint8_t sk[64];
static const uint8_t kid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const char content[] = "This is the content."; /* 20 bytes */

static int setup(void **state)
{
    (void)state;
    uint8_t pk[32];
    if (sodium_init() < 0)
        return -1;
    crypto_sign_seed_keypair(pk, sk, rfc8032_seed);
    return memcmp(pk, rfc8032_pub, 32) == 0 ? 0 : -1;
}

static size_t load(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* Builds 18([prot, unprot, payload, sig]) where sig is an Ed25519 signature
 * over a Sig_structure concatenated by hand (RFC 9052 §4.4), so the message's
 * fate depends only on its headers. prot and unprot are encoded header maps. */
static size_t build_signed(const uint8_t *prot, size_t plen, const uint8_t *unprot, size_t ulen,
                           uint8_t *out)
{
    uint8_t tbs[256];
    size_t t = 0;
    memcpy(tbs, "\x84\x6aSignature1", 12);
    t = 12;
    tbs[t++] = (uint8_t)(0x40 | plen); /* plen < 24 in these tests */
    memcpy(tbs + t, prot, plen);
    t += plen;
    tbs[t++] = 0x40;
    tbs[t++] = 0x54; /* 20-byte payload */
    memcpy(tbs + t, content, 20);
    t += 20;
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, tbs, t, sk);

    size_t n = 0;
    out[n++] = 0xd2;
    out[n++] = 0x84;
    out[n++] = (uint8_t)(0x40 | plen);
    memcpy(out + n, prot, plen);
    n += plen;
    memcpy(out + n, unprot, ulen);
    n += ulen;
    out[n++] = 0x54;
    memcpy(out + n, content, 20);
    n += 20;
    out[n++] = 0x58;
    out[n++] = 0x40;
    memcpy(out + n, sig, 64);
    return n + 64;
}

static struct ac_buf sign_content(void)
{
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_cose_sign1((const uint8_t *)content, 20, kid, sizeof(kid),
                                      ac_cose_sign_with_secret_key, sk, &out));
    return out;
}

static void test_signed_message_has_the_rfc9052_layout(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    /* Hand-encoded: tag 18, array(4), bstr(13) {1: -8, 4: h'0102..08'}, {},
     * bstr(20) payload, bstr(64) signature. */
    static const uint8_t head[] = {0xd2, 0x84, 0x4d, 0xa2, 0x01, 0x27, 0x04, 0x48, 1,
                                   2,    3,    4,    5,    6,    7,    8,    0xa0, 0x54};
    assert_int_equal(sizeof(head) + 20 + 2 + 64, m.len);
    assert_memory_equal(head, m.data, sizeof(head));
    assert_memory_equal(content, m.data + sizeof(head), 20);
    assert_int_equal(0x58, m.data[sizeof(head) + 20]);
    assert_int_equal(0x40, m.data[sizeof(head) + 21]);
    ac_buf_release(&m);
}

static void test_signature_verifies_over_a_hand_built_sig_structure(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    uint8_t tbs[64];
    size_t t = 0;
    memcpy(tbs, "\x84\x6aSignature1", 12);
    t = 12;
    tbs[t++] = 0x4d;
    memcpy(tbs + t, m.data + 3, 13);
    t += 13;
    tbs[t++] = 0x40;
    tbs[t++] = 0x54;
    memcpy(tbs + t, content, 20);
    t += 20;
    const uint8_t *sig = m.data + m.len - 64;
    assert_int_equal(0, crypto_sign_verify_detached(sig, tbs, t, rfc8032_pub));
    ac_buf_release(&m);
}

static void test_signed_message_parses_and_verifies(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(0, ac_cose_sign1_parse(m.data, m.len, &msg, why, sizeof(why)));
    assert_int_equal(AC_COSE_ALG_EDDSA, msg.alg);
    assert_int_equal(8, msg.kid_len);
    assert_memory_equal(kid, msg.kid, 8);
    assert_true(msg.kid_protected);
    assert_int_equal(20, msg.payload_len);
    assert_int_equal(0, ac_cose_sign1_verify(&msg, rfc8032_pub));
    ac_buf_release(&m);
}

static void
test_content_type_is_read_back_from_a_typed_message_and_absent_from_an_untyped_one(void **state)
{
    (void)state;
    struct ac_buf typed = AC_BUF_INIT;
    assert_int_equal(0, ac_cose_sign1_typed((const uint8_t *)content, 20, kid, sizeof kid,
                                            "application/test", ac_cose_sign_with_secret_key, sk,
                                            &typed));
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(0, ac_cose_sign1_parse(typed.data, typed.len, &msg, why, sizeof(why)));
    const char *type = NULL;
    size_t len = 0;
    assert_int_equal(0, ac_cose_sign1_content_type(&msg, &type, &len));
    assert_int_equal(strlen("application/test"), len);
    assert_memory_equal("application/test", type, len);
    ac_buf_release(&typed);

    struct ac_buf plain = sign_content();
    assert_int_equal(0, ac_cose_sign1_parse(plain.data, plain.len, &msg, why, sizeof(why)));
    assert_int_equal(AC_ENOENT, ac_cose_sign1_content_type(&msg, &type, &len));
    ac_buf_release(&plain);
}

static void test_wrong_key_fails_verification(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    struct ac_cose_sign1 msg;
    assert_int_equal(0, ac_cose_sign1_parse(m.data, m.len, &msg, NULL, 0));
    uint8_t other[32];
    memcpy(other, rfc8032_pub, 32);
    other[0] ^= 1;
    assert_int_equal(AC_ECRYPTO, ac_cose_sign1_verify(&msg, other));
    ac_buf_release(&m);
}

static void test_any_flipped_bit_is_refused_or_fails_verification(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    for (size_t bit = 0; bit < m.len * 8; bit++) {
        m.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct ac_cose_sign1 msg;
        int rc = ac_cose_sign1_parse(m.data, m.len, &msg, NULL, 0);
        if (rc == 0)
            rc = ac_cose_sign1_verify(&msg, rfc8032_pub);
        if (rc == 0)
            fail_msg("bit %zu flipped still verifies", bit);
        m.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ac_buf_release(&m);
}

static void test_fully_specified_ed25519_alg_is_accepted(void **state)
{
    (void)state;
    static const uint8_t prot[] = {0xa2, 0x01, 0x32, 0x04, 0x41, 0x07}; /* {1: -19, 4: h'07'} */
    uint8_t m[256];
    size_t n = build_signed(prot, sizeof(prot), (const uint8_t *)"\xa0", 1, m);
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(0, ac_cose_sign1_parse(m, n, &msg, why, sizeof(why)));
    assert_int_equal(AC_COSE_ALG_ED25519, msg.alg);
    assert_int_equal(0, ac_cose_sign1_verify(&msg, rfc8032_pub));
}

static void assert_refused(const uint8_t *prot, size_t plen, const uint8_t *unprot, size_t ulen,
                           const char *reason)
{
    uint8_t m[256];
    size_t n = build_signed(prot, plen, unprot, ulen, m);
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cose_sign1_parse(m, n, &msg, why, sizeof(why)));
    if (!strstr(why, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
}

static void test_other_algorithms_are_refused(void **state)
{
    (void)state;
    static const uint8_t prot[] = {0xa1, 0x01, 0x26}; /* {1: -7} ES256 */
    assert_refused(prot, sizeof(prot), (const uint8_t *)"\xa0", 1, "alg -7 is not supported");
}

static void test_unknown_critical_header_is_refused(void **state)
{
    (void)state;
    /* {1: -8, 2: [99], 99: 0} */
    static const uint8_t prot[] = {0xa3, 0x01, 0x27, 0x02, 0x81, 0x18, 0x63, 0x18, 0x63, 0x00};
    assert_refused(prot, sizeof(prot), (const uint8_t *)"\xa0", 1,
                   "unknown critical header label 99");
}

static void test_alg_in_the_unprotected_header_is_refused(void **state)
{
    (void)state;
    static const uint8_t prot[] = {0xa1, 0x04, 0x41, 0x07}; /* {4: h'07'} */
    static const uint8_t unprot[] = {0xa1, 0x01, 0x27};     /* {1: -8} */
    assert_refused(prot, sizeof(prot), unprot, sizeof(unprot), "alg must be in the protected");
}

static void test_unsorted_protected_header_is_refused(void **state)
{
    (void)state;
    static const uint8_t prot[] = {0xa2, 0x04, 0x41, 0x07, 0x01, 0x27}; /* {4: .., 1: -8} */
    assert_refused(prot, sizeof(prot), (const uint8_t *)"\xa0", 1, "lexicographic order");
}

static void test_non_shortest_length_in_the_message_is_refused(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    /* Re-encode the 20-byte payload's length as 0x58 0x14 (one-byte form). */
    uint8_t bad[256];
    size_t at = 17; /* offset of the payload head 0x54 */
    assert_int_equal(0x54, m.data[at]);
    memcpy(bad, m.data, at);
    bad[at] = 0x58;
    bad[at + 1] = 0x14;
    memcpy(bad + at + 2, m.data + at + 1, m.len - at - 1);
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cose_sign1_parse(bad, m.len + 1, &msg, why, sizeof(why)));
    assert_non_null(strstr(why, "shortest"));
    ac_buf_release(&m);
}

static void test_untagged_message_is_refused(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cose_sign1_parse(m.data + 1, m.len - 1, &msg, why, sizeof(why)));
    assert_non_null(strstr(why, "tag 18"));
    ac_buf_release(&m);
}

static void test_trailing_bytes_after_the_message_are_refused(void **state)
{
    (void)state;
    struct ac_buf m = sign_content();
    ac_buf_push(&m, 0x00);
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cose_sign1_parse(m.data, m.len, &msg, why, sizeof(why)));
    assert_non_null(strstr(why, "trailing bytes"));
    ac_buf_release(&m);
}

static void test_cose_wg_eddsa_sig_02_parses_to_its_published_sig_structure(void **state)
{
    (void)state;
    uint8_t m[512], tbs[128];
    size_t n = load("vectors/cose_wg_eddsa_sig_02.cbor", m, sizeof(m));
    size_t tn = load("vectors/cose_wg_eddsa_sig_02.tbs", tbs, sizeof(tbs));
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(0, ac_cose_sign1_parse_any_alg(m, n, &msg, why, sizeof(why)));
    assert_int_equal(AC_COSE_ALG_EDDSA, msg.alg);
    assert_int_equal(5, msg.kid_len);
    assert_memory_equal("3d448", msg.kid, 5);
    assert_false(msg.kid_protected);
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_cose_sig_structure(&msg, &out));
    assert_int_equal(tn, out.len);
    assert_memory_equal(tbs, out.data, tn);
    ac_buf_release(&out);
}

static void test_cose_wg_ed448_signature_is_refused_by_the_strict_parser(void **state)
{
    (void)state;
    uint8_t m[512];
    size_t n = load("vectors/cose_wg_eddsa_sig_02.cbor", m, sizeof(m));
    struct ac_cose_sign1 msg;
    char why[AC_COSE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_cose_sign1_parse(m, n, &msg, why, sizeof(why)));
    assert_string_equal("COSE_Sign1: signature of 114 bytes; Ed25519 needs 64", why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_message_has_the_rfc9052_layout),
        cmocka_unit_test(test_signature_verifies_over_a_hand_built_sig_structure),
        cmocka_unit_test(test_signed_message_parses_and_verifies),
        cmocka_unit_test(
            test_content_type_is_read_back_from_a_typed_message_and_absent_from_an_untyped_one),
        cmocka_unit_test(test_wrong_key_fails_verification),
        cmocka_unit_test(test_any_flipped_bit_is_refused_or_fails_verification),
        cmocka_unit_test(test_fully_specified_ed25519_alg_is_accepted),
        cmocka_unit_test(test_other_algorithms_are_refused),
        cmocka_unit_test(test_unknown_critical_header_is_refused),
        cmocka_unit_test(test_alg_in_the_unprotected_header_is_refused),
        cmocka_unit_test(test_unsorted_protected_header_is_refused),
        cmocka_unit_test(test_non_shortest_length_in_the_message_is_refused),
        cmocka_unit_test(test_untagged_message_is_refused),
        cmocka_unit_test(test_trailing_bytes_after_the_message_are_refused),
        cmocka_unit_test(test_cose_wg_eddsa_sig_02_parses_to_its_published_sig_structure),
        cmocka_unit_test(test_cose_wg_ed448_signature_is_refused_by_the_strict_parser),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
