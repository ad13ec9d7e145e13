/* session.h - what web sign-in keeps (core/store/store_session.c): each
 * user's password hash, browser sessions and one-time sign-in or
 * set-password links, the last two found by a keyed hash of their random
 * token (the token itself is never stored).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_SESSION_H
#define AC_STORE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "accord/review/people.h"

struct ac_store; /* store.h */

#define AC_SESSION_HASH_BYTES 32
/* crypto_pwhash_STRBYTES is 128 including the NUL. */
#define AC_PASSWORD_HASH_MAX 127

/* ---- users by name ---- */

/* Fills |*out| with the user named |name|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_user_by_name(struct ac_store *st, const char *name, struct ac_user *out);

/* Fills |*out| with the one user whose verified e-mail address is |address|
 * (lowercase, as stored). An unverified address names no one, and neither
 * does an address two accounts have each proved: sign-in must not guess
 * between them. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_user_by_email(struct ac_store *st, const char *address, struct ac_user *out);

/* ---- passwords ---- */

/* Sets (or replaces) the password hash of |user_id| to |hash| (an Argon2id
 * string, at most AC_PASSWORD_HASH_MAX bytes). Returns 0, AC_EINVAL (too
 * long or empty), AC_ENOENT (no such user), AC_EIO or AC_EDB. */
int ac_store_password_set(struct ac_store *st, int64_t user_id, const char *hash, int64_t now_ms);

/* Copies the password hash of |user_id| into |out|. Returns 0, AC_ENOENT
 * (no password set) or AC_EDB. */
int ac_store_password_get(struct ac_store *st, int64_t user_id, char out[AC_PASSWORD_HASH_MAX + 1]);

/* ---- sessions ---- */

struct ac_session {
    int64_t id;
    int64_t user_id;
    int64_t created_ms;
    int64_t expires_ms;
    int64_t revoked_ms; /* 0 while usable */
};

/* Records a session of |user_id| by the keyed |hash| of its cookie, usable
 * until |expires_ms|. Fills |*out| on 0. Returns 0, AC_ENOENT (no such
 * user), AC_EEXIST (hash present), AC_EIO or AC_EDB. */
int ac_store_session_create(struct ac_store *st, int64_t user_id,
                            const uint8_t hash[AC_SESSION_HASH_BYTES], int64_t now_ms,
                            int64_t expires_ms, struct ac_session *out);

/* Finds the session with |hash| and its user, expired and revoked ones
 * included (the caller says why it refuses). Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_session_find(struct ac_store *st, const uint8_t hash[AC_SESSION_HASH_BYTES],
                          struct ac_session *ses, struct ac_user *user);

/* Revokes session |id| at |now_ms| (a revoked one stays as it was).
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_session_revoke(struct ac_store *st, int64_t id, int64_t now_ms);

/* Revokes every live session of |user_id| at |now_ms| (a new password ends
 * them). Returns 0, AC_EIO or AC_EDB. */
int ac_store_session_revoke_user(struct ac_store *st, int64_t user_id, int64_t now_ms);

/* ---- one-time links ---- */

enum ac_link_purpose { AC_LINK_SIGN_IN, AC_LINK_SET_PASSWORD };

/* Records a one-time link of |purpose| for |user_id| by the keyed |hash| of
 * its token, usable until |expires_ms|. Returns 0, AC_ENOENT, AC_EEXIST,
 * AC_EIO or AC_EDB. */
int ac_store_link_create(struct ac_store *st, int64_t user_id, enum ac_link_purpose purpose,
                         const uint8_t hash[AC_SESSION_HASH_BYTES], int64_t now_ms,
                         int64_t expires_ms);

/* Uses the link with |hash|: when it exists with |purpose|, is unused and
 * not expired at |now_ms|, marks it used (so it works once) and sets
 * |*user_id|. Returns 0, AC_ENOENT (unknown, used, expired or for another
 * purpose: one answer, so a guess learns nothing), AC_EIO or AC_EDB. */
int ac_store_link_use(struct ac_store *st, enum ac_link_purpose purpose,
                      const uint8_t hash[AC_SESSION_HASH_BYTES], int64_t now_ms, int64_t *user_id);

#endif
