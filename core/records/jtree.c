/* jtree.c - the document tree of jtree.h less its reader (jsonld_read.c):
 * freeing, comparing, and converting from and to jansson values, which is
 * how the issuing path (jansson documents) shares the expansion code that
 * reads trees. */
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "jsonld_internal.h"

const struct ac_jt *ac_jt_root(const struct ac_jt_doc *d)
{
    return &d->root;
}

void ac_jt_free(struct ac_jt_doc *d)
{
    if (!d)
        return;
    ac__arena_release(&d->arena);
    free(d);
}

int ac_jt_equal(const struct ac_jt *a, const struct ac_jt *b)
{
    if (!a || !b || a->type != b->type || a->n != b->n)
        return 0;
    switch (a->type) {
    case AC_JT_NULL:
    case AC_JT_TRUE:
    case AC_JT_FALSE:
        return 1;
    case AC_JT_INTEGER:
        return a->u.i == b->u.i;
    case AC_JT_REAL:
        return a->u.d == b->u.d;
    case AC_JT_STRING:
        return memcmp(a->u.s, b->u.s, a->n) == 0;
    case AC_JT_ARRAY:
        for (size_t i = 0; i < a->n; i++)
            if (!ac_jt_equal(&a->u.items[i], &b->u.items[i]))
                return 0;
        return 1;
    case AC_JT_OBJECT:
        /* Keys are unique, so one direction with equal sizes is enough. */
        for (size_t i = 0; i < a->n; i++)
            if (!ac_jt_equal(&a->u.members[i].value, ac_jt_get(b, a->u.members[i].key)))
                return 0;
        return 1;
    }
    return 0;
}

static int from_json(struct ac__arena *a, const json_t *v, struct ac_jt *out)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        *out = (struct ac_jt){.type = AC_JT_NULL};
        return 0;
    case JSON_TRUE:
        *out = (struct ac_jt){.type = AC_JT_TRUE};
        return 0;
    case JSON_FALSE:
        *out = (struct ac_jt){.type = AC_JT_FALSE};
        return 0;
    case JSON_INTEGER:
        *out = (struct ac_jt){.type = AC_JT_INTEGER, .u.i = json_integer_value(v)};
        return 0;
    case JSON_REAL:
        *out = (struct ac_jt){.type = AC_JT_REAL, .u.d = json_real_value(v)};
        return 0;
    case JSON_STRING:
        *out = (struct ac_jt){
            .type = AC_JT_STRING, .n = json_string_length(v), .u.s = json_string_value(v)};
        return 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        struct ac_jt *items = n ? ac__arena_alloc(a, n * sizeof *items) : NULL;
        if (n && !items)
            return AC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            if (from_json(a, json_array_get(v, i), &items[i]))
                return AC_ENOMEM;
        *out = (struct ac_jt){.type = AC_JT_ARRAY, .n = n, .u.items = items};
        return 0;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        struct ac_jt_member *m = n ? ac__arena_alloc(a, n * sizeof *m) : NULL;
        if (n && !m)
            return AC_ENOMEM;
        const char *key;
        size_t klen;
        json_t *e;
        json_object_keylen_foreach((json_t *)v, key, klen, e)
        {
            m[i].key = key;
            m[i].klen = klen;
            if (from_json(a, e, &m[i].value))
                return AC_ENOMEM;
            i++;
        }
        *out = (struct ac_jt){.type = AC_JT_OBJECT, .n = n, .u.members = m};
        return 0;
    }
    }
    return AC_EINVAL;
}

int ac_jt_from_json(const json_t *v, struct ac_jt_doc **out)
{
    if (!v)
        return AC_EINVAL;
    struct ac_jt_doc *d = calloc(1, sizeof *d);
    if (!d)
        return AC_ENOMEM;
    int rc = from_json(&d->arena, v, &d->root);
    if (rc) {
        ac_jt_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

static json_t *to_json(const struct ac_jt *v)
{
    switch (v->type) {
    case AC_JT_NULL:
        return json_null();
    case AC_JT_TRUE:
        return json_true();
    case AC_JT_FALSE:
        return json_false();
    case AC_JT_INTEGER:
        return json_integer(v->u.i);
    case AC_JT_REAL:
        return json_real(v->u.d);
    case AC_JT_STRING:
        return json_stringn_nocheck(v->u.s, v->n);
    case AC_JT_ARRAY: {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < v->n; i++) {
            json_t *e = to_json(&v->u.items[i]);
            if (!e || json_array_append_new(arr, e)) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case AC_JT_OBJECT: {
        json_t *obj = json_object();
        for (size_t i = 0; obj && i < v->n; i++) {
            const struct ac_jt_member *m = &v->u.members[i];
            json_t *e = to_json(&m->value);
            /* The reader refused duplicate keys: no check needed. */
            if (!e || json_object_setn_new_nocheck(obj, m->key, m->klen, e)) {
                json_decref(obj);
                return NULL;
            }
        }
        return obj;
    }
    }
    return NULL;
}

int ac_jt_to_json(const struct ac_jt *v, json_t **out)
{
    json_t *j = to_json(v);
    if (!j)
        return AC_ENOMEM;
    *out = j;
    return 0;
}
