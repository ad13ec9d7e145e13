/* test_scoring.c - tests core/scoring.c: combine rules, agreement rules and
 * disagreement handling. Levels are indices, lowest first. */
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
#include "accord/review/scoring.h"

#define HEAD                                                                                       \
    "{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","       \
    "\"method_components\":\"m\","
#define ONE_ELEMENT "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"p\"}]},"
/* 0 not yet, 1 almost there, 2 pass, 3 high pass; passing level 2. */
#define FOUR                                                                                       \
    "\"levels\":[\"not yet\",\"almost there\",\"pass\",\"high pass\"],\"passing_level\":\"pass\""

static struct ac_definition *def(const char *json)
{
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    int r = ac_def_from_json(json, strlen(json), &d, &pr);
    for (size_t i = 0; i < pr.n; i++)
        print_error("%s: %s\n", pr.items[i].path, pr.items[i].message);
    ac_def_problems_release(&pr);
    assert_int_equal(0, r);
    return d;
}

/* Holistic, four levels, associate with 3 reviewers, the given agreement and
 * disagreement objects. */
static struct ac_definition *holistic(const char *agreement, const char *disagreement)
{
    char buf[2048];
    snprintf(buf, sizeof(buf),
             HEAD ONE_ELEMENT "\"scoring\":{" FOUR "},\"reviewers\":{\"mode\":\"associate\","
                              "\"per_submission\":3,\"agreement\":%s,\"disagreement\":%s}}",
             agreement, disagreement);
    return def(buf);
}

/* Decides holistic reviews given as levels. */
static struct ac_decision decide(const struct ac_definition *d, const int *levels, size_t n)
{
    struct ac_review r[16];
    for (size_t i = 0; i < n; i++) {
        r[i].levels = &levels[i];
        r[i].n = 1;
    }
    struct ac_decision out;
    assert_int_equal(0, ac_scoring_decide(d, r, n, &out));
    return out;
}

static void test_fewer_reviews_than_required_asks_for_the_rest(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"exact\"}", "{}");
    int lv[] = {2};
    struct ac_decision o = decide(d, lv, 1);
    assert_int_equal(AC_NEED_MORE, o.kind);
    assert_int_equal(2, o.more); /* 3 required - 1 in */
    assert_string_equal("1 of 3 reviews in; 2 more needed", o.reason);
    ac_def_free(d);
}

static void test_exact_agreement_decides_the_common_level(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"exact\"}", "{}");
    int lv[] = {2, 2, 2};
    struct ac_decision o = decide(d, lv, 3);
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(2, o.level);
    assert_true(o.pass);
    ac_def_free(d);
}

static void test_exact_rule_counts_adjacent_levels_as_disagreement(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"exact\"}", "{}");
    int lv[] = {3, 2, 2};
    struct ac_decision o = decide(d, lv, 3);
    assert_int_equal(AC_NEED_MORE, o.kind);
    assert_int_equal(1, o.more); /* add_per_round defaults to 1 */
    ac_def_free(d);
}

static void test_pass_boundary_rule_accepts_levels_on_one_side(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"pass_boundary\"}", "{}");
    int lv[] = {2, 3, 3};
    struct ac_decision o = decide(d, lv, 3);
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(3, o.level); /* sorted 2,3,3: the middle is 3 */
    assert_true(o.pass);
    ac_def_free(d);
}

static void test_pass_boundary_rule_rejects_levels_across_it(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"pass_boundary\"}", "{}");
    int lv[] = {1, 2, 2};
    assert_int_equal(AC_NEED_MORE, decide(d, lv, 3).kind);
    ac_def_free(d);
}

static void test_within_k_accepts_a_spread_of_k(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"within\",\"k\":1}", "{}");
    int lv[] = {1, 2, 1};
    struct ac_decision o = decide(d, lv, 3);
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(1, o.level); /* sorted 1,1,2: the middle is 1 */
    assert_false(o.pass);
    ac_def_free(d);
}

static void test_within_k_rejects_a_spread_beyond_k(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"within\",\"k\":1}", "{}");
    int lv[] = {1, 3, 2};
    assert_int_equal(AC_NEED_MORE, decide(d, lv, 3).kind);
    ac_def_free(d);
}

static void test_added_reviewers_stop_at_the_maximum(void **state)
{
    (void)state;
    struct ac_definition *d =
        holistic("{\"rule\":\"exact\"}", "{\"add_per_round\":2,\"max_reviewers\":4}");
    int lv[] = {1, 2, 2};
    struct ac_decision o = decide(d, lv, 3);
    assert_int_equal(AC_NEED_MORE, o.kind);
    assert_int_equal(1, o.more); /* two per round, but only 4 - 3 = 1 left */
    ac_def_free(d);
}

static void test_majority_at_the_maximum_decides(void **state)
{
    (void)state;
    struct ac_definition *d =
        holistic("{\"rule\":\"exact\"}", "{\"max_reviewers\":5,\"then\":\"majority\"}");
    int lv[] = {2, 2, 1, 2, 0};
    struct ac_decision o = decide(d, lv, 5);
    assert_int_equal(AC_DECIDED, o.kind); /* 3 of 5 chose level 2 */
    assert_int_equal(2, o.level);
    assert_true(o.pass);
    ac_def_free(d);
}

static void test_no_majority_at_the_maximum_escalates(void **state)
{
    (void)state;
    struct ac_definition *d =
        holistic("{\"rule\":\"exact\"}", "{\"max_reviewers\":5,\"then\":\"majority\"}");
    int lv[] = {2, 2, 1, 1, 0}; /* 2 of 5 at most: no level has more than half */
    assert_int_equal(AC_ESCALATE, decide(d, lv, 5).kind);
    ac_def_free(d);
}

static void test_even_median_rounds_lower_when_set_lower(void **state)
{
    (void)state;
    struct ac_definition *d =
        holistic("{\"rule\":\"exact\"}",
                 "{\"max_reviewers\":4,\"then\":\"median\",\"median_rounding\":\"lower\"}");
    int lv[] = {1, 2, 1, 2}; /* sorted 1,1,2,2: the middle pair is 1 and 2 */
    struct ac_decision o = decide(d, lv, 4);
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(1, o.level);
    assert_false(o.pass);
    ac_def_free(d);
}

static void test_even_median_rounds_higher_when_set_higher(void **state)
{
    (void)state;
    struct ac_definition *d =
        holistic("{\"rule\":\"exact\"}",
                 "{\"max_reviewers\":4,\"then\":\"median\",\"median_rounding\":\"higher\"}");
    int lv[] = {1, 2, 1, 2};
    struct ac_decision o = decide(d, lv, 4);
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(2, o.level);
    assert_true(o.pass);
    ac_def_free(d);
}

static void test_escalate_rule_sends_disagreement_to_the_issuer(void **state)
{
    (void)state;
    struct ac_definition *d =
        holistic("{\"rule\":\"exact\"}", "{\"max_reviewers\":3,\"then\":\"escalate\"}");
    int lv[] = {0, 3, 2};
    struct ac_decision o = decide(d, lv, 3);
    assert_int_equal(AC_ESCALATE, o.kind);
    assert_string_equal("3 reviews (the maximum) disagree, from \"not yet\" to \"high pass\"; "
                        "the issuer decides",
                        o.reason);
    ac_def_free(d);
}

static void test_master_review_decides_alone(void **state)
{
    (void)state;
    struct ac_definition *d = def(HEAD ONE_ELEMENT "\"scoring\":{\"levels\":[\"resubmit\","
                                                   "\"pass\"],\"passing_level\":\"pass\"},"
                                                   "\"reviewers\":{\"mode\":\"master\"}}");
    int lv[] = {0};
    struct ac_decision o = decide(d, lv, 1);
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(0, o.level);
    assert_false(o.pass);
    ac_def_free(d);
}

static void test_median_of_odd_count_is_the_middle(void **state)
{
    (void)state;
    size_t lv[] = {3, 0, 2, 2, 1}; /* sorted 0,1,2,2,3 */
    assert_int_equal(2, ac_scoring_median(lv, 5, AC_ROUND_LOWER));
    assert_int_equal(2, ac_scoring_median(lv, 5, AC_ROUND_HIGHER));
}

/* Per-element definitions: three elements a, b, c on the four-level scale. */
static struct ac_definition *per_element(const char *combine, const char *extra_a,
                                         const char *extra_b, const char *extra_c)
{
    char buf[2048];
    snprintf(buf, sizeof(buf),
             HEAD "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"p\"%s},"
                  "{\"id\":\"b\",\"prompt\":\"q\"%s},{\"id\":\"c\",\"prompt\":\"r\"%s}]},"
                  "\"scoring\":{" FOUR ",\"grain\":\"per_element\",\"combine\":%s},"
                  "\"reviewers\":{\"mode\":\"associate\"}}",
             extra_a, extra_b, extra_c, combine);
    return def(buf);
}

static void combine(const struct ac_definition *d, int a, int b, int c, size_t *level, bool *pass)
{
    int lv[] = {a, b, c};
    struct ac_review r = {lv, 3};
    assert_int_equal(0, ac_scoring_combine(d, &r, level, pass));
}

static void test_mean_at_the_cut_passes(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"mean_cut\",\"cut\":2}", "", "", "");
    size_t level;
    bool pass;
    combine(d, 3, 3, 0, &level, &pass); /* mean (3+3+0)/3 = 2 >= 2 */
    assert_true(pass);
    assert_int_equal(2, level); /* floor(2) */
    ac_def_free(d);
}

static void test_mean_below_the_cut_fails_at_its_floor(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"mean_cut\",\"cut\":2}", "", "", "");
    size_t level;
    bool pass;
    combine(d, 1, 2, 2, &level, &pass); /* mean 5/3 = 1.67 < 2 */
    assert_false(pass);
    assert_int_equal(1, level); /* floor(1.67) */
    ac_def_free(d);
}

static void test_mean_passing_below_the_passing_level_reports_the_passing_level(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"mean_cut\",\"cut\":1.5}", "", "", "");
    size_t level;
    bool pass;
    combine(d, 1, 2, 2, &level, &pass); /* mean 1.67 >= 1.5 passes; floor 1 < passing 2 */
    assert_true(pass);
    assert_int_equal(2, level);
    ac_def_free(d);
}

static void test_thresholds_pass_when_every_element_reaches_its_own(void **state)
{
    (void)state;
    struct ac_definition *d =
        per_element("{\"rule\":\"thresholds\"}", ",\"threshold\":\"pass\"",
                    ",\"threshold\":\"almost there\"", ",\"threshold\":\"pass\"");
    size_t level;
    bool pass;
    combine(d, 3, 1, 2, &level, &pass); /* 3>=2, 1>=1, 2>=2 */
    assert_true(pass);
    assert_int_equal(2, level); /* lowest is 1, raised to the passing level */
    ac_def_free(d);
}

static void test_thresholds_fail_when_one_element_falls_short(void **state)
{
    (void)state;
    struct ac_definition *d =
        per_element("{\"rule\":\"thresholds\"}", ",\"threshold\":\"pass\"",
                    ",\"threshold\":\"almost there\"", ",\"threshold\":\"pass\"");
    size_t level;
    bool pass;
    combine(d, 3, 3, 1, &level, &pass); /* c: 1 < 2 */
    assert_false(pass);
    assert_int_equal(1, level); /* the lowest element level */
    ac_def_free(d);
}

static void test_weighted_sum_at_the_cut_passes(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"weighted_sum_cut\",\"cut\":8}",
                                          ",\"weight\":2", ",\"weight\":1", ",\"weight\":1");
    size_t level;
    bool pass;
    combine(d, 3, 2, 0, &level, &pass); /* 2x3 + 1x2 + 1x0 = 8 >= 8 */
    assert_true(pass);
    assert_int_equal(2, level); /* floor(8 / 4) */
    ac_def_free(d);
}

static void test_weighted_sum_below_the_cut_fails(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"weighted_sum_cut\",\"cut\":8}",
                                          ",\"weight\":2", ",\"weight\":1", ",\"weight\":1");
    size_t level;
    bool pass;
    combine(d, 2, 3, 0, &level, &pass); /* 2x2 + 3 + 0 = 7 < 8 */
    assert_false(pass);
    assert_int_equal(1, level); /* floor(7 / 4) = 1 */
    ac_def_free(d);
}

static void test_unscored_optional_element_is_left_out_of_the_mean(void **state)
{
    (void)state;
    struct ac_definition *d =
        per_element("{\"rule\":\"mean_cut\",\"cut\":2}", "", "", ",\"required\":false");
    size_t level;
    bool pass;
    combine(d, 2, 3, AC_LEVEL_UNSCORED, &level, &pass); /* (2+3)/2 = 2.5 */
    assert_true(pass);
    assert_int_equal(2, level);
    ac_def_free(d);
}

static void test_unscored_required_element_is_rejected(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"mean_cut\",\"cut\":2}", "", "", "");
    int lv[] = {2, AC_LEVEL_UNSCORED, 2};
    struct ac_review r = {lv, 3};
    size_t level;
    bool pass;
    assert_int_equal(AC_EINVAL, ac_scoring_combine(d, &r, &level, &pass));
    ac_def_free(d);
}

static void test_level_off_the_scale_is_rejected(void **state)
{
    (void)state;
    struct ac_definition *d = holistic("{\"rule\":\"exact\"}", "{}");
    int lv[] = {2, 4, 2};
    struct ac_review r[3] = {{&lv[0], 1}, {&lv[1], 1}, {&lv[2], 1}};
    struct ac_decision o;
    assert_int_equal(AC_EINVAL, ac_scoring_decide(d, r, 3, &o));
    ac_def_free(d);
}

static void test_per_element_reviews_agree_on_their_combined_levels(void **state)
{
    (void)state;
    struct ac_definition *d = per_element("{\"rule\":\"mean_cut\",\"cut\":2}", "", "", "");
    /* Element scores differ, but every review's mean is 2: all "pass". */
    int a[] = {2, 2, 2}, b[] = {3, 2, 1}, c[] = {1, 2, 3};
    struct ac_review r[] = {{a, 3}, {b, 3}, {c, 3}};
    struct ac_decision o;
    assert_int_equal(0, ac_scoring_decide(d, r, 3, &o));
    assert_int_equal(AC_DECIDED, o.kind);
    assert_int_equal(2, o.level);
    ac_def_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fewer_reviews_than_required_asks_for_the_rest),
        cmocka_unit_test(test_exact_agreement_decides_the_common_level),
        cmocka_unit_test(test_exact_rule_counts_adjacent_levels_as_disagreement),
        cmocka_unit_test(test_pass_boundary_rule_accepts_levels_on_one_side),
        cmocka_unit_test(test_pass_boundary_rule_rejects_levels_across_it),
        cmocka_unit_test(test_within_k_accepts_a_spread_of_k),
        cmocka_unit_test(test_within_k_rejects_a_spread_beyond_k),
        cmocka_unit_test(test_added_reviewers_stop_at_the_maximum),
        cmocka_unit_test(test_majority_at_the_maximum_decides),
        cmocka_unit_test(test_no_majority_at_the_maximum_escalates),
        cmocka_unit_test(test_even_median_rounds_lower_when_set_lower),
        cmocka_unit_test(test_even_median_rounds_higher_when_set_higher),
        cmocka_unit_test(test_escalate_rule_sends_disagreement_to_the_issuer),
        cmocka_unit_test(test_master_review_decides_alone),
        cmocka_unit_test(test_median_of_odd_count_is_the_middle),
        cmocka_unit_test(test_mean_at_the_cut_passes),
        cmocka_unit_test(test_mean_below_the_cut_fails_at_its_floor),
        cmocka_unit_test(test_mean_passing_below_the_passing_level_reports_the_passing_level),
        cmocka_unit_test(test_thresholds_pass_when_every_element_reaches_its_own),
        cmocka_unit_test(test_thresholds_fail_when_one_element_falls_short),
        cmocka_unit_test(test_weighted_sum_at_the_cut_passes),
        cmocka_unit_test(test_weighted_sum_below_the_cut_fails),
        cmocka_unit_test(test_unscored_optional_element_is_left_out_of_the_mean),
        cmocka_unit_test(test_unscored_required_element_is_rejected),
        cmocka_unit_test(test_level_off_the_scale_is_rejected),
        cmocka_unit_test(test_per_element_reviews_agree_on_their_combined_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
