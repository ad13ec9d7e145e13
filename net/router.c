/* router.c - matches a method and path against route patterns with "{name}" segments. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/hex.h"
#include "accord/net/router.h"
#include "internal.h"

#define MAX_SEGMENTS 32

struct segment {
    char *text; /* literal text, or the parameter name for a parameter */
    int param;
};

struct route {
    char *method;
    char *pattern;
    struct segment segs[MAX_SEGMENTS];
    size_t nsegs;
    size_t nparams;
    ac_http_handler_cb cb;
    void *arg;
    int stream_body; /* the handler takes the request body in chunks */
};

struct ac_router {
    struct route **routes;
    size_t nroutes;
};

int ac_router_new(struct ac_router **out)
{
    struct ac_router *r = calloc(1, sizeof(*r));
    if (!r)
        return AC_ENOMEM;
    *out = r;
    return 0;
}

static void route_free(struct route *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->nsegs; i++)
        free(rt->segs[i].text);
    free(rt->method);
    free(rt->pattern);
    free(rt);
}

void ac_router_free(struct ac_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nroutes; i++)
        route_free(r->routes[i]);
    free(r->routes);
    free(r);
}

/* Splits the pattern into segments. "/" alone has none; every other segment
 * must be non-empty, and a parameter is exactly "{name}" with a non-empty name. */
static int parse_pattern(struct route *rt, const char *pattern)
{
    if (pattern[0] != '/')
        return AC_EINVAL;
    if (strcmp(pattern, "/") == 0)
        return 0;
    const char *p = pattern + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || rt->nsegs == MAX_SEGMENTS)
            return AC_EINVAL;
        struct segment *s = &rt->segs[rt->nsegs];
        int open = memchr(p, '{', len) != NULL, close = memchr(p, '}', len) != NULL;
        if (open || close) {
            if (len < 3 || p[0] != '{' || p[len - 1] != '}' || memchr(p + 1, '{', len - 2) ||
                memchr(p + 1, '}', len - 2))
                return AC_EINVAL;
            if (rt->nparams == AC_ROUTER_MAX_PARAMS)
                return AC_EINVAL;
            s->param = 1;
            s->text = strndup(p + 1, len - 2);
            rt->nparams++;
        } else {
            s->text = strndup(p, len);
        }
        if (!s->text)
            return AC_ENOMEM;
        rt->nsegs++;
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* Two patterns are the same route shape when their literals match position by
 * position and their parameters sit at the same positions (names aside). */
static int same_shape(const struct route *a, const struct route *b)
{
    if (a->nsegs != b->nsegs)
        return 0;
    for (size_t i = 0; i < a->nsegs; i++) {
        if (a->segs[i].param != b->segs[i].param)
            return 0;
        if (!a->segs[i].param && strcmp(a->segs[i].text, b->segs[i].text) != 0)
            return 0;
    }
    return 1;
}

static int add(struct ac_router *r, const char *method, const char *pattern, ac_http_handler_cb cb,
               void *arg, int stream_body)
{
    if (!method || !*method || !pattern || !cb)
        return AC_EINVAL;
    struct route *rt = calloc(1, sizeof(*rt));
    if (!rt)
        return AC_ENOMEM;
    int rc = parse_pattern(rt, pattern);
    if (rc) {
        route_free(rt);
        return rc;
    }
    for (size_t i = 0; i < r->nroutes; i++) {
        if (strcmp(r->routes[i]->method, method) == 0 && same_shape(r->routes[i], rt)) {
            route_free(rt);
            return AC_EEXIST;
        }
    }
    rt->method = strdup(method);
    rt->pattern = strdup(pattern);
    struct route **grown = realloc(r->routes, (r->nroutes + 1) * sizeof(*grown));
    if (!rt->method || !rt->pattern || !grown) {
        if (grown)
            r->routes = grown;
        route_free(rt);
        return AC_ENOMEM;
    }
    r->routes = grown;
    r->routes[r->nroutes++] = rt;
    rt->cb = cb;
    rt->arg = arg;
    rt->stream_body = stream_body;
    return 0;
}

int ac_router_add(struct ac_router *r, const char *method, const char *pattern,
                  ac_http_handler_cb cb, void *arg)
{
    return add(r, method, pattern, cb, arg, 0);
}

int ac_router_add_stream(struct ac_router *r, const char *method, const char *pattern,
                         ac_http_handler_cb cb, void *arg)
{
    return add(r, method, pattern, cb, arg, 1);
}

int ac__percent_decode(const char *in, size_t len, int plus_is_space, char *out, size_t size,
                       size_t *outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return AC_EINVAL;
            int hi = ac_hex_digit((unsigned char)in[i + 1]);
            int lo = ac_hex_digit((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return AC_EINVAL;
            c = hi * 16 + lo;
            if (c == 0)
                return AC_EINVAL; /* an embedded NUL would truncate the C string */
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (n + 1 >= size)
            return AC_E2BIG;
        out[n++] = (char)c;
    }
    if (size == 0)
        return AC_E2BIG;
    out[n] = '\0';
    if (outlen)
        *outlen = n;
    return 0;
}

struct path_segs {
    const char *start[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    size_t n;
};

/* Splits |path| like a pattern; returns 0, or AC_ENOENT when it cannot match any
 * route (not absolute, or more segments than any pattern may have). */
static int split_path(const char *path, struct path_segs *ps)
{
    ps->n = 0;
    if (path[0] != '/')
        return AC_ENOENT;
    if (strcmp(path, "/") == 0)
        return 0;
    const char *p = path + 1;
    for (;;) {
        if (ps->n == MAX_SEGMENTS)
            return AC_ENOENT;
        const char *end = strchr(p, '/');
        ps->start[ps->n] = p;
        ps->len[ps->n] = end ? (size_t)(end - p) : strlen(p);
        ps->n++;
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int route_matches(const struct route *rt, const struct path_segs *ps)
{
    if (rt->nsegs != ps->n)
        return 0;
    for (size_t i = 0; i < ps->n; i++) {
        const struct segment *s = &rt->segs[i];
        if (s->param) {
            if (ps->len[i] == 0)
                return 0;
        } else if (strlen(s->text) != ps->len[i] || memcmp(s->text, ps->start[i], ps->len[i])) {
            return 0;
        }
    }
    return 1;
}

/* Returns nonzero when |a| is more specific than |b|: at the first position where
 * one has a literal and the other a parameter, the literal wins. */
static int more_specific(const struct route *a, const struct route *b)
{
    for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++) {
        if (a->segs[i].param != b->segs[i].param)
            return !a->segs[i].param;
    }
    return 0;
}

static void append_allow(char *allow, size_t size, const char *method)
{
    if (!allow || size == 0)
        return;
    /* Methods already listed are skipped so "GET" under two patterns appears once. */
    size_t mlen = strlen(method);
    for (const char *p = allow; *p;) {
        const char *end = strstr(p, ", ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == mlen && memcmp(p, method, mlen) == 0)
            return;
        if (!end)
            break;
        p = end + 2;
    }
    size_t used = strlen(allow);
    size_t need = used + (used ? 2 : 0) + mlen + 1;
    if (need > size)
        return;
    if (used) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, method, mlen + 1);
}

/* Returns 2 when route method |rm| serves request method |method| exactly, 1
 * when it serves it as GET serves HEAD (RFC 9110 9.3.2), else 0. */
static int method_serves(const char *rm, const char *method)
{
    if (strcmp(rm, method) == 0)
        return 2;
    return strcmp(method, "HEAD") == 0 && strcmp(rm, "GET") == 0;
}

int ac_router_match(const struct ac_router *r, const char *method, const char *path,
                    struct ac_route_match *m, char *allow, size_t allow_size)
{
    struct path_segs ps;
    if (split_path(path, &ps))
        return AC_ENOENT;
    const struct route *best = NULL;
    int best_fit = 0;
    int path_known = 0;
    if (allow && allow_size)
        allow[0] = '\0';
    for (size_t i = 0; i < r->nroutes; i++) {
        const struct route *rt = r->routes[i];
        if (!route_matches(rt, &ps))
            continue;
        path_known = 1;
        int fit = method_serves(rt->method, method);
        if (!fit) {
            append_allow(allow, allow_size, rt->method);
            if (strcmp(rt->method, "GET") == 0)
                append_allow(allow, allow_size, "HEAD");
            continue;
        }
        /* An explicit HEAD route wins over GET serving HEAD; then specificity. */
        if (!best || fit > best_fit || (fit == best_fit && more_specific(rt, best))) {
            best = rt;
            best_fit = fit;
        }
    }
    if (!best)
        return path_known ? AC_EACCES : AC_ENOENT;

    struct ac_route_match res;
    memset(&res, 0, sizeof(res));
    res.cb = best->cb;
    res.arg = best->arg;
    res.stream_body = best->stream_body;
    res.pattern = best->pattern;
    for (size_t i = 0; i < best->nsegs; i++) {
        if (!best->segs[i].param)
            continue;
        size_t cap = ps.len[i] + 1;
        char *v = malloc(cap);
        int rc = v ? ac__percent_decode(ps.start[i], ps.len[i], 0, v, cap, NULL) : AC_ENOMEM;
        if (rc) {
            free(v);
            ac_route_match_release(&res);
            return rc;
        }
        res.params[res.nparams].name = best->segs[i].text;
        res.params[res.nparams].value = v;
        res.nparams++;
    }
    *m = res;
    return 0;
}

void ac_route_match_release(struct ac_route_match *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nparams; i++) {
        free(m->params[i].value);
        m->params[i].value = NULL;
    }
    m->nparams = 0;
}
