/* user.h - node users (struct ac_user, review/people.h) and their bearer
 * tokens, stored as keyed hashes (core/store/store_user.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_USER_H
#define AC_STORE_USER_H

#include <stddef.h>
#include <stdint.h>

#include "accord/review/people.h"

struct ac_store; /* store.h */

/* ---- users ---- */

/* Creates a user named |name| (checked) with |display_name| (may be NULL: the
 * name is used) and |roles| (non-zero subset of AC_ROLE_ALL). Fills |*out| on 0.
 * Returns 0, AC_EINVAL (bad name, display name too long, bad roles),
 * AC_EEXIST (name taken), AC_EIO or AC_EDB. */
int ac_store_user_create(struct ac_store *st, const char *name, const char *display_name,
                         unsigned roles, int64_t now_ms, struct ac_user *out);

/* Sets the roles of user |id| to the set |roles| (AC_ROLE_* bits). Returns 0,
 * AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_user_set_roles(struct ac_store *st, int64_t id, unsigned roles);

/* Fills |*out| with user |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_user_get(struct ac_store *st, int64_t id, struct ac_user *out);

/* Lists users with id > |after_id| in id order, at most |max| into |out|.
 * Sets |*n| to the number filled. Returns 0 or AC_EDB. */
int ac_store_user_list(struct ac_store *st, int64_t after_id, struct ac_user *out, size_t max,
                       size_t *n);

/* Sets |*n| to the number of users. Returns 0 or AC_EDB. */
int ac_store_user_count(struct ac_store *st, int64_t *n);

/* Disables user |id| at |now_ms| and revokes all its tokens, in one transaction.
 * Disabling an already disabled user changes nothing and returns 0.
 * Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_user_disable(struct ac_store *st, int64_t id, int64_t now_ms);

/* ---- e-mail addresses (the subject of the records a user earns) ---- */

#define AC_USER_EMAIL_MAX 254
#define AC_EMAIL_LINK_HASH_BYTES 32

struct ac_user_email {
    char address[AC_USER_EMAIL_MAX + 1]; /* lowercase; "" when none */
    int64_t verified_ms;                 /* 0 until proved or vouched for */
};

/* Fills |*out| with the address of user |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_user_email_get(struct ac_store *st, int64_t id, struct ac_user_email *out);

/* Sets the address of user |id| to |address| (checked by the caller; may be
 * "") and its verification time to |verified_ms| (0: not verified). Returns
 * 0, AC_EINVAL (too long), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_user_email_set(struct ac_store *st, int64_t id, const char *address,
                            int64_t verified_ms);

/* Stores a one-time link proving |address| for |user_id|, by the keyed
 * |hash| of its token, usable until |expires_ms|. Returns 0, AC_EEXIST,
 * AC_ENOENT (no such user), AC_EIO or AC_EDB. */
int ac_store_email_link_add(struct ac_store *st, const uint8_t hash[AC_EMAIL_LINK_HASH_BYTES],
                            int64_t user_id, const char *address, int64_t now_ms,
                            int64_t expires_ms);

/* Uses the link with |hash| at |now_ms|: when it exists, is unused and not
 * expired, marks it used (in one statement, so two racing uses cannot both
 * succeed) and fills |*user_id| and |address| (|size| bytes) with what it
 * proves. Returns 0, AC_ENOENT (no such link, used or expired), AC_EIO or
 * AC_EDB. */
int ac_store_email_link_use(struct ac_store *st, const uint8_t hash[AC_EMAIL_LINK_HASH_BYTES],
                            int64_t now_ms, int64_t *user_id, char *address, size_t size);

/* ---- tokens ---- */

#define AC_TOKEN_HASH_BYTES 32
#define AC_TOKEN_LABEL_MAX 64

struct ac_token {
    int64_t id;
    int64_t user_id;
    char label[AC_TOKEN_LABEL_MAX + 1];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 while usable */
};

/* Records a token for |user_id| by its keyed |hash| (the token itself is never
 * stored). |label| may be NULL. Returns 0, AC_EINVAL (label too long),
 * AC_ENOENT (no such user), AC_EEXIST (hash already present), AC_EIO or AC_EDB. */
int ac_store_token_create(struct ac_store *st, int64_t user_id, const char *label,
                          const uint8_t hash[AC_TOKEN_HASH_BYTES], int64_t now_ms,
                          struct ac_token *out);

/* Finds the token with |hash| and its user. Fills both (revoked and disabled
 * ones included: the caller says why it refuses). Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_token_find(struct ac_store *st, const uint8_t hash[AC_TOKEN_HASH_BYTES],
                        struct ac_token *tok, struct ac_user *user);

/* Fills |*out| with token |id|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_token_get(struct ac_store *st, int64_t id, struct ac_token *out);

/* Lists the tokens of |user_id| with id > |after_id|, like ac_store_user_list. */
int ac_store_token_list(struct ac_store *st, int64_t user_id, int64_t after_id,
                        struct ac_token *out, size_t max, size_t *n);

/* Revokes token |id| at |now_ms|; revoking a revoked token changes nothing.
 * Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_token_revoke(struct ac_store *st, int64_t id, int64_t now_ms);

#endif
