/* submissions.c - the submissions service: an earner submits work for an
 * active credential (elements as text or cited artifacts, a team and its
 * individual component) or resubmits a failed attempt after its wait. The
 * submission, its citations, its audit row and its "screen" job commit
 * together; screening then runs as its own service. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/artifact.h"
#include "accord/store/job.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "review/review.h"
#include "review/teams.h"

/* Copies optional text |v| of |field| into |dst| (|size| bytes). */
static int copy_text(const char *field, const char *v, char *dst, size_t size,
                     struct ac_reason *why)
{
    if (!v)
        return 0;
    if (strlen(v) >= size)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, field,
                              "%s: must be a string of at most %zu bytes", field, size - 1);
    snprintf(dst, size, "%s", v);
    return 0;
}

/* A failed attempt |pid| of the same earner and credential whose wait is
 * over. Another earner's submission is as unknown as a missing one. */
static int check_previous(struct ac_node *n, int64_t earner_id, const struct ac_submission *s,
                          int64_t pid, struct ac_reason *why)
{
    struct ac_submission p;
    int err = pid > 0 ? ac_store_submission_get(n->store, pid, &p) : AC_ENOENT;
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_INVALID_FIELD, "previous",
                              "previous: submission %" PRId64 " does not exist", pid);
    if (err)
        return err;
    int owner = p.earner_id == earner_id,
        failed = (p.state == AC_SUB_DECIDED || p.state == AC_SUB_NOTIFIED) && !p.passed;
    int64_t after = p.resubmit_after_ms, now = ac_clock_now_ms();
    int same = strcmp(p.credential_id, s->credential_id) == 0;
    ac_submission_release(&p);
    if (!owner)
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_INVALID_FIELD, "previous",
                              "previous: submission %" PRId64 " does not exist", pid);
    if (!failed || !same)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "previous",
                              "previous: submission %" PRId64 " is not a failed attempt at %s", pid,
                              s->credential_id);
    if (now < after) {
        char when[21];
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "previous",
                              "previous: the resubmission wait runs until %s",
                              ac_clock_format(after, when));
    }
    return 0;
}

/* Checks the elements against |def| (and that every cited artifact is the
 * earner's) and sets |*clean| to the normalised JSON array, in the
 * definition's order. */
static int check_elements(struct ac_node *n, int64_t earner_id, const struct ac_definition *def,
                          const struct ac_submission_input *in, int team, json_t **clean,
                          struct ac_reason *why)
{
    if (!in->elements_given || in->n_elements == 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "elements",
                              "elements: required; a list of {\"id\", \"text\" or "
                              "\"artifact\"}");
    json_t *out = json_array();
    int err = out ? 0 : AC_ENOMEM;
    for (size_t i = 0; i < def->n_elements && !err; i++) {
        const struct ac_def_element *de = &def->elements[i];
        const struct ac_submitted_element *found = NULL;
        for (size_t k = 0; k < in->n_elements; k++)
            if (in->elements[k].id && strcmp(in->elements[k].id, de->id) == 0)
                found = &in->elements[k];
        int individual = team && def->individual_element == (long)i;
        if (!found) {
            if (de->required || individual)
                err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "elements",
                                     "elements: \"%s\" is required%s", de->id,
                                     individual ? " of each team member (the individual "
                                                  "component)"
                                                : "");
            continue;
        }
        if (!found->text && !found->artifact) {
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "elements",
                                 "elements: \"%s\" needs \"text\" or \"artifact\"", de->id);
            continue;
        }
        if (found->artifact) {
            struct ac_artifact ar;
            int e = ac_store_artifact_get_upload(n->store, found->artifact, earner_id, &ar);
            if (e && e != AC_ENOENT) {
                err = e;
                continue;
            }
            if (e) {
                err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "elements",
                                     "elements: \"%s\": artifact %s was not uploaded by you "
                                     "(POST /v1/artifacts first)",
                                     de->id, found->artifact);
                continue;
            }
        }
        json_t *c = json_pack("{s:s}", "id", de->id);
        if (c && found->text)
            json_object_set_new(c, "text", json_string(found->text));
        if (c && found->artifact)
            json_object_set_new(c, "artifact", json_string(found->artifact));
        err = c ? json_array_append_new(out, c) : AC_ENOMEM;
        if (err)
            err = AC_ENOMEM;
    }
    for (size_t k = 0; !err && k < in->n_elements; k++) {
        const char *id = in->elements[k].id;
        int known = 0;
        for (size_t i = 0; id && i < def->n_elements; i++)
            known |= strcmp(def->elements[i].id, id) == 0;
        if (!known)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "elements",
                                 "elements[%zu]: \"%s\" is not an element of %s", k,
                                 id ? id : "(no id)", def->id);
    }
    if (err) {
        json_decref(out);
        return err;
    }
    *clean = out;
    return 0;
}

/* Checks |in| against its definition into |s| and |*clean|. */
static int check_submission(struct ac_node *n, int64_t earner_id,
                            const struct ac_submission_input *in, struct ac_submission *s,
                            struct ac_definition **def, json_t **clean, struct ac_reason *why)
{
    int err =
        copy_text("credential", in->credential, s->credential_id, sizeof s->credential_id, why);
    if (!err)
        err = copy_text("domain", in->domain, s->domain, sizeof s->domain, why);
    if (!err)
        err = copy_text("school", in->school, s->school, sizeof s->school, why);
    if (!err)
        err = copy_text("district", in->district, s->district, sizeof s->district, why);
    if (!err)
        err = copy_text("team", in->team, s->team, sizeof s->team, why);
    if (err)
        return err;
    if (!s->credential_id[0])
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: required; the definition id");
    enum ac_def_state state;
    int64_t row;
    err = ac__review_definition(n, s->credential_id, in->version, &row, &state, def);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: \"%s\" does not exist", s->credential_id);
    if (err)
        return err;
    const struct ac_definition *d = *def;
    s->credential_version = d->version;
    if (state != AC_DEF_ACTIVE)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "credential",
                              "credential: \"%s\" version %" PRId64
                              " is %s; submissions open once it is active",
                              s->credential_id, d->version, ac_def_state_name(state));
    if (s->team[0] && !d->collaboration)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "team",
                              "team: %s does not allow collaborative work", s->credential_id);
    if (s->team[0] && (err = ac__team_check_submission(n, earner_id, s->credential_id, s->team,
                                                       why)) != 0)
        return err; /* review/teams.c: a team is declared and confirmed by its members */
    if (s->domain[0]) {
        int ok = d->n_domains == 0;
        for (size_t i = 0; i < d->n_domains; i++)
            ok |= strcmp(d->domains[i], s->domain) == 0;
        if (!ok)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "domain",
                                  "domain: \"%s\" is not a domain of %s", s->domain,
                                  s->credential_id);
    }
    if (in->previous_given) {
        err = check_previous(n, earner_id, s, in->previous, why);
        if (err)
            return err;
        s->previous_id = in->previous;
    }
    return check_elements(n, earner_id, d, in, s->team[0] != 0, clean, why);
}

int ac__submission_create(struct ac_node *n, int64_t earner_id,
                          const struct ac_submission_input *in, int64_t *id,
                          struct ac_definition **def, struct ac_reason *why)
{
    struct ac_submission s = {.earner_id = earner_id, .state = AC_SUB_RECEIVED};
    struct ac_definition *d = NULL;
    json_t *clean = NULL;
    int err = check_submission(n, earner_id, in, &s, &d, &clean, why);
    if (!err) {
        s.elements = json_dumps(clean, JSON_COMPACT);
        s.created_ms = ac_clock_now_ms();
        err = s.elements ? 0 : AC_ENOMEM;
    }
    int64_t sid = 0;
    int in_tx = 0;
    if (!err) {
        err = ac_store_tx_begin(n->store);
        in_tx = !err;
    }
    if (!err)
        err = ac_store_submission_insert(n->store, &s, &sid);
    size_t k;
    json_t *e;
    json_array_foreach(clean, k, e)
    {
        const char *art = json_string_value(json_object_get(e, "artifact"));
        if (!err && art)
            err = ac_store_submission_cite(n->store, sid, art);
    }
    if (!err)
        err = ac_audit_id(n, "submission", sid, earner_id,
                          s.previous_id ? "resubmitted" : "submitted", NULL);
    /* Stored with the submission, so a submission the request fails to
     * screen (or a crash before it does) is screened by the scheduler. */
    if (!err)
        err = ac_store_job_add(n->store, "screen", sid, s.created_ms);
    if (in_tx)
        err = ac__scheduler_commit(n, err);
    json_decref(clean);
    ac_submission_release(&s);
    if (err) {
        ac_def_free(d);
        return err;
    }
    /* Screening now lets the answer carry the screened state; if it fails the
     * submission stays "received" until its job screens it. Either way it is
     * stored, which is what the caller is told. */
    int flagged = 0;
    int screen_err = ac__screening_run(n, sid, &flagged);
    if (screen_err)
        ac_log_warn("review", "submission %" PRId64 ": screening deferred to the scheduler: %s",
                    sid, ac_strerror(screen_err));
    *id = sid;
    *def = d;
    return 0;
}
