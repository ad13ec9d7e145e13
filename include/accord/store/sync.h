/* sync.h - making commits durable on a storage thread instead of the loop:
 * group commit for the store of store.h.
 *
 * While it runs, the loop's connection commits with synchronous=NORMAL and
 * never checkpoints: COMMIT hands the WAL frames to the OS and returns without
 * an fsync, so a commit survives the process being killed (kill -9) at once,
 * and power loss once ac_store_durable() has reached its number. One thread,
 * started here and owned by the store, fsyncs the WAL file for every commit
 * made before the fsync began (one fsync for many commits), then reports the
 * new durable number; it also runs the checkpoints, on its own connection
 * with synchronous=FULL, so the database file is on disk before SQLite may
 * reuse the WAL. docs/architecture.md ("Durability") says why this is safe.
 *
 * Callers that acknowledge a write to the outside (an HTTP answer, a message
 * to a peer, a notification) wait until ac_store_durable() reaches
 * ac_store_commits() as it was right after their commit. Reads never wait. */
#ifndef AC_STORE_SYNC_H
#define AC_STORE_SYNC_H

#include <stdint.h>

struct ac_store;

/* Called on the storage thread after the durable number advanced or the
 * storage thread failed (ac_store_sync_error()). It may only do what is safe
 * from another thread (e.g. uv_async_send()). */
typedef void (*ac_store_durable_cb)(void *arg);

/* Starts the storage thread of |st| (an on-disk store; one per store), which
 * calls |cb| with |arg| (borrowed until ac_store_sync_stop()). On PostgreSQL
 * it starts nothing and returns 0: a commit there is durable when COMMIT
 * returns, so ac_store_durable() never trails and |cb| is never called.
 * Returns 0,
 * AC_EINVAL (an in-memory store, or already started), AC_EIO (the WAL or a
 * second connection cannot be opened; logged) or AC_ENOMEM; on error |st|
 * keeps making commits durable inline. */
int ac_store_sync_start(struct ac_store *st, ac_store_durable_cb cb, void *arg);

/* Makes every commit so far durable, stops the thread (joining it: this
 * waits on the disk, so call it at shutdown) and returns |st| to inline
 * durability (synchronous=FULL). A no-op when not started. */
void ac_store_sync_stop(struct ac_store *st);

/* Returns 0, or the negative errno of the fsync that failed: after a failed
 * fsync the kernel may have dropped the pages it could not write, so nothing
 * committed since can be promised durable and the durable number stops. */
int ac_store_sync_error(const struct ac_store *st);

/* Returns how many fsyncs and checkpoints the storage thread has run (for
 * /metrics and tests); 0 when not started. */
uint64_t ac_store_sync_fsyncs(const struct ac_store *st);
uint64_t ac_store_sync_checkpoints(const struct ac_store *st);

#endif
