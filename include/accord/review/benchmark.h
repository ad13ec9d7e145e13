/* benchmark.h - the benchmark database of one credential: expert-scored items,
 * their agreement, the conference-resolved final score with annotations,
 * exposure counts, and whether there are enough items per level.
 * In-memory; the caller stores it. Not thread-safe per object. */
#ifndef AC_BENCHMARK_H
#define AC_BENCHMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accord/review/definition.h"

#define AC_BENCH_MAX_EXPERTS 8
#define AC_BENCH_UNRESOLVED (-1)

struct ac_bench_item {
    char *id;                         /* owned, unique in the database */
    int expert[AC_BENCH_MAX_EXPERTS]; /* independent expert levels */
    size_t n_experts;                 /* 2..AC_BENCH_MAX_EXPERTS */
    int final_level;                  /* AC_BENCH_UNRESOLVED until resolved */
    char *key_characteristics;        /* owned annotation, NULL until resolved */
    char *common_errors;              /* owned annotation, NULL until resolved */
    uint64_t exposures;               /* times drawn for a reviewer */
};

struct ac_bench {
    size_t n_levels;
    struct ac_bench_item *items; /* owned */
    size_t n;
    size_t cap;
};

/* Minimum database size per the seed (Step 2):
 *   examples_per_level x levels + attempts x sample_per_level x levels,
 * i.e. 18 x levels with the defaults 3, 3, 5. Sets |*out|.
 * Returns 0, AC_EINVAL (a zero level count) or AC_ERANGE (overflow). */
int ac_bench_min_size(unsigned examples_per_level, unsigned attempts, unsigned sample_per_level,
                      size_t n_levels, uint64_t *out);

/* Initialises |b| empty for a scale of |n_levels| levels. */
void ac_bench_init(struct ac_bench *b, size_t n_levels);

/* Frees everything |b| owns and leaves it empty; NULL is a no-op. */
void ac_bench_release(struct ac_bench *b);

/* Adds item |id| (copied) with the independent scores |expert[0..n)| (levels).
 * Returns 0, AC_EINVAL (fewer than 2 or more than AC_BENCH_MAX_EXPERTS scores,
 * a level off the scale, empty id), AC_EEXIST (id taken) or AC_ENOMEM. */
int ac_bench_add(struct ac_bench *b, const char *id, const int *expert, size_t n);

/* Returns the item |id| (borrowed from |b|) or NULL. */
struct ac_bench_item *ac_bench_find(struct ac_bench *b, const char *id);

/* Did the experts give |it| the same level? */
bool ac_bench_item_agrees(const struct ac_bench_item *it);

/* Records the final score the experts agreed in conference, with annotations
 * (copied; either may be NULL). When the experts already agreed the final
 * level must be theirs. Returns 0, AC_ENOENT, AC_EINVAL (level off the scale,
 * or differs from a unanimous expert score) or AC_ENOMEM. */
int ac_bench_resolve(struct ac_bench *b, const char *id, int final_level,
                     const char *key_characteristics, const char *common_errors);

/* Agreement of the independent expert scores over the whole database. */
struct ac_bench_agreement {
    size_t items;       /* items with at least two expert scores */
    size_t exact_items; /* items where all experts gave one level */
    double exact_rate;  /* exact_items / items; 0 when items == 0 */
    double cohen_kappa; /* between the first two experts of each item; NaN
                         * when chance agreement is 1 (one level used) */
};

/* Fills |*out|. Returns 0 or AC_EINVAL (empty database). */
int ac_bench_agreement(const struct ac_bench *b, struct ac_bench_agreement *out);

/* Resolved items per level against the minimum per level
 * (examples_per_level + attempts x sample_per_level). Sets have[l] and
 * short_by[l] for each level (arrays of b->n_levels) and |*short_levels| to the
 * number of levels short. Returns 0 or AC_EINVAL (scale mismatch with |def|). */
int ac_bench_sufficiency(const struct ac_bench *b, const struct ac_definition *def, size_t *have,
                         size_t *short_by, size_t *short_levels);

#endif
