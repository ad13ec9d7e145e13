/* test_trust_allocation_failures.c - fail the 1st, 2nd, ... Nth allocation
 * of core/trust (tests/unit/alloc_fail.h): loading a trust file gives 0 or
 * AC_ENOMEM, an issuer whose keys were fetched either has them or says why
 * not, and a verification that runs out of memory is never more favourable
 * than one that does not (out of memory is indeterminate, never valid).
 * LeakSanitizer in the sanitizer build checks that no path leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/records/status.h"
#include "accord/sign/cose.h"
#include "accord/sign/did.h"
#include "accord/trust/trust.h"
#include "accord/trust/verdict.h"
#include "accord/trust/witness.h"
#include "alloc_fail.h"

#define ISS "https://issuer.example/with/a/path/longer/than/any/buffer/jansson/starts/with"
#define STATUS_URI ISS "/v1/status/token"
#define NOW_S 1767225600 /* 2026-01-01T00:00:00Z */

static uint8_t pk[32], sk[64];
static struct ac_key_info key;
static struct ac_buf jwks = AC_BUF_INIT, token = AC_BUF_INIT, rec = AC_BUF_INIT;
static char *trust_text; /* a trust file naming ISS with the JWKS's keys */

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(pk, sk);
    memcpy(key.public_key, pk, 32);
    ac_key_id(pk, key.kid);
    sodium_bin2hex(key.kid_hex, sizeof(key.kid_hex), key.kid, sizeof(key.kid));
    key.not_before_ms = (int64_t)(NOW_S - 86400 * 365) * 1000;
    if (ac_did_jwks(&key, 1, &jwks))
        return -1;
    json_t *served = json_loadb((const char *)jwks.data, jwks.len, 0, NULL);
    json_t *file =
        json_pack("{s[{sssO}]}", "issuers", "iss", ISS, "keys", json_object_get(served, "keys"));
    trust_text = file ? json_dumps(file, JSON_COMPACT) : NULL;
    json_decref(file);
    json_decref(served);
    if (!trust_text)
        return -1;

    /* A record with status index 9, revoked in the issuer's current token. */
    struct ac_record r;
    memset(&r, 0, sizeof(r));
    strcpy(r.iss, ISS);
    strcpy(r.sub, "sha256$0123456789abcdef");
    r.iat = NOW_S - 86400;
    strcpy(r.definition_id, "phonics-k2");
    r.definition_version = 3;
    strcpy(r.achieved_level, "pass");
    r.has_status = true;
    r.status_idx = 9;
    strcpy(r.status_uri, STATUS_URI);
    if (ac_record_sign(&r, key.kid, sizeof(key.kid), ac_cose_sign_with_secret_key, sk, &rec))
        return -1;
    static uint8_t status[AC_STATUS_MIN_ENTRIES / 4], used[AC_STATUS_MIN_ENTRIES / 8];
    status[9 / 4] = (uint8_t)(AC_STATUS_INVALID << (2 * (9 % 4)));
    used[9 / 8] = (uint8_t)(1u << (9 % 8));
    struct ac_status_list *l = NULL;
    if (ac_status_list_load(AC_STATUS_MIN_ENTRIES, status, sizeof(status), used, sizeof(used), &l))
        return -1;
    struct ac_status_token_claims c = {
        .sub = STATUS_URI, .iat = NOW_S - 60, .exp = NOW_S + 3600, .ttl = 300};
    int rc = ac_status_token_sign(l, &c, key.kid, sizeof(key.kid), ac_cose_sign_with_secret_key, sk,
                                  &token);
    ac_status_list_free(l);
    alloc_fail_init();
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    ac_buf_release(&jwks);
    ac_buf_release(&token);
    ac_buf_release(&rec);
    free(trust_text);
    return 0;
}

/* The issuer's answers: its JWKS and its status token. */
static int issuer_fetch(void *ctx, const char *url, const uint8_t **body, size_t *len,
                        const char **why)
{
    (void)ctx;
    const struct ac_buf *b = strcmp(url, ISS "/.well-known/jwks.json") == 0 ? &jwks
                             : strcmp(url, STATUS_URI) == 0                 ? &token
                                                                            : NULL;
    if (!b) {
        *why = "not served in this test";
        return AC_EPROTO;
    }
    *body = b->data;
    *len = b->len;
    return 0;
}

static void expect_ok_or_enomem(void *ctx, int rc, int failed)
{
    (void)ctx;
    if (failed && rc != AC_ENOMEM && rc != 0)
        fail_msg("an allocation failed and the call returned %d (%s), not AC_ENOMEM", rc,
                 ac_strerror(rc));
    if (!failed && rc != 0)
        fail_msg("with no allocation failing the call returned %d (%s)", rc, ac_strerror(rc));
}

static int parse_trust(void *ctx)
{
    (void)ctx;
    struct ac_trust *t = NULL;
    char why[320];
    int rc = ac_trust_parse("trust.json", trust_text, strlen(trust_text), &t, why, sizeof(why));
    /* A string cut short while parsing would trust another issuer. */
    if (rc == 0 && (t->n != 1 || t->issuers[0].nkeys != 1 || strcmp(t->issuers[0].iss, ISS) != 0))
        rc = AC_EBUG;
    ac_trust_free(t);
    return rc;
}

static void test_parsing_a_trust_file_survives_every_failed_allocation(void **state)
{
    (void)state;
    assert_true(alloc_fail_loop(parse_trust, expect_ok_or_enomem, NULL) >= 3);
}

static int fetch_issuer(void *ctx)
{
    (void)ctx;
    struct ac_trust *t = NULL;
    int rc = ac_trust_new(&t);
    if (rc)
        return rc;
    struct ac_trust_fetcher f = {issuer_fetch, NULL};
    const struct ac_trust_issuer *is = ac_trust_fetch_issuer(t, &f, ISS);
    if (!is)
        rc = AC_ENOMEM;
    else if (is->fetch_error)
        rc = AC_EBUG; /* running out of memory read as the issuer's fault */
    else if (is->nkeys != 1)
        rc = AC_EBUG; /* neither keys nor a reason: a revocation could pass */
    ac_trust_free(t);
    return rc;
}

static void test_an_issuer_fetched_while_allocations_fail_has_its_keys_or_a_reason(void **state)
{
    (void)state;
    assert_true(alloc_fail_loop(fetch_issuer, expect_ok_or_enomem, NULL) >= 3);
}

struct run {
    enum ac_trust_result verdict;
    char status[256];
};

static int verify_revoked(void *ctx)
{
    struct run *run = ctx;
    struct ac_trust *fetched = NULL;
    int rc = ac_trust_new(&fetched);
    if (rc)
        return rc;
    struct ac_trust_fetcher f = {issuer_fetch, NULL};
    struct ac_trust_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.fetched = fetched;
    opt.fetcher = &f;
    opt.now_ms = (int64_t)NOW_S * 1000;
    struct ac_trust_report rep;
    ac_trust_verify_input(rec.data, rec.len, &opt, &rep);
    run->verdict = ac_trust_verdict(&rep);
    run->status[0] = '\0';
    for (size_t i = 0; i < rep.n; i++)
        if (strcmp(rep.checks[i].name, "status") == 0)
            snprintf(run->status, sizeof(run->status), "%s", rep.checks[i].reason);
    ac_trust_free(fetched);
    return 0;
}

static void expect_never_valid(void *ctx, int rc, int failed)
{
    struct run *run = ctx;
    if (failed && rc == AC_ENOMEM)
        return; /* the empty trust itself could not be had */
    assert_int_equal(0, rc);
    /* Revoked: invalid when everything could be had; short of memory, it may
     * only be indeterminate instead. */
    if (!failed) {
        assert_int_equal(AC_TRUST_FAIL, run->verdict);
        assert_non_null(strstr(run->status, "REVOKED"));
    } else {
        assert_int_not_equal(AC_TRUST_PASS, run->verdict);
    }
}

static void test_a_verification_short_of_memory_is_never_valid(void **state)
{
    (void)state;
    struct run run;
    assert_true(alloc_fail_loop(verify_revoked, expect_never_valid, &run) >= 3);
}

static char state_path[] = "/tmp/accord-witness-alloc-XXXXXX";

static int load_witness(void *ctx)
{
    (void)ctx;
    struct ac_trust_witness *w = NULL;
    char why[320];
    int rc = ac_trust_witness_load(state_path, &w, why, sizeof(why));
    /* A string cut short would remember another issuer's log. */
    if (rc == 0 && (w->n != 1 || !ac_trust_witness_find(w, ISS, "issuer.example/log")))
        rc = AC_EBUG;
    ac_trust_witness_free(w);
    return rc;
}

static void test_loading_a_witness_state_survives_every_failed_allocation(void **state)
{
    (void)state;
    int fd = mkstemp(state_path);
    assert_true(fd >= 0);
    static const char text[] = "{\"version\": 1, \"logs\": [{\"iss\": \"" ISS "\", \"origin\": "
                               "\"issuer.example/log\", \"size\": 7, \"root\": "
                               "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}]}";
    assert_int_equal((ssize_t)strlen(text), write(fd, text, strlen(text)));
    close(fd);
    long runs = alloc_fail_loop(load_witness, expect_ok_or_enomem, NULL);
    unlink(state_path);
    assert_true(runs >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsing_a_trust_file_survives_every_failed_allocation),
        cmocka_unit_test(test_an_issuer_fetched_while_allocations_fail_has_its_keys_or_a_reason),
        cmocka_unit_test(test_a_verification_short_of_memory_is_never_valid),
        cmocka_unit_test(test_loading_a_witness_state_survives_every_failed_allocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
