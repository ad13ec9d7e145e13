/* suspend.h - an issuer's admin takes a certified reviewer out of a
 * credential's pool by hand (node/lifecycle/suspend.c): suspended (state
 * unavailable, until reinstated) or decertified (state retraining: the
 * training module and a fresh certification draw again). Reinstatement is
 * ac_reviewer_reinstate() (lifecycle.h). A stand-in's home node is told with
 * a signed cert.state instead of a local notification. */
#ifndef AC_NODE_LIFECYCLE_SUSPEND_H
#define AC_NODE_LIFECYCLE_SUSPEND_H

#include <stdbool.h>
#include <stdint.h>

#include "lifecycle.h"

/* Admin |actor| takes certified reviewer |user| of |ref| out of its pool:
 * |decertify| sends them to retraining (their attempt count starts again),
 * else they are suspended (unavailable); |reason| (borrowed, required, at
 * most 500 bytes) is told to them and audited. Work already offered stays;
 * nothing new is. Fills |*out| and |*rc| (release both). Returns 0,
 * AC_EACCES, AC_ENOENT, AC_EINVAL (reason), AC_ECONFLICT (not certified, or
 * changed meanwhile) or a store error, with |why| filled. */
int ac_reviewer_suspend(struct ac_node *n, const struct ac_user *actor, const char *ref,
                        int64_t user, bool decertify, const char *reason, struct ac__cred *out,
                        struct ac_reviewer_cert *rc, struct ac_reason *why);

/* Routes (node/http/api_suspend.c). */
void ac__api_suspend_register(struct ac_node *n);

#endif
