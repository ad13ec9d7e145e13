/* h2_conn.c - one server-side HTTP/2 connection: socket (or memory) transport,
 * optional TLS, the nghttp2 session, and the streams it carries: requests in
 * (headers, routing, bodies, deadlines) and frames out. How a response's body
 * is produced and buffered is h2_response.c's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"

/* Output produced per write, so one slow reader cannot make us buffer the world. */
#define WRITE_BATCH (64 * 1024)

struct ac__h2_conn *ac__h2_conn_next(const struct ac__h2_conn *c)
{
    return c->next;
}

void ac__h2_stream_observe(struct ac__stream *s, int status)
{
    struct ac_h2_server *srv = s->conn->srv;
    if (s->observed)
        return;
    s->observed = 1;
    if (!srv->observe)
        return;
    double secs = (double)(uv_now(srv->loop) - s->started_ms) / 1000.0;
    srv->observe(srv->observe_arg, s->method[0] ? s->method : "-",
                 s->route ? s->route : "unmatched", status, secs);
}

/* Detaches and frees |s|. An exchange a handler still holds is orphaned, not
 * freed: the handler's eventual answer frees it. */
static void stream_free(struct ac__stream *s)
{
    struct ac__h2_conn *c = s->conn;
    struct ac_http_exchange *cancel = NULL;
    if (s->x) {
        if (s->x->dispatched) {
            ac__h2_stream_observe(s, 0);
            s->x->stream = NULL;
            if (s->stream_body && !s->body_ended && s->x->body_cb)
                cancel = s->x;
        } else {
            ac__exchange_free(s->x);
        }
    }
    if (s->prev)
        s->prev->next = s->next;
    else
        c->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    c->nstreams--;
    ac__h2_stream_drop_response(s);
    c->body_bytes -= s->body_held;
    c->srv->body_bytes -= s->body_held;
    /* Bytes the handler never consumed still count against the connection's
     * window, which outlives the stream. */
    if (s->unconsumed && !c->closing)
        nghttp2_session_consume_connection(c->h2, s->unconsumed);
    /* A producer that holds no pull learns of the end through one more pull,
     * whose write returns AC_ECANCELED. */
    struct ac_http_exchange *sx = s->pull_out ? NULL : s->sx;
    ac_http_pull_cb pull = s->pull;
    void *pull_arg = s->pull_arg;
    if (s->sx)
        s->sx->stream = NULL;
    free(s);
    /* Told last, when nothing of |s| is left for their answers to touch. */
    if (cancel)
        cancel->body_cb(cancel, NULL, 0, AC_ECANCELED, cancel->body_arg);
    if (sx)
        pull(sx, pull_arg);
}

static void conn_destroy(struct ac__h2_conn *c)
{
    /* nghttp2_session_del() does not call on_stream_close, so streams still open
     * are released here. */
    while (c->streams)
        stream_free(c->streams);
    nghttp2_session_del(c->h2);
    ac__tls_free(c->tls);
    ac_buf_release(&c->out);
    ac_buf_release(&c->plain);
    ac_buf_release(&c->tls_out);
    free(c);
}

/* Takes |c| off the server's list of connections waiting for the flusher. */
static void undirty(struct ac__h2_conn *c)
{
    if (!c->dirty)
        return;
    for (struct ac__h2_conn **p = &c->srv->dirty; *p; p = &(*p)->dirty_next) {
        if (*p == c) {
            *p = c->dirty_next;
            break;
        }
    }
    c->dirty = 0;
}

static void on_closed(uv_handle_t *h)
{
    struct ac__h2_conn *c = (struct ac__h2_conn *)h;
    struct ac_h2_server *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    undirty(c);
    conn_destroy(c);
    ac__h2_server_conn_gone(srv);
}

void ac__h2_conn_close(struct ac__h2_conn *c, const char *why)
{
    if (c->closing)
        return;
    c->closing = 1;
    ac__conn_log(c->srv, AC_LOG_INFO, "conn %s closed: %s", c->peer, why);
    if (!c->memory)
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

void ac__h2_stream_consume(struct ac__stream *s, size_t n)
{
    struct ac__h2_conn *c = s->conn;
    if (n > s->unconsumed)
        n = s->unconsumed;
    if (n == 0)
        return;
    s->unconsumed -= n;
    s->last_body_ms = uv_now(c->srv->loop);
    if (nghttp2_session_consume(c->h2, s->id, n) != 0) {
        ac__h2_conn_close(c, ac_strerror(AC_ENOMEM));
        return;
    }
    ac__h2_conn_flush(c);
}

/* Tells the handler of a streamed body that it ended, well (1) or not. */
static void body_end(struct ac__stream *s, int status)
{
    struct ac_http_exchange *x = s->x;
    if (s->body_ended || !x || !x->body_cb)
        return;
    s->body_ended = 1;
    x->body_cb(x, NULL, 0, status, x->body_arg);
}

/* Answers a request the server itself rejects (413, 431, 408, routing errors). */
static void reject(struct ac__stream *s, int status, const char *slug, const char *title,
                   const char *field, const char *detail)
{
    struct ac_http_exchange *x = s->x;
    s->rejected = 1;
    x->dispatched = 1; /* from here the exchange belongs to the respond call */
    ac_http_respond_problem(x, status, slug, title, field, "%s", detail);
}

/* Fills the request from what the header block carried and matches its route.
 * Returns 0 when routed; otherwise the stream has been answered (404, 405, 400
 * or 500) and its body, if any, is discarded unread. */
static int route(struct ac__stream *s)
{
    struct ac__h2_conn *c = s->conn;
    struct ac_http_exchange *x = s->x;
    struct ac_http_req *req = &x->req;
    req->method = x->method ? x->method : "";
    req->path = x->path ? x->path : "";
    req->query = x->query ? x->query : "";
    req->authority = x->authority ? x->authority : "";
    req->headers = x->headers;
    req->nheaders = x->nheaders;
    req->peer = x->peer; /* the exchange's copy: a handler may outlive the connection */
    req->tls = c->tls != NULL;
    size_t mlen = strnlen(req->method, sizeof(s->method) - 1);
    memcpy(s->method, req->method, mlen);
    s->method[mlen] = '\0';
    s->head = strcmp(req->method, "HEAD") == 0;

    char allow[128];
    char detail[512];
    /* The decoded parameters need at most the path's length (each follows a
     * '/' that becomes its NUL), so they go in the exchange's arena. */
    size_t plen = strlen(req->path);
    char *pbuf = ac__exchange_alloc(x, plen);
    int rc = ac_router_match_into(c->srv->router, req->method, req->path, &x->match, allow,
                                  sizeof(allow), pbuf, pbuf ? plen : 0);
    if (rc == AC_ENOENT) {
        snprintf(detail, sizeof(detail), "no resource at path \"%.200s\"", req->path);
        reject(s, 404, "not-found", "Not Found", ":path", detail);
        return -1;
    }
    if (rc == AC_EACCES) {
        struct ac_http_header h[2] = {{"content-type", "application/problem+json"},
                                      {"allow", allow}};
        snprintf(detail, sizeof(detail),
                 "method %.16s is not allowed on \"%.120s\"; allowed: %.127s", req->method,
                 req->path, allow);
        char *body = NULL;
        json_t *o = json_pack(
            "{s:s,s:s,s:i,s:s,s:s}", "type", "https://accord.example/problems/method-not-allowed",
            "title", "Method Not Allowed", "status", 405, "detail", detail, "field", ":method");
        if (o)
            body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        s->rejected = 1;
        x->dispatched = 1;
        ac_http_respond(x, 405, h, 2, body, body ? strlen(body) : 0);
        free(body);
        return -1;
    }
    if (rc == AC_EINVAL) {
        snprintf(detail, sizeof(detail), "path \"%.200s\" has a malformed percent-encoding",
                 req->path);
        reject(s, 400, "bad-path", "Bad Request", ":path", detail);
        return -1;
    }
    if (rc) {
        reject(s, 500, "internal", "Internal Server Error", NULL,
               "out of memory routing the request");
        return -1;
    }
    s->route = x->match.pattern;
    req->route = x->match.pattern;
    s->stream_body = x->match.stream_body != 0;
    return 0;
}

/* Hands a complete, routed request to its handler, unless the response buffer
 * is full: then the request waits (deferred) until the peer reads, so that a
 * peer that never reads cannot make the handlers produce without bound. */
static void dispatch(struct ac__stream *s)
{
    struct ac_http_exchange *x = s->x;
    s->request_done = 1;
    if (ac__h2_response_budget_spent(s->conn)) {
        s->deferred = 1;
        return;
    }
    s->deferred = 0;
    x->req.body = x->body.len ? x->body.data : NULL;
    x->req.body_len = x->body.len;
    x->dispatched = 1;
    ac__exchange_mark(x);
    x->match.cb(x, x->match.arg);
}

/* Dispatches the deferred requests of |c| while the response buffer has room.
 * A handler's answer may close streams, so the list is scanned afresh after
 * each one. Never called from inside an nghttp2 callback. */
static void resume_deferred(struct ac__h2_conn *c)
{
    while (!c->closing && !ac__h2_response_budget_spent(c)) {
        struct ac__stream *s = c->streams;
        while (s && !(s->deferred && s->x && !s->x->dispatched))
            s = s->next;
        if (!s)
            return;
        dispatch(s);
    }
}

/* ---- nghttp2 callbacks ---- */

static struct ac__stream *stream_of(struct ac__h2_conn *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->h2, id);
}

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *frame, void *user)
{
    struct ac__h2_conn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    /* nghttp2 enforces SETTINGS_MAX_CONCURRENT_STREAMS only once the peer has
     * acknowledged our SETTINGS; this holds the limit from the first frame. */
    if (c->nstreams >= c->srv->limits.max_concurrent_streams) {
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    struct ac__stream *s = calloc(1, sizeof(*s));
    if (!s || ac__exchange_new(&s->x)) {
        free(s);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    s->conn = c;
    s->id = frame->hd.stream_id;
    s->started_ms = uv_now(c->srv->loop);
    s->x->started_ms = s->started_ms;
    s->x->stream = s;
    s->x->srv = c->srv;
    _Static_assert(sizeof(s->x->peer) == sizeof(c->peer), "a conn's peer fits an exchange's");
    memcpy(s->x->peer, c->peer, sizeof(s->x->peer));
    s->next = c->streams;
    if (c->streams)
        c->streams->prev = s;
    c->streams = s;
    c->nstreams++;
    nghttp2_session_set_stream_user_data(h2, s->id, s);
    return 0;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    (void)h2;
    (void)flags;
    struct ac__h2_conn *c = user;
    struct ac__stream *s = stream_of(c, frame->hd.stream_id);
    if (!s || !s->x || s->headers_done)
        return 0; /* trailers and refused streams are ignored */
    /* RFC 9113 6.5.2: each field counts its name, value and 32 bytes. */
    s->header_bytes += namelen + valuelen + 32;
    if (s->header_bytes > c->srv->limits.max_header_bytes)
        return 0; /* answered with 431 when the block ends */
    if (ac__exchange_add_header(s->x, name, namelen, value, valuelen))
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

/* The end of a request's header block: everything that can be refused without
 * the body is refused here, before any of it is read or held. */
static void on_request_headers(struct ac__stream *s, int body_follows)
{
    struct ac__h2_conn *c = s->conn;
    struct ac_h2_server *srv = c->srv;
    char detail[200];
    s->headers_done = 1;
    if (s->header_bytes > srv->limits.max_header_bytes) {
        snprintf(detail, sizeof(detail), "header list is %zu bytes; the limit is %zu",
                 s->header_bytes, srv->limits.max_header_bytes);
        reject(s, 431, "headers-too-large", "Request Header Fields Too Large", NULL, detail);
        return;
    }
    if (route(s))
        return;
    uint64_t limit =
        s->stream_body ? srv->limits.max_stream_body_bytes : (uint64_t)srv->limits.max_body_bytes;
    const char *cl = ac_http_header(&s->x->req, "content-length");
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*cl && !*end && n > limit) {
            snprintf(detail, sizeof(detail),
                     "content-length %llu exceeds the limit of %" PRIu64 " bytes", n, limit);
            reject(s, 413, "body-too-large", "Content Too Large", "content-length", detail);
            return;
        }
    }
    struct ac_http_exchange *x = s->x;
    if (body_follows && srv->headers_check) {
        /* The check owns the exchange while it runs: if it answers, the answer
         * frees it and marks the stream answered. */
        x->dispatched = 1;
        ac__exchange_mark(x);
        int rc = srv->headers_check(srv->headers_check_arg, x);
        if (s->answered) {
            s->rejected = 1;
            return;
        }
        if (rc == AC_H2_CHECK_PENDING) {
            /* It answers later (ac_http_headers_checked() or a refusal). */
            s->checking = 1;
            return;
        }
        x->dispatched = 0;
    }
    if (!s->stream_body)
        return;
    /* A streamed route's handler takes over now, and reads the body itself.
     * It is not held back by the response budget: it answers once, small,
     * after the body, and holding it back would hold the body in the peer's
     * window with nobody to take it. */
    s->last_body_ms = uv_now(srv->loop);
    x->dispatched = 1;
    ac__exchange_mark(x);
    x->match.cb(x, x->match.arg);
}

/* A streamed route's handler takes over a request its pending check passed:
 * it is given the body held meanwhile (still unconsumed: it consumes it as
 * it takes it), and told of the body's end if that came already. */
static void checked_stream(struct ac__stream *s)
{
    struct ac__h2_conn *c = s->conn;
    struct ac_http_exchange *x = s->x;
    int32_t id = s->id;
    struct ac_buf held = x->body;
    memset(&x->body, 0, sizeof(x->body));
    c->body_bytes -= s->body_held;
    c->srv->body_bytes -= s->body_held;
    s->body_held = 0;
    s->last_body_ms = uv_now(c->srv->loop);
    x->match.cb(x, x->match.arg);
    /* Its answer may have ended the stream (a memory connection flushes at
     * once): found again, and only while the handler still holds |x|. */
    s = stream_of(c, id);
    if (s && s->x == x && held.len && !s->body_ended) {
        s->body_total += held.len;
        if (!x->body_cb || s->body_total > c->srv->limits.max_stream_body_bytes) {
            ac__h2_stream_consume(s, s->unconsumed);
            body_end(s, x->body_cb ? AC_E2BIG : AC_ECANCELED);
        } else {
            x->body_cb(x, held.data, held.len, 0, x->body_arg);
        }
        s = stream_of(c, id);
    }
    ac_buf_release(&held);
    if (s && s->x == x && s->request_done)
        body_end(s, 1);
}

void ac_http_headers_checked(struct ac_http_exchange *x)
{
    struct ac__stream *s = x->stream;
    if (!s) {
        /* Reset, or its connection closed, while the check waited: nobody
         * else will answer it. */
        ac__exchange_free(x);
        return;
    }
    s->checking = 0;
    if (s->stream_body) {
        checked_stream(s);
        return;
    }
    /* A buffered body: what came meanwhile is held within its budgets as
     * any is, so it counts as consumed now, and reopens the window. */
    x->dispatched = 0;
    ac__h2_stream_consume(s, s->unconsumed);
    if (s->conn->closing)
        return;
    if (x->body.len > s->conn->srv->limits.max_body_bytes) {
        char detail[160];
        snprintf(detail, sizeof(detail), "request body exceeds the limit of %zu bytes",
                 s->conn->srv->limits.max_body_bytes);
        reject(s, 413, "body-too-large", "Content Too Large", "body", detail);
        return;
    }
    if (s->request_done)
        dispatch(s);
}

/* Counts a PING or SETTINGS frame; returns 1 when the peer has sent more this
 * second than the limit allows (each makes the server write an ACK). */
static int control_flood(struct ac__h2_conn *c)
{
    uint64_t now = uv_now(c->srv->loop);
    if (now - c->ping_window_ms >= 1000) {
        c->ping_window_ms = now;
        c->pings = 0;
    }
    return ++c->pings > c->srv->limits.max_pings_per_second;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *frame, void *user)
{
    struct ac__h2_conn *c = user;
    uint64_t now = uv_now(c->srv->loop);
    switch (frame->hd.type) {
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
        if (frame->hd.flags & NGHTTP2_FLAG_ACK)
            return 0;
        if (control_flood(c) && !c->shutdown) {
            ac__conn_log(c->srv, AC_LOG_WARN,
                         "conn %s: more than %" PRIu32 " PING/SETTINGS frames in a second", c->peer,
                         c->srv->limits.max_pings_per_second);
            c->shutdown = 1;
            c->shutdown_ms = now;
            c->bad_input = 1;
            c->end_reason = "PING flood";
            nghttp2_session_terminate_session(h2, NGHTTP2_ENHANCE_YOUR_CALM);
        }
        return 0;
    case NGHTTP2_WINDOW_UPDATE:
        if (frame->window_update.window_size_increment > 0)
            c->last_progress = now;
        return 0;
    case NGHTTP2_HEADERS:
        c->last_progress = now;
        break;
    case NGHTTP2_DATA:
        if (frame->hd.length > 0)
            c->last_progress = now;
        break;
    default:
        return 0;
    }
    struct ac__stream *s = stream_of(c, frame->hd.stream_id);
    if (!s)
        return 0;
    int end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !s->headers_done && s->x)
        on_request_headers(s, !end_stream);
    if (end_stream && s->checking) {
        s->request_done = 1; /* dispatched once the check passes it */
    } else if (end_stream && s->stream_body) {
        s->request_done = 1;
        body_end(s, 1);
    } else if (end_stream && s->x && !s->x->dispatched) {
        dispatch(s);
    }
    return 0;
}

/* Hands a chunk of a streamed body to its handler, which consumes it once
 * taken: until then it holds the peer's window shut. */
static void stream_chunk(struct ac__stream *s, const uint8_t *data, size_t len)
{
    struct ac__h2_conn *c = s->conn;
    s->body_total += len;
    if (!s->x->body_cb || s->body_total > c->srv->limits.max_stream_body_bytes) {
        /* Not held: nobody is there to take it. */
        nghttp2_session_consume(c->h2, s->id, len);
        body_end(s, s->x->body_cb ? AC_E2BIG : AC_ECANCELED);
        return;
    }
    s->unconsumed += len;
    s->last_body_ms = uv_now(c->srv->loop);
    s->x->body_cb(s->x, data, len, 0, s->x->body_arg);
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *user)
{
    (void)flags;
    struct ac__h2_conn *c = user;
    struct ac_h2_server *srv = c->srv;
    const struct ac_h2_server_limits *l = &srv->limits;
    struct ac__stream *s = stream_of(c, id);
    if (s && s->checking && s->x) {
        /* Held, not consumed, until the headers check answers: the peer can
         * send no more than its window meanwhile (nghttp2 enforces it). */
        if (ac_buf_append(&s->x->body, data, len))
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        s->unconsumed += len;
        s->body_held += len;
        c->body_bytes += len;
        srv->body_bytes += len;
        return 0;
    }
    if (s && s->stream_body && s->x && !s->body_ended) {
        stream_chunk(s, data, len);
        return 0;
    }
    /* The window is reopened by hand (streamed bodies need that); a
     * buffered body is held within its budgets, so its bytes count as
     * consumed as they arrive, as nghttp2 would count them by itself. */
    if (nghttp2_session_consume(h2, id, len) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (!s || !s->x || s->x->dispatched)
        return 0; /* the rest of a rejected body is discarded */
    char detail[160];
    if (s->x->body.len + len > l->max_body_bytes) {
        snprintf(detail, sizeof(detail), "request body exceeds the limit of %zu bytes",
                 l->max_body_bytes);
        reject(s, 413, "body-too-large", "Content Too Large", "body", detail);
        return 0;
    }
    /* Each body is within its limit, but many at once could still hold the
     * server's memory: the connection and the server have budgets too. */
    if (c->body_bytes + len > l->max_body_buffer_bytes ||
        srv->body_bytes + len > l->max_body_buffer_total) {
        int conn_full = c->body_bytes + len > l->max_body_buffer_bytes;
        snprintf(detail, sizeof(detail),
                 "request bodies in progress exceed the %s limit of %zu bytes; retry later",
                 conn_full ? "per-connection" : "server-wide",
                 conn_full ? l->max_body_buffer_bytes : l->max_body_buffer_total);
        reject(s, 503, "busy", "Server busy", "body", detail);
        return 0;
    }
    if (ac_buf_append(&s->x->body, data, len))
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->body_held += len;
    c->body_bytes += len;
    srv->body_bytes += len;
    return 0;
}

static int on_frame_send(nghttp2_session *h2, const nghttp2_frame *frame, void *user)
{
    struct ac__h2_conn *c = user;
    /* Once written, response frames count as the peer's progress: it read
     * enough of what came before for the socket to take them. */
    if (frame->hd.type == NGHTTP2_HEADERS || (frame->hd.type == NGHTTP2_DATA && frame->hd.length))
        c->sent_response = 1;
    if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct ac__stream *s = stream_of(c, frame->hd.stream_id);
    /* RFC 9113 8.1: a server that answered before the request ended tells the
     * client to stop sending with RST_STREAM(NO_ERROR). */
    if (s && s->rejected && !nghttp2_session_get_stream_remote_close(h2, s->id))
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user)
{
    (void)code;
    struct ac__h2_conn *c = user;
    struct ac__stream *s = stream_of(c, id);
    if (!s)
        return 0;
    nghttp2_session_set_stream_user_data(h2, id, NULL);
    stream_free(s);
    return 0;
}

static ssize_t on_send_nothing(nghttp2_session *h2, const uint8_t *data, size_t len, int flags,
                               void *user)
{
    (void)h2;
    (void)data;
    (void)len;
    (void)flags;
    (void)user;
    return NGHTTP2_ERR_WOULDBLOCK; /* output goes through nghttp2_session_mem_send() */
}

static int session_new(struct ac__h2_conn *c)
{
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs))
        return AC_ENOMEM;
    nghttp2_session_callbacks_set_send_callback(cbs, on_send_nothing);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_option *opt;
    if (nghttp2_option_new(&opt)) {
        nghttp2_session_callbacks_del(cbs);
        return AC_ENOMEM;
    }
    /* Bound the HPACK decoder and the headers nghttp2 itself accepts. */
    nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
    /* Received DATA reopens the peer's window only once consumed: at once for
     * buffered bodies, as a streamed body's handler takes it (flow control
     * then paces the peer to the handler). */
    nghttp2_option_set_no_auto_window_update(opt, 1);
    int rv = nghttp2_session_server_new2(&c->h2, cbs, c, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv)
        return AC_ENOMEM;
    const struct ac_h2_server_limits *l = &c->srv->limits;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, l->max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)l->max_header_bytes},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])))
        return AC_ENOMEM;
    return 0;
}

/* ---- transport ---- */

static void written(struct ac__h2_conn *c);

static void on_written(uv_write_t *req, int status)
{
    struct ac__h2_conn *c = req->data;
    c->writing = 0;
    if (status < 0) {
        c->out.len = 0;
        ac__h2_conn_close(c, uv_strerror(status));
        return;
    }
    written(c);
    ac__h2_conn_flush(c);
}

static void flush_out(struct ac__h2_conn *c);

/* Sends what nghttp2 has, then pulls producers that nghttp2 asked more of
 * while sending, and sends what they gave at once. */
static void flush_now(struct ac__h2_conn *c)
{
    flush_out(c);
    while (c->pull_pending && !c->closing && !c->in_recv && !c->in_pull) {
        c->pull_pending = 0;
        ac__h2_conn_run_pulls(c);
        flush_out(c);
    }
}

void ac__h2_conn_flush(struct ac__h2_conn *c)
{
    if (c->memory) {
        flush_now(c);
        return;
    }
    if (c->dirty || c->closing)
        return;
    struct ac_h2_server *srv = c->srv;
    c->dirty = 1;
    c->dirty_next = srv->dirty;
    srv->dirty = c;
    if (!uv_is_active((uv_handle_t *)&srv->flusher))
        uv_idle_start(&srv->flusher, ac__h2_server_flush);
}

void ac__h2_server_flush(uv_idle_t *flusher)
{
    struct ac_h2_server *srv = flusher->data;
    /* Taken one at a time: a flush may close a connection, or make a producer
     * answer on another one, which then joins the list. */
    struct ac__h2_conn *c;
    while ((c = srv->dirty) != NULL) {
        srv->dirty = c->dirty_next;
        c->dirty = 0;
        c->dirty_next = NULL;
        flush_now(c);
    }
    uv_idle_stop(flusher);
}

/* Notes that the write of |c|'s gathered bytes completed: response frames in
 * it count as the peer's progress, and requests waiting for response buffer
 * may go on. */
static void written(struct ac__h2_conn *c)
{
    c->out.len = 0;
    if (c->sent_response) {
        c->sent_response = 0;
        c->last_progress = uv_now(c->srv->loop);
    }
    resume_deferred(c);
}

/* Moves whatever nghttp2 has to send into writes, unless one is in flight;
 * a write the socket does not take at once finishes in on_written, which
 * asks for the rest. Closes the connection once neither side has anything
 * more to say. */
static void flush_out(struct ac__h2_conn *c)
{
    for (;;) {
        if (c->in_recv || c->writing || c->closing)
            return;
        /* Records the TLS layer produced while reading go first: they
         * precede, in the TLS stream, anything encrypted from here on. */
        if (c->tls_out.len) {
            if (ac_buf_append(&c->out, c->tls_out.data, c->tls_out.len)) {
                ac__h2_conn_close(c, ac_strerror(AC_ENOMEM));
                return;
            }
            c->tls_out.len = 0;
        }
        while (c->out.len < WRITE_BATCH && (!c->tls || ac__tls_ready(c->tls))) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(c->h2, &data);
            if (n < 0) {
                ac__h2_conn_close(c, nghttp2_strerror((int)n));
                return;
            }
            if (n == 0)
                break;
            int rc = c->tls ? ac__tls_send(c->tls, data, (size_t)n, &c->out)
                            : ac_buf_append(&c->out, data, (size_t)n);
            if (rc) {
                ac__h2_conn_close(c, ac_strerror(rc));
                return;
            }
        }
        if (c->out.len == 0) {
            if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))
                ac__h2_conn_close(c, c->end_reason ? c->end_reason : "session finished");
            return;
        }
        if (c->memory) {
            c->out.len = 0; /* the memory transport discards output */
            return;
        }
        /* Most writes fit the socket's buffer: written at once, they need no
         * write request, no callback and no re-arming of the poll for it. */
        uv_buf_t b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n >= 0 && (size_t)n == c->out.len) {
            written(c);
            continue;
        }
        if (n < 0 && n != UV_EAGAIN) {
            ac__h2_conn_close(c, uv_strerror(n));
            return;
        }
        /* The rest waits for the socket; a slow reader is timed from here. */
        size_t done = n > 0 ? (size_t)n : 0;
        b = uv_buf_init((char *)c->out.data + done, (unsigned)(c->out.len - done));
        c->wreq.data = c;
        int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written);
        if (rc < 0) {
            ac__h2_conn_close(c, uv_strerror(rc));
            return;
        }
        c->writing = 1;
        return;
    }
}

/* Handles bytes received from the peer: decrypts them when TLS, feeds nghttp2,
 * then flushes what the session wants to send. */
static void recv_bytes(struct ac__h2_conn *c, const uint8_t *data, size_t len)
{
    if (c->closing || c->bad_input)
        return;
    if (c->tls) {
        int rc = ac__tls_recv(c->tls, data, len, &c->plain, &c->tls_out);
        if (rc < 0) {
            /* Send the alert OpenSSL produced, if any, before closing. */
            if (c->tls_out.len && !c->writing && !c->memory) {
                uv_buf_t b = uv_buf_init((char *)c->tls_out.data, (unsigned)c->tls_out.len);
                uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
            }
            ac__h2_conn_close(c, ac_strerror(rc));
            return;
        }
        if (rc == 1) {
            ac__h2_conn_close(c, "peer sent TLS close_notify");
            return;
        }
        /* RFC 9113 §3.2: over TLS, HTTP/2 is only spoken after ALPN chose "h2".
         * A client that offered no ALPN would otherwise fail later, at the
         * preface, with a less useful reason. */
        if (ac__tls_ready(c->tls) && !ac__tls_alpn_h2(c->tls)) {
            ac__h2_conn_close(c, "TLS client did not negotiate ALPN h2");
            return;
        }
        data = c->plain.data;
        len = c->plain.len;
    }
    c->in_recv = 1;
    ssize_t n = len ? nghttp2_session_mem_recv(c->h2, data, len) : 0;
    c->in_recv = 0;
    c->plain.len = 0;
    if (n < 0) {
        /* After a terminating GOAWAY nghttp2 wants neither to read nor to
         * write, so ac__h2_conn_flush() closes the connection once the GOAWAY is out. */
        ac__conn_log(c->srv, AC_LOG_INFO, "conn %s: bad input: %s", c->peer,
                     nghttp2_strerror((int)n));
        c->shutdown = 1;
        c->shutdown_ms = uv_now(c->srv->loop);
        c->end_reason = "protocol error";
        nghttp2_session_terminate_session(c->h2, NGHTTP2_PROTOCOL_ERROR);
        c->bad_input = 1;
        ac__h2_conn_flush(c);
        return;
    }
    ac__h2_conn_flush(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct ac__h2_conn *c = (struct ac__h2_conn *)h;
    buf->base = c->srv->rbuf;
    buf->len = sizeof(c->srv->rbuf);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct ac__h2_conn *c = (struct ac__h2_conn *)stream;
    if (nread > 0)
        recv_bytes(c, (const uint8_t *)buf->base, (size_t)nread);
    else if (nread == UV_EOF)
        ac__h2_conn_close(c, "peer closed the connection");
    else if (nread < 0)
        ac__h2_conn_close(c, uv_strerror((int)nread));
    (void)buf; /* the server's read buffer */
}

static int conn_init(struct ac_h2_server *srv, struct ac__h2_conn *c)
{
    c->srv = srv;
    c->last_progress = uv_now(srv->loop);
    c->accepted_ms = c->last_progress;
    c->ping_window_ms = c->last_progress;
    int rc = session_new(c);
    if (rc == 0 && srv->tls_ctx)
        rc = ac__tls_new(srv->tls_ctx, 1, NULL, &c->tls);
    return rc;
}

static void on_refused_closed(uv_handle_t *h)
{
    free(h);
}

/* Writes the peer's address into |c->addr| and "address:port" into |c->peer|. */
static void name_peer(struct ac__h2_conn *c)
{
    struct sockaddr_storage ss;
    int sslen = sizeof(ss);
    snprintf(c->peer, sizeof(c->peer), "?");
    snprintf(c->addr, sizeof(c->addr), "?");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sslen) != 0)
        return;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, c->addr, sizeof(c->addr));
        snprintf(c->peer, sizeof(c->peer), "[%s]:%d", c->addr, ntohs(a->sin6_port));
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        uv_ip4_name(a, c->addr, sizeof(c->addr));
        snprintf(c->peer, sizeof(c->peer), "%s:%d", c->addr, ntohs(a->sin_port));
    }
}

/* Returns the number of open connections from |addr|. At most
 * max_connections of them, so a linear scan costs less than the accept. */
static size_t conns_from(const struct ac_h2_server *srv, const char *addr)
{
    size_t n = 0;
    for (const struct ac__h2_conn *c = srv->conns; c; c = c->next)
        n += strcmp(c->addr, addr) == 0;
    return n;
}

void ac__h2_conn_accept(struct ac_h2_server *srv, uv_stream_t *listener)
{
    struct ac__h2_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        ac_log_error(AC__LOG, "accept: out of memory");
        return;
    }
    uv_tcp_init(srv->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
        return;
    }
    name_peer(c);
    if (srv->nconns >= srv->limits.max_connections || srv->closing) {
        ac__conn_log(srv, AC_LOG_WARN,
                     "accept %s: refused, %zu connections open (limit %" PRIu32 ")", c->peer,
                     srv->nconns, srv->limits.max_connections);
        uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
        return;
    }
    /* One address may not take every slot: the others stay for other clients. */
    size_t mine = conns_from(srv, c->addr);
    if (mine >= srv->limits.max_connections_per_client) {
        ac__conn_log(srv, AC_LOG_WARN,
                     "accept %s: refused, %zu connections open from %s (limit %" PRIu32 ")",
                     c->peer, mine, c->addr, srv->limits.max_connections_per_client);
        uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
        return;
    }
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = conn_init(srv, c);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc) {
        ac__h2_conn_close(c, ac_strerror(rc));
        return;
    }
    /* Not through the quota: debug lines are usually filtered out, and would
     * spend the quota of the lines that are not. */
    ac_log_debug(AC__LOG, "conn %s accepted", c->peer);
    ac__h2_conn_flush(c);
}

void ac__h2_conn_shutdown(struct ac__h2_conn *c)
{
    if (c->closing || c->shutdown)
        return;
    c->shutdown = 1;
    c->shutdown_ms = uv_now(c->srv->loop);
    if (!c->end_reason)
        c->end_reason = "server closing";
    nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
                          NGHTTP2_NO_ERROR, NULL, 0);
    ac__h2_conn_flush(c);
}

void ac__h2_conn_sweep(struct ac__h2_conn *c, uint64_t now)
{
    const struct ac_h2_server_limits *l = &c->srv->limits;
    if (c->closing)
        return;
    /* Requests waiting for the server-wide response buffer go on when another
     * connection's buffer has drained. */
    resume_deferred(c);
    if (c->closing)
        return;
    if (c->nstreams == 0 && now - c->last_progress >= l->idle_timeout_ms) {
        /* First a GOAWAY, after which ac__h2_conn_flush() closes once it is written; if
         * the peer does not even read that, the next sweep closes anyway. */
        if (c->shutdown) {
            ac__h2_conn_close(c, "idle timeout; GOAWAY not delivered");
            return;
        }
        c->end_reason = "idle timeout";
        ac__h2_conn_shutdown(c);
        return;
    }
    /* After GOAWAY the streams in progress may finish, within a request and an
     * idle timeout; a peer that keeps the connection past that is cut. The
     * server's own close has its grace period instead. */
    if (c->shutdown && !c->srv->closing &&
        now - c->shutdown_ms >= l->request_timeout_ms + l->idle_timeout_ms) {
        ac__h2_conn_close(c, c->end_reason ? c->end_reason : "GOAWAY not honoured");
        return;
    }
    /* A connection is not kept forever, even a busy one: peers reconnect, and
     * slots and per-connection state are renewed. GOAWAY lets its streams end. */
    if (!c->shutdown && now - c->accepted_ms >= l->max_connection_lifetime_ms) {
        c->end_reason = "maximum connection lifetime reached";
        ac__h2_conn_shutdown(c);
        if (c->closing)
            return;
    }
    /* Streams already answered, or complete but waiting until what was answered
     * is read, wait on the peer alone: to read what we wrote and to open its
     * flow-control window. A peer that does neither for the idle timeout
     * would otherwise hold the connection and its memory forever (a slow-read
     * attack); PINGs do not count as reading. Streams a handler still works
     * on, or that wait for the server-wide buffer alone, are not its fault. */
    int peer_turn = c->nstreams > 0, deferred = 0;
    for (struct ac__stream *s = c->streams; s && peer_turn; s = s->next) {
        peer_turn = (s->answered && !s->pull_out) || s->deferred;
        deferred |= s->deferred;
    }
    if (deferred && c->resp_bytes == 0)
        peer_turn = 0;
    if (peer_turn && now - c->last_progress >= l->idle_timeout_ms) {
        ac__h2_conn_close(c, "peer stopped reading its responses");
        return;
    }
    struct ac__stream *next;
    for (struct ac__stream *s = c->streams; s; s = next) {
        next = s->next;
        /* A streamed body may take long, but not stall: the handler is told
         * once no bytes came for the request timeout while it had taken all
         * it was given (when it had not, the peer was right to wait). */
        if (s->stream_body && s->x && s->x->dispatched && !s->body_ended && s->unconsumed == 0 &&
            now - s->last_body_ms >= l->request_timeout_ms) {
            /* Its answer may close streams, |next| among them: one a sweep. */
            body_end(s, AC_ETIMEDOUT);
            return;
        }
        if (!s->x || s->x->dispatched || s->deferred || now - s->started_ms < l->request_timeout_ms)
            continue;
        if (!s->headers_done) {
            /* A header block in progress blocks every other stream, so the
             * connection as a whole is too slow. */
            ac__h2_conn_close(c, "request headers not received in time");
            return;
        }
        char detail[120];
        snprintf(detail, sizeof(detail), "the request was not received within %" PRIu64 " ms",
                 l->request_timeout_ms);
        reject(s, 408, "request-timeout", "Request Timeout", NULL, detail);
    }
}

int ac__h2_conn_memory_new(struct ac_h2_server *srv, struct ac__h2_conn **out)
{
    struct ac__h2_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return AC_ENOMEM;
    c->memory = 1;
    snprintf(c->peer, sizeof(c->peer), "memory");
    int rc = conn_init(srv, c);
    if (rc) {
        conn_destroy(c);
        return rc;
    }
    ac__h2_conn_flush(c);
    *out = c;
    return 0;
}

int ac__h2_conn_memory_feed(struct ac__h2_conn *c, const uint8_t *data, size_t len)
{
    recv_bytes(c, data, len);
    /* The memory transport has no write callback to resume deferred requests. */
    resume_deferred(c);
    ac__h2_conn_flush(c);
    return c->closing || c->bad_input ? AC_EPROTO : 0;
}

void ac__h2_conn_memory_free(struct ac__h2_conn *c)
{
    if (c)
        conn_destroy(c);
}
