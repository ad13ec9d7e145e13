/* certify.h - reviewer certification: random draws from the benchmark
 * database that never repeat an item the reviewer has seen, grading against
 * the expert scores under the definition's pass rule, attempts and the wait
 * between them, and the chance of passing by guessing.
 * No I/O. Draws use libsodium's randombytes_uniform (call sodium_init() first). */
#ifndef AC_CERTIFY_H
#define AC_CERTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/review/benchmark.h"
#include "accord/review/definition.h"

/* One certification draw: indices into bench->items, shuffled so the order
 * says nothing about the expert levels. */
struct ac_cert_draw {
    size_t *items; /* owned */
    size_t n;
};

/* Draws def->training.sample_per_level resolved items of each level, uniformly
 * at random, none of whose ids is in |seen[0..n_seen)| (borrowed; the caller
 * passes every item the reviewer was ever shown, training examples included).
 * Adds one to the exposure count of each drawn item.
 * Sets |*out| (release with ac_cert_draw_release). On AC_ERANGE writes which
 * level is short into |why| (NUL-terminated, truncated to |why_len|), e.g.
 *   level "pass": 3 unseen resolved items, 5 needed
 * and changes nothing. Returns 0, AC_EINVAL (scale mismatch), AC_ERANGE or
 * AC_ENOMEM. */
int ac_cert_draw(struct ac_bench *bench, const struct ac_definition *def, const char *const *seen,
                 size_t n_seen, struct ac_cert_draw *out, char *why, size_t why_len);

/* Frees the draw's items and leaves it empty; NULL is a no-op. */
void ac_cert_draw_release(struct ac_cert_draw *d);

struct ac_cert_result {
    size_t items;           /* graded */
    size_t exact;           /* answer == truth */
    size_t within_one;      /* |answer - truth| <= 1, exact included */
    size_t beyond_one;      /* |answer - truth| > 1 */
    size_t boundary_misses; /* answer and truth on different sides of passing */
    double exact_rate;
    double adjacent_rate;
    double quadratic_kappa; /* weights (i-j)^2/(k-1)^2 from the scale's k levels;
                             * NaN when chance disagreement is 0 */
    bool passed;            /* every criterion of the rule holds */
    char reason[256];       /* the first criterion that failed, or "passed" */
};

/* Grades answers[i] against truth[i] (levels, i < n) under the pass rule
 * |rule[0..n_rule)| for a scale of |n_levels| levels whose lowest passing
 * level is |passing_level|. A QWK criterion fails when the kappa is NaN.
 * Sets |*out|. Returns 0 or AC_EINVAL (n == 0, n_rule == 0, a level off the
 * scale, or an unknown criterion). */
int ac_cert_grade_rule(size_t n_levels, size_t passing_level, const struct ac_pass_criterion *rule,
                       size_t n_rule, const int *truth, const int *answers, size_t n,
                       struct ac_cert_result *out);

/* ac_cert_grade_rule with the definition's scale and training.pass_rule. */
int ac_cert_grade(const struct ac_definition *def, const int *truth, const int *answers, size_t n,
                  struct ac_cert_result *out);

/* One finished certification attempt. */
struct ac_cert_attempt {
    int64_t finished_ms; /* Unix ms */
    bool passed;
};

enum ac_cert_when {
    AC_CERT_NOW,         /* may attempt now (|*at_ms| = earliest time, <= now) */
    AC_CERT_WAIT,        /* may attempt at |*at_ms| */
    AC_CERT_NO_ATTEMPTS, /* all def->training.attempts used and failed */
    AC_CERT_CERTIFIED,   /* an attempt passed; nothing to retake */
};

/* Given a reviewer's |history[0..n)| (any order) and |now_ms|, says when the
 * next attempt may start: wait_days after the latest failed attempt, while
 * fewer than training.attempts were made. Sets |*when| and |*at_ms| (0 unless
 * NOW or WAIT). Returns 0 or AC_EINVAL (an attempt after a pass). */
int ac_cert_next_attempt(const struct ac_definition *def, const struct ac_cert_attempt *history,
                         size_t n, int64_t now_ms, enum ac_cert_when *when, int64_t *at_ms);

/* The probability that a reviewer who picks every level uniformly at random,
 * independently per item, passes a draw of |sample_per_level| items of each of
 * |n_levels| levels under |rule|. Exact (dynamic programming over items, in
 * doubles) for any combination of exact_rate, adjacent_rate,
 * no_discrepancy_beyond_one and boundary_exact; an exact_rate rule alone is the
 * binomial tail P(X >= ceil(min x N)), X ~ Bin(N = levels x sample, 1/levels):
 * 0.5^10 = 0.0009765625 for pass/not yet, five per level, all exact.
 * quadratic_kappa is not supported: kappa depends on the whole answer table,
 * not a per-item count. Sets |*out|. Returns 0, AC_EINVAL (a quadratic_kappa
 * criterion, n_levels outside 2..AC_DEF_MAX_LEVELS, passing_level outside
 * 1..n_levels-1, sample 0) or AC_E2BIG (more than 200 items with both rate
 * criteria, or 1000 otherwise) or AC_ENOMEM. */
int ac_cert_guess_probability(size_t n_levels, size_t passing_level, unsigned sample_per_level,
                              const struct ac_pass_criterion *rule, size_t n_rule, double *out);

#endif
