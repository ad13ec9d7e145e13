/* api_util.c - helpers every handler shares: routes, JSON bodies, problem
 * answers for store errors, ids and pagination parameters, and the public,
 * cacheable answers (ETag, Cache-Control, 304) of records and keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "internal.h"
#include "readers.h"
#include "records/records.h"

void ac__route(struct ac_node *n, const char *method, const char *pattern, ac_http_handler_cb cb)
{
    if (ac__is_write_method(method)) {
        ac__route_write(n, method, pattern, cb);
        return;
    }
    if (ac_router_add(n->router, method, pattern, cb, n) != 0)
        AC_BUG("route registration failed");
}

/* True when |ct| is application/json, parameters (charset) allowed. */
static int is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof want - 1) != 0)
        return 0;
    char next = ct[sizeof want - 1];
    return next == 0 || next == ';' || next == ' ';
}

int ac__json_body(struct ac_http_exchange *x, int optional, json_t **out)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    if (req->body_len == 0 && optional) {
        *out = json_object();
        if (!*out) {
            ac__respond_error(x, AC_ENOMEM, "request");
            return -1;
        }
        return 0;
    }
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || !is_json_type(ct)) {
        ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                    "the body must be application/json, not %s", ct ? ct : "(none)");
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        ac__problem(x, AC_PROBLEM_BAD_JSON, NULL, NULL, "line %d column %d: %s", jerr.line,
                    jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        ac__problem(x, AC_PROBLEM_BAD_JSON, NULL, NULL, "the body must be a JSON object");
        return -1;
    }
    *out = j;
    return 0;
}

int ac__json_only(struct ac_http_exchange *x, const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, key, NULL, "%s: unknown field", key);
            return -1;
        }
    }
    return 0;
}

static int parse_id(const char *s, int64_t *id)
{
    if (!s || !*s || *s == '0' || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    *id = v;
    return 0;
}

int ac__param_id(struct ac_http_exchange *x, const char *param, const char *what, int64_t *id)
{
    const char *v = ac_http_param(x, param);
    if (parse_id(v, id) == 0)
        return 0;
    ac__problem(x, AC_PROBLEM_NOT_FOUND, param, NULL,
                "%s \"%s\" does not exist (ids are positive integers)", what, v ? v : "");
    return -1;
}

int ac__page_params(struct ac_http_exchange *x, size_t *limit, int64_t *after_id)
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char v[32];
    *limit = 50;
    *after_id = 0;
    int rc = ac_http_query(req, "limit", v, sizeof v);
    if (rc == 0) {
        char *end;
        long l = strtol(v, &end, 10);
        if (!v[0] || *end || l < 1 || l > 200) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "limit", NULL,
                        "limit: \"%s\" must be a whole number from 1 to 200", v);
            return -1;
        }
        *limit = (size_t)l;
    } else if (rc != AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "limit", NULL,
                    "limit: too long; must be a whole number from 1 to 200");
        return -1;
    }
    rc = ac_http_query(req, "cursor", v, sizeof v);
    if (rc == 0) {
        if (parse_id(v, after_id) != 0) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "cursor", NULL,
                        "cursor: \"%s\" is not a cursor this node issued", v);
            return -1;
        }
    } else if (rc != AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "cursor", NULL,
                    "cursor: not a cursor this node issued");
        return -1;
    }
    return 0;
}

void ac__json_time(json_t *obj, const char *key, int64_t ms)
{
    if (!ms)
        return;
    char when[21];
    json_object_set_new(obj, key, json_string(ac_clock_format(ms, when)));
}

void ac__respond_owned(struct ac_http_exchange *x, int status, json_t *j)
{
    if (!j) {
        ac__respond_error(x, AC_ENOMEM, "response");
        return;
    }
    ac_http_respond_json(x, status, j);
    json_decref(j);
}

json_t *ac__page_json(json_t *items, int more, int64_t last_id)
{
    json_t *j = json_pack("{s:o}", "items", items);
    if (j && more) {
        char cursor[24];
        snprintf(cursor, sizeof cursor, "%lld", (long long)last_id);
        json_object_set_new(j, "next_cursor", json_string(cursor));
    }
    return j;
}

json_t *ac__page_rows_json(const void *rows, size_t size, size_t got, size_t limit,
                           size_t id_offset, json_t *(*row_json)(const void *row))
{
    const unsigned char *at = rows;
    json_t *items = json_array();
    for (size_t i = 0; i < got && i < limit; i++)
        json_array_append_new(items, row_json(at + i * size));
    int more = got > limit;
    int64_t last = 0;
    if (more)
        memcpy(&last, at + (limit - 1) * size + id_offset, sizeof last);
    return ac__page_json(items, more, last);
}

void *ac__read_new(struct ac_http_exchange *x, size_t size, const char *what)
{
    void *r = calloc(1, size);
    if (!r)
        ac__respond_error(x, AC_ENOMEM, what);
    return r;
}

int ac__json_read_answer(struct ac__json_read *r, json_t *j, json_t **out)
{
    *out = j;
    if (j)
        return 0;
    snprintf(r->what, sizeof r->what, "response");
    return AC_ENOMEM;
}

/* Does If-None-Match of |x| list |etag| (or "*")? */
static int etag_matches(const struct ac_http_req *req, const char *etag)
{
    const char *inm = ac_http_header(req, "if-none-match");
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    size_t elen = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += elen) {
        char after = p[elen];
        if (after == 0 || after == ',' || after == ' ')
            return 1;
    }
    return 0;
}

void ac__respond_public(struct ac_http_exchange *x, const char *etag, const char *content_type,
                        const void *body, size_t len)
{
    static const char cache[] = "public, max-age=60";
    _Static_assert(AC__MAX_AGE_S == 60, "cache-control text follows AC__MAX_AGE_S");
    if (etag_matches(ac_http_exchange_req(x), etag)) {
        struct ac_http_header h[] = {{"etag", etag}, {"cache-control", cache}};
        ac_http_respond(x, 304, h, 2, NULL, 0);
        return;
    }
    struct ac_http_header h[] = {
        {"content-type", content_type}, {"etag", etag}, {"cache-control", cache}};
    ac_http_respond(x, 200, h, 3, body, len);
}

void ac__respond_published(struct ac_http_exchange *x, const struct ac__published *p,
                           const char *content_type)
{
    ac__respond_public(x, p->etag, content_type, p->body.data, p->body.len);
}

void ac__respond_public_json(struct ac_http_exchange *x, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        ac__respond_error(x, AC_ENOMEM, "response");
        return;
    }
    size_t len = strlen(text);
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *)text, len);
    char hex[33], etag[AC__ETAG_MAX];
    sodium_bin2hex(hex, sizeof hex, h, 16);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    ac__respond_public(x, etag, "application/json", text, len);
    free(text);
}
