/* suspend.c - an issuer's admin suspends or decertifies a certified reviewer
 * by hand, as monitoring does on its own (node/review/monitoring.c): out of
 * the pool, told why, audited; a stand-in's home node hears it as a signed
 * cert.state. */
#include <stdio.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/certification.h"
#include "accord/store/notify.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "audit.h"
#include "federation/cert.h"
#include "suspend.h"

#define REASON_MAX 500

int ac_reviewer_suspend(struct ac_node *n, const struct ac_user *actor, const char *ref,
                        int64_t user, bool decertify, const char *reason, struct ac__cred *out,
                        struct ac_reviewer_cert *rc, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    memset(rc, 0, sizeof *rc);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    if (!reason || !reason[0] || strlen(reason) > REASON_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "reason",
                              "reason: required text of at most %d bytes saying why", REASON_MAX);
    if ((err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    err = ac_store_reviewer_cert_get(n->store, out->row.id, user, rc);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL, "user %lld is not a reviewer of %s",
                       (long long)user, out->ref);
    if (!err && rc->state != AC_RCERT_CERTIFIED)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                             "reviewer %lld of %s is %s; only a certified reviewer is %s",
                             (long long)user, out->ref, ac_rcert_state_name(rc->state),
                             decertify ? "decertified" : "suspended");
    enum ac_rcert_state to = decertify ? AC_RCERT_RETRAINING : AC_RCERT_UNAVAILABLE;
    json_t *d = err ? NULL
                    : json_pack("{s:s, s:s, s:s}", "credential", out->ref, "state",
                                ac_rcert_state_name(to), "reason", reason);
    struct ac_remote_reviewer remote;
    int stand_in = 0;
    if (!err) {
        err = ac_store_remote_reviewer_get(n->store, user, &remote);
        stand_in = !err;
        if (err == AC_ENOENT)
            err = 0;
    }
    char subject[200], body[1024];
    snprintf(subject, sizeof subject, "You were %s as a reviewer of %s",
             decertify ? "decertified" : "suspended", out->ref);
    snprintf(body, sizeof body,
             decertify ? "The issuer decertified you as a reviewer of %s: %s.\nComplete the "
                         "training module again and pass a new certification attempt to return "
                         "to the pool.\n"
                       : "The issuer suspended you as a reviewer of %s: %s.\nNo new work is "
                         "offered to you until the issuer reinstates you.\n",
             out->ref, reason);
    int64_t now = ac_clock_now_ms();
    if (!err)
        err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_reviewer_cert_transition(n->store, out->row.id, user, AC_RCERT_CERTIFIED, to,
                                                NULL, now);
        /* Retraining ends in a fresh draw: attempts count again from it. */
        if (!err && decertify)
            err = ac_store_reviewer_cert_attempted(n->store, out->row.id, user, 0, 0, now);
        /* A stand-in has no mailbox here: its home node is told instead. */
        if (!err && stand_in)
            err = ac__cert_stand_in_changed(n, out->row.id, user);
        else if (!err)
            err = ac_store_notify_add(n->store, user, decertify ? "decertified" : "suspended", 0,
                                      subject, body, now, NULL);
        if (!err)
            err =
                ac_audit_id(n, "reviewer", user, actor->id, decertify ? "decertify" : "suspend", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
        if (err == AC_ECONFLICT)
            ac_reason_fail(why, err, AC_PROBLEM_WRONG_STATE, "state",
                           "reviewer %lld of %s changed state meanwhile", (long long)user,
                           out->ref);
    }
    json_decref(d);
    ac_reviewer_cert_release(rc);
    if (!err)
        err = ac_store_reviewer_cert_get(n->store, out->row.id, user, rc);
    if (err) {
        ac_reviewer_cert_release(rc);
        ac__cred_release(out);
    }
    return err;
}
