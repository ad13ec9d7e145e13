/* bundle.h - the credential bundle a teacher carries: one deterministic CBOR
 * map holding the signed record, its log inclusion proof, the signed
 * checkpoint the proof leads to, and a signed status snapshot, so that a
 * recognizer can verify everything offline.
 *
 *   bundle = {
 *     "v": 1,
 *     "record": bstr,        ; the tagged COSE_Sign1 record, exact bytes
 *     "log": {
 *       "size": uint,        ; tree size of the proof = the checkpoint's size
 *       "index": uint,       ; the record's leaf index (< size)
 *       "proof": [* bstr]    ; RFC 9162 inclusion proof, 32-byte hashes
 *     },
 *     "status": bstr,        ; Status List Token (untagged COSE_Sign1 CWT)
 *     "checkpoint": tstr     ; C2SP signed note of the tlog-checkpoint
 *   }
 *
 * The log leaf of a record is its exact bytes (leaf hash SHA-256(0x00 ||
 * record)). Decoding is strict: deterministic CBOR, exactly these keys, v 1.
 * Pure computation; safe from any thread. */
#ifndef AC_BUNDLE_H
#define AC_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/checkpoint.h"
#include "accord/records/merkle.h"

#define AC_BUNDLE_VERSION 1
#define AC_BUNDLE_WHY_MAX 192

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
};

/* Appends the encoding of |b| to |out|. Returns 0, AC_EINVAL (an empty record,
 * status or checkpoint, index >= size, a checkpoint longer than
 * AC_NOTE_MAX_BYTES or not UTF-8) or AC_ENOMEM; |out| unchanged on failure. */
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
