/* authgen.h - the auth generation: one stored counter that every change to
 * who a bearer token stands for moves forward, so that processes sharing one
 * database can tell when their in-memory token caches are stale.
 *
 * Triggers (migration 16) bump it in the same transaction as the change:
 * a user's roles or disabled_ms updated, a token's revoked_ms updated, a
 * user or token deleted. A writer cannot forget it, whichever process or
 * service writes. A new table that decides what a token may do (roles kept
 * as rows, say) needs its own trigger doing the same.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_AUTHGEN_H
#define AC_STORE_AUTHGEN_H

#include <stdint.h>

struct ac_store; /* store.h */

/* Sets |*out| to the current auth generation (0 in a new database, then
 * only growing). Returns 0 or AC_EDB. */
int ac_store_authgen_get(struct ac_store *st, int64_t *out);

#endif
