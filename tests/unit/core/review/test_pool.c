/* test_pool.c - tests core/pool.c: reviewer pool sizing and activation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/review/definition.h"
#include "accord/base/error.h"
#include "accord/review/pool.h"

static void test_seed_example_needs_sixty_reviewers(void **state)
{
    (void)state;
    uint64_t n;
    /* Seed, Step 3B: (200 x 3) / 10 = 60. */
    assert_int_equal(0, ac_pool_min_reviewers(200, 3, 10, &n));
    assert_int_equal(60, n);
}

static void test_a_fractional_minimum_rounds_up(void **state)
{
    (void)state;
    uint64_t n;
    assert_int_equal(0, ac_pool_min_reviewers(61, 3, 10, &n));
    assert_int_equal(19, n); /* 183 / 10 = 18.3: 18 reviewers leave 3 reviews over */
}

static void test_zero_assignments_per_reviewer_is_rejected(void **state)
{
    (void)state;
    uint64_t n;
    assert_int_equal(AC_EINVAL, ac_pool_min_reviewers(200, 3, 0, &n));
}

static void test_overflowing_work_is_a_range_error(void **state)
{
    (void)state;
    uint64_t n;
    assert_int_equal(AC_ERANGE, ac_pool_min_reviewers(UINT64_MAX / 2, 3, 10, &n));
}

/* The associate example in conf/: 200 per period, 3 reviews, 10 per reviewer. */
static struct ac_definition *example(const char *state_name)
{
    static char buf[65536];
    FILE *f = fopen("../../../conf/definitions/formative-feedback-associate.json", "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    assert_int_equal(0, ac_def_from_json(buf, n, &d, &pr));
    ac_def_problems_release(&pr);
    assert_int_equal(0, ac_def_state_parse(state_name, &d->state));
    return d;
}

static void test_definition_minimum_uses_its_pool_estimates(void **state)
{
    (void)state;
    struct ac_definition *d = example("recruiting");
    uint64_t n;
    assert_int_equal(0, ac_pool_min_reviewers_def(d, &n));
    assert_int_equal(60, n);
    ac_def_free(d);
}

static void test_pool_at_the_minimum_activates(void **state)
{
    (void)state;
    struct ac_definition *d = example("recruiting");
    struct ac_pool_activation a;
    assert_int_equal(0, ac_pool_activation(d, 60, false, &a));
    assert_true(a.activate);
    ac_def_free(d);
}

static void test_pool_below_the_minimum_does_not_activate(void **state)
{
    (void)state;
    struct ac_definition *d = example("recruiting");
    struct ac_pool_activation a;
    assert_int_equal(0, ac_pool_activation(d, 59, false, &a));
    assert_false(a.activate);
    assert_string_equal("59 certified reviewers; the minimum is 60 (1 more needed)", a.reason);
    ac_def_free(d);
}

static void test_issuer_override_activates_a_small_pool(void **state)
{
    (void)state;
    struct ac_definition *d = example("recruiting");
    struct ac_pool_activation a;
    assert_int_equal(0, ac_pool_activation(d, 12, true, &a));
    assert_true(a.activate);
    assert_string_equal("issuer override: 12 certified reviewers, below the minimum of 60",
                        a.reason);
    ac_def_free(d);
}

static void test_only_a_recruiting_credential_activates(void **state)
{
    (void)state;
    struct ac_definition *d = example("training");
    struct ac_pool_activation a;
    assert_int_equal(0, ac_pool_activation(d, 100, true, &a));
    assert_false(a.activate);
    ac_def_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_example_needs_sixty_reviewers),
        cmocka_unit_test(test_a_fractional_minimum_rounds_up),
        cmocka_unit_test(test_zero_assignments_per_reviewer_is_rejected),
        cmocka_unit_test(test_overflowing_work_is_a_range_error),
        cmocka_unit_test(test_definition_minimum_uses_its_pool_estimates),
        cmocka_unit_test(test_pool_at_the_minimum_activates),
        cmocka_unit_test(test_pool_below_the_minimum_does_not_activate),
        cmocka_unit_test(test_issuer_override_activates_a_small_pool),
        cmocka_unit_test(test_only_a_recruiting_credential_activates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
