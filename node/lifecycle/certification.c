/* certification.c - reviewer certification as services: attempts drawn with
 * core/review/certify.h from resolved benchmarks the reviewer has not seen,
 * graded against their final scores with a wait after a failure; a pass that
 * fills the pool turns the credential active, as the node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/benchmark.h"
#include "accord/review/certify.h"
#include "accord/store/benchmark.h"
#include "accord/store/certification.h"
#include "accord/store/reviewer.h"
#include "audit.h"
#include "lifecycle.h"
#include "review/review.h"

#define DAY_MS 86400000LL
#define MAX_ATTEMPT_ROWS 64

/* Loads |user|'s certification of |c|. Returns 0, AC_ECONFLICT (not
 * applied, with a reason) or a store error. */
static int load_cert(struct ac_node *n, const struct ac__cred *c, int64_t user,
                     struct ac_reviewer_cert *rc, struct ac_reason *why)
{
    int err = ac_store_reviewer_cert_get(n->store, c->row.id, user, rc);
    if (err == AC_ENOENT)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_NOT_APPLIED, NULL,
                              "you have not applied to review %s", c->ref);
    return err;
}

/* The finished attempts of |user| as core/review/certify.h history; sets
 * |*open_id| to an unfinished attempt's id (0 if none). */
static int attempt_history(struct ac_node *n, const struct ac__cred *c, int64_t user,
                           int64_t since_ms, struct ac_cert_attempt *hist, size_t *nh,
                           int64_t *open_id)
{
    struct ac_cert_attempt_row rows[MAX_ATTEMPT_ROWS];
    size_t k;
    int err = ac_store_cert_attempt_list(n->store, c->row.id, user, rows, MAX_ATTEMPT_ROWS, &k);
    if (err)
        return err;
    *nh = 0;
    *open_id = 0;
    for (size_t i = 0; i < k; i++) {
        if (rows[i].passed < 0)
            *open_id = rows[i].id;
        else if (rows[i].finished_ms >= since_ms)
            hist[(*nh)++] = (struct ac_cert_attempt){rows[i].finished_ms, rows[i].passed == 1};
        ac_cert_attempt_row_release(&rows[i]);
    }
    return 0;
}

/* Whether |actor| may start an attempt of |c| now. Sets |*number| (this
 * attempt's number). Returns 0, AC_ECONFLICT with a reason, or a store error. */
static int may_start(struct ac_node *n, const struct ac_user *actor, const struct ac__cred *c,
                     int64_t now, int64_t *number, struct ac_reason *why)
{
    struct ac_reviewer_cert rc = {0};
    int err = load_cert(n, c, actor->id, &rc, why);
    enum ac_rcert_state state = rc.state;
    /* Attempts count from the latest training: one sent back to retraining
     * by monitoring takes a fresh certification draw, whatever came before. */
    int64_t trained_ms = rc.trained_ms;
    ac_reviewer_cert_release(&rc);
    if (err)
        return err;
    if (state != AC_RCERT_TRAINED)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_WRONG_STATE, "state",
                              "your certification for %s is %s; attempts follow the training "
                              "module (state trained)",
                              c->ref, ac_rcert_state_name(state));
    struct ac_cert_attempt hist[MAX_ATTEMPT_ROWS];
    size_t nh;
    int64_t open_id;
    if ((err = attempt_history(n, c, actor->id, trained_ms, hist, &nh, &open_id)))
        return err;
    if (open_id) {
        ac_reason_extra(why, json_pack("{s:I}", "attempt_id", (json_int_t)open_id));
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ATTEMPT_OPEN, NULL,
                              "attempt %lld is still open; answer it first", (long long)open_id);
    }
    enum ac_cert_when when;
    int64_t at;
    err = ac_cert_next_attempt(c->def, hist, nh, now, &when, &at);
    if (!err && when == AC_CERT_WAIT) {
        char t[21];
        ac_reason_extra(why, json_pack("{s:s}", "retry_at", ac_clock_format(at, t)));
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ATTEMPT_TOO_EARLY, NULL,
                              "your last attempt failed; the next may start at %s (%u days after "
                              "it)",
                              t, c->def->training.wait_days);
    }
    if (err || when != AC_CERT_NOW)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_NO_ATTEMPTS, NULL,
                              "no attempt is open to you for %s: %s", c->ref,
                              err                         ? "your history ends in a pass"
                              : when == AC_CERT_CERTIFIED ? "you are certified"
                                                          : "every attempt was used");
    *number = (int64_t)nh + 1;
    return 0;
}

/* The decimal ids of the items |user| has seen for |c| (training examples and
 * earlier attempts), as core/review/certify.h takes them. */
static int seen_ids(struct ac_node *n, const struct ac__cred *c, int64_t user, char ***out,
                    size_t *k)
{
    int64_t *seen = NULL;
    size_t nseen = 0;
    int err = ac_store_seen_list(n->store, user, c->row.id, &seen, &nseen);
    char **s = err ? NULL : calloc(nseen + 1, sizeof *s);
    if (!err && !s)
        err = AC_ENOMEM;
    for (size_t i = 0; !err && i < nseen; i++) {
        s[i] = malloc(24);
        if (!s[i])
            err = AC_ENOMEM;
        else
            snprintf(s[i], 24, "%lld", (long long)seen[i]);
    }
    free(seen);
    if (err) {
        for (size_t i = 0; s && i < nseen; i++)
            free(s[i]);
        free(s);
        return err;
    }
    *out = s;
    *k = nseen;
    return 0;
}

int ac_cert_attempt_start(struct ac_node *n, const struct ac_user *actor, const char *ref,
                          struct ac__cred *out, struct ac_attempt_started *started,
                          struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    memset(started, 0, sizeof *started);
    int err = ac__actor_require(actor, AC_ROLE_REVIEWER, why);
    if (err || (err = ac__cred_find(n, ref, out, why)) != 0)
        return err;
    struct ac_bench_row *rows = NULL;
    size_t k = 0, nseen = 0;
    struct ac_bench b = {0};
    struct ac_cert_draw draw = {0};
    char **seen = NULL, *ids_text = NULL;
    int64_t *drawn = NULL, now = ac_clock_now_ms();
    json_t *items = NULL, *ids = NULL, *d = NULL;
    if ((err = may_start(n, actor, out, now, &started->number, why)))
        goto out;
    /* Everything shown in training and in earlier attempts stays out. */
    err = ac__bench_load(n, out, &rows, &k);
    if (!err)
        err = ac__bench_build(rows, k, out->def->n_levels, &b);
    if (!err)
        err = seen_ids(n, out, actor->id, &seen, &nseen);
    if (err)
        goto out;
    char rule[200];
    err = ac_cert_draw(&b, out->def, (const char *const *)seen, nseen, &draw, rule, sizeof rule);
    if (err == AC_ERANGE)
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_BENCHMARKS_EXHAUSTED, NULL,
                             "not enough unseen benchmark items for a draw: %s", rule);
    if (err)
        goto out;
    drawn = calloc(draw.n ? draw.n : 1, sizeof *drawn);
    items = json_array();
    ids = json_array();
    for (size_t i = 0; drawn && i < draw.n; i++) {
        drawn[i] = strtoll(b.items[draw.items[i]].id, NULL, 10);
        for (size_t r = 0; r < k; r++)
            if (rows[r].id == drawn[i])
                json_array_append_new(items,
                                      json_pack("{s:I, s:s}", "item_id", (json_int_t)drawn[i],
                                                "content", rows[r].content));
        json_array_append_new(ids, json_integer(drawn[i]));
    }
    ids_text = drawn ? json_dumps(ids, JSON_COMPACT) : NULL;
    d = json_pack("{s:s, s:I}", "credential", out->ref, "items", (json_int_t)draw.n);
    err = ids_text && d && items ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_cert_attempt_open(n->store, out->row.id, actor->id, ids_text, drawn, draw.n,
                                         now, &started->attempt_id);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor->id, actor->id, "attempt-start", d);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (!err) {
        started->items = items;
        items = NULL;
    }
out:
    json_decref(d);
    free(ids_text);
    free(drawn);
    json_decref(items);
    json_decref(ids);
    for (size_t i = 0; seen && i < nseen; i++)
        free(seen[i]);
    free(seen);
    ac_cert_draw_release(&draw);
    ac_bench_release(&b);
    for (size_t i = 0; i < k; i++)
        ac_bench_row_release(&rows[i]);
    free(rows);
    if (err)
        ac__cred_release(out);
    return err;
}

/* Turns |c| active, as the node, when its pool now reaches the minimum.
 * Runs inside the caller's transaction. */
static int maybe_activate(struct ac_node *n, struct ac__cred *c)
{
    if (c->row.state != AC_DEF_RECRUITING)
        return 0;
    struct ac_pool_activation act;
    json_t *pool = NULL;
    int err = ac__pool_status(n, c, false, &pool, &act);
    if (!err && act.activate)
        err = ac__cred_transition_tx(n, c, AC_DEF_ACTIVE, false, 0, pool);
    json_decref(pool);
    return err;
}

/* Matches the |k| |answers| to the |nitems| items |shown| (a JSON array of
 * ids, as stored with the attempt) and fills |given| (the level answered per
 * shown item) and |truth| (its final benchmark level). Returns 0, AC_EINVAL
 * with a reason naming "answers[i]", or a store error. */
static int match_answers(struct ac_node *n, const struct ac__cred *c, const json_t *shown,
                         size_t nitems, const struct ac_attempt_answer *answers, size_t k,
                         int *given, int *truth, struct ac_reason *why)
{
    for (size_t i = 0; i < nitems; i++)
        given[i] = -1;
    for (size_t i = 0; i < k; i++) {
        char field[40];
        snprintf(field, sizeof field, "answers[%zu]", i);
        size_t slot = nitems;
        for (size_t s = 0; s < nitems; s++)
            if (json_integer_value(json_array_get(shown, s)) == answers[i].item_id)
                slot = s;
        if (slot == nitems || given[slot] >= 0)
            return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_UNACCEPTABLE_VALUE, field,
                                  "%s.item_id: %lld was %s", field, (long long)answers[i].item_id,
                                  slot == nitems ? "not shown in this attempt" : "answered twice");
        int err = ac__level_resolve(c->def, &answers[i].level, "level", &given[slot], why);
        if (err)
            return err;
        struct ac_bench_row br;
        if ((err = ac_store_bench_get(n->store, answers[i].item_id, &br)) != 0)
            return err;
        truth[slot] = br.final_level;
        ac_bench_row_release(&br);
    }
    return 0;
}

/* The answers as stored with the attempt: [{item_id, level}] as given. */
static char *answers_text(const struct ac_attempt_answer *answers, size_t k)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < k; i++) {
        const struct ac_level_arg *l = &answers[i].level;
        json_t *e = json_pack("{s:I}", "item_id", (json_int_t)answers[i].item_id);
        if (e && l->kind == AC_LEVEL_NAME)
            json_object_set_new(e, "level", json_string(l->name));
        else if (e && l->kind == AC_LEVEL_INDEX)
            json_object_set_new(e, "level", json_integer(l->index));
        if (!e || json_array_append_new(a, e)) {
            json_decref(a);
            return NULL;
        }
    }
    char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return text;
}

int ac_cert_attempt_answer(struct ac_node *n, const struct ac_user *actor, int64_t attempt,
                           const struct ac_attempt_answer *answers, size_t k, struct ac__cred *out,
                           struct ac_attempt_graded *graded, struct ac_reason *why)
{
    memset(out, 0, sizeof *out);
    memset(graded, 0, sizeof *graded);
    int err = ac__actor_require(actor, AC_ROLE_REVIEWER, why);
    if (err)
        return err;
    struct ac_cert_attempt_row at = {0};
    struct ac_reviewer_cert rc = {0};
    json_t *shown = NULL, *result = NULL, *d = NULL;
    int *truth = NULL, *given = NULL;
    char *result_text = NULL, *given_text = NULL;
    err = ac_store_cert_attempt_get(n->store, attempt, &at);
    if (err == AC_ENOENT)
        ac_reason_fail(why, err, AC_PROBLEM_NOT_FOUND, NULL,
                       "certification attempt %lld does not exist", (long long)attempt);
    if (!err && at.user_id != actor->id)
        err = ac_reason_fail(why, AC_EACCES, AC_PROBLEM_NOT_YOURS, "id",
                             "certification attempt %lld belongs to another reviewer",
                             (long long)attempt);
    if (!err)
        err = ac__cred_load_id(n, at.credential_id, out);
    if (err)
        goto out;
    if (at.passed >= 0) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_ATTEMPT_CLOSED, "id",
                             "certification attempt %lld was already graded", (long long)attempt);
        goto out;
    }
    shown = json_loads(at.items, 0, NULL);
    size_t nitems = json_array_size(shown);
    if (!answers || k != nitems) {
        err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "answers",
                             "answers: a list of %zu {\"item_id\", \"level\"}, one per item shown",
                             nitems);
        goto out;
    }
    truth = calloc(nitems + 1, sizeof *truth);
    given = calloc(nitems + 1, sizeof *given);
    if (!truth || !given) {
        err = AC_ENOMEM;
        goto out;
    }
    if ((err = match_answers(n, out, shown, nitems, answers, k, given, truth, why)))
        goto out;
    struct ac_cert_result res;
    if ((err = ac_cert_grade(out->def, truth, given, nitems, &res)) ||
        (err = load_cert(n, out, actor->id, &rc, why)))
        goto out;
    int64_t now = ac_clock_now_ms();
    unsigned max_attempts = out->def->training.attempts;
    graded->passed = res.passed;
    graded->attempts = rc.attempts + 1;
    graded->next_attempt_ms = res.passed || graded->attempts >= max_attempts
                                  ? 0
                                  : now + (int64_t)out->def->training.wait_days * DAY_MS;
    graded->state = res.passed                         ? AC_RCERT_CERTIFIED
                    : graded->attempts >= max_attempts ? AC_RCERT_FAILED
                                                       : AC_RCERT_TRAINED;
    result = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s}", "passed", res.passed,
                       "items", (json_int_t)res.items, "exact", (json_int_t)res.exact, "within_one",
                       (json_int_t)res.within_one, "beyond_one", (json_int_t)res.beyond_one,
                       "boundary_misses", (json_int_t)res.boundary_misses, "exact_rate",
                       res.exact_rate, "adjacent_rate", res.adjacent_rate, "reason", res.reason);
    result_text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    given_text = answers_text(answers, k);
    d = result ? json_pack("{s:s, s:I, s:O}", "credential", out->ref, "attempt_id",
                           (json_int_t)attempt, "result", result)
               : NULL;
    err = result_text && given_text && d ? ac_store_tx_begin(n->store) : AC_ENOMEM;
    if (!err) {
        err = ac_store_cert_attempt_close(n->store, attempt, res.passed, given_text, result_text,
                                          now);
        if (!err)
            err = ac_store_reviewer_cert_attempted(n->store, out->row.id, actor->id,
                                                   graded->attempts, graded->next_attempt_ms, now);
        if (!err && graded->state != AC_RCERT_TRAINED)
            err = ac_store_reviewer_cert_transition(n->store, out->row.id, actor->id,
                                                    AC_RCERT_TRAINED, graded->state, NULL, now);
        if (!err)
            err = ac_audit_id(n, "reviewer", actor->id, actor->id,
                              res.passed ? "certified" : "attempt-failed", d);
        if (!err && res.passed)
            err = maybe_activate(n, out);
        /* A newly certified (or recertified) reviewer is offered queued
         * work at once. */
        if (!err && res.passed)
            err = ac__assignment_wake(n, actor->id, now);
        if (!err)
            err = ac_store_tx_commit(n->store);
        else
            ac_store_tx_rollback(n->store);
    }
    if (err == AC_ECONFLICT)
        ac_reason_fail(why, err, AC_PROBLEM_ATTEMPT_CLOSED, "id",
                       "certification attempt %lld was graded meanwhile", (long long)attempt);
    if (!err) {
        graded->result = result;
        result = NULL;
    }
out:
    free(result_text);
    free(given_text);
    json_decref(d);
    json_decref(result);
    free(truth);
    free(given);
    json_decref(shown);
    ac_cert_attempt_row_release(&at);
    ac_reviewer_cert_release(&rc);
    if (err)
        ac__cred_release(out);
    return err;
}
