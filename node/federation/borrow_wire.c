/* borrow_wire.c - what both sides of borrowed review need on the wire: JSON
 * bodies as deterministic CBOR and back, queuing a message in the caller's
 * transaction, and the inbox's envelope checks for the one borrowed-review
 * request that does not go through the inbox (an artifact fetch, whose bytes
 * must not be kept as a dedup answer). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/sign/cbor.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"

static int put_json(struct ac_cbor_writer *w, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        ac_cbor_put_map(w, json_object_size(j));
        const char *k;
        json_t *v;
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
        ac_cbor_put_array(w, json_array_size(j));
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            int err = put_json(w, v);
            if (err)
                return err;
        }
        return 0;
    }
    case JSON_STRING:
        ac_cbor_put_text(w, json_string_value(j), json_string_length(j));
        return 0;
    case JSON_INTEGER:
        ac_cbor_put_int(w, json_integer_value(j));
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        ac_cbor_put_bool(w, json_is_true(j));
        return 0;
    case JSON_NULL:
        ac_cbor_put_null(w);
        return 0;
    default:
        return AC_EINVAL; /* reals: none of these bodies carries one */
    }
}

int ac__borrow_cbor_of_json(const json_t *j, struct ac_buf *out)
{
    if (!j)
        return AC_ENOMEM;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    int err = put_json(&w, j);
    if (!err)
        err = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return err;
}

static json_t *get_json(struct ac_cbor_reader *r)
{
    json_t *out = NULL;
    uint64_t n;
    switch (ac_cbor_peek(r)) {
    case AC_CBOR_UINT:
    case AC_CBOR_NINT: {
        int64_t v;
        return ac_cbor_get_int(r, &v) ? NULL : json_integer(v);
    }
    case AC_CBOR_TEXT: {
        const char *s;
        size_t len;
        return ac_cbor_get_text(r, &s, &len) ? NULL : json_stringn(s, len);
    }
    case AC_CBOR_ARRAY:
        if (ac_cbor_get_array(r, &n) || !(out = json_array()))
            return NULL;
        for (uint64_t i = 0; i < n; i++) {
            json_t *v = get_json(r);
            if (!v || json_array_append_new(out, v)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    case AC_CBOR_MAP:
        if (ac_cbor_get_map(r, &n) || !(out = json_object()))
            return NULL;
        for (uint64_t i = 0; i < n; i++) {
            const char *k;
            size_t klen;
            char key[128];
            if (ac_cbor_get_text(r, &k, &klen) || klen >= sizeof key) {
                json_decref(out);
                return NULL;
            }
            memcpy(key, k, klen);
            key[klen] = 0;
            json_t *v = get_json(r);
            if (!v || json_object_set_new(out, key, v)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    case AC_CBOR_SIMPLE: {
        bool b;
        if (ac_cbor_get_bool(r, &b) == 0)
            return json_boolean(b);
        return ac_cbor_get_null(r) == 0 ? json_null() : NULL;
    }
    default:
        return NULL; /* bytes and tags are not part of these bodies */
    }
}

json_t *ac__borrow_json_of_cbor(const uint8_t *p, size_t len)
{
    struct ac_cbor_reader r;
    if (ac_cbor_reader_init(&r, p, len))
        return NULL;
    json_t *j = get_json(&r);
    if (j && ac_cbor_peek(&r) != AC_CBOR_END) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int ac__borrow_queue(struct ac_node *n, const char *peer, const char *type, const char *msg_id,
                     const json_t *body)
{
    struct ac_buf b = AC_BUF_INIT;
    int err = ac__borrow_cbor_of_json(body, &b);
    if (!err && !n->federation)
        err = AC_EIO;
    if (!err)
        err = ac__fed_queue(n->federation, peer, type, msg_id, b.data, b.len);
    ac_buf_release(&b);
    return err;
}

int ac__borrow_verify(struct ac_node *n, const uint8_t *raw, size_t len, const char *type,
                      struct ac_envelope *e, struct ac__fed_peer **peer, struct ac_reason *why)
{
    struct ac__federation *f = n->federation;
    if (!f)
        return ac_reason_fail(why, AC_EIO, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL,
                              "federation is not running on this node");
    char w[AC_ENVELOPE_WHY_LEN];
    struct ac_cose_sign1 m;
    if (ac_envelope_parse(raw, len, &m, w, sizeof w))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, NULL, "%s", w);
    const struct ac__fed_key *key = NULL;
    struct ac__fed_peer *p = ac__fed_peer_by_kid(f, m.kid, m.kid_len, &key);
    if (!p)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_UNKNOWN_SENDER, "kid",
                              "the key belongs to no peer of this node");
    if (ac_envelope_verify(&m, key->public_key))
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_BAD_SIGNATURE, NULL,
                              "the signature does not verify with %s's key", p->node_id);
    if (ac_envelope_decode(&m, e, w, sizeof w))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, NULL, "%s", w);
    if (strcmp(e->from, p->node_id) != 0)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_WRONG_KEY, "from",
                              "from \"%s\" but signed with a key of %s", e->from, p->node_id);
    if (!ac_member_key_valid_at(&(struct ac_member_key){.not_before_ms = key->not_before_ms,
                                                        .not_after_ms = key->not_after_ms},
                                e->ts_ms))
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_RETIRED_KEY, "ts",
                              "the key of %s was not valid at ts", p->node_id);
    if (strcmp(e->to, n->cfg->node_id) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_WRONG_RECIPIENT, "to",
                              "to \"%s\"; this node is \"%s\"", e->to, n->cfg->node_id);
    int64_t now = ac_clock_now_ms();
    if (e->ts_ms < now - AC__FED_SKEW_MS || e->ts_ms > now + AC__FED_SKEW_MS)
        return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_CLOCK_SKEW, "ts",
                              "ts is %lld s from this node's clock; at most %d s is allowed",
                              (long long)((e->ts_ms - now) / 1000), AC__FED_SKEW_MS / 1000);
    if (strcmp(e->type, type) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNKNOWN_MESSAGE_TYPE, "type",
                              "this endpoint takes \"%s\", not \"%s\"", type, e->type);
    *peer = p;
    return 0;
}

void ac__borrow_month(int64_t ms, char out[8])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000, m = (unsigned)(tm.tm_mon + 1) % 100;
    snprintf(out, 8, "%04u-%02u", y, m);
}

int ac__borrow_cbor_field(const uint8_t *p, size_t len, const char *key, struct ac_cbor_reader *at)
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

void ac__borrow_random_hex(char *out, size_t nbytes)
{
    uint8_t r[32];
    if (nbytes > sizeof r)
        nbytes = sizeof r;
    randombytes_buf(r, nbytes);
    sodium_bin2hex(out, 2 * nbytes + 1, r, nbytes);
}
