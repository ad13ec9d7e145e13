/* test_http_exchange.c - tests net/http_exchange.c: query parameters and
 * header lookup, and (through a real loop) the headers and body of problem
 * answers. */
#include <jansson.h>

#include "net/h2_fixture.h"

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

/* ---- kept answers (a request transaction's), seen by the client ---- */

/* POST /kept: answers twice while keeping, as a handler run twice would;
 * the first answer is thrown away, the second kept, checked and sent. */
static void on_kept(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    struct ac_http_kept k;
    ac_http_keep_begin(x);
    assert_int_equal(0, ac_http_kept(x, &k));
    const struct ac_http_header h = {"content-type", "text/plain"};
    assert_int_equal(0, ac_http_respond(x, 409, &h, 1, "first run", 9));
    assert_int_equal(1, ac_http_kept(x, &k));
    assert_int_equal(409, k.status);
    ac_http_keep_discard(x);
    assert_int_equal(0, ac_http_kept(x, &k));
    const struct ac_http_header h2[] = {{"content-type", "text/plain"}, {"location", "/v1/x/2"}};
    assert_int_equal(0, ac_http_respond(x, 201, h2, 2, "second run", 10));
    assert_int_equal(1, ac_http_kept(x, &k));
    assert_int_equal(201, k.status);
    assert_int_equal(2, k.nheaders);
    assert_string_equal("location", k.headers[1].name);
    assert_memory_equal("second run", k.body, 10);
    assert_int_equal(1, ac_http_keep_end(x)); /* sent: |x| is gone */
}

/* POST /kept-later: keeps, gives no answer within the call, stops keeping
 * (0: nothing kept), and answers later straight out. */
static void on_kept_later(struct ac_http_exchange *x, void *arg)
{
    struct fx *fx = arg;
    ac_http_keep_begin(x);
    assert_int_equal(0, ac_http_keep_end(x));
    fx_slow(x, fx);
}

static void
test_a_kept_answer_is_sent_only_when_keeping_ends_and_a_discarded_one_never(void **state)
{
    (void)state;
    static struct fx fx;
    fx_start(&fx, NULL, NULL);
    assert_int_equal(0, ac_router_add(fx.router, "POST", "/kept", on_kept, NULL));
    assert_int_equal(0, ac_router_add(fx.router, "POST", "/kept-later", on_kept_later, &fx));
    fx.expected = 2;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "POST", "/kept", NULL, 0, NULL, 0, fx_on_response, &fx));
    assert_int_equal(0, ac_h2_client_request(fx.cl, "POST", "/kept-later", NULL, 0, NULL, 0,
                                             fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(2, fx.ngot);
    int kept = fx.got[0].status == 201 ? 0 : 1;
    assert_int_equal(201, fx.got[kept].status);
    assert_string_equal("second run", fx.got[kept].body);
    assert_int_equal(200, fx.got[1 - kept].status);
    assert_string_equal("late", fx.got[1 - kept].body);
    assert_int_equal(1, fx.late_answered);
    assert_int_equal(0, fx.late_answer_rc);
}

/* ---- problem answers, seen by the client ---- */

struct challenge {
    struct fx *fx;
    int status;
    char www[128];
    char body[1024];
};

static void on_challenge(void *arg, int err, const struct ac_h2_response *resp)
{
    struct challenge *c = arg;
    assert_int_equal(0, err);
    c->status = resp->status;
    const char *v = ac_h2_response_header(resp, "www-authenticate");
    snprintf(c->www, sizeof(c->www), "%s", v ? v : "(none)");
    snprintf(c->body, sizeof(c->body), "%.*s", (int)resp->body_len, (const char *)resp->body);
    fx_shutdown(c->fx, 0);
}

/* GET /private: always 401, as a handler whose token check failed would. */
static void on_private(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    ac_http_respond_problem(x, 401, "unauthorized", "Unauthorized", "authorization",
                            "no valid token");
}

/* GET /latin1: a 400 whose detail quotes a byte that is not UTF-8, as a detail
 * quoting a client's header or a truncated path would. */
static void on_latin1(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    ac_http_respond_problem(x, 400, "bad", "Bad Request", NULL, "value \"caf%s\" rejected", "\xe9");
}

static void run_challenge(struct challenge *c, const char *path,
                          const struct ac_http_header *headers, size_t nheaders)
{
    static struct fx fx;
    memset(c, 0, sizeof(*c));
    c->fx = &fx;
    fx_start(&fx, NULL, NULL);
    assert_int_equal(0, ac_router_add(fx.router, "GET", "/private", on_private, NULL));
    assert_int_equal(0, ac_router_add(fx.router, "GET", "/latin1", on_latin1, NULL));
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", path, headers, nheaders, NULL, 0, on_challenge, c));
    fx_finish(&fx);
}

static void test_401_without_credentials_gets_a_bare_bearer_challenge(void **state)
{
    (void)state;
    struct challenge c;
    run_challenge(&c, "/private", NULL, 0);
    assert_int_equal(401, c.status);
    /* RFC 6750 3 and 3.1: the scheme, and no error code when none was sent. */
    assert_string_equal("Bearer realm=\"accord\"", c.www);
}

static void test_401_after_rejected_credentials_says_invalid_token(void **state)
{
    (void)state;
    struct challenge c;
    const struct ac_http_header h = {"authorization", "Bearer acc_nope"};
    run_challenge(&c, "/private", &h, 1);
    assert_int_equal(401, c.status);
    /* RFC 6750 3.1: error="invalid_token" for a token that is not valid. */
    assert_string_equal("Bearer realm=\"accord\", error=\"invalid_token\"", c.www);
}

static void test_problem_other_than_401_has_no_challenge(void **state)
{
    (void)state;
    struct challenge c;
    run_challenge(&c, "/nowhere", NULL, 0);
    assert_int_equal(404, c.status);
    assert_string_equal("(none)", c.www);
}

static void test_problem_detail_with_a_non_utf8_byte_keeps_its_json_body(void **state)
{
    (void)state;
    struct challenge c;
    run_challenge(&c, "/latin1", NULL, 0);
    assert_int_equal(400, c.status);
    json_t *o = json_loads(c.body, 0, NULL);
    assert_non_null(o);
    /* The Latin-1 0xE9 is not UTF-8 (RFC 3629 4) and becomes '?'. */
    assert_string_equal("value \"caf?\" rejected", json_string_value(json_object_get(o, "detail")));
    json_decref(o);
}

/* ---- request strings past the exchange's arena ---- */

#define MANY_HEADERS 20
#define LONG_VALUE 300
#define HUGE_VALUE 5000

/* Header |i|'s value in the many-headers request: LONG_VALUE bytes (the last
 * HUGE_VALUE, more than a chunk) of a letter that names it. */
static void many_value(size_t i, char *out)
{
    size_t n = i == MANY_HEADERS - 1 ? HUGE_VALUE : LONG_VALUE;
    memset(out, 'a' + (int)(i % 26), n);
    out[n] = '\0';
}

/* GET /many/{id}: 200 when every header and the parameter arrived whole,
 * else 500 naming the first that did not. */
static void on_many(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    static char want[HUGE_VALUE + 1];
    char name[8], why[64] = "";
    for (size_t i = 0; i < MANY_HEADERS && !why[0]; i++) {
        snprintf(name, sizeof(name), "h%zu", i);
        many_value(i, want);
        const char *v = ac_http_header(req, name);
        if (!v || strcmp(v, want) != 0)
            snprintf(why, sizeof(why), "header %s", name);
    }
    const char *id = ac_http_param(x, "id");
    if (!why[0] && (!id || strcmp(id, "a b") != 0))
        snprintf(why, sizeof(why), "parameter id");
    ac_http_respond(x, why[0] ? 500 : 200, NULL, 0, why, strlen(why));
}

static void
test_a_request_with_more_and_longer_headers_than_the_arena_holds_arrives_whole(void **state)
{
    (void)state;
    static struct fx fx;
    static char values[MANY_HEADERS][HUGE_VALUE + 1];
    static char names[MANY_HEADERS][8];
    struct ac_http_header h[MANY_HEADERS];
    for (size_t i = 0; i < MANY_HEADERS; i++) {
        snprintf(names[i], sizeof(names[i]), "h%zu", i);
        many_value(i, values[i]);
        h[i] = (struct ac_http_header){names[i], values[i]};
    }
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(0, ac_router_add(fx.router, "GET", "/many/{id}", on_many, NULL));
    assert_int_equal(0, ac_h2_client_request(fx.cl, "GET", "/many/a%20b", h, MANY_HEADERS, NULL, 0,
                                             fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
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
        cmocka_unit_test(test_401_without_credentials_gets_a_bare_bearer_challenge),
        cmocka_unit_test(test_401_after_rejected_credentials_says_invalid_token),
        cmocka_unit_test(test_problem_other_than_401_has_no_challenge),
        cmocka_unit_test(test_problem_detail_with_a_non_utf8_byte_keeps_its_json_body),
        cmocka_unit_test(
            test_a_kept_answer_is_sent_only_when_keeping_ends_and_a_discarded_one_never),
        cmocka_unit_test(
            test_a_request_with_more_and_longer_headers_than_the_arena_holds_arrives_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
