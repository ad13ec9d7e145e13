/* benchmarks.c - the benchmark database as services: import of text items
 * assigned to two or more experts, independent expert scoring, conference
 * resolution with annotations, and the sufficiency report against the seed's
 * minimum (core/review/benchmark.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/benchmark.h"
#include "accord/store/benchmark.h"
#include "audit.h"
#include "lifecycle.h"

#define PAGE 200

int ac__bench_load(struct ac_node *n, const struct ac__cred *c, struct ac_bench_row **rows,
                   size_t *k)
{
    struct ac_bench_row *all = NULL;
    size_t have = 0, cap = 0;
    int64_t after = 0;
    for (;;) {
        if (cap - have < PAGE) {
            cap = cap ? cap * 2 : PAGE * 2;
            struct ac_bench_row *grown = realloc(all, cap * sizeof *all);
            if (!grown) {
                for (size_t i = 0; i < have; i++)
                    ac_bench_row_release(&all[i]);
                free(all);
                return AC_ENOMEM;
            }
            all = grown;
        }
        size_t got;
        int err = ac_store_bench_list(n->store, c->row.id, 0, after, all + have, PAGE, &got);
        if (err) {
            for (size_t i = 0; i < have; i++)
                ac_bench_row_release(&all[i]);
            free(all);
            return err;
        }
        have += got;
        if (got < PAGE)
            break;
        after = all[have - 1].id;
    }
    *rows = all;
    *k = have;
    return 0;
}

int ac__bench_build(const struct ac_bench_row *rows, size_t k, size_t n_levels, struct ac_bench *b)
{
    ac_bench_init(b, n_levels);
    for (size_t i = 0; i < k; i++) {
        int complete = rows[i].n_experts >= 2;
        for (size_t e = 0; e < rows[i].n_experts; e++)
            complete &= rows[i].levels[e] >= 0;
        if (!complete)
            continue;
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)rows[i].id);
        int err = ac_bench_add(b, id, rows[i].levels, rows[i].n_experts);
        if (!err && rows[i].final_level >= 0)
            err = ac_bench_resolve(b, id, rows[i].final_level, NULL, NULL);
        if (err == AC_ENOMEM) {
            ac_bench_release(b);
            return err;
        }
        /* AC_EINVAL here is a stored level off today's scale: the item is
         * left out rather than trusted. */
    }
    return 0;
}

int ac__bench_report(struct ac_node *n, const struct ac__cred *c, json_t **out, bool *sufficient)
{
    struct ac_bench_row *rows;
    size_t k;
    int err = ac__bench_load(n, c, &rows, &k);
    if (err)
        return err;
    struct ac_bench b;
    size_t unscored = 0, conflicts = 0;
    for (size_t i = 0; i < k; i++) {
        int complete = 1, agree = 1;
        for (size_t e = 0; e < rows[i].n_experts; e++) {
            complete &= rows[i].levels[e] >= 0;
            agree &= rows[i].levels[e] == rows[i].levels[0];
        }
        unscored += !complete;
        conflicts += complete && !agree && rows[i].final_level < 0;
    }
    err = ac__bench_build(rows, k, c->def->n_levels, &b);
    for (size_t i = 0; i < k; i++)
        ac_bench_row_release(&rows[i]);
    free(rows);
    if (err)
        return err;
    const struct ac_definition *d = c->def;
    uint64_t minimum = 0;
    size_t have[AC_DEF_MAX_LEVELS], short_by[AC_DEF_MAX_LEVELS], short_levels = 0;
    ac_bench_min_size(d->training.examples_per_level, d->training.attempts,
                      d->training.sample_per_level, d->n_levels, &minimum);
    err = ac_bench_sufficiency(&b, d, have, short_by, &short_levels);
    json_t *levels = json_array();
    size_t per_level = d->training.examples_per_level +
                       (size_t)d->training.attempts * d->training.sample_per_level;
    for (size_t l = 0; !err && l < d->n_levels; l++)
        json_array_append_new(levels,
                              json_pack("{s:s, s:I, s:I, s:I}", "level", d->levels[l], "resolved",
                                        (json_int_t)have[l], "needed", (json_int_t)per_level,
                                        "short_by", (json_int_t)short_by[l]));
    struct ac_bench_agreement ag = {0};
    json_t *agreement = json_null();
    if (b.n > 0 && ac_bench_agreement(&b, &ag) == 0)
        agreement =
            json_pack("{s:I, s:I, s:f, s:o}", "items", (json_int_t)ag.items, "exact_items",
                      (json_int_t)ag.exact_items, "exact_rate", ag.exact_rate, "cohen_kappa",
                      ag.cohen_kappa == ag.cohen_kappa ? json_real(ag.cohen_kappa) : json_null());
    ac_bench_release(&b);
    if (err) {
        json_decref(levels);
        json_decref(agreement);
        return err;
    }
    char verdict[200];
    *sufficient = short_levels == 0;
    if (*sufficient)
        snprintf(verdict, sizeof verdict,
                 "every level has at least %zu resolved items (minimum size %llu = %u x %zu + "
                 "%u x %u x %zu)",
                 per_level, (unsigned long long)minimum, d->training.examples_per_level,
                 d->n_levels, d->training.attempts, d->training.sample_per_level, d->n_levels);
    else
        snprintf(verdict, sizeof verdict, "%zu level%s short of %zu resolved items", short_levels,
                 short_levels == 1 ? " is" : "s are", per_level);
    *out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:b, s:s}", "credential", c->ref, "items",
                     (json_int_t)k, "unscored", (json_int_t)unscored, "open_conflicts",
                     (json_int_t)conflicts, "minimum_size", (json_int_t)minimum, "levels", levels,
                     "expert_agreement", agreement, "sufficient", *sufficient, "verdict", verdict);
    return *out ? 0 : AC_ENOMEM;
}

int ac_benchmark_import(struct ac_node *n, const struct ac_user *actor, const char *ref,
                        const int64_t *experts, size_t ne, const struct ac_text_item *items,
                        size_t k, int64_t *ids, struct ac__cred *out, struct ac_reason *why)
{
    static const enum ac_def_state states[] = {AC_DEF_BENCHMARKS};
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    if ((err = ac__cred_require_state(out, states, 1, "import benchmark items", why)) ||
        (err = ac__users_check(n, "experts", experts, ne, AC_ROLE_EXPERT, why)))
        goto out;
    json_t *d = json_pack("{s:I, s:I}", "items", (json_int_t)k, "experts", (json_int_t)ne);
    int64_t now = ac_clock_now_ms();
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        for (size_t i = 0; !err && i < k; i++)
            err = ac_store_bench_add(n->store, out->row.id, items[i].label, items[i].content,
                                     experts, ne, now, &ids[i]);
        if (!err)
            err = ac_audit(n, "credential", out->ref, actor->id, "benchmark-import", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (err == AC_EEXIST)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "items",
                       "items: a label is already in the benchmark database of %s", out->ref);
out:
    if (err)
        ac__cred_release(out);
    return err;
}

/* Loads item |id| and its credential into |b| and |c| (both zeroed first, so
 * the caller releases both whatever this returns). Returns 0, AC_ENOENT
 * (with a reason naming the item) or a store error. */
static int load_item(struct ac_node *n, int64_t id, struct ac_bench_row *b, struct ac__cred *c,
                     struct ac_reason *why)
{
    memset(b, 0, sizeof *b);
    memset(c, 0, sizeof *c);
    int err = ac_store_bench_get(n->store, id, b);
    if (!err)
        err = ac__cred_load_id(n, b->credential_id, c);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL, "benchmark item %lld does not exist",
                       (long long)id);
    return err;
}

int ac_benchmark_score(struct ac_node *n, const struct ac_user *actor, int64_t item,
                       const struct ac_level_arg *level, struct ac__cred *out, int *level_out,
                       struct ac_reason *why)
{
    static const enum ac_def_state states[] = {AC_DEF_BENCHMARKS};
    struct ac_bench_row b;
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_EXPERT, why);
    if (err)
        return err;
    int lv;
    if ((err = load_item(n, item, &b, out, why)) ||
        (err = ac__cred_require_state(out, states, 1, "score benchmark items", why)) ||
        (err = ac__level_resolve(out->def, level, "level", &lv, why)))
        goto out;
    json_t *d = json_pack("{s:I}", "item_id", (json_int_t)b.id);
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_bench_score(n->store, b.id, actor->id, lv, ac_clock_now_ms());
        if (!err)
            err = ac_audit(n, "credential", out->ref, actor->id, "benchmark-score", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (err == AC_ENOENT)
        err = ac_reason_fail(why, AC_EACCES, AC_PROBLEM_NOT_ASSIGNED, "id",
                             "benchmark item %lld is not assigned to you (%s)", (long long)b.id,
                             actor->name);
    else if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_ALREADY_SCORED, "level",
                       "you already scored benchmark item %lld; independent scores are final "
                       "(disagreements are settled in conference)",
                       (long long)b.id);
    *level_out = lv;
out:
    ac_bench_row_release(&b);
    if (err)
        ac__cred_release(out);
    return err;
}

int ac_benchmark_resolve(struct ac_node *n, const struct ac_user *actor, int64_t item,
                         const struct ac_level_arg *level, const char *key_characteristics,
                         const char *common_errors, struct ac__cred *out,
                         struct ac_bench_row *item_out, struct ac_reason *why)
{
    static const enum ac_def_state states[] = {AC_DEF_BENCHMARKS};
    struct ac_bench_row b;
    memset(out, 0, sizeof *out);
    memset(item_out, 0, sizeof *item_out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN | AC_ROLE_EXPERT, why);
    if (err)
        return err;
    int lv;
    if ((err = load_item(n, item, &b, out, why)) ||
        (err = ac__cred_require_state(out, states, 1, "resolve benchmark items", why)) ||
        (err = ac__level_resolve(out->def, level, "level", &lv, why)))
        goto out;
    /* A conference settles what independent scoring left open: every expert
     * must have scored, and a unanimous score is not overruled. */
    int agreed = 1;
    for (size_t e = 0; e < b.n_experts; e++) {
        if (b.levels[e] < 0) {
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_NOT_SCORED, "id",
                                 "benchmark item %lld: expert %lld has not scored it yet; resolve "
                                 "after every independent score is in",
                                 (long long)b.id, (long long)b.experts[e]);
            goto out;
        }
        agreed &= b.levels[e] == b.levels[0];
    }
    if (agreed && lv != b.levels[0]) {
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, "level",
                             "level: the experts agreed on \"%s\" independently; the final score "
                             "of item %lld must be that level",
                             out->def->levels[b.levels[0]], (long long)b.id);
        goto out;
    }
    /* An admin resolves any item; an expert only one they scored. */
    if (!(actor->roles & AC_ROLE_ADMIN)) {
        int mine = 0;
        for (size_t e = 0; e < b.n_experts; e++)
            mine |= b.experts[e] == actor->id;
        if (!mine) {
            err = ac_reason_fail(why, AC_EACCES, AC_PROBLEM_NOT_ASSIGNED, "id",
                                 "benchmark item %lld is not assigned to you (%s); only its "
                                 "experts or an admin resolve it",
                                 (long long)b.id, actor->name);
            goto out;
        }
    }
    json_t *d = json_pack("{s:I, s:s}", "item_id", (json_int_t)b.id, "level", out->def->levels[lv]);
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_bench_resolve(n->store, b.id, lv, key_characteristics, common_errors,
                                     actor->id, ac_clock_now_ms());
        if (!err)
            err = ac_audit(n, "credential", out->ref, actor->id, "benchmark-resolve", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (!err)
        err = ac_store_bench_get(n->store, b.id, item_out);
out:
    ac_bench_row_release(&b);
    if (err)
        ac__cred_release(out);
    return err;
}
