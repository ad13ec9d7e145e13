/* json_cbor.c - JSON values as deterministic CBOR and back, for the bodies
 * of federation messages (borrowed review, cross-node certification) that
 * the code builds and reads as JSON but carries as CBOR in envelopes. */
#include <stdbool.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/sign/cbor.h"
#include "json_cbor.h"

static int put_json(struct ac_cbor_writer *w, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        ac_cbor_put_map(w, json_object_size(j));
        json_object_foreach((json_t *)j, k, v)
        {
            ac_cbor_put_str(w, k);
            int err = put_json(w, v);
            if (err)
                return err;
        }
        return 0;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        ac_cbor_put_array(w, json_array_size(j));
        json_array_foreach(j, i, v)
        {
            int err = put_json(w, v);
            if (err)
                return err;
        }
        return 0;
    }
    case JSON_STRING:
        return ac_cbor_put_text(w, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return ac_cbor_put_int(w, json_integer_value(j));
    case JSON_TRUE:
        return ac_cbor_put_bool(w, true);
    case JSON_FALSE:
        return ac_cbor_put_bool(w, false);
    case JSON_NULL:
        return ac_cbor_put_null(w);
    default:
        /* The CBOR rules here refuse floating point (cbor.h): a body that
         * carries a real is a bug of the message's writer. */
        return AC_EINVAL;
    }
}

int ac__json_to_cbor(const json_t *j, struct ac_buf *out)
{
    if (!j)
        return AC_ENOMEM; /* a json_pack() that failed */
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    int err = put_json(&w, j);
    if (!err)
        err = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return err;
}

static int get_json(struct ac_cbor_reader *r, int depth, json_t **out)
{
    if (depth > 32)
        return AC_EPARSE;
    json_t *j = NULL;
    uint64_t n;
    switch (ac_cbor_peek(r)) {
    case AC_CBOR_UINT:
    case AC_CBOR_NINT: {
        int64_t v;
        if (ac_cbor_get_int(r, &v))
            return AC_EPARSE;
        j = json_integer(v);
        break;
    }
    case AC_CBOR_TEXT: {
        const char *s;
        size_t len;
        if (ac_cbor_get_text(r, &s, &len))
            return AC_EPARSE;
        j = json_stringn(s, len);
        break;
    }
    case AC_CBOR_ARRAY:
        if (ac_cbor_get_array(r, &n))
            return AC_EPARSE;
        j = json_array();
        for (uint64_t i = 0; j && i < n; i++) {
            json_t *v;
            int err = get_json(r, depth + 1, &v);
            if (err) {
                json_decref(j);
                return err;
            }
            if (json_array_append_new(j, v)) {
                json_decref(j);
                return AC_ENOMEM;
            }
        }
        break;
    case AC_CBOR_MAP:
        if (ac_cbor_get_map(r, &n))
            return AC_EPARSE;
        j = json_object();
        for (uint64_t i = 0; j && i < n; i++) {
            const char *k;
            size_t klen;
            json_t *v;
            int err = ac_cbor_get_text(r, &k, &klen) || memchr(k, 0, klen) ? AC_EPARSE : 0;
            if (!err)
                err = get_json(r, depth + 1, &v);
            if (!err && json_object_setn_new(j, k, klen, v))
                err = AC_ENOMEM;
            if (err) {
                json_decref(j);
                return err;
            }
        }
        break;
    default: {
        bool b;
        if (ac_cbor_get_bool(r, &b) == 0)
            j = json_boolean(b);
        else if (ac_cbor_get_null(r) == 0)
            j = json_null();
        else
            return AC_EPARSE;
    }
    }
    if (!j)
        return AC_ENOMEM;
    *out = j;
    return 0;
}

int ac__cbor_to_json(const uint8_t *p, size_t len, json_t **out)
{
    struct ac_cbor_reader r;
    if (ac_cbor_reader_init(&r, p, len))
        return AC_EPARSE;
    json_t *j;
    int err = get_json(&r, 0, &j);
    if (!err && ac_cbor_peek(&r) != AC_CBOR_END) {
        json_decref(j);
        err = AC_EPARSE;
    }
    if (!err)
        *out = j;
    return err;
}

json_t *ac__cbor_to_json_or_null(const uint8_t *p, size_t len)
{
    json_t *j = NULL;
    return ac__cbor_to_json(p, len, &j) ? NULL : j;
}
