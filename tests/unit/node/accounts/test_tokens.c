/* test_tokens.c - tests the tokens service of node/accounts/tokens.c without
 * HTTP: tokens are shown once and stored only as a keyed hash, a disabled
 * user gets none, a user revokes its own but not another's, each change is
 * audited. */
#include "node/node_fixture.h"

#include "accounts/accounts.h"
#include "accord/store/audit.h"
#include "accord/store/user.h"

static struct node_fixture fx;
static struct ac_user ada, ben; /* admin, earner */

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    ben = fixture_user(&fx, "ben", AC_ROLE_EARNER);
    return 0;
}

static void test_a_new_token_is_found_by_its_keyed_hash_and_audited(void **state)
{
    (void)state;
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__tokens_create(&fx.node, &ada, ben.id, "laptop", &t, text, NULL));
    /* "acc_" and 43 characters of base64url for 32 bytes. */
    assert_int_equal(47, strlen(text));
    assert_memory_equal("acc_", text, 4);
    uint8_t hash[AC_TOKEN_HASH_BYTES];
    ac__token_hash(&fx.node, text, strlen(text), hash);
    struct ac_token found;
    struct ac_user owner;
    assert_int_equal(0, ac_store_token_find(fx.node.store, hash, &found, &owner));
    assert_int_equal(t.id, found.id);
    assert_int_equal(ben.id, owner.id);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "token", fixture_sid(t.id));
    assert_string_equal("create", a.action);
    assert_int_equal(ada.id, a.actor_user_id);
    /* The token itself never reaches the audit trail. */
    assert_null(strstr(a.detail, text));
    ac_audit_entry_release(&a);
}

static void test_a_disabled_user_gets_no_token(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_user_disable(fx.node.store, ben.id, ac_clock_now_ms()));
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__tokens_create(&fx.node, &ada, ben.id, NULL, &t, text, &why));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    assert_string_equal("user ben is disabled; it cannot get tokens", why.detail);
    struct ac_token page[4];
    size_t n = 9;
    assert_int_equal(0, ac_store_token_list(fx.node.store, ben.id, 0, page, 4, &n));
    assert_int_equal(0, n);
}

static void test_an_earner_cannot_create_tokens(void **state)
{
    (void)state;
    struct ac_token t;
    char text[AC_TOKEN_TEXT_BYTES];
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__tokens_create(&fx.node, &ben, ben.id, NULL, &t, text, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
}

static void test_a_user_revokes_its_own_token_with_an_audit_row(void **state)
{
    (void)state;
    struct ac_token t, out;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__token_issue(&fx.node, ben.id, "phone", &t, text));
    assert_int_equal(0, ac__tokens_revoke(&fx.node, &ben, t.id, &out, NULL));
    assert_true(out.revoked_ms != 0);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "token", fixture_sid(t.id));
    assert_string_equal("revoke", a.action);
    assert_int_equal(ben.id, a.actor_user_id);
    ac_audit_entry_release(&a);
}

static void test_another_users_token_is_not_found_for_a_non_admin(void **state)
{
    (void)state;
    struct ac_user cat = fixture_user(&fx, "cat", AC_ROLE_EARNER);
    struct ac_token t, out;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__token_issue(&fx.node, ben.id, "phone", &t, text));
    assert_int_equal(AC_ENOENT, ac__tokens_revoke(&fx.node, &cat, t.id, &out, NULL));
    struct ac_token still;
    assert_int_equal(0, ac_store_token_get(fx.node.store, t.id, &still));
    assert_int_equal(0, still.revoked_ms);
    assert_int_equal(0, fixture_audit_count(&fx, "token", fixture_sid(t.id)));
}

static void test_an_admin_revokes_anyones_token(void **state)
{
    (void)state;
    struct ac_token t, out;
    char text[AC_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__token_issue(&fx.node, ben.id, "phone", &t, text));
    assert_int_equal(0, ac__tokens_revoke(&fx.node, &ada, t.id, &out, NULL));
    assert_true(out.revoked_ms != 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_new_token_is_found_by_its_keyed_hash_and_audited),
        T(test_a_disabled_user_gets_no_token),
        T(test_an_earner_cannot_create_tokens),
        T(test_a_user_revokes_its_own_token_with_an_audit_row),
        T(test_another_users_token_is_not_found_for_a_non_admin),
        T(test_an_admin_revokes_anyones_token),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
