/* test_svg_chart.c - tests core/svg_chart.c: documents are well-formed (a small
 * tag and entity checker written here, independent of the renderer), caller
 * text is escaped, histogram bins hold the counts worked out by hand, and line
 * charts break at undefined values. tests/integration/test_analytics.py parses
 * the node's charts with Python's xml.etree as a second, independent check. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/render/svg_chart.h"

/* Renders into a NUL-terminated string the test frees. */
static char *render_histogram(const struct ac_svg_histogram *h)
{
    struct ac_buf b;
    ac_buf_init(&b);
    assert_int_equal(0, ac_svg_histogram(h, &b));
    assert_int_equal(0, ac_buf_terminate(&b));
    return (char *)b.data;
}

static char *render_line(const struct ac_svg_line_chart *c)
{
    struct ac_buf b;
    ac_buf_init(&b);
    assert_int_equal(0, ac_svg_line_chart(c, &b));
    assert_int_equal(0, ac_buf_terminate(&b));
    return (char *)b.data;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Checks XML well-formedness as far as these documents need: one declaration,
 * then elements that nest properly with a single root named svg, attribute
 * values quoted, and '&' only as one of the five predefined entities. Returns
 * 1 when |doc| passes. */
static int well_formed(const char *doc)
{
    static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    if (strncmp(doc, decl, sizeof decl - 1) != 0)
        return 0;
    const char *p = doc + sizeof decl - 1;
    char stack[64][32];
    int depth = 0, roots = 0;
    while (*p) {
        if (*p == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            int ok = 0;
            for (int i = 0; i < 5 && !ok; i++)
                ok = strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok)
                return 0;
            p++;
            continue;
        }
        if (*p == '>')
            return 0; /* a bare '>' in text is legal XML but we always escape it */
        if (*p != '<') {
            if (depth == 0 && *p != '\n')
                return 0; /* text outside the root */
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " />\n");
        if (len == 0 || len >= sizeof stack[0])
            return 0;
        /* Skip attributes, honouring quotes, to the end of the tag. */
        const char *q = name + len;
        while (*q && *q != '>') {
            if (*q == '"') {
                const char *end = strchr(q + 1, '"');
                if (!end || memchr(q + 1, '<', (size_t)(end - q - 1)))
                    return 0;
                q = end;
            }
            q++;
        }
        if (!*q)
            return 0;
        int self_closing = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != len ||
                strncmp(stack[depth - 1], name, len) != 0)
                return 0;
            depth--;
        } else {
            if (depth == 0 && (roots++ || strncmp(name, "svg", len) != 0 || len != 3))
                return 0;
            if (!self_closing) {
                if (depth == 64)
                    return 0;
                memcpy(stack[depth], name, len);
                stack[depth][len] = 0;
                depth++;
            }
        }
        p = q + 1;
    }
    return depth == 0 && roots == 1;
}

static void test_histogram_is_a_well_formed_standalone_svg(void **state)
{
    (void)state;
    const double v[] = {-1.2, -0.3, 0.1, 0.4, 2.0};
    struct ac_svg_histogram h = {"Severity", "severity (z)", "reviewers", v, 5, 0.5, "pool mean"};
    char *doc = render_histogram(&h);
    assert_true(well_formed(doc));
    assert_non_null(strstr(doc, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_null(strstr(doc, "<script"));
    assert_null(strstr(doc, "href"));
    free(doc);
}

/* Bins of width 0.5 on whole multiples: -0.7 -> [-1,-0.5), -0.2 -> [-0.5,0),
 * 0.1, 0.3, 0.4 -> [0,0.5), nothing in [0.5,1), 1.2 -> [1,1.5). */
static void test_histogram_counts_each_value_in_its_bin(void **state)
{
    (void)state;
    const double v[] = {-0.7, -0.2, 0.1, 0.3, 0.4, 1.2};
    struct ac_svg_histogram h = {"t", NULL, NULL, v, 6, 0.5, NULL};
    char *doc = render_histogram(&h);
    assert_int_equal(5, count(doc, "class=\"bar\""));
    assert_non_null(strstr(doc, "<title>-1 to -0.5: 1</title>"));
    assert_non_null(strstr(doc, "<title>-0.5 to 0: 1</title>"));
    assert_non_null(strstr(doc, "<title>0 to 0.5: 3</title>"));
    assert_non_null(strstr(doc, "<title>0.5 to 1: 0</title>"));
    assert_non_null(strstr(doc, "<title>1 to 1.5: 1</title>"));
    free(doc);
}

/* 0..100 at width 1 would need 101 bins; doubled once, width 2 needs
 * floor(100/2) + 1 = 51, within the 64 allowed. */
static void test_histogram_widens_bins_when_the_spread_is_large(void **state)
{
    (void)state;
    double v[101];
    for (int i = 0; i <= 100; i++)
        v[i] = i;
    struct ac_svg_histogram h = {"t", NULL, NULL, v, 101, 1.0, NULL};
    char *doc = render_histogram(&h);
    assert_int_equal(51, count(doc, "class=\"bar\""));
    assert_non_null(strstr(doc, "<title>0 to 2: 2</title>"));
    assert_non_null(strstr(doc, "<title>100 to 102: 1</title>"));
    free(doc);
}

static void test_histogram_leaves_out_values_that_are_not_finite(void **state)
{
    (void)state;
    const double v[] = {NAN, INFINITY, -INFINITY, 0.2};
    struct ac_svg_histogram h = {"t", NULL, NULL, v, 4, 0.5, NULL};
    char *doc = render_histogram(&h);
    assert_int_equal(1, count(doc, "class=\"bar\""));
    assert_non_null(strstr(doc, "<title>0 to 0.5: 1</title>"));
    free(doc);
}

static void test_histogram_without_values_says_no_data(void **state)
{
    (void)state;
    struct ac_svg_histogram h = {"t", NULL, NULL, NULL, 0, 0.5, "pool mean"};
    char *doc = render_histogram(&h);
    assert_true(well_formed(doc));
    assert_int_equal(0, count(doc, "class=\"bar\""));
    assert_non_null(strstr(doc, ">no data yet<"));
    free(doc);
}

static void test_histogram_refuses_a_bin_width_that_is_not_positive(void **state)
{
    (void)state;
    const double v[] = {1};
    struct ac_buf b;
    ac_buf_init(&b);
    assert_int_equal(0, ac_buf_append_str(&b, "keep"));
    struct ac_svg_histogram h = {"t", NULL, NULL, v, 1, 0, NULL};
    assert_int_equal(AC_EINVAL, ac_svg_histogram(&h, &b));
    h.bin_width = NAN;
    assert_int_equal(AC_EINVAL, ac_svg_histogram(&h, &b));
    assert_int_equal(4, b.len); /* unchanged on failure */
    ac_buf_release(&b);
}

static void test_histogram_marks_zero_when_asked(void **state)
{
    (void)state;
    const double v[] = {-0.4, 0.6};
    struct ac_svg_histogram h = {"t", NULL, NULL, v, 2, 0.5, "pool mean"};
    char *doc = render_histogram(&h);
    assert_int_equal(1, count(doc, "class=\"zero\""));
    assert_non_null(strstr(doc, ">pool mean</text>"));
    free(doc);
}

static void test_caller_text_is_escaped(void **state)
{
    (void)state;
    const double v[] = {0};
    struct ac_svg_histogram h = {"<script>&\"x'</script>", "a<b", NULL, v, 1, 1, NULL};
    char *doc = render_histogram(&h);
    assert_true(well_formed(doc));
    assert_null(strstr(doc, "<script>"));
    assert_non_null(strstr(doc, "&lt;script&gt;&amp;&quot;x&apos;&lt;/script&gt;"));
    assert_non_null(strstr(doc, "a&lt;b"));
    free(doc);
}

static void test_escape_drops_control_characters_and_replaces_bad_utf8(void **state)
{
    (void)state;
    struct ac_buf b;
    ac_buf_init(&b);
    /* "a" BEL "b" TAB, then 0xff (never UTF-8), an overlong "/" (c0 af), a lone
     * continuation byte, then "é" (c3 a9) which is valid and kept. */
    assert_int_equal(0, ac_svg_escape("a\ab\t\xff\xc0\xaf\x80\xc3\xa9", &b));
    assert_int_equal(0, ac_buf_terminate(&b));
    assert_string_equal("ab\t????\xc3\xa9", (char *)b.data);
    ac_buf_release(&b);
}

static void test_escape_refuses_utf16_surrogates(void **state)
{
    (void)state;
    struct ac_buf b;
    ac_buf_init(&b);
    /* ed a0 80 would be U+D800, which UTF-8 (RFC 3629 section 3) forbids. */
    assert_int_equal(0, ac_svg_escape("\xed\xa0\x80", &b));
    assert_int_equal(0, ac_buf_terminate(&b));
    assert_string_equal("???", (char *)b.data);
    ac_buf_release(&b);
}

/* 1709251200000 ms is 2024-03-01T00:00:00Z and 1710115200000 is
 * 2024-03-11T00:00:00Z (Python: calendar.timegm((2024,3,1,0,0,0)) * 1000). */
static void test_line_chart_has_a_point_with_its_date_and_value(void **state)
{
    (void)state;
    const int64_t x[] = {1709251200000, 1710115200000};
    const double y[] = {0.75, 0.5};
    struct ac_svg_series s = {"exact agreement", x, y, 2};
    struct ac_svg_line_chart c = {"Agreement", "agreement", 0, 1, &s, 1};
    char *doc = render_line(&c);
    assert_true(well_formed(doc));
    assert_int_equal(2, count(doc, "class=\"point\""));
    assert_non_null(strstr(doc, "<title>exact agreement, 2024-03-01: 0.75</title>"));
    assert_non_null(strstr(doc, "<title>exact agreement, 2024-03-11: 0.5</title>"));
    free(doc);
}

static void test_line_chart_breaks_the_line_at_an_undefined_value(void **state)
{
    (void)state;
    const int64_t x[] = {1709251200000, 1709337600000, 1709424000000, 1709510400000};
    const double y[] = {0.5, NAN, 0.6, 0.7};
    struct ac_svg_series s = {"kappa", x, y, 4};
    struct ac_svg_line_chart c = {"Agreement", NULL, -1, 1, &s, 1};
    char *doc = render_line(&c);
    assert_int_equal(3, count(doc, "class=\"point\""));
    /* Two segments: each starts with a move. */
    const char *d = strstr(doc, " d=\"");
    assert_non_null(d);
    size_t moves = 0;
    for (const char *p = d + 4; *p != '"'; p++)
        moves += *p == 'M';
    assert_int_equal(2, moves);
    free(doc);
}

static void test_line_chart_names_each_series_in_the_legend(void **state)
{
    (void)state;
    const int64_t x[] = {1709251200000};
    const double y1[] = {0.5}, y2[] = {0.25};
    struct ac_svg_series s[] = {{"exact", x, y1, 1}, {"kappa & co", x, y2, 1}};
    struct ac_svg_line_chart c = {"Agreement", NULL, 0, 1, s, 2};
    char *doc = render_line(&c);
    assert_true(well_formed(doc));
    assert_int_equal(2, count(doc, "class=\"legend\""));
    assert_non_null(strstr(doc, ">kappa &amp; co</text>"));
    free(doc);
}

static void test_line_chart_without_points_says_no_data(void **state)
{
    (void)state;
    const int64_t x[] = {1709251200000};
    const double y[] = {NAN};
    struct ac_svg_series s = {"kappa", x, y, 1};
    struct ac_svg_line_chart c = {"Agreement", NULL, 0, 1, &s, 1};
    char *doc = render_line(&c);
    assert_true(well_formed(doc));
    assert_int_equal(0, count(doc, "class=\"point\""));
    assert_non_null(strstr(doc, ">no data yet<"));
    free(doc);
}

static void test_line_chart_refuses_an_empty_y_range(void **state)
{
    (void)state;
    struct ac_buf b;
    ac_buf_init(&b);
    struct ac_svg_line_chart c = {"t", NULL, 1, 1, NULL, 0};
    assert_int_equal(AC_EINVAL, ac_svg_line_chart(&c, &b));
    assert_int_equal(0, b.len);
    ac_buf_release(&b);
}

static void test_line_chart_refuses_too_many_series(void **state)
{
    (void)state;
    struct ac_svg_series s[AC_SVG_MAX_SERIES + 1];
    memset(s, 0, sizeof s);
    struct ac_buf b;
    ac_buf_init(&b);
    struct ac_svg_line_chart c = {"t", NULL, 0, 1, s, AC_SVG_MAX_SERIES + 1};
    assert_int_equal(AC_EINVAL, ac_svg_line_chart(&c, &b));
    assert_int_equal(0, b.len);
    ac_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_is_a_well_formed_standalone_svg),
        cmocka_unit_test(test_histogram_counts_each_value_in_its_bin),
        cmocka_unit_test(test_histogram_widens_bins_when_the_spread_is_large),
        cmocka_unit_test(test_histogram_leaves_out_values_that_are_not_finite),
        cmocka_unit_test(test_histogram_without_values_says_no_data),
        cmocka_unit_test(test_histogram_refuses_a_bin_width_that_is_not_positive),
        cmocka_unit_test(test_histogram_marks_zero_when_asked),
        cmocka_unit_test(test_caller_text_is_escaped),
        cmocka_unit_test(test_escape_drops_control_characters_and_replaces_bad_utf8),
        cmocka_unit_test(test_escape_refuses_utf16_surrogates),
        cmocka_unit_test(test_line_chart_has_a_point_with_its_date_and_value),
        cmocka_unit_test(test_line_chart_breaks_the_line_at_an_undefined_value),
        cmocka_unit_test(test_line_chart_names_each_series_in_the_legend),
        cmocka_unit_test(test_line_chart_without_points_says_no_data),
        cmocka_unit_test(test_line_chart_refuses_an_empty_y_range),
        cmocka_unit_test(test_line_chart_refuses_too_many_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
