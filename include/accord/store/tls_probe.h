/* tls_probe.h - the PostgreSQL engine over TLS: how it learns that the TLS
 * layer under libpq holds bytes libpq has not read yet (decrypted, left
 * over from a record larger than libpq's free buffer space), which the
 * socket's readiness does not show. core/store links no TLS library (the
 * arrows, tools/check_arrows.py), so whoever may (the node, with net/'s
 * ac_tls_pending(), net/tls_pending.h) registers the probe at start.
 *
 * With a probe, the engine waits for every answer on the socket itself,
 * through ac_fiber_wait_fd(): on a fiber (a write handler) the wait yields
 * to the loop, over TLS as without. Without one, over TLS libpq waits for
 * each answer itself, and the engine logs that once on a fiber, where it
 * holds the loop (docs/ha.md). */
#ifndef AC_STORE_TLS_PROBE_H
#define AC_STORE_TLS_PROBE_H

/* Returns how many bytes the OpenSSL connection |ssl| (an SSL *, borrowed)
 * holds decrypted for its reader; 0 for none. Called on any thread that
 * uses a PostgreSQL store. */
typedef int (*ac_store_tls_pending_fn)(void *ssl);

/* Registers |fn| for every PostgreSQL connection of the process (NULL:
 * none). Call it at start, before any store is opened, so that every wait
 * uses it; the pointer is atomic (relaxed), read by every thread that runs
 * statements, so a later call is safe too, taking effect at each
 * connection's next wait. */
void ac_store_set_tls_pending(ac_store_tls_pending_fn fn);

#endif
