/* keyring.h - the node's Ed25519 signing keys: the current one and every
 * retired one with its validity window, so old records keep verifying.
 *
 * Keys live in a directory (created 0700), one file per key (0600) holding the
 * seed and the validity window; secret keys are held in sodium_malloc memory
 * and wiped on close. A key id is derived from the public key itself, never
 * chosen by an admin: the lowercase hex of the first 8 bytes of
 * SHA-256(public key) ("kid"). Not thread-safe: use from one thread. */
#ifndef AC_KEYRING_H
#define AC_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define AC_KEY_PUBLIC_BYTES 32
#define AC_KEY_SIG_BYTES 64
#define AC_KEY_ID_BYTES 8 /* the raw kid; its hex form is 16 characters */

struct ac_keyring;

/* A published (public) key and its validity window, in ms since the epoch. */
struct ac_key_info {
    uint8_t kid[AC_KEY_ID_BYTES];
    char kid_hex[2 * AC_KEY_ID_BYTES + 1];
    uint8_t public_key[AC_KEY_PUBLIC_BYTES];
    int64_t not_before_ms; /* when it became the signing key */
    int64_t not_after_ms;  /* when it was retired; 0 while current */
};

/* Opens the keyring in |dir|, creating the directory and a first key when there
 * is none. Sets |*out| to a keyring the caller closes with ac_keyring_close().
 * Returns 0, AC_ENOMEM, AC_EIO (unreadable/unwritable files; also when a key
 * file is readable by group or others) or AC_EPARSE (a corrupt key file). */
int ac_keyring_open(const char *dir, struct ac_keyring **out);

/* Wipes secrets and frees |kr|; NULL is a no-op. */
void ac_keyring_close(struct ac_keyring *kr);

/* Returns the current signing key (borrowed; valid until the next rotate or close). */
const struct ac_key_info *ac_keyring_current(const struct ac_keyring *kr);

/* Returns the number of keys, current and retired, and the |i|th (0 = oldest). */
size_t ac_keyring_count(const struct ac_keyring *kr);
const struct ac_key_info *ac_keyring_key(const struct ac_keyring *kr, size_t i);

/* Finds a key by raw kid. Returns it (borrowed) or NULL. */
const struct ac_key_info *ac_keyring_find(const struct ac_keyring *kr,
                                          const uint8_t kid[AC_KEY_ID_BYTES]);

/* Signs |len| bytes of |msg| with the current key into |sig|.
 * Returns 0 or AC_ECRYPTO. */
int ac_keyring_sign(const struct ac_keyring *kr, const uint8_t *msg, size_t len,
                    uint8_t sig[AC_KEY_SIG_BYTES]);

/* Retires the current key (its not_after becomes |now_ms|) and makes a new one
 * current from |now_ms|. Durable (files fsynced) before it returns.
 * Returns 0, AC_ENOMEM or AC_EIO; on failure the keyring is unchanged. */
int ac_keyring_rotate(struct ac_keyring *kr, int64_t now_ms);

/* Called by ac_keyring_rotate_handover() once the new key |next| exists and
 * before |outgoing| (still current) retires, with |sign| signing through the
 * outgoing key (|sign_ctx|): for the hand-over statement that key makes
 * (records/keyhistory.h); it signs nothing after. A non-zero return cancels
 * the rotation and is returned. */
typedef int (*ac_keyring_handover_cb)(void *ctx, const struct ac_key_info *outgoing,
                                      const struct ac_key_info *next,
                                      int (*sign)(void *sign_ctx, const uint8_t *msg, size_t len,
                                                  uint8_t sig[AC_KEY_SIG_BYTES]),
                                      void *sign_ctx);

/* ac_keyring_rotate(), calling |cb| (may be NULL) as above. Returns 0,
 * AC_ENOMEM, AC_EIO or what |cb| returned; on failure the keyring is
 * unchanged. */
int ac_keyring_rotate_handover(struct ac_keyring *kr, int64_t now_ms, ac_keyring_handover_cb cb,
                               void *ctx);

/* Derives the raw kid of |public_key| (first 8 bytes of its SHA-256). */
void ac_key_id(const uint8_t public_key[AC_KEY_PUBLIC_BYTES], uint8_t kid[AC_KEY_ID_BYTES]);

#endif
