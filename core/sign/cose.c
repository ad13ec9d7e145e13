/* cose.c - COSE_Sign1 with Ed25519: signing, strict parsing, verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/sign/cbor.h"
#include "accord/sign/cose.h"
#include "accord/base/error.h"
#include "accord/base/refuse.h"

int ac_cose_sign_with_secret_key(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    if (crypto_sign_detached(sig, NULL, msg, len, ctx) != 0)
        return AC_ECRYPTO;
    return 0;
}

/* Appends a byte-string head and its contents. */
static int append_bstr(struct ac_buf *b, const uint8_t *p, size_t len)
{
    uint8_t h[9];
    size_t n = ac_cbor_encode_head(h, AC_CBOR_BYTES, len);
    if (ac_buf_append(b, h, n) || (len && ac_buf_append(b, p, len)))
        return AC_ENOMEM;
    return 0;
}

/* The Sig_structure of RFC 9052 §4.4 for COSE_Sign1 with empty external_aad:
 * ["Signature1", body_protected, h'', payload]. */
static int build_tbs(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                     size_t payload_len, struct ac_buf *out)
{
    static const uint8_t head[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};
    if (ac_buf_reserve(out, sizeof(head) + prot_len + payload_len + 20))
        return AC_ENOMEM;
    if (ac_buf_append(out, head, sizeof(head)) || append_bstr(out, prot, prot_len) ||
        append_bstr(out, NULL, 0) || append_bstr(out, payload, payload_len))
        return AC_ENOMEM;
    return 0;
}

int ac_cose_sig_structure(const struct ac_cose_sign1 *msg, struct ac_buf *out)
{
    size_t before = out->len;
    int rc = build_tbs(msg->protected_hdr, msg->protected_len, msg->payload, msg->payload_len, out);
    if (rc)
        out->len = before;
    return rc;
}

int ac_cose_sign1(const uint8_t *payload, size_t payload_len, const uint8_t *kid, size_t kid_len,
                  ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out)
{
    return ac_cose_sign1_typed(payload, payload_len, kid, kid_len, NULL, sign, sign_ctx, out);
}

int ac_cose_sign1_writer(struct ac_cbor_writer *w, const uint8_t *kid, size_t kid_len,
                         const char *content_type, ac_cose_sign_cb sign, void *sign_ctx,
                         struct ac_buf *out)
{
    struct ac_buf payload = AC_BUF_INIT;
    int rc = ac_cbor_writer_finish(w, &payload);
    ac_cbor_writer_release(w);
    if (!rc)
        rc = ac_cose_sign1_typed(payload.data, payload.len, kid, kid_len, content_type, sign,
                                 sign_ctx, out);
    ac_buf_release(&payload);
    return rc;
}

int ac_cose_sign1_typed(const uint8_t *payload, size_t payload_len, const uint8_t *kid,
                        size_t kid_len, const char *content_type, ac_cose_sign_cb sign,
                        void *sign_ctx, struct ac_buf *out)
{
    if (kid_len == 0 || kid_len > AC_COSE_KID_MAX)
        return AC_EINVAL;
    size_t ctlen = content_type ? strlen(content_type) : 0;
    if (content_type && (ctlen == 0 || ctlen > AC_COSE_CONTENT_TYPE_MAX))
        return AC_EINVAL;
    /* Protected header {1: -8, 3: content type, 4: kid}: labels already in
     * deterministic (bytewise) order. */
    uint8_t prot[4 + 9 + AC_COSE_CONTENT_TYPE_MAX + 9 + AC_COSE_KID_MAX];
    size_t plen = 0;
    prot[plen++] = content_type ? 0xa3 : 0xa2;
    prot[plen++] = 0x01;
    prot[plen++] = 0x27; /* -8 */
    if (content_type) {
        prot[plen++] = AC_COSE_HDR_CONTENT_TYPE;
        plen += ac_cbor_encode_head(prot + plen, AC_CBOR_TEXT, ctlen);
        memcpy(prot + plen, content_type, ctlen);
        plen += ctlen;
    }
    prot[plen++] = 0x04;
    plen += ac_cbor_encode_head(prot + plen, AC_CBOR_BYTES, kid_len);
    memcpy(prot + plen, kid, kid_len);
    plen += kid_len;

    struct ac_buf tbs = AC_BUF_INIT;
    int rc = build_tbs(prot, plen, payload, payload_len, &tbs);
    uint8_t sig[64];
    if (rc == 0)
        rc = sign(sign_ctx, tbs.data, tbs.len, sig);
    ac_buf_release(&tbs);
    if (rc)
        return rc;

    size_t before = out->len;
    static const uint8_t start[] = {0xd2, 0x84}; /* tag 18, array of 4 */
    static const uint8_t empty_map = 0xa0;
    if (ac_buf_append(out, start, sizeof(start)) || append_bstr(out, prot, plen) ||
        ac_buf_append(out, &empty_map, 1) || append_bstr(out, payload, payload_len) ||
        append_bstr(out, sig, sizeof(sig))) {
        out->len = before;
        return AC_ENOMEM;
    }
    return 0;
}

/* Reads a header label (int or text); formats it into |name| for messages. */
static int read_label(struct ac_cbor_reader *r, int64_t *num, int *is_text, char *name,
                      size_t namelen)
{
    if (ac_cbor_peek(r) == AC_CBOR_TEXT) {
        const char *s;
        size_t n;
        ac_cbor_get_text(r, &s, &n);
        snprintf(name, namelen, "\"%.*s\"", (int)(n > 32 ? 32 : n), s);
        *is_text = 1;
        *num = 0;
        return 0;
    }
    if (ac_cbor_get_int(r, num))
        return AC_EPARSE;
    snprintf(name, namelen, "%lld", (long long)*num);
    *is_text = 0;
    return 0;
}

struct headers {
    int has_alg, has_kid, has_crit;
    int64_t alg;
    const uint8_t *kid;
    size_t kid_len;
    int64_t labels[16]; /* integer labels seen, to refuse one in both buckets */
    size_t nlabels;
    uint64_t count; /* entries in the map, whatever their labels */
};

/* Reads one header map (protected or unprotected) from |r|. */
static int read_headers(struct ac_cbor_reader *r, const char *where, struct headers *h, char *why,
                        size_t whylen)
{
    uint64_t n;
    if (ac_cbor_get_map(r, &n))
        return ac_refuse(why, whylen, "%s header: %s", where, r->why);
    h->count = n;
    for (uint64_t i = 0; i < n; i++) {
        int64_t label;
        int is_text;
        char name[48];
        if (read_label(r, &label, &is_text, name, sizeof(name)))
            return ac_refuse(why, whylen, "%s header: labels must be integers or text", where);
        if (!is_text && h->nlabels < sizeof(h->labels) / sizeof(h->labels[0]))
            h->labels[h->nlabels++] = label;
        if (is_text) {
            ac_cbor_skip(r, NULL, NULL);
        } else if (label == AC_COSE_HDR_ALG) {
            if (ac_cbor_get_int(r, &h->alg))
                return ac_refuse(why, whylen, "%s header: alg must be an integer", where);
            h->has_alg = 1;
        } else if (label == AC_COSE_HDR_CRIT) {
            /* RFC 9052 §3.1: a recipient must refuse a message whose crit lists
             * a label it does not understand. We act on no header beyond alg
             * and kid, whose meaning crit cannot change, so any listed label
             * is one we do not understand. */
            uint64_t m;
            if (ac_cbor_get_array(r, &m) || m == 0)
                return ac_refuse(why, whylen, "%s header: crit must be a non-empty array", where);
            int64_t first;
            int first_text;
            char first_name[48];
            if (read_label(r, &first, &first_text, first_name, sizeof(first_name)))
                return ac_refuse(why, whylen, "%s header: crit labels must be integers or text",
                                 where);
            return ac_refuse(why, whylen, "%s header: unknown critical header label %s", where,
                             first_name);
        } else if (label == AC_COSE_HDR_KID) {
            if (ac_cbor_get_bytes(r, &h->kid, &h->kid_len))
                return ac_refuse(why, whylen, "%s header: kid must be a byte string", where);
            if (h->kid_len == 0 || h->kid_len > AC_COSE_KID_MAX)
                return ac_refuse(why, whylen, "%s header: kid of %zu bytes; must be 1 to %d", where,
                                 h->kid_len, AC_COSE_KID_MAX);
            h->has_kid = 1;
        } else {
            ac_cbor_skip(r, NULL, NULL);
        }
    }
    return 0;
}

static int parse(const uint8_t *data, size_t len, struct ac_cose_sign1 *out, int strict, char *why,
                 size_t whylen)
{
    struct ac_cbor_reader r;
    if (ac_cbor_reader_init(&r, data, len))
        return ac_refuse(why, whylen, "COSE_Sign1: %s", r.why);
    uint64_t tag, n;
    if (ac_cbor_get_tag(&r, &tag) || tag != AC_COSE_TAG_SIGN1)
        return ac_refuse(why, whylen, "COSE_Sign1: must start with tag 18");
    if (ac_cbor_get_array(&r, &n) || n != 4)
        return ac_refuse(why, whylen, "COSE_Sign1: must be an array of 4 items");

    struct ac_cose_sign1 m;
    memset(&m, 0, sizeof(m));
    if (ac_cbor_get_bytes(&r, &m.protected_hdr, &m.protected_len))
        return ac_refuse(why, whylen, "COSE_Sign1: protected header must be a byte string");
    if (m.protected_len == 0)
        return ac_refuse(why, whylen, "protected header: empty; alg must be protected");
    struct headers prot, unprot;
    memset(&prot, 0, sizeof(prot));
    memset(&unprot, 0, sizeof(unprot));
    struct ac_cbor_reader pr;
    if (ac_cbor_reader_init(&pr, m.protected_hdr, m.protected_len))
        return ac_refuse(why, whylen, "protected header: %s", pr.why);
    int rc = read_headers(&pr, "protected", &prot, why, whylen);
    if (rc)
        return rc;
    if ((rc = read_headers(&r, "unprotected", &unprot, why, whylen)))
        return rc;
    if (unprot.has_alg)
        return ac_refuse(why, whylen, "unprotected header: alg must be in the protected header");
    for (size_t i = 0; i < unprot.nlabels; i++)
        for (size_t k = 0; k < prot.nlabels; k++)
            if (unprot.labels[i] == prot.labels[k])
                return ac_refuse(why, whylen,
                                 "header label %lld appears in both protected and unprotected",
                                 (long long)prot.labels[k]);
    if (!prot.has_alg)
        return ac_refuse(why, whylen, "protected header: alg is missing");
    if (strict && prot.alg != AC_COSE_ALG_EDDSA && prot.alg != AC_COSE_ALG_ED25519)
        return ac_refuse(why, whylen,
                         "protected header: alg %lld is not supported; must be -8 (EdDSA) or "
                         "-19 (Ed25519)",
                         (long long)prot.alg);
    if (ac_cbor_peek(&r) == AC_CBOR_SIMPLE)
        return ac_refuse(why, whylen, "COSE_Sign1: detached payloads are not supported");
    if (ac_cbor_get_bytes(&r, &m.payload, &m.payload_len))
        return ac_refuse(why, whylen, "COSE_Sign1: payload must be a byte string");
    if (ac_cbor_get_bytes(&r, &m.signature, &m.signature_len))
        return ac_refuse(why, whylen, "COSE_Sign1: signature must be a byte string");
    if (strict && m.signature_len != 64)
        return ac_refuse(why, whylen, "COSE_Sign1: signature of %zu bytes; Ed25519 needs 64",
                         m.signature_len);
    m.alg = prot.alg;
    m.unprotected_count = unprot.count;
    if (prot.has_kid) {
        m.kid = prot.kid;
        m.kid_len = prot.kid_len;
        m.kid_protected = 1;
    } else if (unprot.has_kid) {
        m.kid = unprot.kid;
        m.kid_len = unprot.kid_len;
    }
    *out = m;
    return 0;
}

int ac_cose_sign1_parse(const uint8_t *data, size_t len, struct ac_cose_sign1 *out, char *why,
                        size_t whylen)
{
    return parse(data, len, out, 1, why, whylen);
}

int ac_cose_sign1_parse_any_alg(const uint8_t *data, size_t len, struct ac_cose_sign1 *out,
                                char *why, size_t whylen)
{
    return parse(data, len, out, 0, why, whylen);
}

int ac_cose_sign1_content_type(const struct ac_cose_sign1 *msg, const char **type, size_t *len)
{
    struct ac_cbor_reader r;
    uint64_t n;
    if (ac_cbor_reader_init(&r, msg->protected_hdr, msg->protected_len) || ac_cbor_get_map(&r, &n))
        return AC_EPARSE;
    for (uint64_t i = 0; i < n; i++) {
        int64_t label = 0;
        if (ac_cbor_peek(&r) == AC_CBOR_TEXT)
            ac_cbor_skip(&r, NULL, NULL);
        else if (ac_cbor_get_int(&r, &label))
            return AC_EPARSE;
        if (label == AC_COSE_HDR_CONTENT_TYPE)
            return ac_cbor_get_text(&r, type, len) ? AC_EPARSE : 0;
        ac_cbor_skip(&r, NULL, NULL);
    }
    return AC_ENOENT;
}

int ac_cose_sign1_verify(const struct ac_cose_sign1 *msg, const uint8_t public_key[32])
{
    if ((msg->alg != AC_COSE_ALG_EDDSA && msg->alg != AC_COSE_ALG_ED25519) ||
        msg->signature_len != crypto_sign_BYTES)
        return AC_ECRYPTO;
    /* Records are QR-sized, so the Sig_structure nearly always fits on the
     * stack; a larger payload takes the heap. */
    uint8_t stack[2048];
    struct ac_buf tbs = AC_BUF_INIT;
    const uint8_t *p;
    size_t n;
    size_t need = 12 + 9 + msg->protected_len + 1 + 9 + msg->payload_len;
    if (need <= sizeof(stack)) {
        size_t off = 0;
        static const uint8_t head[] = {0x84, 0x6a, 'S', 'i', 'g', 'n',
                                       'a',  't',  'u', 'r', 'e', '1'};
        memcpy(stack, head, sizeof(head));
        off += sizeof(head);
        off += ac_cbor_encode_head(stack + off, AC_CBOR_BYTES, msg->protected_len);
        memcpy(stack + off, msg->protected_hdr, msg->protected_len);
        off += msg->protected_len;
        stack[off++] = 0x40;
        off += ac_cbor_encode_head(stack + off, AC_CBOR_BYTES, msg->payload_len);
        if (msg->payload_len)
            memcpy(stack + off, msg->payload, msg->payload_len);
        off += msg->payload_len;
        p = stack;
        n = off;
    } else {
        if (ac_cose_sig_structure(msg, &tbs))
            return AC_ENOMEM;
        p = tbs.data;
        n = tbs.len;
    }
    int ok = crypto_sign_verify_detached(msg->signature, p, n, public_key) == 0;
    ac_buf_release(&tbs);
    return ok ? 0 : AC_ECRYPTO;
}
