/* agreement.h - inter-rater agreement statistics on a ratings matrix: exact and
 * adjacent agreement, Cohen's kappa (unweighted, linear, quadratic), Fleiss'
 * kappa, Krippendorff's alpha (nominal, ordinal, interval, ratio) and Gwet's AC1.
 *
 * Ratings are level indexes 0..levels-1 on an ordered scale whose size comes
 * from the rubric, never from the values that happen to occur, so a rubric with
 * four levels weighs a jump from level 0 to level 2 as two steps even when
 * nobody used level 1. Pure computation: no I/O, no allocation visible to the
 * caller. See docs/agreement.md for formulas, sources and how each statistic
 * treats missing ratings. */
#ifndef AC_AGREEMENT_H
#define AC_AGREEMENT_H

#include <stddef.h>

/* A cell with no rating. */
#define AC_RATING_MISSING (-1)

/* Scales larger than this are refused (the coincidence matrix is levels^2). */
#define AC_AGREEMENT_MAX_LEVELS 256

/* A ratings matrix, borrowed by every function below. */
struct ac_ratings {
    size_t items;     /* rows */
    size_t raters;    /* columns */
    const int *cells; /* items * raters, row-major; a level index or AC_RATING_MISSING */
    unsigned levels;  /* size of the rubric's scale, 1..AC_AGREEMENT_MAX_LEVELS */
    /* Optional numeric value of each level (e.g. 1,2,3,4 for a "1-4" scale), used
     * by the interval and ratio alphas; NULL means the level index stands for
     * itself and the ratio alpha does not apply. */
    const double *level_values;
};

enum ac_stat_status {
    AC_STAT_OK = 0,         /* |value| holds the statistic */
    AC_STAT_UNDEFINED,      /* the data leave it undefined (e.g. no variation); see |why| */
    AC_STAT_NOT_APPLICABLE, /* the design does not fit (e.g. Cohen's kappa on 3 raters) */
};

/* One statistic. |items| and |pairs| say how much data it rests on even when it
 * is undefined. */
struct ac_stat {
    enum ac_stat_status status;
    double value;    /* meaningful only when status == AC_STAT_OK */
    const char *why; /* static text when status != AC_STAT_OK, else NULL */
    size_t items;    /* items that entered the computation */
    size_t pairs;    /* rater pairs (agreement, kappas, AC1) or pairable values (alpha) */
};

enum ac_kappa_weights {
    AC_KAPPA_UNWEIGHTED,
    AC_KAPPA_LINEAR,    /* agreement weight 1 - |i-j| / (levels-1) */
    AC_KAPPA_QUADRATIC, /* agreement weight 1 - (i-j)^2 / (levels-1)^2 */
};

enum ac_alpha_level {
    AC_ALPHA_NOMINAL,
    AC_ALPHA_ORDINAL,
    AC_ALPHA_INTERVAL,
    AC_ALPHA_RATIO,
};

/* Checks the matrix: levels in range, every cell a level or missing, sizes that
 * do not overflow, level values finite. Returns 0 or AC_EINVAL. Every function
 * below runs this first and returns AC_EINVAL on the same inputs. */
int ac_agreement_validate(const struct ac_ratings *r);

/* Pairwise agreement: for every item with two or more ratings, the share of its
 * rater pairs whose levels differ by at most |tolerance| (0 = exact, 1 =
 * adjacent), averaged over those items (the "percent agreement" of Gwet 2014).
 * Sets |*out|; returns 0 or AC_EINVAL. */
int ac_agreement_pairwise(const struct ac_ratings *r, unsigned tolerance, struct ac_stat *out);

/* Cohen's kappa, optionally weighted, for exactly two raters (columns) over the
 * items both rated. Weights use the scale's |levels|. Sets |*out| (NOT_APPLICABLE
 * unless raters == 2; UNDEFINED when chance agreement is 1 or no item has both
 * ratings); returns 0 or AC_EINVAL. */
int ac_agreement_cohen_kappa(const struct ac_ratings *r, enum ac_kappa_weights w,
                             struct ac_stat *out);

/* Fleiss' kappa for a fixed number m of ratings per item. m is the most common
 * number of ratings per item (ties go to the larger); items rated a different
 * number of times are left out and |items| counts only those used. Sets |*out|
 * (UNDEFINED when m < 2 or chance agreement is 1); returns 0 or AC_EINVAL. */
int ac_agreement_fleiss_kappa(const struct ac_ratings *r, struct ac_stat *out);

/* Krippendorff's alpha by the coincidence-matrix method (Krippendorff 2011),
 * missing ratings allowed; items with fewer than two ratings are unpairable and
 * left out. Sets |*out| (UNDEFINED when there are no pairable values or the
 * expected disagreement is 0; NOT_APPLICABLE for ratio without positive level
 * values); returns 0, AC_EINVAL or AC_ENOMEM. */
int ac_agreement_krippendorff_alpha(const struct ac_ratings *r, enum ac_alpha_level level,
                                    struct ac_stat *out);

/* Gwet's AC1 for any number of raters with missing ratings (Gwet 2014, as in the
 * irrCAC package): agreement over items with two or more ratings, category
 * prevalence over items with at least one. Sets |*out| (UNDEFINED when levels < 2
 * or no item has two ratings); returns 0 or AC_EINVAL. */
int ac_agreement_gwet_ac1(const struct ac_ratings *r, struct ac_stat *out);

/* Static names for reports: "nominal", "ordinal", "interval", "ratio". */
const char *ac_agreement_alpha_level_name(enum ac_alpha_level level);

#endif
