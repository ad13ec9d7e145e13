/* test_jsonld_allocation_failures.c - fail the 1st, 2nd, ... Nth allocation
 * (tests/unit/alloc_fail.h) of the OB 3.0 path: making the JSON-LD processor,
 * parsing, expanding, canonicalizing and verifying the published 1EdTech
 * credential, and signing one of ours. Each run gives the right answer or
 * AC_ENOMEM, never a refusal or a failed signature caused by the missing
 * memory; LeakSanitizer in the sanitizer build checks that no path leaks.
 *
 * Only our own allocations are failed, not jansson's: jansson 2.14's
 * hashtable_do_rehash() frees an object's buckets before allocating the
 * larger array and leaves them NULL when that fails, so any object past
 * eight members (every shipped context) corrupts the heap on that failure,
 * whoever the caller. What jansson reports as failed is still checked:
 * ac_jsonld_parse() turns it into AC_ENOMEM (json_alloc.h). */
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
#include "accord/base/json_alloc.h"
#include "accord/records/di.h"
#include "accord/records/jsonld.h"
#include "alloc_fail.h"

static char *signed_text;
static uint8_t pk[32];

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = __real_malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    /* Install json_alloc.c's watcher once, then point jansson at the real
     * allocator (see the file comment); ac_json_alloc_watch() only resets
     * its flag from now on. */
    ac_json_alloc_watch();
    json_set_alloc_funcs(__real_malloc, free);
    signed_text = slurp("vectors/ob3/1edtech-ob3/signed.json");
    /* values.json's publicKeyHex */
    const char *hex = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5";
    size_t n;
    if (!signed_text || sodium_hex2bin(pk, 32, hex, 64, NULL, &n, NULL) || n != 32)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(signed_text);
    return 0;
}

static void expect_ok_or_enomem(void *ctx, int rc, int failed)
{
    (void)ctx;
    if (failed && rc != 0 && rc != AC_ENOMEM)
        fail_msg("with an allocation failing the call returned %d (%s), not 0 or AC_ENOMEM", rc,
                 ac_strerror(rc));
    if (!failed && rc != 0)
        fail_msg("with no allocation failing the call returned %d (%s)", rc, ac_strerror(rc));
}

static int verify_vector(void *ctx)
{
    (void)ctx;
    struct ac_jsonld *p = NULL;
    json_t *doc = NULL;
    char why[384];
    int rc = ac_jsonld_new(&p, why, sizeof why);
    if (!rc)
        rc = ac_jsonld_parse(signed_text, strlen(signed_text), &doc, why, sizeof why);
    if (!rc)
        rc = ac_di_verify(p, doc, pk, why, sizeof why);
    json_decref(doc);
    ac_jsonld_free(p);
    return rc;
}

static void test_verifying_the_1edtech_credential_survives_every_failed_allocation(void **state)
{
    (void)state;
    long runs = alloc_fail_loop(verify_vector, expect_ok_or_enomem, NULL);
    print_message("%ld allocations failed in turn\n", runs);
    assert_true(runs >= 30);
}

/* The verify path's form: the document tree (jtree.h), never jansson. */
static int verify_vector_tree(void *ctx)
{
    (void)ctx;
    struct ac_jsonld *p = NULL;
    struct ac_jt_doc *doc = NULL;
    struct ac_di_proof pr;
    char why[384];
    int rc = ac_jsonld_new(&p, why, sizeof why);
    if (!rc)
        rc = ac_jt_parse(signed_text, strlen(signed_text), &doc, why, sizeof why);
    if (!rc)
        rc = ac_di_proof_get_jt(ac_jt_root(doc), &pr, why, sizeof why);
    if (!rc)
        rc = ac_di_verify_read_jt(p, ac_jt_root(doc), &pr, pk, why, sizeof why);
    ac_jt_free(doc);
    ac_jsonld_free(p);
    return rc;
}

static void test_verifying_from_the_document_tree_survives_every_failed_allocation(void **state)
{
    (void)state;
    long runs = alloc_fail_loop(verify_vector_tree, expect_ok_or_enomem, NULL);
    print_message("%ld allocations failed in turn\n", runs);
    assert_true(runs >= 30);
}

static int sign_and_verify(void *ctx)
{
    (void)ctx;
    struct ac_jsonld *p = NULL;
    json_t *doc = NULL;
    uint8_t spk[32], ssk[64], seed[32] = {7};
    char why[384];
    crypto_sign_seed_keypair(spk, ssk, seed);
    int rc = ac_jsonld_new(&p, why, sizeof why);
    if (!rc)
        rc = ac_jsonld_parse(signed_text, strlen(signed_text), &doc, why, sizeof why);
    if (!rc) {
        json_object_del(doc, "proof");
        rc = ac_di_sign(p, doc, "https://example.edu/issuers/565049#k", "2026-01-01T00:00:00Z",
                        ssk, 1, why, sizeof why);
    }
    if (!rc)
        rc = ac_di_verify(p, doc, spk, why, sizeof why);
    json_decref(doc);
    ac_jsonld_free(p);
    return rc;
}

static void test_signing_survives_every_failed_allocation(void **state)
{
    (void)state;
    long runs = alloc_fail_loop(sign_and_verify, expect_ok_or_enomem, NULL);
    print_message("%ld allocations failed in turn\n", runs);
    assert_true(runs >= 30);
}

static int run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verifying_the_1edtech_credential_survives_every_failed_allocation),
        cmocka_unit_test(test_verifying_from_the_document_tree_survives_every_failed_allocation),
        cmocka_unit_test(test_signing_survives_every_failed_allocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

int main(void)
{
    (void)alloc_fail_init; /* jansson is not failed here: see the file comment */
    return run();
}
