/* review_fixture.h - the review layer on node_fixture.h, for the tests of
 * node/review/ (and the federation services built on it) that drive services
 * without HTTP: a node with its store alone and a loop, the people and the
 * active credential the review services need, certified reviewers,
 * submissions, jobs and the scheduler. Header-only: each test file is its
 * own executable. */
#ifndef AC_TEST_REVIEW_FIXTURE_H
#define AC_TEST_REVIEW_FIXTURE_H

#include "node/node_fixture.h"

#include "accord/store/assignment.h"
#include "accord/store/credential.h"
#include "accord/store/job.h"
#include "accord/store/reviewer.h"
#include "accord/store/submission.h"
#include "review/review.h"

/* A holistic definition ("not yet" < "pass") reviewed by one master
 * reviewer, batches of one, a deadline of two days. */
#define FX_DEF_ID "feedback"
#define FX_DEFINITION                                                                              \
    "{\"id\":\"" FX_DEF_ID "\",\"version\":1,\"title\":\"Feedback\",\"competency\":\"c\","         \
    "\"key_method\":\"k\",\"method_components\":\"m\","                                            \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"Describe your feedback "             \
    "practice\"}]},"                                                                               \
    "\"scoring\":{\"levels\":[\"not yet\",\"pass\"],\"passing_level\":\"pass\"},"                  \
    "\"reviewers\":{\"mode\":\"master\"},\"maintenance\":{\"second_master_rate\":0},"              \
    "\"review\":{\"batch_size\":1,\"deadline_days\":2,\"reminders_hours_before\":[24]}}"

struct fx {
    struct node_fixture nf; /* nf.node has the store and a loop */
    int64_t admin, earner, row;
    int64_t reviewers[8];
    size_t n_reviewers;
};

static struct fx fx;

/* Adds a user |name| with |roles|; returns its id. */
static inline int64_t fx_user(const char *name, unsigned roles)
{
    return fixture_user(&fx.nf, name, roles).id;
}

/* Adds a reviewer with a profile, certified for the fixture's credential. */
static inline int64_t fx_reviewer(const char *name)
{
    struct ac_store *st = fx.nf.node.store;
    int64_t now = ac_clock_now_ms();
    int64_t id = fx_user(name, AC_ROLE_REVIEWER);
    struct ac_reviewer_profile p = {.user_id = id, .available = true};
    snprintf(p.domains, sizeof p.domains, "[]");
    /* A school and district of their own: the pass never gives work to a
     * reviewer of the earner's (here: no) school or district. */
    snprintf(p.school, sizeof p.school, "%s school", name);
    snprintf(p.district, sizeof p.district, "%s district", name);
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_reviewer_put(st, &p, now));
    fixture_certify_to(&fx.nf, fx.row, id, AC_RCERT_CERTIFIED, now);
    assert_int_equal(0, ac_store_tx_commit(st));
    fx.reviewers[fx.n_reviewers++] = id;
    return id;
}

/* Opens the node over a new store (|whole|: a whole node, its records state
 * loaded) with an admin, an earner and the active credential |definition|
 * (no reviewers yet). */
static inline int fx_open_node(const char *definition, int whole)
{
    memset(&fx, 0, sizeof fx);
    if ((whole ? fixture_open_full(&fx.nf) : fixture_open(&fx.nf)) || fixture_loop(&fx.nf))
        return -1;
    struct ac_store *st = fx.nf.node.store;
    int64_t now = ac_clock_now_ms();
    fx.admin = fx_user("ada", AC_ROLE_ADMIN);
    fx.earner = fx_user("eve", AC_ROLE_EARNER);
    if (ac_store_credential_create(st, FX_DEF_ID, 1, "Feedback", definition, "h", fx.admin, now,
                                   &fx.row) ||
        ac_store_credential_transition(st, fx.row, AC_DEF_DRAFT, AC_DEF_ACTIVE, false, now))
        return -1;
    return 0;
}

/* A node with its store alone. */
static inline int fx_open_with(const char *definition)
{
    return fx_open_node(definition, 0);
}

/* The same on a whole node (its records state loaded, so records issue). */
static inline int fx_open_full(void **state)
{
    (void)state;
    return fx_open_node(FX_DEFINITION, 1);
}

static inline int fx_open(void **state)
{
    (void)state;
    return fx_open_with(FX_DEFINITION);
}

static inline int fx_close(void **state)
{
    (void)state;
    if (fx.nf.node.scheduler)
        ac__scheduler_stop(&fx.nf.node); /* its handles close as fixture_close() runs the loop */
    return fixture_close(&fx.nf);
}

/* Submits |text| as the earner's work through the submissions service;
 * returns the submission id. */
static inline int64_t fx_submit(int64_t earner, const char *text)
{
    struct ac_submitted_element e = {"a", text, NULL};
    struct ac_submission_input in = {
        .credential = FX_DEF_ID, .elements_given = 1, .elements = &e, .n_elements = 1};
    struct ac_reason why = AC_REASON_INIT;
    struct ac_definition *def = NULL;
    int64_t id = 0;
    int err = ac__submission_create(&fx.nf.node, earner, &in, &id, &def, &why);
    if (err)
        print_error("submission refused: %s (%s)\n", ac_strerror(err), why.detail);
    assert_int_equal(0, err);
    ac_def_free(def);
    ac_reason_release(&why);
    return id;
}

/* Gives reviewer |r| one open (pending) assignment of a new submission of
 * |text| by the earner, created at |now_ms|; returns the submission. */
static inline int64_t fx_open_assignment(int64_t r, const char *text, int64_t now_ms)
{
    int64_t sub = fx_submit(fx.earner, text);
    struct ac_assignment_row a = {.submission_id = sub,
                                  .benchmark_level = -1,
                                  .reviewer_id = r,
                                  .state = AC_ASG_PENDING,
                                  .level = -1,
                                  .credential_row = fx.row};
    snprintf(a.credential_id, sizeof a.credential_id, FX_DEF_ID);
    int64_t id;
    assert_int_equal(0, ac_store_tx_begin(fx.nf.node.store));
    assert_int_equal(0, ac_store_assignment_insert(fx.nf.node.store, &a, now_ms, &id));
    assert_int_equal(0, ac_store_tx_commit(fx.nf.node.store));
    return sub;
}

/* The one assignment of submission |sub| (the test fails unless there is
 * exactly one); the caller releases it with ac_assignment_release(). */
static inline struct ac_assignment_row fx_only_assignment(int64_t sub)
{
    struct ac_assignment_row *as = NULL;
    size_t nas = 0;
    assert_int_equal(0, ac_store_assignment_list(fx.nf.node.store, sub, 0, 0, -1, &as, &nas));
    assert_int_equal(1, nas);
    struct ac_assignment_row one = as[0];
    free(as);
    return one;
}

/* How many notifications are queued for |user| (of |kind| only, unless
 * NULL). */
static inline size_t fx_notifications(int64_t user, const char *kind)
{
    return fixture_notifications(&fx.nf, user, kind);
}

/* The state of submission |id|. */
static inline enum ac_sub_state fx_sub_state(int64_t id)
{
    struct ac_submission s;
    assert_int_equal(0, ac_store_submission_get(fx.nf.node.store, id, &s));
    enum ac_sub_state st = s.state;
    ac_submission_release(&s);
    return st;
}

/* How many undone jobs of |kind| about |ref| are due by |until|. */
static inline size_t fx_jobs(const char *kind, int64_t ref, int64_t until)
{
    struct ac_job jobs[64];
    size_t got = 0, n = 0;
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, until, jobs, 64, &got));
    for (size_t i = 0; i < got; i++)
        n += strcmp(jobs[i].kind, kind) == 0 && (ref == 0 || jobs[i].ref == ref);
    return n;
}

/* Runs every due job of |kind| through the scheduler's table (the fixture's
 * scheduler must be started). Returns how many ran. */
static inline size_t fx_run_jobs(const char *kind)
{
    struct ac_job jobs[64];
    size_t got = 0, ran = 0;
    assert_int_equal(0, ac_store_job_due(fx.nf.node.store, ac_clock_now_ms(), jobs, 64, &got));
    for (size_t i = 0; i < got; i++)
        if (strcmp(jobs[i].kind, kind) == 0) {
            assert_int_equal(0, ac__scheduler_run(&fx.nf.node, &jobs[i]));
            ran++;
        }
    return ran;
}

/* Starts the scheduler (its timer never fires: the loop is not run) with
 * the review job kinds. */
static inline void fx_scheduler(void)
{
    assert_int_equal(0, ac__scheduler_start(&fx.nf.node));
    assert_int_equal(0, ac__review_jobs_register(&fx.nf.node));
}

/* The detail of the last audit row of |action| about |kind| |id| as parsed
 * JSON (caller json_decref()s), or NULL when there is none. */
static inline json_t *fx_audit(const char *kind, int64_t id, const char *action)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    return fixture_audit_detail(&fx.nf, kind, sid, action);
}

#endif
