/* pool_borrowed.c - when the assignment pass may give work to borrowed
 * reviewers (stand-ins for reviewers of lender nodes): with the borrowing
 * mode "above_capacity" (the default) own reviewers come first and
 * stand-ins are held back while the reviews wanted fit in what own
 * reviewers can still take (their spare slots, confirmed by a trial run of
 * the pass without the stand-ins that leaves no submission short); with
 * "always" they are candidates like any reviewer. Holding back is marking them unavailable for this
 * pass only, so the solver, its constraints and its load spreading stay as they are. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/review/assign.h"
#include "accord/store/remote.h"
#include "review/review.h"

size_t ac__borrow_hold_back(struct ac_assign_reviewer *pr, size_t nr, const bool *borrowed,
                            uint64_t backlog, enum ac_borrowing_mode mode)
{
    if (mode == AC_BORROW_ALWAYS)
        return 0;
    uint64_t own_spare = 0;
    for (size_t i = 0; i < nr; i++)
        if (!borrowed[i] && pr[i].available && pr[i].cap > pr[i].load)
            own_spare += pr[i].cap - pr[i].load;
    if (backlog > own_spare)
        return 0;
    size_t held = 0;
    for (size_t i = 0; i < nr; i++)
        if (borrowed[i] && pr[i].available) {
            pr[i].available = false;
            held++;
        }
    return held;
}

int ac__borrow_gate(struct ac_node *n, const char *def_id, const struct ac_assign_problem *p,
                    struct ac_assign_reviewer *pr)
{
    size_t nr = p->n_reviewers;
    enum ac_borrowing_mode mode;
    int err = ac_store_borrowing_get(n->store, def_id, &mode, NULL);
    if (err || mode == AC_BORROW_ALWAYS || nr == 0 || p->n_submissions == 0)
        return err;
    bool *borrowed = calloc(nr, sizeof *borrowed), *was = calloc(nr, sizeof *was);
    if (!borrowed || !was) {
        free(borrowed);
        free(was);
        return AC_ENOMEM;
    }
    size_t nb = 0;
    for (size_t i = 0; !err && i < nr; i++) {
        struct ac_remote_reviewer rr;
        err = ac_store_remote_reviewer_get(n->store, (int64_t)pr[i].id, &rr);
        borrowed[i] = err == 0;
        was[i] = pr[i].available;
        nb += borrowed[i];
        if (err == AC_ENOENT)
            err = 0;
    }
    uint64_t backlog = 0;
    for (size_t q = 0; q < p->n_submissions; q++)
        backlog += p->submissions[q].need;
    if (!err && nb && ac__borrow_hold_back(pr, nr, borrowed, backlog, mode)) {
        /* Slots are not the whole of capacity: a submission needs distinct
         * reviewers free of conflicts. A trial run without the borrowed
         * says whether own reviewers really take everything; if not, the
         * borrowed are candidates after all. */
        struct ac_assign_result *trial = NULL;
        err = ac_assign_run(p, &trial);
        if (!err && trial->n_unassigned > 0)
            for (size_t i = 0; i < nr; i++)
                if (borrowed[i])
                    pr[i].available = was[i];
        ac_assign_result_free(trial);
    }
    free(borrowed);
    free(was);
    return err;
}
