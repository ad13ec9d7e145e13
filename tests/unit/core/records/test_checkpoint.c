/* test_checkpoint.c - tests core/checkpoint.c: C2SP signed notes against the Go
 * reference implementation's published example, and tlog-checkpoint bodies
 * against the C2SP specification's example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "accord/records/checkpoint.h"
#include "accord/base/error.h"

/* The example key and note of golang.org/x/mod/sumdb/note (note_test.go and
 * the package documentation), which C2SP signed-note describes. The secret
 * key's base64 part is 0x01 || the Ed25519 seed. */
static const char go_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char go_note[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/* The example checkpoint body of c2sp.org/tlog-checkpoint. */
static const char c2sp_body[] = "example.com/behind-the-sofa\n"
                                "20852163\n"
                                "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

static struct ac_note_verifier go_verifier(void)
{
    struct ac_note_verifier v;
    assert_int_equal(0, ac_note_verifier_parse(go_vkey, &v));
    return v;
}

static void go_secret_key(uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
    uint8_t raw[33], pk[crypto_sign_PUBLICKEYBYTES];
    size_t n;
    assert_int_equal(0, sodium_base642bin(raw, sizeof raw, go_skey_b64, strlen(go_skey_b64), NULL,
                                          &n, NULL, sodium_base64_VARIANT_ORIGINAL));
    assert_int_equal(33, n);
    assert_int_equal(0, crypto_sign_seed_keypair(pk, sk, raw + 1));
}

static int verify(const char *note, size_t len, const struct ac_note_verifier *keys, size_t n)
{
    size_t text_len;
    char why[AC_NOTE_WHY_MAX];
    return ac_note_verify(note, len, keys, n, &text_len, why, sizeof why);
}

static void test_the_key_id_is_the_one_the_go_reference_publishes(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier();
    assert_string_equal("PeterNeumann", v.name);
    assert_int_equal(0xc74f20a3u, ac_note_key_id(v.name, v.public_key));
}

static void test_the_go_reference_note_verifies(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier();
    size_t text_len = 0;
    assert_int_equal(0, ac_note_verify(go_note, strlen(go_note), &v, 1, &text_len, NULL, 0));
    assert_int_equal(strlen(go_text), text_len);
}

static void test_signing_the_go_text_reproduces_the_go_note_byte_for_byte(void **state)
{
    (void)state;
    /* Ed25519 is deterministic (RFC 8032), so equal bytes show the key id,
     * signature layout and line format all agree with the reference. */
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    go_secret_key(sk);
    struct ac_note_verifier v = go_verifier();
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_note_sign(go_text, strlen(go_text), "PeterNeumann", v.public_key,
                                     ac_note_sign_secret_key, sk, &out));
    assert_int_equal(strlen(go_note), out.len);
    assert_memory_equal(go_note, out.data, out.len);
    ac_buf_release(&out);
}

static void test_a_changed_text_fails_the_signature(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier();
    char note[sizeof go_note];
    memcpy(note, go_note, sizeof go_note);
    note[3] ^= 0x20; /* "you" -> "yoU" */
    assert_int_equal(AC_ECRYPTO, verify(note, strlen(note), &v, 1));
}

static void test_a_note_signed_only_by_unknown_keys_is_refused(void **state)
{
    (void)state;
    struct ac_note_verifier other;
    uint8_t pk[32];
    memset(pk, 7, sizeof pk);
    assert_int_equal(0, ac_note_verifier_init(&other, "example.com/other", pk));
    assert_int_equal(AC_ENOENT, verify(go_note, strlen(go_note), &other, 1));
    /* Same name, different key: a different key id, so also unknown. */
    assert_int_equal(0, ac_note_verifier_init(&other, "PeterNeumann", pk));
    assert_int_equal(AC_ENOENT, verify(go_note, strlen(go_note), &other, 1));
}

static void test_signatures_by_unknown_keys_are_ignored_beside_a_good_one(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier();
    struct ac_buf note = AC_BUF_INIT;
    assert_int_equal(0, ac_buf_append_str(&note, go_note));
    /* A witness cosignature from a key we do not know (a 4-byte id and junk). */
    assert_int_equal(0, ac_buf_append_str(&note, "\xe2\x80\x94 witness.example/w1 AAAAAQID\n"));
    assert_int_equal(0, verify((const char *)note.data, note.len, &v, 1));
    ac_buf_release(&note);
}

static void test_malformed_notes_are_refused_as_malformed(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier();
    static const char *const bad[] = {
        "text\n",   /* no signatures */
        "text\n\n", /* blank line, nothing after */
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQ", /* no final newline */
        "text\n\n- PeterNeumann AAAAAQID\n",              /* ASCII hyphen, not em dash */
        "text\n\n\xe2\x80\x94 Peter+Neumann AAAAAQID\n",  /* '+' in a key name */
        "text\n\n\xe2\x80\x94  AAAAAQID\n",               /* empty key name */
        "text\n\n\xe2\x80\x94 PeterNeumann AAAA\n",       /* too short for an id and signature */
        "text\n\n\xe2\x80\x94 PeterNeumann AAAAAQI\n",    /* not padded base64 */
        "text\n\n\xe2\x80\x94 PeterNeumann AAAAAQ=D\n",   /* padding inside */
        "te\txt\n\n\xe2\x80\x94 PeterNeumann AAAAAQID\n", /* a control character */
        "t\xc3\x28xt\n\n\xe2\x80\x94 PeterNeumann AAAAAQID\n", /* invalid UTF-8 */
        "t\xc0\xafxt\n\n\xe2\x80\x94 PeterNeumann AAAAAQID\n", /* overlong UTF-8 */
        "text\n\n\xe2\x80\x94 PeterNeumann AAAAAQID\n\n",      /* blank line after signatures */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(AC_EPARSE, verify(bad[i], strlen(bad[i]), &v, 1));
}

static void test_oversized_notes_are_refused(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier();
    struct ac_buf note = AC_BUF_INIT;
    assert_int_equal(0, ac_buf_append_str(&note, go_note));
    for (int i = 0; i < AC_NOTE_MAX_SIGNATURES; i++)
        assert_int_equal(0, ac_buf_append_str(&note, "\xe2\x80\x94 w AAAAAQID\n"));
    assert_int_equal(AC_E2BIG, verify((const char *)note.data, note.len, &v, 1));
    ac_buf_release(&note);

    size_t big = AC_NOTE_MAX_BYTES + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, 'a', big);
    assert_int_equal(AC_E2BIG, verify(huge, big, &v, 1));
    free(huge);
}

static void test_verifier_keys_round_trip_and_mangled_ones_are_refused(void **state)
{
    (void)state;
    struct ac_note_verifier v = go_verifier(), w;
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_note_verifier_format(&v, &out));
    assert_int_equal(0, ac_buf_terminate(&out));
    assert_string_equal(go_vkey, (char *)out.data);
    ac_buf_release(&out);

    assert_int_equal(AC_EPARSE,
                     ac_note_verifier_parse(
                         "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &w));
    assert_int_equal(AC_EPARSE,
                     ac_note_verifier_parse(
                         "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &w));
    assert_int_equal(AC_EPARSE,
                     ac_note_verifier_parse(
                         "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10", &w));
    assert_int_equal(AC_EPARSE,
                     ac_note_verifier_parse(
                         "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &w));
    assert_int_equal(AC_EPARSE, ac_note_verifier_parse("PeterNeumann", &w));
}

static void test_key_names_with_spaces_or_plus_are_refused(void **state)
{
    (void)state;
    struct ac_note_verifier v;
    uint8_t pk[32] = {0};
    assert_int_equal(AC_EINVAL, ac_note_verifier_init(&v, "", pk));
    assert_int_equal(AC_EINVAL, ac_note_verifier_init(&v, "a b", pk));
    assert_int_equal(AC_EINVAL, ac_note_verifier_init(&v, "a+b", pk));
    assert_int_equal(AC_EINVAL, ac_note_verifier_init(&v,
                                                      "a\xc2\xa0"
                                                      "b",
                                                      pk)); /* U+00A0 */
    assert_int_equal(0, ac_note_verifier_init(&v, "example.com/log", pk));
}

static void test_the_c2sp_example_checkpoint_parses_and_formats_back(void **state)
{
    (void)state;
    struct ac_checkpoint cp;
    assert_int_equal(0, ac_checkpoint_parse(c2sp_body, strlen(c2sp_body), &cp, NULL, 0));
    assert_string_equal("example.com/behind-the-sofa", cp.origin);
    assert_int_equal(20852163, cp.size);
    assert_null(cp.extensions);
    assert_int_equal(0x0a, cp.root[0]); /* "CsUY" decodes to 0a c5 18 */
    assert_int_equal(0xc5, cp.root[1]);
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_checkpoint_format(&cp, &out));
    assert_int_equal(strlen(c2sp_body), out.len);
    assert_memory_equal(c2sp_body, out.data, out.len);
    ac_buf_release(&out);
    ac_checkpoint_release(&cp);
}

static void test_extension_lines_are_kept(void **state)
{
    (void)state;
    const char body[] = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx=1\ny\n";
    struct ac_checkpoint cp;
    assert_int_equal(0, ac_checkpoint_parse(body, strlen(body), &cp, NULL, 0));
    assert_int_equal(0, cp.size);
    assert_string_equal("x=1\ny\n", cp.extensions);
    ac_checkpoint_release(&cp);
}

static void test_malformed_checkpoint_bodies_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "o\n1\n",                                                /* no root line */
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",   /* empty origin */
        "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", /* leading zero */
        "o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", /* sign */
        "o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", /* 2^64 */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",      /* non-canonical bits */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n",      /* 31 bytes */
        "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",      /* base64url */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nx\n", /* empty ext line */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",        /* no final newline */
        /* size 0 with a root other than SHA-256 of nothing (RFC 9162 §2.1.1) */
        "o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ac_checkpoint cp;
        char why[AC_NOTE_WHY_MAX] = "";
        assert_int_equal(AC_EPARSE,
                         ac_checkpoint_parse(bad[i], strlen(bad[i]), &cp, why, sizeof why));
        assert_true(strncmp(why, "checkpoint: ", 12) == 0);
    }
}

static void test_the_largest_tree_size_parses(void **state)
{
    (void)state;
    const char body[] = "o\n18446744073709551615\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    struct ac_checkpoint cp;
    assert_int_equal(0, ac_checkpoint_parse(body, strlen(body), &cp, NULL, 0));
    assert_true(cp.size == UINT64_MAX);
    ac_checkpoint_release(&cp);
}

/* A fresh key and a checkpoint of |size| leaves of the accord test log. */
struct signer {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    struct ac_note_verifier v;
};

static void signer_init(struct signer *s, const char *name)
{
    crypto_sign_keypair(s->pk, s->sk);
    assert_int_equal(0, ac_note_verifier_init(&s->v, name, s->pk));
}

static void test_a_signed_checkpoint_opens_with_its_key(void **state)
{
    (void)state;
    struct signer s;
    signer_init(&s, "accord.example/log");
    struct ac_checkpoint cp = {.origin = "accord.example/log", .size = 5};
    memset(cp.root, 0x42, sizeof cp.root);
    struct ac_buf note = AC_BUF_INIT;
    assert_int_equal(0, ac_checkpoint_sign(&cp, "accord.example/log", s.pk, ac_note_sign_secret_key,
                                           s.sk, &note));
    struct ac_checkpoint got;
    assert_int_equal(0, ac_checkpoint_open((const char *)note.data, note.len, &s.v, 1,
                                           "accord.example/log", &got, NULL, 0));
    assert_string_equal("accord.example/log", got.origin);
    assert_int_equal(5, got.size);
    assert_memory_equal(cp.root, got.root, sizeof cp.root);
    ac_checkpoint_release(&got);
    char why[AC_NOTE_WHY_MAX];
    assert_int_equal(AC_EPARSE, ac_checkpoint_open((const char *)note.data, note.len, &s.v, 1,
                                                   "other.example/log", &got, why, sizeof why));
    assert_non_null(strstr(why, "other.example/log"));
    ac_buf_release(&note);
}

static void test_signing_refuses_text_that_is_not_a_note(void **state)
{
    (void)state;
    struct signer s;
    signer_init(&s, "k");
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(
        AC_EINVAL, ac_note_sign("no newline", 10, "k", s.pk, ac_note_sign_secret_key, s.sk, &out));
    assert_int_equal(AC_EINVAL,
                     ac_note_sign("bell\a\n", 6, "k", s.pk, ac_note_sign_secret_key, s.sk, &out));
    assert_int_equal(
        AC_EINVAL, ac_note_sign("ok\n", 3, "bad name", s.pk, ac_note_sign_secret_key, s.sk, &out));
    assert_int_equal(0, out.len);
    struct ac_checkpoint cp = {.origin = "two\nlines", .size = 1};
    assert_int_equal(AC_EINVAL,
                     ac_checkpoint_sign(&cp, "k", s.pk, ac_note_sign_secret_key, s.sk, &out));
}

/* Leaf hashes of the log "accord-leaf-<i>", for consistency proofs. */
static int test_leaf(void *ctx, uint64_t index, uint8_t out[AC_MERKLE_HASH_BYTES])
{
    (void)ctx;
    char data[32];
    int n = snprintf(data, sizeof data, "accord-leaf-%llu", (unsigned long long)index);
    ac_merkle_leaf_hash((const uint8_t *)data, (size_t)n, out);
    return 0;
}

static void checkpoint_of(struct ac_checkpoint *cp, char *origin, uint64_t size)
{
    struct ac_merkle_source src = {test_leaf, NULL, NULL};
    cp->origin = origin;
    cp->size = size;
    cp->extensions = NULL;
    assert_int_equal(0, ac_merkle_root(&src, size, cp->root));
}

static void test_a_witness_accepts_a_checkpoint_that_extends_the_last(void **state)
{
    (void)state;
    char origin[] = "o";
    struct ac_checkpoint a, b;
    checkpoint_of(&a, origin, 7);
    checkpoint_of(&b, origin, 19);
    struct ac_merkle_source src = {test_leaf, NULL, NULL};
    struct ac_merkle_proof p;
    assert_int_equal(0, ac_merkle_consistency_proof(&src, 7, 19, &p));
    assert_int_equal(0, ac_checkpoint_check_consistent(&a, &b, &p, NULL, 0));
}

static void test_a_witness_refuses_a_forked_history(void **state)
{
    (void)state;
    char origin[] = "o";
    struct ac_checkpoint a, b;
    checkpoint_of(&a, origin, 7);
    checkpoint_of(&b, origin, 19);
    struct ac_merkle_source src = {test_leaf, NULL, NULL};
    struct ac_merkle_proof p;
    assert_int_equal(0, ac_merkle_consistency_proof(&src, 7, 19, &p));
    a.root[0] ^= 1; /* the same size, another history */
    char why[AC_NOTE_WHY_MAX];
    assert_int_equal(AC_ECONFLICT, ac_checkpoint_check_consistent(&a, &b, &p, why, sizeof why));
    assert_non_null(strstr(why, "not one history"));
    struct ac_checkpoint c = a;
    struct ac_merkle_proof none = {.count = 0};
    checkpoint_of(&c, origin, 7);
    assert_int_equal(AC_ECONFLICT, ac_checkpoint_check_consistent(&a, &c, &none, NULL, 0));
}

static void test_a_witness_refuses_a_rollback_and_another_log(void **state)
{
    (void)state;
    char origin[] = "o", other[] = "p";
    struct ac_checkpoint a, b;
    checkpoint_of(&a, origin, 7);
    checkpoint_of(&b, origin, 6);
    struct ac_merkle_proof none = {.count = 0};
    assert_int_equal(AC_ERANGE, ac_checkpoint_check_consistent(&a, &b, &none, NULL, 0));
    checkpoint_of(&b, other, 7);
    assert_int_equal(AC_EINVAL, ac_checkpoint_check_consistent(&a, &b, &none, NULL, 0));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_key_id_is_the_one_the_go_reference_publishes),
        cmocka_unit_test(test_the_go_reference_note_verifies),
        cmocka_unit_test(test_signing_the_go_text_reproduces_the_go_note_byte_for_byte),
        cmocka_unit_test(test_a_changed_text_fails_the_signature),
        cmocka_unit_test(test_a_note_signed_only_by_unknown_keys_is_refused),
        cmocka_unit_test(test_signatures_by_unknown_keys_are_ignored_beside_a_good_one),
        cmocka_unit_test(test_malformed_notes_are_refused_as_malformed),
        cmocka_unit_test(test_oversized_notes_are_refused),
        cmocka_unit_test(test_verifier_keys_round_trip_and_mangled_ones_are_refused),
        cmocka_unit_test(test_key_names_with_spaces_or_plus_are_refused),
        cmocka_unit_test(test_the_c2sp_example_checkpoint_parses_and_formats_back),
        cmocka_unit_test(test_extension_lines_are_kept),
        cmocka_unit_test(test_malformed_checkpoint_bodies_are_refused),
        cmocka_unit_test(test_the_largest_tree_size_parses),
        cmocka_unit_test(test_a_signed_checkpoint_opens_with_its_key),
        cmocka_unit_test(test_signing_refuses_text_that_is_not_a_note),
        cmocka_unit_test(test_a_witness_accepts_a_checkpoint_that_extends_the_last),
        cmocka_unit_test(test_a_witness_refuses_a_forked_history),
        cmocka_unit_test(test_a_witness_refuses_a_rollback_and_another_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
