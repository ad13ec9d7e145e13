/* test_scoring.c - tests node/review/scoring.c without HTTP: a reviewer
 * accepts an invited batch once, scores only their own accepted work, with
 * level names of the scale; a score ends the batch and is audited. */
#include <sqlite3.h>

#include "review_fixture.h"
#include "accord/store/assignment.h"

static int64_t reviewer, sub, asg, batch;

/* A submission assigned to one reviewer, its batch invited. */
static int setup(void **state)
{
    if (fx_open(state))
        return -1;
    reviewer = fx_reviewer("rita");
    sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    if (ac__assignment_pass(&fx.nf.node, fx.row))
        return -1;
    struct ac_assignment_row a = fx_only_assignment(sub);
    asg = a.id;
    batch = a.batch_id;
    ac_assignment_release(&a);
    return 0;
}

static struct ac_levels_given one(const char *name)
{
    struct ac_levels_given g = {.shape = AC_LEVELS_ONE, .n = 1};
    g.v[0].name = name;
    return g;
}

static enum ac_asg_state asg_state(void)
{
    struct ac_assignment_row a;
    assert_int_equal(0, ac_store_assignment_get(fx.nf.node.store, asg, &a));
    enum ac_asg_state s = a.state;
    ac_assignment_release(&a);
    return s;
}

static void test_an_invited_batch_is_accepted_once_and_then_conflicts(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, batch, 1, &why));
    assert_int_equal(AC_ASG_ACCEPTED, asg_state());
    assert_int_equal(AC_ECONFLICT, ac__scoring_respond(&fx.nf.node, reviewer, batch, 1, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_non_null(strstr(why.detail, "is accepted; only an invited batch can be accepted"));
    ac_reason_release(&why);
}

static void test_another_reviewers_batch_is_not_found(void **state)
{
    (void)state;
    int64_t other = fx_reviewer("otto");
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ENOENT, ac__scoring_respond(&fx.nf.node, other, batch, 1, &why));
    assert_int_equal(AC_ENOENT, ac__scoring_respond(&fx.nf.node, reviewer, batch + 100, 1, &why));
    assert_int_equal(AC_PROBLEM_NONE, why.problem);
    assert_int_equal(AC_ASG_INVITED, asg_state());
}

static void test_a_declined_batch_hands_its_work_back_for_another_pass(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, batch, 0, &why));
    assert_int_equal(AC_ASG_DECLINED, asg_state());
    assert_true(fx_jobs("assign", fx.row, ac_clock_now_ms()) >= 1);
    json_t *d = fx_audit("batch", batch, "declined");
    assert_non_null(d);
    json_decref(d);
}

static void test_work_not_yet_accepted_cannot_be_scored(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac_levels_given g = one("pass");
    assert_int_equal(AC_ECONFLICT, ac__scoring_score(&fx.nf.node, reviewer, asg, &g, NULL, &why));
    assert_non_null(strstr(why.detail, "only an accepted assignment can be scored"));
    ac_reason_release(&why);
}

static void test_a_level_off_the_scale_is_refused_naming_the_scale(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, batch, 1, &why));
    struct ac_levels_given g = one("excellent");
    assert_int_equal(AC_EINVAL, ac__scoring_score(&fx.nf.node, reviewer, asg, &g, NULL, &why));
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, why.problem);
    assert_string_equal("levels", why.field);
    assert_string_equal(
        "level: \"excellent\" is not a level of the scale; use one of \"not yet\", \"pass\"",
        why.detail);
    ac_reason_release(&why);
    /* An object is not the shape of a holistic score. */
    struct ac_levels_given obj = {.shape = AC_LEVELS_BY_ELEMENT, .n = 1};
    obj.v[0] = (struct ac_level_given){"a", "pass", 0};
    assert_int_equal(AC_EINVAL, ac__scoring_score(&fx.nf.node, reviewer, asg, &obj, NULL, &why));
    assert_string_equal("levels: holistic grain needs 1 level name", why.detail);
    ac_reason_release(&why);
    assert_int_equal(AC_ASG_ACCEPTED, asg_state());
}

static void test_a_score_is_recorded_audited_and_ends_the_batch(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, batch, 1, &why));
    struct ac_levels_given g = one("pass");
    assert_int_equal(0,
                     ac__scoring_score(&fx.nf.node, reviewer, asg, &g, "clear and specific", &why));
    assert_int_equal(AC_ASG_DONE, asg_state());
    struct ac_batch_row b;
    assert_int_equal(0, ac_store_batch_get(fx.nf.node.store, batch, &b));
    assert_int_equal(AC_BATCH_DONE, b.state);
    json_t *d = fx_audit("submission", sub, "scored");
    assert_non_null(d);
    assert_int_equal(asg, json_integer_value(json_object_get(d, "assignment")));
    assert_string_equal("pass", json_string_value(json_object_get(d, "level")));
    json_decref(d);
    /* Someone else scoring it is told it does not exist. */
    assert_int_equal(AC_ENOENT,
                     ac__scoring_score(&fx.nf.node, reviewer + 100, asg, &g, NULL, &why));
}

static void test_a_score_after_the_deadline_conflicts(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, batch, 1, &why));
    ac_clock_advance(3 * 24 * 3600 * 1000LL);
    struct ac_levels_given g = one("pass");
    assert_int_equal(AC_ECONFLICT, ac__scoring_score(&fx.nf.node, reviewer, asg, &g, NULL, &why));
    assert_non_null(strstr(why.detail, "the review deadline of batch"));
    ac_reason_release(&why);
    assert_int_equal(AC_ASG_ACCEPTED, asg_state());
}

/* The store failing to read the batch is a store failure (503 or 500 at the
 * HTTP adapter), never "not found": the old service answered AC_ENOENT for
 * any error. The failure is made real by dropping the batches table through
 * a second connection to the same database. */
static void test_a_store_failure_reading_the_batch_is_not_reported_as_not_found(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/accord.db", fx.nf.dir);
    sqlite3 *db = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open(path, &db));
    assert_int_equal(SQLITE_OK, sqlite3_exec(db, "PRAGMA foreign_keys = OFF; DROP TABLE batches",
                                             NULL, NULL, NULL));
    sqlite3_close(db);
    struct ac_reason why = AC_REASON_INIT;
    int err = ac__scoring_respond(&fx.nf.node, reviewer, batch, 1, &why);
    assert_int_not_equal(0, err);
    assert_int_not_equal(AC_ENOENT, err);
    assert_int_equal(AC_PROBLEM_NONE, why.problem);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_an_invited_batch_is_accepted_once_and_then_conflicts),
        T(test_another_reviewers_batch_is_not_found),
        T(test_a_declined_batch_hands_its_work_back_for_another_pass),
        T(test_work_not_yet_accepted_cannot_be_scored),
        T(test_a_level_off_the_scale_is_refused_naming_the_scale),
        T(test_a_score_is_recorded_audited_and_ends_the_batch),
        T(test_a_score_after_the_deadline_conflicts),
        T(test_a_store_failure_reading_the_batch_is_not_reported_as_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
