/* keyring.h - the node's Ed25519 signing keys: the current one and every
 * retired one with its validity window, so old records keep verifying.
 *
 * Keys live in a directory (created 0700), one file per key (0600) holding the
 * seed and the validity window; secret keys are held in sodium_malloc memory
 * and wiped on close. A key id is derived from the public key itself, never
 * chosen by an admin: the lowercase hex of the first 8 bytes of
 * SHA-256(public key) ("kid"). A keyring is used from one thread (the
 * node's loop); only ac_keyring_rotation_write() may run on another, and it
 * touches its rotation alone, never the keyring. */
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

/* Returns the current signing key (borrowed; valid until a rotation is next
 * prepared or taken in, or the keyring closed). */
const struct ac_key_info *ac_keyring_current(const struct ac_keyring *kr);

/* Returns the number of keys, current and retired, and the |i|th (0 = oldest). */
size_t ac_keyring_count(const struct ac_keyring *kr);
const struct ac_key_info *ac_keyring_key(const struct ac_keyring *kr, size_t i);

/* Finds a key by raw kid. Returns it (borrowed) or NULL. */
const struct ac_key_info *ac_keyring_find(const struct ac_keyring *kr,
                                          const uint8_t kid[AC_KEY_ID_BYTES]);

/* Signs |len| bytes of |msg| with the current key into |sig|.
 * Returns 0, AC_ECRYPTO, or AC_EBUSY while a rotation's files are being
 * written (ac_keyring_rotation_prepare() below): not a failure and not a
 * lost race (AC_EAGAIN); the caller tries again once the rotation ended. */
int ac_keyring_sign(const struct ac_keyring *kr, const uint8_t *msg, size_t len,
                    uint8_t sig[AC_KEY_SIG_BYTES]);

/* Retires the current key (its not_after becomes |now_ms|) and makes a new one
 * current from |now_ms|. Durable (files fsynced) before it returns: the three
 * steps below in one go, for a caller that may wait on the disk.
 * Returns 0, AC_ENOMEM or AC_EIO; on failure the keyring is unchanged. */
int ac_keyring_rotate(struct ac_keyring *kr, int64_t now_ms);

/* Called by ac_keyring_rotation_prepare() once the new key |next| exists (in
 * memory; its file is written later) and before |outgoing| (still current)
 * retires, with |sign| signing through the outgoing key (|sign_ctx|): for the
 * hand-over statement that key makes (records/keyhistory.h); it signs nothing
 * after. A non-zero return cancels the rotation and is returned. */
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

/* A rotation in three steps, so that a caller whose thread must not wait on
 * the disk (the node's loop) writes the files on another thread:
 *   1. ac_keyring_rotation_prepare(), on the keyring's thread: makes the new
 *      key in memory, calls |cb| (the outgoing key's last signature), and
 *      copies into the rotation what the files need. From then until step 3
 *      the keyring is sealed: ac_keyring_sign() refuses (AC_EBUSY), because
 *      the outgoing key's window ends at |now_ms| and the new key is not yet
 *      on disk, so neither may sign; the keys listed stay the old ones.
 *   2. ac_keyring_rotation_write(), on any thread: writes and fsyncs the new
 *      key's file, then the outgoing key's file retired at |now_ms| (each a
 *      temporary file renamed, the directory fsynced). It reads and writes
 *      the rotation and the directory only, never the keyring, so the
 *      keyring's thread may list and find keys meanwhile.
 *   3. ac_keyring_rotation_commit() after it returned 0, on the keyring's
 *      thread: the new key becomes current in memory (it cannot fail: the
 *      room was taken at step 1); or ac_keyring_rotation_abort() after it
 *      failed or instead of it: the keyring is as before step 1. Either
 *      unseals the keyring and frees the rotation.
 * A crash at any point leaves a directory ac_keyring_open() loads: before
 * step 2 the old keyring, during it the old one or the rotated one (see
 * keyring.c), after it the rotated one. */
struct ac_keyring_rotation;

/* Step 1. Sets |*out|. Returns 0, AC_ENOMEM, AC_ECRYPTO (the current key
 * cannot sign), AC_EAGAIN (a rotation is prepared already) or what |cb|
 * returned; on failure the keyring is unchanged. */
int ac_keyring_rotation_prepare(struct ac_keyring *kr, int64_t now_ms, ac_keyring_handover_cb cb,
                                void *ctx, struct ac_keyring_rotation **out);

/* The new key of |rot| (borrowed; valid until commit or abort). */
const struct ac_key_info *ac_keyring_rotation_next(const struct ac_keyring_rotation *rot);

/* Step 2. Returns 0 or AC_EIO (logged). A failure is undone on disk, also
 * one after a file took its name (the directory's fsync): the outgoing
 * key's file is rewritten without an end if it was retired, the new key's
 * file removed and the directory fsynced, so the directory loads with the
 * outgoing key current. */
int ac_keyring_rotation_write(struct ac_keyring_rotation *rot);

/* Step 3, after ac_keyring_rotation_write() returned 0. Returns 0, or
 * AC_EBUG (nothing changed, |rot| freed) when the files were not written or
 * |rot| is not the rotation |kr| prepared. */
int ac_keyring_rotation_commit(struct ac_keyring *kr, struct ac_keyring_rotation *rot);

/* Step 3 otherwise: wipes and frees |rot|; NULL is a no-op. */
void ac_keyring_rotation_abort(struct ac_keyring *kr, struct ac_keyring_rotation *rot);

/* Derives the raw kid of |public_key| (first 8 bytes of its SHA-256). */
void ac_key_id(const uint8_t public_key[AC_KEY_PUBLIC_BYTES], uint8_t kid[AC_KEY_ID_BYTES]);

#endif
