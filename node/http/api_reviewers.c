/* api_reviewers.c - reviewers from application to the pool: profiles,
 * applications screened automatically where the node can check ("holds
 * credential X") and by an admin otherwise, certification attempts drawn with
 * core/certify.h and graded against the benchmark final scores with a wait
 * after a failure, and the pool against the sizing formula (core/pool.h),
 * turning the credential active when the pool reaches the minimum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/review/benchmark.h"
#include "accord/review/certify.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/review/pool.h"
#include "lifecycle/lifecycle.h"

#define DAY_MS 86400000LL
#define MAX_ATTEMPT_ROWS 64
#define MAX_ANSWERS_BYTES 4096

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

/* ---- profile ---- */

static void on_me_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER))
        return;
    struct ac_reviewer_profile p;
    int err = ac_store_reviewer_get(n->store, a.user.id, &p);
    if (err)
        ac__respond_error(x, err, "your reviewer profile");
    else
        ac__respond_owned(x, 200, profile_json(&p));
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
    struct ac_reviewer_profile p;
    int err = ac_store_reviewer_get(n->store, a.user.id, &p);
    if (err == AC_ENOENT) {
        memset(&p, 0, sizeof p);
        p.user_id = a.user.id;
        p.available = true;
        strcpy(p.domains, "[]");
    } else if (err) {
        ac__respond_error(x, err, "reviewer profile");
        goto out;
    }
    if (ac__json_only(x, body, allowed))
        goto out;
    const char *texts[] = {"school", "district"};
    char *slots[] = {p.school, p.district};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, texts[i]);
        if (!v)
            continue;
        if (!json_is_string(v) || json_string_length(v) > AC_REVIEWER_TEXT_MAX) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, texts[i], NULL, "%s: text of at most %d bytes",
                        texts[i], AC_REVIEWER_TEXT_MAX);
            goto out;
        }
        strcpy(slots[i], json_string_value(v));
    }
    json_t *dom = json_object_get(body, "domains");
    if (dom) {
        size_t i;
        json_t *v;
        int ok = json_is_array(dom);
        json_array_foreach(dom, i, v) ok &= json_is_string(v) && json_string_length(v) > 0;
        char *text = ok ? json_dumps(dom, JSON_COMPACT) : NULL;
        if (!text || strlen(text) > AC_REVIEWER_DOMAINS_MAX) {
            free(text);
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "domains", NULL,
                        "domains: a list of non-empty domain names (at most %d bytes as JSON)",
                        AC_REVIEWER_DOMAINS_MAX);
            goto out;
        }
        strcpy(p.domains, text);
        free(text);
    }
    json_t *av = json_object_get(body, "available");
    if (av && !json_is_boolean(av)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "available", NULL, "available: true or false");
        goto out;
    }
    if (av)
        p.available = json_is_true(av);
    json_t *until = json_object_get(body, "unavailable_until");
    if (until) {
        int64_t ms = 0;
        if (!json_is_null(until) &&
            (!json_is_string(until) || ac_clock_parse(json_string_value(until), &ms))) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "unavailable_until", NULL,
                        "unavailable_until: an RFC 3339 UTC time or null");
            goto out;
        }
        p.unavailable_until_ms = ms;
    }
    char subject[24];
    subject_of(a.user.id, subject);
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_reviewer_put(n->store, &p, ac_clock_now_ms());
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id, "profile", body);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (!err)
        err = ac_store_reviewer_get(n->store, a.user.id, &p);
    if (err)
        ac__respond_error(x, err, "reviewer profile");
    else
        ac__respond_owned(x, 200, profile_json(&p));
out:
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
    struct ac_user u;
    if (ac__json_only(x, body, allowed))
        goto out;
    if (uid <= 0 || ac_store_user_get(n->store, uid, &u) != 0) {
        ac__problem(x, AC_PROBLEM_UNACCEPTABLE_VALUE, "user_id", NULL, "user_id: no user %lld",
                    (long long)uid);
        goto out;
    }
    if (!cred || !*cred || strlen(cred) > AC_CREDENTIAL_ID_MAX) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "credential", NULL,
                    "credential: the definition id held, 1-64 characters");
        goto out;
    }
    char subject[24];
    subject_of(uid, subject);
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_held_add(n->store, uid, cred, issuer ? issuer : "", a.user.id,
                                ac_clock_now_ms());
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id, "held-credential", body);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_EEXIST)
        ac__problem(x, AC_PROBLEM_CONFLICT, "credential", NULL,
                    "user %lld is already registered as holding %s", (long long)uid, cred);
    else if (err)
        ac__respond_error(x, err, "held credential");
    else
        ac__respond_owned(x, 201,
                          json_pack("{s:I, s:s, s:s}", "user_id", (json_int_t)uid, "credential",
                                    cred, "issuer", issuer ? issuer : ""));
out:
    json_decref(body);
}

/* ---- applications and screening ---- */

static const enum ac_def_state open_states[] = {AC_DEF_RECRUITING, AC_DEF_ACTIVE};

static void on_apply(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__json_body(x, 1, &body))
        return;
    if (ac__cred_load(n, x, &c)) {
        json_decref(body);
        return;
    }
    static const char *const allowed[] = {"answers", NULL};
    json_t *answers = json_object_get(body, "answers");
    json_t *screening = json_array();
    char *answers_text = NULL, *screening_text = NULL;
    if (ac__json_only(x, body, allowed) ||
        ac__cred_require_state(x, &c, open_states, 2, "apply to review it"))
        goto out;
    if (answers && !json_is_object(answers)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "answers", NULL,
                    "answers: an object of eligibility answers, e.g. {\"domain_expertise\": "
                    "\"...\"}");
        goto out;
    }
    answers_text = answers ? json_dumps(answers, JSON_COMPACT) : strdup("{}");
    if (!answers_text || strlen(answers_text) > MAX_ANSWERS_BYTES) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "answers", NULL, "answers: at most %d bytes",
                    MAX_ANSWERS_BYTES);
        goto out;
    }
    /* Screening: what the node can check it checks now; the rest waits for
     * an admin. One unmet automatic check rejects at once. */
    int manual = 0, unmet = 0;
    for (size_t i = 0; i < c.def->n_quals; i++) {
        const struct ac_def_qualification *q = &c.def->quals[i];
        if (q->kind == AC_QUAL_HOLDS_CREDENTIAL) {
            bool holds = false;
            /* Records this node issued name their earner the way the
             * issuing service does (node/review/decisions.c). */
            char subject[160];
            snprintf(subject, sizeof subject, "%s:user:%lld", n->cfg->node_id,
                     (long long)a.user.id);
            int err = ac_store_held_check(n->store, a.user.id, subject, q->value, &holds);
            if (err) {
                ac__respond_error(x, err, "screening");
                goto out;
            }
            unmet += !holds;
            json_array_append_new(screening,
                                  json_pack("{s:s, s:s, s:s, s:b}", "kind", "holds_credential",
                                            "value", q->value, "check", "automatic", "met", holds));
        } else {
            manual++;
            json_array_append_new(
                screening, json_pack("{s:s, s:s, s:s, s:n}", "kind",
                                     q->kind == AC_QUAL_DOMAIN ? "domain_expertise" : "manual",
                                     "value", q->value, "check", "manual", "met"));
        }
    }
    enum ac_rcert_state state = unmet    ? AC_RCERT_REJECTED
                                : manual ? AC_RCERT_APPLIED
                                         : AC_RCERT_SCREENED;
    screening_text = json_dumps(screening, JSON_COMPACT);
    int64_t now = ac_clock_now_ms();
    char subject[24];
    subject_of(a.user.id, subject);
    int err = screening_text ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        struct ac_reviewer_profile p;
        err = ac_store_reviewer_get(n->store, a.user.id, &p);
        if (err == AC_ENOENT) {
            memset(&p, 0, sizeof p);
            p.user_id = a.user.id;
            p.available = true;
            err = ac_store_reviewer_put(n->store, &p, now);
        }
        if (!err)
            err = ac_store_reviewer_cert_create(n->store, c.row.id, a.user.id, state, answers_text,
                                                screening_text, now);
        json_t *d =
            json_pack("{s:s, s:s}", "credential", c.ref, "state", ac_rcert_state_name(state));
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id, "apply", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_EEXIST) {
        ac__problem(x, AC_PROBLEM_ALREADY_APPLIED, NULL, NULL, "you already applied to review %s",
                    c.ref);
        goto out;
    }
    struct ac_reviewer_cert rc;
    if (!err)
        err = ac_store_reviewer_cert_get(n->store, c.row.id, a.user.id, &rc);
    if (err) {
        ac__respond_error(x, err, "application");
        goto out;
    }
    ac__respond_owned(x, 201, cert_json(&rc, c.ref));
    ac_reviewer_cert_release(&rc);
out:
    free(answers_text);
    free(screening_text);
    json_decref(screening);
    json_decref(body);
    ac__cred_release(&c);
}

static void on_applications(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__page_params(x, &limit, &after) || ac__cred_load(n, x, &c))
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
            ac__cred_release(&c);
            return;
        }
        state = (int)s;
    }
    struct ac_reviewer_cert rows[200];
    size_t k;
    int err = ac_store_reviewer_cert_list(n->store, c.row.id, state, after, rows, limit, &k);
    if (err) {
        ac__respond_error(x, err, "applications");
        ac__cred_release(&c);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(items, cert_json(&rows[i], c.ref));
    json_t *j = json_pack("{s:o}", "items", items);
    if (j && k == limit) {
        char cur[24];
        subject_of(rows[k - 1].user_id, cur);
        json_object_set_new(j, "next_cursor", json_string(cur));
    }
    for (size_t i = 0; i < k; i++)
        ac_reviewer_cert_release(&rows[i]);
    ac__respond_owned(x, 200, j);
    ac__cred_release(&c);
}

static void on_screen(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    json_t *body;
    int64_t uid;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "user", "applicant", &uid) || ac__json_body(x, 0, &body))
        return;
    if (ac__cred_load(n, x, &c)) {
        json_decref(body);
        return;
    }
    static const char *const allowed[] = {"approve", "reason", NULL};
    json_t *approve = json_object_get(body, "approve");
    const char *reason = json_string_value(json_object_get(body, "reason"));
    struct ac_reviewer_cert rc = {0};
    char *screening_text = NULL;
    if (ac__json_only(x, body, allowed))
        goto out;
    if (!json_is_boolean(approve)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "approve", NULL,
                    "approve: true (eligible) or false (not eligible), with a \"reason\"");
        goto out;
    }
    int err = ac_store_reviewer_cert_get(n->store, c.row.id, uid, &rc);
    if (err) {
        char what[64];
        snprintf(what, sizeof what, "an application by user %lld", (long long)uid);
        ac__respond_error(x, err, what);
        goto out;
    }
    if (rc.state != AC_RCERT_APPLIED) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, "state", NULL,
                    "the application of user %lld to %s is %s; only applied ones are screened "
                    "by hand",
                    (long long)uid, c.ref, ac_rcert_state_name(rc.state));
        goto out;
    }
    /* The manual checks take the admin's decision, who made it and why. */
    json_t *screening = json_loads(rc.screening, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(screening, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "check")), "manual") == 0) {
            json_object_set_new(v, "met", json_boolean(json_is_true(approve)));
            json_object_set_new(v, "by", json_integer(a.user.id));
            if (reason)
                json_object_set_new(v, "reason", json_string(reason));
        }
    }
    screening_text = screening ? json_dumps(screening, JSON_COMPACT) : NULL;
    json_decref(screening);
    enum ac_rcert_state to = json_is_true(approve) ? AC_RCERT_SCREENED : AC_RCERT_REJECTED;
    char subject[24];
    subject_of(uid, subject);
    err = screening_text ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_reviewer_cert_transition(n->store, c.row.id, uid, AC_RCERT_APPLIED, to,
                                                screening_text, ac_clock_now_ms());
        json_t *d = json_pack("{s:s, s:s, s:s}", "credential", c.ref, "state",
                              ac_rcert_state_name(to), "reason", reason ? reason : "");
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id, "screen", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    ac_reviewer_cert_release(&rc);
    if (!err)
        err = ac_store_reviewer_cert_get(n->store, c.row.id, uid, &rc);
    if (err)
        ac__respond_error(x, err, "screening");
    else
        ac__respond_owned(x, 200, cert_json(&rc, c.ref));
out:
    free(screening_text);
    ac_reviewer_cert_release(&rc);
    json_decref(body);
    ac__cred_release(&c);
}

/* ---- pool ---- */

int ac__pool_status(struct ac_node *n, const struct ac__cred *c, bool override, json_t **out,
                    struct ac_pool_activation *act)
{
    int64_t certified;
    int err = ac_store_reviewer_cert_count(n->store, c->row.id, AC_RCERT_CERTIFIED, &certified);
    if (err)
        return err;
    err = ac_pool_activation(c->def, (uint64_t)certified, override, act);
    if (err)
        return err;
    const struct ac_definition *d = c->def;
    double guess = 0;
    json_t *g =
        ac_cert_guess_probability(d->n_levels, d->passing_level, d->training.sample_per_level,
                                  d->training.pass_rule, d->training.n_pass_rule, &guess) == 0
            ? json_real(guess)
            : json_null();
    *out = json_pack("{s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:b, s:s, s:o}", "credential",
                     c->ref, "state", ac_def_state_name(c->row.state), "certified",
                     (json_int_t)certified, "minimum", (json_int_t)act->minimum, "formula",
                     "submissions_per_period", (json_int_t)d->pool.submissions_per_period,
                     "reviews_per_submission", (json_int_t)d->per_submission,
                     "assignments_per_reviewer", (json_int_t)d->pool.assignments_per_reviewer,
                     "period_days", (json_int_t)d->pool.period_days, "may_activate", act->activate,
                     "reason", act->reason, "guess_pass_probability", g);
    return *out ? 0 : AC_ENOMEM;
}

static void on_pool(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    json_t *j;
    struct ac_pool_activation act;
    int err = ac__pool_status(n, &c, false, &j, &act);
    if (err)
        ac__respond_error(x, err, "pool status");
    else
        ac__respond_owned(x, 200, j);
    ac__cred_release(&c);
}

/* ---- certification ---- */

/* Loads |user|'s certification of |c| or answers 409 and returns -1. */
static int load_cert(struct ac_node *n, struct ac_http_exchange *x, const struct ac__cred *c,
                     int64_t user, struct ac_reviewer_cert *rc)
{
    int err = ac_store_reviewer_cert_get(n->store, c->row.id, user, rc);
    if (err == AC_ENOENT)
        return ac__problem(x, AC_PROBLEM_NOT_APPLIED, NULL, NULL,
                           "you have not applied to review %s", c->ref);
    if (err) {
        ac__respond_error(x, err, "certification");
        return -1;
    }
    return 0;
}

/* The finished attempts of |user| as core/certify.h history; sets |*open_id|
 * to an unfinished attempt's id (0 if none). */
static int attempt_history(struct ac_node *n, const struct ac__cred *c, int64_t user,
                           struct ac_cert_attempt *hist, size_t *nh, int64_t *open_id)
{
    struct ac_cert_attempt_row rows[MAX_ATTEMPT_ROWS];
    size_t k;
    int err = ac_store_cert_attempt_list(n->store, c->row.id, user, rows, MAX_ATTEMPT_ROWS, &k);
    if (err)
        return err;
    *nh = 0;
    *open_id = 0;
    for (size_t i = 0; i < k; i++) {
        if (rows[i].passed < 0)
            *open_id = rows[i].id;
        else
            hist[(*nh)++] = (struct ac_cert_attempt){rows[i].finished_ms, rows[i].passed == 1};
        ac_cert_attempt_row_release(&rows[i]);
    }
    return 0;
}

static void on_cert_status(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__cred_load(n, x, &c))
        return;
    struct ac_reviewer_cert rc = {0};
    if (load_cert(n, x, &c, a.user.id, &rc))
        goto out;
    ac__respond_owned(x, 200, cert_json(&rc, c.ref));
out:
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
}

static void on_attempt_start(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__cred_load(n, x, &c))
        return;
    struct ac_reviewer_cert rc = {0};
    struct ac_bench_row *rows = NULL;
    size_t k = 0;
    struct ac_bench b = {0};
    struct ac_cert_draw draw = {0};
    int64_t *seen = NULL;
    size_t nseen = 0;
    char **seen_s = NULL;
    json_t *items = NULL, *ids = NULL;
    if (load_cert(n, x, &c, a.user.id, &rc))
        goto out;
    if (rc.state != AC_RCERT_TRAINED) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, "state", NULL,
                    "your certification for %s is %s; attempts follow the training module "
                    "(state trained)",
                    c.ref, ac_rcert_state_name(rc.state));
        goto out;
    }
    struct ac_cert_attempt hist[MAX_ATTEMPT_ROWS];
    size_t nh;
    int64_t open_id;
    int err = attempt_history(n, &c, a.user.id, hist, &nh, &open_id);
    if (err) {
        ac__respond_error(x, err, "attempts");
        goto out;
    }
    if (open_id) {
        json_t *extra = json_pack("{s:I}", "attempt_id", (json_int_t)open_id);
        ac__problem(x, AC_PROBLEM_ATTEMPT_OPEN, NULL, extra,
                    "attempt %lld is still open; answer it first", (long long)open_id);
        json_decref(extra);
        goto out;
    }
    enum ac_cert_when when;
    int64_t at, now = ac_clock_now_ms();
    err = ac_cert_next_attempt(c.def, hist, nh, now, &when, &at);
    if (!err && when == AC_CERT_WAIT) {
        char t[21];
        json_t *extra = json_pack("{s:s}", "retry_at", ac_clock_format(at, t));
        ac__problem(x, AC_PROBLEM_ATTEMPT_TOO_EARLY, NULL, extra,
                    "your last attempt failed; the next may start at %s (%u days after it)", t,
                    c.def->training.wait_days);
        json_decref(extra);
        goto out;
    }
    if (err || when != AC_CERT_NOW) {
        ac__problem(x, AC_PROBLEM_NO_ATTEMPTS, NULL, NULL, "no attempt is open to you for %s: %s",
                    c.ref,
                    err                         ? "your history ends in a pass"
                    : when == AC_CERT_CERTIFIED ? "you are certified"
                                                : "every attempt was used");
        goto out;
    }
    /* Everything shown in training and in earlier attempts stays out. */
    err = ac__bench_load(n, &c, &rows, &k);
    if (!err)
        err = ac__bench_build(rows, k, c.def->n_levels, &b);
    if (!err)
        err = ac_store_seen_list(n->store, a.user.id, c.row.id, &seen, &nseen);
    seen_s = err ? NULL : calloc(nseen + 1, sizeof *seen_s);
    if (!err && !seen_s)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nseen; i++) {
        seen_s[i] = malloc(24);
        if (!seen_s[i])
            err = AC_ENOMEM;
        else
            snprintf(seen_s[i], 24, "%lld", (long long)seen[i]);
    }
    if (err) {
        ac__respond_error(x, err, "certification draw");
        goto out;
    }
    char why[200];
    err = ac_cert_draw(&b, c.def, (const char *const *)seen_s, nseen, &draw, why, sizeof why);
    if (err == AC_ERANGE) {
        ac__problem(x, AC_PROBLEM_BENCHMARKS_EXHAUSTED, NULL, NULL,
                    "not enough unseen benchmark items for a draw: %s", why);
        goto out;
    }
    if (err) {
        ac__respond_error(x, err, "certification draw");
        goto out;
    }
    int64_t *drawn = calloc(draw.n ? draw.n : 1, sizeof *drawn);
    items = json_array();
    ids = json_array();
    for (size_t i = 0; drawn && i < draw.n; i++) {
        drawn[i] = strtoll(b.items[draw.items[i]].id, NULL, 10);
        for (size_t r = 0; r < k; r++)
            if (rows[r].id == drawn[i])
                json_array_append_new(items,
                                      json_pack("{s:I, s:s}", "item_id", (json_int_t)drawn[i],
                                                "content", rows[r].content));
        json_array_append_new(ids, json_integer(drawn[i]));
    }
    char *ids_text = drawn ? json_dumps(ids, JSON_COMPACT) : NULL;
    int64_t attempt_id = 0;
    char subject[24];
    subject_of(a.user.id, subject);
    err = ids_text ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_cert_attempt_open(n->store, c.row.id, a.user.id, ids_text, drawn, draw.n,
                                         now, &attempt_id);
        json_t *d = json_pack("{s:s, s:I}", "credential", c.ref, "items", (json_int_t)draw.n);
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id, "attempt-start", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    free(ids_text);
    free(drawn);
    if (err)
        ac__respond_error(x, err, "certification attempt");
    else
        ac__respond_owned(x, 201,
                          json_pack("{s:I, s:s, s:I, s:O}", "attempt_id", (json_int_t)attempt_id,
                                    "credential", c.ref, "attempt", (json_int_t)nh + 1, "items",
                                    items));
out:
    json_decref(items);
    json_decref(ids);
    for (size_t i = 0; seen_s && i < nseen; i++)
        free(seen_s[i]);
    free(seen_s);
    free(seen);
    ac_cert_draw_release(&draw);
    ac_bench_release(&b);
    for (size_t i = 0; i < k; i++)
        ac_bench_row_release(&rows[i]);
    free(rows);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
}

/* Turns |c| active, as the node, when its pool now reaches the minimum.
 * Runs inside the caller's transaction. */
static int maybe_activate(struct ac_node *n, struct ac__cred *c, json_t **pool)
{
    if (c->row.state != AC_DEF_RECRUITING)
        return 0;
    struct ac_pool_activation act;
    int err = ac__pool_status(n, c, false, pool, &act);
    if (err || !act.activate)
        return err;
    return ac__cred_transition(n, c, AC_DEF_ACTIVE, false, 0, *pool);
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
    struct ac_cert_attempt_row at = {0};
    struct ac__cred c = {0};
    struct ac_reviewer_cert rc = {0};
    json_t *shown = NULL, *pool = NULL;
    int *truth = NULL, *answers = NULL;
    static const char *const allowed[] = {"answers", NULL};
    if (ac__json_only(x, body, allowed))
        goto out;
    int err = ac_store_cert_attempt_get(n->store, id, &at);
    if (!err && at.user_id != a.user.id) {
        ac__problem(x, AC_PROBLEM_NOT_YOURS, "id", NULL,
                    "certification attempt %lld belongs to another reviewer", (long long)id);
        goto out;
    }
    if (!err)
        err = ac__cred_load_id(n, at.credential_id, &c);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "certification attempt %lld", (long long)id);
        ac__respond_error(x, err, what);
        goto out;
    }
    if (at.passed >= 0) {
        ac__problem(x, AC_PROBLEM_ATTEMPT_CLOSED, "id", NULL,
                    "certification attempt %lld was already graded", (long long)id);
        goto out;
    }
    shown = json_loads(at.items, 0, NULL);
    json_t *given = json_object_get(body, "answers");
    size_t nitems = json_array_size(shown);
    if (!json_is_array(given) || json_array_size(given) != nitems) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "answers", NULL,
                    "answers: a list of %zu {\"item_id\", \"level\"}, one per item shown", nitems);
        goto out;
    }
    truth = calloc(nitems + 1, sizeof *truth);
    answers = calloc(nitems + 1, sizeof *answers);
    if (!truth || !answers) {
        ac__respond_error(x, AC_ENOMEM, "grading");
        goto out;
    }
    for (size_t i = 0; i < nitems; i++)
        answers[i] = -1;
    size_t i;
    json_t *v;
    json_array_foreach(given, i, v)
    {
        char field[40];
        snprintf(field, sizeof field, "answers[%zu]", i);
        json_int_t item = json_integer_value(json_object_get(v, "item_id"));
        size_t slot = nitems;
        for (size_t s = 0; s < nitems; s++)
            if (json_integer_value(json_array_get(shown, s)) == item)
                slot = s;
        if (slot == nitems || answers[slot] >= 0) {
            ac__problem(x, AC_PROBLEM_UNACCEPTABLE_VALUE, field, NULL, "%s.item_id: %lld was %s",
                        field, (long long)item,
                        slot == nitems ? "not shown in this attempt" : "answered twice");
            goto out;
        }
        int level;
        if (ac__level_get(x, c.def, v, "level", &level))
            goto out;
        answers[slot] = level;
        struct ac_bench_row br;
        if ((err = ac_store_bench_get(n->store, item, &br)) != 0) {
            ac__respond_error(x, err, "benchmark item");
            goto out;
        }
        truth[slot] = br.final_level;
        ac_bench_row_release(&br);
    }
    struct ac_cert_result res;
    err = ac_cert_grade(c.def, truth, answers, nitems, &res);
    if (err) {
        ac__respond_error(x, err, "grading");
        goto out;
    }
    if ((err = ac_store_reviewer_cert_get(n->store, c.row.id, a.user.id, &rc)) != 0) {
        ac__respond_error(x, err, "certification");
        goto out;
    }
    int64_t now = ac_clock_now_ms();
    int64_t attempts = rc.attempts + 1;
    int64_t next = res.passed || attempts >= c.def->training.attempts
                       ? 0
                       : now + (int64_t)c.def->training.wait_days * DAY_MS;
    enum ac_rcert_state to = res.passed                             ? AC_RCERT_CERTIFIED
                             : attempts >= c.def->training.attempts ? AC_RCERT_FAILED
                                                                    : AC_RCERT_TRAINED;
    json_t *result =
        json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s}", "passed", res.passed, "items",
                  (json_int_t)res.items, "exact", (json_int_t)res.exact, "within_one",
                  (json_int_t)res.within_one, "beyond_one", (json_int_t)res.beyond_one,
                  "boundary_misses", (json_int_t)res.boundary_misses, "exact_rate", res.exact_rate,
                  "adjacent_rate", res.adjacent_rate, "reason", res.reason);
    char *result_text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    char *answers_text = json_dumps(given, JSON_COMPACT);
    char subject[24];
    subject_of(a.user.id, subject);
    err = result_text && answers_text ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_cert_attempt_close(n->store, id, res.passed, answers_text, result_text, now);
        if (!err)
            err = ac_store_reviewer_cert_attempted(n->store, c.row.id, a.user.id, attempts, next,
                                                   now);
        if (!err && to != AC_RCERT_TRAINED)
            err = ac_store_reviewer_cert_transition(n->store, c.row.id, a.user.id, AC_RCERT_TRAINED,
                                                    to, NULL, now);
        json_t *d = json_pack("{s:s, s:I, s:O}", "credential", c.ref, "attempt_id", (json_int_t)id,
                              "result", result);
        if (!err)
            err = ac__audit(n, "reviewer", subject, a.user.id,
                            res.passed ? "certified" : "attempt-failed", d);
        json_decref(d);
        if (!err && res.passed)
            err = maybe_activate(n, &c, &pool);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    free(result_text);
    free(answers_text);
    if (err == AC_ECONFLICT) {
        json_decref(result);
        ac__problem(x, AC_PROBLEM_ATTEMPT_CLOSED, "id", NULL,
                    "certification attempt %lld was graded meanwhile", (long long)id);
        goto out;
    }
    if (err) {
        json_decref(result);
        ac__respond_error(x, err, "certification attempt");
        goto out;
    }
    json_t *j = json_pack("{s:I, s:s, s:b, s:o, s:s, s:I, s:s}", "attempt_id", (json_int_t)id,
                          "credential", c.ref, "passed", res.passed, "result", result, "state",
                          ac_rcert_state_name(to), "attempts", (json_int_t)attempts,
                          "credential_state", ac_def_state_name(c.row.state));
    if (j)
        ac__json_time(j, "next_attempt_at", next);
    ac__respond_owned(x, 200, j);
out:
    free(truth);
    free(answers);
    json_decref(shown);
    json_decref(pool);
    ac_cert_attempt_row_release(&at);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
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
    ac__route(n, "GET", "/v1/definitions/{ref}/certification", on_cert_status);
    ac__route(n, "POST", "/v1/definitions/{ref}/certification/attempts", on_attempt_start);
    ac__route(n, "POST", "/v1/certification/attempts/{id}/answers", on_attempt_answer);
}
