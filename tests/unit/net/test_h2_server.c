/* test_h2_server.c - tests net/h2_server.c and net/h2_conn.c through a real
 * loop: routing, limits, late answers, bad input, graceful close, and
 * independent clients (curl, nghttp). */
#include <jansson.h>

#include "net/h2_fixture.h"

static void test_get_is_routed_to_its_handler_and_echoed(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/echo?a=1", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("GET /echo?a=1 tls=0 ", fx.got[0].body);
    assert_string_equal("text/plain", fx.got[0].ctype);
}

static void test_response_carries_content_length_and_date(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/echo", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    /* "GET /echo? tls=0 " is 17 bytes. */
    assert_string_equal("17", fx.got[0].clen);
    assert_true(fx.got[0].has_date);
}

static void test_post_body_reaches_the_handler(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "POST", "/echo", NULL, 0, "hello", 5, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("POST /echo? tls=0 hello", fx.got[0].body);
}

/* Returns the member |key| of the problem document |body| as a string or "". */
static const char *problem_member(const char *body, const char *key, char *out, size_t size)
{
    json_t *o = json_loads(body, 0, NULL);
    json_t *v = o ? json_object_get(o, key) : NULL;
    if (json_is_string(v))
        snprintf(out, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, size, "%lld", (long long)json_integer_value(v));
    else
        snprintf(out, size, "%s", "");
    json_decref(o);
    return out;
}

static void test_unknown_path_gets_404_problem_json(void **state)
{
    (void)state;
    struct fx fx;
    char m[128];
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/nope", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(404, fx.got[0].status);
    assert_string_equal("application/problem+json", fx.got[0].ctype);
    assert_string_equal("https://accord.example/problems/not-found",
                        problem_member(fx.got[0].body, "type", m, sizeof(m)));
    assert_string_equal("404", problem_member(fx.got[0].body, "status", m, sizeof(m)));
}

static void test_wrong_method_gets_405_with_allow(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "DELETE", "/echo", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(405, fx.got[0].status);
    assert_string_equal("GET, HEAD, POST", fx.got[0].allow);
    assert_string_equal("application/problem+json", fx.got[0].ctype);
}

static void test_body_over_the_limit_gets_413(void **state)
{
    (void)state;
    struct fx fx;
    char m[128];
    struct ac_h2_server_limits lim = {.max_body_bytes = 1024};
    fx_start(&fx, &lim, NULL);
    fx.expected = 1;
    static char big[4000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(0, ac_h2_client_request(fx.cl, "POST", "/echo", NULL, 0, big, sizeof(big),
                                             fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(413, fx.got[0].status);
    assert_string_equal("https://accord.example/problems/body-too-large",
                        problem_member(fx.got[0].body, "type", m, sizeof(m)));
}

static void test_header_list_over_the_limit_gets_431(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_server_limits lim = {.max_header_bytes = 1024};
    fx_start(&fx, &lim, NULL);
    fx.expected = 1;
    static char v[2000];
    memset(v, 'v', sizeof(v) - 1);
    struct ac_http_header h = {"x-big", v};
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/echo", &h, 1, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(431, fx.got[0].status);
}

static void test_handler_may_answer_later_from_a_timer(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/slow", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("late", fx.got[0].body);
}

static void on_reset_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    fx_record(&fx->got[fx->ngot++], err, resp);
    /* The fixture shuts down once the handler has given its late answer. */
}

static void test_answer_after_client_reset_is_dropped(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_client_config ccfg = {.request_timeout_ms = 100};
    fx_start(&fx, NULL, &ccfg);
    fx.late_ms = 400;
    fx.shutdown_on_late = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/slow", NULL, 0, NULL, 0, on_reset_response, &fx));
    fx_finish(&fx);
    assert_int_equal(AC_ETIMEDOUT, fx.got[0].err);
    assert_true(fx.late_answered);
    assert_int_equal(0, fx.late_answer_rc);
    /* The observer saw the reset (status 0) and nothing for the dropped answer. */
    assert_int_equal(1, fx.observed);
    assert_int_equal(0, fx.observed_status[0]);
}

/* ---- bad input on a raw socket ---- */

struct raw {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    struct fx *fx;
    int eof;
};

static void raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    static char space[65536];
    (void)suggested;
    *buf = uv_buf_init(space, sizeof(space));
}

static void raw_closed(uv_handle_t *h)
{
    struct raw *r = (struct raw *)h;
    /* The server hung up on garbage; a well-formed request must still work. */
    assert_int_equal(0, ac_h2_client_request(r->fx->cl, "GET", "/echo", NULL, 0, NULL, 0,
                                             fx_on_response, r->fx));
}

static void raw_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct raw *r = (struct raw *)s;
    if (nread < 0) {
        r->eof = 1;
        uv_close((uv_handle_t *)s, raw_closed);
    }
}

static void raw_written(uv_write_t *w, int status)
{
    (void)w;
    (void)status;
}

static void raw_connected(uv_connect_t *c, int status)
{
    struct raw *r = c->data;
    assert_int_equal(0, status);
    static char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\x13garbage";
    uv_buf_t b = uv_buf_init(garbage, sizeof(garbage));
    uv_write(&r->wreq, (uv_stream_t *)&r->tcp, &b, 1, raw_written);
    uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
}

static void test_garbage_closes_the_connection_and_server_keeps_serving(void **state)
{
    (void)state;
    struct fx fx;
    struct raw r = {.fx = &fx};
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", fx.port, &a);
    uv_tcp_init(&fx.loop, &r.tcp);
    r.creq.data = &r;
    assert_int_equal(0, uv_tcp_connect(&r.creq, &r.tcp, (struct sockaddr *)&a, raw_connected));
    fx_finish(&fx);
    assert_true(r.eof);
    assert_int_equal(200, fx.got[0].status);
}

/* ---- graceful close ---- */

static void on_graceful_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    fx_record(&fx->got[fx->ngot++], err, resp);
    ac_h2_client_close(fx->cl);
    fx->cl = NULL;
}

static void on_close_check(uv_timer_t *t)
{
    struct fx *fx = t->data;
    /* The handler holds the exchange now: close with a generous grace period. */
    assert_non_null(fx->held);
    ac_h2_server_close(fx->srv, 5000, fx_on_server_closed, fx);
    uv_close((uv_handle_t *)t, NULL);
}

static void test_graceful_close_lets_an_in_flight_request_finish(void **state)
{
    (void)state;
    struct fx fx;
    uv_timer_t t;
    fx_start(&fx, NULL, NULL);
    fx.late_ms = 200;
    assert_int_equal(0, ac_h2_client_request(fx.cl, "GET", "/slow", NULL, 0, NULL, 0,
                                             on_graceful_response, &fx));
    uv_timer_init(&fx.loop, &t);
    t.data = &fx;
    uv_timer_start(&t, on_close_check, 100, 0);
    fx_finish(&fx);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("late", fx.got[0].body);
}

static void on_cut_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    fx_record(&fx->got[fx->ngot++], err, resp);
    ac_h2_client_close(fx->cl);
    fx->cl = NULL;
}

static void on_close_short(uv_timer_t *t)
{
    struct fx *fx = t->data;
    assert_non_null(fx->held);
    ac_h2_server_close(fx->srv, 100, fx_on_server_closed, fx);
    uv_close((uv_handle_t *)t, NULL);
}

static void test_graceful_close_cuts_a_request_still_running_when_the_grace_ends(void **state)
{
    (void)state;
    struct fx fx;
    uv_timer_t t;
    fx_start(&fx, NULL, NULL);
    fx.late_ms = 600; /* well past the 100 ms grace that starts at 50 ms */
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/slow", NULL, 0, NULL, 0, on_cut_response, &fx));
    uv_timer_init(&fx.loop, &t);
    t.data = &fx;
    uv_timer_start(&t, on_close_short, 50, 0);
    fx_finish(&fx);
    /* The client saw the connection go; the handler's answer, given after the
     * server was gone, was dropped without error and its exchange freed. */
    assert_int_equal(AC_EPROTO, fx.got[0].err);
    assert_true(fx.late_answered);
    assert_int_equal(0, fx.late_answer_rc);
    assert_int_equal(1, fx.observed);
    assert_int_equal(0, fx.observed_status[0]);
}

/* ---- independent clients ---- */

struct proc {
    uv_process_t p;
    uv_pipe_t out;
    struct fx *fx;
    char buf[8192];
    size_t len;
    int64_t exit_status;
    int handles;
};

static void proc_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct proc *p = h->data;
    *buf = uv_buf_init(p->buf + p->len, (unsigned)(sizeof(p->buf) - 1 - p->len));
}

static void proc_handle_closed(uv_handle_t *h)
{
    struct proc *p = h->data;
    if (--p->handles == 0)
        fx_shutdown(p->fx, 0);
}

static void proc_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct proc *p = s->data;
    if (nread > 0)
        p->len += (size_t)nread;
    else if (nread < 0)
        uv_close((uv_handle_t *)s, proc_handle_closed);
}

static void proc_exit(uv_process_t *h, int64_t status, int sig)
{
    (void)sig;
    struct proc *p = h->data;
    p->exit_status = status;
    uv_close((uv_handle_t *)h, proc_handle_closed);
}

/* Runs |argv| against the fixture's server and returns its stdout in p->buf. */
static void run_program(struct fx *fx, struct proc *p, char **argv)
{
    memset(p, 0, sizeof(*p));
    p->fx = fx;
    p->handles = 2;
    uv_pipe_init(&fx->loop, &p->out, 0);
    p->out.data = p;
    p->p.data = p;
    uv_stdio_container_t io[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out},
        {.flags = UV_INHERIT_FD, .data.fd = 2},
    };
    uv_process_options_t opt = {
        .file = argv[0], .args = argv, .exit_cb = proc_exit, .stdio = io, .stdio_count = 3};
    assert_int_equal(0, uv_spawn(&fx->loop, &p->p, &opt));
    uv_read_start((uv_stream_t *)&p->out, proc_alloc, proc_read);
    fx_finish(fx);
    p->buf[p->len] = '\0';
}

static void test_curl_prior_knowledge_gets_an_answer(void **state)
{
    (void)state;
    if (!fx_have_program("curl")) {
        fprintf(stderr, "curl not installed; skipping\n");
        skip();
    }
    struct fx fx;
    struct proc p;
    char url[64];
    fx_start(&fx, NULL, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo?from=curl", fx.port);
    char *argv[] = {"curl", "-sS", "--http2-prior-knowledge", "--data-binary", "body", url, NULL};
    run_program(&fx, &p, argv);
    assert_int_equal(0, p.exit_status);
    assert_string_equal("POST /echo?from=curl tls=0 body", p.buf);
}

static void test_nghttp_gets_an_answer(void **state)
{
    (void)state;
    if (!fx_have_program("nghttp")) {
        fprintf(stderr, "nghttp not installed; skipping\n");
        skip();
    }
    struct fx fx;
    struct proc p;
    char url[64];
    fx_start(&fx, NULL, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo?from=nghttp", fx.port);
    char *argv[] = {"nghttp", url, NULL};
    run_program(&fx, &p, argv);
    assert_int_equal(0, p.exit_status);
    assert_string_equal("GET /echo?from=nghttp tls=0 ", p.buf);
}

/* ---- deadlines, seen from a raw socket speaking hand-made frames ---- */

/* RFC 9113 3.4 client preface, then an empty SETTINGS frame (6.5). */
#define PREFACE                                                                                    \
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"                                                             \
    "\x00\x00\x00\x04\x00\x00\x00\x00\x00"

struct rawq {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    struct fx *fx;
    const char *bytes;
    size_t len;
    int eof;
};

static void rawq_closed(uv_handle_t *h)
{
    struct rawq *r = (struct rawq *)h;
    fx_shutdown(r->fx, 0);
}

static void rawq_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct rawq *r = (struct rawq *)s;
    if (nread < 0) {
        r->eof = 1;
        uv_close((uv_handle_t *)s, rawq_closed);
    }
}

static void rawq_connected(uv_connect_t *c, int status)
{
    struct rawq *r = c->data;
    assert_int_equal(0, status);
    uv_buf_t b = uv_buf_init((char *)r->bytes, (unsigned)r->len);
    uv_write(&r->wreq, (uv_stream_t *)&r->tcp, &b, 1, raw_written);
    uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, rawq_read);
}

/* Sends |len| bytes and runs until the server hangs up. */
static void rawq_run(struct fx *fx, struct rawq *r, const char *bytes, size_t len)
{
    struct sockaddr_in a;
    memset(r, 0, sizeof(*r));
    r->fx = fx;
    r->bytes = bytes;
    r->len = len;
    uv_ip4_addr("127.0.0.1", fx->port, &a);
    uv_tcp_init(&fx->loop, &r->tcp);
    r->creq.data = r;
    assert_int_equal(0, uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&a, rawq_connected));
    fx_finish(fx);
}

static void test_idle_connection_is_closed_by_the_server(void **state)
{
    (void)state;
    struct fx fx;
    struct rawq r;
    struct ac_h2_server_limits lim = {.idle_timeout_ms = 100};
    fx_start(&fx, &lim, NULL);
    rawq_run(&fx, &r, PREFACE, sizeof(PREFACE) - 1);
    assert_true(r.eof);
}

static void test_request_body_not_sent_in_time_gets_408(void **state)
{
    (void)state;
    struct fx fx;
    struct rawq r;
    struct ac_h2_server_limits lim = {.request_timeout_ms = 100, .idle_timeout_ms = 300};
    /* HEADERS (type 1) with END_HEADERS (0x4) but not END_STREAM on stream 1;
     * HPACK (RFC 7541 appendix A): 0x83 ":method: POST", 0x86 ":scheme: http",
     * 0x44 literal ":path" "/echo", 0x41 literal ":authority" "x". */
    static const char bytes[] = PREFACE "\x00\x00\x0c\x01\x04\x00\x00\x00\x01"
                                        "\x83\x86\x44\x05/echo\x41\x01x";
    fx_start(&fx, &lim, NULL);
    rawq_run(&fx, &r, bytes, sizeof(bytes) - 1);
    assert_int_equal(1, fx.observed);
    assert_int_equal(408, fx.observed_status[0]);
}

struct stall {
    struct rawq r;
    uv_timer_t guard;
    int gave_up; /* the server never hung up; the test closed the socket itself */
};

static void on_stall_guard(uv_timer_t *t)
{
    struct stall *st = t->data;
    if (!st->r.eof && !uv_is_closing((uv_handle_t *)&st->r.tcp)) {
        st->gave_up = 1;
        uv_close((uv_handle_t *)&st->r.tcp, rawq_closed);
    }
    uv_close((uv_handle_t *)t, NULL);
}

static void test_client_that_never_reads_its_response_is_cut_off(void **state)
{
    (void)state;
    struct fx fx;
    struct stall st;
    struct ac_h2_server_limits lim = {.request_timeout_ms = 100, .idle_timeout_ms = 200};
    /* SETTINGS (6.5) with INITIAL_WINDOW_SIZE (0x4) = 0: the server may send
     * no DATA until a WINDOW_UPDATE that never comes. Then HEADERS with
     * END_STREAM|END_HEADERS (0x5) on stream 1; HPACK (RFC 7541 appendix A):
     * 0x82 ":method: GET", 0x86 ":scheme: http", 0x44 literal ":path" "/echo",
     * 0x41 literal ":authority" "x". */
    static const char bytes[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                "\x00\x00\x06\x04\x00\x00\x00\x00\x00"
                                "\x00\x04\x00\x00\x00\x00"
                                "\x00\x00\x0c\x01\x05\x00\x00\x00\x01"
                                "\x82\x86\x44\x05/echo\x41\x01x";
    struct sockaddr_in a;
    fx_start(&fx, &lim, NULL);
    memset(&st, 0, sizeof(st));
    st.r.fx = &fx;
    st.r.bytes = bytes;
    st.r.len = sizeof(bytes) - 1;
    uv_ip4_addr("127.0.0.1", fx.port, &a);
    uv_tcp_init(&fx.loop, &st.r.tcp);
    st.r.creq.data = &st.r;
    assert_int_equal(0,
                     uv_tcp_connect(&st.r.creq, &st.r.tcp, (struct sockaddr *)&a, rawq_connected));
    /* Generous against the 200 ms idle limit, so a busy machine does not fail it. */
    uv_timer_init(&fx.loop, &st.guard);
    st.guard.data = &st;
    uv_timer_start(&st.guard, on_stall_guard, 3000, 0);
    fx_finish(&fx);
    assert_false(st.gave_up);
    assert_true(st.r.eof);
}

/* ---- connection limit ---- */

struct two {
    struct fx fx;
    struct ac_h2_client *second;
    int second_err;
};

static void on_second(void *arg, int err, const struct ac_h2_response *resp)
{
    (void)resp;
    struct two *t = arg;
    t->second_err = err;
    ac_h2_client_close(t->second);
    fx_shutdown(&t->fx, 0);
}

static void on_first(void *arg, int err, const struct ac_h2_response *resp)
{
    struct two *t = arg;
    fx_record(&t->fx.got[t->fx.ngot++], err, resp);
    /* The first connection stays open, so the second is over the limit. */
    assert_int_equal(
        0, ac_h2_client_request(t->second, "GET", "/echo", NULL, 0, NULL, 0, on_second, t));
}

static void test_connection_over_the_limit_is_closed(void **state)
{
    (void)state;
    struct two t;
    struct ac_h2_server_limits lim = {.max_connections = 1};
    char url[64];
    fx_start(&t.fx, &lim, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", t.fx.port);
    assert_int_equal(0, ac_h2_client_new(&t.fx.loop, url, NULL, &t.second));
    t.second_err = 0;
    assert_int_equal(0,
                     ac_h2_client_request(t.fx.cl, "GET", "/echo", NULL, 0, NULL, 0, on_first, &t));
    fx_finish(&t.fx);
    assert_int_equal(200, t.fx.got[0].status);
    assert_true(t.second_err < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_is_routed_to_its_handler_and_echoed),
        cmocka_unit_test(test_response_carries_content_length_and_date),
        cmocka_unit_test(test_post_body_reaches_the_handler),
        cmocka_unit_test(test_unknown_path_gets_404_problem_json),
        cmocka_unit_test(test_wrong_method_gets_405_with_allow),
        cmocka_unit_test(test_body_over_the_limit_gets_413),
        cmocka_unit_test(test_header_list_over_the_limit_gets_431),
        cmocka_unit_test(test_handler_may_answer_later_from_a_timer),
        cmocka_unit_test(test_answer_after_client_reset_is_dropped),
        cmocka_unit_test(test_garbage_closes_the_connection_and_server_keeps_serving),
        cmocka_unit_test(test_graceful_close_lets_an_in_flight_request_finish),
        cmocka_unit_test(test_graceful_close_cuts_a_request_still_running_when_the_grace_ends),
        cmocka_unit_test(test_client_that_never_reads_its_response_is_cut_off),
        cmocka_unit_test(test_connection_over_the_limit_is_closed),
        cmocka_unit_test(test_idle_connection_is_closed_by_the_server),
        cmocka_unit_test(test_request_body_not_sent_in_time_gets_408),
        cmocka_unit_test(test_curl_prior_knowledge_gets_an_answer),
        cmocka_unit_test(test_nghttp_gets_an_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
