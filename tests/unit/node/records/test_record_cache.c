/* test_record_cache.c - tests node/record_cache.c: hits return the stored
 * bytes and ETag, a slot holds one id at a time, and the entry-size and
 * total-byte limits refuse rather than grow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "records/record_cache.h"

static const uint8_t RECORD[] = {0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27};

static void test_a_stored_record_comes_back_with_its_bytes_and_etag(void **state)
{
    (void)state;
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, 1 << 16, &c));
    assert_int_equal(0, ac__record_cache_put(c, 5, "\"0011\"", RECORD, sizeof RECORD));
    const struct ac__cached_record *e = ac__record_cache_get(c, 5);
    assert_non_null(e);
    assert_int_equal(5, e->id);
    assert_int_equal(sizeof RECORD, e->len);
    assert_memory_equal(RECORD, e->bytes, sizeof RECORD);
    assert_string_equal("\"0011\"", e->etag);
    ac__record_cache_free(c);
}

static void test_an_id_never_stored_is_a_miss(void **state)
{
    (void)state;
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, 1 << 16, &c));
    assert_int_equal(0, ac__record_cache_put(c, 5, "\"a\"", RECORD, sizeof RECORD));
    assert_null(ac__record_cache_get(c, 6));
    /* 13 shares id 5's slot in an 8-slot cache (13 mod 8 = 5). */
    assert_null(ac__record_cache_get(c, 13));
    ac__record_cache_free(c);
}

static void test_an_id_sharing_a_slot_replaces_the_old_entry(void **state)
{
    (void)state;
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, 1 << 16, &c));
    assert_int_equal(0, ac__record_cache_put(c, 5, "\"a\"", RECORD, sizeof RECORD));
    assert_int_equal(0, ac__record_cache_put(c, 13, "\"b\"", RECORD, 3));
    assert_null(ac__record_cache_get(c, 5));
    const struct ac__cached_record *e = ac__record_cache_get(c, 13);
    assert_non_null(e);
    assert_string_equal("\"b\"", e->etag);
    size_t entries, bytes;
    ac__record_cache_usage(c, &entries, &bytes);
    assert_int_equal(1, entries);
    assert_int_equal(sizeof(struct ac__cached_record) + 3, bytes);
    ac__record_cache_free(c);
}

static void test_a_record_over_the_entry_limit_is_not_cached(void **state)
{
    (void)state;
    static uint8_t big[AC__RECORD_CACHE_ENTRY_MAX + 1];
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, 1 << 20, &c));
    assert_int_equal(AC_E2BIG, ac__record_cache_put(c, 1, "\"a\"", big, sizeof big));
    assert_null(ac__record_cache_get(c, 1));
    ac__record_cache_free(c);
}

static void test_the_total_byte_cap_refuses_a_new_entry_rather_than_grow(void **state)
{
    (void)state;
    /* Room for exactly one six-byte entry with its header. */
    size_t one = sizeof(struct ac__cached_record) + sizeof RECORD;
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, one, &c));
    assert_int_equal(0, ac__record_cache_put(c, 1, "\"a\"", RECORD, sizeof RECORD));
    assert_int_equal(AC_E2BIG, ac__record_cache_put(c, 2, "\"b\"", RECORD, sizeof RECORD));
    assert_non_null(ac__record_cache_get(c, 1));
    assert_null(ac__record_cache_get(c, 2));
    size_t entries, bytes;
    ac__record_cache_usage(c, &entries, &bytes);
    assert_int_equal(1, entries);
    assert_int_equal(one, bytes);
    ac__record_cache_free(c);
}

static void test_a_refused_replacement_leaves_no_stale_entry_for_the_slot(void **state)
{
    (void)state;
    static uint8_t big[AC__RECORD_CACHE_ENTRY_MAX + 1];
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, 1 << 20, &c));
    assert_int_equal(0, ac__record_cache_put(c, 5, "\"a\"", RECORD, sizeof RECORD));
    assert_int_equal(AC_E2BIG, ac__record_cache_put(c, 5, "\"b\"", big, sizeof big));
    assert_null(ac__record_cache_get(c, 5));
    ac__record_cache_free(c);
}

static void test_an_etag_longer_than_the_limit_is_not_cached(void **state)
{
    (void)state;
    char etag[AC__ETAG_MAX + 1];
    memset(etag, 'a', AC__ETAG_MAX);
    etag[AC__ETAG_MAX] = '\0';
    struct ac__record_cache *c;
    assert_int_equal(0, ac__record_cache_new(8, 1 << 16, &c));
    assert_int_equal(AC_E2BIG, ac__record_cache_put(c, 1, etag, RECORD, sizeof RECORD));
    assert_null(ac__record_cache_get(c, 1));
    ac__record_cache_free(c);
}

static void test_a_slot_count_that_is_not_a_power_of_two_is_refused(void **state)
{
    (void)state;
    struct ac__record_cache *c = NULL;
    assert_int_equal(AC_EINVAL, ac__record_cache_new(6, 1 << 16, &c));
    assert_int_equal(AC_EINVAL, ac__record_cache_new(0, 1 << 16, &c));
    assert_null(c);
}

static void test_a_null_cache_misses_and_stores_nothing(void **state)
{
    (void)state;
    assert_null(ac__record_cache_get(NULL, 1));
    assert_int_equal(0, ac__record_cache_put(NULL, 1, "\"a\"", RECORD, sizeof RECORD));
    ac__record_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stored_record_comes_back_with_its_bytes_and_etag),
        cmocka_unit_test(test_an_id_never_stored_is_a_miss),
        cmocka_unit_test(test_an_id_sharing_a_slot_replaces_the_old_entry),
        cmocka_unit_test(test_a_record_over_the_entry_limit_is_not_cached),
        cmocka_unit_test(test_the_total_byte_cap_refuses_a_new_entry_rather_than_grow),
        cmocka_unit_test(test_a_refused_replacement_leaves_no_stale_entry_for_the_slot),
        cmocka_unit_test(test_an_etag_longer_than_the_limit_is_not_cached),
        cmocka_unit_test(test_a_slot_count_that_is_not_a_power_of_two_is_refused),
        cmocka_unit_test(test_a_null_cache_misses_and_stores_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
