/* test_reviewers.c - tests node/lifecycle/reviewers.c without HTTP:
 * profiles, credentials held elsewhere, applications screened automatically
 * where the node can check and by an admin otherwise. */
#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "accord/store/certification.h"
#include "accord/store/reviewer.h"

static struct node_fixture fx;
static struct ac_user admin, rex;
static char rex_subject[24];

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    rex = fixture_user(&fx, "rex", AC_ROLE_REVIEWER);
    snprintf(rex_subject, sizeof rex_subject, "%lld", (long long)rex.id);
    return 0;
}

#define HOLDS "[{\"kind\": \"holds_credential\", \"credential\": \"basics\"}]"
#define DOMAIN "[{\"kind\": \"domain_expertise\", \"domain\": \"ELA\"}]"

static enum ac_rcert_state applied_state(const char *quals)
{
    fixture_credential(&fx, &admin, quals, AC_DEF_RECRUITING);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(
        0, ac_reviewer_apply(&fx.node, &rex, "unit-cred", "{\"why\":\"me\"}", &c, &rc, &why));
    enum ac_rcert_state s = rc.state;
    assert_string_equal("{\"why\":\"me\"}", rc.answers);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
    return s;
}

static void test_a_profile_edit_creates_the_profile_and_audits_only_what_was_given(void **state)
{
    (void)state;
    struct ac_profile_patch patch = {
        .school = "Oak Hill", .has_available = true, .available = false};
    struct ac_reason why = AC_REASON_INIT;
    struct ac_reviewer_profile p;
    assert_int_equal(0, ac_reviewer_profile_put(&fx.node, &rex, &patch, &p, &why));
    assert_string_equal("Oak Hill", p.school);
    assert_string_equal("", p.district);
    assert_string_equal("[]", p.domains);
    assert_false(p.available);
    json_t *d = fixture_audit_last(&fx, "reviewer", rex_subject, "profile", rex.id);
    assert_int_equal(2, json_object_size(d));
    assert_string_equal("Oak Hill", json_string_value(json_object_get(d, "school")));
    assert_true(json_is_false(json_object_get(d, "available")));
    json_decref(d);
}

static void test_a_school_name_too_long_is_refused_and_nothing_is_stored(void **state)
{
    (void)state;
    char long_name[AC_REVIEWER_TEXT_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    struct ac_profile_patch patch = {.school = long_name};
    struct ac_reason why = AC_REASON_INIT;
    struct ac_reviewer_profile p;
    assert_int_equal(AC_EINVAL, ac_reviewer_profile_put(&fx.node, &rex, &patch, &p, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "school");
    assert_int_equal(AC_ENOENT, ac_store_reviewer_get(fx.node.store, rex.id, &p));
    assert_int_equal(0, fixture_audit_count(&fx, "reviewer", rex_subject));
}

static void test_an_admin_edits_no_reviewer_profile_of_their_own(void **state)
{
    (void)state;
    struct ac_profile_patch patch = {.district = "North"};
    struct ac_reason why = AC_REASON_INIT;
    struct ac_reviewer_profile p;
    assert_int_equal(AC_EACCES, ac_reviewer_profile_put(&fx.node, &admin, &patch, &p, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
}

static void test_a_held_credential_is_registered_once(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac_held_credential_add(&fx.node, &admin, rex.id, "basics", NULL, &why));
    bool holds = false;
    assert_int_equal(0, ac_store_held_check(fx.node.store, rex.id, "basics", &holds));
    assert_true(holds);
    json_t *d = fixture_audit_last(&fx, "reviewer", rex_subject, "held-credential", admin.id);
    assert_string_equal("basics", json_string_value(json_object_get(d, "credential")));
    assert_null(json_object_get(d, "issuer"));
    json_decref(d);
    assert_int_equal(AC_EEXIST,
                     ac_held_credential_add(&fx.node, &admin, rex.id, "basics", "x.org", &why));
    fixture_reason_is(&why, AC_PROBLEM_CONFLICT, "credential");
    assert_int_equal(1, fixture_audit_count(&fx, "reviewer", rex_subject));
}

static void test_a_held_credential_for_no_user_is_refused_naming_the_user(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL,
                     ac_held_credential_add(&fx.node, &admin, 4242, "basics", NULL, &why));
    fixture_reason_is(&why, AC_PROBLEM_UNACCEPTABLE_VALUE, "user_id");
    assert_non_null(strstr(why.detail, "4242"));
}

static void test_an_applicant_without_qualifications_to_check_is_screened_at_once(void **state)
{
    (void)state;
    assert_int_equal(AC_RCERT_SCREENED, applied_state("[]"));
    json_t *d = fixture_audit_last(&fx, "reviewer", rex_subject, "apply", rex.id);
    assert_string_equal("screened", json_string_value(json_object_get(d, "state")));
    json_decref(d);
    /* Applying made the reviewer a profile. */
    struct ac_reviewer_profile p;
    assert_int_equal(0, ac_store_reviewer_get(fx.node.store, rex.id, &p));
}

static void test_an_applicant_missing_a_held_credential_is_rejected_at_once(void **state)
{
    (void)state;
    assert_int_equal(AC_RCERT_REJECTED, applied_state(HOLDS));
}

static void test_an_applicant_holding_the_credential_is_screened_at_once(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_held_add(fx.node.store, rex.id, "basics", "", admin.id, 0));
    assert_int_equal(AC_RCERT_SCREENED, applied_state(HOLDS));
}

static void test_a_manual_qualification_waits_for_an_admin(void **state)
{
    (void)state;
    assert_int_equal(AC_RCERT_APPLIED, applied_state(DOMAIN));
}

static void test_applying_twice_is_refused_as_already_applied(void **state)
{
    (void)state;
    applied_state(DOMAIN);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(AC_ECONFLICT,
                     ac_reviewer_apply(&fx.node, &rex, "unit-cred", NULL, &c, &rc, &why));
    fixture_reason_is(&why, AC_PROBLEM_ALREADY_APPLIED, "");
    assert_int_equal(1, fixture_audit_count(&fx, "reviewer", rex_subject));
}

static void test_applying_before_recruiting_is_refused_as_wrong_state(void **state)
{
    (void)state;
    fixture_credential(&fx, &admin, "[]", AC_DEF_TRAINING);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(AC_ECONFLICT,
                     ac_reviewer_apply(&fx.node, &rex, "unit-cred", NULL, &c, &rc, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
    assert_non_null(strstr(why.detail, "recruiting or active"));
}

static void test_an_admin_approving_records_the_decision_in_the_manual_checks(void **state)
{
    (void)state;
    applied_state(DOMAIN);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_reviewer_screen(&fx.node, &admin, "unit-cred", rex.id, true,
                                           "Ten years of ELA.", &c, &rc, &why));
    assert_int_equal(AC_RCERT_SCREENED, rc.state);
    json_t *s = json_loads(rc.screening, 0, NULL);
    json_t *check = json_array_get(s, 0);
    assert_true(json_is_true(json_object_get(check, "met")));
    assert_int_equal(admin.id, json_integer_value(json_object_get(check, "by")));
    assert_string_equal("Ten years of ELA.", json_string_value(json_object_get(check, "reason")));
    json_decref(s);
    json_t *d = fixture_audit_last(&fx, "reviewer", rex_subject, "screen", admin.id);
    assert_string_equal("screened", json_string_value(json_object_get(d, "state")));
    json_decref(d);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
}

static void test_screening_an_application_already_decided_is_refused(void **state)
{
    (void)state;
    applied_state("[]");
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(AC_ECONFLICT, ac_reviewer_screen(&fx.node, &admin, "unit-cred", rex.id, false,
                                                      NULL, &c, &rc, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
}

static void test_a_reviewer_cannot_screen(void **state)
{
    (void)state;
    applied_state(DOMAIN);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(AC_EACCES, ac_reviewer_screen(&fx.node, &rex, "unit-cred", rex.id, true, NULL,
                                                   &c, &rc, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    assert_int_equal(0, ac_store_reviewer_cert_get(fx.node.store, 1, rex.id, &rc));
    assert_int_equal(AC_RCERT_APPLIED, rc.state);
    ac_reviewer_cert_release(&rc);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_profile_edit_creates_the_profile_and_audits_only_what_was_given),
        T(test_a_school_name_too_long_is_refused_and_nothing_is_stored),
        T(test_an_admin_edits_no_reviewer_profile_of_their_own),
        T(test_a_held_credential_is_registered_once),
        T(test_a_held_credential_for_no_user_is_refused_naming_the_user),
        T(test_an_applicant_without_qualifications_to_check_is_screened_at_once),
        T(test_an_applicant_missing_a_held_credential_is_rejected_at_once),
        T(test_an_applicant_holding_the_credential_is_screened_at_once),
        T(test_a_manual_qualification_waits_for_an_admin),
        T(test_applying_twice_is_refused_as_already_applied),
        T(test_applying_before_recruiting_is_refused_as_wrong_state),
        T(test_an_admin_approving_records_the_decision_in_the_manual_checks),
        T(test_screening_an_application_already_decided_is_refused),
        T(test_a_reviewer_cannot_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
