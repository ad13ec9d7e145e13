/* assignment.h - review assignments, the batches they are offered in, and
 * the benchmark items seeded blind among them (core/store/store_assignment.c).
 * Write functions here are steps of a unit of work: the caller opens a
 * transaction with ac_store_tx_begin() (store.h), makes every change one event
 * causes (the state change, its audit row, its outbox notification, its next
 * due job) and commits them together; a step called outside a transaction
 * returns AC_EBUG. Reads work either way.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_ASSIGNMENT_H
#define AC_STORE_ASSIGNMENT_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/submission.h"

struct ac_store; /* store.h */

/* ---- assignments and batches ---- */

/* pending: assigned, waiting in a forming batch; invited: the batch was sent;
 * accepted: the reviewer may see it; declined/expired: handed back (the
 * reviewer is never given it again); done: scored; cancelled: no longer
 * needed (e.g. a flagged submission rejected). */
enum ac_asg_state {
    AC_ASG_PENDING,
    AC_ASG_INVITED,
    AC_ASG_ACCEPTED,
    AC_ASG_DECLINED,
    AC_ASG_EXPIRED,
    AC_ASG_DONE,
    AC_ASG_CANCELLED,
};

const char *ac_asg_state_name(enum ac_asg_state s);

#define AC_ASG_LEVELS_MAX 64

struct ac_assignment_row {
    int64_t id;
    int64_t submission_id;                  /* 0 for a seeded benchmark item */
    char benchmark_id[AC_SUB_NAME_MAX + 1]; /* "" unless a seeded benchmark */
    int benchmark_level;                    /* its expert truth, -1 otherwise */
    char credential_id[AC_SUB_CRED_MAX + 1];
    int64_t reviewer_id;
    int64_t batch_id; /* 0 while pending */
    enum ac_asg_state state;
    int levels[AC_ASG_LEVELS_MAX]; /* per element, or one holistic level */
    size_t n_levels;
    int level;      /* combined level, -1 before scoring */
    char *feedback; /* owned, NULL when none */
    int64_t created_ms, scored_ms;
    /* The credentials row (definition version) it is reviewed under, so the
     * definition is found by key; 0 only for rows no migration could place. */
    int64_t credential_row;
    int second_master; /* 1: a blind duplicate check by a second master */
};

void ac_assignment_release(struct ac_assignment_row *a);

/* Inserts |in| (state, ids and benchmark fields as given) and sets |*id|.
 * Returns 0, AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_assignment_insert(struct ac_store *st, const struct ac_assignment_row *in,
                               int64_t now_ms, int64_t *id);

int ac_store_assignment_get(struct ac_store *st, int64_t id, struct ac_assignment_row *out);

/* Lists assignments matching every non-zero filter: |submission_id|,
 * |reviewer_id|, |batch_id|; |state| -1 for any; in id order. Returns like
 * ac_store_submission_list. */
int ac_store_assignment_list(struct ac_store *st, int64_t submission_id, int64_t reviewer_id,
                             int64_t batch_id, int state, struct ac_assignment_row **out,
                             size_t *n);

/* Moves |id| to |state| and, when |batch_id| is non-zero, into that batch.
 * Returns 0, AC_EBUG, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_assignment_set_state(struct ac_store *st, int64_t id, enum ac_asg_state state,
                                  int64_t batch_id);

/* Records the scores of accepted |id|: its |levels| (|n| of them), combined
 * |level|, |feedback| (may be NULL), state done at |now_ms|. Returns 0,
 * AC_EBUG, AC_ECONFLICT (not accepted), AC_EINVAL (n over AC_ASG_LEVELS_MAX),
 * AC_EIO or AC_EDB. */
int ac_store_assignment_score(struct ac_store *st, int64_t id, const int *levels, size_t n,
                              int level, const char *feedback, int64_t now_ms);

/* Sets |*load| to the open (pending, invited, accepted) assignments of
 * |reviewer_id|, |*busy| to 1 when it has an invited or accepted batch, and
 * |*cool_until_ms| to the end of its latest batch's cool-off given
 * |cool_off_ms| (0 when none): a batch done or let expire, so a reviewer who
 * let work lapse is not re-invited the moment it is handed back. Returns 0 or AC_EDB. */
int ac_store_reviewer_load(struct ac_store *st, int64_t reviewer_id, int64_t cool_off_ms,
                           uint32_t *load, int *busy, int64_t *cool_until_ms);

/* Sets |*count| to the assignments of credential |credential_id| given to
 * |reviewer_id| at or after |since_ms| that count against their per-period
 * quota (pending, invited, accepted or done; seeded benchmark items and
 * declined, expired or withdrawn work do not), and |*oldest_ms| to the
 * creation time of the oldest of them (0 when none). Returns 0 or AC_EDB. */
int ac_store_assignment_period(struct ac_store *st, int64_t reviewer_id, const char *credential_id,
                               int64_t since_ms, uint32_t *count, int64_t *oldest_ms);

/* Lists the reviewers of the earner's earlier submission |submission_id|
 * (scored assignments only) into a new array. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_submission_reviewers(struct ac_store *st, int64_t submission_id, int64_t **out,
                                  size_t *n);

enum ac_batch_state {
    AC_BATCH_INVITED,
    AC_BATCH_ACCEPTED,
    AC_BATCH_DECLINED,
    AC_BATCH_EXPIRED,
    AC_BATCH_DONE,
};

const char *ac_batch_state_name(enum ac_batch_state s);

struct ac_batch_row {
    int64_t id;
    int64_t reviewer_id;
    char credential_id[AC_SUB_CRED_MAX + 1];
    enum ac_batch_state state;
    int64_t created_ms, deadline_ms, responded_ms, completed_ms;
    int64_t credential_row; /* the credentials row its work is reviewed under */
};

/* Creates an invited batch of definition |credential_id| at credentials row
 * |credential_row| and sets |*id|. Returns 0, AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_batch_insert(struct ac_store *st, int64_t reviewer_id, const char *credential_id,
                          int64_t credential_row, int64_t now_ms, int64_t deadline_ms, int64_t *id);

int ac_store_batch_get(struct ac_store *st, int64_t id, struct ac_batch_row *out);

/* Lists the batches of |reviewer_id| (0: all) in |state| (-1: any) into a new
 * array. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_batch_list(struct ac_store *st, int64_t reviewer_id, int state,
                        struct ac_batch_row **out, size_t *n);

/* Moves |id| to |state| at |now_ms| (responded for accepted/declined,
 * completed for done/expired). Returns 0, AC_EBUG, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_batch_set_state(struct ac_store *st, int64_t id, enum ac_batch_state state,
                             int64_t now_ms);

/* ---- benchmark items for blind seeding ---- */

struct ac_seed_item {
    int64_t id; /* bench_items row id */
    int level;  /* the resolved expert level */
};

/* Lists the resolved benchmark items of credential row |credential_row| into
 * a new array. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_seed_items(struct ac_store *st, int64_t credential_row, struct ac_seed_item **out,
                        size_t *n);

/* Sets |*content| to a heap copy (caller frees) of benchmark item |id|'s
 * content, shown to a reviewer like any submission's elements.
 * Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_seed_content(struct ac_store *st, int64_t id, char **content);

#endif
