/* test_store_idempotency.c - tests core/store/store_idempotency.c: the
 * stored answers of keyed write requests (migration 27), read back whole,
 * one per key and sender, deleted and pruned by age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/store/idempotency.h"
#include "accord/store/store.h"
#include "store_fixture.h"

static int open_store(void **state)
{
    (void)state;
    return store_fixture_open("idempotency");
}

static struct ac_store_idem answer(int64_t created_ms, const char *body)
{
    struct ac_store_idem r = {
        .method = "POST",
        .path = "/v1/users?x=1",
        .status = 201,
        .headers = "content-type: application/json\nlocation: /v1/users/2\n",
        .body = (uint8_t *)body,
        .body_len = strlen(body),
        .created_ms = created_ms,
    };
    memset(r.body_hash, 0xab, sizeof r.body_hash);
    return r;
}

static void test_a_stored_answer_reads_back_whole(void **state)
{
    (void)state;
    struct ac_store_idem in = answer(1000, "{\"id\":2}");
    assert_int_equal(0, ac_store_idem_put(st, "b:aa", "key-1", &in));
    struct ac_store_idem out;
    assert_int_equal(0, ac_store_idem_get(st, "b:aa", "key-1", &out));
    assert_string_equal("POST", out.method);
    assert_string_equal("/v1/users?x=1", out.path);
    assert_memory_equal(in.body_hash, out.body_hash, sizeof out.body_hash);
    assert_int_equal(201, out.status);
    assert_string_equal(in.headers, out.headers);
    assert_int_equal(in.body_len, out.body_len);
    assert_memory_equal(in.body, out.body, in.body_len);
    assert_int_equal(1000, out.created_ms);
    ac_store_idem_release(&out);
}

static void test_an_empty_body_is_stored_as_no_bytes(void **state)
{
    (void)state;
    struct ac_store_idem in = answer(1000, "");
    assert_int_equal(0, ac_store_idem_put(st, "b:aa", "empty", &in));
    struct ac_store_idem out;
    assert_int_equal(0, ac_store_idem_get(st, "b:aa", "empty", &out));
    assert_int_equal(0, out.body_len);
    assert_null(out.body);
    ac_store_idem_release(&out);
}

static void test_a_key_is_one_per_sender(void **state)
{
    (void)state;
    struct ac_store_idem in = answer(1000, "{}");
    assert_int_equal(0, ac_store_idem_put(st, "b:aa", "key-1", &in));
    assert_int_equal(AC_EEXIST, ac_store_idem_put(st, "b:aa", "key-1", &in));
    assert_int_equal(0, ac_store_idem_put(st, "c:bb", "key-1", &in)); /* another sender's */
    struct ac_store_idem out;
    assert_int_equal(AC_ENOENT, ac_store_idem_get(st, "b:aa", "key-2", &out));
    assert_int_equal(AC_ENOENT, ac_store_idem_get(st, "-", "key-1", &out));
}

static void test_deleting_and_pruning_remove_only_what_they_name(void **state)
{
    (void)state;
    struct ac_store_idem old = answer(1000, "{}"), young = answer(5000, "{}");
    assert_int_equal(0, ac_store_idem_put(st, "b:aa", "old-1", &old));
    assert_int_equal(0, ac_store_idem_put(st, "b:aa", "old-2", &old));
    assert_int_equal(0, ac_store_idem_put(st, "b:aa", "young", &young));
    assert_int_equal(0, ac_store_idem_delete(st, "b:aa", "old-1"));
    assert_int_equal(0, ac_store_idem_delete(st, "b:aa", "old-1")); /* gone: no error */
    int64_t removed = -1;
    assert_int_equal(0, ac_store_idem_prune(st, 5000, &removed));
    assert_int_equal(1, removed); /* old-2; young was made at 5000, not before */
    struct ac_store_idem out;
    assert_int_equal(AC_ENOENT, ac_store_idem_get(st, "b:aa", "old-2", &out));
    assert_int_equal(0, ac_store_idem_get(st, "b:aa", "young", &out));
    ac_store_idem_release(&out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)
    const struct CMUnitTest tests[] = {
        T(test_a_stored_answer_reads_back_whole),
        T(test_an_empty_body_is_stored_as_no_bytes),
        T(test_a_key_is_one_per_sender),
        T(test_deleting_and_pruning_remove_only_what_they_name),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
