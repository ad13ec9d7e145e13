/* api_pilot.c - pilot validation over the API: the issuer assigns pilot
 * submissions to two experts, each expert sees and scores only their own
 * assignments, and the report (node/lifecycle/pilot.c) measures agreement
 * against the issuer's threshold. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/store/pilot.h"
#include "api_lifecycle.h"
#include "review/review.h"

static void on_add(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"experts", "submissions", NULL};
    int64_t experts[2], *ids = NULL;
    struct ac_text_item *subs = NULL;
    int k;
    if (ac__json_only(x, body, allowed) ||
        ac__user_ids_get(x, body, "experts", 2, 2, experts) < 0 ||
        (k = ac__text_batch_get(x, body, "submissions", AC_PILOT_MAX_SUBMISSIONS,
                                "submissions: a list of 1 to 500 {\"label\", \"content\"} objects",
                                "pilot submissions", &subs, &ids)) < 0)
        goto out;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err =
        ac_pilot_add(n, &a.user, ac_http_param(x, "ref"), experts, subs, (size_t)k, ids, &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "pilot submissions");
        goto out;
    }
    ac__respond_owned(x, 201,
                      json_pack("{s:s, s:I, s:o}", "credential", c.ref, "round",
                                (json_int_t)c.row.pilot_round, "submission_ids",
                                ac__ids_json(ids, (size_t)k)));
    ac__cred_release(&c);
out:
    free(subs);
    free(ids);
    json_decref(body);
}

/* ---- reads on the reader threads (node/readers.h, api_lifecycle.h) ---- */

static int report_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    return ac__cred_report_read(r, view, out, why, ac__pilot_report);
}

static void on_report(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_ADMIN, false, report_read, "pilot report");
}

static void mine_json(json_t *e, const json_t *detail)
{
    json_t *notes = json_object_get(detail, "notes");
    json_t *elements = json_object_get(detail, "elements");
    if (notes)
        json_object_set(e, "my_notes", notes);
    if (elements)
        json_object_set(e, "my_elements", elements);
}

/* The elements of |def| with their prompts, so a per-element rubric can be
 * scored element by element. */
static json_t *elements_json(const struct ac_definition *def)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < def->n_elements; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "id", def->elements[i].id, "prompt",
                                              def->elements[i].prompt ? def->elements[i].prompt
                                                                      : ""));
    return list;
}

/* An expert's own assignments; the other expert's score is never shown. */
static int assignments_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                            struct ac_reason *why)
{
    (void)why;
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac_pilot_score rows[200];
    size_t k;
    int err = ac_store_pilot_list(view->store, cr->user, 0, 0, cr->after, rows, cr->limit, &k);
    if (err)
        return err;
    json_t *items = json_array();
    struct ac__cred c = {0};
    for (size_t i = 0; i < k; i++) {
        if (ac__cred_follow(view, rows[i].credential_id, &c) != 0)
            continue;
        json_t *e = json_pack(
            "{s:I, s:s, s:s, s:s, s:o}", "submission_id", (json_int_t)rows[i].submission_id,
            "credential", c.ref, "label", rows[i].label, "content", rows[i].content, "my_level",
            rows[i].level < 0 ? json_null() : json_string(c.def->levels[rows[i].level]));
        /* The rubric to score against (levels with their descriptors,
         * checklist, common errors), as the review screen shows it. */
        json_t *guide = e ? ac__definition_guide_of(view, c.row.id) : NULL;
        if (guide)
            json_object_set_new(e, "guide", guide);
        if (e && rows[i].scored_ms)
            ac__json_time(e, "scored_at", rows[i].scored_ms);
        json_t *detail =
            rows[i].level < 0 ? NULL : ac__pilot_detail(view, rows[i].submission_id, cr->user);
        if (e)
            mine_json(e, detail);
        json_decref(detail);
        if (e)
            json_object_set_new(
                e, "grain",
                json_string(c.def->grain == AC_GRAIN_PER_ELEMENT ? "per_element" : "holistic"));
        if (e)
            json_object_set_new(e, "elements", elements_json(c.def));
        json_array_append_new(items, e);
    }
    ac__cred_release(&c);
    int more = k == cr->limit;
    *out = ac__page_json(items, more, more ? rows[k - 1].submission_id : 0);
    for (size_t i = 0; i < k; i++)
        ac_pilot_score_release(&rows[i]);
    return 0;
}

static void on_assignments(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_EXPERT, true, assignments_read, "pilot assignments");
}

/* POST /v1/pilot/submissions/{id}/score {"level"} or, for a per-element
 * rubric, {"levels": {element: level}}; optional "notes" and
 * "element_notes": {element: text}. */
static void on_score(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t sub;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EXPERT) ||
        ac__param_id(x, "id", "pilot submission", &sub) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"level", "levels", "notes", "element_notes", NULL};
    if (ac__json_only(x, body, allowed))
        goto out;
    json_t *levels = json_object_get(body, "levels"), *notes = json_object_get(body, "notes");
    json_t *element_notes = json_object_get(body, "element_notes");
    if (levels && !json_is_object(levels) && !json_is_array(levels)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "levels", NULL,
                    "levels: an object of element id to level name");
        goto out;
    }
    if (notes && !json_is_string(notes)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "notes", NULL, "notes: must be a string");
        goto out;
    }
    if (element_notes && !json_is_object(element_notes)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "element_notes", NULL,
                    "element_notes: an object of element id to text");
        goto out;
    }
    struct ac_level_arg arg_level;
    ac__level_arg_of(body, "level", &arg_level);
    struct ac_levels_given given;
    if (levels)
        ac__levels_given(levels, &given);
    struct ac_pilot_extra extra = {levels ? &given : NULL, json_string_value(notes), element_notes};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    json_t *detail = NULL;
    int err =
        ac_pilot_score_detailed(n, &a.user, sub, &arg_level, &extra, &c, &level, &detail, &why);
    if (err) {
        ac__refuse(x, err, &why, "pilot submission");
        goto out;
    }
    json_t *j = json_pack("{s:I, s:s, s:s}", "submission_id", (json_int_t)sub, "credential", c.ref,
                          "my_level", c.def->levels[level]);
    if (j)
        mine_json(j, detail);
    json_decref(detail);
    ac__respond_owned(x, 200, j);
    ac__cred_release(&c);
out:
    json_decref(body);
}

void ac__api_pilot_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/definitions/{ref}/pilot/submissions", on_add);
    ac__route(n, "GET", "/v1/definitions/{ref}/pilot", on_report);
    ac__route(n, "GET", "/v1/pilot/assignments", on_assignments);
    ac__route(n, "POST", "/v1/pilot/submissions/{id}/score", on_score);
}
