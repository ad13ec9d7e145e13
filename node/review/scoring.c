/* scoring.c - the scoring service: a reviewer accepts or declines an invited
 * batch (before seeing any content) and scores the work of an accepted one.
 * A score is checked against the definition's scale, combined per the
 * definition's rule, and recorded with its audit row; the batch ends when
 * nothing in it is open, and the submission is decided (decisions.c) when its
 * reviews are all in, all in one transaction. A lent reviewer's score from a
 * peer goes through this same service. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/buf.h"
#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/review/scoring.h"
#include "accord/store/assignment.h"
#include "accord/store/credential.h"
#include "accord/store/job.h"
#include "audit.h"
#include "review/feedback.h"
#include "review/review.h"

#define HOUR_MS (3600LL * 1000)

/* Writes an audit row by |actor| about |kind| |subject| with |detail| (takes
 * ownership; NULL means jansson ran out of memory). */
static int audit(struct ac_node *n, const char *kind, int64_t subject, int64_t actor,
                 const char *action, json_t *detail)
{
    int err = detail ? ac_audit_id(n, kind, subject, actor, action, detail) : AC_ENOMEM;
    json_decref(detail);
    return err;
}

/* ---- accept or decline ---- */

int ac__scoring_respond(struct ac_node *n, int64_t reviewer_id, int64_t batch_id, int accept,
                        struct ac_reason *why)
{
    struct ac_batch_row b;
    /* A store failure stays a store failure; only a batch that is missing or
     * someone else's is "not found". */
    int err = ac_store_batch_get(n->store, batch_id, &b);
    if (err)
        return err;
    if (b.reviewer_id != reviewer_id)
        return AC_ENOENT;
    int64_t now = ac_clock_now_ms();
    if (b.state != AC_BATCH_INVITED)
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                              "batch %" PRId64 " is %s; only an invited batch can be %s", batch_id,
                              ac_batch_state_name(b.state), accept ? "accepted" : "declined");
    if (now >= b.deadline_ms) {
        char when[21];
        return ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                              "the invitation to batch %" PRId64 " expired at %s", batch_id,
                              ac_clock_format(b.deadline_ms, when));
    }
    err = ac_store_tx_begin(n->store);
    if (err)
        return err;
    err = ac_store_batch_set_state(n->store, batch_id,
                                   accept ? AC_BATCH_ACCEPTED : AC_BATCH_DECLINED, now);
    if (!err && accept) {
        struct ac_assignment_row *as = NULL;
        size_t nas = 0;
        err = ac_store_assignment_list(n->store, 0, 0, batch_id, AC_ASG_INVITED, &as, &nas);
        for (size_t i = 0; !err && i < nas; i++)
            err = ac_store_assignment_set_state(n->store, as[i].id, AC_ASG_ACCEPTED, 0);
        for (size_t i = 0; i < nas; i++)
            ac_assignment_release(&as[i]);
        free(as);
    } else if (!err) {
        err = ac__assignment_hand_back(n, batch_id, AC_ASG_DECLINED, b.credential_row);
    }
    if (!err)
        err = audit(n, "batch", batch_id, reviewer_id, accept ? "accepted" : "declined",
                    json_object());
    return ac__scheduler_commit(n, err);
}

/* ---- scores ---- */

/* One level: a name of the scale, or null (an unscored element). AC_EINVAL
 * with a reason naming |where|, the value and the scale otherwise. */
static int check_level(const struct ac_definition *def, const struct ac_level_given *v,
                       const char *where, int *out, struct ac_reason *why)
{
    if (!v || (!v->name && !v->not_string)) {
        *out = AC_LEVEL_UNSCORED;
        return 0;
    }
    long idx = v->name ? ac_def_level_index(def, v->name) : -1;
    if (idx >= 0) {
        *out = (int)idx;
        return 0;
    }
    struct ac_buf b;
    ac_buf_init(&b);
    for (size_t k = 0; k < def->n_levels; k++)
        ac_buf_printf(&b, "%s\"%s\"", k ? ", " : "", def->levels[k]);
    ac_buf_terminate(&b);
    ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                   "%s: \"%s\" is not a level of the scale; use one of %s", where,
                   v->name ? v->name : "(not a string)", b.data ? (const char *)b.data : "");
    ac_buf_release(&b);
    return AC_EINVAL;
}

/* The given level of element |id|, or NULL when the object has none. */
static const struct ac_level_given *by_element(const struct ac_levels_given *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].element && strcmp(g->v[i].element, id) == 0)
            return &g->v[i];
    return NULL;
}

/* Checks |g| against |def|'s grain and scale into |out| (|*nout| levels). */
static int check_levels(const struct ac_definition *def, const struct ac_levels_given *g, int *out,
                        size_t *nout, struct ac_reason *why)
{
    size_t want = def->grain == AC_GRAIN_HOLISTIC ? 1 : def->n_elements;
    char where[96];
    int err = 0;
    if (want > AC_ASG_LEVELS_MAX)
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                              "levels: %s has %zu elements; at most %d can be scored", def->id,
                              want, AC_ASG_LEVELS_MAX);
    if (g->shape == AC_LEVELS_ONE && want == 1) {
        err = check_level(def, &g->v[0], "level", &out[0], why);
    } else if (g->shape == AC_LEVELS_LIST && g->n == want) {
        for (size_t i = 0; i < want && !err; i++) {
            snprintf(where, sizeof where, "levels[%zu]", i);
            err = check_level(def, &g->v[i], where, &out[i], why);
        }
    } else if (g->shape == AC_LEVELS_BY_ELEMENT && def->grain == AC_GRAIN_PER_ELEMENT) {
        for (size_t i = 0; i < want && !err; i++) {
            snprintf(where, sizeof where, "levels.%s", def->elements[i].id);
            err = check_level(def, by_element(g, def->elements[i].id), where, &out[i], why);
        }
        for (size_t k = 0; !err && k < g->n; k++) {
            int known = 0;
            for (size_t i = 0; i < def->n_elements; i++)
                known |= strcmp(def->elements[i].id, g->v[k].element) == 0;
            if (!known)
                err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                                     "levels.%s: not an element of %s", g->v[k].element, def->id);
        }
    } else {
        return ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                              "levels: %s grain needs %zu level name%s",
                              def->grain == AC_GRAIN_HOLISTIC ? "holistic" : "per-element", want,
                              want == 1 ? "" : "s, one per element");
    }
    if (!err)
        *nout = want;
    return err;
}

int ac__levels_check(const struct ac_definition *def, const struct ac_levels_given *g, int *out,
                     size_t *nout, struct ac_reason *why)
{
    return check_levels(def, g, out, nout, why);
}

/* Ends batch |a|->batch_id when nothing in it is still accepted and open:
 * the reviewer's cool-off starts, after which a new pass may give them more. */
static int end_batch_if_done(struct ac_node *n, const struct ac_assignment_row *a,
                             const struct ac_definition *def, int64_t reviewer_id, int64_t now)
{
    struct ac_assignment_row *rest = NULL;
    size_t nrest = 0;
    int err = ac_store_assignment_list(n->store, 0, 0, a->batch_id, AC_ASG_ACCEPTED, &rest, &nrest);
    for (size_t i = 0; i < nrest; i++)
        ac_assignment_release(&rest[i]);
    free(rest);
    if (err || nrest)
        return err;
    err = ac_store_batch_set_state(n->store, a->batch_id, AC_BATCH_DONE, now);
    /* Back from cool-off, the reviewer is offered the queued work of every
     * credential they serve, not only this one. */
    if (!err)
        err = ac__assignment_wake(n, reviewer_id,
                                  now + (int64_t)def->review.cool_off_hours * HOUR_MS);
    if (!err)
        err = audit(n, "batch", a->batch_id, reviewer_id, "completed", json_object());
    return err;
}

int ac__scoring_score(struct ac_node *n, int64_t reviewer_id, int64_t asg_id,
                      const struct ac_levels_given *levels, const char *feedback,
                      struct ac_reason *why)
{
    struct ac_assignment_row a;
    int err = ac_store_assignment_get(n->store, asg_id, &a);
    if (err)
        return err;
    struct ac_definition *def = NULL;
    struct ac_credential cred = {0};
    int64_t now = ac_clock_now_ms();
    if (a.reviewer_id != reviewer_id) {
        err = AC_ENOENT;
    } else if (a.state != AC_ASG_ACCEPTED) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                             "assignment %" PRId64 " is %s; only an accepted assignment can be "
                             "scored",
                             asg_id, ac_asg_state_name(a.state));
    } else {
        struct ac_batch_row b;
        err = ac_store_batch_get(n->store, a.batch_id, &b);
        if (!err && now >= b.deadline_ms) {
            char when[21];
            err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                                 "the review deadline of batch %" PRId64 " passed at %s",
                                 a.batch_id, ac_clock_format(b.deadline_ms, when));
        }
    }
    /* The definition by the row stored with the assignment: one read. */
    int have_def = 0;
    if (!err) {
        err = ac__review_definition_at(n, a.credential_row, &def, &cred);
        have_def = !err;
    }
    int lv[AC_ASG_LEVELS_MAX];
    size_t nlv = 0, level = 0;
    bool pass = false;
    if (!err)
        err = check_levels(def, levels, lv, &nlv, why);
    if (!err)
        err = ac__feedback_check(def, feedback, why);
    if (!err) {
        struct ac_review r = {lv, nlv};
        if (ac_scoring_combine(def, &r, &level, &pass) != 0)
            err = ac_reason_fail(why, AC_EINVAL, AC_PROBLEM_INVALID_FIELD, "levels",
                                 "levels: a required element is unscored or a level is off "
                                 "the scale");
    }
    int in_tx = 0;
    if (!err) {
        err = ac_store_tx_begin(n->store);
        in_tx = !err;
    }
    if (!err)
        err = ac_store_assignment_score(n->store, asg_id, lv, nlv, (int)level, feedback, now);
    if (!err)
        err = audit(
            n, a.submission_id ? "submission" : "benchmark",
            a.submission_id ? a.submission_id : asg_id, reviewer_id, "scored",
            json_pack("{s:I, s:s}", "assignment", (json_int_t)asg_id, "level", def->levels[level]));
    if (!err)
        err = end_batch_if_done(n, &a, def, reviewer_id, now);
    if (!err && a.submission_id)
        err = ac__decision_try(n, a.submission_id, def, a.credential_row);
    /* A benchmark result feeds monitoring at once: decisions also run it,
     * but a reviewer given only seeded benchmarks (a borrowed one at a high
     * seed rate) would otherwise never be judged on them. */
    if (!err && !a.submission_id)
        err = ac_store_job_add(n->store, "monitor", a.credential_row, now);
    if (in_tx)
        err = ac__scheduler_commit(n, err);
    if (have_def) {
        ac_def_free(def);
        ac_credential_release(&cred);
    }
    ac_assignment_release(&a);
    return err;
}
