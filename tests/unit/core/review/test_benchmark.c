/* test_benchmark.c - tests core/benchmark.c: the seed's minimum size, expert
 * agreement, conference resolution and sufficiency per level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "accord/review/benchmark.h"
#include "accord/review/definition.h"
#include "accord/base/error.h"

/* cmocka 1.1 has no assert_double_equal. */
static void assert_near(double want, double got, double eps)
{
    if (!(fabs(want - got) <= eps)) {
        print_error("expected %.17g, got %.17g\n", want, got);
        fail();
    }
}

static void test_seed_defaults_need_eighteen_items_per_level(void **state)
{
    (void)state;
    uint64_t n;
    /* Seed, Step 2: 3 x levels + 3 attempts x 5 per level x levels = 18 x levels. */
    assert_int_equal(0, ac_bench_min_size(3, 3, 5, 2, &n));
    assert_int_equal(36, n);
    assert_int_equal(0, ac_bench_min_size(3, 3, 5, 4, &n));
    assert_int_equal(72, n);
}

static void test_min_size_follows_the_issuers_settings(void **state)
{
    (void)state;
    uint64_t n;
    assert_int_equal(0, ac_bench_min_size(2, 4, 3, 3, &n));
    assert_int_equal(42, n); /* (2 + 4 x 3) x 3 = 14 x 3 */
}

static void test_min_size_of_no_levels_is_rejected(void **state)
{
    (void)state;
    uint64_t n;
    assert_int_equal(AC_EINVAL, ac_bench_min_size(3, 3, 5, 0, &n));
}

static void test_an_item_needs_two_expert_scores(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 2);
    int one[] = {1};
    assert_int_equal(AC_EINVAL, ac_bench_add(&b, "x", one, 1));
    ac_bench_release(&b);
}

static void test_an_expert_score_off_the_scale_is_rejected(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 2);
    int s[] = {1, 2};
    assert_int_equal(AC_EINVAL, ac_bench_add(&b, "x", s, 2));
    ac_bench_release(&b);
}

static void test_item_ids_are_unique(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 2);
    int s[] = {1, 1};
    assert_int_equal(0, ac_bench_add(&b, "x", s, 2));
    assert_int_equal(AC_EEXIST, ac_bench_add(&b, "x", s, 2));
    ac_bench_release(&b);
}

static void test_item_agreement_needs_every_expert(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 4);
    int same[] = {2, 2, 2}, split[] = {2, 2, 1};
    assert_int_equal(0, ac_bench_add(&b, "same", same, 3));
    assert_int_equal(0, ac_bench_add(&b, "split", split, 3));
    assert_true(ac_bench_item_agrees(ac_bench_find(&b, "same")));
    assert_false(ac_bench_item_agrees(ac_bench_find(&b, "split")));
    ac_bench_release(&b);
}

static void test_overall_agreement_gives_exact_rate_and_cohen_kappa(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 2);
    int s[4][2] = {{0, 0}, {1, 1}, {1, 0}, {0, 0}};
    for (int i = 0; i < 4; i++) {
        char id[24];
        snprintf(id, sizeof(id), "i%d", i);
        assert_int_equal(0, ac_bench_add(&b, id, s[i], 2));
    }
    struct ac_bench_agreement a;
    assert_int_equal(0, ac_bench_agreement(&b, &a));
    assert_int_equal(4, a.items);
    assert_int_equal(3, a.exact_items);
    assert_near(0.75, a.exact_rate, 1e-12);
    /* Cohen (1960) by hand: po = 3/4; expert A marginals (1/2, 1/2), expert B
     * (3/4, 1/4); pe = 1/2 x 3/4 + 1/2 x 1/4 = 1/2; kappa = (3/4 - 1/2)/(1 - 1/2). */
    assert_near(0.5, a.cohen_kappa, 1e-12);
    ac_bench_release(&b);
}

static void test_conference_resolves_a_conflict_with_annotations(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 4);
    int s[] = {1, 2};
    assert_int_equal(0, ac_bench_add(&b, "x", s, 2));
    assert_int_equal(0, ac_bench_resolve(&b, "x", 2, "question is open-ended",
                                         "mistaking a topic for a question"));
    struct ac_bench_item *it = ac_bench_find(&b, "x");
    assert_int_equal(2, it->final_level);
    assert_string_equal("question is open-ended", it->key_characteristics);
    assert_string_equal("mistaking a topic for a question", it->common_errors);
    ac_bench_release(&b);
}

static void test_conference_cannot_overrule_unanimous_experts(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 4);
    int s[] = {1, 1};
    assert_int_equal(0, ac_bench_add(&b, "x", s, 2));
    assert_int_equal(AC_EINVAL, ac_bench_resolve(&b, "x", 2, NULL, NULL));
    assert_int_equal(AC_BENCH_UNRESOLVED, ac_bench_find(&b, "x")->final_level);
    ac_bench_release(&b);
}

static void test_resolving_an_unknown_item_is_not_found(void **state)
{
    (void)state;
    struct ac_bench b;
    ac_bench_init(&b, 2);
    assert_int_equal(AC_ENOENT, ac_bench_resolve(&b, "nope", 1, NULL, NULL));
    ac_bench_release(&b);
}

static struct ac_definition *pass_resubmit(void)
{
    const char *json =
        "{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"competency\":\"c\",\"key_method\":\"k\","
        "\"method_components\":\"m\",\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":"
        "\"p\"}]},\"scoring\":{\"levels\":[\"resubmit\",\"pass\"],\"passing_level\":\"pass\"},"
        "\"reviewers\":{\"mode\":\"master\"}}";
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    assert_int_equal(0, ac_def_from_json(json, strlen(json), &d, &pr));
    ac_def_problems_release(&pr);
    return d;
}

static void add_resolved(struct ac_bench *b, const char *prefix, int level, int count)
{
    for (int i = 0; i < count; i++) {
        char id[48];
        snprintf(id, sizeof(id), "%s%d", prefix, i);
        int s[] = {level, level};
        assert_int_equal(0, ac_bench_add(b, id, s, 2));
        assert_int_equal(0, ac_bench_resolve(b, id, level, NULL, NULL));
    }
}

static void test_sufficiency_names_the_short_level_and_by_how_many(void **state)
{
    (void)state;
    struct ac_definition *d = pass_resubmit();
    struct ac_bench b;
    ac_bench_init(&b, 2);
    add_resolved(&b, "r", 0, 15);
    add_resolved(&b, "p", 1, 18);
    size_t have[2], short_by[2], short_levels;
    assert_int_equal(0, ac_bench_sufficiency(&b, d, have, short_by, &short_levels));
    assert_int_equal(1, short_levels);
    assert_int_equal(15, have[0]);
    assert_int_equal(3, short_by[0]); /* 18 needed per level with the defaults */
    assert_int_equal(0, short_by[1]);
    ac_bench_release(&b);
    ac_def_free(d);
}

static void test_unresolved_items_do_not_count_toward_sufficiency(void **state)
{
    (void)state;
    struct ac_definition *d = pass_resubmit();
    struct ac_bench b;
    ac_bench_init(&b, 2);
    int s[] = {0, 1};
    assert_int_equal(0, ac_bench_add(&b, "x", s, 2));
    size_t have[2], short_by[2], short_levels;
    assert_int_equal(0, ac_bench_sufficiency(&b, d, have, short_by, &short_levels));
    assert_int_equal(0, have[0] + have[1]);
    assert_int_equal(2, short_levels);
    ac_bench_release(&b);
    ac_def_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_defaults_need_eighteen_items_per_level),
        cmocka_unit_test(test_min_size_follows_the_issuers_settings),
        cmocka_unit_test(test_min_size_of_no_levels_is_rejected),
        cmocka_unit_test(test_an_item_needs_two_expert_scores),
        cmocka_unit_test(test_an_expert_score_off_the_scale_is_rejected),
        cmocka_unit_test(test_item_ids_are_unique),
        cmocka_unit_test(test_item_agreement_needs_every_expert),
        cmocka_unit_test(test_overall_agreement_gives_exact_rate_and_cohen_kappa),
        cmocka_unit_test(test_conference_resolves_a_conflict_with_annotations),
        cmocka_unit_test(test_conference_cannot_overrule_unanimous_experts),
        cmocka_unit_test(test_resolving_an_unknown_item_is_not_found),
        cmocka_unit_test(test_sufficiency_names_the_short_level_and_by_how_many),
        cmocka_unit_test(test_unresolved_items_do_not_count_toward_sufficiency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
