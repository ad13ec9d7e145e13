/* teams.c - teams declared by members who each confirm, the check a team
 * submission passes, and the plagiarism screen of the individual element,
 * which no team name bypasses (teams.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/notify.h"
#include "accord/store/team.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "review/review.h"
#include "review/teams.h"

static json_t *members_json(const struct ac_team *t)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < t->n_members; i++)
        json_array_append_new(a, json_integer(t->members[i].user_id));
    return a;
}

int ac_team_declare(struct ac_node *n, const struct ac_user *actor, const char *credential,
                    const char *name, const int64_t *members, size_t nmembers,
                    struct ac_team *out, struct ac_reason *why)
{
    int err = ac__need_role(actor, AC_ROLE_EARNER, why);
    if (err)
        return err;
    if (!credential || !credential[0])
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: required; the definition id");
    if (!name || !name[0] || strlen(name) > AC_SUB_NAME_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "name",
                              "name: required; 1-%d bytes", AC_SUB_NAME_MAX);
    if (nmembers < 1 || nmembers + 1 > AC_TEAM_MAX_MEMBERS)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "members",
                              "members: %zu other members; a team has 2 to %d members, so name "
                              "1 to %d others",
                              nmembers, AC_TEAM_MAX_MEMBERS, AC_TEAM_MAX_MEMBERS - 1);
    struct ac_definition *def = NULL;
    enum ac_def_state state;
    err = ac__review_definition(n, credential, 0, NULL, &state, &def);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                              "credential: \"%s\" does not exist", credential);
    if (err)
        return err;
    if (!def->collaboration)
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credential",
                             "credential: %s does not allow collaborative work", credential);
    ac_def_free(def);
    for (size_t i = 0; !err && i < nmembers; i++) {
        struct ac_user u;
        if (members[i] <= 0 || ac_store_user_get(n->store, members[i], &u) != 0 ||
            u.disabled_ms || !(u.roles & AC_ROLE_EARNER))
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "members",
                                 "members[%zu]: %" PRId64 " is not an enabled earner", i,
                                 members[i]);
        else if (members[i] == actor->id)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "members",
                                 "members[%zu]: name the others; the declaring earner is a "
                                 "member already",
                                 i);
        for (size_t j = 0; !err && j < i; j++)
            if (members[j] == members[i])
                err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "members",
                                     "members[%zu]: %" PRId64 " appears twice", i, members[i]);
    }
    if (err)
        return err;
    if ((err = ac_store_tx_begin(n->store)) != 0)
        return err;
    int64_t id = 0, now = ac_clock_now_ms();
    err = ac_store_team_create(n->store, credential, name, actor->id, members, nmembers, now, &id);
    if (err == AC_EEXIST)
        ac_reason_fail(why, err, AC_PROBLEM_CONFLICT, "name",
                       "name: team \"%s\" was already declared for %s", name, credential);
    for (size_t i = 0; !err && i < nmembers; i++) {
        char subject[200], body[600];
        snprintf(subject, sizeof subject, "Confirm that you are in team %s", name);
        snprintf(body, sizeof body,
                 "%s declared team \"%s\" for %s and named you as a member.\n"
                 "Your shared work counts as the team's only once every member confirms:\n"
                 "  POST /v1/teams/%" PRId64 "/confirm\n"
                 "Your individual element is still your own and is compared with everyone's.\n",
                 actor->name, name, credential, id);
        err = ac_store_notify_add(n->store, members[i], "team", 0, subject, body, now, NULL);
    }
    if (!err)
        err = ac_store_team_get(n->store, id, out);
    if (!err) {
        json_t *d = json_pack("{s:s, s:s, s:o}", "credential", credential, "name", name,
                              "members", members_json(out));
        err = d ? ac_audit_id(n, "team", id, actor->id, "declared", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

int ac_team_confirm(struct ac_node *n, const struct ac_user *actor, int64_t team_id,
                    struct ac_team *out, struct ac_reason *why)
{
    (void)why;
    int err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_team_confirm(n->store, team_id, actor->id, ac_clock_now_ms());
    if (!err)
        err = ac_store_team_get(n->store, team_id, out);
    if (!err) {
        json_t *d = json_pack("{s:s}", "name", out->name);
        err = d ? ac_audit_id(n, "team", team_id, actor->id, "confirmed", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (err) {
        ac_store_tx_rollback(n->store);
        return err;
    }
    return ac_store_tx_commit(n->store);
}

int ac__team_check_submission(struct ac_node *n, int64_t earner_id, const char *credential,
                              const char *name, struct ac_reason *why)
{
    struct ac_team t;
    int err = ac_store_team_find(n->store, credential, name, &t);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "team",
                              "team: \"%s\" was never declared for %s; its members declare it "
                              "(POST /v1/teams) and each confirms",
                              name, credential);
    if (err)
        return err;
    int member = 0;
    size_t waiting = 0;
    for (size_t i = 0; i < t.n_members; i++) {
        member |= t.members[i].user_id == earner_id;
        waiting += t.members[i].confirmed_ms == 0;
    }
    if (!member)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "team",
                              "team: you are not a member of team \"%s\"", name);
    if (waiting)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "team",
                              "team: %zu of the %zu members of \"%s\" have not confirmed it yet",
                              waiting, t.n_members, name);
    return 0;
}

/* The text of element |id| in the |elements| JSON, or NULL. */
static const char *element_text(json_t *elements, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(elements, i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (eid && strcmp(eid, id) == 0)
            return json_string_value(json_object_get(e, "text"));
    }
    return NULL;
}

int ac__team_screen_individual(const struct ac_definition *def, const struct ac_submission *sub,
                               const struct ac_submission *prior, size_t nprior,
                               const struct ac_neardup_params *params,
                               struct ac_neardup_result **res)
{
    if (!def || def->individual_element < 0 || !sub->team[0])
        return 0; /* without a team the whole text was compared already */
    const struct ac_def_element *el = &def->elements[def->individual_element];
    json_t *mine = json_loads(sub->elements, 0, NULL);
    const char *text = element_text(mine, el->id);
    struct ac_neardup_index *ix = NULL;
    struct ac_neardup_result *found = NULL;
    int err = text ? ac_neardup_index_new(params, &ix) : 0;
    if (ix)
        err = ac_neardup_ignore_text(ix, el->prompt, strlen(el->prompt));
    for (size_t i = 0; ix && !err && i < nprior; i++) {
        if (prior[i].id == sub->id || prior[i].earner_id == sub->earner_id ||
            prior[i].state == AC_SUB_REJECTED)
            continue;
        json_t *theirs = json_loads(prior[i].elements, 0, NULL);
        const char *t = element_text(theirs, el->id);
        /* Team 0 for everyone: a team shares its other elements, never this one. */
        if (t)
            err = ac_neardup_add(ix, (uint64_t)prior[i].id, 0, t, strlen(t));
        json_decref(theirs);
    }
    if (ix && !err)
        err = ac_neardup_check(ix, (uint64_t)sub->id, 0, text, strlen(text), &found);
    if (!err && found && found->n_matches > 0) {
        ac_neardup_result_free(*res);
        *res = found;
        found = NULL;
    }
    ac_neardup_result_free(found);
    ac_neardup_index_free(ix);
    json_decref(mine);
    return err == AC_EINVAL ? 0 : err;
}
