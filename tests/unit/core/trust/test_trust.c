/* test_trust.c - tests core/trust/trust.c: loading a trust file (every
 * refusal names the file, the field and the rule), finding an issuer, and
 * fetching an issuer's keys once through the caller's fetcher. */
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
#include "accord/sign/did.h"
#include "accord/trust/trust.h"

/* RFC 8037 Appendix A.2: the Ed25519 public key of its example, as a JWK's
 * x, and its id as Accord derives it is checked by the parser itself. */
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

/* A trust file with one issuer and that key, valid from 2025-01-01 until
 * 2025-07-01 (so retired). */
static const char one_issuer[] =
    "{\"issuers\": [{\"iss\": \"https://accord.district42.example\", \"keys\": ["
    "{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"x\": \"" RFC8037_X "\","
    " \"valid_from\": \"2025-01-01T00:00:00Z\", \"valid_until\": \"2025-07-01T00:00:00Z\"}]}]}";

static int parse(const char *text, struct ac_trust **t, char *why, size_t whylen)
{
    return ac_trust_parse("trust.json", text, strlen(text), t, why, whylen);
}

static void test_a_trust_file_loads_each_issuer_with_its_key_window(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(0, parse(one_issuer, &t, why, sizeof(why)));
    assert_int_equal(1, t->n);
    const struct ac_trust_issuer *is = ac_trust_find(t, "https://accord.district42.example");
    assert_non_null(is);
    assert_int_equal(1, is->nkeys);
    /* 2025-01-01T00:00:00Z and 2025-07-01T00:00:00Z in ms since the epoch. */
    assert_int_equal(1735689600000LL, is->keys[0].not_before_ms);
    assert_int_equal(1751328000000LL, is->keys[0].not_after_ms);
    assert_null(is->fetch_error);
    ac_trust_free(t);
}

static void test_an_issuer_is_found_only_by_its_exact_iss(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[320];
    assert_int_equal(0, parse(one_issuer, &t, why, sizeof(why)));
    assert_null(ac_trust_find(t, "https://accord.district42.example/"));
    assert_null(ac_trust_find(t, "http://accord.district42.example"));
    assert_null(ac_trust_find(NULL, "https://accord.district42.example"));
    ac_trust_free(t);
}

static void test_a_trust_file_without_issuers_is_refused_naming_the_field(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE, parse("{\"issuers\": []}", &t, why, sizeof(why)));
    assert_string_equal("trust.json: issuers: must be a non-empty array", why);
    assert_null(t);
}

static void test_an_issuer_without_iss_is_refused_naming_its_index(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE,
                     parse("{\"issuers\": [{\"iss\": \"\", \"keys\": []}]}", &t, why, sizeof(why)));
    assert_string_equal("trust.json: issuers[0].iss: must be a non-empty string", why);
}

static void test_an_issuer_listed_twice_is_refused(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"issuers\": [{\"iss\": \"https://a.example\", \"keys\": [{\"kty\": \"OKP\", "
             "\"crv\": \"Ed25519\", \"x\": \"%s\"}]}, {\"iss\": \"https://a.example\", "
             "\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"x\": \"%s\"}]}]}",
             RFC8037_X, RFC8037_X);
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE, parse(text, &t, why, sizeof(why)));
    assert_string_equal("trust.json: issuers[1].iss: \"https://a.example\" appears twice", why);
}

static void test_a_bad_key_is_refused_naming_the_issuer_and_the_key(void **state)
{
    (void)state;
    /* 31 bytes of x: not an Ed25519 public key. */
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE,
                     parse("{\"issuers\": [{\"iss\": \"https://a.example\", \"keys\": [{\"kty\": "
                           "\"OKP\", \"crv\": \"Ed25519\", \"x\": "
                           "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}]}]}",
                           &t, why, sizeof(why)));
    assert_non_null(strstr(why, "trust.json: issuers[0].keys[0].x"));
}

/* The RFC 8037 key as the witness "w.example": the key id 4a98ebc3 is
 * SHA-256("w.example\n" 0x04 key)[:4], computed with Python's hashlib. */
#define WITNESS_VKEY "w.example+4a98ebc3+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"

static void test_a_trust_file_lists_witnesses_by_their_vkeys(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[400] = "";
    char text[1024];
    snprintf(text, sizeof text, "%.*s, \"witnesses\": [\"%s\"]}", (int)strlen(one_issuer) - 1,
             one_issuer, WITNESS_VKEY);
    assert_int_equal(0, parse(text, &t, why, sizeof(why)));
    assert_int_equal(1, t->nwitnesses);
    assert_string_equal("w.example", t->witnesses[0].name);
    assert_int_equal(0x4a98ebc3, t->witnesses[0].key_id);
    ac_trust_free(t);
}

static void test_a_witness_key_with_a_wrong_key_id_is_refused_naming_it(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[400] = "";
    /* d5f933ab is the key's signed-note (0x01) id, not its cosignature id. */
    char text[1024];
    snprintf(text, sizeof text, "%.*s, \"witnesses\": [\"%s\"]}", (int)strlen(one_issuer) - 1,
             one_issuer, "w.example+d5f933ab+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
    assert_int_equal(AC_EPARSE, parse(text, &t, why, sizeof(why)));
    assert_non_null(strstr(why, "trust.json: witnesses[0]"));
}

static void test_malformed_json_is_refused_with_its_line(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(AC_EPARSE, parse("{\n  \"issuers\": ]\n}", &t, why, sizeof(why)));
    assert_non_null(strstr(why, "trust.json: line 2:"));
}

static void test_a_trust_file_that_cannot_be_read_is_an_io_error(void **state)
{
    (void)state;
    struct ac_trust *t = NULL;
    char why[320] = "";
    assert_int_equal(AC_EIO, ac_trust_load("/nonexistent/accord/trust.json", &t, why, sizeof(why)));
    assert_non_null(strstr(why, "/nonexistent/accord/trust.json"));
}

static void test_a_trust_file_on_disk_loads_like_its_text(void **state)
{
    (void)state;
    char path[] = "/tmp/accord-trust-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal((ssize_t)strlen(one_issuer), write(fd, one_issuer, strlen(one_issuer)));
    close(fd);
    struct ac_trust *t = NULL;
    char why[320] = "";
    int rc = ac_trust_load(path, &t, why, sizeof(why));
    unlink(path);
    assert_int_equal(0, rc);
    assert_non_null(ac_trust_find(t, "https://accord.district42.example"));
    ac_trust_free(t);
}

/* ---- keys fetched from the issuer ---- */

struct jwks_server {
    const char *url_asked;
    size_t asked;
    int rc; /* what asking gives: 0 and |body|, or rc with |why| */
    const char *body;
    const char *why;
    char last_url[256];
};

static int serve(void *ctx, const char *url, const uint8_t **body, size_t *len, const char **why)
{
    struct jwks_server *s = ctx;
    s->asked++;
    snprintf(s->last_url, sizeof(s->last_url), "%s", url);
    if (s->rc) {
        *why = s->why;
        return s->rc;
    }
    *body = (const uint8_t *)s->body;
    *len = strlen(s->body);
    return 0;
}

static void test_an_issuers_keys_are_fetched_once_from_its_jwks(void **state)
{
    (void)state;
    struct jwks_server srv = {
        .body = "{\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"x\": \"" RFC8037_X "\"}]}"};
    struct ac_trust_fetcher f = {serve, &srv};
    struct ac_trust *t = NULL;
    assert_int_equal(0, ac_trust_new(&t));
    const struct ac_trust_issuer *is = ac_trust_fetch_issuer(t, &f, "https://a.example/");
    assert_non_null(is);
    assert_null(is->fetch_error);
    assert_int_equal(1, is->nkeys);
    /* The issuer's trailing slash does not double. */
    assert_string_equal("https://a.example/.well-known/jwks.json", srv.last_url);
    assert_ptr_equal(is, ac_trust_fetch_issuer(t, &f, "https://a.example/"));
    assert_int_equal(1, srv.asked);
    ac_trust_free(t);
}

static void test_a_failed_key_fetch_is_kept_as_the_issuers_reason_and_not_retried(void **state)
{
    (void)state;
    struct jwks_server srv = {.rc = AC_EPROTO,
                              .why = "fetching https://a.example/.well-known/jwks.json answered "
                                     "HTTP 404"};
    struct ac_trust_fetcher f = {serve, &srv};
    struct ac_trust *t = NULL;
    assert_int_equal(0, ac_trust_new(&t));
    const struct ac_trust_issuer *is = ac_trust_fetch_issuer(t, &f, "https://a.example");
    assert_non_null(is);
    assert_string_equal(srv.why, is->fetch_error);
    assert_int_equal(0, is->nkeys);
    assert_ptr_equal(is, ac_trust_fetch_issuer(t, &f, "https://a.example"));
    assert_int_equal(1, srv.asked);
    ac_trust_free(t);
}

static void test_a_jwks_that_does_not_parse_is_the_issuers_reason(void **state)
{
    (void)state;
    struct jwks_server srv = {.body = "{\"keys\": []"};
    struct ac_trust_fetcher f = {serve, &srv};
    struct ac_trust *t = NULL;
    assert_int_equal(0, ac_trust_new(&t));
    const struct ac_trust_issuer *is = ac_trust_fetch_issuer(t, &f, "https://a.example");
    assert_non_null(is);
    assert_non_null(is->fetch_error);
    assert_non_null(strstr(is->fetch_error, "https://a.example/.well-known/jwks.json: "));
    ac_trust_free(t);
}

static void test_an_issuer_that_is_no_url_is_never_fetched(void **state)
{
    (void)state;
    struct jwks_server srv = {.body = "{}"};
    struct ac_trust_fetcher f = {serve, &srv};
    struct ac_trust *t = NULL;
    assert_int_equal(0, ac_trust_new(&t));
    const struct ac_trust_issuer *is = ac_trust_fetch_issuer(t, &f, "did:web:a.example");
    assert_non_null(is);
    assert_string_equal("iss \"did:web:a.example\" is not an http:// or https:// URL, so its "
                        "keys are not fetched",
                        is->fetch_error);
    assert_int_equal(0, srv.asked);
    ac_trust_free(t);
}

static void test_an_issuer_with_userinfo_is_never_fetched_and_the_reason_says_why(void **state)
{
    (void)state;
    struct jwks_server srv = {.body = "{}"};
    struct ac_trust_fetcher f = {serve, &srv};
    struct ac_trust *t = NULL;
    assert_int_equal(0, ac_trust_new(&t));
    /* A reader sees "trusted.example"; a client would connect to
     * evil.example. */
    const struct ac_trust_issuer *is =
        ac_trust_fetch_issuer(t, &f, "https://trusted.example@evil.example");
    assert_non_null(is);
    assert_non_null(strstr(is->fetch_error, "userinfo"));
    assert_int_equal(0, srv.asked);
    ac_trust_free(t);
}

static void test_only_plain_http_and_https_issuer_urls_are_fetchable(void **state)
{
    (void)state;
    assert_null(ac_trust_issuer_refusal("https://a.example"));
    assert_null(ac_trust_issuer_refusal("http://127.0.0.1:8443/tenant/"));
    assert_null(ac_trust_issuer_refusal("https://[::1]:8443"));
    assert_non_null(ac_trust_issuer_refusal("file:///etc/passwd"));
    assert_non_null(ac_trust_issuer_refusal("ftp://a.example"));
    assert_non_null(ac_trust_issuer_refusal("https://"));
    assert_non_null(ac_trust_issuer_refusal("https://a.example/?x=1"));
    assert_non_null(ac_trust_issuer_refusal("https://a.example/#k"));
    assert_non_null(ac_trust_issuer_refusal("https://a.example/a b"));
    assert_non_null(ac_trust_issuer_refusal("https://a.example\r\nHost: b"));
    assert_non_null(ac_trust_issuer_refusal("https://a.example%2f@b/"));
    char url[64];
    assert_int_equal(AC_EINVAL,
                     ac_trust_issuer_url("https://u:p@a.example", "/x", url, sizeof(url)));
}

static void test_a_status_uri_is_fetched_only_on_the_issuers_own_origin(void **state)
{
    (void)state;
    const char *iss = "https://a.example";
    assert_true(ac_trust_same_origin(iss, "https://a.example/statuslists/1"));
    assert_true(ac_trust_same_origin("https://a.example/", "https://a.example/statuslists/1"));
    assert_false(ac_trust_same_origin(iss, "https://a.example.evil/statuslists/1"));
    assert_false(ac_trust_same_origin(iss, "https://a.example:444/statuslists/1"));
    assert_false(ac_trust_same_origin(iss, "http://a.example/statuslists/1"));
    assert_false(ac_trust_same_origin(iss, "https://a.example@evil.example/statuslists/1"));
    assert_false(ac_trust_same_origin(iss, "http://169.254.169.254/latest/meta-data/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_trust_file_loads_each_issuer_with_its_key_window),
        cmocka_unit_test(test_an_issuer_is_found_only_by_its_exact_iss),
        cmocka_unit_test(test_a_trust_file_without_issuers_is_refused_naming_the_field),
        cmocka_unit_test(test_an_issuer_without_iss_is_refused_naming_its_index),
        cmocka_unit_test(test_an_issuer_listed_twice_is_refused),
        cmocka_unit_test(test_a_bad_key_is_refused_naming_the_issuer_and_the_key),
        cmocka_unit_test(test_a_trust_file_lists_witnesses_by_their_vkeys),
        cmocka_unit_test(test_a_witness_key_with_a_wrong_key_id_is_refused_naming_it),
        cmocka_unit_test(test_malformed_json_is_refused_with_its_line),
        cmocka_unit_test(test_a_trust_file_that_cannot_be_read_is_an_io_error),
        cmocka_unit_test(test_a_trust_file_on_disk_loads_like_its_text),
        cmocka_unit_test(test_an_issuers_keys_are_fetched_once_from_its_jwks),
        cmocka_unit_test(test_a_failed_key_fetch_is_kept_as_the_issuers_reason_and_not_retried),
        cmocka_unit_test(test_a_jwks_that_does_not_parse_is_the_issuers_reason),
        cmocka_unit_test(test_an_issuer_that_is_no_url_is_never_fetched),
        cmocka_unit_test(test_an_issuer_with_userinfo_is_never_fetched_and_the_reason_says_why),
        cmocka_unit_test(test_only_plain_http_and_https_issuer_urls_are_fetchable),
        cmocka_unit_test(test_a_status_uri_is_fetched_only_on_the_issuers_own_origin),
    };
    return sodium_init() < 0 ? 1 : cmocka_run_group_tests(tests, NULL, NULL);
}
