/* checkpoint.h - C2SP signed notes (c2sp.org/signed-note) with Ed25519
 * signatures, and the transparency log checkpoints (c2sp.org/tlog-checkpoint)
 * signed as such notes.
 *
 * A signed note is UTF-8 text ending in a newline, a blank line, then one or
 * more lines "— <key name> <base64(key id || signature)>". The key id is the
 * first 4 bytes, big-endian, of SHA-256(key name || 0x0A || 0x01 || Ed25519
 * public key). A checkpoint is a note whose text is the log's origin line, its
 * tree size in decimal, its RFC 9162 root hash in base64, then optional
 * extension lines. Pure computation: safe from any thread. */
#ifndef AC_CHECKPOINT_H
#define AC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/merkle.h"

#define AC_NOTE_MAX_BYTES (64 * 1024) /* larger notes are refused */
#define AC_NOTE_MAX_SIGNATURES 100    /* the spec asks verifiers to take >= 16 */
#define AC_NOTE_NAME_MAX 255
#define AC_NOTE_PUBLIC_BYTES 32
#define AC_NOTE_SIG_BYTES 64
#define AC_NOTE_WHY_MAX 192 /* a buffer this size holds any reason given */

/* Signs |len| bytes of |msg| into |sig| with Ed25519 and returns 0 or a
 * negative AC_E* code. ac_keyring_sign() has this shape once wrapped. */
typedef int (*ac_note_sign_cb)(void *ctx, const uint8_t *msg, size_t len,
                               uint8_t sig[AC_NOTE_SIG_BYTES]);

/* A signed-note callback for a raw libsodium secret key: |ctx| points to the
 * crypto_sign_SECRETKEYBYTES (64) byte secret key. Returns 0 or AC_ECRYPTO. */
int ac_note_sign_secret_key(void *ctx, const uint8_t *msg, size_t len,
                            uint8_t sig[AC_NOTE_SIG_BYTES]);

/* A trusted key: its name, derived key id and Ed25519 public key. Plain value. */
struct ac_note_verifier {
    char name[AC_NOTE_NAME_MAX + 1];
    uint32_t key_id;
    uint8_t public_key[AC_NOTE_PUBLIC_BYTES];
};

/* Returns the signed-note key id of the Ed25519 key |public_key| named |name|. */
uint32_t ac_note_key_id(const char *name, const uint8_t public_key[AC_NOTE_PUBLIC_BYTES]);

/* Fills |*out| for |name| and |public_key|. Returns 0 or AC_EINVAL (the name is
 * empty, longer than AC_NOTE_NAME_MAX, not UTF-8, or holds a space, a control
 * character or '+'). */
int ac_note_verifier_init(struct ac_note_verifier *out, const char *name,
                          const uint8_t public_key[AC_NOTE_PUBLIC_BYTES]);

/* Parses a verifier key in the text form the Go and C2SP tools share,
 * "<name>+<key id as 8 hex digits>+<base64(0x01 || public key)>".
 * Returns 0, or AC_EPARSE (malformed, not Ed25519, or the key id does not
 * match the name and key). */
int ac_note_verifier_parse(const char *vkey, struct ac_note_verifier *out);

/* Appends the text form of |v| (see ac_note_verifier_parse()) to |out|.
 * Returns 0 or AC_ENOMEM. */
int ac_note_verifier_format(const struct ac_note_verifier *v, struct ac_buf *out);

/* Appends to |out| the note |text| (|len| bytes) signed by the key |name| /
 * |public_key| through |sign|, which is called once with the text.
 * Returns 0, AC_EINVAL (the text is empty, does not end in a newline, is not
 * UTF-8 or holds control characters; or the name is not a valid key name),
 * AC_ENOMEM, or the code |sign| returned. |out| is unchanged on failure. */
int ac_note_sign(const char *text, size_t len, const char *name,
                 const uint8_t public_key[AC_NOTE_PUBLIC_BYTES], ac_note_sign_cb sign, void *ctx,
                 struct ac_buf *out);

/* Verifies the signed note |note| (|len| bytes) against the trusted keys
 * |keys| (|nkeys| of them). Signatures by keys not in |keys| are ignored, as
 * the spec requires; every signature by a known key must verify, and at least
 * one must be present. On 0 sets |*text_len| to the length of the signed text,
 * which is the first |*text_len| bytes of |note|. |why| (may be NULL) receives
 * a reason on failure. Returns 0, AC_E2BIG (larger than AC_NOTE_MAX_BYTES or
 * more than AC_NOTE_MAX_SIGNATURES signatures), AC_EPARSE (malformed),
 * AC_ECRYPTO (a known key's signature fails) or AC_ENOENT (no signature by a
 * known key). */
int ac_note_verify(const char *note, size_t len, const struct ac_note_verifier *keys, size_t nkeys,
                   size_t *text_len, char *why, size_t why_len);

/* A checkpoint body. Owns its strings; release with ac_checkpoint_release(). */
struct ac_checkpoint {
    char *origin;  /* non-empty, no newline */
    uint64_t size; /* leaves in the tree */
    uint8_t root[AC_MERKLE_HASH_BYTES];
    char *extensions; /* NULL, or non-empty lines each ending in '\n' */
};

/* Frees the strings of |cp| and zeroes it; NULL is a no-op. */
void ac_checkpoint_release(struct ac_checkpoint *cp);

/* Appends the note text of |cp| to |out|.
 * Returns 0, AC_EINVAL (empty origin, a newline in it, or malformed
 * extensions) or AC_ENOMEM. */
int ac_checkpoint_format(const struct ac_checkpoint *cp, struct ac_buf *out);

/* Parses checkpoint note text (|len| bytes, ending in '\n') into |*out|, which
 * the caller releases. Strict: the size is decimal without leading zeroes and
 * fits 64 bits, the root is canonical base64 of exactly 32 bytes (at size 0,
 * the empty tree's, SHA-256 of nothing: RFC 9162 §2.1.1), no line is
 * empty. Returns 0, AC_EPARSE (with |why|) or AC_ENOMEM. */
int ac_checkpoint_parse(const char *text, size_t len, struct ac_checkpoint *out, char *why,
                        size_t why_len);

/* Appends the signed note of |cp| to |out|, signed by |name| / |public_key|
 * through |sign|. The key name should be the origin. Returns as
 * ac_checkpoint_format() and ac_note_sign(). */
int ac_checkpoint_sign(const struct ac_checkpoint *cp, const char *name,
                       const uint8_t public_key[AC_NOTE_PUBLIC_BYTES], ac_note_sign_cb sign,
                       void *ctx, struct ac_buf *out);

/* Verifies the signed checkpoint |note| against |keys| (as ac_note_verify())
 * and parses its text into |*out|, which the caller releases. When |origin| is
 * not NULL the checkpoint's origin must equal it (AC_EPARSE otherwise). Returns
 * 0 or any code of ac_note_verify() and ac_checkpoint_parse(). */
int ac_checkpoint_open(const char *note, size_t len, const struct ac_note_verifier *keys,
                       size_t nkeys, const char *origin, struct ac_checkpoint *out, char *why,
                       size_t why_len);

/* A witness's check: does |newer| extend |older| (both already verified)?
 * |proof| is the consistency proof from older->size to newer->size.
 * Returns 0, AC_EINVAL (different origins), AC_ERANGE (newer is smaller: a
 * rollback) or AC_ECONFLICT (the proof does not join the two roots, so they
 * cannot be one history; for equal sizes, different roots prove a fork). */
int ac_checkpoint_check_consistent(const struct ac_checkpoint *older,
                                   const struct ac_checkpoint *newer,
                                   const struct ac_merkle_proof *proof, char *why, size_t why_len);

#endif
