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
#include "accord/store/credential.h"
#include "accord/store/notify.h"
#include "accord/store/submission.h"
#include "lifecycle/lifecycle.h"
#include "review/feedback.h"
#include "review/appeals.h"
#include "review/review.h"
#include "review/teams.h"
#include "readers.h"

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
    json_t *guide = def ? ac__definition_guide(def) : NULL;
    if (guide)
        json_object_set_new(j, "guide", guide);
    if (s->state == AC_SUB_DECIDED || s->state == AC_SUB_NOTIFIED) {
        if (def && s->level >= 0 && (size_t)s->level < def->n_levels)
            json_object_set_new(j, "level", json_string(def->levels[s->level]));
        json_object_set_new(j, "passed", json_boolean(s->passed));
        json_object_set_new(j, "reason", json_string(s->reason));
        ac__json_time(j, "resubmit_after", s->resubmit_after_ms);
        /* The reviewers' feedback, per review and per element, without their
         * names: the teacher learns what to work on, not who said it (the
         * web pages show it too). */
        json_t *feedback = NULL;
        if (def && ac__feedback_json(n, s->id, def, &feedback) == 0)
            json_object_set_new(j, "feedback", feedback);
        int64_t record;
        if (s->passed && ac_store_submission_record_get(n->store, s->id, &record) == 0)
            json_object_set_new(j, "record", json_integer(record));
    }
    /* Why it waits when no reviewer can take it (node/review/assignment.c). */
    json_t *waiting = ac__assignment_waiting(n, s);
    if (waiting)
        json_object_set_new(j, "waiting", waiting);
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

/* Reads optional text member |key| of |body| into |*out| (borrowed; NULL
 * when absent). A member that is not a string is refused here, naming it. */
static int text_field(struct ac_http_exchange *x, const json_t *body, const char *key, size_t max,
                      const char **out)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return bad(x, 400, key, "%s: must be a string of at most %zu bytes", key, max);
    *out = json_string_value(v);
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
    struct ac_submission_input in = {0};
    struct ac_submitted_element *elems = NULL;
    struct ac_definition *def = NULL;
    struct ac_reason why = AC_REASON_INIT;
    if (ac__json_only(x, body, allowed) ||
        text_field(x, body, "credential", AC_SUB_CRED_MAX, &in.credential) ||
        text_field(x, body, "domain", AC_SUB_NAME_MAX, &in.domain) ||
        text_field(x, body, "school", AC_SUB_NAME_MAX, &in.school) ||
        text_field(x, body, "district", AC_SUB_NAME_MAX, &in.district) ||
        text_field(x, body, "team", AC_SUB_NAME_MAX, &in.team))
        goto out;
    in.version = json_integer_value(json_object_get(body, "version"));
    json_t *prev = json_object_get(body, "previous");
    in.previous_given = prev != NULL;
    in.previous = json_integer_value(prev);
    const json_t *list = json_object_get(body, "elements");
    in.elements_given = json_is_array(list);
    in.n_elements = json_array_size(list);
    elems = calloc(in.n_elements + 1, sizeof *elems);
    if (!elems) {
        ac__respond_error(x, AC_ENOMEM, "submission");
        goto out;
    }
    for (size_t k = 0; k < in.n_elements; k++) {
        const json_t *e = json_array_get(list, k);
        elems[k] = (struct ac_submitted_element){json_string_value(json_object_get(e, "id")),
                                                 json_string_value(json_object_get(e, "text")),
                                                 json_string_value(json_object_get(e, "artifact"))};
    }
    in.elements = elems;
    int64_t id = 0;
    int err = ac__submission_create(n, a.user.id, &in, &id, &def, &why);
    if (err) {
        ac__respond_failure(x, err, &why, "submission");
        goto out;
    }
    struct ac_submission s;
    if (ac_store_submission_get(n->store, id, &s) == 0) {
        ac__respond_owned(x, 201, ac__submission_json(n, &s, def));
        ac_submission_release(&s);
    } else {
        ac__respond_error(x, AC_EDB, "submission");
    }
out:
    ac_reason_release(&why);
    free(elems);
    ac_def_free(def);
    json_decref(body);
}

/* GET /v1/submissions, read and built on a reader thread (node/readers.h)
 * with its own store: the page's rows and, per row, what its JSON names (the
 * definition, the reviews' feedback, the record, the open "no_reviewer"
 * flag), so the loop makes no round trip per item. The filters are parsed
 * and the reader checked on the loop. */
struct list_read {
    struct ac__json_read r; /* first */
    int64_t who, after;
    char cred[AC_SUB_CRED_MAX + 1];
    int have_cred, state;
    size_t limit;
};

static int list_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct list_read *q = (struct list_read *)r;
    struct ac_submission *subs = NULL;
    size_t got = 0, limit = q->limit;
    int err = ac_store_submission_list(view->store, q->who, q->have_cred ? q->cred : NULL, q->state,
                                       q->after, limit + 1, &subs, &got);
    if (err)
        return err;
    json_t *items = json_array();
    /* A definition (a store read and a JSON parse) is needed only to name a
     * decided row's level, and rows of one credential version share it: load
     * it once per run of such rows, not once per row. */
    struct ac_definition *def = NULL;
    const struct ac_submission *def_of = NULL;
    for (size_t i = 0; i < got && i < limit; i++) {
        const struct ac_submission *s = &subs[i];
        int decided = s->state == AC_SUB_DECIDED || s->state == AC_SUB_NOTIFIED;
        if (decided && !(def_of && strcmp(def_of->credential_id, s->credential_id) == 0 &&
                         def_of->credential_version == s->credential_version)) {
            ac_def_free(def);
            def = NULL;
            ac__review_definition(view, s->credential_id, s->credential_version, NULL, NULL, &def);
            def_of = s;
        }
        json_array_append_new(items, ac__submission_json(view, s, decided ? def : NULL));
    }
    ac_def_free(def);
    int more = got > limit;
    *out = ac__page_json(items, more, more ? subs[limit - 1].id : 0);
    for (size_t i = 0; i < got; i++)
        ac_submission_release(&subs[i]);
    free(subs);
    return 0;
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
    struct list_read *q = calloc(1, sizeof *q);
    if (!q) {
        ac__respond_error(x, AC_ENOMEM, "submissions");
        return;
    }
    const struct ac_http_req *req = ac_http_exchange_req(x);
    char st[32];
    q->have_cred = ac_http_query(req, "credential", q->cred, sizeof q->cred) == 0;
    q->state = -1;
    if (ac_http_query(req, "state", st, sizeof st) == 0) {
        for (int i = 0; ac_sub_state_name((enum ac_sub_state)i); i++)
            if (strcmp(ac_sub_state_name((enum ac_sub_state)i), st) == 0)
                q->state = i;
        if (q->state < 0) {
            free(q);
            bad(x, 400, "state", "state: \"%s\" is not a submission state", st);
            return;
        }
    }
    q->who = (a.user.roles & AC_ROLE_ADMIN) ? 0 : a.user.id;
    q->after = after;
    q->limit = limit;
    ac__json_read_submit(n, x, &q->r, list_read, NULL, "submissions");
}

/* What to earn next after a pass: core/recommend.h over this node's catalog
 * and the passes recorded here. */
/* GET /v1/submissions/{id}/recommendations reads every credential version
 * (at most 256) and every decided submission: on a reader thread
 * (node/readers.h), for the earner of the submission or an admin. */
/* A read of one row by id on the reader threads, with who asks: a
 * submission, its recommendations, an appeal and a team answer only their
 * own people (or an admin). Even one row is read off the loop: on
 * PostgreSQL it is a network round trip the loop would wait for. */
struct row_read {
    struct ac__json_read r; /* first */
    int64_t id, caller;
    int admin;
};

/* Authenticates, takes {id} (|noun| names it in errors) and submits |fn|
 * with the caller to the reader threads. */
static void row_read_submit(struct ac_node *n, struct ac_http_exchange *x, const char *noun,
                            ac__json_read_cb fn)
{
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", noun, &id))
        return;
    char what[48];
    snprintf(what, sizeof what, "%s %" PRId64, noun, id);
    struct row_read *q = calloc(1, sizeof *q);
    if (!q) {
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    q->id = id;
    q->caller = a.user.id;
    q->admin = (a.user.roles & AC_ROLE_ADMIN) != 0;
    ac__json_read_submit(n, x, &q->r, fn, NULL, what);
}

/* Reader thread: submission |q->id| for its earner or an admin. Another
 * earner's submission is as unknown as a missing one (AC_ENOENT). */
static int own_submission(const struct row_read *q, struct ac_node *view, struct ac_submission *s)
{
    int err = ac_store_submission_get(view->store, q->id, s);
    if (!err && s->earner_id != q->caller && !q->admin) {
        ac_submission_release(s);
        err = AC_ENOENT;
    }
    return err;
}

static int recommendations_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                                struct ac_reason *why)
{
    (void)why;
    struct row_read *q = (struct row_read *)r;
    struct ac_submission s;
    int err = own_submission(q, view, &s);
    if (err)
        return err; /* named "submission <id>", as submitted */
    /* Past the submission, a failure is the recommendations'. */
    snprintf(r->what, sizeof r->what, "recommendations");
    struct ac_credential cat[256];
    size_t ncat = 0;
    struct ac_definition *defs[256] = {0};
    struct ac_rec_credential rc[256];
    struct ac_rec_stack stacks[256];
    const char *members[256][16];
    size_t nstacks = 0, nrc = 0;
    err = ac_store_credential_list(view->store, 0, NULL, cat, 256, &ncat);
    for (size_t i = 0; !err && i < ncat; i++) {
        struct ac_def_problems pr = {0};
        if (ac_def_from_json(cat[i].definition, strlen(cat[i].definition), &defs[i], &pr) != 0) {
            ac_def_problems_release(&pr);
            continue;
        }
        ac_def_problems_release(&pr);
        /* One version of each definition is in the catalog: the newest
         * active one, else the newest (which is then never recommended: a
         * draft of version 2 must not hide an active version 1). */
        int active = cat[i].state == AC_DEF_ACTIVE, better = 0;
        for (size_t k = 0; k < ncat; k++) {
            if (k == i || strcmp(cat[k].def_id, cat[i].def_id) != 0)
                continue;
            int k_active = cat[k].state == AC_DEF_ACTIVE;
            better |= (k_active && !active) ||
                      (k_active == active && cat[k].version > cat[i].version);
        }
        if (better)
            continue;
        rc[nrc++] = (struct ac_rec_credential){defs[i]->id, (const char *const *)defs[i]->domains,
                                               defs[i]->n_domains, !active};
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
        err = ac_store_submission_list(view->store, 0, NULL, -1, 0, 1000000, &all, &nall);
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
    if (!err) {
        json_t *items = json_array();
        for (size_t i = 0; i < nrecs; i++)
            json_array_append_new(
                items, json_pack("{s:s, s:s, s:s, s:f}", "credential", recs[i].credential, "reason",
                                 ac_recommend_reason_name(recs[i].reason), "because",
                                 recs[i].because, "score", recs[i].score));
        *out = json_pack("{s:I, s:o}", "submission", (json_int_t)s.id, "items", items);
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
    return err;
}

static void on_recommendations(struct ac_http_exchange *x, void *arg)
{
    row_read_submit(arg, x, "submission", recommendations_read);
}

/* GET /v1/submissions/{id}, read on a reader thread (node/readers.h): the
 * row, its definition, feedback and waiting flag. For its earner or an
 * admin. */
static int submission_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                           struct ac_reason *why)
{
    (void)why;
    struct row_read *q = (struct row_read *)r;
    struct ac_submission s;
    int err = own_submission(q, view, &s);
    if (err)
        return err; /* named "submission <id>", as submitted */
    struct ac_definition *def = NULL;
    ac__review_definition(view, s.credential_id, s.credential_version, NULL, NULL, &def);
    err = ac__json_read_answer(r, ac__submission_json(view, &s, def), out);
    ac_def_free(def);
    ac_submission_release(&s);
    return err;
}

static void on_get(struct ac_http_exchange *x, void *arg)
{
    row_read_submit(arg, x, "submission", submission_read);
}

/* ---- teams: declared by one member, confirmed by each ---- */

static json_t *team_json(const struct ac_team *t)
{
    json_t *members = json_array();
    int confirmed = 1;
    for (size_t i = 0; members && i < t->n_members; i++) {
        json_t *m = json_pack("{s:I, s:b}", "user_id", (json_int_t)t->members[i].user_id,
                              "confirmed", t->members[i].confirmed_ms != 0);
        confirmed &= t->members[i].confirmed_ms != 0;
        json_array_append_new(members, m);
    }
    json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:o, s:b}", "id", (json_int_t)t->id, "credential",
                          t->credential_id, "name", t->name, "declared_by",
                          (json_int_t)t->created_by, "members", members, "confirmed", confirmed);
    if (j)
        ac__json_time(j, "declared_at", t->created_ms);
    return j;
}

static void on_team_declare(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_EARNER) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"credential", "name", "members", NULL};
    const char *cred = NULL, *name = NULL;
    int64_t members[AC_TEAM_MAX_MEMBERS];
    size_t k = 0;
    json_t *list = json_object_get(body, "members");
    if (ac__json_only(x, body, allowed) ||
        text_field(x, body, "credential", AC_SUB_CRED_MAX, &cred) ||
        text_field(x, body, "name", AC_SUB_NAME_MAX, &name))
        goto out;
    if (!json_is_array(list) || json_array_size(list) >= AC_TEAM_MAX_MEMBERS) {
        bad(x, 400, "members", "members: a list of the other members' user ids (1 to %d)",
            AC_TEAM_MAX_MEMBERS - 1);
        goto out;
    }
    for (k = 0; k < json_array_size(list); k++) {
        json_t *v = json_array_get(list, k);
        if (!json_is_integer(v)) {
            bad(x, 400, "members", "members[%zu]: must be a user id", k);
            goto out;
        }
        members[k] = json_integer_value(v);
    }
    struct ac_team t;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac_team_declare(n, &a.user, cred, name, members, k, &t, &why);
    if (err)
        ac__respond_failure(x, err, &why, "team");
    else
        ac__respond_owned(x, 201, team_json(&t));
    ac_reason_release(&why);
out:
    json_decref(body);
}

static void on_team_confirm(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "team", &id))
        return;
    struct ac_team t;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac_team_confirm(n, &a.user, id, &t, &why);
    if (err) {
        char what[40];
        snprintf(what, sizeof what, "team %" PRId64, id);
        ac__respond_failure(x, err, &why, what);
    } else {
        ac__respond_owned(x, 200, team_json(&t));
    }
    ac_reason_release(&why);
}

/* GET /v1/teams/{id}, read on a reader thread (node/readers.h). Who is in
 * a team is its members' and the issuer's business. */
static int team_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    (void)why;
    struct row_read *q = (struct row_read *)r;
    struct ac_team t;
    int err = ac_store_team_get(view->store, q->id, &t);
    int member = 0;
    for (size_t i = 0; !err && i < t.n_members; i++)
        member |= t.members[i].user_id == q->caller;
    if (!err && !member && !q->admin)
        err = AC_ENOENT;
    if (!err)
        *out = team_json(&t);
    return err;
}

static void on_team_get(struct ac_http_exchange *x, void *arg)
{
    row_read_submit(arg, x, "team", team_read);
}

/* ---- appeals ---- */

static json_t *appeal_json(const struct ac_appeal *ap)
{
    json_t *j = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}", "id", (json_int_t)ap->id,
                          "submission", (json_int_t)ap->submission_id, "earner_id",
                          (json_int_t)ap->earner_id, "reason", ap->reason, "state",
                          ac_appeal_state_name(ap->state), "note", ap->note);
    if (!j)
        return NULL;
    if (ap->master_id)
        json_object_set_new(j, "master_id", json_integer(ap->master_id));
    if (ap->decided_by)
        json_object_set_new(j, "decided_by", json_integer(ap->decided_by));
    ac__json_time(j, "created_at", ap->created_ms);
    ac__json_time(j, "decided_at", ap->decided_ms);
    return j;
}

/* |ap| as JSON, with the level decided on appeal named from the
 * definition read with |n|'s store (the loop's or a reader's); NULL when
 * out of memory. */
static json_t *appeal_render(struct ac_node *n, const struct ac_appeal *ap)
{
    json_t *j = appeal_json(ap);
    struct ac_submission s;
    struct ac_definition *def = NULL;
    /* The level decided on appeal, by name. */
    if (j && ap->level >= 0 && ac_store_submission_get(n->store, ap->submission_id, &s) == 0) {
        int err = ac__review_definition(n, s.credential_id, s.credential_version, NULL, NULL, &def);
        if (!err && (size_t)ap->level < def->n_levels)
            json_object_set_new(j, "level", json_string(def->levels[ap->level]));
        ac_def_free(def);
        ac_submission_release(&s);
    }
    return j;
}

/* Renders |ap| (|err| 0) with |status|, or the refusal; releases |ap|, |why|. */
static void appeal_answer(struct ac_node *n, struct ac_http_exchange *x, int err, int status,
                          struct ac_appeal *ap, struct ac_reason *why, const char *what)
{
    if (err) {
        ac__respond_failure(x, err, why, what);
    } else {
        ac__respond_owned(x, status, appeal_render(n, ap));
        ac_appeal_release(ap);
    }
    ac_reason_release(why);
}

static void on_appeal_open(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "submission", &id) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"reason", NULL};
    const char *reason = NULL;
    if (!ac__json_only(x, body, allowed) &&
        !text_field(x, body, "reason", AC_APPEAL_REASON_MAX, &reason)) {
        struct ac_appeal ap;
        struct ac_reason why = AC_REASON_INIT;
        char what[48];
        snprintf(what, sizeof what, "submission %" PRId64, id);
        int err = ac_appeal_open(n, &a.user, id, reason, &ap, &why);
        appeal_answer(n, x, err, 201, &ap, &why, what);
    }
    json_decref(body);
}

static void on_appeal_assign(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__param_id(x, "id", "appeal", &id) || ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"master_id", NULL};
    json_t *m = json_object_get(body, "master_id");
    if (ac__json_only(x, body, allowed)) {
    } else if (!json_is_integer(m)) {
        bad(x, 400, "master_id", "master_id: required; the user id of a certified reviewer "
                                 "who did not review the submission");
    } else {
        struct ac_appeal ap;
        struct ac_reason why = AC_REASON_INIT;
        char what[40];
        snprintf(what, sizeof what, "appeal %" PRId64, id);
        int err = ac_appeal_assign(n, &a.user, id, json_integer_value(m), &ap, &why);
        appeal_answer(n, x, err, 200, &ap, &why, what);
    }
    json_decref(body);
}

static void on_appeal_decide(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__param_id(x, "id", "appeal", &id) ||
        ac__json_body(x, 0, &body))
        return;
    static const char *const allowed[] = {"level", "note", NULL};
    const char *level = NULL, *note = NULL;
    if (!ac__json_only(x, body, allowed) && !text_field(x, body, "level", 64, &level) &&
        !text_field(x, body, "note", AC_APPEAL_REASON_MAX, &note)) {
        struct ac_appeal ap;
        struct ac_reason why = AC_REASON_INIT;
        char what[40];
        snprintf(what, sizeof what, "appeal %" PRId64, id);
        int err = ac_appeal_decide(n, &a.user, id, level, note, &ap, &why);
        appeal_answer(n, x, err, 200, &ap, &why, what);
    }
    json_decref(body);
}

/* GET /v1/appeals/{id}, read on a reader thread (node/readers.h). The
 * earner, the master it was sent to and the issuer may read it. */
static int appeal_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                       struct ac_reason *why)
{
    (void)why;
    struct row_read *q = (struct row_read *)r;
    struct ac_appeal ap;
    int err = ac_store_appeal_get(view->store, q->id, &ap);
    if (!err && ap.earner_id != q->caller && ap.master_id != q->caller && !q->admin) {
        ac_appeal_release(&ap);
        err = AC_ENOENT;
    }
    if (err)
        return err; /* named "appeal <id>", as submitted */
    err = ac__json_read_answer(r, appeal_render(view, &ap), out);
    ac_appeal_release(&ap);
    return err;
}

static void on_appeal_get(struct ac_http_exchange *x, void *arg)
{
    row_read_submit(arg, x, "appeal", appeal_read);
}

/* A caller's own list, read on a reader thread (node/readers.h). */
struct own_read {
    struct ac__json_read r; /* first */
    int64_t user;           /* the caller; appeals: 0 for an admin (every appeal) */
};

/* Loop: reads |read| for |user| on a reader thread. */
static void submit_own(struct ac_node *n, struct ac_http_exchange *x, int64_t user,
                       ac__json_read_cb read, const char *what)
{
    struct own_read *o = calloc(1, sizeof *o);
    if (!o) {
        ac__respond_error(x, AC_ENOMEM, what);
        return;
    }
    o->user = user;
    ac__json_read_submit(n, x, &o->r, read, NULL, what);
}

static int appeals_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                        struct ac_reason *why)
{
    (void)why;
    struct ac_appeal *aps = NULL;
    size_t k = 0;
    int err = ac_store_appeal_list(view->store, ((struct own_read *)r)->user, &aps, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        json_array_append_new(items, appeal_json(&aps[i]));
        ac_appeal_release(&aps[i]);
    }
    free(aps);
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static void on_appeal_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    submit_own(n, x, (a.user.roles & AC_ROLE_ADMIN) ? 0 : a.user.id, appeals_read, "appeals");
}

static int notifications_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                              struct ac_reason *why)
{
    (void)why;
    struct ac_notification *ms = NULL;
    size_t got = 0;
    int err = ac_store_notify_list(view->store, ((struct own_read *)r)->user, 200, &ms, &got);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < got; i++) {
        /* An e-mail verification link proves the mailbox only if it is read
         * there: the API never shows it (node/accounts/email.c). */
        const char *body = strcmp(ms[i].kind, "email_verify") == 0
                               ? "A one-time link was mailed to the address; open that mail."
                               : ms[i].body;
        json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:b, s:i}", "id", (json_int_t)ms[i].id, "kind",
                              ms[i].kind, "subject", ms[i].subject, "body", body, "delivered",
                              ms[i].delivered_ms != 0, "attempts", ms[i].attempts);
        if (ms[i].submission_id)
            json_object_set_new(j, "submission", json_integer(ms[i].submission_id));
        ac__json_time(j, "created_at", ms[i].created_ms);
        json_array_append_new(items, j);
        ac_notification_release(&ms[i]);
    }
    free(ms);
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static void on_notifications(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a))
        return;
    submit_own(n, x, a.user.id, notifications_read, "notifications");
}

void ac__api_submissions_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/submissions", on_submit);
    ac__route(n, "GET", "/v1/submissions", on_list);
    ac__route(n, "GET", "/v1/submissions/{id}", on_get);
    ac__route(n, "GET", "/v1/submissions/{id}/recommendations", on_recommendations);
    ac__route(n, "GET", "/v1/notifications", on_notifications);
    ac__route(n, "POST", "/v1/teams", on_team_declare);
    ac__route(n, "GET", "/v1/teams/{id}", on_team_get);
    ac__route(n, "POST", "/v1/teams/{id}/confirm", on_team_confirm);
    ac__route(n, "POST", "/v1/submissions/{id}/appeal", on_appeal_open);
    ac__route(n, "GET", "/v1/appeals", on_appeal_list);
    ac__route(n, "GET", "/v1/appeals/{id}", on_appeal_get);
    ac__route(n, "POST", "/v1/appeals/{id}/assign", on_appeal_assign);
    ac__route(n, "POST", "/v1/appeals/{id}/decide", on_appeal_decide);
}
