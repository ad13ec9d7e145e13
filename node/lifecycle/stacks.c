/* stacks.c - stacks of credentials and the stack credential (stacks.h). A
 * stack record is issued by the records service (ac__credential_issue, like
 * a pass's record): its definition id is the stack id, version 1, and its
 * content hash the SHA-256 of the stack as declared (id, title, members), so
 * a verifier can tell what it certifies. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/records/record.h"
#include "accord/store/credential.h"
#include "accord/store/notify.h"
#include "accord/store/submission.h"
#include "accounts/accounts.h"
#include "audit.h"
#include "lifecycle.h"
#include "lifecycle/stacks.h"
#include "records/records.h"

static int id_ok(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    if (len == 0 || len > AC_STACK_ID_MAX)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return 0;
    return 1;
}

int ac_stack_declare(struct ac_node *n, const struct ac_user *actor, const char *id,
                     const char *title, const char *const *members, size_t k, double ceus,
                     struct ac_stack *out, struct ac_reason *why)
{
    int err = ac__actor_require(actor, AC_ROLE_ADMIN, why);
    if (err)
        return err;
    if (!id_ok(id))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "id",
                              "id: \"%s\" must be 1-%d of a-z, 0-9, '.', '_' and '-'",
                              id ? id : "", AC_STACK_ID_MAX);
    if (!title || !title[0] || strlen(title) > 200)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "title",
                              "title: required; 1-200 bytes");
    if (k < 2 || k > AC_STACK_MEMBERS_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credentials",
                              "credentials: %zu given; a stack has 2 to %d credentials", k,
                              AC_STACK_MEMBERS_MAX);
    if (!(ceus >= 0 && ceus <= 1000))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "ceus",
                              "ceus: %g must be between 0 and 1000", ceus);
    json_t *list = json_array();
    for (size_t i = 0; !err && i < k; i++) {
        struct ac_credential c;
        size_t got = 0;
        err = ac_store_credential_list(n->store, 0, members[i], &c, 1, &got);
        if (!err && got)
            ac_credential_release(&c);
        if (!err && !got)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credentials",
                                 "credentials[%zu]: \"%s\" is not a credential defined here", i,
                                 members[i]);
        for (size_t j = 0; !err && j < i; j++)
            if (strcmp(members[j], members[i]) == 0)
                err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "credentials",
                                     "credentials[%zu]: \"%s\" appears twice", i, members[i]);
        if (!err && json_array_append_new(list, json_string(members[i])))
            err = AC_ENOMEM;
    }
    char *text = err ? NULL : json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (!err && !text)
        err = AC_ENOMEM;
    if (!err && (err = ac_store_tx_begin(n->store)) == 0) {
        err = ac_store_stack_create(n->store, id, title, text, (int64_t)(ceus * 100 + 0.5),
                                    actor->id, ac_clock_now_ms());
        if (err == AC_EEXIST)
            ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, "id",
                           "id: stack \"%s\" was declared already", id);
        if (!err) {
            json_t *d = json_pack("{s:s, s:s}", "title", title, "credentials", text);
            err = d ? ac_audit(n, "stack", id, actor->id, "declared", d) : AC_ENOMEM;
            json_decref(d);
        }
        if (!err)
            err = ac_store_stack_get(n->store, id, out);
        if (err)
            ac_store_tx_rollback(n->store);
        else
            err = ac_store_tx_commit(n->store);
    }
    free(text);
    return err;
}

/* Whether |earner_id| holds an issued record of a pass of |credential_id|. */
static int has_earned(struct ac_node *n, int64_t earner_id, const char *credential_id, int *yes)
{
    struct ac_submission *subs = NULL;
    size_t k = 0;
    *yes = 0;
    int err = ac_store_submission_list(n->store, earner_id, credential_id, -1, 0, 1000, &subs, &k);
    for (size_t i = 0; !err && i < k; i++) {
        int64_t rec;
        if (subs[i].passed && ac_store_submission_record_get(n->store, subs[i].id, &rec) == 0)
            *yes = 1;
    }
    for (size_t i = 0; i < k; i++)
        ac_submission_release(&subs[i]);
    free(subs);
    return err;
}

/* Issues |st|'s record to |earner_id|, links it, audits and tells them. */
static int issue_stack(struct ac_node *n, const struct ac_stack *st, int64_t earner_id)
{
    char email[AC_USER_EMAIL_MAX + 1], evidence[AC_RECORD_EVIDENCE_MAX + 1];
    /* The subject names the earner as the record of each pass does
     * (node/review/decisions.c): a fresh salted hash of the verified
     * address, so the stack record binds the same holder. A pass record was
     * just issued to that address, so it is verified; if not, nothing is
     * issued and the next pass record tries again. */
    int err = ac__users_verified_email(n, earner_id, email, NULL);
    if (err == AC_ECONFLICT) {
        ac_log_warn("stacks",
                    "stack %s: user %" PRId64 " has no verified e-mail address; not "
                    "issued",
                    st->id, earner_id);
        return 0;
    }
    if (err)
        return err;
    snprintf(evidence, sizeof evidence, "earned every credential of stack %s on %s: %s", st->id,
             n->cfg->node_id, st->members);
    json_t *c = json_pack("{s:s, s:s, s:s}", "id", st->id, "title", st->title, "credentials",
                          st->members);
    char *ctext = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(c);
    if (!ctext)
        return AC_ENOMEM;
    struct ac__issue_req req = {.email = email,
                                .earner_id = earner_id,
                                .definition_id = st->id,
                                .definition_version = 1,
                                .achieved_level = "complete",
                                .has_ceu = st->ceu_hundredths > 0,
                                .ceu_hundredths = (uint64_t)st->ceu_hundredths,
                                .evidence = evidence};
    crypto_hash_sha256(req.content_hash, (const unsigned char *)ctext, strlen(ctext));
    free(ctext);
    int64_t rec = 0, now = ac_clock_now_ms();
    err = ac__credential_issue(n, &req, &rec);
    if (!err)
        err = ac_store_stack_record_set(n->store, st->id, earner_id, rec, now);
    if (!err) {
        json_t *d = json_pack("{s:I, s:I}", "earner", (json_int_t)earner_id, "record",
                              (json_int_t)rec);
        err = d ? ac_audit(n, "stack", st->id, 0, "record_issued", d) : AC_ENOMEM;
        json_decref(d);
    }
    if (!err) {
        char subj[300], body[600];
        snprintf(subj, sizeof subj, "You earned the stack credential %s", st->title);
        snprintf(body, sizeof body,
                 "You have earned every credential of the stack \"%s\" (%s).\n"
                 "Its stack credential is issued as record %" PRId64 ":\n"
                 "  accordctl credential show %" PRId64 "\n",
                 st->title, st->members, rec, rec);
        err = ac_store_notify_add(n->store, earner_id, "stack", 0, subj, body, now, NULL);
    }
    return err;
}

int ac__stacks_after_issue(struct ac_node *n, int64_t earner_id, const char *credential_id)
{
    struct ac_stack *stacks = NULL;
    size_t k = 0;
    int err = ac_store_stack_list(n->store, &stacks, &k);
    for (size_t i = 0; !err && i < k; i++) {
        json_t *members = json_loads(stacks[i].members, 0, NULL);
        int holds = 0, all = json_array_size(members) > 0;
        size_t j;
        json_t *m;
        json_array_foreach(members, j, m) holds |=
            strcmp(json_string_value(m) ? json_string_value(m) : "", credential_id) == 0;
        int64_t rec;
        if (holds && ac_store_stack_record_get(n->store, stacks[i].id, earner_id, &rec) == 0)
            holds = 0; /* issued already: once per earner */
        json_array_foreach(members, j, m)
        {
            if (!holds || !all || err)
                break;
            int yes = 0;
            err = has_earned(n, earner_id, json_string_value(m) ? json_string_value(m) : "",
                             &yes);
            all &= yes;
        }
        json_decref(members);
        if (!err && holds && all)
            err = issue_stack(n, &stacks[i], earner_id);
    }
    for (size_t i = 0; i < k; i++)
        ac_stack_release(&stacks[i]);
    free(stacks);
    return err;
}
