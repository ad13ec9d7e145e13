/* appeals.c - appeals of decided submissions (appeals.h): the window check,
 * sending an appeal to a master who did not review the work, and the
 * decision, each in one transaction with its audit row and notification. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/certification.h"
#include "accord/store/assignment.h"
#include "accord/store/notify.h"
#include "accord/store/reviewer.h"
#include "accord/store/team.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "review/appeals.h"
#include "review/review.h"

#define DAY_MS (24LL * 3600 * 1000)

static int finish(struct ac_node *n, int err)
{
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

static int audit(struct ac_node *n, int64_t sub_id, int64_t actor, const char *action,
                 json_t *detail)
{
    int err = detail ? ac_audit_id(n, "submission", sub_id, actor, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

int ac_appeal_open(struct ac_node *n, const struct ac_user *actor, int64_t sub_id,
                   const char *reason, struct ac_appeal *out, struct ac_reason *why)
{
    int err = ac__need_role(actor, AC_ROLE_EARNER, why);
    if (err)
        return err;
    if (!reason || !reason[0] || strlen(reason) > AC_APPEAL_REASON_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "reason",
                              "reason: required; say why the decision is wrong, in 1-%d bytes",
                              AC_APPEAL_REASON_MAX);
    struct ac_submission s;
    if ((err = ac_store_submission_get(n->store, sub_id, &s)) != 0)
        return err;
    struct ac_definition *def = NULL;
    if (s.earner_id != actor->id)
        err = AC_ENOENT;
    else if (s.state != AC_SUB_DECIDED && s.state != AC_SUB_NOTIFIED)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "submission",
                             "submission %" PRId64 " is %s; only a decided submission can be "
                             "appealed",
                             sub_id, ac_sub_state_name(s.state));
    else
        err = ac__review_definition(n, s.credential_id, s.credential_version, NULL, NULL, &def);
    int64_t now = ac_clock_now_ms();
    if (!err && def->appeal_window_days == 0)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "submission",
                             "%s takes no appeals (its review.appeal_window_days is 0)",
                             s.credential_id);
    if (!err && now > s.decided_ms + (int64_t)def->appeal_window_days * DAY_MS) {
        char when[21];
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "submission",
                             "the appeal window of submission %" PRId64 " (%u days) closed at %s",
                             sub_id, def->appeal_window_days,
                             ac_clock_format(s.decided_ms +
                                                 (int64_t)def->appeal_window_days * DAY_MS,
                                             when));
    }
    if (!err && (err = ac_store_tx_begin(n->store)) == 0) {
        int64_t id = 0;
        err = ac_store_appeal_create(n->store, sub_id, actor->id, reason, now, &id);
        if (err == AC_EEXIST)
            ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "submission",
                           "submission %" PRId64 " was appealed already; one appeal each",
                           sub_id);
        if (!err)
            err = audit(n, sub_id, actor->id, "appealed",
                        json_pack("{s:I, s:s}", "appeal", (json_int_t)id, "reason", reason));
        if (!err) {
            char body[1200];
            snprintf(body, sizeof body,
                     "The earner of submission %" PRId64 " (%s) appeals its decision:\n  %.400s\n"
                     "Send it to a master who did not review it, or decide it:\n"
                     "  POST /v1/appeals/%" PRId64 "/assign | /decide\n",
                     sub_id, s.credential_id, reason, id);
            err = ac__notify_admins(n, "appeal", sub_id, "An earner appeals a decision", body);
        }
        if (!err)
            err = ac_store_appeal_get(n->store, id, out);
        err = finish(n, err);
    }
    ac_def_free(def);
    ac_submission_release(&s);
    return err;
}

int ac_appeal_assign(struct ac_node *n, const struct ac_user *actor, int64_t id,
                     int64_t master_id, struct ac_appeal *out, struct ac_reason *why)
{
    int err = ac__need_role(actor, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    struct ac_appeal ap;
    if ((err = ac_store_appeal_get(n->store, id, &ap)) != 0)
        return err;
    struct ac_submission s;
    int have_sub = (err = ac_store_submission_get(n->store, ap.submission_id, &s)) == 0;
    int64_t *revs = NULL;
    size_t nrevs = 0;
    if (!err && ap.state != AC_APPEAL_OPEN)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                             "appeal %" PRId64 " is %s; only an open appeal is sent to a master",
                             id, ac_appeal_state_name(ap.state));
    if (!err)
        err = ac_store_submission_reviewers(n->store, ap.submission_id, &revs, &nrevs);
    for (size_t i = 0; !err && i < nrevs; i++)
        if (revs[i] == master_id)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "master_id",
                                 "master_id: user %" PRId64 " reviewed submission %" PRId64
                                 "; an appeal goes to someone who did not",
                                 master_id, ap.submission_id);
    if (!err) {
        struct ac_credential c;
        struct ac_reviewer_cert rc = {0};
        int certified = 0;
        if (ac_store_credential_find(n->store, s.credential_id, s.credential_version, &c) == 0) {
            certified = ac_store_reviewer_cert_get(n->store, c.id, master_id, &rc) == 0 &&
                        rc.state == AC_RCERT_CERTIFIED;
            ac_reviewer_cert_release(&rc);
            ac_credential_release(&c);
        }
        if (!certified)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "master_id",
                                 "master_id: user %" PRId64 " is not a certified reviewer of "
                                 "%s@%" PRId64,
                                 master_id, s.credential_id, s.credential_version);
    }
    if (!err && (err = ac_store_tx_begin(n->store)) == 0) {
        err = ac_store_appeal_assign(n->store, id, master_id);
        if (!err)
            err = audit(n, ap.submission_id, actor->id, "appeal_assigned",
                        json_pack("{s:I, s:I}", "appeal", (json_int_t)id, "master",
                                  (json_int_t)master_id));
        if (!err) {
            char body[1200];
            snprintf(body, sizeof body,
                     "You are asked to decide an appeal of a %s submission you did not review.\n"
                     "The earner says: %.400s\n"
                     "  GET /v1/appeals/%" PRId64 "   then POST /v1/appeals/%" PRId64 "/decide\n",
                     s.credential_id, ap.reason, id, id);
            err = ac_store_notify_add(n->store, master_id, "appeal", ap.submission_id,
                                      "An appeal for you to decide", body, ac_clock_now_ms(),
                                      NULL);
        }
        if (!err)
            err = ac_store_appeal_get(n->store, id, out);
        err = finish(n, err);
    }
    free(revs);
    if (have_sub)
        ac_submission_release(&s);
    ac_appeal_release(&ap);
    return err;
}

int ac_appeal_decide(struct ac_node *n, const struct ac_user *actor, int64_t id,
                     const char *level, const char *note, struct ac_appeal *out,
                     struct ac_reason *why)
{
    struct ac_appeal ap;
    int err = ac_store_appeal_get(n->store, id, &ap);
    if (err)
        return err;
    int is_admin = (actor->roles & AC_ROLE_ADMIN) != 0;
    struct ac_submission s;
    int have_sub = 0;
    struct ac_definition *def = NULL;
    int64_t row = 0;
    if (!is_admin && !(ap.state == AC_APPEAL_ASSIGNED && ap.master_id == actor->id))
        err = AC_ENOENT; /* someone else's appeal is as unknown as a missing one */
    else if (ap.state != AC_APPEAL_OPEN && ap.state != AC_APPEAL_ASSIGNED)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                             "appeal %" PRId64 " was %s already", id,
                             ac_appeal_state_name(ap.state));
    if (!err)
        have_sub = (err = ac_store_submission_get(n->store, ap.submission_id, &s)) == 0;
    if (!err)
        err = ac__review_definition(n, s.credential_id, s.credential_version, &row, NULL, &def);
    long lv = -1;
    if (!err && level) {
        lv = ac_def_level_index(def, level);
        if (lv < 0)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "level",
                                 "level: \"%s\" is not a level of %s", level, s.credential_id);
        else if (lv == s.level)
            lv = -1; /* the same level: the decision stands */
        else if (s.passed && (size_t)lv < def->passing_level)
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "level",
                                 "level: submission %" PRId64 " passed and its record is "
                                 "issued; a pass is withdrawn by revoking the record, not by "
                                 "an appeal",
                                 ap.submission_id);
    }
    if (!err && (err = ac_store_tx_begin(n->store)) == 0) {
        enum ac_appeal_state st = lv < 0 ? AC_APPEAL_UPHELD : AC_APPEAL_OVERTURNED;
        int64_t now = ac_clock_now_ms();
        err = ac_store_appeal_decide(n->store, id, st, (int)lv, note, actor->id, now);
        if (!err)
            err = audit(n, ap.submission_id, actor->id, "appeal_decided",
                        json_pack("{s:I, s:s, s:s?, s:s}", "appeal", (json_int_t)id, "outcome",
                                  ac_appeal_state_name(st), "level",
                                  lv < 0 ? NULL : def->levels[lv], "note", note ? note : ""));
        /* An overturned decision is concluded again like any decision: the
         * earner is told, and a pass is issued its record. */
        if (!err && lv >= 0)
            err = ac__decision_conclude(n, &s, def, row, (int)lv,
                                        (size_t)lv >= def->passing_level, "appeal", actor->id);
        if (!err && lv < 0) {
            char body[1200];
            snprintf(body, sizeof body,
                     "Your appeal of submission %" PRId64 " (%s) was decided: the decision "
                     "(%s) stands.\n%s%s\n",
                     ap.submission_id, s.credential_id,
                     s.level >= 0 && (size_t)s.level < def->n_levels ? def->levels[s.level] : "-",
                     note && note[0] ? "Why: " : "", note ? note : "");
            err = ac_store_notify_add(n->store, ap.earner_id, "appeal", ap.submission_id,
                                      "Your appeal was decided", body, now, NULL);
        }
        if (!err)
            err = ac_store_appeal_get(n->store, id, out);
        err = finish(n, err);
    }
    ac_def_free(def);
    if (have_sub)
        ac_submission_release(&s);
    ac_appeal_release(&ap);
    return err;
}
