/* scoring.h - from the reviews of one submission to a decision: combine rules
 * for per-element scores, agreement rules, and disagreement handling.
 * Pure functions over a validated definition; no I/O, thread-safe.
 *
 * Levels are indices into the definition's scale, lowest first; a level passes
 * when it is at least def->passing_level.
 *
 * Median rounding: the median of an odd count is the middle level. For an even
 * count the two middle levels a <= b are never averaged; the definition's
 * disagreement.median_rounding picks a ("lower", the default: a tie between two
 * readings is settled on the side of caution) or b ("higher"). */
#ifndef AC_SCORING_H
#define AC_SCORING_H

#include <stdbool.h>
#include <stddef.h>

#include "accord/review/definition.h"

#define AC_SCORING_MAX_REVIEWS 64

/* An element a review leaves unscored: allowed only for optional elements the
 * earner did not submit. */
#define AC_LEVEL_UNSCORED (-1)

/* One reviewer's scores. Holistic grain: |n| == 1 and levels[0] is the level.
 * Per-element grain: |n| == def->n_elements and levels[i] scores element i
 * (or AC_LEVEL_UNSCORED). Borrowed. */
struct ac_review {
    const int *levels;
    size_t n;
};

enum ac_decision_kind {
    AC_DECIDED,   /* |level| and |pass| are the outcome */
    AC_NEED_MORE, /* assign |more| further reviewers, then ask again */
    AC_ESCALATE,  /* the issuer decides */
};

struct ac_decision {
    enum ac_decision_kind kind;
    size_t level;     /* AC_DECIDED only */
    bool pass;        /* AC_DECIDED only */
    unsigned more;    /* AC_NEED_MORE only */
    char reason[256]; /* a sentence for the issuer's log, always set */
};

/* Combines one review's element levels into one level per the definition's
 * combine rule (holistic: the single level as given).
 *   mean_cut:         m = mean of the scored element indices; pass iff m >= cut;
 *                     level = floor(m).
 *   thresholds:       pass iff every scored element reaches its threshold;
 *                     level = the lowest element level.
 *   weighted_sum_cut: s = sum of weight x index over scored elements; pass iff
 *                     s >= cut; level = floor(s / sum of their weights).
 * The level is then moved to agree with the pass decision: to the passing
 * level if it passed below it, to the level under it if it failed at or above.
 * Sets |*level| and |*pass|. Returns 0, or AC_EINVAL when |r| has the wrong
 * element count, a level off the scale, or an unscored required element. */
int ac_scoring_combine(const struct ac_definition *def, const struct ac_review *r, size_t *level,
                       bool *pass);

/* Do the levels |levels[0..n)| agree under def's agreement rule?
 *   exact:          all equal;
 *   pass_boundary:  all pass or all fail;
 *   within k:       highest - lowest <= k.
 * One level (or none) always agrees. */
bool ac_scoring_agree(const struct ac_definition *def, const size_t *levels, size_t n);

/* The median of |levels[0..n)| (n >= 1) with the rounding rule above. */
size_t ac_scoring_median(const size_t *levels, size_t n, enum ac_rounding rounding);

/* Decides a submission from its |n| reviews so far:
 *   fewer than per_submission reviews      -> NEED_MORE (the rest);
 *   the reviews agree                      -> DECIDED at their median level;
 *   disagree, fewer than max_reviewers     -> NEED_MORE (add_per_round, capped
 *                                             at max_reviewers);
 *   disagree at max_reviewers: "majority"  -> DECIDED at the level more than half
 *                                             chose, else ESCALATE;
 *                              "median"    -> DECIDED at the median level;
 *                              "escalate"  -> ESCALATE.
 * Sets |*out| (reason always filled). Returns 0 or AC_EINVAL (a review that
 * ac_scoring_combine rejects, or more than 64 reviews; the reader caps
 * max_reviewers at 64). */
int ac_scoring_decide(const struct ac_definition *def, const struct ac_review *reviews, size_t n,
                      struct ac_decision *out);

#endif
