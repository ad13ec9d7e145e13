/* flag.h - flags: the issuer's inbox of things to look at
 * (core/store/store_flag.c).
 * Write functions here are steps of a unit of work: the caller opens a
 * transaction with ac_store_tx_begin() (store.h), makes every change one event
 * causes (the state change, its audit row, its outbox notification, its next
 * due job) and commits them together; a step called outside a transaction
 * returns AC_EBUG. Reads work either way.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_FLAG_H
#define AC_STORE_FLAG_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/job.h"
#include "accord/store/submission.h"

struct ac_store; /* store.h */

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
