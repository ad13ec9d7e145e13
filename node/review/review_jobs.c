/* review_jobs.c - the stored jobs of the review lifecycle: reminders,
 * deadlines and replacement, batch timers, the end of a resubmission wait,
 * reviewer monitoring after decisions, and issuing the record of a pass.
 *
 * Each handler re-reads the state it acts on and marks its job done in the
 * transaction of its effects, so a job fired twice does its work once. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/review/assign.h"
#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/review/monitor.h"
#include "accord/review/scoring.h"
#include "records/records.h"
#include "review/review.h"

/* ---- jobs ---- */

/* A failing job waits 30 s before its first retry, doubling to at most an
 * hour, so it never spins the scheduler; after JOB_MAX_ATTEMPTS runs (about
 * 13 hours in all) it is abandoned and the admins are told. */
#define JOB_RETRY_FIRST_MS (30LL * 1000)
#define JOB_RETRY_MAX_MS (3600LL * 1000)
#define JOB_MAX_ATTEMPTS 20

static int job_reminder(struct ac_node *n, const struct ac_job *job)
{
    struct ac_batch_row b;
    int err = ac_store_batch_get(n->store, job->ref, &b);
    if (err || (b.state != AC_BATCH_INVITED && b.state != AC_BATCH_ACCEPTED))
        return err == AC_ENOENT ? 0 : err;
    char subject[128], body[256], when[21];
    snprintf(subject, sizeof subject, "Reminder: batch %" PRId64 " is due", b.id);
    snprintf(body, sizeof body, "Batch %" PRId64 " for %s is due at %s (%s).\n", b.id,
             b.credential_id, ac_clock_format(b.deadline_ms, when),
             b.state == AC_BATCH_INVITED ? "not yet accepted" : "accepted, scores missing");
    return ac_store_notify_add(n->store, b.reviewer_id, "reminder", 0, subject, body,
                               ac_clock_now_ms(), NULL);
}

/* The deadline passed: the unscored work goes to replacements. */
static int job_deadline(struct ac_node *n, const struct ac_job *job)
{
    struct ac_batch_row b;
    int err = ac_store_batch_get(n->store, job->ref, &b);
    if (err || (b.state != AC_BATCH_INVITED && b.state != AC_BATCH_ACCEPTED))
        return err == AC_ENOENT ? 0 : err;
    int64_t row;
    err = ac__flow_batch_row(n, b.id, b.credential_id, &row);
    if (!err)
        err = ac_store_batch_set_state(n->store, b.id, AC_BATCH_EXPIRED, ac_clock_now_ms());
    if (!err)
        err = ac__flow_hand_back(n, b.id, AC_ASG_EXPIRED, row);
    if (!err)
        err =
            ac_store_notify_add(n->store, b.reviewer_id, "expired", 0, "Your review batch expired",
                                "The deadline passed; the unscored work went to other "
                                "reviewers.\n",
                                ac_clock_now_ms(), NULL);
    if (!err)
        err = ac__flow_audit(n, "batch", b.id, 0, "expired", "{}");
    return err;
}

/* The batch timer: send whatever the reviewer has pending, partial or not. */
static int job_batch_timer(struct ac_node *n, const struct ac_job *job)
{
    struct ac_assignment_row a;
    int err = ac_store_assignment_get(n->store, job->ref, &a);
    if (err || a.state != AC_ASG_PENDING) {
        ac_assignment_release(&a);
        return err == AC_ENOENT ? 0 : err;
    }
    struct ac_submission s;
    err = ac_store_submission_get(n->store, a.submission_id, &s);
    int64_t row = 0;
    struct ac_definition *def = NULL;
    if (!err)
        err = ac__flow_definition(n, s.credential_id, s.credential_version, &row, NULL, &def);
    if (!err)
        err = ac__flow_send_batches(n, a.reviewer_id, row, def, 1);
    ac_def_free(def);
    ac_submission_release(&s);
    ac_assignment_release(&a);
    return err;
}

static int job_resubmit_open(struct ac_node *n, const struct ac_job *job)
{
    struct ac_submission s;
    int err = ac_store_submission_get(n->store, job->ref, &s);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    char body[256];
    snprintf(body, sizeof body,
             "The resubmission wait for submission %" PRId64 " (%s) is over; you may "
             "resubmit:\n  accordctl submission resubmit %" PRId64 " ...\n",
             s.id, s.credential_id, s.id);
    err = ac_store_notify_add(n->store, s.earner_id, "resubmit_open", s.id, "You may resubmit now",
                              body, ac_clock_now_ms(), NULL);
    ac_submission_release(&s);
    return err;
}

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
static int job_monitor(struct ac_node *n, const struct ac_job *job)
{
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    int err = ac__flow_definition_by_row(n, job->ref, &def, &cred);
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
        char *detail = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        char body[512];
        snprintf(body, sizeof body, "Reviewer %u of %s was set unavailable by monitoring: %s\n",
                 a->reviewer, def->id, a->reason);
        if (!err && !detail)
            err = AC_ENOMEM;
        if (!err)
            err = ac_store_flag_add(n->store, "reviewer_monitor", def->id, 0, a->reviewer, detail,
                                    ac_clock_now_ms(), NULL);
        if (!err)
            err = ac__flow_notify_admins(n, "flag", 0, "Reviewer set unavailable", body);
        if (!err)
            err = ac__flow_audit(n, "reviewer", a->reviewer, 0, "set_unavailable", "%s", detail);
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

/* Issues the record of a passed submission, exactly once. The record (its
 * own store transaction nests here as a savepoint), the submission's link to
 * it, the audit row and the job's done mark commit together, so a crash
 * leaves all of them or none; a re-run (a crash before the commit, a second
 * fire) finds the link and issues nothing. */
static int job_issue(struct ac_node *n, const struct ac_job *job)
{
    struct ac_submission s;
    int err = ac_store_submission_get(n->store, job->ref, &s);
    if (err == AC_ENOENT) {
        s = (struct ac_submission){0};
        err = 0;
    }
    struct ac_definition *def = NULL;
    int pass = s.id && s.passed && (s.state == AC_SUB_DECIDED || s.state == AC_SUB_NOTIFIED);
    if (!err && pass)
        err = ac__flow_definition(n, s.credential_id, s.credential_version, NULL, NULL, &def);
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err) {
        ac_def_free(def);
        ac_submission_release(&s);
        return err;
    }
    int64_t rec = 0;
    int issued = 0;
    if (pass) {
        err = ac_store_submission_record_get(n->store, s.id, &rec);
        if (err == AC_ENOENT) {
            char subject[160], evidence[160];
            snprintf(subject, sizeof subject, "%s:user:%" PRId64, n->cfg->node_id, s.earner_id);
            snprintf(evidence, sizeof evidence, "submission %" PRId64 " reviewed on %s", s.id,
                     n->cfg->node_id);
            struct ac__issue_req req = {.subject = subject,
                                        .definition_id = def->id,
                                        .definition_version = (uint64_t)def->version,
                                        .achieved_level = def->levels[s.level],
                                        .has_ceu = def->ceus > 0,
                                        .ceu_hundredths = (uint64_t)(def->ceus * 100 + 0.5),
                                        .evidence = evidence};
            ac_def_hash(def, req.content_hash);
            err = ac__credential_issue(n, &req, &rec);
            issued = !err;
            if (!err)
                err = ac_store_submission_record_set(n->store, s.id, rec, ac_clock_now_ms());
            if (!err)
                err = ac__flow_audit(n, "submission", s.id, 0, "record_issued",
                                     "{\"record\":%" PRId64 "}", rec);
        } else if (!err) {
            ac_log_info("review",
                        "submission %" PRId64 " already has record %" PRId64 "; not issuing again",
                        s.id, rec);
        }
    }
    if (!err)
        err = ac_store_job_done(n->store, job->id, ac_clock_now_ms());
    err = ac__flow_end_tx(n, err);
    if (err && issued) {
        /* The record was rolled back with the rest, but the records state in
         * memory (tree head, status list, checkpoint) already counted it:
         * reload it from the store, which is the truth. The reload swaps
         * the state only when it succeeds; otherwise the old one serves on. */
        int e = ac__records_open(n);
        if (e)
            ac_log_error("review", "cannot reload the records state (keeping the old): %s",
                         ac_strerror(e));
    }
    ac_def_free(def);
    ac_submission_release(&s);
    return err;
}

static int run_job(struct ac_node *n, const struct ac_job *job)
{
    if (strcmp(job->kind, "issue") == 0)
        return job_issue(n, job);
    if (strcmp(job->kind, "screen") == 0) {
        /* Screening has its own transaction and does nothing to a submission
         * already past "received"; a submission gone is nothing to screen. */
        int flagged;
        int err = ac__flow_screen(n, job->ref, &flagged);
        if (err && err != AC_ENOENT)
            return err;
    }
    if (strcmp(job->kind, "assign") == 0) {
        /* The pass has its own transaction; it reads state, so repeating it
         * only assigns what is still missing. */
        int err = ac__flow_assign_pass(n, job->ref);
        if (err && err != AC_ENOENT)
            return err;
    }
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    if (strcmp(job->kind, "reminder") == 0)
        err = job_reminder(n, job);
    else if (!err && strcmp(job->kind, "deadline") == 0)
        err = job_deadline(n, job);
    else if (!err && strcmp(job->kind, "batch_timer") == 0)
        err = job_batch_timer(n, job);
    else if (!err && strcmp(job->kind, "resubmit_open") == 0)
        err = job_resubmit_open(n, job);
    else if (!err && strcmp(job->kind, "monitor") == 0)
        err = job_monitor(n, job);
    if (!err)
        err = ac_store_job_done(n->store, job->id, ac_clock_now_ms());
    return ac__flow_end_tx(n, err);
}

/* The wait before retry |attempt| (1 = the first retry) of a failed job:
 * JOB_RETRY_FIRST_MS doubling up to JOB_RETRY_MAX_MS. */
static int64_t retry_delay(int64_t attempt)
{
    int64_t d = JOB_RETRY_FIRST_MS;
    for (int64_t i = 1; i < attempt && d < JOB_RETRY_MAX_MS; i++)
        d *= 2;
    return d < JOB_RETRY_MAX_MS ? d : JOB_RETRY_MAX_MS;
}

/* Records the failed run of |job| (its effects already rolled back) in a
 * transaction of its own: the next attempt waits its back-off, and the last
 * one permitted marks the job done and tells the admins instead. */
static void job_failed(struct ac_node *n, const struct ac_job *job, int why)
{
    int64_t attempts = job->attempts + 1;
    int64_t now = ac_clock_now_ms();
    int dead = attempts >= JOB_MAX_ATTEMPTS;
    if (dead)
        ac_log_error("scheduler",
                     "job %" PRId64 " (%s %" PRId64 ") failed: %s; giving up after %" PRId64
                     " attempts",
                     job->id, job->kind, job->ref, ac_strerror(why), attempts);
    else
        ac_log_error("scheduler",
                     "job %" PRId64 " (%s %" PRId64 ") failed: %s; attempt %" PRId64
                     " of %d, next in %" PRId64 " s",
                     job->id, job->kind, job->ref, ac_strerror(why), attempts, JOB_MAX_ATTEMPTS,
                     retry_delay(attempts) / 1000);
    int err = ac_store_tx_begin(n->store);
    if (!err)
        err =
            ac_store_job_retry(n->store, job->id, attempts, dead ? 0 : now + retry_delay(attempts));
    if (!err && dead) {
        char body[256];
        snprintf(body, sizeof body,
                 "Job %" PRId64 " (%s about %" PRId64 ") failed %" PRId64
                 " times (last: %s) and will not be retried.\n",
                 job->id, job->kind, job->ref, attempts, ac_strerror(why));
        err = ac_store_job_done(n->store, job->id, now);
        if (!err)
            err = ac__flow_notify_admins(n, "flag", 0, "Scheduled job abandoned", body);
        if (!err)
            err = ac__flow_audit(n, "job", job->id, 0, "abandoned",
                                 "{\"kind\":\"%s\",\"ref\":%" PRId64 ",\"attempts\":%" PRId64 "}",
                                 job->kind, job->ref, attempts);
    }
    err = ac__flow_end_tx(n, err);
    if (err)
        ac_log_error("scheduler", "job %" PRId64 ": cannot record its failure: %s", job->id,
                     ac_strerror(err));
}

int ac__flow_run_job(struct ac_node *n, const struct ac_job *job)
{
    int err = run_job(n, job);
    if (err)
        job_failed(n, job, err);
    return err;
}
