/* test_buf.c - tests core/buf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/buf.h"

static void test_appends_accumulate_in_order(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    assert_int_equal(0, ac_buf_append_str(&b, "ab"));
    assert_int_equal(0, ac_buf_push(&b, 'c'));
    assert_int_equal(0, ac_buf_printf(&b, "%d-%s", 42, "x"));
    assert_int_equal(0, ac_buf_terminate(&b));
    assert_string_equal("abc42-x", (char *)b.data);
    assert_int_equal(7, b.len);
    ac_buf_release(&b);
    assert_null(b.data);
}

static void test_growth_keeps_earlier_bytes(void **state)
{
    (void)state;
    struct ac_buf b = AC_BUF_INIT;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(0, ac_buf_push(&b, (uint8_t)i));
    for (int i = 0; i < 10000; i++)
        assert_int_equal((uint8_t)i, b.data[i]);
    size_t len;
    uint8_t *p = ac_buf_steal(&b, &len);
    assert_int_equal(10000, len);
    assert_null(b.data);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_accumulate_in_order),
        cmocka_unit_test(test_growth_keeps_earlier_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
