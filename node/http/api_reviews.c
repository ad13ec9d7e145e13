/* api_reviews.c - the reviewer's side: invitations (batches) to accept or
 * decline before seeing any content, the assigned work while the assignment
 * lasts, and scores. Seeded benchmark items look like any other item. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"
#include "accord/store/assignment.h"
#include "accord/store/submission.h"
#include "lifecycle/lifecycle.h"
#include "readers.h"
#include "review/review.h"

static json_t *batch_json(struct ac_node *n, const struct ac_batch_row *b)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    json_t *items = json_array();
    if (ac_store_assignment_list(n->store, 0, 0, b->id, -1, &as, &nas) == 0) {
        for (size_t i = 0; i < nas; i++) {
            json_array_append_new(items, json_pack("{s:I, s:s}", "assignment", (json_int_t)as[i].id,
                                                   "state", ac_asg_state_name(as[i].state)));
            ac_assignment_release(&as[i]);
        }
        free(as);
    }
    json_t *j = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)b->id, "credential",
                          b->credential_id, "state", ac_batch_state_name(b->state), "items", items);
    ac__json_time(j, "invited_at", b->created_ms);
    ac__json_time(j, "deadline", b->deadline_ms);
    return j;
}

/* The reviewer's batches, read on a reader thread (node/readers.h). */
struct batches_read {
    struct ac__json_read r; /* first */
    int64_t reviewer;
};

static int batches_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                        struct ac_reason *why)
{
    (void)why;
    struct ac_batch_row *bs = NULL;
    size_t nb = 0;
    int err = ac_store_batch_list(view->store, ((struct batches_read *)r)->reviewer, -1, &bs, &nb);
    if (err)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < nb; i++)
        json_array_append_new(items, batch_json(view, &bs[i]));
    free(bs);
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static void on_batches(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER))
        return;
    struct batches_read *b = ac__read_new(x, sizeof *b, "batches");
    if (!b)
        return;
    b->reviewer = a.user.id;
    ac__json_read_submit(n, x, &b->r, batches_read, NULL, "batches");
}

static void respond(struct ac_http_exchange *x, void *arg, int accept)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__param_id(x, "id", "batch", &id))
        return;
    char what[40];
    snprintf(what, sizeof what, "batch %" PRId64, id);
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__scoring_respond(n, a.user.id, id, accept, &why);
    if (err) {
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        return;
    }
    struct ac_batch_row b;
    if (ac_store_batch_get(n->store, id, &b) == 0)
        ac__respond_owned(x, 200, batch_json(n, &b));
    else
        ac__respond_error(x, AC_EDB, what);
}

static void on_accept(struct ac_http_exchange *x, void *arg)
{
    respond(x, arg, 1);
}

static void on_decline(struct ac_http_exchange *x, void *arg)
{
    respond(x, arg, 0);
}

/* An assignment's content, only while it is accepted and open: read on a
 * reader thread (node/readers.h), the reviewer checked on the loop. */
struct assignment_read {
    struct ac__json_read r; /* first */
    int64_t id, reviewer;
};

static int assignment_read(struct ac__json_read *r, struct ac_node *view, json_t **out,
                           struct ac_reason *why)
{
    struct assignment_read *q = (struct assignment_read *)r;
    struct ac_assignment_row as;
    int err = ac_store_assignment_get(view->store, q->id, &as);
    if (!err && as.reviewer_id != q->reviewer) {
        ac_assignment_release(&as);
        err = AC_ENOENT;
    }
    if (err)
        return err; /* named "assignment <id>", as submitted */
    if (as.state != AC_ASG_ACCEPTED) {
        err = ac_reason_fail(why, AC_ECONFLICT, AC_PROBLEM_CONFLICT, NULL,
                             "assignment %" PRId64 " is %s; content is shown only while an "
                             "accepted assignment lasts",
                             q->id, ac_asg_state_name(as.state));
        ac_assignment_release(&as);
        return err;
    }
    json_t *elements = NULL;
    if (as.submission_id) {
        struct ac_submission s;
        if (ac_store_submission_get(view->store, as.submission_id, &s) == 0) {
            elements = json_loads(s.elements, 0, NULL);
            ac_submission_release(&s);
        }
    } else {
        char *content = NULL;
        /* Seeding is blind: the item is shown exactly as a real submission
         * of the credential is (every element, in the definition's order). */
        struct ac_credential cred;
        struct ac_definition *def = NULL;
        if (ac_store_seed_content(view->store, strtoll(as.benchmark_id, NULL, 10), &content) == 0 &&
            ac__review_definition_at(view, as.credential_row, &def, &cred) == 0) {
            elements = ac__assignment_seed_elements(def, content);
            ac_def_free(def);
            ac_credential_release(&cred);
        }
        free(content);
    }
    json_t *j =
        json_pack("{s:I, s:I, s:s, s:s, s:o}", "id", (json_int_t)as.id, "batch",
                  (json_int_t)as.batch_id, "credential", as.credential_id, "state",
                  ac_asg_state_name(as.state), "elements", elements ? elements : json_array());
    json_t *guide = ac__definition_guide_of(view, as.credential_row); /* lifecycle/definitions.c */
    if (j && guide)
        json_object_set_new(j, "guide", guide);
    else
        json_decref(guide);
    ac_assignment_release(&as);
    return ac__json_read_answer(r, j, out);
}

static void on_assignment(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__param_id(x, "id", "assignment", &id))
        return;
    char what[48];
    snprintf(what, sizeof what, "assignment %" PRId64, id);
    struct assignment_read *q = ac__read_new(x, sizeof *q, what);
    if (!q)
        return;
    q->id = id;
    q->reviewer = a.user.id;
    ac__json_read_submit(n, x, &q->r, assignment_read, NULL, what);
}

/* One level as given: a name, null (unscored) or anything else (refused by
 * the service, which knows the scale). */
static struct ac_level_given level_given(const char *element, const json_t *v)
{
    return (struct ac_level_given){element, json_string_value(v),
                                   v && !json_is_string(v) && !json_is_null(v)};
}

void ac__levels_given(const json_t *levels, struct ac_levels_given *g)
{
    g->n = 0;
    g->shape = AC_LEVELS_OTHER;
    if (json_is_string(levels)) {
        g->shape = AC_LEVELS_ONE;
        g->v[g->n++] = level_given(NULL, levels);
    } else if (json_is_array(levels) && json_array_size(levels) <= AC_ASG_LEVELS_MAX) {
        g->shape = AC_LEVELS_LIST;
        for (size_t i = 0; i < json_array_size(levels); i++)
            g->v[g->n++] = level_given(NULL, json_array_get(levels, i));
    } else if (json_is_object(levels) && json_object_size(levels) <= AC_ASG_LEVELS_MAX) {
        g->shape = AC_LEVELS_BY_ELEMENT;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)levels, key, v)
        {
            g->v[g->n++] = level_given(key, v);
        }
    }
}

int ac__score_body(struct ac_http_exchange *x, const json_t *body, json_t **levels,
                   json_t **feedback)
{
    static const char *const allowed[] = {"levels", "level", "feedback", NULL};
    if (ac__json_only(x, body, allowed))
        return -1;
    json_t *lv = json_object_get(body, "levels");
    if (!lv)
        lv = json_object_get(body, "level");
    json_t *fb = json_object_get(body, "feedback");
    if (!lv) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "levels", NULL,
                    "levels: required; a level name (holistic) or one per element");
        return -1;
    }
    if (fb && !json_is_string(fb) && !json_is_object(fb)) {
        ac__problem(x, AC_PROBLEM_INVALID_FIELD, "feedback", NULL,
                    "feedback: must be a string, or an object of element id to string");
        return -1;
    }
    *levels = lv;
    *feedback = fb;
    return 0;
}

static void on_score(struct ac_http_exchange *x, void *arg)
{
    struct ac_node *n = arg;
    struct ac__auth a;
    int64_t id;
    json_t *body;
    if (ac__authenticate(n, x, &a) || ac__require_role(x, &a, AC_ROLE_REVIEWER) ||
        ac__param_id(x, "id", "assignment", &id) || ac__json_body(x, 0, &body))
        return;
    json_t *levels, *fb;
    if (ac__score_body(x, body, &levels, &fb))
        goto out;
    /* Per-element feedback is kept as its JSON text (review/feedback.h). */
    char *fb_text = json_is_object(fb) ? json_dumps(fb, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (json_is_object(fb) && !fb_text) {
        ac__respond_error(x, AC_ENOMEM, "feedback");
        goto out;
    }
    struct ac_levels_given given;
    ac__levels_given(levels, &given);
    char what[48];
    snprintf(what, sizeof what, "assignment %" PRId64, id);
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__scoring_score(n, a.user.id, id, &given, fb_text ? fb_text : json_string_value(fb),
                                &why);
    free(fb_text);
    if (err) {
        ac__respond_failure(x, err, &why, what);
        ac_reason_release(&why);
        goto out;
    }
    struct ac_assignment_row as;
    if (ac_store_assignment_get(n->store, id, &as) == 0) {
        ac__respond_owned(
            x, 200,
            json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", ac_asg_state_name(as.state)));
        ac_assignment_release(&as);
    } else {
        ac__respond_error(x, AC_EDB, what);
    }
out:
    json_decref(body);
}

void ac__api_reviews_register(struct ac_node *n)
{
    ac__route(n, "GET", "/v1/reviews/batches", on_batches);
    ac__route(n, "POST", "/v1/reviews/batches/{id}/accept", on_accept);
    ac__route(n, "POST", "/v1/reviews/batches/{id}/decline", on_decline);
    ac__route(n, "GET", "/v1/reviews/assignments/{id}", on_assignment);
    ac__route(n, "POST", "/v1/reviews/assignments/{id}/score", on_score);
}
