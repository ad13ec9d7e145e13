/* test_policies.c - tests the policies service of node/recognition/policies.c
 * without HTTP: only recognizers create policies, one active policy per
 * issuer, credential and purpose, a recognizer retires only its own, and
 * each change is audited. */
#include "node/node_fixture.h"

#include "accounts/accounts.h"
#include "recognition/recognition.h"
#include "accord/store/audit.h"
#include "accord/store/store_recognition.h"

static struct node_fixture fx;
static struct ac_user rita; /* recognizer */

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    rita = fixture_user(&fx, "rita", AC_ROLE_RECOGNIZER);
    return 0;
}

static struct ac_policy policy(void)
{
    struct ac_policy p;
    memset(&p, 0, sizeof p);
    snprintf(p.issuer, sizeof p.issuer, "https://accord.test");
    snprintf(p.credential_id, sizeof p.credential_id, "formative-feedback");
    p.min_version = 1;
    p.has_ceu = 1;
    p.ceu_hundredths = 150;
    p.purpose = AC_PURPOSE_CEU;
    return p;
}

static void test_a_recognizer_creates_its_own_policy_with_an_audit_row(void **state)
{
    (void)state;
    struct ac_policy p = policy();
    p.recognizer_id = 999; /* whatever the caller says, the policy is |by|'s */
    assert_int_equal(0, ac__policies_create(&fx.node, &rita, &p, NULL));
    assert_int_equal(rita.id, p.recognizer_id);
    struct ac_policy stored;
    assert_int_equal(0, ac_store_policy_get(fx.node.store, p.id, &stored));
    assert_int_equal(rita.id, stored.recognizer_id);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "policy", fixture_sid(p.id));
    assert_string_equal("create", a.action);
    assert_int_equal(rita.id, a.actor_user_id);
    assert_non_null(strstr(a.detail, "\"ceu_hundredths\":150"));
    ac_audit_entry_release(&a);
}

static void test_a_second_active_policy_for_the_same_purpose_is_a_conflict(void **state)
{
    (void)state;
    struct ac_policy p = policy(), q = policy();
    assert_int_equal(0, ac__policies_create(&fx.node, &rita, &p, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EEXIST, ac__policies_create(&fx.node, &rita, &q, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("credential_id", why.field);
    assert_string_equal("you already have an active ceu policy for formative-feedback from "
                        "https://accord.test; retire it first",
                        why.detail);
}

static void test_an_earner_cannot_create_a_policy(void **state)
{
    (void)state;
    struct ac_user ben = fixture_user(&fx, "ben", AC_ROLE_EARNER);
    struct ac_policy p = policy();
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__policies_create(&fx.node, &ben, &p, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    struct ac_policy page[2];
    size_t n = 9;
    assert_int_equal(0, ac_store_policy_list(fx.node.store, 0, 0, page, 2, &n));
    assert_int_equal(0, n);
}

static void test_a_recognizer_retires_its_policy_with_an_audit_row(void **state)
{
    (void)state;
    struct ac_policy p = policy(), out;
    assert_int_equal(0, ac__policies_create(&fx.node, &rita, &p, NULL));
    assert_int_equal(0, ac__policies_retire(&fx.node, &rita, p.id, &out, NULL));
    assert_true(out.retired_ms != 0);
    assert_int_equal(2, fixture_audit_count(&fx, "policy", fixture_sid(p.id)));
    struct ac_audit_entry a = fixture_audit_newest(&fx, "policy", fixture_sid(p.id));
    assert_string_equal("retire", a.action);
    ac_audit_entry_release(&a);
    /* Retired, it no longer blocks a new policy for the same purpose. */
    struct ac_policy q = policy();
    assert_int_equal(0, ac__policies_create(&fx.node, &rita, &q, NULL));
}

static void test_another_recognizers_policy_cannot_be_retired(void **state)
{
    (void)state;
    struct ac_user ray = fixture_user(&fx, "ray", AC_ROLE_RECOGNIZER);
    struct ac_policy p = policy(), out;
    assert_int_equal(0, ac__policies_create(&fx.node, &rita, &p, NULL));
    assert_int_equal(AC_ENOENT, ac__policies_retire(&fx.node, &ray, p.id, &out, NULL));
    struct ac_policy still;
    assert_int_equal(0, ac_store_policy_get(fx.node.store, p.id, &still));
    assert_int_equal(0, still.retired_ms);
    assert_int_equal(1, fixture_audit_count(&fx, "policy", fixture_sid(p.id)));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_recognizer_creates_its_own_policy_with_an_audit_row),
        T(test_a_second_active_policy_for_the_same_purpose_is_a_conflict),
        T(test_an_earner_cannot_create_a_policy),
        T(test_a_recognizer_retires_its_policy_with_an_audit_row),
        T(test_another_recognizers_policy_cannot_be_retired),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
