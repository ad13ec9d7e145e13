/* test_recommend.c - tests core/recommend.c on small hand-built catalogs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/recommend.h"

static const char *const t_assess[] = {"formative-assessment", "math"};
static const char *const t_math[] = {"math"};
static const char *const t_assess_only[] = {"formative-assessment"};
static const char *const t_lit[] = {"literacy"};

static const struct ac_rec_credential creds[] = {
    {"A", t_assess, 2, 0},      {"B", t_math, 1, 0},   {"C", t_lit, 1, 0},
    {"D", t_lit, 1, 0},         {"E", t_assess, 2, 1}, /* inactive */
    {"F", t_assess_only, 1, 0},
};

static const char *const stack1[] = {"A", "B", "C"};
static const struct ac_rec_stack stacks[] = {{"numeracy", stack1, 3}};

static struct ac_rec_catalog catalog(const struct ac_rec_earned *earned, size_t n)
{
    struct ac_rec_catalog c = {creds, 6, stacks, 1, earned, n};
    return c;
}

static void test_next_in_stack_follows_the_furthest_held(void **state)
{
    (void)state;
    struct ac_rec_catalog c = catalog(NULL, 0);
    const char *held[] = {"A"};
    struct ac_rec_params p = {0, 1};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 1, &p, &r, &n));
    assert_true(n >= 1);
    assert_string_equal("B", r[0].credential);
    assert_int_equal(AC_REC_NEXT_IN_STACK, r[0].reason);
    assert_string_equal("numeracy", r[0].because);
    assert_float_equal(2.0, r[0].score, 0.0);
    free(r);
}

static void test_top_of_a_stack_has_no_next(void **state)
{
    (void)state;
    struct ac_rec_catalog c = catalog(NULL, 0);
    const char *held[] = {"C"};
    struct ac_rec_params p = {0, 1};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 1, &p, &r, &n));
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(AC_REC_NEXT_IN_STACK, r[i].reason);
    free(r);
}

static void test_co_earned_ranks_by_count_and_reports_lift(void **state)
{
    (void)state;
    /* Holding C (top of its stack, so no stack reason). Earners: e1 {C,D},
     * e2 {C,D}, e3 {C,D,F}, e4 {D}. D: 3 co-earners; F: 1. Lift of D =
     * (3/3) / (4/4) = 1; of F = (1/3) / (1/4) = 4/3. Count ranks first. */
    const struct ac_rec_earned earned[] = {
        {"e1", "C"}, {"e1", "D"}, {"e2", "C"}, {"e2", "D"},
        {"e3", "C"}, {"e3", "D"}, {"e3", "F"}, {"e4", "D"},
    };
    struct ac_rec_catalog c = catalog(earned, 8);
    const char *held[] = {"C"};
    struct ac_rec_params p = {0, 1};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 1, &p, &r, &n));
    assert_true(n >= 2);
    assert_string_equal("D", r[0].credential);
    assert_int_equal(AC_REC_CO_EARNED, r[0].reason);
    assert_float_equal(3.0, r[0].score, 0.0);
    assert_float_equal(1.0, r[0].lift, 1e-12);
    assert_string_equal("F", r[1].credential);
    assert_float_equal(4.0 / 3.0, r[1].lift, 1e-12);
    assert_string_equal("C", r[1].because);
    free(r);
}

static void test_co_earned_below_the_minimum_is_left_out(void **state)
{
    (void)state;
    const struct ac_rec_earned earned[] = {{"e1", "C"}, {"e1", "F"}};
    struct ac_rec_catalog c = catalog(earned, 2);
    const char *held[] = {"C"};
    struct ac_rec_params p = {0, 2};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 1, &p, &r, &n));
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(AC_REC_CO_EARNED, r[i].reason);
    free(r);
}

static void test_shared_tags_rank_by_number_shared_then_id(void **state)
{
    (void)state;
    /* Holding A (tags formative-assessment, math): B shares "math" but is next
     * in the stack; F shares one tag; E is retired; C and D share none. */
    struct ac_rec_catalog c = catalog(NULL, 0);
    const char *held[] = {"A"};
    struct ac_rec_params p = {0, 1};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 1, &p, &r, &n));
    assert_int_equal(2, n);
    assert_string_equal("B", r[0].credential); /* stack reason comes first, once */
    assert_string_equal("F", r[1].credential);
    assert_int_equal(AC_REC_SHARED_TAGS, r[1].reason);
    assert_string_equal("A", r[1].because);
    free(r);
}

static void test_held_and_inactive_credentials_are_never_recommended(void **state)
{
    (void)state;
    const struct ac_rec_earned earned[] = {{"e1", "A"}, {"e1", "E"}, {"e1", "B"}};
    struct ac_rec_catalog c = catalog(earned, 3);
    const char *held[] = {"A", "B"};
    struct ac_rec_params p = {0, 1};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 2, &p, &r, &n));
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal("A", r[i].credential);
        assert_string_not_equal("B", r[i].credential);
        assert_string_not_equal("E", r[i].credential);
    }
    free(r);
}

static void test_order_of_the_earned_list_does_not_change_the_result(void **state)
{
    (void)state;
    const struct ac_rec_earned fwd[] = {{"e1", "C"}, {"e1", "D"}, {"e2", "C"}, {"e2", "F"}};
    const struct ac_rec_earned rev[] = {{"e2", "F"}, {"e2", "C"}, {"e1", "D"}, {"e1", "C"}};
    struct ac_rec_catalog c1 = catalog(fwd, 4), c2 = catalog(rev, 4);
    const char *held[] = {"C"};
    struct ac_rec_params p = {0, 1};
    struct ac_recommendation *r1, *r2;
    size_t n1, n2;
    assert_int_equal(0, ac_recommend(&c1, held, 1, &p, &r1, &n1));
    assert_int_equal(0, ac_recommend(&c2, held, 1, &p, &r2, &n2));
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++)
        assert_string_equal(r1[i].credential, r2[i].credential);
    free(r1);
    free(r2);
}

static void test_max_limits_the_list(void **state)
{
    (void)state;
    struct ac_rec_catalog c = catalog(NULL, 0);
    const char *held[] = {"A"};
    struct ac_rec_params p = {1, 1};
    struct ac_recommendation *r;
    size_t n;
    assert_int_equal(0, ac_recommend(&c, held, 1, &p, &r, &n));
    assert_int_equal(1, n);
    free(r);
}

static void test_missing_parameters_are_rejected(void **state)
{
    (void)state;
    struct ac_rec_catalog c = catalog(NULL, 0);
    struct ac_recommendation *r = NULL;
    size_t n = 0;
    assert_int_equal(AC_EINVAL, ac_recommend(&c, NULL, 0, NULL, &r, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_in_stack_follows_the_furthest_held),
        cmocka_unit_test(test_top_of_a_stack_has_no_next),
        cmocka_unit_test(test_co_earned_ranks_by_count_and_reports_lift),
        cmocka_unit_test(test_co_earned_below_the_minimum_is_left_out),
        cmocka_unit_test(test_shared_tags_rank_by_number_shared_then_id),
        cmocka_unit_test(test_held_and_inactive_credentials_are_never_recommended),
        cmocka_unit_test(test_order_of_the_earned_list_does_not_change_the_result),
        cmocka_unit_test(test_max_limits_the_list),
        cmocka_unit_test(test_missing_parameters_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
