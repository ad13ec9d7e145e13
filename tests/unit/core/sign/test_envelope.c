/* test_envelope.c - tests core/sign/envelope.c: the exact payload bytes of an
 * envelope (written out by hand from RFC 8949 §4.2.1's key order), the
 * protected content type that keeps envelopes and records apart, and every
 * refusal the parser and decoder must make. */
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
#include "accord/sign/cose.h"
#include "accord/sign/envelope.h"

/* RFC 8032 §7.1 TEST 1 seed. */
static const uint8_t seed[32] = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
                                 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
                                 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
static uint8_t pk[32], sk[64], other_pk[32], other_sk[64];
static const uint8_t kid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t body_one[] = {0xa1, 0x61, 'n', 0x01}; /* {"n": 1} */

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_keypair(other_pk, other_sk);
    return 0;
}

static struct ac_envelope sample(void)
{
    struct ac_envelope e = {.ts_ms = 1000, .body = body_one, .body_len = sizeof body_one};
    strcpy(e.type, "ping");
    strcpy(e.id, "m1");
    strcpy(e.from, "a.example");
    strcpy(e.to, "b.example");
    return e;
}

static void sign_sample(struct ac_buf *out)
{
    struct ac_envelope e = sample();
    assert_int_equal(0, ac_envelope_sign(&e, kid, sizeof kid, ac_cose_sign_with_secret_key, sk,
                                         out));
}

static void test_payload_is_the_deterministic_map_in_key_order(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&b);
    struct ac_cose_sign1 m;
    assert_int_equal(0, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    /* Keys sort by their encodings: shorter first, then bytewise: v, id, to,
     * ts, body, from, type. ts 1000 is 0x19 0x03e8. */
    static const uint8_t want[] = {
        0xa7, 0x61, 'v',  0x01,                                                   /* v: 1 */
        0x62, 'i',  'd',  0x62, 'm', '1',                                         /* id */
        0x62, 't',  'o',  0x69, 'b', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',      /* to */
        0x62, 't',  's',  0x19, 0x03, 0xe8,                                       /* ts */
        0x64, 'b',  'o',  'd',  'y', 0xa1, 0x61, 'n', 0x01,                       /* body */
        0x64, 'f',  'r',  'o',  'm', 0x69, 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', /* from */
        0x64, 't',  'y',  'p',  'e', 0x64, 'p', 'i', 'n', 'g'};                    /* type */
    assert_int_equal(sizeof want, m.payload_len);
    assert_memory_equal(want, m.payload, sizeof want);
    ac_buf_release(&b);
}

static void test_protected_header_carries_alg_content_type_and_kid(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&b);
    struct ac_cose_sign1 m;
    assert_int_equal(0, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    /* {1: -8, 3: "application/accord-envelope+cbor" (32 bytes), 4: h'0102..08'} */
    uint8_t want[3 + 3 + 32 + 2 + 8];
    size_t n = 0;
    want[n++] = 0xa3;
    want[n++] = 0x01;
    want[n++] = 0x27;
    want[n++] = 0x03;
    want[n++] = 0x78;
    want[n++] = 32;
    memcpy(want + n, "application/accord-envelope+cbor", 32);
    n += 32;
    want[n++] = 0x04;
    want[n++] = 0x48;
    memcpy(want + n, kid, 8);
    n += 8;
    assert_int_equal(n, m.protected_len);
    assert_memory_equal(want, m.protected_hdr, n);
    ac_buf_release(&b);
}

static void test_signed_envelope_verifies_and_decodes_to_its_fields(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&b);
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    assert_int_equal(0, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    assert_int_equal(0, ac_envelope_verify(&m, pk));
    assert_int_equal(0, ac_envelope_decode(&m, &e, NULL, 0));
    assert_string_equal("ping", e.type);
    assert_string_equal("m1", e.id);
    assert_string_equal("a.example", e.from);
    assert_string_equal("b.example", e.to);
    assert_int_equal(1000, e.ts_ms);
    assert_int_equal(sizeof body_one, e.body_len);
    assert_memory_equal(body_one, e.body, sizeof body_one);
    ac_buf_release(&b);
}

static void test_envelope_does_not_verify_with_another_key(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&b);
    struct ac_cose_sign1 m;
    assert_int_equal(0, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    assert_int_equal(AC_ECRYPTO, ac_envelope_verify(&m, other_pk));
    ac_buf_release(&b);
}

static void test_one_changed_payload_byte_breaks_the_signature(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    sign_sample(&b);
    /* The last payload byte is the 'g' of "ping"; make it "pinh". */
    size_t at = b.len - 64 - 2 - 1;
    assert_int_equal('g', b.data[at]);
    b.data[at] = 'h';
    struct ac_cose_sign1 m;
    assert_int_equal(0, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    assert_int_equal(AC_ECRYPTO, ac_envelope_verify(&m, pk));
    ac_buf_release(&b);
}

static void test_a_record_style_cose_sign1_is_not_an_envelope(void **state)
{
    (void)state;
    /* What records and status tokens are: protected {1: -8, 4: kid}. */
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac_cose_sign1(body_one, sizeof body_one, kid, sizeof kid,
                                      ac_cose_sign_with_secret_key, sk, &b));
    struct ac_cose_sign1 m;
    char why[AC_ENVELOPE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_envelope_parse(b.data, b.len, &m, why, sizeof why));
    assert_non_null(strstr(why, "content type (3) is missing"));
    ac_buf_release(&b);
}

/* Appends a byte-string head for |len| (< 256) in its shortest form. */
static size_t bstr_head(uint8_t *out, size_t len)
{
    if (len < 24) {
        out[0] = (uint8_t)(0x40 | len);
        return 1;
    }
    out[0] = 0x58;
    out[1] = (uint8_t)len;
    return 2;
}

/* Builds a signed COSE_Sign1 with protected header |prot| and |payload|,
 * signed correctly, so only the contents decide its fate. */
static size_t build(const uint8_t *prot, size_t plen, const uint8_t *unprot, size_t ulen,
                    const uint8_t *payload, size_t paylen, uint8_t *out)
{
    uint8_t tbs[512];
    size_t t = 0;
    memcpy(tbs, "\x84\x6aSignature1", 12);
    t = 12;
    t += bstr_head(tbs + t, plen);
    memcpy(tbs + t, prot, plen);
    t += plen;
    tbs[t++] = 0x40;
    t += bstr_head(tbs + t, paylen);
    memcpy(tbs + t, payload, paylen);
    t += paylen;
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, tbs, t, sk);
    size_t n = 0;
    out[n++] = 0xd2;
    out[n++] = 0x84;
    n += bstr_head(out + n, plen);
    memcpy(out + n, prot, plen);
    n += plen;
    memcpy(out + n, unprot, ulen);
    n += ulen;
    n += bstr_head(out + n, paylen);
    memcpy(out + n, payload, paylen);
    n += paylen;
    out[n++] = 0x58;
    out[n++] = 64;
    memcpy(out + n, sig, 64);
    return n + 64;
}

/* {1: -8, 3: <ct>, 4: h'01'} */
static size_t prot_with_type(const char *ct, uint8_t *out)
{
    size_t n = 0, len = strlen(ct);
    out[n++] = 0xa3;
    out[n++] = 0x01;
    out[n++] = 0x27;
    out[n++] = 0x03;
    out[n++] = (uint8_t)(len < 24 ? 0x60 | len : 0x78);
    if (len >= 24)
        out[n++] = (uint8_t)len;
    memcpy(out + n, ct, len);
    n += len;
    out[n++] = 0x04;
    out[n++] = 0x41;
    out[n++] = 0x01;
    return n;
}

static void test_another_content_type_is_refused(void **state)
{
    (void)state;
    uint8_t prot[64], msg[512];
    size_t plen = prot_with_type("application/cwt", prot);
    size_t n = build(prot, plen, (const uint8_t *)"\xa0", 1, body_one, sizeof body_one, msg);
    struct ac_cose_sign1 m;
    char why[AC_ENVELOPE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_envelope_parse(msg, n, &m, why, sizeof why));
    assert_non_null(strstr(why, "\"application/cwt\" is not an envelope's"));
}

static void test_an_unprotected_header_entry_is_refused(void **state)
{
    (void)state;
    uint8_t prot[64], msg[512];
    size_t plen = prot_with_type(AC_ENVELOPE_CONTENT_TYPE, prot);
    /* {5: h'00'}: an IV, meaningless here, but unsigned. */
    size_t n = build(prot, plen, (const uint8_t *)"\xa1\x05\x41\x00", 4, body_one,
                     sizeof body_one, msg);
    struct ac_cose_sign1 m;
    char why[AC_ENVELOPE_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_envelope_parse(msg, n, &m, why, sizeof why));
    assert_non_null(strstr(why, "unprotected header"));
}

static void expect_decode_refusal(const uint8_t *payload, size_t len, const char *reason)
{
    uint8_t prot[64], msg[512];
    size_t plen = prot_with_type(AC_ENVELOPE_CONTENT_TYPE, prot);
    size_t n = build(prot, plen, (const uint8_t *)"\xa0", 1, payload, len, msg);
    struct ac_cose_sign1 m;
    struct ac_envelope e;
    char why[AC_ENVELOPE_WHY_LEN];
    assert_int_equal(0, ac_envelope_parse(msg, n, &m, NULL, 0));
    assert_int_equal(0, ac_envelope_verify(&m, pk));
    assert_int_equal(AC_EPARSE, ac_envelope_decode(&m, &e, why, sizeof why));
    if (!strstr(why, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
}

static void test_decode_refuses_version_two(void **state)
{
    (void)state;
    static const uint8_t p[] = {0xa7, 0x61, 'v', 0x02, 0x62, 'i', 'd', 0x61, 'x', 0x62, 't', 'o',
                                0x61, 'b', 0x62, 't', 's', 0x00, 0x64, 'b', 'o', 'd', 'y', 0xf6,
                                0x64, 'f', 'r', 'o', 'm', 0x61, 'a', 0x64, 't', 'y', 'p', 'e',
                                0x61, 'p'};
    expect_decode_refusal(p, sizeof p, "envelope v: must be 1");
}

static void test_decode_refuses_a_missing_field(void **state)
{
    (void)state;
    /* Six keys: no "to". */
    static const uint8_t p[] = {0xa6, 0x61, 'v', 0x01, 0x62, 'i', 'd', 0x61, 'x', 0x62, 't',
                                's',  0x00, 0x64, 'b', 'o', 'd', 'y', 0xf6, 0x64, 'f', 'r',
                                'o',  'm',  0x61, 'a', 0x64, 't', 'y', 'p', 'e', 0x61, 'p'};
    expect_decode_refusal(p, sizeof p, "exactly v, type, id, from, to, ts, body");
}

static void test_decode_refuses_a_sender_that_is_not_a_node_id(void **state)
{
    (void)state;
    static const uint8_t p[] = {0xa7, 0x61, 'v', 0x01, 0x62, 'i', 'd', 0x61, 'x', 0x62, 't', 'o',
                                0x61, 'b', 0x62, 't', 's', 0x00, 0x64, 'b', 'o', 'd', 'y', 0xf6,
                                0x64, 'f', 'r', 'o', 'm', 0x62, 'A', '!', 0x64, 't', 'y', 'p',
                                'e',  0x61, 'p'};
    expect_decode_refusal(p, sizeof p, "envelope from: \"A!\" must be a node id");
}

static void test_signing_refuses_a_body_that_is_not_one_cbor_item(void **state)
{
    (void)state;
    struct ac_envelope e = sample();
    static const uint8_t two[] = {0x01, 0x02};
    e.body = two;
    e.body_len = sizeof two;
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(AC_EINVAL, ac_envelope_sign(&e, kid, sizeof kid,
                                                 ac_cose_sign_with_secret_key, sk, &b));
    assert_int_equal(0, b.len);
    char why[AC_ENVELOPE_WHY_LEN];
    assert_int_equal(AC_EINVAL, ac_envelope_check(&e, why, sizeof why));
    assert_non_null(strstr(why, "envelope body"));
}

static void test_signing_refuses_a_type_with_capitals(void **state)
{
    (void)state;
    struct ac_envelope e = sample();
    strcpy(e.type, "Ping");
    char why[AC_ENVELOPE_WHY_LEN];
    assert_int_equal(AC_EINVAL, ac_envelope_check(&e, why, sizeof why));
    assert_non_null(strstr(why, "envelope type: \"Ping\""));
}

static void test_a_document_for_anyone_is_addressed_to_a_star(void **state)
{
    (void)state;
    struct ac_envelope e = sample();
    strcpy(e.to, AC_ENVELOPE_TO_ANYONE);
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac_envelope_sign(&e, kid, sizeof kid, ac_cose_sign_with_secret_key, sk,
                                         &b));
    struct ac_cose_sign1 m;
    struct ac_envelope got;
    assert_int_equal(0, ac_envelope_parse(b.data, b.len, &m, NULL, 0));
    assert_int_equal(0, ac_envelope_verify(&m, pk));
    assert_int_equal(0, ac_envelope_decode(&m, &got, NULL, 0));
    assert_string_equal("*", got.to);
    ac_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_is_the_deterministic_map_in_key_order),
        cmocka_unit_test(test_protected_header_carries_alg_content_type_and_kid),
        cmocka_unit_test(test_signed_envelope_verifies_and_decodes_to_its_fields),
        cmocka_unit_test(test_envelope_does_not_verify_with_another_key),
        cmocka_unit_test(test_one_changed_payload_byte_breaks_the_signature),
        cmocka_unit_test(test_a_record_style_cose_sign1_is_not_an_envelope),
        cmocka_unit_test(test_another_content_type_is_refused),
        cmocka_unit_test(test_an_unprotected_header_entry_is_refused),
        cmocka_unit_test(test_decode_refuses_version_two),
        cmocka_unit_test(test_decode_refuses_a_missing_field),
        cmocka_unit_test(test_decode_refuses_a_sender_that_is_not_a_node_id),
        cmocka_unit_test(test_signing_refuses_a_body_that_is_not_one_cbor_item),
        cmocka_unit_test(test_signing_refuses_a_type_with_capitals),
        cmocka_unit_test(test_a_document_for_anyone_is_addressed_to_a_star),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
