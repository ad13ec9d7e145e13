/* credential.c - what every lifecycle service shares: finding a credential by
 * reference with its definition parsed once, the state and role checks, and
 * the checks of levels and user lists against what is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/credential.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "lifecycle.h"

/* Parses the stored definition of |row| (taken over by |c| on 0). */
static int cred_from_row(struct ac_credential *row, struct ac__cred *c)
{
    memset(c, 0, sizeof *c);
    struct ac_def_problems pr = {0};
    int err = ac_def_from_json(row->definition, strlen(row->definition), &c->def, &pr);
    ac_def_problems_release(&pr);
    if (err) {
        /* Stored definitions passed validation; a failure here is corruption. */
        ac_log_error("lifecycle", "credential %lld: stored definition no longer parses: %s",
                     (long long)row->id, ac_strerror(err));
        ac_credential_release(row);
        return err == AC_ENOMEM ? AC_ENOMEM : AC_EDB;
    }
    c->row = *row;
    memset(row, 0, sizeof *row);
    c->def->state = c->row.state;
    snprintf(c->ref, sizeof c->ref, "%s@%lld", c->row.def_id, (long long)c->row.version);
    return 0;
}

int ac__cred_load_id(struct ac_node *n, int64_t id, struct ac__cred *c)
{
    memset(c, 0, sizeof *c);
    struct ac_credential row;
    int err = ac_store_credential_get(n->store, id, &row);
    return err ? err : cred_from_row(&row, c);
}

int ac__cred_find(struct ac_node *n, const char *ref, struct ac__cred *c, struct ac_reason *why)
{
    memset(c, 0, sizeof *c);
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
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_FOUND, "ref",
                              "credential \"%s\" does not exist (use ID or ID@VERSION)",
                              ref ? ref : "");
    memcpy(id, ref, idlen);
    id[idlen] = 0;
    struct ac_credential row;
    int err = ac_store_credential_find(n->store, id, version, &row);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, "ref",
                              "credential \"%s\" does not exist", ref);
    return err ? err : cred_from_row(&row, c);
}

int ac__cred_refresh(struct ac_node *n, struct ac__cred *c)
{
    struct ac_credential row;
    int err = ac_store_credential_get(n->store, c->row.id, &row);
    if (err)
        return err;
    ac_credential_release(&c->row);
    c->row = row;
    c->def->state = row.state;
    return 0;
}

void ac__cred_release(struct ac__cred *c)
{
    ac_credential_release(&c->row);
    ac_def_free(c->def);
    memset(c, 0, sizeof *c);
}

int ac__cred_require_state(const struct ac__cred *c, const enum ac_def_state *states, size_t k,
                           const char *doing, struct ac_reason *why)
{
    char want[160] = "";
    for (size_t i = 0; i < k; i++) {
        if (states[i] == c->row.state)
            return 0;
        size_t len = strlen(want);
        snprintf(want + len, sizeof want - len, "%s%s", i ? " or " : "",
                 ac_def_state_name(states[i]));
    }
    return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                          "%s is %s; to %s it must be %s", c->ref, ac_def_state_name(c->row.state),
                          doing, want);
}

/* The services' role check is the accounts' one (node/accounts/users.c). */
int ac__actor_require(const struct ac_user *actor, unsigned roles, struct ac_reason *why)
{
    return ac__need_role(actor, roles, why);
}

int ac__level_resolve(const struct ac_definition *def, const struct ac_level_arg *arg,
                      const char *field, int *level, struct ac_reason *why)
{
    char scale[512] = "";
    for (size_t i = 0; i < def->n_levels; i++) {
        size_t len = strlen(scale);
        snprintf(scale + len, sizeof scale - len, "%s\"%s\"", i ? ", " : "", def->levels[i]);
    }
    long idx = -1;
    char shown[96];
    switch (arg->kind) {
    case AC_LEVEL_ABSENT:
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, field,
                              "%s: required; one of %s", field, scale);
    case AC_LEVEL_OTHER:
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, field,
                              "%s: must be a level name or index; one of %s", field, scale);
    case AC_LEVEL_NAME:
        idx = ac_def_level_index(def, arg->name);
        snprintf(shown, sizeof shown, "\"%.80s\"", arg->name);
        break;
    case AC_LEVEL_INDEX:
        if (arg->index >= 0 && arg->index < (int64_t)def->n_levels)
            idx = (long)arg->index;
        snprintf(shown, sizeof shown, "%lld", (long long)arg->index);
        break;
    }
    if (idx < 0)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_OFF_SCALE, field,
                              "%s: %s is not on the scale; one of %s", field, shown, scale);
    *level = (int)idx;
    return 0;
}

int ac__users_check(struct ac_node *n, const char *field, const int64_t *ids, size_t k,
                    unsigned role, struct ac_reason *why)
{
    for (size_t i = 0; i < k; i++) {
        struct ac_user u;
        if (ids[i] <= 0 || ac_store_user_get(n->store, ids[i], &u) != 0 || u.disabled_ms)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, field,
                                  "%s[%zu]: no enabled user with that id", field, i);
        if (!(u.roles & role))
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, field,
                                  "%s[%zu]: user %lld (%s) does not hold the %s role", field, i,
                                  (long long)ids[i], u.name, ac_role_name(role));
        for (size_t j = 0; j < i; j++)
            if (ids[j] == ids[i])
                return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, field,
                                      "%s[%zu]: user %lld appears twice", field, i,
                                      (long long)ids[i]);
    }
    return 0;
}
