/* definition.c - the credential definition model: names, problem lists,
 * freeing, and the lifecycle transition check. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accord/base/error.h"
#include "definition_internal.h"

const char *const ac__def_state_names[] = {"draft",      "piloting", "benchmarks", "training",
                                           "recruiting", "active",   "retired",    NULL};
const char *const ac__def_kind_names[] = {"text", "file", "link", "video", NULL};
const char *const ac__def_grain_names[] = {"holistic", "per_element", NULL};
const char *const ac__def_combine_names[] = {"none", "mean_cut", "thresholds", "weighted_sum_cut",
                                             NULL};
const char *const ac__def_mode_names[] = {"master", "associate", NULL};
const char *const ac__def_agreement_names[] = {"exact", "pass_boundary", "within", NULL};
const char *const ac__def_resolve_names[] = {"majority", "median", "escalate", NULL};
const char *const ac__def_rounding_names[] = {"lower", "higher", NULL};
const char *const ac__def_qual_names[] = {"holds_credential", "domain_expertise", "manual", NULL};
const char *const ac__def_pass_names[] = {
    "exact_rate",     "adjacent_rate",   "no_discrepancy_beyond_one",
    "boundary_exact", "quadratic_kappa", NULL};
const char *const ac__def_measure_names[] = {"benchmark_agreement", "consensus_agreement",
                                             "severity", "discrepancy_rate", NULL};
/* Indexed by bit position of AC_ACTION_*. */
const char *const ac__def_action_names[] = {"notify", "unavailable", "retrain", NULL};

size_t ac__def_names_count(const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}

int ac__def_problem(struct ac_def_problems *pr, const char *path, const char *fmt, ...)
{
    if (pr->n == pr->cap) {
        size_t cap = pr->cap ? pr->cap * 2 : 8;
        struct ac_def_problem *items = realloc(pr->items, cap * sizeof(*items));
        if (!items)
            return AC_ENOMEM;
        pr->items = items;
        pr->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        return AC_ENOMEM;
    char *p = strdup(path);
    if (!p) {
        free(msg);
        return AC_ENOMEM;
    }
    pr->items[pr->n].path = p;
    pr->items[pr->n].message = msg;
    pr->n++;
    return 0;
}

void ac_def_problems_release(struct ac_def_problems *pr)
{
    if (!pr)
        return;
    for (size_t i = 0; i < pr->n; i++) {
        free(pr->items[i].path);
        free(pr->items[i].message);
    }
    free(pr->items);
    pr->items = NULL;
    pr->n = pr->cap = 0;
}

int ac_def_problems_to_json(const struct ac_def_problems *pr, char **out)
{
    json_t *arr = json_array();
    if (!arr)
        return AC_ENOMEM;
    for (size_t i = 0; i < pr->n; i++) {
        json_t *o =
            json_pack("{s:s, s:s}", "path", pr->items[i].path, "message", pr->items[i].message);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return AC_ENOMEM;
        }
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!s)
        return AC_ENOMEM;
    *out = s;
    return 0;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ac_def_free(struct ac_definition *d)
{
    if (!d)
        return;
    free(d->id);
    free(d->title);
    free(d->competency);
    free(d->key_method);
    free(d->method_components);
    free_strings(d->research, d->n_research);
    for (size_t i = 0; i < d->n_elements; i++) {
        free(d->elements[i].id);
        free(d->elements[i].prompt);
    }
    free(d->elements);
    free_strings(d->levels, d->n_levels);
    free_strings(d->domains, d->n_domains);
    free_strings(d->stacks, d->n_stacks);
    free_strings(d->descriptors, d->descriptors ? d->n_levels : 0);
    free_strings(d->checklist, d->n_checklist);
    free_strings(d->common_errors, d->n_common_errors);
    for (size_t i = 0; i < d->n_quals; i++)
        free(d->quals[i].value);
    free(d->quals);
    free(d->review.reminders_hours_before);
    free(d->training.pass_rule);
    free(d->maintenance.thresholds);
    free(d->audit.impact);
    free(d->audit.equity);
    free(d->audit.access);
    free(d->audit.language);
    free(d->audit.big_picture);
    free(d);
}

long ac_def_level_index(const struct ac_definition *d, const char *name)
{
    for (size_t i = 0; i < d->n_levels; i++)
        if (d->levels[i] && strcmp(d->levels[i], name) == 0)
            return (long)i;
    return -1;
}

void ac_def_screen(const struct ac_definition *d, const char *const *held, size_t n_held,
                   size_t *unmet, const char **first_unmet, size_t *manual)
{
    size_t u = 0, m = 0;
    const char *first = NULL;
    for (size_t i = 0; i < d->n_quals; i++) {
        const struct ac_def_qualification *q = &d->quals[i];
        if (q->kind != AC_QUAL_HOLDS_CREDENTIAL) {
            m++;
            continue;
        }
        bool found = false;
        for (size_t j = 0; j < n_held && !found; j++)
            found = held[j] && q->value && strcmp(held[j], q->value) == 0;
        if (!found) {
            if (!first)
                first = q->value;
            u++;
        }
    }
    *unmet = u;
    *first_unmet = first;
    *manual = m;
}

const char *ac_def_state_name(enum ac_def_state s)
{
    if ((unsigned)s > AC_DEF_RETIRED)
        return NULL;
    return ac__def_state_names[s];
}

int ac_def_state_parse(const char *name, enum ac_def_state *out)
{
    for (unsigned i = 0; ac__def_state_names[i]; i++) {
        if (strcmp(name, ac__def_state_names[i]) == 0) {
            *out = (enum ac_def_state)i;
            return 0;
        }
    }
    return AC_EINVAL;
}

static int refuse(char *why, size_t why_len, const char *fmt, const char *a, const char *b)
{
    if (why && why_len)
        snprintf(why, why_len, fmt, a, b);
    return AC_ECONFLICT;
}

int ac_def_transition_check(enum ac_def_state from, enum ac_def_state to, char *why, size_t why_len)
{
    const char *f = ac_def_state_name(from), *t = ac_def_state_name(to);
    if (!f || !t)
        return refuse(why, why_len, "state %s -> %s: unknown state", f ? f : "?", t ? t : "?");
    if (from == AC_DEF_RETIRED)
        return refuse(why, why_len, "state %s -> %s: a retired definition stays retired", f, t);
    if (to == AC_DEF_RETIRED)
        return 0;
    if (to == from + 1)
        return 0;
    /* A failed pilot or experts who cannot agree on benchmarks send the
     * definition back to Step 1 (the seed workflow, Steps 1 and 2). */
    if (to == AC_DEF_DRAFT && (from == AC_DEF_PILOTING || from == AC_DEF_BENCHMARKS))
        return 0;
    return refuse(why, why_len,
                  "state %s -> %s: not a lifecycle step; the order is draft, piloting, "
                  "benchmarks, training, recruiting, active, retired",
                  f, t);
}
