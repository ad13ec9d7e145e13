/* screening.c - the screening service: a new submission is checked for
 * near-duplicates among the earlier submissions of its credential before any
 * reviewer sees it. A flagged one waits in the issuer's flags inbox; a clear
 * one is queued for assignment. Screening reads everything first and then
 * makes its change in one transaction, so it is safe to repeat (the
 * "screen" job stored with every submission may run after the request
 * screened it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/neardup.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "review/review.h"
#include "review/teams.h"

/* Similarity at which two submissions are reported to the issuer. */
#define NEARDUP_MIN_SIMILARITY 0.5

static int audit_clear(struct ac_node *n, int64_t sub_id)
{
    json_t *d = json_pack("{s:s}", "screen", "clear");
    int err = d ? ac_audit_id(n, "submission", sub_id, 0, "queued", d) : AC_ENOMEM;
    json_decref(d);
    return err;
}
/* The text the near-duplicate index sees: every element's text, in order. */
static char *submission_text(const char *elements)
{
    json_t *arr = json_loads(elements, 0, NULL);
    struct ac_buf b;
    ac_buf_init(&b);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *t = json_string_value(json_object_get(e, "text"));
        if (t && (ac_buf_append(&b, t, strlen(t)) || ac_buf_append(&b, "\n", 1)))
            break;
    }
    json_decref(arr);
    char *out = calloc(1, b.len + 1);
    if (out && b.len)
        memcpy(out, b.data, b.len);
    ac_buf_release(&b);
    return out;
}

/* Team names are interned per check: 0 means "no team". */
static uint64_t team_key(const char *team, char (*teams)[AC_SUB_NAME_MAX + 1], size_t *nteams)
{
    if (!team[0])
        return 0;
    for (size_t i = 0; i < *nteams; i++)
        if (strcmp(teams[i], team) == 0)
            return i + 1;
    strcpy(teams[*nteams], team);
    return ++*nteams;
}

int ac__screening_run(struct ac_node *n, int64_t sub_id, int *flagged)
{
    struct ac_submission sub;
    int err = ac_store_submission_get(n->store, sub_id, &sub);
    if (err)
        return err;
    /* Screened already (the request screened it and its "screen" job fires
     * after, or the job fires twice): nothing to do again. */
    if (sub.state != AC_SUB_RECEIVED) {
        *flagged = sub.state == AC_SUB_FLAGGED;
        ac_submission_release(&sub);
        return 0;
    }
    struct ac_submission *prior = NULL;
    size_t nprior = 0;
    err = ac_store_submission_list(n->store, 0, sub.credential_id, -1, 0, 100000, &prior, &nprior);
    struct ac_neardup_params params = AC_NEARDUP_DEFAULTS;
    params.min_similarity = NEARDUP_MIN_SIMILARITY;
    struct ac_neardup_index *ix = NULL;
    struct ac_neardup_result *res = NULL;
    char(*teams)[AC_SUB_NAME_MAX + 1] = calloc(nprior + 1, sizeof *teams);
    size_t nteams = 0;
    char *text = submission_text(sub.elements);
    if (!err && (!teams || !text))
        err = AC_ENOMEM;
    if (!err)
        err = ac_neardup_index_new(&params, &ix);
    /* The definition's prompts are shared by everyone: never evidence. It is
     * parsed once here; only queueing needs it (a flag does not). */
    struct ac_definition *def = NULL;
    int64_t row = 0;
    int def_err =
        ac__review_definition(n, sub.credential_id, sub.credential_version, &row, NULL, &def);
    for (size_t i = 0; !err && !def_err && i < def->n_elements; i++)
        err = ac_neardup_ignore_text(ix, def->elements[i].prompt, strlen(def->elements[i].prompt));
    for (size_t i = 0; !err && i < nprior; i++) {
        /* An earlier attempt of the same earner is not plagiarism either. */
        if (prior[i].id == sub.id || prior[i].earner_id == sub.earner_id ||
            prior[i].state == AC_SUB_REJECTED)
            continue;
        char *t = submission_text(prior[i].elements);
        if (!t)
            err = AC_ENOMEM;
        else
            err = ac_neardup_add(ix, (uint64_t)prior[i].id, team_key(prior[i].team, teams, &nteams),
                                 t, strlen(t));
        free(t);
    }
    if (!err)
        err = ac_neardup_check(ix, (uint64_t)sub.id, team_key(sub.team, teams, &nteams), text,
                               strlen(text), &res);
    if (!err && !def_err && res->n_matches == 0) /* review/teams.c: no team bypasses it */
        err = ac__team_screen_individual(def, &sub, prior, nprior, &params, &res);
    *flagged = !err && res->n_matches > 0;
    /* Only a transaction this call opened is ended here. */
    int in_tx = 0;
    if (!err) {
        err = ac_store_tx_begin(n->store);
        in_tx = !err;
    }
    if (!err && *flagged) {
        json_t *matches = json_array();
        for (size_t i = 0; i < res->n_matches && i < 5; i++)
            json_array_append_new(
                matches, json_pack("{s:I, s:f, s:I}", "submission", (json_int_t)res->matches[i].doc,
                                   "similarity", res->matches[i].similarity, "shared_fingerprints",
                                   (json_int_t)res->matches[i].shared));
        json_t *d = json_pack("{s:I, s:o}", "submission", (json_int_t)sub.id, "matches", matches);
        char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
        char body[256];
        snprintf(body, sizeof body,
                 "Submission %" PRId64 " for %s is %.0f%% similar to submission %" PRIu64
                 ".\nIt waits in the flags inbox until you dismiss or uphold the flag.\n",
                 sub.id, sub.credential_id, res->matches[0].similarity * 100, res->matches[0].doc);
        err = detail ? 0 : AC_ENOMEM;
        if (!err)
            err = ac_store_flag_add(n->store, "near_duplicate", sub.credential_id, sub.id, 0,
                                    detail, ac_clock_now_ms(), NULL);
        if (!err)
            err = ac_store_submission_set_state(n->store, sub.id, AC_SUB_FLAGGED);
        if (!err)
            err = ac__notify_admins(n, "flag", sub.id, "Near-duplicate submission flagged", body);
        if (!err)
            err = ac_audit_id(n, "submission", sub.id, 0, "flagged", d);
        json_decref(d);
        free(detail);
    } else if (!err) {
        err = def_err;
        if (!err)
            err = ac_store_submission_set_need(n->store, sub.id, def->per_submission);
        if (!err)
            err = ac_store_submission_set_state(n->store, sub.id, AC_SUB_QUEUED);
        if (!err)
            err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
        if (!err)
            err = audit_clear(n, sub.id);
    }
    if (in_tx)
        err = ac__scheduler_commit(n, err);
    ac_def_free(def);
    ac_neardup_result_free(res);
    ac_neardup_index_free(ix);
    free(text);
    free(teams);
    for (size_t i = 0; i < nprior; i++)
        ac_submission_release(&prior[i]);
    free(prior);
    ac_submission_release(&sub);
    return err;
}

int ac__screening_job(struct ac_node *n, const struct ac_job *job)
{
    int flagged;
    return ac__screening_run(n, job->ref, &flagged);
}
