/* test_bundle.c - tests core/bundle.c (the credential bundle, versions 1
 * and 2) and core/status_token.c (the signed status snapshot a bundle
 * carries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/records/bundle.h"
#include "accord/base/error.h"
#include "accord/records/status.h"

#define H AC_MERKLE_HASH_BYTES
#define LOG_SIZE 13
#define ORIGIN "accord.example/log"

static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static const uint8_t kid[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* Stand-ins for signed records: the bundle treats a record as opaque bytes. */
static void record_bytes(uint64_t i, char out[32], size_t *len)
{
    *len = (size_t)snprintf(out, 32, "record number %llu", (unsigned long long)i);
}

static int log_leaf(void *ctx, uint64_t index, uint8_t out[H])
{
    (void)ctx;
    char r[32];
    size_t len;
    record_bytes(index, r, &len);
    ac_merkle_leaf_hash((const uint8_t *)r, len, out);
    return 0;
}

static int sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return crypto_sign_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : AC_ECRYPTO;
}

struct fixture {
    char record[32];
    struct ac_buf note, token, enc;
    struct ac_bundle b;
    struct ac_note_verifier v;
};

static void token_of(struct ac_status_list *l, struct ac_buf *out)
{
    struct ac_status_token_claims c = {.sub = "https://accord.example/status/1",
                                       .iat = 1700000000,
                                       .exp = 1700086400,
                                       .ttl = 3600};
    assert_int_equal(0, ac_status_token_sign(l, &c, kid, sizeof kid, sign_cb, sk, out));
}

/* A bundle for record 5 of a 13-record log. */
static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    struct ac_merkle_source src = {log_leaf, NULL, NULL};
    char origin[] = ORIGIN;
    struct ac_checkpoint cp = {.origin = origin, .size = LOG_SIZE};
    assert_int_equal(0, ac_merkle_root(&src, LOG_SIZE, cp.root));
    assert_int_equal(0, ac_checkpoint_sign(&cp, ORIGIN, pk, ac_note_sign_secret_key, sk, &f->note));
    assert_int_equal(0, ac_note_verifier_init(&f->v, ORIGIN, pk));

    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l));
    token_of(l, &f->token);
    ac_status_list_free(l);

    record_bytes(5, f->record, &f->b.record_len);
    f->b.record = (const uint8_t *)f->record;
    f->b.index = 5;
    f->b.size = LOG_SIZE;
    assert_int_equal(0, ac_merkle_inclusion_proof(&src, 5, LOG_SIZE, &f->b.proof));
    f->b.status = f->token.data;
    f->b.status_len = f->token.len;
    f->b.checkpoint = (const char *)f->note.data;
    f->b.checkpoint_len = f->note.len;
    assert_int_equal(0, ac_bundle_encode(&f->b, &f->enc));
}

static void fixture_release(struct fixture *f)
{
    ac_buf_release(&f->note);
    ac_buf_release(&f->token);
    ac_buf_release(&f->enc);
}

static void test_a_bundle_decodes_to_what_was_encoded(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct ac_bundle d;
    assert_int_equal(0, ac_bundle_decode(f.enc.data, f.enc.len, &d, NULL, 0));
    assert_int_equal(f.b.record_len, d.record_len);
    assert_memory_equal(f.b.record, d.record, d.record_len);
    assert_int_equal(5, d.index);
    assert_int_equal(LOG_SIZE, d.size);
    assert_int_equal(f.b.proof.count, d.proof.count);
    assert_memory_equal(f.b.proof.hash, d.proof.hash, d.proof.count * H);
    assert_int_equal(f.token.len, d.status_len);
    assert_int_equal(f.note.len, d.checkpoint_len);
    assert_memory_equal(f.note.data, d.checkpoint, d.checkpoint_len);
    fixture_release(&f);
}

static void test_the_bundle_starts_with_its_keys_in_deterministic_order(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    /* RFC 8949 §4.2.1 by hand: map(5) = 0xa5, then "v" = 0x61 0x76, 1 = 0x01,
     * then "log" = 0x63 'l' 'o' 'g', map(3) = 0xa3, "size" = 0x64 's'... */
    static const uint8_t head[] = {0xa5, 0x61, 'v', 0x01, 0x63, 'l', 'o',     'g',
                                   0xa3, 0x64, 's', 'i',  'z',  'e', LOG_SIZE};
    assert_memory_equal(head, f.enc.data, sizeof head);
    fixture_release(&f);
}

static void test_a_bundle_proves_its_record_is_in_the_signed_log(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct ac_bundle d;
    struct ac_checkpoint cp;
    assert_int_equal(0, ac_bundle_decode(f.enc.data, f.enc.len, &d, NULL, 0));
    assert_int_equal(0, ac_bundle_verify_log(&d, &f.v, 1, ORIGIN, &cp, NULL, 0));
    assert_int_equal(LOG_SIZE, cp.size);
    ac_checkpoint_release(&cp);
    fixture_release(&f);
}

static void test_a_bundle_with_another_record_fails_inclusion(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    char other[32];
    size_t len;
    record_bytes(6, other, &len); /* in the log, but not at index 5 */
    f.b.record = (const uint8_t *)other;
    f.b.record_len = len;
    char why[AC_BUNDLE_WHY_MAX];
    assert_int_equal(AC_ECRYPTO,
                     ac_bundle_verify_log(&f.b, &f.v, 1, ORIGIN, NULL, why, sizeof why));
    assert_non_null(strstr(why, "index 5"));
    fixture_release(&f);
}

static void test_a_bundle_whose_checkpoint_has_another_size_is_refused(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.b.size = LOG_SIZE + 1;
    assert_int_equal(AC_EPARSE, ac_bundle_verify_log(&f.b, &f.v, 1, ORIGIN, NULL, NULL, 0));
    fixture_release(&f);
}

static void test_a_bundle_checkpoint_by_an_untrusted_key_is_refused(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    uint8_t other_pk[32], other_sk[64];
    crypto_sign_keypair(other_pk, other_sk);
    struct ac_note_verifier v;
    assert_int_equal(0, ac_note_verifier_init(&v, ORIGIN, other_pk));
    assert_int_equal(AC_ENOENT, ac_bundle_verify_log(&f.b, &v, 1, ORIGIN, NULL, NULL, 0));
    fixture_release(&f);
}

static void test_every_single_bit_flip_in_a_bundle_is_caught(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    /* Each flipped bit must make the bundle undecodable, or make one of its
     * checks fail: the log check here, the status token's signature, or (for
     * record bytes) the inclusion proof. */
    for (size_t i = 0; i < f.enc.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            f.enc.data[i] ^= (uint8_t)(1 << bit);
            struct ac_bundle d;
            int ok = ac_bundle_decode(f.enc.data, f.enc.len, &d, NULL, 0) == 0 &&
                     ac_bundle_verify_log(&d, &f.v, 1, ORIGIN, NULL, NULL, 0) == 0;
            if (ok) {
                struct ac_status_token t;
                ok = ac_status_token_open(d.status, d.status_len, pk, &t, NULL, 0) == 0;
                if (ok)
                    ac_status_token_release(&t);
            }
            assert_false(ok);
            f.enc.data[i] ^= (uint8_t)(1 << bit);
        }
    fixture_release(&f);
}


static const char cosig_b[] = "\xe2\x80\x94 b.example AAAA\n";
static const char cosig_c[] = "\xe2\x80\x94 c.example BBBB\n";
static const uint8_t handover[] = {0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40};
static const char ob3_json[] = "{\"id\":\"urn:uuid:x\"}";

/* The fixture's bundle with every version 2 part added. */
static void add_v2_parts(struct fixture *f)
{
    f->b.ob3 = (const uint8_t *)ob3_json;
    f->b.ob3_len = strlen(ob3_json);
    f->b.keys[0] = (struct ac_bundle_part){handover, sizeof handover};
    f->b.nkeys = 1;
    f->b.cosigs[0] = (struct ac_bundle_part){(const uint8_t *)cosig_b, strlen(cosig_b)};
    f->b.cosigs[1] = (struct ac_bundle_part){(const uint8_t *)cosig_c, strlen(cosig_c)};
    f->b.ncosigs = 2;
    f->enc.len = 0;
    assert_int_equal(0, ac_bundle_encode(&f->b, &f->enc));
}

static void test_a_bundle_with_cosignatures_keys_and_ob3_is_version_2_and_decodes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    add_v2_parts(&f);
    /* map(8), "v" 2, then "log": the version says which parts to expect. */
    static const uint8_t head[] = {0xa8, 0x61, 'v', 0x02, 0x63, 'l', 'o', 'g'};
    assert_memory_equal(head, f.enc.data, sizeof head);
    struct ac_bundle d;
    char why[AC_BUNDLE_WHY_MAX] = "";
    assert_int_equal(0, ac_bundle_decode(f.enc.data, f.enc.len, &d, why, sizeof why));
    assert_int_equal(strlen(ob3_json), d.ob3_len);
    assert_memory_equal(ob3_json, d.ob3, d.ob3_len);
    assert_int_equal(1, d.nkeys);
    assert_memory_equal(handover, d.keys[0].data, sizeof handover);
    assert_int_equal(2, d.ncosigs);
    assert_memory_equal(cosig_c, d.cosigs[1].data, strlen(cosig_c));
    assert_int_equal(f.b.record_len, d.record_len);
    fixture_release(&f);
}

static void test_a_bundle_with_only_cosignatures_decodes_without_the_other_parts(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.b.cosigs[0] = (struct ac_bundle_part){(const uint8_t *)cosig_b, strlen(cosig_b)};
    f.b.ncosigs = 1;
    f.enc.len = 0;
    assert_int_equal(0, ac_bundle_encode(&f.b, &f.enc));
    struct ac_bundle d;
    assert_int_equal(0, ac_bundle_decode(f.enc.data, f.enc.len, &d, NULL, 0));
    assert_int_equal(1, d.ncosigs);
    assert_int_equal(0, d.nkeys);
    assert_null(d.ob3);
    fixture_release(&f);
}

static void test_version_2_parts_empty_or_without_a_newline_are_not_encoded(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    size_t len = f.enc.len;
    f.b.cosigs[0] = (struct ac_bundle_part){(const uint8_t *)cosig_b, strlen(cosig_b) - 1};
    f.b.ncosigs = 1;
    assert_int_equal(AC_EINVAL, ac_bundle_encode(&f.b, &f.enc));
    f.b.ncosigs = 0;
    f.b.keys[0] = (struct ac_bundle_part){handover, 0};
    f.b.nkeys = 1;
    assert_int_equal(AC_EINVAL, ac_bundle_encode(&f.b, &f.enc));
    f.b.nkeys = AC_BUNDLE_KEYS_MAX + 1;
    assert_int_equal(AC_EINVAL, ac_bundle_encode(&f.b, &f.enc));
    assert_int_equal(len, f.enc.len);
    fixture_release(&f);
}

static void test_a_version_1_bundle_claiming_a_version_2_part_is_refused(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    add_v2_parts(&f);
    struct ac_bundle d;
    char why[AC_BUNDLE_WHY_MAX];
    f.enc.data[3] = 0x01;
    assert_int_equal(AC_EPARSE, ac_bundle_decode(f.enc.data, f.enc.len, &d, why, sizeof why));
    assert_non_null(strstr(why, "version 1 with 8 parts"));
    fixture_release(&f);
}

static void test_a_cosignature_line_without_its_newline_is_refused_on_decode(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    add_v2_parts(&f);
    /* The last byte of the encoding is the last line's newline. */
    assert_int_equal('\n', f.enc.data[f.enc.len - 1]);
    f.enc.data[f.enc.len - 1] = 'x';
    struct ac_bundle d;
    char why[AC_BUNDLE_WHY_MAX];
    assert_int_equal(AC_EPARSE, ac_bundle_decode(f.enc.data, f.enc.len, &d, why, sizeof why));
    assert_non_null(strstr(why, "cosignatures[1]"));
    fixture_release(&f);
}

static void test_malformed_bundles_are_refused_with_a_reason(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct ac_bundle d;
    char why[AC_BUNDLE_WHY_MAX];
    /* Trailing bytes. */
    assert_int_equal(0, ac_buf_push(&f.enc, 0x00));
    assert_int_equal(AC_EPARSE, ac_bundle_decode(f.enc.data, f.enc.len, &d, why, sizeof why));
    f.enc.len--;
    /* Version 2 without any of its parts would be a second encoding of a
     * version 1 bundle. */
    f.enc.data[3] = 0x02;
    assert_int_equal(AC_EPARSE, ac_bundle_decode(f.enc.data, f.enc.len, &d, why, sizeof why));
    assert_non_null(strstr(why, "version 2 with 5 parts"));
    f.enc.data[3] = 0x03;
    assert_int_equal(AC_EPARSE, ac_bundle_decode(f.enc.data, f.enc.len, &d, why, sizeof why));
    assert_string_equal("bundle: v must be 1 or 2", why);
    f.enc.data[3] = 0x01;
    /* Truncated. */
    assert_int_equal(AC_EPARSE, ac_bundle_decode(f.enc.data, f.enc.len - 1, &d, why, sizeof why));
    /* A map with one extra key is not a bundle. */
    static const uint8_t extra[] = {0xa1, 0x61, 'x', 0x00};
    assert_int_equal(AC_EPARSE, ac_bundle_decode(extra, sizeof extra, &d, why, sizeof why));
    fixture_release(&f);
}

static void test_a_status_token_opens_with_its_claims_and_bits(void **state)
{
    (void)state;
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l));
    uint64_t a, b;
    assert_int_equal(0, ac_status_list_assign(l, &a));
    assert_int_equal(0, ac_status_list_assign(l, &b));
    assert_int_equal(0, ac_status_list_set(l, a, AC_STATUS_INVALID));
    assert_int_equal(0, ac_status_list_set(l, b, AC_STATUS_SUSPENDED));
    struct ac_buf tok = AC_BUF_INIT;
    token_of(l, &tok);
    /* Untagged: an array of four, not tag 18 (draft §5.2). */
    assert_int_equal(0x84, tok.data[0]);

    struct ac_status_token t;
    char why[AC_BUNDLE_WHY_MAX];
    assert_int_equal(0, ac_status_token_open(tok.data, tok.len, pk, &t, why, sizeof why));
    assert_string_equal("https://accord.example/status/1", t.sub);
    assert_int_equal(1700000000, t.iat);
    assert_int_equal(1700086400, t.exp);
    assert_int_equal(3600, t.ttl);
    assert_int_equal(2, t.bits);
    assert_int_equal(AC_STATUS_MIN_ENTRIES / 4, t.list.len);
    assert_memory_equal(kid, t.kid, sizeof kid);
    unsigned v;
    assert_int_equal(0, ac_status_token_get(&t, a, &v));
    assert_int_equal(AC_STATUS_INVALID, v);
    assert_int_equal(0, ac_status_token_get(&t, b, &v));
    assert_int_equal(AC_STATUS_SUSPENDED, v);
    assert_int_equal(AC_EINVAL, ac_status_token_get(&t, AC_STATUS_MIN_ENTRIES, &v));
    ac_status_token_release(&t);

    uint8_t k[AC_STATUS_TOKEN_KID_MAX];
    size_t klen;
    assert_int_equal(0, ac_status_token_kid(tok.data, tok.len, k, &klen));
    assert_int_equal(sizeof kid, klen);
    ac_buf_release(&tok);
    ac_status_list_free(l);
}

static void test_a_status_token_with_a_wrong_key_or_tag_is_refused(void **state)
{
    (void)state;
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l));
    struct ac_buf tok = AC_BUF_INIT;
    token_of(l, &tok);
    uint8_t other_pk[32], other_sk[64];
    crypto_sign_keypair(other_pk, other_sk);
    struct ac_status_token t;
    assert_int_equal(AC_ECRYPTO, ac_status_token_open(tok.data, tok.len, other_pk, &t, NULL, 0));
    /* The same token tagged 18 is not a Status List Token. */
    struct ac_buf tagged = AC_BUF_INIT;
    assert_int_equal(0, ac_buf_push(&tagged, 0xd2));
    assert_int_equal(0, ac_buf_append(&tagged, tok.data, tok.len));
    assert_int_equal(AC_EPARSE, ac_status_token_open(tagged.data, tagged.len, pk, &t, NULL, 0));
    ac_buf_release(&tagged);
    ac_buf_release(&tok);
    ac_status_list_free(l);
}

/* Signs a token of an all-valid list with exp |exp| into |out|. */
static void token_expiring(int64_t exp, struct ac_buf *out)
{
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l));
    struct ac_status_token_claims c = {
        .sub = "https://accord.example/status/1", .iat = 1700000000, .exp = exp, .ttl = 3600};
    assert_int_equal(0, ac_status_token_sign(l, &c, kid, sizeof kid, sign_cb, sk, out));
    ac_status_list_free(l);
}

static void test_a_status_token_time_past_int64_max_over_1000_seconds_is_refused(void **state)
{
    (void)state;
    struct ac_buf tok = AC_BUF_INIT;
    struct ac_status_token t;
    char why[AC_BUNDLE_WHY_MAX];
    /* The largest time whose milliseconds fit in an int64_t opens ... */
    token_expiring(INT64_MAX / 1000, &tok);
    assert_int_equal(0, ac_status_token_open(tok.data, tok.len, pk, &t, why, sizeof why));
    ac_status_token_release(&t);
    ac_buf_release(&tok);
    /* ... one second more would overflow a caller's "* 1000". */
    token_expiring(INT64_MAX / 1000 + 1, &tok);
    assert_int_equal(AC_EPARSE, ac_status_token_open(tok.data, tok.len, pk, &t, why, sizeof why));
    assert_non_null(strstr(why, "claim 4"));
    ac_buf_release(&tok);
}

/* Finds the empty unprotected header (a0) right after the protected bstr of
 * the untagged token at |d| (84 <bstr head> <protected>). */
static size_t unprotected_offset(const uint8_t *d)
{
    size_t plen = d[1] & 0x1f, off = 2;
    if (plen == 24)
        plen = d[off++];
    return off + plen;
}

static void test_a_status_token_with_an_unprotected_header_entry_is_refused(void **state)
{
    (void)state;
    struct ac_status_list *l;
    assert_int_equal(0, ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l));
    struct ac_buf tok = AC_BUF_INIT;
    token_of(l, &tok);
    size_t off = unprotected_offset(tok.data);
    assert_int_equal(0xa0, tok.data[off]);
    /* {"x": h'686921'}: unsigned, so the signature still verifies. */
    static const uint8_t extra[] = {0xa1, 0x61, 'x', 0x43, 'h', 'i', '!'};
    struct ac_buf m = AC_BUF_INIT;
    assert_int_equal(0, ac_buf_append(&m, tok.data, off));
    assert_int_equal(0, ac_buf_append(&m, extra, sizeof extra));
    assert_int_equal(0, ac_buf_append(&m, tok.data + off + 1, tok.len - off - 1));
    struct ac_status_token t;
    char why[AC_BUNDLE_WHY_MAX];
    assert_int_equal(AC_EPARSE, ac_status_token_open(m.data, m.len, pk, &t, why, sizeof why));
    assert_non_null(strstr(why, "unprotected header"));
    ac_buf_release(&m);
    ac_buf_release(&tok);
    ac_status_list_free(l);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(pk, sk);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_bundle_decodes_to_what_was_encoded),
        cmocka_unit_test(test_the_bundle_starts_with_its_keys_in_deterministic_order),
        cmocka_unit_test(test_a_bundle_proves_its_record_is_in_the_signed_log),
        cmocka_unit_test(test_a_bundle_with_another_record_fails_inclusion),
        cmocka_unit_test(test_a_bundle_whose_checkpoint_has_another_size_is_refused),
        cmocka_unit_test(test_a_bundle_checkpoint_by_an_untrusted_key_is_refused),
        cmocka_unit_test(test_every_single_bit_flip_in_a_bundle_is_caught),
        cmocka_unit_test(test_malformed_bundles_are_refused_with_a_reason),
        cmocka_unit_test(test_a_bundle_with_cosignatures_keys_and_ob3_is_version_2_and_decodes),
        cmocka_unit_test(test_a_bundle_with_only_cosignatures_decodes_without_the_other_parts),
        cmocka_unit_test(test_version_2_parts_empty_or_without_a_newline_are_not_encoded),
        cmocka_unit_test(test_a_version_1_bundle_claiming_a_version_2_part_is_refused),
        cmocka_unit_test(test_a_cosignature_line_without_its_newline_is_refused_on_decode),
        cmocka_unit_test(test_a_status_token_opens_with_its_claims_and_bits),
        cmocka_unit_test(test_a_status_token_with_a_wrong_key_or_tag_is_refused),
        cmocka_unit_test(test_a_status_token_with_an_unprotected_header_entry_is_refused),
        cmocka_unit_test(test_a_status_token_time_past_int64_max_over_1000_seconds_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
