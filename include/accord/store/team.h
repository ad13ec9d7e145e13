/* team.h - teams of earners for collaborative credentials, each member's
 * confirmation, and appeals of decided submissions (core/store/store_team.c).
 * Writes are steps of the caller's transaction (ac_store_tx_begin(),
 * store.h); outside one they return AC_EBUG.
 * Not thread-safe: use from the loop thread. */
#ifndef AC_STORE_TEAM_H
#define AC_STORE_TEAM_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/submission.h"

struct ac_store; /* store.h */

#define AC_TEAM_MAX_MEMBERS 16

struct ac_team {
    int64_t id;
    char credential_id[AC_SUB_CRED_MAX + 1];
    char name[AC_SUB_NAME_MAX + 1];
    int64_t created_by, created_ms;
    size_t n_members;
    struct {
        int64_t user_id;
        int64_t confirmed_ms; /* 0 until that member confirmed */
    } members[AC_TEAM_MAX_MEMBERS];
};

/* Declares team |name| for |credential_id| by |created_by| (confirmed at
 * |now_ms|) with the other |n| |members| (unconfirmed) and sets |*id|.
 * Returns 0, AC_EBUG, AC_EEXIST (the name is taken for that credential),
 * AC_EINVAL (too many members), AC_EIO or AC_EDB. */
int ac_store_team_create(struct ac_store *st, const char *credential_id, const char *name,
                         int64_t created_by, const int64_t *members, size_t n, int64_t now_ms,
                         int64_t *id);

/* Records that member |user_id| of |team_id| confirmed at |now_ms| (a second
 * confirmation changes nothing). Returns 0, AC_EBUG, AC_ENOENT (not a
 * member), AC_EIO or AC_EDB. */
int ac_store_team_confirm(struct ac_store *st, int64_t team_id, int64_t user_id, int64_t now_ms);

/* Fills |*out| with team |id|, or with team |name| of |credential_id|.
 * Return 0, AC_ENOENT or AC_EDB. */
int ac_store_team_get(struct ac_store *st, int64_t id, struct ac_team *out);
int ac_store_team_find(struct ac_store *st, const char *credential_id, const char *name,
                       struct ac_team *out);

/* ---- appeals ---- */

enum ac_appeal_state {
    AC_APPEAL_OPEN,       /* stated by the earner; the issuer has not acted */
    AC_APPEAL_ASSIGNED,   /* sent to a master reviewer */
    AC_APPEAL_UPHELD,     /* the decision stands */
    AC_APPEAL_OVERTURNED, /* a new level was decided */
};

/* "open", "assigned", "upheld", "overturned"; NULL when out of range. */
const char *ac_appeal_state_name(enum ac_appeal_state s);

struct ac_appeal {
    int64_t id, submission_id, earner_id;
    char *reason; /* owned */
    enum ac_appeal_state state;
    int64_t master_id; /* 0 unless assigned */
    int level;         /* the level decided on appeal, -1 before or when upheld */
    char *note;        /* owned; the decider's explanation, "" before */
    int64_t decided_by, created_ms, decided_ms;
};

void ac_appeal_release(struct ac_appeal *a);

/* Opens an appeal of |submission_id| by |earner_id| with |reason| and sets
 * |*id|. Returns 0, AC_EBUG, AC_EEXIST (already appealed), AC_EIO or AC_EDB. */
int ac_store_appeal_create(struct ac_store *st, int64_t submission_id, int64_t earner_id,
                           const char *reason, int64_t now_ms, int64_t *id);

int ac_store_appeal_get(struct ac_store *st, int64_t id, struct ac_appeal *out);

/* Sends open appeal |id| to master |master_id|. Returns 0, AC_EBUG, AC_ENOENT
 * (no open appeal |id|), AC_EIO or AC_EDB. */
int ac_store_appeal_assign(struct ac_store *st, int64_t id, int64_t master_id);

/* Decides appeal |id| (open or assigned): |state| upheld or overturned with
 * |level| (-1 when upheld) and |note|, by |by| at |now_ms|. Returns 0, AC_EBUG,
 * AC_ENOENT (no undecided appeal |id|), AC_EIO or AC_EDB. */
int ac_store_appeal_decide(struct ac_store *st, int64_t id, enum ac_appeal_state state, int level,
                           const char *note, int64_t by, int64_t now_ms);

/* Lists appeals (all, or of |earner_id| when non-zero), newest last, into a
 * new array of |*n| (release each, then free()). Returns 0, AC_ENOMEM or AC_EDB. */
int ac_store_appeal_list(struct ac_store *st, int64_t earner_id, struct ac_appeal **out,
                         size_t *n);

#endif
