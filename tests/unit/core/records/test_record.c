/* test_record.c - tests core/record.c: the claims set's exact encoding (built
 * by hand from RFC 8392 and RFC 8949 §4.2.1), round trips, strict refusals,
 * and the key validity window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/record.h"

static uint8_t pk[32], sk[64];
static const uint8_t kid[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(pk, sk);
    return 0;
}

static void minimal(struct ac_record *r)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->iss, "a");
    strcpy(r->sub, "b");
    r->iat = 1;
    strcpy(r->definition_id, "d");
    r->definition_version = 1;
    strcpy(r->achieved_level, "p");
}

/* A realistic record: the sizes a node issues. */
static void full(struct ac_record *r)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->iss, "https://accord.district42.example");
    strcpy(r->sub, "sha256$4f1c9a7be02d3c8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a");
    strcpy(r->subject_salt, "00112233445566778899aabbccddeeff");
    r->iat = 1767225600; /* 2026-01-01T00:00:00Z */
    r->has_nbf = true;
    r->nbf = 1767225600;
    memset(r->cti, 0x5c, sizeof(r->cti));
    strcpy(r->definition_id, "formative-assessment-feedback");
    r->definition_version = 3;
    memset(r->content_hash, 0xc7, sizeof(r->content_hash));
    strcpy(r->achieved_level, "proficient");
    r->has_ceu = true;
    r->ceu_hundredths = 150;
    strcpy(r->evidence, "Two classroom videos and student work samples; reviewed by two certified "
                        "reviewers from a partner district; 4 of 4 criteria at proficient.");
    r->has_log_index = true;
    r->log_index = 123456;
    r->has_status = true;
    r->status_idx = 98765;
    strcpy(r->status_uri, "https://accord.district42.example/statuslists/1");
}

static struct ac_buf sign(const struct ac_record *r)
{
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0,
                     ac_record_sign(r, kid, sizeof(kid), ac_cose_sign_with_secret_key, sk, &out));
    return out;
}

static void test_minimal_claims_encode_to_hand_built_bytes(void **state)
{
    (void)state;
    struct ac_record r;
    minimal(&r);
    /* Keys in bytewise order of their encodings (RFC 8949 §4.2.1): 1, 2, 6, 7,
     * then -65537.. (0x3a 00 01 00 0n). */
    uint8_t want[128];
    size_t n = 0;
    static const uint8_t a[] = {0xa8, 0x01, 0x61, 'a', 0x02, 0x61, 'b', 0x06, 0x01, 0x07, 0x50};
    memcpy(want, a, sizeof(a));
    n = sizeof(a);
    memset(want + n, 0, 16);
    n += 16;
    static const uint8_t b[] = {0x3a, 0x00, 0x01, 0x00, 0x00, 0x61, 'd',  0x3a, 0x00, 0x01,
                                0x00, 0x01, 0x01, 0x3a, 0x00, 0x01, 0x00, 0x02, 0x58, 0x20};
    memcpy(want + n, b, sizeof(b));
    n += sizeof(b);
    memset(want + n, 0, 32);
    n += 32;
    static const uint8_t c[] = {0x3a, 0x00, 0x01, 0x00, 0x03, 0x61, 'p'};
    memcpy(want + n, c, sizeof(c));
    n += sizeof(c);

    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_record_encode_claims(&r, &out));
    assert_int_equal(n, out.len);
    assert_memory_equal(want, out.data, n);
    ac_buf_release(&out);
}

static void test_status_claim_encodes_as_the_status_list_reference(void **state)
{
    (void)state;
    struct ac_record r;
    minimal(&r);
    r.has_status = true;
    r.status_idx = 7;
    strcpy(r.status_uri, "u");
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_record_encode_claims(&r, &out));
    /* 65535: {"status_list": {"idx": 7, "uri": "u"}}, after cti (7) */
    static const uint8_t st[] = {0x19, 0xff, 0xff, 0xa1, 0x6b, 's', 't',  'a',  't', 'u',
                                 's',  '_',  'l',  'i',  's',  't', 0xa2, 0x63, 'i', 'd',
                                 'x',  0x07, 0x63, 'u',  'r',  'i', 0x61, 'u',  0x3a};
    int found = 0;
    for (size_t i = 0; i + sizeof(st) <= out.len; i++)
        found |= memcmp(out.data + i, st, sizeof(st)) == 0;
    assert_true(found);
    assert_int_equal(0xa9, out.data[0]); /* nine claims */
    ac_buf_release(&out);
}

static void test_subject_salt_encodes_as_private_claim_minus_65544(void **state)
{
    (void)state;
    struct ac_record r;
    minimal(&r);
    strcpy(r.subject_salt, "s1");
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_record_encode_claims(&r, &out));
    /* -65544 is negative integer 65543 = 0x10007: 0x3a 00 01 00 07, then
     * text(2) "s1"; it sorts last, after -65540 (0x3a 00 01 00 03). */
    static const uint8_t tail[] = {0x3a, 0x00, 0x01, 0x00, 0x07, 0x62, 's', '1'};
    assert_true(out.len > sizeof(tail));
    assert_memory_equal(tail, out.data + out.len - sizeof(tail), sizeof(tail));
    assert_int_equal(0xa9, out.data[0]); /* eight required claims and the salt */
    ac_buf_release(&out);
}

static void test_full_record_round_trips_every_claim(void **state)
{
    (void)state;
    struct ac_record r, back;
    full(&r);
    struct ac_buf m = sign(&r);
    struct ac_cose_sign1 msg;
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(0, ac_record_decode(m.data, m.len, &back, &msg, why, sizeof(why)));
    assert_memory_equal(&r, &back, sizeof(r));
    assert_int_equal(0, ac_cose_sign1_verify(&msg, pk));
    ac_buf_release(&m);
}

static void test_full_record_fits_well_under_a_kilobyte(void **state)
{
    (void)state;
    struct ac_record r;
    full(&r);
    struct ac_buf m = sign(&r);
    /* 604 bytes with the subject's salt: still QR version 17-L or so. */
    assert_true(m.len < 700);
    ac_buf_release(&m);
}

static void test_any_flipped_bit_in_a_record_is_refused_or_fails_verification(void **state)
{
    (void)state;
    struct ac_record r, back;
    full(&r);
    struct ac_buf m = sign(&r);
    for (size_t bit = 0; bit < m.len * 8; bit++) {
        m.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct ac_cose_sign1 msg;
        int rc = ac_record_decode(m.data, m.len, &back, &msg, NULL, 0);
        if (rc == 0)
            rc = ac_cose_sign1_verify(&msg, pk);
        if (rc == 0)
            fail_msg("bit %zu flipped still verifies", bit);
        m.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ac_buf_release(&m);
}

/* Signs a hand-built claims payload and returns the decode verdict's reason. */
static int decode_payload(const uint8_t *payload, size_t len, char *why, size_t whylen)
{
    struct ac_buf m = AC_BUF_INIT;
    assert_int_equal(
        0, ac_cose_sign1(payload, len, kid, sizeof(kid), ac_cose_sign_with_secret_key, sk, &m));
    struct ac_record back;
    struct ac_cose_sign1 msg;
    int rc = ac_record_decode(m.data, m.len, &back, &msg, why, whylen);
    ac_buf_release(&m);
    return rc;
}

static void test_missing_required_claim_is_named(void **state)
{
    (void)state;
    /* {1: "a", 2: "b", 6: 1} */
    static const uint8_t p[] = {0xa3, 0x01, 0x61, 'a', 0x02, 0x61, 'b', 0x06, 0x01};
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(AC_EPARSE, decode_payload(p, sizeof(p), why, sizeof(why)));
    assert_string_equal("claim cti (7): required but missing", why);
}

static void test_claim_of_the_wrong_type_is_named(void **state)
{
    (void)state;
    /* {1: "a", 6: "1"} */
    static const uint8_t p[] = {0xa2, 0x01, 0x61, 'a', 0x06, 0x61, '1'};
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(AC_EPARSE, decode_payload(p, sizeof(p), why, sizeof(why)));
    assert_string_equal("claim iat (6): expected an unsigned integer", why);
}

static void test_duplicate_claim_in_the_payload_is_refused(void **state)
{
    (void)state;
    /* {1: "a", 1: "b"} */
    static const uint8_t p[] = {0xa2, 0x01, 0x61, 'a', 0x01, 0x61, 'b'};
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(AC_EPARSE, decode_payload(p, sizeof(p), why, sizeof(why)));
    assert_non_null(strstr(why, "claims: offset 4: duplicate map key"));
}

static void test_unknown_claims_are_ignored(void **state)
{
    (void)state;
    struct ac_record r;
    minimal(&r);
    struct ac_buf claims = AC_BUF_INIT;
    assert_int_equal(0, ac_record_encode_claims(&r, &claims));
    /* Insert 99: 0 (0x18 0x63 0x00) after 7's value, before the 0x3a keys,
     * keeping the map sorted, and bump the count to nine. */
    uint8_t p[128];
    size_t at = 1 + 3 + 3 + 2 + 1 + 16 + 1; /* after a8, iss, sub, iat, cti */
    memcpy(p, claims.data, at);
    memcpy(p + at, "\x18\x63\x00", 3);
    memcpy(p + at + 3, claims.data + at, claims.len - at);
    p[0] = 0xa9;
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(0, decode_payload(p, claims.len + 3, why, sizeof(why)));
    ac_buf_release(&claims);
}

static void test_oversized_text_claim_is_refused_with_its_limit(void **state)
{
    (void)state;
    uint8_t p[300];
    size_t n = 0;
    p[n++] = 0xa1;
    p[n++] = 0x02;
    p[n++] = 0x78; /* text, one-byte length */
    p[n++] = 101;
    memset(p + n, 'x', 101);
    n += 101;
    char why[AC_RECORD_WHY_LEN];
    assert_int_equal(AC_EPARSE, decode_payload(p, n, why, sizeof(why)));
    assert_string_equal("claim sub (2): 101 bytes; at most 100 allowed", why);
}

static void test_empty_required_text_is_refused_when_encoding(void **state)
{
    (void)state;
    struct ac_record r;
    minimal(&r);
    r.iss[0] = '\0';
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(AC_EINVAL, ac_record_encode_claims(&r, &out));
    assert_int_equal(0, out.len);
}

static void test_key_window_admits_the_second_it_opened(void **state)
{
    (void)state;
    struct ac_key_info k = {.not_before_ms = 12500, .not_after_ms = 0};
    assert_true(ac_record_key_valid_at(&k, 12));
    assert_false(ac_record_key_valid_at(&k, 11));
}

static void test_retired_key_is_not_valid_from_its_retirement(void **state)
{
    (void)state;
    struct ac_key_info k = {.not_before_ms = 1000, .not_after_ms = 20000};
    assert_true(ac_record_key_valid_at(&k, 19));
    assert_false(ac_record_key_valid_at(&k, 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_claims_encode_to_hand_built_bytes),
        cmocka_unit_test(test_status_claim_encodes_as_the_status_list_reference),
        cmocka_unit_test(test_subject_salt_encodes_as_private_claim_minus_65544),
        cmocka_unit_test(test_full_record_round_trips_every_claim),
        cmocka_unit_test(test_full_record_fits_well_under_a_kilobyte),
        cmocka_unit_test(test_any_flipped_bit_in_a_record_is_refused_or_fails_verification),
        cmocka_unit_test(test_missing_required_claim_is_named),
        cmocka_unit_test(test_claim_of_the_wrong_type_is_named),
        cmocka_unit_test(test_duplicate_claim_in_the_payload_is_refused),
        cmocka_unit_test(test_unknown_claims_are_ignored),
        cmocka_unit_test(test_oversized_text_claim_is_refused_with_its_limit),
        cmocka_unit_test(test_empty_required_text_is_refused_when_encoding),
        cmocka_unit_test(test_key_window_admits_the_second_it_opened),
        cmocka_unit_test(test_retired_key_is_not_valid_from_its_retirement),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
