/* test_flags.c - tests node/review/flags.c without HTTP: the issuer
 * dismisses a near-duplicate flag (the work is queued) or rejects it; an
 * action that does not fit the flag, or a second resolution, is refused. */
#include "review_fixture.h"
#include "accord/store/flag.h"

#define ESSAY                                                                                      \
    "Every Friday I return written comments on drafts within a day, naming one strength, "         \
    "one next step and a question the student answers in the margin before revising."

static int64_t flagged_sub, flag_id;

static int setup(void **state)
{
    if (fx_open(state))
        return -1;
    fx_submit(fx.earner, ESSAY);
    flagged_sub = fx_submit(fx_user("carl", AC_ROLE_EARNER), ESSAY);
    struct ac_flag *fs = NULL;
    size_t nf = 0;
    if (ac_store_flag_list(fx.nf.node.store, 1, 0, 10, &fs, &nf) || nf != 1)
        return -1;
    flag_id = fs[0].id;
    ac_flag_release(&fs[0]);
    free(fs);
    return 0;
}

static void test_a_dismissed_near_duplicate_is_queued_for_review(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    size_t passes = fx_jobs("assign", fx.row, ac_clock_now_ms());
    assert_int_equal(0, ac__flag_resolve(&fx.nf.node, fx.admin, flag_id, "dismiss", NULL, &why));
    assert_int_equal(AC_SUB_QUEUED, fx_sub_state(flagged_sub));
    assert_int_equal(passes + 1, fx_jobs("assign", fx.row, ac_clock_now_ms()));
    struct ac_flag f;
    assert_int_equal(0, ac_store_flag_get(fx.nf.node.store, flag_id, &f));
    assert_true(f.resolved);
    assert_string_equal("dismiss", f.resolution);
    assert_int_equal(fx.admin, f.resolved_by);
    ac_flag_release(&f);
    json_t *d = fx_audit("flag", flag_id, "resolved");
    assert_non_null(d);
    assert_string_equal("dismiss", json_string_value(json_object_get(d, "action")));
    json_decref(d);
    /* A second resolution conflicts, saying how it was resolved. */
    assert_int_equal(AC_ECONFLICT,
                     ac__flag_resolve(&fx.nf.node, fx.admin, flag_id, "reject", NULL, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_non_null(strstr(why.detail, "was already resolved: dismiss"));
    ac_reason_release(&why);
}

static void test_a_rejected_near_duplicate_is_rejected(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__flag_resolve(&fx.nf.node, fx.admin, flag_id, "reject", NULL, &why));
    assert_int_equal(AC_SUB_REJECTED, fx_sub_state(flagged_sub));
}

static void test_an_action_that_does_not_fit_the_flag_is_refused_naming_the_fit(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL,
                     ac__flag_resolve(&fx.nf.node, fx.admin, flag_id, "decide", "pass", &why));
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, why.problem);
    assert_string_equal("action", why.field);
    assert_string_equal(
        "action: \"decide\" does not resolve a near_duplicate flag; use \"dismiss\" or \"reject\"",
        why.detail);
    ac_reason_release(&why);
    assert_int_equal(AC_SUB_FLAGGED, fx_sub_state(flagged_sub));
    assert_int_equal(AC_ENOENT,
                     ac__flag_resolve(&fx.nf.node, fx.admin, flag_id + 50, "dismiss", NULL, &why));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_dismissed_near_duplicate_is_queued_for_review),
        T(test_a_rejected_near_duplicate_is_rejected),
        T(test_an_action_that_does_not_fit_the_flag_is_refused_naming_the_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
