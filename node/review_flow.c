/* review_flow.c - the review lifecycle from a submitted piece of work to a
 * decided, notified outcome: screening, assignment, batching with blind
 * benchmark seeding, invitations, responses, scores, decisions, escalation,
 * monitoring, and the stored jobs that drive the deadlines between them.
 *
 * Every event is one transaction holding its state change, its audit row, the
 * notifications it causes and the jobs it schedules. Job handlers re-read the
 * state they act on, so a job fired twice (e.g. after a crash between its
 * effects and the scheduler noticing) does nothing the second time. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/assign.h"
#include "accord/buf.h"
#include "accord/clock.h"
#include "accord/error.h"
#include "accord/log.h"
#include "accord/monitor.h"
#include "accord/neardup.h"
#include "accord/scoring.h"
#include "review.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)
/* Similarity at which two submissions are reported to the issuer. */
#define NEARDUP_MIN_SIMILARITY 0.5

int ac__flow_definition(struct ac_node *n, const char *def_id, int64_t version, int64_t *row,
                        enum ac_def_state *state, struct ac_definition **out)
{
    struct ac_credential c;
    int err = ac_store_credential_find(n->store, def_id, version, &c);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    struct ac_definition *d = NULL;
    err = ac_def_from_json(c.definition, strlen(c.definition), &d, &pr);
    ac_def_problems_release(&pr);
    if (!err) {
        if (row)
            *row = c.id;
        if (state)
            *state = c.state;
        *out = d;
    } else if (err != AC_ENOMEM) {
        err = AC_EPARSE;
    }
    ac_credential_release(&c);
    return err;
}

static int definition_by_row(struct ac_node *n, int64_t row, struct ac_definition **out,
                             struct ac_credential *c)
{
    int err = ac_store_credential_get(n->store, row, c);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    err = ac_def_from_json(c->definition, strlen(c->definition), out, &pr);
    ac_def_problems_release(&pr);
    if (err) {
        ac_credential_release(c);
        return err == AC_ENOMEM ? err : AC_EPARSE;
    }
    return 0;
}

static int audit(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                 const char *action, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Writes an audit row; |fmt| formats a JSON object text for its detail. */
static int audit(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                 const char *action, const char *fmt, ...)
{
    char id[24], detail[512];
    snprintf(id, sizeof id, "%" PRId64, subject);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return ac_store_audit_add(n->store, kind, id, actor, n->cfg->node_id, action, detail,
                              ac_clock_now_ms());
}

int ac__flow_notify_admins(struct ac_node *n, const char *kind, int64_t submission_id,
                           const char *subject, const char *body)
{
    struct ac_user page[64];
    int64_t after = 0;
    size_t got;
    int err;
    do {
        err = ac_store_user_list(n->store, after, page, 64, &got);
        for (size_t i = 0; !err && i < got; i++) {
            after = page[i].id;
            if ((page[i].roles & AC_ROLE_ADMIN) && !page[i].disabled_ms)
                err = ac_store_notify_add(n->store, page[i].id, kind, submission_id, subject,
                                          body, ac_clock_now_ms(), NULL);
        }
    } while (!err && got == 64);
    return err;
}

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

static int finish(struct ac_node *n, int err)
{
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    err = ac_store_tx_commit(n->store);
    if (!err)
        ac__scheduler_kick(n);
    return err;
}

/* ---- screening ---- */

/* The text the near-duplicate index sees: every element's text, in order. */
static char *submission_text(const char *elements)
{
    json_t *arr = json_loads(elements, 0, NULL);
    struct ac_buf b;
    ac_buf_init(&b);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
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

int ac__flow_screen(struct ac_node *n, int64_t sub_id, int *flagged)
{
    struct ac_submission sub;
    int err = ac_store_submission_get(n->store, sub_id, &sub);
    if (err)
        return err;
    struct ac_submission *prior = NULL;
    size_t nprior = 0;
    err = ac_store_submission_list(n->store, 0, sub.credential_id, -1, 0, 100000, &prior,
                                   &nprior);
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
    /* The definition's prompts are shared by everyone: never evidence. */
    struct ac_definition *def = NULL;
    if (!err && ac__flow_definition(n, sub.credential_id, sub.credential_version, NULL, NULL,
                                    &def) == 0)
        for (size_t i = 0; i < def->n_elements && !err; i++)
            err = ac_neardup_ignore_text(ix, def->elements[i].prompt,
                                         strlen(def->elements[i].prompt));
    ac_def_free(def);
    for (size_t i = 0; !err && i < nprior; i++) {
        /* An earlier attempt of the same earner is not plagiarism either. */
        if (prior[i].id == sub.id || prior[i].earner_id == sub.earner_id ||
            prior[i].state == AC_SUB_REJECTED)
            continue;
        char *t = submission_text(prior[i].elements);
        if (!t)
            err = AC_ENOMEM;
        else
            err = ac_neardup_add(ix, (uint64_t)prior[i].id,
                                 team_key(prior[i].team, teams, &nteams), t, strlen(t));
        free(t);
    }
    if (!err)
        err = ac_neardup_check(ix, (uint64_t)sub.id, team_key(sub.team, teams, &nteams), text,
                               strlen(text), &res);
    *flagged = !err && res->n_matches > 0;
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (!err && *flagged) {
        json_t *matches = json_array();
        for (size_t i = 0; i < res->n_matches && i < 5; i++)
            json_array_append_new(matches,
                                  json_pack("{s:I, s:f, s:I}", "submission",
                                            (json_int_t)res->matches[i].doc, "similarity",
                                            res->matches[i].similarity, "shared_fingerprints",
                                            (json_int_t)res->matches[i].shared));
        json_t *d = json_pack("{s:I, s:o}", "submission", (json_int_t)sub.id, "matches", matches);
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        char body[256];
        snprintf(body, sizeof body,
                 "Submission %" PRId64 " for %s is %.0f%% similar to submission %" PRIu64
                 ".\nIt waits in the flags inbox until you dismiss or uphold the flag.\n",
                 sub.id, sub.credential_id, res->matches[0].similarity * 100,
                 res->matches[0].doc);
        err = detail ? 0 : AC_ENOMEM;
        if (!err)
            err = ac_store_flag_add(n->store, "near_duplicate", sub.credential_id, sub.id, 0,
                                    detail, ac_clock_now_ms(), NULL);
        if (!err)
            err = ac_store_submission_set_state(n->store, sub.id, AC_SUB_FLAGGED);
        if (!err)
            err = ac__flow_notify_admins(n, "flag", sub.id, "Near-duplicate submission flagged",
                                         body);
        if (!err)
            err = audit(n, "submission", sub.id, 0, "flagged", "%s", detail);
        free(detail);
    } else if (!err) {
        int64_t row = 0;
        struct ac_definition *d = NULL;
        err = ac__flow_definition(n, sub.credential_id, sub.credential_version, &row, NULL, &d);
        if (!err)
            err = ac_store_submission_set_need(n->store, sub.id, d->per_submission);
        ac_def_free(d);
        if (!err)
            err = ac_store_submission_set_state(n->store, sub.id, AC_SUB_QUEUED);
        if (!err)
            err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
        if (!err)
            err = audit(n, "submission", sub.id, 0, "queued", "{\"screen\":\"clear\"}");
    }
    err = finish(n, err);
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
