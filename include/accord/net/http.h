/* http.h - one HTTP request and its pending response, as route handlers see them.
 *
 * The HTTP/2 server (h2_server.h) parses a request, buffers its body (up to the
 * configured limit), matches a route (router.h) and calls the route's handler
 * with an exchange. The handler answers exactly once with one of the
 * ac_http_respond*() calls, either before it returns or later from the loop
 * thread (for work that waits on storage or a peer). If the client resets the
 * stream first, the late response is discarded and the exchange freed all the
 * same, so a handler never needs to know. Everything runs on the loop thread. */
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
