/* test_jtree.c - the document tree of the verify path (jtree.h, read by
 * core/records/jsonld_read.c): every value type, every refusal with its
 * reason, duplicate keys in small and huge objects, the nesting and size
 * limits, and conversion from and to jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/records/jsonld.h"
#include "accord/records/jtree.h"

static struct ac_jt_doc *parse_ok(const char *text)
{
    struct ac_jt_doc *d = NULL;
    char why[256] = "";
    int rc = ac_jt_parse(text, strlen(text), &d, why, sizeof why);
    if (rc)
        fail_msg("%s: refused with %d (%s)", text, rc, why);
    return d;
}

static void test_every_value_type_is_read_with_its_value(void **state)
{
    (void)state;
    struct ac_jt_doc *d =
        parse_ok(" {\"s\": \"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\","
                 " \"i\": -42, \"r\": 0.5, \"e\": 1e3, \"t\": true,"
                 " \"f\": false, \"n\": null, \"a\": [1, [], {}],"
                 " \"o\": {\"k\": \"v\"}, \"big\": 9223372036854775807} ");
    const struct ac_jt *root = ac_jt_root(d);
    assert_int_equal(root->type, AC_JT_OBJECT);
    assert_int_equal(ac_jt_size(root), 10);
    /* Members stay in document order. */
    const char *order[] = {"s", "i", "r", "e", "t", "f", "n", "a", "o", "big"};
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(root->u.members[i].key, order[i]);
        assert_int_equal(root->u.members[i].klen, strlen(order[i]));
    }
    const struct ac_jt *s = ac_jt_get(root, "s");
    const char want[] = "a\"b\\c/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80";
    assert_int_equal(s->n, sizeof want - 1);
    assert_memory_equal(ac_jt_string(s), want, sizeof want);
    assert_int_equal(ac_jt_get(root, "i")->type, AC_JT_INTEGER);
    assert_int_equal(ac_jt_get(root, "i")->u.i, -42);
    assert_int_equal(ac_jt_get(root, "r")->type, AC_JT_REAL);
    assert_true(ac_jt_number(ac_jt_get(root, "r")) == 0.5);
    /* An exponent makes a real, as jansson reads it. */
    assert_int_equal(ac_jt_get(root, "e")->type, AC_JT_REAL);
    assert_true(ac_jt_number(ac_jt_get(root, "e")) == 1000.0);
    assert_int_equal(ac_jt_get(root, "t")->type, AC_JT_TRUE);
    assert_int_equal(ac_jt_get(root, "f")->type, AC_JT_FALSE);
    assert_true(ac_jt_is_null(ac_jt_get(root, "n")));
    assert_true(ac_jt_is_boolean(ac_jt_get(root, "t")));
    const struct ac_jt *a = ac_jt_get(root, "a");
    assert_int_equal(ac_jt_size(a), 3);
    assert_int_equal(ac_jt_item(a, 0)->u.i, 1);
    assert_true(ac_jt_is_array(ac_jt_item(a, 1)) && ac_jt_size(ac_jt_item(a, 1)) == 0);
    assert_true(ac_jt_is_object(ac_jt_item(a, 2)) && ac_jt_size(ac_jt_item(a, 2)) == 0);
    assert_null(ac_jt_item(a, 3));
    assert_string_equal(ac_jt_string(ac_jt_get(ac_jt_get(root, "o"), "k")), "v");
    assert_int_equal(ac_jt_get(root, "big")->u.i, INT64_MAX);
    /* Absent members and values of another type answer NULL or 0. */
    assert_null(ac_jt_get(root, "missing"));
    assert_null(ac_jt_get(a, "s"));
    assert_null(ac_jt_string(ac_jt_get(root, "i")));
    assert_null(ac_jt_get(NULL, "s"));
    assert_int_equal(ac_jt_size(NULL), 0);
    ac_jt_free(d);
    ac_jt_free(NULL);
}

/* Each refusal, with its reason and place; jansson
 * (JSON_REJECT_DUPLICATES) refuses each of them too. */
static void test_each_refusal_names_its_reason_and_place(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"1", "not JSON: '[' or '{' expected (line 1, column 1)"},
        {"", "not JSON: '[' or '{' expected (line 1, column 1)"},
        {"{", "not JSON: string or '}' expected (line 1, column 2)"},
        {"{\"a\":1,\"a\":2}", "not JSON: duplicate object key (line 1, column 11)"},
        {"{\n\"a\":1,\n\"b\":[{\"c\":1,\"c\":1}]}",
         "not JSON: duplicate object key (line 3, column 16)"},
        {"{\"a\" 1}", "not JSON: ':' expected (line 1, column 6)"},
        {"{\"a\":1 \"b\":2}", "not JSON: '}' or ',' expected (line 1, column 8)"},
        {"[1 2]", "not JSON: ']' or ',' expected (line 1, column 4)"},
        {"[1,]", "not JSON: invalid token (line 1, column 4)"},
        {"{\"a\":tru}", "not JSON: invalid token (line 1, column 6)"},
        {"{\"a\":01}", "not JSON: invalid token (a number with a leading zero) (line 1, column 6)"},
        {"{\"a\":1.}",
         "not JSON: invalid token (no digit after a decimal point) (line 1, column 6)"},
        {"{\"a\":1e}", "not JSON: invalid token (no digit in an exponent) (line 1, column 6)"},
        {"{\"a\":9223372036854775808}", "not JSON: too big integer (line 1, column 6)"},
        {"{\"a\":-9223372036854775809}", "not JSON: too big negative integer (line 1, column 6)"},
        {"{\"a\":1e400}", "not JSON: real number overflow (line 1, column 6)"},
        {"{\"a\":\"\\u0000\"}", "not JSON: \\u0000 is not allowed in a string (line 1, column 13)"},
        {"{\"a\":\"\\ud800\"}",
         "not JSON: invalid Unicode surrogate pair in a string (line 1, column 13)"},
        {"{\"a\":\"\\udc00\"}",
         "not JSON: invalid Unicode: a lone low surrogate in a string (line 1, column 13)"},
        {"{\"a\":\"\\x\"}", "not JSON: invalid escape in a string (line 1, column 9)"},
        {"{\"a\":\"\\u12\"}", "not JSON: invalid \\u escape in a string (line 1, column 9)"},
        {"{\"a\":\"\x01\"}", "not JSON: control character in a string (line 1, column 7)"},
        {"{\"a\":\"\xc3\"}", "not JSON: invalid UTF-8 in a string (line 1, column 7)"},
        {"{\"a\":\"\xc0\xaf\"}", "not JSON: invalid UTF-8 in a string (line 1, column 7)"},
        {"{\"a\":\"\xed\xa0\x80\"}", "not JSON: invalid UTF-8 in a string (line 1, column 7)"},
        {"{\"a\":\"\xf4\x90\x80\x80\"}", "not JSON: invalid UTF-8 in a string (line 1, column 7)"},
        {"{\"a\":\"open}", "not JSON: premature end of input in a string (line 1, column 7)"},
        {"{\"a\":", "not JSON: premature end of input (line 1, column 6)"},
        {"{} x", "not JSON: end of file expected (line 1, column 4)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ac_jt_doc *d = NULL;
        char why[256] = "";
        size_t n = strlen(cases[i].text);
        int rc = ac_jt_parse(cases[i].text, n, &d, why, sizeof why);
        if (rc != AC_EPARSE || strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu (%s): %d \"%s\", want \"%s\"", i, cases[i].text, rc, why,
                     cases[i].why);
        assert_null(d);
        json_error_t err;
        json_t *j = json_loadb(cases[i].text, n, JSON_REJECT_DUPLICATES, &err);
        if (j)
            fail_msg("case %zu (%s): jansson accepts it", i, cases[i].text);
        /* ac_jsonld_parse() (the issuing path) gives the same reason. */
        char why2[256] = "";
        assert_int_equal(ac_jsonld_parse(cases[i].text, n, &j, why2, sizeof why2), AC_EPARSE);
        assert_string_equal(why, why2);
    }
}

/* A huge object: past the small-object scan, a table finds duplicates. */
static void test_a_duplicate_key_is_found_among_thousands_of_keys(void **state)
{
    (void)state;
    const size_t nkeys = 5000;
    char *t = malloc(nkeys * 24 + 64);
    assert_non_null(t);
    for (int dup = 0; dup <= 2; dup++) {
        size_t o = 0;
        t[o++] = '{';
        for (size_t i = 0; i < nkeys; i++)
            o += (size_t)sprintf(t + o, "%s\"key%zu\":%zu", i ? "," : "", i, i);
        /* 0: none; 1: the last key repeats an early one; 2: a late one. */
        if (dup == 1)
            o += (size_t)sprintf(t + o, ",\"key3\":0");
        if (dup == 2)
            o += (size_t)sprintf(t + o, ",\"key4990\":0");
        t[o++] = '}';
        struct ac_jt_doc *d = NULL;
        char why[256] = "";
        int rc = ac_jt_parse(t, o, &d, why, sizeof why);
        if (dup == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(ac_jt_size(ac_jt_root(d)), nkeys);
            assert_int_equal(ac_jt_get(ac_jt_root(d), "key4999")->u.i, 4999);
        } else {
            assert_int_equal(rc, AC_EPARSE);
            assert_non_null(strstr(why, "duplicate object key"));
        }
        ac_jt_free(d);
    }
    free(t);
}

static void test_nesting_is_read_to_2047_levels_and_refused_at_2048(void **state)
{
    (void)state;
    /* jansson counts every value, scalars too, up to 2048 levels. */
    for (int depth = 2047; depth <= 2048; depth++) {
        size_t n = 2 * (size_t)depth + 1;
        char *t = malloc(n);
        assert_non_null(t);
        memset(t, '[', (size_t)depth);
        t[depth] = '1';
        memset(t + depth + 1, ']', (size_t)depth);
        struct ac_jt_doc *d = NULL;
        char why[256] = "";
        int rc = ac_jt_parse(t, n, &d, why, sizeof why);
        if (depth == 2047) {
            assert_int_equal(rc, 0);
            const struct ac_jt *v = ac_jt_root(d);
            for (int i = 0; i < depth; i++) /* 2047 arrays, then the 1 */
                v = ac_jt_item(v, 0);
            assert_int_equal(v->type, AC_JT_INTEGER);
        } else {
            assert_int_equal(rc, AC_EPARSE);
            assert_non_null(strstr(why, "maximum parsing depth reached"));
        }
        ac_jt_free(d);
        free(t);
    }
}

static void test_a_document_over_the_size_limit_is_refused_and_one_at_it_is_read(void **state)
{
    (void)state;
    size_t n = AC_JSONLD_MAX_BYTES;
    char *t = malloc(n + 1);
    assert_non_null(t);
    /* ["xxx...x", 1, 1, ...] of exactly the limit: one long string and many
     * small values, so the arena and the container stack both grow. */
    size_t o = 0;
    t[o++] = '[';
    t[o++] = '"';
    memset(t + o, 'x', n / 2);
    o += n / 2;
    t[o++] = '"';
    while (o + 2 < n) {
        t[o++] = ',';
        t[o++] = '1';
    }
    while (o < n - 1)
        t[o++] = ' ';
    t[o++] = ']';
    struct ac_jt_doc *d = NULL;
    char why[256] = "";
    assert_int_equal(ac_jt_parse(t, n, &d, why, sizeof why), 0);
    const struct ac_jt *root = ac_jt_root(d);
    assert_int_equal(ac_jt_item(root, 0)->n, n / 2);
    assert_true(ac_jt_size(root) > n / 5);
    ac_jt_free(d);
    t[n] = ' ';
    d = NULL;
    assert_int_equal(ac_jt_parse(t, n + 1, &d, why, sizeof why), AC_E2BIG);
    assert_null(d);
    assert_non_null(strstr(why, "over the limit"));
    free(t);
}

/* The issuing path's jansson values go through the same expansion as a
 * tree; a round trip keeps every value, type and member order. */
static void test_a_tree_from_jansson_and_back_is_equal_and_in_order(void **state)
{
    (void)state;
    const char *text = "{\"z\":1,\"a\":[1.5,true,null,\"s\",{\"y\":false}],\"m\":-0,\"r\":2.0}";
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    assert_non_null(j);
    struct ac_jt_doc *from = NULL, *parsed = parse_ok(text);
    assert_int_equal(ac_jt_from_json(j, &from), 0);
    assert_true(ac_jt_equal(ac_jt_root(from), ac_jt_root(parsed)));
    assert_string_equal(ac_jt_root(from)->u.members[0].key, "z");
    assert_int_equal(ac_jt_get(ac_jt_root(from), "r")->type, AC_JT_REAL);
    assert_int_equal(ac_jt_get(ac_jt_root(from), "m")->type, AC_JT_INTEGER);
    json_t *back = NULL;
    assert_int_equal(ac_jt_to_json(ac_jt_root(parsed), &back), 0);
    assert_true(json_equal(j, back));
    char *dump = json_dumps(back, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(dump,
                        "{\"z\":1,\"a\":[1.5,true,null,\"s\",{\"y\":false}],\"m\":0,\"r\":2.0}");
    free(dump);
    /* Equality ignores member order but not values or types. */
    struct ac_jt_doc *other =
        parse_ok("{\"r\":2.0,\"m\":0,\"a\":[1.5,true,null,\"s\",{\"y\":false}],"
                 "\"z\":1}");
    struct ac_jt_doc *differs =
        parse_ok("{\"r\":2,\"m\":0,\"a\":[1.5,true,null,\"s\",{\"y\":false}],"
                 "\"z\":1}");
    assert_true(ac_jt_equal(ac_jt_root(other), ac_jt_root(parsed)));
    assert_false(ac_jt_equal(ac_jt_root(differs), ac_jt_root(parsed)));
    assert_int_equal(ac_jt_from_json(NULL, &from), AC_EINVAL);
    ac_jt_free(other);
    ac_jt_free(differs);
    json_decref(back);
    json_decref(j);
    ac_jt_free(from);
    ac_jt_free(parsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_value_type_is_read_with_its_value),
        cmocka_unit_test(test_each_refusal_names_its_reason_and_place),
        cmocka_unit_test(test_a_duplicate_key_is_found_among_thousands_of_keys),
        cmocka_unit_test(test_nesting_is_read_to_2047_levels_and_refused_at_2048),
        cmocka_unit_test(test_a_document_over_the_size_limit_is_refused_and_one_at_it_is_read),
        cmocka_unit_test(test_a_tree_from_jansson_and_back_is_equal_and_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
