/* monitoring.c - the monitoring service: after each decision, the reviewers
 * of a credential are measured against the issuer's thresholds
 * (core/review/monitor.h), each threshold on its own with its own actions:
 *
 *   notify       the issuer gets a flag and a notification;
 *   unavailable  the reviewer leaves the pool until the issuer reinstates
 *                them (node/lifecycle/reviewers.c);
 *   retrain      the reviewer leaves the pool for the training module and a
 *                fresh certification draw, and is back in the pool when it
 *                is passed (node/lifecycle/certification.c).
 *
 * A reviewer taken out of the pool is told what happened and why, and the
 * work matched to them but not yet sent is withdrawn and given to others.
 * The credential's discrepancy rate crossing its maximum flags and notifies
 * the issuer. A crossing already flagged and still open is not flagged again.
 * Runs as the "monitor" job inside the scheduler's transaction. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/monitor.h"
#include "accord/store/assignment.h"
#include "accord/store/certification.h"
#include "accord/store/credential.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "federation/borrow.h"
#include "federation/cert.h"
#include "review/review.h"

/* Flags read per store query while looking for an open one. */
#define FLAG_PAGE 256

static const char *const measure_names[] = {"benchmark_agreement", "consensus_agreement",
                                            "severity", "discrepancy_rate"};

/* Sets |*open| when an open flag of |kind| about |def_id| and |reviewer| (0:
 * the credential as a whole) names threshold |index| in its detail: two
 * thresholds on one measure (a notice at one bound, retraining at a lower
 * one) are crossed, and flagged, each on its own. */
static int open_flag(struct ac_node *n, const char *kind, const char *def_id, int64_t reviewer,
                     size_t index, int *open)
{
    *open = 0;
    int64_t after = 0;
    for (;;) {
        struct ac_flag *fs = NULL;
        size_t k = 0;
        int err = ac_store_flag_list(n->store, 1, after, FLAG_PAGE, &fs, &k);
        if (err)
            return err;
        for (size_t i = 0; i < k; i++) {
            after = fs[i].id;
            if (*open || strcmp(fs[i].kind, kind) != 0 ||
                strcmp(fs[i].credential_id, def_id) != 0 || fs[i].reviewer_id != reviewer)
                continue;
            json_t *d = json_loads(fs[i].detail ? fs[i].detail : "", 0, NULL);
            json_t *t = json_object_get(d, "threshold");
            *open = json_is_integer(t) && json_integer_value(t) == (json_int_t)index;
            json_decref(d);
        }
        for (size_t i = 0; i < k; i++)
            ac_flag_release(&fs[i]);
        free(fs);
        if (*open || k < FLAG_PAGE)
            return 0;
    }
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

/* Takes |reviewer| out of the pool of credential |cred| (row |row|) into
 * |to| (unavailable or retraining) and tells them why. Sets |*moved| to 0
 * when they were not in the pool (already taken out: nothing is done). */
static int leave_pool(struct ac_node *n, const struct ac_definition *def, int64_t row,
                      int64_t reviewer, enum ac_rcert_state to, const char *reason, int *moved)
{
    int64_t now = ac_clock_now_ms();
    int err = ac_store_reviewer_cert_transition(n->store, row, reviewer, AC_RCERT_CERTIFIED, to,
                                                NULL, now);
    *moved = !err;
    if (err == AC_ECONFLICT || err == AC_ENOENT)
        return 0;
    /* Retraining ends in a fresh certification draw: the attempt count
     * starts again (the history before the retraining is not held against
     * them; see node/lifecycle/certification.c). */
    if (!err && to == AC_RCERT_RETRAINING)
        err = ac_store_reviewer_cert_attempted(n->store, row, reviewer, 0, 0, now);
    char subject[200], body[1024];
    if (to == AC_RCERT_RETRAINING) {
        snprintf(subject, sizeof subject, "Retraining required for %s", def->id);
        snprintf(body, sizeof body,
                 "Reviewer monitoring found: %s.\n"
                 "You are out of the review pool of \"%s\" until you retrain: complete the "
                 "training module again\n  POST /v1/definitions/%s@%" PRId64
                 "/training-module/complete\nthen pass a new certification attempt (new "
                 "benchmark items). You are back in the pool as soon as you pass.\n",
                 reason, def->title, def->id, def->version);
    } else {
        snprintf(subject, sizeof subject, "You were set unavailable for %s", def->id);
        snprintf(body, sizeof body,
                 "Reviewer monitoring found: %s.\n"
                 "You are out of the review pool of \"%s\" until the issuer reinstates you; "
                 "work not yet sent to you goes to other reviewers.\n",
                 reason, def->title);
    }
    if (!err)
        err = ac_store_notify_add(n->store, reviewer, "monitoring", 0, subject, body, now, NULL);
    if (!err)
        err = withdraw_pending(n, reviewer, def->id, row);
    if (!err)
        err = ac__cert_stand_in_changed(n, row, reviewer);
    return err;
}

/* Applies the actions of threshold |th| to |reviewer|, who crossed it for
 * |reason|: the issuer's flag and notification always (a crossing the issuer
 * does not hear of would go unseen), then unavailable or retraining. */
static int reviewer_crossed(struct ac_node *n, const struct ac_definition *def, int64_t row,
                            size_t index, int64_t reviewer, const char *reason)
{
    const struct ac_def_threshold *th = &def->maintenance.thresholds[index];
    const char *measure = measure_names[th->measure];
    struct ac_reviewer_cert rc;
    int err = ac_store_reviewer_cert_get(n->store, row, reviewer, &rc);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    enum ac_rcert_state state = rc.state;
    ac_reviewer_cert_release(&rc);
    if (state != AC_RCERT_CERTIFIED)
        return 0; /* out of the pool already: the crossing that took them out was told */
    int open = 0;
    if ((err = open_flag(n, "reviewer_monitor", def->id, reviewer, index, &open)) || open)
        return err;
    int moved = 0;
    if (th->actions & AC_ACTION_RETRAIN)
        err = leave_pool(n, def, row, reviewer, AC_RCERT_RETRAINING, reason, &moved);
    else if (th->actions & AC_ACTION_UNAVAILABLE)
        err = leave_pool(n, def, row, reviewer, AC_RCERT_UNAVAILABLE, reason, &moved);
    const char *outcome = !moved                              ? "notified"
                          : (th->actions & AC_ACTION_RETRAIN) ? "sent to retraining"
                                                              : "set unavailable";
    json_t *actions = json_array();
    if (th->actions & AC_ACTION_NOTIFY)
        json_array_append_new(actions, json_string("notify"));
    if (th->actions & AC_ACTION_UNAVAILABLE)
        json_array_append_new(actions, json_string("unavailable"));
    if (th->actions & AC_ACTION_RETRAIN)
        json_array_append_new(actions, json_string("retrain"));
    json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:o, s:s}", "reviewer", (json_int_t)reviewer,
                          "threshold", (json_int_t)index, "measure", measure, "reason", reason,
                          "actions", actions, "outcome", outcome);
    char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
    char subject[160], body[768];
    snprintf(subject, sizeof subject, "Reviewer %" PRId64 " %s (%s)", reviewer, outcome, def->id);
    snprintf(body, sizeof body, "Reviewer %" PRId64 " of %s crossed the %s threshold: %s.\n%s\n",
             reviewer, def->id, measure, reason,
             !moved ? "Nothing else was done: the threshold asks only to notify you."
             : (th->actions & AC_ACTION_RETRAIN)
                 ? "They are out of the pool until they retrain and pass a new certification."
                 : "They are out of the pool until you reinstate them.");
    if (!err && !detail)
        err = AC_ENOMEM;
    if (!err)
        err = ac_store_flag_add(n->store, "reviewer_monitor", def->id, 0, reviewer, detail,
                                ac_clock_now_ms(), NULL);
    if (!err)
        err = ac__notify_admins(n, "flag", 0, subject, body);
    /* A borrowed reviewer's home node is told with a signed notice. */
    if (!err && moved)
        err = ac__borrow_notice(n, reviewer, def, outcome, reason);
    if (!err)
        err = ac_audit_id(n, "reviewer", reviewer, 0,
                          !moved                              ? "monitor_notify"
                          : (th->actions & AC_ACTION_RETRAIN) ? "require_retraining"
                                                              : "set_unavailable",
                          j);
    json_decref(j);
    free(detail);
    return err;
}

/* The credential's discrepancy rate crossed its maximum: a flag and a
 * notification to the issuer, once while the flag is open. */
static int credential_crossed(struct ac_node *n, const struct ac_definition *def, size_t index,
                              const struct ac_monitor_credential *mc, const char *reason)
{
    int open = 0;
    int err = open_flag(n, "discrepancy_rate", def->id, 0, index, &open);
    if (err || open)
        return err;
    json_t *j =
        json_pack("{s:I, s:s, s:f, s:I, s:I, s:s}", "threshold", (json_int_t)index, "measure",
                  "discrepancy_rate", "rate", mc->rate, "reviews", (json_int_t)mc->reviews,
                  "discrepancies", (json_int_t)mc->discrepancies, "reason", reason);
    char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
    char subject[160], body[512];
    snprintf(subject, sizeof subject, "Discrepancy rate of %s above its threshold", def->id);
    snprintf(body, sizeof body,
             "The reviews of \"%s\" disagree with their reference too often: %s.\n"
             "Look at the rubric, the training module and the pool.\n",
             def->title, reason);
    err = detail ? ac_store_flag_add(n->store, "discrepancy_rate", def->id, 0, 0, detail,
                                     ac_clock_now_ms(), NULL)
                 : AC_ENOMEM;
    if (!err)
        err = ac__notify_admins(n, "flag", 0, subject, body);
    if (!err)
        err = ac_audit(n, "credential", def->id, 0, "discrepancy_rate", j);
    json_decref(j);
    free(detail);
    return err;
}

/* The completed reviews of |def| for core/review/monitor.h. Sets |*out| (free
 * it) and |*nr|. */
static int load_reviews(struct ac_node *n, const struct ac_definition *def,
                        struct ac_monitor_review **out, size_t *nr)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    *nr = 0;
    int err = ac_store_assignment_list(n->store, 0, 0, 0, AC_ASG_DONE, &as, &nas);
    struct ac_monitor_review *rv = err ? NULL : calloc(nas + 1, sizeof *rv);
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
        rv[(*nr)++] = (struct ac_monitor_review){
            (uint32_t)as[i].reviewer_id, 1, (uint64_t)as[i].scored_ms, as[i].level, consensus,
            as[i].benchmark_level};
    }
    /* A second-master check has no consensus of its own: each master is
     * judged against the other, so a disagreement counts against both. */
    for (size_t i = 0, k = 0; !err && def->mode == AC_MODE_MASTER && i < nas; i++) {
        if (strcmp(as[i].credential_id, def->id) != 0)
            continue;
        for (size_t j = 0; as[i].submission_id && j < nas; j++)
            if (j != i && as[j].submission_id == as[i].submission_id &&
                as[j].state == AC_ASG_DONE && (as[i].second_master || as[j].second_master))
                rv[k].consensus = as[j].level;
        k++;
    }
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    if (err) {
        free(rv);
        return err;
    }
    *out = rv;
    return 0;
}

int ac__monitoring_job(struct ac_node *n, const struct ac_job *job)
{
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    int err = ac__review_definition_at(n, job->ref, &def, &cred);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    struct ac_monitor_review *rv = NULL;
    size_t nr = 0;
    err = load_reviews(n, def, &rv, &nr);
    /* Each threshold is evaluated alone, so its actions apply only to the
     * reviewers who crossed it. */
    for (size_t i = 0; !err && i < def->maintenance.n_thresholds; i++) {
        const struct ac_def_threshold *th = &def->maintenance.thresholds[i];
        struct ac_monitor_thresholds t = {.min_sample = def->maintenance.min_sample};
        if (th->measure == AC_MEASURE_BENCHMARK_AGREEMENT)
            t.min_benchmark_agreement = th->bound;
        else if (th->measure == AC_MEASURE_CONSENSUS_AGREEMENT)
            t.min_consensus_agreement = th->bound;
        else if (th->measure == AC_MEASURE_SEVERITY)
            t.max_severity_z = th->bound;
        else
            t.max_discrepancy_rate = th->bound;
        struct ac_monitor_report *rep = NULL;
        err = ac_monitor_evaluate(rv, nr, &t, &rep);
        for (size_t k = 0; !err && k < rep->n_actions; k++) {
            const struct ac_monitor_action *a = &rep->actions[k];
            if (a->kind != AC_MONITOR_NOTIFY_ISSUER)
                continue;
            if (!a->about_credential) {
                err = reviewer_crossed(n, def, job->ref, i, (int64_t)a->reviewer, a->reason);
                continue;
            }
            for (size_t c = 0; c < rep->n_credentials; c++)
                if (!err && rep->credentials[c].credential == a->credential)
                    err = credential_crossed(n, def, i, &rep->credentials[c], a->reason);
        }
        ac_monitor_report_free(rep);
    }
    free(rv);
    ac_def_free(def);
    ac_credential_release(&cred);
    return err;
}
