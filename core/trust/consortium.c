/* consortium.c - the consortium trust file: JSON for the operator, signed
 * deterministic CBOR on the wire, verified before its members are read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/sign/cbor.h"
#include "accord/sign/keyring.h"
#include "accord/trust/consortium.h"

#define CONSORTIUM_VERSION 1

static const char *const right_names[] = {"submit", "lend", "certify", "issuer", "witness"};
#define NRIGHTS (sizeof right_names / sizeof right_names[0])

const char *ac_right_name(unsigned bit)
{
    for (size_t i = 0; i < NRIGHTS; i++)
        if (bit == 1u << i)
            return right_names[i];
    return NULL;
}

static int right_bit(const char *s, size_t n, unsigned *bit)
{
    for (size_t i = 0; i < NRIGHTS; i++)
        if (strlen(right_names[i]) == n && memcmp(right_names[i], s, n) == 0) {
            *bit = 1u << i;
            return 0;
        }
    return -1;
}

int ac_rights_parse(const char *list, unsigned *out, char *why, size_t whylen)
{
    unsigned r = 0;
    if (strcmp(list, "none") != 0) {
        const char *p = list;
        while (*p) {
            while (*p == ' ')
                p++;
            const char *end = p + strcspn(p, ",");
            size_t n = (size_t)(end - p);
            while (n && p[n - 1] == ' ')
                n--;
            unsigned bit;
            if (n == 0 || right_bit(p, n, &bit))
                return ac_refuse_rc(
                    AC_EINVAL, why, whylen,
                    "rights: \"%.*s\" is not a right; rights are submit, lend, certify, "
                    "issuer and witness",
                    (int)(n > 32 ? 32 : n), p);
            r |= bit;
            p = *end ? end + 1 : end;
        }
    }
    *out = r;
    return 0;
}

char *ac_rights_format(unsigned rights, char *out, size_t size)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < NRIGHTS; i++)
        if (rights & (1u << i)) {
            int w = snprintf(out + used, size - used, "%s%s", used ? "," : "", right_names[i]);
            if (w < 0 || (size_t)w >= size - used)
                break;
            used += (size_t)w;
        }
    if (!used)
        snprintf(out, size, "none");
    return out;
}

void ac_consortium_free(struct ac_consortium *c)
{
    if (!c)
        return;
    free(c->members);
    free(c);
}

/* The same rule node/config.c applies to node ids (core cannot call it). */
static int node_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || i == n - 1 || (c != '.' && c != '-')))
            return 0;
    }
    return 1;
}

/* A base URL is an origin: http(s)://host[:port], nothing after it. */
static int url_ok(const char *s, size_t n)
{
    size_t skip;
    if (n > 8 && memcmp(s, "https://", 8) == 0)
        skip = 8;
    else if (n > 7 && memcmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return 0;
    if (n > AC_CONSORTIUM_URL_MAX)
        return 0;
    for (size_t i = skip; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return 0;
    }
    return 1;
}

/* Checks what both forms share once a consortium is filled in. */
static int check_consortium(const struct ac_consortium *c, char *why, size_t whylen)
{
    if (!c->name[0])
        return ac_refuse_rc(AC_EINVAL, why, whylen, "name: must be 1-%d characters",
                            AC_CONSORTIUM_NAME_MAX);
    if (c->serial == 0)
        return ac_refuse_rc(AC_EINVAL, why, whylen, "serial: must be at least 1");
    for (size_t i = 0; i < c->nmembers; i++) {
        const struct ac_member *m = &c->members[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->members[j].node_id, m->node_id) == 0)
                return ac_refuse_rc(AC_EINVAL, why, whylen,
                                    "members[%zu].node: \"%s\" is listed twice (also members[%zu])",
                                    i, m->node_id, j);
        if (m->nkeys == 0)
            return ac_refuse_rc(AC_EINVAL, why, whylen,
                                "members[%zu].keys: \"%s\" needs at least one key", i, m->node_id);
        for (size_t k = 0; k < m->nkeys; k++) {
            const struct ac_member_key *key = &m->keys[k];
            if (key->not_after_ms && key->not_after_ms <= key->not_before_ms)
                return ac_refuse_rc(AC_EINVAL, why, whylen,
                                    "members[%zu].keys[%zu]: not_after must be after not_before", i,
                                    k);
        }
    }
    return 0;
}

/* ---- JSON form ---- */

static int json_time(json_t *v, int64_t *ms)
{
    if (!v) {
        *ms = 0;
        return 0;
    }
    return json_is_string(v) ? ac_clock_parse(json_string_value(v), ms) : -1;
}

static int member_from_json(json_t *jm, size_t i, struct ac_member *m, char *why, size_t whylen)
{
    const char *node = json_string_value(json_object_get(jm, "node"));
    const char *url = json_string_value(json_object_get(jm, "url"));
    json_t *rights = json_object_get(jm, "rights"), *keys = json_object_get(jm, "keys");
    if (!json_is_object(jm))
        return ac_refuse_rc(AC_EINVAL, why, whylen, "members[%zu]: must be an object", i);
    if (!node || !node_id_ok(node, strlen(node)))
        return ac_refuse_rc(
            AC_EINVAL, why, whylen,
            "members[%zu].node: \"%s\" must be a node id (1-64 of a-z, 0-9, '.', '-')", i,
            node ? node : "");
    if (!url || !url_ok(url, strlen(url)))
        return ac_refuse_rc(
            AC_EINVAL, why, whylen,
            "members[%zu].url: \"%s\" must be http:// or https:// and a host with optional "
            "port, no path",
            i, url ? url : "");
    snprintf(m->node_id, sizeof m->node_id, "%s", node);
    snprintf(m->base_url, sizeof m->base_url, "%s", url);
    if (!json_is_array(rights))
        return ac_refuse_rc(AC_EINVAL, why, whylen,
                            "members[%zu].rights: must be an array of rights", i);
    size_t k;
    json_t *v;
    json_array_foreach(rights, k, v)
    {
        const char *s = json_string_value(v);
        unsigned bit;
        if (!s || right_bit(s, strlen(s), &bit))
            return ac_refuse_rc(
                AC_EINVAL, why, whylen,
                "members[%zu].rights[%zu]: \"%s\" is not a right; rights are submit, "
                "lend, certify, issuer and witness",
                i, k, s ? s : "");
        m->rights |= bit;
    }
    if (!json_is_array(keys) || json_array_size(keys) == 0 ||
        json_array_size(keys) > AC_CONSORTIUM_MAX_KEYS)
        return ac_refuse_rc(AC_EINVAL, why, whylen,
                            "members[%zu].keys: must be an array of 1 to %d keys", i,
                            AC_CONSORTIUM_MAX_KEYS);
    json_array_foreach(keys, k, v)
    {
        struct ac_member_key *key = &m->keys[m->nkeys];
        const char *hex = json_string_value(json_object_get(v, "key"));
        size_t n = 0;
        if (!hex || strlen(hex) != 64 ||
            sodium_hex2bin(key->public_key, 32, hex, 64, NULL, &n, NULL) || n != 32)
            return ac_refuse_rc(
                AC_EINVAL, why, whylen,
                "members[%zu].keys[%zu].key: \"%.70s\" must be 64 hex digits (an Ed25519 "
                "public key)",
                i, k, hex ? hex : "");
        if (json_time(json_object_get(v, "not_before"), &key->not_before_ms) ||
            json_time(json_object_get(v, "not_after"), &key->not_after_ms))
            return ac_refuse_rc(
                AC_EINVAL, why, whylen,
                "members[%zu].keys[%zu]: not_before and not_after must be RFC 3339 UTC "
                "times",
                i, k);
        ac_key_id(key->public_key, key->kid);
        m->nkeys++;
    }
    return 0;
}

int ac_consortium_from_json(const char *text, size_t len, struct ac_consortium **out, char *why,
                            size_t whylen)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return ac_refuse_rc(AC_EINVAL, why, whylen, "line %d column %d: %s", jerr.line, jerr.column,
                            jerr.text);
    int rc = 0;
    struct ac_consortium *c = calloc(1, sizeof *c);
    json_t *members = json_object_get(j, "members");
    const char *name = json_string_value(json_object_get(j, "name"));
    json_t *serial = json_object_get(j, "serial");
    if (!c) {
        rc = AC_ENOMEM;
        goto out;
    }
    if (!name || !*name || strlen(name) > AC_CONSORTIUM_NAME_MAX) {
        rc = ac_refuse_rc(AC_EINVAL, why, whylen, "name: must be 1-%d characters",
                          AC_CONSORTIUM_NAME_MAX);
        goto out;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    if (!json_is_integer(serial) || json_integer_value(serial) < 1) {
        rc = ac_refuse_rc(AC_EINVAL, why, whylen, "serial: must be a whole number from 1");
        goto out;
    }
    c->serial = (uint64_t)json_integer_value(serial);
    if (json_time(json_object_get(j, "issued"), &c->issued_ms)) {
        rc = ac_refuse_rc(AC_EINVAL, why, whylen, "issued: must be an RFC 3339 UTC time");
        goto out;
    }
    if (!json_is_array(members) || json_array_size(members) > AC_CONSORTIUM_MAX_MEMBERS) {
        rc = ac_refuse_rc(AC_EINVAL, why, whylen, "members: must be an array of at most %d members",
                          AC_CONSORTIUM_MAX_MEMBERS);
        goto out;
    }
    c->nmembers = json_array_size(members);
    c->members = calloc(c->nmembers ? c->nmembers : 1, sizeof *c->members);
    if (!c->members) {
        rc = AC_ENOMEM;
        goto out;
    }
    for (size_t i = 0; !rc && i < c->nmembers; i++)
        rc = member_from_json(json_array_get(members, i), i, &c->members[i], why, whylen);
    if (!rc)
        rc = check_consortium(c, why, whylen);
out:
    json_decref(j);
    if (rc) {
        ac_consortium_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ac_consortium_to_json(const struct ac_consortium *c, struct ac_buf *out)
{
    char t[21];
    json_t *j = json_pack("{s:s, s:I, s:s, s:[]}", "name", c->name, "serial", (json_int_t)c->serial,
                          "issued", ac_clock_format(c->issued_ms, t), "members");
    json_t *members = j ? json_object_get(j, "members") : NULL;
    for (size_t i = 0; members && i < c->nmembers; i++) {
        const struct ac_member *m = &c->members[i];
        json_t *rights = json_array(), *keys = json_array();
        for (unsigned b = 1; rights && b <= AC_RIGHT_WITNESS; b <<= 1)
            if (m->rights & b)
                json_array_append_new(rights, json_string(ac_right_name(b)));
        for (size_t k = 0; keys && k < m->nkeys; k++) {
            char hex[65], kid[17];
            sodium_bin2hex(hex, sizeof hex, m->keys[k].public_key, 32);
            sodium_bin2hex(kid, sizeof kid, m->keys[k].kid, 8);
            json_t *jk = json_pack("{s:s, s:s, s:s}", "key", hex, "kid", kid, "not_before",
                                   ac_clock_format(m->keys[k].not_before_ms, t));
            if (jk && m->keys[k].not_after_ms)
                json_object_set_new(jk, "not_after",
                                    json_string(ac_clock_format(m->keys[k].not_after_ms, t)));
            json_array_append_new(keys, jk);
        }
        json_array_append_new(members, json_pack("{s:s, s:s, s:o, s:o}", "node", m->node_id, "url",
                                                 m->base_url, "rights", rights, "keys", keys));
    }
    char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    int rc = !s || ac_buf_append_str(out, s) || ac_buf_terminate(out) ? AC_ENOMEM : 0;
    free(s);
    return rc;
}

/* ---- signed CBOR form ---- */

/* Starts |w| and writes the file's payload {v, name, serial, issued,
 * members} into it (ac_consortium_sign finishes it). */
static void write_payload(const struct ac_consortium *c, struct ac_cbor_writer *w)
{
    ac_cbor_writer_init(w);
    ac_cbor_put_map(w, 5);
    ac_cbor_put_str(w, "v");
    ac_cbor_put_uint(w, CONSORTIUM_VERSION);
    ac_cbor_put_str(w, "name");
    ac_cbor_put_str(w, c->name);
    ac_cbor_put_str(w, "serial");
    ac_cbor_put_uint(w, c->serial);
    ac_cbor_put_str(w, "issued");
    ac_cbor_put_int(w, c->issued_ms);
    ac_cbor_put_str(w, "members");
    ac_cbor_put_array(w, c->nmembers);
    for (size_t i = 0; i < c->nmembers; i++) {
        const struct ac_member *m = &c->members[i];
        unsigned nrights = 0;
        for (unsigned b = 1; b <= AC_RIGHT_WITNESS; b <<= 1)
            nrights += (m->rights & b) != 0;
        ac_cbor_put_map(w, 4);
        ac_cbor_put_str(w, "node");
        ac_cbor_put_str(w, m->node_id);
        ac_cbor_put_str(w, "url");
        ac_cbor_put_str(w, m->base_url);
        ac_cbor_put_str(w, "rights");
        ac_cbor_put_array(w, nrights);
        for (unsigned b = 1; b <= AC_RIGHT_WITNESS; b <<= 1)
            if (m->rights & b)
                ac_cbor_put_str(w, ac_right_name(b));
        ac_cbor_put_str(w, "keys");
        ac_cbor_put_array(w, m->nkeys);
        for (size_t k = 0; k < m->nkeys; k++) {
            ac_cbor_put_map(w, 3);
            ac_cbor_put_str(w, "key");
            ac_cbor_put_bytes(w, m->keys[k].public_key, 32);
            ac_cbor_put_str(w, "nbf");
            ac_cbor_put_int(w, m->keys[k].not_before_ms);
            ac_cbor_put_str(w, "exp");
            ac_cbor_put_int(w, m->keys[k].not_after_ms);
        }
    }
}

int ac_consortium_sign(const struct ac_consortium *c, const uint8_t *kid, size_t kid_len,
                       ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out)
{
    if (kid_len == 0 || kid_len > AC_COSE_KID_MAX || check_consortium(c, NULL, 0))
        return AC_EINVAL;
    struct ac_cbor_writer w;
    write_payload(c, &w);
    return ac_cose_sign1_writer(&w, kid, kid_len, AC_CONSORTIUM_CONTENT_TYPE, sign, sign_ctx, out);
}

/* Checks the protected content type is the consortium file's. */
static int check_type(const struct ac_cose_sign1 *m, char *why, size_t whylen)
{
    const char *s;
    size_t len;
    if (ac_cose_sign1_content_type(m, &s, &len) || len != strlen(AC_CONSORTIUM_CONTENT_TYPE) ||
        memcmp(s, AC_CONSORTIUM_CONTENT_TYPE, len) != 0)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "protected header: content type (3) must be \"%s\"; this is not a consortium "
            "file",
            AC_CONSORTIUM_CONTENT_TYPE);
    return 0;
}

static int get_key(struct ac_cbor_reader *r, const char *want)
{
    const char *s;
    size_t n;
    return ac_cbor_get_text(r, &s, &n) || n != strlen(want) || memcmp(s, want, n) != 0 ? -1 : 0;
}

static int copy_text(struct ac_cbor_reader *r, char *dst, size_t size)
{
    const char *s;
    size_t n;
    if (ac_cbor_get_text(r, &s, &n) || n >= size)
        return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* Reads one member; its map keys in deterministic order: url, keys, node,
 * rights (by encoded length, then bytewise). */
static int read_member(struct ac_cbor_reader *r, size_t i, struct ac_member *m, char *why,
                       size_t whylen)
{
    uint64_t n, nk, nr;
    if (ac_cbor_get_map(r, &n) || n != 4 || get_key(r, "url") ||
        copy_text(r, m->base_url, sizeof m->base_url) || get_key(r, "keys") ||
        ac_cbor_get_array(r, &nk) || nk == 0 || nk > AC_CONSORTIUM_MAX_KEYS)
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "members[%zu]: must be {node, url, rights, keys}", i);
    for (uint64_t k = 0; k < nk; k++) {
        struct ac_member_key *key = &m->keys[k];
        const uint8_t *p;
        size_t len;
        uint64_t nf;
        /* {key, exp, nbf} in encoded order. */
        if (ac_cbor_get_map(r, &nf) || nf != 3 || get_key(r, "exp") ||
            ac_cbor_get_int(r, &key->not_after_ms) || get_key(r, "key") ||
            ac_cbor_get_bytes(r, &p, &len) || len != 32 || get_key(r, "nbf") ||
            ac_cbor_get_int(r, &key->not_before_ms))
            return ac_refuse_rc(AC_EPARSE, why, whylen,
                                "members[%zu].keys[%llu]: must be {key: 32 bytes, nbf, exp}", i,
                                (unsigned long long)k);
        memcpy(key->public_key, p, 32);
        ac_key_id(key->public_key, key->kid);
    }
    m->nkeys = (size_t)nk;
    if (get_key(r, "node") || copy_text(r, m->node_id, sizeof m->node_id) ||
        !node_id_ok(m->node_id, strlen(m->node_id)) || !url_ok(m->base_url, strlen(m->base_url)))
        return ac_refuse_rc(AC_EPARSE, why, whylen, "members[%zu]: node id or url breaks its rule",
                            i);
    if (get_key(r, "rights") || ac_cbor_get_array(r, &nr) || nr > 5)
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "members[%zu].rights: must be an array of rights", i);
    for (uint64_t k = 0; k < nr; k++) {
        const char *s;
        size_t len;
        unsigned bit;
        if (ac_cbor_get_text(r, &s, &len) || right_bit(s, len, &bit))
            return ac_refuse_rc(AC_EPARSE, why, whylen, "members[%zu].rights[%llu]: unknown right",
                                i, (unsigned long long)k);
        m->rights |= bit;
    }
    return 0;
}

int ac_consortium_open(const uint8_t *data, size_t len, const uint8_t consortium_key[32],
                       struct ac_consortium **out, char *why, size_t whylen)
{
    struct ac_cose_sign1 m;
    int rc = ac_cose_sign1_parse(data, len, &m, why, whylen);
    if (rc)
        return rc;
    if (m.unprotected_count || !m.kid_protected)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "consortium file: the kid must be protected and the unprotected header empty");
    if ((rc = check_type(&m, why, whylen)))
        return rc;
    uint8_t kid[8];
    ac_key_id(consortium_key, kid);
    if (m.kid_len != sizeof kid || memcmp(m.kid, kid, sizeof kid) != 0)
        return ac_refuse_rc(
            AC_ECRYPTO, why, whylen,
            "consortium file: signed by another key than the pinned consortium key");
    if (ac_cose_sign1_verify(&m, consortium_key))
        return ac_refuse_rc(AC_ECRYPTO, why, whylen,
                            "consortium file: the signature does not verify with the pinned key");

    struct ac_cbor_reader r;
    uint64_t n, nm, v;
    if (ac_cbor_reader_init(&r, m.payload, m.payload_len))
        return ac_refuse_rc(AC_EPARSE, why, whylen, "consortium file: %s", r.why);
    struct ac_consortium *c = calloc(1, sizeof *c);
    if (!c)
        return AC_ENOMEM;
    /* Payload keys in encoded order: v, name, issued, serial, members. */
    rc = AC_EPARSE;
    if (ac_cbor_get_map(&r, &n) || n != 5 || get_key(&r, "v") || ac_cbor_get_uint(&r, &v) ||
        v != CONSORTIUM_VERSION || get_key(&r, "name") || copy_text(&r, c->name, sizeof c->name) ||
        get_key(&r, "issued") || ac_cbor_get_int(&r, &c->issued_ms) || get_key(&r, "serial") ||
        ac_cbor_get_uint(&r, &c->serial) || get_key(&r, "members") || ac_cbor_get_array(&r, &nm) ||
        nm > AC_CONSORTIUM_MAX_MEMBERS) {
        ac_refuse_rc(rc, why, whylen,
                     "consortium file: payload must be {v: 1, name, serial, issued, members}");
        goto fail;
    }
    c->nmembers = (size_t)nm;
    c->members = calloc(nm ? nm : 1, sizeof *c->members);
    if (!c->members) {
        rc = AC_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < c->nmembers; i++)
        if (read_member(&r, i, &c->members[i], why, whylen))
            goto fail;
    if (check_consortium(c, why, whylen))
        goto fail;
    *out = c;
    return 0;
fail:
    ac_consortium_free(c);
    return rc;
}

const struct ac_member *ac_consortium_find(const struct ac_consortium *c, const char *node_id)
{
    for (size_t i = 0; c && i < c->nmembers; i++)
        if (strcmp(c->members[i].node_id, node_id) == 0)
            return &c->members[i];
    return NULL;
}

int ac_member_key_valid_at(const struct ac_member_key *k, int64_t ts_ms)
{
    return ts_ms >= k->not_before_ms && (k->not_after_ms == 0 || ts_ms < k->not_after_ms);
}
