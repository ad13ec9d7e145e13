/* keys.h - the signing keys' hand-over statements (core/store/store_keys.c):
 * what each retired key signed at its rotation (records/keyhistory.h).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_KEYS_H
#define AC_STORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

/* Stores the hand-over |statement| (|len| bytes) of the outgoing key |kid|
 * (hex) at |at_ms|; a second one for the same key is refused. Returns 0,
 * AC_EEXIST or AC_EDB. */
int ac_store_key_handover_put(struct ac_store *st, const char *kid, int64_t at_ms,
                              const uint8_t *statement, size_t len);

/* Calls |cb| with each stored hand-over, oldest first; stops early and
 * returns what |cb| returned when non-zero. Returns 0, that code or AC_EDB. */
int ac_store_key_handovers(struct ac_store *st,
                           int (*cb)(void *ctx, const uint8_t *statement, size_t len), void *ctx);

#endif
