/* job.h - scheduled jobs: a kind, a reference and a due time, retried
 * until done (core/store/store_job.c).
 * Write functions here are steps of a unit of work: the caller opens a
 * transaction with ac_store_tx_begin() (store.h), makes every change one event
 * causes (the state change, its audit row, its outbox notification, its next
 * due job) and commits them together; a step called outside a transaction
 * returns AC_EBUG. Reads work either way.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_JOB_H
#define AC_STORE_JOB_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

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

/* Marks job |id| done at |now_ms|. Returns 0, AC_ENOENT (no such job, or
 * it is done already: a commit whose outcome was unknown went through;
 * nothing changed), AC_EBUG, AC_EIO or AC_EDB. */
int ac_store_job_done(struct ac_store *st, int64_t id, int64_t now_ms);

/* Records a failed run of job |id| inside a transaction: its attempt count
 * becomes |attempts| and it is not due again before |retry_ms|. Returns 0,
 * AC_ENOENT (no such job, or done already; nothing changed), AC_EBUG (no
 * transaction), AC_EIO or AC_EDB. */
int ac_store_job_retry(struct ac_store *st, int64_t id, int64_t attempts, int64_t retry_ms);

#endif
