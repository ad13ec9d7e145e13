/* internal.h - names shared between the files of net/ and nowhere else.
 * Everything here runs on the loop thread. */
#ifndef AC_NET_INTERNAL_H
#define AC_NET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "accord/base/buf.h"
#include "accord/base/log.h"
#include "accord/net/h2_server.h"
#include "accord/net/http.h"
#include "accord/net/router.h"

#define AC__LOG "http"

/* ---- h2_conn.c and h2_client.c: the two ends share nghttp2's shapes ---- */

/* A header of |name| and |value| (NUL-terminated, borrowed until nghttp2 has
 * copied it into the frame). */
static inline nghttp2_nv ac__h2_nv(const char *name, const char *value)
{
    nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                     NGHTTP2_NV_FLAG_NONE};
    return nv;
}

/* A data source's read step for a body held whole in memory: copies what is
 * left of |body| (|len| bytes, |*off| already sent) into nghttp2's |buf| of
 * |length| bytes, moves |*off| on, and flags the end once all is out.
 * Returns the count copied. */
static inline ssize_t ac__h2_copy_body(const uint8_t *body, size_t len, size_t *off, uint8_t *buf,
                                       size_t length, uint32_t *flags)
{
    size_t n = len - *off;
    if (n > length)
        n = length;
    if (n)
        memcpy(buf, body + *off, n);
    *off += n;
    if (*off == len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* ---- router.c ---- */

/* Percent-decodes |len| bytes of |in| into |out| (|size| bytes, NUL-terminated);
 * '+' becomes a space when |plus_is_space|. Sets |*outlen| when non-NULL.
 * Returns 0, AC_EINVAL (bad escape or an encoded NUL) or AC_E2BIG. */
int ac__percent_decode(const char *in, size_t len, int plus_is_space, char *out, size_t size,
                       size_t *outlen);

/* ---- tls.c: TLS over memory BIOs, so the socket code stays the same for
 * h2c and TLS: ciphertext in, plaintext out, and the reverse. ---- */

struct ac__tls;

/* Sets |*out| to a server context holding |cert_file| and |key_file| (PEM) that
 * offers only ALPN "h2". Returns 0 or AC_ETLS (logged with the file and reason). */
int ac__tls_server_ctx_new(const char *cert_file, const char *key_file, SSL_CTX **out);

/* Sets |*out| to a client context that verifies peers against |ca_file| (or the
 * system store when NULL), unless |insecure|. Returns 0 or AC_ETLS. */
int ac__tls_client_ctx_new(const char *ca_file, int insecure, SSL_CTX **out);

/* Sets |*out| to one TLS connection on |ctx| (borrowed; must outlive it). For a
 * client, |host| is sent as SNI (unless it is an IP) and checked against the
 * certificate. Returns 0, AC_ENOMEM or AC_ETLS. */
int ac__tls_new(SSL_CTX *ctx, int server, const char *host, struct ac__tls **out);

void ac__tls_free(struct ac__tls *t);

/* Feeds |len| bytes of ciphertext (|len| may be 0 to start a client handshake),
 * appends any plaintext to |plain| and any ciphertext to send (handshake
 * records, alerts) to |cipher|. Returns 0, 1 when the peer sent close_notify,
 * AC_ETLS (handshake or record failure, logged) or AC_ENOMEM. */
int ac__tls_recv(struct ac__tls *t, const uint8_t *in, size_t len, struct ac_buf *plain,
                 struct ac_buf *cipher);

/* Encrypts |len| bytes of plaintext, appending records to |cipher|. Only once
 * the handshake is done. Returns 0, AC_ETLS or AC_ENOMEM. */
int ac__tls_send(struct ac__tls *t, const uint8_t *in, size_t len, struct ac_buf *cipher);

/* Returns 1 once the handshake has completed. */
int ac__tls_ready(const struct ac__tls *t);

/* Returns 1 when ALPN selected "h2". */
int ac__tls_alpn_h2(const struct ac__tls *t);

/* Returns 0 when the peer certificate's SubjectPublicKeyInfo hashes (SHA-256)
 * to |pin|, else AC_ETLS. */
int ac__tls_check_pin(const struct ac__tls *t, const uint8_t pin[32]);

/* ---- h2_server.c / h2_conn.c / http_exchange.c ---- */

struct ac__h2_conn;
struct ac__stream;

struct ac__listener {
    uv_tcp_t tcp; /* first: cast from uv_handle_t * */
    struct ac_h2_server *srv;
    int port;
};

struct ac_h2_server {
    uv_loop_t *loop;
    const struct ac_router *router; /* borrowed */
    struct ac_h2_server_limits limits;
    SSL_CTX *tls_ctx; /* owned; NULL for h2c */
    ac_h2_server_observe_cb observe;
    void *observe_arg;
    ac_h2_server_headers_cb headers_check;
    void *headers_check_arg;
    size_t resp_bytes; /* response bodies held by every conn's streams */
    size_t body_bytes; /* request bodies held by every conn's streams */
    /* Per-connection log lines: at most AC__CONN_LOG_PER_SECOND a second. */
    uint64_t log_window_ms;
    unsigned log_lines;
    unsigned log_suppressed;
    struct ac__listener **listeners; /* owned; each freed in its close callback */
    size_t nlisteners;
    struct ac__h2_conn *conns; /* every accepted connection not yet freed */
    size_t nconns;
    uv_timer_t sweep; /* enforces idle, request and grace deadlines */
    /* Connections with frames to send, written once per loop iteration (an
     * idle handle runs before the loop next waits), so the answers a batch
     * of requests or of reader threads produced go out in one write per
     * connection instead of one each. */
    uv_idle_t flusher;
    struct ac__h2_conn *dirty; /* linked by dirty_next */
    size_t open_handles;       /* listeners + sweep timer + flusher not yet closed */
    unsigned handles_closing : 1;
    /* Every read of every connection lands here: on_read hands it all to
     * nghttp2 (or TLS, which copies it) before it returns. */
    char rbuf[64 * 1024];
    uint64_t grace_deadline; /* uv_now() after which open conns are cut; when closing */
    ac_h2_server_closed_cb closed_cb;
    void *closed_arg;
    struct ac_h2_server_durability durability; /* commits NULL: answers never wait */
    /* Answers waiting for their commit to be durable, in the order given
     * (so in order of the commit number each waits for); owned. */
    struct ac_http_exchange *held, **held_tail;
    size_t nheld;
    unsigned closing : 1;
};

/* ---- h2_conn.c and h2_response.c: one connection and its streams ---- */

struct ac__stream {
    struct ac__h2_conn *conn;
    struct ac__stream *prev, *next; /* in conn->streams */
    int32_t id;
    /* The request: owned by the stream until dispatched, then by the handler
     * until it answers (x->stream tells it whether the stream still exists). */
    struct ac_http_exchange *x;
    size_t header_bytes;
    uint64_t started_ms; /* uv_now() at the first HEADERS frame */
    const char *route;   /* borrowed from the router, for the observer; or "unmatched" */
    char method[16];
    uint8_t *resp; /* owned response body; counted in conn and server resp_bytes */
    size_t resp_len, resp_off;
    size_t body_held; /* request-body bytes counted in conn and server body_bytes */
    unsigned headers_done : 1, request_done : 1, answered : 1, observed : 1, rejected : 1;
    unsigned deferred : 1; /* complete, waiting for response buffer to free */
    unsigned head : 1;     /* a HEAD request: answered with headers only */
    /* Its headers check answered AC_H2_CHECK_PENDING and has not yet
     * answered: the check holds the exchange (x->dispatched), and the body
     * arriving meanwhile waits in x->body, unconsumed (|unconsumed|), so
     * that the peer's window stays shut behind it. */
    unsigned checking : 1;
    /* A streamed request body (a route added with ac_router_add_stream()):
     * its bytes go to the handler as they arrive, and the peer's window is
     * reopened only as the handler consumes them. */
    uint64_t body_total;   /* body bytes received */
    size_t unconsumed;     /* delivered to the handler, not yet consumed */
    uint64_t last_body_ms; /* uv_now() of the last body bytes received or consumed */
    unsigned stream_body : 1, body_ended : 1;
    /* A streamed response: |resp| holds one piece at a time, and the producer
     * is pulled for the next once nghttp2 has taken it. */
    struct ac_http_exchange *sx; /* held for the producer until the last piece */
    ac_http_pull_cb pull;
    void *pull_arg;
    uint64_t resp_length, resp_given; /* announced, and handed over so far */
    unsigned pull_wanted : 1, pull_out : 1, resp_last : 1;
};

struct ac__h2_conn {
    uv_tcp_t tcp;                    /* first: cast from uv_handle_t * */
    struct ac_h2_server *srv;        /* borrowed; outlives every conn */
    struct ac__h2_conn *prev, *next; /* in srv->conns; memory conns are in no list */
    struct ac__h2_conn *dirty_next;  /* in srv->dirty while |dirty| */
    nghttp2_session *h2;             /* owned */
    struct ac__tls *tls;             /* owned; NULL for h2c */
    uv_write_t wreq;
    struct ac_buf out;   /* bytes of the write in flight, or being gathered */
    struct ac_buf plain; /* decrypted input waiting for nghttp2 */
    /* TLS records produced while reading (handshake, post-handshake messages,
     * alerts). Kept apart from |out| because a write may be in flight: libuv
     * holds |out|'s memory until on_written, so growing it there could move
     * that memory, and on_written's reset would drop what was appended. */
    struct ac_buf tls_out;
    struct ac__stream *streams;
    size_t nstreams;
    /* uv_now() of the peer's last progress: a request, request body bytes, a
     * window opened, or a write of response frames completed. PING, SETTINGS
     * and other control frames do not count, so a peer that only keeps the
     * connection warm is idle, and one that never reads is a slow reader. */
    uint64_t last_progress;
    uint64_t accepted_ms;    /* uv_now() at accept: for the lifetime limit */
    uint64_t shutdown_ms;    /* uv_now() when GOAWAY was submitted */
    uint64_t ping_window_ms; /* start of the second PINGs are counted in */
    uint32_t pings;          /* PING and SETTINGS frames received in that second */
    size_t resp_bytes;       /* response bodies its streams hold */
    size_t body_bytes;       /* request bodies its streams hold */
    const char *end_reason;  /* why GOAWAY was sent; logged when the connection closes */
    char peer[64];           /* "address:port" */
    char addr[48];           /* the peer's address alone: for the per-client limit */
    unsigned writing : 1, closing : 1, in_recv : 1, memory : 1, shutdown : 1, bad_input : 1;
    unsigned dirty : 1;         /* waits in srv->dirty for the loop's next flush */
    unsigned sent_response : 1; /* the write being gathered or in flight holds response frames */
    unsigned in_pull : 1;       /* producers are being pulled: their writes do not flush */
    unsigned pull_pending : 1;  /* a stream wants its producer pulled */
};

/* Asks for what nghttp2 has to send on |c| to be sent: at once for the
 * memory transport, else when the server's flusher next runs (before the
 * loop next waits), so that every answer given until then shares a write. */
void ac__h2_conn_flush(struct ac__h2_conn *c);

/* The server's flusher: sends what each connection that asked has to send
 * (unless a write is in flight: its callback asks again), pulls the
 * producers nghttp2 asked for more, and closes a connection once neither
 * side has anything more to say. */
void ac__h2_server_flush(uv_idle_t *flusher);

/* Tells the server's observer how |s| ended (|status|, or 0 when it was reset
 * unanswered); only the first call counts. */
void ac__h2_stream_observe(struct ac__stream *s, int status);

/* ---- h2_response.c ---- */

/* Returns 1 when the response buffer of |c|, or of the whole server, is full:
 * what the handlers already answered waits on peers that have not read it. */
int ac__h2_response_budget_spent(const struct ac__h2_conn *c);

/* Frees the response bytes |s| holds (a whole body, or a streamed response's
 * piece once nghttp2 has copied all of it) and takes them off the
 * connection's and the server's counts. No-op when it holds none. */
void ac__h2_stream_drop_response(struct ac__stream *s);

/* Pulls the producers of streamed responses on |c| that nghttp2 asked for
 * more. A producer may answer from inside its pull; its write then only
 * queues the piece, and ac__h2_conn_flush() sends it. */
void ac__h2_conn_run_pulls(struct ac__h2_conn *c);

/* Per-connection lines (accepted, refused, closed, bad input) a server logs in
 * one second; the rest are counted and the count logged with the next line
 * allowed, so a flood of connections cannot flood the log. */
#define AC__CONN_LOG_PER_SECOND 20

/* Logs one per-connection line at |level| unless this second's quota is spent. */
void ac__conn_log(struct ac_h2_server *srv, enum ac_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Accepts one connection from |listener| into a new conn. */
void ac__h2_conn_accept(struct ac_h2_server *srv, uv_stream_t *listener);

/* Applies idle, request and lifetime limits to |c| at loop time |now|, and hands
 * requests deferred for want of response buffer to their handlers when it frees. */
void ac__h2_conn_sweep(struct ac__h2_conn *c, uint64_t now);

/* Sends GOAWAY; the connection closes once its streams are done. */
void ac__h2_conn_shutdown(struct ac__h2_conn *c);

/* Closes |c| now, logging |why|; idempotent. */
void ac__h2_conn_close(struct ac__h2_conn *c, const char *why);

/* Returns the next conn in the server's list. */
struct ac__h2_conn *ac__h2_conn_next(const struct ac__h2_conn *c);

/* Called by a conn once freed, so the server can finish a pending close. */
void ac__h2_server_conn_gone(struct ac_h2_server *srv);

/* Memory transport, for the fuzz target: a connection with no socket whose
 * output is discarded. Sets |*out| to a conn the caller frees with
 * ac__h2_conn_memory_free(). Returns 0, AC_ENOMEM. */
int ac__h2_conn_memory_new(struct ac_h2_server *srv, struct ac__h2_conn **out);

/* Feeds |len| received bytes to |c| as if read from a socket. Returns 0, or
 * AC_EPROTO once the connection has been closed for bad input. */
int ac__h2_conn_memory_feed(struct ac__h2_conn *c, const uint8_t *data, size_t len);

void ac__h2_conn_memory_free(struct ac__h2_conn *c);

/* ---- h2_client.c: the same memory transport for a client connection ---- */

struct ac__cconn;
struct ac_h2_client;

/* The most header-field bytes (RFC 9113 6.5.2: name + value + 32 each) a
 * response stream may carry; advertised as SETTINGS_MAX_HEADER_LIST_SIZE. A
 * stream over it is reset and its request fails with AC_E2BIG. */
#define AC__H2_CLIENT_MAX_HEADER_BYTES (64 * 1024)

/* Makes |cl|'s connection (|cl| must be http:// and not yet connected) one
 * with no socket whose output is discarded, with HTTP/2 started; requests made
 * afterwards are submitted on it. Sets |*out| to a conn the caller frees with
 * ac__h2_client_memory_free() before the client's memory can go. Returns 0,
 * AC_EINVAL or AC_ENOMEM. */
int ac__h2_client_memory_new(struct ac_h2_client *cl, struct ac__cconn **out);

/* Feeds |len| bytes as if read from the server. Returns 0, or AC_EPROTO once
 * the connection has failed (its requests have then had their callbacks). */
int ac__h2_client_memory_feed(struct ac__cconn *c, const uint8_t *data, size_t len);

/* Fails what is still pending with AC_ECANCELED and frees |c|; NULL is a no-op. */
void ac__h2_client_memory_free(struct ac__cconn *c);

/* Request strings an exchange holds without allocating (method, path,
 * query, authority, header names and values, path parameters: a record read
 * by h2load with a bearer token needs about 180), and headers before the
 * array grows. Sized so the exchange stays within glibc's per-thread cache
 * of small blocks (1,032 bytes): it is allocated for every request. */
#define AC__EXCHANGE_ARENA 256
#define AC__EXCHANGE_HEADERS 8

/* More room for request strings once the arena is spent: a chunk is never
 * moved, so strings already handed out stay where they are. */
struct ac__exchange_chunk {
    struct ac__exchange_chunk *next;
    size_t size, used;
    char data[];
};

/* The request being received on a stream; handed to the handler once complete.
 * Owns every string its req points at. */
struct ac_http_exchange {
    struct ac_http_req req;
    struct ac__stream *stream;               /* NULL once the stream is gone: answers are dropped */
    struct ac_route_match match;             /* values in the arena, or owned */
    char *method, *path, *query, *authority; /* in the arena */
    struct ac_http_header *headers;          /* names and values in the arena; the
                                              * array is |inline_headers| or owned */
    size_t nheaders, cap_headers;
    struct ac_buf body;
    ac_http_body_cb body_cb; /* a streamed body's reader, once ac_http_body_read() named it */
    void *body_arg;
    void *data;
    char peer[64];
    uint64_t started_ms;     /* uv_now() at the first HEADERS frame */
    unsigned dispatched : 1; /* a handler holds it */
    /* Durability (h2_server.h): the commit count when a handler first got
     * |x|; an answer given after more commits waits until they are durable. */
    struct ac_h2_server *srv; /* borrowed */
    uint64_t commit_mark;
    unsigned marked : 1;
    /* A held answer: sent once the durable count reaches |need|. */
    uint64_t need;
    int held_status;
    struct ac_http_header *held_headers; /* names and values owned */
    size_t held_nheaders;
    struct ac_buf held_body;
    struct ac_http_exchange *held_next;
    /* An answer kept back while the request's transaction is open
     * (http.h, ac_http_keep_begin()): |keeping| while answers are kept,
     * |kept| once one is. */
    unsigned keeping : 1;
    unsigned kept : 1;
    int kept_status;
    struct ac_http_header *kept_headers; /* names and values owned */
    size_t kept_nheaders;
    struct ac_buf kept_body;
    /* Where the request's strings live (ac__exchange_strndup()). */
    struct ac__exchange_chunk *chunks; /* owned; the newest first */
    size_t arena_used;
    struct ac_http_header inline_headers[AC__EXCHANGE_HEADERS];
    char arena[AC__EXCHANGE_ARENA]; /* last: not zeroed when the exchange is made */
};

/* Returns |n| bytes that live as long as |x|, from its arena or a chunk; NULL
 * when out of memory. */
char *ac__exchange_alloc(struct ac_http_exchange *x, size_t n);

/* Records the commit count as |x| goes to its handler (or headers check);
 * the first call counts. */
void ac__exchange_mark(struct ac_http_exchange *x);

/* Frees every answer |srv| still holds, unsent (the server is going away). */
void ac__h2_server_drop_held(struct ac_h2_server *srv);

/* Sets |*out| to an empty exchange for a new stream. Returns 0 or AC_ENOMEM. */
int ac__exchange_new(struct ac_http_exchange **out);

/* Frees |x| and everything it owns; NULL is a no-op. */
void ac__exchange_free(struct ac_http_exchange *x);

/* Records one received header: pseudo-headers fill the request fields, others
 * are appended. Returns 0 or AC_ENOMEM. */
int ac__exchange_add_header(struct ac_http_exchange *x, const uint8_t *name, size_t namelen,
                            const uint8_t *value, size_t valuelen);

/* Submits the response for the stream behind |x| (which must be live): copies
 * |body|, adds content-length and date. Returns 0 or AC_ENOMEM. */
int ac__h2_stream_respond(struct ac__stream *s, int status, const struct ac_http_header *headers,
                          size_t nheaders, const void *body, size_t len);

/* Reopens the peer's flow-control window by |n| bytes of the streamed body
 * of |s| that its handler has taken. */
void ac__h2_stream_consume(struct ac__stream *s, size_t n);

/* The streamed response of http.h for |s|, on behalf of exchange |x|: see
 * ac_http_respond_stream(), ac_http_stream_write() and ac_http_stream_abort(). */
int ac__h2_stream_respond_stream(struct ac__stream *s, struct ac_http_exchange *x, int status,
                                 const struct ac_http_header *headers, size_t nheaders,
                                 uint64_t length, ac_http_pull_cb pull, void *arg);
int ac__h2_stream_write(struct ac__stream *s, const void *data, size_t len, int last);
void ac__h2_stream_abort(struct ac__stream *s);

/* Formats the current time as an IMF-fixdate (RFC 9110 5.6.7) into |out|. */
void ac__http_date(char out[static 30]);

#endif
