/* api_credentials.c - credential definitions over the API: create and version
 * (validated, every problem listed by path), edit and framework audit answers
 * while in draft, lifecycle transitions with the evidence each step needs, the
 * audit trail; and the helpers the other lifecycle handlers share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "audit.h"
#include "lifecycle/lifecycle.h"

/* ---- shared helpers (declared in lifecycle.h) ---- */

int ac__cred_load_id(struct ac_node *n, int64_t id, struct ac__cred *c)
{
    memset(c, 0, sizeof *c);
    int err = ac_store_credential_get(n->store, id, &c->row);
    if (err)
        return err;
    struct ac_def_problems pr = {0};
    err = ac_def_from_json(c->row.definition, strlen(c->row.definition), &c->def, &pr);
    ac_def_problems_release(&pr);
    if (err) {
        /* Stored definitions passed validation; a failure here is corruption. */
        ac_log_error("api", "credential %lld: stored definition no longer parses: %s",
                     (long long)id, ac_strerror(err));
        ac_credential_release(&c->row);
        return err == AC_ENOMEM ? AC_ENOMEM : AC_EDB;
    }
    c->def->state = c->row.state;
    snprintf(c->ref, sizeof c->ref, "%s@%lld", c->row.def_id, (long long)c->row.version);
    return 0;
}

int ac__cred_load(struct ac_node *n, struct ac_http_exchange *x, struct ac__cred *c)
{
    const char *ref = ac_http_param(x, "ref");
    char id[AC_CREDENTIAL_ID_MAX + 1];
    int64_t version = 0;
    const char *at = ref ? strchr(ref, '@') : NULL;
    size_t idlen = at ? (size_t)(at - ref) : ref ? strlen(ref) : 0;
    int ok = ref && idlen > 0 && idlen <= AC_CREDENTIAL_ID_MAX;
    if (ok && at) {
        char *end;
        long long v = strtoll(at + 1, &end, 10);
        ok = at[1] && !*end && v >= 1;
        version = v;
    }
    if (!ok)
        return ac__problem(x, AC_PROBLEM_NOT_FOUND, "ref", NULL,
                           "credential \"%s\" does not exist (use ID or ID@VERSION)",
                           ref ? ref : "");
    memcpy(id, ref, idlen);
    id[idlen] = 0;
    struct ac_credential row;
    int err = ac_store_credential_find(n->store, id, version, &row);
    if (err == AC_ENOENT)
        return ac__problem(x, AC_PROBLEM_NOT_FOUND, "ref", NULL, "credential \"%s\" does not exist",
                           ref);
    if (!err) {
        int64_t rid = row.id;
        ac_credential_release(&row);
        err = ac__cred_load_id(n, rid, c);
    }
    if (err) {
        ac__respond_error(x, err, "credential");
        return -1;
    }
    return 0;
}

void ac__cred_release(struct ac__cred *c)
{
    ac_credential_release(&c->row);
    ac_def_free(c->def);
    c->def = NULL;
}

int ac__cred_require_state(struct ac_http_exchange *x, const struct ac__cred *c,
                           const enum ac_def_state *states, size_t n, const char *doing)
{
    char want[160] = "";
    for (size_t i = 0; i < n; i++) {
        if (states[i] == c->row.state)
            return 0;
        size_t len = strlen(want);
        snprintf(want + len, sizeof want - len, "%s%s", i ? " or " : "",
                 ac_def_state_name(states[i]));
    }
    return ac__problem(x, AC_PROBLEM_WRONG_STATE, "state", NULL, "%s is %s; to %s it must be %s",
                       c->ref, ac_def_state_name(c->row.state), doing, want);
}

int ac__audit(struct ac_node *n, const char *kind, const char *subject, int64_t actor,
              const char *action, const json_t *detail)
{
    return ac_audit(n, kind, subject, actor, action, detail);
}

int ac__level_get(struct ac_http_exchange *x, const struct ac_definition *def, const json_t *body,
                  const char *key, int *level)
{
    const json_t *v = json_object_get(body, key);
    char scale[512] = "";
    for (size_t i = 0; i < def->n_levels; i++) {
        size_t len = strlen(scale);
        snprintf(scale + len, sizeof scale - len, "%s\"%s\"", i ? ", " : "", def->levels[i]);
    }
    if (!v)
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, key, NULL, "%s: required; one of %s", key,
                           scale);
    long idx = -1;
    if (json_is_string(v))
        idx = ac_def_level_index(def, json_string_value(v));
    else if (json_is_integer(v) && json_integer_value(v) >= 0 &&
             json_integer_value(v) < (json_int_t)def->n_levels)
        idx = (long)json_integer_value(v);
    else if (!json_is_integer(v))
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, key, NULL,
                           "%s: must be a level name or index; one of %s", key, scale);
    if (idx < 0) {
        char shown[96];
        if (json_is_string(v))
            snprintf(shown, sizeof shown, "\"%.80s\"", json_string_value(v));
        else
            snprintf(shown, sizeof shown, "%lld", (long long)json_integer_value(v));
        return ac__problem(x, AC_PROBLEM_OFF_SCALE, key, NULL,
                           "%s: %s is not on the scale; one of %s", key, shown, scale);
    }
    *level = (int)idx;
    return 0;
}

int ac__users_get(struct ac_node *n, struct ac_http_exchange *x, const json_t *body,
                  const char *key, unsigned role, size_t min, int64_t *ids, size_t max)
{
    const json_t *arr = json_object_get(body, key);
    if (!json_is_array(arr) || json_array_size(arr) < min || json_array_size(arr) > max)
        return ac__problem(x, AC_PROBLEM_INVALID_FIELD, key, NULL,
                           "%s: must be a list of %zu to %zu user ids", key, min, max);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        struct ac_user u;
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : 0;
        if (id <= 0 || ac_store_user_get(n->store, id, &u) != 0 || u.disabled_ms)
            return ac__problem(x, AC_PROBLEM_UNACCEPTABLE_VALUE, key, NULL,
                               "%s[%zu]: no enabled user with that id", key, i);
        if (!(u.roles & role))
            return ac__problem(x, AC_PROBLEM_UNACCEPTABLE_VALUE, key, NULL,
                               "%s[%zu]: user %lld (%s) does not hold the %s role", key, i,
                               (long long)id, u.name, ac_role_name(role));
        for (size_t j = 0; j < i; j++)
            if (ids[j] == id)
                return ac__problem(x, AC_PROBLEM_UNACCEPTABLE_VALUE, key, NULL,
                                   "%s[%zu]: user %lld appears twice", key, i, (long long)id);
        ids[i] = id;
    }
    return (int)json_array_size(arr);
}

int ac__cred_transition(struct ac_node *n, struct ac__cred *c, enum ac_def_state to, bool override,
                        int64_t actor, const json_t *detail)
{
    json_t *d = json_pack("{s:s, s:s, s:b}", "from", ac_def_state_name(c->row.state), "to",
                          ac_def_state_name(to), "override", override);
    if (!d)
        return AC_ENOMEM;
    if (detail)
        json_object_set(d, "evidence", (json_t *)detail);
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_credential_transition(n->store, c->row.id, c->row.state, to, override,
                                             ac_clock_now_ms());
        if (!err)
            err = ac__audit(n, "credential", c->ref, actor, "transition", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    if (!err) {
        ac_log_info("lifecycle", "%s: %s -> %s%s", c->ref, ac_def_state_name(c->row.state),
                    ac_def_state_name(to), override ? " (override)" : "");
        c->row.state = to;
        c->def->state = to;
    }
    return err;
}

/* ---- representations ---- */

static json_t *summary_json(const struct ac_credential *r)
{
    json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:s}", "id", r->def_id, "version",
                          (json_int_t)r->version, "title", r->title, "state",
                          ac_def_state_name(r->state), "content_hash", r->content_hash);
    if (j) {
        ac__json_time(j, "created_at", r->created_ms);
        ac__json_time(j, "updated_at", r->updated_ms);
        ac__json_time(j, "activated_at", r->activated_ms);
        if (r->activated_ms)
            json_object_set_new(j, "activation_override", json_boolean(r->activation_override));
    }
    return j;
}

static json_t *full_json(const struct ac__cred *c)
{
    json_t *j = summary_json(&c->row);
    char *text = NULL;
    if (j && ac_def_to_json(c->def, false, &text) == 0) {
        json_t *def = json_loads(text, 0, NULL);
        if (def)
            json_object_set_new(j, "definition", def);
    }
    free(text);
    return j;
}

/* Answers 422 with every problem of |pr| as "errors": [{path, message}]. */
static void respond_problems(struct ac_http_exchange *x, const struct ac_def_problems *pr, int err)
{
    char *text = NULL;
    json_t *extra = json_object();
    if (ac_def_problems_to_json(pr, &text) == 0) {
        json_t *errs = json_loads(text, 0, NULL);
        if (errs)
            json_object_set_new(extra, "errors", errs);
    }
    free(text);
    ac__problem(x, AC_PROBLEM_INVALID_DEFINITION, pr->n ? pr->items[0].path : NULL, extra,
                "%zu problem%s; the first: %s: %s%s", pr->n, pr->n == 1 ? "" : "s",
                pr->n ? pr->items[0].path : "$", pr->n ? pr->items[0].message : "invalid",
                err == AC_EPARSE ? " (not JSON)" : "");
    json_decref(extra);
}

/* Parses and validates the request body as a definition. Returns 0 and sets
 * |*def|, |*canonical| (caller frees) and |hash|, or answers and returns -1. */
static int read_definition(struct ac_http_exchange *x, struct ac_definition **def, char **canonical,
                           char hash[AC_DEF_HASH_HEX_LEN + 1])
{
    const struct ac_http_req *req = ac_http_exchange_req(x);
    const char *ct = ac_http_header(req, "content-type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return ac__problem(x, AC_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "content-type", NULL,
                           "the body must be application/json, not %s", ct ? ct : "(none)");
    struct ac_def_problems pr = {0};
    int err = ac_def_from_json(req->body ? (const char *)req->body : "", req->body_len, def, &pr);
    if (!err && (*def)->state != AC_DEF_DRAFT) {
        err = AC_EINVAL;
        ac_def_free(*def);
        *def = NULL;
        pr.n = 0;
        ac_def_problems_release(&pr);
        return ac__problem(x, AC_PROBLEM_INVALID_DEFINITION, "state", NULL,
                           "state: a stored version starts in draft; move it with "
                           "POST /v1/definitions/{ref}/transition");
    }
    if (err) {
        if (err == AC_ENOMEM)
            ac__respond_error(x, err, "definition");
        else
            respond_problems(x, &pr, err);
        ac_def_problems_release(&pr);
        return -1;
    }
    ac_def_problems_release(&pr);
    if (ac_def_to_json(*def, true, canonical) != 0 || ac_def_hash_hex(*def, hash) != 0) {
        ac_def_free(*def);
        *def = NULL;
        ac__respond_error(x, AC_ENOMEM, "definition");
        return -1;
    }
    return 0;
}

/* ---- handlers ---- */

static void on_create(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    struct ac_definition *def;
    char *canonical, hash[AC_DEF_HASH_HEX_LEN + 1];
    if (read_definition(x, &def, &canonical, hash))
        return;
    /* A new version of an existing definition must come after every stored
     * one: stored versions are never replaced, only followed. */
    struct ac_credential latest;
    int err = ac_store_credential_find(n->store, def->id, 0, &latest);
    if (!err) {
        int64_t have = latest.version;
        ac_credential_release(&latest);
        if (def->version <= have) {
            ac__problem(x, AC_PROBLEM_VERSION_EXISTS, "version", NULL,
                        "version: %s already has version %lld; a new version must be %lld or "
                        "higher (stored versions never change)",
                        def->id, (long long)have, (long long)have + 1);
            goto out;
        }
    } else if (err != AC_ENOENT) {
        ac__respond_error(x, err, "credential");
        goto out;
    }
    int64_t id;
    char ref[AC_CREDENTIAL_ID_MAX + 24];
    snprintf(ref, sizeof ref, "%s@%lld", def->id, (long long)def->version);
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_credential_create(n->store, def->id, def->version, def->title, canonical,
                                         hash, a.user.id, ac_clock_now_ms(), &id);
        json_t *d = json_pack("{s:s}", "content_hash", hash);
        if (!err)
            err = ac__audit(n, "credential", ref, a.user.id, "create", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err) {
        ac__respond_error(x, err, ref);
        goto out;
    }
    struct ac__cred c;
    err = ac__cred_load_id(n, id, &c);
    if (err) {
        ac__respond_error(x, err, ref);
        goto out;
    }
    ac__respond_owned(x, 201, full_json(&c));
    ac__cred_release(&c);
out:
    ac_def_free(def);
    free(canonical);
}

static void on_list(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    size_t limit;
    int64_t after;
    if (ac__authenticate(n, x, &a) || ac__page_params(x, &limit, &after))
        return;
    struct ac_credential rows[200];
    size_t k;
    int err = ac_store_credential_list(n->store, after, NULL, rows, limit, &k);
    if (err) {
        ac__respond_error(x, err, "credentials");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(items, summary_json(&rows[i]));
    int more = k == limit;
    json_t *j = ac__page_json(items, more, more ? rows[k - 1].id : 0);
    for (size_t i = 0; i < k; i++)
        ac_credential_release(&rows[i]);
    ac__respond_owned(x, 200, j);
}

static void on_get(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__cred_load(n, x, &c))
        return;
    ac__respond_owned(x, 200, full_json(&c));
    ac__cred_release(&c);
}

static void on_replace(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    struct ac_definition *def = NULL;
    char *canonical = NULL, hash[AC_DEF_HASH_HEX_LEN + 1];
    static const enum ac_def_state draft[] = {AC_DEF_DRAFT};
    if (ac__cred_require_state(x, &c, draft, 1, "edit its definition") ||
        read_definition(x, &def, &canonical, hash))
        goto out;
    if (strcmp(def->id, c.row.def_id) != 0 || def->version != c.row.version) {
        ac__problem(x, AC_PROBLEM_INVALID_DEFINITION, "version", NULL,
                    "id/version: the body is %s@%lld but the path names %s", def->id,
                    (long long)def->version, c.ref);
        goto out;
    }
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_credential_update(n->store, c.row.id, def->title, canonical, hash,
                                         ac_clock_now_ms());
        json_t *d = json_pack("{s:s, s:s}", "from_hash", c.row.content_hash, "to_hash", hash);
        if (!err)
            err = ac__audit(n, "credential", c.ref, a.user.id, "edit", d);
        json_decref(d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ECONFLICT) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, "state", NULL,
                    "%s left draft meanwhile; published versions never change", c.ref);
        goto out;
    }
    if (err) {
        ac__respond_error(x, err, c.ref);
        goto out;
    }
    int64_t id = c.row.id;
    ac__cred_release(&c);
    if ((err = ac__cred_load_id(n, id, &c)) != 0) {
        ac__respond_error(x, err, "credential");
        goto out_def;
    }
    ac__respond_owned(x, 200, full_json(&c));
out:
    ac__cred_release(&c);
out_def:
    ac_def_free(def);
    free(canonical);
}

/* PUT .../audit: the five framework audit answers, merged into the draft. */
static void on_audit_answers(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    if (ac__cred_load(n, x, &c)) {
        json_decref(body);
        return;
    }
    static const char *const keys[] = {"impact",   "equity",      "access",
                                       "language", "big_picture", NULL};
    static const enum ac_def_state draft[] = {AC_DEF_DRAFT};
    char **slots[] = {&c.def->audit.impact, &c.def->audit.equity, &c.def->audit.access,
                      &c.def->audit.language, &c.def->audit.big_picture};
    char *canonical = NULL, hash[AC_DEF_HASH_HEX_LEN + 1];
    if (ac__json_only(x, body, keys) ||
        ac__cred_require_state(x, &c, draft, 1, "change its framework audit answers"))
        goto out;
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(body, keys[i]);
        if (!v)
            continue;
        if (!json_is_string(v) || json_string_length(v) == 0) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, keys[i], NULL,
                        "%s: must be a non-empty string answering the framework's %s question",
                        keys[i], keys[i]);
            goto out;
        }
        char *copy = strdup(json_string_value(v));
        if (!copy) {
            ac__respond_error(x, AC_ENOMEM, "audit");
            goto out;
        }
        free(*slots[i]);
        *slots[i] = copy;
    }
    if (ac_def_to_json(c.def, true, &canonical) || ac_def_hash_hex(c.def, hash)) {
        ac__respond_error(x, AC_ENOMEM, "definition");
        goto out;
    }
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_credential_update(n->store, c.row.id, c.def->title, canonical, hash,
                                         ac_clock_now_ms());
        if (!err)
            err = ac__audit(n, "credential", c.ref, a.user.id, "framework-audit", body);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err) {
        ac__respond_error(x, err, c.ref);
        goto out;
    }
    json_t *j = json_object();
    for (size_t i = 0; keys[i]; i++)
        if (*slots[i])
            json_object_set_new(j, keys[i], json_string(*slots[i]));
    json_t *r = json_pack("{s:s, s:o, s:s}", "credential", c.ref, "audit", j, "content_hash", hash);
    ac__respond_owned(x, 200, r);
out:
    free(canonical);
    json_decref(body);
    ac__cred_release(&c);
}

/* The evidence a step needs beyond the transition table; answers and returns
 * -1 when it is missing. Sets |*evidence| (may stay NULL) for the audit row. */
static int check_evidence(struct ac_node *n, struct ac_http_exchange *x, struct ac__cred *c,
                          enum ac_def_state to, bool override, json_t **evidence)
{
    const struct ac_definition *d = c->def;
    switch (to) {
    case AC_DEF_PILOTING: {
        const char *names[] = {"impact", "equity", "access", "language", "big_picture"};
        const char *vals[] = {d->audit.impact, d->audit.equity, d->audit.access, d->audit.language,
                              d->audit.big_picture};
        for (size_t i = 0; i < 5; i++)
            if (!vals[i] || !vals[i][0])
                return ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, names[i], NULL,
                                   "audit.%s: the framework audit must be answered before "
                                   "piloting (PUT /v1/definitions/%s/audit)",
                                   names[i], c->ref);
        return 0;
    }
    case AC_DEF_BENCHMARKS: {
        bool met = false;
        int err = ac__pilot_report(n, c, evidence, &met);
        if (err) {
            ac__respond_error(x, err, "pilot report");
            return -1;
        }
        if (!met)
            return ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, "pilot", *evidence,
                               "the pilot of %s does not meet its threshold: %s", c->ref,
                               json_string_value(json_object_get(*evidence, "verdict")));
        return 0;
    }
    case AC_DEF_TRAINING: {
        bool ok = false;
        int err = ac__bench_report(n, c, evidence, &ok);
        if (err) {
            ac__respond_error(x, err, "benchmark report");
            return -1;
        }
        if (!ok)
            return ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks", *evidence,
                               "the benchmark database of %s is not sufficient: %s", c->ref,
                               json_string_value(json_object_get(*evidence, "verdict")));
        return 0;
    }
    case AC_DEF_RECRUITING: {
        char *text;
        int64_t at;
        int err = ac_store_general_get(n->store, &text, &at);
        if (err == AC_ENOENT)
            return ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, "general_module", NULL,
                               "the node has no general module yet; an admin writes it with "
                               "PUT /v1/general-module before recruiting");
        if (err) {
            ac__respond_error(x, err, "general module");
            return -1;
        }
        free(text);
        err = ac_store_training_get(n->store, c->row.id, &text, &at);
        if (err) {
            ac__respond_error(x, err, "training module");
            return -1;
        }
        free(text);
        return 0;
    }
    case AC_DEF_ACTIVE: {
        struct ac_pool_activation act;
        int err = ac__pool_status(n, c, override, evidence, &act);
        if (err) {
            ac__respond_error(x, err, "pool status");
            return -1;
        }
        if (!act.activate)
            return ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, "pool", *evidence, "%s: %s", c->ref,
                               act.reason);
        return 0;
    }
    default:
        return 0;
    }
}

static void on_transition(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    json_t *body, *evidence = NULL;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__json_body(x, 0, &body))
        return;
    if (ac__cred_load(n, x, &c)) {
        json_decref(body);
        return;
    }
    static const char *const allowed[] = {"to", "override", "pilot", "reason", NULL};
    if (ac__json_only(x, body, allowed))
        goto out;
    const char *to_name = json_string_value(json_object_get(body, "to"));
    enum ac_def_state to;
    if (!to_name || ac_def_state_parse(to_name, &to)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "to", NULL,
                    "to: \"%s\" is not a state; use draft, piloting, benchmarks, training, "
                    "recruiting, active or retired",
                    to_name ? to_name : "(missing)");
        goto out;
    }
    json_t *ov = json_object_get(body, "override");
    if (ov && (!json_is_boolean(ov) || (json_is_true(ov) && to != AC_DEF_ACTIVE))) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "override", NULL,
                    "override: a boolean, allowed only with \"to\": \"active\"");
        goto out;
    }
    bool override = json_is_true(ov);
    char why[200];
    if (ac_def_transition_check(c.row.state, to, why, sizeof why)) {
        ac__problem(x, AC_PROBLEM_TRANSITION_NOT_ALLOWED, "to", NULL, "%s: %s", c.ref, why);
        goto out;
    }
    /* Starting a pilot names the statistic and threshold that will judge it. */
    const char *stat = NULL;
    double threshold = 0;
    if (to == AC_DEF_PILOTING) {
        json_t *p = json_object_get(body, "pilot");
        static const char *const stats[] = {"exact",           "adjacent",
                                            "cohen_kappa",     "linear_kappa",
                                            "quadratic_kappa", "krippendorff_ordinal",
                                            "gwet_ac1",        NULL};
        stat = json_string_value(json_object_get(p, "statistic"));
        json_t *t = json_object_get(p, "threshold");
        int known = 0;
        for (size_t i = 0; stat && stats[i]; i++)
            known |= strcmp(stat, stats[i]) == 0;
        if (!known) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "pilot.statistic", NULL,
                        "pilot.statistic: \"%s\" is not one of exact, adjacent, cohen_kappa, "
                        "linear_kappa, quadratic_kappa, krippendorff_ordinal, gwet_ac1",
                        stat ? stat : "(missing)");
            goto out;
        }
        if (!json_is_number(t) || json_number_value(t) < -1 || json_number_value(t) > 1) {
            ac__problem(x, AC_PROBLEM_INVALID_FIELD, "pilot.threshold", NULL,
                        "pilot.threshold: a number from -1 to 1 (the issuer's minimum for %s)",
                        stat);
            goto out;
        }
        threshold = json_number_value(t);
    }
    if (check_evidence(n, x, &c, to, override, &evidence))
        goto out;
    /* Entering training builds the module in the same transaction, so
     * recruiting can never open on a credential without one. */
    int err = ac_store_tx_begin(n->store);
    if (!err) {
        if (to == AC_DEF_TRAINING)
            err = ac__training_generate(n, &c, a.user.id);
        if (!err && to == AC_DEF_PILOTING) {
            int64_t round;
            err = ac_store_credential_pilot_round(n->store, c.row.id, stat, threshold,
                                                  ac_clock_now_ms(), &round);
        }
        if (!err)
            err = ac__cred_transition(n, &c, to, override, a.user.id, evidence);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ERANGE) {
        ac__problem(x, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks", NULL,
                    "too few resolved benchmark items to draw the training examples");
        goto out;
    }
    if (err == AC_ECONFLICT) {
        ac__problem(x, AC_PROBLEM_WRONG_STATE, "state", NULL,
                    "%s changed state meanwhile; read it again", c.ref);
        goto out;
    }
    if (err) {
        ac__respond_error(x, err, c.ref);
        goto out;
    }
    int64_t id = c.row.id;
    ac__cred_release(&c);
    if ((err = ac__cred_load_id(n, id, &c)) != 0) {
        ac__respond_error(x, err, "credential");
        goto out_body;
    }
    json_t *j = full_json(&c);
    if (j && evidence)
        json_object_set(j, "evidence", evidence);
    ac__respond_owned(x, 200, j);
out:
    ac__cred_release(&c);
out_body:
    json_decref(evidence);
    json_decref(body);
}

/* Answers one page of the audit trail of |kind| |subject|. */
static void respond_trail(struct ac_node *n, struct ac_http_exchange *x, const char *kind,
                          const char *subject)
{
    size_t limit;
    int64_t after;
    if (ac__page_params(x, &limit, &after))
        return;
    struct ac_audit_entry rows[200];
    size_t k;
    int err = ac_store_audit_list(n->store, kind, subject, after, rows, limit, &k);
    if (err) {
        ac__respond_error(x, err, "audit trail");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        json_t *e = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "id", (json_int_t)rows[i].id,
                              "subject_kind", rows[i].subject_kind, "subject_id",
                              rows[i].subject_id, "actor", (json_int_t)rows[i].actor_user_id,
                              "node", rows[i].node_id, "action", rows[i].action);
        json_t *d = json_loads(rows[i].detail, 0, NULL);
        if (e && d)
            json_object_set_new(e, "detail", d);
        else
            json_decref(d);
        if (e)
            ac__json_time(e, "at", rows[i].at_ms);
        json_array_append_new(items, e);
    }
    int more = k == limit;
    json_t *j = ac__page_json(items, more, more ? rows[k - 1].id : 0);
    for (size_t i = 0; i < k; i++)
        ac_audit_entry_release(&rows[i]);
    ac__respond_owned(x, 200, j);
}

static void on_audit_trail(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    struct ac__cred c;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN) ||
        ac__cred_load(n, x, &c))
        return;
    respond_trail(n, x, "credential", c.ref);
    ac__cred_release(&c);
}

/* GET /v1/audit/{kind}/{subject}: any subject's trail (a reviewer's user id,
 * a submission id, the node id), for admins. */
static void on_audit_any(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    respond_trail(n, x, ac_http_param(x, "kind"), ac_http_param(x, "subject"));
}

void ac__api_credentials_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/definitions", on_create);
    ac__route(n, "GET", "/v1/definitions", on_list);
    ac__route(n, "GET", "/v1/definitions/{ref}", on_get);
    ac__route(n, "PUT", "/v1/definitions/{ref}", on_replace);
    ac__route(n, "PUT", "/v1/definitions/{ref}/audit", on_audit_answers);
    ac__route(n, "POST", "/v1/definitions/{ref}/transition", on_transition);
    ac__route(n, "GET", "/v1/definitions/{ref}/audit-trail", on_audit_trail);
    ac__route(n, "GET", "/v1/audit/{kind}/{subject}", on_audit_any);
}

int ac__labelled_texts_check(struct ac_http_exchange *x, const json_t *arr, const char *field)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *label = json_string_value(json_object_get(v, "label"));
        const char *content = json_string_value(json_object_get(v, "content"));
        if (!label || !*label || strlen(label) > AC_ITEM_LABEL_MAX || !content || !*content) {
            char where[64];
            snprintf(where, sizeof where, "%s[%zu]", field, i);
            return ac__problem(x, AC_PROBLEM_INVALID_FIELD, where, NULL,
                               "%s: needs a \"label\" (1-128 bytes) and non-empty text "
                               "\"content\"",
                               where);
        }
    }
    return 0;
}
