/* envelope.h - federation envelopes: a tagged COSE_Sign1 by the sending node
 * over a deterministic-CBOR payload {v, type, id, from, to, ts, body}.
 *
 * The protected header is {1: -8, 3: AC_ENVELOPE_CONTENT_TYPE, 4: kid}: the
 * content type (3) is what keeps an envelope from ever being taken for a
 * record or a status token (whose protected headers carry no such type, or
 * another one), and this parser refuses any message without exactly this type.
 *
 * The receiving order is fixed by the API: ac_envelope_parse() checks the
 * COSE structure and headers only and gives the kid; the caller finds the key
 * and calls ac_envelope_verify() on the exact bytes that arrived; only then
 * does ac_envelope_decode() read the payload. Nothing is ever re-encoded.
 * Stateless and thread-safe; sodium_init() must have been called. */
#ifndef AC_ENVELOPE_H
#define AC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/sign/cose.h"

#define AC_ENVELOPE_VERSION 1
#define AC_ENVELOPE_CONTENT_TYPE "application/accord-envelope+cbor"
#define AC_ENVELOPE_HDR_CONTENT_TYPE 3 /* RFC 9052 §3.1 */
#define AC_ENVELOPE_TYPE_MAX 64
#define AC_ENVELOPE_ID_MAX 64
#define AC_ENVELOPE_NODE_MAX 64
#define AC_ENVELOPE_WHY_LEN 160
/* The `to` of a document for anyone (a node's self-description); a receiver
 * that requires `to` to be itself refuses it as a request. */
#define AC_ENVELOPE_TO_ANYONE "*"

/* One envelope's fields. Strings are NUL-terminated copies; |body| is one
 * encoded deterministic CBOR item and borrowed (from the caller when signing,
 * from the verified message when decoding). */
struct ac_envelope {
    char type[AC_ENVELOPE_TYPE_MAX + 1]; /* 1-64 of [a-z0-9._-], e.g. "catalog.offer" */
    char id[AC_ENVELOPE_ID_MAX + 1];     /* 1-64 of [A-Za-z0-9._:-], unique per sender */
    char from[AC_ENVELOPE_NODE_MAX + 1]; /* sender's node id, 1-64 of [a-z0-9.-] */
    char to[AC_ENVELOPE_NODE_MAX + 1];   /* receiver's node id, same rule, or "*" */
    int64_t ts_ms;                       /* sender's clock, ms since the epoch, >= 0 */
    const uint8_t *body;
    size_t body_len;
};

/* Checks |env|'s strings and body against the rules above. Returns 0 or
 * AC_EINVAL with the field and rule in |why| (if not NULL). */
int ac_envelope_check(const struct ac_envelope *env, char *why, size_t whylen);

/* Appends to |out| a tagged COSE_Sign1 over the deterministic encoding of
 * {v: 1, type, id, from, to, ts, body} with the protected header described
 * above, signed by |sign| (see cose.h) for the key |kid| (1 to AC_COSE_KID_MAX
 * bytes, derived from the key by the caller: ac_key_id()). Borrows |env|.
 * Returns 0, AC_EINVAL (a field breaks a rule, or the body is not one
 * deterministic CBOR item), AC_ENOMEM, or what |sign| returned; on failure
 * |out| is unchanged. */
int ac_envelope_sign(const struct ac_envelope *env, const uint8_t *kid, size_t kid_len,
                     ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out);

/* Parses |len| bytes at |data| as an envelope's COSE_Sign1 (strictly, as
 * ac_cose_sign1_parse()) and checks its headers: the content type is exactly
 * AC_ENVELOPE_CONTENT_TYPE in the protected header, the kid is protected, the
 * unprotected header is empty. Does not look at the payload. Fills |*out|,
 * which borrows |data|. Returns 0 or AC_EPARSE with the reason in |why|. */
int ac_envelope_parse(const uint8_t *data, size_t len, struct ac_cose_sign1 *out, char *why,
                      size_t whylen);

/* Verifies |msg|'s signature with |public_key| over the exact bytes parsed.
 * Returns 0, AC_ECRYPTO or AC_ENOMEM. */
int ac_envelope_verify(const struct ac_cose_sign1 *msg, const uint8_t public_key[32]);

/* Decodes the payload of |msg| (call only after ac_envelope_verify()) into
 * |*out|: a map of exactly the seven keys, v == 1, each field within its rule.
 * out->body borrows |msg|'s input. Returns 0 or AC_EPARSE with the field and
 * rule in |why|; |*out| is unspecified on error. */
int ac_envelope_decode(const struct ac_cose_sign1 *msg, struct ac_envelope *out, char *why,
                       size_t whylen);

#endif
