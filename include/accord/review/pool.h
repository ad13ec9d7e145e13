/* pool.h - reviewer pool sizing and the activation check of a credential.
 * Pure functions, thread-safe. */
#ifndef AC_POOL_H
#define AC_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "accord/review/definition.h"

/* Minimum reviewers per the seed (Step 3B):
 *   ceil(submissions per period x reviews per submission
 *        / assignments per reviewer per period)
 * e.g. ceil(200 x 3 / 10) = 60. Rounded up: 61 x 3 / 10 = 18.3 needs 19
 * reviewers, since 18 would leave work over. Sets |*out|.
 * Returns 0, AC_EINVAL (assignments_per_reviewer == 0) or AC_ERANGE (overflow). */
int ac_pool_min_reviewers(uint64_t submissions_per_period, uint64_t reviews_per_submission,
                          uint64_t assignments_per_reviewer, uint64_t *out);

/* ac_pool_min_reviewers from the definition's pool estimates and
 * reviewers.per_submission. */
int ac_pool_min_reviewers_def(const struct ac_definition *def, uint64_t *out);

struct ac_pool_activation {
    bool activate;    /* the credential may turn active */
    uint64_t minimum; /* ac_pool_min_reviewers_def */
    uint64_t certified;
    char reason[160];
};

/* May |def| turn active with |certified| certified reviewers? Only from state
 * recruiting; yes when certified >= the minimum, or when the issuer
 * |override|s the minimum (the reason then says so). Sets |*out|.
 * Returns 0, AC_EINVAL or AC_ERANGE (from the minimum). */
int ac_pool_activation(const struct ac_definition *def, uint64_t certified, bool override,
                       struct ac_pool_activation *out);

#endif
