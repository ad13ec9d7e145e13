/* h2_client.c - the HTTP/2 client: one lazily opened connection per origin
 * carrying multiplexed requests, with deadlines, TLS verification and pinning. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/net/h2_client.h"
#include "accord/base/log.h"
#include "internal.h"

#define WRITE_BATCH (64 * 1024)

struct creq {
    struct creq *prev, *next; /* in cl->reqs, or a private list while failing */
    struct ac_h2_client *cl;
    int32_t stream_id; /* 0 until submitted */
    char *method, *path;
    struct ac_http_header *headers; /* owned copies, names lowercased */
    size_t nheaders;
    uint8_t *body;
    size_t len, off;
    ac_h2_response_cb cb;
    void *arg;
    uint64_t deadline; /* uv_now() by which the response must be complete; 0 until sent */
    struct ac_h2_response resp;
    size_t cap_headers;
    size_t header_bytes; /* RFC 9113 6.5.2 size of every field received on the stream */
    struct ac_buf rbody;
};

struct ac__cconn {
    uv_tcp_t tcp;            /* first: cast from uv_handle_t * */
    struct ac_h2_client *cl; /* borrowed; freed only after every conn */
    uv_getaddrinfo_t gai;
    uv_connect_t creq;
    nghttp2_session *h2; /* owned; NULL until connected (and TLS done) */
    struct ac__tls *tls; /* owned */
    uv_write_t wreq;
    struct ac_buf out;   /* the write in flight, or being gathered */
    struct ac_buf plain; /* decrypted input for nghttp2 */
    /* TLS records produced while reading; apart from |out| because a write
     * may be in flight (see the server's h2_conn.c). */
    struct ac_buf tls_out;
    uint64_t connect_deadline;
    int fail_err; /* a failure found where callbacks may not run; applied by the timer */
    unsigned resolving : 1, ready : 1, writing : 1, closing : 1, in_recv : 1, tcp_closed : 1,
        memory : 1; /* the fuzz target's memory transport: no socket, output discarded */
};

struct ac_h2_client {
    uv_loop_t *loop;
    char *host; /* without brackets */
    char port[8];
    char *authority;
    int https;
    struct ac_h2_client_config cfg;
    uint8_t pin[32];
    SSL_CTX *ssl_ctx;              /* owned; NULL for http */
    struct ac__cconn *conn;        /* the current connection, or NULL */
    struct creq *reqs, *reqs_tail; /* every request whose callback has not fired */
    uv_timer_t timer;
    size_t live; /* conns not yet freed, plus the timer until closed */
    unsigned closing : 1;
};

static void conn_flush(struct ac__cconn *c);
static void conn_fail(struct ac__cconn *c, int err, const char *why);

/* ---- requests ---- */

static void req_free(struct creq *r)
{
    free(r->method);
    free(r->path);
    for (size_t i = 0; i < r->nheaders; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    for (size_t i = 0; i < r->resp.nheaders; i++) {
        free((char *)r->resp.headers[i].name);
        free((char *)r->resp.headers[i].value);
    }
    free(r->resp.headers);
    ac_buf_release(&r->rbody);
    free(r);
}

static void unlink_req(struct creq **head, struct creq **tail, struct creq *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else if (tail)
        *tail = r->prev;
    r->prev = r->next = NULL;
}

/* Fires the callback of a request already unlinked, then frees it. */
static void req_finish(struct creq *r, int err)
{
    if (err == 0) {
        if (ac_buf_terminate(&r->rbody)) {
            err = AC_ENOMEM;
        } else {
            r->resp.body = r->rbody.data ? r->rbody.data : (uint8_t *)"";
            r->resp.body_len = r->rbody.len;
        }
    }
    r->cb(r->arg, err, err ? NULL : &r->resp);
    req_free(r);
}

static void req_complete(struct creq *r, int err)
{
    struct ac_h2_client *cl = r->cl;
    unlink_req(&cl->reqs, &cl->reqs_tail, r);
    req_finish(r, err);
}

static ssize_t on_read_req_body(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
                                uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)h2;
    (void)id;
    (void)user;
    struct creq *r = src->ptr;
    return ac__h2_copy_body(r->body, r->len, &r->off, buf, length, flags);
}

/* Submits |r| on the ready session. Returns 0 or AC_ENOMEM. */
static int req_submit(struct ac__cconn *c, struct creq *r)
{
    struct ac_h2_client *cl = c->cl;
    nghttp2_nv *nv = calloc(r->nheaders + 5, sizeof(*nv));
    if (!nv)
        return AC_ENOMEM;
    char clen[24];
    size_t n = 0;
    nv[n++] = ac__h2_nv(":method", r->method);
    nv[n++] = ac__h2_nv(":scheme", cl->https ? "https" : "http");
    nv[n++] = ac__h2_nv(":authority", cl->authority);
    nv[n++] = ac__h2_nv(":path", r->path);
    for (size_t i = 0; i < r->nheaders; i++)
        nv[n++] = ac__h2_nv(r->headers[i].name, r->headers[i].value);
    if (r->len) {
        snprintf(clen, sizeof(clen), "%zu", r->len);
        nv[n++] = ac__h2_nv("content-length", clen);
    }
    nghttp2_data_provider dp = {.source.ptr = r, .read_callback = on_read_req_body};
    int32_t id = nghttp2_submit_request(c->h2, NULL, nv, n, r->len ? &dp : NULL, r);
    free(nv);
    if (id < 0)
        return id == NGHTTP2_ERR_NOMEM ? AC_ENOMEM : AC_EPROTO;
    r->stream_id = id;
    r->deadline = uv_now(cl->loop) + cl->cfg.request_timeout_ms;
    return 0;
}

/* ---- nghttp2 callbacks ---- */

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    (void)flags;
    (void)user;
    struct creq *r = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
    if (!r || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    /* RFC 9113 6.5.2: each field counts its name, value and 32 bytes. The
     * limit is advertised in SETTINGS, but a hostile origin may ignore it, and
     * the fields are stored, so it is enforced here too. */
    r->header_bytes += namelen + valuelen + 32;
    if (r->header_bytes > AC__H2_CLIENT_MAX_HEADER_BYTES) {
        ac_log_warn(AC__LOG, "%s %s: response header fields exceed %d bytes", r->method, r->path,
                    AC__H2_CLIENT_MAX_HEADER_BYTES);
        nghttp2_session_set_stream_user_data(h2, frame->hd.stream_id, NULL);
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_CANCEL);
        req_complete(r, AC_E2BIG);
        return 0;
    }
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        /* RFC 9110 15: three digits; anything else leaves the status 0, which
         * fails the request with AC_EPROTO when the stream ends. */
        int st = 0;
        for (size_t i = 0; valuelen == 3 && i < 3; i++)
            st = isdigit(value[i]) ? st * 10 + (value[i] - '0') : -1000;
        /* Informational (1xx) heads are followed by the real one. */
        if (st >= 200)
            r->resp.status = st;
        return 0;
    }
    if (r->resp.status < 200)
        return 0;
    if (r->resp.nheaders == r->cap_headers) {
        size_t cap = r->cap_headers ? r->cap_headers * 2 : 8;
        struct ac_http_header *h = realloc(r->resp.headers, cap * sizeof(*h));
        if (!h)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        r->resp.headers = h;
        r->cap_headers = cap;
    }
    char *nm = strndup((const char *)name, namelen), *v = strndup((const char *)value, valuelen);
    if (!nm || !v) {
        free(nm);
        free(v);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    r->resp.headers[r->resp.nheaders].name = nm;
    r->resp.headers[r->resp.nheaders].value = v;
    r->resp.nheaders++;
    return 0;
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *user)
{
    (void)flags;
    (void)user;
    struct creq *r = nghttp2_session_get_stream_user_data(h2, id);
    if (!r)
        return 0;
    if (r->rbody.len + len > r->cl->cfg.max_response_bytes) {
        ac_log_warn(AC__LOG, "%s %s: response larger than %zu bytes", r->method, r->path,
                    r->cl->cfg.max_response_bytes);
        nghttp2_session_set_stream_user_data(h2, id, NULL);
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        req_complete(r, AC_E2BIG);
        return 0;
    }
    if (ac_buf_append(&r->rbody, data, len))
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user)
{
    (void)user;
    struct creq *r = nghttp2_session_get_stream_user_data(h2, id);
    if (!r)
        return 0;
    nghttp2_session_set_stream_user_data(h2, id, NULL);
    if (code != NGHTTP2_NO_ERROR || r->resp.status == 0) {
        ac_log_info(AC__LOG, "%s %s: stream closed: %s", r->method, r->path,
                    nghttp2_http2_strerror(code));
        req_complete(r, AC_EPROTO);
    } else {
        req_complete(r, 0);
    }
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

/* ---- connection ---- */

static void timer_arm(struct ac_h2_client *cl);

static void client_maybe_free(struct ac_h2_client *cl)
{
    if (!cl->closing || cl->live > 0)
        return;
    SSL_CTX_free(cl->ssl_ctx);
    free(cl->host);
    free(cl->authority);
    free((void *)cl->cfg.ca_file);
    free(cl);
}

static void conn_maybe_free(struct ac__cconn *c)
{
    if (!c->tcp_closed || c->resolving)
        return;
    struct ac_h2_client *cl = c->cl;
    nghttp2_session_del(c->h2);
    ac__tls_free(c->tls);
    ac_buf_release(&c->out);
    ac_buf_release(&c->plain);
    ac_buf_release(&c->tls_out);
    free(c);
    cl->live--;
    client_maybe_free(cl);
}

static void on_conn_closed(uv_handle_t *h)
{
    struct ac__cconn *c = (struct ac__cconn *)h;
    c->tcp_closed = 1;
    conn_maybe_free(c);
}

/* The only way a client connection ends: every request waiting on it fails
 * with |err|, and the memory goes once the socket and resolver are done. */
static void conn_fail(struct ac__cconn *c, int err, const char *why)
{
    if (c->closing)
        return;
    c->closing = 1;
    struct ac_h2_client *cl = c->cl;
    ac_log_info(AC__LOG, "connection to %s closed: %s", cl->authority, why);
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->gai);
    if (!c->memory)
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    if (cl->conn != c)
        return;
    cl->conn = NULL;
    /* Take the list first: callbacks may start new requests, which belong to
     * the next connection and must not be failed here. */
    struct creq *list = cl->reqs;
    cl->reqs = cl->reqs_tail = NULL;
    while (list) {
        struct creq *r = list;
        unlink_req(&list, NULL, r);
        if (r->stream_id && c->h2)
            nghttp2_session_set_stream_user_data(c->h2, r->stream_id, NULL);
        req_finish(r, err);
    }
}

static void on_written(uv_write_t *req, int status)
{
    struct ac__cconn *c = req->data;
    c->writing = 0;
    c->out.len = 0;
    if (status < 0) {
        conn_fail(c, status, uv_strerror(status));
        return;
    }
    conn_flush(c);
}

static void conn_flush(struct ac__cconn *c)
{
    if (c->in_recv || c->writing || c->closing)
        return;
    if (c->tls_out.len) {
        if (ac_buf_append(&c->out, c->tls_out.data, c->tls_out.len)) {
            conn_fail(c, AC_ENOMEM, ac_strerror(AC_ENOMEM));
            return;
        }
        c->tls_out.len = 0;
    }
    while (c->h2 && c->out.len < WRITE_BATCH) {
        if (c->memory)
            c->out.len = 0; /* the memory transport discards output */
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->h2, &data);
        if (n < 0) {
            conn_fail(c, AC_EPROTO, nghttp2_strerror((int)n));
            return;
        }
        if (n == 0)
            break;
        int rc = c->tls ? ac__tls_send(c->tls, data, (size_t)n, &c->out)
                        : ac_buf_append(&c->out, data, (size_t)n);
        if (rc) {
            conn_fail(c, rc, ac_strerror(rc));
            return;
        }
    }
    if (c->out.len == 0) {
        if (c->h2 && !nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))
            conn_fail(c, AC_EPROTO, "server ended the session");
        return;
    }
    if (c->memory) {
        c->out.len = 0;
        return;
    }
    uv_buf_t b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
    c->wreq.data = c;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc < 0) {
        conn_fail(c, rc, uv_strerror(rc));
        return;
    }
    c->writing = 1;
}

/* Starts HTTP/2 once the transport is ready (TCP, or TLS after the handshake). */
static int session_start(struct ac__cconn *c)
{
    struct ac_h2_client *cl = c->cl;
    if (c->tls) {
        if (!ac__tls_alpn_h2(c->tls)) {
            ac_log_warn(AC__LOG, "%s did not agree to ALPN h2", cl->authority);
            return AC_EPROTO;
        }
        if (cl->cfg.pin_spki_sha256 && ac__tls_check_pin(c->tls, cl->pin)) {
            ac_log_warn(AC__LOG,
                        "%s: refused: the server's public key is not the pinned SPKI "
                        "SHA-256",
                        cl->authority);
            return AC_ETLS;
        }
    }
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs))
        return AC_ENOMEM;
    nghttp2_session_callbacks_set_send_callback(cbs, on_send_nothing);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    int rv = nghttp2_session_client_new(&c->h2, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rv)
        return AC_ENOMEM;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, AC__H2_CLIENT_MAX_HEADER_BYTES}};
    if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 2))
        return AC_ENOMEM;
    c->ready = 1;
    /* Failures go to a private list and their callbacks fire after the walk:
     * a callback may close the client, which frees every request still in
     * cl->reqs, including the walk's next one. */
    struct creq *failed = NULL, *next;
    int rc = 0;
    for (struct creq *r = cl->reqs; r; r = next) {
        next = r->next;
        if (r->stream_id == 0 && (rc = req_submit(c, r)) != 0) {
            unlink_req(&cl->reqs, &cl->reqs_tail, r);
            r->next = failed;
            failed = r;
        }
    }
    while (failed) {
        struct creq *r = failed;
        unlink_req(&failed, NULL, r);
        req_finish(r, rc);
    }
    timer_arm(cl);
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void conn_recv(struct ac__cconn *c, const uint8_t *data, size_t len)
{
    if (c->tls) {
        int rc = ac__tls_recv(c->tls, data, len, &c->plain, &c->tls_out);
        if (rc < 0) {
            conn_fail(c, rc, ac_strerror(rc));
            return;
        }
        if (rc == 1) {
            conn_fail(c, AC_EPROTO, "server sent TLS close_notify");
            return;
        }
        if (!c->h2 && ac__tls_ready(c->tls)) {
            rc = session_start(c);
            if (rc) {
                conn_fail(c, rc, ac_strerror(rc));
                return;
            }
        }
        data = c->plain.data;
        len = c->plain.len;
    }
    if (c->h2 && len) {
        c->in_recv = 1;
        ssize_t n = nghttp2_session_mem_recv(c->h2, data, len);
        c->in_recv = 0;
        if (n < 0 && !c->closing) {
            c->plain.len = 0;
            conn_fail(c, AC_EPROTO, nghttp2_strerror((int)n));
            return;
        }
    }
    c->plain.len = 0;
    conn_flush(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct ac__cconn *c = (struct ac__cconn *)stream;
    if (nread > 0 && !c->closing)
        conn_recv(c, (const uint8_t *)buf->base, (size_t)nread);
    else if (nread == UV_EOF)
        conn_fail(c, AC_EPROTO, "server closed the connection");
    else if (nread < 0)
        conn_fail(c, (int)nread, uv_strerror((int)nread));
    free(buf->base);
}

static void on_connected(uv_connect_t *req, int status)
{
    struct ac__cconn *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        conn_fail(c, status, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc == 0 && c->cl->https)
        rc = ac__tls_new(c->cl->ssl_ctx, 0, c->cl->host, &c->tls);
    else if (rc == 0)
        rc = session_start(c);
    if (rc) {
        conn_fail(c, rc, ac_strerror(rc));
        return;
    }
    if (c->tls)
        conn_recv(c, NULL, 0); /* produces the ClientHello */
    else
        conn_flush(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct ac__cconn *c = req->data;
    c->resolving = 0;
    if (c->closing) {
        uv_freeaddrinfo(res);
        conn_maybe_free(c);
        return;
    }
    if (status < 0) {
        conn_fail(c, status, uv_strerror(status));
        return;
    }
    c->creq.data = c;
    int rc = uv_tcp_connect(&c->creq, &c->tcp, res->ai_addr, on_connected);
    uv_freeaddrinfo(res);
    if (rc < 0)
        conn_fail(c, rc, uv_strerror(rc));
}

/* Starts a new connection; failures surface through the timer, never here,
 * so a request's callback never runs inside ac_h2_client_request(). */
static int conn_start(struct ac_h2_client *cl)
{
    struct ac__cconn *c = calloc(1, sizeof(*c));
    if (!c)
        return AC_ENOMEM;
    c->cl = cl;
    uv_tcp_init(cl->loop, &c->tcp);
    cl->live++;
    cl->conn = c;
    c->connect_deadline = uv_now(cl->loop) + cl->cfg.connect_timeout_ms;
    c->gai.data = c;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int rc = uv_getaddrinfo(cl->loop, &c->gai, on_resolved, cl->host, cl->port, &hints);
    if (rc < 0)
        c->fail_err = rc;
    else
        c->resolving = 1;
    return 0;
}

/* ---- memory transport (the fuzz target) ---- */

int ac__h2_client_memory_new(struct ac_h2_client *cl, struct ac__cconn **out)
{
    if (cl->conn || cl->https)
        return AC_EINVAL;
    struct ac__cconn *c = calloc(1, sizeof(*c));
    if (!c)
        return AC_ENOMEM;
    c->cl = cl;
    c->memory = 1;
    cl->live++;
    cl->conn = c;
    int rc = session_start(c);
    if (rc) {
        c->closing = 1;
        cl->conn = NULL;
        c->tcp_closed = 1;
        conn_maybe_free(c);
        return rc;
    }
    conn_flush(c);
    *out = c;
    return 0;
}

int ac__h2_client_memory_feed(struct ac__cconn *c, const uint8_t *data, size_t len)
{
    if (!c->closing)
        conn_recv(c, data, len);
    return c->closing ? AC_EPROTO : 0;
}

void ac__h2_client_memory_free(struct ac__cconn *c)
{
    if (!c)
        return;
    conn_fail(c, AC_ECANCELED, "memory transport done");
    c->tcp_closed = 1;
    conn_maybe_free(c);
}

/* ---- deadlines ---- */

static void on_timer(uv_timer_t *t)
{
    struct ac_h2_client *cl = t->data;
    uint64_t now = uv_now(cl->loop);
    struct ac__cconn *c = cl->conn;
    if (c && c->fail_err) {
        conn_fail(c, c->fail_err, uv_strerror(c->fail_err));
    } else if (c && !c->ready && now >= c->connect_deadline) {
        conn_fail(c, AC_ETIMEDOUT, "connect timeout");
    } else if (c) {
        /* Expired requests move to a private list before any callback fires:
         * a callback may close the client, which frees every request still
         * in cl->reqs (a saved |next| among them). Those already taken still
         * get their one callback, with the timeout they met. */
        struct creq *expired = NULL, *expired_tail = NULL, *next;
        for (struct creq *r = cl->reqs; r; r = next) {
            next = r->next;
            if (!r->stream_id || now < r->deadline)
                continue;
            ac_log_info(AC__LOG, "%s %s: no complete response in %llu ms; cancelled", r->method,
                        r->path, (unsigned long long)cl->cfg.request_timeout_ms);
            nghttp2_session_set_stream_user_data(c->h2, r->stream_id, NULL);
            nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, r->stream_id, NGHTTP2_CANCEL);
            unlink_req(&cl->reqs, &cl->reqs_tail, r);
            r->prev = expired_tail;
            if (expired_tail)
                expired_tail->next = r;
            else
                expired = r;
            expired_tail = r;
        }
        while (expired) {
            struct creq *r = expired;
            unlink_req(&expired, &expired_tail, r);
            req_finish(r, AC_ETIMEDOUT);
        }
        if (!cl->closing && cl->conn == c)
            conn_flush(c);
    }
    timer_arm(cl);
}

/* Runs the timer only while something has a deadline, so an idle client does
 * not keep the loop awake for nothing. */
static void timer_arm(struct ac_h2_client *cl)
{
    if (cl->closing)
        return;
    struct ac__cconn *c = cl->conn;
    int busy = cl->reqs || (c && !c->ready);
    if (!busy) {
        uv_timer_stop(&cl->timer);
        return;
    }
    uint64_t iv = cl->cfg.connect_timeout_ms < cl->cfg.request_timeout_ms
                      ? cl->cfg.connect_timeout_ms
                      : cl->cfg.request_timeout_ms;
    iv /= 4;
    if (iv < 5)
        iv = 5;
    if (iv > 1000)
        iv = 1000;
    if (c && c->fail_err)
        iv = 0;
    if (!uv_is_active((uv_handle_t *)&cl->timer) || iv == 0)
        uv_timer_start(&cl->timer, on_timer, iv, iv ? iv : 5);
}

/* ---- public API ---- */

static int parse_url(struct ac_h2_client *cl, const char *url)
{
    const char *p;
    if (strncmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        p = url + 8;
        cl->https = 1;
    } else {
        return AC_EINVAL;
    }
    size_t alen = strcspn(p, "/?#");
    if (p[alen] == '/' && p[alen + 1] != '\0')
        return AC_EINVAL; /* an origin has no path */
    if (p[alen] == '?' || p[alen] == '#' || alen == 0)
        return AC_EINVAL;
    cl->authority = strndup(p, alen);
    if (!cl->authority)
        return AC_ENOMEM;
    const char *hs = cl->authority, *he, *portp = NULL;
    if (*hs == '[') {
        he = strchr(hs, ']');
        if (!he)
            return AC_EINVAL;
        hs++;
        if (he[1] == ':')
            portp = he + 2;
        else if (he[1] != '\0')
            return AC_EINVAL;
    } else {
        he = strchr(hs, ':');
        if (he)
            portp = he + 1;
        else
            he = hs + strlen(hs);
    }
    if (he == hs)
        return AC_EINVAL;
    cl->host = strndup(hs, (size_t)(he - hs));
    if (!cl->host)
        return AC_ENOMEM;
    if (portp) {
        char *end;
        long port = strtol(portp, &end, 10);
        if (*portp == '\0' || *end || port < 1 || port > 65535)
            return AC_EINVAL;
        snprintf(cl->port, sizeof(cl->port), "%ld", port);
    } else {
        snprintf(cl->port, sizeof(cl->port), "%s", cl->https ? "443" : "80");
    }
    return 0;
}

int ac_h2_client_new(uv_loop_t *loop, const char *base_url, const struct ac_h2_client_config *cfg,
                     struct ac_h2_client **out)
{
    struct ac_h2_client *cl = calloc(1, sizeof(*cl));
    if (!cl)
        return AC_ENOMEM;
    cl->loop = loop;
    if (cfg)
        cl->cfg = *cfg;
    if (!cl->cfg.connect_timeout_ms)
        cl->cfg.connect_timeout_ms = 10 * 1000;
    if (!cl->cfg.request_timeout_ms)
        cl->cfg.request_timeout_ms = 30 * 1000;
    if (!cl->cfg.max_response_bytes)
        cl->cfg.max_response_bytes = 64u * 1024 * 1024;
    cl->cfg.ca_file = NULL;
    cl->closing = 1; /* lets client_maybe_free() release a half-built client */
    int rc = parse_url(cl, base_url);
    if (rc == 0 && cfg && cfg->ca_file && !(cl->cfg.ca_file = strdup(cfg->ca_file)))
        rc = AC_ENOMEM;
    if (rc == 0 && cfg && cfg->pin_spki_sha256) {
        memcpy(cl->pin, cfg->pin_spki_sha256, 32);
        cl->cfg.pin_spki_sha256 = cl->pin;
    }
    if (rc == 0 && cl->https)
        rc = ac__tls_client_ctx_new(cl->cfg.ca_file, cl->cfg.insecure, &cl->ssl_ctx);
    if (rc) {
        client_maybe_free(cl);
        return rc;
    }
    cl->closing = 0;
    uv_timer_init(loop, &cl->timer);
    cl->timer.data = cl;
    cl->live = 1;
    *out = cl;
    return 0;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

int ac_h2_client_request(struct ac_h2_client *cl, const char *method, const char *path,
                         const struct ac_http_header *headers, size_t nheaders, const void *body,
                         size_t len, ac_h2_response_cb cb, void *arg)
{
    if (!cl || cl->closing || !method || !*method || !path || path[0] != '/' || !cb ||
        (len && !body))
        return AC_EINVAL;
    struct creq *r = calloc(1, sizeof(*r));
    if (!r)
        return AC_ENOMEM;
    r->cl = cl;
    r->cb = cb;
    r->arg = arg;
    r->method = strdup(method);
    r->path = strdup(path);
    r->headers = nheaders ? calloc(nheaders, sizeof(*r->headers)) : NULL;
    int bad = !r->method || !r->path || (nheaders && !r->headers);
    for (size_t i = 0; !bad && i < nheaders; i++) {
        r->headers[i].name = lower_dup(headers[i].name);
        r->headers[i].value = strdup(headers[i].value);
        r->nheaders++;
        bad = !r->headers[i].name || !r->headers[i].value;
    }
    if (!bad && len) {
        r->body = malloc(len);
        bad = !r->body;
        if (r->body)
            memcpy(r->body, body, len);
        r->len = len;
    }
    if (bad) {
        req_free(r);
        return AC_ENOMEM;
    }
    if (!cl->conn && conn_start(cl)) {
        req_free(r);
        return AC_ENOMEM;
    }
    struct ac__cconn *c = cl->conn;
    if (c->ready) {
        int rc = req_submit(c, r);
        if (rc) {
            req_free(r);
            return rc == AC_ENOMEM ? AC_ENOMEM : AC_EINVAL;
        }
    }
    r->prev = cl->reqs_tail;
    if (cl->reqs_tail)
        cl->reqs_tail->next = r;
    else
        cl->reqs = r;
    cl->reqs_tail = r;
    timer_arm(cl);
    if (c->ready)
        conn_flush(c);
    return 0;
}

const char *ac_h2_response_header(const struct ac_h2_response *resp, const char *lname)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcmp(resp->headers[i].name, lname) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct ac_h2_client *cl = h->data;
    cl->live--;
    client_maybe_free(cl);
}

void ac_h2_client_close(struct ac_h2_client *cl)
{
    if (!cl || cl->closing)
        return;
    if (cl->conn)
        conn_fail(cl->conn, AC_ECANCELED, "client closed");
    cl->closing = 1;
    uv_close((uv_handle_t *)&cl->timer, on_timer_closed);
}

/* ---- one-shot fetch ---- */

struct fetch {
    struct ac_h2_client *cl;
    int err;
    struct ac_h2_response *resp;
};

static int response_copy(const struct ac_h2_response *in, struct ac_h2_response **out)
{
    struct ac_h2_response *r = calloc(1, sizeof(*r));
    if (!r)
        return AC_ENOMEM;
    r->status = in->status;
    r->body = malloc(in->body_len + 1);
    r->headers = in->nheaders ? calloc(in->nheaders, sizeof(*r->headers)) : NULL;
    int bad = !r->body || (in->nheaders && !r->headers);
    for (size_t i = 0; !bad && i < in->nheaders; i++) {
        r->headers[i].name = strdup(in->headers[i].name);
        r->headers[i].value = strdup(in->headers[i].value);
        r->nheaders++;
        bad = !r->headers[i].name || !r->headers[i].value;
    }
    if (bad) {
        ac_h2_response_free(r);
        return AC_ENOMEM;
    }
    memcpy(r->body, in->body, in->body_len);
    r->body[in->body_len] = '\0';
    r->body_len = in->body_len;
    *out = r;
    return 0;
}

static void on_fetched(void *arg, int err, const struct ac_h2_response *resp)
{
    struct fetch *f = arg;
    f->err = err ? err : response_copy(resp, &f->resp);
    ac_h2_client_close(f->cl);
}

int ac_h2_fetch(const char *base_url, const struct ac_h2_client_config *cfg, const char *method,
                const char *path, const struct ac_http_header *headers, size_t nheaders,
                const void *body, size_t len, struct ac_h2_response **out)
{
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        return rc;
    struct fetch f = {0};
    rc = ac_h2_client_new(&loop, base_url, cfg, &f.cl);
    if (rc == 0) {
        rc = ac_h2_client_request(f.cl, method, path, headers, nheaders, body, len, on_fetched, &f);
        if (rc)
            ac_h2_client_close(f.cl);
        uv_run(&loop, UV_RUN_DEFAULT);
        if (rc == 0)
            rc = f.err;
    }
    if (uv_loop_close(&loop) != 0)
        AC_BUG("ac_h2_fetch left a handle open");
    if (rc == 0)
        *out = f.resp;
    else
        ac_h2_response_free(f.resp);
    return rc;
}

void ac_h2_response_free(struct ac_h2_response *resp)
{
    if (!resp)
        return;
    for (size_t i = 0; i < resp->nheaders; i++) {
        free((char *)resp->headers[i].name);
        free((char *)resp->headers[i].value);
    }
    free(resp->headers);
    free(resp->body);
    free(resp);
}
