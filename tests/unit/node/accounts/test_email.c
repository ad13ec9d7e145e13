/* test_email.c - tests the e-mail address service of node/accounts/email.c
 * without HTTP: who may set and vouch for an address, the one-time link that
 * proves it (mailed, for its owner only, once, for the address it was sent
 * to), and the verified address records are issued to. */
#include "node/node_fixture.h"

#include "accord/store/audit.h"
#include "accord/store/notify.h"
#include "accord/store/user.h"
#include "accounts/accounts.h"

static struct node_fixture fx;
static struct ac_user ada; /* admin */
static struct ac_user eve; /* earner */
static struct ac_user bo;  /* another earner */

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    eve = fixture_user(&fx, "eve", AC_ROLE_EARNER);
    bo = fixture_user(&fx, "bo", AC_ROLE_EARNER);
    return 0;
}

/* The token of the newest verification mail queued for |user| (the mail is
 * the only place it appears). */
static void mailed_token(int64_t user, char out[AC_EMAIL_TOKEN_TEXT_BYTES])
{
    struct ac_notification *ms = NULL;
    size_t got = 0;
    out[0] = '\0';
    assert_int_equal(0, ac_store_notify_list(fx.node.store, user, 200, &ms, &got));
    for (size_t i = 0; i < got; i++) {
        const char *t = strcmp(ms[i].kind, "email_verify") == 0 ? strstr(ms[i].body, "ace_") : NULL;
        if (t && !out[0]) {
            memcpy(out, t, AC_EMAIL_TOKEN_TEXT_BYTES - 1);
            out[AC_EMAIL_TOKEN_TEXT_BYTES - 1] = '\0';
        }
        ac_notification_release(&ms[i]);
    }
    free(ms);
    assert_int_equal(AC_EMAIL_TOKEN_TEXT_BYTES - 1, strlen(out));
}

static void test_an_earner_sets_her_address_unverified_and_a_link_is_mailed(void **state)
{
    (void)state;
    struct ac_user_email e;
    assert_int_equal(
        0, ac__users_set_email(&fx.node, &eve, eve.id, " Eve@School.Example ", 0, &e, NULL));
    assert_string_equal("eve@school.example", e.address);
    assert_int_equal(0, e.verified_ms);
    char token[AC_EMAIL_TOKEN_TEXT_BYTES];
    mailed_token(eve.id, token);
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)eve.id);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "user", sid);
    assert_string_equal("email.set", a.action);
    assert_null(strstr(a.detail, "eve@")); /* the address is not audited */
    ac_audit_entry_release(&a);
}

static void test_redeeming_the_link_verifies_the_address_once(void **state)
{
    (void)state;
    struct ac_user_email e;
    assert_int_equal(
        0, ac__users_set_email(&fx.node, &eve, eve.id, "eve@school.example", 0, &e, NULL));
    char token[AC_EMAIL_TOKEN_TEXT_BYTES];
    mailed_token(eve.id, token);
    assert_int_equal(0, ac__users_verify_email(&fx.node, &eve, token, &e, NULL));
    assert_true(e.verified_ms != 0);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ENOENT, ac__users_verify_email(&fx.node, &eve, token, &e, &why));
    assert_string_equal("token", why.field);
    ac_reason_release(&why);
    char addr[AC_USER_EMAIL_MAX + 1];
    assert_int_equal(0, ac__users_verified_email(&fx.node, eve.id, addr, NULL));
    assert_string_equal("eve@school.example", addr);
}

static void test_another_user_cannot_redeem_her_link_and_it_stays_usable(void **state)
{
    (void)state;
    struct ac_user_email e;
    assert_int_equal(
        0, ac__users_set_email(&fx.node, &eve, eve.id, "eve@school.example", 0, &e, NULL));
    char token[AC_EMAIL_TOKEN_TEXT_BYTES];
    mailed_token(eve.id, token);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ENOENT, ac__users_verify_email(&fx.node, &bo, token, &e, &why));
    assert_int_equal(AC_PROBLEM_NOT_FOUND, why.problem);
    ac_reason_release(&why);
    assert_int_equal(0, ac__users_verify_email(&fx.node, &eve, token, &e, NULL));
}

static void test_a_link_for_an_address_replaced_since_is_a_conflict(void **state)
{
    (void)state;
    struct ac_user_email e;
    char first[AC_EMAIL_TOKEN_TEXT_BYTES];
    assert_int_equal(
        0, ac__users_set_email(&fx.node, &eve, eve.id, "old@school.example", 0, &e, NULL));
    mailed_token(eve.id, first);
    assert_int_equal(
        0, ac__users_set_email(&fx.node, &eve, eve.id, "new@school.example", 0, &e, NULL));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__users_verify_email(&fx.node, &eve, first, &e, &why));
    assert_string_equal("token", why.field);
    assert_non_null(strstr(why.detail, "replaced"));
    ac_reason_release(&why);
    char addr[AC_USER_EMAIL_MAX + 1];
    assert_int_equal(AC_ECONFLICT, ac__users_verified_email(&fx.node, eve.id, addr, NULL));
}

static void test_an_admin_vouches_for_an_address_which_is_verified_at_once(void **state)
{
    (void)state;
    struct ac_user_email e;
    assert_int_equal(
        0, ac__users_set_email(&fx.node, &ada, eve.id, "eve@school.example", 1, &e, NULL));
    assert_true(e.verified_ms != 0);
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)eve.id);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "user", sid);
    assert_string_equal("email.vouch", a.action);
    assert_int_equal(ada.id, a.actor_user_id);
    ac_audit_entry_release(&a);
}

static void test_an_earner_cannot_vouch_nor_set_another_users_address(void **state)
{
    (void)state;
    struct ac_user_email e;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(
        AC_EACCES, ac__users_set_email(&fx.node, &eve, eve.id, "eve@school.example", 1, &e, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    ac_reason_release(&why);
    assert_int_equal(AC_EACCES,
                     ac__users_set_email(&fx.node, &eve, bo.id, "bo@school.example", 0, &e, &why));
    ac_reason_release(&why);
    assert_int_equal(0, ac_store_user_email_get(fx.node.store, bo.id, &e));
    assert_string_equal("", e.address);
}

static void test_an_address_breaking_the_rule_is_refused_naming_the_field(void **state)
{
    (void)state;
    struct ac_user_email e;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL,
                     ac__users_set_email(&fx.node, &eve, eve.id, "eve at school", 0, &e, &why));
    assert_int_equal(AC_PROBLEM_INVALID_FIELD, why.problem);
    assert_string_equal("email", why.field);
    ac_reason_release(&why);
}

static void test_without_an_address_the_verified_one_is_refused_as_email_unverified(void **state)
{
    (void)state;
    char addr[AC_USER_EMAIL_MAX + 1];
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__users_verified_email(&fx.node, eve.id, addr, &why));
    assert_int_equal(AC_PROBLEM_EMAIL_UNVERIFIED, why.problem);
    assert_non_null(strstr(why.detail, "no e-mail address"));
    ac_reason_release(&why);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_earner_sets_her_address_unverified_and_a_link_is_mailed),
        T(test_redeeming_the_link_verifies_the_address_once),
        T(test_another_user_cannot_redeem_her_link_and_it_stays_usable),
        T(test_a_link_for_an_address_replaced_since_is_a_conflict),
        T(test_an_admin_vouches_for_an_address_which_is_verified_at_once),
        T(test_an_earner_cannot_vouch_nor_set_another_users_address),
        T(test_an_address_breaking_the_rule_is_refused_naming_the_field),
        T(test_without_an_address_the_verified_one_is_refused_as_email_unverified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
