/* test_certify.c - tests core/certify.c: draws that never repeat seen items,
 * grading under each pass criterion, attempts and waits, and the chance of
 * passing by guessing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <sodium.h>

#include "accord/review/benchmark.h"
#include "accord/review/certify.h"
#include "accord/review/definition.h"
#include "accord/base/error.h"

#define DAY_MS INT64_C(86400000)

/* Pass/not yet, master review, seed training defaults (5 per level, 3
 * attempts, 7 days between them, all exact). */

/* cmocka 1.1 has no assert_double_equal. */
static void assert_near(double want, double got, double eps)
{
    if (!(fabs(want - got) <= eps)) {
        print_error("expected %.17g, got %.17g\n", want, got);
        fail();
    }
}

static struct ac_definition *pass_not_yet(void)
{
    const char *json =
        "{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","
        "\"method_components\":\"m\",\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":"
        "\"p\"}]},\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"
        "\"reviewers\":{\"mode\":\"master\"}}";
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    assert_int_equal(0, ac_def_from_json(json, strlen(json), &d, &pr));
    ac_def_problems_release(&pr);
    return d;
}

/* |per_level| resolved items per level, ids "L<level>-<i>". */
static void fill(struct ac_bench *b, size_t levels, int per_level)
{
    ac_bench_init(b, levels);
    for (size_t l = 0; l < levels; l++) {
        for (int i = 0; i < per_level; i++) {
            char id[48];
            snprintf(id, sizeof(id), "L%zu-%d", l, i);
            int s[] = {(int)l, (int)l};
            assert_int_equal(0, ac_bench_add(b, id, s, 2));
            assert_int_equal(0, ac_bench_resolve(b, id, (int)l, NULL, NULL));
        }
    }
}

static void test_draw_takes_sample_per_level_from_each_level(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_bench b;
    fill(&b, 2, 8);
    struct ac_cert_draw draw;
    assert_int_equal(0, ac_cert_draw(&b, d, NULL, 0, &draw, NULL, 0));
    assert_int_equal(10, draw.n); /* 5 per level x 2 levels */
    int per_level[2] = {0, 0};
    for (size_t i = 0; i < draw.n; i++) {
        per_level[b.items[draw.items[i]].final_level]++;
        for (size_t j = 0; j < i; j++)
            assert_true(draw.items[i] != draw.items[j]);
    }
    assert_int_equal(5, per_level[0]);
    assert_int_equal(5, per_level[1]);
    ac_cert_draw_release(&draw);
    ac_bench_release(&b);
    ac_def_free(d);
}

static void test_draw_never_repeats_a_seen_item(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_bench b;
    fill(&b, 2, 7);
    /* Two of each level's seven were seen: exactly five unseen remain, so
     * every draw must take all of them, and none of the seen. */
    const char *seen[] = {"L0-0", "L0-3", "L1-2", "L1-6"};
    for (int round = 0; round < 50; round++) {
        struct ac_cert_draw draw;
        assert_int_equal(0, ac_cert_draw(&b, d, seen, 4, &draw, NULL, 0));
        for (size_t i = 0; i < draw.n; i++)
            for (size_t s = 0; s < 4; s++)
                assert_string_not_equal(seen[s], b.items[draw.items[i]].id);
        ac_cert_draw_release(&draw);
    }
    ac_bench_release(&b);
    ac_def_free(d);
}

static void test_draw_names_the_level_without_enough_unseen_items(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_bench b;
    fill(&b, 2, 7);
    const char *seen[] = {"L1-0", "L1-1", "L1-2"};
    struct ac_cert_draw draw = {NULL, 0};
    char why[128];
    assert_int_equal(AC_ERANGE, ac_cert_draw(&b, d, seen, 3, &draw, why, sizeof(why)));
    assert_string_equal("level \"pass\": 4 unseen resolved items, 5 needed", why);
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(0, b.items[i].exposures); /* a failed draw changes nothing */
    ac_bench_release(&b);
    ac_def_free(d);
}

static void test_draw_skips_unresolved_items(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_bench b;
    fill(&b, 2, 5);
    int s[] = {0, 1};
    assert_int_equal(0, ac_bench_add(&b, "open", s, 2));
    for (int round = 0; round < 20; round++) {
        struct ac_cert_draw draw;
        assert_int_equal(0, ac_cert_draw(&b, d, NULL, 0, &draw, NULL, 0));
        for (size_t i = 0; i < draw.n; i++)
            assert_string_not_equal("open", b.items[draw.items[i]].id);
        ac_cert_draw_release(&draw);
    }
    ac_bench_release(&b);
    ac_def_free(d);
}

static void test_draw_counts_exposures(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_bench b;
    fill(&b, 2, 5); /* exactly five per level: every item is drawn */
    struct ac_cert_draw draw;
    assert_int_equal(0, ac_cert_draw(&b, d, NULL, 0, &draw, NULL, 0));
    ac_cert_draw_release(&draw);
    assert_int_equal(0, ac_cert_draw(&b, d, NULL, 0, &draw, NULL, 0));
    ac_cert_draw_release(&draw);
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(2, b.items[i].exposures);
    ac_bench_release(&b);
    ac_def_free(d);
}

static void test_draw_order_does_not_follow_the_levels(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_bench b;
    fill(&b, 2, 5);
    /* If draws came out level by level, the first item would always be
     * "not yet"; shuffled, 200 draws all starting with it has chance 2^-200. */
    bool first_was_pass = false;
    for (int round = 0; round < 200 && !first_was_pass; round++) {
        struct ac_cert_draw draw;
        assert_int_equal(0, ac_cert_draw(&b, d, NULL, 0, &draw, NULL, 0));
        first_was_pass = b.items[draw.items[0]].final_level == 1;
        ac_cert_draw_release(&draw);
    }
    assert_true(first_was_pass);
    ac_bench_release(&b);
    ac_def_free(d);
}

static const int truth10[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};

static void test_default_rule_passes_only_all_exact(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade(d, truth10, truth10, 10, &r));
    assert_true(r.passed);
    int answers[10];
    memcpy(answers, truth10, sizeof(answers));
    answers[7] = 0; /* a "pass" scored "not yet" */
    assert_int_equal(0, ac_cert_grade(d, truth10, answers, 10, &r));
    assert_false(r.passed);
    assert_int_equal(9, r.exact);
    assert_string_equal("exact agreement 9 of 10 (0.900), needs at least 1.000", r.reason);
    ac_def_free(d);
}

static void test_exact_rate_threshold_counts_items(void **state)
{
    (void)state;
    struct ac_pass_criterion rule[] = {{AC_PASS_EXACT_RATE, 0.8}};
    int answers[10];
    memcpy(answers, truth10, sizeof(answers));
    answers[0] = 1;
    answers[9] = 0; /* 8 of 10 exact: 0.8 >= 0.8 */
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade_rule(2, 1, rule, 1, truth10, answers, 10, &r));
    assert_true(r.passed);
    answers[5] = 0; /* 7 of 10 */
    assert_int_equal(0, ac_cert_grade_rule(2, 1, rule, 1, truth10, answers, 10, &r));
    assert_false(r.passed);
}

/* Four levels, passing level 2, one item per level. */
static const int truth4[] = {0, 1, 2, 3};

static void test_adjacent_rate_counts_answers_within_one_level(void **state)
{
    (void)state;
    struct ac_pass_criterion rule[] = {{AC_PASS_ADJACENT_RATE, 0.75}};
    int answers[] = {1, 1, 3, 1}; /* off by 1, 0, 1, 2: three of four within one */
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 1, truth4, answers, 4, &r));
    assert_int_equal(3, r.within_one);
    assert_true(r.passed);
    rule[0].min = 0.8;
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 1, truth4, answers, 4, &r));
    assert_false(r.passed);
}

static void test_a_discrepancy_of_two_levels_fails_no_beyond_one(void **state)
{
    (void)state;
    struct ac_pass_criterion rule[] = {{AC_PASS_NO_BEYOND_ONE, 0}};
    int near[] = {1, 0, 3, 2}, far[] = {0, 1, 2, 1};
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 1, truth4, near, 4, &r));
    assert_true(r.passed);
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 1, truth4, far, 4, &r));
    assert_false(r.passed); /* high pass scored almost there */
    assert_int_equal(1, r.beyond_one);
}

static void test_boundary_rule_allows_errors_on_one_side(void **state)
{
    (void)state;
    struct ac_pass_criterion rule[] = {{AC_PASS_BOUNDARY_EXACT, 0}};
    int same_side[] = {1, 0, 3, 2}; /* every answer on its truth's side of "pass" */
    int crossed[] = {0, 2, 2, 3};   /* "almost there" scored "pass" */
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 1, truth4, same_side, 4, &r));
    assert_true(r.passed);
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 1, truth4, crossed, 4, &r));
    assert_false(r.passed);
    assert_int_equal(1, r.boundary_misses);
}

static void test_quadratic_kappa_matches_a_hand_computation(void **state)
{
    (void)state;
    /* Three levels, weights (i-j)^2/4. Truth 0,1,2,0,1,2; answers 0,1,2,0,1,1.
     * Observed weighted disagreement: one (2,1) pair, w = 1/4, share 1/6 -> 1/24.
     * Marginals: truth 1/3 each; answers 2/6, 3/6, 1/6. Column weight sums
     * 5/4, 1/2, 5/4, so expected = 1/3 (2/6 5/4 + 3/6 1/2 + 1/6 5/4) = 7/24.
     * kappa = 1 - (1/24)/(7/24) = 6/7. */
    int truth[] = {0, 1, 2, 0, 1, 2}, answers[] = {0, 1, 2, 0, 1, 1};
    struct ac_pass_criterion rule[] = {{AC_PASS_QUADRATIC_KAPPA, 0.85}};
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade_rule(3, 1, rule, 1, truth, answers, 6, &r));
    assert_near(6.0 / 7.0, r.quadratic_kappa, 1e-12);
    assert_true(r.passed);
    rule[0].min = 0.86;
    assert_int_equal(0, ac_cert_grade_rule(3, 1, rule, 1, truth, answers, 6, &r));
    assert_false(r.passed);
}

static void test_all_criteria_of_a_rule_must_hold(void **state)
{
    (void)state;
    struct ac_pass_criterion rule[] = {{AC_PASS_EXACT_RATE, 0.5}, {AC_PASS_BOUNDARY_EXACT, 0}};
    int answers[] = {0, 2, 2, 3}; /* 3 of 4 exact, but one crosses the boundary */
    struct ac_cert_result r;
    assert_int_equal(0, ac_cert_grade_rule(4, 2, rule, 2, truth4, answers, 4, &r));
    assert_false(r.passed);
}

static void test_guessing_pass_not_yet_five_per_level_all_exact(void **state)
{
    (void)state;
    /* Seed, Step 3B: 0.5^10 = 1/1024 = 0.0009765625. */
    struct ac_pass_criterion rule[] = {{AC_PASS_EXACT_RATE, 1.0}};
    double p;
    assert_int_equal(0, ac_cert_guess_probability(2, 1, 5, rule, 1, &p));
    assert_near(1.0 / 1024.0, p, 1e-15);
}

static void test_guessing_an_exact_rate_threshold_is_a_binomial_tail(void **state)
{
    (void)state;
    /* 9 of 10 exact, X ~ Bin(10, 1/2): (C(10,9) + C(10,10)) / 2^10 = 11/1024. */
    struct ac_pass_criterion rule[] = {{AC_PASS_EXACT_RATE, 0.9}};
    double p;
    assert_int_equal(0, ac_cert_guess_probability(2, 1, 5, rule, 1, &p));
    assert_near(11.0 / 1024.0, p, 1e-15);
}

static void test_guessing_two_of_three_on_three_levels(void **state)
{
    (void)state;
    /* X ~ Bin(3, 1/3), P(X >= 2) = 3 (1/3)^2 (2/3) + (1/3)^3 = 6/27 + 1/27 = 7/27. */
    struct ac_pass_criterion rule[] = {{AC_PASS_EXACT_RATE, 2.0 / 3.0}};
    double p;
    assert_int_equal(0, ac_cert_guess_probability(3, 1, 1, rule, 1, &p));
    assert_near(7.0 / 27.0, p, 1e-15);
}

static void test_guessing_the_boundary_rule(void **state)
{
    (void)state;
    /* Four levels, passing at 2: each guess lands on the right side with
     * chance 2/4, four items: (1/2)^4 = 1/16. */
    struct ac_pass_criterion rule[] = {{AC_PASS_BOUNDARY_EXACT, 0}};
    double p;
    assert_int_equal(0, ac_cert_guess_probability(4, 2, 1, rule, 1, &p));
    assert_near(1.0 / 16.0, p, 1e-15);
}

static void test_guessing_no_discrepancy_beyond_one(void **state)
{
    (void)state;
    /* Three levels, one item each: within one of truth 0 is {0,1} (2/3), of
     * truth 1 all three (1), of truth 2 {1,2} (2/3): 2/3 x 1 x 2/3 = 4/9. */
    struct ac_pass_criterion rule[] = {{AC_PASS_NO_BEYOND_ONE, 0}};
    double p;
    assert_int_equal(0, ac_cert_guess_probability(3, 1, 1, rule, 1, &p));
    assert_near(4.0 / 9.0, p, 1e-15);
}

static void test_guessing_is_not_computed_for_kappa(void **state)
{
    (void)state;
    struct ac_pass_criterion rule[] = {{AC_PASS_QUADRATIC_KAPPA, 0.7}};
    double p;
    assert_int_equal(AC_EINVAL, ac_cert_guess_probability(4, 2, 5, rule, 1, &p));
}

static void test_first_attempt_may_start_now(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    enum ac_cert_when when;
    int64_t at;
    assert_int_equal(0, ac_cert_next_attempt(d, NULL, 0, 1000 * DAY_MS, &when, &at));
    assert_int_equal(AC_CERT_NOW, when);
    ac_def_free(d);
}

static void test_a_failed_attempt_waits_the_set_days(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet(); /* wait_days 7 */
    int64_t t0 = 1000 * DAY_MS;
    struct ac_cert_attempt h[] = {{t0, false}};
    enum ac_cert_when when;
    int64_t at;
    assert_int_equal(0, ac_cert_next_attempt(d, h, 1, t0 + DAY_MS, &when, &at));
    assert_int_equal(AC_CERT_WAIT, when);
    assert_true(at == t0 + 7 * DAY_MS);
    assert_int_equal(0, ac_cert_next_attempt(d, h, 1, t0 + 7 * DAY_MS, &when, &at));
    assert_int_equal(AC_CERT_NOW, when);
    ac_def_free(d);
}

static void test_the_wait_counts_from_the_latest_attempt(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    int64_t t0 = 1000 * DAY_MS;
    struct ac_cert_attempt h[] = {{t0 + 9 * DAY_MS, false}, {t0, false}};
    enum ac_cert_when when;
    int64_t at;
    assert_int_equal(0, ac_cert_next_attempt(d, h, 2, t0 + 10 * DAY_MS, &when, &at));
    assert_int_equal(AC_CERT_WAIT, when);
    assert_true(at == t0 + 16 * DAY_MS);
    ac_def_free(d);
}

static void test_no_attempts_left_after_three_failures(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet(); /* attempts 3 */
    struct ac_cert_attempt h[] = {{DAY_MS, false}, {9 * DAY_MS, false}, {20 * DAY_MS, false}};
    enum ac_cert_when when;
    int64_t at;
    assert_int_equal(0, ac_cert_next_attempt(d, h, 3, 400 * DAY_MS, &when, &at));
    assert_int_equal(AC_CERT_NO_ATTEMPTS, when);
    ac_def_free(d);
}

static void test_a_passed_attempt_means_certified(void **state)
{
    (void)state;
    struct ac_definition *d = pass_not_yet();
    struct ac_cert_attempt h[] = {{DAY_MS, false}, {9 * DAY_MS, true}};
    enum ac_cert_when when;
    int64_t at;
    assert_int_equal(0, ac_cert_next_attempt(d, h, 2, 10 * DAY_MS, &when, &at));
    assert_int_equal(AC_CERT_CERTIFIED, when);
    ac_def_free(d);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_takes_sample_per_level_from_each_level),
        cmocka_unit_test(test_draw_never_repeats_a_seen_item),
        cmocka_unit_test(test_draw_names_the_level_without_enough_unseen_items),
        cmocka_unit_test(test_draw_skips_unresolved_items),
        cmocka_unit_test(test_draw_counts_exposures),
        cmocka_unit_test(test_draw_order_does_not_follow_the_levels),
        cmocka_unit_test(test_default_rule_passes_only_all_exact),
        cmocka_unit_test(test_exact_rate_threshold_counts_items),
        cmocka_unit_test(test_adjacent_rate_counts_answers_within_one_level),
        cmocka_unit_test(test_a_discrepancy_of_two_levels_fails_no_beyond_one),
        cmocka_unit_test(test_boundary_rule_allows_errors_on_one_side),
        cmocka_unit_test(test_quadratic_kappa_matches_a_hand_computation),
        cmocka_unit_test(test_all_criteria_of_a_rule_must_hold),
        cmocka_unit_test(test_guessing_pass_not_yet_five_per_level_all_exact),
        cmocka_unit_test(test_guessing_an_exact_rate_threshold_is_a_binomial_tail),
        cmocka_unit_test(test_guessing_two_of_three_on_three_levels),
        cmocka_unit_test(test_guessing_the_boundary_rule),
        cmocka_unit_test(test_guessing_no_discrepancy_beyond_one),
        cmocka_unit_test(test_guessing_is_not_computed_for_kappa),
        cmocka_unit_test(test_first_attempt_may_start_now),
        cmocka_unit_test(test_a_failed_attempt_waits_the_set_days),
        cmocka_unit_test(test_the_wait_counts_from_the_latest_attempt),
        cmocka_unit_test(test_no_attempts_left_after_three_failures),
        cmocka_unit_test(test_a_passed_attempt_means_certified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
