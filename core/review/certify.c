/* certify.c - reviewer certification: draws, grading, attempts, and the
 * probability of passing by guessing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/review/certify.h"
#include "accord/base/error.h"

/* Rates are compared with a tolerance so that "0.8 of 10 items" means 8. */
#define EPS 1e-9
#define DAY_MS INT64_C(86400000)

static bool seen_before(const char *id, const char *const *seen, size_t n_seen)
{
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i] && strcmp(seen[i], id) == 0)
            return true;
    return false;
}

void ac_cert_draw_release(struct ac_cert_draw *d)
{
    if (!d)
        return;
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

int ac_cert_draw(struct ac_bench *bench, const struct ac_definition *def, const char *const *seen,
                 size_t n_seen, struct ac_cert_draw *out, char *why, size_t why_len)
{
    if (def->n_levels != bench->n_levels || def->training.sample_per_level == 0)
        return AC_EINVAL;
    size_t k = def->training.sample_per_level;
    size_t total = k * def->n_levels;
    size_t *pool = malloc((bench->n ? bench->n : 1) * sizeof(size_t));
    size_t *chosen = malloc(total * sizeof(size_t));
    if (!pool || !chosen) {
        free(pool);
        free(chosen);
        return AC_ENOMEM;
    }
    size_t m = 0;
    for (size_t l = 0; l < def->n_levels; l++) {
        size_t avail = 0;
        for (size_t i = 0; i < bench->n; i++) {
            const struct ac_bench_item *it = &bench->items[i];
            if (it->final_level == (int)l && !seen_before(it->id, seen, n_seen))
                pool[avail++] = i;
        }
        if (avail < k) {
            if (why && why_len)
                snprintf(why, why_len, "level \"%s\": %zu unseen resolved items, %zu needed",
                         def->levels[l], avail, k);
            free(pool);
            free(chosen);
            return AC_ERANGE;
        }
        /* Partial Fisher-Yates: the first k of a uniform shuffle. */
        for (size_t j = 0; j < k; j++) {
            size_t r = j + randombytes_uniform((uint32_t)(avail - j));
            size_t t = pool[j];
            pool[j] = pool[r];
            pool[r] = t;
            chosen[m++] = pool[j];
        }
    }
    free(pool);
    /* Drawn level by level, so shuffle: the order must not reveal the truth. */
    for (size_t j = total; j > 1; j--) {
        size_t r = randombytes_uniform((uint32_t)j);
        size_t t = chosen[j - 1];
        chosen[j - 1] = chosen[r];
        chosen[r] = t;
    }
    for (size_t j = 0; j < total; j++)
        bench->items[chosen[j]].exposures++;
    out->items = chosen;
    out->n = total;
    return 0;
}

/* Quadratic weighted kappa with weights from the scale, not from the levels
 * that happen to occur: w(i,j) = (i-j)^2 / (k-1)^2 (Cohen 1968). */
static double quadratic_kappa(size_t k, const int *a, const int *b, size_t n)
{
    double obs[AC_DEF_MAX_LEVELS][AC_DEF_MAX_LEVELS] = {{0}};
    double ra[AC_DEF_MAX_LEVELS] = {0}, rb[AC_DEF_MAX_LEVELS] = {0};
    for (size_t i = 0; i < n; i++) {
        obs[a[i]][b[i]] += 1.0 / (double)n;
        ra[a[i]] += 1.0 / (double)n;
        rb[b[i]] += 1.0 / (double)n;
    }
    double num = 0, den = 0, d2 = (double)((k - 1) * (k - 1));
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < k; j++) {
            double dij = (double)i - (double)j;
            double w = dij * dij / d2;
            num += w * obs[i][j];
            den += w * ra[i] * rb[j];
        }
    }
    return den > 0 ? 1 - num / den : NAN;
}

static const char *const crit_name[] = {
    "exact agreement", "exact+adjacent agreement", "no discrepancy beyond one level",
    "exact across the pass boundary", "quadratic weighted kappa"};

int ac_cert_grade_rule(size_t n_levels, size_t passing_level, const struct ac_pass_criterion *rule,
                       size_t n_rule, const int *truth, const int *answers, size_t n,
                       struct ac_cert_result *out)
{
    if (n == 0 || n_rule == 0 || n_levels < 2 || n_levels > AC_DEF_MAX_LEVELS)
        return AC_EINVAL;
    struct ac_cert_result r;
    memset(&r, 0, sizeof(r));
    for (size_t i = 0; i < n; i++) {
        if (truth[i] < 0 || answers[i] < 0 || (size_t)truth[i] >= n_levels ||
            (size_t)answers[i] >= n_levels)
            return AC_EINVAL;
        int d = abs(truth[i] - answers[i]);
        r.exact += d == 0;
        r.within_one += d <= 1;
        r.beyond_one += d > 1;
        r.boundary_misses +=
            ((size_t)truth[i] >= passing_level) != ((size_t)answers[i] >= passing_level);
    }
    r.items = n;
    r.exact_rate = (double)r.exact / (double)n;
    r.adjacent_rate = (double)r.within_one / (double)n;
    r.quadratic_kappa = quadratic_kappa(n_levels, truth, answers, n);
    r.passed = true;
    snprintf(r.reason, sizeof(r.reason), "passed");
    for (size_t c = 0; c < n_rule && r.passed; c++) {
        double min = rule[c].min;
        bool ok;
        switch (rule[c].kind) {
        case AC_PASS_EXACT_RATE:
            ok = (double)r.exact + EPS >= min * (double)n;
            snprintf(r.reason, sizeof(r.reason), "%s %zu of %zu (%.3f), needs at least %.3f",
                     crit_name[0], r.exact, n, r.exact_rate, min);
            break;
        case AC_PASS_ADJACENT_RATE:
            ok = (double)r.within_one + EPS >= min * (double)n;
            snprintf(r.reason, sizeof(r.reason), "%s %zu of %zu (%.3f), needs at least %.3f",
                     crit_name[1], r.within_one, n, r.adjacent_rate, min);
            break;
        case AC_PASS_NO_BEYOND_ONE:
            ok = r.beyond_one == 0;
            snprintf(r.reason, sizeof(r.reason),
                     "%zu item(s) off by more than one level; "
                     "%s is required",
                     r.beyond_one, crit_name[2]);
            break;
        case AC_PASS_BOUNDARY_EXACT:
            ok = r.boundary_misses == 0;
            snprintf(r.reason, sizeof(r.reason),
                     "%zu item(s) on the wrong side of the pass "
                     "boundary; %s is required",
                     r.boundary_misses, crit_name[3]);
            break;
        case AC_PASS_QUADRATIC_KAPPA:
            ok = !isnan(r.quadratic_kappa) && r.quadratic_kappa + EPS >= min;
            snprintf(r.reason, sizeof(r.reason), "%s %.3f, needs at least %.3f", crit_name[4],
                     r.quadratic_kappa, min);
            break;
        default:
            return AC_EINVAL;
        }
        if (!ok)
            r.passed = false;
    }
    if (r.passed)
        snprintf(r.reason, sizeof(r.reason), "passed");
    *out = r;
    return 0;
}

int ac_cert_grade(const struct ac_definition *def, const int *truth, const int *answers, size_t n,
                  struct ac_cert_result *out)
{
    return ac_cert_grade_rule(def->n_levels, def->passing_level, def->training.pass_rule,
                              def->training.n_pass_rule, truth, answers, n, out);
}

int ac_cert_next_attempt(const struct ac_definition *def, const struct ac_cert_attempt *history,
                         size_t n, int64_t now_ms, enum ac_cert_when *when, int64_t *at_ms)
{
    int64_t last = INT64_MIN, passed_at = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (history[i].finished_ms > last)
            last = history[i].finished_ms;
        if (history[i].passed && history[i].finished_ms < passed_at)
            passed_at = history[i].finished_ms;
    }
    if (passed_at != INT64_MAX) {
        if (last > passed_at)
            return AC_EINVAL;
        *when = AC_CERT_CERTIFIED;
        *at_ms = 0;
        return 0;
    }
    if (n >= def->training.attempts) {
        *when = AC_CERT_NO_ATTEMPTS;
        *at_ms = 0;
        return 0;
    }
    if (n == 0) {
        *when = AC_CERT_NOW;
        *at_ms = now_ms;
        return 0;
    }
    int64_t at = last + (int64_t)def->training.wait_days * DAY_MS;
    *when = now_ms >= at ? AC_CERT_NOW : AC_CERT_WAIT;
    *at_ms = at;
    return 0;
}

int ac_cert_guess_probability(size_t n_levels, size_t passing_level, unsigned sample_per_level,
                              const struct ac_pass_criterion *rule, size_t n_rule, double *out)
{
    if (n_levels < 2 || n_levels > AC_DEF_MAX_LEVELS || passing_level == 0 ||
        passing_level >= n_levels || sample_per_level == 0 || n_rule == 0)
        return AC_EINVAL;
    bool track_e = false, track_w = false;
    for (size_t c = 0; c < n_rule; c++) {
        if (rule[c].kind == AC_PASS_QUADRATIC_KAPPA ||
            (unsigned)rule[c].kind > AC_PASS_QUADRATIC_KAPPA)
            return AC_EINVAL;
        track_e = track_e || rule[c].kind == AC_PASS_EXACT_RATE;
        track_w = track_w || rule[c].kind == AC_PASS_ADJACENT_RATE;
    }
    size_t items = n_levels * sample_per_level;
    if (items > (track_e && track_w ? 200u : 1000u))
        return AC_E2BIG;
    /* State: (exact count, within-one count, flags) where flag bit 0 is "some
     * item off by more than one" and bit 1 "some item across the boundary".
     * Counts not needed by the rule stay 0, collapsing their dimension. */
    size_t ne = track_e ? items + 1 : 1, nw = track_w ? items + 1 : 1;
    size_t states = ne * nw * 4;
    double *cur = calloc(states, sizeof(double)), *next = calloc(states, sizeof(double));
    if (!cur || !next) {
        free(cur);
        free(next);
        return AC_ENOMEM;
    }
#define IDX(e, w, f) ((((e)*nw) + (w)) * 4 + (f))
    cur[IDX(0, 0, 0)] = 1;
    double p = 1.0 / (double)n_levels;
    for (size_t t = 0; t < n_levels; t++) {
        /* Outcome classes of one guessed item whose truth is level t. */
        double cls[2][2][4] = {{{0}}}; /* [exact][within][flags] */
        for (size_t a = 0; a < n_levels; a++) {
            size_t d = a > t ? a - t : t - a;
            unsigned f =
                (d > 1 ? 1u : 0u) | (((a >= passing_level) != (t >= passing_level)) ? 2u : 0u);
            cls[d == 0][d <= 1][f] += p;
        }
        for (unsigned s = 0; s < sample_per_level; s++) {
            memset(next, 0, states * sizeof(double));
            for (size_t e = 0; e < ne; e++) {
                for (size_t w = 0; w < nw; w++) {
                    for (unsigned f = 0; f < 4; f++) {
                        double v = cur[IDX(e, w, f)];
                        if (v == 0)
                            continue;
                        for (int x = 0; x < 2; x++)
                            for (int y = 0; y < 2; y++)
                                for (unsigned g = 0; g < 4; g++) {
                                    double q = cls[x][y][g];
                                    if (q == 0)
                                        continue;
                                    size_t e2 = track_e ? e + (size_t)x : 0;
                                    size_t w2 = track_w ? w + (size_t)y : 0;
                                    next[IDX(e2, w2, f | g)] += v * q;
                                }
                    }
                }
            }
            double *tmp = cur;
            cur = next;
            next = tmp;
        }
    }
    double total = 0;
    for (size_t e = 0; e < ne; e++) {
        for (size_t w = 0; w < nw; w++) {
            for (unsigned f = 0; f < 4; f++) {
                bool ok = true;
                for (size_t c = 0; c < n_rule && ok; c++) {
                    switch (rule[c].kind) {
                    case AC_PASS_EXACT_RATE:
                        ok = (double)e + EPS >= rule[c].min * (double)items;
                        break;
                    case AC_PASS_ADJACENT_RATE:
                        ok = (double)w + EPS >= rule[c].min * (double)items;
                        break;
                    case AC_PASS_NO_BEYOND_ONE:
                        ok = !(f & 1u);
                        break;
                    case AC_PASS_BOUNDARY_EXACT:
                        ok = !(f & 2u);
                        break;
                    default:
                        ok = false;
                    }
                }
                if (ok)
                    total += cur[IDX(e, w, f)];
            }
        }
    }
#undef IDX
    free(cur);
    free(next);
    *out = total;
    return 0;
}
