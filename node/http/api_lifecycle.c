/* api_lifecycle.c - request and answer pieces that the expert-scored lifecycle
 * routes share (pilot submissions in api_pilot.c, benchmark items in
 * api_benchmarks.c): the batch of text items an issuer hands to experts, the
 * ids it is answered with, an expert's assignments listed across
 * credentials, and the stage reports. Declared in api_lifecycle.h. */
#include <stdlib.h>

#include "accord/base/error.h"
#include "api_lifecycle.h"

int ac__text_batch_get(struct ac_http_exchange *x, const json_t *body, const char *key, size_t max,
                       const char *rule, const char *what, struct ac_text_item **texts,
                       int64_t **ids)
{
    const json_t *arr = json_object_get(body, key);
    size_t k = json_array_size(arr);
    if (!json_is_array(arr) || k == 0 || k > max)
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, key, NULL, "%s", rule);
    struct ac_text_item *t = calloc(k, sizeof *t);
    int64_t *i = calloc(k, sizeof *i);
    if (!t || !i) {
        free(t);
        free(i);
        ac__respond_error(x, AC_ENOMEM, what);
        return -1;
    }
    if (ac__labelled_texts_get(x, arr, key, t)) {
        free(t);
        free(i);
        return -1;
    }
    *texts = t;
    *ids = i;
    return (int)k;
}

json_t *ac__ids_json(const int64_t *ids, size_t k)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < k; i++)
        json_array_append_new(list, json_integer(ids[i]));
    return list;
}

int ac__cred_follow(struct ac_node *view, int64_t id, struct ac__cred *c)
{
    if (c->row.id == id)
        return 0;
    ac__cred_release(c);
    return ac__cred_load_id(view, id, c);
}

int ac__cred_report_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                         struct ac_reason *why, ac__cred_report_cb report)
{
    struct ac__cred c;
    int err = ac__cred_read_find((struct ac__cred_read *)r, view, &c, why);
    if (err)
        return err;
    bool met;
    err = report(view, &c, out, &met);
    ac__cred_release(&c);
    return err;
}
