/* store.h - the node's durable storage on one SQLite connection: opening with
 * migrations, node users with roles, and bearer tokens (stored as keyed hashes).
 *
 * Every write runs in its own BEGIN IMMEDIATE transaction and is durable
 * (WAL, synchronous=FULL) when the call returns, so a caller may acknowledge it.
 * Other entities add their functions here and their statements in
 * core/store_<entity>.c (see core/internal.h). Not thread-safe: use from the
 * loop thread. */
#ifndef AC_STORE_H
#define AC_STORE_H

#include <stddef.h>
#include <stdint.h>

struct ac_store;

/* Opens or creates the database at |path|, applying pending migrations, each in
 * its own transaction with its version recorded. Sets |*out| to a store the
 * caller closes with ac_store_close(). Returns 0, AC_ENOMEM, AC_EIO (cannot
 * open or write the file), AC_EDB (a migration failed) or AC_ESCHEMA (the
 * database was written by a newer accord-node; the reason is logged). */
int ac_store_open(const char *path, struct ac_store **out);

/* Closes |st|, finalising cached statements and checkpointing the WAL.
 * NULL is a no-op. */
void ac_store_close(struct ac_store *st);

/* Sets |*version| to the highest migration applied. Returns 0 or AC_EDB. */
int ac_store_schema_version(struct ac_store *st, int *version);

/* Returns the highest migration this build knows. */
int ac_store_schema_latest(void);

/* Sets |*bytes| to the database size (pages in use times page size, without
 * the WAL). Returns 0 or AC_EDB. */
int ac_store_size(struct ac_store *st, int64_t *bytes);

/* ---- users ---- */

/* Roles are a bit set: a user may hold several. */
enum ac_role {
    AC_ROLE_ADMIN = 1 << 0,
    AC_ROLE_EXPERT = 1 << 1,
    AC_ROLE_REVIEWER = 1 << 2,
    AC_ROLE_EARNER = 1 << 3,
    AC_ROLE_RECOGNIZER = 1 << 4,
};
#define AC_ROLE_ALL 0x1fu
#define AC_ROLE_COUNT 5

/* Returns the lowercase name of the single role |role| ("admin", ...), or NULL. */
const char *ac_role_name(unsigned role);

/* Parses a role name. Returns 0 and sets |*role|, or AC_EINVAL. */
int ac_role_parse(const char *name, unsigned *role);

#define AC_USER_NAME_MAX 64    /* login names: 1-64 of [a-z0-9._-], starting alnum */
#define AC_USER_DISPLAY_MAX 128 /* bytes of UTF-8 */

struct ac_user {
    int64_t id;
    char name[AC_USER_NAME_MAX + 1];
    char display_name[AC_USER_DISPLAY_MAX + 1];
    unsigned roles; /* AC_ROLE_* bits */
    int64_t created_ms;
    int64_t disabled_ms; /* 0 while enabled */
};

/* Checks a login name against the rule above. Returns 0 or AC_EINVAL. */
int ac_user_name_check(const char *name);

/* Creates a user named |name| (checked) with |display_name| (may be NULL: the
 * name is used) and |roles| (non-zero subset of AC_ROLE_ALL). Fills |*out| on 0.
 * Returns 0, AC_EINVAL (bad name, display name too long, bad roles),
 * AC_EEXIST (name taken), AC_EIO or AC_EDB. */
int ac_store_user_create(struct ac_store *st, const char *name, const char *display_name,
                         unsigned roles, int64_t now_ms, struct ac_user *out);

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
