/* accounts.h - the node's accounts services: users with roles and their
 * bearer tokens (created, disabled, revoked), and the role check every
 * service makes of the user acting.
 *
 * Each service takes ids and parsed values (the handler in
 * node/http/api_users.c has checked the input's shape), checks |by|'s right,
 * opens the only transaction, writes the audit row (node/audit.h) and returns
 * 0 or an AC_E* code with a struct ac_reason (may be NULL) saying why. */
#ifndef AC_NODE_ACCOUNTS_H
#define AC_NODE_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/user.h"
#include "problem.h"

struct ac_node;

#define AC_TOKEN_PREFIX "acc_"
/* "acc_" + 43 characters of unpadded base64url (32 random bytes) + NUL. */
#define AC_TOKEN_TEXT_BYTES 48

/* Returns 0 when |by| (borrowed) holds any role in |roles|; otherwise
 * AC_EACCES with |why| FORBIDDEN naming the roles needed and those |by| has:
 * "this needs the admin role; user ann has earner". */
int ac__need_role(const struct ac_user *by, unsigned roles, struct ac_reason *why);

/* The stored form of token |text| (|len| bytes): a BLAKE2b hash keyed with
 * the node secret, so a stolen database alone cannot confirm a guessed token. */
void ac__token_hash(const struct ac_node *n, const char *text, size_t len,
                    uint8_t hash[AC_TOKEN_HASH_BYTES]);

/* Makes a new random token for |user_id| and stores its keyed hash, without
 * checks or audit: for the node's own set-up (the first admin) and the
 * tokens service. Writes the token text (shown once, never stored) into
 * |text|. Returns 0 or a store error (|text| wiped then). */
int ac__token_issue(struct ac_node *n, int64_t user_id, const char *label, struct ac_token *tok,
                    char text[AC_TOKEN_TEXT_BYTES]);

/* ---- users (node/accounts/users.c) ---- */

/* Creates user |name| (checked by the caller) with |display_name| (may be
 * NULL) and |roles| on |by|'s request (an admin), with the audit row ("user"
 * <id> "create"). Fills |*out| on 0. Returns 0, AC_EACCES (FORBIDDEN),
 * AC_EEXIST (CONFLICT on "name": the name is taken), AC_EINVAL, AC_EIO or
 * AC_EDB. */
int ac__users_create(struct ac_node *n, const struct ac_user *by, const char *name,
                     const char *display_name, unsigned roles, struct ac_user *out,
                     struct ac_reason *why);

/* Disables user |user_id| and revokes all its tokens on |by|'s request (an
 * admin other than the user: an admin locking itself out could leave the
 * node with none), with the audit row ("user" <id> "disable"). Disabling a
 * disabled user changes nothing but is audited too. Fills |*out| with the
 * user as now stored. Returns 0, AC_EACCES (FORBIDDEN), AC_ENOENT (no such
 * user), AC_ECONFLICT (CONFLICT on "id": |by| itself), AC_EIO or AC_EDB. */
int ac__users_disable(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                      struct ac_user *out, struct ac_reason *why);

/* Gives user |user_id| the roles |add| and takes away the roles |remove|
 * (AC_ROLE_* bits; roles are a set: an earner can also be a reviewer) on
 * |by|'s request (an admin), with the audit row ("user" <id> "roles"
 * {before, after}). Fills |*out| with the user as now stored. Returns 0,
 * AC_EACCES (FORBIDDEN), AC_ENOENT, AC_EINVAL (INVALID_FIELD "roles": no
 * role would be left), AC_ECONFLICT (an admin removing its own admin role),
 * AC_EIO or AC_EDB. */
int ac__users_set_roles(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                        unsigned add, unsigned remove, struct ac_user *out,
                        struct ac_reason *why);

/* ---- e-mail addresses (node/accounts/email.c) ---- */

/* How long a mailed verification link works. */
#define AC_EMAIL_LINK_MS (24LL * 3600 * 1000)
/* "ace_" + 43 characters of unpadded base64url (32 random bytes) + NUL. */
#define AC_EMAIL_TOKEN_TEXT_BYTES 48

/* Sets the e-mail address of user |user_id| to |address| (checked and
 * lowered here) on |by|'s request: the user itself or an admin. With
 * |vouch| (an admin only: the admin vouches for the address of an account
 * it made) the address is verified at once; otherwise it is stored
 * unverified and a one-time link is mailed to it (AC_EMAIL_LINK_MS), which
 * its owner redeems with ac__users_verify_email(). The same address again,
 * already verified, changes nothing. A newly verified address releases the
 * records that waited for it (passed submissions without a record get
 * their issue job again). Audited ("user" <id> "email.set" or
 * "email.vouch"; the address itself is not audited). Fills |*out|.
 * Returns 0, AC_EACCES (FORBIDDEN: another user's address, or vouching
 * without the admin role), AC_ENOENT (no such user), AC_EINVAL
 * (INVALID_FIELD "email"), AC_EIO or AC_EDB. */
int ac__users_set_email(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                        const char *address, int vouch, struct ac_user_email *out,
                        struct ac_reason *why);

/* Redeems the verification link |token| for |by|, who must be the user it
 * was mailed for: marks the address verified (audited "user" <id>
 * "email.verify") and releases waiting records as above. Fills |*out|.
 * Returns 0, AC_ENOENT (NOT_FOUND "token": unknown, used, expired or
 * another user's), AC_ECONFLICT (CONFLICT "token": the address was
 * changed since the link was sent), AC_EIO or AC_EDB. */
int ac__users_verify_email(struct ac_node *n, const struct ac_user *by, const char *token,
                           struct ac_user_email *out, struct ac_reason *why);

/* Copies the verified address of |user_id| into |address|, or returns
 * AC_ECONFLICT with |why| (may be NULL) saying the user has none and how to
 * give one. Returns 0, AC_ECONFLICT, AC_ENOENT or AC_EDB. */
int ac__users_verified_email(struct ac_node *n, int64_t user_id,
                             char address[AC_USER_EMAIL_MAX + 1], struct ac_reason *why);

/* ---- tokens (node/accounts/tokens.c) ---- */

/* Creates a bearer token labelled |label| (may be NULL) for user |user_id|
 * on |by|'s request (an admin), with the audit row ("token" <id> "create";
 * the text is never audited). Fills |*out| and writes the token text, shown
 * once, into |text|. Returns 0, AC_EACCES (FORBIDDEN), AC_ENOENT (no such
 * user), AC_ECONFLICT (CONFLICT on "id": the user is disabled), AC_EIO or
 * AC_EDB. */
int ac__tokens_create(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                      const char *label, struct ac_token *out, char text[AC_TOKEN_TEXT_BYTES],
                      struct ac_reason *why);

/* Revokes token |token_id| on |by|'s request (its owner, or an admin), with
 * the audit row ("token" <id> "revoke"); revoking a revoked token changes
 * nothing. Another user's token answers AC_ENOENT to a non-admin, so token
 * ids of others are not disclosed. Fills |*out| with the token as now stored.
 * Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac__tokens_revoke(struct ac_node *n, const struct ac_user *by, int64_t token_id,
                      struct ac_token *out, struct ac_reason *why);

#endif
