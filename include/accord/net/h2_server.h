/* h2_server.h - an HTTP/2 server on libuv + nghttp2: h2c with prior knowledge,
 * or TLS with ALPN "h2" when a certificate is configured.
 *
 * Requests are routed through a router (router.h) and answered through the
 * exchange API (http.h). Requests are routed at the end of their headers, so
 * unknown routes get 404, wrong methods 405 with Allow, bodies over the limit
 * 413 (and failed credentials 401, through the headers check) before any of the
 * body is read, all as problem+json. HEAD is answered as GET without a body.
 * Malformed frames end the connection with GOAWAY. Every limit below holds
 * against a client that reads slowly, never reads, floods control frames or
 * opens many connections (docs/http.md). Runs on the loop thread. */
#ifndef AC_H2_SERVER_H
#define AC_H2_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct ac_router;
struct ac_h2_server;
struct ac_http_exchange;

struct ac_h2_server_limits {
    size_t max_body_bytes;               /* 413 beyond this; default 1 MiB */
    uint64_t max_stream_body_bytes;      /* the same for routes that take their body in chunks
                                            (ac_router_add_stream()); never buffered, so it can
                                            be large; default 2 GiB */
    size_t max_header_bytes;             /* total header list size; default 16 KiB */
    uint32_t max_concurrent_streams;     /* per connection; default 100 */
    uint32_t max_connections;            /* further accepts are closed; default 1024 */
    uint32_t max_connections_per_client; /* from one peer address; default 64 */
    uint64_t idle_timeout_ms;            /* no open stream and no progress; default 60 s. Progress
                                            is a request received, request body bytes, a window
                                            opened, or response bytes written: never PING,
                                            SETTINGS or an empty frame. Also cuts a peer that,
                                            with only answered streams left, makes no progress
                                            this long (a slow reader) */
    uint64_t request_timeout_ms; /* a request's headers+body must arrive within; default 30 s */
    uint64_t max_connection_lifetime_ms; /* then GOAWAY, graceful; default 1 hour */
    uint32_t max_pings_per_second;       /* PING and SETTINGS frames a peer may send per second;
                                            beyond it GOAWAY ENHANCE_YOUR_CALM; default 10 */
    size_t max_response_buffer_bytes;    /* response bytes held for one connection; past it no
                                            further request is handed to a handler until the peer
                                            reads; default 4 MiB */
    size_t max_response_buffer_total;    /* the same over all connections; default 128 MiB */
    size_t max_body_buffer_bytes;        /* request-body bytes held for one connection; past it
                                            503; default 4 x max_body_bytes */
    size_t max_body_buffer_total;        /* the same over all connections; default 64 MiB, at
                                            least 4 x max_body_bytes */
};

struct ac_h2_server_config {
    struct ac_h2_server_limits limits; /* zero fields take the defaults */
    const char *tls_cert_file;         /* PEM; NULL for h2c */
    const char *tls_key_file;          /* PEM; NULL for h2c */
};

/* Called once per request when its response has been handed to the
 * connection, or with |status| 0 when the stream was reset before an answer;
 * for metrics. |route| is the matched pattern or "unmatched"; |seconds| runs
 * from the request's first HEADERS frame. */
typedef void (*ac_h2_server_observe_cb)(void *arg, const char *method, const char *route,
                                        int status, double seconds);

/* Called at the end of the header block of a request that has a body to come,
 * once it is routed (ac_http_exchange_req() shows method, path, headers, route;
 * no body yet), so that credentials are checked before the body is read. Either
 * returns 0 and leaves |x| alone (the body is then read and the route's handler
 * called), or answers |x| (e.g. 401) with an ac_http_respond*() call, which
 * frees it, and returns 1: the body is then discarded unread; or keeps |x| and
 * returns AC_H2_CHECK_PENDING, for a check that must wait (a credential read
 * off the loop): the stream stays open and its handler is not called, and the
 * body that arrives meanwhile is held unconsumed, so the peer can send no more
 * than the stream's flow-control window (64 KiB) until the check answers. The
 * check then answers later, from the loop, either way: it calls
 * ac_http_headers_checked(x) to pass the request on as if it had returned 0,
 * or answers |x| to refuse it as if it had returned 1. */
typedef int (*ac_h2_server_headers_cb)(void *arg, struct ac_http_exchange *x);

#define AC_H2_CHECK_PENDING 2

/* Passes on a request whose headers check returned AC_H2_CHECK_PENDING: a
 * streamed route's handler takes over now (with the body held so far); a
 * buffered one's runs once the body has ended, as usual. When the stream was
 * reset or its connection closed meanwhile, frees |x| instead. Loop thread. */
void ac_http_headers_checked(struct ac_http_exchange *x);

/* Creates a server on |loop| routing through |router| (borrowed; must outlive
 * the server). Copies |cfg|. Loads the TLS certificate now, so a bad one fails
 * here with AC_ETLS. Sets |*out| to a server the caller stops with
 * ac_h2_server_close(). Returns 0, AC_ENOMEM, AC_EINVAL or AC_ETLS. */
int ac_h2_server_new(uv_loop_t *loop, const struct ac_h2_server_config *cfg,
                     const struct ac_router *router, struct ac_h2_server **out);

/* Binds and listens on |host|:|port| (port 0 picks a free one). May be called
 * more than once for several addresses. Returns 0 or a negative libuv code. */
int ac_h2_server_listen(struct ac_h2_server *srv, const char *host, int port);

/* Returns the port the |i|th listener is bound to, or -1. */
int ac_h2_server_port(const struct ac_h2_server *srv, size_t i);

/* Registers |cb| (borrowing |arg|) to observe every finished request. */
void ac_h2_server_set_observer(struct ac_h2_server *srv, ac_h2_server_observe_cb cb, void *arg);

/* Registers |cb| (borrowing |arg|) to check each request with a body at the
 * end of its headers; NULL removes it. */
void ac_h2_server_set_headers_check(struct ac_h2_server *srv, ac_h2_server_headers_cb cb,
                                    void *arg);

/* Durability of the writes an answer acknowledges. The application numbers
 * its commits; |commits| returns how many it has made, |durable| how many of
 * those are on disk. A request during whose handling (from the handler, or
 * headers check, getting it to its answer) the commit count moved is answered
 * only once |durable| reaches the count as it was at the answer; other answers
 * (reads) go at once. Streamed answers (ac_http_respond_stream()) never wait. */
struct ac_h2_server_durability {
    uint64_t (*commits)(void *arg);
    uint64_t (*durable)(void *arg);
    void *arg; /* borrowed */
};

/* Copies |d| (NULL or d->commits NULL: answers never wait). */
void ac_h2_server_set_durability(struct ac_h2_server *srv, const struct ac_h2_server_durability *d);

/* Sends the held answers that |durable| now covers, in order; call when it
 * has advanced. */
void ac_h2_server_release(struct ac_h2_server *srv);

/* Returns the number of answers waiting for durability. */
size_t ac_h2_server_held(const struct ac_h2_server *srv);

/* Returns the number of open connections. */
size_t ac_h2_server_connections(const struct ac_h2_server *srv);

typedef void (*ac_h2_server_closed_cb)(struct ac_h2_server *srv, void *arg);

/* Stops accepting, sends GOAWAY to every connection, lets streams already
 * received finish for up to |grace_ms| (0: close at once), then closes
 * everything. |cb| (may be NULL) fires once, from the loop, when every handle
 * is closed, just before the server's memory is freed: it must not use |srv|.
 * Handlers still holding an exchange may answer it until their connection
 * closes; answers after that are dropped and the exchange freed. */
void ac_h2_server_close(struct ac_h2_server *srv, uint64_t grace_ms, ac_h2_server_closed_cb cb,
                        void *arg);

#endif
