/* flags.c - the flags service: the issuer resolves what waits in the flags
 * inbox. A near-duplicate is dismissed (the submission is queued for review)
 * or rejected; an escalation is decided with a final level (the outcome is
 * recorded as any decision is); a monitoring finding is acknowledged. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "review/review.h"

int ac__flag_resolve(struct ac_node *n, int64_t admin_id, int64_t flag_id, const char *action,
                     const char *level, struct ac_reason *why)
{
    struct ac_flag f;
    int err = ac_store_flag_get(n->store, flag_id, &f);
    if (err)
        return err;
    struct ac_submission s = {0};
    struct ac_definition *def = NULL;
    int64_t row = 0;
    if (f.resolved) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                             "flag %" PRId64 " was already resolved: %s", flag_id, f.resolution);
    }
    int escalation = strcmp(f.kind, "escalation") == 0;
    int neardup = strcmp(f.kind, "near_duplicate") == 0;
    if (!err && ((escalation && strcmp(action, "decide") != 0) ||
                 (neardup && strcmp(action, "dismiss") != 0 && strcmp(action, "reject") != 0) ||
                 (!escalation && !neardup && strcmp(action, "acknowledge") != 0))) {
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "action",
                             "action: \"%s\" does not resolve a %s flag; use %s", action, f.kind,
                             escalation ? "\"decide\" with a level"
                             : neardup  ? "\"dismiss\" or \"reject\""
                                        : "\"acknowledge\"");
    }
    if (!err && f.submission_id)
        err = ac_store_submission_get(n->store, f.submission_id, &s);
    if (!err && f.submission_id)
        err = ac__review_definition(n, s.credential_id, s.credential_version, &row, NULL, &def);
    long lv = -1;
    if (!err && escalation) {
        lv = level ? ac_def_level_index(def, level) : -1;
        if (lv < 0) {
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "level",
                                 "level: \"%s\" is not a level of %s", level ? level : "", def->id);
        }
    }
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err) {
        ac_def_free(def);
        ac_submission_release(&s);
        ac_flag_release(&f);
        return err;
    }
    char resolution[160];
    snprintf(resolution, sizeof resolution, "%s%s%s", action, lv >= 0 ? ": " : "",
             lv >= 0 ? def->levels[lv] : "");
    err = ac_store_flag_resolve(n->store, flag_id, admin_id, resolution, ac_clock_now_ms());
    if (!err && escalation)
        err = ac__decision_conclude(n, &s, def, row, (int)lv, (size_t)lv >= def->passing_level,
                                    "decided by the issuer after escalation", admin_id);
    if (!err && neardup && strcmp(action, "dismiss") == 0) {
        err = ac_store_submission_set_need(n->store, s.id, def->per_submission);
        if (!err)
            err = ac_store_submission_set_state(n->store, s.id, AC_SUB_QUEUED);
        if (!err)
            err = ac_store_job_add(n->store, "assign", row, ac_clock_now_ms());
    } else if (!err && neardup) {
        err = ac_store_submission_set_state(n->store, s.id, AC_SUB_REJECTED);
    }
    json_t *detail = json_pack("{s:s}", "action", action);
    if (!err)
        err = detail ? ac_audit_id(n, "flag", flag_id, admin_id, "resolved", detail) : AC_ENOMEM;
    json_decref(detail);
    ac_def_free(def);
    ac_submission_release(&s);
    ac_flag_release(&f);
    return ac__scheduler_commit(n, err);
}
