/* notify.h - the notification outbox (core/store/store_notify.c).
 * Write functions here are steps of a unit of work: the caller opens a
 * transaction with ac_store_tx_begin() (store.h), makes every change one event
 * causes (the state change, its audit row, its outbox notification, its next
 * due job) and commits them together; a step called outside a transaction
 * returns AC_EBUG. Reads work either way.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_NOTIFY_H
#define AC_STORE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/job.h"

struct ac_store; /* store.h */

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

#endif
