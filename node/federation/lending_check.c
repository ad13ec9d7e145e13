/* lending_check.c - the check every lend passes (ac__lending_check in
 * lending.h): the lender's policy for that peer and credential, applied rule
 * by rule, each refusal naming its rule and, where the rule itself says, when
 * the reviewer may be lent again (the end of a blackout, the next month for
 * the monthly cap). The lowest layer of the lending files: it calls none of
 * them. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/assignment.h"
#include "accord/store/lending.h"
#include "accord/store/remote.h"
#include "accord/store/user.h"
#include "internal.h"
#include "lending.h"

#define DAY_MS (24LL * 3600 * 1000)

/* Writes the UTC date of |ms| as "YYYY-MM-DD" into |out|. */
static void date_of(int64_t ms, char out[11])
{
    char t[21];
    ac_clock_format(ms, t);
    memcpy(out, t, 10);
    out[10] = '\0';
}

static int has_reviewer(const struct ac_lending_policy *p, int64_t user)
{
    if (p->all_reviewers)
        return 1;
    /* Ascending, so a binary search. */
    size_t lo = 0, hi = p->n_reviewers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->reviewers[mid] == user)
            return 1;
        if (p->reviewers[mid] < user)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The first millisecond of the calendar month (UTC) after the one of |ms|. */
static int64_t next_month(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mon += 1; /* timegm carries December into January */
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) * 1000;
}

/* The end of the blackout |i| of |p|, carried through the blackouts that
 * start before it ends (ranges may touch or overlap). */
static int64_t blackout_end(const struct ac_lending_policy *p, size_t i)
{
    int64_t end = p->blackouts[i].until_ms;
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t k = 0; k < p->n_blackouts; k++)
            if (end >= p->blackouts[k].from_ms && end < p->blackouts[k].until_ms) {
                end = p->blackouts[k].until_ms;
                moved = 1;
            }
    }
    return end;
}

int ac__lending_check(struct ac_node *n, const char *issuer_node, const char *credential_id,
                      int64_t reviewer_user, int64_t reviews_this_month, int64_t now_ms,
                      struct ac_reason *why)
{
    return ac__lending_check_until(n, issuer_node, credential_id, reviewer_user,
                                   reviews_this_month, now_ms, why, NULL);
}

int ac__lending_check_until(struct ac_node *n, const char *issuer_node, const char *credential_id,
                            int64_t reviewer_user, int64_t reviews_this_month, int64_t now_ms,
                            struct ac_reason *why, int64_t *again_ms)
{
    int64_t again_unused;
    if (!again_ms)
        again_ms = &again_unused;
    *again_ms = 0;
    struct ac_lending_policy p;
    int err = ac_store_lending_get(n->store, issuer_node, credential_id, &p);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_LENDING_REFUSED, "credential",
                              "no policy: this node lends no reviewers to %s for %s", issuer_node,
                              credential_id);
    if (err)
        return err;
    if (!has_reviewer(&p, reviewer_user))
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_LENDING_REFUSED, "reviewers",
                              "not listed: reviewer %lld is not among those lent to %s for %s",
                              (long long)reviewer_user, issuer_node, credential_id);
    if (p.all_reviewers) {
        /* "all" means this node's own reviewers: a stand-in for another
         * node's reviewer, or a user without the role, is not ours to lend. */
        struct ac_user u;
        struct ac_remote_reviewer rr;
        err = ac_store_user_get(n->store, reviewer_user, &u);
        if (err && err != AC_ENOENT)
            return err;
        int ours = !err && (u.roles & AC_ROLE_REVIEWER) && !u.disabled_ms;
        if (ours && (err = ac_store_remote_reviewer_get(n->store, reviewer_user, &rr)) == 0)
            ours = 0;
        else if (err && err != AC_ENOENT)
            return err;
        if (!ours)
            return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_LENDING_REFUSED, "reviewers",
                                  "not listed: user %lld is not a reviewer of this node",
                                  (long long)reviewer_user);
    }
    if (p.own_first) {
        uint32_t load = 0;
        int busy = 0;
        int64_t cool_until = 0;
        err = ac_store_reviewer_load(n->store, reviewer_user, 0, &load, &busy, &cool_until);
        if (err)
            return err;
        if (load > 0)
            return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_LENDING_REFUSED, "own_first",
                                  "own queue first: reviewer %lld holds %u open assignment%s "
                                  "here",
                                  (long long)reviewer_user, load, load == 1 ? "" : "s");
    }
    for (size_t i = 0; i < p.n_blackouts; i++)
        if (now_ms >= p.blackouts[i].from_ms && now_ms < p.blackouts[i].until_ms) {
            char until[11];
            /* The range ends at the start of the day after its last day. */
            *again_ms = blackout_end(&p, i);
            date_of(*again_ms - DAY_MS, until);
            return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_LENDING_REFUSED, "blackouts",
                                  "blackout until %s: nobody is lent to %s then", until,
                                  issuer_node);
        }
    if (reviews_this_month >= (int64_t)p.monthly_cap) {
        *again_ms = next_month(now_ms);
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_LENDING_REFUSED, "monthly_cap",
                              "monthly cap %u reached: reviewer %lld has %lld review%s for %s "
                              "this month",
                              p.monthly_cap, (long long)reviewer_user,
                              (long long)reviews_this_month, reviews_this_month == 1 ? "" : "s",
                              issuer_node);
    }
    return 0;
}
