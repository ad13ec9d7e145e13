/* reviewer_cert.h - the signed reviewer-certification record an issuer node
 * gives a reviewer of another node (core/records/reviewer_cert.c).
 *
 * A COSE_Sign1 by the issuer's node key with protected header
 * {1: -8, 3: "application/accord-reviewer-cert+cbor", 4: kid}, an empty
 * unprotected header and a deterministic-CBOR payload
 *   {v: 1, exp, iat, iss, hash, version, reviewer: {node, user}, credential}
 * (times in ms). Its own content type keeps it from ever being taken for a
 * credential record, a federation envelope or a consortium file, and the
 * other way round. Stateless and thread-safe; sodium_init() first. */
#ifndef AC_RECORDS_REVIEWER_CERT_H
#define AC_RECORDS_REVIEWER_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/sign/cose.h"

#define AC_RCERT_RECORD_CONTENT_TYPE "application/accord-reviewer-cert+cbor"
#define AC_RCERT_RECORD_NODE_MAX 64
#define AC_RCERT_RECORD_CRED_MAX 64
#define AC_RCERT_RECORD_HASH_MAX 80
#define AC_RCERT_RECORD_WHY_LEN 160

/* What the record says. */
struct ac_rcert_record {
    char issuer[AC_RCERT_RECORD_NODE_MAX + 1];       /* the issuer node id */
    char home_node[AC_RCERT_RECORD_NODE_MAX + 1];    /* the reviewer's node */
    int64_t home_user;                               /* their user id there, > 0 */
    char credential[AC_RCERT_RECORD_CRED_MAX + 1];   /* the definition id */
    int64_t version;                                 /* its version, > 0 */
    char content_hash[AC_RCERT_RECORD_HASH_MAX + 1]; /* "sha256:..." of that version */
    int64_t issued_ms, expires_ms;                   /* expires after issued */
};

/* A key of the issuer that may have signed records, with its window
 * (not_after_ms 0: open). */
struct ac_rcert_key {
    uint8_t public_key[32];
    uint8_t kid[8];
    int64_t not_before_ms, not_after_ms;
};

/* Appends to |out| the record |r| signed by |sign| under |kid|. Returns 0,
 * AC_EINVAL (an empty or too long field, a user or version <= 0, expiry not
 * after issue), AC_ENOMEM or what |sign| returned. */
int ac_rcert_record_sign(const struct ac_rcert_record *r, const uint8_t *kid, size_t kid_len,
                         ac_cose_sign_cb sign, void *sign_ctx, struct ac_buf *out);

/* Verifies the |len| bytes at |data| as a record signed by one of the |nkeys|
 * |keys| (found by kid; the key must be valid at the record's iat) and fills
 * |*out|. Structure and content type are checked before the signature, the
 * payload only after it. Returns 0, AC_EPARSE (structure, content type,
 * payload; reason in |why|) or AC_ECRYPTO (no key with that kid, a key not
 * valid then, a bad signature; reason in |why|). |why| may be NULL. */
int ac_rcert_record_verify(const uint8_t *data, size_t len, const struct ac_rcert_key *keys,
                           size_t nkeys, struct ac_rcert_record *out, char *why, size_t whylen);

#endif
