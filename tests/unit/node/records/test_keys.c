/* test_keys.c - tests the signing-key service of node/records/keys.c
 * without HTTP: only an admin rotates; a rotation re-signs the transparency
 * log's head under the new key and is audited with both key ids; a second
 * rotation while one is under way is refused. Its writes are tasks of the
 * request layer (node/http/reqtx.c): without its writer thread they run
 * at once, with it on later turns of the loop. */
#include "node/node_fixture.h"

#include "accord/net/router.h"
#include "accord/sign/keyring.h"
#include "accord/store/audit.h"
#include "accord/store/tlog.h"
#include "accounts/accounts.h"

static struct node_fixture fx;

/* What a rotation's done callback heard. */
struct heard {
    int calls, err;
};

static void on_rotated(struct ac_node *n, void *arg, int err, const struct ac_reason *why)
{
    (void)n;
    (void)why;
    struct heard *h = arg;
    h->calls++;
    h->err = err;
}

static int setup(void **state)
{
    (void)state;
    if (fixture_open_full(&fx))
        return -1;
    /* A write route makes the request layer, as the node's routes do. */
    if (ac_router_new(&fx.node.router))
        return -1;
    ac__route_write(&fx.node, "POST", "/unused", NULL);
    return 0;
}

static int teardown(void **state)
{
    struct ac_node *n = &fx.node;
    ac__reqtx_stop(n);
    /* The request layer's handles close on the loop's next turn. */
    if (n->loop)
        uv_run(n->loop, UV_RUN_NOWAIT);
    ac__reqtx_free(n);
    ac_router_free(n->router);
    n->router = NULL;
    return fixture_teardown(state);
}

static void test_an_admin_rotation_resigns_the_checkpoint_under_the_new_key(void **state)
{
    (void)state;
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    char old_kid[2 * AC_KEY_ID_BYTES + 1];
    snprintf(old_kid, sizeof old_kid, "%s", ac_keyring_current(fx.node.keyring)->kid_hex);
    struct heard h = {0};
    assert_int_equal(0, ac__records_rotate_key(&fx.node, &ada, NULL, on_rotated, &h));
    assert_int_equal(1, h.calls); /* without a writer thread: at once */
    assert_int_equal(0, h.err);
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
    struct heard h = {0};
    assert_int_equal(AC_EACCES, ac__records_rotate_key(&fx.node, &eve, &why, on_rotated, &h));
    assert_int_equal(0, h.calls);
    assert_int_equal(AC_PROBLEM_FORBIDDEN, why.problem);
    assert_string_equal(kid, ac_keyring_current(fx.node.keyring)->kid_hex);
    assert_int_equal(1, ac_keyring_count(fx.node.keyring));
}

static void test_a_second_rotation_while_one_is_under_way_is_refused(void **state)
{
    (void)state;
    struct ac_node *n = &fx.node;
    assert_int_equal(0, fixture_loop(&fx));
    assert_int_equal(0, ac__reqtx_start(n));
    struct ac_user ada = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    char old_kid[2 * AC_KEY_ID_BYTES + 1];
    snprintf(old_kid, sizeof old_kid, "%s", ac_keyring_current(n->keyring)->kid_hex);
    struct heard first = {0}, second = {0};
    assert_int_equal(0, ac__records_rotate_key(n, &ada, NULL, on_rotated, &first));
    assert_int_equal(0, first.calls); /* its tasks run on later turns */
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, ac__records_rotate_key(n, &ada, &why, on_rotated, &second));
    assert_int_equal(AC_PROBLEM_CONFLICT, why.problem);
    ac_reason_release(&why);
    for (int i = 0; i < 200 && !first.calls; i++)
        uv_run(n->loop, UV_RUN_ONCE);
    assert_int_equal(1, first.calls);
    assert_int_equal(0, first.err);
    assert_int_equal(0, second.calls);
    assert_int_equal(2, ac_keyring_count(n->keyring));
    const char *new_kid = ac_keyring_current(n->keyring)->kid_hex;
    assert_string_not_equal(old_kid, new_kid);
    struct ac_store_checkpoint cp = {0};
    assert_int_equal(0, ac_store_log_checkpoint_latest(n->store, &cp));
    assert_string_equal(new_kid, cp.kid);
    free(cp.note);
    /* Once it ended, another may start. */
    assert_int_equal(0, ac__records_rotate_key(n, &ada, NULL, on_rotated, &second));
    for (int i = 0; i < 200 && !second.calls; i++)
        uv_run(n->loop, UV_RUN_ONCE);
    assert_int_equal(1, second.calls);
    assert_int_equal(0, second.err);
    assert_int_equal(3, ac_keyring_count(n->keyring));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_an_admin_rotation_resigns_the_checkpoint_under_the_new_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_expert_cannot_rotate_and_the_key_stays, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_second_rotation_while_one_is_under_way_is_refused,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
