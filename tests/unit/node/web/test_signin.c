/* test_signin.c - tests node/web/signin.c without HTTP: the sign-in throttle
 * counts failures per key within a window, session and CSRF values are keyed
 * by the node secret, and a started session is stored by hash and audited.
 * (Mailed links are driven end to end by tests/web/test_web_session.py.) */
#include "node/node_fixture.h"

#include "accord/store/session.h"
#include "web/web.h"

static struct node_fixture fx;
static struct ac__web *web;

static int setup(void **state)
{
    (void)state;
    web = calloc(1, sizeof *web);
    return web && fixture_open_full(&fx) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(web);
    return fixture_close(&fx);
}

static void test_an_account_is_held_back_after_five_failures_until_the_window_ends(void **state)
{
    (void)state;
    const int64_t t0 = 1000000;
    for (int i = 0; i < AC_WEB_FAILS_PER_ACCOUNT - 1; i++)
        ac__web_throttle_fail(web, "user:ann", t0 + i);
    assert_int_equal(0, ac__web_throttle_wait(web, "user:ann", t0 + 10));
    ac__web_throttle_fail(web, "user:ann", t0 + 10);
    /* The window opened at the first failure; it ends 15 minutes later. */
    assert_int_equal(15 * 60 * 1000 - 20, ac__web_throttle_wait(web, "user:ann", t0 + 20));
    assert_int_equal(0, ac__web_throttle_wait(web, "user:ann", t0 + 15 * 60 * 1000));
    assert_int_equal(0, ac__web_throttle_wait(web, "user:bob", t0 + 20));
}

static void test_an_address_is_allowed_twenty_failures(void **state)
{
    (void)state;
    for (int i = 0; i < 19; i++)
        ac__web_throttle_fail(web, "addr:10.0.0.1", 5000);
    assert_int_equal(0, ac__web_throttle_wait(web, "addr:10.0.0.1", 5000));
    ac__web_throttle_fail(web, "addr:10.0.0.1", 5000);
    assert_true(ac__web_throttle_wait(web, "addr:10.0.0.1", 5000) > 0);
}

static void test_a_success_clears_the_accounts_failures(void **state)
{
    (void)state;
    for (int i = 0; i < AC_WEB_FAILS_PER_ACCOUNT; i++)
        ac__web_throttle_fail(web, "user:ann", 5000);
    assert_true(ac__web_throttle_wait(web, "user:ann", 5000) > 0);
    ac__web_throttle_clear(web, "user:ann");
    assert_int_equal(0, ac__web_throttle_wait(web, "user:ann", 5000));
}

static void test_a_flood_of_keys_reuses_the_oldest_slot_and_keeps_the_newest(void **state)
{
    (void)state;
    char key[32];
    for (int i = 0; i < AC_WEB_THROTTLE_SLOTS + 10; i++) {
        snprintf(key, sizeof key, "addr:%d", i);
        for (int k = 0; k < AC_WEB_FAILS_PER_ADDRESS; k++)
            ac__web_throttle_fail(web, key, 1000 + i);
    }
    assert_true(ac__web_throttle_wait(web, key, 2000) > 0);
}

static void test_the_csrf_value_depends_on_the_session_and_the_node_secret(void **state)
{
    (void)state;
    char a[44], b[44], c[44];
    ac__web_csrf_of(&fx.node, "acs_one", a);
    ac__web_csrf_of(&fx.node, "acs_two", b);
    assert_int_equal(43, strlen(a));
    assert_string_not_equal(a, b);
    fx.node.secret[0] ^= 1;
    ac__web_csrf_of(&fx.node, "acs_one", c);
    fx.node.secret[0] ^= 1;
    assert_string_not_equal(a, c);
    /* The session's stored hash is not its CSRF value either. */
    uint8_t h[AC_SESSION_HASH_BYTES];
    ac__web_token_hash(&fx.node, "acs_one", h);
    assert_true(memcmp(h, a, 32) != 0);
}

static void test_a_started_session_is_found_by_its_cookies_hash_and_audited(void **state)
{
    (void)state;
    struct ac_user ann = fixture_user(&fx, "ann", AC_ROLE_EARNER);
    struct ac_session s, found;
    struct ac_user u;
    char text[AC_WEB_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__web_session_start(&fx.node, ann.id, &s, text));
    assert_int_equal(AC_WEB_TOKEN_TEXT_BYTES - 1, strlen(text));
    assert_memory_equal("acs_", text, 4);
    assert_int_equal(AC_WEB_SESSION_MS, s.expires_ms - s.created_ms);
    uint8_t h[AC_SESSION_HASH_BYTES];
    ac__web_token_hash(&fx.node, text, h);
    assert_int_equal(0, ac_store_session_find(fx.node.store, h, &found, &u));
    assert_int_equal(s.id, found.id);
    assert_int_equal(ann.id, u.id);
    char sub[24];
    snprintf(sub, sizeof sub, "%lld", (long long)ann.id);
    struct ac_audit_entry e = fixture_audit_newest(&fx, "user", sub);
    assert_string_equal("session.start", e.action);
    ac_audit_entry_release(&e);
    /* A second start is a new, different cookie. */
    char again[AC_WEB_TOKEN_TEXT_BYTES];
    assert_int_equal(0, ac__web_session_start(&fx.node, ann.id, &s, again));
    assert_string_not_equal(text, again);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_account_is_held_back_after_five_failures_until_the_window_ends),
        T(test_an_address_is_allowed_twenty_failures),
        T(test_a_success_clears_the_accounts_failures),
        T(test_a_flood_of_keys_reuses_the_oldest_slot_and_keeps_the_newest),
        T(test_the_csrf_value_depends_on_the_session_and_the_node_secret),
        T(test_a_started_session_is_found_by_its_cookies_hash_and_audited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
