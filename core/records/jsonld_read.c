/* jsonld_read.c - the JSON reader behind ac_jt_parse() and
 * ac_jsonld_parse(): builds a document tree (jtree.h) straight from the
 * bytes into one arena. jansson's own parser reads through a per-character
 * stream and copies every token into a growing buffer, which cost as much as
 * the Ed25519 check when verifying an OB 3.0 credential; building jansson
 * values, even from this reader, and freeing them later still cost more than
 * both JSON-LD expansions. The verify path reads the tree; the issuing path
 * gets jansson values converted from it (ac__json_read()), so both refuse
 * the same documents with the same reasons.
 *
 * It refuses what json_loadb(JSON_REJECT_DUPLICATES) refuses, so a document
 * means the same whichever reader saw it: a top level that is not an object or
 * array, duplicate keys, invalid UTF-8 (overlong forms, surrogates, above
 * U+10FFFF), raw control characters in strings, lone or reversed surrogate
 * escapes, \u0000, numbers outside the JSON grammar, integers that do not fit
 * in json_int_t, reals that overflow, nesting deeper than 2048, and anything
 * after the value but whitespace. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "jsonld_internal.h"

/* jansson's JSON_PARSER_MAX_DEPTH. */
#define MAX_NESTING 2048

struct reader {
    const unsigned char *p, *start, *end;
    struct ac__arena *arena; /* the document's: strings and finished containers */
    /* The items and members of every open container, innermost last: a
     * container's are copied to the arena at its end, sized exactly. */
    struct ac_jt_member *stack;
    size_t top, cap;
    int depth;
    int rc; /* AC_EPARSE or AC_ENOMEM once failed */
    char *why;
    size_t whylen;
};

static int refuse(struct reader *r, const char *what)
{
    if (r->rc)
        return -1;
    int line = 1, col = 0;
    for (const unsigned char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n')
            line++, col = 0;
        else
            col++;
    }
    snprintf(r->why, r->whylen, "not JSON: %s (line %d, column %d)", what, line, col + 1);
    r->rc = AC_EPARSE;
    return -1;
}

static int no_memory(struct reader *r)
{
    if (!r->rc)
        r->rc = AC_ENOMEM;
    return -1;
}

static void skip_space(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* The length of the valid UTF-8 sequence at |s| (at most |n| bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], v;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0; /* a continuation byte, or the start of an overlong pair */
    if (c < 0xE0)
        len = 2, v = c & 0x1F;
    else if (c < 0xF0)
        len = 3, v = c & 0x0F;
    else if (c < 0xF5)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || (v >= 0xD800 && v <= 0xDFFF) ||
        v > 0x10FFFF)
        return 0;
    return len;
}

/* Bytes a string may hold as themselves with nothing to check: printable
 * ASCII but '"' and '\\'. The common case of the string loop is one load
 * and one test per byte. */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Whether the eight bytes at |s| are all plain (see |plain|): none below
 * 0x20, none at or above 0x80, no '"' and no '\\'. A byte is zero in
 * x - 0x01.. & ~x & 0x80.. exactly when a byte of x is zero, up to the
 * first such byte; a false "not plain" past it only sends the caller to
 * its byte loop, which decides. */
static int plain8(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
    uint64_t bad = (w - ones * 0x20) | (quote - ones) | (bslash - ones);
    bad &= ~w & high;
    bad |= w & high;
    /* (quote - ones) & ~quote flags a zero byte of quote; ~w & high keeps
     * the high bit of bytes below 0x80, where ~quote and ~bslash agree with
     * ~w on that bit ('"' and '\\' are below 0x80). */
    return bad == 0;
}

/* Reads the string whose opening quote is at r->p into the arena; sets
 * |*out| and its length |*len|. Decoded text is never longer than its
 * source, so the source's length is reserved up front. */
static int read_string(struct reader *r, const char **out, size_t *len)
{
    const unsigned char *s = ++r->p;
    /* The closing quote bounds the decoded size: find it first. */
    const unsigned char *q = s;
    for (;;) {
        /* The next quote, ending the string unless an odd run of
         * backslashes escapes it. */
        const unsigned char *b = q < r->end ? memchr(q, '"', (size_t)(r->end - q)) : NULL;
        if (!b)
            return refuse(r, "premature end of input in a string");
        const unsigned char *e = b;
        while (e > q && e[-1] == '\\')
            e--;
        q = b + 1;
        if (((b - e) & 1) == 0) {
            q = b;
            break;
        }
    }
    char *dst = ac__arena_alloc(r->arena, (size_t)(q - s) + 1);
    if (!dst)
        return no_memory(r);
    char *o = dst;
    while (r->p < q) {
        unsigned c = *r->p;
        if (c < 0x20)
            return refuse(r, "control character in a string");
        if (c != '\\') {
            /* A run of plain bytes, checked as UTF-8 and copied at once. */
            const unsigned char *run = r->p;
            for (;;) {
                /* Eight plain bytes a step while they last, then one. */
                while (q - r->p >= 8 && plain8(r->p))
                    r->p += 8;
                while (plain[*r->p]) /* stops at |q| at the latest: a '"' */
                    r->p++;
                if (r->p >= q || *r->p < 0x80)
                    break; /* the end, an escape or a control character */
                size_t n = utf8_len(r->p, (size_t)(q - r->p));
                if (!n)
                    return refuse(r, "invalid UTF-8 in a string");
                r->p += n;
            }
            memcpy(o, run, (size_t)(r->p - run));
            o += r->p - run;
            continue;
        }
        unsigned e = r->p[1];
        r->p += 2;
        switch (e) {
        case '"': *o++ = '"'; continue;
        case '\\': *o++ = '\\'; continue;
        case '/': *o++ = '/'; continue;
        case 'b': *o++ = '\b'; continue;
        case 'f': *o++ = '\f'; continue;
        case 'n': *o++ = '\n'; continue;
        case 'r': *o++ = '\r'; continue;
        case 't': *o++ = '\t'; continue;
        case 'u': break;
        default:
            return refuse(r, "invalid escape in a string");
        }
        unsigned v, lo;
        if (q - r->p < 4 || hex4(r->p, &v))
            return refuse(r, "invalid \\u escape in a string");
        r->p += 4;
        if (v >= 0xD800 && v <= 0xDBFF) {
            if (q - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF)
                return refuse(r, "invalid Unicode surrogate pair in a string");
            r->p += 6;
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            return refuse(r, "invalid Unicode: a lone low surrogate in a string");
        } else if (v == 0) {
            return refuse(r, "\\u0000 is not allowed in a string");
        }
        /* Six escaped source bytes (or twelve) always cover the UTF-8 form. */
        if (v < 0x80) {
            *o++ = (char)v;
        } else if (v < 0x800) {
            *o++ = (char)(0xC0 | (v >> 6));
            *o++ = (char)(0x80 | (v & 0x3F));
        } else if (v < 0x10000) {
            *o++ = (char)(0xE0 | (v >> 12));
            *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
            *o++ = (char)(0x80 | (v & 0x3F));
        } else {
            *o++ = (char)(0xF0 | (v >> 18));
            *o++ = (char)(0x80 | ((v >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
            *o++ = (char)(0x80 | (v & 0x3F));
        }
    }
    r->p = q + 1;
    *o = 0;
    *out = dst;
    *len = (size_t)(o - dst);
    return 0;
}

static int is_digit(const struct reader *r, const unsigned char *s)
{
    return s < r->end && *s >= '0' && *s <= '9';
}

static int read_number(struct reader *r, struct ac_jt *out)
{
    const unsigned char *s = r->p, *q = s;
    int real = 0;
    if (q < r->end && *q == '-')
        q++;
    if (!is_digit(r, q))
        return refuse(r, "invalid token");
    if (*q == '0') {
        q++;
        if (is_digit(r, q))
            return refuse(r, "invalid token (a number with a leading zero)");
    } else {
        while (is_digit(r, q))
            q++;
    }
    if (q < r->end && *q == '.') {
        real = 1;
        q++;
        if (!is_digit(r, q))
            return refuse(r, "invalid token (no digit after a decimal point)");
        while (is_digit(r, q))
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (!is_digit(r, q))
            return refuse(r, "invalid token (no digit in an exponent)");
        while (is_digit(r, q))
            q++;
    }
    /* strtoll() and strtod() want a terminated string; the text is not. */
    char text[512];
    size_t n = (size_t)(q - s);
    char *t = n < sizeof text ? text : malloc(n + 1);
    if (!t)
        return no_memory(r);
    memcpy(t, s, n);
    t[n] = 0;
    int rc = 0;
    errno = 0;
    if (!real) {
        long long i = strtoll(t, NULL, 10);
        if (errno == ERANGE)
            rc = refuse(r, s[0] == '-' ? "too big negative integer" : "too big integer");
        *out = (struct ac_jt){.type = AC_JT_INTEGER, .u.i = i};
    } else {
        double d = strtod(t, NULL);
        if (errno == ERANGE && isinf(d))
            rc = refuse(r, "real number overflow");
        *out = (struct ac_jt){.type = AC_JT_REAL, .u.d = d};
    }
    if (t != text)
        free(t);
    r->p = q;
    return rc;
}

static int push(struct reader *r, const char *key, size_t klen)
{
    if (r->top == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct ac_jt_member *ns = realloc(r->stack, cap * sizeof *ns);
        if (!ns)
            return no_memory(r);
        r->stack = ns;
        r->cap = cap;
    }
    r->stack[r->top++] = (struct ac_jt_member){.key = key, .klen = klen};
    return 0;
}

/* Ends the container whose items start at |base| on the stack: copies them
 * to the arena (members for an object, values for an array). */
static int close_container(struct reader *r, size_t base, enum ac_jt_type type,
                           struct ac_jt *out)
{
    size_t n = r->top - base;
    *out = (struct ac_jt){.type = type, .n = n};
    if (type == AC_JT_OBJECT) {
        struct ac_jt_member *m = n ? ac__arena_alloc(r->arena, n * sizeof *m) : NULL;
        if (n && !m)
            return no_memory(r);
        if (n)
            memcpy(m, &r->stack[base], n * sizeof *m);
        out->u.members = m;
    } else {
        struct ac_jt *v = n ? ac__arena_alloc(r->arena, n * sizeof *v) : NULL;
        if (n && !v)
            return no_memory(r);
        for (size_t i = 0; i < n; i++)
            v[i] = r->stack[base + i].value;
        out->u.items = v;
    }
    r->top = base;
    return 0;
}

/* Keys of one object seen so far. A credential's objects have a handful of
 * members, compared directly; past SMALL_OBJECT an open-addressed table of
 * stack positions keeps a huge object linear. */
#define SMALL_OBJECT 16

struct keyset {
    uint32_t *slot; /* stack position - base + 1; 0: empty */
    size_t mask, n;
};

static int keyset_insert(struct reader *r, struct keyset *ks, size_t base, size_t pos)
{
    if (2 * (ks->n + 1) > ks->mask + 1) {
        size_t cap = ks->slot ? 2 * (ks->mask + 1) : 4 * SMALL_OBJECT;
        uint32_t *ns = calloc(cap, sizeof *ns);
        if (!ns)
            return no_memory(r);
        free(ks->slot);
        ks->slot = ns;
        ks->mask = cap - 1;
        ks->n = 0;
        for (size_t i = base; i < pos; i++)
            if (keyset_insert(r, ks, base, i))
                return -1;
    }
    size_t h = ac__name_hash(r->stack[pos].key) & ks->mask;
    while (ks->slot[h])
        h = (h + 1) & ks->mask;
    ks->slot[h] = (uint32_t)(pos - base + 1);
    ks->n++;
    return 0;
}

/* 1 when |key| is a key of the open object at |base|, 0 when not, -1 out
 * of memory. */
static int seen_key(struct reader *r, struct keyset *ks, size_t base, const char *key,
                    size_t klen)
{
    size_t n = r->top - base;
    if (n < SMALL_OBJECT) {
        for (size_t i = base; i < r->top; i++)
            if (r->stack[i].klen == klen && memcmp(r->stack[i].key, key, klen) == 0)
                return 1;
        return 0;
    }
    /* The keys read since the table was last filled (all of them the
     * first time). */
    while (base + ks->n < r->top)
        if (keyset_insert(r, ks, base, base + ks->n))
            return -1;
    for (size_t h = ac__name_hash(key) & ks->mask; ks->slot[h]; h = (h + 1) & ks->mask) {
        const struct ac_jt_member *m = &r->stack[base + ks->slot[h] - 1];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0)
            return 1;
    }
    return 0;
}

static int read_value(struct reader *r, struct ac_jt *out);

static int read_members(struct reader *r, size_t base, struct keyset *ks, struct ac_jt *out)
{
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return close_container(r, base, AC_JT_OBJECT, out);
    }
    for (;;) {
        skip_space(r);
        if (r->p >= r->end || *r->p != '"')
            return refuse(r, "string or '}' expected");
        const char *key;
        size_t klen;
        if (read_string(r, &key, &klen))
            return -1;
        /* No NUL byte can be in a key: read_string() refuses a raw one as a
         * control character and "\\u0000" by name. */
        int dup = seen_key(r, ks, base, key, klen);
        if (dup)
            return dup > 0 ? refuse(r, "duplicate object key") : -1;
        if (push(r, key, klen))
            return -1;
        size_t pos = r->top - 1; /* the stack may move while the value is read */
        skip_space(r);
        if (r->p >= r->end || *r->p != ':')
            return refuse(r, "':' expected");
        r->p++;
        skip_space(r);
        struct ac_jt v;
        if (read_value(r, &v))
            return -1;
        r->stack[pos].value = v;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return close_container(r, base, AC_JT_OBJECT, out);
        }
        return refuse(r, "'}' or ',' expected");
    }
}

static int read_object(struct reader *r, struct ac_jt *out)
{
    struct keyset ks = {0};
    int rc = read_members(r, r->top, &ks, out);
    free(ks.slot);
    return rc;
}

static int read_array(struct reader *r, struct ac_jt *out)
{
    size_t base = r->top;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return close_container(r, base, AC_JT_ARRAY, out);
    }
    for (;;) {
        skip_space(r);
        if (push(r, NULL, 0))
            return -1;
        size_t pos = r->top - 1;
        struct ac_jt v;
        if (read_value(r, &v))
            return -1;
        r->stack[pos].value = v;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return close_container(r, base, AC_JT_ARRAY, out);
        }
        return refuse(r, "']' or ',' expected");
    }
}

static int word(struct reader *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

static int read_scalar_or_container(struct reader *r, struct ac_jt *out);

/* Every value counts one level, scalars too, as in jansson's parse_value(). */
static int read_value(struct reader *r, struct ac_jt *out)
{
    if (++r->depth > MAX_NESTING)
        return refuse(r, "maximum parsing depth reached");
    int rc = read_scalar_or_container(r, out);
    r->depth--;
    return rc;
}

static int read_scalar_or_container(struct reader *r, struct ac_jt *out)
{
    if (r->p >= r->end)
        return refuse(r, "premature end of input");
    switch (*r->p) {
    case '{':
        return read_object(r, out);
    case '[':
        return read_array(r, out);
    case '"':
        *out = (struct ac_jt){.type = AC_JT_STRING};
        return read_string(r, &out->u.s, &out->n);
    case 't':
        *out = (struct ac_jt){.type = AC_JT_TRUE};
        return word(r, "true", 4) ? 0 : refuse(r, "invalid token");
    case 'f':
        *out = (struct ac_jt){.type = AC_JT_FALSE};
        return word(r, "false", 5) ? 0 : refuse(r, "invalid token");
    case 'n':
        *out = (struct ac_jt){.type = AC_JT_NULL};
        return word(r, "null", 4) ? 0 : refuse(r, "invalid token");
    default:
        return read_number(r, out);
    }
}

int ac_jt_parse(const char *text, size_t len, struct ac_jt_doc **out, char *why, size_t whylen)
{
    if (len > AC_JSONLD_MAX_BYTES) {
        snprintf(why, whylen, "document of %zu bytes is over the limit of %u", len,
                 AC_JSONLD_MAX_BYTES);
        return AC_E2BIG;
    }
    struct ac_jt_doc *d = calloc(1, sizeof *d);
    if (!d)
        return AC_ENOMEM;
    struct reader r = {.p = (const unsigned char *)text,
                       .start = (const unsigned char *)text,
                       .end = (const unsigned char *)text + len,
                       .arena = &d->arena,
                       .why = why,
                       .whylen = whylen};
    skip_space(&r);
    int rc;
    if (r.p < r.end && (*r.p == '{' || *r.p == '['))
        rc = read_value(&r, &d->root);
    else
        rc = refuse(&r, "'[' or '{' expected");
    if (!rc) {
        skip_space(&r);
        if (r.p != r.end)
            rc = refuse(&r, "end of file expected");
    }
    free(r.stack);
    if (rc) {
        ac_jt_free(d);
        return r.rc ? r.rc : AC_ENOMEM;
    }
    *out = d;
    return 0;
}

int ac__json_read(const char *text, size_t len, json_t **out, char *why, size_t whylen)
{
    struct ac_jt_doc *d;
    int rc = ac_jt_parse(text, len, &d, why, whylen);
    if (rc)
        return rc;
    rc = ac_jt_to_json(&d->root, out);
    ac_jt_free(d);
    return rc;
}
