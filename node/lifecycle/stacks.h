/* stacks.h - stack credentials (stacks.c): the issuer declares a stack of
 * credentials; an earner who has earned every one of them on this node is
 * issued the stack credential, a record signed and logged like any other
 * (through the records issuing service, node/records/). */
#ifndef AC_NODE_LIFECYCLE_STACKS_H
#define AC_NODE_LIFECYCLE_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "accord/store/stack.h"
#include "accord/store/user.h"
#include "problem.h"

struct ac_node;

/* Admin |actor| declares stack |id| titled |title| of the |k| credential
 * definition ids |members| (2..AC_STACK_MEMBERS_MAX, each defined here),
 * worth |ceus| (0..1000), audited. Fills |*out| (release it). Returns 0,
 * AC_EACCES, AC_EINVAL (with the field), AC_ECONFLICT (the id is taken),
 * AC_ENOMEM or a store error. */
int ac_stack_declare(struct ac_node *n, const struct ac_user *actor, const char *id,
                     const char *title, const char *const *members, size_t k, double ceus,
                     struct ac_stack *out, struct ac_reason *why);

/* Inside the caller's transaction, after a record of |credential_id| was
 * issued to |earner_id|: issues the stack credential of every stack that
 * holds |credential_id| and whose every member |earner_id| has now earned
 * here (once per earner and stack), each audited and told to the earner.
 * Returns 0 or the error of the records service or the store. */
int ac__stacks_after_issue(struct ac_node *n, int64_t earner_id, const char *credential_id);

#endif
