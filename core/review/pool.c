/* pool.c - reviewer pool sizing and the activation check of a credential. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/review/pool.h"

int ac_pool_min_reviewers(uint64_t submissions_per_period, uint64_t reviews_per_submission,
                          uint64_t assignments_per_reviewer, uint64_t *out)
{
    if (assignments_per_reviewer == 0)
        return AC_EINVAL;
    if (reviews_per_submission && submissions_per_period > UINT64_MAX / reviews_per_submission)
        return AC_ERANGE;
    uint64_t work = submissions_per_period * reviews_per_submission;
    /* Ceiling without the overflow of (work + a - 1). */
    *out = work / assignments_per_reviewer + (work % assignments_per_reviewer != 0);
    return 0;
}

int ac_pool_min_reviewers_def(const struct ac_definition *def, uint64_t *out)
{
    return ac_pool_min_reviewers(def->pool.submissions_per_period, def->per_submission,
                                 def->pool.assignments_per_reviewer, out);
}

int ac_pool_activation(const struct ac_definition *def, uint64_t certified, bool override,
                       struct ac_pool_activation *out)
{
    struct ac_pool_activation a;
    memset(&a, 0, sizeof(a));
    int r = ac_pool_min_reviewers_def(def, &a.minimum);
    if (r)
        return r;
    a.certified = certified;
    if (def->state != AC_DEF_RECRUITING) {
        const char *s = ac_def_state_name(def->state);
        snprintf(a.reason, sizeof(a.reason),
                 "state \"%s\"; only a recruiting credential can turn active", s ? s : "?");
    } else if (certified >= a.minimum) {
        a.activate = true;
        snprintf(a.reason, sizeof(a.reason),
                 "%" PRIu64 " certified reviewers meet the minimum of %" PRIu64, certified,
                 a.minimum);
    } else if (override) {
        a.activate = true;
        snprintf(a.reason, sizeof(a.reason),
                 "issuer override: %" PRIu64 " certified reviewers, below the minimum of %" PRIu64,
                 certified, a.minimum);
    } else {
        snprintf(a.reason, sizeof(a.reason),
                 "%" PRIu64 " certified reviewers; the minimum is %" PRIu64 " (%" PRIu64
                 " more needed)",
                 certified, a.minimum, a.minimum - certified);
    }
    *out = a;
    return 0;
}
