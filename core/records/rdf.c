/* rdf.c - the in-memory RDF dataset, its canonical N-Quads writer and an
 * RDF 1.1 N-Quads parser. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/hex.h"
#include "accord/records/rdf.h"

/* ---- the dataset ---------------------------------------------------------- */

static void term_release(struct ac_rdf_term *t)
{
    free(t->value);
    free(t->datatype);
    free(t->language);
    memset(t, 0, sizeof *t);
}

/* For quads the parser builds, whose strings are separate allocations. */
static void quad_release(struct ac_rdf_quad *q)
{
    term_release(&q->s);
    term_release(&q->p);
    term_release(&q->o);
    term_release(&q->g);
}

/* The strings of a quad in a dataset, in the order ac_rdf_dataset_add() lays
 * them out in the quad's one block. */
static char **quad_strings(struct ac_rdf_quad *q, char **out[12])
{
    struct ac_rdf_term *t[4] = {&q->s, &q->p, &q->o, &q->g};
    for (int i = 0; i < 4; i++) {
        out[3 * i] = &t[i]->value;
        out[3 * i + 1] = &t[i]->datatype;
        out[3 * i + 2] = &t[i]->language;
    }
    return out[0];
}

struct ac_rdf_chunk {
    struct ac_rdf_chunk *next;
    size_t used, cap;
    char data[];
};

char *ac_rdf_dataset_alloc(struct ac_rdf_dataset *d, size_t n)
{
    struct ac_rdf_chunk *c = d->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        if (cap > SIZE_MAX - sizeof *c)
            return NULL;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = d->chunks;
        c->used = 0;
        c->cap = cap;
        d->chunks = c;
    }
    char *p = c->data + c->used;
    c->used += n;
    return p;
}

void ac_rdf_dataset_release(struct ac_rdf_dataset *d)
{
    if (!d)
        return;
    while (d->chunks) {
        struct ac_rdf_chunk *c = d->chunks;
        d->chunks = c->next;
        free(c);
    }
    free(d->quads);
    free(d->index);
    free(d->hash_memo);
    memset(d, 0, sizeof *d);
}

/* A plain literal and "x"^^xsd:string are one term; a NULL datatype on a
 * literal is read as xsd:string so callers may leave it out. */
static const char *literal_datatype(const struct ac_rdf_term *t)
{
    if (t->kind != AC_RDF_LITERAL)
        return NULL;
    if (t->language)
        return AC_RDF_LANG_STRING;
    return t->datatype ? t->datatype : AC_RDF_XSD_STRING;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static int lang_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    for (; *a && *b; a++, b++) {
        if (lower(*a) != lower(*b))
            return 0;
    }
    return *a == *b;
}

static int term_equal(const struct ac_rdf_term *a, const struct ac_rdf_term *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == 0)
        return 1;
    return str_eq(a->value, b->value) && str_eq(literal_datatype(a), literal_datatype(b)) &&
           lang_eq(a->language, b->language);
}

static int quad_equal(const struct ac_rdf_quad *a, const struct ac_rdf_quad *b)
{
    return term_equal(&a->s, &b->s) && term_equal(&a->p, &b->p) && term_equal(&a->o, &b->o) &&
           term_equal(&a->g, &b->g);
}

/* A multiply-and-fold hash over eight bytes at a time. The index only needs
 * a spread, not resistance to chosen inputs: a collision costs one extra
 * comparison, never a wrong answer. */
#define MIX 0x9e3779b97f4a7c15u

static uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * MIX;
    return h ^ (h >> 29);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (!s)
        return mix(h, 1);
    size_t n = strlen(s), i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = mix(h, w);
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    return mix(mix(h, w), n);
}

static uint64_t term_hash(uint64_t h, const struct ac_rdf_term *t)
{
    h = mix(h, (uint64_t)t->kind);
    if (t->kind == 0)
        return h;
    h = hash_str(hash_str(h, t->value), literal_datatype(t));
    if (!t->language)
        return mix(h, 2);
    for (const char *l = t->language; *l; l++)
        h = mix(h, (uint8_t)lower(*l));
    return mix(h, 3);
}

/* A term's hash found again by its string pointers, for borrowed quads only:
 * their strings do not change while the dataset lives, so equal pointers
 * mean an equal term. JSON-LD expansion repeats pointers (a node's subject
 * in each of its quads, a predicate IRI from the context in every node
 * that uses the term), and hashing those strings again was most of the
 * cost of adding a quad. Direct-mapped; a miss only costs the hashing. */
struct ac_rdf_hash_memo {
    const char *value, *datatype, *language;
    enum ac_rdf_kind kind;
    uint64_t hash;
};
#define HASH_MEMO_SLOTS 128

static uint64_t term_hash_memo(struct ac_rdf_hash_memo *memo, const struct ac_rdf_term *t)
{
    if (!memo || t->kind == 0)
        return term_hash(14695981039346656037u, t);
    uint64_t k = ((uint64_t)(uintptr_t)t->value ^ (uint64_t)(uintptr_t)t->datatype * 31) * MIX;
    struct ac_rdf_hash_memo *m = &memo[(k >> 40) & (HASH_MEMO_SLOTS - 1)];
    if (m->value != t->value || m->datatype != t->datatype || m->language != t->language ||
        m->kind != t->kind)
        *m = (struct ac_rdf_hash_memo){t->value, t->datatype, t->language, t->kind,
                                       term_hash(14695981039346656037u, t)};
    return m->hash;
}

static uint64_t quad_hash(struct ac_rdf_hash_memo *memo, const struct ac_rdf_quad *q)
{
    uint64_t h = mix(term_hash_memo(memo, &q->s), term_hash_memo(memo, &q->p));
    return mix(mix(h, term_hash_memo(memo, &q->o)), term_hash_memo(memo, &q->g));
}

/* The slot holding a quad equal to |q| (hash |h|), or the empty slot where it
 * would go; with |q| NULL, the first empty slot. */
static struct ac_rdf_index_slot *index_slot(struct ac_rdf_index_slot *index, size_t cap, uint64_t h,
                                            const struct ac_rdf_quad *quads,
                                            const struct ac_rdf_quad *q)
{
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        struct ac_rdf_index_slot *s = &index[i];
        if (s->pos == 0 || (q && s->hash == h && quad_equal(&quads[s->pos - 1], q)))
            return s;
    }
}

static int index_grow(struct ac_rdf_dataset *d)
{
    /* A credential: ~80 quads, so room for 128 from the start (growing at
     * 64 cost a rehash per document). */
    size_t cap = d->index_cap ? d->index_cap * 2 : 256;
    if (cap / 2 < d->index_cap || cap > SIZE_MAX / sizeof *d->index)
        return AC_ENOMEM;
    struct ac_rdf_index_slot *index = calloc(cap, sizeof *index);
    if (!index)
        return AC_ENOMEM;
    for (size_t i = 0; i < d->index_cap; i++) {
        if (d->index[i].pos)
            *index_slot(index, cap, d->index[i].hash, d->quads, NULL) = d->index[i];
    }
    free(d->index);
    d->index = index;
    d->index_cap = cap;
    return 0;
}

/* Copies |q| into |dst| with all its strings in one block of |d|'s chunks
 * (see quad_strings() for the order), language tags lowercased: BCP 47 tags
 * are case-insensitive and JSON-LD processors (jsonld.js among them)
 * lowercase them, so two spellings make one term. A block carved from a
 * chunk instead of up to twelve allocations (or one malloc per quad) keeps
 * building a credential's dataset cheap. */
static int quad_copy(struct ac_rdf_dataset *d, struct ac_rdf_quad *dst, const struct ac_rdf_quad *q)
{
    const struct ac_rdf_term *src[4] = {&q->s, &q->p, &q->o, &q->g};
    const char *from[12] = {0};
    size_t len[12] = {0}, total = 0;
    for (int i = 0; i < 4; i++) {
        if (src[i]->kind == 0)
            continue;
        from[3 * i] = src[i]->value ? src[i]->value : "";
        from[3 * i + 1] = literal_datatype(src[i]);
        from[3 * i + 2] = src[i]->language;
    }
    for (int k = 0; k < 12; k++) {
        if (from[k]) {
            len[k] = strlen(from[k]) + 1;
            if (len[k] > SIZE_MAX - total)
                return AC_ENOMEM;
            total += len[k];
        }
    }
    memset(dst, 0, sizeof *dst);
    dst->s.kind = q->s.kind, dst->p.kind = q->p.kind;
    dst->o.kind = q->o.kind, dst->g.kind = q->g.kind;
    if (total == 0)
        return 0;
    char *block = ac_rdf_dataset_alloc(d, total), **to[12];
    if (!block)
        return AC_ENOMEM;
    quad_strings(dst, to);
    for (int k = 0; k < 12; k++) {
        if (!from[k])
            continue;
        memcpy(block, from[k], len[k]);
        *to[k] = block;
        if (k % 3 == 2) {
            for (char *l = block; *l; l++)
                *l = lower(*l);
        }
        block += len[k];
    }
    return 0;
}

/* Sets |dst| to |q| with its strings borrowed, a literal's datatype made
 * explicit as quad_copy() makes it. Returns 1 when a language tag needs
 * lowercasing (the quad must be copied instead), else 0. */
static int quad_borrow(struct ac_rdf_quad *dst, const struct ac_rdf_quad *q)
{
    *dst = *q;
    struct ac_rdf_term *t[4] = {&dst->s, &dst->p, &dst->o, &dst->g};
    for (int i = 0; i < 4; i++) {
        if (t[i]->kind == 0) {
            memset(t[i], 0, sizeof *t[i]);
            continue;
        }
        if (!t[i]->value)
            t[i]->value = (char *)"";
        t[i]->datatype = (char *)literal_datatype(t[i]);
        for (const char *l = t[i]->language; l && *l; l++)
            if (*l >= 'A' && *l <= 'Z')
                return 1;
    }
    return 0;
}

static int dataset_add(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q, int borrow)
{
    int rc;
    if (2 * (d->n + 1) > d->index_cap && (rc = index_grow(d)) != 0)
        return rc;
    if (borrow && !d->hash_memo && !(d->hash_memo = calloc(HASH_MEMO_SLOTS, sizeof *d->hash_memo)))
        return AC_ENOMEM;
    /* The memo serves borrowed quads only: a copied quad's pointers are the
     * caller's, whose strings may change after the call. */
    uint64_t h = quad_hash(borrow ? d->hash_memo : NULL, q);
    struct ac_rdf_index_slot *slot = index_slot(d->index, d->index_cap, h, d->quads, q);
    if (slot->pos)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 128; /* see index_grow() */
        struct ac_rdf_quad *nq = realloc(d->quads, cap * sizeof *nq);
        if (!nq)
            return AC_ENOMEM;
        d->quads = nq;
        d->cap = cap;
    }
    if ((!borrow || quad_borrow(&d->quads[d->n], q)) && (rc = quad_copy(d, &d->quads[d->n], q)) != 0)
        return rc;
    slot->hash = h;
    slot->pos = ++d->n;
    return 0;
}

int ac_rdf_dataset_add(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q)
{
    return dataset_add(d, q, 0);
}

int ac_rdf_dataset_add_borrowed(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q)
{
    return dataset_add(d, q, 1);
}

int ac_rdf_dataset_append_borrowed(struct ac_rdf_dataset *d, const struct ac_rdf_quad *q)
{
    int rc;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 128; /* see index_grow() */
        if (cap / 2 < d->cap || cap > SIZE_MAX / sizeof *d->quads)
            return AC_ENOMEM;
        struct ac_rdf_quad *nq = realloc(d->quads, cap * sizeof *nq);
        if (!nq)
            return AC_ENOMEM;
        d->quads = nq;
        d->cap = cap;
    }
    if (quad_borrow(&d->quads[d->n], q) && (rc = quad_copy(d, &d->quads[d->n], q)) != 0)
        return rc;
    d->n++;
    d->may_repeat = 1;
    return 0;
}

/* ---- the writer ----------------------------------------------------------- */

/* Canonical literal escaping (RDF 1.2 N-Triples section "Canonical form",
 * which RDFC-1.0 uses): the seven characters with a short escape use it,
 * every other control character and DEL is \u00XX with upper-case hex, and
 * everything else is written as itself. */
static int append_escaped(struct ac_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const uint8_t *p = (const uint8_t *)s, *run = p;
    int rc = 0;
    for (; *p && rc == 0; p++) {
        uint8_t c = *p;
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '\b':
            esc = "\\b";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        default:
            if (c < 0x20 || c == 0x7f || (c == 0xc0 && p[1] == 0x80)) {
                uint8_t cp = c == 0xc0 ? 0 : c;
                memcpy(u, "\\u00", 4);
                u[4] = hex[cp >> 4];
                u[5] = hex[cp & 15];
                u[6] = 0;
                esc = u;
            }
        }
        if (!esc)
            continue;
        rc = ac_buf_append(out, run, (size_t)(p - run));
        if (rc == 0)
            rc = ac_buf_append_str(out, esc);
        if (c == 0xc0)
            p++; /* the 0x80 of the U+0000 pair */
        run = p + 1;
    }
    if (rc == 0)
        rc = ac_buf_append(out, run, (size_t)(p - run));
    return rc;
}

/* Whether canonical escaping (append_escaped()) leaves |s| (|n| bytes) as
 * it is: no control character, DEL, '"', '\\' or 0xC0 (the first byte of
 * the two-byte U+0000). Eight bytes a step while none is at or above 0x80
 * (x - 0x01.. & ~x & 0x80.. is non-zero exactly when a byte of x is zero),
 * then a byte at a time. Most literals need no escape at all. */
static int plain_literal(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\'), del = w ^ (ones * 0x7f);
        uint64_t bad = ((w - ones * 0x20) | (quote - ones) | (bslash - ones) | (del - ones)) & ~w;
        if ((bad | w) & high)
            break;
    }
    for (; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f || c == 0xc0)
            return 0;
    }
    return 1;
}

int ac_rdf_term_nquads(const struct ac_rdf_term *t, struct ac_buf *out)
{
    int rc = 0;
    const char *v = t->value ? t->value : "";
    switch (t->kind) {
    case AC_RDF_IRI: {
        /* One reservation: most terms are IRIs. */
        size_t n = strlen(v);
        if ((rc = ac_buf_reserve(out, n + 2)) != 0)
            return rc;
        out->data[out->len] = '<';
        memcpy(out->data + out->len + 1, v, n);
        out->data[out->len + 1 + n] = '>';
        out->len += n + 2;
        return 0;
    }
    case AC_RDF_BLANK:
        if ((rc = ac_buf_append(out, "_:", 2)) == 0)
            rc = ac_buf_append_str(out, v);
        return rc;
    case AC_RDF_LITERAL: {
        const char *dt = literal_datatype(t);
        size_t n = strlen(v);
        if (plain_literal(v, n)) {
            /* One reservation and plain copies: "value", then @lang or
             * ^^<datatype> (none for xsd:string). */
            const char *tail = t->language                          ? t->language
                               : strcmp(dt, AC_RDF_XSD_STRING) == 0 ? NULL
                                                                    : dt;
            size_t tn = tail ? strlen(tail) : 0;
            if ((rc = ac_buf_reserve(out, n + tn + 6)) != 0)
                return rc;
            char *o = (char *)out->data + out->len;
            *o++ = '"';
            memcpy(o, v, n);
            o += n;
            *o++ = '"';
            if (t->language) {
                *o++ = '@';
            } else if (tail) {
                memcpy(o, "^^<", 3);
                o += 3;
            }
            memcpy(o, tail ? tail : "", tn);
            o += tn;
            if (!t->language && tail)
                *o++ = '>';
            out->len = (size_t)(o - (char *)out->data);
            return 0;
        }
        if ((rc = ac_buf_push(out, '"')) || (rc = append_escaped(out, v)) ||
            (rc = ac_buf_push(out, '"')))
            return rc;
        if (t->language) {
            if ((rc = ac_buf_push(out, '@')) == 0)
                rc = ac_buf_append_str(out, t->language);
        } else if (strcmp(dt, AC_RDF_XSD_STRING) != 0) {
            if ((rc = ac_buf_append(out, "^^<", 3)) == 0 && (rc = ac_buf_append_str(out, dt)) == 0)
                rc = ac_buf_push(out, '>');
        }
        return rc;
    }
    default:
        return 0;
    }
}

int ac_rdf_quad_nquads(const struct ac_rdf_quad *q, struct ac_buf *out)
{
    int rc;
    if ((rc = ac_rdf_term_nquads(&q->s, out)) || (rc = ac_buf_push(out, ' ')) ||
        (rc = ac_rdf_term_nquads(&q->p, out)) || (rc = ac_buf_push(out, ' ')) ||
        (rc = ac_rdf_term_nquads(&q->o, out)))
        return rc;
    if (q->g.kind != 0 && ((rc = ac_buf_push(out, ' ')) || (rc = ac_rdf_term_nquads(&q->g, out))))
        return rc;
    return ac_buf_append(out, " .\n", 3);
}

/* ---- the parser ----------------------------------------------------------- */

struct parser {
    const uint8_t *p, *end; /* the unread rest of the input */
    const uint8_t *line_start;
    size_t line;
    char *why;
    size_t whylen;
    struct ac_buf tok; /* scratch for the term being decoded */
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->why && ps->whylen) {
        int n = snprintf(ps->why, ps->whylen, "line %zu, column %zu: ", ps->line,
                         (size_t)(ps->p - ps->line_start) + 1);
        if (n >= 0 && (size_t)n < ps->whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->why + n, ps->whylen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return AC_EPARSE;
}

static int at_eol(const struct parser *ps)
{
    return ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r';
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

/* Returns the length of the well-formed UTF-8 sequence at |p| (shortest form,
 * no surrogates, at most U+10FFFF) or 0, and its code point in |*cp|. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    uint8_t c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* Appends |cp| as UTF-8, U+0000 as C0 80 (see rdf.h). */
static int put_utf8(struct ac_buf *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp == 0) {
        u[0] = 0xc0, u[1] = 0x80, n = 2;
    } else if (cp < 0x80) {
        u[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | (cp >> 6)), u[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | (cp >> 12)), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | (cp >> 18)), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (uint8_t)(0x80 | (cp & 0x3f)), n = 4;
    }
    return ac_buf_append(b, u, n);
}

/* Decodes \uXXXX or \UXXXXXXXX at ps->p (which points at the 'u' or 'U'). */
static int read_uchar(struct parser *ps, uint32_t *cp)
{
    size_t n = *ps->p == 'u' ? 4 : 8;
    uint32_t v = 0;
    if ((size_t)(ps->end - ps->p) < n + 1)
        return fail(ps, "\\%c escape needs %zu hex digits", *ps->p, n);
    for (size_t i = 1; i <= n; i++) {
        int h = ac_hex_digit(ps->p[i]);
        if (h < 0)
            return fail(ps, "\\%c escape needs %zu hex digits", *ps->p, n);
        v = (v << 4) | (uint32_t)h;
    }
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return fail(ps, "\\%c%.*s is not a Unicode scalar value", *ps->p, (int)n,
                    (const char *)ps->p + 1);
    ps->p += n + 1;
    *cp = v;
    return 0;
}

/* Copies one raw UTF-8 character into the token, refusing malformed bytes. */
static int copy_utf8(struct parser *ps)
{
    uint32_t cp;
    size_t n = utf8_seq(ps->p, ps->end, &cp);
    if (n == 0)
        return fail(ps, "invalid UTF-8 byte 0x%02X", *ps->p);
    int rc = cp == 0 ? put_utf8(&ps->tok, 0) : ac_buf_append(&ps->tok, ps->p, n);
    ps->p += n;
    return rc;
}

/* Moves the decoded token into |t| as its value. */
static int term_take(struct parser *ps, struct ac_rdf_term *t, enum ac_rdf_kind kind)
{
    t->kind = kind;
    t->value = malloc(ps->tok.len + 1);
    if (!t->value)
        return AC_ENOMEM;
    if (ps->tok.len)
        memcpy(t->value, ps->tok.data, ps->tok.len);
    t->value[ps->tok.len] = 0;
    ps->tok.len = 0;
    return 0;
}

/* The length of |s|'s RFC 3986 scheme (before its ':'), or 0 when it has
 * none. */
static size_t iri_scheme_len(const char *s)
{
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    for (p++; *p && *p != ':'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return *p == ':' ? (size_t)(p - s) : 0;
}

/* Bytes IRIREF forbids raw: U+0000 to U+0020 and <>"{}|^`\ (so NUL, the
 * end of a string, is one of them). A table, as this runs for every byte of
 * every IRI a credential holds. */
static const uint8_t iri_byte_stops[256] = {
    [0x00 ... 0x20] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1,  ['{'] = 1,
    ['}'] = 1,           ['|'] = 1, ['^'] = 1, ['`'] = 1, ['\\'] = 1,
};

static int iri_char_ok(uint8_t c)
{
    return !iri_byte_stops[c];
}

int ac_rdf_iri_ok(const char *iri)
{
    size_t scheme = iri ? iri_scheme_len(iri) : 0;
    if (!scheme)
        return 0;
    /* Four bytes a step; each byte is read only when the one before it was
     * not a stop, so nothing past the NUL is read. */
    const uint8_t *p = (const uint8_t *)iri + scheme;
    while (!iri_byte_stops[p[0]] && !iri_byte_stops[p[1]] && !iri_byte_stops[p[2]] &&
           !iri_byte_stops[p[3]])
        p += 4;
    while (!iri_byte_stops[*p])
        p++;
    return *p == 0;
}

int ac_rdf_langtag_ok(const char *tag)
{
    size_t n = 0;
    int part = 0;
    if (!tag)
        return 0;
    for (; *tag; tag++) {
        char c = *tag;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (c == '-' && n > 0)
            part++, n = 0;
        else if (alpha || (part > 0 && c >= '0' && c <= '9'))
            n++;
        else
            return 0;
    }
    return n > 0;
}

/* IRIREF ::= '<' ([^#x00-#x20<>"{}|^`\] | UCHAR)* '>', and absolute. */
static int read_iri(struct parser *ps, struct ac_rdf_term *t)
{
    const uint8_t *start = ps->p;
    int rc;
    ps->p++; /* '<' */
    ps->tok.len = 0;
    for (;;) {
        if (ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r')
            return fail(ps, "IRI has no closing '>'");
        uint8_t c = *ps->p;
        if (c == '>')
            break;
        if (c == '\\') {
            const uint8_t *esc = ps->p;
            uint32_t cp;
            if (ps->p + 1 == ps->end || (ps->p[1] != 'u' && ps->p[1] != 'U'))
                return fail(ps, "only \\u and \\U escapes are allowed in an IRI");
            ps->p++;
            if ((rc = read_uchar(ps, &cp)))
                return rc;
            /* An escape may not smuggle in what the grammar forbids raw:
             * written back, it would change the statement's structure. */
            if (cp < 0x80 && !iri_char_ok((uint8_t)cp)) {
                ps->p = esc;
                return fail(ps,
                            "an escape in an IRI decodes to character 0x%02X, which IRIs "
                            "may not contain",
                            (unsigned)cp);
            }
            if ((rc = put_utf8(&ps->tok, cp)))
                return rc;
            continue;
        }
        if (!iri_char_ok(c))
            return fail(ps, "character 0x%02X is not allowed in an IRI", c);
        if ((rc = copy_utf8(ps)))
            return rc;
    }
    ps->p++; /* '>' */
    if ((rc = term_take(ps, t, AC_RDF_IRI)))
        return rc;
    if (!iri_scheme_len(t->value)) {
        ps->p = start;
        return fail(ps, "IRI <%.200s> is relative; N-Quads needs absolute IRIs", t->value);
    }
    return 0;
}

static int label_char(uint8_t c, int first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == ':' || c >= 0x80)
        return 1;
    return !first && (c == '-' || c == '.');
}

/* BLANK_NODE_LABEL ::= '_:' (PN_CHARS_U | [0-9]) ((PN_CHARS | '.')* PN_CHARS)?
 * Non-ASCII characters are accepted when they are well-formed UTF-8. */
static int read_blank(struct parser *ps, struct ac_rdf_term *t)
{
    int rc;
    if (ps->end - ps->p < 2 || ps->p[1] != ':')
        return fail(ps, "expected '_:' to start a blank node label");
    ps->p += 2;
    ps->tok.len = 0;
    if (ps->p == ps->end || !label_char(*ps->p, 1))
        return fail(ps, "empty or malformed blank node label");
    while (ps->p < ps->end && label_char(*ps->p, 0)) {
        if ((rc = copy_utf8(ps)))
            return rc;
    }
    /* A label cannot end in '.', so trailing dots end the statement. */
    while (ps->tok.len && ps->tok.data[ps->tok.len - 1] == '.') {
        ps->tok.len--;
        ps->p--;
    }
    return term_take(ps, t, AC_RDF_BLANK);
}

static int read_literal(struct parser *ps, struct ac_rdf_term *t)
{
    int rc;
    ps->p++; /* '"' */
    ps->tok.len = 0;
    for (;;) {
        if (at_eol(ps))
            return fail(ps, "string literal has no closing '\"'");
        uint8_t c = *ps->p;
        if (c == '"')
            break;
        if (c != '\\') {
            if ((rc = copy_utf8(ps)))
                return rc;
            continue;
        }
        ps->p++;
        if (ps->p == ps->end)
            return fail(ps, "string literal ends in '\\'");
        static const char from[] = "tbnrf\"'\\", to[] = "\t\b\n\r\f\"'\\";
        const char *e = strchr(from, *ps->p);
        if (*ps->p == 'u' || *ps->p == 'U') {
            uint32_t cp;
            if ((rc = read_uchar(ps, &cp)) || (rc = put_utf8(&ps->tok, cp)))
                return rc;
        } else if (e && *ps->p) {
            if ((rc = ac_buf_push(&ps->tok, (uint8_t)to[e - from])))
                return rc;
            ps->p++;
        } else {
            return fail(ps, "unknown escape '\\%c' in a string literal", *ps->p);
        }
    }
    ps->p++; /* '"' */
    if ((rc = term_take(ps, t, AC_RDF_LITERAL)))
        return rc;
    if (ps->p < ps->end && *ps->p == '@') {
        const uint8_t *s = ++ps->p;
        int part = 0;
        size_t n = 0;
        while (ps->p < ps->end) {
            uint8_t c = *ps->p;
            int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            int digit = c >= '0' && c <= '9';
            if (c == '-' && n > 0) {
                part++, n = 0;
            } else if (alpha || (digit && part > 0)) {
                n++;
            } else {
                break;
            }
            ps->p++;
        }
        if (ps->p == s || n == 0)
            return fail(ps, "malformed language tag; expected [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*");
        t->language = malloc((size_t)(ps->p - s) + 1);
        if (!t->language)
            return AC_ENOMEM;
        for (size_t i = 0; i < (size_t)(ps->p - s); i++) {
            uint8_t c = s[i];
            t->language[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        t->language[ps->p - s] = 0;
        t->datatype = strdup(AC_RDF_LANG_STRING);
        return t->datatype ? 0 : AC_ENOMEM;
    }
    if (ps->end - ps->p >= 2 && ps->p[0] == '^' && ps->p[1] == '^') {
        struct ac_rdf_term dt = {0};
        ps->p += 2;
        if (ps->p == ps->end || *ps->p != '<')
            return fail(ps, "expected a datatype IRI after '^^'");
        if ((rc = read_iri(ps, &dt))) {
            term_release(&dt);
            return rc;
        }
        t->datatype = dt.value;
        return 0;
    }
    t->datatype = strdup(AC_RDF_XSD_STRING);
    return t->datatype ? 0 : AC_ENOMEM;
}

/* Reads one term of a kind in |allowed| (bit 1 << kind). */
static int read_term(struct parser *ps, struct ac_rdf_term *t, unsigned allowed, const char *what)
{
    if (ps->p < ps->end) {
        if (*ps->p == '<' && (allowed & (1u << AC_RDF_IRI)))
            return read_iri(ps, t);
        if (*ps->p == '_' && (allowed & (1u << AC_RDF_BLANK)))
            return read_blank(ps, t);
        if (*ps->p == '"' && (allowed & (1u << AC_RDF_LITERAL)))
            return read_literal(ps, t);
    }
    return fail(ps, "expected %s", what);
}

static int parse_statement(struct parser *ps, struct ac_rdf_quad *q)
{
    const unsigned iri = 1u << AC_RDF_IRI, blank = 1u << AC_RDF_BLANK, lit = 1u << AC_RDF_LITERAL;
    int rc;
    if ((rc = read_term(ps, &q->s, iri | blank, "a subject (IRI or blank node)")))
        return rc;
    skip_ws(ps);
    if ((rc = read_term(ps, &q->p, iri, "a predicate IRI")))
        return rc;
    skip_ws(ps);
    if ((rc = read_term(ps, &q->o, iri | blank | lit, "an object (IRI, blank node or literal)")))
        return rc;
    skip_ws(ps);
    if (!at_eol(ps) && *ps->p != '.' &&
        (rc = read_term(ps, &q->g, iri | blank, "a graph name (IRI or blank node) or '.'")))
        return rc;
    skip_ws(ps);
    if (ps->p == ps->end || *ps->p != '.')
        return fail(ps, "expected '.' to end the statement");
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '#') {
        while (!at_eol(ps))
            ps->p++;
    }
    if (!at_eol(ps))
        return fail(ps, "unexpected text after '.'");
    return 0;
}

int ac_rdf_parse_nquads(const char *text, size_t len, struct ac_rdf_dataset *d, char *why,
                        size_t whylen)
{
    struct parser ps = {.p = (const uint8_t *)text,
                        .end = (const uint8_t *)text + len,
                        .line_start = (const uint8_t *)text,
                        .line = 1,
                        .why = why,
                        .whylen = whylen};
    int rc = 0;
    ac_buf_init(&ps.tok);
    while (ps.p < ps.end && rc == 0) {
        skip_ws(&ps);
        if (ps.p < ps.end && *ps.p == '#') {
            while (!at_eol(&ps))
                ps.p++;
        }
        if (!at_eol(&ps)) {
            struct ac_rdf_quad q;
            memset(&q, 0, sizeof q);
            rc = parse_statement(&ps, &q);
            if (rc == 0)
                rc = ac_rdf_dataset_add(d, &q);
            quad_release(&q);
        }
        if (rc == 0 && ps.p < ps.end) {
            /* An end of line is \n, \r or \r\n. */
            if (*ps.p == '\r' && ps.p + 1 < ps.end && ps.p[1] == '\n')
                ps.p++;
            ps.p++;
            ps.line++;
            ps.line_start = ps.p;
        }
    }
    ac_buf_release(&ps.tok);
    if (rc == AC_ENOMEM && why && whylen)
        snprintf(why, whylen, "line %zu: out of memory", ps.line);
    return rc;
}
