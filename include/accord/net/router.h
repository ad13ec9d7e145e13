/* router.h - maps a method and path to a handler, with named path parameters.
 *
 * Patterns are literal segments and "{name}" segments that match one non-empty
 * segment ("/v1/users/{id}/tokens"). A literal segment wins over a parameter at
 * the same position, so "/v1/users/me" and "/v1/users/{id}" can coexist. A
 * GET route also serves HEAD (RFC 9110 9.3.2: the server sends no body), and
 * an Allow list that names GET names HEAD too. */
#ifndef AC_ROUTER_H
#define AC_ROUTER_H

#include <stddef.h>

struct ac_http_exchange;
struct ac_router;

typedef void (*ac_http_handler_cb)(struct ac_http_exchange *x, void *arg);

#define AC_ROUTER_MAX_PARAMS 8

struct ac_route_match {
    ac_http_handler_cb cb;
    void *arg;
    const char *pattern; /* borrowed from the router */
    int stream_body;     /* added with ac_router_add_stream() */
    size_t nparams;
    struct {
        const char *name; /* borrowed from the router */
        char *value;      /* percent-decoded; in the caller's buffer or owned */
    } params[AC_ROUTER_MAX_PARAMS];
    unsigned owned; /* bit i: params[i].value was allocated and is the match's */
};

/* Sets |*out| to an empty router the caller frees with ac_router_free().
 * Returns 0 or AC_ENOMEM. */
int ac_router_new(struct ac_router **out);

/* Frees |r| and its routes; NULL is a no-op. */
void ac_router_free(struct ac_router *r);

/* Adds a route. Copies |method| and |pattern|; borrows |arg|.
 * Returns 0, AC_ENOMEM, AC_EINVAL (malformed pattern) or AC_EEXIST. */
int ac_router_add(struct ac_router *r, const char *method, const char *pattern,
                  ac_http_handler_cb cb, void *arg);

/* As ac_router_add(), for a route whose handler takes the request body in
 * chunks as it arrives (http.h, ac_http_body_read()) instead of whole: the
 * handler is called at the end of the request's headers, once the headers
 * check has passed, and the body may be as large as max_stream_body_bytes. */
int ac_router_add_stream(struct ac_router *r, const char *method, const char *pattern,
                         ac_http_handler_cb cb, void *arg);

/* Matches |method| and |path| (no query). On 0 fills |m|, which the caller
 * releases with ac_route_match_release(). Returns 0, AC_ENOENT (no route for
 * the path: 404), AC_EACCES (the path exists under other methods: 405; then
 * |allow| receives a comma-separated list such as "GET, POST" when non-NULL),
 * AC_EINVAL (bad percent-encoding) or AC_ENOMEM. */
int ac_router_match(const struct ac_router *r, const char *method, const char *path,
                    struct ac_route_match *m, char *allow, size_t allow_size);

/* As ac_router_match(), writing the decoded parameter values into |buf|
 * (|buf_size| bytes, borrowed: it must outlive |m|) while they fit, so a
 * request with short parameters is routed without allocating; values that do
 * not fit are allocated as ac_router_match() does. */
int ac_router_match_into(const struct ac_router *r, const char *method, const char *path,
                         struct ac_route_match *m, char *allow, size_t allow_size, char *buf,
                         size_t buf_size);

/* Frees the values |m| owns; a NULL |m| is a no-op. */
void ac_route_match_release(struct ac_route_match *m);

#endif
