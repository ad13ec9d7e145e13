/* scoring.c - combine rules, agreement rules and disagreement handling that
 * turn the reviews of one submission into a decision. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/review/scoring.h"

/* Scores are small integers and weights are typed by people: a sum that
 * equals the cut in decimal may land a hair below it in binary. */
#define EPS 1e-9

static size_t agree_with_pass(const struct ac_definition *def, size_t level, bool pass)
{
    if (pass && level < def->passing_level)
        return def->passing_level;
    if (!pass && level >= def->passing_level)
        return def->passing_level - 1;
    return level;
}

int ac_scoring_combine(const struct ac_definition *def, const struct ac_review *r, size_t *level,
                       bool *pass)
{
    if (def->grain == AC_GRAIN_HOLISTIC) {
        if (r->n != 1 || r->levels[0] < 0 || (size_t)r->levels[0] >= def->n_levels)
            return AC_EINVAL;
        *level = (size_t)r->levels[0];
        *pass = *level >= def->passing_level;
        return 0;
    }
    if (r->n != def->n_elements)
        return AC_EINVAL;
    size_t scored = 0, lowest = def->n_levels;
    double sum = 0, wsum = 0, wtotal = 0;
    bool all_reach = true;
    for (size_t i = 0; i < r->n; i++) {
        int l = r->levels[i];
        if (l == AC_LEVEL_UNSCORED) {
            if (def->elements[i].required)
                return AC_EINVAL;
            continue;
        }
        if (l < 0 || (size_t)l >= def->n_levels)
            return AC_EINVAL;
        scored++;
        sum += l;
        wsum += def->elements[i].weight * l;
        wtotal += def->elements[i].weight;
        if ((size_t)l < lowest)
            lowest = (size_t)l;
        if ((size_t)l < def->elements[i].threshold)
            all_reach = false;
    }
    if (scored == 0)
        return AC_EINVAL;
    size_t lv;
    bool p;
    switch (def->combine) {
    case AC_COMBINE_MEAN_CUT: {
        double m = sum / (double)scored;
        p = m >= def->cut - EPS;
        lv = (size_t)floor(m + EPS);
        break;
    }
    case AC_COMBINE_THRESHOLDS:
        p = all_reach;
        lv = lowest;
        break;
    case AC_COMBINE_WEIGHTED_CUT:
        p = wsum >= def->cut - EPS;
        lv = (size_t)floor(wsum / wtotal + EPS);
        break;
    default:
        return AC_EINVAL;
    }
    *level = agree_with_pass(def, lv, p);
    *pass = p;
    return 0;
}

bool ac_scoring_agree(const struct ac_definition *def, const size_t *levels, size_t n)
{
    if (n < 2)
        return true;
    size_t lo = levels[0], hi = levels[0];
    for (size_t i = 1; i < n; i++) {
        if (levels[i] < lo)
            lo = levels[i];
        if (levels[i] > hi)
            hi = levels[i];
    }
    switch (def->agreement) {
    case AC_AGREE_EXACT:
        return lo == hi;
    case AC_AGREE_PASS_BOUNDARY:
        return (lo >= def->passing_level) == (hi >= def->passing_level);
    case AC_AGREE_WITHIN:
        return hi - lo <= def->agreement_k;
    }
    return false;
}

size_t ac_scoring_median(const size_t *levels, size_t n, enum ac_rounding rounding)
{
    /* Counting is enough: levels are few, reviews per submission are few, and
     * this keeps the function free of allocation. */
    size_t count[AC_DEF_MAX_LEVELS] = {0};
    for (size_t i = 0; i < n; i++)
        count[levels[i] < AC_DEF_MAX_LEVELS ? levels[i] : AC_DEF_MAX_LEVELS - 1]++;
    /* 0-based rank of the chosen middle element in sorted order. */
    size_t rank = n % 2 ? n / 2 : (rounding == AC_ROUND_LOWER ? n / 2 - 1 : n / 2);
    size_t seen = 0;
    for (size_t l = 0; l < AC_DEF_MAX_LEVELS; l++) {
        seen += count[l];
        if (seen > rank)
            return l;
    }
    return 0;
}

static const char *name(const struct ac_definition *def, size_t level)
{
    return level < def->n_levels && def->levels[level] ? def->levels[level] : "?";
}

static void decided(const struct ac_definition *def, size_t level, struct ac_decision *out,
                    const char *how)
{
    out->kind = AC_DECIDED;
    out->level = level;
    out->pass = level >= def->passing_level;
    snprintf(out->reason, sizeof(out->reason), "%s: \"%s\" (%s)", how, name(def, level),
             out->pass ? "pass" : "not a pass");
}

int ac_scoring_decide(const struct ac_definition *def, const struct ac_review *reviews, size_t n,
                      struct ac_decision *out)
{
    static const char *const rule_names[] = {"exact", "pass boundary", "within k"};
    size_t levels[AC_SCORING_MAX_REVIEWS];
    if (n > AC_SCORING_MAX_REVIEWS)
        return AC_EINVAL;
    size_t used = n;
    struct ac_decision d;
    memset(&d, 0, sizeof(d));
    for (size_t i = 0; i < used; i++) {
        bool pass;
        if (ac_scoring_combine(def, &reviews[i], &levels[i], &pass) != 0)
            return AC_EINVAL;
    }
    if (n < def->per_submission || n == 0) {
        d.kind = AC_NEED_MORE;
        d.more = n < def->per_submission ? def->per_submission - (unsigned)n : 1;
        snprintf(d.reason, sizeof(d.reason), "%zu of %u reviews in; %u more needed", n,
                 def->per_submission, d.more);
        *out = d;
        return 0;
    }
    size_t lo = levels[0], hi = levels[0];
    for (size_t i = 1; i < n; i++) {
        lo = levels[i] < lo ? levels[i] : lo;
        hi = levels[i] > hi ? levels[i] : hi;
    }
    if (ac_scoring_agree(def, levels, n)) {
        char how[96];
        snprintf(how, sizeof(how), "%zu review%s agree (%s)", n, n == 1 ? "" : "s",
                 rule_names[def->agreement]);
        decided(def, ac_scoring_median(levels, n, def->disagreement.rounding), &d, how);
        *out = d;
        return 0;
    }
    if (n < def->disagreement.max_reviewers) {
        unsigned room = def->disagreement.max_reviewers - (unsigned)n;
        d.kind = AC_NEED_MORE;
        d.more = def->disagreement.add_per_round < room ? def->disagreement.add_per_round : room;
        snprintf(d.reason, sizeof(d.reason),
                 "%zu reviews disagree (%s, from \"%s\" to \"%s\"); adding %u of at most %u "
                 "reviewers",
                 n, rule_names[def->agreement], name(def, lo), name(def, hi), d.more,
                 def->disagreement.max_reviewers);
        *out = d;
        return 0;
    }
    switch (def->disagreement.then) {
    case AC_RESOLVE_MAJORITY: {
        size_t count[AC_DEF_MAX_LEVELS] = {0};
        for (size_t i = 0; i < n; i++)
            count[levels[i]]++;
        for (size_t l = 0; l < AC_DEF_MAX_LEVELS; l++) {
            if (count[l] * 2 > n) {
                char how[96];
                snprintf(how, sizeof(how), "%zu of %zu reviews agree after disagreement", count[l],
                         n);
                decided(def, l, &d, how);
                *out = d;
                return 0;
            }
        }
        d.kind = AC_ESCALATE;
        snprintf(d.reason, sizeof(d.reason),
                 "%zu reviews (the maximum) disagree and no level has a majority; the issuer "
                 "decides",
                 n);
        break;
    }
    case AC_RESOLVE_MEDIAN:
        decided(def, ac_scoring_median(levels, n, def->disagreement.rounding), &d,
                def->disagreement.rounding == AC_ROUND_LOWER
                    ? "median of the reviews after disagreement, even counts rounded lower"
                    : "median of the reviews after disagreement, even counts rounded higher");
        break;
    case AC_RESOLVE_ESCALATE:
        d.kind = AC_ESCALATE;
        snprintf(d.reason, sizeof(d.reason),
                 "%zu reviews (the maximum) disagree, from \"%s\" to \"%s\"; the issuer decides", n,
                 name(def, lo), name(def, hi));
        break;
    }
    *out = d;
    return 0;
}
