/* test_http_exchange.c - tests the request helpers of net/http_exchange.c:
 * query parameters and header lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/error.h"
#include "accord/http.h"

static void test_query_parameter_is_percent_decoded(void **state)
{
    (void)state;
    struct ac_http_req req = {.query = "a=1&b=two%20words"};
    char out[32];
    assert_int_equal(0, ac_http_query(&req, "b", out, sizeof(out)));
    assert_string_equal("two words", out);
}

static void test_query_plus_is_a_space(void **state)
{
    (void)state;
    /* application/x-www-form-urlencoded (WHATWG URL 5.1): '+' decodes to a space. */
    struct ac_http_req req = {.query = "q=a+b"};
    char out[32];
    assert_int_equal(0, ac_http_query(&req, "q", out, sizeof(out)));
    assert_string_equal("a b", out);
}

static void test_query_key_is_decoded_before_comparison(void **state)
{
    (void)state;
    struct ac_http_req req = {.query = "x=0&%61fter=9"};
    char out[32];
    assert_int_equal(0, ac_http_query(&req, "after", out, sizeof(out)));
    assert_string_equal("9", out);
}

static void test_query_key_without_value_is_empty(void **state)
{
    (void)state;
    struct ac_http_req req = {.query = "flag&x=1"};
    char out[32];
    assert_int_equal(0, ac_http_query(&req, "flag", out, sizeof(out)));
    assert_string_equal("", out);
}

static void test_absent_query_parameter_is_not_found(void **state)
{
    (void)state;
    struct ac_http_req req = {.query = "a=1"};
    char out[32];
    assert_int_equal(AC_ENOENT, ac_http_query(&req, "b", out, sizeof(out)));
    req.query = "";
    assert_int_equal(AC_ENOENT, ac_http_query(&req, "a", out, sizeof(out)));
}

static void test_query_value_too_long_for_the_buffer(void **state)
{
    (void)state;
    struct ac_http_req req = {.query = "a=12345"};
    char out[5];
    assert_int_equal(AC_E2BIG, ac_http_query(&req, "a", out, sizeof(out)));
}

static void test_query_value_with_bad_escape_is_invalid(void **state)
{
    (void)state;
    struct ac_http_req req = {.query = "a=%4"};
    char out[8];
    assert_int_equal(AC_EINVAL, ac_http_query(&req, "a", out, sizeof(out)));
}

static void test_header_lookup_finds_by_lowercase_name(void **state)
{
    (void)state;
    struct ac_http_header h[] = {{"accept", "*/*"}, {"content-type", "application/json"}};
    struct ac_http_req req = {.headers = h, .nheaders = 2};
    assert_string_equal("application/json", ac_http_header(&req, "content-type"));
    assert_null(ac_http_header(&req, "authorization"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_parameter_is_percent_decoded),
        cmocka_unit_test(test_query_plus_is_a_space),
        cmocka_unit_test(test_query_key_is_decoded_before_comparison),
        cmocka_unit_test(test_query_key_without_value_is_empty),
        cmocka_unit_test(test_absent_query_parameter_is_not_found),
        cmocka_unit_test(test_query_value_too_long_for_the_buffer),
        cmocka_unit_test(test_query_value_with_bad_escape_is_invalid),
        cmocka_unit_test(test_header_lookup_finds_by_lowercase_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
