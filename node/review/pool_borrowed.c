/* pool_borrowed.c - when the assignment pass may give work to borrowed
 * reviewers (stand-ins for reviewers of lender nodes): with the borrowing
 * mode "above_capacity" (the default) own reviewers come first and
 * stand-ins are held back while the reviews wanted fit in what own
 * reviewers can still take; with "always" they are candidates like any
 * reviewer. Holding back is marking them unavailable for this pass only, so
 * the solver, its constraints and its load spreading stay as they are. */
#include <stdlib.h>

#include "accord/base/error.h"
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

int ac__borrow_gate(struct ac_node *n, const char *def_id, const struct ac_assign_submission *ps,
                    size_t np, struct ac_assign_reviewer *pr, size_t nr)
{
    enum ac_borrowing_mode mode;
    int err = ac_store_borrowing_get(n->store, def_id, &mode, NULL);
    if (err || mode == AC_BORROW_ALWAYS || nr == 0)
        return err;
    bool *borrowed = calloc(nr, sizeof *borrowed);
    if (!borrowed)
        return AC_ENOMEM;
    size_t nb = 0;
    for (size_t i = 0; !err && i < nr; i++) {
        struct ac_remote_reviewer rr;
        err = ac_store_remote_reviewer_get(n->store, (int64_t)pr[i].id, &rr);
        borrowed[i] = err == 0;
        nb += borrowed[i];
        if (err == AC_ENOENT)
            err = 0;
    }
    uint64_t backlog = 0;
    for (size_t q = 0; q < np; q++)
        backlog += ps[q].need;
    if (!err && nb)
        ac__borrow_hold_back(pr, nr, borrowed, backlog, mode);
    free(borrowed);
    return err;
}
