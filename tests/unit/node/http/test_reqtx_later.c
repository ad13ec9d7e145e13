/* test_reqtx_later.c - a write whose handler answers later (node/http/
 * reqtx.c, "Outside"), in a request group that is spoiled after its answer
 * went out: the group's transaction stays parked across loop turns, so the
 * later answer (which frees the exchange) can come before another request
 * of the same group loses the transaction. The request layer must not touch
 * the answered exchange then (found by review; ASan reported a
 * use-after-free in fail()). Requests are made without a connection, as the
 * HTTP server hands them to the router. */
#include "../node_fixture.h"

#include "accord/net/http.h"
#include "accord/net/router.h"

/* net/'s own constructor of an exchange (net/internal.h): the test plays
 * the server's part. The request is the exchange's first member. */
int ac__exchange_new(struct ac_http_exchange **out);

static struct node_fixture nf;
static int answered;

static void on_answer(uv_timer_t *h)
{
    ac_http_respond(h->data, 200, NULL, 0, NULL, 0); /* frees the exchange */
    answered++;
    uv_close((uv_handle_t *)h, (uv_close_cb)free);
}

/* Writes nothing and answers on a later loop turn. */
static void on_later(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    uv_timer_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    assert_int_equal(0, uv_timer_init(n->loop, t));
    t->data = x;
    assert_int_equal(0, uv_timer_start(t, on_answer, 0, 0));
}

/* Ends the group's transaction under the request layer's feet, as a
 * savepoint whose failure takes the whole transaction with it does. */
static void on_spoil(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    ac_store_tx_rollback(n->store);
    ac_store_tx_rollback(n->store);
    ac_http_respond(x, 200, NULL, 0, NULL, 0);
}

/* Hands "POST |path|" to the router's handler, as the server does. */
static void send_post(struct ac_node *n, const char *path)
{
    struct ac_http_exchange *x;
    assert_int_equal(0, ac__exchange_new(&x));
    struct ac_http_req *r = (struct ac_http_req *)x;
    r->method = "POST";
    r->path = path;
    r->query = "";
    r->authority = "";
    r->route = path;
    r->peer = "";
    struct ac_route_match m;
    assert_int_equal(0, ac_router_match(n->router, "POST", path, &m, NULL, 0));
    m.cb(x, m.arg);
    ac_route_match_release(&m);
}

static void test_a_later_answer_before_its_group_is_spoiled_is_not_touched_again(void **state)
{
    (void)state;
    assert_int_equal(0, fixture_open(&nf));
    assert_int_equal(0, fixture_loop(&nf));
    struct ac_node *n = &nf.node;
    assert_int_equal(0, ac_router_new(&n->router));
    ac__route_write(n, "POST", "/later", on_later);
    ac__route_write(n, "POST", "/spoil", on_spoil);
    assert_int_equal(0, ac__reqtx_start(n));
    send_post(n, "/later");
    send_post(n, "/spoil");
    for (int i = 0; i < 50 && !answered; i++)
        uv_run(n->loop, UV_RUN_ONCE);
    for (int i = 0; i < 50; i++)
        uv_run(n->loop, UV_RUN_NOWAIT);
    ac__reqtx_stop(n);
    ac__reqtx_free(n);
    ac_router_free(n->router);
    n->router = NULL;
    assert_int_equal(1, answered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(
            test_a_later_answer_before_its_group_is_spoiled_is_not_touched_again,
            fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
