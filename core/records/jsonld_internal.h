/* jsonld_internal.h - names shared by the JSON-LD files of core/records:
 * the shipped context table (jsonld_contexts.c), the JSON reader
 * (jsonld_read.c), the active context and its term definitions
 * (jsonld_ctx.c), which expansion to RDF (jsonld.c) reads. */
#ifndef AC_JSONLD_INTERNAL_H
#define AC_JSONLD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "accord/records/jsonld.h"
#include "accord/records/jtree.h"

#define AC__N_CONTEXTS 6

struct ac__shipped_context {
    const char *url;
    const char *file;   /* name in core/records/contexts/ */
    const char *sha256; /* pinned, lowercase hex */
};

extern const struct ac__shipped_context ac__shipped_contexts[AC__N_CONTEXTS];

/* Index of |url| in ac__shipped_contexts, or -1. */
int ac__shipped_index(const char *url);

/* The compiled-in bytes of shipped context |i|. Returns 0 or AC_ENOENT. */
int ac__shipped_bytes(int i, const uint8_t **data, size_t *len);

/* Parses JSON text (an object or array at the top) into jansson values,
 * refusing what json_loadb(JSON_REJECT_DUPLICATES) refuses (jsonld_read.c).
 * Returns 0, AC_EPARSE (|why| says what and where) or AC_ENOMEM. */
int ac__json_read(const char *text, size_t len, json_t **out, char *why, size_t whylen);

/* ---- arena: strings and tables freed all at once with their owner ---- */

struct ac__arena_chunk;
struct ac__arena {
    struct ac__arena_chunk *head;
};

/* |n| bytes (16-byte aligned) from |a|, or NULL. */
void *ac__arena_alloc(struct ac__arena *a, size_t n);
/* The NUL-terminated concatenation of |x| and |y| in |a|, or NULL. */
char *ac__arena_cat(struct ac__arena *a, const char *x, size_t xlen, const char *y, size_t ylen);
/* A copy of |s| in |a|, or NULL. */
char *ac__arena_str(struct ac__arena *a, const char *s);
/* Frees every block of |a|; it is then empty and reusable. */
void ac__arena_release(struct ac__arena *a);

/* A parsed or converted document (jtree.h): its values live in |arena|. */
struct ac_jt_doc {
    struct ac__arena arena;
    struct ac_jt root;
};

/* ---- the active context (jsonld_ctx.c) ---- */

enum {
    AC__C_SET = 1,
    AC__C_LIST = 2,
    AC__C_GRAPH = 4,
    AC__C_ID = 8,
    AC__C_INDEX = 16,
    AC__C_LANGUAGE = 32,
    AC__C_TYPE = 64,
};

struct ac__term {
    const char *name;
    const char *iri;       /* absolute IRI or keyword; NULL: the term maps to null */
    const char *type;      /* "@id", "@vocab", "@json", "@none", a datatype IRI, or NULL */
    const char *language;  /* valid when has_language; NULL is "no language" */
    const json_t *context; /* scoped context, borrowed from a shipped context */
    unsigned container;    /* AC__C_* bits */
    unsigned has_language : 1, is_protected : 1, prefix : 1;
    /* iri is an absolute IRI: worked out once when the context is built, not
     * for every key of every document that uses the term. */
    unsigned absolute : 1;
};

#define AC__MAX_ALIASES 8

struct ac__term_slot {
    uint32_t pos; /* term position + 1; 0: empty */
    uint32_t hash;
};

struct ac__ctx {
    struct ac__term *terms; /* sorted by name once built */
    size_t n, cap;
    const char *vocab;
    const struct ac__ctx *previous; /* set by a type-scoped (non-propagated) context */
    /* Once built: an open-addressed table of term positions + 1 by name
     * hash (find_term runs for every key and value of every document), each
     * slot with the name's hash so that a probe past another name costs no
     * visit to its term and string. */
    struct ac__term_slot *index;
    size_t index_mask;
    unsigned sorted : 1;
    /* Once built, when there are at most AC__MAX_ALIASES: the terms that
     * alias a keyword ("id" -> "@id", "type" -> "@type"). Expansion asks
     * "is this key a keyword?" several times for every key of every node;
     * a look at two short names answers that without a hashed lookup. */
    unsigned aliases_known : 1;
    unsigned nalias;
    const struct ac__term *alias[AC__MAX_ALIASES];
};

struct ac__memo {
    const struct ac__ctx *base;
    const json_t *local;
    int override_protected, propagate;
    struct ac__ctx *result;
};

struct ac_jsonld {
    json_t *shipped[AC__N_CONTEXTS]; /* the parsed files */
    struct ac__arena arena;          /* every string and term table of every ctx */
    struct ac__ctx initial;
    struct ac__memo *memo;
    size_t nmemo, capmemo;
};

/* The hash ac__find_term() indexes names by: eight bytes a step after
 * strlen(), not a multiply per byte, as it runs for most keys and many
 * values of every document. */
static inline size_t ac__name_hash(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    for (; n >= 8; n -= 8, s += 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return (size_t)(h ^ (h >> 29));
}

/* The slow path of ac__find_term(), for a context whose index could not be
 * built (out of memory) or that is still being built. */
const struct ac__term *ac__find_term_slow(const struct ac__ctx *c, const char *name);

/* The definition of term |name| in |c|, or NULL. Inline: it runs for every
 * key and many values of every document. */
static inline const struct ac__term *ac__find_term(const struct ac__ctx *c, const char *name)
{
    if (!c->index)
        return ac__find_term_slow(c, name);
    size_t full = ac__name_hash(name);
    for (size_t h = full & c->index_mask; c->index[h].pos; h = (h + 1) & c->index_mask) {
        if (c->index[h].hash != (uint32_t)full)
            continue;
        const struct ac__term *t = &c->terms[c->index[h].pos - 1];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

/* The keyword |key| is or stands for in |c| ("@id" for "@id", and for
 * "id" where the context aliases it), or NULL. Inline for the same reason as
 * ac__find_term(). */
static inline const char *ac__key_keyword(const struct ac__ctx *c, const char *key)
{
    if (key[0] == '@')
        return key;
    if (c->aliases_known) {
        for (unsigned i = 0; i < c->nalias; i++)
            if (c->alias[i]->name[0] == key[0] && strcmp(c->alias[i]->name, key) == 0)
                return c->alias[i]->iri;
        return NULL;
    }
    const struct ac__term *t = ac__find_term(c, key);
    return t && t->iri && t->iri[0] == '@' ? t->iri : NULL;
}

/* 1 when |s| is a JSON-LD keyword ("@id", "@type", ...), else 0. */
int ac__is_keyword(const char *s);

/* 1 when |s| is an absolute IRI (an RFC 3986 scheme, ':') holding no
 * character an IRI may not (controls, space, <>"{}|\^`), else 0. */
int ac__is_absolute_iri(const char *s);

/* Context Processing (4.1) of one local context object |local| (borrowed
 * from a shipped context) onto |base|, cached in |p|: the same (base, local,
 * flags) always gives the same immutable result, which |p| owns. Sets
 * |*out|. Returns 0, AC_ENOMEM, AC_E2BIG (too many distinct processed
 * contexts) or AC_EINVAL (|why| says why). */
int ac__process_context(struct ac_jsonld *p, const struct ac__ctx *base, const json_t *local,
                        int override_protected, int propagate, const struct ac__ctx **out,
                        char *why, size_t whylen);

#endif
