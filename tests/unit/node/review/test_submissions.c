/* test_submissions.c - tests node/review/submissions.c without HTTP: a
 * submission is stored with its audit row and "screen" job and screened at
 * once; what the definition does not allow is refused naming the field,
 * the value and the rule; a resubmission needs a failed attempt. */
#include "review_fixture.h"
#include "accord/store/submission.h"

static int create(const struct ac_submission_input *in, int64_t *id, struct ac_reason *why)
{
    struct ac_definition *def = NULL;
    int err = ac__submission_create(&fx.nf.node, fx.earner, in, id, &def, why);
    if (!err) {
        assert_non_null(def);
        assert_string_equal(FX_DEF_ID, def->id);
    }
    ac_def_free(def);
    return err;
}

static void test_a_submission_is_stored_audited_and_screened_into_the_queue(void **state)
{
    (void)state;
    struct ac_submitted_element e = {"a", "Written feedback within a day.", NULL};
    struct ac_submission_input in = {.credential = FX_DEF_ID,
                                     .school = "North",
                                     .elements_given = 1,
                                     .elements = &e,
                                     .n_elements = 1};
    struct ac_reason why = AC_REASON_INIT;
    int64_t id = 0;
    assert_int_equal(0, create(&in, &id, &why));
    struct ac_submission s;
    assert_int_equal(0, ac_store_submission_get(fx.nf.node.store, id, &s));
    assert_int_equal(AC_SUB_QUEUED, s.state);
    assert_int_equal(fx.earner, s.earner_id);
    assert_string_equal("North", s.school);
    assert_int_equal(1, s.credential_version);
    assert_non_null(strstr(s.elements, "Written feedback within a day."));
    ac_submission_release(&s);
    /* The "screen" job stored with it stays, harmless: screening is done. */
    assert_int_equal(1, fx_jobs("screen", id, ac_clock_now_ms()));
    assert_int_equal(1, fx_jobs("assign", fx.row, ac_clock_now_ms()));
    json_t *d = fx_audit("submission", id, "submitted");
    assert_non_null(d);
    json_decref(d);
}

static void test_an_unknown_credential_is_refused_naming_it(void **state)
{
    (void)state;
    struct ac_submitted_element e = {"a", "text", NULL};
    struct ac_submission_input in = {
        .credential = "nope", .elements_given = 1, .elements = &e, .n_elements = 1};
    struct ac_reason why = AC_REASON_INIT;
    int64_t id = 0;
    assert_int_equal(AC_ENOENT, create(&in, &id, &why));
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, why.problem);
    assert_string_equal("credential", why.field);
    assert_string_equal("credential: \"nope\" does not exist", why.detail);
}

static void test_elements_the_definition_lacks_or_needs_are_refused(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    int64_t id = 0;
    struct ac_submitted_element two[] = {{"a", "text", NULL}, {"z", "stray", NULL}};
    struct ac_submission_input in = {
        .credential = FX_DEF_ID, .elements_given = 1, .elements = two, .n_elements = 2};
    assert_int_equal(AC_EINVAL, create(&in, &id, &why));
    assert_string_equal("elements[1]: \"z\" is not an element of feedback", why.detail);
    struct ac_submitted_element bare = {"a", NULL, NULL};
    in.elements = &bare;
    in.n_elements = 1;
    assert_int_equal(AC_EINVAL, create(&in, &id, &why));
    assert_string_equal("elements: \"a\" needs \"text\" or \"artifact\"", why.detail);
    in.elements_given = 0;
    in.n_elements = 0;
    assert_int_equal(AC_EINVAL, create(&in, &id, &why));
    assert_string_equal("elements", why.field);
    /* An artifact nobody uploaded is not the earner's to cite. */
    struct ac_submitted_element art = {"a", NULL, "00ff"};
    in.elements = &art;
    in.elements_given = 1;
    in.n_elements = 1;
    assert_int_equal(AC_EINVAL, create(&in, &id, &why));
    assert_non_null(strstr(why.detail, "artifact 00ff was not uploaded by you"));
    /* Team work where the definition does not allow it. */
    in.elements = &two[0];
    in.team = "blue";
    assert_int_equal(AC_EINVAL, create(&in, &id, &why));
    assert_string_equal("team", why.field);
}

static void test_a_resubmission_needs_a_failed_attempt_of_the_same_earner(void **state)
{
    (void)state;
    int64_t first = fx_submit(fx.earner, "Written feedback within a day.");
    struct ac_submitted_element e = {"a", "Better feedback.", NULL};
    struct ac_submission_input in = {.credential = FX_DEF_ID,
                                     .previous_given = 1,
                                     .previous = first,
                                     .elements_given = 1,
                                     .elements = &e,
                                     .n_elements = 1};
    struct ac_reason why = AC_REASON_INIT;
    int64_t id = 0;
    assert_int_equal(AC_ECONFLICT, create(&in, &id, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("previous", why.field);
    /* Another earner's attempt is as unknown as a missing one. */
    int64_t other = fx_user("mallory", AC_ROLE_EARNER);
    struct ac_definition *def = NULL;
    assert_int_equal(AC_ENOENT, ac__submission_create(&fx.nf.node, other, &in, &id, &def, &why));
    assert_null(def);
    assert_string_equal("previous: submission 1 does not exist", why.detail);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_open, fx_close)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_submission_is_stored_audited_and_screened_into_the_queue),
        T(test_an_unknown_credential_is_refused_naming_it),
        T(test_elements_the_definition_lacks_or_needs_are_refused),
        T(test_a_resubmission_needs_a_failed_attempt_of_the_same_earner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
