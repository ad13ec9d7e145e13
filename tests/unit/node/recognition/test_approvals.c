/* test_approvals.c - tests the approvals service of
 * node/recognition/approvals.c without HTTP: an earner asks only where a
 * recognizer's policy requires approval, only the recognizer asked decides,
 * a decision is final, and each change is audited. */
#include "node/node_fixture.h"

#include "accounts/accounts.h"
#include "recognition/recognition.h"
#include "accord/store/audit.h"
#include "accord/store/store_recognition.h"

#define ISSUER "https://accord.test"
#define CRED "formative-feedback"

static struct node_fixture fx;
static struct ac_user rita, ben; /* recognizer, earner */

static void add_policy(const struct ac_user *owner, int requires_approval)
{
    struct ac_policy p;
    memset(&p, 0, sizeof p);
    p.recognizer_id = owner->id;
    snprintf(p.issuer, sizeof p.issuer, ISSUER);
    snprintf(p.credential_id, sizeof p.credential_id, CRED);
    p.min_version = 1;
    p.purpose = AC_PURPOSE_PAY_SCALE;
    p.requires_approval = requires_approval;
    assert_int_equal(0, ac_store_policy_create(fx.node.store, &p, ac_clock_now_ms()));
}

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    rita = fixture_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    ben = fixture_user(&fx, "ben", AC_ROLE_EARNER);
    return 0;
}

/* Ben asks Rita; the request must succeed. */
static struct ac_approval asked(void)
{
    add_policy(&rita, 1);
    struct ac_approval ap;
    assert_int_equal(0, ac__approvals_request(&fx.node, &ben, rita.id, ISSUER, CRED,
                                              "for my pay step", &ap, NULL));
    return ap;
}

static void test_an_earner_asks_where_a_policy_requires_approval(void **state)
{
    (void)state;
    struct ac_approval ap = asked();
    assert_int_equal(AC_APPROVAL_PENDING, ap.state);
    assert_int_equal(ben.id, ap.earner_id);
    assert_int_equal(rita.id, ap.recognizer_id);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "approval", fixture_sid(ap.id));
    assert_string_equal("request", a.action);
    assert_int_equal(ben.id, a.actor_user_id);
    ac_audit_entry_release(&a);
}

static void test_asking_without_a_policy_is_a_conflict_saying_so(void **state)
{
    (void)state;
    struct ac_approval ap;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT,
                     ac__approvals_request(&fx.node, &ben, rita.id, ISSUER, CRED, NULL, &ap, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("credential_id", why.field);
    assert_non_null(strstr(why.detail, "has no active policy for " CRED " from " ISSUER));
}

static void test_asking_where_no_approval_is_needed_is_a_conflict(void **state)
{
    (void)state;
    add_policy(&rita, 0);
    struct ac_approval ap;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT,
                     ac__approvals_request(&fx.node, &ben, rita.id, ISSUER, CRED, NULL, &ap, &why));
    assert_non_null(strstr(why.detail, "without approval; there is nothing to ask"));
}

static void test_asking_twice_while_pending_is_a_conflict(void **state)
{
    (void)state;
    struct ac_approval first = asked(), ap;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EEXIST,
                     ac__approvals_request(&fx.node, &ben, rita.id, ISSUER, CRED, NULL, &ap, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_int_equal(1, fixture_audit_count(&fx, "approval", fixture_sid(first.id)));
}

static void test_a_recognizer_cannot_ask_for_approval(void **state)
{
    (void)state;
    add_policy(&rita, 1);
    struct ac_approval ap;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(
        AC_EACCES, ac__approvals_request(&fx.node, &rita, rita.id, ISSUER, CRED, NULL, &ap, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
}

static void test_the_recognizer_asked_approves_with_an_audit_row(void **state)
{
    (void)state;
    struct ac_approval ap = asked(), out;
    assert_int_equal(0, ac__approvals_decide(&fx.node, &rita, ap.id, 1, "", &out, NULL));
    assert_int_equal(AC_APPROVAL_APPROVED, out.state);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "approval", fixture_sid(ap.id));
    assert_string_equal("approve", a.action);
    assert_int_equal(rita.id, a.actor_user_id);
    ac_audit_entry_release(&a);
}

static void test_deciding_twice_is_a_conflict_naming_the_decision(void **state)
{
    (void)state;
    struct ac_approval ap = asked(), out;
    assert_int_equal(
        0, ac__approvals_decide(&fx.node, &rita, ap.id, 0, "not in our plan", &out, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__approvals_decide(&fx.node, &rita, ap.id, 1, "", &out, &why));
    assert_string_equal("decision", why.field);
    char want[64];
    snprintf(want, sizeof want, "approval %lld was already denied", (long long)ap.id);
    assert_string_equal(want, why.detail);
    assert_int_equal(2, fixture_audit_count(&fx, "approval", fixture_sid(ap.id)));
}

static void test_another_recognizer_finds_no_such_approval(void **state)
{
    (void)state;
    struct ac_user ray = fixture_user(&fx, "ray", AC_ROLE_RECOGNIZER);
    struct ac_approval ap = asked(), out;
    assert_int_equal(AC_ENOENT, ac__approvals_decide(&fx.node, &ray, ap.id, 1, "", &out, NULL));
    struct ac_approval still;
    assert_int_equal(0, ac_store_approval_get(fx.node.store, ap.id, &still));
    assert_int_equal(AC_APPROVAL_PENDING, still.state);
}

static void test_an_admin_recognizer_not_asked_may_not_decide(void **state)
{
    (void)state;
    struct ac_user boss = fixture_user(&fx, "boss", AC_ROLE_ADMIN | AC_ROLE_RECOGNIZER);
    struct ac_approval ap = asked(), out;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__approvals_decide(&fx.node, &boss, ap.id, 1, "", &out, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_string_equal("id", why.field);
    assert_int_equal(1, fixture_audit_count(&fx, "approval", fixture_sid(ap.id)));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_earner_asks_where_a_policy_requires_approval),
        T(test_asking_without_a_policy_is_a_conflict_saying_so),
        T(test_asking_where_no_approval_is_needed_is_a_conflict),
        T(test_asking_twice_while_pending_is_a_conflict),
        T(test_a_recognizer_cannot_ask_for_approval),
        T(test_the_recognizer_asked_approves_with_an_audit_row),
        T(test_deciding_twice_is_a_conflict_naming_the_decision),
        T(test_another_recognizer_finds_no_such_approval),
        T(test_an_admin_recognizer_not_asked_may_not_decide),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
