/* jsonld_ctx.c - the JSON-LD active context: Context Processing and Create
 * Term Definition (W3C JSON-LD 1.1 Processing Algorithms 4.1 and 4.2) for
 * what the shipped contexts use, the term index expansion looks keys up in,
 * and the processor that loads the shipped contexts (their pinned SHA-256
 * checked first: jsonld_contexts.c) and caches every processed context.
 *
 * A processed context is immutable once built and lives as long as the
 * processor, so expansion (jsonld.c) can hold plain pointers into it; the
 * cache keys on the (base context, local context object, flags) triple,
 * both context pointers being the processor's own, never a document's. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/json_alloc.h"
#include "accord/records/rdf.h"
#include "jsonld_internal.h"

/* Processed contexts are cached for the processor's life, so these bound the
 * memory a stream of documents can make it hold. */
#define MAX_CONTEXTS 512

/* ---- arena: strings and term tables that live as long as their owner ---- */

struct ac__arena_chunk {
    struct ac__arena_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};

void *ac__arena_alloc(struct ac__arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        struct ac__arena_chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

char *ac__arena_cat(struct ac__arena *a, const char *x, size_t xlen, const char *y, size_t ylen)
{
    char *s = ac__arena_alloc(a, xlen + ylen + 1);
    if (!s)
        return NULL;
    memcpy(s, x, xlen);
    memcpy(s + xlen, y, ylen);
    s[xlen + ylen] = 0;
    return s;
}

char *ac__arena_str(struct ac__arena *a, const char *s)
{
    return ac__arena_cat(a, s, strlen(s), "", 0);
}

void ac__arena_release(struct ac__arena *a)
{
    while (a->head) {
        struct ac__arena_chunk *c = a->head;
        a->head = c->next;
        free(c);
    }
}
static int cmp_term(const void *a, const void *b)
{
    return strcmp(((const struct ac__term *)a)->name, ((const struct ac__term *)b)->name);
}

/* Builds |c|'s name index in |a|; without one (out of memory) find_term
 * falls back to binary search. Also marks the terms whose IRI is absolute
 * and lists the keyword aliases. */
static void index_terms(struct ac__arena *a, struct ac__ctx *c)
{
    c->nalias = 0;
    c->aliases_known = 1;
    for (size_t i = 0; i < c->n; i++) {
        const struct ac__term *t = &c->terms[i];
        c->terms[i].absolute = t->iri && ac__is_absolute_iri(t->iri);
        if (t->iri && t->iri[0] == '@') {
            if (c->nalias < AC__MAX_ALIASES)
                c->alias[c->nalias++] = t;
            else
                c->aliases_known = 0; /* many aliases: ask the index */
        }
    }
    size_t cap = 16;
    while (cap < 2 * c->n)
        cap *= 2;
    struct ac__term_slot *t = ac__arena_alloc(a, cap * sizeof *t);
    c->index = NULL;
    if (!t || c->n > UINT32_MAX - 1)
        return;
    memset(t, 0, cap * sizeof *t);
    for (size_t i = 0; i < c->n; i++) {
        size_t full = ac__name_hash(c->terms[i].name), h = full & (cap - 1);
        while (t[h].pos)
            h = (h + 1) & (cap - 1);
        t[h].pos = (uint32_t)i + 1;
        t[h].hash = (uint32_t)full;
    }
    c->index = t;
    c->index_mask = cap - 1;
}

const struct ac__term *ac__find_term_slow(const struct ac__ctx *c, const char *name)
{
    if (!c->n)
        return NULL; /* an empty context's terms may be NULL, which bsearch() may not get */
    if (c->sorted) {
        struct ac__term key = {.name = name};
        return bsearch(&key, c->terms, c->n, sizeof key, cmp_term);
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->terms[i].name, name) == 0)
            return &c->terms[i];
    return NULL;
}

int ac__is_keyword(const char *s)
{
    static const char *const kw[] = {
        "@base",   "@container", "@context", "@direction", "@graph",     "@id",
        "@import", "@included",  "@index",   "@json",      "@language",  "@list",
        "@nest",   "@none",      "@prefix",  "@propagate", "@protected", "@reverse",
        "@set",    "@type",      "@value",   "@version",   "@vocab",
    };
    if (s[0] != '@')
        return 0;
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(kw[i], s) == 0)
            return 1;
    return 0;
}

/* RFC 3986 scheme followed by ':' and no character an IRI may not hold:
 * the rule N-Quads writes by (rdf.h), so one table-driven check serves. */
int ac__is_absolute_iri(const char *s)
{
    return ac_rdf_iri_ok(s);
}

static int is_gen_delim(char c)
{
    return c && strchr(":/?#[]@", c) != NULL;
}

/* Context processing state for one local context. */
struct cproc {
    struct ac_jsonld *p;
    struct ac__ctx *res;
    const json_t *local;
    json_t *defined; /* term -> 1 (being defined) or 2 (defined) */
    int def_protected, override_protected;
    char *why;
    size_t whylen;
};

static int cfail(struct cproc *cp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cfail(struct cproc *cp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cp->why, cp->whylen, fmt, ap);
    va_end(ap);
    return AC_EINVAL;
}

static int create_term(struct cproc *cp, const char *term);

/* IRI expansion (5.2.2) during context processing; |*out| is NULL when the
 * value maps to null. */
static int cexpand_iri(struct cproc *cp, const char *value, int vocab, const char **out)
{
    int rc;
    if (ac__is_keyword(value)) {
        *out = value;
        return 0;
    }
    json_t *st = json_object_get(cp->defined, value);
    if (json_object_get(cp->local, value) && (!st || json_integer_value(st) != 2))
        if ((rc = create_term(cp, value)))
            return rc;
    const struct ac__term *t = ac__find_term(cp->res, value);
    if (t && t->iri && t->iri[0] == '@') {
        *out = t->iri;
        return 0;
    }
    if (vocab && t) {
        *out = t->iri;
        return 0;
    }
    const char *colon = strchr(value, ':');
    if (colon && colon != value) {
        size_t plen = (size_t)(colon - value);
        if ((plen == 1 && value[0] == '_') || strncmp(colon + 1, "//", 2) == 0) {
            *out = value;
            return 0;
        }
        char prefix[256];
        if (plen < sizeof prefix) {
            memcpy(prefix, value, plen);
            prefix[plen] = 0;
            st = json_object_get(cp->defined, prefix);
            if (json_object_get(cp->local, prefix) && (!st || json_integer_value(st) != 2))
                if ((rc = create_term(cp, prefix)))
                    return rc;
            const struct ac__term *pt = ac__find_term(cp->res, prefix);
            if (pt && pt->iri && pt->prefix) {
                const char *s = ac__arena_cat(&cp->p->arena, pt->iri, strlen(pt->iri), colon + 1,
                                              strlen(colon + 1));
                if (!s)
                    return AC_ENOMEM;
                *out = s;
                return 0;
            }
        }
        if (ac__is_absolute_iri(value)) {
            *out = value;
            return 0;
        }
    }
    if (vocab && cp->res->vocab) {
        const char *s = ac__arena_cat(&cp->p->arena, cp->res->vocab, strlen(cp->res->vocab), value,
                                      strlen(value));
        if (!s)
            return AC_ENOMEM;
        *out = s;
        return 0;
    }
    return cfail(cp, "\"%s\" is not an absolute IRI (relative IRIs are not accepted)", value);
}

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Term definitions equal apart from protection (4.1 step 27.2). */
static int term_equal(const struct ac__term *a, const struct ac__term *b)
{
    return str_eq(a->iri, b->iri) && str_eq(a->type, b->type) &&
           a->has_language == b->has_language && str_eq(a->language, b->language) &&
           a->container == b->container && a->prefix == b->prefix &&
           (a->context == b->context ||
            (a->context && b->context && json_equal((json_t *)a->context, (json_t *)b->context)));
}

static int parse_container(struct cproc *cp, const char *term, const json_t *v, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"@set", AC__C_SET},  {"@list", AC__C_LIST},   {"@graph", AC__C_GRAPH},
                 {"@id", AC__C_ID},    {"@index", AC__C_INDEX}, {"@language", AC__C_LANGUAGE},
                 {"@type", AC__C_TYPE}};
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        const char *s = json_string_value(e);
        unsigned bit = 0;
        for (size_t k = 0; s && k < sizeof names / sizeof names[0]; k++)
            if (strcmp(names[k].name, s) == 0)
                bit = names[k].bit;
        if (!bit)
            return cfail(cp,
                         "term \"%s\": @container must name @set, @list, @graph, @id, "
                         "@index, @language or @type",
                         term);
        *out |= bit;
    }
    if (*out & (AC__C_INDEX | AC__C_TYPE | AC__C_ID))
        return cfail(cp, "term \"%s\": @index, @type and @id maps are not supported", term);
    return 0;
}

static int add_term(struct cproc *cp, const struct ac__term *t)
{
    struct ac__ctx *c = cp->res;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->terms[i].name, t->name) == 0) {
            c->terms[i] = *t;
            return 0;
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct ac__term *nt = ac__arena_alloc(&cp->p->arena, cap * sizeof *nt);
        if (!nt)
            return AC_ENOMEM;
        if (c->n)
            memcpy(nt, c->terms, c->n * sizeof *nt);
        c->terms = nt;
        c->cap = cap;
    }
    c->terms[c->n++] = *t;
    c->sorted = 0;
    c->index = NULL;
    c->aliases_known = 0;
    return 0;
}

/* Create Term Definition (4.2) for what the shipped contexts use. */
static int create_term(struct cproc *cp, const char *term)
{
    json_t *st = json_object_get(cp->defined, term);
    if (st) {
        if (json_integer_value(st) == 2)
            return 0;
        return cfail(cp, "term \"%s\": cyclic IRI mapping", term);
    }
    if (json_object_set_new(cp->defined, term, json_integer(1)))
        return AC_ENOMEM;
    const json_t *value = json_object_get(cp->local, term);
    if (ac__is_keyword(term))
        return cfail(cp, "\"%s\": keywords cannot be redefined", term);
    if (term[0] == '@')
        return cfail(cp, "\"%s\": a term may not look like a keyword", term);

    /* A copy: defining other terms below may move the table. */
    const struct ac__term *found = ac__find_term(cp->res, term);
    struct ac__term prev_copy = found ? *found : (struct ac__term){0};
    const struct ac__term *prev = found ? &prev_copy : NULL;
    struct ac__term def = {0};
    int rc, simple = 0;
    def.name = ac__arena_str(&cp->p->arena, term);
    if (!def.name)
        return AC_ENOMEM;
    def.is_protected = (unsigned)cp->def_protected;

    json_t *wrapped = NULL;
    if (json_is_null(value)) {
        def.iri = NULL;
        goto done;
    }
    if (json_is_string(value)) {
        wrapped = json_pack("{sO}", "@id", (json_t *)value);
        if (!wrapped)
            return AC_ENOMEM;
        value = wrapped;
        simple = 1;
    } else if (!json_is_object(value)) {
        return cfail(cp, "term \"%s\": a definition must be a string, an object or null", term);
    }

    const char *key;
    json_t *v;
    json_object_foreach((json_t *)value, key, v)
    {
        if (strcmp(key, "@id") && strcmp(key, "@type") && strcmp(key, "@container") &&
            strcmp(key, "@context") && strcmp(key, "@protected") && strcmp(key, "@language") &&
            strcmp(key, "@prefix")) {
            rc = cfail(cp, "term \"%s\": \"%s\" in a term definition is not supported", term, key);
            goto out;
        }
    }
    if ((v = json_object_get(value, "@protected"))) {
        if (!json_is_boolean(v)) {
            rc = cfail(cp, "term \"%s\": @protected must be true or false", term);
            goto out;
        }
        def.is_protected = json_is_true(v);
    }
    if ((v = json_object_get(value, "@type"))) {
        const char *t = json_string_value(v);
        if (!t) {
            rc = cfail(cp, "term \"%s\": @type must be a string", term);
            goto out;
        }
        if ((rc = cexpand_iri(cp, t, 1, &def.type)))
            goto out;
        if (!def.type ||
            (def.type[0] == '@' && strcmp(def.type, "@id") && strcmp(def.type, "@vocab") &&
             strcmp(def.type, "@json") && strcmp(def.type, "@none"))) {
            rc = cfail(cp, "term \"%s\": @type \"%s\" is not @id, @vocab, @json, @none or an IRI",
                       term, t);
            goto out;
        }
    }
    v = json_object_get(value, "@id");
    if (v && !(json_is_string(v) && strcmp(json_string_value(v), term) == 0)) {
        if (json_is_null(v)) {
            def.iri = NULL;
        } else if (!json_is_string(v)) {
            rc = cfail(cp, "term \"%s\": @id must be a string or null", term);
            goto out;
        } else {
            if ((rc = cexpand_iri(cp, json_string_value(v), 1, &def.iri)))
                goto out;
            if (def.iri && strcmp(def.iri, "@context") == 0) {
                rc = cfail(cp, "term \"%s\": cannot alias @context", term);
                goto out;
            }
            if (def.iri && simple && !strchr(term, ':') && !strchr(term, '/'))
                def.prefix = is_gen_delim(def.iri[strlen(def.iri) - 1]);
        }
    } else if (strchr(term + 1, ':')) {
        /* A compact IRI as a term: its prefix, if defined, gives the IRI. */
        if ((rc = cexpand_iri(cp, term, 1, &def.iri)))
            goto out;
    } else if (strchr(term, '/')) {
        rc = cfail(cp, "term \"%s\": IRI-like terms without @id are not supported", term);
        goto out;
    } else if (cp->res->vocab) {
        def.iri = ac__arena_cat(&cp->p->arena, cp->res->vocab, strlen(cp->res->vocab), term,
                                strlen(term));
        if (!def.iri) {
            rc = AC_ENOMEM;
            goto out;
        }
    } else {
        rc = cfail(cp, "term \"%s\" has no IRI mapping and there is no @vocab", term);
        goto out;
    }
    if ((v = json_object_get(value, "@container")) &&
        (rc = parse_container(cp, term, v, &def.container)))
        goto out;
    if ((v = json_object_get(value, "@context"))) {
        /* null (VC 2.0's verifiableCredential: a nested credential starts from
         * no context) is kept and refused only where it would apply. */
        if (!json_is_object(v) && !json_is_null(v)) {
            rc = cfail(cp, "term \"%s\": a scoped @context must be an object", term);
            goto out;
        }
        def.context = v;
    }
    if ((v = json_object_get(value, "@language"))) {
        if (!json_is_null(v) && !json_is_string(v)) {
            rc = cfail(cp, "term \"%s\": @language must be a string or null", term);
            goto out;
        }
        def.has_language = 1;
        if (json_is_string(v)) {
            char *l = ac__arena_str(&cp->p->arena, json_string_value(v));
            if (!l) {
                rc = AC_ENOMEM;
                goto out;
            }
            for (char *q = l; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            def.language = l;
        }
    }
    if ((v = json_object_get(value, "@prefix"))) {
        if (!json_is_boolean(v)) {
            rc = cfail(cp, "term \"%s\": @prefix must be true or false", term);
            goto out;
        }
        def.prefix = json_is_true(v);
    }
done:
    if (prev && prev->is_protected && !cp->override_protected) {
        if (!term_equal(prev, &def)) {
            rc = cfail(cp, "term \"%s\" is protected and cannot be redefined", term);
            goto out;
        }
        def = *prev;
    }
    rc = add_term(cp, &def);
    if (!rc && json_object_set_new(cp->defined, term, json_integer(2)))
        rc = AC_ENOMEM;
out:
    json_decref(wrapped);
    return rc;
}

/* Context Processing (4.1) of one local context object onto |base|, cached:
 * the same (base, local, flags) always gives the same immutable result. */
int ac__process_context(struct ac_jsonld *p, const struct ac__ctx *base, const json_t *local,
                        int override_protected, int propagate, const struct ac__ctx **out,
                        char *why, size_t whylen)
{
    for (size_t i = 0; i < p->nmemo; i++) {
        struct ac__memo *m = &p->memo[i];
        if (m->base == base && m->local == local && m->override_protected == override_protected &&
            m->propagate == propagate) {
            *out = m->result;
            return 0;
        }
    }
    if (p->nmemo >= MAX_CONTEXTS) {
        snprintf(why, whylen, "more than %d distinct processed contexts", MAX_CONTEXTS);
        return AC_E2BIG;
    }
    if (!json_is_object(local)) {
        snprintf(why, whylen,
                 "a scoped context that resets the active context (null) is not "
                 "supported: embedded credentials are not accepted");
        return AC_EINVAL;
    }
    struct ac__ctx *res = ac__arena_alloc(&p->arena, sizeof *res);
    if (!res)
        return AC_ENOMEM;
    *res = *base;
    res->aliases_known = 0; /* |base|'s alias pointers are into its own table */
    /* The term table is copied: |base| is cached and shared, never changed. */
    res->cap = base->n + 16;
    res->terms = ac__arena_alloc(&p->arena, res->cap * sizeof *res->terms);
    if (!res->terms)
        return AC_ENOMEM;
    if (base->n)
        memcpy(res->terms, base->terms, base->n * sizeof *res->terms);
    const json_t *prop = json_object_get(local, "@propagate");
    if (prop) {
        if (!json_is_boolean(prop)) {
            snprintf(why, whylen, "@propagate must be true or false");
            return AC_EINVAL;
        }
        propagate = json_is_true(prop);
    }
    if (!propagate && !res->previous)
        res->previous = base;

    struct cproc cp = {.p = p,
                       .res = res,
                       .local = local,
                       .defined = json_object(),
                       .override_protected = override_protected,
                       .why = why,
                       .whylen = whylen};
    if (!cp.defined)
        return AC_ENOMEM;
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)local, key, v)
    {
        if (strcmp(key, "@version") == 0) {
            if (!json_is_number(v) || json_number_value(v) != 1.1) {
                rc = cfail(&cp, "@version must be 1.1");
                break;
            }
        } else if (strcmp(key, "@protected") == 0) {
            if (!json_is_boolean(v)) {
                rc = cfail(&cp, "@protected must be true or false");
                break;
            }
            cp.def_protected = json_is_true(v);
        } else if (strcmp(key, "@vocab") == 0) {
            if (json_is_null(v)) {
                res->vocab = NULL;
            } else if (!json_is_string(v) || !ac__is_absolute_iri(json_string_value(v))) {
                rc = cfail(&cp, "@vocab must be an absolute IRI or null");
                break;
            } else if (!(res->vocab = ac__arena_str(&p->arena, json_string_value(v)))) {
                rc = AC_ENOMEM;
                break;
            }
        } else if (strcmp(key, "@propagate") && key[0] == '@') {
            rc = cfail(&cp, "context member \"%s\" is not supported", key);
            break;
        }
    }
    /* Terms are defined once every context-wide setting is read: JSON object
     * order does not decide whether @protected or @vocab applies. */
    if (!rc) {
        json_object_foreach((json_t *)local, key, v)
        {
            if (key[0] == '@')
                continue;
            if ((rc = create_term(&cp, key)))
                break;
        }
    }
    json_decref(cp.defined);
    if (rc)
        return rc;
    qsort(res->terms, res->n, sizeof *res->terms, cmp_term);
    res->sorted = 1;
    index_terms(&p->arena, res);

    if (p->nmemo == p->capmemo) {
        size_t cap = p->capmemo ? p->capmemo * 2 : 32;
        struct ac__memo *nm = realloc(p->memo, cap * sizeof *nm);
        if (!nm)
            return AC_ENOMEM;
        p->memo = nm;
        p->capmemo = cap;
    }
    p->memo[p->nmemo++] = (struct ac__memo){base, local, override_protected, propagate, res};
    *out = res;
    return 0;
}

/* ---- the processor ---- */

int ac_jsonld_new(struct ac_jsonld **out, char *why, size_t whylen)
{
    struct ac_jsonld *p = calloc(1, sizeof *p);
    if (!p)
        return AC_ENOMEM;
    p->initial.sorted = 1;
    for (int i = 0; i < AC__N_CONTEXTS; i++) {
        const uint8_t *data;
        size_t len;
        uint8_t h[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        int rc = ac__shipped_bytes(i, &data, &len);
        if (rc) {
            snprintf(why, whylen, "context %s: not compiled in", ac__shipped_contexts[i].url);
            ac_jsonld_free(p);
            return AC_ECRYPTO;
        }
        crypto_hash_sha256(h, data, len);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        if (strcmp(hex, ac__shipped_contexts[i].sha256) != 0) {
            snprintf(why, whylen, "context %s: SHA-256 %s is not the pinned %s",
                     ac__shipped_contexts[i].url, hex, ac__shipped_contexts[i].sha256);
            ac_jsonld_free(p);
            return AC_ECRYPTO;
        }
        json_error_t err;
        ac_json_alloc_watch();
        p->shipped[i] = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &err);
        if (ac_json_alloc_failed()) {
            ac_jsonld_free(p);
            return AC_ENOMEM;
        }
        if (!p->shipped[i] || !json_is_object(json_object_get(p->shipped[i], "@context"))) {
            snprintf(why, whylen, "context %s: not a JSON object with an @context object",
                     ac__shipped_contexts[i].url);
            ac_jsonld_free(p);
            return AC_ECRYPTO;
        }
    }
    *out = p;
    return 0;
}

void ac_jsonld_free(struct ac_jsonld *p)
{
    if (!p)
        return;
    for (int i = 0; i < AC__N_CONTEXTS; i++)
        json_decref(p->shipped[i]);
    free(p->memo);
    ac__arena_release(&p->arena);
    free(p);
}
