/* test_allocation_failures.c - fail the 1st, 2nd, ... Nth allocation of the
 * record writer, the checkpoint and note code, the status list, the
 * definition parser and the store: each run gives 0 or AC_ENOMEM (never a
 * crash or another code), and the sanitizer build's LeakSanitizer shows
 * nothing leaks on any path. (It found the definition parser answering a
 * failed allocation inside jansson as the client's malformed JSON.) The parsers that face the
 * network and allocate nothing (CBOR, COSE, record and bundle decoding read in place) are checked
 * to stay that way. */
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
#include "accord/records/bundle.h"
#include "accord/records/checkpoint.h"
#include "accord/records/record.h"
#include "accord/records/status.h"
#include "accord/review/definition.h"
#include "accord/sign/cose.h"
#include "accord/store/store.h"
#include "alloc_fail.h"
#include "test_dir.h"

static uint8_t sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];

static void expect_ok_or_enomem(void *ctx, int rc, int failed)
{
    (void)ctx;
    /* A failed allocation may also be survived (jansson keeps a hash table
     * that could not grow), so 0 is fine too; any other code is not. */
    if (failed && rc != AC_ENOMEM && rc != 0)
        fail_msg("an allocation failed and the call returned %d (%s), not AC_ENOMEM", rc,
                 ac_strerror(rc));
    if (!failed && rc != 0)
        fail_msg("with no allocation failing the call returned %d (%s)", rc, ac_strerror(rc));
}

static void fill_record(struct ac_record *rec)
{
    memset(rec, 0, sizeof *rec);
    snprintf(rec->iss, sizeof rec->iss, "https://issuer.example");
    snprintf(rec->sub, sizeof rec->sub, "sha256$0123456789abcdef");
    rec->iat = rec->nbf = 1764000000;
    memset(rec->cti, 7, sizeof rec->cti);
    snprintf(rec->definition_id, sizeof rec->definition_id, "phonics-k2");
    rec->definition_version = 3;
    snprintf(rec->achieved_level, sizeof rec->achieved_level, "pass");
    rec->has_ceu = true;
    rec->ceu_hundredths = 150;
    rec->has_status = true;
    rec->status_idx = 42;
    snprintf(rec->status_uri, sizeof rec->status_uri, "https://issuer.example/v1/status/token");
}

static int sign_record(void *ctx)
{
    struct ac_buf *out = ctx;
    struct ac_record rec;
    fill_record(&rec);
    ac_buf_release(out);
    static const uint8_t kid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    return ac_record_sign(&rec, kid, sizeof kid, ac_cose_sign_with_secret_key, sk, out);
}

static void test_the_record_writer_survives_every_failed_allocation(void **state)
{
    (void)state;
    struct ac_buf out = AC_BUF_INIT;
    long failures = alloc_fail_loop(sign_record, expect_ok_or_enomem, &out);
    assert_true(failures >= 1);
    /* The last run succeeded: the record it wrote decodes. */
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    assert_int_equal(0, ac_record_decode(out.data, out.len, &rec, &msg, NULL, 0));
    assert_int_equal(0, ac_cose_sign1_verify(&msg, pk));
    ac_buf_release(&out);
}

static void test_decoding_a_record_allocates_nothing(void **state)
{
    (void)state;
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, sign_record(&out));
    alloc_count = 0;
    struct ac_record rec;
    struct ac_cose_sign1 msg;
    assert_int_equal(0, ac_record_decode(out.data, out.len, &rec, &msg, NULL, 0));
    assert_int_equal(0, ac_cose_sign1_verify(&msg, pk));
    assert_int_equal(0, alloc_count);
    ac_buf_release(&out);
}

struct note_case {
    struct ac_buf note;
};

static int sign_and_open_checkpoint(void *ctx)
{
    struct note_case *c = ctx;
    ac_buf_release(&c->note);
    struct ac_checkpoint cp = {.origin = "issuer.example/log", .size = 5};
    memset(cp.root, 9, sizeof cp.root);
    struct ac_buf text = AC_BUF_INIT;
    int rc = ac_checkpoint_format(&cp, &text);
    if (!rc)
        rc = ac_note_sign((const char *)text.data, text.len, "issuer.example/log", pk,
                          ac_note_sign_secret_key, sk, &c->note);
    ac_buf_release(&text);
    if (rc)
        return rc;
    struct ac_note_verifier v;
    rc = ac_note_verifier_init(&v, "issuer.example/log", pk);
    struct ac_checkpoint back = {0};
    if (!rc)
        rc = ac_checkpoint_open((const char *)c->note.data, c->note.len, &v, 1, NULL, &back, NULL,
                                0);
    if (!rc && back.size != 5)
        rc = AC_EBUG;
    ac_checkpoint_release(&back);
    return rc;
}

static void test_signing_and_opening_a_checkpoint_survive_every_failed_allocation(void **state)
{
    (void)state;
    struct note_case c = {AC_BUF_INIT};
    assert_true(alloc_fail_loop(sign_and_open_checkpoint, expect_ok_or_enomem, &c) >= 1);
    ac_buf_release(&c.note);
}

static int status_list_roundtrip(void *ctx)
{
    (void)ctx;
    struct ac_status_list *l = NULL;
    int rc = ac_status_list_new(AC_STATUS_MIN_ENTRIES, &l);
    uint64_t idx = 0;
    if (!rc)
        rc = ac_status_list_assign(l, &idx);
    if (!rc)
        rc = ac_status_list_set(l, idx, AC_STATUS_INVALID);
    struct ac_buf z = AC_BUF_INIT;
    if (!rc)
        rc = ac_status_list_compress(l, &z);
    ac_buf_release(&z);
    ac_status_list_free(l);
    return rc;
}

static void test_the_status_list_survives_every_failed_allocation(void **state)
{
    (void)state;
    assert_true(alloc_fail_loop(status_list_roundtrip, expect_ok_or_enomem, NULL) >= 1);
}

static char *definition_text;
static size_t definition_len;

static int parse_definition(void *ctx)
{
    (void)ctx;
    struct ac_definition *d = NULL;
    struct ac_def_problems pr = {0};
    int rc = ac_def_from_json(definition_text, definition_len, &d, &pr);
    ac_def_problems_release(&pr);
    ac_def_free(d);
    return rc;
}

static void test_the_definition_parser_survives_every_failed_allocation(void **state)
{
    (void)state;
    FILE *f = fopen("../../../conf/definitions/formative-feedback-associate.json", "rb");
    assert_non_null(f);
    static char text[1 << 16];
    definition_len = fread(text, 1, sizeof text, f);
    fclose(f);
    definition_text = text;
    assert_true(alloc_fail_loop(parse_definition, expect_ok_or_enomem, NULL) >= 10);
}

static char store_dir[64];

static int open_store(void *ctx)
{
    (void)ctx;
    char path[128];
    snprintf(path, sizeof path, "%s/accord.db", store_dir);
    unlink(path);
    struct ac_store *st = NULL;
    int rc = ac_store_open(path, &st);
    ac_store_close(st);
    return rc;
}

static void test_opening_a_new_store_survives_every_failed_allocation(void **state)
{
    (void)state;
    assert_int_equal(0, test_make_dir(store_dir, sizeof store_dir, "accord-alloc"));
    alloc_fail_loop(open_store, expect_ok_or_enomem, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/accord.db", store_dir);
    unlink(path);
    rmdir(store_dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(pk, sk);
    alloc_fail_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_record_writer_survives_every_failed_allocation),
        cmocka_unit_test(test_decoding_a_record_allocates_nothing),
        cmocka_unit_test(test_signing_and_opening_a_checkpoint_survive_every_failed_allocation),
        cmocka_unit_test(test_the_status_list_survives_every_failed_allocation),
        cmocka_unit_test(test_the_definition_parser_survives_every_failed_allocation),
        cmocka_unit_test(test_opening_a_new_store_survives_every_failed_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
