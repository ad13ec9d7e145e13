/* test_h2_client.c - tests net/h2_client.c: multiplexing, deadlines,
 * unreachable origins, URL checks and the one-shot ac_h2_fetch(). */
#include <pthread.h>

#include "../../net/internal.h"
#include "net/h2_fixture.h"

static void test_fifty_concurrent_requests_share_one_connection(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 50;
    char path[32];
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof(path), "/echo?i=%d", i);
        assert_int_equal(
            0, ac_h2_client_request(fx.cl, "GET", path, NULL, 0, NULL, 0, fx_on_response, &fx));
    }
    fx_finish(&fx);
    assert_int_equal(50, fx.ngot);
    int seen[50] = {0};
    for (int i = 0; i < 50; i++) {
        int n = -1;
        assert_int_equal(200, fx.got[i].status);
        assert_int_equal(1, sscanf(fx.got[i].body, "GET /echo?i=%d", &n));
        assert_true(n >= 0 && n < 50);
        seen[n]++;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(1, seen[i]);
}

static void on_count_connections(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    fx_record(&fx->got[fx->ngot], err, resp);
    /* Recorded while the connection is still open, before the shutdown. */
    fx->observed_status[fx->ngot] = (int)ac_h2_server_connections(fx->srv);
    if (++fx->ngot == fx->expected)
        fx_shutdown(fx, 0);
}

static void test_server_sees_a_single_connection_for_many_requests(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 50;
    for (int i = 0; i < 50; i++)
        assert_int_equal(0, ac_h2_client_request(fx.cl, "GET", "/echo", NULL, 0, NULL, 0,
                                                 on_count_connections, &fx));
    fx_finish(&fx);
    for (int i = 0; i < 50; i++)
        assert_int_equal(1, fx.observed_status[i]);
}

static void on_timed_out(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    fx_record(&fx->got[fx->ngot++], err, resp);
}

static void test_request_times_out_when_the_handler_is_too_slow(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_client_config ccfg = {.request_timeout_ms = 100};
    fx_start(&fx, NULL, &ccfg);
    fx.late_ms = 400;
    fx.shutdown_on_late = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/slow", NULL, 0, NULL, 0, on_timed_out, &fx));
    fx_finish(&fx);
    assert_int_equal(1, fx.ngot);
    assert_int_equal(AC_ETIMEDOUT, fx.got[0].err);
}

struct refused {
    uv_loop_t loop;
    struct ac_h2_client *cl;
    int err;
    int calls;
};

static void on_refused(void *arg, int err, const struct ac_h2_response *resp)
{
    struct refused *r = arg;
    assert_null(resp);
    r->err = err;
    r->calls++;
    ac_h2_client_close(r->cl);
}

/* Returns a loopback port nothing listens on: bound, read, then released. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
    assert_int_equal(0, getsockname(fd, (struct sockaddr *)&a, &len));
    close(fd);
    return ntohs(a.sin_port);
}

static void test_connection_refused_is_reported_once_after_the_call(void **state)
{
    (void)state;
    struct refused r = {0};
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
    assert_int_equal(0, uv_loop_init(&r.loop));
    assert_int_equal(0, ac_h2_client_new(&r.loop, url, NULL, &r.cl));
    assert_int_equal(0, ac_h2_client_request(r.cl, "GET", "/", NULL, 0, NULL, 0, on_refused, &r));
    assert_int_equal(0, r.calls); /* never from inside the call */
    uv_run(&r.loop, UV_RUN_DEFAULT);
    assert_int_equal(1, r.calls);
    assert_int_equal(AC_ECONNREFUSED, r.err);
    assert_int_equal(0, uv_loop_close(&r.loop));
}

static void test_close_cancels_pending_requests(void **state)
{
    (void)state;
    struct refused r = {0};
    assert_int_equal(0, uv_loop_init(&r.loop));
    assert_int_equal(0, ac_h2_client_new(&r.loop, "http://127.0.0.1:9", NULL, &r.cl));
    assert_int_equal(0, ac_h2_client_request(r.cl, "GET", "/", NULL, 0, NULL, 0, on_refused, &r));
    struct ac_h2_client *cl = r.cl;
    r.cl = NULL; /* on_refused's close becomes a no-op */
    ac_h2_client_close(cl);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    assert_int_equal(1, r.calls);
    assert_int_equal(AC_ECANCELED, r.err);
    assert_int_equal(0, uv_loop_close(&r.loop));
}

static void test_urls_that_are_not_origins_are_refused(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct ac_h2_client *cl = NULL;
    assert_int_equal(0, uv_loop_init(&loop));
    assert_int_equal(AC_EINVAL, ac_h2_client_new(&loop, "ftp://example.org", NULL, &cl));
    assert_int_equal(AC_EINVAL, ac_h2_client_new(&loop, "http://example.org/path", NULL, &cl));
    assert_int_equal(AC_EINVAL, ac_h2_client_new(&loop, "http://example.org:99999", NULL, &cl));
    assert_int_equal(AC_EINVAL, ac_h2_client_new(&loop, "http://", NULL, &cl));
    assert_null(cl);
    assert_int_equal(0, uv_loop_close(&loop));
}

struct two_timeouts {
    uv_loop_t loop;
    struct ac_h2_client *cl;
    int calls;
    int errs[4];
};

static void on_timeout_then_close(void *arg, int err, const struct ac_h2_response *resp)
{
    struct two_timeouts *t = arg;
    assert_null(resp);
    t->errs[t->calls++] = err;
    /* Allowed from a callback (ac_h2_fetch does it); the other expired
     * request must still get its one callback, from memory not yet freed. */
    ac_h2_client_close(t->cl);
}

static void test_a_timeout_callback_may_close_the_client_while_another_request_expires(void **state)
{
    (void)state;
    /* A listener that never accepts: the kernel completes the handshake, so
     * the client connects and sends, and no answer ever comes. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
    assert_int_equal(0, listen(fd, 4));
    assert_int_equal(0, getsockname(fd, (struct sockaddr *)&a, &len));
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));

    struct two_timeouts t = {0};
    struct ac_h2_client_config ccfg = {.request_timeout_ms = 50};
    assert_int_equal(0, uv_loop_init(&t.loop));
    assert_int_equal(0, ac_h2_client_new(&t.loop, url, &ccfg, &t.cl));
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            0, ac_h2_client_request(t.cl, "GET", "/", NULL, 0, NULL, 0, on_timeout_then_close, &t));
    uv_run(&t.loop, UV_RUN_DEFAULT);
    close(fd);
    assert_int_equal(2, t.calls);
    assert_int_equal(AC_ETIMEDOUT, t.errs[0]);
    assert_int_equal(AC_ETIMEDOUT, t.errs[1]);
    assert_int_equal(0, uv_loop_close(&t.loop));
}

struct one_answer {
    int calls;
    int err;
};

static void on_one_answer(void *arg, int err, const struct ac_h2_response *resp)
{
    (void)resp;
    struct one_answer *o = arg;
    o->calls++;
    o->err = err;
}

static void test_a_response_whose_header_fields_exceed_the_limit_fails_with_e2big(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct ac_h2_client *cl;
    struct ac__cconn *c;
    struct one_answer o = {0};
    assert_int_equal(0, uv_loop_init(&loop));
    assert_int_equal(0, ac_h2_client_new(&loop, "http://origin.example:1", NULL, &cl));
    assert_int_equal(0, ac__h2_client_memory_new(cl, &c));
    assert_int_equal(0, ac_h2_client_request(cl, "GET", "/", NULL, 0, NULL, 0, on_one_answer, &o));

    /* Hand-encoded per RFC 7541: one field stored in the dynamic table, then
     * referenced again and again at one byte each. 600 fields of
     * 3 + 100 + 32 bytes (RFC 9113 6.5.2) are 81000 bytes, over 64 KiB, in a
     * block of about 700 bytes. */
    static uint8_t in[9 + 9 + 1024];
    size_t n = 0;
    const uint8_t settings[9] = {0, 0, 0, 0x04, 0, 0, 0, 0, 0}; /* empty SETTINGS */
    memcpy(in, settings, 9);
    n = 9 + 9;      /* the HEADERS frame header is filled in below */
    in[n++] = 0x88; /* :status 200, static index 8 */
    in[n++] = 0x40; /* literal, incremental indexing, new name */
    in[n++] = 3;
    memcpy(in + n, "x-a", 3);
    n += 3;
    in[n++] = 100;
    memset(in + n, 'v', 100);
    n += 100;
    for (int i = 0; i < 599; i++)
        in[n++] = 0x80 | 62; /* indexed: the first dynamic table entry */
    size_t block = n - 18;
    const uint8_t hd[9] = {(uint8_t)(block >> 16),
                           (uint8_t)(block >> 8),
                           (uint8_t)block,
                           0x01 /* HEADERS */,
                           0x04 /* END_HEADERS */,
                           0,
                           0,
                           0,
                           1};
    memcpy(in + 9, hd, 9);
    ac__h2_client_memory_feed(c, in, n);

    assert_int_equal(1, o.calls);
    assert_int_equal(AC_E2BIG, o.err);
    ac__h2_client_memory_free(c);
    ac_h2_client_close(cl);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(1, o.calls);
    assert_int_equal(0, uv_loop_close(&loop));
}

/* ---- ac_h2_fetch against a server on its own thread ---- */

struct threaded {
    struct fx fx;
    uv_async_t stop;
    pthread_t thread;
};

static void on_stop(uv_async_t *a)
{
    struct threaded *t = a->data;
    uv_close((uv_handle_t *)a, NULL);
    fx_shutdown(&t->fx, 0);
}

static void *server_thread(void *arg)
{
    struct threaded *t = arg;
    uv_run(&t->fx.loop, UV_RUN_DEFAULT);
    return NULL;
}

static void test_fetch_runs_one_request_to_completion(void **state)
{
    (void)state;
    struct threaded t;
    fx_start(&t.fx, NULL, NULL);
    uv_async_init(&t.fx.loop, &t.stop, on_stop);
    t.stop.data = &t;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", t.fx.port);
    assert_int_equal(0, pthread_create(&t.thread, NULL, server_thread, &t));

    struct ac_h2_response *resp = NULL;
    int rc = ac_h2_fetch(url, NULL, "POST", "/echo", NULL, 0, "x", 1, &resp);

    uv_async_send(&t.stop);
    pthread_join(t.thread, NULL);
    assert_int_equal(1, t.fx.server_closed);
    assert_int_equal(0, uv_loop_close(&t.fx.loop));
    ac_router_free(t.fx.router);

    assert_int_equal(0, rc);
    assert_int_equal(200, resp->status);
    assert_string_equal("POST /echo? tls=0 x", (char *)resp->body);
    assert_string_equal("text/plain", ac_h2_response_header(resp, "content-type"));
    ac_h2_response_free(resp);
}

static void test_fetch_reports_an_unreachable_origin(void **state)
{
    (void)state;
    char url[64];
    struct ac_h2_response *resp = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
    assert_int_equal(AC_ECONNREFUSED, ac_h2_fetch(url, NULL, "GET", "/", NULL, 0, NULL, 0, &resp));
    assert_null(resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifty_concurrent_requests_share_one_connection),
        cmocka_unit_test(test_server_sees_a_single_connection_for_many_requests),
        cmocka_unit_test(test_request_times_out_when_the_handler_is_too_slow),
        cmocka_unit_test(test_connection_refused_is_reported_once_after_the_call),
        cmocka_unit_test(test_close_cancels_pending_requests),
        cmocka_unit_test(
            test_a_timeout_callback_may_close_the_client_while_another_request_expires),
        cmocka_unit_test(test_a_response_whose_header_fields_exceed_the_limit_fails_with_e2big),
        cmocka_unit_test(test_urls_that_are_not_origins_are_refused),
        cmocka_unit_test(test_fetch_runs_one_request_to_completion),
        cmocka_unit_test(test_fetch_reports_an_unreachable_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
