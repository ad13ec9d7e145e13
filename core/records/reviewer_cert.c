/* reviewer_cert.c - signing and verifying reviewer-certification records
 * (reviewer_cert.h): the issuer's word that a reviewer of another node passed
 * its certification for one credential version, checkable by that node with
 * the issuer's keys alone. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/records/reviewer_cert.h"
#include "accord/sign/cbor.h"

#define RECORD_VERSION 1

static int text_ok(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    return n > 0 && n <= max;
}

int ac_rcert_record_sign(const struct ac_rcert_record *r, const uint8_t *kid, size_t kid_len,
                         ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out)
{
    if (!text_ok(r->issuer, AC_RCERT_RECORD_NODE_MAX) ||
        !text_ok(r->home_node, AC_RCERT_RECORD_NODE_MAX) ||
        !text_ok(r->credential, AC_RCERT_RECORD_CRED_MAX) ||
        !text_ok(r->content_hash, AC_RCERT_RECORD_HASH_MAX) || r->home_user <= 0 ||
        r->version <= 0 || r->expires_ms <= r->issued_ms)
        return AC_EINVAL;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    /* The writer orders map keys deterministically whatever order they are
     * put in; they are put here in that order to read as the header says. */
    ac_cbor_put_map(&w, 8);
    ac_cbor_put_str(&w, "v");
    ac_cbor_put_uint(&w, RECORD_VERSION);
    ac_cbor_put_str(&w, "exp");
    ac_cbor_put_int(&w, r->expires_ms);
    ac_cbor_put_str(&w, "iat");
    ac_cbor_put_int(&w, r->issued_ms);
    ac_cbor_put_str(&w, "iss");
    ac_cbor_put_str(&w, r->issuer);
    ac_cbor_put_str(&w, "hash");
    ac_cbor_put_str(&w, r->content_hash);
    ac_cbor_put_str(&w, "version");
    ac_cbor_put_int(&w, r->version);
    ac_cbor_put_str(&w, "reviewer");
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "node");
    ac_cbor_put_str(&w, r->home_node);
    ac_cbor_put_str(&w, "user");
    ac_cbor_put_int(&w, r->home_user);
    ac_cbor_put_str(&w, "credential");
    ac_cbor_put_str(&w, r->credential);
    return ac_cose_sign1_writer(&w, kid, kid_len, AC_RCERT_RECORD_CONTENT_TYPE, sign, sign_ctx,
                                out);
}

/* The protected header must name our content type: a credential record, an
 * envelope or a consortium file signed by the same key is refused here. */
static int check_content_type(const struct ac_cose_sign1 *m, char *why, size_t whylen)
{
    const char *s;
    size_t len;
    int rc = ac_cose_sign1_content_type(m, &s, &len);
    if (rc == AC_ENOENT)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "protected header: content type (3) is missing; a reviewer certification's is "
            "\"%s\"",
            AC_RCERT_RECORD_CONTENT_TYPE);
    if (rc || len != strlen(AC_RCERT_RECORD_CONTENT_TYPE) ||
        memcmp(s, AC_RCERT_RECORD_CONTENT_TYPE, len) != 0)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "protected header: content type is not a reviewer certification's (\"%s\")",
            AC_RCERT_RECORD_CONTENT_TYPE);
    return 0;
}

static int get_text(struct ac_cbor_reader *r, const char *name, char *dst, size_t max, char *why,
                    size_t whylen)
{
    const char *s;
    size_t n;
    if (ac_cbor_get_text(r, &s, &n) || n == 0 || n > max || memchr(s, 0, n))
        return ac_refuse_rc(AC_EPARSE, why, whylen, "record %s: must be text of 1 to %zu bytes",
                            name, max);
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

static int get_positive(struct ac_cbor_reader *r, const char *name, int64_t *v, char *why,
                        size_t whylen)
{
    if (ac_cbor_get_int(r, v) || *v <= 0)
        return ac_refuse_rc(AC_EPARSE, why, whylen, "record %s: must be a positive integer", name);
    return 0;
}

static int key_is(const char *k, size_t n, const char *name)
{
    return n == strlen(name) && memcmp(k, name, n) == 0;
}

static int decode_reviewer(struct ac_cbor_reader *r, struct ac_rcert_record *out, char *why,
                           size_t whylen)
{
    uint64_t n;
    const char *k;
    size_t kn;
    if (ac_cbor_get_map(r, &n) || n != 2 || ac_cbor_get_text(r, &k, &kn) ||
        !key_is(k, kn, "node") ||
        get_text(r, "reviewer.node", out->home_node, AC_RCERT_RECORD_NODE_MAX, why, whylen) ||
        ac_cbor_get_text(r, &k, &kn) || !key_is(k, kn, "user") ||
        get_positive(r, "reviewer.user", &out->home_user, why, whylen))
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "record reviewer: must be {node: text, user: positive integer}");
    return 0;
}

/* Decodes the payload: exactly the eight keys, in deterministic order. */
static int decode_payload(const uint8_t *p, size_t len, struct ac_rcert_record *out, char *why,
                          size_t whylen)
{
    struct ac_cbor_reader r;
    uint64_t n, v;
    if (ac_cbor_reader_init(&r, p, len))
        return ac_refuse_rc(AC_EPARSE, why, whylen, "record payload: %s", r.why);
    static const char *const keys[] = {"v",    "exp",     "iat",      "iss",
                                       "hash", "version", "reviewer", "credential"};
    if (ac_cbor_get_map(&r, &n) || n != 8)
        return ac_refuse_rc(
            AC_EPARSE, why, whylen,
            "record payload: must be a map of exactly v, exp, iat, iss, hash, version, "
            "reviewer, credential");
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < 8; i++) {
        const char *k;
        size_t kn;
        if (ac_cbor_get_text(&r, &k, &kn) || !key_is(k, kn, keys[i]))
            return ac_refuse_rc(AC_EPARSE, why, whylen, "record payload: key %zu must be \"%s\"", i,
                                keys[i]);
        int rc = 0;
        switch (i) {
        case 0:
            if (ac_cbor_get_uint(&r, &v) || v != RECORD_VERSION)
                rc = ac_refuse_rc(AC_EPARSE, why, whylen, "record v: must be %d", RECORD_VERSION);
            break;
        case 1:
            rc = get_positive(&r, "exp", &out->expires_ms, why, whylen);
            break;
        case 2:
            rc = get_positive(&r, "iat", &out->issued_ms, why, whylen);
            break;
        case 3:
            rc = get_text(&r, "iss", out->issuer, AC_RCERT_RECORD_NODE_MAX, why, whylen);
            break;
        case 4:
            rc = get_text(&r, "hash", out->content_hash, AC_RCERT_RECORD_HASH_MAX, why, whylen);
            break;
        case 5:
            rc = get_positive(&r, "version", &out->version, why, whylen);
            break;
        case 6:
            rc = decode_reviewer(&r, out, why, whylen);
            break;
        default:
            rc = get_text(&r, "credential", out->credential, AC_RCERT_RECORD_CRED_MAX, why, whylen);
        }
        if (rc)
            return rc;
    }
    if (out->expires_ms <= out->issued_ms)
        return ac_refuse_rc(AC_EPARSE, why, whylen, "record exp: must be after iat");
    return 0;
}

int ac_rcert_record_verify(const uint8_t *data, size_t len, const struct ac_rcert_key *keys,
                           size_t nkeys, struct ac_rcert_record *out, char *why, size_t whylen)
{
    struct ac_cose_sign1 m;
    int rc = ac_cose_sign1_parse(data, len, &m, why, whylen);
    if (rc)
        return rc;
    /* Nothing unprotected is signed: the record is exactly what was signed. */
    if (m.unprotected_count != 0)
        return ac_refuse_rc(AC_EPARSE, why, whylen, "unprotected header: must be empty");
    if (!m.kid || !m.kid_protected || m.kid_len != sizeof keys[0].kid)
        return ac_refuse_rc(AC_EPARSE, why, whylen,
                            "protected header: kid (4) of 8 bytes is missing");
    if ((rc = check_content_type(&m, why, whylen)))
        return rc;
    const struct ac_rcert_key *key = NULL;
    for (size_t i = 0; i < nkeys && !key; i++)
        if (memcmp(keys[i].kid, m.kid, sizeof keys[i].kid) == 0)
            key = &keys[i];
    char kid_hex[17];
    sodium_bin2hex(kid_hex, sizeof kid_hex, m.kid, m.kid_len);
    if (!key)
        return ac_refuse_rc(AC_ECRYPTO, why, whylen, "kid %s is not a key of the issuer", kid_hex);
    if ((rc = ac_cose_sign1_verify(&m, key->public_key)))
        return rc == AC_ECRYPTO ? ac_refuse_rc(rc, why, whylen,
                                               "the signature does not verify with key %s", kid_hex)
                                : rc;
    struct ac_rcert_record r;
    if ((rc = decode_payload(m.payload, m.payload_len, &r, why, whylen)))
        return rc;
    if (r.issued_ms < key->not_before_ms || (key->not_after_ms && r.issued_ms >= key->not_after_ms))
        return ac_refuse_rc(AC_ECRYPTO, why, whylen,
                            "key %s was not valid when the record was issued", kid_hex);
    *out = r;
    return 0;
}
