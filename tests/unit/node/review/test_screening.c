/* test_screening.c - tests node/review/screening.c without HTTP: a
 * submission near-identical to another earner's is flagged to the issuer
 * with the matches as JSON; a distinct one is queued for assignment; a
 * screened submission is left as it is when screened again. */
#include "review_fixture.h"
#include "accord/store/flag.h"
#include "accord/store/job.h"

#define ESSAY                                                                                      \
    "Every Friday I return written comments on drafts within a day, naming one strength, "         \
    "one next step and a question the student answers in the margin before revising."

static void test_a_near_copy_of_another_earners_work_is_flagged_to_the_issuer(void **state)
{
    (void)state;
    int64_t first = fx_submit(fx.earner, ESSAY);
    assert_int_equal(AC_SUB_QUEUED, fx_sub_state(first));
    int64_t copier = fx_user("carl", AC_ROLE_EARNER);
    int64_t copy = fx_submit(copier, ESSAY);
    assert_int_equal(AC_SUB_FLAGGED, fx_sub_state(copy));
    struct ac_flag *fs = NULL;
    size_t nf = 0;
    assert_int_equal(0, ac_store_flag_list(fx.nf.node.store, 1, 0, 10, &fs, &nf));
    assert_int_equal(1, nf);
    assert_string_equal("near_duplicate", fs[0].kind);
    assert_int_equal(copy, fs[0].submission_id);
    ac_flag_release(&fs[0]);
    free(fs);
    json_t *d = fx_audit("submission", copy, "flagged");
    assert_non_null(d);
    json_t *m = json_array_get(json_object_get(d, "matches"), 0);
    assert_int_equal(first, json_integer_value(json_object_get(m, "submission")));
    json_decref(d);
    /* Screening again changes nothing and still says flagged. */
    int flagged = 0;
    assert_int_equal(0, ac__screening_run(&fx.nf.node, copy, &flagged));
    assert_true(flagged);
    assert_int_equal(AC_SUB_FLAGGED, fx_sub_state(copy));
}

static void test_an_earners_own_earlier_attempt_is_not_evidence_of_copying(void **state)
{
    (void)state;
    fx_submit(fx.earner, ESSAY);
    int64_t again = fx_submit(fx.earner, ESSAY);
    assert_int_equal(AC_SUB_QUEUED, fx_sub_state(again));
}

static void test_the_screen_job_of_a_missing_submission_is_nothing_to_do(void **state)
{
    (void)state;
    fx_scheduler();
    struct ac_job job = {.id = 0, .ref = 999};
    snprintf(job.kind, sizeof job.kind, "screen");
    assert_int_equal(AC_ENOENT, ac__screening_job(&fx.nf.node, &job));
    assert_non_null(ac__scheduler_kind(&fx.nf.node, "screen"));
    assert_int_equal(AC_ENOENT, ac__scheduler_kind(&fx.nf.node, "screen")->done_on);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_open, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_near_copy_of_another_earners_work_is_flagged_to_the_issuer),
        T(test_an_earners_own_earlier_attempt_is_not_evidence_of_copying),
        T(test_the_screen_job_of_a_missing_submission_is_nothing_to_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
