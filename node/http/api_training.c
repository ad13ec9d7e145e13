/* api_training.c - the credential's training module, generated from the
 * template (rationale, requirements, rubric, annotated examples per level
 * drawn from the benchmarks, feedback guidance), and the node's one general
 * module; reviewers complete each (the general one once across credentials). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "lifecycle/lifecycle.h"

static const char *const kind_names[] = {"text", "file", "link", "video"};

static json_t *strings_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* The guidance follows from the definition: grain, passing level, feedback
 * rights and the resubmission wait. */
static json_t *feedback_guidance(const struct ac_definition *d)
{
    char line[512];
    json_t *g = json_array();
    snprintf(line, sizeof line,
             d->grain == AC_GRAIN_HOLISTIC
                 ? "Score the submission as a whole against the rubric; choose the level whose "
                   "description fits the evidence best."
                 : "Score each element against the rubric separately; the node combines the "
                   "element levels by the issuer's rule.");
    json_array_append_new(g, json_string(line));
    json_array_append_new(g, json_string("Name the evidence in the submission that places it at "
                                         "its level, in the rubric's words; never compare it to "
                                         "other submissions."));
    snprintf(line, sizeof line,
             "Below \"%s\", give one concrete next step the educator can act on before "
             "resubmitting (after %u days).",
             d->levels[d->passing_level], d->review.resubmission_wait_days);
    json_array_append_new(g, json_string(line));
    json_array_append_new(g, json_string("Keep feedback about the practice shown, not the "
                                         "person; be specific, brief and respectful."));
    return g;
}

int ac__training_generate(struct ac_node *n, const struct ac__cred *c, int64_t actor)
{
    const struct ac_definition *d = c->def;
    struct ac_bench_row *rows;
    size_t k;
    int err = ac__bench_load(n, c, &rows, &k);
    if (err)
        return err;
    json_t *examples = json_array();
    for (size_t l = 0; l < d->n_levels && !err; l++) {
        /* Annotated items teach best, so they come first; then id order. */
        json_t *items = json_array();
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < k && json_array_size(items) < d->training.examples_per_level;
                 i++) {
                int annotated = rows[i].key_characteristics[0] || rows[i].common_errors[0];
                if (rows[i].final_level != (int)l || annotated != (pass == 0))
                    continue;
                json_array_append_new(
                    items, json_pack("{s:I, s:s, s:s, s:s, s:s}", "item_id", (json_int_t)rows[i].id,
                                     "label", rows[i].label, "content", rows[i].content,
                                     "key_characteristics", rows[i].key_characteristics,
                                     "common_errors", rows[i].common_errors));
            }
        if (json_array_size(items) < d->training.examples_per_level)
            err = AC_ERANGE;
        json_array_append_new(examples,
                              json_pack("{s:s, s:o}", "level", d->levels[l], "items", items));
    }
    for (size_t i = 0; i < k; i++)
        ac_bench_row_release(&rows[i]);
    free(rows);
    if (err) {
        json_decref(examples);
        return err;
    }
    json_t *reqs = json_array();
    for (size_t i = 0; i < d->n_elements; i++)
        json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:b}", "id", d->elements[i].id,
                                              "prompt", d->elements[i].prompt, "kind",
                                              kind_names[d->elements[i].kind], "required",
                                              d->elements[i].required));
    json_t *m = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:s, s:o}, s:o, s:{s:o, s:s, s:s}, s:o, s:o, s:{s:I, s:I, s:I}}",
        "credential", c->ref, "title", d->title, "rationale", "competency", d->competency,
        "key_method", d->key_method, "method_components",
        d->method_components ? d->method_components : "", "research",
        strings_json(d->research, d->n_research), "requirements", reqs, "rubric", "levels",
        strings_json(d->levels, d->n_levels), "passing_level", d->levels[d->passing_level], "grain",
        d->grain == AC_GRAIN_HOLISTIC ? "holistic" : "per_element", "examples", examples,
        "feedback_guidance", feedback_guidance(d), "certification", "sample_per_level",
        (json_int_t)d->training.sample_per_level, "attempts", (json_int_t)d->training.attempts,
        "wait_days", (json_int_t)d->training.wait_days);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (!text)
        return AC_ENOMEM;
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_training_put(n->store, c->row.id, text, actor, ac_clock_now_ms());
        if (!err)
            err = ac__audit(n, "credential", c->ref, actor, "training-generate", NULL);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    free(text);
    return err;
}

/* Reviewers see the module once screened for the credential; staff always. */
static int may_view(struct ac_node *n, struct ac_http_exchange *x, const struct ac__auth *a,
                    const struct ac__cred *c)
{
    if (a->user.roles & (AC_ROLE_ADMIN | AC_ROLE_EXPERT))
        return 0;
    if (ac__require_role(x, a, AC_ROLE_ADMIN | AC_ROLE_EXPERT | AC_ROLE_REVIEWER))
        return -1;
    struct ac_reviewer_cert rc;
    int err = ac_store_reviewer_cert_get(n->store, c->row.id, a->user.id, &rc);
    bool ok = !err && rc.state != AC_RCERT_APPLIED && rc.state != AC_RCERT_REJECTED;
    if (!err)
        ac_reviewer_cert_release(&rc);
    if (ok)
        return 0;
    return ac__problem(x, AC_PROBLEM_NOT_SCREENED, NULL, NULL,
                       "the training module of %s opens to reviewers who passed screening for "
                       "it; apply with POST /v1/definitions/%s/applications",
                       c->ref, c->ref);
}

static void on_view(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__cred_load(n, x, &c))
        return;
    char *text = NULL;
    int64_t at;
    if (may_view(n, x, &a, &c))
        goto out;
    int err = ac_store_training_get(n->store, c.row.id, &text, &at);
    if (err == AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, NULL, NULL,
                    "%s has no training module yet; it is generated on entering training", c.ref);
        goto out;
    }
    if (err) {
        ac__respond_error(x, err, "training module");
        goto out;
    }
    json_t *j = json_loads(text, 0, NULL);
    if (j)
        ac__json_time(j, "generated_at", at);
    ac__respond_owned(x, 200, j);
out:
    free(text);
    ac__cred_release(&c);
}

/* Regenerates the module (e.g. after more annotations) while in training. */
static void on_generate(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    static const enum ac_def_state states[] = {AC_DEF_TRAINING};
    if (ac__cred_require_state(x, &c, states, 1, "regenerate its training module"))
        goto out;
    int err = ac__training_generate(n, &c, a.user.id);
    if (err == AC_ERANGE)
        ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks", NULL,
                    "a level of %s has fewer than %u resolved benchmark items", c.ref,
                    c.def->training.examples_per_level);
    else if (err)
        ac__respond_error(x, err, "training module");
    else
        on_view(x, arg);
out:
    ac__cred_release(&c);
}

static void on_complete(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__cred_load(n, x, &c))
        return;
    struct ac_reviewer_cert rc = {0};
    struct ac_reviewer_profile p;
    char *text = NULL;
    json_t *m = NULL;
    int64_t at;
    int err = ac_store_reviewer_cert_get(n->store, c.row.id, a.user.id, &rc);
    if (err == AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_NOT_APPLIED, NULL, NULL, "you have not applied to review %s",
                    c.ref);
        goto out;
    }
    if (err) {
        ac__respond_error(x, err, "certification");
        goto out;
    }
    if (rc.state != AC_RCERT_SCREENED && rc.state != AC_RCERT_RETRAINING) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, "state", NULL,
                    "your certification for %s is %s; the training module is completed after "
                    "screening (or when retraining)",
                    c.ref, ac_rcert_state_name(rc.state));
        goto out;
    }
    err = ac_store_reviewer_get(n->store, a.user.id, &p);
    if (err || p.general_module_ms == 0) {
        ac__problem(x, AC_PROBLEM_GENERAL_MODULE_FIRST, NULL, NULL,
                    "complete the node's general module first (POST /v1/general-module/complete)");
        goto out;
    }
    err = ac_store_training_get(n->store, c.row.id, &text, &at);
    m = err ? NULL : json_loads(text, 0, NULL);
    if (!m) {
        ac__respond_error(x, err ? err : AC_EDB, "training module");
        goto out;
    }
    /* Every example shown in training counts as seen: no certification draw
     * may test the reviewer on an item they were taught with. */
    int64_t now = ac_clock_now_ms();
    err = ac_store_tx_begin(n->store);
    size_t i, j;
    json_t *lv, *it;
    json_array_foreach(json_object_get(m, "examples"), i, lv)
    {
        json_array_foreach(json_object_get(lv, "items"), j, it)
        {
            if (!err)
                err = ac_store_seen_add(n->store, a.user.id,
                                        json_integer_value(json_object_get(it, "item_id")), now);
        }
    }
    if (!err)
        err = ac_store_reviewer_cert_transition(n->store, c.row.id, a.user.id, rc.state,
                                                AC_RCERT_TRAINED, NULL, now);
    char subject[48];
    snprintf(subject, sizeof subject, "%lld", (long long)a.user.id);
    json_t *d = json_pack("{s:s}", "credential", c.ref);
    if (!err)
        err = ac__audit(n, "reviewer", subject, a.user.id, "training-complete", d);
    json_decref(d);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err)
        ac__respond_error(x, err, "training completion");
    else
        ac__respond_owned(x, 200,
                          json_pack("{s:s, s:s}", "credential", c.ref, "state",
                                    ac_rcert_state_name(AC_RCERT_TRAINED)));
out:
    json_decref(m);
    free(text);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
}

static void on_general_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    char *text;
    int64_t at;
    int err = ac_store_general_get(n->store, &text, &at);
    if (err == AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, NULL, NULL,
                    "this node has no general module yet; an admin writes it with PUT "
                    "/v1/general-module");
        return;
    }
    if (err) {
        ac__respond_error(x, err, "general module");
        return;
    }
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (j)
        ac__json_time(j, "updated_at", at);
    ac__respond_owned(x, 200, j);
}

static void on_general_put(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"title", "sections", NULL};
    const char *title = json_string_value(json_object_get(body, "title"));
    json_t *sections = json_object_get(body, "sections");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!title || !*title) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "title", NULL, "title: required, non-empty text");
        goto out;
    }
    if (!json_is_array(sections) || json_array_size(sections) == 0) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "sections", NULL,
                    "sections: a non-empty list of {\"heading\", \"body\"}");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(sections, i, v)
    {
        if (!json_is_string(json_object_get(v, "heading")) ||
            !json_is_string(json_object_get(v, "body")) || json_object_size(v) != 2) {
            char field[32];
            snprintf(field, sizeof field, "sections[%zu]", i);
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, field, NULL,
                        "%s: must be exactly {\"heading\": text, \"body\": text}", field);
            goto out;
        }
    }
    char *text = json_dumps(body, JSON_COMPACT);
    int err = text ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_general_put(n->store, text, a.user.id, ac_clock_now_ms());
        if (!err)
            err = ac__audit(n, "node", n->cfg->node_id, a.user.id, "general-module-edit", NULL);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    free(text);
    if (err)
        ac__respond_error(x, err, "general module");
    else
        on_general_get(x, arg);
out:
    json_decref(body);
}

static void on_general_complete(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER))
        return;
    char *text;
    int64_t at;
    int err = ac_store_general_get(n->store, &text, &at);
    if (err == AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_NO_GENERAL_MODULE, NULL, NULL,
                    "this node has no general module to complete yet");
        return;
    }
    if (!err)
        free(text);
    struct ac_reviewer_profile p;
    int64_t now = ac_clock_now_ms();
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (!err) {
        /* A reviewer without a profile gets an empty one: the module is
         * taken once per person, whatever they apply for later. */
        err = ac_store_reviewer_get(n->store, a.user.id, &p);
        if (err == AC_ENOENT) {
            memset(&p, 0, sizeof p);
            p.user_id = a.user.id;
            p.available = true;
            err = ac_store_reviewer_put(n->store, &p, now);
        }
        if (!err)
            err = ac_store_reviewer_general_done(n->store, a.user.id, now);
        char subject[24];
        snprintf(subject, sizeof subject, "%lld", (long long)a.user.id);
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id, "general-module-complete", NULL);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (!err)
        err = ac_store_reviewer_get(n->store, a.user.id, &p);
    if (err) {
        ac__respond_error(x, err, "general module completion");
        return;
    }
    json_t *j = json_pack("{s:I}", "user_id", (json_int_t)a.user.id);
    if (j)
        ac__json_time(j, "completed_at", p.general_module_ms);
    ac__respond_owned(x, 200, j);
}

void ac__api_training_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/definitions/{ref}/training-module", on_view);
    ac__route(n, "POST", "/v1/definitions/{ref}/training-module", on_generate);
    ac__route(n, "POST", "/v1/definitions/{ref}/training-module/complete", on_complete);
    ac__route(n, "GET", "/v1/general-module", on_general_get);
    ac__route(n, "PUT", "/v1/general-module", on_general_put);
    ac__route(n, "POST", "/v1/general-module/complete", on_general_complete);
}
