/* test_monitor.c - tests core/monitor.c with small hand-computed pools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/monitor.h"

#define NOREF (-1)

static struct ac_monitor_review rv(uint32_t reviewer, uint64_t seq, int level, int consensus)
{
    struct ac_monitor_review r = {reviewer, 1, seq, level, consensus, NOREF};
    return r;
}

static const struct ac_monitor_reviewer *find(const struct ac_monitor_report *r, uint32_t id)
{
    for (size_t i = 0; i < r->n_reviewers; i++)
        if (r->reviewers[i].reviewer == id)
            return &r->reviewers[i];
    return NULL;
}

static void test_reviewer_below_minimum_sample_is_not_judged(void **state)
{
    (void)state;
    struct ac_monitor_review reviews[3];
    for (int i = 0; i < 3; i++)
        reviews[i] = rv(7, (uint64_t)i, 0, 2); /* all wrong */
    struct ac_monitor_thresholds t = {.min_sample = 5, .min_consensus_agreement = 0.7};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 3, &t, &r));
    assert_false(find(r, 7)->judged);
    assert_int_equal(0, r->n_actions);
    ac_monitor_report_free(r);
}

static void test_low_consensus_agreement_notifies_the_issuer_with_the_numbers(void **state)
{
    (void)state;
    /* 4 reviews, 2 agree: 0.50 < 0.70. */
    struct ac_monitor_review reviews[] = {rv(3, 1, 1, 1), rv(3, 2, 2, 1), rv(3, 3, 1, 1),
                                          rv(3, 4, 0, 1)};
    struct ac_monitor_thresholds t = {.min_sample = 4, .min_consensus_agreement = 0.7};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 4, &t, &r));
    assert_int_equal(1, r->n_actions);
    assert_int_equal(AC_MONITOR_NOTIFY_ISSUER, r->actions[0].kind);
    assert_int_equal(3, r->actions[0].reviewer);
    assert_non_null(strstr(r->actions[0].reason, "agreement with consensus 0.50 over 4 reviews"));
    ac_monitor_report_free(r);
}

static void test_settings_add_unavailability_and_retraining(void **state)
{
    (void)state;
    struct ac_monitor_review reviews[] = {rv(3, 1, 0, 1), rv(3, 2, 0, 1)};
    struct ac_monitor_thresholds t = {.min_sample = 2,
                                      .min_consensus_agreement = 0.7,
                                      .set_unavailable = 1,
                                      .require_retraining = 1};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 2, &t, &r));
    assert_int_equal(3, r->n_actions);
    assert_int_equal(AC_MONITOR_NOTIFY_ISSUER, r->actions[0].kind);
    assert_int_equal(AC_MONITOR_SET_UNAVAILABLE, r->actions[1].kind);
    assert_int_equal(AC_MONITOR_REQUIRE_RETRAINING, r->actions[2].kind);
    assert_string_equal(r->actions[0].reason, r->actions[2].reason);
    ac_monitor_report_free(r);
}

static void test_severity_is_the_z_score_of_mean_deviation_in_the_pool(void **state)
{
    (void)state;
    /* Reviewers 1-3 always match consensus (deviation 0); reviewer 4 always
     * scores one level lower (deviation -1). Pool mean -1/4; population SD
     * sqrt((3 * 1/16 + 9/16) / 4) = sqrt(3)/4; z(4) = (-3/4) / (sqrt(3)/4) =
     * -sqrt(3), z(1) = (1/4) / (sqrt(3)/4) = 1/sqrt(3). */
    struct ac_monitor_review reviews[8];
    for (uint32_t id = 1; id <= 4; id++) {
        reviews[2 * (id - 1)] = rv(id, 1, id == 4 ? 1 : 2, 2);
        reviews[2 * (id - 1) + 1] = rv(id, 2, id == 4 ? 0 : 1, 1);
    }
    struct ac_monitor_thresholds t = {.min_sample = 2, .max_severity_z = 1.5};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 8, &t, &r));
    assert_float_equal(-1.7320508075688772, find(r, 4)->severity_z, 1e-12);
    assert_float_equal(0.5773502691896258, find(r, 1)->severity_z, 1e-12);
    assert_int_equal(1, r->n_actions);
    assert_int_equal(4, r->actions[0].reviewer);
    assert_non_null(strstr(r->actions[0].reason, "severity z = -1.73"));
    ac_monitor_report_free(r);
}

static void test_falling_agreement_over_the_latest_window_is_flagged(void **state)
{
    (void)state;
    /* 6 agreeing reviews then 3 disagreeing, window 3: before 6/6 = 1,
     * within 0/3 = 0, drop 1. Given out of time order to check sorting. */
    struct ac_monitor_review reviews[9];
    for (int i = 0; i < 9; i++) {
        int seq = 8 - i;
        reviews[i] = rv(5, (uint64_t)seq, seq < 6 ? 1 : 0, 1);
    }
    struct ac_monitor_thresholds t = {.min_sample = 6, .trend_window = 3, .max_trend_drop = 0.3};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 9, &t, &r));
    assert_true(find(r, 5)->trend_valid);
    assert_float_equal(1.0, find(r, 5)->trend_drop, 1e-12);
    assert_int_equal(1, r->n_actions);
    assert_non_null(strstr(r->actions[0].reason, "fell by 1.00"));
    ac_monitor_report_free(r);
}

static void test_trend_needs_a_full_window_before_the_latest(void **state)
{
    (void)state;
    struct ac_monitor_review reviews[5];
    for (int i = 0; i < 5; i++)
        reviews[i] = rv(5, (uint64_t)i, i < 3 ? 1 : 0, 1);
    struct ac_monitor_thresholds t = {.min_sample = 1, .trend_window = 3, .max_trend_drop = 0.3};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 5, &t, &r));
    assert_false(find(r, 5)->trend_valid);
    ac_monitor_report_free(r);
}

static void test_benchmark_agreement_counts_only_benchmark_items(void **state)
{
    (void)state;
    struct ac_monitor_review reviews[] = {
        {9, 1, 1, 2, NOREF, 2}, /* benchmark, agrees */
        {9, 1, 2, 1, NOREF, 2}, /* benchmark, misses */
        {9, 1, 3, 0, 0, NOREF}, /* live submission, agrees with consensus */
    };
    struct ac_monitor_thresholds t = {.min_sample = 3, .min_benchmark_agreement = 0.8};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 3, &t, &r));
    assert_int_equal(2, find(r, 9)->benchmark_n);
    assert_int_equal(1, find(r, 9)->benchmark_agree);
    assert_int_equal(1, find(r, 9)->consensus_n);
    assert_non_null(strstr(r->actions[0].reason, "agreement with benchmarks 0.50 over 2 items"));
    ac_monitor_report_free(r);
}

static void test_credential_discrepancy_rate_counts_reviews_beyond_the_allowed_gap(void **state)
{
    (void)state;
    /* 10 reviews of credential 4: 3 are two levels off, 2 are one level off,
     * allowed gap 1: rate 3/10 = 0.3 > 0.2. */
    struct ac_monitor_review reviews[10];
    for (int i = 0; i < 10; i++) {
        int level = i < 3 ? 0 : i < 5 ? 1 : 2;
        reviews[i] = (struct ac_monitor_review){(uint32_t)i, 4, 0, level, 2, NOREF};
    }
    struct ac_monitor_thresholds t = {.discrepancy_levels = 1, .max_discrepancy_rate = 0.2};
    struct ac_monitor_report *r;
    assert_int_equal(0, ac_monitor_evaluate(reviews, 10, &t, &r));
    assert_int_equal(1, r->n_credentials);
    assert_int_equal(3, r->credentials[0].discrepancies);
    assert_float_equal(0.3, r->credentials[0].rate, 1e-12);
    assert_int_equal(1, r->n_actions);
    assert_true(r->actions[0].about_credential);
    assert_int_equal(4, r->actions[0].credential);
    ac_monitor_report_free(r);
}

static void test_missing_thresholds_are_rejected(void **state)
{
    (void)state;
    struct ac_monitor_report *r = NULL;
    assert_int_equal(AC_EINVAL, ac_monitor_evaluate(NULL, 0, NULL, &r));
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reviewer_below_minimum_sample_is_not_judged),
        cmocka_unit_test(test_low_consensus_agreement_notifies_the_issuer_with_the_numbers),
        cmocka_unit_test(test_settings_add_unavailability_and_retraining),
        cmocka_unit_test(test_severity_is_the_z_score_of_mean_deviation_in_the_pool),
        cmocka_unit_test(test_falling_agreement_over_the_latest_window_is_flagged),
        cmocka_unit_test(test_trend_needs_a_full_window_before_the_latest),
        cmocka_unit_test(test_benchmark_agreement_counts_only_benchmark_items),
        cmocka_unit_test(test_credential_discrepancy_rate_counts_reviews_beyond_the_allowed_gap),
        cmocka_unit_test(test_missing_thresholds_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
