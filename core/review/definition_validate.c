/* definition_validate.c - the cross-field rules of a credential definition,
 * each reported with its JSON path, all of them in one pass. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "accord/base/error.h"
#include "definition_internal.h"

#define MAX_PATH 192

struct vd {
    struct ac_def_problems *pr;
    int err;
    bool after_read;
};

static void bad(struct vd *v, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad(struct vd *v, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ac__def_problem(v->pr, path, "%s", msg) != 0)
        v->err = AC_ENOMEM;
}

bool ac__def_valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
              ch == '_'))
            return false;
    }
    return true;
}

/* A required string: the reader reports it missing itself. */
static void need_string(struct vd *v, const char *path, const char *s)
{
    if ((!s || !s[0]) && !v->after_read)
        bad(v, path, "missing; this field is required");
}

static void check_id(struct vd *v, const char *path, const char *s)
{
    need_string(v, path, s);
    if (s && s[0] && !ac__def_valid_id(s))
        bad(v, path, "\"%.80s\" is not an id; use 1 to 64 of a-z, 0-9, '.', '-', '_'", s);
}

static void check_levels(struct vd *v, const struct ac_definition *d)
{
    if (d->n_levels == 0) {
        if (!v->after_read)
            bad(v, "scoring.levels", "missing; a scale has between 2 and %d levels",
                AC_DEF_MAX_LEVELS);
        return;
    }
    if (d->n_levels < 2 || d->n_levels > AC_DEF_MAX_LEVELS)
        bad(v, "scoring.levels", "%zu levels; a scale has between 2 and %d", d->n_levels,
            AC_DEF_MAX_LEVELS);
    for (size_t i = 0; i < d->n_levels; i++) {
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "scoring.levels[%zu]", i);
        if (!d->levels[i]) {
            need_string(v, p, NULL);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (d->levels[j] && strcmp(d->levels[j], d->levels[i]) == 0) {
                bad(v, p, "\"%.80s\" appears twice; level names must be unique", d->levels[i]);
                break;
            }
        }
    }
    if (!v->after_read && (d->passing_level == 0 || d->passing_level >= d->n_levels))
        bad(v, "scoring.passing_level",
            "index %zu; the lowest passing level must be one of levels 1..%zu (levels are "
            "listed lowest first)",
            d->passing_level, d->n_levels - 1);
}

static void check_combine(struct vd *v, const struct ac_definition *d)
{
    if (d->grain == AC_GRAIN_HOLISTIC && d->combine != AC_COMBINE_NONE && !v->after_read)
        bad(v, "scoring.combine",
            "given with grain \"holistic\"; combine rules apply only to "
            "grain \"per_element\"");
    if (d->grain == AC_GRAIN_PER_ELEMENT && d->combine == AC_COMBINE_NONE && !v->after_read)
        bad(v, "scoring.combine", "missing; grain \"per_element\" needs a combine rule");
    if (d->n_levels < 2)
        return;
    double top = (double)(d->n_levels - 1);
    if (d->combine == AC_COMBINE_MEAN_CUT) {
        if (!(d->cut > 0 && d->cut <= top))
            bad(v, "scoring.combine.cut",
                "%g is out of range; a mean of level indices lies between 0 and %g, and a cut "
                "of 0 would pass everything",
                d->cut, top);
    } else if (d->combine == AC_COMBINE_WEIGHTED_CUT) {
        double max = 0;
        for (size_t i = 0; i < d->n_elements; i++)
            max += d->elements[i].weight * top;
        if (!(d->cut > 0 && d->cut <= max))
            bad(v, "scoring.combine.cut",
                "%g is out of range; the weighted sum of level indices lies between 0 and %g, "
                "and a cut of 0 would pass everything",
                d->cut, max);
    }
}

static void check_elements(struct vd *v, const struct ac_definition *d)
{
    if (d->n_elements == 0 && !v->after_read)
        bad(v, "submission.elements", "empty; a submission needs at least one element");
    bool any_required = false;
    for (size_t i = 0; i < d->n_elements; i++) {
        const struct ac_def_element *e = &d->elements[i];
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "submission.elements[%zu].id", i);
        check_id(v, p, e->id);
        for (size_t j = 0; e->id && j < i; j++) {
            if (d->elements[j].id && strcmp(d->elements[j].id, e->id) == 0) {
                bad(v, p, "\"%.80s\" appears twice; element ids must be unique", e->id);
                break;
            }
        }
        snprintf(p, sizeof(p), "submission.elements[%zu].prompt", i);
        need_string(v, p, e->prompt);
        if (!v->after_read && (unsigned)e->kind > AC_ELEMENT_VIDEO) {
            snprintf(p, sizeof(p), "submission.elements[%zu].kind", i);
            bad(v, p, "unknown kind %d", (int)e->kind);
        }
        if (d->combine == AC_COMBINE_THRESHOLDS && d->n_levels && e->threshold >= d->n_levels) {
            snprintf(p, sizeof(p), "submission.elements[%zu].threshold", i);
            bad(v, p, "level index %zu is not on the %zu-level scale", e->threshold, d->n_levels);
        }
        if (d->combine == AC_COMBINE_WEIGHTED_CUT && !(e->weight > 0) && !v->after_read) {
            snprintf(p, sizeof(p), "submission.elements[%zu].weight", i);
            bad(v, p, "%g; a weight must be greater than 0", e->weight);
        }
        any_required = any_required || e->required;
    }
    if (d->n_elements && !any_required)
        bad(v, "submission.elements", "no element is required; a submission would be empty");
    if (d->individual_element >= 0) {
        const char *p = "submission.collaboration.individual_element";
        if (!d->collaboration)
            bad(v, p,
                "given while collaboration is not allowed; an individual component "
                "applies only to collaborative submissions");
        if ((size_t)d->individual_element >= d->n_elements)
            bad(v, p, "element index %ld does not exist", d->individual_element);
        else if (!d->elements[d->individual_element].required)
            bad(v, p, "\"%.80s\" is optional; the individual component must be a required element",
                d->elements[d->individual_element].id ? d->elements[d->individual_element].id : "");
    }
}

static void check_strings(struct vd *v, const char *name, char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "%s[%zu]", name, i);
        need_string(v, p, s[i]);
    }
}

static void check_reviewers(struct vd *v, const struct ac_definition *d)
{
    for (size_t i = 0; i < d->n_quals; i++) {
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "reviewers.qualifications[%zu]", i);
        if (d->quals[i].kind == AC_QUAL_HOLDS_CREDENTIAL && d->quals[i].value &&
            !ac__def_valid_id(d->quals[i].value)) {
            snprintf(p, sizeof(p), "reviewers.qualifications[%zu].credential", i);
            bad(v, p, "\"%.80s\" is not a credential id", d->quals[i].value);
        } else if (!d->quals[i].value && !v->after_read) {
            bad(v, p, "missing its value");
        }
    }
    if (d->mode == AC_MODE_MASTER && d->per_submission != 1)
        bad(v, "reviewers.per_submission",
            "%u with mode \"master\"; a master review has exactly one reviewer", d->per_submission);
    if (d->mode == AC_MODE_ASSOCIATE && d->per_submission < 2)
        bad(v, "reviewers.per_submission",
            "%u with mode \"associate\"; associate review needs at least 2 reviewers per "
            "submission",
            d->per_submission);
    if (d->agreement == AC_AGREE_WITHIN && d->n_levels >= 2 &&
        (d->agreement_k < 1 || d->agreement_k > d->n_levels - 2))
        bad(v, "reviewers.agreement.k",
            "%u with %zu levels; k must be between 1 and %zu, or every pair of reviews would "
            "agree",
            d->agreement_k, d->n_levels, d->n_levels > 2 ? d->n_levels - 2 : 0);
    if (d->disagreement.max_reviewers < d->per_submission)
        bad(v, "reviewers.disagreement.max_reviewers", "%u is below reviewers.per_submission (%u)",
            d->disagreement.max_reviewers, d->per_submission);
    if (d->disagreement.add_per_round < 1)
        bad(v, "reviewers.disagreement.add_per_round", "0; add at least one reviewer per round");
}

static void check_review(struct vd *v, const struct ac_definition *d)
{
    unsigned deadline_h = d->review.deadline_days * 24;
    if (d->review.batch_size < 1)
        bad(v, "review.batch_size", "0; a batch holds at least one submission");
    if (d->review.deadline_days < 1)
        bad(v, "review.deadline_days", "0; reviewers need at least a day");
    for (size_t i = 0; i < d->review.n_reminders; i++) {
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "review.reminders_hours_before[%zu]", i);
        unsigned h = d->review.reminders_hours_before[i];
        if (h == 0 && v->after_read)
            continue; /* reported by the reader */
        if (h == 0 || h >= deadline_h)
            bad(v, p, "%u hours is not within the review deadline (%u days = %u hours)", h,
                d->review.deadline_days, deadline_h);
        else if (i > 0 && h >= d->review.reminders_hours_before[i - 1])
            bad(v, p,
                "%u is not below the previous reminder (%u); list reminders from earliest "
                "to latest, each fewer hours before the deadline",
                h, d->review.reminders_hours_before[i - 1]);
    }
}

static void check_training(struct vd *v, const struct ac_definition *d)
{
    if (d->training.examples_per_level < 1)
        bad(v, "training.examples_per_level", "0; training shows at least one example per level");
    if (d->training.attempts < 1)
        bad(v, "training.attempts", "0; a reviewer needs at least one attempt");
    if (d->training.sample_per_level < 1)
        bad(v, "training.sample_per_level", "0; certification draws at least one item per level");
    if (d->training.n_pass_rule == 0 && !v->after_read)
        bad(v, "training.pass_rule", "empty; a pass rule needs at least one criterion");
    for (size_t i = 0; i < d->training.n_pass_rule; i++) {
        const struct ac_pass_criterion *c = &d->training.pass_rule[i];
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "training.pass_rule[%zu]", i);
        for (size_t j = 0; j < i; j++) {
            if (d->training.pass_rule[j].kind == c->kind) {
                bad(v, p, "criterion \"%s\" appears twice", ac__def_pass_names[c->kind]);
                break;
            }
        }
        double lo = c->kind == AC_PASS_QUADRATIC_KAPPA ? -1 : 0;
        if ((c->kind == AC_PASS_EXACT_RATE || c->kind == AC_PASS_ADJACENT_RATE ||
             c->kind == AC_PASS_QUADRATIC_KAPPA) &&
            !(c->min >= lo && c->min <= 1) && !v->after_read) {
            snprintf(p, sizeof(p), "training.pass_rule[%zu].min", i);
            bad(v, p, "%g is out of range; must be between %g and 1", c->min, lo);
        }
    }
}

static void check_maintenance(struct vd *v, const struct ac_definition *d)
{
    if (d->mode == AC_MODE_ASSOCIATE && d->maintenance.second_master_rate > 0)
        bad(v, "maintenance.second_master_rate",
            "%g with mode \"associate\"; second-master checks apply only to master reviewers",
            d->maintenance.second_master_rate);
    for (size_t i = 0; i < d->maintenance.n_thresholds; i++) {
        const struct ac_def_threshold *t = &d->maintenance.thresholds[i];
        char p[MAX_PATH];
        snprintf(p, sizeof(p), "maintenance.thresholds[%zu]", i);
        for (size_t j = 0; j < i; j++) {
            if (d->maintenance.thresholds[j].measure == t->measure) {
                bad(v, p, "measure \"%s\" appears twice", ac__def_measure_names[t->measure]);
                break;
            }
        }
        if (t->actions == 0 && !v->after_read)
            bad(v, p, "no actions; name at least one of \"notify\", \"unavailable\", \"retrain\"");
    }
}

static void check_audit(struct vd *v, const struct ac_definition *d)
{
    if (d->state == AC_DEF_DRAFT)
        return;
    const char *names[] = {"impact", "equity", "access", "language", "big_picture"};
    const char *vals[] = {d->audit.impact, d->audit.equity, d->audit.access, d->audit.language,
                          d->audit.big_picture};
    for (int i = 0; i < 5; i++) {
        if (!vals[i] || !vals[i][0]) {
            char p[MAX_PATH];
            snprintf(p, sizeof(p), "audit.%s", names[i]);
            bad(v, p,
                "missing; a definition in state \"%s\" needs all five framework audit "
                "answers (only a draft may leave them out)",
                ac_def_state_name(d->state) ? ac_def_state_name(d->state) : "?");
        }
    }
}

int ac__def_validate(const struct ac_definition *d, struct ac_def_problems *pr, bool after_read)
{
    struct vd v = {pr, 0, after_read};
    size_t before = pr->n;
    check_id(&v, "id", d->id);
    if (d->version < 1 && !after_read)
        bad(&v, "version", "%lld; versions start at 1", (long long)d->version);
    need_string(&v, "title", d->title);
    if ((unsigned)d->state > AC_DEF_RETIRED)
        bad(&v, "state", "unknown state %d", (int)d->state);
    need_string(&v, "competency", d->competency);
    need_string(&v, "key_method", d->key_method);
    need_string(&v, "method_components", d->method_components);
    check_strings(&v, "research", d->research, d->n_research);
    check_strings(&v, "domains", d->domains, d->n_domains);
    check_strings(&v, "stacks", d->stacks, d->n_stacks);
    check_strings(&v, "submission.checklist", d->checklist, d->n_checklist);
    check_strings(&v, "submission.common_errors", d->common_errors, d->n_common_errors);
    if (d->descriptors)
        check_strings(&v, "scoring.descriptors", d->descriptors, d->n_levels);
    if (!(d->ceus >= 0 && d->ceus <= 1000))
        bad(&v, "ceus", "%g is out of range; must be between 0 and 1000", d->ceus);
    check_levels(&v, d);
    check_combine(&v, d);
    check_elements(&v, d);
    check_reviewers(&v, d);
    check_review(&v, d);
    check_training(&v, d);
    check_maintenance(&v, d);
    check_audit(&v, d);
    if (v.err)
        return v.err;
    return pr->n == before ? 0 : AC_EINVAL;
}

int ac_def_validate(const struct ac_definition *d, struct ac_def_problems *problems)
{
    return ac__def_validate(d, problems, false);
}
