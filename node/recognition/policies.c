/* policies.c - the policies service: a recognizer creates and retires the
 * policies that say which credentials count for it, each change audited. A
 * policy may name a federation peer's credential by (peer node id,
 * credential id, content hash), checked against the peer's signed catalog. */
#include <stdio.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/store_recognition.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "federation/federation.h"
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

int ac__policies_create(struct ac_node *n, const struct ac_user *by, struct ac_policy *p,
                        struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, why);
    if (err)
        return err;
    p->recognizer_id = by->id;
    if (p->content_hash[0]) {
        /* A peer's credential named by (node id, credential id, content
         * hash): the hash must be one the peer's signed catalog lists, which
         * gives the version it pins and the issuer its records carry. */
        int64_t version = 0;
        err = ac__fed_catalog_find(n, p->peer, p->credential_id, p->content_hash, p->issuer,
                                   sizeof p->issuer, &version, why);
        if (err)
            return err;
        p->min_version = (uint64_t)version;
    }
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_policy_create(n->store, p, ac_clock_now_ms());
    if (err == AC_EEXIST)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "credential_id",
                       "you already have an active %s policy for %s from %s; retire it first",
                       ac_purpose_name(p->purpose), p->credential_id, p->issuer);
    if (!err) {
        json_t *d =
            json_pack("{s:s, s:s, s:I, s:s, s:b, s:o}", "issuer", p->issuer, "credential_id",
                      p->credential_id, "min_version", (json_int_t)p->min_version, "purpose",
                      ac_purpose_name(p->purpose), "requires_approval", p->requires_approval,
                      "ceu_hundredths", p->has_ceu ? json_integer(p->ceu_hundredths) : json_null());
        if (d && p->content_hash[0]) {
            json_object_set_new(d, "peer", json_string(p->peer));
            json_object_set_new(d, "content_hash", json_string(p->content_hash));
        }
        err = d ? ac_audit_id(n, "policy", p->id, by->id, "create", d) : AC_ENOMEM;
        json_decref(d);
    }
    err = finish(n, err);
    if (err)
        return err;
    ac_log_info("recognition", "policy %lld (%s %s from %s) created by %s", (long long)p->id,
                ac_purpose_name(p->purpose), p->credential_id, p->issuer, by->name);
    return 0;
}

int ac__policies_retire(struct ac_node *n, const struct ac_user *by, int64_t policy_id,
                        struct ac_policy *out, struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_RECOGNIZER, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_policy p;
    err = ac_store_policy_get(n->store, policy_id, &p);
    int was_retired = !err && p.retired_ms != 0;
    /* Another recognizer's policy answers as if it did not exist. */
    if (!err)
        err = ac_store_policy_retire(n->store, policy_id, by->id, ac_clock_now_ms());
    if (!err) {
        json_t *d = json_pack("{s:s, s:s, s:b}", "issuer", p.issuer, "credential_id",
                              p.credential_id, "already_retired", was_retired);
        err = d ? ac_audit_id(n, "policy", policy_id, by->id, "retire", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (!err)
        err = ac_store_policy_get(n->store, policy_id, out);
    err = finish(n, err);
    if (err)
        return err;
    ac_log_info("recognition", "policy %lld retired by %s", (long long)policy_id, by->name);
    return 0;
}
