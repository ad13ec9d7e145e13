/* teams.h - collaborative work (teams.c): a team is declared by one member
 * naming the others, each of whom confirms; only a confirmed team's members
 * may submit under its name, and only then is their shared work not compared
 * with each other. The individual element is compared by the plagiarism
 * screen whatever the team. */
#ifndef AC_NODE_REVIEW_TEAMS_H
#define AC_NODE_REVIEW_TEAMS_H

#include <stddef.h>
#include <stdint.h>

#include "accord/review/definition.h"
#include "accord/review/neardup.h"
#include "accord/store/team.h"
#include "accord/store/user.h"
#include "problem.h"

struct ac_node;

/* Earner |actor| declares team |name| for active credential |credential|
 * (which must allow collaboration) with the |n| other earners |members|; each
 * is asked to confirm (a "team" notification), audited. Fills |*out|.
 * Returns 0, AC_EACCES, AC_EINVAL (with |why|: members, name, credential),
 * AC_EEXIST (CONFLICT: the name is taken), AC_ENOMEM or a store error. */
int ac_team_declare(struct ac_node *n, const struct ac_user *actor, const char *credential,
                    const char *name, const int64_t *members, size_t nmembers,
                    struct ac_team *out, struct ac_reason *why);

/* Member |actor| confirms team |team_id|. Fills |*out|. Returns 0, AC_ENOENT
 * (no such team, or not a member: as unknown), or a store error. */
int ac_team_confirm(struct ac_node *n, const struct ac_user *actor, int64_t team_id,
                    struct ac_team *out, struct ac_reason *why);

/* A submission by |earner_id| for |credential| naming team |name|: refused
 * (AC_EINVAL, field "team") unless that team was declared for |credential|,
 * |earner_id| is a member and every member confirmed. */
int ac__team_check_submission(struct ac_node *n, int64_t earner_id, const char *credential,
                              const char *name, struct ac_reason *why);

/* The plagiarism screen of the individual element: compares the individual
 * element of submission |sub| (|elements| JSON) with that element of every
 * other earner's |nprior| |prior| submissions, team or not. When that finds
 * a match, replaces |*res| (freed) with its result. Returns 0 or AC_ENOMEM. */
int ac__team_screen_individual(const struct ac_definition *def, const struct ac_submission *sub,
                               const struct ac_submission *prior, size_t nprior,
                               const struct ac_neardup_params *params,
                               struct ac_neardup_result **res);

#endif
