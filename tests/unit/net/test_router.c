/* test_router.c - tests net/router.c: literal and parameter segments,
 * precedence, percent-decoding, 404 versus 405 with Allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/net/http.h"
#include "accord/net/router.h"

static int tag_a, tag_b, tag_c;

static void handler(struct ac_http_exchange *x, void *arg)
{
    (void)x;
    (void)arg;
}

static struct ac_router *router_with_users(void)
{
    struct ac_router *r;
    assert_int_equal(0, ac_router_new(&r));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/users/{id}", handler, &tag_a));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/users/me", handler, &tag_b));
    assert_int_equal(0, ac_router_add(r, "POST", "/v1/users", handler, &tag_c));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/users", handler, &tag_c));
    return r;
}

static void test_literal_segment_beats_parameter(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    assert_int_equal(0, ac_router_match(r, "GET", "/v1/users/me", &m, NULL, 0));
    assert_ptr_equal(&tag_b, m.arg);
    assert_string_equal("/v1/users/me", m.pattern);
    assert_int_equal(0, m.nparams);
    ac_route_match_release(&m);
    ac_router_free(r);
}

static void test_parameter_captures_the_segment(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    assert_int_equal(0, ac_router_match(r, "GET", "/v1/users/u42", &m, NULL, 0));
    assert_ptr_equal(&tag_a, m.arg);
    assert_int_equal(1, m.nparams);
    assert_string_equal("id", m.params[0].name);
    assert_string_equal("u42", m.params[0].value);
    ac_route_match_release(&m);
    ac_router_free(r);
}

static void test_parameter_is_percent_decoded(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    /* RFC 3986 2.1: %20 is a space, %2F a slash that does not split segments. */
    assert_int_equal(0, ac_router_match(r, "GET", "/v1/users/a%20b%2Fc", &m, NULL, 0));
    assert_string_equal("a b/c", m.params[0].value);
    ac_route_match_release(&m);
    ac_router_free(r);
}

static void test_bad_percent_encoding_is_rejected(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    assert_int_equal(AC_EINVAL, ac_router_match(r, "GET", "/v1/users/a%2", &m, NULL, 0));
    assert_int_equal(AC_EINVAL, ac_router_match(r, "GET", "/v1/users/a%zz", &m, NULL, 0));
    assert_int_equal(AC_EINVAL, ac_router_match(r, "GET", "/v1/users/a%00", &m, NULL, 0));
    ac_router_free(r);
}

static void test_unknown_path_is_not_found(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    char allow[64];
    assert_int_equal(AC_ENOENT, ac_router_match(r, "GET", "/v2/users", &m, allow, sizeof(allow)));
    assert_int_equal(AC_ENOENT, ac_router_match(r, "GET", "/v1/users/a/b", &m, NULL, 0));
    ac_router_free(r);
}

static void test_empty_segment_does_not_match_a_parameter(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    assert_int_equal(AC_ENOENT, ac_router_match(r, "GET", "/v1/users/", &m, NULL, 0));
    ac_router_free(r);
}

static void test_known_path_with_other_method_lists_allowed_methods(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    char allow[64];
    assert_int_equal(AC_EACCES,
                     ac_router_match(r, "DELETE", "/v1/users", &m, allow, sizeof(allow)));
    assert_string_equal("POST, GET, HEAD", allow);
    ac_router_free(r);
}

static void test_allow_lists_each_method_once(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    struct ac_route_match m;
    char allow[64];
    /* Both "/v1/users/me" and "/v1/users/{id}" match, each under GET. */
    assert_int_equal(AC_EACCES,
                     ac_router_match(r, "PUT", "/v1/users/me", &m, allow, sizeof(allow)));
    assert_string_equal("GET, HEAD", allow);
    ac_router_free(r);
}

static void test_duplicate_route_is_refused(void **state)
{
    (void)state;
    struct ac_router *r = router_with_users();
    assert_int_equal(AC_EEXIST, ac_router_add(r, "GET", "/v1/users/{other}", handler, NULL));
    ac_router_free(r);
}

static void test_malformed_patterns_are_refused(void **state)
{
    (void)state;
    struct ac_router *r;
    assert_int_equal(0, ac_router_new(&r));
    assert_int_equal(AC_EINVAL, ac_router_add(r, "GET", "v1", handler, NULL));
    assert_int_equal(AC_EINVAL, ac_router_add(r, "GET", "/v1//x", handler, NULL));
    assert_int_equal(AC_EINVAL, ac_router_add(r, "GET", "/v1/{}", handler, NULL));
    assert_int_equal(AC_EINVAL, ac_router_add(r, "GET", "/v1/a{id}", handler, NULL));
    assert_int_equal(AC_EINVAL, ac_router_add(r, "GET", "/v1/", handler, NULL));
    ac_router_free(r);
}

static void test_root_path_matches_root_route(void **state)
{
    (void)state;
    struct ac_router *r;
    struct ac_route_match m;
    assert_int_equal(0, ac_router_new(&r));
    assert_int_equal(0, ac_router_add(r, "GET", "/", handler, &tag_a));
    assert_int_equal(0, ac_router_match(r, "GET", "/", &m, NULL, 0));
    assert_ptr_equal(&tag_a, m.arg);
    ac_route_match_release(&m);
    ac_router_free(r);
}

static void test_several_parameters_are_captured_in_order(void **state)
{
    (void)state;
    struct ac_router *r;
    struct ac_route_match m;
    assert_int_equal(0, ac_router_new(&r));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/{a}/x/{b}", handler, NULL));
    assert_int_equal(0, ac_router_match(r, "GET", "/v1/one/x/two", &m, NULL, 0));
    assert_int_equal(2, m.nparams);
    assert_string_equal("a", m.params[0].name);
    assert_string_equal("one", m.params[0].value);
    assert_string_equal("b", m.params[1].name);
    assert_string_equal("two", m.params[1].value);
    ac_route_match_release(&m);
    ac_router_free(r);
}

static void test_a_parameter_in_the_grouping_segment_matches_beside_literals(void **state)
{
    (void)state;
    struct ac_router *r;
    struct ac_route_match m;
    assert_int_equal(0, ac_router_new(&r));
    /* Routes are grouped by their second segment: "{kind}" must still be
     * found for a path whose second segment names another group. */
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/users/{id}", handler, &tag_a));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/{kind}/{id}", handler, &tag_b));
    assert_int_equal(0, ac_router_add(r, "GET", "/{any}", handler, &tag_c));
    assert_int_equal(0, ac_router_match(r, "GET", "/v1/users/7", &m, NULL, 0));
    assert_ptr_equal(&tag_a, m.arg);
    ac_route_match_release(&m);
    assert_int_equal(0, ac_router_match(r, "GET", "/v1/teams/7", &m, NULL, 0));
    assert_ptr_equal(&tag_b, m.arg);
    assert_string_equal("teams", m.params[0].value);
    ac_route_match_release(&m);
    assert_int_equal(0, ac_router_match(r, "GET", "/healthz", &m, NULL, 0));
    assert_ptr_equal(&tag_c, m.arg);
    ac_route_match_release(&m);
    assert_int_equal(AC_ENOENT, ac_router_match(r, "GET", "/v1/teams/7/x", &m, NULL, 0));
    ac_router_free(r);
}

static void test_allow_lists_methods_in_the_order_routes_were_added_across_groups(void **state)
{
    (void)state;
    struct ac_router *r;
    struct ac_route_match m;
    char allow[64];
    assert_int_equal(0, ac_router_new(&r));
    /* Added alternately to the literal group "users" and the parameter group. */
    assert_int_equal(0, ac_router_add(r, "PUT", "/v1/{kind}/{id}", handler, NULL));
    assert_int_equal(0, ac_router_add(r, "POST", "/v1/users/{id}", handler, NULL));
    assert_int_equal(0, ac_router_add(r, "PATCH", "/v1/{kind}/{id}", handler, NULL));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/users/{id}", handler, NULL));
    assert_int_equal(AC_EACCES,
                     ac_router_match(r, "DELETE", "/v1/users/3", &m, allow, sizeof(allow)));
    assert_string_equal("PUT, POST, PATCH, GET, HEAD", allow);
    ac_router_free(r);
}

static void test_parameters_go_in_the_callers_buffer_while_they_fit(void **state)
{
    (void)state;
    struct ac_router *r;
    struct ac_route_match m;
    assert_int_equal(0, ac_router_new(&r));
    assert_int_equal(0, ac_router_add(r, "GET", "/v1/{a}/x/{b}", handler, NULL));
    char buf[8];
    /* "one" takes 4 bytes of 8; "a%20long" decodes to 7 and needs 9: allocated. */
    assert_int_equal(
        0, ac_router_match_into(r, "GET", "/v1/one/x/a%20long", &m, NULL, 0, buf, sizeof(buf)));
    assert_ptr_equal(buf, m.params[0].value);
    assert_string_equal("one", m.params[0].value);
    assert_true(m.params[1].value < buf || m.params[1].value >= buf + sizeof(buf));
    assert_string_equal("a long", m.params[1].value);
    assert_int_equal(2u, m.owned);
    ac_route_match_release(&m);
    assert_int_equal(0, m.owned);
    ac_router_free(r);
}

static void test_free_of_null_is_a_no_op(void **state)
{
    (void)state;
    ac_router_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_segment_beats_parameter),
        cmocka_unit_test(test_parameter_captures_the_segment),
        cmocka_unit_test(test_parameter_is_percent_decoded),
        cmocka_unit_test(test_bad_percent_encoding_is_rejected),
        cmocka_unit_test(test_unknown_path_is_not_found),
        cmocka_unit_test(test_empty_segment_does_not_match_a_parameter),
        cmocka_unit_test(test_known_path_with_other_method_lists_allowed_methods),
        cmocka_unit_test(test_allow_lists_each_method_once),
        cmocka_unit_test(test_duplicate_route_is_refused),
        cmocka_unit_test(test_malformed_patterns_are_refused),
        cmocka_unit_test(test_root_path_matches_root_route),
        cmocka_unit_test(test_several_parameters_are_captured_in_order),
        cmocka_unit_test(test_a_parameter_in_the_grouping_segment_matches_beside_literals),
        cmocka_unit_test(test_allow_lists_methods_in_the_order_routes_were_added_across_groups),
        cmocka_unit_test(test_parameters_go_in_the_callers_buffer_while_they_fit),
        cmocka_unit_test(test_free_of_null_is_a_no_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
