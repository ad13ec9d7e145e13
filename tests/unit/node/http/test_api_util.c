/* test_api_util.c - tests node/http/api_util.c: the page of rows a list read
 * answers when it asked the store for one row past the page size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* A row shaped like the store's: the id is not the first member, so the
 * cursor is read at its offset, not at the row's start. */
struct row {
    char name[8];
    int64_t id;
};

static json_t *row_json(const void *row)
{
    const struct row *r = row;
    return json_pack("{s:s}", "name", r->name);
}

static json_t *page_of(const struct row *rows, size_t got, size_t limit)
{
    json_t *j =
        ac__page_rows_json(rows, sizeof *rows, got, limit, offsetof(struct row, id), row_json);
    assert_non_null(j);
    return j;
}

static void test_a_row_past_the_limit_is_not_shown_and_gives_the_cursor(void **state)
{
    (void)state;
    const struct row rows[] = {{"a", 7}, {"b", 11}, {"c", 40}};
    json_t *j = page_of(rows, 3, 2);
    json_t *items = json_object_get(j, "items");
    assert_int_equal(2, json_array_size(items));
    assert_string_equal("a", json_string_value(json_object_get(json_array_get(items, 0), "name")));
    assert_string_equal("b", json_string_value(json_object_get(json_array_get(items, 1), "name")));
    /* The cursor is the id of the last row shown (11), not of the extra one. */
    assert_string_equal("11", json_string_value(json_object_get(j, "next_cursor")));
    json_decref(j);
}

static void test_a_page_with_no_row_past_the_limit_has_no_cursor(void **state)
{
    (void)state;
    const struct row rows[] = {{"a", 7}, {"b", 11}};
    json_t *j = page_of(rows, 2, 2);
    assert_int_equal(2, json_array_size(json_object_get(j, "items")));
    assert_null(json_object_get(j, "next_cursor"));
    json_decref(j);
}

static void test_no_rows_give_an_empty_page(void **state)
{
    (void)state;
    json_t *j = page_of(NULL, 0, 50);
    assert_int_equal(0, json_array_size(json_object_get(j, "items")));
    assert_null(json_object_get(j, "next_cursor"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_row_past_the_limit_is_not_shown_and_gives_the_cursor),
        cmocka_unit_test(test_a_page_with_no_row_past_the_limit_has_no_cursor),
        cmocka_unit_test(test_no_rows_give_an_empty_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
