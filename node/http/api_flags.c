/* api_flags.c - the issuer's flags inbox: near-duplicates, escalations and
 * reviewer-monitoring findings, listed and resolved by admins. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/flag.h"
#include "readers.h"
#include "review/review.h"

static json_t *flag_json(const struct ac_flag *f)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:b, s:o}", "id", (json_int_t)f->id, "kind", f->kind,
                          "credential", f->credential_id, "resolved", f->resolved, "detail",
                          json_loads(f->detail, 0, NULL));
    if (f->submission_id)
        json_object_set_new(j, "submission", json_integer(f->submission_id));
    if (f->reviewer_id)
        json_object_set_new(j, "reviewer", json_integer(f->reviewer_id));
    if (f->resolved) {
        json_object_set_new(j, "resolution", json_string(f->resolution));
        json_object_set_new(j, "resolved_by", json_integer(f->resolved_by));
    }
    ac__json_time(j, "created_at", f->created_ms);
    ac__json_time(j, "resolved_at", f->resolved_ms);
    return j;
}

/* The flags list, read on a reader thread (node/readers.h). */
struct list_read {
    struct ac__json_read r; /* first */
    int open_only;
    size_t limit;
    int64_t after;
};

static int list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct list_read *l = (struct list_read *)r;
    struct ac_flag *fs = NULL;
    size_t got = 0;
    int err = ac_store_flag_list(view->store, l->open_only, l->after, l->limit + 1, &fs, &got);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < got && i < l->limit; i++)
        json_array_append_new(items, flag_json(&fs[i]));
    int more = got > l->limit;
    *out = ac__page_json(items, more, more ? fs[l->limit - 1].id : 0);
    for (size_t i = 0; i < got; i++)
        ac_flag_release(&fs[i]);
    free(fs);
    return 0;
}

static void on_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__page_params(x, &limit, &after))
        return;
    char all[8];
    struct list_read *l = calloc(1, sizeof *l);
    if (!l) {
        ac__respond_error(x, AC_ENOMEM, "flags");
        return;
    }
    l->open_only = ac_http_query(ac_http_exchange_req(x), "all", all, sizeof all) != 0;
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, list_read, NULL, "flags");
}

static void on_resolve(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "flag", &id) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"action", "level", NULL};
    const char *action = json_string_value(json_object_get(body, "action"));
    const char *level = json_string_value(json_object_get(body, "level"));
    char what[32];
    snprintf(what, sizeof what, "flag %" PRId64, id);
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!action) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "action", NULL,
                    "action: required; dismiss, reject, decide or acknowledge");
        goto out;
    }
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__flag_resolve(n, a.user.id, id, action, level, &why);
    if (err) {
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        goto out;
    }
    struct ac_flag f;
    if (ac_store_flag_get(n->store, id, &f) == 0) {
        json_t *j = flag_json(&f);
        ac_http_respond_json(x, 200, j);
        json_decref(j);
        ac_flag_release(&f);
    } else {
        ac__respond_error(x, AC_EDB, what);
    }
out:
    json_decref(body);
}

void ac__api_flags_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/flags", on_list);
    ac__route(n, "POST", "/v1/flags/{id}/resolve", on_resolve);
}
