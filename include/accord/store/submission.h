/* submission.h - earners' submissions, in the states of
 * review/submission.h (core/store/store_submission.c).
 * Write functions here are steps of a unit of work: the caller opens a
 * transaction with ac_store_tx_begin() (store.h), makes every change one event
 * causes (the state change, its audit row, its outbox notification, its next
 * due job) and commits them together; a step called outside a transaction
 * returns AC_EBUG. Reads work either way.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_SUBMISSION_H
#define AC_STORE_SUBMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "accord/review/submission.h"

struct ac_store; /* store.h */

/* ---- submissions ---- */

#define AC_SUB_CRED_MAX 64
#define AC_SUB_NAME_MAX 128

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

/* Lists, oldest first, up to |max| passed submissions of |earner_id| that
 * have no record yet (its issue waited for a verified e-mail address) into
 * |ids|; sets |*n|. Returns 0 or AC_EDB. */
int ac_store_submissions_awaiting_record(struct ac_store *st, int64_t earner_id, int64_t *ids,
                                         size_t max, size_t *n);

#endif
