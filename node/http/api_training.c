/* api_training.c - the credential's training module over the API (generated
 * by node/lifecycle/training.c from the template), and the node's one general
 * module; reviewers complete each (the general one once across credentials). */
#include <stdio.h>
#include <stdlib.h>

#include "accord/base/error.h"
#include "accord/store/reviewer.h"
#include "accord/store/training.h"
#include "api_lifecycle.h"

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

/* Answers the stored training module of |c|. */
static void respond_module(struct ac_node *n, struct ac_http_exchange *x, const struct ac__cred *c)
{
    char *text = NULL;
    int64_t at;
    int err = ac_store_training_get(n->store, c->row.id, &text, &at);
    if (err == AC_ENOENT) {
        ac__problem(x, AC_PROBLEM_NOT_FOUND, NULL, NULL,
                    "%s has no training module yet; it is generated on entering training", c->ref);
        return;
    }
    if (err) {
        ac__respond_error(x, err, "training module");
        return;
    }
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (j)
        ac__json_time(j, "generated_at", at);
    ac__respond_owned(x, 200, j);
}

static void on_view(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__cred_load(n, x, &c))
        return;
    if (!may_view(n, x, &a, &c))
        respond_module(n, x, &c);
    ac__cred_release(&c);
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
    struct ac_reason why = AC_REASON_INIT;
    int err = text ? ac_general_module_put(n, &a.user, text, &why) : AC_ENOMEM;
    free(text);
    if (err)
        ac__refuse(x, err, &why, "general module");
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
