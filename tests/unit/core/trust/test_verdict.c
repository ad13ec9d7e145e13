/* test_verdict.c - tests core/trust/verdict.c: the checks of one record
 * against a trust, offline and through a fetcher, and the verdict rule that
 * something unchecked is indeterminate, never valid. Records and status tokens
 * are signed here with keys made for the test; the fetcher is a table of
 * answers, as the node's or accord-verify's would give them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/records/status.h"
#include "accord/sign/cose.h"
#include "accord/trust/verdict.h"

#define ISS "https://accord.district42.example"
#define STATUS_URI ISS "/statuslists/1"

/* 2026-01-01T00:00:00Z, the verifier's clock in every test. */
#define NOW_S 1767225600
/* The old key signed from 2025-01-01 until it was retired on 2025-07-01;
 * the new key has signed since. */
#define OLD_FROM_S 1735689600
#define ROTATED_S 1751328000

static uint8_t old_pk[32], old_sk[64], new_pk[32], new_sk[64];
static struct ac_key_info keys[2]; /* [0] old (retired), [1] new (current) */
static struct ac_trust_issuer issuer;
static struct ac_trust trust;

static void key_info(struct ac_key_info *k, const uint8_t pk[32], int64_t from_s, int64_t until_s)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->public_key, pk, 32);
    ac_key_id(pk, k->kid);
    sodium_bin2hex(k->kid_hex, sizeof(k->kid_hex), k->kid, sizeof(k->kid));
    k->not_before_ms = from_s * 1000;
    k->not_after_ms = until_s * 1000;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(old_pk, old_sk);
    crypto_sign_keypair(new_pk, new_sk);
    key_info(&keys[0], old_pk, OLD_FROM_S, ROTATED_S);
    key_info(&keys[1], new_pk, ROTATED_S, 0);
    issuer.iss = ISS;
    issuer.keys = keys;
    issuer.nkeys = 2;
    trust.issuers = &issuer;
    trust.n = 1;
    return 0;
}

/* A record as the issuer writes it, issued at |iat_s|, with a status
 * reference at |status_idx| when it is not negative. */
static void record(struct ac_record *r, int64_t iat_s, int64_t status_idx)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->iss, ISS);
    strcpy(r->sub, "sha256$4f1c9a7be02d3c8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a");
    r->iat = iat_s;
    memset(r->cti, 0x5c, sizeof(r->cti));
    strcpy(r->definition_id, "formative-assessment-feedback");
    r->definition_version = 3;
    memset(r->content_hash, 0xc7, sizeof(r->content_hash));
    strcpy(r->achieved_level, "proficient");
    if (status_idx >= 0) {
        r->has_status = true;
        r->status_idx = (uint64_t)status_idx;
        strcpy(r->status_uri, STATUS_URI);
    }
}

static struct ac_buf sign_record(const struct ac_record *r, const struct ac_key_info *k,
                                 uint8_t *sk)
{
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(
        0, ac_record_sign(r, k->kid, sizeof(k->kid), ac_cose_sign_with_secret_key, sk, &out));
    return out;
}

static void options(struct ac_trust_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->trust = &trust;
    opt->pass_reasons = true;
    opt->now_ms = (int64_t)NOW_S * 1000;
}

/* Returns the check named |name| in |rep|; fails the test when there is none. */
static const struct ac_trust_check *check(const struct ac_trust_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->checks[i].name, name) == 0)
            return &rep->checks[i];
    fail_msg("no \"%s\" check among %zu", name, rep->n);
    return NULL;
}

static void verify(const struct ac_buf *b, const struct ac_trust_options *opt,
                   struct ac_trust_report *rep)
{
    ac_trust_verify_input(b->data, b->len, opt, rep);
}

/* ---- the fetcher: a table of URLs and what asking for them gives ---- */

struct answer {
    const char *url;
    int rc; /* 0: body; else the failure with why */
    const struct ac_buf *body;
    const char *why;
};

struct table {
    const struct answer *answers;
    size_t n;
    size_t asked;
};

static int table_fetch(void *ctx, const char *url, const uint8_t **body, size_t *len,
                       const char **why)
{
    struct table *t = ctx;
    t->asked++;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->answers[i].url, url) != 0)
            continue;
        if (t->answers[i].rc) {
            *why = t->answers[i].why;
            return t->answers[i].rc;
        }
        *body = t->answers[i].body->data;
        *len = t->answers[i].body->len;
        return 0;
    }
    *why = "no such URL in the test's table";
    return AC_EPROTO;
}

/* A Status List Token for STATUS_URI signed by |k| at |iat_s|, expiring at
 * |exp_s|, whose only assigned entry, |idx|, is |state|. */
static struct ac_buf status_token(uint64_t idx, enum ac_status state, const struct ac_key_info *k,
                                  uint8_t *sk, int64_t iat_s, int64_t exp_s)
{
    /* The packing of status.h: entry i at bits 2 * (i % 4) of byte i / 4; in
     * use when bit i % 8 of byte i / 8 of the bitmap is set. */
    static uint8_t status[AC_STATUS_MIN_ENTRIES / 4], used[AC_STATUS_MIN_ENTRIES / 8];
    memset(status, 0, sizeof(status));
    memset(used, 0, sizeof(used));
    status[idx / 4] = (uint8_t)(state << (2 * (idx % 4)));
    used[idx / 8] = (uint8_t)(1u << (idx % 8));
    struct ac_status_list *l = NULL;
    assert_int_equal(0, ac_status_list_load(AC_STATUS_MIN_ENTRIES, status, sizeof(status), used,
                                            sizeof(used), &l));
    struct ac_status_token_claims c = {.sub = STATUS_URI, .iat = iat_s, .exp = exp_s, .ttl = 300};
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_status_token_sign(l, &c, k->kid, sizeof(k->kid),
                                             ac_cose_sign_with_secret_key, sk, &out));
    ac_status_list_free(l);
    return out;
}

/* ---- tests ---- */

static void
test_a_record_signed_inside_its_current_keys_window_without_status_is_valid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "status")->result);
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_signed_by_a_key_outside_its_window_is_invalid(void **state)
{
    (void)state;
    /* Issued 2025-10-09, three months after the old key was retired: its
     * holder (or a thief) backdated nothing, it simply had no right. */
    struct ac_record r;
    record(&r, 1760000000, -1);
    struct ac_buf b = sign_record(&r, &keys[0], old_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    const struct ac_trust_check *kw = check(&rep, "key-window");
    assert_int_equal(AC_TRUST_FAIL, kw->result);
    assert_non_null(strstr(kw->reason, "outside key"));
    assert_non_null(strstr(kw->reason, keys[0].kid_hex));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_before_its_keys_window_opened_is_invalid(void **state)
{
    (void)state;
    /* 2025-03-01, before the new key became the signing key on 2025-07-01. */
    struct ac_record r;
    record(&r, 1740787200, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_FAIL, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_retired_keys_record_without_a_log_proof_is_indeterminate(void **state)
{
    (void)state;
    /* Inside the old key's window, but a retired key's holder could backdate
     * iat: only the issuer's log settles it, and there is none here. */
    struct ac_record r;
    record(&r, 1740787200, -1);
    struct ac_buf b = sign_record(&r, &keys[0], old_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_INDETERMINATE, check(&rep, "key-window")->result);
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_of_an_untrusted_issuer_is_invalid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    strcpy(r.iss, "https://elsewhere.example");
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *is = check(&rep, "issuer");
    assert_int_equal(AC_TRUST_FAIL, is->result);
    assert_non_null(strstr(is->reason, "https://elsewhere.example"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_signed_by_an_unlisted_key_is_invalid(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    struct ac_key_info stranger;
    key_info(&stranger, pk, OLD_FROM_S, 0);
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &stranger, sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *is = check(&rep, "issuer");
    assert_int_equal(AC_TRUST_FAIL, is->result);
    assert_non_null(strstr(is->reason, "unknown key"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_record_with_one_flipped_signature_bit_is_invalid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, -1);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    b.data[b.len - 1] ^= 0x01; /* the last byte is the signature's */
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_FAIL, check(&rep, "signature")->result);
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_bytes_that_are_no_record_fail_to_decode(void **state)
{
    (void)state;
    const uint8_t junk[] = {0xd2, 0x84, 0x01};
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    ac_trust_verify_input(junk, sizeof(junk), &opt, &rep);
    assert_int_equal(1, rep.n);
    assert_string_equal("decode", rep.checks[0].name);
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    assert_false(rep.decoded);
}

static void test_a_missing_status_is_indeterminate_never_valid(void **state)
{
    (void)state;
    /* The record names a status list, but there is neither a bundle's
     * snapshot nor a fetcher: revocation cannot be ruled out. */
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "signature")->result);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "cannot be ruled out"));
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_status_list_that_cannot_be_fetched_is_indeterminate(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    const struct answer answers[] = {
        {STATUS_URI, AC_ETIMEDOUT, NULL, "could not fetch " STATUS_URI ": timed out"}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "timed out"));
    assert_int_not_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_a_revoked_status_makes_the_record_invalid(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok =
        status_token(7, AC_STATUS_INVALID, &keys[1], new_sk, NOW_S - 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_FAIL, st->result);
    assert_non_null(strstr(st->reason, "REVOKED"));
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_a_fresh_valid_status_from_the_current_key_passes_its_check(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok =
        status_token(7, AC_STATUS_VALID, &keys[1], new_sk, NOW_S - 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_PASS, check(&rep, "status")->result);
    /* The record has no log_index, so the log cannot be asked: the verdict
     * stays indeterminate even with a good status. */
    assert_int_equal(AC_TRUST_INDETERMINATE, check(&rep, "log-fetch")->result);
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_a_valid_status_signed_by_a_retired_key_is_indeterminate(void **state)
{
    (void)state;
    /* A retired key may have leaked: its "valid" could hide a revocation.
     * The token is signed inside the old key's window, after the record, and
     * has not expired, so only the retirement is left to decide. */
    struct ac_record r;
    record(&r, 1740787200, 7);
    struct ac_buf b = sign_record(&r, &keys[0], old_sk);
    struct ac_buf tok =
        status_token(7, AC_STATUS_VALID, &keys[0], old_sk, 1740787200 + 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "retired key"));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_a_status_token_signed_by_another_key_is_indeterminate_when_fetched(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    struct ac_key_info stranger;
    key_info(&stranger, pk, OLD_FROM_S, 0);
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_buf tok = status_token(7, AC_STATUS_VALID, &stranger, sk, NOW_S - 60, NOW_S + 3600);
    const struct answer answers[] = {{STATUS_URI, 0, &tok, NULL}};
    struct table tab = {answers, 1, 0};
    struct ac_trust_fetcher f = {table_fetch, &tab};
    struct ac_trust_options opt;
    options(&opt);
    opt.fetcher = &f;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    const struct ac_trust_check *st = check(&rep, "status");
    assert_int_equal(AC_TRUST_INDETERMINATE, st->result);
    assert_non_null(strstr(st->reason, "does not publish"));
    ac_buf_release(&tok);
    ac_buf_release(&b);
}

static void test_skipping_status_is_reported_as_skipped_not_passed(void **state)
{
    (void)state;
    struct ac_record r;
    record(&r, NOW_S - 86400, 7);
    struct ac_buf b = sign_record(&r, &keys[1], new_sk);
    struct ac_trust_options opt;
    options(&opt);
    opt.skip_status = true;
    struct ac_trust_report rep;
    verify(&b, &opt, &rep);
    assert_int_equal(AC_TRUST_SKIPPED, check(&rep, "status")->result);
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
    ac_buf_release(&b);
}

static void test_the_verdict_is_fail_over_indeterminate_over_pass(void **state)
{
    (void)state;
    struct ac_trust_report rep;
    memset(&rep, 0, sizeof(rep));
    rep.n = 3;
    rep.checks[0].result = AC_TRUST_PASS;
    rep.checks[1].result = AC_TRUST_INDETERMINATE;
    rep.checks[2].result = AC_TRUST_SKIPPED;
    assert_int_equal(AC_TRUST_INDETERMINATE, ac_trust_verdict(&rep));
    rep.checks[2].result = AC_TRUST_FAIL;
    assert_int_equal(AC_TRUST_FAIL, ac_trust_verdict(&rep));
    rep.n = 1;
    assert_int_equal(AC_TRUST_PASS, ac_trust_verdict(&rep));
}

static void test_result_names_are_the_words_accord_verify_prints(void **state)
{
    (void)state;
    assert_string_equal("pass", ac_trust_result_name(AC_TRUST_PASS));
    assert_string_equal("fail", ac_trust_result_name(AC_TRUST_FAIL));
    assert_string_equal("indeterminate", ac_trust_result_name(AC_TRUST_INDETERMINATE));
    assert_string_equal("skipped", ac_trust_result_name(AC_TRUST_SKIPPED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_a_record_signed_inside_its_current_keys_window_without_status_is_valid),
        cmocka_unit_test(test_a_record_signed_by_a_key_outside_its_window_is_invalid),
        cmocka_unit_test(test_a_record_before_its_keys_window_opened_is_invalid),
        cmocka_unit_test(test_a_retired_keys_record_without_a_log_proof_is_indeterminate),
        cmocka_unit_test(test_a_record_of_an_untrusted_issuer_is_invalid),
        cmocka_unit_test(test_a_record_signed_by_an_unlisted_key_is_invalid),
        cmocka_unit_test(test_a_record_with_one_flipped_signature_bit_is_invalid),
        cmocka_unit_test(test_bytes_that_are_no_record_fail_to_decode),
        cmocka_unit_test(test_a_missing_status_is_indeterminate_never_valid),
        cmocka_unit_test(test_a_status_list_that_cannot_be_fetched_is_indeterminate),
        cmocka_unit_test(test_a_revoked_status_makes_the_record_invalid),
        cmocka_unit_test(test_a_fresh_valid_status_from_the_current_key_passes_its_check),
        cmocka_unit_test(test_a_valid_status_signed_by_a_retired_key_is_indeterminate),
        cmocka_unit_test(test_a_status_token_signed_by_another_key_is_indeterminate_when_fetched),
        cmocka_unit_test(test_skipping_status_is_reported_as_skipped_not_passed),
        cmocka_unit_test(test_the_verdict_is_fail_over_indeterminate_over_pass),
        cmocka_unit_test(test_result_names_are_the_words_accord_verify_prints),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
