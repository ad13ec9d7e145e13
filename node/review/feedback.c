/* feedback.c - reviewers' feedback shown to the earner (feedback.h). The
 * assignment row keeps what the reviewer wrote as given: plain text, or a
 * JSON object of element id to text when the rubric is per element (the
 * score handler serialises it); this file is the one place that reads it
 * back, so the API, `submission show` and the mail say the same thing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/error.h"
#include "accord/store/assignment.h"
#include "internal.h"
#include "review/feedback.h"

/* The object of per-element texts in |text|, or NULL for plain text. */
static json_t *per_element(const char *text)
{
    if (!text || text[0] != '{')
        return NULL;
    json_t *j = json_loads(text, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int ac__feedback_check(const struct ac_definition *def, const char *text, struct ac_reason *why)
{
    json_t *j = per_element(text);
    if (!j)
        return 0;
    int err = 0;
    const char *key;
    json_t *v;
    if (def->grain != AC_GRAIN_PER_ELEMENT)
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "feedback",
                             "feedback: %s is scored holistically; give one text, not one per "
                             "element",
                             def->id);
    json_object_foreach(j, key, v)
    {
        if (err)
            break;
        int known = 0;
        for (size_t i = 0; i < def->n_elements; i++)
            known |= strcmp(def->elements[i].id, key) == 0;
        if (!known)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "feedback",
                                 "feedback.%s: not an element of %s", key, def->id);
        else if (!json_is_string(v))
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "feedback",
                                 "feedback.%s: must be a string", key);
    }
    json_decref(j);
    return err;
}

static const char *level_name(const struct ac_definition *def, int level)
{
    return level >= 0 && (size_t)level < def->n_levels ? def->levels[level] : NULL;
}

/* One review as the earner sees it, or NULL when out of memory. */
static json_t *one_review(const struct ac_assignment_row *a, size_t ordinal,
                          const struct ac_definition *def)
{
    json_t *j = json_pack("{s:I}", "reviewer", (json_int_t)ordinal);
    if (!j)
        return NULL;
    const char *combined = level_name(def, a->level);
    if (combined)
        json_object_set_new(j, "level", json_string(combined));
    json_t *texts = per_element(a->feedback);
    if (a->feedback && a->feedback[0] && !texts)
        json_object_set_new(j, "feedback", json_string(a->feedback));
    if (def->grain == AC_GRAIN_PER_ELEMENT) {
        json_t *els = json_array();
        for (size_t i = 0; els && i < def->n_elements; i++) {
            const struct ac_def_element *e = &def->elements[i];
            json_t *el = json_pack("{s:s, s:s}", "element", e->id, "prompt", e->prompt);
            const char *lv = i < a->n_levels ? level_name(def, a->levels[i]) : NULL;
            const char *fb = json_string_value(json_object_get(texts, e->id));
            if (el && lv)
                json_object_set_new(el, "level", json_string(lv));
            if (el && fb && fb[0])
                json_object_set_new(el, "feedback", json_string(fb));
            json_array_append_new(els, el);
        }
        json_object_set_new(j, "elements", els);
    }
    json_decref(texts);
    return j;
}

int ac__feedback_json(struct ac_node *n, int64_t sub_id, const struct ac_definition *def,
                      json_t **out)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0, ordinal = 0;
    int err = ac_store_assignment_list(n->store, sub_id, 0, 0, AC_ASG_DONE, &as, &nas);
    json_t *list = err ? NULL : json_array();
    if (!err && !list)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nas; i++) {
        json_t *r = one_review(&as[i], ++ordinal, def);
        if (!r || json_array_append_new(list, r))
            err = AC_ENOMEM;
    }
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    if (err) {
        json_decref(list);
        return err;
    }
    *out = list;
    return 0;
}

int ac__feedback_mail(struct ac_node *n, int64_t sub_id, const struct ac_definition *def,
                      const char *head, char **out)
{
    json_t *list = NULL;
    int err = ac__feedback_json(n, sub_id, def, &list);
    if (err)
        return err;
    struct ac_buf b;
    ac_buf_init(&b);
    err = ac_buf_printf(&b, "%s", head);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        const char *text = json_string_value(json_object_get(r, "feedback"));
        json_t *els = json_object_get(r, "elements");
        int any = text != NULL;
        size_t k;
        json_t *e;
        json_array_foreach(els, k, e) any |= json_object_get(e, "feedback") != NULL;
        if (err || !any)
            continue;
        const char *level = json_string_value(json_object_get(r, "level"));
        err = ac_buf_printf(&b, "\nReviewer %zu (%s):\n", i + 1, level ? level : "not scored");
        if (!err && text)
            err = ac_buf_printf(&b, "  %s\n", text);
        json_array_foreach(els, k, e)
        {
            const char *fb = json_string_value(json_object_get(e, "feedback"));
            const char *lv = json_string_value(json_object_get(e, "level"));
            if (!err && fb)
                err = ac_buf_printf(&b, "  %s (%s): %s\n",
                                    json_string_value(json_object_get(e, "element")),
                                    lv ? lv : "not scored", fb);
        }
    }
    json_decref(list);
    if (!err)
        err = ac_buf_terminate(&b);
    if (err) {
        ac_buf_release(&b);
        return err;
    }
    *out = (char *)ac_buf_steal(&b, NULL);
    return 0;
}
