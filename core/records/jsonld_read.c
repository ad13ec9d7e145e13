/* jsonld_read.c - the JSON reader behind ac_jsonld_parse(): builds jansson
 * values straight from the bytes. jansson's own parser reads through a
 * per-character stream and copies every token into a growing buffer, which
 * cost as much as the Ed25519 check when verifying an OB 3.0 credential; this
 * reader walks the text once and hands each finished string to jansson.
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
    char *buf; /* one decoded string at a time */
    size_t cap;
    int depth;
    int rc; /* AC_EPARSE or AC_ENOMEM once failed */
    char *why;
    size_t whylen;
};

static json_t *refuse(struct reader *r, const char *what)
{
    if (r->rc)
        return NULL;
    int line = 1, col = 0;
    for (const unsigned char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n')
            line++, col = 0;
        else
            col++;
    }
    snprintf(r->why, r->whylen, "not JSON: %s (line %d, column %d)", what, line, col + 1);
    r->rc = AC_EPARSE;
    return NULL;
}

static json_t *no_memory(struct reader *r)
{
    if (!r->rc)
        r->rc = AC_ENOMEM;
    return NULL;
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

static int reserve(struct reader *r, size_t need)
{
    if (need <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 256;
    while (cap < need)
        cap *= 2;
    char *nb = realloc(r->buf, cap);
    if (!nb)
        return -1;
    r->buf = nb;
    r->cap = cap;
    return 0;
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

/* Reads the string whose opening quote is at r->p into r->buf; its length in
 * |*len|. Decoded text is never longer than its source, so reserving the
 * rest of the input's length up front is enough (capped by the string). */
static int read_string(struct reader *r, size_t *len)
{
    const unsigned char *s = ++r->p;
    /* The closing quote bounds the decoded size: find it first. */
    const unsigned char *q = s;
    for (;;) {
        /* The next quote, ending the string unless an odd run of
         * backslashes escapes it. */
        const unsigned char *b = q < r->end ? memchr(q, '"', (size_t)(r->end - q)) : NULL;
        if (!b) {
            refuse(r, "premature end of input in a string");
            return -1;
        }
        const unsigned char *e = b;
        while (e > q && e[-1] == '\\')
            e--;
        q = b + 1;
        if (((b - e) & 1) == 0) {
            q = b;
            break;
        }
    }
    if (reserve(r, (size_t)(q - s) + 1)) {
        no_memory(r);
        return -1;
    }
    char *o = r->buf;
    while (r->p < q) {
        unsigned c = *r->p;
        if (c < 0x20) {
            refuse(r, "control character in a string");
            return -1;
        }
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
                if (!n) {
                    refuse(r, "invalid UTF-8 in a string");
                    return -1;
                }
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
            refuse(r, "invalid escape in a string");
            return -1;
        }
        unsigned v, lo;
        if (q - r->p < 4 || hex4(r->p, &v)) {
            refuse(r, "invalid \\u escape in a string");
            return -1;
        }
        r->p += 4;
        if (v >= 0xD800 && v <= 0xDBFF) {
            if (q - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF) {
                refuse(r, "invalid Unicode surrogate pair in a string");
                return -1;
            }
            r->p += 6;
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            refuse(r, "invalid Unicode: a lone low surrogate in a string");
            return -1;
        } else if (v == 0) {
            refuse(r, "\\u0000 is not allowed in a string");
            return -1;
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
    *len = (size_t)(o - r->buf);
    r->buf[*len] = 0;
    return 0;
}

static int is_digit(const struct reader *r, const unsigned char *s)
{
    return s < r->end && *s >= '0' && *s <= '9';
}

static json_t *read_number(struct reader *r)
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
    char text[512];
    size_t n = (size_t)(q - s);
    char *t = n < sizeof text ? text : malloc(n + 1);
    if (!t)
        return no_memory(r);
    memcpy(t, s, n);
    t[n] = 0;
    json_t *v;
    errno = 0;
    if (!real) {
        json_int_t i = strtoll(t, NULL, 10);
        v = errno == ERANGE ? refuse(r, s[0] == '-' ? "too big negative integer" : "too big integer")
                            : json_integer(i);
    } else {
        double d = strtod(t, NULL);
        v = (errno == ERANGE && isinf(d)) ? refuse(r, "real number overflow") : json_real(d);
    }
    if (t != text)
        free(t);
    r->p = q;
    if (!v && !r->rc)
        return no_memory(r);
    return v;
}

static json_t *read_value(struct reader *r);

static json_t *read_object(struct reader *r)
{
    json_t *obj = json_object();
    if (!obj)
        return no_memory(r);
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return obj;
    }
    for (;;) {
        skip_space(r);
        if (r->p >= r->end || *r->p != '"') {
            json_decref(obj);
            return refuse(r, "string or '}' expected");
        }
        size_t klen;
        if (read_string(r, &klen)) {
            json_decref(obj);
            return NULL;
        }
        /* No NUL byte can be in a key (jansson refuses one): read_string()
         * refuses a raw one as a control character and "\\u0000" by name. */
        if (json_object_getn(obj, r->buf, klen)) {
            json_decref(obj);
            return refuse(r, "duplicate object key");
        }
        /* The key is copied now: reading the value reuses the buffer. */
        char kbuf[128];
        char *key = klen < sizeof kbuf ? kbuf : malloc(klen + 1);
        if (!key) {
            json_decref(obj);
            return no_memory(r);
        }
        memcpy(key, r->buf, klen + 1);
        skip_space(r);
        json_t *v = NULL;
        if (r->p >= r->end || *r->p != ':')
            refuse(r, "':' expected");
        else {
            r->p++;
            skip_space(r);
            v = read_value(r);
        }
        int bad = !v || json_object_setn_new_nocheck(obj, key, klen, v);
        if (key != kbuf)
            free(key);
        if (bad) {
            json_decref(obj);
            return v ? no_memory(r) : NULL;
        }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return obj;
        }
        json_decref(obj);
        return refuse(r, "'}' or ',' expected");
    }
}

static json_t *read_array(struct reader *r)
{
    json_t *arr = json_array();
    if (!arr)
        return no_memory(r);
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return arr;
    }
    for (;;) {
        skip_space(r);
        json_t *v = read_value(r);
        if (!v || json_array_append_new(arr, v)) {
            json_decref(arr);
            return v ? no_memory(r) : NULL;
        }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return arr;
        }
        json_decref(arr);
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

static json_t *read_scalar_or_container(struct reader *r);

/* Every value counts one level, scalars too, as in jansson's parse_value(). */
static json_t *read_value(struct reader *r)
{
    if (++r->depth > MAX_NESTING)
        return refuse(r, "maximum parsing depth reached");
    json_t *v = read_scalar_or_container(r);
    r->depth--;
    return v;
}

static json_t *read_scalar_or_container(struct reader *r)
{
    if (r->p >= r->end)
        return refuse(r, "premature end of input");
    json_t *v;
    switch (*r->p) {
    case '{':
        return read_object(r);
    case '[':
        return read_array(r);
    case '"': {
        size_t len;
        if (read_string(r, &len))
            return NULL;
        v = json_stringn_nocheck(r->buf, len);
        return v ? v : no_memory(r);
    }
    case 't':
        v = word(r, "true", 4) ? json_true() : refuse(r, "invalid token");
        return v;
    case 'f':
        v = word(r, "false", 5) ? json_false() : refuse(r, "invalid token");
        return v;
    case 'n':
        v = word(r, "null", 4) ? json_null() : refuse(r, "invalid token");
        return v;
    default:
        return read_number(r);
    }
}

int ac__json_read(const char *text, size_t len, json_t **out, char *why, size_t whylen)
{
    struct reader r = {.p = (const unsigned char *)text,
                       .start = (const unsigned char *)text,
                       .end = (const unsigned char *)text + len,
                       .why = why,
                       .whylen = whylen};
    skip_space(&r);
    json_t *v = NULL;
    if (r.p < r.end && (*r.p == '{' || *r.p == '['))
        v = read_value(&r);
    else
        refuse(&r, "'[' or '{' expected");
    if (v) {
        skip_space(&r);
        if (r.p != r.end) {
            json_decref(v);
            v = refuse(&r, "end of file expected");
        }
    }
    free(r.buf);
    if (!v)
        return r.rc ? r.rc : AC_ENOMEM;
    *out = v;
    return 0;
}
