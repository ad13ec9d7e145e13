/* test_did.c - tests core/did.c against published did:key and JWK values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "accord/sign/did.h"
#include "accord/base/error.h"

/* RFC 8032 §7.1 TEST 1 public key; RFC 8037 Appendix A.1 gives its JWK x. */
static const uint8_t rfc8032_pub[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
/* First 8 bytes of SHA-256(rfc8032_pub), computed with coreutils sha256sum. */
#define RFC8032_KID "21fe31dfa154a261"

/* From transmute-industries/did-key.js, packages/did-key-ed25519/README.md:
 * the did:key of the Ed25519 key whose JWK x is given. */
#define TRANSMUTE_X "VDXDwuGKVq91zxU6q7__jLDUq8_C5cuxECgd-1feFTE"
#define TRANSMUTE_DID "did:key:z6Mkk7yqnGF3YwTrLpqrW6PGsKci7dNqh1CjnvMbzrMerSeL"

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void x_to_key(const char *x, uint8_t key[32])
{
    size_t n;
    assert_int_equal(0, sodium_base642bin(key, 32, x, strlen(x), NULL, &n, NULL,
                                          sodium_base64_VARIANT_URLSAFE_NO_PADDING));
    assert_int_equal(32, n);
}

static void test_did_key_matches_a_published_example(void **state)
{
    (void)state;
    uint8_t key[32];
    x_to_key(TRANSMUTE_X, key);
    char did[AC_DID_KEY_MAX];
    ac_did_key(key, did);
    assert_string_equal(TRANSMUTE_DID, did);
}

static void test_did_key_parses_back_to_its_key(void **state)
{
    (void)state;
    uint8_t want[32], got[32];
    x_to_key(TRANSMUTE_X, want);
    assert_int_equal(0, ac_did_key_parse(TRANSMUTE_DID, got));
    assert_memory_equal(want, got, 32);
}

static void test_did_key_of_another_key_type_is_refused(void **state)
{
    (void)state;
    /* An X25519 did:key (multicodec 0xec) from the same README's family. */
    uint8_t got[32];
    assert_int_equal(
        AC_EPARSE,
        ac_did_key_parse("did:key:z6LSnjagzhe8Df6gZmroW3wjDd7XQLwAuYfwa4ZeTBCGFoYc", got));
    assert_int_equal(AC_EPARSE, ac_did_key_parse("did:key:z6Mk0OIl", got)); /* not base58 */
}

static void test_did_web_encodes_port_and_path(void **state)
{
    (void)state;
    char did[128];
    assert_int_equal(
        0, ac_did_web_from_url("https://node.example:8443/district/7/", did, sizeof(did)));
    /* did:web spec: port colon percent-encoded, path segments colon-separated. */
    assert_string_equal("did:web:node.example%3A8443:district:7", did);
    assert_int_equal(AC_EINVAL, ac_did_web_from_url("ftp://x", did, sizeof(did)));
    assert_int_equal(AC_E2BIG, ac_did_web_from_url("https://node.example", did, 8));
}

static void test_jwks_lists_each_key_as_an_rfc8037_okp_jwk(void **state)
{
    (void)state;
    struct ac_key_info k[2] = {0};
    memcpy(k[0].public_key, rfc8032_pub, 32);
    k[0].not_before_ms = 1767225600000; /* 2026-01-01T00:00:00Z */
    k[0].not_after_ms = 1769904000500;  /* 2026-02-01T00:00:00.5Z */
    x_to_key(TRANSMUTE_X, k[1].public_key);
    k[1].not_before_ms = 1769904000500;
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_did_jwks(k, 2, &out));
    json_t *root = json_loadb((const char *)out.data, out.len, 0, NULL);
    assert_non_null(root);
    json_t *k0 = json_array_get(json_object_get(root, "keys"), 0);
    assert_string_equal("OKP", json_string_value(json_object_get(k0, "kty")));
    assert_string_equal("Ed25519", json_string_value(json_object_get(k0, "crv")));
    assert_string_equal(RFC8037_X, json_string_value(json_object_get(k0, "x")));
    assert_string_equal(RFC8032_KID, json_string_value(json_object_get(k0, "kid")));
    assert_string_equal("2026-01-01T00:00:00Z",
                        json_string_value(json_object_get(k0, "valid_from")));
    /* Rounded up to the next whole second so iat 2026-02-01T00:00:00 still fits. */
    assert_string_equal("2026-02-01T00:00:01Z",
                        json_string_value(json_object_get(k0, "valid_until")));
    json_t *k1 = json_array_get(json_object_get(root, "keys"), 1);
    assert_null(json_object_get(k1, "valid_until"));
    json_decref(root);
    ac_buf_release(&out);
}

static void test_jwks_parses_back_with_windows(void **state)
{
    (void)state;
    static const char jwks[] =
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
        "\",\"kid\":\"" RFC8032_KID
        "\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"valid_until\":\"2026-02-01T00:00:00Z\"}]}";
    struct ac_key_info *keys;
    size_t n;
    char why[160];
    assert_int_equal(0, ac_did_jwks_parse(jwks, strlen(jwks), &keys, &n, why, sizeof(why)));
    assert_int_equal(1, n);
    assert_memory_equal(rfc8032_pub, keys[0].public_key, 32);
    assert_string_equal(RFC8032_KID, keys[0].kid_hex);
    assert_int_equal(1767225600000, keys[0].not_before_ms);
    assert_int_equal(1769904000000, keys[0].not_after_ms);
    free(keys);
}

static void test_jwk_with_a_kid_not_derived_from_its_key_is_refused(void **state)
{
    (void)state;
    static const char jwks[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
                               "\",\"kid\":\"admin-chosen\"}]}";
    struct ac_key_info *keys;
    size_t n;
    char why[160];
    assert_int_equal(AC_EPARSE, ac_did_jwks_parse(jwks, strlen(jwks), &keys, &n, why, sizeof(why)));
    assert_string_equal("keys[0].kid: \"admin-chosen\" is not the key's derived id " RFC8032_KID,
                        why);
}

static void test_jwk_of_another_curve_is_refused(void **state)
{
    (void)state;
    static const char jwks[] =
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"}]}";
    struct ac_key_info *keys;
    size_t n;
    char why[160];
    assert_int_equal(AC_EPARSE, ac_did_jwks_parse(jwks, strlen(jwks), &keys, &n, why, sizeof(why)));
    assert_string_equal("keys[0].crv: must be \"Ed25519\"", why);
}

static void test_did_document_lists_retired_keys_as_multikeys(void **state)
{
    (void)state;
    struct ac_key_info k[2] = {0};
    memcpy(k[0].public_key, rfc8032_pub, 32);
    k[0].not_after_ms = 5000;
    x_to_key(TRANSMUTE_X, k[1].public_key);
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_did_web_document("did:web:node.example", k, 2, &out));
    json_t *doc = json_loadb((const char *)out.data, out.len, 0, NULL);
    assert_non_null(doc);
    json_t *vm = json_object_get(doc, "verificationMethod");
    assert_int_equal(2, json_array_size(vm));
    json_t *m1 = json_array_get(vm, 1);
    assert_string_equal("Multikey", json_string_value(json_object_get(m1, "type")));
    assert_string_equal("did:web:node.example",
                        json_string_value(json_object_get(m1, "controller")));
    /* The multibase is the did:key's method-specific id (same encoding). */
    assert_string_equal(TRANSMUTE_DID + 8,
                        json_string_value(json_object_get(m1, "publicKeyMultibase")));
    assert_string_equal("did:web:node.example#" RFC8032_KID,
                        json_string_value(json_object_get(json_array_get(vm, 0), "id")));
    assert_int_equal(2, json_array_size(json_object_get(doc, "assertionMethod")));
    json_decref(doc);
    ac_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_did_key_matches_a_published_example),
        cmocka_unit_test(test_did_key_parses_back_to_its_key),
        cmocka_unit_test(test_did_key_of_another_key_type_is_refused),
        cmocka_unit_test(test_did_web_encodes_port_and_path),
        cmocka_unit_test(test_jwks_lists_each_key_as_an_rfc8037_okp_jwk),
        cmocka_unit_test(test_jwks_parses_back_with_windows),
        cmocka_unit_test(test_jwk_with_a_kid_not_derived_from_its_key_is_refused),
        cmocka_unit_test(test_jwk_of_another_curve_is_refused),
        cmocka_unit_test(test_did_document_lists_retired_keys_as_multikeys),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
