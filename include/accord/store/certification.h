/* certification.h - a reviewer's certification attempts, the benchmark items
 * each reviewer has seen, and credentials held outside this node's records
 * (core/store/store_certification.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_CERTIFICATION_H
#define AC_STORE_CERTIFICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

/* ---- reviewers: certification attempts and exposure ---- */

/* Records that |user_id| finished an attempt: |attempts| made so far and the
 * earliest next attempt (0 for none). Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_reviewer_cert_attempted(struct ac_store *st, int64_t credential_id, int64_t user_id,
                                     int64_t attempts, int64_t next_attempt_ms, int64_t now_ms);

struct ac_cert_attempt_row {
    int64_t id, credential_id, user_id;
    char *items;   /* owned JSON array of benchmark item ids, in the order shown */
    char *answers; /* owned JSON, "" while open */
    char *result;  /* owned JSON, "" while open */
    int passed;    /* -1 while open, else 0 or 1 */
    int64_t started_ms, finished_ms;
};

/* Frees what |a| owns; NULL is a no-op. */
void ac_cert_attempt_row_release(struct ac_cert_attempt_row *a);

/* Opens an attempt showing |items| (JSON array text, copied) and marks each of
 * the |n| item ids seen by |user_id| with one more exposure, in one
 * transaction. Sets |*id|. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_cert_attempt_open(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               const char *items, const int64_t *item_ids, size_t n, int64_t now_ms,
                               int64_t *id);

/* Fills |*out| (release it) with attempt |id|. Returns 0, AC_ENOENT, AC_ENOMEM
 * or AC_EDB. */
int ac_store_cert_attempt_get(struct ac_store *st, int64_t id, struct ac_cert_attempt_row *out);

/* Closes open attempt |id| with |answers| and |result| (JSON texts, copied).
 * Returns 0, AC_ENOENT, AC_ECONFLICT (already closed), AC_EIO or AC_EDB. */
int ac_store_cert_attempt_close(struct ac_store *st, int64_t id, bool passed, const char *answers,
                                const char *result, int64_t now_ms);

/* Lists the attempts of |user_id| at |credential_id| oldest first, at most
 * |max|. Sets |*n|; the caller releases out[0..n). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_cert_attempt_list(struct ac_store *st, int64_t credential_id, int64_t user_id,
                               struct ac_cert_attempt_row *out, size_t max, size_t *n);

/* Marks benchmark item |item_id| seen by |user_id| (e.g. as a training
 * example); seeing it again changes nothing. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_seen_add(struct ac_store *st, int64_t user_id, int64_t item_id, int64_t now_ms);

/* Sets |*ids| to a malloc'd array (caller frees) of the items of
 * |credential_id| that |user_id| has seen and |*n| to its length.
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_seen_list(struct ac_store *st, int64_t user_id, int64_t credential_id, int64_t **ids,
                       size_t *n);

/* ---- credentials held outside this node's records ---- */

/* Registers that |user_id| holds credential |def_id| from |issuer| (may be
 * ""). Returns 0, AC_EINVAL (empty or too long), AC_EEXIST, AC_ENOENT (no such
 * user), AC_EIO or AC_EDB. */
int ac_store_held_add(struct ac_store *st, int64_t user_id, const char *def_id, const char *issuer,
                      int64_t registered_by, int64_t now_ms);

/* Sets |*holds|: is |user_id| known to hold |def_id|, either registered
 * with ac_store_held_add() or as a record this node issued to that account
 * (the earner stored beside the record) whose status is still valid?
 * Returns 0 or AC_EDB. */
int ac_store_held_check(struct ac_store *st, int64_t user_id, const char *def_id, bool *holds);

#endif
