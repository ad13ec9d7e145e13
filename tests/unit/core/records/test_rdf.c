/* test_rdf.c - tests core/records/rdf.c: the dataset as a set, the canonical
 * N-Quads escaping of RDF 1.2 N-Triples section 4 "Canonical form" (which
 * RDFC-1.0 section 4.3 uses), and the N-Quads parser of RDF 1.1 N-Quads
 * (its grammar, and errors that name the line and the rule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/records/rdf.h"

/* ---- allocation failure -------------------------------------------------------
 * glibc lets a program replace malloc (its manual, "Replacing malloc"), and
 * its own strdup then calls ours, so every allocation of the code under test
 * can be made to fail in turn. Sanitizer builds keep their own allocator. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_FAIL 0
#else
#define ALLOC_FAIL 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static long fail_at = -1; /* the allocation number that fails; -1: none */
static long allocs;

static int failing(void)
{
    return fail_at >= 0 && allocs++ == fail_at;
}

/* Valgrind puts its own malloc in place of ours; then there is nothing to
 * fail and the test skips. */
static int alloc_failure_works(void)
{
    void *(*volatile alloc)(size_t) = malloc; /* a call the compiler cannot elide */
    allocs = 0;
    fail_at = 0;
    void *p = alloc(1);
    fail_at = -1;
    free(p);
    return p == NULL;
}
static long live; /* blocks allocated and not yet freed, to find leaks */

void *malloc(size_t n)
{
    void *p = failing() ? NULL : __libc_malloc(n);
    live += p != NULL;
    return p;
}
void *calloc(size_t n, size_t m)
{
    void *p = failing() ? NULL : __libc_calloc(n, m);
    live += p != NULL;
    return p;
}
void *realloc(void *p, size_t n)
{
    void *q = failing() ? NULL : __libc_realloc(p, n);
    live += !p && q;
    return q;
}
void free(void *p)
{
    live -= p != NULL;
    __libc_free(p);
}
#endif

static struct ac_rdf_term iri(const char *v)
{
    return (struct ac_rdf_term){.kind = AC_RDF_IRI, .value = (char *)v};
}

static struct ac_rdf_term lit(const char *v)
{
    return (struct ac_rdf_term){.kind = AC_RDF_LITERAL, .value = (char *)v};
}

/* Writes |t| as an object of a fixed triple and returns the text between the
 * predicate and " .\n" in a static buffer. */
static const char *object_text(struct ac_rdf_term t)
{
    static char text[512];
    struct ac_rdf_quad q = {.s = iri("urn:s"), .p = iri("urn:p"), .o = t};
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_rdf_quad_nquads(&q, &out));
    assert_true(out.len > 16 && out.len < sizeof text);
    assert_memory_equal("<urn:s> <urn:p> ", out.data, 16);
    assert_memory_equal(" .\n", out.data + out.len - 3, 3);
    memcpy(text, out.data + 16, out.len - 19);
    text[out.len - 19] = 0;
    ac_buf_release(&out);
    return text;
}

/* The rule ac_rdf_iri_ok() applies, written the slow and obvious way. */
static int iri_ok_reference(const char *s)
{
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (i = 1; s[i] && s[i] != ':'; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.", s[i]))
            return 0;
    if (s[i] != ':')
        return 0;
    for (; s[i]; i++)
        if ((unsigned char)s[i] <= 0x20 || strchr("<>\"{}|^`\\", s[i]))
            return 0;
    return 1;
}

/* ac_rdf_iri_ok() reads four bytes a step: every byte value at every
 * position of the first and last steps, on IRIs whose lengths end the
 * string at each place within a step, agrees with the plain rule. */
static void test_iri_check_agrees_with_the_rule_for_every_byte_at_every_position(void **state)
{
    (void)state;
    static const char *const base[] = {"https://a.example/x", "urn:x", "did:web:h",
                                       "https://b.example/abcdefgh", "u:"};
    char iri[64];
    for (size_t b = 0; b < sizeof base / sizeof base[0]; b++) {
        size_t len = strlen(base[b]);
        assert_int_equal(ac_rdf_iri_ok(base[b]), 1);
        for (size_t pos = 0; pos < len + 1; pos++) {
            for (int c = 1; c < 256; c++) {
                memcpy(iri, base[b], len + 1);
                if (pos < len) {
                    iri[pos] = (char)c;
                } else {
                    iri[len] = (char)c;
                    iri[len + 1] = 0;
                }
                if (ac_rdf_iri_ok(iri) != iri_ok_reference(iri))
                    fail_msg("\"%s\" with byte 0x%02X at %zu: %d", base[b], c, pos,
                             ac_rdf_iri_ok(iri));
            }
        }
    }
    assert_int_equal(ac_rdf_iri_ok(""), 0);
    assert_int_equal(ac_rdf_iri_ok(NULL), 0);
    assert_int_equal(ac_rdf_iri_ok("//no-scheme"), 0);
    assert_int_equal(ac_rdf_iri_ok("https://a.example/a b"), 0);
    assert_int_equal(ac_rdf_iri_ok("https://a.example/\xc3\xa9"), 1);
}

static void test_literals_use_the_seven_short_escapes_of_the_canonical_form(void **state)
{
    (void)state;
    assert_string_equal("\"\\b\\t\\n\\f\\r\\\"\\\\\"", object_text(lit("\b\t\n\f\r\"\\")));
}

static void test_other_control_characters_and_del_are_uchar_with_upper_case_hex(void **state)
{
    (void)state;
    assert_string_equal("\"\\u0001\\u000B\\u000E\\u001F\\u007F\"",
                        object_text(lit("\x01\x0b\x0e\x1f\x7f")));
}

static void test_u0000_held_as_c0_80_is_written_as_uchar(void **state)
{
    (void)state;
    assert_string_equal("\"a\\u0000b\"", object_text(lit("a\xc0\x80"
                                                         "b")));
}

static void test_non_ascii_and_the_apostrophe_are_written_as_themselves(void **state)
{
    (void)state;
    assert_string_equal("\"caf\xc3\xa9 \xe2\x88\x9e '\"",
                        object_text(lit("caf\xc3\xa9 \xe2\x88\x9e '")));
}

static void test_xsd_string_is_left_out_and_other_datatypes_and_languages_are_written(void **state)
{
    (void)state;
    struct ac_rdf_term t = lit("x");
    t.datatype = AC_RDF_XSD_STRING;
    assert_string_equal("\"x\"", object_text(t));
    t.datatype = "http://www.w3.org/2001/XMLSchema#integer";
    assert_string_equal("\"x\"^^<http://www.w3.org/2001/XMLSchema#integer>", object_text(t));
    t.datatype = AC_RDF_LANG_STRING;
    t.language = "en-gb";
    assert_string_equal("\"x\"@en-gb", object_text(t));
}

static void test_a_quad_in_a_named_graph_has_four_terms(void **state)
{
    (void)state;
    struct ac_rdf_quad q = {.s = {.kind = AC_RDF_BLANK, .value = "b0"},
                            .p = iri("urn:p"),
                            .o = iri("urn:o"),
                            .g = {.kind = AC_RDF_BLANK, .value = "g"}};
    struct ac_buf out = AC_BUF_INIT;
    assert_int_equal(0, ac_rdf_quad_nquads(&q, &out));
    assert_int_equal(0, ac_buf_terminate(&out));
    assert_string_equal("_:b0 <urn:p> <urn:o> _:g .\n", (char *)out.data);
    ac_buf_release(&out);
}

static void test_adding_a_quad_twice_keeps_one_copy(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    struct ac_rdf_quad q = {.s = iri("urn:s"), .p = iri("urn:p"), .o = lit("v")};
    struct ac_rdf_quad typed = q;
    typed.o.datatype = AC_RDF_XSD_STRING; /* the same literal, spelled out */
    assert_int_equal(0, ac_rdf_dataset_add(&d, &q));
    assert_int_equal(0, ac_rdf_dataset_add(&d, &typed));
    assert_int_equal(1, d.n);
    q.g = iri("urn:g"); /* another graph: another quad */
    assert_int_equal(0, ac_rdf_dataset_add(&d, &q));
    assert_int_equal(2, d.n);
    assert_string_equal("v", d.quads[0].o.value);
    assert_ptr_not_equal(q.o.value, d.quads[0].o.value);
    ac_rdf_dataset_release(&d);
    assert_int_equal(0, d.n);
}

static void test_language_tags_are_stored_lowercased_and_compared_without_case(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    struct ac_rdf_quad q = {.s = iri("urn:s"), .p = iri("urn:p"), .o = lit("colour")};
    q.o.language = "EN-GB";
    assert_int_equal(0, ac_rdf_dataset_add(&d, &q));
    q.o.language = "en-gb";
    assert_int_equal(0, ac_rdf_dataset_add(&d, &q));
    assert_int_equal(1, d.n);
    assert_string_equal("en-gb", d.quads[0].o.language);
    assert_string_equal(AC_RDF_LANG_STRING, d.quads[0].o.datatype);
    ac_rdf_dataset_release(&d);
}

/* A borrowed quad keeps the caller's pointers; equality is still by
 * content, across borrowed and copied quads and different pointers. */
static void test_a_borrowed_quad_keeps_its_pointers_and_equal_quads_stay_one(void **state)
{
    (void)state;
    static char objects[300][8];
    struct ac_rdf_dataset d = {0};
    char s1[] = "urn:s", s2[] = "urn:s";
    struct ac_rdf_quad q = {.s = iri(s1), .p = iri("urn:p"), .o = lit("v")};
    assert_int_equal(0, ac_rdf_dataset_add_borrowed(&d, &q));
    assert_int_equal(1, d.n);
    assert_ptr_equal(s1, d.quads[0].s.value);
    assert_string_equal(AC_RDF_XSD_STRING, d.quads[0].o.datatype);
    struct ac_rdf_quad q2 = q;
    q2.s.value = s2; /* the same text at another address */
    assert_int_equal(0, ac_rdf_dataset_add_borrowed(&d, &q2));
    assert_int_equal(0, ac_rdf_dataset_add(&d, &q));
    assert_int_equal(1, d.n);
    /* Many quads through the same subject and predicate pointers, each
     * object its own: all kept (the hash memo never mistakes one for another). */
    for (int i = 0; i < 300; i++) {
        snprintf(objects[i], sizeof objects[i], "%d", i);
        struct ac_rdf_quad m = {.s = iri(s1), .p = iri("urn:p"), .o = lit(objects[i])};
        assert_int_equal(0, ac_rdf_dataset_add_borrowed(&d, &m));
        assert_int_equal(0, ac_rdf_dataset_add_borrowed(&d, &m));
    }
    assert_int_equal(301, d.n);
    /* A language tag with capitals is stored lowercased, as a copy. */
    struct ac_rdf_quad l = {.s = iri(s1), .p = iri("urn:p"), .o = lit("colour")};
    l.o.language = "EN-GB";
    assert_int_equal(0, ac_rdf_dataset_add_borrowed(&d, &l));
    assert_int_equal(302, d.n);
    assert_string_equal("en-gb", d.quads[301].o.language);
    l.o.language = "en-gb";
    assert_int_equal(0, ac_rdf_dataset_add_borrowed(&d, &l));
    assert_int_equal(302, d.n);
    ac_rdf_dataset_release(&d);
}

/* ac_rdf_dataset_append_borrowed() keeps the caller's pointers and every
 * quad it is given, repeats too (RDFC-1.0 reads them once), says so in
 * |may_repeat|, and stores a language tag lowercased as the other adds do. */
static void test_an_appended_quad_is_kept_even_when_it_repeats(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    char s1[] = "urn:s";
    struct ac_rdf_quad q = {.s = iri(s1), .p = iri("urn:p"), .o = lit("v")};
    for (int i = 0; i < 200; i++)
        assert_int_equal(0, ac_rdf_dataset_append_borrowed(&d, &q));
    assert_int_equal(200, d.n);
    assert_true(d.may_repeat);
    assert_ptr_equal(s1, d.quads[199].s.value);
    assert_string_equal(AC_RDF_XSD_STRING, d.quads[0].o.datatype);
    struct ac_rdf_quad l = {.s = iri(s1), .p = iri("urn:p"), .o = lit("colour")};
    l.o.language = "EN-GB";
    assert_int_equal(0, ac_rdf_dataset_append_borrowed(&d, &l));
    assert_string_equal("en-gb", d.quads[200].o.language);
    ac_rdf_dataset_release(&d);
    struct ac_rdf_dataset e = {0};
    assert_int_equal(0, ac_rdf_dataset_add_borrowed(&e, &q));
    assert_false(e.may_repeat);
    ac_rdf_dataset_release(&e);
}

static void test_a_thousand_distinct_quads_are_all_kept(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 1000; i++) {
            char v[16];
            snprintf(v, sizeof v, "%d", i);
            struct ac_rdf_quad q = {.s = iri("urn:s"), .p = iri("urn:p"), .o = lit(v)};
            assert_int_equal(0, ac_rdf_dataset_add(&d, &q));
        }
    }
    assert_int_equal(1000, d.n);
    ac_rdf_dataset_release(&d);
}

static void parse_ok(const char *text, struct ac_rdf_dataset *d)
{
    char why[256] = "";
    int rc = ac_rdf_parse_nquads(text, strlen(text), d, why, sizeof why);
    if (rc)
        fail_msg("parse failed: %s", why);
}

static void test_the_parser_decodes_every_echar_and_uchar(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    parse_ok("<urn:s> <urn:p> \"\\t\\b\\n\\r\\f\\\"\\'\\\\\\u00e9\\U0001F600\\u0000\" .\n", &d);
    assert_int_equal(1, d.n);
    assert_string_equal("\t\b\n\r\f\"'\\\xc3\xa9\xf0\x9f\x98\x80\xc0\x80", d.quads[0].o.value);
    assert_string_equal(AC_RDF_XSD_STRING, d.quads[0].o.datatype);
    ac_rdf_dataset_release(&d);
}

static void test_the_parser_lowercases_language_tags_and_folds_xsd_string(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    parse_ok("<urn:s> <urn:p> \"a\"@EN-Latn-GB .\n"
             "<urn:s> <urn:p> \"b\"^^<http://www.w3.org/2001/XMLSchema#string> .\n"
             "<urn:s> <urn:p> \"b\" .\n",
             &d);
    assert_int_equal(2, d.n);
    assert_string_equal("en-latn-gb", d.quads[0].o.language);
    assert_string_equal(AC_RDF_LANG_STRING, d.quads[0].o.datatype);
    assert_null(d.quads[1].o.language);
    ac_rdf_dataset_release(&d);
}

static void test_comments_blank_lines_crlf_and_a_last_line_without_newline_parse(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    parse_ok("# a comment\r\n\r\n  \t\n_:b1 <urn:p> _:b2 _:g . # trailing\r\n"
             "<urn:s>\t<urn:p>\t<urn:o>\t<urn:g>\t.",
             &d);
    assert_int_equal(2, d.n);
    assert_int_equal(AC_RDF_BLANK, d.quads[0].s.kind);
    assert_string_equal("b1", d.quads[0].s.value);
    assert_string_equal("g", d.quads[0].g.value);
    assert_int_equal(AC_RDF_IRI, d.quads[1].g.kind);
    assert_string_equal("urn:g", d.quads[1].g.value);
    ac_rdf_dataset_release(&d);
}

static void test_a_blank_node_label_may_be_followed_directly_by_the_dot(void **state)
{
    (void)state;
    struct ac_rdf_dataset d = {0};
    parse_ok("<urn:s> <urn:p> _:a.b.\n", &d);
    assert_string_equal("a.b", d.quads[0].o.value);
    ac_rdf_dataset_release(&d);
}

static void test_written_lines_parse_back_to_the_same_text(void **state)
{
    (void)state;
    const char *text =
        "<urn:s> <urn:p> \"\\u0000\\u0001\\b\\t\\n\\u000B\\f\\r\\\"\\\\\\u007F\xe2\x88\x9e\" .\n"
        "_:x <urn:p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> _:g .\n"
        "<urn:s> <urn:p> \"y\"@fr <urn:g> .\n";
    struct ac_rdf_dataset d = {0};
    struct ac_buf out = AC_BUF_INIT;
    parse_ok(text, &d);
    for (size_t i = 0; i < d.n; i++)
        assert_int_equal(0, ac_rdf_quad_nquads(&d.quads[i], &out));
    assert_int_equal(0, ac_buf_terminate(&out));
    assert_string_equal(text, (char *)out.data);
    ac_buf_release(&out);
    ac_rdf_dataset_release(&d);
}

/* Each bad input, and the start of the reason the parser must give. */
static const struct {
    const char *text, *why;
} bad[] = {
    {"<urn:s> <urn:p> <urn:o> .\n<rel> <urn:p> <urn:o> .\n",
     "line 2, column 1: IRI <rel> is relative"},
    {"<urn:s> <urn:p> \"open .\n", "line 1, column 24: string literal has no closing"},
    {"\n\n<urn:s> <urn:p> <urn:o>\n", "line 3, column 24: expected '.'"},
    {"<urn:s> <urn:p> \"\xff\" .\n", "line 1, column 18: invalid UTF-8 byte 0xFF"},
    {"<urn:s> <urn:p> \"\xc0\x80\" .\n", "line 1, column 18: invalid UTF-8"}, /* overlong */
    {"<urn:s> <urn:p> \"\\q\" .\n", "line 1, column 19: unknown escape '\\q'"},
    {"<urn:s> <urn:p> \"\\uD800\" .\n", "line 1, column 19: \\uD800 is not a Unicode scalar"},
    {"<urn:s> <urn:p> \"\\u12\" .\n", "line 1, column 19: \\u escape needs 4 hex digits"},
    {"<urn:s> <urn:p> \"x\"@1a .\n", "line 1, column 21: malformed language tag"},
    {"\"x\" <urn:p> <urn:o> .\n", "line 1, column 1: expected a subject"},
    {"<urn:s> _:p <urn:o> .\n", "line 1, column 9: expected a predicate IRI"},
    {"<urn:s> <urn:p> <urn:o> \"g\" .\n", "line 1, column 25: expected a graph name"},
    {"<urn:s> <urn:p> <urn:o> . x\n", "line 1, column 27: unexpected text after '.'"},
    {"<urn:s> <urn:p> <urn:a b> .\n", "line 1, column 23: character 0x20 is not allowed in an IRI"},
    {"<urn:s> <urn:p> <urn:\\n> .\n", "line 1, column 22: only \\u and \\U escapes"},
    {"<urn:s> <urn:p> _: .\n", "line 1, column 19: empty or malformed blank node label"},
    {"<urn:s> <urn:p> <urn:a\\u003E> .\n",
     "line 1, column 23: an escape in an IRI decodes to character 0x3E"},
    {"<urn:s> <urn:p> <urn:a\\U00000020> .\n",
     "line 1, column 23: an escape in an IRI decodes to character 0x20"},
};

static void test_parse_errors_name_the_line_the_column_and_the_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ac_rdf_dataset d = {0};
        char why[256] = "";
        int rc = ac_rdf_parse_nquads(bad[i].text, strlen(bad[i].text), &d, why, sizeof why);
        if (rc != AC_EPARSE || strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
            fail_msg("case %zu: rc %d, why \"%s\", expected \"%s...\"", i, rc, why, bad[i].why);
        ac_rdf_dataset_release(&d);
    }
}

static void test_every_failed_allocation_in_the_parser_is_a_clean_enomem(void **state)
{
    (void)state;
#if ALLOC_FAIL
    if (!alloc_failure_works())
        skip();
    const char *text = "_:a <urn:p> \"x\"@en _:g .\n<urn:s> <urn:p> \"1\"^^<urn:dt> .\n"
                       "<urn:s> <urn:p> <urn:o> <urn:g> .\n";
    int done = 0;
    long n;
    for (n = 0; !done; n++) {
        struct ac_rdf_dataset d = {0};
        char why[128];
        long before = live;
        allocs = 0;
        fail_at = n;
        int rc = ac_rdf_parse_nquads(text, strlen(text), &d, why, sizeof why);
        fail_at = -1;
        if (rc == 0) {
            assert_int_equal(3, d.n);
            done = 1;
        } else {
            assert_int_equal(AC_ENOMEM, rc);
        }
        ac_rdf_dataset_release(&d);
        assert_int_equal(before, live); /* nothing leaked */
    }
    assert_true(n > 10); /* the loop did reach the allocations it means to fail */
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_use_the_seven_short_escapes_of_the_canonical_form),
        cmocka_unit_test(test_other_control_characters_and_del_are_uchar_with_upper_case_hex),
        cmocka_unit_test(test_u0000_held_as_c0_80_is_written_as_uchar),
        cmocka_unit_test(test_non_ascii_and_the_apostrophe_are_written_as_themselves),
        cmocka_unit_test(test_xsd_string_is_left_out_and_other_datatypes_and_languages_are_written),
        cmocka_unit_test(test_a_quad_in_a_named_graph_has_four_terms),
        cmocka_unit_test(test_adding_a_quad_twice_keeps_one_copy),
        cmocka_unit_test(test_language_tags_are_stored_lowercased_and_compared_without_case),
        cmocka_unit_test(test_a_borrowed_quad_keeps_its_pointers_and_equal_quads_stay_one),
        cmocka_unit_test(test_an_appended_quad_is_kept_even_when_it_repeats),
        cmocka_unit_test(test_a_thousand_distinct_quads_are_all_kept),
        cmocka_unit_test(test_the_parser_decodes_every_echar_and_uchar),
        cmocka_unit_test(test_the_parser_lowercases_language_tags_and_folds_xsd_string),
        cmocka_unit_test(test_comments_blank_lines_crlf_and_a_last_line_without_newline_parse),
        cmocka_unit_test(test_a_blank_node_label_may_be_followed_directly_by_the_dot),
        cmocka_unit_test(test_written_lines_parse_back_to_the_same_text),
        cmocka_unit_test(test_iri_check_agrees_with_the_rule_for_every_byte_at_every_position),
        cmocka_unit_test(test_parse_errors_name_the_line_the_column_and_the_rule),
        cmocka_unit_test(test_every_failed_allocation_in_the_parser_is_a_clean_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
