/* test_certification.c - tests node/lifecycle/certification.c without HTTP:
 * attempts drawn from unseen resolved benchmarks, graded against their final
 * levels, a wait after a failure, and a pass that fills the pool turning the
 * credential active as the node. */
#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "accord/store/certification.h"
#include "accord/store/reviewer.h"

#define PER_LEVEL 3

static struct node_fixture fx;
static struct ac_user admin, e1, e2, rex, rae;
static int64_t cred, items[2 * PER_LEVEL];
static char rex_subject[24];

static void trained(const struct ac_user *u)
{
    assert_int_equal(0, ac_store_reviewer_cert_create(fx.node.store, cred, u->id, AC_RCERT_SCREENED,
                                                      "{}", "[]", 0));
    assert_int_equal(0, ac_store_reviewer_cert_transition(fx.node.store, cred, u->id,
                                                          AC_RCERT_SCREENED, AC_RCERT_TRAINED, NULL,
                                                          0));
}

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    e1 = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    e2 = fixture_user(&fx, "eli", AC_ROLE_EXPERT);
    rex = fixture_user(&fx, "rex", AC_ROLE_REVIEWER);
    rae = fixture_user(&fx, "rae", AC_ROLE_REVIEWER);
    snprintf(rex_subject, sizeof rex_subject, "%lld", (long long)rex.id);
    cred = fixture_credential(&fx, &admin, "[]", AC_DEF_RECRUITING);
    fixture_resolved_benchmarks(&fx, cred, &e1, &e2, PER_LEVEL, items);
    trained(&rex);
    return 0;
}

/* The level item |id| resolved to: the fixture adds levels in order. */
static int truth_of(int64_t id)
{
    for (int i = 0; i < 2 * PER_LEVEL; i++)
        if (items[i] == id)
            return i / PER_LEVEL;
    fail_msg("item %lld was not added by the fixture", (long long)id);
    return -1;
}

/* Starts an attempt for |who|; fills |answers| (capacity 2) with the right
 * levels, or every one wrong when |wrong|. Returns the attempt id. */
static int64_t start(const struct ac_user *who, struct ac_attempt_answer answers[2], bool wrong)
{
    struct ac__cred c;
    struct ac_attempt_started s;
    assert_int_equal(0, ac_cert_attempt_start(&fx.node, who, "unit-cred", &c, &s, NULL));
    assert_int_equal(2, json_array_size(s.items)); /* one per level */
    for (size_t i = 0; i < 2; i++) {
        int64_t id = json_integer_value(json_object_get(json_array_get(s.items, i), "item_id"));
        int level = truth_of(id);
        answers[i].item_id = id;
        answers[i].level =
            (struct ac_level_arg){.kind = AC_LEVEL_INDEX, .index = wrong ? 1 - level : level};
    }
    json_decref(s.items);
    ac__cred_release(&c);
    return s.attempt_id;
}

static void test_starting_draws_one_unseen_item_per_level_and_opens_the_attempt(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_started s;
    assert_int_equal(0, ac_cert_attempt_start(&fx.node, &rex, "unit-cred", &c, &s, &why));
    assert_int_equal(1, s.number);
    int levels[2] = {0, 0};
    for (size_t i = 0; i < json_array_size(s.items); i++)
        levels[truth_of(
            json_integer_value(json_object_get(json_array_get(s.items, i), "item_id")))]++;
    assert_int_equal(1, levels[0]);
    assert_int_equal(1, levels[1]);
    struct ac_cert_attempt_row at;
    assert_int_equal(0, ac_store_cert_attempt_get(fx.node.store, s.attempt_id, &at));
    assert_int_equal(rex.id, at.user_id);
    assert_true(at.passed < 0);
    ac_cert_attempt_row_release(&at);
    json_t *d = fixture_audit_last(&fx, "reviewer", rex_subject, "attempt-start", rex.id);
    assert_int_equal(2, json_integer_value(json_object_get(d, "items")));
    json_decref(d);
    json_decref(s.items);
    ac__cred_release(&c);
}

static void test_a_second_start_while_one_is_open_names_the_open_attempt(void **state)
{
    (void)state;
    struct ac_attempt_answer answers[2];
    int64_t open = start(&rex, answers, false);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_started s;
    assert_int_equal(AC_ECONFLICT,
                     ac_cert_attempt_start(&fx.node, &rex, "unit-cred", &c, &s, &why));
    fixture_reason_is(&why, AC_PROBLEM_ATTEMPT_OPEN, "");
    assert_int_equal(open, json_integer_value(json_object_get(why.extra, "attempt_id")));
    ac_reason_release(&why);
}

static void test_starting_before_training_is_refused_as_wrong_state(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_reviewer_cert_create(fx.node.store, cred, rae.id,
                                                      AC_RCERT_SCREENED, "{}", "[]", 0));
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_started s;
    assert_int_equal(AC_ECONFLICT,
                     ac_cert_attempt_start(&fx.node, &rae, "unit-cred", &c, &s, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
}

static void test_answering_another_reviewers_attempt_is_refused_and_leaves_it_open(void **state)
{
    (void)state;
    trained(&rae);
    struct ac_attempt_answer answers[2];
    int64_t id = start(&rex, answers, false);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_graded g;
    assert_int_equal(AC_EACCES,
                     ac_cert_attempt_answer(&fx.node, &rae, id, answers, 2, &c, &g, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_YOURS, "id");
    struct ac_cert_attempt_row at;
    assert_int_equal(0, ac_store_cert_attempt_get(fx.node.store, id, &at));
    assert_true(at.passed < 0);
    ac_cert_attempt_row_release(&at);
}

static void test_a_pass_that_fills_the_pool_certifies_and_turns_the_credential_active(void **state)
{
    (void)state;
    struct ac_attempt_answer answers[2];
    int64_t id = start(&rex, answers, false);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_graded g;
    assert_int_equal(0, ac_cert_attempt_answer(&fx.node, &rex, id, answers, 2, &c, &g, &why));
    assert_true(g.passed);
    assert_int_equal(AC_RCERT_CERTIFIED, g.state);
    assert_int_equal(1, g.attempts);
    assert_int_equal(0, g.next_attempt_ms);
    /* The pool minimum is ceil(1 x 2 / 2) = 1: this reviewer fills it. */
    assert_int_equal(AC_DEF_ACTIVE, c.row.state);
    assert_int_equal(AC_DEF_ACTIVE, fixture_state(&fx, cred));
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "transition", 0);
    assert_string_equal("active", json_string_value(json_object_get(d, "to")));
    json_decref(d);
    d = fixture_audit_last(&fx, "reviewer", rex_subject, "certified", rex.id);
    assert_true(json_is_true(json_object_get(json_object_get(d, "result"), "passed")));
    json_decref(d);
    json_decref(g.result);
    ac__cred_release(&c);
}

static void test_a_failed_attempt_sets_the_wait_and_cannot_be_answered_again(void **state)
{
    (void)state;
    struct ac_attempt_answer answers[2];
    int64_t id = start(&rex, answers, true);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_graded g;
    assert_int_equal(0, ac_cert_attempt_answer(&fx.node, &rex, id, answers, 2, &c, &g, &why));
    assert_false(g.passed);
    assert_int_equal(AC_RCERT_TRAINED, g.state);
    assert_true(g.next_attempt_ms > 0);
    assert_int_equal(AC_DEF_RECRUITING, c.row.state);
    json_decref(g.result);
    ac__cred_release(&c);
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_store_reviewer_cert_get(fx.node.store, cred, rex.id, &rc));
    assert_int_equal(1, rc.attempts);
    assert_int_equal(g.next_attempt_ms, rc.next_attempt_ms);
    ac_reviewer_cert_release(&rc);
    json_decref(fixture_audit_last(&fx, "reviewer", rex_subject, "attempt-failed", rex.id));
    assert_int_equal(AC_ECONFLICT,
                     ac_cert_attempt_answer(&fx.node, &rex, id, answers, 2, &c, &g, &why));
    fixture_reason_is(&why, AC_PROBLEM_ATTEMPT_CLOSED, "id");
    /* The next attempt waits the definition's seven days. */
    ac_reason_release(&why);
    struct ac_attempt_started s;
    assert_int_equal(AC_ECONFLICT,
                     ac_cert_attempt_start(&fx.node, &rex, "unit-cred", &c, &s, &why));
    fixture_reason_is(&why, AC_PROBLEM_ATTEMPT_TOO_EARLY, "");
    assert_non_null(json_object_get(why.extra, "retry_at"));
    ac_reason_release(&why);
}

static void test_answers_of_the_wrong_count_are_refused_naming_the_count(void **state)
{
    (void)state;
    struct ac_attempt_answer answers[2];
    int64_t id = start(&rex, answers, false);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_graded g;
    assert_int_equal(AC_EINVAL,
                     ac_cert_attempt_answer(&fx.node, &rex, id, answers, 1, &c, &g, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "answers");
    assert_non_null(strstr(why.detail, "a list of 2"));
    assert_int_equal(AC_EINVAL, ac_cert_attempt_answer(&fx.node, &rex, id, NULL, 0, &c, &g, &why));
}

static void test_an_answer_for_an_item_not_shown_is_refused_by_position(void **state)
{
    (void)state;
    struct ac_attempt_answer answers[2];
    int64_t id = start(&rex, answers, false);
    answers[1].item_id = 999999;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_attempt_graded g;
    assert_int_equal(AC_EINVAL,
                     ac_cert_attempt_answer(&fx.node, &rex, id, answers, 2, &c, &g, &why));
    fixture_reason_is(&why, AC_PROBLEM_UNACCEPTABLE_VALUE, "answers[1]");
    assert_non_null(strstr(why.detail, "not shown in this attempt"));
    struct ac_cert_attempt_row at;
    assert_int_equal(0, ac_store_cert_attempt_get(fx.node.store, id, &at));
    assert_true(at.passed < 0);
    ac_cert_attempt_row_release(&at);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_starting_draws_one_unseen_item_per_level_and_opens_the_attempt),
        T(test_a_second_start_while_one_is_open_names_the_open_attempt),
        T(test_starting_before_training_is_refused_as_wrong_state),
        T(test_answering_another_reviewers_attempt_is_refused_and_leaves_it_open),
        T(test_a_pass_that_fills_the_pool_certifies_and_turns_the_credential_active),
        T(test_a_failed_attempt_sets_the_wait_and_cannot_be_answered_again),
        T(test_answers_of_the_wrong_count_are_refused_naming_the_count),
        T(test_an_answer_for_an_item_not_shown_is_refused_by_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
