/* h2_fixture.h - shared set-up for the loop tests of net/: a loop, a router, an
 * in-process server on 127.0.0.1:0 and a client, plus handlers and a response
 * recorder. Header-only because each test file is its own executable. */
#ifndef AC_TEST_H2_FIXTURE_H
#define AC_TEST_H2_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "accord/base/error.h"
#include "accord/net/h2_client.h"
#include "accord/net/h2_server.h"
#include "accord/net/http.h"
#include "accord/net/router.h"

#define FX_MAX_GOT 64

struct got {
    int done;
    int err;
    int status;
    char body[8192];
    size_t body_len;
    char ctype[64];
    char allow[64];
    char clen[24];
    int has_date;
};

struct fx {
    uv_loop_t loop;
    struct ac_router *router;
    struct ac_h2_server *srv;
    struct ac_h2_client *cl;
    int port;
    struct got got[FX_MAX_GOT];
    int ngot;     /* callbacks seen */
    int expected; /* callbacks after which the fixture shuts everything down */
    int server_closed;
    /* Observer records. */
    int observed;
    int observed_status[FX_MAX_GOT];
    /* A held exchange, for handlers that answer later. */
    struct ac_http_exchange *held;
    int late_answer_rc;
    int late_answered;
    uv_timer_t late;
    uint64_t late_ms;
    int shutdown_on_late; /* close everything once the late answer is given */
};

static inline void fx_on_server_closed(struct ac_h2_server *srv, void *arg)
{
    (void)srv;
    struct fx *fx = arg;
    fx->server_closed++;
}

/* Closes client and server; the loop then runs dry. */
static inline void fx_shutdown(struct fx *fx, uint64_t grace_ms)
{
    ac_h2_client_close(fx->cl);
    fx->cl = NULL;
    ac_h2_server_close(fx->srv, grace_ms, fx_on_server_closed, fx);
}

static inline void fx_observe(void *arg, const char *method, const char *route, int status,
                              double seconds)
{
    (void)method;
    (void)route;
    (void)seconds;
    struct fx *fx = arg;
    if (fx->observed < FX_MAX_GOT)
        fx->observed_status[fx->observed] = status;
    fx->observed++;
}

static inline void fx_record(struct got *g, int err, const struct ac_h2_response *resp)
{
    g->done = 1;
    g->err = err;
    if (err)
        return;
    g->status = resp->status;
    size_t n = resp->body_len < sizeof(g->body) - 1 ? resp->body_len : sizeof(g->body) - 1;
    memcpy(g->body, resp->body, n);
    g->body[n] = '\0';
    g->body_len = resp->body_len;
    const char *v;
    if ((v = ac_h2_response_header(resp, "content-type")))
        snprintf(g->ctype, sizeof(g->ctype), "%s", v);
    if ((v = ac_h2_response_header(resp, "allow")))
        snprintf(g->allow, sizeof(g->allow), "%s", v);
    if ((v = ac_h2_response_header(resp, "content-length")))
        snprintf(g->clen, sizeof(g->clen), "%s", v);
    g->has_date = ac_h2_response_header(resp, "date") != NULL;
}

/* The default response callback: records, and shuts down after |expected|. */
static inline void fx_on_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    if (fx->ngot < FX_MAX_GOT)
        fx_record(&fx->got[fx->ngot], err, resp);
    fx->ngot++;
    if (fx->ngot == fx->expected)
        fx_shutdown(fx, 0);
}

/* GET|POST /echo: answers "<method> <path>?<query> tls=<0|1> <body>" as text/plain. */
static inline void fx_echo(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char out[8192];
    int n = snprintf(out, sizeof(out), "%s %s?%s tls=%d %.*s", req->method, req->path, req->query,
                     req->tls, (int)(req->body_len > 4000 ? 4000 : req->body_len),
                     req->body ? (const char *)req->body : "");
    const struct ac_http_header h = {"content-type", "text/plain"};
    ac_http_respond(x, 200, &h, 1, out, (size_t)n);
}

static inline void fx_on_late(uv_timer_t *t)
{
    struct fx *fx = t->data;
    fx->late_answered = 1;
    const struct ac_http_header h = {"content-type", "text/plain"};
    fx->late_answer_rc = ac_http_respond(fx->held, 200, &h, 1, "late", 4);
    fx->held = NULL;
    uv_close((uv_handle_t *)&fx->late, NULL);
    if (fx->shutdown_on_late)
        fx_shutdown(fx, 0);
}

/* GET /slow: holds the exchange and answers "late" after fx->late_ms. */
static inline void fx_slow(struct ac_http_exchange *x, void *arg)
{
    struct fx *fx = arg;
    fx->held = x;
    uv_timer_init(&fx->loop, &fx->late);
    fx->late.data = fx;
    uv_timer_start(&fx->late, fx_on_late, fx->late_ms, 0);
}

/* Starts a loop, a router with /echo and /slow, a server with |limits| and a
 * client with |ccfg| (either may be NULL). */
static inline void fx_start(struct fx *fx, const struct ac_h2_server_limits *limits,
                            const struct ac_h2_client_config *ccfg)
{
    memset(fx, 0, sizeof(*fx));
    fx->late_ms = 50;
    assert_int_equal(0, uv_loop_init(&fx->loop));
    assert_int_equal(0, ac_router_new(&fx->router));
    assert_int_equal(0, ac_router_add(fx->router, "GET", "/echo", fx_echo, fx));
    assert_int_equal(0, ac_router_add(fx->router, "POST", "/echo", fx_echo, fx));
    assert_int_equal(0, ac_router_add(fx->router, "GET", "/slow", fx_slow, fx));
    struct ac_h2_server_config cfg = {0};
    if (limits)
        cfg.limits = *limits;
    assert_int_equal(0, ac_h2_server_new(&fx->loop, &cfg, fx->router, &fx->srv));
    ac_h2_server_set_observer(fx->srv, fx_observe, fx);
    assert_int_equal(0, ac_h2_server_listen(fx->srv, "127.0.0.1", 0));
    fx->port = ac_h2_server_port(fx->srv, 0);
    assert_true(fx->port > 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", fx->port);
    assert_int_equal(0, ac_h2_client_new(&fx->loop, url, ccfg, &fx->cl));
}

/* Runs the loop dry and checks every handle was closed. */
static inline void fx_finish(struct fx *fx)
{
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(1, fx->server_closed);
    assert_int_equal(0, uv_loop_close(&fx->loop));
    ac_router_free(fx->router);
}

/* Returns 1 when |name| is an executable on PATH. */
static inline int fx_have_program(const char *name)
{
    const char *path = getenv("PATH");
    char dir[4096];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, path, name);
        if (access(dir, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

#endif
