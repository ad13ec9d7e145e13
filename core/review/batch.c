/* batch.c - groups a reviewer's new assignments into batches of the credential's
 * size, seeds blind benchmark items into them, and decides when the timer fires. */
#include "accord/review/assign.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"

static const struct ac_batch_rule *rule_of(const struct ac_batch_rule *rules, size_t n,
                                           uint32_t credential)
{
    for (size_t i = 0; i < n; i++)
        if (rules[i].credential == credential)
            return &rules[i];
    return NULL;
}

/* Orders item indexes by reviewer, credential, then input position (stable). */
static int cmp_index(const void *a, const void *b, void *ctx)
{
    const struct ac_batch_item *base = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const struct ac_batch_item *x = &base[i], *y = &base[j];
    if (x->reviewer != y->reviewer)
        return x->reviewer < y->reviewer ? -1 : 1;
    if (x->credential != y->credential)
        return x->credential < y->credential ? -1 : 1;
    return (i > j) - (i < j);
}

static int validate(const struct ac_batch_item *items, size_t n, const struct ac_batch_rule *rules,
                    size_t n_rules)
{
    if ((!items && n) || (!rules && n_rules)) {
        ac_log_warn("batch", "items or rules: NULL array with a non-zero count");
        return AC_EINVAL;
    }
    for (size_t i = 0; i < n_rules; i++) {
        const struct ac_batch_rule *r = &rules[i];
        if (r->batch_size == 0) {
            ac_log_warn("batch", "rules[%zu].batch_size: 0; a batch holds at least 1 item", i);
            return AC_EINVAL;
        }
        if (!(r->benchmark_rate >= 0 && r->benchmark_rate < 1)) {
            ac_log_warn("batch", "rules[%zu].benchmark_rate: %g; must be in [0, 1)", i,
                        r->benchmark_rate);
            return AC_EINVAL;
        }
        if (!r->benchmarks && r->n_benchmarks) {
            ac_log_warn("batch", "rules[%zu].benchmarks: NULL with %zu items", i, r->n_benchmarks);
            return AC_EINVAL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].benchmark) {
            ac_log_warn("batch", "items[%zu].benchmark: true; benchmarks are seeded, not passed in",
                        i);
            return AC_EINVAL;
        }
    }
    return 0;
}

struct builder {
    struct ac_batch_item *items;
    size_t n_items, items_alloc;
    struct ac_batch *batches;
    size_t *starts; /* per batch: index of its first item, turned into a pointer at the end */
    size_t n_batches, batches_alloc;
};

static int push_item(struct builder *b, struct ac_batch_item it)
{
    if (b->n_items == b->items_alloc) {
        size_t na = b->items_alloc ? b->items_alloc * 2 : 64;
        struct ac_batch_item *p = realloc(b->items, na * sizeof(*p));
        if (!p)
            return AC_ENOMEM;
        b->items = p;
        b->items_alloc = na;
    }
    b->items[b->n_items++] = it;
    return 0;
}

static int push_batch(struct builder *b, struct ac_batch batch, size_t start)
{
    if (b->n_batches == b->batches_alloc) {
        size_t na = b->batches_alloc ? b->batches_alloc * 2 : 16;
        struct ac_batch *p = realloc(b->batches, na * sizeof(*p));
        if (!p)
            return AC_ENOMEM;
        b->batches = p;
        size_t *st = realloc(b->starts, na * sizeof(*st));
        if (!st)
            return AC_ENOMEM;
        b->starts = st;
        b->batches_alloc = na;
    }
    b->starts[b->n_batches] = start;
    b->batches[b->n_batches++] = batch;
    return 0;
}

/* Draws a benchmark of |rule| not yet in the |n| items at |in|; returns false when
 * the batch already holds every benchmark of the pool. */
static bool draw_benchmark(const struct ac_batch_rule *rule, const struct ac_batch_item *in,
                           size_t n, struct ac_assign_rng *rng, uint64_t *out)
{
    size_t held = 0;
    for (size_t i = 0; i < n; i++)
        held += in[i].benchmark;
    if (held >= rule->n_benchmarks)
        return false;
    /* Draw the k-th benchmark not yet held, uniformly among those left. */
    uint32_t k = ac_assign_rng_below(rng, (uint32_t)(rule->n_benchmarks - held));
    for (size_t j = 0; j < rule->n_benchmarks; j++) {
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = in[i].benchmark && in[i].submission == rule->benchmarks[j];
        if (dup)
            continue;
        if (k-- == 0) {
            *out = rule->benchmarks[j];
            return true;
        }
    }
    return false;
}

static void shuffle(struct ac_batch_item *a, size_t n, struct ac_assign_rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = ac_assign_rng_below(rng, (uint32_t)i);
        struct ac_batch_item t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Cuts the items order[lo..hi) (one reviewer and credential) into batches. */
static int cut_group(struct builder *b, const struct ac_batch_item *items, const size_t *order,
                     size_t lo, size_t hi, const struct ac_batch_rule *rule,
                     struct ac_assign_rng *rng)
{
    uint32_t size = rule ? rule->batch_size : 1;
    bool seed = rng && rule && rule->benchmark_rate > 0 && rule->n_benchmarks > 0;
    size_t next = lo;
    while (next < hi) {
        size_t start = b->n_items;
        int rc;
        for (uint32_t pos = 0; pos < size && next < hi; pos++) {
            struct ac_batch_item it = items[order[next]];
            uint64_t bench;
            if (seed && ac_assign_rng_chance(rng, rule->benchmark_rate) &&
                draw_benchmark(rule, &b->items[start], b->n_items - start, rng, &bench)) {
                it.submission = bench;
                it.benchmark = true;
            } else {
                next++;
            }
            if ((rc = push_item(b, it)))
                return rc;
        }
        size_t n = b->n_items - start;
        if (rng && rule && rule->benchmark_rate > 0)
            shuffle(&b->items[start], n, rng);
        struct ac_batch batch = {.reviewer = items[order[lo]].reviewer,
                                 .credential = items[order[lo]].credential,
                                 .n_items = n,
                                 .full = n == size};
        if ((rc = push_batch(b, batch, start)))
            return rc;
    }
    return 0;
}

int ac_batch_build(const struct ac_batch_item *items, size_t n, const struct ac_batch_rule *rules,
                   size_t n_rules, struct ac_assign_rng *rng, struct ac_batch_set **out)
{
    int rc = validate(items, n, rules, n_rules);
    if (rc)
        return rc;
    size_t *order = malloc((n ? n : 1) * sizeof(*order));
    struct ac_batch_set *set = calloc(1, sizeof(*set));
    struct builder b = {0};
    if (!order || !set) {
        rc = AC_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof(*order), cmp_index, (void *)items);
    for (size_t lo = 0; lo < n && !rc;) {
        size_t hi = lo + 1;
        while (hi < n && items[order[hi]].reviewer == items[order[lo]].reviewer &&
               items[order[hi]].credential == items[order[lo]].credential)
            hi++;
        rc = cut_group(&b, items, order, lo, hi,
                       rule_of(rules, n_rules, items[order[lo]].credential), rng);
        lo = hi;
    }
    if (rc)
        goto fail;
    for (size_t i = 0; i < b.n_batches; i++)
        b.batches[i].items = b.items + b.starts[i];
    set->batches = b.batches;
    set->n_batches = b.n_batches;
    set->items = b.items;
    set->n_items = b.n_items;
    free(order);
    free(b.starts);
    *out = set;
    return 0;
fail:
    free(order);
    free(set);
    free(b.items);
    free(b.batches);
    free(b.starts);
    return rc;
}

void ac_batch_set_free(struct ac_batch_set *set)
{
    if (!set)
        return;
    free(set->items);
    free(set->batches);
    free(set);
}

bool ac_batch_due(int64_t oldest_pending_ms, int64_t now_ms, int64_t timer_ms, int64_t *send_at_ms)
{
    if (timer_ms <= 0 || now_ms - oldest_pending_ms >= timer_ms) {
        *send_at_ms = now_ms;
        return true;
    }
    *send_at_ms = oldest_pending_ms + timer_ms;
    return false;
}
