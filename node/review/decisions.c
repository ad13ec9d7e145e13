/* decisions.c - the decision service: once a submission's reviews are all in
 * they are combined per the definition (core/review/scoring.h); disagreement
 * asks for more reviewers, what the rules cannot settle is escalated to the
 * issuer's flags inbox, and an outcome is recorded and told to the earner. A
 * pass queues the "issue" job, which issues the verifiable record exactly
 * once; a fail queues the end of the resubmission wait. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/fiber.h"
#include "accord/base/log.h"
#include "accord/review/scoring.h"
#include "accord/store/assignment.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/notify.h"
#include "accord/store/submission.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "lifecycle/invitations.h"
#include "lifecycle/stacks.h"
#include "records/records.h"
#include "review/feedback.h"
#include "review/review.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)

/* Writes an audit row by |actor| about |kind| |subject| with |detail| (takes
 * ownership; NULL means jansson ran out of memory). */
static int audit(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                 const char *action, json_t *detail)
{
    int err = detail ? ac_audit_id(n, kind, subject, actor, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

static int notify_outcome(struct ac_node *n, const struct ac_submission *s,
                          const struct ac_definition *def, int level, int passed,
                          int64_t resubmit_after)
{
    char subject[160], body[768], when[21];
    snprintf(subject, sizeof subject, "Outcome of your submission for %s: %s", def->title,
             def->levels[level]);
    int k = snprintf(body, sizeof body,
                     "Your submission %" PRId64 " for \"%s\" was reviewed.\nOutcome: %s (%s).\n",
                     s->id, def->title, def->levels[level], passed ? "passed" : "not yet passed");
    if (passed)
        snprintf(body + k, sizeof body - (size_t)k,
                 "Your credential record is being issued. See what to earn next:\n"
                 "  accordctl submission recommendations %" PRId64 "\n",
                 s->id);
    else
        snprintf(body + k, sizeof body - (size_t)k,
                 "You may resubmit from %s:\n  accordctl submission resubmit %" PRId64 " ...\n",
                 ac_clock_format(resubmit_after, when), s->id);
    char *mail = NULL; /* the body and the reviewers' feedback */
    int err = ac__feedback_mail(n, s->id, def, body, &mail);
    if (!err)
        err = ac_store_notify_add(n->store, s->earner_id, "outcome", s->id, subject, mail,
                                  ac_clock_now_ms(), NULL);
    free(mail);
    return err;
}

int ac__decision_conclude(struct ac_node *n, const struct ac_submission *s,
                          const struct ac_definition *def, int64_t row, int level, int passed,
                          const char *reason, int64_t actor)
{
    int64_t now = ac_clock_now_ms();
    int64_t after = passed ? 0 : now + (int64_t)def->review.resubmission_wait_days * DAY_MS;
    int err = ac_store_submission_decide(n->store, s->id, level, passed, reason, now, after);
    if (!err)
        err = notify_outcome(n, s, def, level, passed, after);
    if (!err && !passed)
        err = ac_store_job_add(n->store, "resubmit_open", s->id, after);
    if (!err && passed)
        err = ac_store_job_add(n->store, "issue", s->id, now);
    if (!err && passed)
        err = ac__invite_to_review(n, s); /* lifecycle/invitations.c */
    if (!err)
        err = ac_store_job_add(n->store, "monitor", row, now);
    if (!err)
        err = audit(n, "submission", s->id, actor, "decided",
                    json_pack("{s:s, s:b}", "level", def->levels[level], "passed", passed));
    return err;
}

/* A second-master check (master mode): when the masters disagree the
 * definition's rules do not settle it by adding reviewers; |d| becomes an
 * escalation, a flag the issuer decides, naming both levels. */
static int second_master_check(const struct ac_definition *def, const struct ac_review *reviews,
                               size_t n, struct ac_decision *d)
{
    size_t levels[AC_SCORING_MAX_REVIEWS];
    bool pass;
    if (n > AC_SCORING_MAX_REVIEWS)
        return AC_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (ac_scoring_combine(def, &reviews[i], &levels[i], &pass) != 0)
            return AC_EINVAL;
    if (ac_scoring_agree(def, levels, n))
        return 0;
    d->kind = AC_ESCALATE;
    snprintf(d->reason, sizeof d->reason,
             "second-master check: the masters disagree (\"%s\" and \"%s\"); the issuer "
             "decides",
             def->levels[levels[0]], def->levels[levels[n - 1]]);
    return 0;
}

int ac__decision_try(struct ac_node *n, int64_t sub_id, const struct ac_definition *def,
                     int64_t row)
{
    struct ac_submission s;
    int err = ac_store_submission_get(n->store, sub_id, &s);
    if (err)
        return err;
    struct ac_assignment_row *as = NULL;
    size_t nas = 0, ndone = 0, nopen = 0, second = 0;
    err = ac_store_assignment_list(n->store, sub_id, 0, 0, -1, &as, &nas);
    struct ac_review *reviews = calloc(nas + 1, sizeof *reviews);
    if (!err && !reviews)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nas; i++) {
        if (ac__assignment_open(as[i].state))
            nopen++;
        if (as[i].state == AC_ASG_DONE) {
            second += as[i].second_master != 0;
            reviews[ndone++] = (struct ac_review){as[i].levels, as[i].n_levels};
        }
    }
    if (!err && s.state == AC_SUB_IN_REVIEW && nopen == 0 && ndone >= s.need) {
        struct ac_decision d;
        err = ac_scoring_decide(def, reviews, ndone, &d);
        if (!err && second)
            err = second_master_check(def, reviews, ndone, &d);
        if (!err && d.kind == AC_NEED_MORE) {
            err = ac_store_submission_set_need(n->store, sub_id, (unsigned)ndone + d.more);
            if (!err)
                err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
            if (!err)
                err = audit(
                    n, "submission", sub_id, 0, "more_reviewers",
                    json_pack("{s:I, s:s}", "more", (json_int_t)d.more, "reason", "disagreement"));
        } else if (!err && d.kind == AC_ESCALATE) {
            char body[400];
            json_t *j =
                json_pack("{s:I, s:s}", "submission", (json_int_t)sub_id, "reason", d.reason);
            char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
            snprintf(body, sizeof body,
                     "Submission %" PRId64 " for %s needs your decision: %s\n"
                     "  accordctl flag list\n",
                     sub_id, s.credential_id, d.reason);
            err = detail ? 0 : AC_ENOMEM;
            if (!err)
                err = ac_store_submission_set_state(n->store, sub_id, AC_SUB_ESCALATED);
            if (!err)
                err = ac_store_flag_add(n->store, "escalation", s.credential_id, sub_id, 0, detail,
                                        ac_clock_now_ms(), NULL);
            if (!err)
                err = ac__notify_admins(n, "flag", sub_id, "Submission escalated", body);
            free(detail);
            if (!err)
                err = audit(n, "submission", sub_id, 0, "escalated", j);
            else
                json_decref(j);
        } else if (!err) {
            err = ac__decision_conclude(n, &s, def, row, (int)d.level, d.pass, d.reason, 0);
        }
    }
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    free(reviews);
    ac_submission_release(&s);
    return err;
}

/* ---- jobs ---- */

int ac__decision_job_resubmit_open(struct ac_node *n, const struct ac_job *job)
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

/* Tells the earner of passed submission |s| that its record waits for a
 * verified e-mail address, and audits it, inside the issue job's
 * transaction. */
static int wait_for_email(struct ac_node *n, const struct ac_submission *s,
                          const struct ac_definition *def)
{
    char subject[200], body[700];
    snprintf(subject, sizeof subject, "Your record for %s waits for your e-mail address",
             def->title);
    snprintf(body, sizeof body,
             "You passed \"%s\" (submission %" PRId64 "). Your credential record names you "
             "by your verified e-mail address (as a salted hash), and your account has none "
             "yet. Give it, then open the link mailed to it:\n\n"
             "  accordctl user email me ADDRESS\n\n"
             "The record is issued as soon as the address is verified.\n",
             def->title, s->id);
    int err = ac_store_notify_add(n->store, s->earner_id, "record_waiting", s->id, subject, body,
                                  ac_clock_now_ms(), NULL);
    if (!err)
        err = audit(n, "submission", s->id, 0, "record_waiting",
                    json_pack("{s:s}", "reason", "no verified e-mail address"));
    if (!err)
        ac_log_info("review",
                    "submission %" PRId64 " passed; its record waits for user %" PRId64
                    " to verify an e-mail address",
                    s->id, s->earner_id);
    return err;
}

/* Issues the record of a passed submission, exactly once. The record (its
 * own store transaction nests here as a savepoint), the submission's link to
 * it, the audit row and the job's done mark commit together, so a crash
 * leaves all of them or none; a re-run (a crash before the commit, a second
 * fire) finds the link and issues nothing. */
int ac__decision_job_issue(struct ac_node *n, const struct ac_job *job)
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
        err = ac__review_definition(n, s.credential_id, s.credential_version, NULL, NULL, &def);
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
        char email[AC_USER_EMAIL_MAX + 1];
        int waits = 0;
        if (err == AC_ENOENT) {
            int e = ac__users_verified_email(n, s.earner_id, email, NULL);
            if (e == AC_ECONFLICT) {
                /* The pass stands; the record, which names the earner by a
                 * verified address, waits for one: verifying it queues this
                 * job again (accounts/email.c). */
                err = wait_for_email(n, &s, def);
                waits = 1;
            } else if (e) {
                err = e;
            }
        }
        if (!waits && err == AC_ENOENT) {
            char evidence[160];
            snprintf(evidence, sizeof evidence, "submission %" PRId64 " reviewed on %s", s.id,
                     n->cfg->node_id);
            struct ac__issue_req req = {.email = email,
                                        .earner_id = s.earner_id,
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
            if (!err) /* lifecycle/stacks.c: a completed stack earns its own record */
                err = ac__stacks_after_issue(n, s.earner_id, s.credential_id);
            if (!err)
                err = audit(n, "submission", s.id, 0, "record_issued",
                            json_pack("{s:I}", "record", (json_int_t)rec));
        } else if (!err && !waits) {
            ac_log_info("review",
                        "submission %" PRId64 " already has record %" PRId64 "; not issuing again",
                        s.id, rec);
        }
    }
    if (!err)
        err = ac_store_job_done(n->store, job->id, ac_clock_now_ms());
    err = ac__scheduler_commit(n, err);
    if (err && issued && !ac_store_tx_open(n->store) && !ac_fiber_on()) {
        /* The record was rolled back with the rest, but the records state in
         * memory (tree head, status list, checkpoint) already counted it:
         * reload it from the store, which is the truth. The reload swaps
         * the state only when it succeeds; otherwise the old one serves on.
         * Only outermost and on the loop (an inline tick): nested in a
         * request group (a task on the write fiber) a reload would see the
         * group's other uncommitted writes and publish a checkpoint of them
         * (and note it on disk) before the group's outcome is known, and
         * ac__records_open() yields mid-build while the loop serves
         * checkpoint reads. There the next issue follows the stored head
         * instead (records/issue.c), as after an admin's issue whose group
         * did not commit. */
        int e = ac__records_open(n);
        if (e)
            ac_log_error("review", "cannot reload the records state (keeping the old): %s",
                         ac_strerror(e));
    }
    ac_def_free(def);
    ac_submission_release(&s);
    return err;
}
