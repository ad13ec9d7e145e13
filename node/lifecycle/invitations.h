/* invitations.h - from earner to reviewer (seed Step 4; invitations.c): a
 * pass on this node whose credential qualifies its holder to review another
 * credential ("holds_credential" in that credential's reviewer
 * qualifications) invites the earner to review it, and the earner accepts by
 * taking the reviewer role beside the roles it has. */
#ifndef AC_NODE_LIFECYCLE_INVITATIONS_H
#define AC_NODE_LIFECYCLE_INVITATIONS_H

#include <jansson.h>

#include "accord/store/submission.h"
#include "accord/store/user.h"
#include "problem.h"

struct ac_node;

/* Inside the caller's transaction (the decision of passed |s|): notifies
 * its earner of every recruiting or active credential that |s|'s credential
 * qualifies them to review (kind "reviewer_invitation"), each audited.
 * Returns 0, AC_ENOMEM or a store error. */
int ac__invite_to_review(struct ac_node *n, const struct ac_submission *s);

/* Earner |actor| accepts: when a credential they passed on this node
 * qualifies them to review a recruiting or active credential, they are given
 * the reviewer role (kept with their others; audited "user" <id>
 * "reviewer_invitation_accepted"). Fills |*out| with the user as now stored
 * and sets |*can_review| to a new array of {"credential", "version",
 * "title"} they may apply to. Returns 0, AC_EACCES (not an earner),
 * AC_ECONFLICT (nothing they earned qualifies them), AC_ENOMEM or a store
 * error. */
int ac_reviewer_invitation_accept(struct ac_node *n, const struct ac_user *actor,
                                  struct ac_user *out, json_t **can_review,
                                  struct ac_reason *why);

#endif
