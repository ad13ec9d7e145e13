/* test_consortium.c - tests core/trust/consortium.c: rights lists, the JSON
 * form's refusals, and the signed file: verified with the pinned key only,
 * over the exact bytes, and never taken for an envelope or a record. */
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
#include "accord/sign/envelope.h"
#include "accord/sign/keyring.h"
#include "accord/trust/consortium.h"

static uint8_t cpk[32], csk[64], other_pk[32], other_sk[64];
static uint8_t ckid[8];
static char member_key_hex[65];

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(cpk, csk);
    crypto_sign_keypair(other_pk, other_sk);
    ac_key_id(cpk, ckid);
    uint8_t mpk[32], msk[64];
    crypto_sign_keypair(mpk, msk);
    sodium_bin2hex(member_key_hex, sizeof member_key_hex, mpk, 32);
    return 0;
}

static char *json_with(const char *rights, const char *key_hex, unsigned serial)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"name\": \"east\", \"serial\": %u, \"issued\": \"2026-01-02T03:04:05Z\","
             " \"members\": [{\"node\": \"a.example\", \"url\": \"http://127.0.0.1:8001\","
             " \"rights\": [%s], \"keys\": [{\"key\": \"%s\","
             " \"not_before\": \"2026-01-01T00:00:00Z\", \"not_after\": "
             "\"2026-06-01T00:00:00Z\"}]}]}",
             serial, rights, key_hex);
    return buf;
}

static struct ac_consortium *from_json(const char *text)
{
    struct ac_consortium *c = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    int rc = ac_consortium_from_json(text, strlen(text), &c, why, sizeof why);
    if (rc)
        fail_msg("from_json: %s", why);
    return c;
}

static void sign(const struct ac_consortium *c, const uint8_t *sk, const uint8_t *pk,
                 struct ac_buf *out)
{
    uint8_t kid[8];
    ac_key_id(pk, kid);
    assert_int_equal(0, ac_consortium_sign(c, kid, 8, ac_cose_sign_with_secret_key, (void *)sk,
                                           out));
}

static void test_rights_parse_and_format_round_trip(void **state)
{
    (void)state;
    unsigned r;
    char out[64];
    assert_int_equal(0, ac_rights_parse("witness, submit", &r, NULL, 0));
    assert_int_equal(AC_RIGHT_SUBMIT | AC_RIGHT_WITNESS, r);
    assert_string_equal("submit,witness", ac_rights_format(r, out, sizeof out));
    assert_int_equal(0, ac_rights_parse("none", &r, NULL, 0));
    assert_int_equal(0, r);
    assert_string_equal("none", ac_rights_format(0, out, sizeof out));
}

static void test_rights_parse_names_an_unknown_right(void **state)
{
    (void)state;
    unsigned r = 99;
    char why[128];
    assert_int_equal(AC_EINVAL, ac_rights_parse("submit,admin", &r, why, sizeof why));
    assert_non_null(strstr(why, "\"admin\" is not a right"));
    assert_int_equal(99, r);
}

static void test_signed_file_opens_with_the_pinned_key_and_keeps_every_field(void **state)
{
    (void)state;
    struct ac_consortium *c = from_json(json_with("\"submit\", \"witness\"", member_key_hex, 3));
    struct ac_buf b = AC_BUF_INIT;
    sign(c, csk, cpk, &b);
    struct ac_consortium *got = NULL;
    assert_int_equal(0, ac_consortium_open(b.data, b.len, cpk, &got, NULL, 0));
    assert_string_equal("east", got->name);
    assert_int_equal(3, got->serial);
    /* 2026-01-02T03:04:05Z = 1767323045 s after the epoch. */
    assert_int_equal(1767323045000LL, got->issued_ms);
    assert_int_equal(1, got->nmembers);
    const struct ac_member *m = ac_consortium_find(got, "a.example");
    assert_non_null(m);
    assert_string_equal("http://127.0.0.1:8001", m->base_url);
    assert_int_equal(AC_RIGHT_SUBMIT | AC_RIGHT_WITNESS, m->rights);
    assert_int_equal(1, m->nkeys);
    assert_memory_equal(c->members[0].keys[0].public_key, m->keys[0].public_key, 32);
    /* 2026-01-01 = 1767225600 s; 2026-06-01 = 1780272000 s. */
    assert_int_equal(1767225600000LL, m->keys[0].not_before_ms);
    assert_int_equal(1780272000000LL, m->keys[0].not_after_ms);
    assert_null(ac_consortium_find(got, "b.example"));
    ac_consortium_free(got);
    ac_consortium_free(c);
    ac_buf_release(&b);
}

static void test_file_signed_by_another_key_is_refused(void **state)
{
    (void)state;
    struct ac_consortium *c = from_json(json_with("", member_key_hex, 1));
    struct ac_buf b = AC_BUF_INIT;
    sign(c, other_sk, other_pk, &b);
    struct ac_consortium *got = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    assert_int_equal(AC_ECRYPTO, ac_consortium_open(b.data, b.len, cpk, &got, why, sizeof why));
    assert_non_null(strstr(why, "another key"));
    assert_null(got);
    ac_consortium_free(c);
    ac_buf_release(&b);
}

static void test_file_with_a_changed_byte_is_refused(void **state)
{
    (void)state;
    struct ac_consortium *c = from_json(json_with("\"lend\"", member_key_hex, 1));
    struct ac_buf b = AC_BUF_INIT;
    sign(c, csk, cpk, &b);
    /* "lend" -> "lene" inside the payload: still well-formed, no longer signed. */
    uint8_t *p = memmem(b.data, b.len, "lend", 4);
    assert_non_null(p);
    p[3] = 'e';
    struct ac_consortium *got = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    assert_int_equal(AC_ECRYPTO, ac_consortium_open(b.data, b.len, cpk, &got, why, sizeof why));
    assert_non_null(strstr(why, "does not verify"));
    ac_consortium_free(c);
    ac_buf_release(&b);
}

static void test_an_envelope_is_not_a_consortium_file(void **state)
{
    (void)state;
    static const uint8_t body[] = {0xa0};
    struct ac_envelope e = {.ts_ms = 1, .body = body, .body_len = 1};
    strcpy(e.type, "ping");
    strcpy(e.id, "x");
    strcpy(e.from, "a");
    strcpy(e.to, "b");
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac_envelope_sign(&e, ckid, 8, ac_cose_sign_with_secret_key, csk, &b));
    struct ac_consortium *got = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    assert_int_equal(AC_EPARSE, ac_consortium_open(b.data, b.len, cpk, &got, why, sizeof why));
    assert_non_null(strstr(why, "not a consortium file"));
    ac_buf_release(&b);
}

static void expect_json_refusal(const char *text, const char *reason)
{
    struct ac_consortium *c = NULL;
    char why[AC_CONSORTIUM_WHY_LEN];
    assert_int_equal(AC_EINVAL, ac_consortium_from_json(text, strlen(text), &c, why, sizeof why));
    assert_null(c);
    if (!strstr(why, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
}

static void test_json_refuses_a_short_key_naming_member_and_key(void **state)
{
    (void)state;
    expect_json_refusal(json_with("", "abcd", 1), "members[0].keys[0].key: \"abcd\" must be 64");
}

static void test_json_refuses_an_unknown_right(void **state)
{
    (void)state;
    expect_json_refusal(json_with("\"rule\"", member_key_hex, 1),
                        "members[0].rights[0]: \"rule\" is not a right");
}

static void test_json_refuses_serial_zero(void **state)
{
    (void)state;
    expect_json_refusal(json_with("", member_key_hex, 0), "serial: must be a whole number");
}

static void test_key_window_is_half_open(void **state)
{
    (void)state;
    struct ac_member_key k = {.not_before_ms = 100, .not_after_ms = 200};
    assert_int_equal(0, ac_member_key_valid_at(&k, 99));
    assert_int_equal(1, ac_member_key_valid_at(&k, 100));
    assert_int_equal(1, ac_member_key_valid_at(&k, 199));
    assert_int_equal(0, ac_member_key_valid_at(&k, 200));
    k.not_after_ms = 0;
    assert_int_equal(1, ac_member_key_valid_at(&k, 1000000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rights_parse_and_format_round_trip),
        cmocka_unit_test(test_rights_parse_names_an_unknown_right),
        cmocka_unit_test(test_signed_file_opens_with_the_pinned_key_and_keeps_every_field),
        cmocka_unit_test(test_file_signed_by_another_key_is_refused),
        cmocka_unit_test(test_file_with_a_changed_byte_is_refused),
        cmocka_unit_test(test_an_envelope_is_not_a_consortium_file),
        cmocka_unit_test(test_json_refuses_a_short_key_naming_member_and_key),
        cmocka_unit_test(test_json_refuses_an_unknown_right),
        cmocka_unit_test(test_json_refuses_serial_zero),
        cmocka_unit_test(test_key_window_is_half_open),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
