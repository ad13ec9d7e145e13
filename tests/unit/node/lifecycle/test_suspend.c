/* test_suspend.c - tests node/lifecycle/suspend.c without HTTP: an admin
 * suspends or decertifies a certified reviewer, who is told why; a stand-in
 * is told through a signed cert.state to its home node instead; a missing
 * reason, a reviewer who is not certified, and a non-admin are refused with
 * nothing changed. */
#include "lifecycle_fixture.h"

#include "accord/store/certification.h"
#include "accord/store/notify.h"
#include "accord/store/outbox.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "lifecycle/lifecycle.h"
#include "lifecycle/suspend.h"

static struct node_fixture fx;
static struct ac_user admin, rex;
static int64_t cred;

/* A credential without qualifications (screened at once) and |who|
 * certified for it. */
static void certify(const struct ac_user *who)
{
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_reviewer_apply(&fx.node, who, "unit-cred", NULL, &c, &rc, &why));
    assert_int_equal(AC_RCERT_SCREENED, rc.state);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
    assert_int_equal(0, ac_store_reviewer_cert_transition(fx.node.store, cred, who->id,
                                                          AC_RCERT_SCREENED, AC_RCERT_CERTIFIED,
                                                          NULL, 1700000000000LL));
}

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    rex = fixture_user(&fx, "rex", AC_ROLE_REVIEWER);
    cred = fixture_credential(&fx, &admin, "[]", AC_DEF_RECRUITING);
    return 0;
}

static enum ac_rcert_state state_of(int64_t user)
{
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_store_reviewer_cert_get(fx.node.store, cred, user, &rc));
    enum ac_rcert_state s = rc.state;
    ac_reviewer_cert_release(&rc);
    return s;
}

static void test_a_suspended_reviewer_is_unavailable_and_told_why(void **state)
{
    (void)state;
    certify(&rex);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_reviewer_suspend(&fx.node, &admin, "unit-cred", rex.id, false,
                                            "late reviews", &c, &rc, &why));
    assert_int_equal(AC_RCERT_UNAVAILABLE, rc.state);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
    assert_int_equal(1, fixture_notifications(&fx, rex.id, NULL));
    char subject[24];
    snprintf(subject, sizeof subject, "%lld", (long long)rex.id);
    json_t *d = fixture_audit_last(&fx, "reviewer", subject, "suspend", admin.id);
    assert_string_equal("late reviews", json_string_value(json_object_get(d, "reason")));
    json_decref(d);
}

static void test_a_decertified_reviewer_retrains_with_attempts_counted_afresh(void **state)
{
    (void)state;
    certify(&rex);
    assert_int_equal(
        0, ac_store_reviewer_cert_attempted(fx.node.store, cred, rex.id, 2, 0, 1700000000000LL));
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_reviewer_suspend(&fx.node, &admin, "unit-cred", rex.id, true, "drifted",
                                            &c, &rc, &why));
    assert_int_equal(AC_RCERT_RETRAINING, rc.state);
    assert_int_equal(0, rc.attempts);
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
}

static void test_a_suspension_without_a_reason_changes_nothing(void **state)
{
    (void)state;
    certify(&rex);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(AC_EINVAL, ac_reviewer_suspend(&fx.node, &admin, "unit-cred", rex.id, false,
                                                    "", &c, &rc, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "reason");
    assert_int_equal(AC_RCERT_CERTIFIED, state_of(rex.id));
    assert_int_equal(0, fixture_notifications(&fx, rex.id, NULL));
}

static void test_only_a_certified_reviewer_is_suspended_and_only_by_an_admin(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_reviewer_apply(&fx.node, &rex, "unit-cred", NULL, &c, &rc, &why));
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
    assert_int_equal(AC_ECONFLICT, ac_reviewer_suspend(&fx.node, &admin, "unit-cred", rex.id, false,
                                                       "why", &c, &rc, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
    ac_reason_release(&why);
    assert_int_equal(AC_EACCES, ac_reviewer_suspend(&fx.node, &rex, "unit-cred", rex.id, false,
                                                    "why", &c, &rc, &why));
    ac_reason_release(&why);
    assert_int_equal(AC_RCERT_SCREENED, state_of(rex.id));
}

static void test_a_stand_in_is_told_through_its_home_node_not_a_notification(void **state)
{
    (void)state;
    int64_t sid = 0;
    struct ac_remote_profile p = {"Ana", "North High", "North", "[\"ELA\"]"};
    assert_int_equal(0, ac_store_remote_reviewer_ensure(fx.node.store, "north.example", 7, &p,
                                                        1700000000000LL, &sid, NULL));
    struct ac_user ana;
    assert_int_equal(0, ac_store_user_get(fx.node.store, sid, &ana));
    certify(&ana);
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_reviewer_suspend(&fx.node, &admin, "unit-cred", sid, false,
                                            "late reviews", &c, &rc, &why));
    ac_reviewer_cert_release(&rc);
    ac__cred_release(&c);
    assert_int_equal(0, fixture_notifications(&fx, sid, NULL));
    struct ac_outbox_msg *msgs = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_outbox_page(fx.node.store, "north.example", 0, 10, &msgs, &n));
    assert_int_equal(1, n);
    assert_string_equal("cert.state", msgs[0].type);
    ac_outbox_msgs_free(msgs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_suspended_reviewer_is_unavailable_and_told_why,
                                        setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_decertified_reviewer_retrains_with_attempts_counted_afresh, setup,
            fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_suspension_without_a_reason_changes_nothing, setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_only_a_certified_reviewer_is_suspended_and_only_by_an_admin, setup,
            fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_stand_in_is_told_through_its_home_node_not_a_notification, setup,
            fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
