/* router.c - matches a method and path against route patterns with "{name}" segments.
 *
 * Every request is routed, so matching does no allocation and compares few
 * routes: routes are grouped by their number of segments and by their key
 * segment (the second, or the only one), which is a literal or a parameter;
 * a path is compared only with the routes of the literal group its own key
 * segment names and of the parameter group, in the order they were added. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/hex.h"
#include "accord/net/router.h"
#include "internal.h"

#define MAX_SEGMENTS 32

struct segment {
    char *text; /* literal text, or the parameter name for a parameter */
    size_t len; /* of |text| */
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
    size_t order;    /* position in which it was added */
};

/* The routes of one segment count whose key segment is the literal |key|
 * (|param| 0) or a parameter (|param| 1), in the order they were added. */
struct group {
    size_t nsegs;
    int param;
    const char *key; /* borrowed from the first route's segment */
    size_t keylen;
    struct route **routes;
    size_t nroutes;
};

struct ac_router {
    struct route **routes; /* every route, in the order added: owned */
    size_t nroutes;
    struct group *groups; /* owned; routes borrowed from |routes| */
    size_t ngroups;
    /* An open-addressing index of |groups|: slot values are a group's index
     * + 1, 0 when empty; |nslots| is a power of two over twice |ngroups|. */
    size_t *slots; /* owned */
    size_t nslots;
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
    for (size_t i = 0; i < r->ngroups; i++)
        free(r->groups[i].routes);
    free(r->groups);
    free(r->slots);
    free(r);
}

/* The index of the segment routes are grouped by: the second ("/v1/users"
 * and "/v1/credentials" part there), or the first when there is one. */
static size_t key_index(size_t nsegs)
{
    return nsegs > 1 ? 1 : 0;
}

/* FNV-1a of a group's identity: its segment count, kind and key. */
static size_t group_hash(size_t nsegs, int param, const char *key, size_t keylen)
{
    uint64_t h = 14695981039346656037ull;
    h = (h ^ (nsegs * 2 + (size_t)param)) * 1099511628211ull;
    for (size_t i = 0; i < keylen; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
    return (size_t)h;
}

static size_t group_hash_of(const struct group *g)
{
    return group_hash(g->nsegs, g->param, g->key, g->keylen);
}

/* Returns the group of |nsegs| segments for a key segment |key| of |keylen|
 * bytes, or the parameter group when |param|; NULL when there is none. */
static struct group *find_group(const struct ac_router *r, size_t nsegs, int param, const char *key,
                                size_t keylen)
{
    if (!r->nslots)
        return NULL;
    if (param) {
        key = "";
        keylen = 0;
    }
    size_t mask = r->nslots - 1;
    for (size_t h = group_hash(nsegs, param, key, keylen) & mask; r->slots[h]; h = (h + 1) & mask) {
        struct group *g = &r->groups[r->slots[h] - 1];
        if (g->nsegs == nsegs && g->param == param && g->keylen == keylen &&
            memcmp(g->key, key, keylen) == 0)
            return g;
    }
    return NULL;
}

/* Rebuilds the index of |r|'s groups. Returns 0 or AC_ENOMEM (the old index
 * kept, which lacks only the group added last). */
static int index_groups(struct ac_router *r)
{
    size_t n = 16;
    while (n < r->ngroups * 2 + 1)
        n *= 2;
    size_t *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return AC_ENOMEM;
    for (size_t i = 0; i < r->ngroups; i++) {
        size_t h = group_hash_of(&r->groups[i]) & (n - 1);
        while (slots[h])
            h = (h + 1) & (n - 1);
        slots[h] = i + 1;
    }
    free(r->slots);
    r->slots = slots;
    r->nslots = n;
    return 0;
}

/* Adds |rt| to its group, creating the group. Returns 0 or AC_ENOMEM
 * (|rt| then in no group). */
static int group_add(struct ac_router *r, struct route *rt)
{
    const struct segment *k = rt->nsegs ? &rt->segs[key_index(rt->nsegs)] : NULL;
    int param = k ? k->param : 0;
    const char *key = k && !param ? k->text : "";
    size_t keylen = k && !param ? k->len : 0;
    struct group *g = find_group(r, rt->nsegs, param, key, keylen);
    if (g) {
        struct route **routes = realloc(g->routes, (g->nroutes + 1) * sizeof(*routes));
        if (!routes)
            return AC_ENOMEM;
        g->routes = routes;
        g->routes[g->nroutes++] = rt;
        return 0;
    }
    struct group *grown = realloc(r->groups, (r->ngroups + 1) * sizeof(*grown));
    if (!grown)
        return AC_ENOMEM;
    r->groups = grown;
    struct route **routes = malloc(sizeof(*routes));
    if (!routes)
        return AC_ENOMEM;
    routes[0] = rt;
    r->groups[r->ngroups++] = (struct group){.nsegs = rt->nsegs,
                                             .param = param,
                                             .key = key,
                                             .keylen = keylen,
                                             .routes = routes,
                                             .nroutes = 1};
    if (index_groups(r)) {
        /* Not in the index, so never seen: taken back, its key with |rt|. */
        r->ngroups--;
        free(routes);
        return AC_ENOMEM;
    }
    return 0;
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
            s->len = len - 2;
            rt->nparams++;
        } else {
            s->text = strndup(p, len);
            s->len = len;
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
    /* A route in no group could never match: it is not added. */
    if (group_add(r, rt)) {
        route_free(rt);
        return AC_ENOMEM;
    }
    rt->order = r->nroutes;
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
        } else if (s->len != ps->len[i] || memcmp(s->text, ps->start[i], ps->len[i])) {
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

/* Weighs route |rt| for a request of |method| whose path it matches: adds its
 * method to |allow| when it does not serve |method|, else makes it |*best|
 * when it fits better. */
static void consider(const struct route *rt, const char *method, const struct route **best,
                     int *best_fit, char *allow, size_t allow_size)
{
    int fit = method_serves(rt->method, method);
    if (!fit) {
        append_allow(allow, allow_size, rt->method);
        if (strcmp(rt->method, "GET") == 0)
            append_allow(allow, allow_size, "HEAD");
        return;
    }
    /* An explicit HEAD route wins over GET serving HEAD; then specificity. */
    if (!*best || fit > *best_fit || (fit == *best_fit && more_specific(rt, *best))) {
        *best = rt;
        *best_fit = fit;
    }
}

int ac_router_match(const struct ac_router *r, const char *method, const char *path,
                    struct ac_route_match *m, char *allow, size_t allow_size)
{
    return ac_router_match_into(r, method, path, m, allow, allow_size, NULL, 0);
}

int ac_router_match_into(const struct ac_router *r, const char *method, const char *path,
                         struct ac_route_match *m, char *allow, size_t allow_size, char *buf,
                         size_t buf_size)
{
    struct path_segs ps;
    if (split_path(path, &ps))
        return AC_ENOENT;
    const struct route *best = NULL;
    int best_fit = 0;
    int path_known = 0;
    if (allow && allow_size)
        allow[0] = '\0';
    /* The routes that may match: those whose key segment is this literal,
     * and those whose key segment is a parameter, taken in the order they
     * were added (so an Allow list reads the same as a scan of all). */
    size_t k = key_index(ps.n);
    const struct group *lit = find_group(r, ps.n, 0, ps.n ? ps.start[k] : "", ps.n ? ps.len[k] : 0);
    const struct group *par = ps.n ? find_group(r, ps.n, 1, NULL, 0) : NULL;
    size_t nl = lit ? lit->nroutes : 0, np = par ? par->nroutes : 0;
    for (size_t i = 0, j = 0; i < nl || j < np;) {
        const struct route *rt;
        if (j == np || (i < nl && lit->routes[i]->order < par->routes[j]->order))
            rt = lit->routes[i++];
        else
            rt = par->routes[j++];
        if (!route_matches(rt, &ps))
            continue;
        path_known = 1;
        consider(rt, method, &best, &best_fit, allow, allow_size);
    }
    if (!best)
        return path_known ? AC_EACCES : AC_ENOENT;

    struct ac_route_match res;
    memset(&res, 0, sizeof(res));
    res.cb = best->cb;
    res.arg = best->arg;
    res.stream_body = best->stream_body;
    res.pattern = best->pattern;
    size_t used = 0;
    for (size_t i = 0; i < best->nsegs; i++) {
        if (!best->segs[i].param)
            continue;
        /* A decoded value is never longer than its encoded form. */
        size_t cap = ps.len[i] + 1;
        char *v;
        if (buf && buf_size - used >= cap) {
            v = buf + used;
            used += cap;
        } else {
            v = malloc(cap);
            if (v)
                res.owned |= 1u << res.nparams;
        }
        int rc = v ? ac__percent_decode(ps.start[i], ps.len[i], 0, v, cap, NULL) : AC_ENOMEM;
        if (rc) {
            if (v && (res.owned & (1u << res.nparams)))
                free(v);
            res.owned &= ~(1u << res.nparams);
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
        if (m->owned & (1u << i))
            free(m->params[i].value);
        m->params[i].value = NULL;
    }
    m->nparams = 0;
    m->owned = 0;
}
