/* monitor.c - reviewer monitoring and per-credential discrepancy rates (see
 * include/accord/monitor.h). */
#include "accord/review/monitor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"

struct order {
    const struct ac_monitor_review *rv;
    size_t idx; /* input position: breaks ties in seq so the order is stable */
};

static int by_reviewer_then_time(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->rv->reviewer != y->rv->reviewer)
        return x->rv->reviewer < y->rv->reviewer ? -1 : 1;
    if (x->rv->seq != y->rv->seq)
        return x->rv->seq < y->rv->seq ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_credential(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->rv->credential != y->rv->credential)
        return x->rv->credential < y->rv->credential ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The level a review is judged against: benchmark truth first, since it was
 * settled by experts; then consensus. -1 when neither exists. */
static int reference(const struct ac_monitor_review *rv)
{
    return rv->benchmark >= 0 ? rv->benchmark : rv->consensus;
}

const char *ac_monitor_action_name(enum ac_monitor_action_kind kind)
{
    switch (kind) {
    case AC_MONITOR_NOTIFY_ISSUER:
        return "notify_issuer";
    case AC_MONITOR_SET_UNAVAILABLE:
        return "set_unavailable";
    case AC_MONITOR_REQUIRE_RETRAINING:
        return "require_retraining";
    }
    return "unknown";
}

void ac_monitor_report_free(struct ac_monitor_report *r)
{
    if (!r)
        return;
    free(r->reviewers);
    free(r->credentials);
    free(r->actions);
    free(r);
}

/* Fills one reviewer's figures from its reviews |o[0..n)|, in time order. */
static void reviewer_stats(const struct order *o, size_t n, const struct ac_monitor_thresholds *t,
                           struct ac_monitor_reviewer *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->reviewer = o[0].rv->reviewer;
    double dev = 0.0;
    for (size_t i = 0; i < n; i++) {
        const struct ac_monitor_review *rv = o[i].rv;
        int ref = reference(rv);
        if (ref < 0)
            continue;
        rs->reviews++;
        dev += rv->level - ref;
        if (rv->consensus >= 0) {
            rs->consensus_n++;
            rs->consensus_agree += rv->level == rv->consensus;
        }
        if (rv->benchmark >= 0) {
            rs->benchmark_n++;
            rs->benchmark_agree += rv->level == rv->benchmark;
        }
    }
    if (rs->reviews)
        rs->mean_deviation = dev / (double)rs->reviews;
    rs->judged = rs->reviews > 0 && rs->reviews >= t->min_sample;
    if (!rs->judged || t->trend_window == 0 || rs->reviews < 2 * (size_t)t->trend_window)
        return;
    /* Agreement with the reference before and within the latest window. */
    size_t seen = 0, before = rs->reviews - t->trend_window;
    size_t agree_before = 0, agree_recent = 0;
    for (size_t i = 0; i < n; i++) {
        int ref = reference(o[i].rv);
        if (ref < 0)
            continue;
        int agree = o[i].rv->level == ref;
        if (seen++ < before)
            agree_before += (size_t)agree;
        else
            agree_recent += (size_t)agree;
    }
    rs->trend_valid = 1;
    rs->trend_drop =
        (double)agree_before / (double)before - (double)agree_recent / (double)t->trend_window;
}

static void append_reason(char *buf, size_t cap, const char *fmt, double a, double b, double c)
{
    size_t used = strlen(buf);
    if (used && used + 2 < cap) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    if (used < cap)
        snprintf(buf + used, cap - used, fmt, a, b, c);
}

static void add_action(struct ac_monitor_report *r, enum ac_monitor_action_kind kind,
                       int about_credential, uint32_t reviewer, uint32_t credential,
                       const char *reason)
{
    struct ac_monitor_action *a = &r->actions[r->n_actions++];
    a->kind = kind;
    a->about_credential = about_credential;
    a->reviewer = reviewer;
    a->credential = credential;
    snprintf(a->reason, sizeof a->reason, "%s", reason);
}

int ac_monitor_evaluate(const struct ac_monitor_review *reviews, size_t n,
                        const struct ac_monitor_thresholds *t, struct ac_monitor_report **out)
{
    if (!t || !out || (n && !reviews))
        return AC_EINVAL;
    struct ac_monitor_report *r = calloc(1, sizeof *r);
    struct order *o = malloc((n ? n : 1) * sizeof *o);
    if (!r || !o)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        o[i].rv = &reviews[i];
        o[i].idx = i;
    }
    qsort(o, n, sizeof *o, by_reviewer_then_time);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++)
        groups += i == 0 || o[i].rv->reviewer != o[i - 1].rv->reviewer;
    r->reviewers = calloc(groups ? groups : 1, sizeof *r->reviewers);
    /* At most three actions per reviewer and one per credential (<= n). */
    r->actions = calloc(3 * groups + n + 1, sizeof *r->actions);
    if (!r->reviewers || !r->actions)
        goto nomem;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && o[j].rv->reviewer == o[i].rv->reviewer)
            j++;
        reviewer_stats(o + i, j - i, t, &r->reviewers[r->n_reviewers++]);
        i = j;
    }
    /* Severity: z-score of each judged reviewer's mean deviation in the pool. */
    double sum = 0.0, sq = 0.0;
    size_t pool = 0;
    for (size_t i = 0; i < r->n_reviewers; i++)
        if (r->reviewers[i].judged) {
            sum += r->reviewers[i].mean_deviation;
            pool++;
        }
    double mean = pool ? sum / (double)pool : 0.0;
    for (size_t i = 0; i < r->n_reviewers; i++)
        if (r->reviewers[i].judged) {
            double d = r->reviewers[i].mean_deviation - mean;
            sq += d * d;
        }
    double sd = pool >= 2 ? sqrt(sq / (double)pool) : 0.0;
    for (size_t i = 0; i < r->n_reviewers; i++) {
        struct ac_monitor_reviewer *rs = &r->reviewers[i];
        if (rs->judged && sd > 1e-12) {
            rs->severity_valid = 1;
            rs->severity_z = (rs->mean_deviation - mean) / sd;
        }
    }
    /* Reviewer actions. */
    for (size_t i = 0; i < r->n_reviewers; i++) {
        const struct ac_monitor_reviewer *rs = &r->reviewers[i];
        char why[320] = "";
        if (!rs->judged)
            continue;
        if (t->min_consensus_agreement > 0 && rs->consensus_n > 0) {
            double a = (double)rs->consensus_agree / (double)rs->consensus_n;
            if (a < t->min_consensus_agreement)
                append_reason(why, sizeof why,
                              "agreement with consensus %.2f over %.0f reviews is below %.2f", a,
                              (double)rs->consensus_n, t->min_consensus_agreement);
        }
        if (t->min_benchmark_agreement > 0 && rs->benchmark_n > 0) {
            double a = (double)rs->benchmark_agree / (double)rs->benchmark_n;
            if (a < t->min_benchmark_agreement)
                append_reason(why, sizeof why,
                              "agreement with benchmarks %.2f over %.0f items is below %.2f", a,
                              (double)rs->benchmark_n, t->min_benchmark_agreement);
        }
        if (t->max_severity_z > 0 && rs->severity_valid && fabs(rs->severity_z) > t->max_severity_z)
            append_reason(why, sizeof why,
                          "severity z = %.2f (mean deviation %+.2f levels) is beyond +/-%.2f",
                          rs->severity_z, rs->mean_deviation, t->max_severity_z);
        if (t->max_trend_drop > 0 && rs->trend_valid && rs->trend_drop > t->max_trend_drop)
            append_reason(why, sizeof why,
                          "agreement fell by %.2f over the latest %.0f reviews (limit %.2f)",
                          rs->trend_drop, (double)t->trend_window, t->max_trend_drop);
        if (!why[0])
            continue;
        add_action(r, AC_MONITOR_NOTIFY_ISSUER, 0, rs->reviewer, 0, why);
        if (t->set_unavailable)
            add_action(r, AC_MONITOR_SET_UNAVAILABLE, 0, rs->reviewer, 0, why);
        if (t->require_retraining)
            add_action(r, AC_MONITOR_REQUIRE_RETRAINING, 0, rs->reviewer, 0, why);
    }
    /* Per-credential discrepancy rates. */
    qsort(o, n, sizeof *o, by_credential);
    groups = 0;
    for (size_t i = 0; i < n; i++)
        groups += i == 0 || o[i].rv->credential != o[i - 1].rv->credential;
    r->credentials = calloc(groups ? groups : 1, sizeof *r->credentials);
    if (!r->credentials)
        goto nomem;
    for (size_t i = 0; i < n;) {
        struct ac_monitor_credential *c = &r->credentials[r->n_credentials++];
        c->credential = o[i].rv->credential;
        size_t j = i;
        for (; j < n && o[j].rv->credential == c->credential; j++) {
            int ref = reference(o[j].rv);
            if (ref < 0)
                continue;
            c->reviews++;
            c->discrepancies += (unsigned)abs(o[j].rv->level - ref) > t->discrepancy_levels;
        }
        c->rate = c->reviews ? (double)c->discrepancies / (double)c->reviews : 0.0;
        if (t->max_discrepancy_rate > 0 && c->reviews > 0 && c->reviews >= t->min_sample &&
            c->rate > t->max_discrepancy_rate) {
            char why[320] = "";
            append_reason(why, sizeof why, "discrepancy rate %.2f over %.0f reviews is above %.2f",
                          c->rate, (double)c->reviews, t->max_discrepancy_rate);
            add_action(r, AC_MONITOR_NOTIFY_ISSUER, 1, 0, c->credential, why);
        }
        i = j;
    }
    free(o);
    *out = r;
    return 0;
nomem:
    free(o);
    ac_monitor_report_free(r);
    return AC_ENOMEM;
}
