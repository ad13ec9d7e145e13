/* test_dataintegrity.c - eddsa-rdfc-2022 (core/records/dataintegrity.c and
 * multibase.c) reproducing byte for byte the W3C vc-di-eddsa Appendix A
 * vector and 1EdTech's OB 3.0 linked-data-proof vector
 * (tests/unit/core/vectors/ob3/, sources in SOURCES.md there): canonical
 * forms, hashes, signature and proofValue; verifying their signed documents;
 * and refusing altered ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "accord/records/di.h"
#include "accord/records/multibase.h"

#define W3C "vectors/ob3/w3c-vc-di-eddsa/"
#define OB "vectors/ob3/1edtech-ob3/"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* The file's text without trailing white space (the hex files end in none
 * or one newline). */
static char *slurp_trim(const char *path)
{
    char *s = slurp(path);
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = 0;
    return s;
}

static json_t *load(const char *path)
{
    json_error_t err;
    json_t *v = json_load_file(path, 0, &err);
    if (!v)
        fail_msg("%s: %s", path, err.text);
    return v;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

static struct ac_jsonld *proc(void)
{
    struct ac_jsonld *p = NULL;
    char why[256];
    assert_int_equal(ac_jsonld_new(&p, why, sizeof why), 0);
    return p;
}

static void assert_buf_is_file(struct ac_buf *b, const char *path)
{
    char *want = slurp(path);
    assert_int_equal(ac_buf_terminate(b), 0);
    assert_string_equal((const char *)b->data, want);
    free(want);
}

static void test_w3c_vector_canonical_forms_and_hashes_are_reproduced(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    json_t *doc = load(W3C "unsigned.json");
    json_t *config = load(W3C "proofConfigDataInt.json");
    struct ac_buf cp = AC_BUF_INIT, cd = AC_BUF_INIT;
    uint8_t h[64];
    char why[256], hx[129];
    assert_int_equal(ac_di_hash(p, doc, config, h, &cp, &cd, why, sizeof why), 0);
    assert_buf_is_file(&cp, W3C "proofCanonDataInt.txt");
    assert_buf_is_file(&cd, W3C "canonDocDataInt.txt");
    char *want_proof = slurp_trim(W3C "proofHashDataInt.txt");
    char *want_doc = slurp_trim(W3C "docHashDataInt.txt");
    char *want_all = slurp_trim(W3C "combinedHashDataInt.txt");
    hex(h, 32, hx);
    assert_string_equal(hx, want_proof);
    hex(h + 32, 32, hx);
    assert_string_equal(hx, want_doc);
    hex(h, 64, hx);
    assert_string_equal(hx, want_all);
    free(want_proof);
    free(want_doc);
    free(want_all);
    ac_buf_release(&cp);
    ac_buf_release(&cd);
    json_decref(doc);
    json_decref(config);
    ac_jsonld_free(p);
}

/* Ed25519 is deterministic (RFC 8032), so signing the vector's document with
 * its key must give the published signature and proofValue. */
static void test_w3c_vector_signature_and_proof_value_are_reproduced(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    json_t *keys = load(W3C "keyPair.json");
    json_t *doc = load(W3C "unsigned.json");
    json_t *signed_doc = load(W3C "signedDataInt.json");
    uint8_t seed[32], pk[32], sk[64], pk_from_multikey[32];
    assert_int_equal(ac_multikey_ed25519_seed(
                         json_string_value(json_object_get(keys, "privateKeyMultibase")), seed),
                     0);
    assert_int_equal(ac_multikey_ed25519_public(
                         json_string_value(json_object_get(keys, "publicKeyMultibase")),
                         pk_from_multikey),
                     0);
    crypto_sign_seed_keypair(pk, sk, seed);
    assert_memory_equal(pk, pk_from_multikey, 32);

    const json_t *want_proof = json_object_get(signed_doc, "proof");
    char why[256];
    assert_int_equal(
        ac_di_sign(p, doc,
                   json_string_value(json_object_get(want_proof, "verificationMethod")),
                   json_string_value(json_object_get(want_proof, "created")), sk, 0, why,
                   sizeof why),
        0);
    const json_t *proof = json_object_get(doc, "proof");
    char *want_value = slurp_trim(W3C "sigBTC58DataInt.txt");
    assert_string_equal(json_string_value(json_object_get(proof, "proofValue")), want_value);
    assert_true(json_equal((json_t *)proof, (json_t *)want_proof));

    struct ac_di_proof pr;
    char *want_hex = slurp_trim(W3C "sigHexDataInt.txt"), hx[129];
    assert_int_equal(ac_di_proof_get(doc, &pr, why, sizeof why), 0);
    hex(pr.signature, 64, hx);
    assert_string_equal(hx, want_hex);
    free(want_hex);
    free(want_value);
    json_decref(keys);
    json_decref(doc);
    json_decref(signed_doc);
    ac_jsonld_free(p);
}

static void test_w3c_vector_signed_document_verifies(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    json_t *keys = load(W3C "keyPair.json");
    json_t *doc = load(W3C "signedDataInt.json");
    uint8_t pk[32];
    char why[256];
    assert_int_equal(ac_multikey_ed25519_public(
                         json_string_value(json_object_get(keys, "publicKeyMultibase")), pk),
                     0);
    int rc = ac_di_verify(p, doc, pk, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    json_decref(keys);
    json_decref(doc);
    ac_jsonld_free(p);
}

static void unhex(const char *h, uint8_t *out, size_t n)
{
    size_t got;
    assert_int_equal(sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL), 0);
    assert_int_equal(got, n);
}

static void test_1edtech_vector_canonical_forms_hashes_and_signature_are_reproduced(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    json_t *values = load(OB "values.json");
    json_t *signed_doc = load(OB "signed.json");
    json_t *doc = json_copy(signed_doc);
    json_object_del(doc, "proof");
    const json_t *want_proof = json_object_get(signed_doc, "proof");

    struct ac_buf cp = AC_BUF_INIT, cd = AC_BUF_INIT;
    uint8_t h[64], sk[64];
    char why[256], hx[129];
    assert_int_equal(ac_di_hash(p, doc, want_proof, h, &cp, &cd, why, sizeof why), 0);
    assert_buf_is_file(&cp, OB "proof-canon.txt");
    assert_buf_is_file(&cd, OB "document-canon.txt");
    hex(h, 32, hx);
    assert_string_equal(hx, json_string_value(json_object_get(values, "proofHash")));
    hex(h + 32, 32, hx);
    assert_string_equal(hx, json_string_value(json_object_get(values, "docHash")));
    hex(h, 64, hx);
    assert_string_equal(hx, json_string_value(json_object_get(values, "hashData")));

    unhex(json_string_value(json_object_get(values, "privateKeyHex")), sk, 64);
    assert_int_equal(
        ac_di_sign(p, doc,
                   json_string_value(json_object_get(want_proof, "verificationMethod")),
                   json_string_value(json_object_get(want_proof, "created")), sk, 0, why,
                   sizeof why),
        0);
    struct ac_di_proof pr;
    assert_int_equal(ac_di_proof_get(doc, &pr, why, sizeof why), 0);
    hex(pr.signature, 64, hx);
    assert_string_equal(hx, json_string_value(json_object_get(values, "signatureHex")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "proof"),
                                                          "proofValue")),
                        json_string_value(json_object_get(values, "proofValue")));
    ac_buf_release(&cp);
    ac_buf_release(&cd);
    json_decref(values);
    json_decref(signed_doc);
    json_decref(doc);
    ac_jsonld_free(p);
}

static json_t *ob_signed(uint8_t pk[32])
{
    json_t *values = load(OB "values.json");
    unhex(json_string_value(json_object_get(values, "publicKeyHex")), pk, 32);
    json_decref(values);
    return load(OB "signed.json");
}

static void test_1edtech_vector_signed_credential_verifies(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    int rc = ac_di_verify(p, doc, pk, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    json_decref(doc);
    ac_jsonld_free(p);
}

/* ac_di_verify_read() trusts the proof it is handed as read, so it must
 * still check that proof's signature and purpose, not the document's. */
static void test_a_proof_read_once_verifies_and_its_signature_and_purpose_still_count(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    struct ac_di_proof pr;
    assert_int_equal(ac_di_proof_get(doc, &pr, why, sizeof why), 0);
    int rc = ac_di_verify_read(p, doc, &pr, pk, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    pr.signature[17] ^= 0x01;
    assert_int_equal(ac_di_verify_read(p, doc, &pr, pk, why, sizeof why), AC_ECRYPTO);
    assert_non_null(strstr(why, "does not verify"));
    pr.signature[17] ^= 0x01;
    pr.purpose = "authentication";
    assert_int_equal(ac_di_verify_read(p, doc, &pr, pk, why, sizeof why), AC_EINVAL);
    assert_non_null(strstr(why, "is not assertionMethod"));
    json_decref(doc);
    ac_jsonld_free(p);
}

static void test_a_changed_credential_does_not_verify(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    json_object_set_new(doc, "name", json_string("Teamwork Badgf"));
    assert_int_equal(ac_di_verify(p, doc, pk, why, sizeof why), AC_ECRYPTO);
    assert_non_null(strstr(why, "does not verify"));
    json_decref(doc);
    ac_jsonld_free(p);
}

static void test_a_changed_proof_does_not_verify(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    json_object_set_new(json_object_get(doc, "proof"), "created",
                        json_string("2010-01-01T19:23:25Z"));
    assert_int_equal(ac_di_verify(p, doc, pk, why, sizeof why), AC_ECRYPTO);
    json_decref(doc);
    ac_jsonld_free(p);
}

/* The 1EdTech JSON schema expects proof as an array; the proof inside is
 * the same, so the published signature still verifies. */
static void test_a_proof_given_as_a_one_element_array_verifies(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    json_t *arr = json_pack("[O]", json_object_get(doc, "proof"));
    json_object_set_new(doc, "proof", arr);
    int rc = ac_di_verify(p, doc, pk, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    json_array_append(arr, json_array_get(arr, 0));
    assert_int_equal(ac_di_verify(p, doc, pk, why, sizeof why), AC_EINVAL);
    assert_non_null(strstr(why, "exactly one"));
    json_decref(doc);
    ac_jsonld_free(p);
}

static void test_another_cryptosuite_is_refused_by_name(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    json_object_set_new(json_object_get(doc, "proof"), "cryptosuite",
                        json_string("ecdsa-rdfc-2019"));
    assert_int_equal(ac_di_verify(p, doc, pk, why, sizeof why), AC_EINVAL);
    assert_string_equal(why, "proof.cryptosuite: \"ecdsa-rdfc-2019\" is not eddsa-rdfc-2022");
    json_decref(doc);
    ac_jsonld_free(p);
}

static void test_a_credential_with_an_undefined_term_is_refused_not_verified(void **state)
{
    (void)state;
    struct ac_jsonld *p = proc();
    uint8_t pk[32];
    json_t *doc = ob_signed(pk);
    char why[256];
    json_object_set_new(doc, "extraClaim", json_string("x"));
    assert_int_equal(ac_di_verify(p, doc, pk, why, sizeof why), AC_EINVAL);
    assert_string_equal(
        why, "document: extraClaim: term \"extraClaim\" is not defined by the document's contexts");
    json_decref(doc);
    ac_jsonld_free(p);
}

static void test_multibase_round_trips_leading_zero_bytes(void **state)
{
    (void)state;
    const uint8_t in[5] = {0, 0, 1, 2, 255};
    uint8_t back[8];
    char s[32];
    size_t n;
    assert_int_equal(ac_multibase_b58_encode(in, sizeof in, s, sizeof s), 0);
    assert_int_equal(strncmp(s, "z11", 3), 0); /* each leading zero byte is a '1' */
    assert_int_equal(ac_multibase_b58_decode(s, back, sizeof back, &n), 0);
    assert_int_equal(n, sizeof in);
    assert_memory_equal(back, in, sizeof in);
    assert_int_equal(ac_multibase_b58_decode("z0OIl", back, sizeof back, &n), AC_EPARSE);
    assert_int_equal(ac_multibase_b58_decode("uAAEC", back, sizeof back, &n), AC_EPARSE);
}

static void test_multibase_round_trips_every_length_to_128_bytes(void **state)
{
    (void)state;
    /* The decoder works five digits at a time in 32-bit limbs: every length,
     * with and without leading zero bytes, and all-0xff, comes back whole. */
    for (size_t len = 0; len <= 128; len++) {
        for (int form = 0; form < 3; form++) {
            uint8_t in[128], back[160];
            char s[200];
            size_t n = 0;
            randombytes_buf(in, len);
            if (form == 1 && len > 2)
                in[0] = in[1] = 0;
            if (form == 2)
                memset(in, 0xff, len);
            assert_int_equal(ac_multibase_b58_encode(in, len, s, sizeof s), 0);
            assert_int_equal(ac_multibase_b58_decode(s, back, sizeof back, &n), 0);
            assert_int_equal(n, len);
            if (len)
                assert_memory_equal(back, in, len);
        }
    }
    uint8_t small[4];
    size_t n;
    assert_int_equal(ac_multibase_b58_decode("z5Q", small, sizeof small, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(small[0], 255); /* '5' = 4, 'Q' = 23: 4 * 58 + 23 */
    assert_int_equal(ac_multibase_b58_decode("zLUv", small, 1, &n), AC_EPARSE); /* 2 bytes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_w3c_vector_canonical_forms_and_hashes_are_reproduced),
        cmocka_unit_test(test_w3c_vector_signature_and_proof_value_are_reproduced),
        cmocka_unit_test(test_w3c_vector_signed_document_verifies),
        cmocka_unit_test(test_1edtech_vector_canonical_forms_hashes_and_signature_are_reproduced),
        cmocka_unit_test(test_1edtech_vector_signed_credential_verifies),
        cmocka_unit_test(test_a_changed_credential_does_not_verify),
        cmocka_unit_test(test_a_changed_proof_does_not_verify),
        cmocka_unit_test(test_a_proof_given_as_a_one_element_array_verifies),
        cmocka_unit_test(test_another_cryptosuite_is_refused_by_name),
        cmocka_unit_test(test_a_proof_read_once_verifies_and_its_signature_and_purpose_still_count),
        cmocka_unit_test(test_a_credential_with_an_undefined_term_is_refused_not_verified),
        cmocka_unit_test(test_multibase_round_trips_leading_zero_bytes),
        cmocka_unit_test(test_multibase_round_trips_every_length_to_128_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
