/* h2_response.c - the responses of a server connection's streams: the header
 * block, the data providers that feed nghttp2 a body held whole or pulled
 * piece by piece from a producer, and the response buffer each connection and
 * the server may hold (requests wait while it is spent). The connection
 * itself (transport, session, requests) is h2_conn.c's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "internal.h"

static ssize_t on_read_body(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
                            uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)h2;
    (void)id;
    (void)user;
    struct ac__stream *s = src->ptr;
    return ac__h2_copy_body(s->resp, s->resp_len, &s->resp_off, buf, length, flags);
}

/* Writes |v| in decimal into |out| (at least 21 bytes), NUL-terminated;
 * returns |out|. snprintf's format parsing is a visible share of a small
 * response, and every response formats two numbers. */
static char *decimal(uint64_t v, char *out)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return out;
}

/* Header fields a response's block holds without allocating the array. */
#define NV_INLINE 16

/* Submits the header block of a response with content-length |length| and
 * the body that |dp| provides (NULL: none). Returns 0 or AC_ENOMEM. */
static int submit_response(struct ac__stream *s, int status, const struct ac_http_header *headers,
                           size_t nheaders, uint64_t length, const nghttp2_data_provider *dp)
{
    nghttp2_nv inline_nv[NV_INLINE];
    nghttp2_nv *nv = inline_nv;
    if (nheaders + 3 > NV_INLINE) {
        nv = calloc(nheaders + 3, sizeof(*nv));
        if (!nv)
            return AC_ENOMEM;
    }
    char st[24], clen[24], date[30];
    decimal((uint64_t)status, st);
    decimal(length, clen);
    ac__http_date(date);
    size_t n = 0;
    nv[n++] = ac__h2_nv(":status", st);
    for (size_t i = 0; i < nheaders; i++)
        nv[n++] = ac__h2_nv(headers[i].name, headers[i].value);
    nv[n++] = ac__h2_nv("content-length", clen);
    nv[n++] = ac__h2_nv("date", date);
    /* nghttp2 copies the header block, so the stack strings may go. */
    int rc = nghttp2_submit_response(s->conn->h2, s->id, nv, n, dp) == 0 ? 0 : AC_ENOMEM;
    if (nv != inline_nv)
        free(nv);
    return rc;
}

/* Marks |s| answered, and, for a streamed body still arriving, stops taking
 * it: what the handler had not consumed is given back to the peer's window,
 * and the rest of the body is discarded (RST_STREAM NO_ERROR once the answer
 * is out, as for any early answer). */
static void mark_answered(struct ac__stream *s, int status)
{
    s->answered = 1;
    s->x = NULL; /* the caller frees the exchange */
    /* A pending headers check that refused (h2_conn.c): the rest of the
     * body is discarded, as when the check refuses at once. */
    if ((s->stream_body || s->checking) && !s->request_done) {
        s->body_ended = 1;
        s->rejected = 1;
    }
    s->checking = 0;
    if (s->unconsumed) {
        nghttp2_session_consume(s->conn->h2, s->id, s->unconsumed);
        s->unconsumed = 0;
    }
    ac__h2_stream_observe(s, status);
}

int ac__h2_stream_respond(struct ac__stream *s, int status, const struct ac_http_header *headers,
                          size_t nheaders, const void *body, size_t len)
{
    struct ac__h2_conn *c = s->conn;
    if (s->answered)
        return AC_EBUG;
    mark_answered(s, status);
    if (status < 100 || status > 999)
        status = 500;

    int rc = AC_ENOMEM;
    /* RFC 9110 9.3.2: HEAD gets the headers GET would, content-length included,
     * and no content. */
    size_t send_len = s->head ? 0 : len;
    if (send_len) {
        s->resp = malloc(send_len);
        if (s->resp) {
            memcpy(s->resp, body, send_len);
            s->resp_len = send_len;
            c->resp_bytes += send_len;
            c->srv->resp_bytes += send_len;
        }
    }
    if (!send_len || s->resp) {
        nghttp2_data_provider dp = {.source.ptr = s, .read_callback = on_read_body};
        rc = submit_response(s, status, headers, nheaders, len, send_len ? &dp : NULL);
    }
    if (rc)
        nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    ac__h2_conn_flush(c);
    return rc;
}

void ac__h2_stream_drop_response(struct ac__stream *s)
{
    struct ac__h2_conn *c = s->conn;
    if (!s->resp)
        return;
    c->resp_bytes -= s->resp_len;
    c->srv->resp_bytes -= s->resp_len;
    free(s->resp);
    s->resp = NULL;
    s->resp_len = s->resp_off = 0;
}

/* Asks for |s|'s producer to be pulled when ac__h2_conn_flush() next runs: never from
 * here, inside nghttp2, where the producer's write could not be taken. */
static void want_pull(struct ac__stream *s)
{
    if (s->sx && !s->pull_out && !s->resp_last) {
        s->pull_wanted = 1;
        s->conn->pull_pending = 1;
    }
}

static ssize_t on_read_stream(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
                              uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)h2;
    (void)id;
    (void)user;
    struct ac__stream *s = src->ptr;
    size_t n = s->resp_len - s->resp_off;
    if (n == 0) {
        if (s->resp_last) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            return 0;
        }
        want_pull(s);
        return NGHTTP2_ERR_DEFERRED;
    }
    if (n > length)
        n = length;
    memcpy(buf, s->resp + s->resp_off, n);
    s->resp_off += n;
    if (s->resp_off == s->resp_len) {
        ac__h2_stream_drop_response(s);
        if (s->resp_last)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        else
            want_pull(s); /* the next piece is read while this one is sent */
    }
    return (ssize_t)n;
}

int ac__h2_stream_respond_stream(struct ac__stream *s, struct ac_http_exchange *x, int status,
                                 const struct ac_http_header *headers, size_t nheaders,
                                 uint64_t length, ac_http_pull_cb pull, void *arg)
{
    struct ac__h2_conn *c = s->conn;
    if (s->answered)
        return AC_EBUG;
    mark_answered(s, status);
    if (status < 100 || status > 999)
        status = 500;
    int body = !s->head && length > 0;
    nghttp2_data_provider dp = {.source.ptr = s, .read_callback = on_read_stream};
    if (submit_response(s, status, headers, nheaders, length, body ? &dp : NULL)) {
        nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
        ac__h2_conn_flush(c);
        return AC_ENOMEM;
    }
    if (body) {
        s->sx = x;
        s->pull = pull;
        s->pull_arg = arg;
        s->resp_length = length;
    }
    ac__h2_conn_flush(c);
    return body ? 0 : 1;
}

int ac__h2_stream_write(struct ac__stream *s, const void *data, size_t len, int last)
{
    struct ac__h2_conn *c = s->conn;
    s->pull_out = 0;
    int rc = 0;
    /* A piece is asked for only once the last one was taken, and the pieces
     * must add up to the content-length already sent. */
    if (s->resp || len > s->resp_length - s->resp_given ||
        (last && s->resp_given + len != s->resp_length))
        rc = AC_EINVAL;
    if (!rc && len) {
        s->resp = malloc(len);
        if (!s->resp)
            rc = AC_ENOMEM;
    }
    if (rc) {
        s->sx = NULL;
        nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    } else {
        if (len) {
            memcpy(s->resp, data, len);
            s->resp_len = len;
            c->resp_bytes += len;
            c->srv->resp_bytes += len;
        }
        s->resp_given += len;
        if (last) {
            s->resp_last = 1;
            s->sx = NULL; /* the caller frees the exchange */
        }
        nghttp2_session_resume_data(c->h2, s->id);
    }
    if (!c->in_pull)
        ac__h2_conn_flush(c);
    return rc;
}

void ac__h2_stream_abort(struct ac__stream *s)
{
    struct ac__h2_conn *c = s->conn;
    s->sx = NULL;
    s->pull_out = 0;
    nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    if (!c->in_pull)
        ac__h2_conn_flush(c);
}

int ac__h2_response_budget_spent(const struct ac__h2_conn *c)
{
    const struct ac_h2_server_limits *l = &c->srv->limits;
    return c->resp_bytes >= l->max_response_buffer_bytes ||
           c->srv->resp_bytes >= l->max_response_buffer_total;
}

void ac__h2_conn_run_pulls(struct ac__h2_conn *c)
{
    c->in_pull = 1;
    for (struct ac__stream *s = c->streams; s; s = s->next) {
        if (!s->pull_wanted)
            continue;
        s->pull_wanted = 0;
        if (!s->sx || s->pull_out)
            continue;
        s->pull_out = 1;
        s->pull(s->sx, s->pull_arg);
    }
    c->in_pull = 0;
}
