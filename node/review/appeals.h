/* appeals.h - an earner contests a decision (appeals.c): within the window
 * the issuer set (review.appeal_window_days) the earner states a reason; the
 * issuer sends it to a certified reviewer of the credential who did not
 * review the submission, or decides it; the outcome (upheld, or a new level)
 * is recorded, told to the earner and audited. */
#ifndef AC_NODE_REVIEW_APPEALS_H
#define AC_NODE_REVIEW_APPEALS_H

#include <stdint.h>

#include "accord/store/team.h"
#include "accord/store/user.h"
#include "problem.h"

struct ac_node;

#define AC_APPEAL_REASON_MAX 4000

/* Earner |actor| appeals their decided submission |sub_id| with |reason|.
 * Fills |*out| (release it). Returns 0, AC_EACCES, AC_ENOENT (not theirs),
 * AC_EINVAL (reason), AC_ECONFLICT (not decided, the credential takes no
 * appeals, the window closed, already appealed), or a store error. */
int ac_appeal_open(struct ac_node *n, const struct ac_user *actor, int64_t sub_id,
                   const char *reason, struct ac_appeal *out, struct ac_reason *why);

/* The issuer |actor| sends open appeal |id| to |master_id|, a certified
 * reviewer of the credential who did not review the submission (notified).
 * Returns 0, AC_EACCES, AC_ENOENT, AC_EINVAL (master_id), AC_ECONFLICT, or a
 * store error. */
int ac_appeal_assign(struct ac_node *n, const struct ac_user *actor, int64_t id,
                     int64_t master_id, struct ac_appeal *out, struct ac_reason *why);

/* Decides appeal |id|: by the issuer (admin), or by the master it was sent
 * to. |level| NULL upholds the decision; a level name of the scale other
 * than the decided one overturns it and records that outcome for the
 * submission (a new record is issued when it now passes). A pass cannot be
 * turned into a fail here (that is a revocation). Returns 0, AC_EACCES,
 * AC_ENOENT, AC_EINVAL (level), AC_ECONFLICT, or a store error. */
int ac_appeal_decide(struct ac_node *n, const struct ac_user *actor, int64_t id,
                     const char *level, const char *note, struct ac_appeal *out,
                     struct ac_reason *why);

#endif
