/* borrow_issuer.c - the issuer's side of borrowed review: a batch given to a
 * stand-in is offered to the stand-in's home node (pseudonymous items, the
 * facts conflicts need, element texts and artifact hashes; seeded benchmark
 * items shaped exactly like real ones); the answer and each result that come
 * back go through the same scoring service as a local reviewer's, as the
 * stand-in; an accepted result is countersigned (the receipt both nodes keep
 * in their ledgers); a late result is refused, counted and never applied;
 * artifacts are served only to the peer whose reviewer holds a live
 * assignment citing them; a timed-out batch is reclaimed and the lender told.
 * A batch the lender declines by its own rules (a cap, its policy) keeps the
 * stand-in away until the lender says it may lend again (or a day), so the
 * work goes to others instead of being offered to it at every pass. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/base/log.h"
#include "accord/sign/cbor.h"
#include "accord/store/artifact.h"
#include "accord/store/assignment.h"
#include "accord/store/borrow.h"
#include "accord/store/ledger.h"
#include "accord/store/peer.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "audit.h"
#include "borrow.h"
#include "federation.h"
#include "internal.h"
#include "readers.h"
#include "review/review.h"

/* Writes an audit row by the node (takes ownership of |detail|). */
static int audit(struct ac_node *n, const char *kind, int64_t subject, const char *action,
                 json_t *detail)
{
    int err = detail ? ac_audit_id(n, kind, subject, 0, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

/* A fresh pseudonym: 12 random bytes in hex. It names one assignment and
 * nothing else, so the lender can link no two items to one earner. */
static void pseudonym(char out[25])
{
    ac__borrow_random_hex(out, 12);
}

/* The rubric the lender shows its reviewer and checks scores against. */
static json_t *rubric_json(const struct ac_definition *def)
{
    json_t *levels = json_array(), *elements = json_array(), *rem = json_array();
    for (size_t i = 0; levels && i < def->n_levels; i++)
        json_array_append_new(levels, json_string(def->levels[i]));
    for (size_t i = 0; elements && i < def->n_elements; i++)
        json_array_append_new(elements,
                              json_pack("{s:s, s:s, s:b}", "id", def->elements[i].id, "prompt",
                                        def->elements[i].prompt ? def->elements[i].prompt : "",
                                        "required", def->elements[i].required));
    for (size_t i = 0; rem && i < def->review.n_reminders; i++)
        json_array_append_new(rem, json_integer(def->review.reminders_hours_before[i]));
    return json_pack("{s:o, s:s, s:o, s:o}", "levels", levels, "grain",
                     def->grain == AC_GRAIN_HOLISTIC ? "holistic" : "per_element", "elements",
                     elements, "reminders_hours", rem);
}

/* Keeps in |elements| (a submission's, JSON) only id, text and artifact,
 * recording each cited artifact as one |asg| may fetch. Returns a new
 * reference or NULL. */
static json_t *offered_elements(struct ac_node *n, int64_t asg, const char *text, int *err)
{
    json_t *given = json_loads(text, 0, NULL), *out = json_array();
    size_t i;
    json_t *e;
    if (!json_is_array(given) || !out) {
        *err = given ? AC_EINVAL : AC_ENOMEM;
        json_decref(given);
        json_decref(out);
        return NULL;
    }
    json_array_foreach(given, i, e)
    {
        json_t *o = json_object();
        const char *keys[] = {"id", "text", "artifact"};
        for (size_t k = 0; o && k < 3; k++) {
            json_t *v = json_object_get(e, keys[k]);
            if (json_is_string(v))
                json_object_set(o, keys[k], v);
        }
        const char *art = json_string_value(json_object_get(e, "artifact"));
        if (!*err && art)
            *err = ac_store_borrow_artifact_add(n->store, asg, art);
        if (!o || json_array_append_new(out, o))
            *err = AC_ENOMEM;
    }
    json_decref(given);
    if (*err) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Submissions looked at for the facts of a seeded item in a batch with no
 * real one. */
#define RECENT 32

/* Fills |*s| (|*have| set to 1; release it) with a random one of the first
 * RECENT submissions of |credential|, or leaves |*have| 0 when there is
 * none. */
static int facts_of_recent(struct ac_node *n, const char *credential, struct ac_submission *s,
                           int *have)
{
    struct ac_submission *subs = NULL;
    size_t k = 0;
    int err = ac_store_submission_list(n->store, 0, credential, -1, 0, RECENT, &subs, &k);
    size_t pick = k ? randombytes_uniform((uint32_t)k) : 0;
    for (size_t i = 0; i < k; i++) {
        if (!err && i == pick) {
            *s = subs[i];
            *have = 1;
            continue;
        }
        ac_submission_release(&subs[i]);
    }
    free(subs);
    return err;
}

static int by_item(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "item")),
                  json_string_value(json_object_get(*(json_t *const *)b, "item")));
}

/* Offers batch |batch_id| of stand-in |reviewer| of |home| under |def| (in
 * the caller's transaction). */
static int offer(struct ac_node *n, int64_t batch_id, int64_t reviewer,
                 const struct ac_remote_reviewer *home, const struct ac_definition *def)
{
    struct ac_batch_row b;
    int err = ac_store_batch_get(n->store, batch_id, &b);
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    if (!err)
        err = ac_store_assignment_list(n->store, 0, 0, batch_id, -1, &as, &nas);
    json_t **items = calloc(nas + 1, sizeof *items);
    if (!err && !items)
        err = AC_ENOMEM;
    if (!err)
        err = ac_store_borrow_batch_add(n->store, batch_id, home->home_node, reviewer,
                                        ac_clock_now_ms());
    /* Real items first, so a seeded benchmark item can take the facts of one
     * of them: an item without a school would give a benchmark away. */
    size_t nreal = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; !err && i < nas; i++) {
            if ((pass == 0) != (as[i].submission_id != 0))
                continue;
            char pn[25];
            pseudonym(pn);
            json_t *elements = NULL, *it = NULL;
            const char *school = "", *district = "";
            struct ac_submission s = {0};
            int have_sub = 0;
            /* The item first: the artifacts it cites refer to it. */
            err = ac_store_borrow_item_add(n->store, as[i].id, batch_id, pn);
            if (!err && as[i].submission_id) {
                err = ac_store_submission_get(n->store, as[i].submission_id, &s);
                have_sub = !err;
                if (!err)
                    elements = offered_elements(n, as[i].id, s.elements, &err);
                school = s.school;
                district = s.district;
            } else if (!err) {
                char *content = NULL;
                err = ac_store_seed_content(n->store, strtoll(as[i].benchmark_id, NULL, 10),
                                            &content);
                if (!err && !(elements = ac__assignment_seed_elements(def, content)))
                    err = AC_EINVAL; /* seeding only picks items that fit */
                free(content);
                if (nreal) {
                    json_t *like = items[randombytes_uniform((uint32_t)nreal)];
                    school = json_string_value(json_object_get(like, "school"));
                    district = json_string_value(json_object_get(like, "district"));
                } else if (!err) {
                    /* A batch of seeded items only: the facts of a real
                     * submission of the credential. */
                    err = facts_of_recent(n, def->id, &s, &have_sub);
                    school = have_sub ? s.school : "";
                    district = have_sub ? s.district : "";
                }
            }
            if (!err) {
                it = json_pack("{s:s, s:s, s:s, s:o}", "item", pn, "school", school, "district",
                               district, "elements", elements);
                elements = NULL;
                if (!it)
                    err = AC_ENOMEM;
            }
            json_decref(elements);
            if (have_sub)
                ac_submission_release(&s);
            if (it && !err)
                items[nreal++] = it; /* counted in |nreal| for both passes */
            else
                json_decref(it);
        }
    }
    size_t nitems = nreal;
    /* Pseudonyms are random, so their order tells nothing about which item
     * is real and which was seeded, nor in what order they were assigned. */
    if (!err)
        qsort(items, nitems, sizeof *items, by_item);
    json_t *list = json_array();
    for (size_t i = 0; i < nitems; i++) {
        if (!list)
            json_decref(items[i]);
        if (!list || json_array_append_new(list, items[i]))
            err = AC_ENOMEM;
    }
    json_t *body = NULL;
    if (!err && list)
        body = json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:o, s:O}", "batch", (json_int_t)batch_id,
                         "reviewer", (json_int_t)home->home_user, "credential", def->id, "version",
                         (json_int_t)def->version, "title", def->title, "deadline",
                         (json_int_t)b.deadline_ms, "rubric", rubric_json(def), "items", list);
    char id[40];
    snprintf(id, sizeof id, "offer-%" PRId64, batch_id);
    if (!err)
        err = body ? ac__borrow_queue(n, home->home_node, AC__BORROW_OFFER, id, body) : AC_ENOMEM;
    if (!err)
        err = audit(n, "batch", batch_id, "offered",
                    json_pack("{s:s, s:I, s:I}", "peer", home->home_node, "home_user",
                              (json_int_t)home->home_user, "items", (json_int_t)nitems));
    json_decref(body);
    json_decref(list);
    free(items);
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    return err;
}

int ac__borrow_job_offer(struct ac_node *n, const struct ac_job *job)
{
    struct ac_batch_row b;
    struct ac_borrow_batch held;
    int err = ac_store_batch_get(n->store, job->ref, &b);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    /* Offered once; a batch no longer invited (expired while the job
     * waited) is not offered at all. */
    if (b.state != AC_BATCH_INVITED || ac_store_borrow_batch_get(n->store, b.id, &held) == 0)
        return 0;
    struct ac_remote_reviewer home;
    err = ac_store_remote_reviewer_get(n->store, b.reviewer_id, &home);
    if (err)
        return err == AC_ENOENT ? 0 : err;
    struct ac_credential cred;
    struct ac_definition *def = NULL;
    err = ac__review_definition_at(n, b.credential_row, &def, &cred);
    if (err)
        return err;
    err = ac_store_tx_begin(n->store);
    if (!err)
        err = ac__scheduler_commit(n, offer(n, b.id, b.reviewer_id, &home, def));
    if (!err && n->federation)
        ac__fed_kick_all(n->federation);
    ac_def_free(def);
    ac_credential_release(&cred);
    return err;
}

/* Open batches read per pass when reclaiming a departed peer's work. */
#define DEPARTED_PAGE 64

void ac__borrow_reclaim_departed(struct ac__federation *f)
{
    struct ac_node *n = f->node;
    struct ac_borrow_batch bs[DEPARTED_PAGE];
    int64_t after = 0;
    for (;;) {
        size_t k = 0;
        if (ac_store_borrow_batch_list(n->store, NULL, -1, after, bs, DEPARTED_PAGE, &k) != 0)
            return;
        for (size_t i = 0; i < k; i++) {
            after = bs[i].batch_id;
            if ((bs[i].state != AC_BORROW_OFFERED && bs[i].state != AC_BORROW_ACCEPTED) ||
                ac__fed_peer_find(f, bs[i].peer))
                continue;
            struct ac_batch_row b;
            int err = ac_store_batch_get(n->store, bs[i].batch_id, &b);
            if (!err)
                err = ac_store_tx_begin(n->store);
            if (err)
                continue;
            int64_t now = ac_clock_now_ms();
            err = ac_store_batch_set_state(n->store, b.id, AC_BATCH_EXPIRED, now);
            if (!err)
                err = ac__assignment_hand_back(n, b.id, AC_ASG_EXPIRED, b.credential_row);
            if (!err)
                err = ac_store_borrow_batch_set(n->store, b.id, AC_BORROW_RECLAIMED,
                                                "the lender is no longer a peer of this node", now);
            if (!err)
                err = audit(n, "batch", b.id, "reclaimed",
                            json_pack("{s:s, s:s}", "peer", bs[i].peer, "reason", "peer removed"));
            err = ac__scheduler_commit(n, err);
            if (err)
                ac_log_error("federation", "cannot reclaim batch %" PRId64 " of %s: %s", b.id,
                             bs[i].peer, ac_strerror(err));
            else
                ac_log_info("federation", "batch %" PRId64 " reclaimed: %s left", b.id, bs[i].peer);
        }
        if (k < DEPARTED_PAGE)
            return;
    }
}

/* ---- answers from the lender ---- */

/* Encodes the JSON answer |j| (takes ownership) into |answer|. */
static int answer_json(json_t *j, struct ac_buf *answer)
{
    int err = ac__json_to_cbor(j, answer);
    json_decref(j);
    return err;
}

/* The lent batch |batch| of |from|; "not found" when it is another's. */
static int own_batch(struct ac_node *n, struct ac__fed_peer *from, const json_t *body,
                     struct ac_borrow_batch *bb, struct ac_reason *why)
{
    json_t *b = json_object_get(body, "batch");
    if (!json_is_integer(b))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body.batch",
                              "body.batch: required, the issuer's batch id (an integer)");
    int err = ac_store_borrow_batch_get(n->store, json_integer_value(b), bb);
    if (err == AC_ENOENT || (!err && strcmp(bb->peer, from->node_id) != 0))
        return ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_YOURS, "body.batch",
                              "batch %" JSON_INTEGER_FORMAT " was not lent to %s",
                              json_integer_value(b), from->node_id);
    return err;
}

/* A stand-in whose home node declined on its own without saying until
 * when is offered work again after a day: by then the rule may have changed
 * (a policy set, a debt repaid, own work done), and one offer a day is no
 * ping-pong. */
#define AUTO_HOLD_MS (24LL * 3600 * 1000)

/* Reads the "automatic" ("cap" or "policy"; absent or null for a person's
 * answer) and "until" (ms, optional) of answer |body|. Returns 0 or
 * AC_EINVAL with |why| naming the field. */
static int automatic_of(const json_t *body, const char **kind, int64_t *until,
                        struct ac_reason *why)
{
    json_t *a = json_object_get(body, "automatic"), *u = json_object_get(body, "until");
    *kind = json_string_value(a);
    *until = json_is_integer(u) ? (int64_t)json_integer_value(u) : 0;
    if (a && !json_is_null(a) &&
        (!*kind || (strcmp(*kind, "cap") != 0 && strcmp(*kind, "policy") != 0)))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body.automatic",
                              "body.automatic: \"%.40s\" is not one of \"cap\", \"policy\" (or "
                              "absent for a person's answer)",
                              *kind ? *kind : "(not a string)");
    if (u && !json_is_null(u) && (!json_is_integer(u) || *until < 0))
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body.until",
                              "body.until: %s; it must be the time (ms since 1970, UTC, not "
                              "negative) from which the reviewer may be offered work again",
                              json_is_integer(u) ? "a negative number" : "not an integer");
    return 0;
}

/* The lender declined batch |bb| by its own rules, not its reviewer, saying
 * it may lend them again from |until_ms| (0 or past: not said). The
 * reviewer never saw the work, so it is cancelled rather than declined (a
 * cancelled assignment bars its reviewer from nothing), and the stand-in is
 * away until then (its reviewer profile, as a reviewer's own vacation is),
 * with the passes of its credentials woken at that time: meanwhile the work
 * goes to others and the lender is not asked again at every pass. Sets
 * |*again| to that time. In the caller's transaction. */
static int hold_stand_in(struct ac_node *n, const struct ac_borrow_batch *bb, int64_t until_ms,
                         int64_t *again)
{
    int64_t now = ac_clock_now_ms();
    *again = until_ms > now ? until_ms : now + AUTO_HOLD_MS;
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    int err = ac_store_assignment_list(n->store, 0, 0, bb->batch_id, AC_ASG_DECLINED, &as, &nas);
    for (size_t i = 0; !err && i < nas; i++)
        err = ac_store_assignment_set_state(n->store, as[i].id, AC_ASG_CANCELLED, 0);
    for (size_t i = 0; i < nas; i++)
        ac_assignment_release(&as[i]);
    free(as);
    /* Every stand-in has a profile (the pass gives work to none without). */
    struct ac_reviewer_profile p;
    if (!err)
        err = ac_store_reviewer_get(n->store, bb->stand_in, &p);
    /* Away already with no end, or past this time: that stands. */
    if (err || (!p.available && (p.unavailable_until_ms == 0 || p.unavailable_until_ms >= *again)))
        return err;
    p.available = false;
    p.unavailable_until_ms = *again;
    err = ac_store_reviewer_put(n->store, &p, now);
    if (!err)
        err = ac__assignment_wake(n, bb->stand_in, *again);
    return err;
}

int ac__borrow_apply_answer(struct ac__federation *f, struct ac__fed_peer *from,
                            const struct ac_envelope *e, struct ac_buf *answer,
                            struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = ac__cbor_to_json_or_null(e->body, e->body_len);
    json_t *acc = json_object_get(body, "accept");
    if (!json_is_object(body) || !json_is_boolean(acc)) {
        json_decref(body);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a review.answer body is {batch, accept: bool, reason?}");
    }
    struct ac_borrow_batch bb;
    const char *automatic = NULL;
    int64_t until = 0, again = 0;
    int err = own_batch(n, from, body, &bb, why);
    if (!err)
        err = automatic_of(body, &automatic, &until, why);
    int accept = json_is_true(acc);
    const char *reason = json_string_value(json_object_get(body, "reason"));
    char kept[AC_BORROW_REASON_MAX + 1];
    struct ac_reason inner = AC_REASON_INIT;
    int applied = 0;
    if (!err && bb.state == AC_BORROW_OFFERED) {
        int rc = ac__scoring_respond(n, bb.stand_in, bb.batch_id, accept, &inner);
        if (rc && rc != AC_ECONFLICT)
            err = rc;
        applied = rc == 0;
    } else if (!err) {
        ac_reason_fail(&inner, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, NULL,
                       "batch %" PRId64 " is %s here; the answer came too late", bb.batch_id,
                       ac_borrow_state_name(bb.state));
    }
    snprintf(kept, sizeof kept, "%s", reason ? reason : "");
    if (!err && applied && !accept && automatic) {
        err = hold_stand_in(n, &bb, until, &again);
        /* The lent-out list says the lender's rule declined, and when the
         * stand-in is offered work again. */
        char when[21];
        int room = (int)sizeof kept - 120;
        snprintf(kept, sizeof kept, "%.*s (declined by the lender's %s rules, not its reviewer; "
                 "offered work again from %s)",
                 room, reason ? reason : "", automatic, ac_clock_format(again, when));
    }
    if (!err && applied)
        err = ac_store_borrow_batch_set(n->store, bb.batch_id,
                                        accept ? AC_BORROW_ACCEPTED : AC_BORROW_DECLINED, kept,
                                        ac_clock_now_ms());
    if (!err)
        err = ac_store_peer_state_received(n->store, from->node_id);
    if (!err)
        err = answer_json(json_pack("{s:s, s:b, s:s}", "re", e->id, "applied", applied, "reason",
                                    applied ? "" : inner.detail),
                          answer);
    ac_reason_release(&inner);
    json_decref(body);
    return err;
}

/* The issuer's countersignature of result |e| (|raw|, the bytes it came in):
 * an envelope to the lender over {batch, item, credential, month, result}.
 * Both nodes keep it as the receipt of one borrowed review. */
static int receipt(struct ac__federation *f, const struct ac_envelope *e, int64_t batch,
                   const char *item, const char *credential, const char *month, struct ac_buf *out)
{
    struct ac_cbor_writer w;
    ac_cbor_writer_init(&w);
    ac_cbor_put_map(&w, 5);
    ac_cbor_put_str(&w, "batch");
    ac_cbor_put_int(&w, batch);
    ac_cbor_put_str(&w, "item");
    ac_cbor_put_str(&w, item);
    ac_cbor_put_str(&w, "credential");
    ac_cbor_put_str(&w, credential);
    ac_cbor_put_str(&w, "month");
    ac_cbor_put_str(&w, month);
    ac_cbor_put_str(&w, "result");
    ac_cbor_put_bytes(&w, f->applying_raw, f->applying_raw_len);
    struct ac_buf body = AC_BUF_INIT;
    int err = ac_cbor_writer_finish(&w, &body);
    ac_cbor_writer_release(&w);
    char id[80];
    snprintf(id, sizeof id, "receipt-%s", e->id);
    id[AC_ENVELOPE_ID_MAX] = 0;
    if (!err)
        err = ac__fed_sign(f, AC__BORROW_RECEIPT, id, e->from, body.data, body.len, out);
    ac_buf_release(&body);
    return err;
}

/* A result that cannot be applied: counted against |from| under |what| and
 * answered (signed, 200) with the reason, so the lender shows it to its
 * reviewer; nothing else changes. */
static int refuse_result(struct ac_node *n, struct ac__fed_peer *from, const struct ac_envelope *e,
                         const char *what, const char *reason, struct ac_buf *answer)
{
    int err = ac_store_borrow_count_add(n->store, from->node_id, what, 1);
    if (!err)
        err = ac_store_peer_state_received(n->store, from->node_id);
    ac_log_info("federation", "result %s from %s refused: %s", e->id, from->node_id, reason);
    return err ? err
               : answer_json(
                     json_pack("{s:s, s:b, s:s}", "re", e->id, "accepted", 0, "reason", reason),
                     answer);
}

int ac__borrow_apply_result(struct ac__federation *f, struct ac__fed_peer *from,
                            const struct ac_envelope *e, struct ac_buf *answer,
                            struct ac_reason *why)
{
    struct ac_node *n = f->node;
    json_t *body = ac__cbor_to_json_or_null(e->body, e->body_len);
    const char *item = json_string_value(json_object_get(body, "item"));
    json_t *levels = json_object_get(body, "levels"), *fb = json_object_get(body, "feedback");
    if (!json_is_object(body) || !item || !levels ||
        (fb && !json_is_null(fb) && !json_is_string(fb) && !json_is_object(fb))) {
        json_decref(body);
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                              "a review.result body is {batch, item, levels, feedback?}");
    }
    struct ac_borrow_batch bb;
    struct ac_borrow_item it;
    struct ac_assignment_row a;
    int have_a = 0;
    int err = own_batch(n, from, body, &bb, why);
    if (!err) {
        err = ac_store_borrow_item_find(n->store, bb.batch_id, item, &it);
        if (err == AC_ENOENT)
            err = ac_reason_fail(why, AC_ENOENT, AC_PROBLEM_NOT_YOURS, "body.item",
                                 "batch %" PRId64 " has no item \"%s\"", bb.batch_id, item);
    }
    if (!err) {
        err = ac_store_assignment_get(n->store, it.assignment_id, &a);
        have_a = !err;
    }
    char reason[AC_REASON_DETAIL_MAX + 64];
    char when[21];
    if (!err && bb.state == AC_BORROW_RECLAIMED) {
        snprintf(reason, sizeof reason,
                 "batch %" PRId64 " was reclaimed at %s (%s); this result is not applied",
                 bb.batch_id, ac_clock_format(bb.ended_ms, when), bb.reason);
        err = refuse_result(n, from, e, AC__BORROW_LATE, reason, answer);
        goto out;
    }
    if (!err && it.result_id[0]) {
        snprintf(reason, sizeof reason, "item %s was scored already by result %s", item,
                 it.result_id);
        err = refuse_result(n, from, e, "duplicate_results", reason, answer);
        goto out;
    }
    char *fb_text = NULL;
    if (!err && json_is_object(fb) && !(fb_text = json_dumps(fb, JSON_COMPACT | JSON_SORT_KEYS)))
        err = AC_ENOMEM;
    struct ac_levels_given given;
    ac__levels_given(levels, &given);
    struct ac_reason inner = AC_REASON_INIT;
    if (!err) {
        err = ac__scoring_score(n, bb.stand_in, it.assignment_id, &given,
                                fb_text ? fb_text : json_string_value(fb), &inner);
        if (err == AC_ECONFLICT || err == AC_EINVAL) {
            /* The same checks as a local reviewer's score: a result past the
             * deadline, or one the rubric refuses, is answered, not applied. */
            snprintf(reason, sizeof reason, "%s", inner.detail);
            err =
                refuse_result(n, from, e, err == AC_ECONFLICT ? AC__BORROW_LATE : "refused_results",
                              reason, answer);
            ac_reason_release(&inner);
            free(fb_text);
            goto out;
        }
    }
    ac_reason_release(&inner);
    free(fb_text);
    int64_t now = ac_clock_now_ms();
    char month[8];
    ac__borrow_month(now, month);
    struct ac_buf rc = AC_BUF_INIT;
    if (!err)
        err = ac_store_borrow_item_applied(n->store, it.assignment_id, e->id, now);
    struct ac_batch_row b;
    if (!err && ac_store_batch_get(n->store, bb.batch_id, &b) == 0 && b.state == AC_BATCH_DONE)
        err = ac_store_borrow_batch_set(n->store, bb.batch_id, AC_BORROW_DONE, NULL, now);
    if (!err)
        err = receipt(f, e, bb.batch_id, item, a.credential_id, month, &rc);
    if (!err) {
        struct ac_ledger_entry le = {
            .direction = AC_LEDGER_BORROWED, .receipt = rc.data, .receipt_len = rc.len};
        snprintf(le.peer, sizeof le.peer, "%s", from->node_id);
        snprintf(le.credential_id, sizeof le.credential_id, "%s", a.credential_id);
        snprintf(le.month, sizeof le.month, "%s", month);
        snprintf(le.result_id, sizeof le.result_id, "%s", e->id);
        err = ac_store_ledger_add(n->store, &le, now, NULL);
    }
    if (!err)
        err = ac_store_peer_state_received(n->store, from->node_id);
    if (!err) {
        struct ac_cbor_writer w;
        ac_cbor_writer_init(&w);
        ac_cbor_put_map(&w, 3);
        ac_cbor_put_str(&w, "re");
        ac_cbor_put_str(&w, e->id);
        ac_cbor_put_str(&w, "accepted");
        ac_cbor_put_bool(&w, true);
        ac_cbor_put_str(&w, "receipt");
        ac_cbor_put_bytes(&w, rc.data, rc.len);
        err = ac_cbor_writer_finish(&w, answer);
        ac_cbor_writer_release(&w);
    }
    ac_buf_release(&rc);
out:
    if (have_a)
        ac_assignment_release(&a);
    json_decref(body);
    return err;
}

/* ---- artifacts for the lender ---- */

/* One artifact on its way to a lender: the piece read ahead of the answer,
 * then each piece the server pulls (as node/http/api_artifacts.c serves
 * a local reviewer). */
struct fetch {
    struct ac_http_exchange *x;
    struct ac__artifact_reader *r;
    struct ac_artifact art;
    const uint8_t *piece;
    size_t len;
    int eof, have;
};

static void fetch_free(struct fetch *d)
{
    ac__artifact_reader_free(d->r);
    free(d);
}

static void on_piece(void *arg, int err, const uint8_t *data, size_t len, int eof,
                     const struct ac_reason *why)
{
    (void)why;
    struct fetch *d = arg;
    if (err) {
        ac_http_stream_abort(d->x);
        fetch_free(d);
        return;
    }
    if (ac_http_stream_write(d->x, data, len, eof) != 0 || eof)
        fetch_free(d);
}

static void on_pull(struct ac_http_exchange *x, void *arg)
{
    struct fetch *d = arg;
    if (d->have) {
        d->have = 0;
        if (ac_http_stream_write(x, d->piece, d->len, d->eof) != 0 || d->eof)
            fetch_free(d);
        return;
    }
    if (ac__artifact_reader_next(d->r, on_piece, d) != 0) {
        ac_http_stream_abort(x);
        fetch_free(d);
    }
}

static void on_first_piece(void *arg, int err, const uint8_t *data, size_t len, int eof,
                           const struct ac_reason *why)
{
    struct fetch *d = arg;
    if (err) {
        ac__respond_failure(d->x, err, why, "the artifact");
        fetch_free(d);
        return;
    }
    d->piece = data;
    d->len = len;
    d->eof = eof;
    d->have = 1;
    struct ac_http_header h[] = {{"content-type", "application/octet-stream"},
                                 {"x-content-sha256", d->art.hash},
                                 {"x-media-type", d->art.media_type}};
    if (ac_http_respond_stream(d->x, 200, h, 3, (uint64_t)d->art.size, on_pull, d) != 0)
        fetch_free(d);
}

/* POST /v1/federation/artifacts: an artifact.fetch envelope {batch, item,
 * hash} from a lender; answered with the bytes only while that peer's
 * reviewer holds the accepted, unscored assignment citing the artifact. */
static void on_artifact_fetch(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    const struct ac_http_req *req = ac_http_exchange_req(x);
    struct ac_envelope e;
    struct ac__fed_peer *peer = NULL;
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__borrow_verify(n, req->body, req->body_len, AC__BORROW_FETCH, &e, &peer, &why);
    if (!err && !(peer->rights & AC_RIGHT_LEND))
        err = ac_reason_fail(&why, AC_EACCES, AC_PROBLEM_MISSING_RIGHT, "type",
                             "%s needs the right \"lend\"; %s does not hold it here", e.type,
                             peer->node_id);
    json_t *body = err ? NULL : ac__cbor_to_json_or_null(e.body, e.body_len);
    json_t *batch = json_object_get(body, "batch");
    const char *item = json_string_value(json_object_get(body, "item"));
    const char *hash = json_string_value(json_object_get(body, "hash"));
    if (!err && (!json_is_integer(batch) || !item || !hash))
        err = ac_reason_fail(&why, AC_EINVAL, AC_PROBLEM_BAD_ENVELOPE, "body",
                             "an artifact.fetch body is {batch, item, hash}");
    int live = 0, known = 0;
    if (!err)
        err = ac_store_borrow_artifact_grant(n->store, peer->node_id, json_integer_value(batch),
                                             item, hash, &live, &known);
    if (!err && !known)
        err =
            ac_reason_fail(&why, AC_EACCES, AC_PROBLEM_NOT_ASSIGNED, "body.hash",
                           "no assignment lent to %s as item \"%s\" of batch %" JSON_INTEGER_FORMAT
                           " cites artifact %.64s",
                           peer->node_id, item, json_integer_value(batch), hash);
    if (!err && !live)
        err = ac_reason_fail(&why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "body.item",
                             "the review of item \"%s\" is not open (not accepted, scored or "
                             "reclaimed): its artifacts are no longer served",
                             item);
    struct fetch *d = err ? NULL : calloc(1, sizeof *d);
    if (!err && !d)
        err = AC_ENOMEM;
    if (!err) {
        d->x = x;
        err = ac_store_artifact_get(n->store, hash, &d->art);
    }
    if (!err)
        err = ac__artifact_reader_new(n, &d->art, &d->r);
    if (!err && ac__artifact_reader_next(d->r, on_first_piece, d) != 0)
        err = AC_EIO;
    json_decref(body);
    if (err) {
        if (d)
            fetch_free(d);
        if (why.problem != AC_PROBLEM_NONE)
            ac_log_info("federation", "artifact fetch refused: %s", why.detail);
        ac__respond_failure(x, err, &why, "the artifact");
        ac_reason_release(&why);
    }
}

/* GET /v1/federation/borrowed (admin): the batches lent out to peers, with
 * their items' pseudonyms and states, and the refusals counted per peer. */
/* GET /v1/federation/borrowed (admin): the batches lent out to peers with
 * their items, read on a reader thread (node/readers.h). */
struct borrowed_read {
    struct ac__json_read r; /* first */
    size_t limit;
    int64_t after;
};

static int borrowed_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                         struct ac_reason *why)
{
    (void)why;
    struct borrowed_read *l = (struct borrowed_read *)r;
    struct ac_store *st = view->store;
    size_t limit = l->limit;
    struct ac_borrow_batch *bs = calloc(limit + 1, sizeof *bs);
    size_t k = 0;
    int err = bs ? ac_store_borrow_batch_list(st, NULL, -1, l->after, bs, limit + 1, &k)
                 : AC_ENOMEM;
    json_t *items = json_array();
    for (size_t i = 0; !err && i < k && i < limit; i++) {
        struct ac_borrow_item *its = NULL;
        size_t nit = 0;
        err = ac_store_borrow_item_list(st, bs[i].batch_id, &its, &nit);
        json_t *list = json_array();
        for (size_t j = 0; !err && j < nit; j++) {
            struct ac_assignment_row as;
            const char *state = "unknown";
            if (ac_store_assignment_get(st, its[j].assignment_id, &as) == 0) {
                state = ac_asg_state_name(as.state);
                ac_assignment_release(&as);
            }
            json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:s}", "item", its[j].pseudonym,
                                                  "assignment", (json_int_t)its[j].assignment_id,
                                                  "state", state, "result", its[j].result_id));
        }
        free(its);
        json_t *late = NULL;
        int64_t nlate = 0;
        if (!err)
            err = ac_store_borrow_count_get(st, bs[i].peer, AC__BORROW_LATE, &nlate);
        late = json_integer(nlate);
        json_t *j =
            json_pack("{s:I, s:s, s:I, s:s, s:s, s:o, s:o}", "batch", (json_int_t)bs[i].batch_id,
                      "peer", bs[i].peer, "stand_in", (json_int_t)bs[i].stand_in, "state",
                      ac_borrow_state_name(bs[i].state), "reason", bs[i].reason, "items", list,
                      "peer_late_results", late);
        ac__json_time(j, "created_at", bs[i].created_ms);
        if (bs[i].ended_ms)
            ac__json_time(j, "ended_at", bs[i].ended_ms);
        json_array_append_new(items, j);
    }
    int more = k > limit;
    int64_t last = k ? bs[(k > limit ? limit : k) - 1].batch_id : 0;
    free(bs);
    if (err) {
        json_decref(items);
        return err;
    }
    *out = ac__page_json(items, more, last);
    return 0;
}

static void on_borrowed(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_ADMIN))
        return;
    size_t limit;
    int64_t after;
    if (ac__page_params(x, &limit, &after))
        return;
    struct borrowed_read *l = calloc(1, sizeof *l);
    if (!l) {
        ac__respond_error(x, AC_ENOMEM, "lent-out batches");
        return;
    }
    l->limit = limit;
    l->after = after;
    ac__json_read_submit(n, x, &l->r, borrowed_read, NULL, "lent-out batches");
}

void ac__borrow_issuer_register(struct ac_node *n)
{
    ac__route(n, "POST", "/v1/federation/artifacts", on_artifact_fetch);
    ac__route(n, "GET", "/v1/federation/borrowed", on_borrowed);
}
