/* jsonld.c - JSON-LD 1.1 expansion and deserialization to RDF (W3C JSON-LD
 * 1.1 Processing Algorithms sections 13, 5.2 and 8.6), restricted to what
 * the shipped contexts use and to documents that name only them; the active
 * context it expands against is built by jsonld_ctx.c. Also the JSON
 * parsing entry point and canonical JSON (RFC 8785) for @json literals.
 *
 * Expansion and toRdf are done in one walk: a node object's quads are
 * emitted as it is expanded instead of building the expanded form and a
 * node map first. That is equivalent here because the output is a set of
 * quads that RDFC-1.0 relabels anyway, and nothing that needs the node map
 * (@reverse, @included, merging of node objects) is accepted. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/json_alloc.h"
#include "jsonld_internal.h"

#define RDF_NS "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define XSD_NS "http://www.w3.org/2001/XMLSchema#"
#define RDF_TYPE RDF_NS "type"
#define RDF_FIRST RDF_NS "first"
#define RDF_REST RDF_NS "rest"
#define RDF_NIL RDF_NS "nil"
#define RDF_JSON RDF_NS "JSON"
#define RDF_LANGSTRING RDF_NS "langString"
#define XSD_STRING XSD_NS "string"
#define XSD_BOOLEAN XSD_NS "boolean"
#define XSD_INTEGER XSD_NS "integer"
#define XSD_DOUBLE XSD_NS "double"
/* The VC 2.0 context's catch-all @vocab: a term that only it expands is one
 * the issuer made up, which this processor refuses rather than signs. */
#define ISSUER_DEPENDENT "https://www.w3.org/ns/credentials/issuer-dependent#"

int ac_jsonld_parse(const char *text, size_t len, json_t **out, char *why, size_t whylen)
{
    if (len > AC_JSONLD_MAX_BYTES) {
        snprintf(why, whylen, "document of %zu bytes is over the limit of %u", len,
                 AC_JSONLD_MAX_BYTES);
        return AC_E2BIG;
    }
    /* The reader (jsonld_read.c) builds the values with jansson's
     * allocator, watched here so that any failure it could not see (inside
     * a jansson call) is still out of memory, not a verdict on the document. */
    ac_json_alloc_watch();
    json_t *v = NULL;
    int rc = ac__json_read(text, len, &v, why, whylen);
    if (ac_json_alloc_failed()) {
        json_decref(v);
        return AC_ENOMEM;
    }
    if (rc)
        return rc;
    *out = v;
    return 0;
}

/* ---- numbers and canonical JSON ---- */

void ac_jsonld_js_number(double x, char out[32])
{
    if (x == 0) {
        strcpy(out, "0");
        return;
    }
    char e[40];
    int prec;
    /* The shortest digit string that reads back as x (ECMA-262 Number::toString
     * step 5: the smallest k). */
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    const char *s = e;
    char digits[24];
    size_t k = 0;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s && *s != 'e'; s++)
        if (isdigit((unsigned char)*s))
            digits[k++] = *s;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = 0;
    int n = atoi(s + 1) + 1; /* the decimal point sits after n digits */
    char *o = out;
    if (neg)
        *o++ = '-';
    if ((int)k <= n && n <= 21) {
        memcpy(o, digits, k);
        o += k;
        for (int i = 0; i < n - (int)k; i++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, digits, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, digits + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, digits, k);
        o += k;
    } else {
        *o++ = digits[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, k - 1);
            o += k - 1;
        }
        o += sprintf(o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    *o = 0;
}

static int jcs_string(const char *s, size_t len, struct ac_buf *out)
{
    int rc = ac_buf_push(out, '"');
    for (size_t i = 0; !rc && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': rc = ac_buf_append_str(out, "\\\""); break;
        case '\\': rc = ac_buf_append_str(out, "\\\\"); break;
        case '\b': rc = ac_buf_append_str(out, "\\b"); break;
        case '\f': rc = ac_buf_append_str(out, "\\f"); break;
        case '\n': rc = ac_buf_append_str(out, "\\n"); break;
        case '\r': rc = ac_buf_append_str(out, "\\r"); break;
        case '\t': rc = ac_buf_append_str(out, "\\t"); break;
        default:
            rc = c < 0x20 ? ac_buf_printf(out, "\\u%04x", c) : ac_buf_push(out, c);
        }
    }
    return rc ? rc : ac_buf_push(out, '"');
}

static int cmp_member(const void *a, const void *b)
{
    /* Byte order of UTF-8 is code point order; RFC 8785 sorts by UTF-16 code
     * units, which differs only between U+E000..U+FFFF and supplementary
     * characters, neither of which a shipped context or our keys use. */
    return strcmp((*(const struct ac_jt_member *const *)a)->key,
                  (*(const struct ac_jt_member *const *)b)->key);
}

/* RFC 8785 over a tree: what @json literals of a document need. */
static int jcs(const struct ac_jt *v, struct ac_buf *out)
{
    char num[32];
    int rc = 0;
    switch (v->type) {
    case AC_JT_NULL: return ac_buf_append_str(out, "null");
    case AC_JT_TRUE: return ac_buf_append_str(out, "true");
    case AC_JT_FALSE: return ac_buf_append_str(out, "false");
    case AC_JT_INTEGER:
        ac_jsonld_js_number((double)v->u.i, num);
        return ac_buf_append_str(out, num);
    case AC_JT_REAL:
        if (!isfinite(v->u.d))
            return AC_EINVAL;
        ac_jsonld_js_number(v->u.d, num);
        return ac_buf_append_str(out, num);
    case AC_JT_STRING: return jcs_string(v->u.s, v->n, out);
    case AC_JT_ARRAY:
        rc = ac_buf_push(out, '[');
        for (size_t i = 0; !rc && i < v->n; i++) {
            if (i)
                rc = ac_buf_push(out, ',');
            if (!rc)
                rc = jcs(&v->u.items[i], out);
        }
        return rc ? rc : ac_buf_push(out, ']');
    case AC_JT_OBJECT: {
        size_t n = v->n;
        const struct ac_jt_member **keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys)
            return AC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            keys[i] = &v->u.members[i];
        qsort(keys, n, sizeof *keys, cmp_member);
        rc = ac_buf_push(out, '{');
        for (size_t i = 0; !rc && i < n; i++) {
            if (i)
                rc = ac_buf_push(out, ',');
            if (!rc)
                rc = jcs_string(keys[i]->key, keys[i]->klen, out);
            if (!rc)
                rc = ac_buf_push(out, ':');
            if (!rc)
                rc = jcs(&keys[i]->value, out);
        }
        free(keys);
        return rc ? rc : ac_buf_push(out, '}');
    }
    }
    return AC_EINVAL;
}

int ac_jsonld_jcs(const json_t *v, struct ac_buf *out)
{
    struct ac_jt_doc *d;
    int rc = ac_jt_from_json(v, &d);
    if (rc)
        return rc;
    rc = jcs(ac_jt_root(d), out);
    ac_jt_free(d);
    return rc;
}

/* ---- expansion to RDF ---- */

struct run {
    struct ac_jsonld *p;
    struct ac__arena tmp; /* strings of one document's terms (when copying) */
    /* The quads borrow their strings (ac_jsonld_to_rdf_borrowing()): the
     * run's own strings then go into |out|'s blocks, not |tmp|. */
    int borrow;
    /* Borrowing without the dataset's duplicate check
     * (ac_rdf_dataset_append_borrowed()): ac_jsonld_to_rdf_view(), whose
     * quads go straight to RDFC-1.0. */
    int append;
    struct ac_rdf_dataset *out;
    const char *skip; /* a top-level member to leave out (ac_jsonld_to_rdf_view()) */
    int iri_unchecked; /* an IRI term was emitted that ac_rdf_iri_ok() has not passed */
    json_t *bnodes; /* the document's "_:x" -> our label; NULL until one is met */
    unsigned next_blank;
    int depth;
    char path[256];
    size_t pathlen;
    char *why;
    size_t whylen;
};

/* A string built during the run that a quad may point to: in |out| when
 * the quads borrow (it must live as long as they do), else in |tmp|. */
static char *run_cat(struct run *r, const char *x, size_t xlen, const char *y, size_t ylen)
{
    if (!r->borrow)
        return ac__arena_cat(&r->tmp, x, xlen, y, ylen);
    char *s = ac_rdf_dataset_alloc(r->out, xlen + ylen + 1);
    if (!s)
        return NULL;
    memcpy(s, x, xlen);
    memcpy(s + xlen, y, ylen);
    s[xlen + ylen] = 0;
    return s;
}

static char *run_str(struct run *r, const char *s)
{
    return run_cat(r, s, strlen(s), "", 0);
}

static int fail(struct run *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct run *r, int code, const char *fmt, ...)
{
    int off = snprintf(r->why, r->whylen, "%s%s", r->pathlen ? r->path : "(document)", ": ");
    if (off < 0 || (size_t)off >= r->whylen)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why + off, r->whylen - (size_t)off, fmt, ap);
    va_end(ap);
    return code;
}

static size_t path_push(struct run *r, const char *key, long index)
{
    /* Runs for every member and item of every document, and is read only
     * when a document is refused: plain copies, no snprintf. */
    size_t old = r->pathlen, room = sizeof r->path - 1 - old, n = 0;
    char tmp[24];
    const char *add = key;
    if (key) {
        if (old && room > 0)
            r->path[old + n++] = '.';
    } else {
        char *e = tmp + sizeof tmp, *q = e;
        *--q = 0;
        *--q = ']';
        unsigned long v = index < 0 ? 0 : (unsigned long)index;
        do
            *--q = (char)('0' + v % 10);
        while ((v /= 10) && q > tmp + 1);
        *--q = '[';
        add = q;
    }
    size_t len = strlen(add);
    if (len > room - n)
        len = room - n;
    memcpy(r->path + old + n, add, len);
    r->pathlen = old + n + len;
    r->path[r->pathlen] = 0;
    return old;
}

static void path_pop(struct run *r, size_t old)
{
    r->pathlen = old;
    r->path[old] = 0;
}

static int new_blank(struct run *r, struct ac_rdf_term *t)
{
    /* "b" and the decimal number, written by hand: this runs for every
     * node object without an @id. */
    char digits[16], *q = digits + sizeof digits;
    unsigned v = r->next_blank++;
    do
        *--q = (char)('0' + v % 10);
    while ((v /= 10) && q > digits);
    t->kind = AC_RDF_BLANK;
    t->value = run_cat(r, "b", 1, q, (size_t)(digits + sizeof digits - q));
    t->datatype = t->language = NULL;
    return t->value ? 0 : AC_ENOMEM;
}

static int emit(struct run *r, const struct ac_rdf_term *s, const char *pred,
                const struct ac_rdf_term *o, const struct ac_rdf_term *g)
{
    if (r->out->n >= AC_JSONLD_MAX_QUADS)
        return fail(r, AC_E2BIG, "the document makes more than %d quads", AC_JSONLD_MAX_QUADS);
    struct ac_rdf_quad q = {.s = *s, .o = *o, .g = *g};
    q.p.kind = AC_RDF_IRI;
    q.p.value = (char *)pred;
    if (r->append)
        return ac_rdf_dataset_append_borrowed(r->out, &q);
    return r->borrow ? ac_rdf_dataset_add_borrowed(r->out, &q) : ac_rdf_dataset_add(r->out, &q);
}

/* VIA_IRI and VIA_ABSOLUTE_TERM results are known absolute IRIs already. */
enum { VIA_TERM, VIA_ABSOLUTE_TERM, VIA_VOCAB, VIA_IRI, VIA_KEYWORD, VIA_BLANK };

/* IRI expansion (5.2.2) against a processed context; |*out| NULL when a term
 * maps to null; |*via| says how the result was reached. */
static int expand_iri(struct run *r, const struct ac__ctx *c, const char *value, int vocab,
                      const char **out, int *via)
{
    if (ac__is_keyword(value)) {
        *out = value;
        *via = VIA_KEYWORD;
        return 0;
    }
    const struct ac__term *t = ac__find_term(c, value);
    if (t && t->iri && t->iri[0] == '@') {
        *out = t->iri;
        *via = VIA_KEYWORD;
        return 0;
    }
    if (vocab && t) {
        *out = t->iri;
        *via = t->absolute ? VIA_ABSOLUTE_TERM : VIA_TERM;
        return 0;
    }
    const char *colon = strchr(value, ':');
    if (colon && colon != value) {
        size_t plen = (size_t)(colon - value);
        if (plen == 1 && value[0] == '_') {
            *out = value;
            *via = VIA_BLANK;
            return 0;
        }
        if (strncmp(colon + 1, "//", 2) != 0) {
            char prefix[128];
            if (plen < sizeof prefix) {
                memcpy(prefix, value, plen);
                prefix[plen] = 0;
                const struct ac__term *pt = ac__find_term(c, prefix);
                if (pt && pt->iri && pt->prefix) {
                    *out = run_cat(r, pt->iri, strlen(pt->iri), colon + 1,
                                     strlen(colon + 1));
                    *via = VIA_TERM;
                    return *out ? 0 : AC_ENOMEM;
                }
            }
        }
        if (ac__is_absolute_iri(value)) {
            *out = value;
            *via = VIA_IRI;
            return 0;
        }
    }
    if (vocab && c->vocab) {
        *out = run_cat(r, c->vocab, strlen(c->vocab), value, strlen(value));
        *via = VIA_VOCAB;
        return *out ? 0 : AC_ENOMEM;
    }
    if (vocab)
        return fail(r, AC_EINVAL, "\"%s\" is not defined by the document's contexts", value);
    return fail(r, AC_EINVAL, "\"%s\" is not an absolute IRI (relative IRIs are not accepted)",
                value);
}

/* An IRI-valued position (@id, @type, "@type": "@id"/"@vocab" values): an
 * absolute IRI or a blank node identifier, as an RDF term. */
static int iri_term(struct run *r, const struct ac__ctx *c, const char *value, int vocab,
                    struct ac_rdf_term *t)
{
    const char *iri;
    int via, rc = expand_iri(r, c, value, vocab, &iri, &via);
    if (rc)
        return rc;
    if (!iri || via == VIA_KEYWORD)
        return fail(r, AC_EINVAL, "\"%s\" does not name an IRI", value);
    if (via == VIA_VOCAB && strcmp(c->vocab, ISSUER_DEPENDENT) == 0)
        return fail(r, AC_EINVAL, "\"%s\" is not defined by the document's contexts", value);
    memset(t, 0, sizeof *t);
    if (via == VIA_BLANK) {
        /* Made on first use: most documents name no blank node. */
        if (!r->bnodes && !(r->bnodes = json_object()))
            return AC_ENOMEM;
        json_t *m = json_object_get(r->bnodes, iri + 2);
        if (!m) {
            if ((rc = new_blank(r, t)))
                return rc;
            if (json_object_set_new(r->bnodes, iri + 2, json_string(t->value)))
                return AC_ENOMEM;
            return 0;
        }
        t->kind = AC_RDF_BLANK;
        /* A copy: |r->bnodes| and its strings go when the run ends. */
        t->value = run_str(r, json_string_value(m));
        return t->value ? 0 : AC_ENOMEM;
    }
    if (via != VIA_IRI && via != VIA_ABSOLUTE_TERM && !ac__is_absolute_iri(iri))
        return fail(r, AC_EINVAL, "\"%s\" is not an absolute IRI", iri);
    t->kind = AC_RDF_IRI;
    t->value = (char *)iri;
    return 0;
}

/* The lexical form JSON-LD toRdf gives a number (8.6 step 10 and 11, as
 * jsonld.js computes it: a value whose JavaScript text has no "." and is
 * below 1e21 is an integer, anything else a double written like
 * toExponential(15) with trailing zeros removed: 0.3 -> "3.0E-1"). */
static int number_literal(struct run *r, const struct ac_jt *v, const char *datatype,
                          struct ac_rdf_term *t)
{
    double x = ac_jt_number(v);
    char js[32], lex[48];
    if (!isfinite(x))
        return fail(r, AC_EINVAL, "number is not finite");
    /* Whether JavaScript's text of x has a "." (jsonld.js's isDouble),
     * without writing it where the answer is plain: an integral value
     * below 1e21 is written as digits; any other value from 1e-6 up is
     * written in fixed notation with a fraction. Only below 1e-6 does it
     * depend on the digits ("5e-7" has no ".", "1.5e-7" has one). */
    double ax = fabs(x);
    int is_double;
    if (ax >= 1e21)
        is_double = 1;
    else if (x == floor(x))
        is_double = 0;
    else if (ax >= 1e-6)
        is_double = 1;
    else {
        ac_jsonld_js_number(x, js);
        is_double = strchr(js, '.') != NULL;
    }
    if (datatype && strcmp(datatype, XSD_DOUBLE) == 0)
        is_double = 1;
    if (v->type == AC_JT_INTEGER && !(datatype && strcmp(datatype, XSD_DOUBLE) == 0)) {
        snprintf(lex, sizeof lex, "%lld", v->u.i);
        is_double = 0;
    } else if (is_double) {
        /* toExponential(15) less the mantissa's trailing zeros, "E" and
         * the exponent without "+": 1.5 -> "1.5E0". */
        char e[40];
        snprintf(e, sizeof e, "%.15e", x);
        char *ep = strchr(e, 'e');
        char *m = ep;
        while (m[-1] == '0' && m[-2] != '.')
            m--;
        const char *ex = ep + 1;
        int neg = *ex == '-';
        if (*ex == '+' || *ex == '-')
            ex++;
        while (ex[0] == '0' && ex[1])
            ex++; /* "%e" writes at least two exponent digits */
        char *o = lex;
        memcpy(o, e, (size_t)(m - e));
        o += m - e;
        *o++ = 'E';
        if (neg)
            *o++ = '-';
        size_t exn = strlen(ex);
        memcpy(o, ex, exn + 1);
    } else {
        /* JavaScript's toFixed(0): exact digits below 1e21, "0" for -0. */
        if (x == 0 || fabs(x) < 0.5)
            snprintf(lex, sizeof lex, "%s", x < 0 && x != 0 && fabs(x) < 1 ? "-0" : "0");
        else
            snprintf(lex, sizeof lex, "%.0f", x);
    }
    t->kind = AC_RDF_LITERAL;
    t->value = run_str(r, lex);
    t->datatype = (char *)(datatype ? datatype : is_double ? XSD_DOUBLE : XSD_INTEGER);
    t->language = NULL;
    return t->value ? 0 : AC_ENOMEM;
}

/* A literal from a JSON scalar with an optional datatype or language (8.6). */
static int literal(struct run *r, const struct ac_jt *v, const char *datatype, const char *language,
                   struct ac_rdf_term *t)
{
    memset(t, 0, sizeof *t);
    t->kind = AC_RDF_LITERAL;
    if (ac_jt_is_boolean(v)) {
        t->value = (char *)(v->type == AC_JT_TRUE ? "true" : "false");
        t->datatype = (char *)(datatype ? datatype : XSD_BOOLEAN);
        return 0;
    }
    if (ac_jt_is_number(v))
        return number_literal(r, v, datatype, t);
    if (!ac_jt_is_string(v))
        return fail(r, AC_EINVAL, "a value must be a string, number or boolean");
    t->value = (char *)ac_jt_string(v);
    if (!datatype && language) {
        char *l = run_str(r, language);
        if (!l)
            return AC_ENOMEM;
        for (char *q = l; *q; q++) {
            if (!isalnum((unsigned char)*q) && *q != '-')
                return fail(r, AC_EINVAL, "\"%s\" is not a language tag (BCP 47)", language);
            *q = (char)tolower((unsigned char)*q);
        }
        t->language = l;
        t->datatype = (char *)RDF_LANGSTRING;
    } else {
        t->datatype = (char *)(datatype ? datatype : XSD_STRING);
    }
    return 0;
}

static int json_literal(struct run *r, const struct ac_jt *v, struct ac_rdf_term *t)
{
    struct ac_buf b = AC_BUF_INIT;
    int rc = jcs(v, &b);
    if (!rc)
        rc = ac_buf_terminate(&b);
    if (rc) {
        ac_buf_release(&b);
        return rc == AC_EINVAL ? fail(r, rc, "an @json value holds a number that is not finite")
                               : rc;
    }
    memset(t, 0, sizeof *t);
    t->kind = AC_RDF_LITERAL;
    t->value = run_cat(r, (const char *)b.data, b.len, "", 0);
    t->datatype = (char *)RDF_JSON;
    ac_buf_release(&b);
    return t->value ? 0 : AC_ENOMEM;
}

static int node(struct run *r, const struct ac__ctx *c, const struct ac__term *active,
                const struct ac_jt *obj, const struct ac_rdf_term *graph, int top,
                struct ac_rdf_term *subject);

/* A scoped context of term |name| could not be applied: the reason from
 * context processing (in r->why) with the document path before it. */
static int scoped_fail(struct run *r, int rc, const char *kind, const char *name)
{
    if (rc == AC_ENOMEM)
        return rc;
    char inner[256];
    snprintf(inner, sizeof inner, "%s", r->why);
    return fail(r, rc, "%s context of \"%s\": %s", kind, name, inner);
}

static int values(struct run *r, const struct ac__ctx *c, const struct ac__term *t,
                  const struct ac_rdf_term *s, const struct ac_jt *v, const struct ac_rdf_term *g);

/* A value object ({"@value": ..., "@type" | "@language": ...}, 13.4.7). */
static int value_object(struct run *r, const struct ac__ctx *c, const struct ac_jt *obj,
                        struct ac_rdf_term *t)
{
    const struct ac_jt *value = NULL, *type = NULL, *lang = NULL;
    for (size_t i = 0; i < obj->n; i++) {
        const char *key = obj->u.members[i].key;
        const struct ac_jt *v = &obj->u.members[i].value;
        const char *kw = ac__key_keyword(c, key);
        if (kw && strcmp(kw, "@value") == 0)
            value = v;
        else if (kw && strcmp(kw, "@type") == 0)
            type = v;
        else if (kw && strcmp(kw, "@language") == 0)
            lang = v;
        else
            return fail(r, AC_EINVAL, "\"%s\" is not allowed in a value object", key);
    }
    if (type && lang)
        return fail(r, AC_EINVAL, "a value object cannot have both @type and @language");
    if (lang && !ac_jt_is_string(lang))
        return fail(r, AC_EINVAL, "@language must be a string");
    const char *dt = NULL;
    if (type) {
        const char *ts = ac_jt_string(type);
        int via, rc;
        if (!ts)
            return fail(r, AC_EINVAL, "@type of a value must be a string");
        if ((rc = expand_iri(r, c, ts, 1, &dt, &via)))
            return rc;
        if (dt && strcmp(dt, "@json") == 0)
            return json_literal(r, value, t);
        if (!dt || !ac__is_absolute_iri(dt) ||
            (via == VIA_VOCAB && strcmp(c->vocab, ISSUER_DEPENDENT) == 0))
            return fail(r, AC_EINVAL, "value @type \"%s\" is not an IRI the contexts define", ts);
    }
    if (ac_jt_is_null(value))
        return 1; /* dropped, as expansion drops a null @value */
    if (!ac_jt_is_string(value) && !ac_jt_is_number(value) && !ac_jt_is_boolean(value))
        return fail(r, AC_EINVAL, "@value must be a string, number or boolean");
    if (lang && !ac_jt_is_string(value))
        return fail(r, AC_EINVAL, "a value with @language must be a string");
    return literal(r, value, dt, lang ? ac_jt_string(lang) : NULL, t);
}

/* The object term of one JSON value that is not an array, for property |t|
 * in context |c| (13.1 steps 4 and 7-8, value expansion 5.3). Returns 1 when
 * the value produces nothing (null). */
static int object_term(struct run *r, const struct ac__ctx *c, const struct ac__term *t,
                       const struct ac_jt *v, const struct ac_rdf_term *g, struct ac_rdf_term *o)
{
    int rc;
    if (ac_jt_is_null(v))
        return 1;
    if (!ac_jt_is_object(v)) {
        /* With a scoped context, the term as that context redefines it;
         * without one, |t| is already |c|'s definition (the caller found
         * it there), so it is not looked up again. */
        if (t->context) {
            if ((rc = ac__process_context(r->p, c, t->context, 1, 1, &c, r->why, r->whylen)))
                return scoped_fail(r, rc, "scoped", t->name);
            const struct ac__term *t2 = ac__find_term(c, t->name);
            if (t2)
                t = t2;
        }
        if (ac_jt_is_string(v) && t->type &&
            (strcmp(t->type, "@id") == 0 || strcmp(t->type, "@vocab") == 0))
            return iri_term(r, c, ac_jt_string(v), t->type[1] == 'v', o);
        const char *dt = t->type && t->type[0] != '@' ? t->type : NULL;
        return literal(r, v, dt, t->has_language ? t->language : NULL, o);
    }
    for (size_t i = 0; i < v->n; i++) {
        const char *kw = ac__key_keyword(c, v->u.members[i].key);
        if (kw && strcmp(kw, "@value") == 0)
            return value_object(r, c, v, o);
        if (kw && (strcmp(kw, "@list") == 0 || strcmp(kw, "@set") == 0 ||
                   strcmp(kw, "@graph") == 0))
            return fail(r, AC_EINVAL, "%s objects are not supported here", kw);
    }
    if (t->container & AC__C_GRAPH) {
        /* A graph container (13.4.7.5 / 7.1.2.1): the node is described in a
         * named graph of its own, named by a fresh blank node. */
        struct ac_rdf_term gname, inner;
        if ((rc = new_blank(r, &gname)))
            return rc;
        rc = node(r, c, t, v, &gname, 0, &inner);
        if (rc)
            return rc;
        *o = gname;
        return 0;
    }
    return node(r, c, t, v, g, 0, o);
}

/* An RDF list (8.4) of the items of |v|; sets |*head|. */
static int list(struct run *r, const struct ac__ctx *c, const struct ac__term *t, const struct ac_jt *v,
                const struct ac_rdf_term *g, struct ac_rdf_term *head)
{
    size_t n = ac_jt_is_array(v) ? ac_jt_size(v) : 1;
    struct ac_rdf_term cur = {0}, nil = {.kind = AC_RDF_IRI, .value = (char *)RDF_NIL};
    int rc, first = 1;
    *head = nil;
    for (size_t i = 0; i < n; i++) {
        const struct ac_jt *item = ac_jt_is_array(v) ? ac_jt_item(v, i) : v;
        if (ac_jt_is_array(item))
            return fail(r, AC_EINVAL, "lists of lists are not supported");
        struct ac_rdf_term o, cell;
        size_t old = path_push(r, NULL, (long)i);
        rc = object_term(r, c, t, item, g, &o);
        path_pop(r, old);
        if (rc == 1)
            continue;
        if (rc)
            return rc;
        if ((rc = new_blank(r, &cell)))
            return rc;
        if (first)
            *head = cell;
        else if ((rc = emit(r, &cur, RDF_REST, &cell, g)))
            return rc;
        if ((rc = emit(r, &cell, RDF_FIRST, &o, g)))
            return rc;
        cur = cell;
        first = 0;
    }
    if (!first && (rc = emit(r, &cur, RDF_REST, &nil, g)))
        return rc;
    return 0;
}

/* Every value of property |t| of subject |s|: arrays flattened, @list and
 * @language containers, @json literals (13.4.7-13.10). */
static int values(struct run *r, const struct ac__ctx *c, const struct ac__term *t,
                  const struct ac_rdf_term *s, const struct ac_jt *v, const struct ac_rdf_term *g)
{
    struct ac_rdf_term o;
    int rc;
    if (t->type && strcmp(t->type, "@json") == 0) {
        if ((rc = json_literal(r, v, &o)))
            return rc;
        return emit(r, s, t->iri, &o, g);
    }
    if (t->container & AC__C_LIST && !ac_jt_is_null(v)) {
        if (r->depth >= AC_JSONLD_MAX_DEPTH)
            return fail(r, AC_E2BIG, "nested deeper than %d", AC_JSONLD_MAX_DEPTH);
        r->depth++;
        rc = list(r, c, t, v, g, &o);
        r->depth--;
        return rc ? rc : emit(r, s, t->iri, &o, g);
    }
    if (t->container & AC__C_LANGUAGE && ac_jt_is_object(v)) {
        for (size_t k = 0; k < v->n; k++) {
            const char *lang = v->u.members[k].key;
            const struct ac_jt *m = &v->u.members[k].value;
            size_t n = ac_jt_is_array(m) ? ac_jt_size(m) : 1;
            for (size_t i = 0; i < n; i++) {
                const struct ac_jt *item = ac_jt_is_array(m) ? ac_jt_item(m, i) : m;
                if (ac_jt_is_null(item))
                    continue;
                if (!ac_jt_is_string(item))
                    return fail(r, AC_EINVAL, "language map values must be strings");
                if ((rc = literal(r, item, NULL, strcmp(lang, "@none") ? lang : NULL, &o)) ||
                    (rc = emit(r, s, t->iri, &o, g)))
                    return rc;
            }
        }
        return 0;
    }
    if (ac_jt_is_array(v)) {
        for (size_t i = 0; i < ac_jt_size(v); i++) {
            size_t old = path_push(r, NULL, (long)i);
            rc = values(r, c, t, s, ac_jt_item(v, i), g);
            path_pop(r, old);
            if (rc)
                return rc;
        }
        return 0;
    }
    rc = object_term(r, c, t, v, g, &o);
    if (rc == 1)
        return 0;
    return rc ? rc : emit(r, s, t->iri, &o, g);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A node's type values: a few on the stack (the common case), more on the heap. */
struct types {
    const char **v;
    size_t n, cap;
    const char *local[8];
};

static int types_add(struct types *ts, const char *s)
{
    if (ts->n == ts->cap) {
        size_t cap = 2 * ts->cap;
        const char **nv = malloc(cap * sizeof *nv);
        if (!nv)
            return AC_ENOMEM;
        memcpy(nv, ts->v, ts->n * sizeof *nv);
        if (ts->v != ts->local)
            free(ts->v);
        ts->v = nv;
        ts->cap = cap;
    }
    ts->v[ts->n++] = s;
    return 0;
}

static void types_release(struct types *ts)
{
    if (ts->v != ts->local)
        free(ts->v);
}

/* A node object (13.1 steps 7-14 and the node map's quads): sets |*subject|
 * to its @id or a fresh blank node and emits its type and property quads
 * into graph |g|. |active| is the property whose value it is (NULL at top). */
static int node(struct run *r, const struct ac__ctx *c, const struct ac__term *active,
                const struct ac_jt *obj, const struct ac_rdf_term *g, int top, struct ac_rdf_term *subject)
{
    int rc;
    if (r->depth >= AC_JSONLD_MAX_DEPTH)
        return fail(r, AC_E2BIG, "nested deeper than %d", AC_JSONLD_MAX_DEPTH);

    /* Step 7: a type-scoped context does not reach into nested node objects;
     * a bare reference ({"id": ...}) keeps it. */
    if (c->previous) {
        int only_id = ac_jt_size(obj) == 1;
        for (size_t i = 0; i < obj->n; i++) {
            const char *kw = ac__key_keyword(c, obj->u.members[i].key);
            only_id = only_id && kw && strcmp(kw, "@id") == 0;
        }
        if (!only_id)
            c = c->previous;
    }
    /* Step 8: the property's scoped context, allowed to override protection. */
    if (active && active->context &&
        (rc = ac__process_context(r->p, c, active->context, 1, 1, &c, r->why, r->whylen)))
        return scoped_fail(r, rc, "scoped", active->name);

    /* Steps 10-11: type-scoped contexts, applied in lexicographic order of
     * the type values, looked up in the context before any of them. */
    const struct ac__ctx *type_ctx = c;
    struct types types = {.cap = sizeof types.local / sizeof types.local[0]};
    types.v = types.local;
    const char *id = NULL;
    for (size_t m = 0; m < obj->n; m++) {
        const char *key = obj->u.members[m].key;
        const struct ac_jt *v = &obj->u.members[m].value;
        const char *kw = ac__key_keyword(c, key);
        if (!kw || (top && r->skip && strcmp(key, r->skip) == 0))
            continue;
        if (strcmp(kw, "@type") == 0) {
            size_t n = ac_jt_is_array(v) ? ac_jt_size(v) : 1;
            for (size_t i = 0; i < n; i++) {
                const struct ac_jt *e = ac_jt_is_array(v) ? ac_jt_item(v, i) : v;
                if (!ac_jt_is_string(e)) {
                    types_release(&types);
                    size_t old = path_push(r, key, -1);
                    rc = fail(r, AC_EINVAL, "a type must be a string");
                    path_pop(r, old);
                    return rc;
                }
                if (types_add(&types, ac_jt_string(e))) {
                    types_release(&types);
                    return AC_ENOMEM;
                }
            }
        } else if (strcmp(kw, "@id") == 0) {
            if (!ac_jt_is_string(v)) {
                types_release(&types);
                size_t old = path_push(r, key, -1);
                rc = fail(r, AC_EINVAL, "an id must be a string");
                path_pop(r, old);
                return rc;
            }
            id = ac_jt_string(v);
        } else if (strcmp(kw, "@context") == 0 && !top) {
            types_release(&types);
            return fail(r, AC_EINVAL, "@context is accepted only at the top of the document");
        }
    }
    size_t ntypes = types.n;
    const char **sorted = types.v;
    if (ntypes > 1)
        qsort(sorted, ntypes, sizeof *sorted, cmp_str_ptr);
    rc = 0;
    for (size_t i = 0; !rc && i < ntypes; i++) {
        const struct ac__term *tt = ac__find_term(type_ctx, sorted[i]);
        if (tt && tt->context) {
            rc = ac__process_context(r->p, c, tt->context, 0, 0, &c, r->why, r->whylen);
            if (rc)
                rc = scoped_fail(r, rc, "type-scoped", tt->name);
        }
    }

    if (!rc && id)
        rc = iri_term(r, c, id, 0, subject);
    else if (!rc)
        rc = new_blank(r, subject);
    for (size_t i = 0; !rc && i < ntypes; i++) {
        struct ac_rdf_term tt;
        rc = iri_term(r, type_ctx, sorted[i], 1, &tt);
        if (!rc)
            rc = emit(r, subject, RDF_TYPE, &tt, g);
    }
    types_release(&types);
    if (rc)
        return rc;

    r->depth++;
    for (size_t m = 0; m < obj->n; m++) {
        const char *key = obj->u.members[m].key;
        const struct ac_jt *v = &obj->u.members[m].value;
        if (top && r->skip && strcmp(key, r->skip) == 0)
            continue;
        size_t old = path_push(r, key, -1);
        const struct ac__term *t = ac__find_term(c, key);
        const char *kw = key[0] == '@' ? key : t && t->iri && t->iri[0] == '@' ? t->iri : NULL;
        struct ac__term vt;
        if (kw) {
            if (strcmp(kw, "@id") && strcmp(kw, "@type") && !(top && strcmp(kw, "@context") == 0))
                rc = fail(r, AC_EINVAL, "%s is not supported in a node object", kw);
        } else if (!t && c->vocab && strcmp(c->vocab, ISSUER_DEPENDENT) != 0 &&
                   !strchr(key, ':')) {
            /* A context's own @vocab (the W3C examples context) defines it. */
            vt = (struct ac__term){.name = key};
            vt.iri = run_cat(r, c->vocab, strlen(c->vocab), key, strlen(key));
            /* Every other predicate is a term that passed this check when
             * its context was processed (ac__term.absolute). */
            if (vt.iri && !ac_rdf_iri_ok(vt.iri))
                r->iri_unchecked = 1;
            rc = vt.iri ? values(r, c, &vt, subject, v, g) : AC_ENOMEM;
        } else if (!t || !t->iri) {
            rc = fail(r, AC_EINVAL, "term \"%s\" is not defined by the document's contexts", key);
        } else if (!t->absolute) {
            rc = fail(r, AC_EINVAL, "term \"%s\" maps to \"%s\", not an absolute IRI", key,
                      t->iri);
        } else {
            rc = values(r, c, t, subject, v, g);
        }
        path_pop(r, old);
        if (rc)
            break;
    }
    r->depth--;
    return rc;
}

/* The top-level context: the VC 2.0 context first, then other shipped
 * contexts, each once (VC DM 2.0 section 4.3; never fetched). */
static int top_context(struct run *r, const struct ac_jt *ctxv, const struct ac__ctx **out)
{
    size_t n = ac_jt_is_array(ctxv) ? ac_jt_size(ctxv) : 1;
    const struct ac__ctx *c = &r->p->initial;
    int seen[AC__N_CONTEXTS] = {0};
    if (!ctxv)
        return fail(r, AC_EINVAL, "@context is missing");
    if (!ac_jt_is_array(ctxv) && !ac_jt_is_string(ctxv))
        return fail(r, AC_EINVAL, "@context must be an array of context URLs");
    for (size_t i = 0; i < n; i++) {
        const struct ac_jt *e = ac_jt_is_array(ctxv) ? ac_jt_item(ctxv, i) : ctxv;
        const char *url = ac_jt_string(e);
        size_t old = path_push(r, "@context", -1);
        path_push(r, NULL, (long)i);
        int rc = 0;
        int k = url ? ac__shipped_index(url) : -1;
        if (!url)
            rc = fail(r, AC_EINVAL, "inline contexts are not accepted; name a shipped context");
        else if (i == 0 && k != 0)
            rc = fail(r, AC_EINVAL, "\"%s\": the first context must be %s", url,
                      AC_JSONLD_CREDENTIALS_V2);
        else if (k < 0)
            rc = fail(r, AC_EINVAL,
                      "\"%s\" is not one of the contexts this processor ships "
                      "(contexts are never fetched)",
                      url);
        else if (seen[k])
            rc = fail(r, AC_EINVAL, "\"%s\" appears twice", url);
        if (!rc) {
            seen[k] = 1;
            rc = ac__process_context(r->p, c, json_object_get(r->p->shipped[k], "@context"), 0, 1,
                                 &c, r->why, r->whylen);
            if (rc && rc != AC_ENOMEM) {
                char inner[200];
                snprintf(inner, sizeof inner, "%s", r->why);
                rc = fail(r, rc, "context %s: %s", url, inner);
            }
        }
        path_pop(r, old);
        if (rc)
            return rc;
    }
    *out = c;
    return 0;
}

/* |borrow|: 0 copies the strings, 1 borrows them, 2 borrows them and
 * appends without the duplicate check. */
static int to_rdf(struct ac_jsonld *p, const struct ac_jt *doc, const struct ac_jt *context, const char *skip,
                  struct ac_rdf_dataset *out, int borrow, char *why, size_t whylen)
{
    struct run r = {.p = p,
                    .out = out,
                    .borrow = borrow != 0,
                    .append = borrow == 2,
                    .skip = skip,
                    .why = why,
                    .whylen = whylen};
    struct ac_rdf_term subject, dflt = {0};
    const struct ac__ctx *c = NULL;
    if (!ac_jt_is_object(doc)) {
        snprintf(why, whylen, "the document must be a JSON object");
        return AC_EINVAL;
    }
    size_t first = out->n;
    int rc = top_context(&r, context ? context : ac_jt_get(doc, "@context"), &c);
    if (!rc)
        rc = node(&r, c, NULL, doc, &dflt, 1, &subject);
    /* Every IRI term it made passed ac_rdf_iri_ok(): a subject, object or
     * type in iri_term(), a predicate as a context term or just above, the
     * rest constants. RDFC-1.0 need not check them again. */
    if (!rc && first == 0 && out->iris_checked == 0 && !r.iri_unchecked)
        out->iris_checked = out->n;
    json_decref(r.bnodes);
    ac__arena_release(&r.tmp);
    return rc;
}

/* to_rdf() of jansson values (the issuing path): over trees that borrow
 * their strings, which therefore live as long as |doc| does. */
static int to_rdf_json(struct ac_jsonld *p, const json_t *doc, const json_t *context,
                       const char *skip, struct ac_rdf_dataset *out, int borrow, char *why,
                       size_t whylen)
{
    struct ac_jt_doc *d = NULL, *cd = NULL;
    int rc = 0;
    if (doc)
        rc = ac_jt_from_json(doc, &d);
    if (!rc && context)
        rc = ac_jt_from_json(context, &cd);
    if (!rc)
        rc = to_rdf(p, d ? ac_jt_root(d) : NULL, cd ? ac_jt_root(cd) : NULL, skip, out, borrow,
                    why, whylen);
    ac_jt_free(cd);
    ac_jt_free(d);
    return rc;
}

int ac_jsonld_to_rdf(struct ac_jsonld *p, const json_t *doc, struct ac_rdf_dataset *out,
                     char *why, size_t whylen)
{
    return to_rdf_json(p, doc, NULL, NULL, out, 0, why, whylen);
}

int ac_jsonld_to_rdf_borrowing(struct ac_jsonld *p, const json_t *doc,
                               struct ac_rdf_dataset *out, char *why, size_t whylen)
{
    return to_rdf_json(p, doc, NULL, NULL, out, 1, why, whylen);
}

int ac_jsonld_to_rdf_view(struct ac_jsonld *p, const json_t *doc, const json_t *context,
                          const char *skip, struct ac_rdf_dataset *out, char *why, size_t whylen)
{
    return to_rdf_json(p, doc, context, skip, out, 2, why, whylen);
}

int ac_jsonld_to_rdf_view_jt(struct ac_jsonld *p, const struct ac_jt *doc,
                             const struct ac_jt *context, const char *skip,
                             struct ac_rdf_dataset *out, char *why, size_t whylen)
{
    return to_rdf(p, doc, context, skip, out, 2, why, whylen);
}
