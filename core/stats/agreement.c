/* agreement.c - inter-rater agreement statistics on a ratings matrix (see
 * include/accord/agreement.h and docs/agreement.md for the formulas' sources). */
#include "accord/stats/agreement.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "accord/base/error.h"

/* Chance agreement this close to 1 (or expected disagreement this close to 0)
 * leaves a ratio of two vanishing quantities; such cases are reported as
 * undefined rather than as whatever the rounding error produces. */
#define EPS 1e-12

static void stat_ok(struct ac_stat *out, double value, size_t items, size_t pairs)
{
    out->status = AC_STAT_OK;
    out->value = value;
    out->why = NULL;
    out->items = items;
    out->pairs = pairs;
}

static void stat_not(struct ac_stat *out, enum ac_stat_status status, const char *why, size_t items,
                     size_t pairs)
{
    out->status = status;
    out->value = 0.0;
    out->why = why;
    out->items = items;
    out->pairs = pairs;
}

static int cell(const struct ac_ratings *r, size_t item, size_t rater)
{
    return r->cells[item * r->raters + rater];
}

int ac_agreement_validate(const struct ac_ratings *r)
{
    if (!r || r->levels < 1 || r->levels > AC_AGREEMENT_MAX_LEVELS)
        return AC_EINVAL;
    if (r->items && r->raters && SIZE_MAX / r->items < r->raters)
        return AC_EINVAL;
    if (r->items && r->raters && !r->cells)
        return AC_EINVAL;
    size_t n = r->items * r->raters;
    for (size_t i = 0; i < n; i++) {
        int v = r->cells[i];
        if (v != AC_RATING_MISSING && (v < 0 || (unsigned)v >= r->levels))
            return AC_EINVAL;
    }
    if (r->level_values)
        for (unsigned l = 0; l < r->levels; l++)
            if (!isfinite(r->level_values[l]))
                return AC_EINVAL;
    return 0;
}

const char *ac_agreement_alpha_level_name(enum ac_alpha_level level)
{
    switch (level) {
    case AC_ALPHA_NOMINAL:
        return "nominal";
    case AC_ALPHA_ORDINAL:
        return "ordinal";
    case AC_ALPHA_INTERVAL:
        return "interval";
    case AC_ALPHA_RATIO:
        return "ratio";
    }
    return "unknown";
}

int ac_agreement_pairwise(const struct ac_ratings *r, unsigned tolerance, struct ac_stat *out)
{
    int rc = ac_agreement_validate(r);
    if (rc < 0 || !out)
        return rc < 0 ? rc : AC_EINVAL;
    double sum = 0.0;
    size_t items = 0, pairs = 0;
    for (size_t i = 0; i < r->items; i++) {
        size_t item_pairs = 0, agree = 0;
        for (size_t a = 0; a < r->raters; a++) {
            int va = cell(r, i, a);
            if (va == AC_RATING_MISSING)
                continue;
            for (size_t b = a + 1; b < r->raters; b++) {
                int vb = cell(r, i, b);
                if (vb == AC_RATING_MISSING)
                    continue;
                item_pairs++;
                if ((unsigned)abs(va - vb) <= tolerance)
                    agree++;
            }
        }
        if (item_pairs == 0)
            continue;
        items++;
        pairs += item_pairs;
        sum += (double)agree / (double)item_pairs;
    }
    if (items == 0)
        stat_not(out, AC_STAT_UNDEFINED, "no item has two or more ratings", 0, 0);
    else
        stat_ok(out, sum / (double)items, items, pairs);
    return 0;
}

/* Agreement weight of levels |i| and |j| on a scale of |levels|. */
static double kappa_weight(enum ac_kappa_weights w, unsigned levels, int i, int j)
{
    if (i == j)
        return 1.0;
    if (w == AC_KAPPA_UNWEIGHTED || levels < 2)
        return 0.0;
    double d = fabs((double)(i - j)) / (double)(levels - 1);
    return w == AC_KAPPA_LINEAR ? 1.0 - d : 1.0 - d * d;
}

int ac_agreement_cohen_kappa(const struct ac_ratings *r, enum ac_kappa_weights w,
                             struct ac_stat *out)
{
    int rc = ac_agreement_validate(r);
    if (rc < 0 || !out)
        return rc < 0 ? rc : AC_EINVAL;
    if (r->raters != 2) {
        stat_not(out, AC_STAT_NOT_APPLICABLE, "Cohen's kappa needs exactly two raters", 0, 0);
        return 0;
    }
    unsigned k = r->levels;
    double *ma = calloc(2 * (size_t)k, sizeof *ma);
    if (!ma)
        return AC_ENOMEM;
    double *mb = ma + k;
    size_t n = 0;
    double po = 0.0;
    for (size_t i = 0; i < r->items; i++) {
        int a = cell(r, i, 0), b = cell(r, i, 1);
        if (a == AC_RATING_MISSING || b == AC_RATING_MISSING)
            continue;
        n++;
        ma[a] += 1.0;
        mb[b] += 1.0;
        po += kappa_weight(w, k, a, b);
    }
    if (n == 0) {
        free(ma);
        stat_not(out, AC_STAT_UNDEFINED, "no item was rated by both raters", 0, 0);
        return 0;
    }
    po /= (double)n;
    double pe = 0.0;
    for (unsigned i = 0; i < k; i++)
        for (unsigned j = 0; j < k; j++)
            pe += kappa_weight(w, k, (int)i, (int)j) * (ma[i] / (double)n) * (mb[j] / (double)n);
    free(ma);
    if (1.0 - pe < EPS)
        stat_not(out, AC_STAT_UNDEFINED, "chance agreement is 1 (both raters used a single level)",
                 n, n);
    else
        stat_ok(out, (po - pe) / (1.0 - pe), n, n);
    return 0;
}

int ac_agreement_fleiss_kappa(const struct ac_ratings *r, struct ac_stat *out)
{
    int rc = ac_agreement_validate(r);
    if (rc < 0 || !out)
        return rc < 0 ? rc : AC_EINVAL;
    unsigned k = r->levels;
    /* hist[m] = number of items with exactly m ratings; counts[] = per-level
     * counts of the current item; p[] = level totals over used items. */
    size_t *hist = calloc(r->raters + 1, sizeof *hist);
    double *counts = calloc(2 * (size_t)k, sizeof *counts);
    if (!hist || !counts) {
        free(hist);
        free(counts);
        return AC_ENOMEM;
    }
    double *p = counts + k;
    for (size_t i = 0; i < r->items; i++) {
        size_t m = 0;
        for (size_t a = 0; a < r->raters; a++)
            m += cell(r, i, a) != AC_RATING_MISSING;
        hist[m]++;
    }
    size_t m = 0;
    for (size_t c = 1; c <= r->raters; c++)
        if (hist[c] > 0 && hist[c] >= hist[m == 0 ? c : m])
            m = c;
    if (m < 2) {
        free(hist);
        free(counts);
        stat_not(out, AC_STAT_UNDEFINED, "items have fewer than two ratings each", 0, 0);
        return 0;
    }
    size_t items = 0;
    double pbar = 0.0;
    for (size_t i = 0; i < r->items; i++) {
        size_t mi = 0;
        for (unsigned l = 0; l < k; l++)
            counts[l] = 0.0;
        for (size_t a = 0; a < r->raters; a++) {
            int v = cell(r, i, a);
            if (v != AC_RATING_MISSING) {
                counts[v] += 1.0;
                mi++;
            }
        }
        if (mi != m)
            continue;
        items++;
        double sq = 0.0;
        for (unsigned l = 0; l < k; l++) {
            sq += counts[l] * counts[l];
            p[l] += counts[l];
        }
        pbar += (sq - (double)m) / ((double)m * (double)(m - 1));
    }
    pbar /= (double)items;
    double pe = 0.0;
    for (unsigned l = 0; l < k; l++) {
        double pj = p[l] / ((double)items * (double)m);
        pe += pj * pj;
    }
    size_t pairs = items * (m * (m - 1) / 2);
    free(hist);
    free(counts);
    if (1.0 - pe < EPS)
        stat_not(out, AC_STAT_UNDEFINED, "chance agreement is 1 (every rating is the same level)",
                 items, pairs);
    else
        stat_ok(out, (pbar - pe) / (1.0 - pe), items, pairs);
    return 0;
}

/* Squared difference delta^2(c,k) of Krippendorff (2011) for levels c <= k;
 * |nc| are the coincidence marginals (used by the ordinal metric). */
static double alpha_delta(enum ac_alpha_level level, const struct ac_ratings *r, const double *nc,
                          unsigned c, unsigned k)
{
    if (c == k)
        return 0.0;
    if (c > k) {
        unsigned t = c;
        c = k;
        k = t;
    }
    double vc = r->level_values ? r->level_values[c] : (double)c;
    double vk = r->level_values ? r->level_values[k] : (double)k;
    switch (level) {
    case AC_ALPHA_NOMINAL:
        return 1.0;
    case AC_ALPHA_ORDINAL: {
        double s = 0.0;
        for (unsigned g = c; g <= k; g++)
            s += nc[g];
        s -= (nc[c] + nc[k]) / 2.0;
        return s * s;
    }
    case AC_ALPHA_INTERVAL:
        return (vc - vk) * (vc - vk);
    case AC_ALPHA_RATIO: {
        double sum = vc + vk;
        if (sum == 0.0)
            return 0.0;
        double d = (vc - vk) / sum;
        return d * d;
    }
    }
    return 0.0;
}

int ac_agreement_krippendorff_alpha(const struct ac_ratings *r, enum ac_alpha_level level,
                                    struct ac_stat *out)
{
    int rc = ac_agreement_validate(r);
    if (rc < 0 || !out)
        return rc < 0 ? rc : AC_EINVAL;
    if (level == AC_ALPHA_RATIO) {
        int ok = r->level_values != NULL;
        for (unsigned l = 0; ok && l < r->levels; l++)
            ok = r->level_values[l] >= 0.0;
        if (!ok) {
            stat_not(out, AC_STAT_NOT_APPLICABLE,
                     "the ratio metric needs numeric levels of zero or more", 0, 0);
            return 0;
        }
    }
    unsigned k = r->levels;
    /* o = coincidence matrix (k*k), nc = its marginals, counts = one unit's
     * ratings per level. */
    double *o = calloc((size_t)k * k + 2 * (size_t)k, sizeof *o);
    if (!o)
        return AC_ENOMEM;
    double *nc = o + (size_t)k * k;
    double *counts = nc + k;
    size_t items = 0, pairable = 0;
    for (size_t i = 0; i < r->items; i++) {
        size_t m = 0;
        for (unsigned l = 0; l < k; l++)
            counts[l] = 0.0;
        for (size_t a = 0; a < r->raters; a++) {
            int v = cell(r, i, a);
            if (v != AC_RATING_MISSING) {
                counts[v] += 1.0;
                m++;
            }
        }
        if (m < 2)
            continue; /* unpairable: contributes nothing (Krippendorff 2011) */
        items++;
        pairable += m;
        /* Each ordered pair of values from different coders adds 1/(m-1). */
        for (unsigned c = 0; c < k; c++) {
            if (counts[c] == 0.0)
                continue;
            for (unsigned d = 0; d < k; d++) {
                if (counts[d] == 0.0)
                    continue;
                double pairs = c == d ? counts[c] * (counts[c] - 1.0) : counts[c] * counts[d];
                o[(size_t)c * k + d] += pairs / (double)(m - 1);
            }
        }
    }
    if (pairable == 0) {
        free(o);
        stat_not(out, AC_STAT_UNDEFINED, "no item has two or more ratings", 0, 0);
        return 0;
    }
    double n = 0.0;
    for (unsigned c = 0; c < k; c++) {
        for (unsigned d = 0; d < k; d++)
            nc[c] += o[(size_t)c * k + d];
        n += nc[c];
    }
    double obs = 0.0, exp = 0.0;
    for (unsigned c = 0; c < k; c++)
        for (unsigned d = 0; d < k; d++) {
            double delta = alpha_delta(level, r, nc, c, d);
            obs += o[(size_t)c * k + d] * delta;
            exp += nc[c] * nc[d] * delta;
        }
    free(o);
    if (exp < EPS)
        stat_not(out, AC_STAT_UNDEFINED,
                 "expected disagreement is 0 (all pairable ratings are the same level)", items,
                 pairable);
    else
        stat_ok(out, 1.0 - (n - 1.0) * obs / exp, items, pairable);
    return 0;
}

int ac_agreement_gwet_ac1(const struct ac_ratings *r, struct ac_stat *out)
{
    int rc = ac_agreement_validate(r);
    if (rc < 0 || !out)
        return rc < 0 ? rc : AC_EINVAL;
    unsigned k = r->levels;
    if (k < 2) {
        stat_not(out, AC_STAT_UNDEFINED, "AC1 needs a scale of two or more levels", 0, 0);
        return 0;
    }
    double *counts = calloc(2 * (size_t)k, sizeof *counts);
    if (!counts)
        return AC_ENOMEM;
    double *pi = counts + k;
    size_t rated = 0, items = 0, pairs = 0;
    double pa = 0.0;
    for (size_t i = 0; i < r->items; i++) {
        size_t m = 0;
        for (unsigned l = 0; l < k; l++)
            counts[l] = 0.0;
        for (size_t a = 0; a < r->raters; a++) {
            int v = cell(r, i, a);
            if (v != AC_RATING_MISSING) {
                counts[v] += 1.0;
                m++;
            }
        }
        if (m == 0)
            continue;
        rated++;
        for (unsigned l = 0; l < k; l++)
            pi[l] += counts[l] / (double)m;
        if (m < 2)
            continue;
        items++;
        pairs += m * (m - 1) / 2;
        double agree = 0.0;
        for (unsigned l = 0; l < k; l++)
            agree += counts[l] * (counts[l] - 1.0);
        pa += agree / ((double)m * (double)(m - 1));
    }
    if (items == 0) {
        free(counts);
        stat_not(out, AC_STAT_UNDEFINED, "no item has two or more ratings", 0, 0);
        return 0;
    }
    pa /= (double)items;
    double pe = 0.0;
    for (unsigned l = 0; l < k; l++) {
        double p = pi[l] / (double)rated;
        pe += p * (1.0 - p);
    }
    pe /= (double)(k - 1);
    free(counts);
    /* pe <= 1/k < 1, so the denominator never vanishes. */
    stat_ok(out, (pa - pe) / (1.0 - pe), items, pairs);
    return 0;
}
