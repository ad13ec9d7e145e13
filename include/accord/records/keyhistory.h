/* keyhistory.h - an issuer's key hand-over: the statement its outgoing
 * signing key makes, at the moment of rotation, naming the key that succeeds
 * it and the log head the new key re-signs. A chain of them, oldest first,
 * carried in a credential bundle, lets a verifier that trusts an earlier key
 * reach the current one, and tells it when each key retired:
 *
 *   handover = COSE_Sign1 (tag 18; protected {1: -8, 3: AC_KEY_HANDOVER_TYPE,
 *              4: kid of the outgoing key}; unprotected {}) over
 *   {
 *     "iss": tstr,    ; the issuer (the records' iss)
 *     "at": uint,     ; ms since the epoch: the outgoing key's end, the next one's start
 *     "next": bstr,   ; the next key's Ed25519 public key, 32 bytes
 *     "size": uint,   ; the log's size at the rotation
 *     "root": bstr    ; and its root hash, 32 bytes
 *   }
 *
 * The content type keeps a hand-over from being taken for any other document
 * the key signs. Rules of use and why they are sound: docs/records.md.
 * Pure computation: safe from any thread. */
#ifndef AC_KEYHISTORY_H
#define AC_KEYHISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/merkle.h"
#include "accord/sign/cose.h"
#include "accord/sign/keyring.h"

#define AC_KEY_HANDOVER_TYPE "application/accord-key-handover+cbor"
#define AC_KEY_HANDOVER_ISS_MAX 200

/* One hand-over's content. */
struct ac_key_handover {
    char iss[AC_KEY_HANDOVER_ISS_MAX + 1];
    uint8_t kid[AC_KEY_ID_BYTES]; /* the outgoing key's, from the protected header */
    int64_t at_ms;
    uint8_t next[AC_KEY_PUBLIC_BYTES];
    uint8_t next_kid[AC_KEY_ID_BYTES]; /* derived from |next| */
    uint64_t size;
    uint8_t root[AC_MERKLE_HASH_BYTES];
    struct ac_cose_sign1 msg; /* borrows the input */
};

/* Appends to |out| the hand-over of |h| (kid, next, at, size, root and iss
 * read; next_kid and msg ignored) signed through |sign| by the outgoing key.
 * Returns 0, AC_EINVAL (an empty or too long iss, a negative time), AC_ENOMEM
 * or what |sign| returned. */
int ac_key_handover_sign(const struct ac_key_handover *h, ac_cose_sign_cb sign, void *ctx,
                         struct ac_buf *out);

/* Parses the hand-over in |len| bytes at |data| (borrowed by out->msg) into
 * |*out| without checking its signature. Strict: deterministic CBOR, the
 * content type, exactly these claims. Returns 0 or AC_EPARSE with the reason
 * in |why|. */
int ac_key_handover_parse(const uint8_t *data, size_t len, struct ac_key_handover *out, char *why,
                          size_t why_len);

/* Verifies |h|'s signature with the outgoing key |public_key|.
 * Returns 0, AC_ECRYPTO or AC_ENOMEM. */
int ac_key_handover_verify(const struct ac_key_handover *h,
                           const uint8_t public_key[AC_KEY_PUBLIC_BYTES]);

#endif
