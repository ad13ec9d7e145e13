/* h2_server.c - the HTTP/2 server: listeners, limits, the sweep timer that
 * enforces deadlines, and graceful close. Connections live in h2_conn.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"

static const struct ac_h2_server_limits default_limits = {
    .max_body_bytes = 1024 * 1024,
    .max_stream_body_bytes = 2ull * 1024 * 1024 * 1024,
    .max_header_bytes = 16 * 1024,
    .max_concurrent_streams = 100,
    .max_connections = 1024,
    .max_connections_per_client = 64,
    .idle_timeout_ms = 60 * 1000,
    .request_timeout_ms = 30 * 1000,
    .max_connection_lifetime_ms = 60 * 60 * 1000,
    .max_pings_per_second = 10,
    .max_response_buffer_bytes = 4 * 1024 * 1024,
    .max_response_buffer_total = 128 * 1024 * 1024,
    /* The body buffers default from max_body_bytes (see ac_h2_server_new). */
};

/* Request-body memory a connection, and the server, may hold by default: room
 * for a few bodies of the largest size at once, and never less than 64 MiB in
 * all, so that honest concurrent uploads fit while 100 streams x 1 MiB on each
 * of many connections do not. */
#define BODIES_PER_CONN 4
#define BODY_TOTAL_MIN (64u * 1024 * 1024)

/* The sweep runs often enough that no deadline is overshot by more than a
 * quarter of itself, and at most once a second. */
static uint64_t sweep_interval(const struct ac_h2_server_limits *l)
{
    uint64_t t =
        l->idle_timeout_ms < l->request_timeout_ms ? l->idle_timeout_ms : l->request_timeout_ms;
    if (l->max_connection_lifetime_ms < t)
        t = l->max_connection_lifetime_ms;
    t /= 4;
    if (t < 5)
        t = 5;
    if (t > 1000)
        t = 1000;
    return t;
}

static void conn_log_window(struct ac_h2_server *srv, uint64_t now);

static void on_sweep(uv_timer_t *t)
{
    struct ac_h2_server *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    /* So a count of suppressed lines is logged even when the flood stops. */
    conn_log_window(srv, now);
    struct ac__h2_conn *next;
    for (struct ac__h2_conn *c = srv->conns; c; c = next) {
        next = ac__h2_conn_next(c);
        if (srv->closing && now >= srv->grace_deadline)
            ac__h2_conn_close(c, "grace period over");
        else
            ac__h2_conn_sweep(c, now);
    }
}

int ac_h2_server_new(uv_loop_t *loop, const struct ac_h2_server_config *cfg,
                     const struct ac_router *router, struct ac_h2_server **out)
{
    if (!loop || !cfg || !router || (!cfg->tls_cert_file != !cfg->tls_key_file))
        return AC_EINVAL;
    struct ac_h2_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return AC_ENOMEM;
    srv->loop = loop;
    srv->router = router;
    srv->held_tail = &srv->held;
    srv->limits = cfg->limits;
    struct ac_h2_server_limits *l = &srv->limits;
#define DEFAULT(f)                                                                                 \
    if (!l->f)                                                                                     \
    l->f = default_limits.f
    DEFAULT(max_body_bytes);
    DEFAULT(max_stream_body_bytes);
    DEFAULT(max_header_bytes);
    DEFAULT(max_concurrent_streams);
    DEFAULT(max_connections);
    DEFAULT(max_connections_per_client);
    DEFAULT(idle_timeout_ms);
    DEFAULT(request_timeout_ms);
    DEFAULT(max_connection_lifetime_ms);
    DEFAULT(max_pings_per_second);
    DEFAULT(max_response_buffer_bytes);
    DEFAULT(max_response_buffer_total);
#undef DEFAULT
    if (!l->max_body_buffer_bytes)
        l->max_body_buffer_bytes = BODIES_PER_CONN * l->max_body_bytes;
    if (!l->max_body_buffer_total) {
        l->max_body_buffer_total = BODIES_PER_CONN * l->max_body_bytes;
        if (l->max_body_buffer_total < BODY_TOTAL_MIN)
            l->max_body_buffer_total = BODY_TOTAL_MIN;
    }
    if (l->max_header_bytes > UINT32_MAX) {
        free(srv);
        return AC_EINVAL;
    }
    if (cfg->tls_cert_file) {
        int rc = ac__tls_server_ctx_new(cfg->tls_cert_file, cfg->tls_key_file, &srv->tls_ctx);
        if (rc) {
            free(srv);
            return rc;
        }
    }
    uv_timer_init(loop, &srv->sweep);
    srv->sweep.data = srv;
    uv_idle_init(loop, &srv->flusher);
    srv->flusher.data = srv;
    srv->open_handles = 2;
    uint64_t iv = sweep_interval(l);
    uv_timer_start(&srv->sweep, on_sweep, iv, iv);
    *out = srv;
    return 0;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct ac__listener *ls = (struct ac__listener *)listener;
    if (status < 0) {
        ac_log_warn(AC__LOG, "listen: %s", uv_strerror(status));
        return;
    }
    ac__h2_conn_accept(ls->srv, listener);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct ac__listener *ls = (struct ac__listener *)h;
    struct ac_h2_server *srv = ls->srv;
    free(ls);
    srv->open_handles--;
    ac__h2_server_conn_gone(srv);
}

int ac_h2_server_listen(struct ac_h2_server *srv, const char *host, int port)
{
    struct sockaddr_storage ss;
    int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc < 0)
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    if (rc < 0)
        return rc;
    struct ac__listener **grown = realloc(srv->listeners, (srv->nlisteners + 1) * sizeof(*grown));
    if (!grown)
        return AC_ENOMEM;
    srv->listeners = grown;
    struct ac__listener *ls = calloc(1, sizeof(*ls));
    if (!ls)
        return AC_ENOMEM;
    ls->srv = srv;
    uv_tcp_init(srv->loop, &ls->tcp);
    srv->open_handles++;
    rc = uv_tcp_bind(&ls->tcp, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&ls->tcp, 511, on_connection);
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    if (rc == 0)
        rc = uv_tcp_getsockname(&ls->tcp, (struct sockaddr *)&bound, &len);
    if (rc < 0) {
        ac_log_error(AC__LOG, "listen on %s:%d: %s", host, port, uv_strerror(rc));
        uv_close((uv_handle_t *)&ls->tcp, on_listener_closed);
        return rc;
    }
    ls->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                 : ((struct sockaddr_in *)&bound)->sin_port);
    srv->listeners[srv->nlisteners++] = ls;
    ac_log_info(AC__LOG, "listening on %s:%d (%s)", host, ls->port, srv->tls_ctx ? "TLS" : "h2c");
    return 0;
}

int ac_h2_server_port(const struct ac_h2_server *srv, size_t i)
{
    return i < srv->nlisteners ? srv->listeners[i]->port : -1;
}

void ac_h2_server_set_observer(struct ac_h2_server *srv, ac_h2_server_observe_cb cb, void *arg)
{
    srv->observe = cb;
    srv->observe_arg = arg;
}

void ac_h2_server_set_headers_check(struct ac_h2_server *srv, ac_h2_server_headers_cb cb, void *arg)
{
    srv->headers_check = cb;
    srv->headers_check_arg = arg;
}

/* Starts a new second of the connection-log quota once the last one is over,
 * first logging how many lines it suppressed. */
static void conn_log_window(struct ac_h2_server *srv, uint64_t now)
{
    if (now - srv->log_window_ms < 1000)
        return;
    if (srv->log_suppressed)
        ac_log_warn(AC__LOG, "%u connection log lines suppressed in the last second",
                    srv->log_suppressed);
    srv->log_window_ms = now;
    srv->log_lines = 0;
    srv->log_suppressed = 0;
}

void ac__conn_log(struct ac_h2_server *srv, enum ac_log_level level, const char *fmt, ...)
{
    conn_log_window(srv, uv_now(srv->loop));
    if (srv->log_lines >= AC__CONN_LOG_PER_SECOND) {
        srv->log_suppressed++;
        return;
    }
    srv->log_lines++;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ac_log(level, AC__LOG, "%s", line);
}

size_t ac_h2_server_connections(const struct ac_h2_server *srv)
{
    return srv->nconns;
}

static void on_sweep_closed(uv_handle_t *h)
{
    struct ac_h2_server *srv = h->data;
    srv->open_handles--;
    ac__h2_server_conn_gone(srv);
}

/* Finishes a close once the last connection and listener are gone: the sweep
 * timer and the flusher go last, and the last close callback frees the server. */
void ac__h2_server_conn_gone(struct ac_h2_server *srv)
{
    if (!srv->closing || srv->nconns > 0)
        return;
    if (srv->open_handles == 2 && !srv->handles_closing) {
        srv->handles_closing = 1;
        uv_close((uv_handle_t *)&srv->flusher, on_sweep_closed);
        uv_close((uv_handle_t *)&srv->sweep, on_sweep_closed);
        return;
    }
    if (srv->open_handles > 0)
        return;
    ac_h2_server_closed_cb cb = srv->closed_cb;
    void *arg = srv->closed_arg;
    ac__h2_server_drop_held(srv);
    SSL_CTX_free(srv->tls_ctx);
    free(srv->listeners);
    ac_log_info(AC__LOG, "server closed");
    /* Every handle is closed; the callback sees the server's address only to
     * tell servers apart, so it runs just before the memory goes. */
    if (cb)
        cb(srv, arg);
    free(srv);
}

void ac_h2_server_close(struct ac_h2_server *srv, uint64_t grace_ms, ac_h2_server_closed_cb cb,
                        void *arg)
{
    if (!srv || srv->closing)
        return;
    srv->closing = 1;
    srv->closed_cb = cb;
    srv->closed_arg = arg;
    srv->grace_deadline = uv_now(srv->loop) + grace_ms;
    for (size_t i = 0; i < srv->nlisteners; i++)
        uv_close((uv_handle_t *)&srv->listeners[i]->tcp, on_listener_closed);
    srv->nlisteners = 0;
    struct ac__h2_conn *next;
    for (struct ac__h2_conn *c = srv->conns; c; c = next) {
        next = ac__h2_conn_next(c);
        if (grace_ms == 0)
            ac__h2_conn_close(c, "server closing");
        else
            ac__h2_conn_shutdown(c);
    }
    /* The sweep now also watches the grace deadline; tighten it for short graces. */
    uint64_t iv = sweep_interval(&srv->limits);
    if (grace_ms && grace_ms / 4 < iv)
        iv = grace_ms / 4 ? grace_ms / 4 : 1;
    uv_timer_start(&srv->sweep, on_sweep, iv, iv);
    ac__h2_server_conn_gone(srv);
}
