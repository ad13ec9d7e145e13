/* definition_json.c - reads a credential definition from JSON, collecting every
 * shape and type problem with its path, and fills in the documented defaults. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accord/base/error.h"
#include "accord/base/json_alloc.h"
#include "definition_internal.h"

#define MAX_ARRAY 256
#define MAX_PATH 160

/* Reader state: the problems so far, and the first allocation failure, after
 * which reading continues harmlessly but the result is AC_ENOMEM. */
struct rd {
    struct ac_def_problems *pr;
    int err;
};

static void bad(struct rd *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad(struct rd *c, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ac__def_problem(c->pr, path, "%s", msg) != 0)
        c->err = AC_ENOMEM;
}

/* Paths are short unless an unknown key is long; a cut path ends in "...". */
static void mark_cut(char out[MAX_PATH], int n)
{
    if (n >= MAX_PATH)
        memcpy(out + MAX_PATH - 4, "...", 4);
}

static void join(char out[MAX_PATH], const char *base, const char *key)
{
    int n =
        base[0] ? snprintf(out, MAX_PATH, "%s.%s", base, key) : snprintf(out, MAX_PATH, "%s", key);
    mark_cut(out, n);
}

static void at(char out[MAX_PATH], const char *base, size_t i)
{
    mark_cut(out, snprintf(out, MAX_PATH, "%s[%zu]", base, i));
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static char *dup(struct rd *c, const char *s)
{
    char *p = strdup(s);
    if (!p)
        c->err = AC_ENOMEM;
    return p;
}

/* Reports members of |obj| not in |allowed|: a misspelt optional field would
 * otherwise silently take its default. */
static void only_keys(struct rd *c, json_t *obj, const char *base, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            char p[MAX_PATH];
            join(p, base, key);
            bad(c, p, "unknown field");
        }
    }
}

/* Returns the member |key| of |obj| or NULL; reports "missing" if |required|. */
static json_t *member(struct rd *c, json_t *obj, const char *base, const char *key, bool required)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v && required && obj) {
        char p[MAX_PATH];
        join(p, base, key);
        bad(c, p, "missing; this field is required");
    }
    return v;
}

static json_t *get_object(struct rd *c, json_t *obj, const char *base, const char *key,
                          bool required)
{
    json_t *v = member(c, obj, base, key, required);
    if (v && !json_is_object(v)) {
        char p[MAX_PATH];
        join(p, base, key);
        bad(c, p, "expected an object, got %s", type_name(v));
        return NULL;
    }
    return v;
}

static json_t *get_array(struct rd *c, json_t *obj, const char *base, const char *key,
                         bool required)
{
    json_t *v = member(c, obj, base, key, required);
    char p[MAX_PATH];
    join(p, base, key);
    if (v && !json_is_array(v)) {
        bad(c, p, "expected an array, got %s", type_name(v));
        return NULL;
    }
    if (v && json_array_size(v) > MAX_ARRAY) {
        bad(c, p, "%zu entries; at most %d are allowed", json_array_size(v), MAX_ARRAY);
        return NULL;
    }
    return v;
}

/* A string value at |path|: non-empty. Returns a copy or NULL (reported). */
static char *string_value(struct rd *c, json_t *v, const char *path)
{
    if (!json_is_string(v)) {
        bad(c, path, "expected a string, got %s", type_name(v));
        return NULL;
    }
    if (json_string_length(v) == 0) {
        bad(c, path, "must not be empty");
        return NULL;
    }
    return dup(c, json_string_value(v));
}

static char *get_string(struct rd *c, json_t *obj, const char *base, const char *key, bool required)
{
    json_t *v = member(c, obj, base, key, required);
    if (!v)
        return NULL;
    char p[MAX_PATH];
    join(p, base, key);
    return string_value(c, v, p);
}

static void get_bool(struct rd *c, json_t *obj, const char *base, const char *key, bool def,
                     bool *out)
{
    json_t *v = member(c, obj, base, key, false);
    *out = def;
    if (!v)
        return;
    if (!json_is_boolean(v)) {
        char p[MAX_PATH];
        join(p, base, key);
        bad(c, p, "expected true or false, got %s", type_name(v));
        return;
    }
    *out = json_is_true(v);
}

/* An unsigned integer in [lo, hi]; |*out| = |def| when absent. Returns true if
 * the member was present and valid. */
static bool get_uint(struct rd *c, json_t *obj, const char *base, const char *key, unsigned def,
                     unsigned lo, unsigned hi, unsigned *out)
{
    json_t *v = member(c, obj, base, key, false);
    *out = def;
    if (!v)
        return false;
    char p[MAX_PATH];
    join(p, base, key);
    if (!json_is_integer(v)) {
        bad(c, p, "expected an integer, got %s", type_name(v));
        return false;
    }
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)lo || x > (json_int_t)hi) {
        bad(c, p, "%lld is out of range; must be between %u and %u", (long long)x, lo, hi);
        return false;
    }
    *out = (unsigned)x;
    return true;
}

/* A number (integer or real) in [lo, hi]. Returns true if present and valid. */
static bool number_value(struct rd *c, json_t *v, const char *path, double lo, double hi,
                         double *out)
{
    if (!json_is_number(v)) {
        bad(c, path, "expected a number, got %s", type_name(v));
        return false;
    }
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi)) {
        bad(c, path, "%g is out of range; must be between %g and %g", x, lo, hi);
        return false;
    }
    *out = x;
    return true;
}

static bool get_number(struct rd *c, json_t *obj, const char *base, const char *key, double def,
                       double lo, double hi, double *out)
{
    json_t *v = member(c, obj, base, key, false);
    *out = def;
    if (!v)
        return false;
    char p[MAX_PATH];
    join(p, base, key);
    return number_value(c, v, p, lo, hi, out);
}

/* A name from |names|, or |def| (which may be -1 for "required") when absent.
 * Returns the index or -1 (reported). */
static int get_enum(struct rd *c, json_t *obj, const char *base, const char *key,
                    const char *const *names, int def)
{
    json_t *v = member(c, obj, base, key, def < 0);
    if (!v)
        return def;
    char p[MAX_PATH];
    join(p, base, key);
    if (!json_is_string(v)) {
        bad(c, p, "expected a string, got %s", type_name(v));
        return -1;
    }
    const char *s = json_string_value(v);
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s\"%s\"", i ? ", " : "", names[i]);
    }
    bad(c, p, "\"%.80s\" is not one of %s", s, list);
    return -1;
}

/* An array of unique non-empty strings. */
static void get_strings(struct rd *c, json_t *obj, const char *base, const char *key, bool required,
                        char ***out, size_t *n_out)
{
    json_t *arr = get_array(c, obj, base, key, required);
    char p[MAX_PATH], ip[MAX_PATH];
    join(p, base, key);
    *out = NULL;
    *n_out = 0;
    size_t n = arr ? json_array_size(arr) : 0;
    if (n == 0)
        return;
    char **v = calloc(n, sizeof(*v));
    if (!v) {
        c->err = AC_ENOMEM;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        at(ip, p, i);
        char *s = string_value(c, json_array_get(arr, i), ip);
        if (!s)
            continue;
        bool seen = false;
        for (size_t j = 0; j < k; j++)
            seen = seen || strcmp(v[j], s) == 0;
        if (seen) {
            bad(c, ip, "\"%.80s\" appears twice; entries must be unique", s);
            free(s);
            continue;
        }
        v[k++] = s;
    }
    *out = v;
    *n_out = k;
}

static void read_scoring(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"levels", "passing_level", "grain", "combine",
                                       "descriptors", NULL};
    static const char *const combine_keys[] = {"rule", "cut", NULL};
    json_t *s = get_object(c, root, "", "scoring", true);
    if (!s)
        return;
    only_keys(c, s, "scoring", keys);
    json_t *levels = get_array(c, s, "scoring", "levels", true);
    if (levels) {
        size_t n = json_array_size(levels);
        if (n < 2 || n > AC_DEF_MAX_LEVELS) {
            bad(c, "scoring.levels", "%zu levels; a scale has between 2 and %d", n,
                AC_DEF_MAX_LEVELS);
        } else {
            d->levels = calloc(n, sizeof(char *));
            if (!d->levels) {
                c->err = AC_ENOMEM;
                return;
            }
            d->n_levels = n;
            char ip[MAX_PATH];
            for (size_t i = 0; i < n; i++) {
                at(ip, "scoring.levels", i);
                d->levels[i] = string_value(c, json_array_get(levels, i), ip);
            }
        }
    }
    json_t *pass = member(c, s, "scoring", "passing_level", true);
    if (pass && !json_is_string(pass)) {
        bad(c, "scoring.passing_level", "expected a string, got %s", type_name(pass));
    } else if (pass && d->n_levels) {
        long i = ac_def_level_index(d, json_string_value(pass));
        if (i < 0)
            bad(c, "scoring.passing_level", "\"%.80s\" is not one of scoring.levels",
                json_string_value(pass));
        else if (i == 0)
            bad(c, "scoring.passing_level",
                "\"%.80s\" is the lowest level; then nothing could fail (levels are "
                "listed lowest first)",
                json_string_value(pass));
        else
            d->passing_level = (size_t)i;
    }
    int g = get_enum(c, s, "scoring", "grain", ac__def_grain_names, AC_GRAIN_HOLISTIC);
    d->grain = g < 0 ? AC_GRAIN_HOLISTIC : (enum ac_grain)g;
    json_t *comb = get_object(c, s, "scoring", "combine", d->grain == AC_GRAIN_PER_ELEMENT);
    if (comb && d->grain == AC_GRAIN_HOLISTIC && g >= 0) {
        bad(c, "scoring.combine",
            "given with grain \"holistic\"; combine rules apply only to "
            "grain \"per_element\"");
        return;
    }
    if (!comb)
        return;
    only_keys(c, comb, "scoring.combine", combine_keys);
    /* "none" is the holistic value and not a rule an issuer can choose. */
    int r = get_enum(c, comb, "scoring.combine", "rule", ac__def_combine_names + 1, -1);
    if (r < 0)
        return;
    d->combine = (enum ac_combine)(r + 1);
    json_t *cut = member(c, comb, "scoring.combine", "cut", d->combine != AC_COMBINE_THRESHOLDS);
    if (cut && d->combine == AC_COMBINE_THRESHOLDS)
        bad(c, "scoring.combine.cut",
            "given with rule \"thresholds\"; each element's "
            "threshold applies instead");
    else if (cut)
        number_value(c, cut, "scoring.combine.cut", 0, 1e9, &d->cut);
}

static void read_elements(struct rd *c, json_t *sub, struct ac_definition *d)
{
    static const char *const keys[] = {"id",     "prompt",    "kind", "required",
                                       "weight", "threshold", NULL};
    json_t *arr = get_array(c, sub, "submission", "elements", true);
    if (!arr)
        return;
    size_t n = json_array_size(arr);
    if (n == 0) {
        bad(c, "submission.elements", "empty; a submission needs at least one element");
        return;
    }
    d->elements = calloc(n, sizeof(*d->elements));
    if (!d->elements) {
        c->err = AC_ENOMEM;
        return;
    }
    d->n_elements = n;
    for (size_t i = 0; i < n; i++) {
        char p[MAX_PATH], q[MAX_PATH];
        at(p, "submission.elements", i);
        struct ac_def_element *e = &d->elements[i];
        e->weight = 1;
        e->threshold = d->passing_level;
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o)) {
            bad(c, p, "expected an object, got %s", type_name(o));
            continue;
        }
        only_keys(c, o, p, keys);
        e->id = get_string(c, o, p, "id", true);
        e->prompt = get_string(c, o, p, "prompt", true);
        int k = get_enum(c, o, p, "kind", ac__def_kind_names, AC_ELEMENT_TEXT);
        e->kind = k < 0 ? AC_ELEMENT_TEXT : (enum ac_element_kind)k;
        get_bool(c, o, p, "required", true, &e->required);
        json_t *w = member(c, o, p, "weight", false);
        join(q, p, "weight");
        if (w && d->combine != AC_COMBINE_WEIGHTED_CUT)
            bad(c, q,
                "given, but weights apply only to scoring.combine.rule "
                "\"weighted_sum_cut\"");
        else if (w && number_value(c, w, q, 0, 1e6, &e->weight) && e->weight <= 0)
            bad(c, q, "%g; a weight must be greater than 0", e->weight);
        json_t *t = member(c, o, p, "threshold", false);
        join(q, p, "threshold");
        if (t && d->combine != AC_COMBINE_THRESHOLDS) {
            bad(c, q, "given, but thresholds apply only to scoring.combine.rule \"thresholds\"");
        } else if (t && !json_is_string(t)) {
            bad(c, q, "expected a string, got %s", type_name(t));
        } else if (t && d->n_levels) {
            long li = ac_def_level_index(d, json_string_value(t));
            if (li < 0)
                bad(c, q, "\"%.80s\" is not one of scoring.levels", json_string_value(t));
            else
                e->threshold = (size_t)li;
        }
    }
}

static void read_submission(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"elements", "collaboration", "checklist", "common_errors",
                                       NULL};
    static const char *const collab_keys[] = {"allowed", "individual_element", NULL};
    d->individual_element = -1;
    json_t *sub = get_object(c, root, "", "submission", true);
    if (!sub)
        return;
    only_keys(c, sub, "submission", keys);
    read_elements(c, sub, d);
    get_strings(c, sub, "submission", "checklist", false, &d->checklist, &d->n_checklist);
    get_strings(c, sub, "submission", "common_errors", false, &d->common_errors,
                &d->n_common_errors);
    json_t *col = get_object(c, sub, "submission", "collaboration", false);
    if (!col)
        return;
    only_keys(c, col, "submission.collaboration", collab_keys);
    get_bool(c, col, "submission.collaboration", "allowed", false, &d->collaboration);
    json_t *ind = member(c, col, "submission.collaboration", "individual_element", false);
    const char *p = "submission.collaboration.individual_element";
    if (!ind || json_is_null(ind))
        return;
    if (!json_is_string(ind)) {
        bad(c, p, "expected a string or null, got %s", type_name(ind));
        return;
    }
    for (size_t i = 0; i < d->n_elements; i++)
        if (d->elements[i].id && strcmp(d->elements[i].id, json_string_value(ind)) == 0)
            d->individual_element = (long)i;
    if (d->individual_element < 0)
        bad(c, p, "\"%.80s\" is not the id of a submission element", json_string_value(ind));
}

static void read_qualifications(struct rd *c, json_t *rev, struct ac_definition *d)
{
    static const char *const keys[] = {"kind", "credential", "domain", "description", NULL};
    static const char *const value_key[] = {"credential", "domain", "description"};
    json_t *arr = get_array(c, rev, "reviewers", "qualifications", false);
    size_t n = arr ? json_array_size(arr) : 0;
    if (n == 0)
        return;
    d->quals = calloc(n, sizeof(*d->quals));
    if (!d->quals) {
        c->err = AC_ENOMEM;
        return;
    }
    d->n_quals = n;
    for (size_t i = 0; i < n; i++) {
        char p[MAX_PATH];
        at(p, "reviewers.qualifications", i);
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o)) {
            bad(c, p, "expected an object, got %s", type_name(o));
            continue;
        }
        only_keys(c, o, p, keys);
        int k = get_enum(c, o, p, "kind", ac__def_qual_names, -1);
        if (k < 0)
            continue;
        d->quals[i].kind = (enum ac_qual_kind)k;
        d->quals[i].value = get_string(c, o, p, value_key[k], true);
        for (int j = 0; j < 3; j++) {
            if (j != k && json_object_get(o, value_key[j])) {
                char q[MAX_PATH];
                join(q, p, value_key[j]);
                bad(c, q, "given with kind \"%s\", which takes \"%s\"", ac__def_qual_names[k],
                    value_key[k]);
            }
        }
    }
}

static void read_reviewers(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"qualifications", "mode",         "per_submission",
                                       "agreement",      "disagreement", NULL};
    static const char *const agree_keys[] = {"rule", "k", NULL};
    static const char *const dis_keys[] = {"add_per_round", "max_reviewers", "then",
                                           "median_rounding", NULL};
    json_t *rev = get_object(c, root, "", "reviewers", true);
    if (!rev)
        return;
    only_keys(c, rev, "reviewers", keys);
    read_qualifications(c, rev, d);
    int m = get_enum(c, rev, "reviewers", "mode", ac__def_mode_names, -1);
    d->mode = m < 0 ? AC_MODE_ASSOCIATE : (enum ac_reviewer_mode)m;
    get_uint(c, rev, "reviewers", "per_submission", d->mode == AC_MODE_MASTER ? 1 : 3, 1, 50,
             &d->per_submission);

    json_t *ag = get_object(c, rev, "reviewers", "agreement", false);
    if (ag) {
        only_keys(c, ag, "reviewers.agreement", agree_keys);
        int r = get_enum(c, ag, "reviewers.agreement", "rule", ac__def_agreement_names, -1);
        d->agreement = r < 0 ? AC_AGREE_EXACT : (enum ac_agreement)r;
        json_t *k = member(c, ag, "reviewers.agreement", "k", r == AC_AGREE_WITHIN);
        if (k && r >= 0 && r != AC_AGREE_WITHIN)
            bad(c, "reviewers.agreement.k",
                "given with rule \"%s\"; k applies only to rule "
                "\"within\"",
                ac__def_agreement_names[r]);
        else if (k)
            get_uint(c, ag, "reviewers.agreement", "k", 1, 1, AC_DEF_MAX_LEVELS, &d->agreement_k);
    }

    json_t *dis = get_object(c, rev, "reviewers", "disagreement", false);
    only_keys(c, dis, "reviewers.disagreement", dis_keys);
    get_uint(c, dis, "reviewers.disagreement", "add_per_round", 1, 1, 50,
             &d->disagreement.add_per_round);
    get_uint(c, dis, "reviewers.disagreement", "max_reviewers",
             d->mode == AC_MODE_MASTER ? d->per_submission : d->per_submission + 2, 1, 64,
             &d->disagreement.max_reviewers);
    int t = get_enum(c, dis, "reviewers.disagreement", "then", ac__def_resolve_names,
                     AC_RESOLVE_MEDIAN);
    d->disagreement.then = t < 0 ? AC_RESOLVE_MEDIAN : (enum ac_resolve)t;
    int rd = get_enum(c, dis, "reviewers.disagreement", "median_rounding", ac__def_rounding_names,
                      AC_ROUND_LOWER);
    d->disagreement.rounding = rd < 0 ? AC_ROUND_LOWER : (enum ac_rounding)rd;
}

static void read_review(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"batch_size",
                                       "batch_timer_hours",
                                       "deadline_days",
                                       "reminders_hours_before",
                                       "cool_off_hours",
                                       "resubmission_wait_days",
                                       "appeal_window_days",
                                       NULL};
    static const unsigned default_reminders[] = {72, 24};
    const char *b = "review";
    json_t *o = get_object(c, root, "", "review", false);
    only_keys(c, o, b, keys);
    get_uint(c, o, b, "batch_size", 10, 1, 1000, &d->review.batch_size);
    get_uint(c, o, b, "batch_timer_hours", 72, 1, 24 * 365, &d->review.batch_timer_hours);
    get_uint(c, o, b, "deadline_days", 14, 1, 365, &d->review.deadline_days);
    get_uint(c, o, b, "cool_off_hours", 48, 0, 24 * 365, &d->review.cool_off_hours);
    get_uint(c, o, b, "resubmission_wait_days", 14, 0, 365, &d->review.resubmission_wait_days);
    get_uint(c, o, b, "appeal_window_days", 0, 0, 365, &d->appeal_window_days);
    json_t *rem = get_array(c, o, b, "reminders_hours_before", false);
    size_t n = rem ? json_array_size(rem) : 2;
    if (n == 0)
        return;
    d->review.reminders_hours_before = calloc(n, sizeof(unsigned));
    if (!d->review.reminders_hours_before) {
        c->err = AC_ENOMEM;
        return;
    }
    d->review.n_reminders = n;
    for (size_t i = 0; i < n; i++) {
        if (!rem) {
            d->review.reminders_hours_before[i] = default_reminders[i];
            continue;
        }
        char p[MAX_PATH];
        at(p, "review.reminders_hours_before", i);
        json_t *v = json_array_get(rem, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 24 * 365)
            bad(c, p, "expected an integer number of hours between 1 and %d", 24 * 365);
        else
            d->review.reminders_hours_before[i] = (unsigned)json_integer_value(v);
    }
}

static void read_training(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"examples_per_level", "attempts",  "sample_per_level",
                                       "wait_days",          "pass_rule", NULL};
    static const char *const crit_keys[] = {"criterion", "min", NULL};
    const char *b = "training";
    json_t *o = get_object(c, root, "", "training", false);
    only_keys(c, o, b, keys);
    get_uint(c, o, b, "examples_per_level", 3, 1, 100, &d->training.examples_per_level);
    get_uint(c, o, b, "attempts", 3, 1, 100, &d->training.attempts);
    get_uint(c, o, b, "sample_per_level", 5, 1, 100, &d->training.sample_per_level);
    get_uint(c, o, b, "wait_days", 7, 0, 365, &d->training.wait_days);
    json_t *arr = get_array(c, o, b, "pass_rule", false);
    size_t n = arr ? json_array_size(arr) : 1;
    if (n == 0) {
        bad(c, "training.pass_rule", "empty; a pass rule needs at least one criterion");
        return;
    }
    d->training.pass_rule = calloc(n, sizeof(*d->training.pass_rule));
    if (!d->training.pass_rule) {
        c->err = AC_ENOMEM;
        return;
    }
    d->training.n_pass_rule = n;
    if (!arr) {
        /* The seed: score every sampled item exactly. */
        d->training.pass_rule[0].kind = AC_PASS_EXACT_RATE;
        d->training.pass_rule[0].min = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char p[MAX_PATH], q[MAX_PATH];
        at(p, "training.pass_rule", i);
        json_t *it = json_array_get(arr, i);
        if (!json_is_object(it)) {
            bad(c, p, "expected an object, got %s", type_name(it));
            continue;
        }
        only_keys(c, it, p, crit_keys);
        int k = get_enum(c, it, p, "criterion", ac__def_pass_names, -1);
        if (k < 0)
            continue;
        struct ac_pass_criterion *cr = &d->training.pass_rule[i];
        cr->kind = (enum ac_pass_kind)k;
        bool needs_min =
            k == AC_PASS_EXACT_RATE || k == AC_PASS_ADJACENT_RATE || k == AC_PASS_QUADRATIC_KAPPA;
        json_t *mn = member(c, it, p, "min", needs_min);
        join(q, p, "min");
        if (mn && !needs_min)
            bad(c, q, "given with criterion \"%s\", which has no minimum", ac__def_pass_names[k]);
        else if (mn)
            number_value(c, mn, q, k == AC_PASS_QUADRATIC_KAPPA ? -1 : 0, 1, &cr->min);
    }
}

static void read_maintenance(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"benchmark_seed_rate", "second_master_rate", "min_sample",
                                       "thresholds", NULL};
    static const char *const th_keys[] = {"measure", "min", "max", "actions", NULL};
    const char *b = "maintenance";
    json_t *o = get_object(c, root, "", "maintenance", false);
    only_keys(c, o, b, keys);
    get_number(c, o, b, "benchmark_seed_rate", 0.05, 0, 1, &d->maintenance.benchmark_seed_rate);
    get_number(c, o, b, "second_master_rate", d->mode == AC_MODE_MASTER ? 0.1 : 0, 0, 1,
               &d->maintenance.second_master_rate);
    get_uint(c, o, b, "min_sample", 20, 1, 100000, &d->maintenance.min_sample);
    json_t *arr = get_array(c, o, b, "thresholds", false);
    size_t n = arr ? json_array_size(arr) : 0;
    if (n == 0)
        return;
    d->maintenance.thresholds = calloc(n, sizeof(*d->maintenance.thresholds));
    if (!d->maintenance.thresholds) {
        c->err = AC_ENOMEM;
        return;
    }
    d->maintenance.n_thresholds = n;
    for (size_t i = 0; i < n; i++) {
        char p[MAX_PATH], q[MAX_PATH];
        at(p, "maintenance.thresholds", i);
        json_t *it = json_array_get(arr, i);
        if (!json_is_object(it)) {
            bad(c, p, "expected an object, got %s", type_name(it));
            continue;
        }
        only_keys(c, it, p, th_keys);
        struct ac_def_threshold *t = &d->maintenance.thresholds[i];
        int m = get_enum(c, it, p, "measure", ac__def_measure_names, -1);
        if (m >= 0) {
            t->measure = (enum ac_measure)m;
            bool is_min =
                m == AC_MEASURE_BENCHMARK_AGREEMENT || m == AC_MEASURE_CONSENSUS_AGREEMENT;
            const char *want = is_min ? "min" : "max", *other = is_min ? "max" : "min";
            json_t *bv = member(c, it, p, want, true);
            join(q, p, want);
            if (bv)
                number_value(c, bv, q, 0, m == AC_MEASURE_SEVERITY ? 100 : 1, &t->bound);
            if (json_object_get(it, other)) {
                join(q, p, other);
                bad(c, q, "given with measure \"%s\", which takes \"%s\"", ac__def_measure_names[m],
                    want);
            }
        }
        json_t *acts = get_array(c, it, p, "actions", true);
        join(q, p, "actions");
        if (acts && json_array_size(acts) == 0)
            bad(c, q, "empty; name at least one of \"notify\", \"unavailable\", \"retrain\"");
        for (size_t j = 0; acts && j < json_array_size(acts); j++) {
            char ap[MAX_PATH];
            at(ap, q, j);
            json_t *a = json_array_get(acts, j);
            unsigned bit = 0;
            for (unsigned k = 0; json_is_string(a) && ac__def_action_names[k]; k++)
                if (strcmp(ac__def_action_names[k], json_string_value(a)) == 0)
                    bit = 1u << k;
            if (!bit)
                bad(c, ap, "expected one of \"notify\", \"unavailable\", \"retrain\"");
            else if (t->actions & bit)
                bad(c, ap, "\"%s\" appears twice; actions must be unique", json_string_value(a));
            t->actions |= bit;
        }
    }
}

static void read_audit(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"impact",   "equity",      "access",
                                       "language", "big_picture", NULL};
    json_t *o = get_object(c, root, "", "audit", false);
    only_keys(c, o, "audit", keys);
    d->audit.impact = get_string(c, o, "audit", "impact", false);
    d->audit.equity = get_string(c, o, "audit", "equity", false);
    d->audit.access = get_string(c, o, "audit", "access", false);
    d->audit.language = get_string(c, o, "audit", "language", false);
    d->audit.big_picture = get_string(c, o, "audit", "big_picture", false);
}

static void read_pool(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"submissions_per_period", "assignments_per_reviewer",
                                       "period_days", "open_assignments_max", NULL};
    json_t *o = get_object(c, root, "", "pool", false);
    only_keys(c, o, "pool", keys);
    get_uint(c, o, "pool", "submissions_per_period", 100, 1, 10000000,
             &d->pool.submissions_per_period);
    get_uint(c, o, "pool", "assignments_per_reviewer", 10, 1, 100000,
             &d->pool.assignments_per_reviewer);
    get_uint(c, o, "pool", "period_days", 30, 1, 366, &d->pool.period_days);
    get_uint(c, o, "pool", "open_assignments_max", 0, 1, 100000, &d->pool.open_assignments_max);
}

/* scoring.descriptors: one text per level, in the order of the levels. */
static void read_descriptors(struct rd *c, json_t *root, struct ac_definition *d)
{
    json_t *s = json_object_get(root, "scoring");
    json_t *arr = json_is_object(s) ? get_array(c, s, "scoring", "descriptors", false) : NULL;
    if (!arr || !d->levels)
        return;
    if (json_array_size(arr) != d->n_levels) {
        bad(c, "scoring.descriptors", "%zu descriptors for %zu levels; give one per level, in "
            "the order of scoring.levels", json_array_size(arr), d->n_levels);
        return;
    }
    d->descriptors = calloc(d->n_levels, sizeof(char *));
    if (!d->descriptors) {
        c->err = AC_ENOMEM;
        return;
    }
    char p[MAX_PATH];
    for (size_t i = 0; i < d->n_levels; i++) {
        at(p, "scoring.descriptors", i);
        d->descriptors[i] = string_value(c, json_array_get(arr, i), p);
        if (!d->descriptors[i]) {
            for (size_t k = 0; k < i; k++)
                free(d->descriptors[k]);
            free(d->descriptors);
            d->descriptors = NULL;
            return;
        }
    }
}

static void read_root(struct rd *c, json_t *root, struct ac_definition *d)
{
    static const char *const keys[] = {"id",
                                       "version",
                                       "title",
                                       "state",
                                       "competency",
                                       "key_method",
                                       "method_components",
                                       "research",
                                       "submission",
                                       "scoring",
                                       "domains",
                                       "ceus",
                                       "stacks",
                                       "reviewers",
                                       "review",
                                       "training",
                                       "maintenance",
                                       "pool",
                                       "audit",
                                       NULL};
    only_keys(c, root, "", keys);
    d->id = get_string(c, root, "", "id", true);
    json_t *v = member(c, root, "", "version", true);
    if (v && !json_is_integer(v))
        bad(c, "version", "expected an integer, got %s", type_name(v));
    else if (v && json_integer_value(v) < 1)
        bad(c, "version", "%lld; versions start at 1", (long long)json_integer_value(v));
    else if (v)
        d->version = json_integer_value(v);
    d->title = get_string(c, root, "", "title", true);
    int st = get_enum(c, root, "", "state", ac__def_state_names, AC_DEF_DRAFT);
    d->state = st < 0 ? AC_DEF_DRAFT : (enum ac_def_state)st;
    d->competency = get_string(c, root, "", "competency", true);
    d->key_method = get_string(c, root, "", "key_method", true);
    d->method_components = get_string(c, root, "", "method_components", true);
    get_strings(c, root, "", "research", false, &d->research, &d->n_research);
    read_scoring(c, root, d);
    read_descriptors(c, root, d);
    read_submission(c, root, d);
    get_strings(c, root, "", "domains", false, &d->domains, &d->n_domains);
    get_number(c, root, "", "ceus", 0, 0, 1000, &d->ceus);
    get_strings(c, root, "", "stacks", false, &d->stacks, &d->n_stacks);
    read_reviewers(c, root, d);
    read_review(c, root, d);
    read_training(c, root, d);
    read_maintenance(c, root, d);
    read_pool(c, root, d);
    read_audit(c, root, d);
}

int ac_def_from_json(const char *json, size_t len, struct ac_definition **out,
                     struct ac_def_problems *problems)
{
    json_error_t jerr;
    ac_json_alloc_watch();
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    /* Running out of memory is not the client's malformed input, though
     * jansson may report it as a syntax error, or cut a string short and
     * report success (json_alloc.h): either way the document is not to be
     * trusted. */
    if (ac_json_alloc_failed()) {
        json_decref(root);
        return AC_ENOMEM;
    }
    if (!root) {
        if (ac__def_problem(problems, "$", "not valid JSON at line %d column %d: %s", jerr.line,
                            jerr.column, jerr.text) != 0)
            return AC_ENOMEM;
        return AC_EPARSE;
    }
    if (!json_is_object(root)) {
        int r = ac__def_problem(problems, "$", "expected an object, got %s", type_name(root));
        json_decref(root);
        return r ? r : AC_EINVAL;
    }
    struct ac_definition *d = calloc(1, sizeof(*d));
    if (!d) {
        json_decref(root);
        return AC_ENOMEM;
    }
    struct rd c = {problems, 0};
    size_t before = problems->n;
    read_root(&c, root, d);
    json_decref(root);
    if (c.err) {
        ac_def_free(d);
        return c.err;
    }
    /* Cross-field rules run too, so one pass reports every problem; they skip
     * what the reader already found missing or malformed. */
    int r = ac__def_validate(d, problems, true);
    if (r == AC_ENOMEM) {
        ac_def_free(d);
        return r;
    }
    if (problems->n != before) {
        ac_def_free(d);
        return AC_EINVAL;
    }
    *out = d;
    return 0;
}
