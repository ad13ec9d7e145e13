/* status.h - status entries of issued records (valid, revoked, suspended)
 * and their history (core/store/store_status.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_STATUS_H
#define AC_STORE_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

#define AC_STORE_REASON_MAX 200

/* One status entry (states are the Token Status List values of status.h). */
struct ac_store_status {
    uint64_t idx;
    int64_t record_id;
    int state;
    char reason[AC_STORE_REASON_MAX + 1];
    int64_t changed_ms;
};

/* Fills |*out| with the status entry of record |record_id|.
 * Returns 0, AC_ENOENT or AC_EDB. */
int ac_store_status_get(struct ac_store *st, int64_t record_id, struct ac_store_status *out);

/* Calls |cb| with every status entry (to rebuild the status list at start-up);
 * stops early and returns what |cb| returned when non-zero. Returns 0, that
 * code, or AC_EDB. */
int ac_store_status_each(struct ac_store *st, int (*cb)(void *ctx, const struct ac_store_status *e),
                         void *ctx);

/* Sets the state of entry |idx| to |state| with |reason| (1 to
 * AC_STORE_REASON_MAX bytes) by user |by_user| at |now_ms|, and records the
 * change in the history, in one transaction. The caller has checked that the
 * transition is allowed. Returns 0, AC_EINVAL (reason empty or too long, or a
 * bad state), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_status_set(struct ac_store *st, uint64_t idx, int state, const char *reason,
                        int64_t by_user, int64_t now_ms);

/* Sets |*version| to a number that grows with every status change stored
 * (the newest history row; 0 before any), so a process sharing the database
 * can tell that another one changed a status. Returns 0 or AC_EDB/AC_EIO. */
int ac_store_status_version(struct ac_store *st, int64_t *version);

#endif
