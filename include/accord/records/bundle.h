/* bundle.h - the credential bundle a teacher carries: one deterministic CBOR
 * map holding the signed record, its log inclusion proof, the signed
 * checkpoint the proof leads to, a signed status snapshot and, since version
 * 2, the witnesses' cosignatures on that checkpoint, the issuer's signed key
 * hand-overs and the record's Open Badges 3.0 form, so that a recognizer can
 * verify everything offline, also after the issuer rotates its key.
 *
 *   bundle = {
 *     "v": 1 / 2,
 *     "log": {
 *       "size": uint,        ; tree size of the proof = the checkpoint's size
 *       "index": uint,       ; the record's leaf index (< size)
 *       "proof": [* bstr]    ; RFC 9162 inclusion proof, 32-byte hashes
 *     },
 *     ? "ob3": bstr,         ; v2: the OB 3.0 credential (JSON-LD), exact bytes
 *     ? "keys": [+ bstr],    ; v2: key hand-overs (keyhistory.h), oldest first
 *     "record": bstr,        ; the tagged COSE_Sign1 record, exact bytes
 *     "status": bstr,        ; Status List Token (untagged COSE_Sign1 CWT)
 *     "checkpoint": tstr,    ; C2SP signed note of the tlog-checkpoint
 *     ? "cosignatures": [+ tstr] ; v2: C2SP tlog-cosignature lines on it
 *   }
 *
 * Keys appear in that (deterministic) order. A bundle with none of the
 * optional parts is version 1, byte for byte what earlier nodes exported; a
 * version 2 bundle carries at least one of them. The log leaf of a record is
 * its exact bytes (leaf hash SHA-256(0x00 || record)). Decoding is strict:
 * deterministic CBOR, only these keys, the version matching the parts.
 * Pure computation; safe from any thread. */
#ifndef AC_BUNDLE_H
#define AC_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/checkpoint.h"
#include "accord/records/merkle.h"

#define AC_BUNDLE_VERSION 1   /* the parts every bundle has */
#define AC_BUNDLE_VERSION_2 2 /* with cosignatures, key hand-overs or the OB 3.0 form */
#define AC_BUNDLE_WHY_MAX 192
#define AC_BUNDLE_KEYS_MAX 16          /* key hand-overs: one per rotation */
#define AC_BUNDLE_KEY_BYTES_MAX 1024   /* one hand-over statement */
#define AC_BUNDLE_COSIGS_MAX 32        /* cosignature lines */
#define AC_BUNDLE_OB3_MAX (256 * 1024) /* the OB 3.0 credential */

/* A borrowed run of bytes inside a bundle. */
struct ac_bundle_part {
    const uint8_t *data;
    size_t len;
};

/* A bundle's parts. Encoding borrows them from the caller; decoding points
 * them into the decoded input, which must outlive the struct. */
struct ac_bundle {
    const uint8_t *record;
    size_t record_len;
    uint64_t index, size;
    struct ac_merkle_proof proof;
    const uint8_t *status;
    size_t status_len;
    const char *checkpoint; /* not NUL-terminated: use checkpoint_len */
    size_t checkpoint_len;
    /* Version 2 parts; none of them (all counts 0) makes a version 1 bundle. */
    const uint8_t *ob3; /* JSON text, not NUL-terminated; NULL when absent */
    size_t ob3_len;
    struct ac_bundle_part keys[AC_BUNDLE_KEYS_MAX]; /* hand-over statements */
    size_t nkeys;
    struct ac_bundle_part cosigs[AC_BUNDLE_COSIGS_MAX]; /* lines, each ending in '\n' */
    size_t ncosigs;
};

/* Appends the encoding of |b| to |out|: version 1 when it has no version 2
 * part, else version 2. Returns 0, AC_EINVAL (an empty record, status or
 * checkpoint, index >= size, a checkpoint longer than AC_NOTE_MAX_BYTES or
 * not UTF-8, a version 2 part empty or over its limit, a cosignature line not
 * ending in '\n') or AC_ENOMEM; |out| unchanged on failure. */
int ac_bundle_encode(const struct ac_bundle *b, struct ac_buf *out);

/* Decodes |len| bytes of |data| into |*out| (pointing into |data|). Returns 0
 * or AC_EPARSE with the reason in |why| (may be NULL). */
int ac_bundle_decode(const uint8_t *data, size_t len, struct ac_bundle *out, char *why,
                     size_t why_len);

/* Checks the log part of |b|: the checkpoint is signed by one of |keys| (with
 * origin |origin| when not NULL), its size equals the proof's, and the proof
 * leads from the record's leaf hash to its root. On 0 and when |cp| is not
 * NULL, sets |*cp| to the checkpoint (the caller releases it). Returns 0, any
 * code of ac_checkpoint_open(), AC_EPARSE (size mismatch) or AC_ECRYPTO (the
 * record is not in the log at that index), with the reason in |why|. */
int ac_bundle_verify_log(const struct ac_bundle *b, const struct ac_note_verifier *keys,
                         size_t nkeys, const char *origin, struct ac_checkpoint *cp, char *why,
                         size_t why_len);

#endif
