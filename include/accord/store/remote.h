/* remote.h - reviewers who live on another node (core/store/store_remote.c).
 *
 * When a reviewer of a lender node works for this node (the issuer), the
 * issuer keeps a stand-in user for them: an ordinary users row with the
 * reviewer role and a reviewer profile (school and district travel with the
 * reviewer, so conflict rules work across nodes), linked here to the
 * reviewer's home node and their user id there. Every issuer-side service
 * (certification, assignment, scoring, monitoring) then treats the stand-in
 * as any reviewer; only delivery differs: what a local reviewer would be told
 * goes to the home node as a signed federation message instead. A stand-in
 * never signs in here: it holds no token and no password.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_REMOTE_H
#define AC_STORE_REMOTE_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_REMOTE_NODE_MAX 64 /* a node id (node/config.h AC_NODE_ID_MAX) */

struct ac_remote_reviewer {
    int64_t user_id; /* the stand-in user on this node */
    char home_node[AC_REMOTE_NODE_MAX + 1];
    int64_t home_user; /* the reviewer's user id on their home node */
    int64_t created_ms;
};

/* What the home node says of its reviewer. Strings borrowed; NULL or "" when
 * not given. */
struct ac_remote_profile {
    const char *display_name;
    const char *school, *district;
    const char *domains; /* JSON array text, e.g. ["ELA"] */
};

/* Returns the stand-in of reviewer |home_user| of |home_node|, creating it
 * (a users row with the reviewer role, named "<home_user>.<home_node>" or,
 * when that is no valid user name, "r<home_user>.<16 hex of the node id's
 * SHA-256>", its profile and the link) the first time, and updating the
 * profile's school, district and domains from |p| every time. Runs inside
 * the caller's transaction when one is open. Sets |*user_id| and |*created|
 * (may be NULL). Returns 0, AC_EINVAL (bad node id, home user <= 0, a field
 * too long), AC_EIO or AC_EDB. */
int ac_store_remote_reviewer_ensure(struct ac_store *st, const char *home_node, int64_t home_user,
                                    const struct ac_remote_profile *p, int64_t now_ms,
                                    int64_t *user_id, int *created);

/* Fills |*out| with the link of stand-in |user_id|. Returns 0, AC_ENOENT (a
 * local user, or none) or AC_EDB. */
int ac_store_remote_reviewer_get(struct ac_store *st, int64_t user_id,
                                 struct ac_remote_reviewer *out);

/* Sets |*user_id| to the stand-in of |home_user| of |home_node|. Returns 0,
 * AC_ENOENT or AC_EDB. */
int ac_store_remote_reviewer_find(struct ac_store *st, const char *home_node, int64_t home_user,
                                  int64_t *user_id);

/* Lists the stand-ins of |home_node| (NULL: of every node) with user id >
 * |after_user|, in user id order, at most |max| into |out|; sets |*n|.
 * Returns 0 or AC_EDB. */
int ac_store_remote_reviewer_list(struct ac_store *st, const char *home_node, int64_t after_user,
                                  struct ac_remote_reviewer *out, size_t max, size_t *n);

#endif
