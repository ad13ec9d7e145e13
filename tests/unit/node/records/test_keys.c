/* test_keys.c - tests the signing-key service of node/records/keys.c
 * without HTTP: only an admin rotates; a rotation re-signs the transparency
 * log's head under the new key and is audited with both key ids. */
#include "node/node_fixture.h"

#include "accord/sign/keyring.h"
#include "accord/store/audit.h"
#include "accord/store/tlog.h"
#include "accounts/accounts.h"

static struct node_fixture fx;

static int setup(void **state)
{
    (void)state;
    return fixture_open_full(&fx);
}

static void test_an_admin_rotation_resigns_the_checkpoint_under_the_new_key(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    char old_kid[2 * AC_KEY_ID_BYTES + 1];
    snprintf(old_kid, sizeof old_kid, "%s", ac_keyring_current(fx.node.keyring)->kid_hex);
    assert_int_equal(0, ac__records_rotate_key(&fx.node, &ada, NULL));
    const char *new_kid = ac_keyring_current(fx.node.keyring)->kid_hex;
    assert_string_not_equal(old_kid, new_kid);
    struct ac_store_checkpoint cp = {0};
    assert_int_equal(0, ac_store_log_checkpoint_latest(fx.node.store, &cp));
    assert_string_equal(new_kid, cp.kid);
    assert_int_equal(0, cp.size);
    /* The published note is the stored one. */
    assert_memory_equal(cp.note, fx.node.records->checkpoint.body.data, strlen(cp.note));
    free(cp.note);
    struct ac_audit_entry a = fixture_audit_newest(&fx, "key", new_kid);
    assert_string_equal("rotate", a.action);
    assert_int_equal(ada.id, a.actor_user_id);
    char want[64];
    snprintf(want, sizeof want, "\"previous_kid\":\"%s\"", old_kid);
    assert_non_null(strstr(a.detail, want));
    assert_non_null(strstr(a.detail, "\"checkpoint_resigned\":true"));
    ac_audit_entry_release(&a);
}

static void test_an_expert_cannot_rotate_and_the_key_stays(void **state)
{
    (void)state;
    struct ac_user eve = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    char kid[2 * AC_KEY_ID_BYTES + 1];
    snprintf(kid, sizeof kid, "%s", ac_keyring_current(fx.node.keyring)->kid_hex);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__records_rotate_key(&fx.node, &eve, &why));
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_string_equal(kid, ac_keyring_current(fx.node.keyring)->kid_hex);
    assert_int_equal(1, ac_keyring_count(fx.node.keyring));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_an_admin_rotation_resigns_the_checkpoint_under_the_new_key, setup,
            fixture_teardown),
        cmocka_unit_test_setup_teardown(test_an_expert_cannot_rotate_and_the_key_stays, setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
