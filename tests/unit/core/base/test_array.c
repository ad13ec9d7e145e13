/* test_array.c - growing a heap array by doubling (core/base/array.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "accord/base/array.h"
#include "accord/base/error.h"

static void test_a_first_growth_makes_room_for_eight(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 1, sizeof *a));
    assert_non_null(a);
    assert_int_equal(8, cap);
    a[7] = 1; /* the whole room is usable (ASan would say otherwise) */
    free(a);
}

static void test_growth_doubles_until_the_need_fits(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 8, sizeof *a));
    assert_int_equal(8, cap);
    /* 9 does not fit in 8: doubled once to 16. 40 needs 16 -> 32 -> 64. */
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 9, sizeof *a));
    assert_int_equal(16, cap);
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 40, sizeof *a));
    assert_int_equal(64, cap);
    a[63] = 1;
    free(a);
}

static void test_a_need_that_fits_changes_nothing(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 5, sizeof *a));
    int *before = a;
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 8, sizeof *a));
    assert_ptr_equal(before, a);
    assert_int_equal(8, cap);
    free(a);
}

static void test_a_size_that_would_overflow_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(0, ac_array_grow((void **)&a, &cap, 1, sizeof *a));
    int *before = a;
    /* SIZE_MAX / 2 elements of 4 bytes are more bytes than a size_t holds. */
    assert_int_equal(AC_ENOMEM, ac_array_grow((void **)&a, &cap, SIZE_MAX / 2, sizeof *a));
    assert_int_equal(AC_ENOMEM, ac_array_grow((void **)&a, &cap, SIZE_MAX, 1));
    assert_ptr_equal(before, a);
    assert_int_equal(8, cap);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_first_growth_makes_room_for_eight),
        cmocka_unit_test(test_growth_doubles_until_the_need_fits),
        cmocka_unit_test(test_a_need_that_fits_changes_nothing),
        cmocka_unit_test(test_a_size_that_would_overflow_is_refused_and_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
