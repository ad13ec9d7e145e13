/* keyhistory.c - key hand-overs: signed by the outgoing key at rotation,
 * parsed strictly, verified (the format is in keyhistory.h). */
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/refuse.h"
#include "accord/records/keyhistory.h"
#include "accord/sign/cbor.h"

int ac_key_handover_sign(const struct ac_key_handover *h, ac_cose_sign_cb sign, void *ctx,
                         struct ac_buf *out)
{
    size_t iss_len = strnlen(h->iss, sizeof h->iss);
    if (iss_len == 0 || iss_len > AC_KEY_HANDOVER_ISS_MAX || h->at_ms < 0)
        return AC_EINVAL;
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 5);
    ac_cbor_put_str(&w, "iss");
    ac_cbor_put_text(&w, h->iss, iss_len);
    ac_cbor_put_str(&w, "at");
    ac_cbor_put_uint(&w, (uint64_t)h->at_ms);
    ac_cbor_put_str(&w, "next");
    ac_cbor_put_bytes(&w, h->next, AC_KEY_PUBLIC_BYTES);
    ac_cbor_put_str(&w, "size");
    ac_cbor_put_uint(&w, h->size);
    ac_cbor_put_str(&w, "root");
    ac_cbor_put_bytes(&w, h->root, AC_MERKLE_HASH_BYTES);
    return ac_cose_sign1_writer(&w, h->kid, AC_KEY_ID_BYTES, AC_KEY_HANDOVER_TYPE, sign, ctx,
                                out);
}

static int expect_key(struct ac_cbor_reader *r, const char *name, char *why, size_t why_len)
{
    const char *k;
    size_t len;
    if (ac_cbor_get_text(r, &k, &len) || len != strlen(name) || memcmp(k, name, len) != 0)
        return ac_refuse(why, why_len, "key hand-over: expected the claim \"%s\"", name);
    return 0;
}

/* The protected header must be exactly {1: -8, 3: AC_KEY_HANDOVER_TYPE,
 * 4: kid}: a document of another type, signed by the same key, is not a
 * hand-over whatever its payload looks like. */
static int check_header(const struct ac_cose_sign1 *m, char *why, size_t why_len)
{
    struct ac_cbor_reader r;
    uint64_t n, label;
    int64_t alg;
    const char *ct;
    size_t ct_len;
    if (ac_cbor_reader_init(&r, m->protected_hdr, m->protected_len) || ac_cbor_get_map(&r, &n) ||
        n != 3 || ac_cbor_get_uint(&r, &label) || label != 1 || ac_cbor_get_int(&r, &alg) ||
        alg != AC_COSE_ALG_EDDSA || ac_cbor_get_uint(&r, &label) || label != 3 ||
        ac_cbor_get_text(&r, &ct, &ct_len) || ct_len != strlen(AC_KEY_HANDOVER_TYPE) ||
        memcmp(ct, AC_KEY_HANDOVER_TYPE, ct_len) != 0)
        return ac_refuse(why, why_len,
                         "key hand-over: the protected header must be {1: -8, 3: \"%s\", 4: kid}",
                         AC_KEY_HANDOVER_TYPE);
    if (!m->kid_protected || m->kid_len != AC_KEY_ID_BYTES || m->unprotected_count != 0)
        return ac_refuse(
            why, why_len,
            "key hand-over: the kid must be protected and %d bytes, nothing unprotected",
            AC_KEY_ID_BYTES);
    return 0;
}

int ac_key_handover_parse(const uint8_t *data, size_t len, struct ac_key_handover *out, char *why,
                          size_t why_len)
{
    struct ac_key_handover h;
    memset(&h, 0, sizeof h);
    char cwhy[AC_COSE_WHY_LEN];
    if (ac_cose_sign1_parse(data, len, &h.msg, cwhy, sizeof cwhy))
        return ac_refuse(why, why_len, "key hand-over: %s", cwhy);
    int rc = check_header(&h.msg, why, why_len);
    if (rc)
        return rc;
    memcpy(h.kid, h.msg.kid, AC_KEY_ID_BYTES);
    struct ac_cbor_reader r;
    uint64_t n, at;
    const char *iss;
    size_t iss_len, blen;
    const uint8_t *b;
    if (ac_cbor_reader_init(&r, h.msg.payload, h.msg.payload_len) || ac_cbor_get_map(&r, &n) ||
        n != 5)
        return ac_refuse(why, why_len,
                         "key hand-over: the payload must be a map of at, iss, next, "
                         "root and size");
    if (expect_key(&r, "at", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_uint(&r, &at) || at > INT64_MAX)
        return ac_refuse(why, why_len, "key hand-over: at must be ms since the epoch");
    if (expect_key(&r, "iss", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_text(&r, &iss, &iss_len) || iss_len == 0 || iss_len > AC_KEY_HANDOVER_ISS_MAX)
        return ac_refuse(why, why_len, "key hand-over: iss must be text of 1 to %d bytes",
                         AC_KEY_HANDOVER_ISS_MAX);
    if (expect_key(&r, "next", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_bytes(&r, &b, &blen) || blen != AC_KEY_PUBLIC_BYTES)
        return ac_refuse(why, why_len, "key hand-over: next must be a 32-byte Ed25519 key");
    memcpy(h.next, b, AC_KEY_PUBLIC_BYTES);
    if (expect_key(&r, "root", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_bytes(&r, &b, &blen) || blen != AC_MERKLE_HASH_BYTES)
        return ac_refuse(why, why_len, "key hand-over: root must be a 32-byte hash");
    memcpy(h.root, b, AC_MERKLE_HASH_BYTES);
    if (expect_key(&r, "size", why, why_len))
        return AC_EPARSE;
    if (ac_cbor_get_uint(&r, &h.size))
        return ac_refuse(why, why_len, "key hand-over: size must be an unsigned integer");
    memcpy(h.iss, iss, iss_len);
    h.iss[iss_len] = '\0';
    if (memchr(h.iss, '\0', iss_len))
        return ac_refuse(why, why_len, "key hand-over: iss holds a NUL character");
    h.at_ms = (int64_t)at;
    ac_key_id(h.next, h.next_kid);
    *out = h;
    return 0;
}

int ac_key_handover_verify(const struct ac_key_handover *h,
                           const uint8_t public_key[AC_KEY_PUBLIC_BYTES])
{
    return ac_cose_sign1_verify(&h->msg, public_key);
}
