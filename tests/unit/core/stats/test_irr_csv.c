/* test_irr_csv.c - tests core/irr_csv.c: header detection, scales, missing
 * cells, quoting, and errors that name the line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/stats/irr_csv.h"

static struct ac_irr_table *parse_ok(const char *csv, const char *scale)
{
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err;
    assert_int_equal(0, ac_irr_csv_parse(csv, strlen(csv), scale, &t, &err));
    return t;
}

static void test_first_row_of_names_is_a_header(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok("ann,bo\n1,2\n2,2\n", NULL);
    assert_true(t->has_header);
    assert_int_equal(2, t->ratings.items);
    assert_string_equal("bo", t->rater_names[1]);
    ac_irr_table_free(t);
}

static void test_first_row_of_values_is_data(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok("1,2\n2,2\n", NULL);
    assert_false(t->has_header);
    assert_int_equal(2, t->ratings.items);
    assert_string_equal("rater 1", t->rater_names[0]);
    ac_irr_table_free(t);
}

static void test_inferred_scale_runs_from_min_to_max(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok("2,4\n4,4\n", NULL);
    assert_true(t->inferred);
    assert_int_equal(3, t->ratings.levels); /* 2, 3, 4 */
    assert_int_equal(0, t->ratings.cells[0]);
    assert_int_equal(2, t->ratings.cells[1]);
    ac_irr_table_free(t);
}

static void test_range_scale_keeps_unused_levels(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok("2,3\n", "1-4");
    assert_int_equal(4, t->ratings.levels);
    assert_int_equal(1, t->ratings.cells[0]);
    assert_float_equal(4.0, t->ratings.level_values[3], 0.0);
    ac_irr_table_free(t);
}

static void test_named_levels_match_without_case_or_spaces(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok(" PASS , not yet\n", "not yet,almost there,pass");
    assert_int_equal(2, t->ratings.cells[0]);
    assert_int_equal(0, t->ratings.cells[1]);
    assert_null(t->ratings.level_values);
    ac_irr_table_free(t);
}

static void test_empty_and_short_rows_are_missing_ratings(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok("1,,2\n2\n", NULL);
    assert_int_equal(3, t->ratings.raters);
    assert_int_equal(AC_RATING_MISSING, t->ratings.cells[1]);
    assert_int_equal(AC_RATING_MISSING, t->ratings.cells[4]);
    assert_int_equal(AC_RATING_MISSING, t->ratings.cells[5]);
    ac_irr_table_free(t);
}

static void test_quoted_cells_may_hold_commas_and_quotes(void **state)
{
    (void)state;
    struct ac_irr_table *t = parse_ok("\"Lee, A\",\"B \"\"Bo\"\"\"\r\n\"1\",2\r\n", NULL);
    assert_int_equal(2, t->ratings.raters);
    assert_string_equal("Lee, A", t->rater_names[0]);
    assert_string_equal("B \"Bo\"", t->rater_names[1]);
    assert_int_equal(0, t->ratings.cells[0]);
    ac_irr_table_free(t);
}

static void test_value_off_the_scale_reports_line_and_column(void **state)
{
    (void)state;
    const char *csv = "a,b,c\n1,2,3\n\n2,x,3\n";
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err;
    assert_int_equal(AC_EPARSE, ac_irr_csv_parse(csv, strlen(csv), "1-3", &t, &err));
    assert_null(t);
    assert_int_equal(4, err.line); /* the blank line still counts */
    assert_int_equal(2, err.column);
    assert_non_null(strstr(err.message, "\"x\" is not on the scale"));
}

static void test_unclosed_quote_is_refused(void **state)
{
    (void)state;
    const char *csv = "1,\"2\n";
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err;
    assert_int_equal(AC_EPARSE, ac_irr_csv_parse(csv, strlen(csv), NULL, &t, &err));
    assert_int_equal(2, err.column);
}

static void test_bad_scale_specification_is_einval(void **state)
{
    (void)state;
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err;
    assert_int_equal(AC_EINVAL, ac_irr_csv_parse("1\n", 2, "pass,Pass", &t, &err));
    assert_int_equal(0, err.line);
    assert_non_null(strstr(err.message, "appears twice"));
}

static void test_header_only_file_has_no_ratings(void **state)
{
    (void)state;
    struct ac_irr_table *t = NULL;
    struct ac_irr_error err;
    assert_int_equal(AC_EPARSE, ac_irr_csv_parse("a,b\n", 4, NULL, &t, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_row_of_names_is_a_header),
        cmocka_unit_test(test_first_row_of_values_is_data),
        cmocka_unit_test(test_inferred_scale_runs_from_min_to_max),
        cmocka_unit_test(test_range_scale_keeps_unused_levels),
        cmocka_unit_test(test_named_levels_match_without_case_or_spaces),
        cmocka_unit_test(test_empty_and_short_rows_are_missing_ratings),
        cmocka_unit_test(test_quoted_cells_may_hold_commas_and_quotes),
        cmocka_unit_test(test_value_off_the_scale_reports_line_and_column),
        cmocka_unit_test(test_unclosed_quote_is_refused),
        cmocka_unit_test(test_bad_scale_specification_is_einval),
        cmocka_unit_test(test_header_only_file_has_no_ratings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
