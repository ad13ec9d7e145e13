/* approvals.c - the approvals service: an earner asks a recognizer whose
 * policy requires it to approve pursuing a credential; that recognizer
 * approves or denies. Each change audited. */
#include <stdio.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store_recognition.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "internal.h"
#include "recognition/recognition.h"

/* Ends the transaction of a service: commits when |err| is 0, else rolls
 * back. Returns |err| or the commit's error. */
static int finish(struct ac_node *n, int err)
{
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

int ac__approvals_request(struct ac_node *n, const struct ac_user *by, int64_t recognizer_id,
                          const char *issuer, const char *credential_id, const char *note,
                          struct ac_approval *out, struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_EARNER, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    /* The policy is read inside the transaction, so it cannot be retired
     * between the check and the request. */
    struct ac_policy pol[AC_PURPOSE_COUNT];
    size_t np = 0;
    err = ac_store_policy_match(n->store, recognizer_id, issuer, credential_id, pol,
                                AC_PURPOSE_COUNT, &np);
    const struct ac_policy *need = NULL;
    for (size_t i = 0; !err && i < np && !need; i++)
        if (pol[i].requires_approval)
            need = &pol[i];
    if (!err && !need)
        err = ac_reason_fail(
            why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "credential_id",
            np ? "credential_id: recognizer %lld counts %s from %s without approval; there is "
                 "nothing to ask"
               : "credential_id: recognizer %lld has no active policy for %s from %s, so it "
                 "has nothing to approve",
            (long long)recognizer_id, credential_id, issuer);
    if (!err) {
        err = ac_store_approval_request(n->store, by->id, need->id, note, ac_clock_now_ms(), out);
        if (err == AC_EEXIST)
            ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "credential_id",
                           "credential_id: you already have a pending or approved request to "
                           "recognizer %lld for %s; a new one is possible after a denial",
                           (long long)recognizer_id, credential_id);
    }
    if (!err) {
        json_t *d = json_pack("{s:I, s:I, s:s, s:s}", "recognizer_id", (json_int_t)recognizer_id,
                              "policy_id", (json_int_t)out->policy_id, "issuer", out->issuer,
                              "credential_id", out->credential_id);
        err = d ? ac_audit_id(n, "approval", out->id, by->id, "request", d) : AC_ENOMEM;
        json_decref(d);
    }
    err = finish(n, err);
    if (err)
        return err;
    ac_log_info("recognition", "approval %lld: %s asks recognizer %lld about %s",
                (long long)out->id, by->name, (long long)recognizer_id, credential_id);
    return 0;
}

int ac__approvals_decide(struct ac_node *n, const struct ac_user *by, int64_t approval_id,
                         int approve, const char *reason, struct ac_approval *out,
                         struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_approval ap;
    err = ac_store_approval_get(n->store, approval_id, &ap);
    /* To anyone who is not a party (nor an admin) it does not exist. */
    if (!err && ap.earner_id != by->id && ap.recognizer_id != by->id &&
        !(by->roles & AC_ROLE_ADMIN))
        err = AC_ENOENT;
    /* An admin may read it, but only the recognizer asked may decide. */
    if (!err && ap.recognizer_id != by->id)
        err = ac_reason_fail(why, AC_EACCES, AC_PROBLEM_FORBIDDEN, "id",
                             "approval %lld is addressed to recognizer %lld, not to you",
                             (long long)ap.id, (long long)ap.recognizer_id);
    if (!err && ap.state != AC_APPROVAL_PENDING)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "decision",
                             "approval %lld was already %s", (long long)ap.id,
                             ac_approval_state_name(ap.state));
    if (!err)
        err = ac_store_approval_decide(n->store, ap.id, by->id, approve, reason, ac_clock_now_ms(),
                                       out);
    if (!err) {
        json_t *d = json_pack("{s:I, s:s, s:s}", "earner_id", (json_int_t)out->earner_id,
                              "credential_id", out->credential_id, "reason", out->reason);
        err = d ? ac_audit_id(n, "approval", out->id, by->id, approve ? "approve" : "deny", d)
                : AC_ENOMEM;
        json_decref(d);
    }
    err = finish(n, err);
    if (err)
        return err;
    ac_log_info("recognition", "approval %lld %s by %s", (long long)out->id,
                ac_approval_state_name(out->state), by->name);
    return 0;
}
