/* pilot.h - pilot validation: pilot submissions of a credential and each
 * expert's score (core/store/store_pilot.c).
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_PILOT_H
#define AC_STORE_PILOT_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/credential.h"

struct ac_store; /* store.h */

/* ---- pilot validation ---- */
/* One expert's assignment of one pilot submission. */
struct ac_pilot_score {
    int64_t submission_id, credential_id, round;
    char label[AC_ITEM_LABEL_MAX + 1];
    char *content; /* owned */
    int64_t expert_id;
    int level; /* level index, -1 until scored */
    int64_t scored_ms;
};

/* Frees what |p| owns; NULL is a no-op. */
void ac_pilot_score_release(struct ac_pilot_score *p);

/* Adds pilot submission |label| (unique in the round) with |content| to round
 * |round| of |credential_id|, assigned to the |n| experts |experts|, in one
 * transaction. Sets |*id|. Returns 0, AC_EINVAL (empty or long label, no
 * expert), AC_EEXIST (label taken, or an expert twice), AC_ENOENT, AC_EIO or AC_EDB. */
int ac_store_pilot_add(struct ac_store *st, int64_t credential_id, int64_t round, const char *label,
                       const char *content, const int64_t *experts, size_t n, int64_t now_ms,
                       int64_t *id);

/* Fills |*out| (release it) with |expert_id|'s assignment of |submission_id|.
 * Returns 0, AC_ENOENT (not assigned to that expert), AC_ENOMEM or AC_EDB. */
int ac_store_pilot_get(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                       struct ac_pilot_score *out);

/* Lists assignments with submission id > |after|, in submission then expert
 * order, at most |max|: |expert_id|'s own when it is non-zero, else all of
 * round |round| of |credential_id|. Sets |*n|; the caller releases out[0..n).
 * Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_pilot_list(struct ac_store *st, int64_t expert_id, int64_t credential_id,
                        int64_t round, int64_t after, struct ac_pilot_score *out, size_t max,
                        size_t *n);

/* Records |expert_id|'s |level| for |submission_id|. Returns 0, AC_ENOENT (not
 * assigned), AC_ECONFLICT (already scored: scores are final), AC_EIO or AC_EDB. */
int ac_store_pilot_score(struct ac_store *st, int64_t submission_id, int64_t expert_id, int level,
                         int64_t now_ms);

/* Stores the JSON text |detail| (notes and per-element levels) beside
 * |expert_id|'s score of |submission_id| (core/store/store_pilot_notes.c).
 * Written once, with the score: returns 0, AC_EEXIST (already written),
 * AC_ENOENT (not assigned), AC_EIO or AC_EDB. */
int ac_store_pilot_notes_set(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                             const char *detail);

/* Sets |*out| to a malloc'd copy (the caller frees it) of the detail stored
 * beside |expert_id|'s score of |submission_id|. Returns 0, AC_ENOENT (none),
 * AC_ENOMEM or AC_EDB. */
int ac_store_pilot_notes_get(struct ac_store *st, int64_t submission_id, int64_t expert_id,
                             char **out);

#endif
