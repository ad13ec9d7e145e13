/* lending.c - the lender's lending policy: reading it from the admin's JSON
 * with errors naming the field, and storing it (audited, with a new capacity
 * offer queued in the same transaction). The check every lend passes is in
 * lending_check.c, below both this file and lending_offer.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/lending.h"
#include "accord/store/remote.h"
#include "accord/store/user.h"
#include "audit.h"
#include "config.h"
#include "federation.h"
#include "internal.h"
#include "lending.h"

#define DAY_MS (24LL * 3600 * 1000)

/* Writes the UTC date of |ms| as "YYYY-MM-DD" into |out|. */
static void date_of(int64_t ms, char out[11])
{
    char t[21];
    ac_clock_format(ms, t);
    memcpy(out, t, 10);
    out[10] = '\0';
}

/* ---- the policy as JSON ---- */

/* Parses "YYYY-MM-DD" (exactly) to the start of that UTC day. */
static int parse_date(const char *s, int64_t *ms)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return AC_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return AC_EINVAL;
    char t[32];
    snprintf(t, sizeof t, "%sT00:00:00Z", s);
    if (ac_clock_parse(t, ms))
        return AC_EINVAL;
    /* ac_clock_parse may accept 2026-02-30 as a day in March; refuse a date
     * that does not format back to itself. */
    char back[11];
    date_of(*ms, back);
    return strcmp(back, s) == 0 ? 0 : AC_EINVAL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_blackout(const void *a, const void *b)
{
    const struct ac_lending_blackout *x = a, *y = b;
    return (x->from_ms > y->from_ms) - (x->from_ms < y->from_ms);
}

static int parse_reviewers(const json_t *v, struct ac_lending_policy *out, struct ac_reason *why)
{
    if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0) {
        out->all_reviewers = true;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > AC_LENDING_REVIEWERS_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "reviewers",
                              "reviewers: \"all\" or a list of 1 to %d reviewer user ids",
                              AC_LENDING_REVIEWERS_MAX);
    size_t i;
    json_t *id;
    json_array_foreach(v, i, id)
    {
        if (!json_is_integer(id) || json_integer_value(id) <= 0)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "reviewers",
                                  "reviewers[%zu]: a user id (a positive integer)", i);
        out->reviewers[i] = json_integer_value(id);
    }
    out->n_reviewers = i;
    qsort(out->reviewers, out->n_reviewers, sizeof out->reviewers[0], cmp_i64);
    for (i = 1; i < out->n_reviewers; i++)
        if (out->reviewers[i] == out->reviewers[i - 1])
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "reviewers",
                                  "reviewers: user %lld is listed twice",
                                  (long long)out->reviewers[i]);
    return 0;
}

static int parse_blackouts(const json_t *v, struct ac_lending_policy *out, struct ac_reason *why)
{
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > AC_LENDING_BLACKOUTS_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "blackouts",
                              "blackouts: a list of at most %d {\"from\": \"YYYY-MM-DD\", "
                              "\"until\": \"YYYY-MM-DD\"}",
                              AC_LENDING_BLACKOUTS_MAX);
    size_t i;
    json_t *b;
    json_array_foreach(v, i, b)
    {
        const char *from = json_string_value(json_object_get(b, "from"));
        const char *until = json_string_value(json_object_get(b, "until"));
        int64_t f = 0, u = 0;
        if (!json_is_object(b) || json_object_size(b) != 2 || parse_date(from, &f))
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "blackouts",
                                  "blackouts[%zu].from: \"%.40s\" is not a date YYYY-MM-DD "
                                  "(each range is {from, until}, both days included)",
                                  i, from ? from : "");
        if (parse_date(until, &u))
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "blackouts",
                                  "blackouts[%zu].until: \"%.40s\" is not a date YYYY-MM-DD", i,
                                  until ? until : "");
        if (u < f)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "blackouts",
                                  "blackouts[%zu]: until %s is before from %s", i, until, from);
        out->blackouts[i].from_ms = f;
        out->blackouts[i].until_ms = u + DAY_MS; /* the last day is included */
    }
    out->n_blackouts = i;
    qsort(out->blackouts, out->n_blackouts, sizeof out->blackouts[0], cmp_blackout);
    return 0;
}

int ac__lending_policy_parse(const json_t *body, struct ac_lending_policy *out,
                             struct ac_reason *why)
{
    static const char *const keys[] = {"reviewers", "monthly_cap", "blackouts", "own_first", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        int known = 0;
        for (size_t i = 0; keys[i]; i++)
            known |= strcmp(keys[i], key) == 0;
        if (!known)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, key,
                                  "%.40s: not a field of a lending policy (reviewers, "
                                  "monthly_cap, blackouts, own_first)",
                                  key);
    }
    out->all_reviewers = false;
    out->n_reviewers = out->n_blackouts = 0;
    int err = parse_reviewers(json_object_get(body, "reviewers"), out, why);
    if (err)
        return err;
    json_t *cap = json_object_get(body, "monthly_cap");
    if (!json_is_integer(cap) || json_integer_value(cap) < 1 ||
        json_integer_value(cap) > AC_LENDING_CAP_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "monthly_cap",
                              "monthly_cap: reviews per reviewer per month, an integer from 1 "
                              "to %d",
                              AC_LENDING_CAP_MAX);
    out->monthly_cap = (uint32_t)json_integer_value(cap);
    if ((err = parse_blackouts(json_object_get(body, "blackouts"), out, why)) != 0)
        return err;
    json_t *own = json_object_get(body, "own_first");
    if (own && !json_is_boolean(own))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "own_first",
                              "own_first: true (a reviewer with open work here is not lent) "
                              "or false");
    out->own_first = own ? json_is_true(own) : true;
    return 0;
}

json_t *ac__lending_policy_json(const struct ac_lending_policy *p)
{
    int failed = 0;
    json_t *rv = p->all_reviewers ? json_string("all") : json_array();
    for (size_t i = 0; rv && !p->all_reviewers && i < p->n_reviewers; i++)
        failed |= json_array_append_new(rv, json_integer(p->reviewers[i]));
    json_t *bo = json_array();
    for (size_t i = 0; bo && i < p->n_blackouts; i++) {
        char from[11], until[11];
        date_of(p->blackouts[i].from_ms, from);
        date_of(p->blackouts[i].until_ms - DAY_MS, until);
        failed |= json_array_append_new(bo, json_pack("{s:s, s:s}", "from", from, "until", until));
    }
    if (failed || !rv || !bo) {
        json_decref(rv);
        json_decref(bo);
        return NULL;
    }
    char updated[21];
    /* "o" takes the arrays, also when the pack fails. */
    return json_pack("{s:s, s:s, s:o, s:I, s:o, s:b, s:s}", "peer", p->peer, "credential",
                     p->credential_id, "reviewers", rv, "monthly_cap", (json_int_t)p->monthly_cap,
                     "blackouts", bo, "own_first", p->own_first, "updated",
                     ac_clock_format(p->updated_ms, updated));
}

/* ---- the service ---- */

static int require_admin(const struct ac_user *actor, struct ac_reason *why)
{
    if (actor->roles & AC_ROLE_ADMIN)
        return 0;
    return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_FORBIDDEN, NULL,
                          "only an admin sets what this node lends");
}

/* The peer and credential of a policy: a node id other than ours, and an id
 * a credential may have. */
static int check_keys(struct ac_node *n, const char *peer, const char *cred, struct ac_reason *why)
{
    if (!peer || ac_node_id_check(peer) || strcmp(peer, n->cfg->node_id) == 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "peer",
                              "peer: \"%.70s\" must be another node's id (1-64 of a-z, 0-9, "
                              "'.', '-')",
                              peer ? peer : "");
    size_t len = cred ? strlen(cred) : 0;
    int ok = len > 0 && len <= AC_LENDING_CRED_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = cred[i] > ' ' && cred[i] != '/' && cred[i] != '@' && cred[i] != 0x7f;
    if (!ok)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: \"%.70s\" must be the issuer's credential id (1-%d "
                              "characters, no spaces, '/' or '@'; no version)",
                              cred ? cred : "", AC_LENDING_CRED_MAX);
    return 0;
}

/* Every listed user is a reviewer of this node: not a stand-in, not disabled. */
static int check_reviewers(struct ac_node *n, const struct ac_lending_policy *p,
                           struct ac_reason *why)
{
    for (size_t i = 0; !p->all_reviewers && i < p->n_reviewers; i++) {
        struct ac_user u;
        struct ac_remote_reviewer rr;
        int err = ac_store_user_get(n->store, p->reviewers[i], &u);
        if (err && err != AC_ENOENT)
            return err;
        const char *rule = err                             ? "there is no such user"
                           : !(u.roles & AC_ROLE_REVIEWER) ? "the user is not a reviewer"
                           : u.disabled_ms                 ? "the user is disabled"
                                                           : NULL;
        if (!rule) {
            err = ac_store_remote_reviewer_get(n->store, p->reviewers[i], &rr);
            if (err && err != AC_ENOENT)
                return err;
            if (!err)
                rule = "the user stands in for a reviewer of another node";
        }
        if (rule)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "reviewers",
                                  "reviewers: user %lld cannot be lent: %s",
                                  (long long)p->reviewers[i], rule);
    }
    return 0;
}

/* Queues a fresh offer to |peer| when federation runs and knows it. */
static int offer_after_change(struct ac_node *n, const char *peer, int64_t now)
{
    if (!n->federation || !ac__fed_peer_find(n->federation, peer))
        return 0;
    return ac__lending_offer_queue(n, peer, now);
}

int ac__lending_policy_set(struct ac_node *n, const struct ac_user *actor,
                           struct ac_lending_policy *p, struct ac_reason *why)
{
    int err = require_admin(actor, why);
    if (!err)
        err = check_keys(n, p->peer, p->credential_id, why);
    if (!err)
        err = check_reviewers(n, p, why);
    if (err)
        return err;
    int64_t now = ac_clock_now_ms();
    p->updated_ms = now;
    json_t *detail = ac__lending_policy_json(p);
    char subject[AC_LENDING_NODE_MAX + AC_LENDING_CRED_MAX + 2];
    snprintf(subject, sizeof subject, "%s/%s", p->peer, p->credential_id);
    err = detail ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_lending_put(n->store, p);
        if (!err)
            err = ac_audit(n, "lending", subject, actor->id, "set", detail);
        if (!err)
            err = offer_after_change(n, p->peer, now);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(detail);
    if (!err && n->federation)
        ac__fed_kick_all(n->federation);
    return err;
}

int ac__lending_policy_remove(struct ac_node *n, const struct ac_user *actor, const char *peer,
                              const char *credential_id, struct ac_reason *why)
{
    int err = require_admin(actor, why);
    if (err)
        return err;
    char subject[AC_LENDING_NODE_MAX + AC_LENDING_CRED_MAX + 2];
    snprintf(subject, sizeof subject, "%s/%s", peer, credential_id);
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_lending_delete(n->store, peer, credential_id);
    if (!err)
        err = ac_audit(n, "lending", subject, actor->id, "remove", NULL);
    if (!err)
        err = offer_after_change(n, peer, ac_clock_now_ms());
    if (!err)
        err = ac_store_tx_commit(n->store);
    else
        ac_store_tx_rollback(n->store);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, "credential",
                              "this node has no lending policy for %s and %s", peer, credential_id);
    if (!err && n->federation)
        ac__fed_kick_all(n->federation);
    return err;
}
