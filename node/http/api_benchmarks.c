/* api_benchmarks.c - the benchmark database over the API: import of text
 * items assigned to two or more experts, independent expert scoring, the
 * conflicts list and their conference resolution with annotations, and the
 * sufficiency report against the seed's minimum (core/benchmark.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/review/benchmark.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "lifecycle/lifecycle.h"

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

/* An item as an admin or a conference sees it: every expert's score. */
static json_t *item_json(const struct ac_bench_row *b, const struct ac__cred *c)
{
    json_t *scores = json_array();
    for (size_t e = 0; e < b->n_experts; e++)
        json_array_append_new(
            scores,
            json_pack("{s:I, s:o}", "expert", (json_int_t)b->experts[e], "level",
                      b->levels[e] < 0 ? json_null() : json_string(c->def->levels[b->levels[e]])));
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:I}", "item_id", (json_int_t)b->id, "credential",
                  c->ref, "label", b->label, "content", b->content, "scores", scores, "final_level",
                  b->final_level < 0 ? json_null() : json_string(c->def->levels[b->final_level]),
                  "exposures", (json_int_t)b->exposures);
    if (j && b->key_characteristics[0])
        json_object_set_new(j, "key_characteristics", json_string(b->key_characteristics));
    if (j && b->common_errors[0])
        json_object_set_new(j, "common_errors", json_string(b->common_errors));
    return j;
}

static void on_import(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    if (ac__cred_load(n, x, &c)) {
        json_decref(body);
        return;
    }
    static const char *const allowed[] = {"experts", "items", NULL};
    static const enum ac_def_state states[] = {AC_DEF_BENCHMARKS};
    int64_t experts[AC_STORE_BENCH_EXPERTS];
    int ne;
    json_t *items = json_object_get(body, "items");
    if (ac__json_only(x, body, allowed) ||
        ac__cred_require_state(x, &c, states, 1, "import benchmark items") ||
        (ne = ac__users_get(n, x, body, "experts", AC_ROLE_EXPERT, 2, experts,
                            AC_STORE_BENCH_EXPERTS)) < 0)
        goto out;
    if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 2000) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "items", NULL,
                    "items: a list of 1 to 2000 {\"label\", \"content\"} objects (text items; "
                    "artifacts attach later)");
        goto out;
    }
    if (ac__labelled_texts_check(x, items, "items"))
        goto out;
    size_t i;
    json_t *v;
    int err = ac_store_tx_begin(n->store);
    int64_t now = ac_clock_now_ms(), id = 0;
    json_t *ids = json_array();
    json_array_foreach(items, i, v)
    {
        if (err)
            break;
        err = ac_store_bench_add(n->store, c.row.id, json_string_value(json_object_get(v, "label")),
                                 json_string_value(json_object_get(v, "content")), experts,
                                 (size_t)ne, now, &id);
        json_array_append_new(ids, json_integer(id));
    }
    json_t *d = json_pack("{s:I, s:I}", "items", (json_int_t)json_array_size(items), "experts",
                          (json_int_t)ne);
    if (!err)
        err = ac__audit(n, "credential", c.ref, a.user.id, "benchmark-import", d);
    json_decref(d);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err == AC_EEXIST)
        ac__problem(x, AC_PROBLEM_CONFLICT, "items", NULL,
                    "items: a label is already in the benchmark database of %s", c.ref);
    else if (err)
        ac__respond_error(x, err, "benchmark items");
    else
        ac__respond_owned(x, 201, json_pack("{s:s, s:O}", "credential", c.ref, "item_ids", ids));
    json_decref(ids);
out:
    json_decref(body);
    ac__cred_release(&c);
}

/* GET .../benchmarks: every item with every score (admin only). */
static void on_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    struct ac_bench_row *rows;
    size_t k;
    int err = ac__bench_load(n, &c, &rows, &k);
    if (err) {
        ac__respond_error(x, err, "benchmarks");
        ac__cred_release(&c);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        json_array_append_new(items, item_json(&rows[i], &c));
        ac_bench_row_release(&rows[i]);
    }
    free(rows);
    ac__respond_owned(x, 200, json_pack("{s:s, s:o}", "credential", c.ref, "items", items));
    ac__cred_release(&c);
}

/* GET .../benchmarks/conflicts: fully scored items the experts split on and
 * nobody resolved yet; only now are the scores shown, for the conference. */
static void on_conflicts(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN | AC_ROLE_EXPERT) ||
        ac__cred_load(n, x, &c))
        return;
    struct ac_bench_row *rows;
    size_t k;
    int err = ac__bench_load(n, &c, &rows, &k);
    if (err) {
        ac__respond_error(x, err, "benchmarks");
        ac__cred_release(&c);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        int complete = 1, agree = 1;
        for (size_t e = 0; e < rows[i].n_experts; e++) {
            complete &= rows[i].levels[e] >= 0;
            agree &= rows[i].levels[e] == rows[i].levels[0];
        }
        if (complete && !agree && rows[i].final_level < 0)
            json_array_append_new(items, item_json(&rows[i], &c));
        ac_bench_row_release(&rows[i]);
    }
    free(rows);
    ac__respond_owned(x, 200, json_pack("{s:s, s:o}", "credential", c.ref, "items", items));
    ac__cred_release(&c);
}

static void on_assignments(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EXPERT) ||
        ac__page_params(x, &limit, &after))
        return;
    struct ac_bench_row rows[200];
    size_t k;
    int err = ac_store_bench_list(n->store, 0, a.user.id, after, rows, limit, &k);
    if (err) {
        ac__respond_error(x, err, "benchmark assignments");
        return;
    }
    json_t *items = json_array();
    struct ac__cred c = {0};
    for (size_t i = 0; i < k; i++) {
        if (c.row.id != rows[i].credential_id) {
            ac__cred_release(&c);
            if (ac__cred_load_id(n, rows[i].credential_id, &c) != 0)
                continue;
        }
        int mine = -1;
        for (size_t e = 0; e < rows[i].n_experts; e++)
            if (rows[i].experts[e] == a.user.id)
                mine = rows[i].levels[e];
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:s, s:s, s:o}", "item_id",
                                        (json_int_t)rows[i].id, "credential", c.ref, "label",
                                        rows[i].label, "content", rows[i].content, "my_level",
                                        mine < 0 ? json_null() : json_string(c.def->levels[mine])));
    }
    ac__cred_release(&c);
    int more = k == limit;
    json_t *j = ac__page_json(items, more, more ? rows[k - 1].id : 0);
    for (size_t i = 0; i < k; i++)
        ac_bench_row_release(&rows[i]);
    ac__respond_owned(x, 200, j);
}

/* Loads item |id| from the path and its credential. Returns 0 or answers -1. */
static int load_item(struct ac_node *n, struct ac_http_exchange *x, struct ac_bench_row *b,
                     struct ac__cred *c)
{
    int64_t id;
    memset(b, 0, sizeof *b);
    memset(c, 0, sizeof *c);
    if (ac__param_id(x, "id", "benchmark item", &id))
        return -1;
    int err = ac_store_bench_get(n->store, id, b);
    if (!err)
        err = ac__cred_load_id(n, b->credential_id, c);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "benchmark item %lld", (long long)id);
        ac__respond_error(x, err, what);
        return -1;
    }
    return 0;
}

static void on_score(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    struct ac_bench_row b;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EXPERT) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"level", NULL};
    static const enum ac_def_state states[] = {AC_DEF_BENCHMARKS};
    int level;
    if (load_item(n, x, &b, &c))
        goto out_body;
    if (ac__json_only(x, body, allowed) ||
        ac__cred_require_state(x, &c, states, 1, "score benchmark items") ||
        ac__level_get(x, c.def, body, "level", &level))
        goto out;
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_bench_score(n->store, b.id, a.user.id, level, ac_clock_now_ms());
        json_t *d = json_pack("{s:I}", "item_id", (json_int_t)b.id);
        if (!err)
            err = ac__audit(n, "credential", c.ref, a.user.id, "benchmark-score", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ENOENT)
        ac__problem(x, AC_PROBLEM_NOT_ASSIGNED, "id", NULL,
                    "benchmark item %lld is not assigned to you (%s)", (long long)b.id,
                    a.user.name);
    else if (err == AC_ECONFLICT)
        ac__problem(x, AC_PROBLEM_ALREADY_SCORED, "level", NULL,
                    "you already scored benchmark item %lld; independent scores are final "
                    "(disagreements are settled in conference)",
                    (long long)b.id);
    else if (err)
        ac__respond_error(x, err, "benchmark score");
    else
        ac__respond_owned(
            x, 200,
            json_pack("{s:I, s:s}", "item_id", (json_int_t)b.id, "my_level", c.def->levels[level]));
out:
    ac_bench_row_release(&b);
    ac__cred_release(&c);
out_body:
    json_decref(body);
}

static void on_resolve(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    struct ac_bench_row b;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN | AC_ROLE_EXPERT) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"level", "key_characteristics", "common_errors", NULL};
    static const enum ac_def_state states[] = {AC_DEF_BENCHMARKS};
    int level;
    if (load_item(n, x, &b, &c))
        goto out_body;
    if (ac__json_only(x, body, allowed) ||
        ac__cred_require_state(x, &c, states, 1, "resolve benchmark items") ||
        ac__level_get(x, c.def, body, "level", &level))
        goto out;
    json_t *kc = json_object_get(body, "key_characteristics");
    json_t *ce = json_object_get(body, "common_errors");
    if ((kc && !json_is_string(kc)) || (ce && !json_is_string(ce))) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD,
                    kc && !json_is_string(kc) ? "key_characteristics" : "common_errors", NULL,
                    "annotations must be text");
        goto out;
    }
    /* A conference settles what independent scoring left open: every expert
     * must have scored, and a unanimous score is not overruled. */
    int agreed = 1;
    for (size_t e = 0; e < b.n_experts; e++) {
        if (b.levels[e] < 0) {
            ac__problem(x, AC_PROBLEM_NOT_SCORED, "id", NULL,
                        "benchmark item %lld: expert %lld has not scored it yet; resolve after "
                        "every independent score is in",
                        (long long)b.id, (long long)b.experts[e]);
            goto out;
        }
        agreed &= b.levels[e] == b.levels[0];
    }
    if (agreed && level != b.levels[0]) {
        ac__problem(x, AC_PROBLEM_UNACCEPTABLE_VALUE, "level", NULL,
                    "level: the experts agreed on \"%s\" independently; the final score of item "
                    "%lld must be that level",
                    c.def->levels[b.levels[0]], (long long)b.id);
        goto out;
    }
    if (a.user.roles == AC_ROLE_EXPERT) {
        int mine = 0;
        for (size_t e = 0; e < b.n_experts; e++)
            mine |= b.experts[e] == a.user.id;
        if (!mine) {
            ac__problem(x, AC_PROBLEM_NOT_ASSIGNED, "id", NULL,
                        "benchmark item %lld is not assigned to you (%s); only its experts or "
                        "an admin resolve it",
                        (long long)b.id, a.user.name);
            goto out;
        }
    }
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_bench_resolve(n->store, b.id, level, json_string_value(kc),
                                     json_string_value(ce), a.user.id, ac_clock_now_ms());
        json_t *d =
            json_pack("{s:I, s:s}", "item_id", (json_int_t)b.id, "level", c.def->levels[level]);
        if (!err)
            err = ac__audit(n, "credential", c.ref, a.user.id, "benchmark-resolve", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err) {
        ac__respond_error(x, err, "benchmark resolution");
        goto out;
    }
    struct ac_bench_row now;
    if (ac_store_bench_get(n->store, b.id, &now) == 0) {
        ac__respond_owned(x, 200, item_json(&now, &c));
        ac_bench_row_release(&now);
    } else {
        ac__respond_error(x, AC_EDB, "benchmark item");
    }
out:
    ac_bench_row_release(&b);
    ac__cred_release(&c);
out_body:
    json_decref(body);
}

static void on_report(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    json_t *j;
    bool ok;
    int err = ac__bench_report(n, &c, &j, &ok);
    if (err)
        ac__respond_error(x, err, "benchmark report");
    else
        ac__respond_owned(x, 200, j);
    ac__cred_release(&c);
}

void ac__api_benchmarks_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/definitions/{ref}/benchmarks", on_import);
    ac__route(n, "GET", "/v1/definitions/{ref}/benchmarks", on_list);
    ac__route(n, "GET", "/v1/definitions/{ref}/benchmarks/conflicts", on_conflicts);
    ac__route(n, "GET", "/v1/definitions/{ref}/benchmarks/report", on_report);
    ac__route(n, "GET", "/v1/benchmarks/assignments", on_assignments);
    ac__route(n, "POST", "/v1/benchmarks/items/{id}/score", on_score);
    ac__route(n, "POST", "/v1/benchmarks/items/{id}/resolve", on_resolve);
}
