/* lending.h - reviewer lending between nodes (core/store/store_lending.c):
 * on a lender, the admin's lending policy per peer and credential; on an
 * issuer, the latest capacity offer each lender sent and the node's
 * borrowing mode per credential.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_LENDING_H
#define AC_STORE_LENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_LENDING_NODE_MAX 64       /* a node id (node/config.h AC_NODE_ID_MAX) */
#define AC_LENDING_CRED_MAX 64       /* a credential id (AC_SUB_CRED_MAX) */
#define AC_LENDING_REVIEWERS_MAX 256 /* reviewers named in one policy */
#define AC_LENDING_BLACKOUTS_MAX 32  /* blackout ranges in one policy */
#define AC_LENDING_CAP_MAX 10000     /* reviews per reviewer per month */

/* A stretch of time when nobody is lent: [from_ms, until_ms). */
struct ac_lending_blackout {
    int64_t from_ms, until_ms;
};

/* What the lender's admin allows one peer for one of the peer's credentials.
 * |credential_id| is the issuer's credential id (no version): a policy
 * outlives the versions of the credential. */
struct ac_lending_policy {
    char peer[AC_LENDING_NODE_MAX + 1];
    char credential_id[AC_LENDING_CRED_MAX + 1];
    bool all_reviewers; /* true: every local reviewer; |reviewers| unused */
    size_t n_reviewers; /* else these user ids, ascending, no repeats */
    int64_t reviewers[AC_LENDING_REVIEWERS_MAX];
    uint32_t monthly_cap; /* reviews per reviewer per calendar month (UTC), 1..CAP_MAX */
    size_t n_blackouts;   /* ascending by from_ms */
    struct ac_lending_blackout blackouts[AC_LENDING_BLACKOUTS_MAX];
    bool own_first; /* a reviewer with open local work is not lent */
    int64_t updated_ms;
};

/* Creates or replaces the policy of (p->peer, p->credential_id). Returns 0,
 * AC_EINVAL (an empty key, counts over their maximum, a cap out of range, a
 * blackout that ends before it starts), AC_EIO or AC_EDB. */
int ac_store_lending_put(struct ac_store *st, const struct ac_lending_policy *p);

/* Fills |*out| with the policy of |peer| for |credential_id|. Returns 0,
 * AC_ENOENT, AC_EBUG (a stored row this code cannot read) or AC_EDB. */
int ac_store_lending_get(struct ac_store *st, const char *peer, const char *credential_id,
                         struct ac_lending_policy *out);

/* Deletes the policy. Returns 0, AC_ENOENT (none), AC_EIO or AC_EDB. */
int ac_store_lending_delete(struct ac_store *st, const char *peer, const char *credential_id);

/* Sets |*out| to a new array (free() it; NULL when none) of the policies for
 * |peer| (NULL: every peer), ordered by peer then credential, and |*n|.
 * Returns 0, AC_ENOMEM, AC_EBUG or AC_EDB. */
int ac_store_lending_list(struct ac_store *st, const char *peer, struct ac_lending_policy **out,
                          size_t *n);

/* ---- the issuer's side: capacity offered by lenders ---- */

/* One reviewer a lender offers for one credential, as the issuer keeps it. */
struct ac_capacity_reviewer {
    char peer[AC_LENDING_NODE_MAX + 1];
    char credential_id[AC_LENDING_CRED_MAX + 1];
    int64_t home_user;      /* the reviewer's user id at the lender */
    int64_t user_id;        /* the stand-in on this node (remote.h) */
    bool certified_at_home; /* the lender holds our certification of them */
    uint32_t slots;         /* reviews per month the lender allows them for us */
    int64_t offered_ms;     /* when the lender made the offer (read only) */
};

/* Replaces what |peer| offered with |v|[0..n) (the reviewers of message
 * |msg_id| sent at |sent_ms|), unless the offer held is as new or newer.
 * Runs inside the caller's transaction when one is open. Returns 0,
 * AC_ECONFLICT (an offer sent at or after |sent_ms| is held; nothing
 * changed), AC_EINVAL, AC_EIO or AC_EDB. */
int ac_store_capacity_replace(struct ac_store *st, const char *peer, const char *msg_id,
                              int64_t sent_ms, const struct ac_capacity_reviewer *v, size_t n,
                              int64_t now_ms);

/* Sets |*out| to a new array (free() it; NULL when none) of the reviewers
 * offered for |credential_id| (NULL: every credential), by peer then home
 * user, and |*n|. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_capacity_list(struct ac_store *st, const char *credential_id,
                           struct ac_capacity_reviewer **out, size_t *n);

/* Sets |*sent_ms| and |msg_id| (at least 65 bytes) to the offer held from
 * |peer|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_capacity_offer_get(struct ac_store *st, const char *peer, int64_t *sent_ms,
                                char *msg_id);

/* Sets |*n| to the stand-ins (reviewers of other nodes, remote.h) certified
 * for credential row |credential_row| here. Returns 0 or AC_EDB. */
int ac_store_borrowed_certified_count(struct ac_store *st, int64_t credential_row, int64_t *n);

/* ---- the issuer's side: when work goes to borrowed reviewers ---- */

enum ac_borrowing_mode {
    AC_BORROW_ABOVE_CAPACITY = 0, /* own reviewers first; borrowed only past their capacity */
    AC_BORROW_ALWAYS = 1,         /* borrowed reviewers are candidates like own ones */
};

/* The key under which the node-wide default is kept. */
#define AC_BORROWING_NODE_DEFAULT "*"

/* Sets the mode of |credential_id| (AC_BORROWING_NODE_DEFAULT: the node's
 * default). Returns 0, AC_EINVAL, AC_EIO or AC_EDB. */
int ac_store_borrowing_put(struct ac_store *st, const char *credential_id,
                           enum ac_borrowing_mode mode, int64_t now_ms);

/* Removes the mode of |credential_id|, so the node default applies again.
 * Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_borrowing_delete(struct ac_store *st, const char *credential_id);

/* Sets |*mode| to the mode that applies to |credential_id|: its own, else the
 * node default, else AC_BORROW_ABOVE_CAPACITY; |*from| (may be NULL) to
 * "credential", "node" or "built-in". Returns 0 or AC_EDB. */
int ac_store_borrowing_get(struct ac_store *st, const char *credential_id,
                           enum ac_borrowing_mode *mode, const char **from);

/* "above_capacity" or "always". */
const char *ac_borrowing_mode_name(enum ac_borrowing_mode m);

/* Parses a mode name. Returns 0 or AC_EINVAL. */
int ac_borrowing_mode_parse(const char *s, enum ac_borrowing_mode *out);

#endif
