/* http_exchange.c - the exchange API of http.h: the request a handler sees and
 * the ways it answers, including RFC 9457 problem+json. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "internal.h"

#define PROBLEM_BASE "https://accord.example/problems/"

int ac__exchange_new(struct ac_http_exchange **out)
{
    /* Every request makes one: the arena at the end is left as malloc gave it. */
    struct ac_http_exchange *x = malloc(sizeof(*x));
    if (!x)
        return AC_ENOMEM;
    memset(x, 0, offsetof(struct ac_http_exchange, arena));
    x->headers = x->inline_headers;
    x->cap_headers = AC__EXCHANGE_HEADERS;
    ac_buf_init(&x->body);
    ac_buf_init(&x->held_body);
    ac_buf_init(&x->kept_body);
    *out = x;
    return 0;
}

void ac__exchange_free(struct ac_http_exchange *x)
{
    if (!x)
        return;
    if (x->headers != x->inline_headers)
        free(x->headers);
    while (x->chunks) {
        struct ac__exchange_chunk *next = x->chunks->next;
        free(x->chunks);
        x->chunks = next;
    }
    ac_buf_release(&x->body);
    for (size_t i = 0; i < x->held_nheaders; i++) {
        free((char *)x->held_headers[i].name);
        free((char *)x->held_headers[i].value);
    }
    free(x->held_headers);
    ac_buf_release(&x->held_body);
    ac_http_keep_discard(x);
    ac_buf_release(&x->kept_body);
    ac_route_match_release(&x->match);
    free(x);
}

/* Copies |n| headers into |*out| (names and values owned). Returns 0 or
 * AC_ENOMEM; on failure what was copied stays in |*out| with its count in
 * |*nout|, for the caller's usual release. */
static int copy_headers(const struct ac_http_header *in, size_t n, struct ac_http_header **out,
                        size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (!n)
        return 0;
    *out = calloc(n, sizeof **out);
    if (!*out)
        return AC_ENOMEM;
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        (*out)[i].name = strdup(in[i].name);
        (*out)[i].value = strdup(in[i].value);
        if (!(*out)[i].name || !(*out)[i].value)
            return AC_ENOMEM;
    }
    return 0;
}

static void free_headers(struct ac_http_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)h[i].name);
        free((char *)h[i].value);
    }
    free(h);
}

void ac_http_keep_begin(struct ac_http_exchange *x)
{
    x->keeping = 1;
}

void ac_http_keep_discard(struct ac_http_exchange *x)
{
    free_headers(x->kept_headers, x->kept_nheaders);
    x->kept_headers = NULL;
    x->kept_nheaders = 0;
    x->kept_body.len = 0;
    x->kept_status = 0;
    x->kept = 0;
}

int ac_http_kept(const struct ac_http_exchange *x, struct ac_http_kept *out)
{
    if (!x->kept)
        return 0;
    out->status = x->kept_status;
    out->headers = x->kept_headers;
    out->nheaders = x->kept_nheaders;
    out->body = x->kept_body.data;
    out->len = x->kept_body.len;
    return 1;
}

/* Keeps the answer on |x|. Out of memory, a 500 is kept in its place: the
 * client learns only that it failed to get an answer. */
static int keep(struct ac_http_exchange *x, int status, const struct ac_http_header *headers,
                size_t nheaders, const void *body, size_t len)
{
    ac_http_keep_discard(x);
    x->kept = 1;
    int rc = copy_headers(headers, nheaders, &x->kept_headers, &x->kept_nheaders);
    if (!rc && len)
        rc = ac_buf_append(&x->kept_body, body, len);
    x->kept_status = status;
    if (rc) {
        ac_http_keep_discard(x);
        x->kept = 1;
        x->kept_status = 500;
    }
    return rc;
}

int ac_http_keep_end(struct ac_http_exchange *x)
{
    x->keeping = 0;
    if (!x->kept)
        return 0;
    /* The kept copies are moved out first: sending frees |x|. */
    struct ac_http_header *h = x->kept_headers;
    size_t n = x->kept_nheaders;
    struct ac_buf body = x->kept_body;
    int status = x->kept_status;
    x->kept_headers = NULL;
    x->kept_nheaders = 0;
    ac_buf_init(&x->kept_body);
    x->kept = 0;
    ac_http_respond(x, status, h, n, body.data, body.len);
    free_headers(h, n);
    ac_buf_release(&body);
    return 1;
}

/* Chunks after the arena: at least this size, so a request with many or long
 * headers takes few allocations. */
#define CHUNK_MIN 4096

char *ac__exchange_alloc(struct ac_http_exchange *x, size_t n)
{
    if (sizeof(x->arena) - x->arena_used >= n) {
        char *p = x->arena + x->arena_used;
        x->arena_used += n;
        return p;
    }
    struct ac__exchange_chunk *ch = x->chunks;
    if (!ch || ch->size - ch->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        ch = malloc(sizeof(*ch) + size);
        if (!ch)
            return NULL;
        ch->size = size;
        ch->used = 0;
        ch->next = x->chunks;
        x->chunks = ch;
    }
    char *p = ch->data + ch->used;
    ch->used += n;
    return p;
}

/* Sets |*field| to a NUL-terminated copy of |len| bytes of |v| that lives as
 * long as |x|. Returns 0 or AC_ENOMEM. */
static int set_string(struct ac_http_exchange *x, char **field, const uint8_t *v, size_t len)
{
    char *s = ac__exchange_alloc(x, len + 1);
    if (!s)
        return AC_ENOMEM;
    memcpy(s, v, len);
    s[len] = '\0';
    *field = s;
    return 0;
}

int ac__exchange_add_header(struct ac_http_exchange *x, const uint8_t *name, size_t namelen,
                            const uint8_t *value, size_t valuelen)
{
    /* nghttp2 has already checked that pseudo-headers come first, appear once
     * and are the ones a request may carry; names arrive lowercase. */
    if (namelen == 7 && memcmp(name, ":method", 7) == 0)
        return set_string(x, &x->method, value, valuelen);
    if (namelen == 10 && memcmp(name, ":authority", 10) == 0)
        return set_string(x, &x->authority, value, valuelen);
    if (namelen == 5 && memcmp(name, ":path", 5) == 0) {
        const uint8_t *q = memchr(value, '?', valuelen);
        size_t plen = q ? (size_t)(q - value) : valuelen;
        int rc = set_string(x, &x->path, value, plen);
        if (rc == 0)
            rc = set_string(x, &x->query, q ? q + 1 : value + plen, q ? valuelen - plen - 1 : 0);
        return rc;
    }
    if (namelen > 0 && name[0] == ':')
        return 0; /* :scheme is not needed by handlers */
    if (x->nheaders == x->cap_headers) {
        size_t cap = x->cap_headers * 2;
        struct ac_http_header *h = x->headers == x->inline_headers
                                       ? malloc(cap * sizeof(*h))
                                       : realloc(x->headers, cap * sizeof(*h));
        if (!h)
            return AC_ENOMEM;
        if (x->headers == x->inline_headers)
            memcpy(h, x->inline_headers, sizeof(x->inline_headers));
        x->headers = h;
        x->cap_headers = cap;
    }
    char *n, *v;
    if (set_string(x, &n, name, namelen) || set_string(x, &v, value, valuelen))
        return AC_ENOMEM;
    x->headers[x->nheaders].name = n;
    x->headers[x->nheaders].value = v;
    x->nheaders++;
    if (!x->authority && strcmp(n, "host") == 0)
        x->authority = v;
    return 0;
}

const struct ac_http_req *ac_http_exchange_req(const struct ac_http_exchange *x)
{
    return &x->req;
}

const char *ac_http_header(const struct ac_http_req *req, const char *lname)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i].name, lname) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

const char *ac_http_param(const struct ac_http_exchange *x, const char *name)
{
    for (size_t i = 0; i < x->match.nparams; i++) {
        if (strcmp(x->match.params[i].name, name) == 0)
            return x->match.params[i].value;
    }
    return NULL;
}

int ac_http_query(const struct ac_http_req *req, const char *name, char *out, size_t size)
{
    const char *p = req->query ? req->query : "";
    size_t want = strlen(name);
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t pairlen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', pairlen);
        size_t keylen = eq ? (size_t)(eq - p) : pairlen;
        /* A key cannot decode to something longer than its encoded form. */
        char key[256];
        int rc = keylen < sizeof(key) ? ac__percent_decode(p, keylen, 1, key, sizeof(key), NULL)
                                      : AC_E2BIG;
        if (rc == 0 && strlen(key) == want && memcmp(key, name, want) == 0) {
            const char *v = eq ? eq + 1 : p + pairlen;
            size_t vlen = eq ? pairlen - keylen - 1 : 0;
            return ac__percent_decode(v, vlen, 1, out, size, NULL);
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return AC_ENOENT;
}

void ac_http_exchange_set_data(struct ac_http_exchange *x, void *data)
{
    x->data = data;
}

void *ac_http_exchange_data(const struct ac_http_exchange *x)
{
    return x->data;
}

/* ---- answers that wait for durability (h2_server.h) ---- */

void ac_h2_server_set_durability(struct ac_h2_server *srv, const struct ac_h2_server_durability *d)
{
    srv->durability = d ? *d : (struct ac_h2_server_durability){0};
}

size_t ac_h2_server_held(const struct ac_h2_server *srv)
{
    return srv->nheld;
}

void ac__exchange_mark(struct ac_http_exchange *x)
{
    if (x->marked || !x->srv || !x->srv->durability.commits)
        return;
    const struct ac_h2_server_durability *d = &x->srv->durability;
    x->commit_mark = d->commits(d->arg);
    x->marked = 1;
}

/* Returns the commit count an answer to |x| given now must wait for, or 0
 * when it may go at once: nothing was committed while its handler had it, or
 * all of that is durable already. Commits by other requests meanwhile count
 * too (they cannot be told apart); that only makes the wait longer. */
static uint64_t answer_needs(const struct ac_http_exchange *x)
{
    if (!x->marked || !x->srv || !x->srv->durability.commits)
        return 0;
    const struct ac_h2_server_durability *d = &x->srv->durability;
    uint64_t now = d->commits(d->arg);
    if (now == x->commit_mark || d->durable(d->arg) >= now)
        return 0;
    return now;
}

/* Keeps a copy of the answer on |x| and queues |x| until the durable count
 * reaches |need|. Returns 0 or AC_ENOMEM (nothing kept). */
static int hold(struct ac_http_exchange *x, uint64_t need, int status,
                const struct ac_http_header *headers, size_t nheaders, const void *body, size_t len)
{
    if (nheaders) {
        x->held_headers = calloc(nheaders, sizeof *x->held_headers);
        if (!x->held_headers)
            return AC_ENOMEM;
        x->held_nheaders = nheaders;
        for (size_t i = 0; i < nheaders; i++) {
            x->held_headers[i].name = strdup(headers[i].name);
            x->held_headers[i].value = strdup(headers[i].value);
            if (!x->held_headers[i].name || !x->held_headers[i].value)
                return AC_ENOMEM;
        }
    }
    if (len && ac_buf_append(&x->held_body, body, len))
        return AC_ENOMEM;
    x->need = need;
    x->held_status = status;
    struct ac_h2_server *srv = x->srv;
    *srv->held_tail = x;
    srv->held_tail = &x->held_next;
    srv->nheld++;
    return 0;
}

void ac_h2_server_release(struct ac_h2_server *srv)
{
    const struct ac_h2_server_durability *d = &srv->durability;
    uint64_t durable = d->durable ? d->durable(d->arg) : UINT64_MAX;
    while (srv->held && srv->held->need <= durable) {
        struct ac_http_exchange *x = srv->held;
        srv->held = x->held_next;
        if (!srv->held)
            srv->held_tail = &srv->held;
        srv->nheld--;
        /* The stream may have been reset while it waited: then the answer
         * has nowhere to go. */
        if (x->stream)
            ac__h2_stream_respond(x->stream, x->held_status, x->held_headers, x->held_nheaders,
                                  x->held_body.data, x->held_body.len);
        ac__exchange_free(x);
    }
}

void ac__h2_server_drop_held(struct ac_h2_server *srv)
{
    while (srv->held) {
        struct ac_http_exchange *x = srv->held;
        srv->held = x->held_next;
        ac__exchange_free(x);
    }
    srv->held_tail = &srv->held;
    srv->nheld = 0;
}

int ac_http_respond(struct ac_http_exchange *x, int status, const struct ac_http_header *headers,
                    size_t nheaders, const void *body, size_t len)
{
    if (x->keeping)
        return keep(x, status, headers, nheaders, body, len);
    int rc = 0;
    uint64_t need = x->stream ? answer_needs(x) : 0;
    if (need) {
        rc = hold(x, need, status, headers, nheaders, body, len);
        if (rc == 0)
            return 0;
        /* Without memory to keep the answer the write cannot be acknowledged
         * yet; the client learns only that it failed to get an answer. */
        ac__h2_stream_respond(x->stream, 500, NULL, 0, NULL, 0);
        ac__exchange_free(x);
        return rc;
    }
    /* A stream reset while the handler worked leaves the exchange orphaned: the
     * answer has nowhere to go and is dropped. */
    if (x->stream)
        rc = ac__h2_stream_respond(x->stream, status, headers, nheaders, body, len);
    ac__exchange_free(x);
    return rc;
}

int ac_http_body_read(struct ac_http_exchange *x, ac_http_body_cb cb, void *arg)
{
    if (!cb || !x->match.stream_body || x->body_cb)
        return AC_EINVAL;
    x->body_cb = cb;
    x->body_arg = arg;
    return 0;
}

void ac_http_body_consume(struct ac_http_exchange *x, size_t n)
{
    if (x->stream && n)
        ac__h2_stream_consume(x->stream, n);
}

int ac_http_respond_stream(struct ac_http_exchange *x, int status,
                           const struct ac_http_header *headers, size_t nheaders, uint64_t length,
                           ac_http_pull_cb pull, void *arg)
{
    if (!x->stream) {
        ac__exchange_free(x);
        return 1;
    }
    /* On 0 the stream keeps |x| until the last piece; otherwise it is done. */
    int rc =
        ac__h2_stream_respond_stream(x->stream, x, status, headers, nheaders, length, pull, arg);
    if (rc != 0)
        ac__exchange_free(x);
    return rc;
}

int ac_http_stream_write(struct ac_http_exchange *x, const void *data, size_t len, int last)
{
    if (!x->stream) {
        ac__exchange_free(x);
        return AC_ECANCELED;
    }
    /* The stream lets go of |x| when this is the last piece or fails. */
    int rc = ac__h2_stream_write(x->stream, data, len, last);
    if (rc != 0 || last)
        ac__exchange_free(x);
    return rc;
}

void ac_http_stream_abort(struct ac_http_exchange *x)
{
    if (x->stream)
        ac__h2_stream_abort(x->stream);
    ac__exchange_free(x);
}

int ac_http_respond_json(struct ac_http_exchange *x, int status, const json_t *json)
{
    static const struct ac_http_header ct = {"content-type", "application/json"};
    char *text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        ac_http_respond(x, 500, NULL, 0, NULL, 0);
        return AC_ENOMEM;
    }
    int rc = ac_http_respond(x, status, &ct, 1, text, strlen(text));
    free(text);
    return rc;
}

/* Length of the valid UTF-8 sequence (RFC 3629 4) at |s|, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    /* The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

/* Replaces each byte that does not start a valid UTF-8 sequence with '?'. A
 * detail quotes what the client sent (a path, a header) and is cut to fit its
 * buffer, possibly inside a character; JSON strings must be UTF-8, and one bad
 * byte must not cost the client the whole problem body. */
static void utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

int ac_http_respond_problem(struct ac_http_exchange *x, int status, const char *slug,
                            const char *title, const char *field, const char *detail_fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, detail_fmt);
    vsnprintf(detail, sizeof(detail), detail_fmt, ap);
    va_end(ap);
    return ac_http_respond_problem_extra(x, status, slug, title, field, NULL, detail);
}

int ac_http_respond_problem_extra(struct ac_http_exchange *x, int status, const char *slug,
                                  const char *title, const char *field, const json_t *extra,
                                  const char *detail_in)
{
    static const struct ac_http_header ct = {"content-type", "application/problem+json"};
    char type[256];
    char detail[1024];
    snprintf(detail, sizeof(detail), "%s", detail_in);
    utf8_scrub(detail);
    snprintf(type, sizeof(type), PROBLEM_BASE "%s", slug);
    /* RFC 6750 3: a 401 names the scheme that would work. A request that sent
     * credentials had them rejected (invalid_token); one that sent none gets
     * the bare challenge, as 3.1 asks. */
    struct ac_http_header hs[2] = {ct, {"www-authenticate", "Bearer realm=\"accord\""}};
    size_t nh = 1;
    if (status == 401) {
        if (ac_http_header(&x->req, "authorization"))
            hs[1].value = "Bearer realm=\"accord\", error=\"invalid_token\"";
        nh = 2;
    }

    json_t *o = json_object();
    int bad = !o;
    if (o && extra)
        bad |= json_object_update(o, (json_t *)extra);
    bad |= o && json_object_set_new(o, "type", json_string(type));
    bad |= o && json_object_set_new(o, "title", json_string(title));
    bad |= o && json_object_set_new(o, "status", json_integer(status));
    bad |= o && json_object_set_new(o, "detail", json_string(detail));
    if (field && *field)
        bad |= o && json_object_set_new(o, "field", json_string(field));
    if (status == 401) {
        char now[21];
        ac_clock_format(ac_clock_now_ms(), now);
        bad |= o && json_object_set_new(o, "server_time", json_string(now));
    }
    char *text = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text) {
        ac_http_respond(x, status, hs + 1, nh - 1, NULL, 0);
        return AC_ENOMEM;
    }
    int rc = ac_http_respond(x, status, hs, nh, text, strlen(text));
    free(text);
    return rc;
}

void ac__http_date(char out[static 30])
{
    /* Every response carries a Date; formatting it is a visible share of a
     * small GET, and it changes once a second, so the last one is kept (per
     * thread, though servers run on the loop thread). */
    static _Thread_local time_t cached_t = (time_t)-1;
    static _Thread_local char cached[30];
    time_t t = (time_t)(ac_clock_now_ms() / 1000);
    if (t != cached_t) {
        struct tm tm;
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        gmtime_r(&t, &tm);
        /* Formatted by hand: strftime's %a and %b follow the locale. */
        snprintf(cached, sizeof cached, "%s, %02u %s %04u %02u:%02u:%02u GMT", days[tm.tm_wday % 7],
                 (unsigned)tm.tm_mday % 100, months[tm.tm_mon % 12],
                 (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
                 (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
        cached_t = t;
    }
    memcpy(out, cached, sizeof cached);
}
