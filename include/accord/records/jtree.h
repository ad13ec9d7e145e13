/* jtree.h - a read-only JSON document tree for the verify path: one arena
 * per document, objects as arrays of (key, value) in document order, arrays
 * as arrays of values. Verifying an OB 3.0 credential reads its JSON once
 * and drops it whole; building and freeing jansson values for that cost
 * more than both JSON-LD expansions together (docs/ob3.md, sixth round).
 *
 * ac_jt_parse() refuses exactly what ac_jsonld_parse() refuses, with the
 * same reasons (it is the reader behind that function too): a top level
 * that is not an object or array, duplicate keys, invalid UTF-8, raw
 * control characters, bad escapes and surrogates, \u0000, numbers outside
 * the JSON grammar, integers that do not fit in 64 bits, reals that
 * overflow, nesting deeper than 2048, trailing text, and text over
 * AC_JSONLD_MAX_BYTES. Integers and reals stay apart, as jansson keeps
 * them, so numbers canonicalize as before.
 *
 * The accessors below take NULL (an absent member) and answer as for a
 * value of another type, as jansson's do. A document is immutable. */
#ifndef AC_JTREE_H
#define AC_JTREE_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

enum ac_jt_type {
    AC_JT_NULL,
    AC_JT_FALSE,
    AC_JT_TRUE,
    AC_JT_INTEGER,
    AC_JT_REAL,
    AC_JT_STRING,
    AC_JT_ARRAY,
    AC_JT_OBJECT,
};

struct ac_jt_member;

struct ac_jt {
    enum ac_jt_type type;
    size_t n; /* a string's bytes (NUL-terminated besides), items, or members */
    union {
        long long i;
        double d;
        const char *s;
        const struct ac_jt *items;
        const struct ac_jt_member *members;
    } u;
};

struct ac_jt_member {
    const char *key; /* NUL-terminated; no NUL inside */
    size_t klen;
    struct ac_jt value;
};

struct ac_jt_doc;

/* Parses |len| bytes of JSON text into |*out|, freed with ac_jt_free().
 * Returns 0, AC_ENOMEM, AC_E2BIG (over AC_JSONLD_MAX_BYTES) or AC_EPARSE
 * with what and where in |why| ("not JSON: duplicate object key (line 1,
 * column 12)"). */
int ac_jt_parse(const char *text, size_t len, struct ac_jt_doc **out, char *why, size_t whylen);

/* A tree over the jansson value |v| (borrowed: its strings are |v|'s, so
 * |v| must outlive |*out|), in jansson's member order. Returns 0, AC_ENOMEM
 * or AC_EINVAL (|v| is NULL). */
int ac_jt_from_json(const json_t *v, struct ac_jt_doc **out);

/* A new jansson value equal to |v| (members in order); the caller drops it
 * with json_decref(). Returns 0 or AC_ENOMEM. */
int ac_jt_to_json(const struct ac_jt *v, json_t **out);

/* The document's top value (an object or an array after ac_jt_parse()). */
const struct ac_jt *ac_jt_root(const struct ac_jt_doc *d);

/* Frees |d| and every value in it; NULL is a no-op. */
void ac_jt_free(struct ac_jt_doc *d);

/* 1 when |a| and |b| are equal JSON (members in any order), else 0. */
int ac_jt_equal(const struct ac_jt *a, const struct ac_jt *b);

static inline int ac_jt_is(const struct ac_jt *v, enum ac_jt_type t)
{
    return v && v->type == t;
}

static inline int ac_jt_is_null(const struct ac_jt *v)
{
    return ac_jt_is(v, AC_JT_NULL);
}

static inline int ac_jt_is_string(const struct ac_jt *v)
{
    return ac_jt_is(v, AC_JT_STRING);
}

static inline int ac_jt_is_array(const struct ac_jt *v)
{
    return ac_jt_is(v, AC_JT_ARRAY);
}

static inline int ac_jt_is_object(const struct ac_jt *v)
{
    return ac_jt_is(v, AC_JT_OBJECT);
}

static inline int ac_jt_is_number(const struct ac_jt *v)
{
    return v && (v->type == AC_JT_INTEGER || v->type == AC_JT_REAL);
}

static inline int ac_jt_is_boolean(const struct ac_jt *v)
{
    return v && (v->type == AC_JT_TRUE || v->type == AC_JT_FALSE);
}

/* The string's bytes, or NULL for any other value. */
static inline const char *ac_jt_string(const struct ac_jt *v)
{
    return v && v->type == AC_JT_STRING ? v->u.s : NULL;
}

/* The number as a double; 0 for any other value. */
static inline double ac_jt_number(const struct ac_jt *v)
{
    return !v ? 0 : v->type == AC_JT_INTEGER ? (double)v->u.i : v->type == AC_JT_REAL ? v->u.d : 0;
}

/* The items of an array, the members of an object; 0 for any other value. */
static inline size_t ac_jt_size(const struct ac_jt *v)
{
    return v && (v->type == AC_JT_ARRAY || v->type == AC_JT_OBJECT) ? v->n : 0;
}

/* Item |i| of an array, or NULL. */
static inline const struct ac_jt *ac_jt_item(const struct ac_jt *v, size_t i)
{
    return v && v->type == AC_JT_ARRAY && i < v->n ? &v->u.items[i] : NULL;
}

/* Member |key| of an object, or NULL. A linear look: the objects of a
 * credential have a few members each. */
static inline const struct ac_jt *ac_jt_get(const struct ac_jt *v, const char *key)
{
    if (!v || v->type != AC_JT_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (v->u.members[i].key[0] == key[0] && strcmp(v->u.members[i].key, key) == 0)
            return &v->u.members[i].value;
    return NULL;
}

#endif
