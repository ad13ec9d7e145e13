/* credential.h - credential definitions, one row per version, with their
 * lifecycle state (enum ac_def_state, review/definition.h) and pilot settings
 * (core/store/store_credential.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_CREDENTIAL_H
#define AC_STORE_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/review/definition.h"

struct ac_store; /* store.h */

/* ---- credential definitions (one row per version) ---- */

#define AC_CREDENTIAL_ID_MAX 64
#define AC_PILOT_STATISTIC_MAX 23

struct ac_credential {
    int64_t id;                            /* row id; others reference this */
    char def_id[AC_CREDENTIAL_ID_MAX + 1]; /* the definition's "id" */
    int64_t version;
    char content_hash[AC_DEF_HASH_HEX_LEN + 1]; /* "sha256:..." of the definition */
    enum ac_def_state state;
    char *title;      /* owned */
    char *definition; /* owned: the definition JSON as stored */
    int64_t created_by;
    int64_t created_ms, updated_ms;
    int64_t activated_ms;     /* 0 until the version first turned active */
    bool activation_override; /* it turned active by the issuer's override */
    int64_t pilot_round;      /* 0 before any pilot; +1 each time piloting starts */
    char pilot_statistic[AC_PILOT_STATISTIC_MAX + 1]; /* "exact", "quadratic_kappa", ... */
    double pilot_threshold;
};

/* Frees what |c| owns and zeroes it; NULL is a no-op. */
void ac_credential_release(struct ac_credential *c);

/* Stores version |version| of definition |def_id| in state draft with its
 * JSON |definition|, |title| and |content_hash| (all borrowed, copied).
 * Sets |*id| to the new row id. Returns 0, AC_EINVAL (id or version out of
 * range), AC_EEXIST (that version exists), AC_ENOENT (no user |created_by|),
 * AC_EIO or AC_EDB. */
int ac_store_credential_create(struct ac_store *st, const char *def_id, int64_t version,
                               const char *title, const char *definition, const char *content_hash,
                               int64_t created_by, int64_t now_ms, int64_t *id);

/* Fills |*out| (release with ac_credential_release) with row |id|.
 * Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_credential_get(struct ac_store *st, int64_t id, struct ac_credential *out);

/* Like ac_store_credential_get for version |version| of |def_id|; version 0
 * means the highest. Returns 0, AC_ENOENT, AC_ENOMEM or AC_EDB. */
int ac_store_credential_find(struct ac_store *st, const char *def_id, int64_t version,
                             struct ac_credential *out);

/* Lists credentials with row id > |after_id| in id order, at most |max|, only
 * of |def_id| when it is not NULL. Sets |*n|; the caller releases out[0..n).
 * Returns 0, AC_ENOMEM or AC_EDB (nothing to release then). */
int ac_store_credential_list(struct ac_store *st, int64_t after_id, const char *def_id,
                             struct ac_credential *out, size_t max, size_t *n);

/* Replaces the definition of draft row |id| (a published version never
 * changes). Returns 0, AC_ENOENT, AC_ECONFLICT (not in draft), AC_EIO or AC_EDB. */
int ac_store_credential_update(struct ac_store *st, int64_t id, const char *title,
                               const char *definition, const char *content_hash, int64_t now_ms);

/* Moves row |id| from |from| to |to| (the caller checked the transition with
 * ac_def_transition_check and its evidence). Turning active records the time
 * and |override|. Returns 0, AC_ENOENT, AC_ECONFLICT (the state is no longer
 * |from|), AC_EIO or AC_EDB. */
int ac_store_credential_transition(struct ac_store *st, int64_t id, enum ac_def_state from,
                                   enum ac_def_state to, bool override, int64_t now_ms);

/* Starts a new pilot round of row |id| judged by |statistic| against
 * |threshold|; sets |*round| to its number. Returns 0, AC_EINVAL (statistic
 * too long), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_credential_pilot_round(struct ac_store *st, int64_t id, const char *statistic,
                                    double threshold, int64_t now_ms, int64_t *round);

/* The label of an item of a credential: a pilot submission (pilot.h) or a
 * benchmark item (benchmark.h). */
#define AC_ITEM_LABEL_MAX 128

#endif
