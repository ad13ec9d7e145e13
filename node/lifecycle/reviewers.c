/* reviewers.c - reviewers from profile to the pool as services: profiles,
 * credentials held elsewhere, applications screened automatically where the
 * node can check ("holds credential X") and by an admin otherwise, and the
 * pool against the sizing formula (core/review/pool.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/certify.h"
#include "accord/review/pool.h"
#include "accord/store/certification.h"
#include "accord/store/credential.h"
#include "accord/store/lending.h"
#include "accord/store/notify.h"
#include "accord/store/reviewer.h"
#include "accord/store/user.h"
#include "audit.h"
#include "federation/cert.h"
#include "lifecycle.h"
#include "review/review.h"

#define MAX_ANSWERS_BYTES 4096

/* The audit detail of a profile edit: the members the patch set, as given. */
static json_t *patch_json(const struct ac_profile_patch *p)
{
    json_t *d = json_object();
    int bad = !d;
    if (!bad && p->school)
        bad |= json_object_set_new(d, "school", json_string(p->school));
    if (!bad && p->district)
        bad |= json_object_set_new(d, "district", json_string(p->district));
    if (!bad && p->domains) {
        json_t *dom = json_loads(p->domains, 0, NULL);
        bad |= !dom || json_object_set_new(d, "domains", dom);
    }
    if (!bad && p->has_available)
        bad |= json_object_set_new(d, "available", json_boolean(p->available));
    if (!bad && p->has_until)
        bad |= json_object_set_new(d, "unavailable_until",
                                   p->until_given ? json_string(p->until_given) : json_null());
    if (bad) {
        json_decref(d);
        return NULL;
    }
    return d;
}

int ac_reviewer_profile_put(struct ac_node *n, const struct ac_user *actor,
                            const struct ac_profile_patch *patch, struct ac_reviewer_profile *out,
                            struct ac_reason *why)
{
    int err = ac__actor_require(actor, AC_ROLE_REVIEWER, why);
    if (err)
        return err;
    struct ac_reviewer_profile p;
    err = ac_store_reviewer_get(n->store, actor->id, &p);
    if (err == AC_ENOENT) {
        memset(&p, 0, sizeof p);
        p.user_id = actor->id;
        p.available = true;
        strcpy(p.domains, "[]");
    } else if (err) {
        return err;
    }
    const char *names[] = {"school", "district"};
    const char *texts[] = {patch->school, patch->district};
    char *slots[] = {p.school, p.district};
    for (size_t i = 0; i < 2; i++) {
        if (!texts[i])
            continue;
        if (strlen(texts[i]) > AC_REVIEWER_TEXT_MAX)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, names[i],
                                  "%s: text of at most %d bytes", names[i], AC_REVIEWER_TEXT_MAX);
        strcpy(slots[i], texts[i]);
    }
    if (patch->domains) {
        if (strlen(patch->domains) > AC_REVIEWER_DOMAINS_MAX)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "domains",
                                  "domains: a list of non-empty domain names (at most %d bytes "
                                  "as JSON)",
                                  AC_REVIEWER_DOMAINS_MAX);
        strcpy(p.domains, patch->domains);
    }
    if (patch->has_available)
        p.available = patch->available;
    if (patch->has_until)
        p.unavailable_until_ms = patch->until_ms;
    json_t *d = patch_json(patch);
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        int64_t now = ac_clock_now_ms();
        err = ac_store_reviewer_put(n->store, &p, now);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor->id, actor->id, "profile", d);
        /* Available now, or from a set time: the queued work of every
         * credential they serve is offered to them then. */
        if (!err && p.available)
            err = ac__assignment_wake(n, actor->id, now);
        else if (!err && p.unavailable_until_ms > now)
            err = ac__assignment_wake(n, actor->id, p.unavailable_until_ms);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    return err ? err : ac_store_reviewer_get(n->store, actor->id, out);
}

int ac_held_credential_add(struct ac_node *n, const struct ac_user *actor, int64_t user,
                           const char *cred, const char *issuer, struct ac_reason *why)
{
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    struct ac_user u;
    if (user <= 0 || ac_store_user_get(n->store, user, &u) != 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, "user_id",
                              "user_id: no user %lld", (long long)user);
    if (!cred || !*cred || strlen(cred) > AC_CREDENTIAL_ID_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: the definition id held, 1-64 characters");
    json_t *d = json_pack("{s:I, s:s}", "user_id", (json_int_t)user, "credential", cred);
    if (d && issuer && json_object_set_new(d, "issuer", json_string(issuer))) {
        json_decref(d);
        d = NULL;
    }
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_held_add(n->store, user, cred, issuer ? issuer : "", actor->id,
                                ac_clock_now_ms());
        if (!err)
            err = ac_audit_id(n, "reviewer", user, actor->id, "held-credential", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (err == AC_EEXIST)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "credential",
                       "user %lld is already registered as holding %s", (long long)user, cred);
    return err;
}

static const enum ac_def_state open_states[] = {AC_DEF_RECRUITING, AC_DEF_ACTIVE};

/* Screens |actor| for |c| by what the node can check now: sets |*screening|
 * (caller frees) and |*state|. Returns 0, AC_ENOMEM or a store error. */
static int screen(struct ac_node *n, const struct ac_user *actor, const struct ac__cred *c,
                  char **screening_text, enum ac_rcert_state *state)
{
    json_t *screening = json_array();
    int manual = 0, unmet = 0, err = screening ? 0 : AC_ENOMEM;
    for (size_t i = 0; !err && i < c->def->n_quals; i++) {
        const struct ac_def_qualification *q = &c->def->quals[i];
        json_t *v;
        if (q->kind == AC_QUAL_HOLDS_CREDENTIAL) {
            bool holds = false;
            /* Records this node issued count by the earner stored beside
             * them: their subject is a salted hash naming no account. */
            err = ac_store_held_check(n->store, actor->id, q->value, &holds);
            unmet += !holds;
            v = json_pack("{s:s, s:s, s:s, s:b}", "kind", "holds_credential", "value", q->value,
                          "check", "automatic", "met", holds);
        } else {
            manual++;
            v = json_pack("{s:s, s:s, s:s, s:n}", "kind",
                          q->kind == AC_QUAL_DOMAIN ? "domain_expertise" : "manual", "value",
                          q->value, "check", "manual", "met");
        }
        if (!err && json_array_append_new(screening, v))
            err = AC_ENOMEM;
    }
    /* One unmet automatic check rejects at once; the rest waits for an admin. */
    *state = unmet ? AC_RCERT_REJECTED : manual ? AC_RCERT_APPLIED : AC_RCERT_SCREENED;
    *screening_text = err ? NULL : json_dumps(screening, JSON_COMPACT);
    json_decref(screening);
    return err ? err : *screening_text ? 0 : AC_ENOMEM;
}

int ac_reviewer_apply(struct ac_node *n, const struct ac_user *actor, const char *ref,
                      const char *answers_text, struct ac__cred *out, struct ac_reviewer_cert *rc,
                      struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    memset(rc, 0, sizeof *rc);
    int err = ac__actor_require(actor, AC_ROLE_REVIEWER, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    char *screening_text = NULL;
    json_t *d = NULL;
    if (!answers_text)
        answers_text = "{}";
    if ((err = ac__cred_require_state(out, open_states, 2, "apply to review it", why)))
        goto out;
    if (strlen(answers_text) > MAX_ANSWERS_BYTES) {
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "answers",
                             "answers: at most %d bytes", MAX_ANSWERS_BYTES);
        goto out;
    }
    enum ac_rcert_state state;
    if ((err = screen(n, actor, out, &screening_text, &state)))
        goto out;
    d = json_pack("{s:s, s:s}", "credential", out->ref, "state", ac_rcert_state_name(state));
    int64_t now = ac_clock_now_ms();
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        struct ac_reviewer_profile p;
        err = ac_store_reviewer_get(n->store, actor->id, &p);
        if (err == AC_ENOENT) {
            memset(&p, 0, sizeof p);
            p.user_id = actor->id;
            p.available = true;
            err = ac_store_reviewer_put(n->store, &p, now);
        }
        if (!err)
            err = ac_store_reviewer_cert_create(n->store, out->row.id, actor->id, state,
                                                answers_text, screening_text, now);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor->id, actor->id, "apply", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_EEXIST)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ALREADY_APPLIED, NULL,
                             "you already applied to review %s", out->ref);
    if (!err)
        err = ac_store_reviewer_cert_get(n->store, out->row.id, actor->id, rc);
out:
    json_decref(d);
    free(screening_text);
    if (err)
        ac__cred_release(out);
    return err;
}

int ac_reviewer_screen(struct ac_node *n, const struct ac_user *actor, const char *ref,
                       int64_t user, bool approve, const char *reason, struct ac__cred *out,
                       struct ac_reviewer_cert *rc, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    memset(rc, 0, sizeof *rc);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    char *screening_text = NULL;
    json_t *screening = NULL, *d = NULL;
    err = ac_store_reviewer_cert_get(n->store, out->row.id, user, rc);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                       "an application by user %lld does not exist", (long long)user);
    if (err)
        goto out;
    if (rc->state != AC_RCERT_APPLIED) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                             "the application of user %lld to %s is %s; only applied ones are "
                             "screened by hand",
                             (long long)user, out->ref, ac_rcert_state_name(rc->state));
        goto out;
    }
    /* The manual checks take the admin's decision, who made it and why. */
    screening = json_loads(rc->screening, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(screening, i, v)
    {
        const char *check = json_string_value(json_object_get(v, "check"));
        if (check && strcmp(check, "manual") == 0) {
            json_object_set_new(v, "met", json_boolean(approve));
            json_object_set_new(v, "by", json_integer(actor->id));
            if (reason)
                json_object_set_new(v, "reason", json_string(reason));
        }
    }
    screening_text = screening ? json_dumps(screening, JSON_COMPACT) : NULL;
    enum ac_rcert_state to = approve ? AC_RCERT_SCREENED : AC_RCERT_REJECTED;
    d = json_pack("{s:s, s:s, s:s}", "credential", out->ref, "state", ac_rcert_state_name(to),
                  "reason", reason ? reason : "");
    err = screening_text && d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_reviewer_cert_transition(n->store, out->row.id, user, AC_RCERT_APPLIED, to,
                                                screening_text, ac_clock_now_ms());
        if (!err)
            err = ac_audit_id(n, "reviewer", user, actor->id, "screen", d);
        if (!err)
            err = ac__cert_stand_in_changed(n, out->row.id, user);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    ac_reviewer_cert_release(rc);
    if (!err)
        err = ac_store_reviewer_cert_get(n->store, out->row.id, user, rc);
out:
    json_decref(d);
    json_decref(screening);
    free(screening_text);
    if (err) {
        ac_reviewer_cert_release(rc);
        ac__cred_release(out);
    }
    return err;
}

int ac_reviewer_reinstate(struct ac_node *n, const struct ac_user *actor, const char *ref,
                          int64_t user, const char *reason, struct ac__cred *out,
                          struct ac_reviewer_cert *rc, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    memset(rc, 0, sizeof *rc);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    json_t *d = NULL;
    err = ac_store_reviewer_cert_get(n->store, out->row.id, user, rc);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL, "user %lld is not a reviewer of %s",
                       (long long)user, out->ref);
    if (err)
        goto out;
    enum ac_rcert_state from = rc->state;
    if (from != AC_RCERT_UNAVAILABLE && from != AC_RCERT_RETRAINING) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                             "reviewer %lld of %s is %s; only a reviewer monitoring set "
                             "unavailable or sent to retraining is reinstated",
                             (long long)user, out->ref, ac_rcert_state_name(from));
        goto out;
    }
    d = json_pack("{s:s, s:s, s:s}", "credential", out->ref, "from", ac_rcert_state_name(from),
                  "reason", reason ? reason : "");
    char subject[200], body[600];
    snprintf(subject, sizeof subject, "You are back in the review pool of %s", out->ref);
    snprintf(body, sizeof body,
             "The issuer reinstated you as a reviewer of %s (you were %s)%s%s.\n"
             "New work will be offered to you as it comes.\n",
             out->ref, ac_rcert_state_name(from), reason && reason[0] ? ": " : "",
             reason ? reason : "");
    int64_t now = ac_clock_now_ms();
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_reviewer_cert_transition(n->store, out->row.id, user, from,
                                                AC_RCERT_CERTIFIED, NULL, now);
        if (!err)
            err = ac_store_notify_add(n->store, user, "reinstated", 0, subject, body, now, NULL);
        if (!err)
            err = ac__assignment_wake(n, user, now);
        if (!err)
            err = ac_audit_id(n, "reviewer", user, actor->id, "reinstate", d);
        if (!err)
            err = ac__cert_stand_in_changed(n, out->row.id, user);
        if (!err)
            err = ac__scheduler_commit(n, 0);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_WRONG_STATE, "state",
                       "reviewer %lld of %s changed state meanwhile", (long long)user, out->ref);
    ac_reviewer_cert_release(rc);
    if (!err)
        err = ac_store_reviewer_cert_get(n->store, out->row.id, user, rc);
out:
    json_decref(d);
    if (err) {
        ac_reviewer_cert_release(rc);
        ac__cred_release(out);
    }
    return err;
}

/* ---- pool ---- */

int ac__pool_status(struct ac_node *n, const struct ac__cred *c, bool override, json_t **out,
                    struct ac_pool_activation *act)
{
    int64_t certified, borrowed = 0;
    int err = ac_store_reviewer_cert_count(n->store, c->row.id, AC_RCERT_CERTIFIED, &certified);
    /* Borrowed reviewers (stand-ins certified here) count toward the pool
     * like own ones: the sizing formula asks for certified capacity, not
     * for where it lives (docs/borrowing.md). */
    if (!err)
        err = ac_store_borrowed_certified_count(n->store, c->row.id, &borrowed);
    if (err)
        return err;
    err = ac_pool_activation(c->def, (uint64_t)certified, override, act);
    if (err)
        return err;
    const struct ac_definition *d = c->def;
    double guess = 0;
    json_t *g =
        ac_cert_guess_probability(d->n_levels, d->passing_level, d->training.sample_per_level,
                                  d->training.pass_rule, d->training.n_pass_rule, &guess) == 0
            ? json_real(guess)
            : json_null();
    *out = json_pack("{s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:b, s:s, s:o}", "credential",
                     c->ref, "state", ac_def_state_name(c->row.state), "certified",
                     (json_int_t)certified, "minimum", (json_int_t)act->minimum, "formula",
                     "submissions_per_period", (json_int_t)d->pool.submissions_per_period,
                     "reviews_per_submission", (json_int_t)d->per_submission,
                     "assignments_per_reviewer", (json_int_t)d->pool.assignments_per_reviewer,
                     "period_days", (json_int_t)d->pool.period_days, "may_activate", act->activate,
                     "reason", act->reason, "guess_pass_probability", g);
    if (*out && (json_object_set_new(*out, "own", json_integer(certified - borrowed)) ||
                 json_object_set_new(*out, "borrowed", json_integer(borrowed)))) {
        json_decref(*out);
        *out = NULL;
    }
    return *out ? 0 : AC_ENOMEM;
}
