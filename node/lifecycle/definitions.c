/* definitions.c - credential definitions as services: create a version,
 * replace a draft, and merge the framework audit answers into a draft; and
 * the guide to a definition's rubric that earners, reviewers and trainees
 * are shown (level descriptors, the checklist, common errors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/credential.h"
#include "audit.h"
#include "lifecycle.h"

/* Fills |*c| with the stored row |id| and takes over |*def|, the definition
 * just stored, rather than parsing the stored text again. */
static int cred_of(struct ac_node *n, int64_t id, struct ac_definition **def, struct ac__cred *c)
{
    memset(c, 0, sizeof *c);
    int err = ac_store_credential_get(n->store, id, &c->row);
    if (err)
        return err;
    c->def = *def;
    *def = NULL;
    c->def->state = c->row.state;
    snprintf(c->ref, sizeof c->ref, "%s@%lld", c->row.def_id, (long long)c->row.version);
    return 0;
}

int ac_definition_create(struct ac_node *n, const struct ac_user *actor, struct ac_definition *def,
                         struct ac__cred *out, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err) {
        ac_def_free(def);
        return err;
    }
    /* A new version of an existing definition must come after every stored
     * one: stored versions are never replaced, only followed. */
    struct ac_credential latest;
    err = ac_store_credential_find(n->store, def->id, 0, &latest);
    if (!err) {
        int64_t have = latest.version;
        ac_credential_release(&latest);
        if (def->version <= have) {
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_VERSION_EXISTS, "version",
                                 "version: %s already has version %lld; a new version must be "
                                 "%lld or higher (stored versions never change)",
                                 def->id, (long long)have, (long long)have + 1);
            ac_def_free(def);
            return err;
        }
    } else if (err != AC_ENOENT) {
        ac_def_free(def);
        return err;
    }
    char *canonical = NULL, hash[AC_DEF_HASH_HEX_LEN + 1];
    if (ac_def_to_json(def, true, &canonical) || ac_def_hash_hex(def, hash)) {
        free(canonical);
        ac_def_free(def);
        return AC_ENOMEM;
    }
    char ref[AC_CREDENTIAL_ID_MAX + 24];
    snprintf(ref, sizeof ref, "%s@%lld", def->id, (long long)def->version);
    json_t *d = json_pack("{s:s}", "content_hash", hash);
    int64_t id = 0;
    err = d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_credential_create(n->store, def->id, def->version, def->title, canonical,
                                         hash, actor->id, ac_clock_now_ms(), &id);
        if (!err)
            err = ac_audit(n, "credential", ref, actor->id, "create", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    json_decref(d);
    free(canonical);
    if (!err)
        err = cred_of(n, id, &def, out);
    ac_def_free(def);
    return err;
}

int ac_definition_replace(struct ac_node *n, const struct ac_user *actor, const char *ref,
                          struct ac_definition *def, struct ac__cred *out, struct ac_reason *why)
{
    static const enum ac_def_state draft[] = {AC_DEF_DRAFT};
    struct ac__cred c;
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, &c, why)) != 0) {
        ac_def_free(def);
        return err;
    }
    char *canonical = NULL, hash[AC_DEF_HASH_HEX_LEN + 1];
    json_t *d = NULL;
    if ((err = ac__cred_require_state(&c, draft, 1, "edit its definition", why)) != 0)
        goto out;
    if (strcmp(def->id, c.row.def_id) != 0 || def->version != c.row.version) {
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_DEFINITION, "version",
                             "id/version: the body is %s@%lld but the path names %s", def->id,
                             (long long)def->version, c.ref);
        goto out;
    }
    if (ac_def_to_json(def, true, &canonical) || ac_def_hash_hex(def, hash) ||
        !(d = json_pack("{s:s, s:s}", "from_hash", c.row.content_hash, "to_hash", hash))) {
        err = AC_ENOMEM;
        goto out;
    }
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_credential_update(n->store, c.row.id, def->title, canonical, hash,
                                         ac_clock_now_ms());
        if (!err)
            err = ac_audit(n, "credential", c.ref, actor->id, "edit", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_WRONG_STATE, "state",
                       "%s left draft meanwhile; published versions never change", c.ref);
    if (!err)
        err = cred_of(n, c.row.id, &def, out);
out:
    ac_def_free(def);
    json_decref(d);
    free(canonical);
    ac__cred_release(&c);
    return err;
}

int ac_definition_audit_answers(struct ac_node *n, const struct ac_user *actor, const char *ref,
                                const struct ac_audit_answers *answers, struct ac__cred *out,
                                struct ac_reason *why)
{
    static const enum ac_def_state draft[] = {AC_DEF_DRAFT};
    static const char *const keys[] = {"impact", "equity", "access", "language", "big_picture"};
    memset(out, 0, sizeof *out);
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    const char *given[] = {answers->impact, answers->equity, answers->access, answers->language,
                           answers->big_picture};
    char **slots[] = {&out->def->audit.impact, &out->def->audit.equity, &out->def->audit.access,
                      &out->def->audit.language, &out->def->audit.big_picture};
    char *canonical = NULL, hash[AC_DEF_HASH_HEX_LEN + 1];
    json_t *d = json_object();
    if ((err = ac__cred_require_state(out, draft, 1, "change its framework audit answers", why)))
        goto out;
    if (!d) {
        err = AC_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < 5; i++) {
        if (!given[i])
            continue;
        if (!given[i][0]) {
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, keys[i],
                                 "%s: must be a non-empty string answering the framework's %s "
                                 "question",
                                 keys[i], keys[i]);
            goto out;
        }
        char *copy = strdup(given[i]);
        if (!copy || json_object_set_new(d, keys[i], json_string(given[i]))) {
            free(copy);
            err = AC_ENOMEM;
            goto out;
        }
        free(*slots[i]);
        *slots[i] = copy;
    }
    if (ac_def_to_json(out->def, true, &canonical) || ac_def_hash_hex(out->def, hash)) {
        err = AC_ENOMEM;
        goto out;
    }
    err = ac_store_tx_begin(n->store);
    if (!err) {
        err = ac_store_credential_update(n->store, out->row.id, out->def->title, canonical, hash,
                                         ac_clock_now_ms());
        if (!err)
            err = ac_audit(n, "credential", out->ref, actor->id, "framework-audit", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_WRONG_STATE, "state",
                       "%s left draft meanwhile; published versions never change", out->ref);
    if (!err)
        err = ac__cred_refresh(n, out);
out:
    json_decref(d);
    free(canonical);
    if (err)
        ac__cred_release(out);
    return err;
}

static json_t *strings_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *ac__definition_guide(const struct ac_definition *def)
{
    json_t *levels = json_array();
    for (size_t i = 0; levels && i < def->n_levels; i++) {
        json_t *l = json_pack("{s:s, s:b}", "level", def->levels[i], "passing",
                              i >= def->passing_level);
        if (l && def->descriptors)
            json_object_set_new(l, "descriptor", json_string(def->descriptors[i]));
        if (!l || json_array_append_new(levels, l)) {
            json_decref(levels);
            levels = NULL;
        }
    }
    json_t *checklist = strings_array(def->checklist, def->n_checklist);
    json_t *errors = strings_array(def->common_errors, def->n_common_errors);
    if (!levels || !checklist || !errors) {
        json_decref(levels);
        json_decref(checklist);
        json_decref(errors);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:o}", "levels", levels, "checklist", checklist,
                     "common_errors", errors);
}

json_t *ac__definition_guide_of(struct ac_node *n, int64_t row)
{
    struct ac__cred c;
    if (ac__cred_load_id(n, row, &c) != 0)
        return NULL;
    json_t *j = ac__definition_guide(c.def);
    ac__cred_release(&c);
    return j;
}
