/* status_token.c - the IETF Token Status List token in CWT form: an untagged
 * COSE_Sign1 over the status_list claim, signed and verified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/sign/cbor.h"
#include "accord/sign/cose.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/records/status.h"

/* CWT claim keys: RFC 8392 §4 and draft-ietf-oauth-status-list §5.2. */
#define CWT_SUB 2
#define CWT_EXP 4
#define CWT_IAT 6
#define CWT_STATUS_LIST 65533
#define CWT_TTL 65534
#define COSE_HDR_TYP 16 /* RFC 9596 */

static int write_protected(const uint8_t *kid, size_t kid_len, struct ac_buf *out)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 3);
    ac_cbor_put_uint(&w, AC_COSE_HDR_ALG);
    ac_cbor_put_int(&w, AC_COSE_ALG_EDDSA);
    ac_cbor_put_uint(&w, AC_COSE_HDR_KID);
    ac_cbor_put_bytes(&w, kid, kid_len);
    ac_cbor_put_uint(&w, COSE_HDR_TYP);
    ac_cbor_put_str(&w, AC_STATUS_TOKEN_TYP);
    int rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    return rc;
}

static int write_claims(const struct ac_status_list *l, const struct ac_status_token_claims *c,
                        struct ac_buf *out)
{
    struct ac_buf lst = AC_BUF_INIT;
    int rc = ac_status_list_compress(l, &lst);
    if (rc)
        return rc;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 3 + (c->exp != 0) + (c->ttl != 0));
    ac_cbor_put_uint(&w, CWT_SUB);
    ac_cbor_put_str(&w, c->sub);
    ac_cbor_put_uint(&w, CWT_IAT);
    ac_cbor_put_uint(&w, (uint64_t)c->iat);
    if (c->exp) {
        ac_cbor_put_uint(&w, CWT_EXP);
        ac_cbor_put_uint(&w, (uint64_t)c->exp);
    }
    if (c->ttl) {
        ac_cbor_put_uint(&w, CWT_TTL);
        ac_cbor_put_uint(&w, c->ttl);
    }
    ac_cbor_put_uint(&w, CWT_STATUS_LIST);
    ac_cbor_put_map(&w, 2);
    ac_cbor_put_str(&w, "bits");
    ac_cbor_put_uint(&w, 2);
    ac_cbor_put_str(&w, "lst");
    ac_cbor_put_bytes(&w, lst.data, lst.len);
    rc = ac_cbor_writer_finish(&w, out);
    ac_cbor_writer_release(&w);
    ac_buf_release(&lst);
    return rc;
}

int ac_status_token_sign(const struct ac_status_list *l,
                         const struct ac_status_token_claims *claims, const uint8_t *kid,
                         size_t kid_len, ac_status_sign_cb sign, void *ctx, struct ac_buf *out)
{
    if (!claims->sub || !claims->sub[0] || kid_len == 0 || kid_len > AC_STATUS_TOKEN_KID_MAX ||
        claims->iat < 0 || claims->exp < 0)
        return AC_EINVAL;
    struct ac_buf prot = AC_BUF_INIT, payload = AC_BUF_INIT, tbs = AC_BUF_INIT, msg = AC_BUF_INIT;
    int rc = write_protected(kid, kid_len, &prot);
    if (rc == 0)
        rc = write_claims(l, claims, &payload);
    if (rc == 0) {
        struct ac_cose_sign1 m;
        memset(&m, 0, sizeof m);
        m.protected_hdr = prot.data;
        m.protected_len = prot.len;
        m.payload = payload.data;
        m.payload_len = payload.len;
        rc = ac_cose_sig_structure(&m, &tbs);
    }
    uint8_t sig[64];
    if (rc == 0)
        rc = sign(ctx, tbs.data, tbs.len, sig);
    if (rc == 0) {
        /* Untagged: §5.2 says the Status List Token must not carry the
         * COSE_Sign1 or CWT tags. */
        struct ac_cbor_writer w;
        ac_cbor_writer_init(&w);
        ac_cbor_put_array(&w, 4);
        ac_cbor_put_bytes(&w, prot.data, prot.len);
        ac_cbor_put_map(&w, 0);
        ac_cbor_put_bytes(&w, payload.data, payload.len);
        ac_cbor_put_bytes(&w, sig, sizeof sig);
        rc = ac_cbor_writer_finish(&w, &msg);
        ac_cbor_writer_release(&w);
    }
    if (rc == 0)
        rc = ac_buf_append(out, msg.data, msg.len);
    ac_buf_release(&prot);
    ac_buf_release(&payload);
    ac_buf_release(&tbs);
    ac_buf_release(&msg);
    return rc;
}

/* Parses the untagged token through the strict COSE_Sign1 parser, which wants
 * tag 18: a copy gets the one-byte tag head 0xd2 in front. A token that was
 * tagged becomes a tag inside a tag and is refused. |*copy| is the caller's
 * to free; |m| points into it. */
static int parse_untagged(const uint8_t *token, size_t len, uint8_t **copy, struct ac_cose_sign1 *m,
                          char *why, size_t why_len)
{
    if (len == 0 || len > SIZE_MAX - 1)
        return ac_refuse(why, why_len, "status token: empty");
    uint8_t *c = malloc(len + 1);
    if (!c)
        return AC_ENOMEM;
    c[0] = 0xc0 | AC_COSE_TAG_SIGN1;
    memcpy(c + 1, token, len);
    char cwhy[AC_COSE_WHY_LEN];
    if (ac_cose_sign1_parse(c, len + 1, m, cwhy, sizeof cwhy) != 0) {
        free(c);
        return ac_refuse(why, why_len, "status token: %s", cwhy);
    }
    /* Nothing in the unprotected header is signed, so a token carrying any
     * entry there is not byte-for-byte what its issuer signed. */
    if (m->unprotected_count != 0) {
        free(c);
        return ac_refuse(why, why_len,
                         "status token: unprotected header has %llu entries; it "
                         "must be empty (a0)",
                         (unsigned long long)m->unprotected_count);
    }
    *copy = c;
    return 0;
}

int ac_status_token_kid(const uint8_t *token, size_t len, uint8_t kid[AC_STATUS_TOKEN_KID_MAX],
                        size_t *kid_len)
{
    uint8_t *copy;
    struct ac_cose_sign1 m;
    int rc = parse_untagged(token, len, &copy, &m, NULL, 0);
    if (rc)
        return rc;
    if (!m.kid || !m.kid_protected || m.kid_len > AC_STATUS_TOKEN_KID_MAX) {
        free(copy);
        return AC_EPARSE;
    }
    memcpy(kid, m.kid, m.kid_len);
    *kid_len = m.kid_len;
    free(copy);
    return 0;
}

static int check_typ(const struct ac_cose_sign1 *m, char *why, size_t why_len)
{
    struct ac_cbor_reader r;
    uint64_t n;
    if (ac_cbor_reader_init(&r, m->protected_hdr, m->protected_len) || ac_cbor_get_map(&r, &n))
        return ac_refuse(why, why_len, "status token: protected header is not a map");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t label;
        if (ac_cbor_peek(&r) != AC_CBOR_UINT) {
            ac_cbor_skip(&r, NULL, NULL); /* a negative or text label */
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        ac_cbor_get_uint(&r, &label);
        if (label != COSE_HDR_TYP) {
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        const char *s;
        size_t len;
        if (ac_cbor_get_text(&r, &s, &len) == 0 && len == strlen(AC_STATUS_TOKEN_TYP) &&
            memcmp(s, AC_STATUS_TOKEN_TYP, len) == 0)
            return 0;
        return ac_refuse(why, why_len, "status token: typ (16) is not \"%s\"", AC_STATUS_TOKEN_TYP);
    }
    return ac_refuse(why, why_len, "status token: typ (16) is missing from the protected header");
}

static int read_status_list(struct ac_cbor_reader *r, struct ac_status_token *t, char *why,
                            size_t why_len)
{
    uint64_t n, bits = 0;
    const uint8_t *lst = NULL;
    size_t lst_len = 0;
    if (ac_cbor_get_map(r, &n))
        return ac_refuse(why, why_len, "status token: status_list (65533) must be a map");
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t klen;
        if (ac_cbor_get_text(r, &k, &klen))
            return ac_refuse(why, why_len, "status token: status_list keys must be text");
        if (klen == 4 && memcmp(k, "bits", 4) == 0) {
            if (ac_cbor_get_uint(r, &bits) || (bits != 1 && bits != 2 && bits != 4 && bits != 8))
                return ac_refuse(why, why_len, "status token: bits must be 1, 2, 4 or 8");
        } else if (klen == 3 && memcmp(k, "lst", 3) == 0) {
            if (ac_cbor_get_bytes(r, &lst, &lst_len))
                return ac_refuse(why, why_len, "status token: lst must be a byte string");
        } else {
            ac_cbor_skip(r, NULL, NULL); /* aggregation_uri and future members */
        }
    }
    if (!bits || !lst)
        return ac_refuse(why, why_len, "status token: status_list needs bits and lst");
    t->bits = (unsigned)bits;
    size_t max = (size_t)AC_STATUS_MAX_ENTRIES * bits / 8;
    int rc = ac_status_inflate_zlib(lst, lst_len, max, &t->list);
    if (rc == AC_EPARSE)
        return ac_refuse(why, why_len, "status token: lst is not a ZLIB stream");
    if (rc == AC_E2BIG && why)
        snprintf(why, why_len, "status token: lst holds more than %u entries",
                 AC_STATUS_MAX_ENTRIES);
    return rc;
}

static int read_claims(const uint8_t *p, size_t len, struct ac_status_token *t, char *why,
                       size_t why_len)
{
    struct ac_cbor_reader r;
    uint64_t n;
    if (ac_cbor_reader_init(&r, p, len))
        return ac_refuse(why, why_len, "status token: payload: %s", r.why);
    if (ac_cbor_get_map(&r, &n))
        return ac_refuse(why, why_len, "status token: payload must be a CWT claims map");
    int have_iat = 0, have_list = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key;
        if (ac_cbor_peek(&r) != AC_CBOR_UINT) {
            ac_cbor_skip(&r, NULL, NULL); /* other claims may be present */
            ac_cbor_skip(&r, NULL, NULL);
            continue;
        }
        ac_cbor_get_uint(&r, &key);
        uint64_t v;
        int rc = 0;
        switch (key) {
        case CWT_SUB: {
            const char *s;
            size_t slen;
            if (ac_cbor_get_text(&r, &s, &slen) || slen == 0)
                return ac_refuse(why, why_len, "status token: sub (2) must be non-empty text");
            if (!(t->sub = malloc(slen + 1)))
                return AC_ENOMEM;
            memcpy(t->sub, s, slen);
            t->sub[slen] = '\0';
            break;
        }
        case CWT_IAT:
        case CWT_EXP:
            /* Callers compare times in milliseconds: a value past
             * INT64_MAX / 1000 seconds would overflow there (and is
             * hundreds of millions of years away anyway). */
            if (ac_cbor_get_uint(&r, &v) || v > INT64_MAX / 1000)
                return ac_refuse(
                    why, why_len,
                    "status token: claim %llu must be a time in seconds from 0 to %lld",
                    (unsigned long long)key, (long long)(INT64_MAX / 1000));
            if (key == CWT_IAT) {
                t->iat = (int64_t)v;
                have_iat = 1;
            } else {
                t->exp = (int64_t)v;
            }
            break;
        case CWT_TTL:
            if (ac_cbor_get_uint(&r, &t->ttl) || t->ttl == 0)
                return ac_refuse(why, why_len,
                                 "status token: ttl (65534) must be a positive integer");
            break;
        case CWT_STATUS_LIST:
            if ((rc = read_status_list(&r, t, why, why_len)) != 0)
                return rc;
            have_list = 1;
            break;
        default:
            ac_cbor_skip(&r, NULL, NULL);
        }
    }
    if (!t->sub || !have_iat || !have_list)
        return ac_refuse(why, why_len,
                         "status token: sub (2), iat (6) and status_list (65533) are required");
    return 0;
}

int ac_status_token_open(const uint8_t *token, size_t len, const uint8_t public_key[32],
                         struct ac_status_token *out, char *why, size_t why_len)
{
    uint8_t *copy;
    struct ac_cose_sign1 m;
    int rc = parse_untagged(token, len, &copy, &m, why, why_len);
    if (rc)
        return rc;
    struct ac_status_token t;
    memset(&t, 0, sizeof t);
    if ((rc = check_typ(&m, why, why_len)) != 0)
        goto done;
    if (!m.kid || !m.kid_protected || m.kid_len > AC_STATUS_TOKEN_KID_MAX) {
        rc = ac_refuse(why, why_len, "status token: kid (4) must be in the protected header");
        goto done;
    }
    if (ac_cose_sign1_verify(&m, public_key) != 0) {
        if (why && why_len)
            snprintf(why, why_len, "status token: the signature does not verify with the key");
        rc = AC_ECRYPTO;
        goto done;
    }
    memcpy(t.kid, m.kid, m.kid_len);
    t.kid_len = m.kid_len;
    rc = read_claims(m.payload, m.payload_len, &t, why, why_len);
done:
    free(copy);
    if (rc) {
        ac_status_token_release(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int ac_status_token_get(const struct ac_status_token *t, uint64_t index, unsigned *out)
{
    uint64_t per_byte = 8 / t->bits;
    if (index / per_byte >= t->list.len)
        return AC_EINVAL;
    unsigned shift = (unsigned)(index % per_byte) * t->bits;
    *out = (t->list.data[index / per_byte] >> shift) & ((1u << t->bits) - 1);
    return 0;
}

void ac_status_token_release(struct ac_status_token *t)
{
    if (!t)
        return;
    free(t->sub);
    ac_buf_release(&t->list);
    memset(t, 0, sizeof *t);
}
