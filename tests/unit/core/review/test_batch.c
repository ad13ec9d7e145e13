/* test_batch.c - tests core/batch.c and core/assign_rng.c: batch sizes, grouping,
 * blind benchmark seeding rate and position, the batch timer, the random source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/review/assign.h"
#include "accord/base/error.h"

static const uint64_t POOL[] = {9001, 9002, 9003, 9004, 9005, 9006, 9007, 9008, 9009, 9010,
                                9011, 9012, 9013, 9014, 9015, 9016, 9017, 9018, 9019, 9020};

/* |n| items for reviewer |reviewer| and credential |credential|, submissions 1..n. */
static struct ac_batch_item *items_for(uint64_t reviewer, uint32_t credential, size_t n)
{
    struct ac_batch_item *it = calloc(n, sizeof(*it));
    assert_non_null(it);
    for (size_t i = 0; i < n; i++)
        it[i] = (struct ac_batch_item){
            .reviewer = reviewer, .credential = credential, .submission = i + 1};
    return it;
}

static void test_items_are_cut_into_batches_of_the_batch_size(void **state)
{
    (void)state;
    struct ac_batch_item *it = items_for(5, 1, 7);
    struct ac_batch_rule rule = {.credential = 1, .batch_size = 3};
    struct ac_batch_set *set = NULL;
    assert_int_equal(0, ac_batch_build(it, 7, &rule, 1, NULL, &set));
    /* 7 = 3 + 3 + 1 */
    assert_int_equal(3, set->n_batches);
    assert_int_equal(3, set->batches[0].n_items);
    assert_int_equal(3, set->batches[1].n_items);
    assert_int_equal(1, set->batches[2].n_items);
    assert_true(set->batches[0].full);
    assert_true(set->batches[1].full);
    assert_false(set->batches[2].full);
    ac_batch_set_free(set);
    free(it);
}

static void test_unseeded_batches_keep_input_order(void **state)
{
    (void)state;
    struct ac_batch_item *it = items_for(5, 1, 4);
    struct ac_batch_rule rule = {.credential = 1, .batch_size = 4};
    struct ac_batch_set *set = NULL;
    assert_int_equal(0, ac_batch_build(it, 4, &rule, 1, NULL, &set));
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(i + 1, set->batches[0].items[i].submission);
        assert_false(set->batches[0].items[i].benchmark);
    }
    ac_batch_set_free(set);
    free(it);
}

static void test_two_reviewers_never_share_a_batch(void **state)
{
    (void)state;
    /* Interleaved items of reviewers 1 and 2, batch size 10: one batch each. */
    struct ac_batch_item it[4] = {{.reviewer = 2, .credential = 1, .submission = 1},
                                  {.reviewer = 1, .credential = 1, .submission = 2},
                                  {.reviewer = 2, .credential = 1, .submission = 3},
                                  {.reviewer = 1, .credential = 1, .submission = 4}};
    struct ac_batch_rule rule = {.credential = 1, .batch_size = 10};
    struct ac_batch_set *set = NULL;
    assert_int_equal(0, ac_batch_build(it, 4, &rule, 1, NULL, &set));
    assert_int_equal(2, set->n_batches);
    assert_int_equal(1, set->batches[0].reviewer);
    assert_int_equal(2, set->batches[0].items[0].submission);
    assert_int_equal(4, set->batches[0].items[1].submission);
    assert_int_equal(2, set->batches[1].reviewer);
    assert_int_equal(1, set->batches[1].items[0].submission);
    assert_int_equal(3, set->batches[1].items[1].submission);
    ac_batch_set_free(set);
}

static void test_each_credential_is_batched_with_its_own_size(void **state)
{
    (void)state;
    struct ac_batch_item it[5] = {{.reviewer = 1, .credential = 1, .submission = 1},
                                  {.reviewer = 1, .credential = 2, .submission = 2},
                                  {.reviewer = 1, .credential = 1, .submission = 3},
                                  {.reviewer = 1, .credential = 2, .submission = 4},
                                  {.reviewer = 1, .credential = 2, .submission = 5}};
    struct ac_batch_rule rules[2] = {{.credential = 1, .batch_size = 2},
                                     {.credential = 2, .batch_size = 3}};
    struct ac_batch_set *set = NULL;
    assert_int_equal(0, ac_batch_build(it, 5, rules, 2, NULL, &set));
    assert_int_equal(2, set->n_batches);
    assert_int_equal(1, set->batches[0].credential);
    assert_int_equal(2, set->batches[0].n_items);
    assert_true(set->batches[0].full);
    assert_int_equal(2, set->batches[1].credential);
    assert_int_equal(3, set->batches[1].n_items);
    assert_true(set->batches[1].full);
    ac_batch_set_free(set);
}

/* 10,000 items in batches of 10 at rate 0.1 with a 20-item pool, seed 1. */
static struct ac_batch_set *seeded_set(uint64_t seed, struct ac_batch_item **items)
{
    *items = items_for(5, 1, 10000);
    struct ac_batch_rule rule = {.credential = 1,
                                 .batch_size = 10,
                                 .benchmark_rate = 0.1,
                                 .benchmarks = POOL,
                                 .n_benchmarks = 20};
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, seed);
    struct ac_batch_set *set = NULL;
    assert_int_equal(0, ac_batch_build(*items, 10000, &rule, 1, &rng, &set));
    return set;
}

static void test_benchmark_share_over_many_batches_is_within_two_points_of_the_rate(void **state)
{
    (void)state;
    struct ac_batch_item *it;
    struct ac_batch_set *set = seeded_set(1, &it);
    /* About 11,100 positions: the binomial standard deviation of the share at p = 0.1
     * is sqrt(0.1 * 0.9 / 11100) = 0.0028, so +-0.02 is a 7-sigma bound. */
    size_t bench = 0, positions = 0;
    for (size_t b = 0; b < set->n_batches; b++) {
        if (!set->batches[b].full)
            continue;
        positions += set->batches[b].n_items;
        for (size_t i = 0; i < set->batches[b].n_items; i++)
            bench += set->batches[b].items[i].benchmark;
    }
    double share = (double)bench / (double)positions;
    assert_true(share > 0.08);
    assert_true(share < 0.12);
    ac_batch_set_free(set);
    free(it);
}

static void test_every_real_item_appears_exactly_once_after_seeding(void **state)
{
    (void)state;
    struct ac_batch_item *it;
    struct ac_batch_set *set = seeded_set(2, &it);
    uint8_t *seen = calloc(10001, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < set->n_items; i++)
        if (!set->items[i].benchmark)
            seen[set->items[i].submission]++;
    for (size_t s = 1; s <= 10000; s++)
        assert_int_equal(1, seen[s]);
    free(seen);
    ac_batch_set_free(set);
    free(it);
}

static void test_seeded_full_batches_keep_the_batch_size(void **state)
{
    (void)state;
    struct ac_batch_item *it;
    struct ac_batch_set *set = seeded_set(3, &it);
    for (size_t b = 0; b + 1 < set->n_batches; b++)
        assert_int_equal(10, set->batches[b].n_items);
    assert_true(set->batches[set->n_batches - 1].n_items <= 10);
    ac_batch_set_free(set);
    free(it);
}

static void test_benchmarks_land_in_every_position_alike(void **state)
{
    (void)state;
    struct ac_batch_item *it;
    struct ac_batch_set *set = seeded_set(4, &it);
    /* ~1,110 full batches: each position holds a benchmark with p = 0.1, standard
     * deviation sqrt(0.1 * 0.9 / 1110) = 0.009; +-0.05 is over 5 sigma. */
    size_t at[10] = {0}, full = 0;
    for (size_t b = 0; b < set->n_batches; b++) {
        if (!set->batches[b].full)
            continue;
        full++;
        for (size_t i = 0; i < 10; i++)
            at[i] += set->batches[b].items[i].benchmark;
    }
    for (size_t i = 0; i < 10; i++) {
        double share = (double)at[i] / (double)full;
        assert_true(share > 0.05);
        assert_true(share < 0.15);
    }
    ac_batch_set_free(set);
    free(it);
}

static void test_a_benchmark_is_never_repeated_within_a_batch(void **state)
{
    (void)state;
    /* A pool of two at rate 0.9: most positions want a benchmark, only two fit. */
    struct ac_batch_item *it = items_for(5, 1, 200);
    struct ac_batch_rule rule = {.credential = 1,
                                 .batch_size = 10,
                                 .benchmark_rate = 0.9,
                                 .benchmarks = POOL,
                                 .n_benchmarks = 2};
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, 5);
    struct ac_batch_set *set = NULL;
    assert_int_equal(0, ac_batch_build(it, 200, &rule, 1, &rng, &set));
    for (size_t b = 0; b < set->n_batches; b++) {
        size_t n9001 = 0, n9002 = 0;
        for (size_t i = 0; i < set->batches[b].n_items; i++) {
            const struct ac_batch_item *x = &set->batches[b].items[i];
            n9001 += x->benchmark && x->submission == 9001;
            n9002 += x->benchmark && x->submission == 9002;
        }
        assert_true(n9001 <= 1);
        assert_true(n9002 <= 1);
    }
    ac_batch_set_free(set);
    free(it);
}

static void test_the_same_seed_gives_the_same_batches(void **state)
{
    (void)state;
    struct ac_batch_item *a, *b;
    struct ac_batch_set *x = seeded_set(6, &a), *y = seeded_set(6, &b);
    assert_int_equal(x->n_items, y->n_items);
    for (size_t i = 0; i < x->n_items; i++) {
        assert_int_equal(x->items[i].submission, y->items[i].submission);
        assert_int_equal(x->items[i].benchmark, y->items[i].benchmark);
    }
    ac_batch_set_free(x);
    ac_batch_set_free(y);
    free(a);
    free(b);
}

static void test_a_batch_size_of_zero_is_rejected(void **state)
{
    (void)state;
    struct ac_batch_item *it = items_for(5, 1, 1);
    struct ac_batch_rule rule = {.credential = 1, .batch_size = 0};
    struct ac_batch_set *set = NULL;
    assert_int_equal(AC_EINVAL, ac_batch_build(it, 1, &rule, 1, NULL, &set));
    assert_null(set);
    free(it);
}

static void test_a_benchmark_rate_of_one_is_rejected(void **state)
{
    (void)state;
    struct ac_batch_item *it = items_for(5, 1, 1);
    struct ac_batch_rule rule = {.credential = 1, .batch_size = 3, .benchmark_rate = 1.0};
    struct ac_batch_set *set = NULL;
    assert_int_equal(AC_EINVAL, ac_batch_build(it, 1, &rule, 1, NULL, &set));
    free(it);
}

static void test_a_benchmark_passed_in_as_an_item_is_rejected(void **state)
{
    (void)state;
    struct ac_batch_item *it = items_for(5, 1, 1);
    it[0].benchmark = true;
    struct ac_batch_rule rule = {.credential = 1, .batch_size = 3};
    struct ac_batch_set *set = NULL;
    assert_int_equal(AC_EINVAL, ac_batch_build(it, 1, &rule, 1, NULL, &set));
    free(it);
}

static void test_timer_not_yet_run_out_gives_the_send_time(void **state)
{
    (void)state;
    int64_t at = 0;
    /* Oldest item queued at 1000 ms, timer 500 ms, now 1200 ms: send at 1500. */
    assert_false(ac_batch_due(1000, 1200, 500, &at));
    assert_int_equal(1500, at);
}

static void test_timer_run_out_sends_now(void **state)
{
    (void)state;
    int64_t at = 0;
    assert_true(ac_batch_due(1000, 1500, 500, &at));
    assert_int_equal(1500, at);
}

static void test_no_timer_sends_at_once(void **state)
{
    (void)state;
    int64_t at = 0;
    assert_true(ac_batch_due(1000, 1000, 0, &at));
    assert_int_equal(1000, at);
}

static void test_rng_below_stays_in_range(void **state)
{
    (void)state;
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, 9);
    for (int i = 0; i < 10000; i++)
        assert_true(ac_assign_rng_below(&rng, 7) < 7);
    assert_int_equal(0, ac_assign_rng_below(&rng, 0));
}

static void test_rng_chance_zero_never_and_one_always(void **state)
{
    (void)state;
    struct ac_assign_rng rng;
    ac_assign_rng_seed(&rng, 9);
    for (int i = 0; i < 1000; i++) {
        assert_false(ac_assign_rng_chance(&rng, 0.0));
        assert_true(ac_assign_rng_chance(&rng, 1.0));
    }
}

static void test_sodium_rng_stays_in_range(void **state)
{
    (void)state;
    struct ac_assign_rng rng;
    assert_int_equal(0, ac_assign_rng_sodium(&rng));
    for (int i = 0; i < 1000; i++)
        assert_true(ac_assign_rng_below(&rng, 3) < 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_are_cut_into_batches_of_the_batch_size),
        cmocka_unit_test(test_unseeded_batches_keep_input_order),
        cmocka_unit_test(test_two_reviewers_never_share_a_batch),
        cmocka_unit_test(test_each_credential_is_batched_with_its_own_size),
        cmocka_unit_test(test_benchmark_share_over_many_batches_is_within_two_points_of_the_rate),
        cmocka_unit_test(test_every_real_item_appears_exactly_once_after_seeding),
        cmocka_unit_test(test_seeded_full_batches_keep_the_batch_size),
        cmocka_unit_test(test_benchmarks_land_in_every_position_alike),
        cmocka_unit_test(test_a_benchmark_is_never_repeated_within_a_batch),
        cmocka_unit_test(test_the_same_seed_gives_the_same_batches),
        cmocka_unit_test(test_a_batch_size_of_zero_is_rejected),
        cmocka_unit_test(test_a_benchmark_rate_of_one_is_rejected),
        cmocka_unit_test(test_a_benchmark_passed_in_as_an_item_is_rejected),
        cmocka_unit_test(test_timer_not_yet_run_out_gives_the_send_time),
        cmocka_unit_test(test_timer_run_out_sends_now),
        cmocka_unit_test(test_no_timer_sends_at_once),
        cmocka_unit_test(test_rng_below_stays_in_range),
        cmocka_unit_test(test_rng_chance_zero_never_and_one_always),
        cmocka_unit_test(test_sodium_rng_stays_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
