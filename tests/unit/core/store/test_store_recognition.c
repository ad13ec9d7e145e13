/* test_store_recognition.c - tests core/store/store_recognition.c where a
 * policy names a peer's credential by its content hash: the peer and hash
 * are kept, and such a policy counts only the version the hash names, while
 * one without a hash counts every version from its minimum on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/store.h"
#include "accord/store/store_recognition.h"
#include "accord/store/user.h"
#include "store_fixture.h"

#define ISSUER "https://a.example.org"
#define HASH "sha256:ecc3f82dd8ec87becd0dd8c84d697f1d2e27d83501896162b946055dca73f239"

static int64_t rita;

static int open_store(void **state)
{
    (void)state;
    if (store_fixture_open("recog"))
        return -1;
    struct ac_user u;
    if (ac_store_user_create(st, "rita", NULL, AC_ROLE_RECOGNIZER, 0, &u))
        return -1;
    rita = u.id;
    return 0;
}

static int64_t policy(enum ac_purpose purpose, uint64_t min_version, const char *peer,
                      const char *hash)
{
    struct ac_policy p;
    memset(&p, 0, sizeof p);
    p.recognizer_id = rita;
    snprintf(p.issuer, sizeof p.issuer, "%s", ISSUER);
    snprintf(p.credential_id, sizeof p.credential_id, "phonics");
    p.min_version = min_version;
    p.purpose = purpose;
    snprintf(p.peer, sizeof p.peer, "%s", peer);
    snprintf(p.content_hash, sizeof p.content_hash, "%s", hash);
    assert_int_equal(0, ac_store_policy_create(st, &p, 1000));
    return p.id;
}

/* A valid, status-checked presentation of "phonics" version |version|. */
static void presented(uint64_t version, uint8_t tag)
{
    struct ac_presentation p;
    memset(&p, 0, sizeof p);
    p.recognizer_id = rita;
    snprintf(p.teacher, sizeof p.teacher, "t-1");
    memset(p.record_hash, tag, sizeof p.record_hash);
    snprintf(p.cti_hex, sizeof p.cti_hex, "%032x", tag);
    snprintf(p.issuer, sizeof p.issuer, "%s", ISSUER);
    snprintf(p.credential_id, sizeof p.credential_id, "phonics");
    p.credential_version = version;
    snprintf(p.achieved_level, sizeof p.achieved_level, "pass");
    p.verdict = AC_VERDICT_VALID;
    snprintf(p.status_result, sizeof p.status_result, "pass");
    snprintf(p.verified_by, sizeof p.verified_by, "accord-verify");
    snprintf(p.checks, sizeof p.checks, "[]");
    p.issued_ms = 500;
    int created = 0;
    assert_int_equal(0, ac_store_presentation_record(st, &p, 2000, &created));
    assert_int_equal(1, created);
}

static void test_a_policy_keeps_the_peer_and_content_hash_it_names(void **state)
{
    (void)state;
    int64_t id = policy(AC_PURPOSE_CEU, 2, "a.example", HASH);
    struct ac_policy got;
    assert_int_equal(0, ac_store_policy_get(st, id, &got));
    assert_string_equal("a.example", got.peer);
    assert_string_equal(HASH, got.content_hash);
    assert_int_equal(2, got.min_version);
}

static void test_a_peer_without_a_hash_is_refused(void **state)
{
    (void)state;
    struct ac_policy p;
    memset(&p, 0, sizeof p);
    p.recognizer_id = rita;
    snprintf(p.issuer, sizeof p.issuer, "%s", ISSUER);
    snprintf(p.credential_id, sizeof p.credential_id, "phonics");
    p.min_version = 1;
    snprintf(p.peer, sizeof p.peer, "a.example");
    assert_int_equal(AC_EINVAL, ac_store_policy_create(st, &p, 1000));
}

static void test_a_pinned_hash_counts_only_the_version_it_names(void **state)
{
    (void)state;
    policy(AC_PURPOSE_CEU, 2, "a.example", HASH);
    policy(AC_PURPOSE_PAY_SCALE, 2, "", "");
    presented(3, 1); /* a later version: another definition, another hash */
    struct ac_recognized r[4];
    size_t n = 0;
    assert_int_equal(0, ac_store_recognized_list(st, rita, "t-1", r, 4, &n));
    assert_int_equal(1, n); /* pay_scale only: it pins no hash */
    assert_int_equal(AC_PURPOSE_PAY_SCALE, r[0].purpose);
    presented(2, 2);
    assert_int_equal(0, ac_store_recognized_list(st, rita, "t-1", r, 4, &n));
    assert_int_equal(2, n);
    assert_int_equal(AC_PURPOSE_CEU, r[0].purpose);
    assert_int_equal(2, r[0].credential_version);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_policy_keeps_the_peer_and_content_hash_it_names,
                                        open_store, close_store),
        cmocka_unit_test_setup_teardown(test_a_peer_without_a_hash_is_refused, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_a_pinned_hash_counts_only_the_version_it_names,
                                        open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
