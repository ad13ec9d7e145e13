/* store_review.h - durable state of the review lifecycle: submissions,
 * artifacts, review assignments grouped into batches, scheduled jobs, the
 * notification outbox, the issuer's flags inbox and monitor holds on reviewers.
 *
 * Unlike the one-call-one-transaction functions of store.h, most write
 * functions here are steps of a unit of work: the caller opens a transaction
 * with ac_store_tx_begin() (store.h), makes every change one event causes (the
 * state change, its audit row via ac_store_audit_add(), its outbox
 * notification, its next due job) and commits them together with
 * ac_store_tx_commit(), or drops them all with ac_store_tx_rollback(). A write
 * step called outside a transaction returns AC_EBUG. Reads work either way. Lists come back as heap
 * arrays the caller frees with free() (after releasing rows that own text). Times are ms since the
 * epoch. Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_REVIEW_H
#define AC_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/store.h"

/* ---- submissions ---- */

#define AC_SUB_CRED_MAX 64
#define AC_SUB_NAME_MAX 128

/* received -> flagged (near-duplicate) -> queued -> in_review -> decided ->
 * notified; escalated waits for an admin's final level; rejected ends a
 * flagged one the issuer upheld. */
enum ac_sub_state {
    AC_SUB_RECEIVED,
    AC_SUB_FLAGGED,
    AC_SUB_QUEUED,
    AC_SUB_IN_REVIEW,
    AC_SUB_ESCALATED,
    AC_SUB_DECIDED,
    AC_SUB_NOTIFIED,
    AC_SUB_REJECTED,
};

/* Static name of |s| ("received", ...), or NULL when out of range. */
const char *ac_sub_state_name(enum ac_sub_state s);

struct ac_submission {
    int64_t id;
    int64_t earner_id;
    char credential_id[AC_SUB_CRED_MAX + 1];
    int64_t credential_version;
    char domain[AC_SUB_NAME_MAX + 1]; /* "" when none asked */
    char school[AC_SUB_NAME_MAX + 1];
    char district[AC_SUB_NAME_MAX + 1];
    char team[AC_SUB_NAME_MAX + 1]; /* "" for individual work */
    char *elements;                 /* owned JSON array text */
    int64_t previous_id;            /* 0 unless a resubmission */
    enum ac_sub_state state;
    unsigned need; /* reviews wanted in all so far */
    int level;     /* decided level index, -1 before */
    int passed;
    char *reason; /* owned decision sentence, "" before */
    int64_t created_ms, decided_ms, notified_ms;
    int64_t resubmit_after_ms; /* a failed one: the earliest resubmission */
};

/* Frees what |s| owns (not |s|); NULL is a no-op. */
void ac_submission_release(struct ac_submission *s);

/* Inserts |in| (id, decision fields and times other than created_ms are
 * ignored; state as given) and sets |*id|. Borrows |in|. Returns 0, AC_EBUG,
 * AC_ENOENT (no such earner or previous submission), AC_EIO or AC_EDB. */
int ac_store_submission_insert(struct ac_store *st, const struct ac_submission *in, int64_t *id);

/* Fills |*out| (release with ac_submission_release()). Returns 0, AC_ENOENT,
 * AC_ENOMEM or AC_EDB. */
int ac_store_submission_get(struct ac_store *st, int64_t id, struct ac_submission *out);

/* Lists submissions with id > |after_id| in id order, at most |max|: those of
 * |earner_id| (0: anyone), of |credential_id| (NULL: any), in |state| (-1:
 * any). Sets |*out| to an array of |*n| rows (release each, then free()).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_submission_list(struct ac_store *st, int64_t earner_id, const char *credential_id,
                             int state, int64_t after_id, size_t max, struct ac_submission **out,
                             size_t *n);

/* Sets the state of |id|. Returns 0, AC_EBUG, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_submission_set_state(struct ac_store *st, int64_t id, enum ac_sub_state state);

/* Sets the number of reviews |id| wants in all. Same returns. */
int ac_store_submission_set_need(struct ac_store *st, int64_t id, unsigned need);

/* Records the outcome of |id|: state decided, |level|, |passed|, |reason|
 * (borrowed), decided at |now_ms|, resubmission allowed from
 * |resubmit_after_ms| (0 for a pass). Same returns. */
int ac_store_submission_decide(struct ac_store *st, int64_t id, int level, int passed,
                               const char *reason, int64_t now_ms, int64_t resubmit_after_ms);

/* Marks |id| notified at |now_ms| when it is decided; otherwise changes
 * nothing. Returns 0, AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_submission_mark_notified(struct ac_store *st, int64_t id, int64_t now_ms);

/* Records that submission |id| cites artifact |hash| (64 hex digits).
 * Returns 0, AC_EBUG, AC_ENOENT (no such artifact), AC_EIO or AC_EDB. */
int ac_store_submission_cite(struct ac_store *st, int64_t id, const char *hash);

/* Sets |*count| to how many passed decisions |earner_id| holds for
 * |credential_id|. Returns 0 or AC_EDB. */
int ac_store_submission_passes(struct ac_store *st, int64_t earner_id, const char *credential_id,
                               int64_t *count);

/* Records that |record_id| (a row of the records table) was issued for
 * passed submission |id| at |now_ms|. Call it inside the transaction that
 * issues the record so both commit together. Returns 0, AC_EBUG (no
 * transaction open), AC_EEXIST (|id| already has a record, or the record
 * already belongs to another submission), AC_ENOENT (no such submission or
 * record), AC_EIO or AC_EDB. */
int ac_store_submission_record_set(struct ac_store *st, int64_t id, int64_t record_id,
                                   int64_t now_ms);

/* Sets |*record_id| to the record issued for submission |id|. Returns 0,
 * AC_ENOENT (none issued) or AC_EDB. */
int ac_store_submission_record_get(struct ac_store *st, int64_t id, int64_t *record_id);

/* ---- artifacts ---- */

#define AC_ARTIFACT_HASH_HEX 64

struct ac_artifact {
    char hash[AC_ARTIFACT_HASH_HEX + 1]; /* SHA-256, lowercase hex */
    int64_t size;
    char media_type[AC_SUB_NAME_MAX + 1];
    int64_t uploader_id;
    int64_t created_ms;
};

/* Records an artifact (in its own transaction: the file is already durable).
 * Recording a hash again changes nothing. Returns 0, AC_EINVAL (hash not 64
 * lowercase hex), AC_EIO or AC_EDB. */
int ac_store_artifact_put(struct ac_store *st, const struct ac_artifact *a);

/* Fills |*out|. Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_artifact_get(struct ac_store *st, const char *hash, struct ac_artifact *out);

/* Sets |*allowed| to 1 when |user_id| has a live right to read |hash|: it
 * uploaded it or submitted a submission citing it, or it holds an accepted
 * assignment, not yet scored or expired, of a submission citing it.
 * Returns 0 or AC_EDB. */
int ac_store_artifact_may_read(struct ac_store *st, const char *hash, int64_t user_id,
                               int *allowed);

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
 * |cool_off_ms| (0 when none). Returns 0 or AC_EDB. */
int ac_store_reviewer_load(struct ac_store *st, int64_t reviewer_id, int64_t cool_off_ms,
                           uint32_t *load, int *busy, int64_t *cool_until_ms);

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

/* ---- scheduled jobs ---- */

#define AC_JOB_KIND_MAX 32

struct ac_job {
    int64_t id;
    char kind[AC_JOB_KIND_MAX + 1]; /* "batch_timer", "deadline", "reminder", ... */
    int64_t ref;                    /* what it is about (a batch id, ...) */
    int64_t due_ms;
    int64_t done_ms;  /* 0 until handled */
    int64_t attempts; /* failed runs so far */
    int64_t retry_ms; /* after a failure: not run before this; else 0 */
};

/* Schedules |kind| about |ref| at |due_ms|; the same triple again changes
 * nothing (a job is stored once however often it is asked for). Returns 0,
 * AC_EBUG, AC_EINVAL (kind empty or too long), AC_EIO or AC_EDB. */
int ac_store_job_add(struct ac_store *st, const char *kind, int64_t ref, int64_t due_ms);

/* Lists up to |max| undone jobs due at or before |now_ms| (and, after a
 * failure, past their retry time), earliest first, into |out|; sets |*n|.
 * Returns 0 or AC_EDB. */
int ac_store_job_due(struct ac_store *st, int64_t now_ms, struct ac_job *out, size_t max,
                     size_t *n);

/* Sets |*due_ms| to the earliest undone job's due (or retry) time, or INT64_MAX when
 * there is none. Returns 0 or AC_EDB. */
int ac_store_job_next(struct ac_store *st, int64_t *due_ms);

/* Marks job |id| done at |now_ms|. Returns 0, AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_job_done(struct ac_store *st, int64_t id, int64_t now_ms);

/* Records a failed run of job |id| inside a transaction: its attempt count
 * becomes |attempts| and it is not due again before |retry_ms|. Returns 0,
 * AC_EBUG (no transaction), AC_EIO or AC_EDB. */
int ac_store_job_retry(struct ac_store *st, int64_t id, int64_t attempts, int64_t retry_ms);

/* ---- notification outbox ---- */

struct ac_notification {
    int64_t id;
    int64_t user_id;                /* the recipient */
    char kind[AC_JOB_KIND_MAX + 1]; /* "invitation", "reminder", "outcome", ... */
    int64_t submission_id;          /* what it is about, 0 when nothing */
    char *subject;                  /* owned */
    char *body;                     /* owned */
    int64_t created_ms, next_ms, delivered_ms;
    int attempts;
    char *last_error; /* owned, NULL when none */
};

void ac_notification_release(struct ac_notification *m);

/* Queues a notification (delivery is attempted from |now_ms|) and sets |*id|
 * when |id| is not NULL. Borrows the strings. Returns 0, AC_EBUG, AC_ENOENT
 * (no such user), AC_EIO or AC_EDB. */
int ac_store_notify_add(struct ac_store *st, int64_t user_id, const char *kind,
                        int64_t submission_id, const char *subject, const char *body,
                        int64_t now_ms, int64_t *id);

/* Lists up to |max| undelivered notifications due at |now_ms|, oldest first,
 * into a new array. Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_notify_due(struct ac_store *st, int64_t now_ms, size_t max,
                        struct ac_notification **out, size_t *n);

/* Lists the notifications of |user_id| (0: everyone), newest first, up to
 * |max|, into a new array. Same returns. */
int ac_store_notify_list(struct ac_store *st, int64_t user_id, size_t max,
                         struct ac_notification **out, size_t *n);

/* Marks |id| delivered at |now_ms| (in its own transaction, with an outcome's
 * submission marked notified). Returns 0, AC_EIO or AC_EDB. */
int ac_store_notify_delivered(struct ac_store *st, int64_t id, int64_t now_ms);

/* Records a failed attempt of |id| with |error| and the next try at
 * |next_ms| (own transaction). Returns 0, AC_EIO or AC_EDB. */
int ac_store_notify_failed(struct ac_store *st, int64_t id, const char *error, int64_t next_ms);

/* ---- flags (the issuer's inbox) ---- */

struct ac_flag {
    int64_t id;
    char kind[AC_JOB_KIND_MAX + 1]; /* "near_duplicate", "escalation", "reviewer_monitor" */
    char credential_id[AC_SUB_CRED_MAX + 1];
    int64_t submission_id; /* 0 when not about one */
    int64_t reviewer_id;   /* 0 when not about one */
    char *detail;          /* owned JSON text */
    int resolved;
    char *resolution; /* owned, "" while open */
    int64_t resolved_by, created_ms, resolved_ms;
};

void ac_flag_release(struct ac_flag *f);

/* Adds an open flag and sets |*id| (may be NULL). Borrows the strings.
 * Returns 0, AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_flag_add(struct ac_store *st, const char *kind, const char *credential_id,
                      int64_t submission_id, int64_t reviewer_id, const char *detail,
                      int64_t now_ms, int64_t *id);

int ac_store_flag_get(struct ac_store *st, int64_t id, struct ac_flag *out);

/* Lists flags that are open (|open_only|) or all, id > |after_id|, up to
 * |max|, into a new array. Same returns as the other lists. */
int ac_store_flag_list(struct ac_store *st, int open_only, int64_t after_id, size_t max,
                       struct ac_flag **out, size_t *n);

/* Resolves open flag |id| by |user_id| with |resolution| (borrowed).
 * Returns 0, AC_EBUG, AC_ENOENT, AC_ECONFLICT (already resolved), AC_EIO or AC_EDB. */
int ac_store_flag_resolve(struct ac_store *st, int64_t id, int64_t user_id, const char *resolution,
                          int64_t now_ms);

#endif
