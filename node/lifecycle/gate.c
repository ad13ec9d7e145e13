/* gate.c - the state-transition gate of a credential definition: the
 * transition table (core/review/definition.h) plus the evidence each step
 * needs, and the one write that moves a credential with its audit row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/credential.h"
#include "accord/store/training.h"
#include "audit.h"
#include "lifecycle.h"

int ac__cred_transition_tx(struct ac_node *n, struct ac__cred *c, enum ac_def_state to,
                           bool override, int64_t actor, const json_t *detail)
{
    json_t *d = json_pack("{s:s, s:s, s:b}", "from", ac_def_state_name(c->row.state), "to",
                          ac_def_state_name(to), "override", override);
    if (!d || (detail && json_object_set(d, "evidence", (json_t *)detail))) {
        json_decref(d);
        return AC_ENOMEM;
    }
    int err = ac_store_credential_transition(n->store, c->row.id, c->row.state, to, override,
                                             ac_clock_now_ms());
    if (!err)
        err = ac_audit(n, "credential", c->ref, actor, "transition", d);
    json_decref(d);
    if (err)
        return err;
    ac_log_info("lifecycle", "%s: %s -> %s%s", c->ref, ac_def_state_name(c->row.state),
                ac_def_state_name(to), override ? " (override)" : "");
    c->row.state = to;
    c->def->state = to;
    return 0;
}

/* Hands |*evidence| to |why| as the members of the problem (so the refusal
 * shows the report that refused it) and returns AC_ECONFLICT. */
static int evidence_missing(json_t **evidence, struct ac_reason *why)
{
    ac_reason_extra(why, *evidence);
    *evidence = NULL;
    return AC_ECONFLICT;
}

/* The evidence a step needs beyond the transition table. Returns 0 (with
 * |*evidence| set for the audit row, or NULL), AC_ECONFLICT with an
 * evidence-missing reason, or a store error. */
static int check_evidence(struct ac_node *n, const struct ac__cred *c, enum ac_def_state to,
                          bool override, json_t **evidence, struct ac_reason *why)
{
    const struct ac_definition *d = c->def;
    switch (to) {
    case AC_DEF_PILOTING: {
        const char *names[] = {"impact", "equity", "access", "language", "big_picture"};
        const char *vals[] = {d->audit.impact, d->audit.equity, d->audit.access, d->audit.language,
                              d->audit.big_picture};
        for (size_t i = 0; i < 5; i++)
            if (!vals[i] || !vals[i][0])
                return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_EVIDENCE_MISSING, names[i],
                                      "audit.%s: the framework audit must be answered before "
                                      "piloting (PUT /v1/definitions/%s/audit)",
                                      names[i], c->ref);
        return 0;
    }
    case AC_DEF_BENCHMARKS: {
        bool met = false;
        int err = ac__pilot_report(n, c, evidence, &met);
        if (err || met)
            return err;
        ac_reason_fail(why, 0, AC_PROBLEM_EVIDENCE_MISSING, "pilot",
                       "the pilot of %s does not meet its threshold: %s", c->ref,
                       json_string_value(json_object_get(*evidence, "verdict")));
        return evidence_missing(evidence, why);
    }
    case AC_DEF_TRAINING: {
        bool ok = false;
        int err = ac__bench_report(n, c, evidence, &ok);
        if (err || ok)
            return err;
        ac_reason_fail(why, 0, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks",
                       "the benchmark database of %s is not sufficient: %s", c->ref,
                       json_string_value(json_object_get(*evidence, "verdict")));
        return evidence_missing(evidence, why);
    }
    case AC_DEF_RECRUITING: {
        char *text;
        int64_t at;
        int err = ac_store_general_get(n->store, &text, &at);
        if (err == AC_ENOENT)
            return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_EVIDENCE_MISSING, "general_module",
                                  "the node has no general module yet; an admin writes it with "
                                  "PUT /v1/general-module before recruiting");
        if (err)
            return err;
        free(text);
        err = ac_store_training_get(n->store, c->row.id, &text, &at);
        if (err == AC_ENOENT)
            return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                                  "training module does not exist");
        if (err)
            return err;
        free(text);
        return 0;
    }
    case AC_DEF_ACTIVE: {
        struct ac_pool_activation act;
        int err = ac__pool_status(n, c, override, evidence, &act);
        if (err || act.activate)
            return err;
        ac_reason_fail(why, 0, AC_PROBLEM_EVIDENCE_MISSING, "pool", "%s: %s", c->ref, act.reason);
        return evidence_missing(evidence, why);
    }
    default:
        return 0;
    }
}

/* Starting a pilot names the statistic and threshold that will judge it.
 * Returns 0 or AC_EINVAL with a reason. */
static int check_pilot_rule(const struct ac_transition_req *req, struct ac_reason *why)
{
    static const char *const stats[] = {"exact",           "adjacent",
                                        "cohen_kappa",     "linear_kappa",
                                        "quadratic_kappa", "krippendorff_ordinal",
                                        "gwet_ac1",        "pass_boundary",
                                        NULL};
    int known = 0;
    for (size_t i = 0; req->statistic && stats[i]; i++)
        known |= strcmp(req->statistic, stats[i]) == 0;
    if (!known)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "pilot.statistic",
                              "pilot.statistic: \"%s\" is not one of exact, adjacent, "
                              "cohen_kappa, linear_kappa, quadratic_kappa, krippendorff_ordinal, "
                              "gwet_ac1, pass_boundary",
                              req->statistic ? req->statistic : "(missing)");
    /* NaN (no number given) fails both comparisons, so it is refused too. */
    if (!(req->threshold >= -1 && req->threshold <= 1))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "pilot.threshold",
                              "pilot.threshold: a number from -1 to 1 (the issuer's minimum for "
                              "%s)",
                              req->statistic);
    return 0;
}

int ac_definition_transition(struct ac_node *n, const struct ac_user *actor, const char *ref,
                             const struct ac_transition_req *req, struct ac__cred *out,
                             json_t **evidence, struct ac_reason *why)
{
    *evidence = NULL;
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    if (req->override && req->to != AC_DEF_ACTIVE) {
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "override",
                             "override: a boolean, allowed only with \"to\": \"active\"");
        goto out;
    }
    char rule[200];
    if (ac_def_transition_check(out->row.state, req->to, rule, sizeof rule)) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_TRANSITION_NOT_ALLOWED, "to", "%s: %s",
                             out->ref, rule);
        goto out;
    }
    if (req->to == AC_DEF_PILOTING && (err = check_pilot_rule(req, why)) != 0)
        goto out;
    if ((err = check_evidence(n, out, req->to, req->override, evidence, why)) != 0)
        goto out;
    /* Entering training builds the module in the same transaction, so
     * recruiting can never open on a credential without one. */
    err = ac_store_tx_begin(n->store);
    if (!err) {
        if (req->to == AC_DEF_TRAINING)
            err = ac__training_generate_tx(n, out, actor->id);
        if (!err && req->to == AC_DEF_PILOTING) {
            int64_t round;
            err = ac_store_credential_pilot_round(n->store, out->row.id, req->statistic,
                                                  req->threshold, ac_clock_now_ms(), &round);
        }
        if (!err)
            err = ac__cred_transition_tx(n, out, req->to, req->override, actor->id, *evidence);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ERANGE)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks",
                             "too few resolved benchmark items to draw the training examples");
    else if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_WRONG_STATE, "state",
                       "%s changed state meanwhile; read it again", out->ref);
    if (!err)
        err = ac__cred_refresh(n, out);
out:
    if (err) {
        json_decref(*evidence);
        *evidence = NULL;
        ac__cred_release(out);
    }
    return err;
}
