/* test_agreement.c - tests core/agreement.c against published worked examples
 * (each cited beside its data) and small hand-computed cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "accord/stats/agreement.h"
#include "accord/base/error.h"

#define M AC_RATING_MISSING

/* Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability",
 * University of Pennsylvania, section "C. Nominal data, any number of observers,
 * missing values" and following: 4 observers x 12 units, values 1..5, with the
 * published results alpha nominal = 0.743, ordinal = 0.815, interval = 0.849,
 * ratio = 0.797, on n = 40 pairable values. The same matrix is the dataset
 * cac.raw4raters of Gwet's irrCAC R package, whose README (kgwet/irrCAC) gives
 * percent agreement 0.8181818, Gwet's AC1 0.77544 and alpha 0.74342.
 * Stored here as level indexes (value - 1), one row per unit. */
static const int kripp_cells[12 * 4] = {
    0, 0, M, 0, /* unit 1 */
    1, 1, 2, 1, /* 2 */
    2, 2, 2, 2, /* 3 */
    2, 2, 2, 2, /* 4 */
    1, 1, 1, 1, /* 5 */
    0, 1, 2, 3, /* 6 */
    3, 3, 3, 3, /* 7 */
    0, 0, 1, 0, /* 8 */
    1, 1, 1, 1, /* 9 */
    M, 4, 4, 4, /* 10 */
    M, M, 0, 0, /* 11 */
    M, M, 2, M, /* 12 */
};
static const double kripp_values[5] = {1, 2, 3, 4, 5};

static struct ac_ratings kripp(void)
{
    struct ac_ratings r = {12, 4, kripp_cells, 5, kripp_values};
    return r;
}

/* Expands a table of "raters per category" rows into a raw ratings matrix with
 * |m| raters per item (Fleiss' kappa and AC1 do not depend on which rater gave
 * which rating). */
static int *expand(const int *dist, size_t items, unsigned levels, size_t m)
{
    int *cells = calloc(items * m, sizeof *cells);
    assert_non_null(cells);
    for (size_t i = 0; i < items; i++) {
        size_t col = 0;
        for (unsigned l = 0; l < levels; l++)
            for (int c = 0; c < dist[i * levels + l]; c++)
                cells[i * m + col++] = (int)l;
        assert_int_equal(m, col);
    }
    return cells;
}

/* Expands a 2-rater contingency table (rows = rater 1) into a raw matrix. */
static int *expand_table(const int *table, unsigned levels, size_t *items)
{
    size_t n = 0;
    for (unsigned i = 0; i < levels * levels; i++)
        n += (size_t)table[i];
    int *cells = calloc(2 * n, sizeof *cells);
    assert_non_null(cells);
    size_t row = 0;
    for (unsigned a = 0; a < levels; a++)
        for (unsigned b = 0; b < levels; b++)
            for (int c = 0; c < table[a * levels + b]; c++) {
                cells[2 * row] = (int)a;
                cells[2 * row + 1] = (int)b;
                row++;
            }
    *items = n;
    return cells;
}

static void test_alpha_nominal_matches_krippendorff_2011(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_NOMINAL, &s));
    assert_int_equal(AC_STAT_OK, s.status);
    assert_float_equal(0.743, s.value, 0.0005);
    assert_float_equal(0.74342, s.value, 0.000005); /* irrCAC README */
}

static void test_alpha_ordinal_matches_krippendorff_2011(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_ORDINAL, &s));
    assert_float_equal(0.815, s.value, 0.0005);
}

static void test_alpha_interval_matches_krippendorff_2011(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_INTERVAL, &s));
    assert_float_equal(0.849, s.value, 0.0005);
}

static void test_alpha_ratio_matches_krippendorff_2011(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_RATIO, &s));
    assert_float_equal(0.797, s.value, 0.0005);
}

static void test_alpha_counts_eleven_units_and_forty_pairable_values(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_NOMINAL, &s));
    assert_int_equal(11, s.items); /* unit 12 has a single value */
    assert_int_equal(40, s.pairs); /* Krippendorff 2011: n.. = 40 */
}

static void test_alpha_interval_ignores_unused_levels_but_uses_their_spacing(void **state)
{
    (void)state;
    /* Two coders, two units: (0,2) and (2,2) on a 3-level scale versus the same
     * data squeezed onto a 2-level scale as (0,1),(1,1). Interval alpha is
     * invariant to a linear rescaling, so both must agree: hand-computed,
     * o(0,2)=o(2,0)=1, o(2,2)=2, n=4, n0=1, n2=3; Do numerator = 2*4 = 8;
     * De numerator = 2*1*3*4 = 24; alpha = 1 - 3*8/24 = 0. */
    const int a[] = {0, 2, 2, 2};
    const int b[] = {0, 1, 1, 1};
    struct ac_ratings ra = {2, 2, a, 3, NULL}, rb = {2, 2, b, 2, NULL};
    struct ac_stat sa, sb;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&ra, AC_ALPHA_INTERVAL, &sa));
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&rb, AC_ALPHA_INTERVAL, &sb));
    assert_float_equal(0.0, sa.value, 1e-12);
    assert_float_equal(0.0, sb.value, 1e-12);
}

static void test_alpha_is_undefined_when_every_rating_is_the_same(void **state)
{
    (void)state;
    const int cells[] = {1, 1, 1, 1, 1, 1};
    struct ac_ratings r = {3, 2, cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_NOMINAL, &s));
    assert_int_equal(AC_STAT_UNDEFINED, s.status);
    assert_non_null(s.why);
    assert_int_equal(3, s.items);
}

static void test_alpha_ratio_does_not_apply_without_numeric_levels(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    r.level_values = NULL;
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_krippendorff_alpha(&r, AC_ALPHA_RATIO, &s));
    assert_int_equal(AC_STAT_NOT_APPLICABLE, s.status);
}

static void test_percent_agreement_matches_irrcac_on_krippendorff_data(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_pairwise(&r, 0, &s));
    assert_float_equal(0.8181818, s.value, 0.0000005); /* irrCAC pa.coeff.raw */
    assert_int_equal(11, s.items);
}

static void test_adjacent_agreement_counts_pairs_one_level_apart(void **state)
{
    (void)state;
    /* Hand-computed: item 1 (0,1,3): pairs 0-1 adjacent, 0-3 no, 1-3 no -> 1/3;
     * item 2 (2,2,M): 1 pair, agree -> 1. Mean = (1/3 + 1) / 2 = 2/3. */
    const int cells[] = {0, 1, 3, 2, 2, M};
    struct ac_ratings r = {2, 3, cells, 4, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_pairwise(&r, 1, &s));
    assert_float_equal(2.0 / 3.0, s.value, 1e-12);
    assert_int_equal(4, s.pairs);
}

static void test_gwet_ac1_matches_irrcac_on_krippendorff_data(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_gwet_ac1(&r, &s));
    assert_float_equal(0.77544, s.value, 0.000005); /* irrCAC gwet.ac1.raw */
}

/* irrCAC README, dataset cont3x3abstractors (2 raters, 3 categories):
 * Cohen's kappa 0.7964094, Gwet's AC1 0.8493305, percent agreement 0.89. */
static const int abstractors[9] = {13, 0, 0, 0, 20, 7, 0, 4, 56};

static void test_cohen_kappa_matches_irrcac_abstractors_table(void **state)
{
    (void)state;
    size_t n;
    int *cells = expand_table(abstractors, 3, &n);
    struct ac_ratings r = {n, 2, cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_UNWEIGHTED, &s));
    assert_float_equal(0.7964094, s.value, 0.0000005);
    assert_int_equal(100, s.items);
    free(cells);
}

static void test_gwet_ac1_matches_irrcac_abstractors_table(void **state)
{
    (void)state;
    size_t n;
    int *cells = expand_table(abstractors, 3, &n);
    struct ac_ratings r = {n, 2, cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_gwet_ac1(&r, &s));
    assert_float_equal(0.8493305, s.value, 0.0000005);
    free(cells);
}

static void test_cohen_kappa_matches_wikipedia_grant_example(void **state)
{
    (void)state;
    /* Wikipedia "Cohen's kappa", worked example: 50 grant proposals, readers A
     * and B; yes/yes 20, yes/no 5, no/yes 10, no/no 15; p_o = 0.7, p_e = 0.5,
     * kappa = 0.4. Level 0 = yes, 1 = no. */
    const int table[4] = {20, 5, 10, 15};
    size_t n;
    int *cells = expand_table(table, 2, &n);
    struct ac_ratings r = {n, 2, cells, 2, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_UNWEIGHTED, &s));
    assert_float_equal(0.4, s.value, 1e-12);
    free(cells);
}

/* Hand-computed weighted kappas on a 3-level scale, 4 items rated
 * (0,0) (0,1) (1,2) (2,2); marginals A = (1/2, 1/4, 1/4), B = (1/4, 1/4, 1/2).
 * Quadratic weights 1, 3/4, 0: p_o = 3.5/4 = 7/8, p_e = 19/32,
 *   kappa = (28/32 - 19/32) / (13/32) = 9/13.
 * Linear weights 1, 1/2, 0: p_o = 3/4, p_e = 1/2, kappa = 1/2.
 * Unweighted: p_o = 1/2, p_e = 5/16, kappa = (3/16) / (11/16) = 3/11. */
static const int weighted_cells[8] = {0, 0, 0, 1, 1, 2, 2, 2};

static void test_quadratic_weighted_kappa_matches_hand_computation(void **state)
{
    (void)state;
    struct ac_ratings r = {4, 2, weighted_cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_QUADRATIC, &s));
    assert_float_equal(9.0 / 13.0, s.value, 1e-12);
}

static void test_linear_weighted_kappa_matches_hand_computation(void **state)
{
    (void)state;
    struct ac_ratings r = {4, 2, weighted_cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_LINEAR, &s));
    assert_float_equal(0.5, s.value, 1e-12);
}

static void test_unweighted_kappa_matches_hand_computation(void **state)
{
    (void)state;
    struct ac_ratings r = {4, 2, weighted_cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_UNWEIGHTED, &s));
    assert_float_equal(3.0 / 11.0, s.value, 1e-12);
}

static void test_weighted_kappa_takes_weights_from_the_scale_not_the_data(void **state)
{
    (void)state;
    /* Levels 0, 1 and 3 of a 4-level scale occur; level 2 never does. Items
     * (0,1) (1,3) (3,3) (0,0), quadratic disagreement weights (i-j)^2 / 9:
     * observed = (1/9 + 4/9) / 4 = 5/36; A = (1/2, 1/4, 0, 1/4),
     * B = (1/4, 1/4, 0, 1/2); expected = 19/72 + 1/16 + 13/144 = 5/12;
     * kappa = 1 - (5/36) / (5/12) = 2/3. Had the scale been inferred from the
     * observed values (0, 1, 3 -> 0, 1, 2) it would be 9/13 instead. */
    const int cells[] = {0, 1, 1, 3, 3, 3, 0, 0};
    struct ac_ratings r = {4, 2, cells, 4, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_QUADRATIC, &s));
    assert_float_equal(2.0 / 3.0, s.value, 1e-12);
}

static void test_cohen_kappa_does_not_apply_to_three_raters(void **state)
{
    (void)state;
    struct ac_ratings r = kripp();
    r.raters = 3; /* shape only; cells of the first 3 columns of each row */
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_UNWEIGHTED, &s));
    assert_int_equal(AC_STAT_NOT_APPLICABLE, s.status);
}

static void test_cohen_kappa_is_undefined_when_both_raters_use_one_level(void **state)
{
    (void)state;
    const int cells[] = {1, 1, 1, 1, 1, 1};
    struct ac_ratings r = {3, 2, cells, 2, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_cohen_kappa(&r, AC_KAPPA_QUADRATIC, &s));
    assert_int_equal(AC_STAT_UNDEFINED, s.status);
    assert_non_null(s.why);
}

static void test_fleiss_kappa_matches_wikipedia_worked_example(void **state)
{
    (void)state;
    /* Wikipedia "Fleiss' kappa", worked example: 14 raters, 10 subjects,
     * 5 categories; P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210. */
    const int dist[10 * 5] = {
        0, 0, 0, 0, 14, 0, 2, 6, 4, 2, 0, 0, 3, 5, 6, 0, 3, 9, 2, 0, 2, 2, 8, 1, 1,
        7, 7, 0, 0, 0,  3, 2, 6, 3, 0, 2, 5, 3, 2, 2, 6, 5, 2, 1, 0, 0, 2, 2, 3, 7,
    };
    int *cells = expand(dist, 10, 5, 14);
    struct ac_ratings r = {10, 14, cells, 5, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_fleiss_kappa(&r, &s));
    assert_float_equal(0.210, s.value, 0.0005);
    assert_int_equal(10, s.items);
    free(cells);
}

/* irrCAC README, dataset distrib.6raters (15 subjects, 6 raters, 5 categories):
 * Fleiss' kappa 0.4139265, Gwet's AC1 0.4448007. */
static const int six_raters[15 * 5] = {
    0, 0, 0, 6, 0, 0, 3, 0, 0, 3, 0, 1, 4, 0, 1, 0, 0, 0, 0, 6, 0, 3, 0, 3, 0,
    2, 0, 4, 0, 0, 0, 0, 4, 0, 2, 2, 0, 3, 1, 0, 2, 0, 0, 4, 0, 0, 0, 0, 0, 6,
    1, 0, 0, 5, 0, 1, 1, 0, 4, 0, 0, 3, 3, 0, 0, 1, 0, 0, 5, 0, 0, 2, 0, 3, 1,
};

static void test_fleiss_kappa_matches_irrcac_six_raters(void **state)
{
    (void)state;
    int *cells = expand(six_raters, 15, 5, 6);
    struct ac_ratings r = {15, 6, cells, 5, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_fleiss_kappa(&r, &s));
    assert_float_equal(0.4139265, s.value, 0.0000005);
    free(cells);
}

static void test_gwet_ac1_matches_irrcac_six_raters(void **state)
{
    (void)state;
    int *cells = expand(six_raters, 15, 5, 6);
    struct ac_ratings r = {15, 6, cells, 5, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_gwet_ac1(&r, &s));
    assert_float_equal(0.4448007, s.value, 0.0000005);
    free(cells);
}

static void test_fleiss_kappa_leaves_out_items_with_another_rating_count(void **state)
{
    (void)state;
    /* Two items rated by 3 raters, one by 2: m = 3, the third item is left out.
     * Hand-computed on items (0,0,1) and (1,1,1): P_1 = (4+1-3)/6 = 1/3,
     * P_2 = (9-3)/6 = 1, P-bar = 2/3; p = (2/6, 4/6), P_e = 1/9 + 4/9 = 5/9;
     * kappa = (2/3 - 5/9) / (4/9) = 1/4. */
    const int cells[] = {0, 0, 1, 1, 1, 1, 0, 1, M};
    struct ac_ratings r = {3, 3, cells, 2, NULL};
    struct ac_stat s;
    assert_int_equal(0, ac_agreement_fleiss_kappa(&r, &s));
    assert_float_equal(0.25, s.value, 1e-12);
    assert_int_equal(2, s.items);
}

static void test_a_level_outside_the_scale_is_rejected(void **state)
{
    (void)state;
    const int cells[] = {0, 3};
    struct ac_ratings r = {1, 2, cells, 3, NULL};
    struct ac_stat s;
    assert_int_equal(AC_EINVAL, ac_agreement_validate(&r));
    assert_int_equal(AC_EINVAL, ac_agreement_gwet_ac1(&r, &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alpha_nominal_matches_krippendorff_2011),
        cmocka_unit_test(test_alpha_ordinal_matches_krippendorff_2011),
        cmocka_unit_test(test_alpha_interval_matches_krippendorff_2011),
        cmocka_unit_test(test_alpha_ratio_matches_krippendorff_2011),
        cmocka_unit_test(test_alpha_counts_eleven_units_and_forty_pairable_values),
        cmocka_unit_test(test_alpha_interval_ignores_unused_levels_but_uses_their_spacing),
        cmocka_unit_test(test_alpha_is_undefined_when_every_rating_is_the_same),
        cmocka_unit_test(test_alpha_ratio_does_not_apply_without_numeric_levels),
        cmocka_unit_test(test_percent_agreement_matches_irrcac_on_krippendorff_data),
        cmocka_unit_test(test_adjacent_agreement_counts_pairs_one_level_apart),
        cmocka_unit_test(test_gwet_ac1_matches_irrcac_on_krippendorff_data),
        cmocka_unit_test(test_cohen_kappa_matches_irrcac_abstractors_table),
        cmocka_unit_test(test_gwet_ac1_matches_irrcac_abstractors_table),
        cmocka_unit_test(test_cohen_kappa_matches_wikipedia_grant_example),
        cmocka_unit_test(test_quadratic_weighted_kappa_matches_hand_computation),
        cmocka_unit_test(test_linear_weighted_kappa_matches_hand_computation),
        cmocka_unit_test(test_unweighted_kappa_matches_hand_computation),
        cmocka_unit_test(test_weighted_kappa_takes_weights_from_the_scale_not_the_data),
        cmocka_unit_test(test_cohen_kappa_does_not_apply_to_three_raters),
        cmocka_unit_test(test_cohen_kappa_is_undefined_when_both_raters_use_one_level),
        cmocka_unit_test(test_fleiss_kappa_matches_wikipedia_worked_example),
        cmocka_unit_test(test_fleiss_kappa_matches_irrcac_six_raters),
        cmocka_unit_test(test_gwet_ac1_matches_irrcac_six_raters),
        cmocka_unit_test(test_fleiss_kappa_leaves_out_items_with_another_rating_count),
        cmocka_unit_test(test_a_level_outside_the_scale_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
