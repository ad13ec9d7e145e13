/* test_decisions.c - tests node/review/decisions.c without HTTP: a
 * submission's last review decides it; a pass queues the issue job, a fail
 * the end of the resubmission wait; the earner is told; the decision is
 * audited as JSON however the issuer named its levels. */
#include "review_fixture.h"
#include "accord/store/assignment.h"
#include "accord/store/notify.h"
#include "accord/store/submission.h"

/* Levels whose names carry quotes and a backslash: the old audit path
 * printed them into a JSON text unescaped. */
#define QUOTED_DEFINITION                                                                          \
    "{\"id\":\"" FX_DEF_ID "\",\"version\":1,\"title\":\"Feedback\",\"competency\":\"c\","         \
    "\"key_method\":\"k\",\"method_components\":\"m\","                                            \
    "\"submission\":{\"elements\":[{\"id\":\"a\",\"prompt\":\"Describe it\"}]},"                   \
    "\"scoring\":{\"levels\":[\"not \\\"yet\\\"\",\"pass \\\\ \\\"with\\\" merit\"],"              \
    "\"passing_level\":\"pass \\\\ \\\"with\\\" merit\"},"                                         \
    "\"reviewers\":{\"mode\":\"master\"},\"maintenance\":{\"second_master_rate\":0},"              \
    "\"review\":{\"batch_size\":1,\"deadline_days\":2,\"reminders_hours_before\":[24],"            \
    "\"resubmission_wait_days\":3}}"

/* Submits, assigns, accepts and scores |level|; returns the submission. */
static int64_t decided_with(const char *level)
{
    int64_t reviewer = fx_reviewer("rita");
    int64_t sub = fx_submit(fx.earner, "I give feedback within a day, in writing.");
    assert_int_equal(0, ac__assignment_pass(&fx.nf.node, fx.row));
    struct ac_assignment_row a = fx_only_assignment(sub);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__scoring_respond(&fx.nf.node, reviewer, a.batch_id, 1, &why));
    struct ac_levels_given g = {.shape = AC_LEVELS_ONE, .n = 1};
    g.v[0].name = level;
    int err = ac__scoring_score(&fx.nf.node, reviewer, a.id, &g, NULL, &why);
    if (err)
        print_error("score refused: %s\n", why.detail);
    assert_int_equal(0, err);
    ac_assignment_release(&a);
    return sub;
}

static void test_the_last_review_decides_a_pass_and_queues_its_record(void **state)
{
    (void)state;
    int64_t sub = decided_with("pass");
    struct ac_submission s;
    assert_int_equal(0, ac_store_submission_get(fx.nf.node.store, sub, &s));
    assert_int_equal(AC_SUB_DECIDED, s.state);
    assert_true(s.passed);
    assert_int_equal(1, s.level);
    ac_submission_release(&s);
    int64_t now = ac_clock_now_ms();
    assert_int_equal(1, fx_jobs("issue", sub, now));
    assert_int_equal(1, fx_jobs("monitor", fx.row, now));
    assert_int_equal(0, fx_jobs("resubmit_open", sub, now + 400LL * 24 * 3600 * 1000));
    assert_int_equal(1, fx_notifications(fx.earner, "outcome"));
    json_t *d = fx_audit("submission", sub, "decided");
    assert_non_null(d);
    assert_string_equal("pass", json_string_value(json_object_get(d, "level")));
    assert_true(json_is_true(json_object_get(d, "passed")));
    json_decref(d);
}

static void test_a_fail_opens_resubmission_after_the_wait_and_issues_nothing(void **state)
{
    (void)state;
    int64_t sub = decided_with("not yet");
    struct ac_submission s;
    assert_int_equal(0, ac_store_submission_get(fx.nf.node.store, sub, &s));
    assert_int_equal(AC_SUB_DECIDED, s.state);
    assert_false(s.passed);
    assert_true(s.resubmit_after_ms > ac_clock_now_ms());
    int64_t after = s.resubmit_after_ms;
    ac_submission_release(&s);
    assert_int_equal(0, fx_jobs("issue", sub, ac_clock_now_ms()));
    assert_int_equal(0, fx_jobs("resubmit_open", sub, after - 1));
    assert_int_equal(1, fx_jobs("resubmit_open", sub, after));
    /* The job, run when due, tells the earner. */
    fx_scheduler();
    ac_clock_advance(after - ac_clock_now_ms());
    assert_int_equal(1, fx_run_jobs("resubmit_open"));
    assert_int_equal(1, fx_notifications(fx.earner, "resubmit_open"));
    assert_int_equal(0, fx_jobs("resubmit_open", sub, after));
}

static void test_level_names_with_quotes_are_audited_as_valid_json(void **state)
{
    (void)state;
    int64_t sub = decided_with("pass \\ \"with\" merit");
    json_t *d = fx_audit("submission", sub, "decided");
    assert_non_null(d); /* fx_audit fails the test if the text is not JSON */
    assert_string_equal("pass \\ \"with\" merit", json_string_value(json_object_get(d, "level")));
    json_decref(d);
}

static int open_quoted(void **state)
{
    (void)state;
    return fx_open_with(QUOTED_DEFINITION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_last_review_decides_a_pass_and_queues_its_record,
                                        fx_open, fx_close),
        cmocka_unit_test_setup_teardown(
            test_a_fail_opens_resubmission_after_the_wait_and_issues_nothing, fx_open, fx_close),
        cmocka_unit_test_setup_teardown(test_level_names_with_quotes_are_audited_as_valid_json,
                                        open_quoted, fx_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
