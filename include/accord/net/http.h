/* http.h - one HTTP request and its pending response, as route handlers see them.
 *
 * The HTTP/2 server (h2_server.h) parses a request, buffers its body (up to the
 * configured limit), matches a route (router.h) and calls the route's handler
 * with an exchange; a streamed route receives its body in chunks instead, and
 * a response may be streamed from its producer piece by piece. The handler answers exactly once
 * with one of the ac_http_respond*() calls, either before it returns or later from the loop thread
 * (for work that waits on storage or a peer). If the client resets the stream first, the late
 * response is discarded and the exchange freed all the same, so a handler never needs to know.
 * Everything runs on the loop thread. */
#ifndef AC_HTTP_H
#define AC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct ac_http_header {
    const char *name; /* lowercase */
    const char *value;
};

struct ac_http_req {
    const char *method;    /* "GET", "POST", ... */
    const char *path;      /* percent-decoding not applied; no query */
    const char *query;     /* the part after '?', or "" */
    const char *authority; /* ":authority" or "host", or "" */
    const char *route;     /* the matched route pattern, e.g. "/v1/users/{id}" */
    const struct ac_http_header *headers;
    size_t nheaders;
    const uint8_t *body; /* whole request body; NULL when empty */
    size_t body_len;
    const char *peer; /* "127.0.0.1:53412" */
    int tls;          /* 1 when the connection is TLS */
};

struct ac_http_exchange;

/* Returns the request of |x|; valid until |x| is answered. */
const struct ac_http_req *ac_http_exchange_req(const struct ac_http_exchange *x);

/* Returns the value of header |lname| (lowercase), or NULL. */
const char *ac_http_header(const struct ac_http_req *req, const char *lname);

/* Returns the decoded path parameter |name| of the matched route, or NULL. */
const char *ac_http_param(const struct ac_http_exchange *x, const char *name);

/* Copies the percent-decoded query parameter |name| into |out| (|size| bytes,
 * NUL-terminated); form encoding, so '+' is a space; the first match wins.
 * Returns 0, AC_ENOENT when absent, AC_E2BIG when it does not fit, AC_EINVAL
 * for a malformed escape. |out| may hold a partial value on error. */
int ac_http_query(const struct ac_http_req *req, const char *name, char *out, size_t size);

/* Sets a per-exchange pointer for the handler's own use (e.g. an auth context). */
void ac_http_exchange_set_data(struct ac_http_exchange *x, void *data);
void *ac_http_exchange_data(const struct ac_http_exchange *x);

/* Answers |x| with |status|, |nheaders| extra headers and |body| (copied; may be
 * NULL when |len| is 0). content-length is set by the server. After this call
 * |x| is gone. Returns 0, or AC_ENOMEM (the stream is then reset and |x| still gone). */
int ac_http_respond(struct ac_http_exchange *x, int status, const struct ac_http_header *headers,
                    size_t nheaders, const void *body, size_t len);

/* ---- Streamed request bodies: routes added with ac_router_add_stream() ----
 *
 * Such a handler is called at the end of the request's headers (after the
 * server's headers check), with req->body NULL. Before it returns it either
 * answers, or calls ac_http_body_read() to receive the body in chunks as they
 * arrive. Flow control follows the handler: the peer may send only as many
 * bytes beyond those the handler consumed (ac_http_body_consume()) as one
 * HTTP/2 stream window (64 KiB), so a handler that writes slowly slows the
 * peer down instead of growing memory. */

/* Receives a streamed body. |status| 0: |len| bytes at |data| (valid only
 * during the call) arrived; the handler copies or writes them, and consumes
 * them once taken. |status| 1: the body is complete (|data| NULL). A negative
 * |status|: the body will not complete: AC_E2BIG (more than
 * max_stream_body_bytes), AC_ETIMEDOUT (no body bytes for request_timeout_ms
 * while the handler kept up), AC_ECANCELED (the stream was reset or the
 * connection closed; an answer is then dropped). After a non-zero |status| no
 * call follows, and the handler still answers |x| exactly once. */
typedef void (*ac_http_body_cb)(struct ac_http_exchange *x, const uint8_t *data, size_t len,
                                int status, void *arg);

/* Starts delivering the body of |x| to |cb| (borrowing |arg|); calls come
 * from the loop, never from inside this call. Returns 0, or AC_EINVAL when
 * |x| is not on a streamed route or its reader is already set. */
int ac_http_body_read(struct ac_http_exchange *x, ac_http_body_cb cb, void *arg);

/* Lets the peer send |n| more bytes: call once delivered bytes are taken
 * (written to disk, say). A no-op once the stream is gone. */
void ac_http_body_consume(struct ac_http_exchange *x, size_t n);

/* ---- Streamed responses: a body produced in pieces (a file) ---- */

/* Asks for the next piece of a streamed response. The producer answers each
 * pull with exactly one ac_http_stream_write() or ac_http_stream_abort(), now
 * or later from the loop. A pull also comes when the stream goes away while
 * the producer holds no pull: its answer then returns AC_ECANCELED. */
typedef void (*ac_http_pull_cb)(struct ac_http_exchange *x, void *arg);

/* Answers |x| with |status|, |nheaders| extra headers and a body of exactly
 * |length| bytes that the server pulls from |pull| (borrowing |arg|) as the
 * peer opens its window, one piece held at a time. content-length is set by
 * the server. Returns 0: pulls will follow (the first may come before this
 * call returns) and |x| lives until the last piece or an abort. Returns 1 when no body will be
 * pulled (a HEAD request, or the stream is gone): |x| is freed. AC_ENOMEM: the stream is reset, |x|
 * freed. */
int ac_http_respond_stream(struct ac_http_exchange *x, int status,
                           const struct ac_http_header *headers, size_t nheaders, uint64_t length,
                           ac_http_pull_cb pull, void *arg);

/* Hands over the next |len| bytes (copied) of a streamed response in answer
 * to a pull; |last| says they end it, and frees |x|. Returns 0; AC_ECANCELED
 * when the stream is gone (|x| freed; stop producing); AC_EINVAL when the
 * pieces would not add up to the announced length (the stream is reset, |x|
 * freed); AC_ENOMEM (reset, |x| freed). */
int ac_http_stream_write(struct ac_http_exchange *x, const void *data, size_t len, int last);

/* Ends a streamed response that cannot be finished (the producer failed):
 * the stream is reset with INTERNAL_ERROR, so the peer cannot mistake what it
 * received for the whole body. Frees |x|. */
void ac_http_stream_abort(struct ac_http_exchange *x);

/* ---- Answers kept back: a write answered only after its commit ----
 *
 * A caller that runs a handler inside a transaction (node/http: the
 * request transaction) keeps the handler's answer on the exchange until it
 * knows the transaction committed, or throws it away and runs the handler
 * again. While kept, ac_http_respond() and the helpers built on it store
 * the answer and leave |x| alive; ac_http_respond_stream() (GET downloads)
 * must not be used. */

/* Starts keeping the answers given to |x|. */
void ac_http_keep_begin(struct ac_http_exchange *x);

struct ac_http_kept {
    int status;
    const struct ac_http_header *headers;
    size_t nheaders;
    const void *body;
    size_t len;
};

/* Returns 1 and fills |out| (borrowed from |x|, valid until the next call
 * on it) when an answer is kept on |x|, else 0. */
int ac_http_kept(const struct ac_http_exchange *x, struct ac_http_kept *out);

/* Forgets the kept answer, if any (the handler is to run again); keeping
 * goes on. */
void ac_http_keep_discard(struct ac_http_exchange *x);

/* Stops keeping. Sends the kept answer and returns 1 (|x| is then gone),
 * or returns 0 when none was given (the handler answers later: that answer
 * goes out directly, |x| still alive). */
int ac_http_keep_end(struct ac_http_exchange *x);

/* Answers with |json| serialised compactly as application/json. Borrows |json|. */
int ac_http_respond_json(struct ac_http_exchange *x, int status, const json_t *json);

/* Answers with an RFC 9457 application/problem+json body:
 * {"type": "https://accord.example/problems/<slug>", "title": <title>,
 *  "status": <status>, "detail": <detail>, "field": <field>}; |field| may be NULL.
 * For 401 the body also carries "server_time" (RFC 3339) so a skewed peer sees why,
 * and the response a "www-authenticate: Bearer realm="accord"" challenge (RFC 6750
 * 3), with error="invalid_token" when the request carried an authorization header.
 * Bytes of the formatted detail that are not UTF-8 are replaced with '?'. */
int ac_http_respond_problem(struct ac_http_exchange *x, int status, const char *slug,
                            const char *title, const char *field, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* As ac_http_respond_problem() with the detail given whole, and the members of
 * |extra| (borrowed; may be NULL) added to the body (type, title, status,
 * detail and field take precedence over members of the same name). */
int ac_http_respond_problem_extra(struct ac_http_exchange *x, int status, const char *slug,
                                  const char *title, const char *field, const json_t *extra,
                                  const char *detail);

#endif
