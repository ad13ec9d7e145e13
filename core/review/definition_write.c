/* definition_write.c - writes a credential definition as JSON with every field
 * explicit, and derives the content hash from its canonical form. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "accord/base/error.h"
#include "definition_internal.h"

/* Builder state: |oom| records any failed allocation so that building can go
 * on without checks at every call and fail once at the end. */
struct wr {
    bool oom;
    bool bad_enum;
};

static void put(struct wr *w, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        w->oom = true;
}

static void push(struct wr *w, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        w->oom = true;
}

static json_t *str(struct wr *w, const char *s)
{
    if (!s) {
        w->bad_enum = true; /* a required string left NULL: not a valid definition */
        return json_string("");
    }
    return json_string(s);
}

/* Non-finite numbers have no JSON form; validation never lets them through. */
static json_t *real(struct wr *w, double x)
{
    if (!isfinite(x)) {
        w->bad_enum = true;
        return json_real(0);
    }
    return json_real(x);
}

static json_t *name(struct wr *w, const char *const *names, unsigned v)
{
    if (v >= ac__def_names_count(names)) {
        w->bad_enum = true;
        return json_string("");
    }
    return json_string(names[v]);
}

static json_t *strings(struct wr *w, char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        push(w, a, str(w, v[i]));
    return a;
}

static json_t *level(struct wr *w, const struct ac_definition *d, size_t i)
{
    if (i >= d->n_levels) {
        w->bad_enum = true;
        return json_string("");
    }
    return str(w, d->levels[i]);
}

static json_t *scoring(struct wr *w, const struct ac_definition *d)
{
    json_t *s = json_object();
    if (!s)
        return NULL;
    put(w, s, "levels", strings(w, d->levels, d->n_levels));
    put(w, s, "passing_level", level(w, d, d->passing_level));
    put(w, s, "grain", name(w, ac__def_grain_names, d->grain));
    if (d->descriptors)
        put(w, s, "descriptors", strings(w, d->descriptors, d->n_levels));
    if (d->combine != AC_COMBINE_NONE) {
        json_t *c = json_object();
        put(w, s, "combine", c);
        if (c) {
            put(w, c, "rule", name(w, ac__def_combine_names, d->combine));
            if (d->combine != AC_COMBINE_THRESHOLDS)
                put(w, c, "cut", real(w, d->cut));
        }
    }
    return s;
}

static json_t *submission(struct wr *w, const struct ac_definition *d)
{
    json_t *s = json_object(), *els = json_array(), *col = json_object();
    put(w, s, "elements", els);
    put(w, s, "collaboration", col);
    /* Written only when given, so older definitions keep their hash. */
    if (d->n_checklist)
        put(w, s, "checklist", strings(w, d->checklist, d->n_checklist));
    if (d->n_common_errors)
        put(w, s, "common_errors", strings(w, d->common_errors, d->n_common_errors));
    if (!s || !els || !col)
        return s;
    for (size_t i = 0; i < d->n_elements; i++) {
        const struct ac_def_element *e = &d->elements[i];
        json_t *o = json_object();
        push(w, els, o);
        if (!o)
            continue;
        put(w, o, "id", str(w, e->id));
        put(w, o, "prompt", str(w, e->prompt));
        put(w, o, "kind", name(w, ac__def_kind_names, e->kind));
        put(w, o, "required", json_boolean(e->required));
        if (d->combine == AC_COMBINE_WEIGHTED_CUT)
            put(w, o, "weight", real(w, e->weight));
        if (d->combine == AC_COMBINE_THRESHOLDS)
            put(w, o, "threshold", level(w, d, e->threshold));
    }
    put(w, col, "allowed", json_boolean(d->collaboration));
    if (d->individual_element >= 0 && (size_t)d->individual_element < d->n_elements)
        put(w, col, "individual_element", str(w, d->elements[d->individual_element].id));
    else if (d->individual_element >= 0)
        w->bad_enum = true;
    else
        put(w, col, "individual_element", json_null());
    return s;
}

static json_t *reviewers(struct wr *w, const struct ac_definition *d)
{
    static const char *const value_key[] = {"credential", "domain", "description"};
    json_t *r = json_object(), *q = json_array(), *ag = json_object(), *dis = json_object();
    put(w, r, "qualifications", q);
    put(w, r, "agreement", ag);
    put(w, r, "disagreement", dis);
    if (!r || !q || !ag || !dis)
        return r;
    for (size_t i = 0; i < d->n_quals; i++) {
        json_t *o = json_object();
        push(w, q, o);
        if (!o)
            continue;
        put(w, o, "kind", name(w, ac__def_qual_names, d->quals[i].kind));
        if ((unsigned)d->quals[i].kind <= AC_QUAL_MANUAL)
            put(w, o, value_key[d->quals[i].kind], str(w, d->quals[i].value));
    }
    put(w, r, "mode", name(w, ac__def_mode_names, d->mode));
    put(w, r, "per_submission", json_integer(d->per_submission));
    put(w, ag, "rule", name(w, ac__def_agreement_names, d->agreement));
    if (d->agreement == AC_AGREE_WITHIN)
        put(w, ag, "k", json_integer(d->agreement_k));
    put(w, dis, "add_per_round", json_integer(d->disagreement.add_per_round));
    put(w, dis, "max_reviewers", json_integer(d->disagreement.max_reviewers));
    put(w, dis, "then", name(w, ac__def_resolve_names, d->disagreement.then));
    put(w, dis, "median_rounding", name(w, ac__def_rounding_names, d->disagreement.rounding));
    return r;
}

static json_t *review(struct wr *w, const struct ac_definition *d)
{
    json_t *r = json_object(), *rem = json_array();
    put(w, r, "reminders_hours_before", rem);
    if (!r || !rem)
        return r;
    put(w, r, "batch_size", json_integer(d->review.batch_size));
    put(w, r, "batch_timer_hours", json_integer(d->review.batch_timer_hours));
    put(w, r, "deadline_days", json_integer(d->review.deadline_days));
    put(w, r, "cool_off_hours", json_integer(d->review.cool_off_hours));
    put(w, r, "resubmission_wait_days", json_integer(d->review.resubmission_wait_days));
    /* Written only when set, so definitions from before appeals keep their hash. */
    if (d->appeal_window_days)
        put(w, r, "appeal_window_days", json_integer(d->appeal_window_days));
    for (size_t i = 0; i < d->review.n_reminders; i++)
        push(w, rem, json_integer(d->review.reminders_hours_before[i]));
    return r;
}

static json_t *training(struct wr *w, const struct ac_definition *d)
{
    json_t *t = json_object(), *rule = json_array();
    put(w, t, "pass_rule", rule);
    if (!t || !rule)
        return t;
    put(w, t, "examples_per_level", json_integer(d->training.examples_per_level));
    put(w, t, "attempts", json_integer(d->training.attempts));
    put(w, t, "sample_per_level", json_integer(d->training.sample_per_level));
    put(w, t, "wait_days", json_integer(d->training.wait_days));
    for (size_t i = 0; i < d->training.n_pass_rule; i++) {
        const struct ac_pass_criterion *c = &d->training.pass_rule[i];
        json_t *o = json_object();
        push(w, rule, o);
        if (!o)
            continue;
        put(w, o, "criterion", name(w, ac__def_pass_names, c->kind));
        if (c->kind == AC_PASS_EXACT_RATE || c->kind == AC_PASS_ADJACENT_RATE ||
            c->kind == AC_PASS_QUADRATIC_KAPPA)
            put(w, o, "min", real(w, c->min));
    }
    return t;
}

static json_t *maintenance(struct wr *w, const struct ac_definition *d)
{
    json_t *m = json_object(), *th = json_array();
    put(w, m, "thresholds", th);
    if (!m || !th)
        return m;
    put(w, m, "benchmark_seed_rate", real(w, d->maintenance.benchmark_seed_rate));
    put(w, m, "second_master_rate", real(w, d->maintenance.second_master_rate));
    put(w, m, "min_sample", json_integer(d->maintenance.min_sample));
    for (size_t i = 0; i < d->maintenance.n_thresholds; i++) {
        const struct ac_def_threshold *t = &d->maintenance.thresholds[i];
        json_t *o = json_object(), *acts = json_array();
        push(w, th, o);
        if (!o || !acts) {
            json_decref(acts);
            continue;
        }
        put(w, o, "measure", name(w, ac__def_measure_names, t->measure));
        bool is_min = t->measure == AC_MEASURE_BENCHMARK_AGREEMENT ||
                      t->measure == AC_MEASURE_CONSENSUS_AGREEMENT;
        put(w, o, is_min ? "min" : "max", real(w, t->bound));
        for (unsigned k = 0; ac__def_action_names[k]; k++)
            if (t->actions & (1u << k))
                push(w, acts, json_string(ac__def_action_names[k]));
        put(w, o, "actions", acts);
    }
    return m;
}

static void opt_string(struct wr *w, json_t *o, const char *key, const char *s)
{
    if (s)
        put(w, o, key, json_string(s));
}

static json_t *build(struct wr *w, const struct ac_definition *d, bool canonical)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    put(w, o, "id", str(w, d->id));
    put(w, o, "version", json_integer(d->version));
    put(w, o, "title", str(w, d->title));
    /* The state changes over a published definition's life; records bind to
     * its content, so the hash leaves the state out. */
    if (!canonical)
        put(w, o, "state", name(w, ac__def_state_names, d->state));
    put(w, o, "competency", str(w, d->competency));
    put(w, o, "key_method", str(w, d->key_method));
    put(w, o, "method_components", str(w, d->method_components));
    put(w, o, "research", strings(w, d->research, d->n_research));
    put(w, o, "submission", submission(w, d));
    put(w, o, "scoring", scoring(w, d));
    put(w, o, "domains", strings(w, d->domains, d->n_domains));
    put(w, o, "ceus", real(w, d->ceus));
    put(w, o, "stacks", strings(w, d->stacks, d->n_stacks));
    put(w, o, "reviewers", reviewers(w, d));
    put(w, o, "review", review(w, d));
    put(w, o, "training", training(w, d));
    put(w, o, "maintenance", maintenance(w, d));
    json_t *pool = json_object();
    put(w, o, "pool", pool);
    if (pool) {
        put(w, pool, "submissions_per_period", json_integer(d->pool.submissions_per_period));
        put(w, pool, "assignments_per_reviewer", json_integer(d->pool.assignments_per_reviewer));
        put(w, pool, "period_days", json_integer(d->pool.period_days));
        /* Written only when set, so definitions from before it keep their
         * canonical form (and content hash). */
        if (d->pool.open_assignments_max)
            put(w, pool, "open_assignments_max", json_integer(d->pool.open_assignments_max));
    }
    json_t *audit = json_object();
    put(w, o, "audit", audit);
    if (audit) {
        opt_string(w, audit, "impact", d->audit.impact);
        opt_string(w, audit, "equity", d->audit.equity);
        opt_string(w, audit, "access", d->audit.access);
        opt_string(w, audit, "language", d->audit.language);
        opt_string(w, audit, "big_picture", d->audit.big_picture);
    }
    return o;
}

int ac_def_to_json(const struct ac_definition *d, bool canonical, char **out)
{
    struct wr w = {false, false};
    json_t *o = build(&w, d, canonical);
    if (!o || w.oom || w.bad_enum) {
        json_decref(o);
        return w.bad_enum ? AC_EINVAL : AC_ENOMEM;
    }
    /* 15 significant digits: every double prints so that reading it back and
     * printing again gives the same text (DBL_DIG), and decimals people type
     * (0.1, 2.5) print as typed. */
    size_t flags = JSON_SORT_KEYS | JSON_REAL_PRECISION(15);
    flags |= canonical ? JSON_COMPACT : JSON_INDENT(2);
    char *s = json_dumps(o, flags);
    json_decref(o);
    if (!s)
        return AC_ENOMEM;
    *out = s;
    return 0;
}

int ac_def_hash(const struct ac_definition *d, uint8_t out[AC_DEF_HASH_LEN])
{
    char *s;
    int r = ac_def_to_json(d, true, &s);
    if (r)
        return r;
    crypto_hash_sha256(out, (const unsigned char *)s, strlen(s));
    free(s);
    return 0;
}

int ac_def_hash_hex(const struct ac_definition *d, char out[AC_DEF_HASH_HEX_LEN + 1])
{
    uint8_t h[AC_DEF_HASH_LEN];
    int r = ac_def_hash(d, h);
    if (r)
        return r;
    memcpy(out, "sha256:", 7);
    sodium_bin2hex(out + 7, AC_DEF_HASH_LEN * 2 + 1, h, sizeof(h));
    return 0;
}
