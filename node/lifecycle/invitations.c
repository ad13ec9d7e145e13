/* invitations.c - from earner to reviewer (invitations.h): which credentials
 * a pass qualifies its earner to review, the invitation mail, and the
 * earner's acceptance, which adds the reviewer role to their set. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/store/credential.h"
#include "accord/store/notify.h"
#include "accounts/token_cache.h"
#include "audit.h"
#include "lifecycle.h"
#include "lifecycle/invitations.h"

#define CATALOG_MAX 256

static int held_has(const char *const *held, size_t nheld, const char *id)
{
    for (size_t i = 0; i < nheld; i++)
        if (strcmp(held[i], id) == 0)
            return 1;
    return 0;
}

/* Sets |*out| to a new array of {"credential", "version", "title", "because"}:
 * the newest recruiting or active version of each definition whose reviewer
 * qualifications ask for a credential in |held|. */
static int qualified_for(struct ac_node *n, const char *const *held, size_t nheld, json_t **out)
{
    struct ac_credential *cat = calloc(CATALOG_MAX, sizeof *cat);
    size_t ncat = 0;
    int err = cat ? ac_store_credential_list(n->store, 0, NULL, cat, CATALOG_MAX, &ncat)
                  : AC_ENOMEM;
    json_t *list = err ? NULL : json_array();
    if (!err && !list)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < ncat; i++) {
        if (cat[i].state != AC_DEF_RECRUITING && cat[i].state != AC_DEF_ACTIVE)
            continue;
        int newer = 0;
        for (size_t k = 0; k < ncat; k++)
            newer |= strcmp(cat[k].def_id, cat[i].def_id) == 0 &&
                     cat[k].version > cat[i].version &&
                     (cat[k].state == AC_DEF_RECRUITING || cat[k].state == AC_DEF_ACTIVE);
        struct ac_definition *def = NULL;
        struct ac_def_problems pr = {0};
        if (newer ||
            ac_def_from_json(cat[i].definition, strlen(cat[i].definition), &def, &pr) != 0) {
            ac_def_problems_release(&pr);
            continue;
        }
        ac_def_problems_release(&pr);
        for (size_t q = 0; q < def->n_quals; q++) {
            const struct ac_def_qualification *qu = &def->quals[q];
            /* A credential never qualifies its holder to review itself. */
            if (qu->kind != AC_QUAL_HOLDS_CREDENTIAL || !held_has(held, nheld, qu->value) ||
                held_has(held, nheld, def->id))
                continue;
            json_t *j = json_pack("{s:s, s:I, s:s, s:s}", "credential", def->id, "version",
                                  (json_int_t)def->version, "title", def->title, "because",
                                  qu->value);
            if (!j || json_array_append_new(list, j))
                err = AC_ENOMEM;
            break;
        }
        ac_def_free(def);
    }
    for (size_t i = 0; i < ncat; i++)
        ac_credential_release(&cat[i]);
    free(cat);
    if (err) {
        json_decref(list);
        return err;
    }
    *out = list;
    return 0;
}

int ac__invite_to_review(struct ac_node *n, const struct ac_submission *s)
{
    const char *held[] = {s->credential_id};
    json_t *list = NULL;
    int err = qualified_for(n, held, 1, &list);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        if (err)
            break;
        const char *id = json_string_value(json_object_get(c, "credential"));
        const char *title = json_string_value(json_object_get(c, "title"));
        json_int_t version = json_integer_value(json_object_get(c, "version"));
        char subject[200], body[900];
        snprintf(subject, sizeof subject, "You are invited to review for %s", title);
        snprintf(body, sizeof body,
                 "Your pass of %s qualifies you to review submissions for \"%s\".\n"
                 "Reviewers are trained and certified before they score anyone's work.\n"
                 "To accept, take the reviewer role, then apply:\n"
                 "  accordctl reviewer accept-invitation\n"
                 "  accordctl reviewer apply %s@%lld\n",
                 s->credential_id, title, id, (long long)version);
        err = ac_store_notify_add(n->store, s->earner_id, "reviewer_invitation", s->id, subject,
                                  body, ac_clock_now_ms(), NULL);
        if (!err) {
            json_t *d = json_pack("{s:s, s:I, s:s}", "credential", id, "version", version,
                                  "because", s->credential_id);
            err = d ? ac_audit_id(n, "user", s->earner_id, 0, "invited_to_review", d) : AC_ENOMEM;
            json_decref(d);
        }
    }
    json_decref(list);
    return err;
}

int ac_reviewer_invitation_accept(struct ac_node *n, const struct ac_user *actor,
                                  struct ac_user *out, json_t **can_review,
                                  struct ac_reason *why)
{
    int err = ac__actor_require(actor, AC_ROLE_EARNER, why);
    if (err)
        return err;
    struct ac_submission *subs = NULL;
    size_t nsubs = 0, nheld = 0;
    err = ac_store_submission_list(n->store, actor->id, NULL, -1, 0, 100000, &subs, &nsubs);
    const char **held = err ? NULL : calloc(nsubs + 1, sizeof *held);
    if (!err && !held)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nsubs; i++)
        if (subs[i].passed)
            held[nheld++] = subs[i].credential_id;
    json_t *list = NULL;
    if (!err)
        err = qualified_for(n, held, nheld, &list);
    if (!err && json_array_size(list) == 0)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                             "no credential %s passed on this node qualifies them to review a "
                             "credential that is recruiting or active",
                             actor->name);
    int in_tx = 0;
    if (!err) {
        err = ac_store_tx_begin(n->store);
        in_tx = !err;
    }
    if (!err)
        err = ac_store_user_set_roles(n->store, actor->id, actor->roles | AC_ROLE_REVIEWER);
    if (!err) {
        json_t *d = json_pack("{s:O}", "can_review", list);
        err = d ? ac_audit_id(n, "user", actor->id, actor->id, "reviewer_invitation_accepted", d)
                : AC_ENOMEM;
        json_decref(d);
    }
    if (!err)
        err = ac_store_user_get(n->store, actor->id, out);
    /* Cached tokens carry the old roles, and inside a request group a read
     * served before the group's COMMIT may cache them again: dropped once
     * more when it commits (accounts/token_cache.h). */
    if (!err)
        err = ac__token_cache_forget_at_commit(n->token_cache, n->store, actor->id);
    if (in_tx && err)
        ac_store_tx_rollback(n->store);
    else if (in_tx)
        err = ac_store_tx_commit(n->store);
    for (size_t i = 0; i < nsubs; i++)
        ac_submission_release(&subs[i]);
    free(subs);
    free(held);
    if (err) {
        json_decref(list);
        return err;
    }
    /* ... and at once (the COMMIT above may be a savepoint of the group's). */
    ac__token_cache_forget_user(n->token_cache, actor->id);
    ac_log_info("lifecycle", "user %s (%lld) accepted the invitation to review", out->name,
                (long long)out->id);
    *can_review = list;
    return 0;
}
