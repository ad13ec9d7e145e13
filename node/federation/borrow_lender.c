/* borrow_lender.c - the lender's side of borrowed review: a batch an issuer
 * offers one of our reviewers is kept here (or declined at once, with the
 * reason, when the ledger's debt cap or the reviewer rules it out: such an
 * answer says it is automatic, and until when when the rule knows); the
 * reviewer is invited and reminded here, accepts or declines before seeing
 * content, reads the items (artifacts fetched from the issuer by content
 * hash, under a grant naming the assignment) and scores them here; each
 * answer and result goes back as a signed message through the outbox, and
 * the issuer's answer to a result (its receipt, or a refusal with the
 * reason) is kept before the outbox moves on. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/net/h2_client.h"
#include "accord/sign/cbor.h"
#include "accord/store/borrow.h"
#include "accord/store/job.h"
#include "accord/store/ledger.h"
#include "accord/store/notify.h"
#include "accord/store/outbox.h"
#include "accord/store/peer.h"
#include "accord/store/remote.h"
#include "accord/store/user.h"
#include "audit.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"
#include "lending.h"
#include "readers.h"
#include "review/review.h"

#define HOUR_MS (3600LL * 1000)

static int audit(struct ac_node *n, int64_t subject, int64_t actor, const char *action,
                 json_t *detail)
{
    int err = detail ? ac_audit_id(n, "lent_batch", subject, actor, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

/* ---- offers from an issuer ---- */

/* The first millisecond of |ms|'s calendar month (UTC). */
static int64_t month_start(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) * 1000;
}

/* How the node declined on its own, as the answer tells the issuer: a cap
 * (the ledger's debt cap, the policy's monthly cap) or the rest of the
 * policy. A person's decline carries neither. */
#define AUTO_CAP "cap"
#define AUTO_POLICY "policy"

/* Why |from|'s offer to |reviewer| for |credential| is declined at once, or
 * "" when it may go to the reviewer: a reviewer we do not have, the peer
 * past the debt cap of the ledger policy, or our lending policy
 * (lending.h: listed reviewers, own queue first, blackouts, monthly cap).
 * When declined, |*automatic| says which kind of rule (AUTO_CAP or
 * AUTO_POLICY) and |*again_ms| when it lets the reviewer be lent again, 0
 * when the rule cannot say (the issuer then waits a day). */
static int decline_reason(struct ac_node *n, const char *from, const char *credential,
                          int64_t reviewer, char *out, size_t size, const char **automatic,
                          int64_t *again_ms)
{
    *out = 0;
    *automatic = AUTO_POLICY;
    *again_ms = 0;
    struct ac_user u;
    int err = ac_store_user_get(n->store, reviewer, &u);
    struct ac_remote_reviewer stand_in;
    if (err == AC_ENOENT || (!err && (!(u.roles & AC_ROLE_REVIEWER) || u.disabled_ms)) ||
        (!err && ac_store_remote_reviewer_get(n->store, reviewer, &stand_in) == 0)) {
        snprintf(out, size, "user %" PRId64 " is not a reviewer of this node", reviewer);
        return 0;
    }
    if (err)
        return err;
    int64_t cap, lent, borrowed;
    int set;
    err = ac_store_ledger_policy_get(n->store, from, &cap, &set);
    if (!err && set)
        err = ac_store_ledger_totals(n->store, from, &lent, &borrowed);
    /* Lent minus borrowed is what |from| owes us: its balance with us is
     * the negative of that. */
    if (!err && set && lent - borrowed >= cap) {
        *automatic = AUTO_CAP;
        snprintf(out, size,
                 "the balance of %s with this node is %" PRId64 " reviews; this node lends to "
                 "it only while that balance is above -%" PRId64,
                 from, borrowed - lent, cap);
        return 0;
    }
    int64_t now = ac_clock_now_ms(), held = 0;
    if (!err)
        err = ac_store_lent_count(n->store, from, reviewer, month_start(now), &held);
    struct ac_reason why = AC_REASON_INIT;
    int rc = err ? 0
                 : ac__lending_check_until(n, from, credential, reviewer, held, now, &why,
                                           again_ms);
    if (rc == AC_ECONFLICT) {
        snprintf(out, size, "%.*s", (int)(size - 1), why.detail);
        if (strcmp(why.field, "monthly_cap") == 0)
            *automatic = AUTO_CAP;
    } else if (rc)
        err = rc;
    ac_reason_release(&why);
    return err;
}

/* Checks the offer's shape; each field is then read without more checks. */
static int offer_ok(const json_t *b)
{
    const char *ints[] = {"batch", "reviewer", "version", "deadline"};
    for (size_t i = 0; i < 4; i++)
        if (!json_is_integer(json_object_get(b, ints[i])))
            return 0;
    json_t *rubric = json_object_get(b, "rubric"), *items = json_object_get(b, "items");
    if (!json_is_string(json_object_get(b, "credential")) ||
        !json_is_string(json_object_get(b, "title")) || !json_is_object(rubric) ||
        !json_is_array(json_object_get(rubric, "levels")) || !json_is_array(items) ||
        json_array_size(items) == 0)
        return 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *pn = json_string_value(json_object_get(it, "item"));
        if (!pn || !*pn || strlen(pn) > AC_BORROW_PSEUDONYM_MAX ||
            !json_is_array(json_object_get(it, "elements")))
            return 0;
    }
    return 1;
}

/* The end of every message |from| sends us: notes that |from| was heard
 * from, then encodes the answer |j| (taken, may be NULL: AC_ENOMEM) into
 * |answer|. */
static int answer_heard(struct ac_node *n, const struct ac__fed_peer *from, json_t *j,
                        struct ac_buf *answer)
{
    int err = ac_store_peer_state_received(n->store, from->node_id);
    if (!err)
        err = ac__json_to_cbor(j, answer);
    json_decref(j);
    return err;
}

/* Queues the reviewer's (or our rules') answer to the issuer's batch. A
 * decline by our rules says so (|automatic|: AUTO_CAP or AUTO_POLICY; NULL
 * for the reviewer's own answer) and, when the rule knows, from when the
 * reviewer may be offered work again (|again_ms|, 0: not said), so the
 * issuer does not offer them again and again meanwhile. */
static int queue_answer(struct ac_node *n, const struct ac_lent_batch *b, int accept,
                        const char *reason, const char *automatic, int64_t again_ms)
{
    json_t *body = json_pack("{s:I, s:b, s:s}", "batch", (json_int_t)b->remote_batch, "accept",
                             accept, "reason", reason ? reason : "");
    if (body && automatic &&
        json_object_set_new(body, "automatic", json_string(automatic)) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (body && automatic && again_ms > 0 &&
        json_object_set_new(body, "until", json_integer((json_int_t)again_ms)) != 0) {
        json_decref(body);
        body = NULL;
    }
    char id[40];
    snprintf(id, sizeof id, "answer-%" PRId64, b->remote_batch);
    int err = body ? ac__borrow_queue(n, b->issuer, AC__BORROW_ANSWER, id, body) : AC_ENOMEM;
    json_decref(body);
    return err;
}

/* Closes every open item of lent batch |id| (it ended before they were
 * scored). */
static int close_open_items(struct ac_node *n, int64_t id)
{
    struct ac_lent_item *its = NULL;
    size_t k = 0;
    int err = ac_store_lent_item_list(n->store, id, &its, &k);
    for (size_t i = 0; !err && i < k; i++)
        if (its[i].state == AC_LITEM_OPEN)
            err = ac_store_lent_item_set(n->store, its[i].id, AC_LITEM_CLOSED, NULL, NULL, NULL, 0);
    for (size_t i = 0; i < k; i++)
        ac_lent_item_release(&its[i]);
    free(its);
    return err;
}

/* Ends lent batch |id| in |state| (declined, reclaimed) with |reason|, and
 * closes its open items: no score may come for them any more. */
static int lent_end(struct ac_node *n, int64_t id, enum ac_lent_state state, const char *reason,
                    int64_t now)
{
    int err = ac_store_lent_batch_set(n->store, id, state, reason, now);
    return err ? err : close_open_items(n, id);
}

int ac__borrow_apply_offer(struct ac__federation *f, struct ac__fed_peer *from,
                           const struct ac_envelope *e, struct ac_buf *answer,
                           struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = ac__cbor_to_json_or_null(e->body, e->body_len);
    if (!json_is_object(body) || !offer_ok(body)) {
        json_decref(body);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a review.offer body is {batch, reviewer, credential, version, "
                              "title, deadline, rubric: {levels, ...}, items: [{item, school, "
                              "district, elements}]}");
    }
    int64_t now = ac_clock_now_ms();
    struct ac_lent_batch b = {.remote_batch = json_integer_value(json_object_get(body, "batch")),
                              .reviewer = json_integer_value(json_object_get(body, "reviewer")),
                              .version = json_integer_value(json_object_get(body, "version")),
                              .deadline_ms = json_integer_value(json_object_get(body, "deadline")),
                              .created_ms = now};
    snprintf(b.issuer, sizeof b.issuer, "%s", from->node_id);
    snprintf(b.credential_id, sizeof b.credential_id, "%s",
             json_string_value(json_object_get(body, "credential")));
    snprintf(b.title, sizeof b.title, "%s", json_string_value(json_object_get(body, "title")));
    b.rubric = json_dumps(json_object_get(body, "rubric"), JSON_COMPACT | JSON_SORT_KEYS);
    const char *automatic = NULL;
    int64_t again = 0;
    int err = b.rubric ? decline_reason(n, from->node_id, b.credential_id, b.reviewer, b.reason,
                                        sizeof b.reason, &automatic, &again)
                       : AC_ENOMEM;
    int declined = !err && b.reason[0];
    int64_t id = 0;
    if (!err) {
        /* A declined offer is kept with no reviewer behind it: the row says
         * what was offered and why it was declined. */
        if (declined && ac_store_user_get(n->store, b.reviewer, &(struct ac_user){0}) != 0)
            b.reviewer = 0;
        err = ac_store_lent_batch_add(n->store, &b, &id);
        if (err == AC_EEXIST)
            err = ac_reason_fail(why, AC_EEXIST, AC_PROBLEM_CONFLICT, "body.batch",
                                 "batch %" PRId64 " of %s was offered already", b.remote_batch,
                                 from->node_id);
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(body, "items"), i, it)
    {
        if (err)
            break;
        struct ac_lent_item li = {.batch_id = id};
        snprintf(li.pseudonym, sizeof li.pseudonym, "%s",
                 json_string_value(json_object_get(it, "item")));
        const char *s = json_string_value(json_object_get(it, "school"));
        const char *d = json_string_value(json_object_get(it, "district"));
        snprintf(li.school, sizeof li.school, "%s", s ? s : "");
        snprintf(li.district, sizeof li.district, "%s", d ? d : "");
        li.elements = json_dumps(json_object_get(it, "elements"), JSON_COMPACT);
        int64_t iid;
        err = li.elements ? ac_store_lent_item_add(n->store, &li, &iid) : AC_ENOMEM;
        free(li.elements);
    }
    if (!err && declined) {
        err = lent_end(n, id, AC_LENT_DECLINED, b.reason, now);
        if (!err)
            err = queue_answer(n, &b, 0, b.reason, automatic, again);
        ac_log_info("federation", "offer of batch %" PRId64 " from %s declined: %s", b.remote_batch,
                    from->node_id, b.reason);
    } else if (!err) {
        char subject[200], text[700], when[21];
        size_t nitems = json_array_size(json_object_get(body, "items"));
        snprintf(subject, sizeof subject, "Invitation from %s: %zu reviews for %s", from->node_id,
                 nitems, b.credential_id);
        snprintf(text, sizeof text,
                 "%s invites you to review %zu submissions for \"%s\" (lent batch %" PRId64
                 ").\nAccept or decline before %s:\n  accordctl borrowed accept %" PRId64
                 "\n  accordctl borrowed decline %" PRId64 "\n",
                 from->node_id, nitems, b.title, id, ac_clock_format(b.deadline_ms, when), id, id);
        err = ac_store_notify_add(n->store, b.reviewer, "invitation", 0, subject, text, now, NULL);
        json_t *rem = json_object_get(json_object_get(body, "rubric"), "reminders_hours");
        json_t *h;
        json_array_foreach(rem, i, h)
        {
            if (!err && json_is_integer(h) && json_integer_value(h) > 0)
                err = ac_store_job_add(n->store, "lent_reminder", id,
                                       b.deadline_ms - json_integer_value(h) * HOUR_MS);
        }
    }
    if (!err)
        err = audit(n, id, 0, declined ? "declined" : "offered",
                    json_pack("{s:s, s:I, s:s}", "issuer", from->node_id, "remote_batch",
                              (json_int_t)b.remote_batch, "reason", b.reason));
    if (!err)
        err = answer_heard(n, from,
                           json_pack("{s:s, s:I, s:s}", "re", e->id, "lent_batch", (json_int_t)id,
                                     "state", declined ? "declined" : "invited"),
                           answer);
    ac_lent_batch_release(&b);
    json_decref(body);
    return err;
}

/* The lent batch |from| calls body.batch; AC_ENOENT when we hold none. */
static int find_lent(struct ac_node *n, struct ac__fed_peer *from, const json_t *body,
                     struct ac_lent_batch *b)
{
    json_t *id = json_object_get(body, "batch");
    if (!json_is_integer(id))
        return AC_EINVAL;
    return ac_store_lent_batch_find(n->store, from->node_id, json_integer_value(id), b);
}

int ac__borrow_apply_reclaim(struct ac__federation *f, struct ac__fed_peer *from,
                             const struct ac_envelope *e, struct ac_buf *answer,
                             struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = ac__cbor_to_json_or_null(e->body, e->body_len);
    struct ac_lent_batch b = {0};
    int err = json_is_object(body) ? find_lent(n, from, body, &b) : AC_EINVAL;
    if (err == AC_EINVAL) {
        json_decref(body);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a review.reclaim body is {batch, reason}");
    }
    int known = err == 0, taken = 0;
    if (err == AC_ENOENT)
        err = 0;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    int64_t now = ac_clock_now_ms();
    if (!err && known && (b.state == AC_LENT_INVITED || b.state == AC_LENT_ACCEPTED)) {
        taken = 1;
        char text[600];
        snprintf(text, sizeof text, "taken back by %s: %s", from->node_id,
                 reason ? reason : "no reason given");
        err = lent_end(n, b.id, AC_LENT_RECLAIMED, text, now);
        if (!err)
            err = ac_store_notify_add(n->store, b.reviewer, "expired", 0,
                                      "A lent review batch was taken back", text, now, NULL);
        if (!err)
            err = audit(n, b.id, 0, "reclaimed", json_pack("{s:s}", "reason", text));
    }
    if (!err)
        err = answer_heard(
            n, from, json_pack("{s:s, s:b, s:b}", "re", e->id, "known", known, "reclaimed", taken),
            answer);
    ac_lent_batch_release(&b);
    json_decref(body);
    return err;
}

int ac__borrow_apply_notice(struct ac__federation *f, struct ac__fed_peer *from,
                            const struct ac_envelope *e, struct ac_buf *answer,
                            struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = ac__cbor_to_json_or_null(e->body, e->body_len);
    json_t *rid = json_object_get(body, "reviewer");
    const char *cred = json_string_value(json_object_get(body, "credential"));
    const char *action = json_string_value(json_object_get(body, "action"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (!json_is_integer(rid) || !cred || !action) {
        json_decref(body);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a review.notice body is {reviewer, credential, version, action, "
                              "reason}");
    }
    int64_t reviewer = json_integer_value(rid), now = ac_clock_now_ms();
    char subject[200], text[900];
    snprintf(subject, sizeof subject, "%s: reviewer %" PRId64 " %s for %s", from->node_id, reviewer,
             action, cred);
    snprintf(text, sizeof text,
             "%s monitors the reviews lent to it. For %s, reviewer %" PRId64 " was %s: %s\n",
             from->node_id, cred, reviewer, action, reason ? reason : "");
    struct ac_user u;
    int err = ac_store_user_get(n->store, reviewer, &u);
    int known = err == 0;
    if (err == AC_ENOENT)
        err = 0;
    if (!err && known)
        err = ac_store_notify_add(n->store, reviewer, "notice", 0, subject, text, now, NULL);
    if (!err)
        err = ac__notify_admins(n, "notice", 0, subject, text);
    if (!err)
        err = ac_audit_id(n, "reviewer", reviewer, 0, "notice_from_issuer",
                          body); /* borrows |body| */
    if (!err)
        err = answer_heard(n, from, json_pack("{s:s, s:b}", "re", e->id, "known", known), answer);
    json_decref(body);
    return err;
}

/* ---- the reminder job ---- */

int ac__borrow_job_reminder(struct ac_node *n, const struct ac_job *job)
{
    struct ac_lent_batch b;
    int err = ac_store_lent_batch_get(n->store, job->ref, &b);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    int64_t now = ac_clock_now_ms();
    if ((b.state == AC_LENT_INVITED || b.state == AC_LENT_ACCEPTED) && now < b.deadline_ms) {
        char subject[160], text[400], when[21];
        snprintf(subject, sizeof subject, "Reminder: lent batch %" PRId64 " is due", b.id);
        snprintf(text, sizeof text, "Lent batch %" PRId64 " for %s (%s) is due at %s (%s).\n", b.id,
                 b.issuer, b.credential_id, ac_clock_format(b.deadline_ms, when),
                 b.state == AC_LENT_INVITED ? "not yet accepted" : "accepted, scores missing");
        err = ac_store_notify_add(n->store, b.reviewer, "reminder", 0, subject, text, now, NULL);
    }
    ac_lent_batch_release(&b);
    return err;
}

/* ---- the reviewer's services ---- */

/* The reviewer accepts or declines lent batch |id|, before seeing content. */
static int lent_respond(struct ac_node *n, int64_t user, int64_t id, int accept,
                        struct ac_reason *why)
{
    struct ac_lent_batch b;
    int err = ac_store_lent_batch_get(n->store, id, &b);
    if (err)
        return err;
    int64_t now = ac_clock_now_ms();
    char when[21];
    if (b.reviewer != user)
        err = AC_ENOENT;
    else if (b.state != AC_LENT_INVITED)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, NULL,
                             "lent batch %" PRId64 " is %s; only an invited batch can be %s", id,
                             ac_lent_state_name(b.state), accept ? "accepted" : "declined");
    else if (now >= b.deadline_ms)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, NULL,
                             "the invitation to lent batch %" PRId64 " expired at %s", id,
                             ac_clock_format(b.deadline_ms, when));
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err) {
        ac_lent_batch_release(&b);
        return err;
    }
    const char *reason = accept ? "" : "declined by the reviewer";
    err = accept ? ac_store_lent_batch_set(n->store, id, AC_LENT_ACCEPTED, reason, now)
                 : lent_end(n, id, AC_LENT_DECLINED, reason, now);
    if (!err)
        err = queue_answer(n, &b, accept, reason, NULL, 0);
    if (!err)
        err = audit(n, id, user, accept ? "accepted" : "declined", json_object());
    ac_lent_batch_release(&b);
    err = ac__scheduler_commit(n, err);
    if (!err && n->federation)
        ac__fed_kick_all(n->federation);
    return err;
}

/* Checks |levels| against the rubric's scale and grain (the issuer checks
 * them again with its definition). */
static int levels_ok(const json_t *rubric, const json_t *levels, struct ac_reason *why)
{
    json_t *scale = json_object_get(rubric, "levels");
    const char *grain = json_string_value(json_object_get(rubric, "grain"));
    int holistic = grain && strcmp(grain, "holistic") == 0;
    size_t nel = json_array_size(json_object_get(rubric, "elements"));
    json_t *names = json_array();
    if (!names)
        return AC_ENOMEM;
    if (json_is_string(levels))
        json_array_append(names, (json_t *)levels);
    else if (json_is_array(levels))
        json_array_extend(names, (json_t *)levels);
    else if (json_is_object(levels)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)levels, k, v) json_array_append(names, v);
    }
    size_t want = holistic ? 1 : nel, got = json_array_size(names);
    int err = 0;
    if (got == 0 || (holistic && (got != 1 || json_is_object(levels))) ||
        (!holistic && json_is_array(levels) && got != want) ||
        (!holistic && json_is_string(levels) && want != 1))
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                             "levels: this rubric is %s and needs %zu level name%s",
                             holistic ? "holistic" : "per element", want,
                             want == 1 ? "" : "s, one per element");
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (err || json_is_null(v))
            continue;
        int found = 0;
        size_t k;
        json_t *s;
        json_array_foreach(scale, k, s) found |= json_equal(s, v);
        if (!found) {
            char *t = json_dumps(scale, JSON_COMPACT);
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_OFF_SCALE, "levels",
                                 "levels: %s is not a level of the scale; use one of %s",
                                 json_is_string(v) ? json_string_value(v) : "(not a string)",
                                 t ? t : "");
            free(t);
        }
    }
    json_decref(names);
    return err;
}

/* Loads item |id| and its batch for its reviewer, refusing unless the batch
 * is accepted and the item still |want| (open). */
static int load_item(struct ac_store *st, int64_t user, int64_t id, struct ac_lent_item *it,
                     struct ac_lent_batch *b, struct ac_reason *why)
{
    int err = ac_store_lent_item_get(st, id, it);
    if (err)
        return err;
    err = ac_store_lent_batch_get(st, it->batch_id, b);
    if (!err && b->reviewer != user) {
        ac_lent_batch_release(b);
        err = AC_ENOENT;
    }
    if (err) {
        ac_lent_item_release(it);
        return err;
    }
    if (b->state != AC_LENT_ACCEPTED)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, NULL,
                             "lent batch %" PRId64 " is %s; its items are shown only while an "
                             "accepted batch lasts",
                             b->id, ac_lent_state_name(b->state));
    if (err) {
        ac_lent_item_release(it);
        ac_lent_batch_release(b);
    }
    return err;
}

/* The reviewer scores item |id|: kept here and sent to the issuer as a
 * signed result, in one transaction. */
static int lent_score(struct ac_node *n, int64_t user, int64_t id, const json_t *levels,
                      const json_t *feedback, struct ac_reason *why)
{
    struct ac_lent_item it;
    struct ac_lent_batch b;
    int err = load_item(n->store, user, id, &it, &b, why);
    if (err)
        return err;
    json_t *rubric = json_loads(b.rubric, 0, NULL);
    int64_t now = ac_clock_now_ms();
    char when[21];
    if (it.state != AC_LITEM_OPEN)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ALREADY_SCORED, NULL,
                             "lent item %" PRId64 " is %s; an item is scored once", id,
                             ac_lent_item_state_name(it.state));
    else if (now >= b.deadline_ms)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, NULL,
                             "the review deadline of lent batch %" PRId64 " passed at %s", b.id,
                             ac_clock_format(b.deadline_ms, when));
    if (!err)
        err = rubric ? levels_ok(rubric, levels, why) : AC_EPARSE;
    char *lv = err ? NULL : json_dumps(levels, JSON_COMPACT | JSON_ENCODE_ANY);
    char *fb = !err && json_is_object(feedback)
                   ? json_dumps(feedback, JSON_COMPACT | JSON_SORT_KEYS)
                   : NULL;
    if (!err && (!lv || (json_is_object(feedback) && !fb)))
        err = AC_ENOMEM;
    if (!err)
        err = ac_store_tx_begin(n->store);
    if (err)
        goto out;
    err = ac_store_lent_item_set(n->store, id, AC_LITEM_SCORED, lv,
                                 fb                            ? fb
                                 : json_string_value(feedback) ? json_string_value(feedback)
                                                               : "",
                                 NULL, now);
    json_t *body =
        json_pack("{s:I, s:s, s:O, s:O}", "batch", (json_int_t)b.remote_batch, "item", it.pseudonym,
                  "levels", levels, "feedback", feedback ? feedback : json_null());
    char mid[AC_ENVELOPE_ID_MAX + 1];
    snprintf(mid, sizeof mid, "result-%" PRId64 "-%s", b.remote_batch, it.pseudonym);
    if (!err)
        err = body ? ac__borrow_queue(n, b.issuer, AC__BORROW_RESULT, mid, body) : AC_ENOMEM;
    json_decref(body);
    /* The batch is done here once nothing in it is open. */
    struct ac_lent_item *its = NULL;
    size_t k = 0, open = 0;
    if (!err)
        err = ac_store_lent_item_list(n->store, b.id, &its, &k);
    for (size_t i = 0; i < k; i++) {
        open += its[i].state == AC_LITEM_OPEN;
        ac_lent_item_release(&its[i]);
    }
    free(its);
    if (!err && open == 0)
        err = ac_store_lent_batch_set(n->store, b.id, AC_LENT_DONE, NULL, now);
    if (!err)
        err = audit(n, b.id, user, "scored", json_pack("{s:I}", "item", (json_int_t)id));
    err = ac__scheduler_commit(n, err);
    if (!err && n->federation)
        ac__fed_kick_all(n->federation);
out:
    free(lv);
    free(fb);
    json_decref(rubric);
    ac_lent_item_release(&it);
    ac_lent_batch_release(&b);
    return err;
}

/* ---- endpoints ---- */

static json_t *item_summary(const struct ac_lent_item *it)
{
    json_t *j = json_pack("{s:I, s:s}", "id", (json_int_t)it->id, "state",
                          ac_lent_item_state_name(it->state));
    if (j && it->reason[0])
        json_object_set_new(j, "reason", json_string(it->reason));
    return j;
}

static json_t *batch_json(struct ac_store *st, const struct ac_lent_batch *b)
{
    struct ac_lent_item *its = NULL;
    size_t k = 0;
    json_t *items = json_array();
    if (ac_store_lent_item_list(st, b->id, &its, &k) == 0) {
        for (size_t i = 0; i < k; i++) {
            json_array_append_new(items, item_summary(&its[i]));
            ac_lent_item_release(&its[i]);
        }
        free(its);
    }
    json_t *j = json_pack(
        "{s:I, s:s, s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)b->id, "issuer",
        b->issuer, "issuer_batch", (json_int_t)b->remote_batch, "reviewer", (json_int_t)b->reviewer,
        "credential", b->credential_id, "version", (json_int_t)b->version, "title", b->title,
        "state", ac_lent_state_name(b->state), "reason", b->reason, "items", items);
    ac__json_time(j, "invited_at", b->created_ms);
    ac__json_time(j, "deadline", b->deadline_ms);
    return j;
}

/* GET /v1/borrowed/batches: the reviewer's lent batches (an admin's: all). */
/* The lent batches and one lent item, read on a reader thread
 * (node/readers.h) once the loop has checked the caller's role. */
struct lent_read {
    struct ac__json_read r; /* first */
    int64_t reviewer;       /* batches: 0 for every batch (admins); item: the caller */
    int64_t id;             /* item */
    size_t limit;           /* batches */
    int64_t after;
};

static int batches_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                        struct ac_reason *why)
{
    (void)why;
    struct lent_read *l = (struct lent_read *)r;
    size_t limit = l->limit;
    struct ac_lent_batch *bs = NULL;
    size_t k = 0;
    int err = ac_store_lent_batch_list(view->store, l->reviewer, l->after, limit + 1, &bs, &k);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        if (i < limit)
            json_array_append_new(items, batch_json(view->store, &bs[i]));
        ac_lent_batch_release(&bs[i]);
    }
    int64_t last = k ? bs[(k > limit ? limit : k) - 1].id : 0;
    free(bs);
    *out = ac__page_json(items, k > limit, last);
    return 0;
}

static void on_batches(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER | AC_ROLE_ADMIN))
        return;
    size_t limit;
    int64_t after;
    if (ac__page_params(x, &limit, &after))
        return;
    struct lent_read *l = ac__read_new(x, sizeof *l, "lent batches");
    if (!l)
        return;
    l->reviewer = (a.user.roles & AC_ROLE_ADMIN) ? 0 : a.user.id;
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, batches_read, NULL, "lent batches");
}

/* A reviewer's request about one lent batch or item (|what|): who asks,
 * the reviewer role, and the {id} of the path; answers and returns -1 when
 * any is wrong. */
static int lent_request(struct ac_node *n, struct ac_http_exchange *x, struct ac__auth *a,
                        const char *what, int64_t *id)
{
    if (ac__authenticate(n, x, a) || ac__require_role(x, a, AC_ROLE_REVIEWER) ||
        ac__param_id(x, "id", what, id))
        return -1;
    return 0;
}

static void respond(struct ac_http_exchange *x, void *arg, int accept)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (lent_request(n, x, &a, "lent batch", &id))
        return;
    char what[48];
    snprintf(what, sizeof what, "lent batch %" PRId64, id);
    struct ac_reason why = AC_REASON_INIT;
    int err = lent_respond(n, a.user.id, id, accept, &why);
    struct ac_lent_batch b;
    if (!err)
        err = ac_store_lent_batch_get(n->store, id, &b);
    if (err) {
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    ac__respond_owned(x, 200, batch_json(n->store, &b));
    ac_lent_batch_release(&b);
}

static void on_accept(struct ac_http_exchange *x, void *arg)
{
    respond(x, arg, 1);
}

static void on_decline(struct ac_http_exchange *x, void *arg)
{
    respond(x, arg, 0);
}

/* GET /v1/borrowed/items/{id}: an item's content and the rubric, only while
 * its batch is accepted. */
static int item_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                     struct ac_reason *why)
{
    struct lent_read *l = (struct lent_read *)r;
    struct ac_lent_item it;
    struct ac_lent_batch b;
    int err = load_item(view->store, l->reviewer, l->id, &it, &b, why);
    if (err)
        return err;
    json_t *j = item_summary(&it);
    json_object_set_new(j, "batch", json_integer(b.id));
    json_object_set_new(j, "issuer", json_string(b.issuer));
    json_object_set_new(j, "credential", json_string(b.credential_id));
    json_object_set_new(j, "school", json_string(it.school));
    json_object_set_new(j, "district", json_string(it.district));
    json_object_set_new(j, "elements", json_loads(it.elements, 0, NULL));
    json_object_set_new(j, "rubric", json_loads(b.rubric, 0, NULL));
    if (it.levels[0])
        json_object_set_new(j, "levels", json_loads(it.levels, JSON_DECODE_ANY, NULL));
    ac_lent_item_release(&it);
    ac_lent_batch_release(&b);
    *out = j;
    return 0;
}

static void on_item(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (lent_request(n, x, &a, "lent item", &id))
        return;
    char what[48];
    snprintf(what, sizeof what, "lent item %" PRId64, id);
    struct lent_read *l = ac__read_new(x, sizeof *l, what);
    if (!l)
        return;
    l->reviewer = a.user.id;
    l->id = id;
    ac__json_read_submit(n, x, &l->r, item_read, NULL, what);
}

static void on_score(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (lent_request(n, x, &a, "lent item", &id) || ac__json_body(x, 0, &body))
        return;
    json_t *levels, *fb;
    if (ac__score_body(x, body, &levels, &fb))
        goto out;
    struct ac_reason why = AC_REASON_INIT;
    int err = lent_score(n, a.user.id, id, levels, fb, &why);
    struct ac_lent_item it;
    if (!err)
        err = ac_store_lent_item_get(n->store, id, &it);
    if (err) {
        char what[48];
        snprintf(what, sizeof what, "lent item %" PRId64, id);
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        goto out;
    }
    ac__respond_owned(x, 200, item_summary(&it));
    ac_lent_item_release(&it);
out:
    json_decref(body);
}

/* An artifact on its way from the issuer to our reviewer. */
struct proxy {
    struct ac_http_exchange *x;
    struct ac_h2_client *client;
    char hash[AC_BORROW_HASH_MAX + 1];
};

static void on_issuer_artifact(void *arg, int err, const struct ac_h2_response *resp)
{
    struct proxy *p = arg;
    if (err) {
        ac__problem(p->x, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL, NULL,
                    "the issuer could not be reached for artifact %s: %s", p->hash,
                    ac_strerror(err));
    } else if (resp->status != 200) {
        /* The issuer's refusal is passed on as it was given. */
        const struct ac_http_header h[] = {{"content-type", "application/problem+json"}};
        ac_http_respond(p->x, resp->status, h, 1, resp->body, resp->body_len);
    } else {
        uint8_t sum[32];
        char hex[65];
        crypto_hash_sha256(sum, resp->body, resp->body_len);
        sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
        if (strcmp(hex, p->hash) != 0) {
            ac__problem(p->x, AC_PROBLEM_HASH_MISMATCH, NULL, NULL,
                        "the issuer sent bytes hashing to %s, not %s", hex, p->hash);
        } else {
            char disposition[AC_BORROW_HASH_MAX + 40];
            snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", p->hash);
            const struct ac_http_header h[] = {{"content-type", "application/octet-stream"},
                                               {"x-content-sha256", p->hash},
                                               {"content-disposition", disposition},
                                               {"x-content-type-options", "nosniff"}};
            ac_http_respond(p->x, 200, h, 4, resp->body, resp->body_len);
        }
    }
    ac_h2_client_close(p->client);
    free(p);
}

/* GET /v1/borrowed/items/{id}/artifacts/{hash}: fetched from the issuer for
 * the reviewer of an open item that cites it, under a signed request naming
 * the item (the issuer checks the assignment is live). The item and its
 * batch are read on a reader thread (artifact_work), the request to the
 * issuer made back on the loop (artifact_done). */
struct artifact_read {
    struct ac__read_job job; /* first */
    struct ac_node *n;
    struct ac_http_exchange *x;
    int64_t user, id;
    int err;
    struct ac_lent_item it;
    struct ac_lent_batch b;
    struct ac_reason why;
};

/* Reader thread: the item the reviewer asks about, and its batch. */
static void artifact_work(struct ac__read_job *job, struct ac_store *st)
{
    struct artifact_read *q = (struct artifact_read *)job;
    q->err = load_item(st, q->user, q->id, &q->it, &q->b, &q->why);
}

/* Loop: checks the item cites the artifact and is open, then asks its
 * issuer for it (on_issuer_artifact answers). */
static void artifact_done(struct ac__read_job *job, int status)
{
    struct artifact_read *q = (struct artifact_read *)job;
    struct ac_node *n = q->n;
    struct ac_http_exchange *x = q->x;
    struct ac_lent_item it = q->it;
    struct ac_lent_batch b = q->b;
    int64_t id = q->id;
    struct ac_reason why = q->why;
    int err = status ? AC_EIO : q->err; /* cancelled at shutdown */
    int loaded = !status && !q->err;
    free(q);
    if (err) {
        ac__respond_failure(x, err, &why, "the artifact");
        ac_reason_release(&why);
        return;
    }
    const char *hash = ac_http_param(x, "hash");
    json_t *els = json_loads(it.elements, 0, NULL);
    int cited = 0;
    size_t i;
    json_t *el;
    json_array_foreach(els, i, el)
    {
        const char *h = json_string_value(json_object_get(el, "artifact"));
        cited |= h && hash && strcmp(h, hash) == 0;
    }
    json_decref(els);
    struct ac__fed_peer *issuer = n->federation ? ac__fed_peer_find(n->federation, b.issuer) : NULL;
    struct proxy *p = NULL;
    struct ac_buf env = AC_BUF_INIT;
    if (!cited)
        err = ac_reason_fail(&why, AC_ENOENT, AC_PROBLEM_NOT_FOUND, "hash",
                             "lent item %" PRId64 " cites no artifact %.64s", id, hash ? hash : "");
    else if (it.state != AC_LITEM_OPEN)
        err = ac_reason_fail(&why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, NULL,
                             "lent item %" PRId64 " is %s; its artifacts are shown only while it "
                             "is open",
                             id, ac_lent_item_state_name(it.state));
    else if (!issuer)
        err = ac_reason_fail(&why, AC_EIO, AC_PROBLEM_STORAGE_UNAVAILABLE, NULL,
                             "%s is not a peer of this node any more", b.issuer);
    json_t *body = err ? NULL
                       : json_pack("{s:I, s:s, s:s}", "batch", (json_int_t)b.remote_batch, "item",
                                   it.pseudonym, "hash", hash);
    char mid[40] = "fetch-";
    uint8_t r[12];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(mid + 6, sizeof mid - 6, r, sizeof r);
    struct ac_buf cb = AC_BUF_INIT;
    if (!err)
        err = ac__json_to_cbor(body, &cb);
    if (!err)
        err = ac__fed_sign(n->federation, AC__BORROW_FETCH, mid, b.issuer, cb.data, cb.len, &env);
    if (!err && !(p = calloc(1, sizeof *p)))
        err = AC_ENOMEM;
    if (!err) {
        p->x = x;
        snprintf(p->hash, sizeof p->hash, "%s", hash);
        struct ac_h2_client_config cfg = {.connect_timeout_ms = 5000,
                                          .request_timeout_ms = 60000,
                                          .max_response_bytes = 256u << 20};
        err = ac_h2_client_new(n->loop, issuer->url, &cfg, &p->client);
    }
    const struct ac_http_header headers[] = {{"content-type", AC_ENVELOPE_CONTENT_TYPE},
                                             {"accord-sender", n->cfg->node_id}};
    if (!err)
        err = ac_h2_client_request(p->client, "POST", "/v1/federation/artifacts", headers, 2,
                                   env.data, env.len, on_issuer_artifact, p);
    json_decref(body);
    ac_buf_release(&cb);
    ac_buf_release(&env);
    if (loaded) {
        ac_lent_item_release(&it);
        ac_lent_batch_release(&b);
    }
    if (err) {
        if (p) {
            ac_h2_client_close(p->client);
            free(p);
        }
        ac__respond_failure(x, err, &why, "the artifact");
        ac_reason_release(&why);
    }
}

static void on_artifact(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (lent_request(n, x, &a, "lent item", &id))
        return;
    struct artifact_read *q = calloc(1, sizeof *q);
    if (!q) {
        ac__respond_error(x, AC_ENOMEM, "the artifact");
        return;
    }
    q->job.work = artifact_work;
    q->job.done = artifact_done;
    q->n = n;
    q->x = x;
    q->user = a.user.id;
    q->id = id;
    q->why = (struct ac_reason)AC_REASON_INIT;
    ac__read_submit(n, &q->job);
}

void ac__borrow_lender_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/borrowed/batches", on_batches);
    ac__route(n, "POST", "/v1/borrowed/batches/{id}/accept", on_accept);
    ac__route(n, "POST", "/v1/borrowed/batches/{id}/decline", on_decline);
    ac__route(n, "GET", "/v1/borrowed/items/{id}", on_item);
    ac__route(n, "POST", "/v1/borrowed/items/{id}/score", on_score);
    ac__route(n, "GET", "/v1/borrowed/items/{id}/artifacts/{hash}", on_artifact);
}
