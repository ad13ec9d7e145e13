/* api_benchmarks.c - the benchmark database over the API: import of text
 * items assigned to two or more experts, independent expert scoring, the
 * conflicts list and their conference resolution with annotations, and the
 * sufficiency report (node/lifecycle/benchmarks.c). */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/store/benchmark.h"
#include "api_lifecycle.h"

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
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"experts", "items", NULL};
    int64_t experts[AC_STORE_BENCH_EXPERTS], *ids = NULL;
    struct ac_text_item *texts = NULL;
    int ne, k;
    if (ac__json_only(x, body, allowed) ||
        (ne = ac__user_ids_get(x, body, "experts", 2, AC_STORE_BENCH_EXPERTS, experts)) < 0 ||
        (k = ac__text_batch_get(x, body, "items", 2000,
                                "items: a list of 1 to 2000 {\"label\", \"content\"} objects "
                                "(text items; artifacts attach later)",
                                "benchmark items", &texts, &ids)) < 0)
        goto out;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err = ac_benchmark_import(n, &a.user, ac_http_param(x, "ref"), experts, (size_t)ne, texts,
                                  (size_t)k, ids, &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "benchmark items");
        goto out;
    }
    ac__respond_owned(
        x, 201,
        json_pack("{s:s, s:o}", "credential", c.ref, "item_ids", ac__ids_json(ids, (size_t)k)));
    ac__cred_release(&c);
out:
    free(texts);
    free(ids);
    json_decref(body);
}

/* GET .../benchmarks: every item with every score (admin only). */
/* ---- reads on the reader threads (node/readers.h, api_lifecycle.h) ---- */

/* The items of the credential, all of them or only the unresolved
 * conflicts (cr->state 1). */
static int list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac__cred c;
    int err = ac__cred_read_find(cr, view, &c, why);
    if (err)
        return err;
    struct ac_bench_row *rows;
    size_t k;
    err = ac__bench_load(view, &c, &rows, &k);
    if (err) {
        ac__cred_release(&c);
        return err;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        int complete = 1, agree = 1;
        for (size_t e = 0; e < rows[i].n_experts; e++) {
            complete &= rows[i].levels[e] >= 0;
            agree &= rows[i].levels[e] == rows[i].levels[0];
        }
        if (cr->state != 1 || (complete && !agree && rows[i].final_level < 0))
            json_array_append_new(items, item_json(&rows[i], &c));
        ac_bench_row_release(&rows[i]);
    }
    free(rows);
    *out = json_pack("{s:s, s:o}", "credential", c.ref, "items", items);
    ac__cred_release(&c);
    return 0;
}

static void on_list(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_ADMIN, false, list_read, "benchmarks");
}

static void on_conflicts(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN | AC_ROLE_EXPERT))
        return;
    struct ac__cred_read *cr = ac__cred_read_new(x, a.user.id);
    if (!cr)
        return;
    cr->state = 1;
    ac__cred_read_submit(n, cr, list_read, "benchmarks");
}

static int assignments_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                            struct ac_reason *why)
{
    (void)why;
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac_bench_row rows[200];
    size_t k;
    int err = ac_store_bench_list(view->store, 0, cr->user, cr->after, rows, cr->limit, &k);
    if (err)
        return err;
    json_t *items = json_array();
    struct ac__cred c = {0};
    for (size_t i = 0; i < k; i++) {
        if (ac__cred_follow(view, rows[i].credential_id, &c) != 0)
            continue;
        int mine = -1;
        for (size_t e = 0; e < rows[i].n_experts; e++)
            if (rows[i].experts[e] == cr->user)
                mine = rows[i].levels[e];
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:s, s:s, s:o}", "item_id",
                                        (json_int_t)rows[i].id, "credential", c.ref, "label",
                                        rows[i].label, "content", rows[i].content, "my_level",
                                        mine < 0 ? json_null() : json_string(c.def->levels[mine])));
    }
    ac__cred_release(&c);
    int more = k == cr->limit;
    *out = ac__page_json(items, more, more ? rows[k - 1].id : 0);
    for (size_t i = 0; i < k; i++)
        ac_bench_row_release(&rows[i]);
    return 0;
}

static void on_assignments(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_EXPERT, true, assignments_read, "benchmark assignments");
}

static int report_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    return ac__cred_report_read(r, view, out, why, ac__bench_report);
}

static void on_report(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_ADMIN, false, report_read, "benchmark report");
}

static void on_score(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EXPERT) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"level", NULL};
    if (ac__param_id(x, "id", "benchmark item", &id) || ac__json_only(x, body, allowed))
        goto out;
    struct ac_level_arg level;
    ac__level_arg_of(body, "level", &level);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int lv;
    int err = ac_benchmark_score(n, &a.user, id, &level, &c, &lv, &why);
    if (err) {
        ac__refuse(x, err, &why, "benchmark score");
        goto out;
    }
    ac__respond_owned(
        x, 200, json_pack("{s:I, s:s}", "item_id", (json_int_t)id, "my_level", c.def->levels[lv]));
    ac__cred_release(&c);
out:
    json_decref(body);
}

static void on_resolve(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN | AC_ROLE_EXPERT) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"level", "key_characteristics", "common_errors", NULL};
    if (ac__param_id(x, "id", "benchmark item", &id) || ac__json_only(x, body, allowed))
        goto out;
    json_t *kc = json_object_get(body, "key_characteristics");
    json_t *ce = json_object_get(body, "common_errors");
    if ((kc && !json_is_string(kc)) || (ce && !json_is_string(ce))) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD,
                    kc && !json_is_string(kc) ? "key_characteristics" : "common_errors", NULL,
                    "annotations must be text");
        goto out;
    }
    struct ac_level_arg level;
    ac__level_arg_of(body, "level", &level);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_bench_row item;
    int err = ac_benchmark_resolve(n, &a.user, id, &level, json_string_value(kc),
                                   json_string_value(ce), &c, &item, &why);
    if (err) {
        ac__refuse(x, err, &why, "benchmark resolution");
        goto out;
    }
    ac__respond_owned(x, 200, item_json(&item, &c));
    ac_bench_row_release(&item);
    ac__cred_release(&c);
out:
    json_decref(body);
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
