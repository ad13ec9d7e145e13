/* test_artifacts.c - tests node/review/artifacts.c without HTTP: bytes are
 * stored under their SHA-256 and read back by their uploader; a stated hash
 * that does not match stores nothing; someone without a right finds nothing;
 * bytes damaged on disk are refused as corrupt, never served. */
#include "review_fixture.h"
#include "accord/store/artifact.h"

#define SHA256_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static void test_stored_bytes_are_read_back_by_their_uploader(void **state)
{
    (void)state;
    struct ac_artifact art;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__artifact_store(&fx.node, fx.earner, (const uint8_t *)"hello", 5,
                                           "text/plain", SHA256_HELLO, &art, &why));
    assert_string_equal(SHA256_HELLO, art.hash);
    assert_int_equal(5, art.size);
    assert_string_equal("text/plain", art.media_type);
    uint8_t *data = NULL;
    size_t len = 0;
    struct ac_artifact got;
    assert_int_equal(
        0, ac__artifact_read(&fx.node, fx.earner, 0, SHA256_HELLO, &got, &data, &len, &why));
    assert_int_equal(5, len);
    assert_memory_equal("hello", data, 5);
    free(data);
    /* Another earner has no right to it: it does not exist for them. */
    int64_t other = fx_user("mallory", AC_ROLE_EARNER);
    assert_int_equal(AC_ENOENT,
                     ac__artifact_read(&fx.node, other, 0, SHA256_HELLO, &got, &data, &len, &why));
    assert_int_equal(
        0, ac__artifact_read(&fx.node, fx.admin, 1, SHA256_HELLO, &got, &data, &len, &why));
    free(data);
}

static void test_a_hash_that_does_not_match_stores_nothing(void **state)
{
    (void)state;
    struct ac_artifact art;
    struct ac_reason why = AC_REASON_INIT;
    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(AC_EINVAL, ac__artifact_store(&fx.node, fx.earner, (const uint8_t *)"hello", 5,
                                                   NULL, wrong, &art, &why));
    assert_int_equal(AC_PROBLEM_HASH_MISMATCH, why.problem);
    assert_string_equal("sha256", why.field);
    assert_int_equal(AC_ENOENT, ac_store_artifact_get(fx.node.store, SHA256_HELLO, &art));
    assert_int_equal(AC_EINVAL,
                     ac__artifact_store(&fx.node, fx.earner, NULL, 0, NULL, NULL, &art, &why));
    assert_string_equal("body", why.field);
}

static void test_bytes_damaged_on_disk_are_refused_as_corrupt(void **state)
{
    (void)state;
    struct ac_artifact art;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__artifact_store(&fx.node, fx.earner, (const uint8_t *)"hello", 5, NULL,
                                           NULL, &art, &why));
    assert_string_equal("application/octet-stream", art.media_type);
    char path[256];
    snprintf(path, sizeof path, "%s/artifacts/%.2s/%s", fx.dir, SHA256_HELLO, SHA256_HELLO);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("jello", f);
    fclose(f);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(
        AC_EIO, ac__artifact_read(&fx.node, fx.earner, 0, SHA256_HELLO, &art, &data, &len, &why));
    assert_int_equal(AC_PROBLEM_ARTIFACT_CORRUPT, why.problem);
    assert_null(data);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_open, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_stored_bytes_are_read_back_by_their_uploader),
        T(test_a_hash_that_does_not_match_stores_nothing),
        T(test_bytes_damaged_on_disk_are_refused_as_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
