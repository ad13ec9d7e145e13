/* cbor.c - deterministic CBOR writer and strict validating reader (RFC 8949).
 *
 * This is our own codec rather than libcbor because libcbor neither produces
 * sorted maps nor refuses non-deterministic input (non-shortest arguments,
 * unsorted or duplicate keys), and signatures are made over exact bytes: a
 * verifier that accepted two encodings of one record would let an attacker
 * vary the bytes of a signed object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/sign/cbor.h"
#include "accord/base/error.h"

/* ---- Writer ------------------------------------------------------------- */

void ac_cbor_writer_init(struct ac_cbor_writer *w)
{
    memset(w, 0, sizeof(*w));
    ac_buf_init(&w->out);
}

void ac_cbor_writer_release(struct ac_cbor_writer *w)
{
    ac_buf_release(&w->out);
    free(w->entries);
    ac_cbor_writer_init(w);
}

static int fail(struct ac_cbor_writer *w, int err)
{
    if (!w->err)
        w->err = err;
    return w->err;
}

size_t ac_cbor_encode_head(uint8_t h[9], unsigned major, uint64_t arg)
{
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);
    if (arg < 24) {
        h[0] = (uint8_t)(mt | arg);
        n = 1;
    } else if (arg <= 0xff) {
        h[0] = mt | 24;
        h[1] = (uint8_t)arg;
        n = 2;
    } else if (arg <= 0xffff) {
        h[0] = mt | 25;
        n = 3;
    } else if (arg <= 0xffffffffu) {
        h[0] = mt | 26;
        n = 5;
    } else {
        h[0] = mt | 27;
        n = 9;
    }
    if (n > 2)
        for (size_t i = 1; i < n; i++)
            h[i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
    return n;
}

/* Appends a head with the shortest argument encoding (RFC 8949 §4.2.1). */
static int put_head(struct ac_cbor_writer *w, unsigned major, uint64_t arg)
{
    uint8_t h[9];
    size_t n = ac_cbor_encode_head(h, major, arg);
    if (ac_buf_append(&w->out, h, n))
        return fail(w, AC_ENOMEM);
    return 0;
}

/* Called before an item's first byte: records where a map key starts. */
static int begin_item(struct ac_cbor_writer *w)
{
    if (w->err)
        return w->err;
    if (w->depth == 0) {
        if (w->out.len > 0)
            return fail(w, AC_EINVAL); /* a second top-level item */
        return 0;
    }
    struct ac_cbor_frame *f = &w->frames[w->depth - 1];
    if (f->kind == AC_CBOR_MAP && f->done % 2 == 0) {
        if (w->nentries == w->entries_cap) {
            size_t cap = w->entries_cap ? 2 * w->entries_cap : 16;
            struct ac_cbor_entry *e = realloc(w->entries, cap * sizeof(*e));
            if (!e)
                return fail(w, AC_ENOMEM);
            w->entries = e;
            w->entries_cap = cap;
        }
        w->entries[w->nentries].start = w->out.len;
        w->entries[w->nentries].key_end = 0;
        w->entries[w->nentries].end = 0;
        w->nentries++;
    }
    return 0;
}

static int keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int entry_cmp(const void *x, const void *y, void *arg)
{
    const struct ac_cbor_entry *a = x, *b = y;
    const uint8_t *d = arg;
    return keycmp(d + a->start, a->key_end - a->start, d + b->start, b->key_end - b->start);
}

/* Re-orders the entries of the map in frame |f| so keys are in bytewise
 * lexicographic order of their encodings, and refuses equal keys. */
static int sort_map(struct ac_cbor_writer *w, const struct ac_cbor_frame *f)
{
    struct ac_cbor_entry *e = w->entries + f->entry_base;
    size_t n = w->nentries - f->entry_base;
    for (size_t i = 0; i < n; i++)
        e[i].end = i + 1 < n ? e[i + 1].start : w->out.len;
    qsort_r(e, n, sizeof(*e), entry_cmp, w->out.data);
    for (size_t i = 1; i < n; i++)
        if (entry_cmp(&e[i - 1], &e[i], w->out.data) == 0)
            return fail(w, AC_EINVAL);
    size_t span = w->out.len - f->start;
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = e[i - 1].end == e[i].start;
    if (!sorted && span > 0) {
        uint8_t *tmp = malloc(span);
        if (!tmp)
            return fail(w, AC_ENOMEM);
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(tmp + off, w->out.data + e[i].start, e[i].end - e[i].start);
            off += e[i].end - e[i].start;
        }
        memcpy(w->out.data + f->start, tmp, span);
        free(tmp);
    }
    w->nentries = f->entry_base;
    return 0;
}

/* Called after an item is complete: counts it in its container and closes
 * every container that is now full. */
static int end_item(struct ac_cbor_writer *w)
{
    while (w->depth > 0) {
        struct ac_cbor_frame *f = &w->frames[w->depth - 1];
        f->done++;
        if (f->kind == AC_CBOR_MAP && f->done % 2 == 1)
            w->entries[w->nentries - 1].key_end = w->out.len;
        if (f->done < f->total)
            break;
        w->depth--;
        if (f->kind == AC_CBOR_MAP && sort_map(w, f))
            return w->err;
    }
    return w->err;
}

static int put_scalar_head(struct ac_cbor_writer *w, unsigned major, uint64_t arg)
{
    if (begin_item(w) || put_head(w, major, arg))
        return w->err;
    return end_item(w);
}

int ac_cbor_put_uint(struct ac_cbor_writer *w, uint64_t v)
{
    return put_scalar_head(w, AC_CBOR_UINT, v);
}

int ac_cbor_put_nint(struct ac_cbor_writer *w, uint64_t n)
{
    return put_scalar_head(w, AC_CBOR_NINT, n);
}

int ac_cbor_put_int(struct ac_cbor_writer *w, int64_t v)
{
    if (v >= 0)
        return ac_cbor_put_uint(w, (uint64_t)v);
    /* -1 - v without overflow: v = -1 - n  =>  n = -(v + 1). */
    return ac_cbor_put_nint(w, (uint64_t)(-(v + 1)));
}

static int put_string(struct ac_cbor_writer *w, unsigned major, const void *p, size_t len)
{
    if (begin_item(w) || put_head(w, major, len))
        return w->err;
    if (len && ac_buf_append(&w->out, p, len))
        return fail(w, AC_ENOMEM);
    return end_item(w);
}

int ac_cbor_put_bytes(struct ac_cbor_writer *w, const void *p, size_t len)
{
    return put_string(w, AC_CBOR_BYTES, p, len);
}

static bool utf8_valid(const uint8_t *s, size_t len);

int ac_cbor_put_text(struct ac_cbor_writer *w, const char *s, size_t len)
{
    if (w->err)
        return w->err;
    if (!utf8_valid((const uint8_t *)s, len))
        return fail(w, AC_EINVAL);
    return put_string(w, AC_CBOR_TEXT, s, len);
}

int ac_cbor_put_str(struct ac_cbor_writer *w, const char *s)
{
    return ac_cbor_put_text(w, s, strlen(s));
}

int ac_cbor_put_bool(struct ac_cbor_writer *w, bool v)
{
    return put_scalar_head(w, AC_CBOR_SIMPLE, v ? 21 : 20);
}

int ac_cbor_put_null(struct ac_cbor_writer *w)
{
    return put_scalar_head(w, AC_CBOR_SIMPLE, 22);
}

static int open_container(struct ac_cbor_writer *w, unsigned kind, uint64_t head_arg,
                          uint64_t total)
{
    if (begin_item(w))
        return w->err;
    if (total > 0 && w->depth == AC_CBOR_MAX_DEPTH)
        return fail(w, AC_E2BIG);
    if (put_head(w, kind, head_arg))
        return w->err;
    if (total == 0)
        return end_item(w);
    struct ac_cbor_frame *f = &w->frames[w->depth++];
    f->kind = (uint8_t)kind;
    f->total = total;
    f->done = 0;
    f->start = w->out.len;
    f->entry_base = w->nentries;
    return 0;
}

int ac_cbor_put_array(struct ac_cbor_writer *w, uint64_t n)
{
    return open_container(w, AC_CBOR_ARRAY, n, n);
}

int ac_cbor_put_map(struct ac_cbor_writer *w, uint64_t npairs)
{
    if (npairs > UINT64_MAX / 2)
        return fail(w, AC_EINVAL);
    return open_container(w, AC_CBOR_MAP, npairs, 2 * npairs);
}

int ac_cbor_put_tag(struct ac_cbor_writer *w, uint64_t tag)
{
    return open_container(w, AC_CBOR_TAG, tag, 1);
}

int ac_cbor_put_encoded(struct ac_cbor_writer *w, const uint8_t *p, size_t len)
{
    if (w->err)
        return w->err;
    if (ac_cbor_check(p, len, NULL, 0))
        return fail(w, AC_EPARSE);
    if (begin_item(w))
        return w->err;
    if (ac_buf_append(&w->out, p, len))
        return fail(w, AC_ENOMEM);
    return end_item(w);
}

int ac_cbor_writer_finish(struct ac_cbor_writer *w, struct ac_buf *out)
{
    if (w->err)
        return w->err;
    if (w->depth > 0 || w->out.len == 0)
        return AC_EINVAL;
    *out = w->out;
    ac_buf_init(&w->out);
    ac_cbor_writer_release(w);
    return 0;
}

/* ---- Validation --------------------------------------------------------- */

/* RFC 3629 well-formed UTF-8: no overlong forms, no surrogates, <= U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint8_t lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false;
        }
        if (len - i - 1 < n)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

struct check {
    const uint8_t *p, *end, *base;
    char *why;
    size_t whylen;
};

static int refuse(struct check *c, const uint8_t *at, const char *fmt, const char *detail)
{
    if (c->why && c->whylen) {
        char msg[96];
        snprintf(msg, sizeof(msg), fmt, detail);
        snprintf(c->why, c->whylen, "offset %zu: %s", (size_t)(at - c->base), msg);
    }
    return AC_EPARSE;
}

/* Reads one head at c->p, enforcing shortest arguments and refusing
 * indefinite lengths, reserved values, floats and unsupported simple values. */
static int read_head(struct check *c, unsigned *major, uint64_t *arg)
{
    const uint8_t *at = c->p;
    if (c->p >= c->end)
        return refuse(c, at, "%s", "input ends where an item should start");
    uint8_t ib = *c->p++;
    unsigned mt = ib >> 5, ai = ib & 0x1f;
    uint64_t v;
    if (ai < 24) {
        v = ai;
    } else if (ai <= 27) {
        size_t n = (size_t)1 << (ai - 24);
        if ((size_t)(c->end - c->p) < n)
            return refuse(c, at, "%s", "argument runs past the end of the input");
        v = 0;
        for (size_t i = 0; i < n; i++)
            v = (v << 8) | c->p[i];
        c->p += n;
        if (mt == AC_CBOR_SIMPLE) {
            if (ai == 24 && v < 32)
                return refuse(c, at, "%s", "two-byte simple value below 32 is not well-formed");
            return refuse(c, at, "%s",
                          ai == 24 ? "unsupported simple value"
                                   : "floating-point values are not supported");
        }
        static const uint64_t floor_of[4] = {24, 0x100, 0x10000, 0x100000000ull};
        if (v < floor_of[ai - 24])
            return refuse(c, at, "%s", "argument not in its shortest (preferred) encoding");
    } else if (ai == 31) {
        if (mt == AC_CBOR_SIMPLE)
            return refuse(c, at, "%s", "unexpected break code");
        if (mt == AC_CBOR_UINT || mt == AC_CBOR_NINT || mt == AC_CBOR_TAG)
            return refuse(c, at, "%s", "additional information 31 is not well-formed here");
        return refuse(c, at, "%s", "indefinite-length item");
    } else {
        return refuse(c, at, "%s", "reserved additional information (28-30)");
    }
    if (mt == AC_CBOR_SIMPLE && ai < 24 && (v < 20 || v > 22))
        return refuse(c, at, "%s",
                      v == 23 ? "simple value undefined is not supported"
                              : "unsupported simple value");
    *major = mt;
    *arg = v;
    return 0;
}

static int check_item(struct check *c, unsigned depth)
{
    const uint8_t *at = c->p;
    unsigned mt;
    uint64_t arg;
    int rc = read_head(c, &mt, &arg);
    if (rc)
        return rc;
    size_t left = (size_t)(c->end - c->p);
    switch (mt) {
    case AC_CBOR_BYTES:
    case AC_CBOR_TEXT:
        if (arg > left)
            return refuse(c, at, "%s", "string length exceeds the remaining input");
        if (mt == AC_CBOR_TEXT && !utf8_valid(c->p, (size_t)arg))
            return refuse(c, at, "%s", "text string is not valid UTF-8");
        c->p += arg;
        return 0;
    case AC_CBOR_ARRAY:
    case AC_CBOR_MAP:
    case AC_CBOR_TAG:
        if (depth >= AC_CBOR_MAX_DEPTH)
            return refuse(c, at, "%s", "nesting deeper than the limit of 16");
        break;
    default:
        return 0;
    }
    if (mt == AC_CBOR_TAG)
        return check_item(c, depth + 1);
    /* Every item takes at least one byte, so a count above the remaining
     * input can be refused before looping over it. */
    uint64_t items = mt == AC_CBOR_MAP ? arg * 2 : arg;
    if (arg > left || (mt == AC_CBOR_MAP && items > left))
        return refuse(c, at, "%s",
                      mt == AC_CBOR_MAP ? "map length exceeds the remaining input"
                                        : "array length exceeds the remaining input");
    const uint8_t *prev_key = NULL;
    size_t prev_len = 0;
    for (uint64_t i = 0; i < arg; i++) {
        const uint8_t *key = c->p;
        if ((rc = check_item(c, depth + 1)))
            return rc;
        if (mt == AC_CBOR_MAP) {
            size_t key_len = (size_t)(c->p - key);
            if (prev_key) {
                int cmp = keycmp(prev_key, prev_len, key, key_len);
                if (cmp == 0)
                    return refuse(c, key, "%s", "duplicate map key");
                if (cmp > 0)
                    return refuse(c, key, "%s", "map keys not in bytewise lexicographic order");
            }
            prev_key = key;
            prev_len = key_len;
            if ((rc = check_item(c, depth + 1)))
                return rc;
        }
    }
    return 0;
}

int ac_cbor_check(const uint8_t *data, size_t len, char *why, size_t whylen)
{
    struct check c = {data, data + len, data, why, whylen};
    if (why && whylen)
        why[0] = '\0';
    int rc = check_item(&c, 0);
    if (rc)
        return rc;
    if (c.p != c.end)
        return refuse(&c, c.p, "%s", "trailing bytes after the item");
    return 0;
}

/* ---- Reader ------------------------------------------------------------- */

int ac_cbor_reader_init(struct ac_cbor_reader *r, const uint8_t *data, size_t len)
{
    r->p = r->base = data;
    r->end = data + len;
    r->why[0] = '\0';
    return ac_cbor_check(data, len, r->why, sizeof(r->why));
}

/* Decodes the (already validated) head at |p|; returns its length. */
static size_t head_at(const uint8_t *p, unsigned *major, uint64_t *arg)
{
    unsigned ai = p[0] & 0x1f;
    *major = p[0] >> 5;
    if (ai < 24) {
        *arg = ai;
        return 1;
    }
    size_t n = (size_t)1 << (ai - 24);
    uint64_t v = 0;
    for (size_t i = 1; i <= n; i++)
        v = (v << 8) | p[i];
    *arg = v;
    return n + 1;
}

enum ac_cbor_type ac_cbor_peek(const struct ac_cbor_reader *r)
{
    if (r->p >= r->end)
        return AC_CBOR_END;
    return (enum ac_cbor_type)(r->p[0] >> 5);
}

size_t ac_cbor_offset(const struct ac_cbor_reader *r)
{
    return (size_t)(r->p - r->base);
}

static const char *type_name(enum ac_cbor_type t)
{
    static const char *const names[] = {
        "unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag",
        "simple value",     "end of input"};
    return names[t];
}

/* Checks the next item is of type |want| and reads its head. */
static int expect(struct ac_cbor_reader *r, enum ac_cbor_type want, uint64_t *arg, size_t *hlen)
{
    enum ac_cbor_type got = ac_cbor_peek(r);
    if (got != want) {
        snprintf(r->why, sizeof(r->why), "offset %zu: expected %s, found %s", ac_cbor_offset(r),
                 type_name(want), type_name(got));
        return AC_EPARSE;
    }
    unsigned mt;
    *hlen = head_at(r->p, &mt, arg);
    return 0;
}

int ac_cbor_get_uint(struct ac_cbor_reader *r, uint64_t *out)
{
    uint64_t v;
    size_t h;
    if (expect(r, AC_CBOR_UINT, &v, &h))
        return AC_EPARSE;
    r->p += h;
    *out = v;
    return 0;
}

int ac_cbor_get_int(struct ac_cbor_reader *r, int64_t *out)
{
    enum ac_cbor_type t = ac_cbor_peek(r);
    uint64_t v;
    size_t h;
    if (expect(r, t == AC_CBOR_NINT ? AC_CBOR_NINT : AC_CBOR_UINT, &v, &h))
        return AC_EPARSE;
    if (v > INT64_MAX) {
        snprintf(r->why, sizeof(r->why), "offset %zu: integer does not fit in 64 signed bits",
                 ac_cbor_offset(r));
        return AC_ERANGE;
    }
    r->p += h;
    *out = t == AC_CBOR_NINT ? -1 - (int64_t)v : (int64_t)v;
    return 0;
}

static int get_string(struct ac_cbor_reader *r, enum ac_cbor_type t, const uint8_t **p, size_t *len)
{
    uint64_t v;
    size_t h;
    if (expect(r, t, &v, &h))
        return AC_EPARSE;
    *p = r->p + h;
    *len = (size_t)v;
    r->p += h + (size_t)v;
    return 0;
}

int ac_cbor_get_bytes(struct ac_cbor_reader *r, const uint8_t **p, size_t *len)
{
    return get_string(r, AC_CBOR_BYTES, p, len);
}

int ac_cbor_get_text(struct ac_cbor_reader *r, const char **s, size_t *len)
{
    return get_string(r, AC_CBOR_TEXT, (const uint8_t **)s, len);
}

int ac_cbor_get_bool(struct ac_cbor_reader *r, bool *out)
{
    uint64_t v;
    size_t h;
    if (expect(r, AC_CBOR_SIMPLE, &v, &h))
        return AC_EPARSE;
    if (v != 20 && v != 21) {
        snprintf(r->why, sizeof(r->why), "offset %zu: expected true or false", ac_cbor_offset(r));
        return AC_EPARSE;
    }
    r->p += h;
    *out = v == 21;
    return 0;
}

int ac_cbor_get_null(struct ac_cbor_reader *r)
{
    uint64_t v;
    size_t h;
    if (expect(r, AC_CBOR_SIMPLE, &v, &h))
        return AC_EPARSE;
    if (v != 22) {
        snprintf(r->why, sizeof(r->why), "offset %zu: expected null", ac_cbor_offset(r));
        return AC_EPARSE;
    }
    r->p += h;
    return 0;
}

static int get_head(struct ac_cbor_reader *r, enum ac_cbor_type t, uint64_t *n)
{
    uint64_t v;
    size_t h;
    if (expect(r, t, &v, &h))
        return AC_EPARSE;
    r->p += h;
    *n = v;
    return 0;
}

int ac_cbor_get_array(struct ac_cbor_reader *r, uint64_t *n)
{
    return get_head(r, AC_CBOR_ARRAY, n);
}

int ac_cbor_get_map(struct ac_cbor_reader *r, uint64_t *npairs)
{
    return get_head(r, AC_CBOR_MAP, npairs);
}

int ac_cbor_get_tag(struct ac_cbor_reader *r, uint64_t *tag)
{
    return get_head(r, AC_CBOR_TAG, tag);
}

/* Skips one validated item; recursion depth is bounded by the validation. */
static const uint8_t *skip_at(const uint8_t *p)
{
    unsigned mt;
    uint64_t arg;
    p += head_at(p, &mt, &arg);
    switch (mt) {
    case AC_CBOR_BYTES:
    case AC_CBOR_TEXT:
        return p + arg;
    case AC_CBOR_ARRAY:
        for (uint64_t i = 0; i < arg; i++)
            p = skip_at(p);
        return p;
    case AC_CBOR_MAP:
        for (uint64_t i = 0; i < 2 * arg; i++)
            p = skip_at(p);
        return p;
    case AC_CBOR_TAG:
        return skip_at(p);
    default:
        return p;
    }
}

int ac_cbor_skip(struct ac_cbor_reader *r, const uint8_t **p, size_t *len)
{
    if (r->p >= r->end) {
        snprintf(r->why, sizeof(r->why), "offset %zu: expected an item, found end of input",
                 ac_cbor_offset(r));
        return AC_EPARSE;
    }
    const uint8_t *start = r->p;
    r->p = skip_at(r->p);
    if (p)
        *p = start;
    if (len)
        *len = (size_t)(r->p - start);
    return 0;
}

int ac_cbor_map_find(const uint8_t *p, size_t len, const char *key, struct ac_cbor_reader *at)
{
    struct ac_cbor_reader r;
    uint64_t n;
    if (ac_cbor_reader_init(&r, p, len) || ac_cbor_get_map(&r, &n))
        return AC_EPARSE;
    size_t klen = strlen(key);
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kl;
        if (ac_cbor_get_text(&r, &k, &kl))
            return AC_EPARSE;
        if (kl == klen && memcmp(k, key, kl) == 0) {
            *at = r;
            return 0;
        }
        if (ac_cbor_skip(&r, NULL, NULL))
            return AC_EPARSE;
    }
    return AC_ENOENT;
}
