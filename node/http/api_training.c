/* api_training.c - the credential's training module over the API (generated
 * by node/lifecycle/training.c from the template), and the node's one general
 * module; reviewers complete each (the general one once across credentials). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/store/reviewer.h"
#include "accord/store/training.h"
#include "accounts/accounts.h"
#include "api_lifecycle.h"

/* The stored training module of |c|, or the refusal in |why|; on the loop
 * with its store after a regeneration, on a reader thread for a view. */
static int module_json(struct ac_node *n, const struct ac__cred *c, json_t **out,
                       struct ac_reason *why)
{
    char *text = NULL;
    int64_t at;
    int err = ac_store_training_get(n->store, c->row.id, &text, &at);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                              "%s has no training module yet; it is generated on entering training",
                              c->ref);
    if (err)
        return err;
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (j)
        ac__json_time(j, "generated_at", at);
    *out = j;
    return 0;
}

/* Answers the stored training module of |c| (loop). */
static void respond_module(struct ac_node *n, struct ac_http_exchange *x, const struct ac__cred *c)
{
    json_t *j = NULL;
    struct ac_reason why = AC_REASON_INIT;
    int err = module_json(n, c, &j, &why);
    if (err)
        ac__respond_failure(x, err, &why, "training module");
    else
        ac__respond_owned(x, 200, j);
    ac_reason_release(&why);
}

/* GET /v1/definitions/{ref}/training-module, read on a reader thread
 * (node/readers.h). Reviewers see the module once screened for the
 * credential; staff always. Whether the caller's roles allow it at all is
 * decided on the loop, but refused only once the credential is known to
 * exist, as a missing credential is a 404 for everyone. */
struct module_read {
    struct ac__json_read r; /* first */
    char *ref;              /* owned: path parameter "ref" */
    int64_t user;
    bool staff;      /* an admin or an expert */
    int refused_err; /* no role to view it at all: AC_EACCES, with |refused| */
    struct ac_reason refused;
};

static void module_read_release(struct ac__json_read *r)
{
    struct module_read *q = (struct module_read *)r;
    free(q->ref);
    ac_reason_release(&q->refused);
}

static int module_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    struct module_read *q = (struct module_read *)r;
    struct ac__cred c;
    int err = ac__cred_find(view, q->ref, &c, why);
    if (err) {
        snprintf(r->what, sizeof r->what, "credential"); /* as ac__cred_load() names it */
        return err;
    }
    if (q->refused_err) {
        /* Handed over whole: the reason the loop made is this answer's. */
        err = q->refused_err;
        ac_reason_release(why);
        *why = q->refused;
        q->refused = (struct ac_reason)AC_REASON_INIT;
    } else if (!q->staff) {
        struct ac_reviewer_cert rc;
        err = ac_store_reviewer_cert_get(view->store, c.row.id, q->user, &rc);
        bool ok = !err && rc.state != AC_RCERT_APPLIED && rc.state != AC_RCERT_REJECTED;
        if (!err)
            ac_reviewer_cert_release(&rc);
        err = ok ? 0
                 : ac_reason_fail(why, AC_EACCES, AC_PROBLEM_NOT_SCREENED, NULL,
                                  "the training module of %s opens to reviewers who passed "
                                  "screening for it; apply with POST /v1/definitions/%s/"
                                  "applications",
                                  c.ref, c.ref);
    }
    json_t *j = NULL;
    if (!err && (err = module_json(view, &c, &j, why)) == 0)
        err = ac__json_read_answer(r, j, out);
    ac__cred_release(&c);
    return err;
}

static void on_view(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    struct module_read *q = ac__read_new(x, sizeof *q, "credential");
    if (!q)
        return;
    q->refused = (struct ac_reason)AC_REASON_INIT;
    if (!(q->ref = strdup(ac_http_param(x, "ref")))) {
        free(q);
        ac__respond_error(x, AC_ENOMEM, "credential");
        return;
    }
    q->user = a.user.id;
    q->staff = (a.user.roles & (AC_ROLE_ADMIN | AC_ROLE_EXPERT)) != 0;
    q->refused_err =
        ac__need_role(&a.user, AC_ROLE_ADMIN | AC_ROLE_EXPERT | AC_ROLE_REVIEWER, &q->refused);
    ac__json_read_submit(n, x, &q->r, module_read, module_read_release, "training module");
}

/* Regenerates the module (e.g. after more annotations) while in training. */
static void on_generate(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err = ac_training_regenerate(n, &a.user, ac_http_param(x, "ref"), &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "training module");
        return;
    }
    respond_module(n, x, &c);
    ac__cred_release(&c);
}

static void on_complete(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER))
        return;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int err = ac_training_complete(n, &a.user, ac_http_param(x, "ref"), &c, &why);
    if (err) {
        ac__refuse(x, err, &why, "training completion");
        return;
    }
    ac__respond_owned(x, 200,
                      json_pack("{s:s, s:s}", "credential", c.ref, "state",
                                ac_rcert_state_name(AC_RCERT_TRAINED)));
    ac__cred_release(&c);
}

/* The node's general module read with |n|'s store, or the refusal in |why|;
 * sets |*out| (NULL when the stored text no longer parses) on 0. */
static int general_json(struct ac_node *n, json_t **out, struct ac_reason *why)
{
    char *text;
    int64_t at;
    int err = ac_store_general_get(n->store, &text, &at);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                              "this node has no general module yet; an admin writes it with PUT "
                              "/v1/general-module");
    if (err)
        return err;
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (j)
        ac__json_time(j, "updated_at", at);
    *out = j;
    return 0;
}

/* GET /v1/general-module, for anyone signed in: read on a reader thread
 * (node/readers.h). */
static int general_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                        struct ac_reason *why)
{
    json_t *j = NULL;
    int err = general_json(view, &j, why);
    return err ? err /* named "general module", as submitted */
               : ac__json_read_answer(r, j, out);
}

static void on_general_get(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, 0, false, general_read, "general module");
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
    struct ac_reason why = AC_REASON_INIT;
    int err = text ? ac_general_module_put(n, &a.user, text, &why) : AC_ENOMEM;
    free(text);
    if (err) {
        ac__refuse(x, err, &why, "general module");
        goto out;
    }
    /* Read back on the loop with the writer's store: on SQLite a reader
     * thread may not see the write until its group commits. */
    json_t *j = NULL;
    err = general_json(n, &j, &why);
    if (err)
        ac__respond_failure(x, err, &why, "general module");
    else
        ac__respond_owned(x, 200, j);
    ac_reason_release(&why);
out:
    json_decref(body);
}

static void on_general_complete(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER))
        return;
    struct ac_reason why = AC_REASON_INIT;
    int64_t done;
    int err = ac_general_module_complete(n, &a.user, &done, &why);
    if (err) {
        ac__refuse(x, err, &why, "general module completion");
        return;
    }
    json_t *j = json_pack("{s:I}", "user_id", (json_int_t)a.user.id);
    if (j)
        ac__json_time(j, "completed_at", done);
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
