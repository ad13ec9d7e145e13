/* training.c - training as services: the credential's training module
 * generated from the template (rationale, requirements, rubric, annotated
 * examples per level drawn from the benchmarks, feedback guidance), the node's
 * one general module, and reviewers completing each (the general one once
 * across credentials). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/benchmark.h"
#include "accord/store/certification.h"
#include "accord/store/reviewer.h"
#include "accord/store/training.h"
#include "audit.h"
#include "lifecycle.h"

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

int ac__training_generate_tx(struct ac_node *n, const struct ac__cred *c, int64_t actor)
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
    /* Level descriptors, the checklist and common errors, as earners and
     * reviewers see them. */
    json_t *guide = m ? ac__definition_guide(d) : NULL;
    if (m && (!guide || json_object_set_new(m, "guide", guide))) {
        json_decref(m);
        m = NULL;
    }
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (!text)
        return AC_ENOMEM;
    err = ac_store_training_put(n->store, c->row.id, text, actor, ac_clock_now_ms());
    if (!err)
        err = ac_audit(n, "credential", c->ref, actor, "training-generate", NULL);
    free(text);
    return err;
}

int ac_training_regenerate(struct ac_node *n, const struct ac_user *actor, const char *ref,
                           struct ac__cred *out, struct ac_reason *why)
{
    static const enum ac_def_state states[] = {AC_DEF_TRAINING};
    struct ac__cred *c = out;
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, c, why)) != 0)
        return err;
    if ((err = ac__cred_require_state(c, states, 1, "regenerate its training module", why)))
        goto out;
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac__training_generate_tx(n, c, actor->id);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ERANGE)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks",
                             "a level of %s has fewer than %u resolved benchmark items", c->ref,
                             c->def->training.examples_per_level);
out:
    if (err)
        ac__cred_release(c);
    return err;
}

int ac_training_complete(struct ac_node *n, const struct ac_user *actor, const char *ref,
                         struct ac__cred *out, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_REVIEWER, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    struct ac_reviewer_cert rc = {0};
    struct ac_reviewer_profile p;
    char *text = NULL;
    json_t *m = NULL, *d = NULL;
    int64_t at;
    err = ac_store_reviewer_cert_get(n->store, out->row.id, actor->id, &rc);
    if (err == AC_ENOENT) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_NOT_APPLIED, NULL,
                             "you have not applied to review %s", out->ref);
        goto out;
    }
    if (err)
        goto out;
    if (rc.state != AC_RCERT_SCREENED && rc.state != AC_RCERT_RETRAINING) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                             "your certification for %s is %s; the training module is completed "
                             "after screening (or when retraining)",
                             out->ref, ac_rcert_state_name(rc.state));
        goto out;
    }
    if (ac_store_reviewer_get(n->store, actor->id, &p) || p.general_module_ms == 0) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_GENERAL_MODULE_FIRST, NULL,
                             "complete the node's general module first (POST "
                             "/v1/general-module/complete)");
        goto out;
    }
    err = ac_store_training_get(n->store, out->row.id, &text, &at);
    m = err ? NULL : json_loads(text, 0, NULL);
    if (!err && !m)
        err = AC_EDB;
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL, "training module does not exist");
    if (err)
        goto out;
    d = json_pack("{s:s}", "credential", out->ref);
    /* Every example shown in training counts as seen: no certification draw
     * may test the reviewer on an item they were taught with. */
    int64_t now = ac_clock_now_ms();
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        size_t i, j;
        json_t *lv, *it;
        json_array_foreach(json_object_get(m, "examples"), i, lv)
        {
            json_array_foreach(json_object_get(lv, "items"), j, it)
            {
                if (!err)
                    err =
                        ac_store_seen_add(n->store, actor->id,
                                          json_integer_value(json_object_get(it, "item_id")), now);
            }
        }
        if (!err)
            err = ac_store_reviewer_cert_transition(n->store, out->row.id, actor->id, rc.state,
                                                    AC_RCERT_TRAINED, NULL, now);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor->id, actor->id, "training-complete", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
out:
    json_decref(d);
    json_decref(m);
    free(text);
    ac_reviewer_cert_release(&rc);
    if (err)
        ac__cred_release(out);
    return err;
}

int ac_general_module_put(struct ac_node *n, const struct ac_user *actor, const char *text,
                          struct ac_reason *why)
{
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac_store_tx_begin(n->store)) != 0)
        return err;
    err = ac_store_general_put(n->store, text, actor->id, ac_clock_now_ms());
    if (!err)
        err = ac_audit(n, "node", n->cfg->node_id, actor->id, "general-module-edit", NULL);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    return err;
}

int ac_general_module_complete(struct ac_node *n, const struct ac_user *actor,
                               int64_t *completed_ms, struct ac_reason *why)
{
    int err = ac__actor_require(actor, AC_ROLE_REVIEWER, why);
    if (err)
        return err;
    char *text;
    int64_t at;
    err = ac_store_general_get(n->store, &text, &at);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_NO_GENERAL_MODULE, NULL,
                              "this node has no general module to complete yet");
    if (err)
        return err;
    free(text);
    struct ac_reviewer_profile p;
    int64_t now = ac_clock_now_ms();
    if ((err = ac_store_tx_begin(n->store)) != 0)
        return err;
    /* A reviewer without a profile gets an empty one: the module is taken
     * once per person, whatever they apply for later. */
    err = ac_store_reviewer_get(n->store, actor->id, &p);
    if (err == AC_ENOENT) {
        memset(&p, 0, sizeof p);
        p.user_id = actor->id;
        p.available = true;
        err = ac_store_reviewer_put(n->store, &p, now);
    }
    if (!err)
        err = ac_store_reviewer_general_done(n->store, actor->id, now);
    if (!err)
        err = ac_audit_id(n, "reviewer", actor->id, actor->id, "general-module-complete", NULL);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (!err)
        err = ac_store_reviewer_get(n->store, actor->id, &p);
    if (!err)
        *completed_ms = p.general_module_ms;
    return err;
}
