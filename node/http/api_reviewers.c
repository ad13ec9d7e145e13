/* api_reviewers.c - reviewers over the API, from application to the pool:
 * profiles, credentials held elsewhere, applications and their screening,
 * certification attempts and the pool status. The state changes are the
 * services of node/lifecycle/reviewers.c and certification.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/reviewer.h"
#include "api_lifecycle.h"

static void subject_of(int64_t user_id, char out[24])
{
    snprintf(out, 24, "%lld", (long long)user_id);
}

static json_t *profile_json(const struct ac_reviewer_profile *p)
{
    json_t *domains = json_loads(p->domains, 0, NULL);
    json_t *j = json_pack("{s:I, s:s, s:s, s:o, s:b}", "user_id", (json_int_t)p->user_id, "school",
                          p->school, "district", p->district, "domains",
                          domains ? domains : json_array(), "available", p->available);
    if (j) {
        ac__json_time(j, "unavailable_until", p->unavailable_until_ms);
        ac__json_time(j, "general_module_completed_at", p->general_module_ms);
    }
    return j;
}

static json_t *cert_json(const struct ac_reviewer_cert *rc, const char *ref)
{
    json_t *screening = json_loads(rc->screening, 0, NULL);
    json_t *answers = json_loads(rc->answers, 0, NULL);
    json_t *j = json_pack(
        "{s:s, s:I, s:s, s:o, s:o, s:I}", "credential", ref, "user_id", (json_int_t)rc->user_id,
        "state", ac_rcert_state_name(rc->state), "answers", answers ? answers : json_object(),
        "screening", screening ? screening : json_array(), "attempts", (json_int_t)rc->attempts);
    if (j) {
        ac__json_time(j, "applied_at", rc->applied_ms);
        ac__json_time(j, "screened_at", rc->screened_ms);
        ac__json_time(j, "trained_at", rc->trained_ms);
        ac__json_time(j, "certified_at", rc->certified_ms);
        ac__json_time(j, "failed_at", rc->failed_ms);
        ac__json_time(j, "next_attempt_at", rc->next_attempt_ms);
    }
    return j;
}

/* Answers what a service did to one reviewer's certification: |status|
 * with the certification when |err| is 0 (then releases |rc| and |c|), else
 * the refusal (ac__refuse() naming |what|). */
static void answer_cert(struct ac_http_exchange *x, int err, struct ac_reason *why,
                        const char *what, int status, struct ac__cred *c,
                        struct ac_reviewer_cert *rc)
{
    if (err) {
        ac__refuse(x, err, why, what);
        return;
    }
    ac__respond_owned(x, status, cert_json(rc, c->ref));
    ac_reviewer_cert_release(rc);
    ac__cred_release(c);
}

/* ---- profile ---- */

/* GET /v1/reviewers/me: the caller's profile, read on a reader thread
 * (node/readers.h; the caller is the read's user). */
static int me_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                   struct ac_reason *why)
{
    (void)why;
    struct ac_reviewer_profile p;
    int err = ac_store_reviewer_get(view->store, ((struct ac__cred_read *)r)->user, &p);
    if (err)
        return err; /* named "your reviewer profile", as submitted */
    return ac__json_read_answer(r, profile_json(&p), out);
}

static void on_me_get(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_REVIEWER, false, me_read, "your reviewer profile");
}

static void on_me_put(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"school",    "district",          "domains",
                                          "available", "unavailable_until", NULL};
    struct ac_profile_patch patch = {0};
    char *domains = NULL;
    if (ac__json_only(x, body, allowed))
        goto out;
    const char *texts[] = {"school", "district"};
    const char **slots[] = {&patch.school, &patch.district};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, texts[i]);
        if (v && !json_is_string(v)) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, texts[i], NULL, "%s: text of at most %d bytes",
                        texts[i], AC_REVIEWER_TEXT_MAX);
            goto out;
        }
        *slots[i] = json_string_value(v);
    }
    json_t *dom = json_object_get(body, "domains");
    if (dom) {
        size_t i;
        json_t *v;
        int ok = json_is_array(dom);
        json_array_foreach(dom, i, v) ok &= json_is_string(v) && json_string_length(v) > 0;
        domains = ok ? json_dumps(dom, JSON_COMPACT) : NULL;
        if (!domains) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "domains", NULL,
                        "domains: a list of non-empty domain names (at most %d bytes as JSON)",
                        AC_REVIEWER_DOMAINS_MAX);
            goto out;
        }
        patch.domains = domains;
    }
    json_t *av = json_object_get(body, "available");
    if (av && !json_is_boolean(av)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "available", NULL, "available: true or false");
        goto out;
    }
    patch.has_available = av != NULL;
    patch.available = json_is_true(av);
    json_t *until = json_object_get(body, "unavailable_until");
    if (until) {
        if (!json_is_null(until) &&
            (!json_is_string(until) || ac_clock_parse(json_string_value(until), &patch.until_ms))) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "unavailable_until", NULL,
                        "unavailable_until: an RFC 3339 UTC time or null");
            goto out;
        }
        patch.has_until = true;
        patch.until_given = json_string_value(until);
    }
    struct ac_reason why = AC_REASON_INIT;
    struct ac_reviewer_profile p;
    int err = ac_reviewer_profile_put(n, &a.user, &patch, &p, &why);
    if (err)
        ac__refuse(x, err, &why, "reviewer profile");
    else
        ac__respond_owned(x, 200, profile_json(&p));
out:
    free(domains);
    json_decref(body);
}

/* ---- credentials held elsewhere ---- */

static void on_held_add(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"user_id", "credential", "issuer", NULL};
    json_int_t uid = json_integer_value(json_object_get(body, "user_id"));
    const char *cred = json_string_value(json_object_get(body, "credential"));
    const char *issuer = json_string_value(json_object_get(body, "issuer"));
    if (ac__json_only(x, body, allowed))
        goto out;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac_held_credential_add(n, &a.user, uid, cred, issuer, &why);
    if (err)
        ac__refuse(x, err, &why, "held credential");
    else
        ac__respond_owned(x, 201,
                          json_pack("{s:I, s:s, s:s}", "user_id", (json_int_t)uid, "credential",
                                    cred, "issuer", issuer ? issuer : ""));
out:
    json_decref(body);
}

/* ---- applications and screening ---- */

static void on_apply(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__json_body(x, 1, &body))
        return;
    static const char *const allowed[] = {"answers", NULL};
    json_t *answers = json_object_get(body, "answers");
    char *answers_text = NULL;
    if (ac__json_only(x, body, allowed))
        goto out;
    if (answers && !json_is_object(answers)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "answers", NULL,
                    "answers: an object of eligibility answers, e.g. {\"domain_expertise\": "
                    "\"...\"}");
        goto out;
    }
    if (answers && !(answers_text = json_dumps(answers, JSON_COMPACT))) {
        ac__respond_error(x, AC_ENOMEM, "application");
        goto out;
    }
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    int err = ac_reviewer_apply(n, &a.user, ac_http_param(x, "ref"), answers_text, &c, &rc, &why);
    answer_cert(x, err, &why, "application", 201, &c, &rc);
out:
    free(answers_text);
    json_decref(body);
}

/* ---- reads on the reader threads (node/readers.h, api_lifecycle.h) ---- */

static int applications_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                             struct ac_reason *why)
{
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac__cred c;
    int err = ac__cred_read_find(cr, view, &c, why);
    if (err)
        return err;
    struct ac_reviewer_cert rows[200];
    size_t k;
    err = ac_store_reviewer_cert_list(view->store, c.row.id, cr->state, cr->after, rows, cr->limit,
                                      &k);
    if (err) {
        ac__cred_release(&c);
        return err;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(items, cert_json(&rows[i], c.ref));
    json_t *j = json_pack("{s:o}", "items", items);
    if (j && k == cr->limit) {
        char cur[24];
        subject_of(rows[k - 1].user_id, cur);
        json_object_set_new(j, "next_cursor", json_string(cur));
    }
    for (size_t i = 0; i < k; i++)
        ac_reviewer_cert_release(&rows[i]);
    ac__cred_release(&c);
    *out = j;
    return 0;
}

static void on_applications(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__page_params(x, &limit, &after))
        return;
    char want[24];
    int state = -1;
    if (ac_http_query(ac_http_exchange_req(x), "state", want, sizeof want) == 0) {
        enum ac_rcert_state s;
        if (ac_rcert_state_parse(want, &s)) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "state", NULL,
                        "state: \"%s\" is not one of applied, rejected, screened, trained, "
                        "certified, failed, unavailable, retraining",
                        want);
            return;
        }
        state = (int)s;
    }
    struct ac__cred_read *cr = ac__cred_read_new(x, a.user.id);
    if (!cr)
        return;
    cr->limit = limit;
    cr->after = after;
    cr->state = state;
    ac__cred_read_submit(n, cr, applications_read, "applications");
}

static void on_screen(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    int64_t uid;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "user", "applicant", &uid) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"approve", "reason", NULL};
    json_t *approve = json_object_get(body, "approve");
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!json_is_boolean(approve)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "approve", NULL,
                    "approve: true (eligible) or false (not eligible), with a \"reason\"");
        goto out;
    }
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    int err = ac_reviewer_screen(n, &a.user, ac_http_param(x, "ref"), uid, json_is_true(approve),
                                 reason, &c, &rc, &why);
    answer_cert(x, err, &why, "screening", 200, &c, &rc);
out:
    json_decref(body);
}

static void on_reinstate(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    int64_t uid;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "user", "reviewer", &uid) || ac__json_body(x, 1, &body))
        return;
    static const char *const allowed[] = {"reason", NULL};
    json_t *rj = json_object_get(body, "reason");
    if (body && ac__json_only(x, body, allowed))
        goto out;
    if (rj && !json_is_string(rj)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "reason", NULL,
                    "reason: a text saying why the reviewer is reinstated");
        goto out;
    }
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    int err = ac_reviewer_reinstate(n, &a.user, ac_http_param(x, "ref"), uid, json_string_value(rj),
                                    &c, &rc, &why);
    answer_cert(x, err, &why, "reinstatement", 200, &c, &rc);
out:
    json_decref(body);
}

/* ---- pool ---- */

static int pool_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    struct ac__cred c;
    int err = ac__cred_read_find((struct ac__cred_read *)r, view, &c, why);
    if (err)
        return err;
    json_t *j;
    struct ac_pool_activation act;
    json_t *members = NULL;
    err = ac__pool_status(view, &c, false, &j, &act);
    if (!err && (err = ac__pool_members(view, &c, &members)) != 0)
        json_decref(j);
    if (!err && json_object_set_new(j, "reviewers", members)) {
        json_decref(j);
        err = AC_ENOMEM;
    }
    ac__cred_release(&c);
    if (!err)
        *out = j;
    return err;
}

static void on_pool(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    struct ac__cred_read *cr = ac__cred_read_new(x, a.user.id);
    if (cr)
        ac__cred_read_submit(n, cr, pool_read, "pool status");
}

/* GET /v1/definitions/{ref}/certification: the caller's certification for
 * the credential, read on a reader thread (node/readers.h). */
static int cert_status_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                            struct ac_reason *why)
{
    struct ac__cred_read *cr = (struct ac__cred_read *)r;
    struct ac__cred c;
    int err = ac__cred_read_find(cr, view, &c, why);
    if (err)
        return err;
    struct ac_reviewer_cert rc;
    err = ac_store_reviewer_cert_get(view->store, c.row.id, cr->user, &rc);
    if (err == AC_ENOENT)
        err = ac_reason_fail(why, err, AC_PROBLEM_NOT_APPLIED, NULL,
                             "you have not applied to review %s", c.ref);
    else if (!err) {
        err = ac__json_read_answer(r, cert_json(&rc, c.ref), out);
        ac_reviewer_cert_release(&rc);
    }
    ac__cred_release(&c);
    return err; /* a store error is named "certification", as submitted */
}

static void on_cert_status(struct ac_http_exchange *x, void *arg)
{
    ac__cred_read_route(arg, x, AC_ROLE_REVIEWER, false, cert_status_read, "certification");
}

static void on_attempt_start(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER))
        return;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_started s;
    int err = ac_cert_attempt_start(n, &a.user, ac_http_param(x, "ref"), &c, &s, &why);
    if (err) {
        ac__refuse(x, err, &why, "certification attempt");
        return;
    }
    ac__respond_owned(x, 201,
                      json_pack("{s:I, s:s, s:I, s:o}", "attempt_id", (json_int_t)s.attempt_id,
                                "credential", c.ref, "attempt", (json_int_t)s.number, "items",
                                s.items));
    ac__cred_release(&c);
}

/* Reads "answers" of |body| into |*out| (caller frees; NULL when it is not a
 * list) and sets |*k|. Returns 0 or AC_ENOMEM. */
static int answers_of(const json_t *body, struct ac_attempt_answer **out, size_t *k)
{
    const json_t *given = json_object_get(body, "answers");
    *out = NULL;
    *k = 0;
    if (!json_is_array(given))
        return 0;
    *k = json_array_size(given);
    *out = calloc(*k + 1, sizeof **out);
    if (!*out)
        return AC_ENOMEM;
    for (size_t i = 0; i < *k; i++) {
        const json_t *v = json_array_get(given, i);
        (*out)[i].item_id = json_integer_value(json_object_get(v, "item_id"));
        ac__level_arg_of(v, "level", &(*out)[i].level);
    }
    return 0;
}

static void on_attempt_answer(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__param_id(x, "id", "certification attempt", &id) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"answers", NULL};
    struct ac_attempt_answer *answers = NULL;
    size_t k;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_graded g;
    int err;
    if (ac__json_only(x, body, allowed))
        goto out;
    if ((err = answers_of(body, &answers, &k)) != 0 ||
        (err = ac_cert_attempt_answer(n, &a.user, id, answers, k, &c, &g, &why)) != 0) {
        ac__refuse(x, err, &why, "certification attempt");
        goto out;
    }
    json_t *j = json_pack("{s:I, s:s, s:b, s:o, s:s, s:I, s:s}", "attempt_id", (json_int_t)id,
                          "credential", c.ref, "passed", g.passed, "result", g.result, "state",
                          ac_rcert_state_name(g.state), "attempts", (json_int_t)g.attempts,
                          "credential_state", ac_def_state_name(c.row.state));
    if (j)
        ac__json_time(j, "next_attempt_at", g.next_attempt_ms);
    ac__respond_owned(x, 200, j);
    ac__cred_release(&c);
out:
    free(answers);
    json_decref(body);
}

void ac__api_reviewers_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/reviewers/me", on_me_get);
    ac__route(n, "PUT", "/v1/reviewers/me", on_me_put);
    ac__route(n, "POST", "/v1/held-credentials", on_held_add);
    ac__route(n, "POST", "/v1/definitions/{ref}/applications", on_apply);
    ac__route(n, "GET", "/v1/definitions/{ref}/applications", on_applications);
    ac__route(n, "POST", "/v1/definitions/{ref}/applications/{user}/screen", on_screen);
    ac__route(n, "GET", "/v1/definitions/{ref}/pool", on_pool);
    ac__route(n, "POST", "/v1/definitions/{ref}/reviewers/{user}/reinstate", on_reinstate);
    ac__route(n, "GET", "/v1/definitions/{ref}/certification", on_cert_status);
    ac__route(n, "POST", "/v1/definitions/{ref}/certification/attempts", on_attempt_start);
    ac__route(n, "POST", "/v1/certification/attempts/{id}/answers", on_attempt_answer);
}
