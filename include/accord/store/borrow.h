/* borrow.h - borrowed review as each side stores it (core/store/store_borrow.c).
 *
 * Issuer side: a batch given to a stand-in (remote.h) is lent out to the
 * stand-in's home node; each of its assignments travels under a random
 * pseudonym, never the earner's identity, and cites the artifacts that peer
 * may fetch while the assignment is accepted. Lender side: a batch an issuer
 * offered one of our reviewers, kept with the rubric and items the offer
 * carried (JSON text), and each item's score until the issuer answers.
 *
 * Write functions are steps of a unit of work: call them inside a
 * transaction (ac_store_tx_begin); outside one they return AC_EBUG.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_BORROW_H
#define AC_STORE_BORROW_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_BORROW_PEER_MAX 64
#define AC_BORROW_PSEUDONYM_MAX 32
#define AC_BORROW_REASON_MAX 400
#define AC_BORROW_HASH_MAX 64

/* ---- issuer side ---- */

enum ac_borrow_state {
    AC_BORROW_OFFERED,   /* sent to the lender, no answer yet */
    AC_BORROW_ACCEPTED,  /* the lender's reviewer accepted */
    AC_BORROW_DECLINED,  /* declined (by the reviewer or the lender's policy) */
    AC_BORROW_RECLAIMED, /* taken back: the deadline passed or the peer left */
    AC_BORROW_DONE,      /* every item scored */
};

const char *ac_borrow_state_name(enum ac_borrow_state s);

struct ac_borrow_batch {
    int64_t batch_id; /* batches.id */
    char peer[AC_BORROW_PEER_MAX + 1];
    int64_t stand_in;
    enum ac_borrow_state state;
    char reason[AC_BORROW_REASON_MAX + 1];
    int64_t created_ms, ended_ms;
};

struct ac_borrow_item {
    int64_t assignment_id;
    int64_t batch_id;
    char pseudonym[AC_BORROW_PSEUDONYM_MAX + 1];
    char result_id[65]; /* the review.result applied, "" until then */
    int64_t applied_ms;
};

/* Records batch |batch_id| as offered to |peer| for stand-in |stand_in|.
 * Returns 0, AC_EBUG, AC_EEXIST, AC_EINVAL (peer too long), AC_EIO or AC_EDB. */
int ac_store_borrow_batch_add(struct ac_store *st, int64_t batch_id, const char *peer,
                              int64_t stand_in, int64_t now_ms);

/* Fills |*out|. Returns 0, AC_ENOENT (not lent out) or AC_EDB. */
int ac_store_borrow_batch_get(struct ac_store *st, int64_t batch_id, struct ac_borrow_batch *out);

/* Moves |batch_id| to |state| with |reason| (may be NULL); a final state
 * (declined, reclaimed, done) sets its end time. Returns 0, AC_EBUG,
 * AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_borrow_batch_set(struct ac_store *st, int64_t batch_id, enum ac_borrow_state state,
                              const char *reason, int64_t now_ms);

/* Lists lent-out batches of |peer| (NULL: every peer) in |state| (-1: any)
 * with batch id > |after|, at most |max| into |out|; sets |*n|. Returns 0 or
 * AC_EDB. */
int ac_store_borrow_batch_list(struct ac_store *st, const char *peer, int state, int64_t after,
                               struct ac_borrow_batch *out, size_t max, size_t *n);

/* Records assignment |assignment_id| of lent batch |batch_id| under
 * |pseudonym|. Returns 0, AC_EBUG, AC_EEXIST, AC_EINVAL, AC_EIO or AC_EDB. */
int ac_store_borrow_item_add(struct ac_store *st, int64_t assignment_id, int64_t batch_id,
                             const char *pseudonym);

/* Fills |*out| with the item of |batch_id| known as |pseudonym|. Returns 0,
 * AC_ENOENT or AC_EDB. */
int ac_store_borrow_item_find(struct ac_store *st, int64_t batch_id, const char *pseudonym,
                              struct ac_borrow_item *out);

/* Lists the items of |batch_id| in pseudonym order into a new array the
 * caller frees. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_borrow_item_list(struct ac_store *st, int64_t batch_id, struct ac_borrow_item **out,
                              size_t *n);

/* Marks |assignment_id| as scored by result |result_id|. Returns 0, AC_EBUG,
 * AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_borrow_item_applied(struct ac_store *st, int64_t assignment_id, const char *result_id,
                                 int64_t now_ms);

/* Records that |assignment_id| cites artifact |hash|. Returns 0 (also when
 * already recorded), AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_borrow_artifact_add(struct ac_store *st, int64_t assignment_id, const char *hash);

/* Sets |*live| to 1 when |peer| holds an accepted, still open assignment in
 * lent batch |batch_id| under |pseudonym| that cites artifact |hash|, else 0,
 * and |*known| to 1 when that item of |peer|'s cites |hash| at all (whatever
 * its state). Another peer's item is unknown.
 * Returns 0 or AC_EDB. */
int ac_store_borrow_artifact_grant(struct ac_store *st, const char *peer, int64_t batch_id,
                                   const char *pseudonym, const char *hash, int *live, int *known);

/* Adds |by| to the counter |what| of |peer|. Returns 0, AC_EBUG, AC_EIO or
 * AC_EDB. */
int ac_store_borrow_count_add(struct ac_store *st, const char *peer, const char *what, int64_t by);

/* Sets |*n| to the counter |what| of |peer| (0 when never counted).
 * Returns 0 or AC_EDB. */
int ac_store_borrow_count_get(struct ac_store *st, const char *peer, const char *what, int64_t *n);

/* ---- lender side ---- */

enum ac_lent_state {
    AC_LENT_INVITED,
    AC_LENT_ACCEPTED,
    AC_LENT_DECLINED,
    AC_LENT_RECLAIMED,
    AC_LENT_DONE,
};

const char *ac_lent_state_name(enum ac_lent_state s);

struct ac_lent_batch {
    int64_t id;
    char issuer[AC_BORROW_PEER_MAX + 1];
    int64_t remote_batch; /* the issuer's batch id */
    int64_t reviewer;     /* our user */
    char credential_id[65];
    int64_t version;
    char title[201];
    char *rubric; /* owned JSON text */
    int64_t deadline_ms;
    enum ac_lent_state state;
    char reason[AC_BORROW_REASON_MAX + 1];
    int64_t created_ms, responded_ms, ended_ms;
};

/* Frees what |b| owns (not |b|); NULL is a no-op. */
void ac_lent_batch_release(struct ac_lent_batch *b);

enum ac_lent_item_state {
    AC_LITEM_OPEN,     /* not scored yet */
    AC_LITEM_SCORED,   /* scored here; the result is on its way */
    AC_LITEM_ACCEPTED, /* the issuer accepted the result (a receipt is in the ledger) */
    AC_LITEM_REFUSED,  /* the issuer refused the result (reason says why) */
    AC_LITEM_CLOSED,   /* the batch ended (declined or reclaimed) before a score */
};

const char *ac_lent_item_state_name(enum ac_lent_item_state s);

struct ac_lent_item {
    int64_t id;
    int64_t batch_id;
    char pseudonym[AC_BORROW_PSEUDONYM_MAX + 1];
    char school[201], district[201];
    char *elements; /* owned JSON text: [{"id", "text", "artifact"?}] */
    enum ac_lent_item_state state;
    char *levels;   /* owned JSON text of the levels given, "" before scoring */
    char *feedback; /* owned, "" when none */
    char reason[AC_BORROW_REASON_MAX + 1];
    int64_t scored_ms;
};

/* Frees what |it| owns (not |it|); NULL is a no-op. */
void ac_lent_item_release(struct ac_lent_item *it);

/* Inserts |in| (id, state, times other than created_ms ignored: it starts
 * invited) and sets |*id|. Returns 0, AC_EBUG, AC_EEXIST (the issuer's batch
 * is held already), AC_EINVAL, AC_EIO or AC_EDB. */
int ac_store_lent_batch_add(struct ac_store *st, const struct ac_lent_batch *in, int64_t *id);

/* Fills |*out| (release it). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_lent_batch_get(struct ac_store *st, int64_t id, struct ac_lent_batch *out);

/* Fills |*out| with the batch |issuer| calls |remote_batch|. Returns like
 * ac_store_lent_batch_get(). */
int ac_store_lent_batch_find(struct ac_store *st, const char *issuer, int64_t remote_batch,
                             struct ac_lent_batch *out);

/* Lists the lent batches of |reviewer| (0: everyone's) with id > |after|, at
 * most |max|, into a new array (release each, then free). Returns 0,
 * AC_ENOMEM or AC_EDB. */
int ac_store_lent_batch_list(struct ac_store *st, int64_t reviewer, int64_t after, size_t max,
                             struct ac_lent_batch **out, size_t *n);

/* Moves |id| to |state| with |reason| (may be NULL) at |now_ms| (responded
 * for accepted/declined, ended for the others). Returns 0, AC_EBUG,
 * AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_lent_batch_set(struct ac_store *st, int64_t id, enum ac_lent_state state,
                            const char *reason, int64_t now_ms);

/* Sets |*n| to the items of batches |issuer| offered |reviewer| since
 * |since_ms| that they did or hold (not declined, reclaimed or closed).
 * Returns 0 or AC_EDB. */
int ac_store_lent_count(struct ac_store *st, const char *issuer, int64_t reviewer, int64_t since_ms,
                        int64_t *n);

/* Inserts item |in| (its id and score fields ignored; it starts open) and
 * sets |*id|. Returns 0, AC_EBUG, AC_EEXIST, AC_EINVAL, AC_EIO or AC_EDB. */
int ac_store_lent_item_add(struct ac_store *st, const struct ac_lent_item *in, int64_t *id);

/* Fills |*out| (release it). Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_lent_item_get(struct ac_store *st, int64_t id, struct ac_lent_item *out);

/* Fills |*out| with the item of lent batch |batch_id| known as |pseudonym|.
 * Returns like ac_store_lent_item_get(). */
int ac_store_lent_item_find(struct ac_store *st, int64_t batch_id, const char *pseudonym,
                            struct ac_lent_item *out);

/* Lists the items of lent batch |batch_id| in id order into a new array
 * (release each, then free). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_lent_item_list(struct ac_store *st, int64_t batch_id, struct ac_lent_item **out,
                            size_t *n);

/* Moves item |id| to |state|; |levels| and |feedback| (either may be NULL:
 * kept as they are) and |reason| (NULL: kept) are stored with it, and
 * |now_ms| as its scored time when |state| is scored. Returns 0, AC_EBUG,
 * AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_lent_item_set(struct ac_store *st, int64_t id, enum ac_lent_item_state state,
                           const char *levels, const char *feedback, const char *reason,
                           int64_t now_ms);

#endif
