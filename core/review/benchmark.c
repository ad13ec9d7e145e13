/* benchmark.c - a credential's benchmark database: expert scores, their
 * agreement, conference resolution, and sufficiency against the seed formula. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accord/review/benchmark.h"
#include "accord/base/error.h"

int ac_bench_min_size(unsigned examples_per_level, unsigned attempts, unsigned sample_per_level,
                      size_t n_levels, uint64_t *out)
{
    if (n_levels == 0)
        return AC_EINVAL;
    uint64_t per_level = (uint64_t)examples_per_level + (uint64_t)attempts * sample_per_level;
    if (per_level != 0 && n_levels > UINT64_MAX / per_level)
        return AC_ERANGE;
    *out = per_level * n_levels;
    return 0;
}

void ac_bench_init(struct ac_bench *b, size_t n_levels)
{
    memset(b, 0, sizeof(*b));
    b->n_levels = n_levels;
}

void ac_bench_release(struct ac_bench *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->items[i].id);
        free(b->items[i].key_characteristics);
        free(b->items[i].common_errors);
    }
    free(b->items);
    ac_bench_init(b, b->n_levels);
}

struct ac_bench_item *ac_bench_find(struct ac_bench *b, const char *id)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->items[i].id, id) == 0)
            return &b->items[i];
    return NULL;
}

int ac_bench_add(struct ac_bench *b, const char *id, const int *expert, size_t n)
{
    if (!id || !id[0] || n < 2 || n > AC_BENCH_MAX_EXPERTS)
        return AC_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (expert[i] < 0 || (size_t)expert[i] >= b->n_levels)
            return AC_EINVAL;
    if (ac_bench_find(b, id))
        return AC_EEXIST;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct ac_bench_item *items = realloc(b->items, cap * sizeof(*items));
        if (!items)
            return AC_ENOMEM;
        b->items = items;
        b->cap = cap;
    }
    struct ac_bench_item *it = &b->items[b->n];
    memset(it, 0, sizeof(*it));
    it->id = strdup(id);
    if (!it->id)
        return AC_ENOMEM;
    memcpy(it->expert, expert, n * sizeof(int));
    it->n_experts = n;
    it->final_level = AC_BENCH_UNRESOLVED;
    b->n++;
    return 0;
}

bool ac_bench_item_agrees(const struct ac_bench_item *it)
{
    for (size_t i = 1; i < it->n_experts; i++)
        if (it->expert[i] != it->expert[0])
            return false;
    return true;
}

int ac_bench_resolve(struct ac_bench *b, const char *id, int final_level,
                     const char *key_characteristics, const char *common_errors)
{
    struct ac_bench_item *it = ac_bench_find(b, id);
    if (!it)
        return AC_ENOENT;
    if (final_level < 0 || (size_t)final_level >= b->n_levels)
        return AC_EINVAL;
    /* A conference settles conflicts; it does not overrule unanimous experts. */
    if (ac_bench_item_agrees(it) && it->expert[0] != final_level)
        return AC_EINVAL;
    char *k = key_characteristics ? strdup(key_characteristics) : NULL;
    char *e = common_errors ? strdup(common_errors) : NULL;
    if ((key_characteristics && !k) || (common_errors && !e)) {
        free(k);
        free(e);
        return AC_ENOMEM;
    }
    free(it->key_characteristics);
    free(it->common_errors);
    it->key_characteristics = k;
    it->common_errors = e;
    it->final_level = final_level;
    return 0;
}

int ac_bench_agreement(const struct ac_bench *b, struct ac_bench_agreement *out)
{
    if (b->n == 0 || b->n_levels == 0 || b->n_levels > AC_DEF_MAX_LEVELS)
        return AC_EINVAL;
    double row[AC_DEF_MAX_LEVELS] = {0}, col[AC_DEF_MAX_LEVELS] = {0};
    size_t exact = 0, pair_same = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct ac_bench_item *it = &b->items[i];
        exact += ac_bench_item_agrees(it);
        pair_same += it->expert[0] == it->expert[1];
        row[it->expert[0]] += 1;
        col[it->expert[1]] += 1;
    }
    double n = (double)b->n, pe = 0;
    for (size_t l = 0; l < b->n_levels; l++)
        pe += (row[l] / n) * (col[l] / n);
    double po = (double)pair_same / n;
    /* Cohen (1960): kappa = (po - pe) / (1 - pe). */
    out->items = b->n;
    out->exact_items = exact;
    out->exact_rate = (double)exact / n;
    out->cohen_kappa = pe < 1 ? (po - pe) / (1 - pe) : NAN;
    return 0;
}

int ac_bench_sufficiency(const struct ac_bench *b, const struct ac_definition *def, size_t *have,
                         size_t *short_by, size_t *short_levels)
{
    if (def->n_levels != b->n_levels)
        return AC_EINVAL;
    size_t need = def->training.examples_per_level +
                  (size_t)def->training.attempts * def->training.sample_per_level;
    for (size_t l = 0; l < b->n_levels; l++)
        have[l] = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].final_level != AC_BENCH_UNRESOLVED)
            have[b->items[i].final_level]++;
    size_t s = 0;
    for (size_t l = 0; l < b->n_levels; l++) {
        short_by[l] = have[l] < need ? need - have[l] : 0;
        s += short_by[l] > 0;
    }
    *short_levels = s;
    return 0;
}
