/* test_h2_conn.c - tests the limits net/h2_conn.c holds against hostile peers,
 * driven from a raw loopback socket speaking hand-made frames: a peer that
 * only pings, one that never opens its window, PING floods, too many
 * connections from one address, a connection's lifetime, requests refused at
 * the end of their headers or by a check that answers later (holding no more
 * body than the window meanwhile), request-body and response buffers, HEAD, and the
 * rate limit on per-connection log lines. */
#include <jansson.h>

#include "../../net/internal.h"
#include "accord/base/log.h"
#include "net/h2_fixture.h"

/* RFC 9113 3.4 client preface, then an empty SETTINGS frame (6.5). */
#define PREFACE                                                                                    \
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"                                                             \
    "\x00\x00\x00\x04\x00\x00\x00\x00\x00"

/* SETTINGS with INITIAL_WINDOW_SIZE (0x4) = 0: the server may send no DATA
 * until a WINDOW_UPDATE that never comes. */
#define ZERO_WINDOW                                                                                \
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"                                                             \
    "\x00\x00\x06\x04\x00\x00\x00\x00\x00"                                                         \
    "\x00\x04\x00\x00\x00\x00"

/* HEADERS (type 1) with END_STREAM|END_HEADERS (0x5) on stream |id|; HPACK
 * (RFC 7541 appendix A): 0x82 ":method: GET", 0x86 ":scheme: http", 0x44
 * literal ":path" "/echo", 0x41 literal ":authority" "x". */
#define GET_ECHO(id) "\x00\x00\x0c\x01\x05\x00\x00\x00" id "\x82\x86\x44\x05/echo\x41\x01x"

/* PING (6.7): type 6, 8 bytes of opaque data, stream 0. */
static const char ping_frame[] = "\x00\x00\x08\x06\x00\x00\x00\x00\x00"
                                 "pingpong";

/* A hostile peer: sends |bytes|, then a PING every |ping_ms| (0: none), reads
 * and parses what the server sends, and gives up after |guard_ms|. */
struct peer {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq, preq;
    uv_timer_t ping, guard;
    struct fx *fx;
    const char *bytes;
    size_t len;
    uint64_t ping_ms;
    int pings_sent;
    int ping_limit; /* stop pinging after this many (0: no limit) */
    int eof;
    int gave_up;          /* the server never hung up; the test closed the socket itself */
    int goaways;          /* GOAWAY frames received */
    uint32_t goaway_code; /* of the last one */
    uint8_t in[65536];
    size_t inlen;
    size_t frames; /* frames received */
    int ping_writing;
};

static void peer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct peer *p = (struct peer *)h;
    *buf = uv_buf_init((char *)p->in + p->inlen, (unsigned)(sizeof(p->in) - p->inlen));
}

static void peer_closed(uv_handle_t *h)
{
    struct peer *p = (struct peer *)h;
    uv_close((uv_handle_t *)&p->ping, NULL);
    uv_close((uv_handle_t *)&p->guard, NULL);
    fx_shutdown(p->fx, 0);
}

/* Parses the frames (RFC 9113 4.1) received so far, keeping a partial one. */
static void peer_parse(struct peer *p)
{
    size_t off = 0;
    while (p->inlen - off >= 9) {
        const uint8_t *h = p->in + off;
        size_t len = ((size_t)h[0] << 16) | ((size_t)h[1] << 8) | h[2];
        if (p->inlen - off < 9 + len)
            break;
        p->frames++;
        if (h[3] == 7 && len >= 8) { /* GOAWAY: last stream id, then the error code */
            const uint8_t *e = h + 9 + 4;
            p->goaways++;
            p->goaway_code =
                ((uint32_t)e[0] << 24) | ((uint32_t)e[1] << 16) | ((uint32_t)e[2] << 8) | e[3];
        }
        off += 9 + len;
    }
    memmove(p->in, p->in + off, p->inlen - off);
    p->inlen -= off;
}

static void peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct peer *p = (struct peer *)s;
    if (nread > 0) {
        p->inlen += (size_t)nread;
        peer_parse(p);
        if (p->inlen == sizeof(p->in))
            p->inlen = 0; /* a frame larger than the buffer: not one we look at */
        return;
    }
    if (nread < 0 && !uv_is_closing((uv_handle_t *)s)) {
        p->eof = 1;
        uv_close((uv_handle_t *)s, peer_closed);
    }
}

static void peer_written(uv_write_t *w, int status)
{
    (void)status;
    struct peer *p = w->data;
    if (w == &p->preq)
        p->ping_writing = 0;
}

static void on_peer_ping(uv_timer_t *t)
{
    struct peer *p = t->data;
    if (uv_is_closing((uv_handle_t *)&p->tcp) || p->ping_writing)
        return;
    if (p->ping_limit && p->pings_sent >= p->ping_limit)
        return;
    uv_buf_t b = uv_buf_init((char *)ping_frame, sizeof(ping_frame) - 1);
    p->preq.data = p;
    if (uv_write(&p->preq, (uv_stream_t *)&p->tcp, &b, 1, peer_written) == 0) {
        p->ping_writing = 1;
        p->pings_sent++;
    }
}

static void on_peer_guard(uv_timer_t *t)
{
    struct peer *p = t->data;
    if (!uv_is_closing((uv_handle_t *)&p->tcp)) {
        p->gave_up = 1;
        uv_close((uv_handle_t *)&p->tcp, peer_closed);
    }
}

static void peer_connected(uv_connect_t *c, int status)
{
    struct peer *p = c->data;
    assert_int_equal(0, status);
    uv_buf_t b = uv_buf_init((char *)p->bytes, (unsigned)p->len);
    p->wreq.data = p;
    uv_write(&p->wreq, (uv_stream_t *)&p->tcp, &b, 1, peer_written);
    uv_read_start((uv_stream_t *)&p->tcp, peer_alloc, peer_read);
    if (p->ping_ms)
        uv_timer_start(&p->ping, on_peer_ping, p->ping_ms, p->ping_ms);
}

/* Runs |p| against the fixture's server until the server hangs up or
 * |guard_ms| passes (generous against the limits under test, so a busy
 * machine does not fail a test: nothing here asserts a time). */
static void peer_run(struct fx *fx, struct peer *p, const char *bytes, size_t len, uint64_t ping_ms,
                     uint64_t guard_ms)
{
    struct sockaddr_in a;
    p->fx = fx;
    p->bytes = bytes;
    p->len = len;
    p->ping_ms = ping_ms;
    uv_ip4_addr("127.0.0.1", fx->port, &a);
    uv_tcp_init(&fx->loop, &p->tcp);
    uv_timer_init(&fx->loop, &p->ping);
    uv_timer_init(&fx->loop, &p->guard);
    p->ping.data = p;
    p->guard.data = p;
    uv_timer_start(&p->guard, on_peer_guard, guard_ms, 0);
    p->creq.data = p;
    assert_int_equal(0, uv_tcp_connect(&p->creq, &p->tcp, (struct sockaddr *)&a, peer_connected));
    fx_finish(fx);
}

/* ---- the progress clock ---- */

static void test_idle_peer_that_only_pings_is_sent_goaway(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    struct ac_h2_server_limits lim = {.idle_timeout_ms = 400};
    fx_start(&fx, &lim, NULL);
    /* A PING every 150 ms (fewer than the 10 a second allowed) keeps the
     * socket busy, but is not progress. */
    peer_run(&fx, &p, PREFACE, sizeof(PREFACE) - 1, 150, 5000);
    assert_false(p.gave_up);
    assert_true(p.eof);
    assert_int_equal(1, p.goaways);
    assert_int_equal(NGHTTP2_NO_ERROR, p.goaway_code);
}

static void test_zero_window_peer_that_pings_is_cut_off_as_a_slow_reader(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    struct ac_h2_server_limits lim = {.idle_timeout_ms = 400, .request_timeout_ms = 400};
    static const char bytes[] = ZERO_WINDOW GET_ECHO("\x01") GET_ECHO("\x03");
    fx_start(&fx, &lim, NULL);
    /* PINGs under the rate limit: a live peer, but one that reads nothing. */
    peer_run(&fx, &p, bytes, sizeof(bytes) - 1, 150, 5000);
    assert_false(p.gave_up);
    assert_true(p.eof);
}

/* ---- control frames ---- */

static void test_ping_flood_gets_goaway_enhance_your_calm(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    struct ac_h2_server_limits lim = {.max_pings_per_second = 5};
    /* Twenty PINGs in one write: more than five in any second. */
    char bytes[sizeof(PREFACE) - 1 + 20 * (sizeof(ping_frame) - 1)];
    memcpy(bytes, PREFACE, sizeof(PREFACE) - 1);
    for (int i = 0; i < 20; i++)
        memcpy(bytes + sizeof(PREFACE) - 1 + (size_t)i * (sizeof(ping_frame) - 1), ping_frame,
               sizeof(ping_frame) - 1);
    fx_start(&fx, &lim, NULL);
    peer_run(&fx, &p, bytes, sizeof(bytes), 0, 5000);
    assert_false(p.gave_up);
    assert_true(p.eof);
    assert_int_equal(1, p.goaways);
    assert_int_equal(NGHTTP2_ENHANCE_YOUR_CALM, p.goaway_code);
}

static void test_pings_under_the_limit_keep_the_connection(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    struct ac_h2_server_limits lim = {.max_pings_per_second = 5, .idle_timeout_ms = 10000};
    fx_start(&fx, &lim, NULL);
    /* Four PINGs, 300 ms apart: never more than five in a second. The guard
     * ends the test; the server must not have hung up before. */
    p.ping_limit = 4;
    peer_run(&fx, &p, PREFACE, sizeof(PREFACE) - 1, 300, 1500);
    assert_true(p.gave_up);
    assert_int_equal(0, p.goaways);
}

/* ---- connection slots ---- */

static void test_connection_lifetime_ends_with_a_graceful_goaway(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    struct ac_h2_server_limits lim = {
        .max_connection_lifetime_ms = 200, .idle_timeout_ms = 60000, .request_timeout_ms = 100};
    fx_start(&fx, &lim, NULL);
    /* A peer that stays busy with requests (each one progress) is still
     * asked to go when the lifetime is over. */
    peer_run(&fx, &p, PREFACE GET_ECHO("\x01"), sizeof(PREFACE GET_ECHO("\x01")) - 1, 0, 5000);
    assert_false(p.gave_up);
    assert_true(p.eof);
    assert_int_equal(1, p.goaways);
    assert_int_equal(NGHTTP2_NO_ERROR, p.goaway_code);
    assert_int_equal(1, fx.observed);
    assert_int_equal(200, fx.observed_status[0]);
}

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
    /* The first connection stays open, so the second is one too many from 127.0.0.1. */
    assert_int_equal(
        0, ac_h2_client_request(t->second, "GET", "/echo", NULL, 0, NULL, 0, on_second, t));
}

static void test_second_connection_from_one_address_over_its_limit_is_closed(void **state)
{
    (void)state;
    struct two t;
    struct ac_h2_server_limits lim = {.max_connections = 100, .max_connections_per_client = 1};
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

/* ---- refused at the end of the headers ---- */

/* HEADERS with END_HEADERS only (0x4): a POST whose body never comes. 0x83
 * ":method: POST", 0x86 ":scheme: http", 0x44 literal ":path", 0x41 literal
 * ":authority" "x". */
#define POST_NO_BODY(path, pathlen)                                                                \
    "\x00\x00" pathlen "\x01\x04\x00\x00\x00\x01\x83\x86\x44" path "\x41\x01x"

static void test_post_to_unknown_path_gets_404_before_its_body(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    /* Before the body could have timed out (408), the 404 is already sent. */
    struct ac_h2_server_limits lim = {.request_timeout_ms = 100, .idle_timeout_ms = 200};
    static const char bytes[] = PREFACE POST_NO_BODY("\x05/nope", "\x0c");
    fx_start(&fx, &lim, NULL);
    peer_run(&fx, &p, bytes, sizeof(bytes) - 1, 0, 5000);
    assert_int_equal(1, fx.observed);
    assert_int_equal(404, fx.observed_status[0]);
}

static int checks_run;

/* A headers check that refuses every request it sees with 401. */
static int refuse_all(void *arg, struct ac_http_exchange *x)
{
    (void)arg;
    checks_run++;
    ac_http_respond_problem(x, 401, "unauthorized", "Unauthorized", "authorization", "no token");
    return 1;
}

static void test_headers_check_refuses_a_post_before_its_body(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    struct ac_h2_server_limits lim = {.request_timeout_ms = 100, .idle_timeout_ms = 200};
    static const char bytes[] = PREFACE POST_NO_BODY("\x05/echo", "\x0c");
    fx_start(&fx, &lim, NULL);
    checks_run = 0;
    ac_h2_server_set_headers_check(fx.srv, refuse_all, NULL);
    peer_run(&fx, &p, bytes, sizeof(bytes) - 1, 0, 5000);
    assert_int_equal(1, checks_run);
    assert_int_equal(1, fx.observed);
    assert_int_equal(401, fx.observed_status[0]);
}

static void test_headers_check_is_not_asked_about_a_request_without_body(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    checks_run = 0;
    ac_h2_server_set_headers_check(fx.srv, refuse_all, NULL);
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/echo", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(0, checks_run);
    assert_int_equal(200, fx.got[0].status);
}

/* ---- a headers check that answers later ---- */

/* nghttp2's default initial window, which the server does not change: all a
 * peer may send on a stream before the server consumes some. */
#define WINDOW 65535

/* A check that answers AC_H2_CHECK_PENDING and answers once the body held
 * meanwhile stops growing: the whole body came, or the window is full. */
struct later {
    struct fx *fx;
    struct ac_http_exchange *x;
    uv_timer_t tick;
    int pass;           /* pass it on (ac_http_headers_checked()), else refuse */
    int reset;          /* close everything first, then answer */
    int ticks_full;     /* ticks seen with nothing more to come */
    size_t held;        /* body bytes held when it answered */
    size_t unconsumed;  /* of them not consumed */
    int handled_before; /* handler runs when it answered */
    int request_done;   /* the body had ended when it answered */
    int gone;           /* its stream had been freed when it answered */
};
static struct later later;
static int count_runs;

/* POST /count: answers the body's length. */
static void count_body(struct ac_http_exchange *x, void *arg)
{
    (void)arg;
    count_runs++;
    char out[32];
    int n = snprintf(out, sizeof(out), "%zu", ac_http_exchange_req(x)->body_len);
    ac_http_respond(x, 200, NULL, 0, out, (size_t)n);
}

static void later_tick(uv_timer_t *t)
{
    struct ac_http_exchange *x = later.x;
    if (later.reset && later.fx) {
        /* The connection goes while the check waits: the stream is freed,
         * the exchange left to the check. */
        fx_shutdown(later.fx, 0);
        later.fx = NULL;
        return;
    }
    if (later.reset && x->stream)
        return; /* answered once the stream is gone */
    if (x->stream && !x->stream->request_done && x->body.len < WINDOW)
        return;
    /* Full (or ended): a few more ticks show nothing more is taken. */
    if (x->stream && ++later.ticks_full < 5)
        return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    later.held = x->body.len;
    later.unconsumed = x->stream ? x->stream->unconsumed : 0;
    later.request_done = x->stream && x->stream->request_done;
    later.handled_before = count_runs;
    later.gone = x->stream == NULL;
    if (later.pass)
        ac_http_headers_checked(x);
    else
        ac_http_respond_problem(x, 401, "unauthorized", "Unauthorized", "authorization",
                                "no token");
}

static int check_later(void *arg, struct ac_http_exchange *x)
{
    struct fx *fx = arg;
    checks_run++;
    later.x = x;
    uv_timer_init(&fx->loop, &later.tick);
    uv_timer_start(&later.tick, later_tick, 10, 10);
    return AC_H2_CHECK_PENDING;
}

/* POSTs |len| bytes to /count through a check that answers later. */
static void post_checked_later(struct fx *fx, size_t len, int pass, int reset)
{
    static char body[200000];
    memset(body, 'b', sizeof(body));
    memset(&later, 0, sizeof(later));
    later.pass = pass;
    later.reset = reset;
    later.fx = fx;
    checks_run = 0;
    count_runs = 0;
    fx_start(fx, NULL, NULL);
    later.fx = reset ? fx : NULL;
    assert_int_equal(0, ac_router_add(fx->router, "POST", "/count", count_body, fx));
    ac_h2_server_set_headers_check(fx->srv, check_later, fx);
    fx->expected = reset ? 0 : 1; /* reset: the tick shuts everything down */
    assert_int_equal(0, ac_h2_client_request(fx->cl, "POST", "/count", NULL, 0, body, len,
                                             fx_on_response, fx));
    fx_finish(fx);
    assert_int_equal(1, checks_run);
    assert_int_equal(0, later.handled_before);
}

static void test_pending_check_holds_a_small_body_and_dispatches_when_it_passes(void **state)
{
    (void)state;
    struct fx fx;
    post_checked_later(&fx, 1000, 1, 0);
    /* The body ended while the check waited; the handler ran after. */
    assert_true(later.request_done);
    assert_int_equal(1000, later.held);
    assert_int_equal(1000, later.unconsumed);
    assert_int_equal(1, count_runs);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("1000", fx.got[0].body);
}

static void test_pending_check_takes_no_more_than_the_window(void **state)
{
    (void)state;
    struct fx fx;
    post_checked_later(&fx, 200000, 1, 0);
    /* The peer sent its window and waited: nothing was consumed meanwhile. */
    assert_false(later.request_done);
    assert_int_equal(WINDOW, later.held);
    assert_int_equal(WINDOW, later.unconsumed);
    /* Passed, the rest came and the whole body reached the handler. */
    assert_int_equal(1, count_runs);
    assert_int_equal(200, fx.got[0].status);
    assert_string_equal("200000", fx.got[0].body);
}

static void test_pending_check_refuses_and_the_handler_never_runs(void **state)
{
    (void)state;
    struct fx fx;
    post_checked_later(&fx, 200000, 0, 0);
    assert_int_equal(WINDOW, later.held);
    assert_int_equal(0, count_runs);
    assert_int_equal(401, fx.got[0].status);
    assert_int_equal(1, fx.observed);
    assert_int_equal(401, fx.observed_status[0]);
}

static void test_pending_check_outlives_its_connection(void **state)
{
    (void)state;
    struct fx fx;
    /* The check passes a request whose connection is gone: the exchange is
     * freed (ASan sees a leak or a use after free otherwise). */
    post_checked_later(&fx, 200000, 1, 1);
    assert_true(later.gone);
    assert_int_equal(0, count_runs);
    assert_int_equal(1, fx.ngot);
    assert_true(fx.got[0].err != 0);
}

/* ---- buffers ---- */

static void test_body_over_the_connection_body_budget_gets_503(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_server_limits lim = {.max_body_buffer_bytes = 1000};
    static char body[3000];
    memset(body, 'a', sizeof(body));
    fx_start(&fx, &lim, NULL);
    fx.expected = 1;
    /* Within max_body_bytes (1 MiB), over what the connection may hold. */
    assert_int_equal(0, ac_h2_client_request(fx.cl, "POST", "/echo", NULL, 0, body, sizeof(body),
                                             fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(503, fx.got[0].status);
}

static void test_zero_window_peer_gets_no_more_answers_than_its_buffer_holds(void **state)
{
    (void)state;
    struct fx fx;
    struct peer p = {0};
    /* One byte of response buffer: the first answer fills it, and as the peer
     * reads nothing, the other four requests never reach the handler. */
    struct ac_h2_server_limits lim = {
        .idle_timeout_ms = 200, .request_timeout_ms = 200, .max_response_buffer_bytes = 1};
    static const char bytes[] = ZERO_WINDOW GET_ECHO("\x01") GET_ECHO("\x03") GET_ECHO("\x05")
        GET_ECHO("\x07") GET_ECHO("\x09");
    fx_start(&fx, &lim, NULL);
    peer_run(&fx, &p, bytes, sizeof(bytes) - 1, 0, 5000);
    assert_false(p.gave_up);
    /* The observer sees the one answer; deferred requests never had one. */
    assert_int_equal(1, fx.observed);
    assert_int_equal(200, fx.observed_status[0]);
}

/* ---- HEAD ---- */

static void test_head_is_answered_like_get_without_a_body(void **state)
{
    (void)state;
    struct fx fx;
    fx_start(&fx, NULL, NULL);
    fx.expected = 1;
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "HEAD", "/echo", NULL, 0, NULL, 0, fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
    assert_int_equal(0, fx.got[0].body_len);
    /* fx_echo's GET answer is "HEAD /echo? tls=0 ": 18 bytes. */
    assert_string_equal("18", fx.got[0].clen);
}

/* ---- streamed request bodies and streamed responses ---- */

#define STREAM_BODY (1024 * 1024 + 123)
#define H2_DEFAULT_WINDOW 65535 /* RFC 9113 6.9.2: the initial stream window */

static uint8_t pattern_at(size_t i)
{
    return (uint8_t)(i * 31 + (i >> 12));
}

/* A handler that takes its body slowly: it holds what arrives and consumes
 * it only on a timer, recording the most it ever held unconsumed. */
struct slow_reader {
    struct fx *fx;
    struct ac_http_exchange *x;
    uv_timer_t tick;
    size_t held, peak, total, chunks;
    int mismatch, ended, status_seen, calls;
};

static struct slow_reader reader;

static void on_reader_tick(uv_timer_t *t)
{
    struct slow_reader *r = t->data;
    if (r->held && !r->ended)
        ac_http_body_consume(r->x, r->held);
    r->held = 0;
}

static void on_reader_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_stream_body(struct ac_http_exchange *x, const uint8_t *data, size_t len, int status,
                           void *arg)
{
    struct slow_reader *r = arg;
    r->calls++;
    if (status == 0) {
        for (size_t i = 0; i < len; i++)
            r->mismatch |= data[i] != pattern_at(r->total + i);
        r->total += len;
        r->held += len;
        r->chunks++;
        if (r->held > r->peak)
            r->peak = r->held;
        return;
    }
    r->ended = 1;
    r->status_seen = status;
    uv_close((uv_handle_t *)&r->tick, on_reader_closed);
    char out[64];
    int n = snprintf(out, sizeof out, "%zu", r->total);
    ac_http_respond(x, status == 1 ? 201 : 413, NULL, 0, out, (size_t)n);
}

static void fx_streamed(struct ac_http_exchange *x, void *arg)
{
    struct slow_reader *r = &reader;
    r->fx = arg;
    r->x = x;
    r->calls = 0;
    assert_null(ac_http_exchange_req(x)->body);
    assert_int_equal(0, ac_http_body_read(x, on_stream_body, r));
    /* A second reader is refused. */
    assert_int_equal(AC_EINVAL, ac_http_body_read(x, on_stream_body, r));
    /* Nothing is delivered from inside ac_http_body_read(). */
    assert_int_equal(0, r->calls);
    uv_timer_init(&r->fx->loop, &r->tick);
    r->tick.data = r;
    uv_timer_start(&r->tick, on_reader_tick, 2, 2);
}

static uint8_t *pattern_body(size_t len)
{
    uint8_t *b = malloc(len);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++)
        b[i] = pattern_at(i);
    return b;
}

static void
test_a_streamed_body_reaches_its_handler_in_chunks_paced_by_what_it_consumes(void **state)
{
    (void)state;
    struct fx fx;
    /* JSON bodies are capped at 1 KiB here; the streamed route is not. */
    struct ac_h2_server_limits lim = {.max_body_bytes = 1024};
    memset(&reader, 0, sizeof reader);
    fx_start(&fx, &lim, NULL);
    assert_int_equal(0, ac_router_add_stream(fx.router, "POST", "/up", fx_streamed, &fx));
    uint8_t *body = pattern_body(STREAM_BODY);
    fx.expected = 1;
    assert_int_equal(0, ac_h2_client_request(fx.cl, "POST", "/up", NULL, 0, body, STREAM_BODY,
                                             fx_on_response, &fx));
    fx_finish(&fx);
    free(body);
    assert_int_equal(201, fx.got[0].status);
    assert_int_equal(STREAM_BODY, reader.total);
    assert_string_equal("1048699", fx.got[0].body);
    assert_false(reader.mismatch);
    assert_int_equal(1, reader.status_seen);
    assert_true(reader.chunks > 16);
    /* The peer never had more in flight than the handler had consumed plus
     * one stream window, though the body is sixteen times that. */
    assert_true(reader.peak <= H2_DEFAULT_WINDOW);
}

static void test_a_streamed_body_over_its_limit_gets_413_before_the_handler_runs(void **state)
{
    (void)state;
    struct fx fx;
    struct ac_h2_server_limits lim = {.max_stream_body_bytes = 1000};
    memset(&reader, 0, sizeof reader);
    reader.calls = -1; /* fx_streamed resets it: it must not run */
    fx_start(&fx, &lim, NULL);
    assert_int_equal(0, ac_router_add_stream(fx.router, "POST", "/up", fx_streamed, &fx));
    static uint8_t body[3000];
    fx.expected = 1;
    assert_int_equal(0, ac_h2_client_request(fx.cl, "POST", "/up", NULL, 0, body, sizeof body,
                                             fx_on_response, &fx));
    fx_finish(&fx);
    assert_int_equal(413, fx.got[0].status);
    assert_non_null(strstr(fx.got[0].body, "content-length 3000 exceeds the limit of 1000"));
    assert_int_equal(-1, reader.calls);
}

/* A producer of PIECE-byte pieces of the pattern, answering every other pull
 * at once and the rest from a timer, as a worker thread would. */
#define PIECE 16384
struct producer {
    struct fx *fx;
    struct ac_http_exchange *x;
    uv_timer_t later;
    size_t off, len, abort_at;
    int pulls, in_pull, timer_open;
};

static struct producer prod;

static void give(struct producer *p)
{
    if (p->abort_at && p->off >= p->abort_at) {
        ac_http_stream_abort(p->x);
        return;
    }
    uint8_t piece[PIECE];
    size_t n = p->len - p->off < PIECE ? p->len - p->off : PIECE;
    for (size_t i = 0; i < n; i++)
        piece[i] = pattern_at(p->off + i);
    p->off += n;
    assert_int_equal(0, ac_http_stream_write(p->x, piece, n, p->off == p->len));
}

static void on_later(uv_timer_t *t)
{
    give(t->data);
}

static void on_pull(struct ac_http_exchange *x, void *arg)
{
    struct producer *p = arg;
    assert_ptr_equal(p->x, x);
    p->pulls++;
    if (p->pulls % 2)
        give(p);
    else
        uv_timer_start(&p->later, on_later, 1, 0);
}

static void on_later_closed(uv_handle_t *h)
{
    (void)h;
}

static void fx_file(struct ac_http_exchange *x, void *arg)
{
    struct producer *p = &prod;
    p->fx = arg;
    p->x = x;
    uv_timer_init(&p->fx->loop, &p->later);
    p->later.data = p;
    const struct ac_http_header h = {"content-type", "application/octet-stream"};
    assert_int_equal(0, ac_http_respond_stream(x, 200, &h, 1, p->len, on_pull, p));
}

static void on_file_response(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fx *fx = arg;
    struct got *g = &fx->got[0];
    fx_record(g, err, resp);
    if (!err) {
        int bad = 0;
        for (size_t i = 0; i < resp->body_len; i++)
            bad |= resp->body[i] != pattern_at(i);
        g->err = bad ? AC_EBUG : 0;
    }
    fx->ngot++;
    uv_close((uv_handle_t *)&prod.later, on_later_closed);
    fx_shutdown(fx, 0);
}

static void test_a_streamed_response_is_pulled_piece_by_piece_and_arrives_whole(void **state)
{
    (void)state;
    struct fx fx;
    memset(&prod, 0, sizeof prod);
    prod.len = 40 * PIECE + 7;
    fx_start(&fx, NULL, NULL);
    assert_int_equal(0, ac_router_add(fx.router, "GET", "/file", fx_file, &fx));
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/file", NULL, 0, NULL, 0, on_file_response, &fx));
    fx_finish(&fx);
    assert_int_equal(0, fx.got[0].err);
    assert_int_equal(200, fx.got[0].status);
    assert_int_equal(40 * PIECE + 7, fx.got[0].body_len);
    assert_string_equal("655367", fx.got[0].clen);
    /* One pull per piece: the server held one piece at a time. */
    assert_int_equal(41, prod.pulls);
}

static void test_a_streamed_response_aborted_midway_resets_the_stream(void **state)
{
    (void)state;
    struct fx fx;
    memset(&prod, 0, sizeof prod);
    prod.len = 10 * PIECE;
    prod.abort_at = 3 * PIECE;
    fx_start(&fx, NULL, NULL);
    assert_int_equal(0, ac_router_add(fx.router, "GET", "/file", fx_file, &fx));
    assert_int_equal(
        0, ac_h2_client_request(fx.cl, "GET", "/file", NULL, 0, NULL, 0, on_file_response, &fx));
    fx_finish(&fx);
    /* The client cannot take the first three pieces for the whole body. */
    assert_int_not_equal(0, fx.got[0].err);
    assert_int_equal(4, prod.pulls);
}

/* ---- per-connection log lines ---- */

static void test_connection_log_lines_are_limited_per_second(void **state)
{
    (void)state;
    struct fx fx;
    char path[] = "/tmp/accord-connlog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fx_start(&fx, NULL, NULL);
    assert_int_equal(0, ac_log_open(path));
    for (int i = 0; i < 500; i++)
        ac__conn_log(fx.srv, AC_LOG_INFO, "conn 127.0.0.1:%d closed: test", i);
    ac_log_close();
    fx_shutdown(&fx, 0);
    fx_finish(&fx);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int lines = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        lines += ch == '\n';
    fclose(f);
    unlink(path);
    /* Within one loop iteration (one second at most), the quota alone. */
    assert_int_equal(AC__CONN_LOG_PER_SECOND, lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_peer_that_only_pings_is_sent_goaway),
        cmocka_unit_test(
            test_a_streamed_body_reaches_its_handler_in_chunks_paced_by_what_it_consumes),
        cmocka_unit_test(test_a_streamed_body_over_its_limit_gets_413_before_the_handler_runs),
        cmocka_unit_test(test_a_streamed_response_is_pulled_piece_by_piece_and_arrives_whole),
        cmocka_unit_test(test_a_streamed_response_aborted_midway_resets_the_stream),
        cmocka_unit_test(test_zero_window_peer_that_pings_is_cut_off_as_a_slow_reader),
        cmocka_unit_test(test_ping_flood_gets_goaway_enhance_your_calm),
        cmocka_unit_test(test_pings_under_the_limit_keep_the_connection),
        cmocka_unit_test(test_connection_lifetime_ends_with_a_graceful_goaway),
        cmocka_unit_test(test_second_connection_from_one_address_over_its_limit_is_closed),
        cmocka_unit_test(test_post_to_unknown_path_gets_404_before_its_body),
        cmocka_unit_test(test_headers_check_refuses_a_post_before_its_body),
        cmocka_unit_test(test_headers_check_is_not_asked_about_a_request_without_body),
        cmocka_unit_test(test_pending_check_holds_a_small_body_and_dispatches_when_it_passes),
        cmocka_unit_test(test_pending_check_takes_no_more_than_the_window),
        cmocka_unit_test(test_pending_check_refuses_and_the_handler_never_runs),
        cmocka_unit_test(test_pending_check_outlives_its_connection),
        cmocka_unit_test(test_body_over_the_connection_body_budget_gets_503),
        cmocka_unit_test(test_zero_window_peer_gets_no_more_answers_than_its_buffer_holds),
        cmocka_unit_test(test_head_is_answered_like_get_without_a_body),
        cmocka_unit_test(test_connection_log_lines_are_limited_per_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
