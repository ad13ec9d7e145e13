/* monitoring.c - the monitoring service: after each decision, the reviewers
 * of a credential are measured against the issuer's thresholds
 * (core/review/monitor.h); one crossing a threshold is flagged to the
 * issuer and, per the definition, set unavailable, the work matched to them
 * but not yet sent withdrawn and given to others. Runs as the "monitor" job
 * inside the scheduler's transaction. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/monitor.h"
#include "accord/store/assignment.h"
#include "accord/store/credential.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "review/review.h"

/* Cancels the work |reviewer| was matched with for |def_id| but not yet
 * invited to (it would otherwise go out with the next batch timer) and asks
 * for a new assignment pass of credential row |row|. */
static int withdraw_pending(struct ac_node *n, int64_t reviewer, const char *def_id, int64_t row)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0, cancelled = 0;
    int err = ac_store_assignment_list(n->store, 0, reviewer, 0, AC_ASG_PENDING, &as, &nas);
    for (size_t i = 0; !err && i < nas; i++) {
        if (strcmp(as[i].credential_id, def_id) != 0)
            continue;
        err = ac_store_assignment_set_state(n->store, as[i].id, AC_ASG_CANCELLED, 0);
        cancelled++;
    }
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    if (!err && cancelled)
        err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
    return err;
}

/* Reviewer monitoring of one credential after a decision: a reviewer
 * crossing a threshold is flagged and, per the issuer's settings, set
 * unavailable (certification state "unavailable"). */
int ac__monitoring_job(struct ac_node *n, const struct ac_job *job)
{
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    int err = ac__review_definition_at(n, job->ref, &def, &cred);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    struct ac_monitor_thresholds t = {.min_sample = def->maintenance.min_sample};
    for (size_t i = 0; i < def->maintenance.n_thresholds; i++) {
        const struct ac_def_threshold *th = &def->maintenance.thresholds[i];
        if (th->measure == AC_MEASURE_BENCHMARK_AGREEMENT)
            t.min_benchmark_agreement = th->bound;
        else if (th->measure == AC_MEASURE_CONSENSUS_AGREEMENT)
            t.min_consensus_agreement = th->bound;
        else if (th->measure == AC_MEASURE_SEVERITY)
            t.max_severity_z = th->bound;
        else
            t.max_discrepancy_rate = th->bound;
        if (th->actions & AC_ACTION_UNAVAILABLE)
            t.set_unavailable = 1;
        if (th->actions & AC_ACTION_RETRAIN)
            t.require_retraining = 1;
    }
    struct ac_assignment_row *as = NULL;
    size_t nas = 0, nr = 0;
    err = ac_store_assignment_list(n->store, 0, 0, 0, AC_ASG_DONE, &as, &nas);
    struct ac_monitor_review *rv = calloc(nas + 1, sizeof *rv);
    if (!err && !rv)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nas; i++) {
        if (strcmp(as[i].credential_id, def->id) != 0)
            continue;
        int consensus = -1;
        if (as[i].submission_id) {
            struct ac_submission s;
            if (ac_store_submission_get(n->store, as[i].submission_id, &s) == 0) {
                if (s.state == AC_SUB_DECIDED || s.state == AC_SUB_NOTIFIED)
                    consensus = s.level;
                ac_submission_release(&s);
            }
        }
        rv[nr++] = (struct ac_monitor_review){
            (uint32_t)as[i].reviewer_id, 1, (uint64_t)as[i].scored_ms, as[i].level, consensus,
            as[i].benchmark_level};
    }
    struct ac_monitor_report *rep = NULL;
    if (!err)
        err = ac_monitor_evaluate(rv, nr, &t, &rep);
    for (size_t i = 0; !err && i < rep->n_actions; i++) {
        const struct ac_monitor_action *a = &rep->actions[i];
        if (a->about_credential || a->kind != AC_MONITOR_SET_UNAVAILABLE)
            continue;
        int e =
            ac_store_reviewer_cert_transition(n->store, cred.id, a->reviewer, AC_RCERT_CERTIFIED,
                                              AC_RCERT_UNAVAILABLE, NULL, ac_clock_now_ms());
        if (e == AC_ECONFLICT || e == AC_ENOENT)
            continue; /* already out of the pool: flagged the first time */
        err = e;
        json_t *j =
            json_pack("{s:I, s:s}", "reviewer", (json_int_t)a->reviewer, "reason", a->reason);
        char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
        char body[512];
        snprintf(body, sizeof body, "Reviewer %u of %s was set unavailable by monitoring: %s\n",
                 a->reviewer, def->id, a->reason);
        if (!err && !detail)
            err = AC_ENOMEM;
        if (!err)
            err = ac_store_flag_add(n->store, "reviewer_monitor", def->id, 0, a->reviewer, detail,
                                    ac_clock_now_ms(), NULL);
        if (!err)
            err = ac__notify_admins(n, "flag", 0, "Reviewer set unavailable", body);
        if (!err)
            err = ac_audit_id(n, "reviewer", a->reviewer, 0, "set_unavailable", j);
        json_decref(j);
        if (!err)
            err = withdraw_pending(n, (int64_t)a->reviewer, def->id, job->ref);
        free(detail);
    }
    ac_monitor_report_free(rep);
    free(rv);
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    ac_def_free(def);
    ac_credential_release(&cred);
    return err;
}
