/* cose.h - COSE_Sign1 (RFC 9052 §4.2) with Ed25519: signing into a tagged
 * (18) message whose protected header carries alg EdDSA (-8) and the key id,
 * and strict parsing and verification that also accepts the fully-specified
 * Ed25519 algorithm (-19, RFC 9864).
 *
 * Parsing never re-encodes: the signature is checked over the exact protected
 * header and payload bytes that arrived. Stateless and thread-safe; callers
 * must have called sodium_init() once before signing or verifying. */
#ifndef AC_COSE_H
#define AC_COSE_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"

#define AC_COSE_TAG_SIGN1 18
#define AC_COSE_ALG_EDDSA (-8)    /* RFC 9053 §2.2 */
#define AC_COSE_ALG_ED25519 (-19) /* RFC 9864 */
#define AC_COSE_HDR_ALG 1
#define AC_COSE_HDR_CRIT 2
#define AC_COSE_HDR_CONTENT_TYPE 3
#define AC_COSE_HDR_KID 4
#define AC_COSE_CONTENT_TYPE_MAX 64
#define AC_COSE_KID_MAX 64
#define AC_COSE_WHY_LEN 160

/* Signs |len| bytes of |msg| into |sig| with the key whose id the caller gave
 * to ac_cose_sign1(). Returns 0 or a negative AC_E* code (AC_ECRYPTO). A
 * keyring adapter is one line: return ac_keyring_sign(ctx, msg, len, sig). */
typedef int (*ac_cose_sign_cb)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* A sign callback for a raw libsodium Ed25519 secret key: |ctx| points to the
 * 64-byte crypto_sign secret key. Returns 0 or AC_ECRYPTO. */
int ac_cose_sign_with_secret_key(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Appends to |out| a tagged COSE_Sign1 over |payload| (borrowed): protected
 * header {1: -8, 4: kid}, empty unprotected header, attached payload, and a
 * signature made by |sign| over the RFC 9052 §4.4 Sig_structure with empty
 * external_aad. Returns 0, AC_EINVAL (kid_len 0 or above AC_COSE_KID_MAX),
 * AC_ENOMEM, or what |sign| returned; on failure |out| is unchanged. */
int ac_cose_sign1(const uint8_t *payload, size_t payload_len, const uint8_t *kid, size_t kid_len,
                  ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out);

/* As ac_cose_sign1(), with the text |content_type| (1 to
 * AC_COSE_CONTENT_TYPE_MAX bytes; NULL: none) also in the protected header
 * {1: -8, 3: content_type, 4: kid}, so a signature over one kind of document
 * can never be taken for another's (federation envelopes, consortium files).
 * Returns 0, AC_EINVAL, AC_ENOMEM or what |sign| returned. */
int ac_cose_sign1_typed(const uint8_t *payload, size_t payload_len, const uint8_t *kid,
                        size_t kid_len, const char *content_type, ac_cose_sign_cb sign,
                        void *sign_ctx, struct ac_buf *out);

/* As ac_cose_sign1_typed(), over the payload writer |w| holds: a signer
 * writes its payload and hands the writer over. |w| is finished and left
 * released whatever happens. Returns 0, the writer's error
 * (ac_cbor_writer_finish()), or as ac_cose_sign1_typed(). */
struct ac_cbor_writer;
int ac_cose_sign1_writer(struct ac_cbor_writer *w, const uint8_t *kid, size_t kid_len,
                         const char *content_type, ac_cose_sign_cb sign, void *sign_ctx,
                         struct ac_buf *out);

/* A parsed COSE_Sign1. Every pointer borrows the input, which must outlive it. */
struct ac_cose_sign1 {
    const uint8_t *protected_hdr; /* the protected header's bstr contents */
    size_t protected_len;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *signature;
    size_t signature_len;
    int64_t alg;        /* AC_COSE_ALG_EDDSA or AC_COSE_ALG_ED25519 */
    const uint8_t *kid; /* protected kid if present, else unprotected; NULL if none */
    size_t kid_len;
    int kid_protected; /* 1 when kid came from the protected header */
    /* Entries in the unprotected header. Nothing there is signed, so a
     * format whose messages must be byte-for-byte what was signed (records,
     * status tokens) refuses any. */
    uint64_t unprotected_count;
};

/* Parses |len| bytes at |data| as a tagged COSE_Sign1, strictly: deterministic
 * CBOR (see cbor.h), tag 18, a four-element array, a non-empty protected header
 * that is itself deterministic CBOR holding alg, an attached payload, no crit
 * header (every label it could list is unknown to us, so RFC 9052 §3.1
 * requires refusal), an alg of -8 or -19 only in the protected header, a kid of
 * at most AC_COSE_KID_MAX bytes, and a 64-byte signature. Fills |*out| on
 * success. Returns 0 or AC_EPARSE with the reason in |why| (if not NULL;
 * AC_COSE_WHY_LEN bytes suffice), e.g. "protected header: unknown critical
 * header label 99". */
int ac_cose_sign1_parse(const uint8_t *data, size_t len, struct ac_cose_sign1 *out, char *why,
                        size_t whylen);

/* Like ac_cose_sign1_parse() but refuses nothing about the signature's length
 * or algorithm, so a caller can inspect messages from other suites (used for
 * the COSE WG Ed448 example). Returns 0 or AC_EPARSE. */
int ac_cose_sign1_parse_any_alg(const uint8_t *data, size_t len, struct ac_cose_sign1 *out,
                                char *why, size_t whylen);

/* Finds the content type (label 3) in |msg|'s protected header, the one
 * ac_cose_sign1_typed() writes, so a reader can refuse a document of another
 * kind signed by the same key. Sets |*type| (borrowing the message, not
 * terminated) and |*len|. Returns 0, AC_ENOENT (no content type) or
 * AC_EPARSE (not text, or a protected header that is not a map). */
int ac_cose_sign1_content_type(const struct ac_cose_sign1 *msg, const char **type, size_t *len);

/* Appends to |out| the Sig_structure ["Signature1", protected, h'', payload]
 * of |msg| (RFC 9052 §4.4). Returns 0 or AC_ENOMEM. */
int ac_cose_sig_structure(const struct ac_cose_sign1 *msg, struct ac_buf *out);

/* Verifies |msg|'s Ed25519 signature with the 32-byte |public_key|.
 * Returns 0, AC_ECRYPTO (bad signature or algorithm) or AC_ENOMEM. */
int ac_cose_sign1_verify(const struct ac_cose_sign1 *msg, const uint8_t public_key[32]);

#endif
