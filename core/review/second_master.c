/* second_master.c - blind duplicate checks for master-mode credentials: at the
 * issuer's rate, a submission already given to one master also goes to a second. */
#include "accord/review/assign.h"

#include <stdlib.h>

#include "accord/base/error.h"

static double rate_of(const struct ac_assign_problem *p, uint32_t credential)
{
    for (size_t i = 0; i < p->n_credentials; i++)
        if (p->credentials[i].id == credential)
            return p->credentials[i].second_master_rate;
    return 0;
}

/* Whether |r| already appears among the |n| assignments starting at |a|. */
static bool among(const struct ac_assignment *a, size_t n, size_t r)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].reviewer == r)
            return true;
    return false;
}

int ac_assign_second_master(const struct ac_assign_problem *p, struct ac_assign_result *r,
                            struct ac_assign_rng *rng)
{
    /* Assignments are grouped by submission; the duplicates go after all of them, so
     * the ranges below stay valid while the array grows. */
    size_t n0 = r->n_assignments, want = 0;
    size_t *first = malloc((p->n_submissions + 1) * sizeof(*first));
    size_t *count = calloc(p->n_submissions + 1, sizeof(*count));
    if (!first || !count) {
        free(first);
        free(count);
        return AC_ENOMEM;
    }
    for (size_t i = n0; i-- > 0;) {
        first[r->assignments[i].submission] = i;
        count[r->assignments[i].submission]++;
    }
    /* Draw first, so the sequence of draws does not depend on who is free. */
    bool *chosen = calloc(p->n_submissions + 1, sizeof(*chosen));
    if (!chosen) {
        free(first);
        free(count);
        return AC_ENOMEM;
    }
    for (size_t s = 0; s < p->n_submissions; s++) {
        double rate = rate_of(p, p->submissions[s].credential);
        if (count[s] && rate > 0 && ac_assign_rng_chance(rng, rate)) {
            chosen[s] = true;
            want++;
        }
    }
    struct ac_assignment *grown = realloc(r->assignments, (n0 + want + 1) * sizeof(*grown));
    if (!grown) {
        free(first);
        free(count);
        free(chosen);
        return AC_ENOMEM;
    }
    r->assignments = grown;
    for (size_t s = 0; s < p->n_submissions; s++) {
        if (!chosen[s])
            continue;
        size_t best = SIZE_MAX;
        uint32_t best_load = UINT32_MAX;
        for (size_t v = 0; v < p->n_reviewers; v++) {
            const struct ac_assign_reviewer *rv = &p->reviewers[v];
            uint32_t total = rv->load + r->added[v];
            if (total >= rv->cap || total >= best_load || !ac_assign_allowed(p, s, v) ||
                among(&r->assignments[first[s]], count[s], v))
                continue;
            best = v;
            best_load = total;
        }
        if (best == SIZE_MAX) {
            r->n_second_master_skipped++;
            continue;
        }
        r->assignments[r->n_assignments++] =
            (struct ac_assignment){.submission = s, .reviewer = best, .second_master = true};
        r->added[best]++;
    }
    r->load_spread = ac_assign_spread(p, r);
    free(first);
    free(count);
    free(r->second_master_drawn);
    r->second_master_drawn = chosen;
    return 0;
}
