/* users.c - the users service: creating users with roles and disabling them
 * (which revokes their tokens), changing the set of roles a user holds, each
 * audited; and the role check every service makes of the user acting. */
#include <stdio.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"
#include "accounts/token_cache.h"
#include "audit.h"
#include "internal.h"

/* Writes the names of the roles in |roles| as "a, b or c" (bits that name
 * no role are left out), or "none". */
static void role_list(unsigned roles, char *out, size_t size)
{
    out[0] = 0;
    size_t total = (size_t)__builtin_popcount(roles & AC_ROLE_ALL), k = 0;
    for (unsigned bit = 1; bit & AC_ROLE_ALL; bit <<= 1) {
        if (!(roles & bit))
            continue;
        const char *sep = k == 0 ? "" : k + 1 == total ? " or " : ", ";
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", sep, ac_role_name(bit));
        k++;
    }
    if (!out[0])
        snprintf(out, size, "none");
}

int ac__need_role(const struct ac_user *by, unsigned roles, struct ac_reason *why)
{
    if (by->roles & roles)
        return 0;
    char need[96], have[96];
    role_list(roles, need, sizeof need);
    role_list(by->roles, have, sizeof have);
    return ac_reason_fail(why, AC_EACCES, AC_PROBLEM_FORBIDDEN, NULL,
                          "this needs the %s role; user %s has %s", need, by->name, have);
}

/* The roles of |roles| as a JSON list of names, or NULL when out of memory. */
static json_t *roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (unsigned bit = 1; a && (bit & AC_ROLE_ALL); bit <<= 1)
        if ((roles & bit) && json_array_append_new(a, json_string(ac_role_name(bit)))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

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

int ac__users_create(struct ac_node *n, const struct ac_user *by, const char *name,
                     const char *display_name, unsigned roles, struct ac_user *out,
                     struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_user_create(n->store, name, display_name, roles, ac_clock_now_ms(), out);
    if (err == AC_EEXIST)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "name", "name: \"%s\" is already taken",
                       name);
    if (!err) {
        json_t *d = json_pack("{s:s, s:s, s:o}", "name", out->name, "display_name",
                              out->display_name, "roles", roles_json(out->roles));
        err = d ? ac_audit_id(n, "user", out->id, by->id, "create", d) : AC_ENOMEM;
        json_decref(d);
    }
    err = finish(n, err);
    if (err)
        return err;
    ac_log_info("accounts", "user %s (%lld) created by %s", out->name, (long long)out->id,
                by->name);
    return 0;
}

int ac__users_disable(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                      struct ac_user *out, struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_user u;
    err = ac_store_user_get(n->store, user_id, &u);
    /* An admin locking itself out could leave the node with no admin at all. */
    if (!err && u.id == by->id)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "id",
                             "an admin cannot disable itself; ask another admin");
    int was_disabled = !err && u.disabled_ms != 0;
    if (!err)
        err = ac_store_user_disable(n->store, u.id, ac_clock_now_ms());
    if (!err) {
        json_t *d = json_pack("{s:s, s:b}", "name", u.name, "already_disabled", was_disabled);
        err = d ? ac_audit_id(n, "user", u.id, by->id, "disable", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (!err)
        err = ac_store_user_get(n->store, u.id, out);
    if (!err)
        err = ac__token_cache_forget_at_commit(n->token_cache, n->store, u.id);
    err = finish(n, err);
    if (err)
        return err;
    ac__token_cache_forget_user(n->token_cache, u.id);
    ac_log_info("accounts", "user %s (%lld) disabled by %s", out->name, (long long)out->id,
                by->name);
    return 0;
}

int ac__users_set_roles(struct ac_node *n, const struct ac_user *by, int64_t user_id,
                        unsigned add, unsigned remove, struct ac_user *out,
                        struct ac_reason *why)
{
    int err = ac__need_role(by, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    struct ac_user u;
    err = ac_store_user_get(n->store, user_id, &u);
    unsigned after = err ? 0 : (u.roles | add) & ~remove;
    if (!err && after == 0)
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "roles",
                             "roles: user %s would be left with no role; a user keeps at least "
                             "one",
                             u.name);
    /* The same reason an admin cannot disable itself: no admin could be left. */
    if (!err && u.id == by->id && (remove & AC_ROLE_ADMIN))
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "roles",
                             "roles: an admin cannot remove its own admin role; ask another "
                             "admin");
    if (!err)
        err = ac_store_user_set_roles(n->store, u.id, after);
    if (!err) {
        json_t *d = json_pack("{s:s, s:o, s:o}", "name", u.name, "before", roles_json(u.roles),
                              "after", roles_json(after));
        err = d ? ac_audit_id(n, "user", u.id, by->id, "roles", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (!err)
        err = ac_store_user_get(n->store, u.id, out);
    if (!err)
        err = ac__token_cache_forget_at_commit(n->token_cache, n->store, u.id);
    err = finish(n, err);
    if (err)
        return err;
    /* Cached tokens carry the old roles. */
    ac__token_cache_forget_user(n->token_cache, u.id);
    ac_log_info("accounts", "user %s (%lld) roles changed by %s", out->name, (long long)out->id,
                by->name);
    return 0;
}
