/* api_submissions.c - earners submit work (elements, artifacts by hash, team
 * and individual component), follow its status and outcome, resubmit after
 * the wait and see recommendations; everyone reads their own notifications. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/review/recommend.h"
#include "review/review.h"

json_t *ac__submission_json(struct ac_node *n, const struct ac_submission *s,
                            const struct ac_definition *def)
{
    json_t *j = json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:o}", "id", (json_int_t)s->id,
                          "earner_id", (json_int_t)s->earner_id, "credential", s->credential_id,
                          "version", (json_int_t)s->credential_version, "state",
                          ac_sub_state_name(s->state), "reviews_wanted", (json_int_t)s->need,
                          "elements", json_loads(s->elements, 0, NULL));
    if (!j)
        return NULL;
    if (s->domain[0])
        json_object_set_new(j, "domain", json_string(s->domain));
    if (s->team[0])
        json_object_set_new(j, "team", json_string(s->team));
    if (s->previous_id)
        json_object_set_new(j, "previous", json_integer(s->previous_id));
    if (s->state == AC_SUB_DECIDED || s->state == AC_SUB_NOTIFIED) {
        if (def && s->level >= 0 && (size_t)s->level < def->n_levels)
            json_object_set_new(j, "level", json_string(def->levels[s->level]));
        json_object_set_new(j, "passed", json_boolean(s->passed));
        json_object_set_new(j, "reason", json_string(s->reason));
        ac__json_time(j, "resubmit_after", s->resubmit_after_ms);
        int64_t record;
        if (s->passed && ac_store_submission_record_get(n->store, s->id, &record) == 0)
            json_object_set_new(j, "record", json_integer(record));
    }
    ac__json_time(j, "created_at", s->created_ms);
    ac__json_time(j, "decided_at", s->decided_ms);
    ac__json_time(j, "notified_at", s->notified_ms);
    return j;
}

static int bad(struct ac_http_exchange *x, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(struct ac_http_exchange *x, int status, const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    ac__problem(x, status == 409 ? AC_PROBLEM_CONFLICT : AC_PROBLEM_INVALID_FIELD, field, NULL,
                "%s", detail);
    return -1;
}

static int text_field(struct ac_http_exchange *x, const json_t *body, const char *key, char *dst,
                      size_t size)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) >= size)
        return bad(x, 400, key, "%s: must be a string of at most %zu bytes", key, size - 1);
    snprintf(dst, size, "%s", json_string_value(v));
    return 0;
}

/* Checks the elements against the definition and collects cited artifacts.
 * Sets |*clean| to the normalised JSON array. */
static int check_elements(struct ac_node *n, struct ac_http_exchange *x, const struct ac__auth *a,
                          const struct ac_definition *def, const json_t *elems, int team,
                          json_t **clean)
{
    if (!json_is_array(elems) || json_array_size(elems) == 0)
        return bad(x, 400, "elements",
                   "elements: required; a list of {\"id\", \"text\" or "
                   "\"artifact\"}");
    json_t *out = json_array();
    int rc = 0;
    for (size_t i = 0; i < def->n_elements && !rc; i++) {
        const struct ac_def_element *de = &def->elements[i];
        const json_t *found = NULL, *e;
        size_t k;
        json_array_foreach(elems, k, e)
        {
            if (json_is_string(json_object_get(e, "id")) &&
                strcmp(json_string_value(json_object_get(e, "id")), de->id) == 0)
                found = e;
        }
        int individual = team && def->individual_element == (long)i;
        if (!found) {
            if (de->required || individual)
                rc = bad(x, 400, "elements", "elements: \"%s\" is required%s", de->id,
                         individual ? " of each team member (the individual component)" : "");
            continue;
        }
        const char *text = json_string_value(json_object_get(found, "text"));
        const char *art = json_string_value(json_object_get(found, "artifact"));
        if (!text && !art) {
            rc = bad(x, 400, "elements", "elements: \"%s\" needs \"text\" or \"artifact\"", de->id);
            continue;
        }
        if (art) {
            struct ac_artifact ar;
            int err = ac_store_artifact_get(n->store, art, &ar);
            if (err || ar.uploader_id != a->user.id) {
                rc = bad(x, 400, "elements",
                         "elements: \"%s\": artifact %s was not uploaded by you (POST "
                         "/v1/artifacts first)",
                         de->id, art);
                continue;
            }
        }
        json_t *c = json_pack("{s:s}", "id", de->id);
        if (text)
            json_object_set_new(c, "text", json_string(text));
        if (art)
            json_object_set_new(c, "artifact", json_string(art));
        json_array_append_new(out, c);
    }
    size_t k;
    json_t *e;
    json_array_foreach(elems, k, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        int known = 0;
        for (size_t i = 0; id && i < def->n_elements; i++)
            known |= strcmp(def->elements[i].id, id) == 0;
        if (!known && !rc)
            rc = bad(x, 400, "elements", "elements[%zu]: \"%s\" is not an element of %s", k,
                     id ? id : "(no id)", def->id);
    }
    if (rc) {
        json_decref(out);
        return rc;
    }
    *clean = out;
    return 0;
}

static void on_submit(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EARNER) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"credential", "version", "elements", "domain", "school",
                                          "district",   "team",    "previous", NULL};
    struct ac_submission s = {.earner_id = a.user.id, .state = AC_SUB_RECEIVED};
    struct ac_definition *def = NULL;
    json_t *clean = NULL;
    enum ac_def_state state;
    int64_t row;
    if (ac__json_only(x, body, allowed) ||
        text_field(x, body, "credential", s.credential_id, sizeof s.credential_id) ||
        text_field(x, body, "domain", s.domain, sizeof s.domain) ||
        text_field(x, body, "school", s.school, sizeof s.school) ||
        text_field(x, body, "district", s.district, sizeof s.district) ||
        text_field(x, body, "team", s.team, sizeof s.team))
        goto out;
    json_t *ver = json_object_get(body, "version");
    if (!s.credential_id[0]) {
        bad(x, 400, "credential", "credential: required; the definition id");
        goto out;
    }
    int err = ac__flow_definition(n, s.credential_id, json_integer_value(ver), &row, &state, &def);
    if (err == AC_ENOENT) {
        bad(x, 404, "credential", "credential: \"%s\" does not exist", s.credential_id);
        goto out;
    }
    if (err) {
        ac__respond_error(x, err, "credential");
        goto out;
    }
    s.credential_version = def->version;
    if (state != AC_DEF_ACTIVE) {
        bad(x, 409, "credential",
            "credential: \"%s\" version %" PRId64 " is %s; submissions open once it is active",
            s.credential_id, def->version, ac_def_state_name(state));
        goto out;
    }
    if (s.team[0] && !def->collaboration) {
        bad(x, 400, "team", "team: %s does not allow collaborative work", s.credential_id);
        goto out;
    }
    if (s.domain[0]) {
        int ok = def->n_domains == 0;
        for (size_t i = 0; i < def->n_domains; i++)
            ok |= strcmp(def->domains[i], s.domain) == 0;
        if (!ok) {
            bad(x, 400, "domain", "domain: \"%s\" is not a domain of %s", s.domain,
                s.credential_id);
            goto out;
        }
    }
    json_t *prev = json_object_get(body, "previous");
    if (prev) {
        struct ac_submission p;
        int64_t pid = json_integer_value(prev);
        if (pid <= 0 || ac_store_submission_get(n->store, pid, &p) != 0) {
            bad(x, 404, "previous", "previous: submission %" PRId64 " does not exist", pid);
            goto out;
        }
        int owner = p.earner_id == a.user.id,
            failed = (p.state == AC_SUB_DECIDED || p.state == AC_SUB_NOTIFIED) && !p.passed;
        int64_t after = p.resubmit_after_ms, now = ac_clock_now_ms();
        int same = strcmp(p.credential_id, s.credential_id) == 0;
        ac_submission_release(&p);
        if (!owner) {
            bad(x, 404, "previous", "previous: submission %" PRId64 " does not exist", pid);
            goto out;
        }
        if (!failed || !same) {
            bad(x, 409, "previous",
                "previous: submission %" PRId64 " is not a failed attempt at %s", pid,
                s.credential_id);
            goto out;
        }
        if (now < after) {
            char when[21];
            bad(x, 409, "previous", "previous: the resubmission wait runs until %s",
                ac_clock_format(after, when));
            goto out;
        }
        s.previous_id = pid;
    }
    if (check_elements(n, x, &a, def, json_object_get(body, "elements"), s.team[0] != 0, &clean))
        goto out;
    s.elements = json_dumps(clean, JSON_COMPACT);
    s.created_ms = ac_clock_now_ms();
    int64_t id = 0;
    err = s.elements ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err)
        err = ac_store_submission_insert(n->store, &s, &id);
    size_t k;
    json_t *e;
    json_array_foreach(clean, k, e)
    {
        const char *art = json_string_value(json_object_get(e, "artifact"));
        if (!err && art)
            err = ac_store_submission_cite(n->store, id, art);
    }
    char sid[24];
    snprintf(sid, sizeof sid, "%" PRId64, id);
    if (!err)
        err = ac_store_audit_add(n->store, "submission", sid, a.user.id, n->cfg->node_id,
                                 s.previous_id ? "resubmitted" : "submitted", NULL,
                                 ac_clock_now_ms());
    /* Stored with the submission, so a submission the request fails to
     * screen (or a crash before it does) is screened by the scheduler. */
    if (!err)
        err = ac_store_job_add(n->store, "screen", id, s.created_ms);
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err) {
        ac__respond_error(x, err, "submission");
        goto out;
    }
    /* Screening now answers with the screened state; if it fails the
     * submission stays "received" until its job screens it. Either way it is
     * stored, so the client gets 201. */
    int flagged = 0;
    int screen_err = ac__flow_screen(n, id, &flagged);
    if (screen_err)
        ac_log_warn("review", "submission %" PRId64 ": screening deferred to the scheduler: %s", id,
                    ac_strerror(screen_err));
    free(s.elements);
    s.elements = NULL;
    if (ac_store_submission_get(n->store, id, &s) == 0)
        ac__respond_owned(x, 201, ac__submission_json(n, &s, def));
    else
        ac__respond_error(x, AC_EDB, "submission");
out:
    ac_submission_release(&s);
    json_decref(clean);
    ac_def_free(def);
    json_decref(body);
}

static int load_own(struct ac_node *n, struct ac_http_exchange *x, const struct ac__auth *a,
                    struct ac_submission *s)
{
    int64_t id;
    if (ac__param_id(x, "id", "submission", &id))
        return -1;
    int err = ac_store_submission_get(n->store, id, s);
    /* Another earner's submission is as unknown as a missing one. */
    if (!err && s->earner_id != a->user.id && !(a->user.roles & AC_ROLE_ADMIN)) {
        ac_submission_release(s);
        err = AC_ENOENT;
    }
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "submission %" PRId64, id);
        ac__respond_error(x, err, what);
        return -1;
    }
    return 0;
}

static void on_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac_submission s;
    if (ac__authenticate(n, x, &a) || load_own(n, x, &a, &s))
        return;
    struct ac_definition *def = NULL;
    ac__flow_definition(n, s.credential_id, s.credential_version, NULL, NULL, &def);
    ac__respond_owned(x, 200, ac__submission_json(n, &s, def));
    ac_def_free(def);
    ac_submission_release(&s);
}

static void on_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EARNER | AC_ROLE_ADMIN) ||
        ac__page_params(x, &limit, &after))
        return;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char cred[AC_SUB_CRED_MAX + 1], st[32];
    int have_cred = ac_http_query(req, "credential", cred, sizeof cred) == 0;
    int state = -1;
    if (ac_http_query(req, "state", st, sizeof st) == 0) {
        for (int i = 0; ac_sub_state_name((enum ac_sub_state)i); i++)
            if (strcmp(ac_sub_state_name((enum ac_sub_state)i), st) == 0)
                state = i;
        if (state < 0) {
            bad(x, 400, "state", "state: \"%s\" is not a submission state", st);
            return;
        }
    }
    int64_t who = (a.user.roles & AC_ROLE_ADMIN) ? 0 : a.user.id;
    struct ac_submission *subs = NULL;
    size_t got = 0;
    int err = ac_store_submission_list(n->store, who, have_cred ? cred : NULL, state, after,
                                       limit + 1, &subs, &got);
    if (err) {
        ac__respond_error(x, err, "submissions");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < got && i < limit; i++) {
        struct ac_definition *def = NULL;
        ac__flow_definition(n, subs[i].credential_id, subs[i].credential_version, NULL, NULL, &def);
        json_array_append_new(items, ac__submission_json(n, &subs[i], def));
        ac_def_free(def);
    }
    int more = got > limit;
    json_t *j = ac__page_json(items, more, more ? subs[limit - 1].id : 0);
    for (size_t i = 0; i < got; i++)
        ac_submission_release(&subs[i]);
    free(subs);
    ac__respond_owned(x, 200, j);
}

/* What to earn next after a pass: core/recommend.h over this node's catalog
 * and the passes recorded here. */
static void on_recommendations(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac_submission s;
    if (ac__authenticate(n, x, &a) || load_own(n, x, &a, &s))
        return;
    struct ac_credential cat[256];
    size_t ncat = 0;
    struct ac_definition *defs[256] = {0};
    struct ac_rec_credential rc[256];
    struct ac_rec_stack stacks[256];
    const char *members[256][16];
    size_t nstacks = 0, nrc = 0;
    int err = ac_store_credential_list(n->store, 0, NULL, cat, 256, &ncat);
    for (size_t i = 0; !err && i < ncat; i++) {
        struct ac_def_problems pr = {0};
        if (ac_def_from_json(cat[i].definition, strlen(cat[i].definition), &defs[i], &pr) != 0) {
            ac_def_problems_release(&pr);
            continue;
        }
        ac_def_problems_release(&pr);
        /* Only the newest version of each definition is in the catalog. */
        int newer = 0;
        for (size_t k = 0; k < ncat; k++)
            newer |= strcmp(cat[k].def_id, cat[i].def_id) == 0 && cat[k].version > cat[i].version;
        if (newer)
            continue;
        rc[nrc++] = (struct ac_rec_credential){defs[i]->id, (const char *const *)defs[i]->domains,
                                               defs[i]->n_domains, cat[i].state == AC_DEF_RETIRED};
        for (size_t t = 0; t < defs[i]->n_stacks; t++) {
            size_t k = 0;
            while (k < nstacks && strcmp(stacks[k].id, defs[i]->stacks[t]) != 0)
                k++;
            if (k == nstacks && nstacks < 256)
                stacks[nstacks++] = (struct ac_rec_stack){defs[i]->stacks[t], members[k], 0};
            if (k < nstacks && stacks[k].n_members < 16)
                members[k][stacks[k].n_members++] = defs[i]->id;
        }
    }
    /* Earned credentials: every pass decided on this node. */
    struct ac_submission *all = NULL;
    size_t nall = 0;
    if (!err)
        err = ac_store_submission_list(n->store, 0, NULL, -1, 0, 1000000, &all, &nall);
    struct ac_rec_earned *earned = calloc(nall + 1, sizeof *earned);
    char(*earners)[24] = calloc(nall + 1, sizeof *earners);
    const char **held = calloc(nall + 1, sizeof *held);
    size_t nearned = 0, nheld = 0;
    if (!err && (!earned || !earners || !held))
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nall; i++) {
        if (!all[i].passed)
            continue;
        snprintf(earners[i], sizeof earners[i], "%" PRId64, all[i].earner_id);
        earned[nearned++] = (struct ac_rec_earned){earners[i], all[i].credential_id};
        if (all[i].earner_id == s.earner_id)
            held[nheld++] = all[i].credential_id;
    }
    struct ac_rec_catalog c = {rc, nrc, stacks, nstacks, earned, nearned};
    struct ac_rec_params p = {10, 1};
    struct ac_recommendation *recs = NULL;
    size_t nrecs = 0;
    if (!err)
        err = ac_recommend(&c, held, nheld, &p, &recs, &nrecs);
    if (err) {
        ac__respond_error(x, err, "recommendations");
    } else {
        json_t *items = json_array();
        for (size_t i = 0; i < nrecs; i++)
            json_array_append_new(
                items, json_pack("{s:s, s:s, s:s, s:f}", "credential", recs[i].credential, "reason",
                                 ac_recommend_reason_name(recs[i].reason), "because",
                                 recs[i].because, "score", recs[i].score));
        ac__respond_owned(x, 200,
                          json_pack("{s:I, s:o}", "submission", (json_int_t)s.id, "items", items));
    }
    free(recs);
    free(earned);
    free(earners);
    free(held);
    for (size_t i = 0; i < nall; i++)
        ac_submission_release(&all[i]);
    free(all);
    for (size_t i = 0; i < ncat; i++) {
        ac_def_free(defs[i]);
        ac_credential_release(&cat[i]);
    }
    ac_submission_release(&s);
}

static void on_notifications(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    struct ac_notification *ms = NULL;
    size_t got = 0;
    int err = ac_store_notify_list(n->store, a.user.id, 200, &ms, &got);
    if (err) {
        ac__respond_error(x, err, "notifications");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < got; i++) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:b, s:i}", "id", (json_int_t)ms[i].id, "kind",
                              ms[i].kind, "subject", ms[i].subject, "body", ms[i].body, "delivered",
                              ms[i].delivered_ms != 0, "attempts", ms[i].attempts);
        if (ms[i].submission_id)
            json_object_set_new(j, "submission", json_integer(ms[i].submission_id));
        ac__json_time(j, "created_at", ms[i].created_ms);
        json_array_append_new(items, j);
        ac_notification_release(&ms[i]);
    }
    free(ms);
    ac__respond_owned(x, 200, json_pack("{s:o}", "items", items));
}

void ac__api_submissions_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/submissions", on_submit);
    ac__route(n, "GET", "/v1/submissions", on_list);
    ac__route(n, "GET", "/v1/submissions/{id}", on_get);
    ac__route(n, "GET", "/v1/submissions/{id}/recommendations", on_recommendations);
    ac__route(n, "GET", "/v1/notifications", on_notifications);
}
