/* training.h - training modules: one per credential and the node's general
 * module (core/store/store_training.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_TRAINING_H
#define AC_STORE_TRAINING_H

#include <stddef.h>
#include <stdint.h>

struct ac_store; /* store.h */

/* ---- training modules ---- */

/* Stores |content| (JSON text, copied) as |credential_id|'s training module,
 * replacing any. Returns 0, AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_training_put(struct ac_store *st, int64_t credential_id, const char *content,
                          int64_t by, int64_t now_ms);

/* Sets |*content| to a malloc'd copy (caller frees) of the module and
 * |*generated_ms|. Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_training_get(struct ac_store *st, int64_t credential_id, char **content,
                          int64_t *generated_ms);

/* Stores |content| (JSON text) as the node's one general module.
 * Returns 0, AC_EIO or AC_EDB. */
int ac_store_general_put(struct ac_store *st, const char *content, int64_t by, int64_t now_ms);

/* Like ac_store_training_get for the general module. */
int ac_store_general_get(struct ac_store *st, char **content, int64_t *updated_ms);

#endif
