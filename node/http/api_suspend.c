/* api_suspend.c - POST /v1/definitions/{ref}/reviewers/{user}/suspend
 * {"reason", "decertify"?}: an issuer's admin takes a certified reviewer out
 * of the pool by hand (node/lifecycle/suspend.c); reinstatement is
 * .../reinstate (api_reviewers.c). */
#include "accord/base/error.h"
#include "accord/store/reviewer.h"
#include "api_lifecycle.h"
#include "lifecycle/suspend.h"

static void on_suspend(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    int64_t uid;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "user", "reviewer", &uid) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"reason", "decertify", NULL};
    json_t *rj = json_object_get(body, "reason"), *dj = json_object_get(body, "decertify");
    if (ac__json_only(x, body, allowed))
        goto out;
    if (dj && !json_is_boolean(dj)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "decertify", NULL,
                    "decertify: true sends the reviewer to retraining; false (the default) "
                    "suspends them until reinstated");
        goto out;
    }
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    int err = ac_reviewer_suspend(n, &a.user, ac_http_param(x, "ref"), uid, json_is_true(dj),
                                  json_string_value(rj), &c, &rc, &why);
    if (err) {
        ac__refuse(x, err, &why, "suspension");
        goto out;
    }
    ac__respond_owned(x, 200,
                      json_pack("{s:s, s:I, s:s}", "credential", c.ref, "user_id",
                                (json_int_t)rc.user_id, "state", ac_rcert_state_name(rc.state)));
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
out:
    json_decref(body);
}

void ac__api_suspend_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/definitions/{ref}/reviewers/{user}/suspend", on_suspend);
}
