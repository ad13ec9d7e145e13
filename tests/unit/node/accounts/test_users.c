/* test_users.c - tests the users service of node/accounts/users.c without
 * HTTP: only admins create and disable users, each change is audited, an
 * admin cannot lock itself out, and disabling revokes the user's tokens. */
#include "node/node_fixture.h"

#include "accounts/accounts.h"
#include "accord/store/audit.h"
#include "accord/store/user.h"

static struct node_fixture fx;
static struct ac_user ada; /* admin */

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    return 0;
}

static int64_t user_count(void)
{
    int64_t n = 0;
    assert_int_equal(0, ac_store_user_count(fx.node.store, &n));
    return n;
}

static void test_an_admin_creates_a_user_with_its_audit_row(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(0, ac__users_create(&fx.node, &ada, "ben", "Ben Teacher",
                                         AC_ROLE_EARNER | AC_ROLE_REVIEWER, &u, NULL));
    assert_string_equal("ben", u.name);
    assert_int_equal(AC_ROLE_EARNER | AC_ROLE_REVIEWER, u.roles);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "user", fixture_sid(u.id));
    assert_string_equal("create", a.action);
    assert_int_equal(ada.id, a.actor_user_id);
    /* Roles in bit order: reviewer (4) before earner (8). */
    assert_non_null(strstr(a.detail, "\"roles\":[\"reviewer\",\"earner\"]"));
    ac_audit_entry_release(&a);
}

static void test_a_taken_name_is_a_conflict_on_the_name_field(void **state)
{
    (void)state;
    struct ac_user u;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EEXIST,
                     ac__users_create(&fx.node, &ada, "ada", NULL, AC_ROLE_EARNER, &u, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("name", why.field);
    assert_string_equal("name: \"ada\" is already taken", why.detail);
    assert_int_equal(1, user_count());
}

static void test_an_earner_cannot_create_users(void **state)
{
    (void)state;
    struct ac_user ben = fixture_user(&fx, "ben", AC_ROLE_EARNER), u;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES,
                     ac__users_create(&fx.node, &ben, "cat", NULL, AC_ROLE_ADMIN, &u, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_string_equal("this needs the admin role; user ben has earner", why.detail);
    assert_int_equal(2, user_count());
}

static void test_disabling_a_user_writes_an_audit_row_and_revokes_its_tokens(void **state)
{
    (void)state;
    struct ac_user ben = fixture_user(&fx, "ben", AC_ROLE_EARNER), out;
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__token_issue(&fx.node, ben.id, "laptop", &t, text));
    assert_int_equal(0, ac__users_disable(&fx.node, &ada, ben.id, &out, NULL));
    assert_true(out.disabled_ms != 0);
    assert_int_equal(1, fixture_audit_count(&fx, "user", fixture_sid(ben.id)));
    struct ac_audit_entry a = fixture_audit_newest(&fx, "user", fixture_sid(ben.id));
    assert_string_equal("disable", a.action);
    assert_int_equal(ada.id, a.actor_user_id);
    ac_audit_entry_release(&a);
    struct ac_token now;
    assert_int_equal(0, ac_store_token_get(fx.node.store, t.id, &now));
    assert_true(now.revoked_ms != 0);
}

static void test_an_admin_cannot_disable_itself(void **state)
{
    (void)state;
    struct ac_user out;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__users_disable(&fx.node, &ada, ada.id, &out, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("id", why.field);
    struct ac_user still;
    assert_int_equal(0, ac_store_user_get(fx.node.store, ada.id, &still));
    assert_int_equal(0, still.disabled_ms);
    assert_int_equal(0, fixture_audit_count(&fx, "user", fixture_sid(ada.id)));
}

static void test_a_reviewer_cannot_disable_anyone(void **state)
{
    (void)state;
    struct ac_user rev = fixture_user(&fx, "rev", AC_ROLE_REVIEWER), out;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__users_disable(&fx.node, &rev, ada.id, &out, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    struct ac_user still;
    assert_int_equal(0, ac_store_user_get(fx.node.store, ada.id, &still));
    assert_int_equal(0, still.disabled_ms);
}

static void test_disabling_a_user_that_does_not_exist_is_not_found(void **state)
{
    (void)state;
    struct ac_user out;
    assert_int_equal(AC_ENOENT, ac__users_disable(&fx.node, &ada, ada.id + 40, &out, NULL));
}

static void test_a_disable_whose_audit_row_cannot_be_written_is_rolled_back(void **state)
{
    (void)state;
    struct ac_user ben = fixture_user(&fx, "ben", AC_ROLE_EARNER), out;
    /* The store refuses an audit row with a negative actor, so the row fails
     * after the user was disabled inside the same transaction. */
    struct ac_user ghost = ada;
    ghost.id = -1;
    assert_int_equal(AC_EINVAL, ac__users_disable(&fx.node, &ghost, ben.id, &out, NULL));
    struct ac_user still;
    assert_int_equal(0, ac_store_user_get(fx.node.store, ben.id, &still));
    assert_int_equal(0, still.disabled_ms);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_admin_creates_a_user_with_its_audit_row),
        T(test_a_taken_name_is_a_conflict_on_the_name_field),
        T(test_an_earner_cannot_create_users),
        T(test_disabling_a_user_writes_an_audit_row_and_revokes_its_tokens),
        T(test_an_admin_cannot_disable_itself),
        T(test_a_reviewer_cannot_disable_anyone),
        T(test_disabling_a_user_that_does_not_exist_is_not_found),
        T(test_a_disable_whose_audit_row_cannot_be_written_is_rolled_back),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
