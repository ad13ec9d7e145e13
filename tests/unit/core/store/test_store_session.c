/* test_store_session.c - tests core/store/store_session.c: password hashes,
 * browser sessions and one-time links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/people.h"
#include "accord/store/session.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "store_fixture.h"

static struct ac_user ann, bob;

static int open_store(void **state)
{
    (void)state;
    if (store_fixture_open("session"))
        return -1;
    if (ac_store_user_create(st, "ann", "Ann", AC_ROLE_EARNER, 1000, &ann) ||
        ac_store_user_create(st, "bob", "Bob", AC_ROLE_REVIEWER, 1000, &bob))
        return -1;
    return 0;
}

static void fill(uint8_t h[AC_SESSION_HASH_BYTES], uint8_t v)
{
    memset(h, v, AC_SESSION_HASH_BYTES);
}

static void test_a_user_is_found_by_name_and_an_unknown_name_is_not(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(0, ac_store_user_by_name(st, "bob", &u));
    assert_int_equal(bob.id, u.id);
    assert_string_equal("Bob", u.display_name);
    assert_int_equal(AC_ENOENT, ac_store_user_by_name(st, "carl", &u));
}

static void test_a_password_is_read_back_and_replaced(void **state)
{
    (void)state;
    char h[AC_PASSWORD_HASH_MAX + 1];
    assert_int_equal(AC_ENOENT, ac_store_password_get(st, ann.id, h));
    assert_int_equal(0, ac_store_password_set(st, ann.id, "$argon2id$first", 2000));
    assert_int_equal(0, ac_store_password_set(st, ann.id, "$argon2id$second", 3000));
    assert_int_equal(0, ac_store_password_get(st, ann.id, h));
    assert_string_equal("$argon2id$second", h);
    assert_int_equal(AC_EINVAL, ac_store_password_set(st, ann.id, "", 3000));
    assert_int_equal(AC_ENOENT, ac_store_password_set(st, 999, "$argon2id$x", 3000));
}

static void test_a_session_is_found_by_its_hash_with_its_user(void **state)
{
    (void)state;
    uint8_t h[AC_SESSION_HASH_BYTES];
    fill(h, 7);
    struct ac_session s, found;
    struct ac_user u;
    assert_int_equal(0, ac_store_session_create(st, ann.id, h, 5000, 9000, &s));
    assert_int_equal(0, ac_store_session_find(st, h, &found, &u));
    assert_int_equal(s.id, found.id);
    assert_int_equal(9000, found.expires_ms);
    assert_int_equal(0, found.revoked_ms);
    assert_string_equal("ann", u.name);
    fill(h, 8);
    assert_int_equal(AC_ENOENT, ac_store_session_find(st, h, &found, &u));
}

static void test_revoking_a_users_sessions_leaves_others_alone(void **state)
{
    (void)state;
    uint8_t h1[AC_SESSION_HASH_BYTES], h2[AC_SESSION_HASH_BYTES], h3[AC_SESSION_HASH_BYTES];
    fill(h1, 1);
    fill(h2, 2);
    fill(h3, 3);
    struct ac_session s;
    struct ac_user u;
    assert_int_equal(0, ac_store_session_create(st, ann.id, h1, 5000, 9000, &s));
    assert_int_equal(0, ac_store_session_create(st, ann.id, h2, 5000, 9000, &s));
    assert_int_equal(0, ac_store_session_create(st, bob.id, h3, 5000, 9000, &s));
    assert_int_equal(0, ac_store_session_revoke_user(st, ann.id, 6000));
    assert_int_equal(0, ac_store_session_find(st, h1, &s, &u));
    assert_int_equal(6000, s.revoked_ms);
    assert_int_equal(0, ac_store_session_find(st, h2, &s, &u));
    assert_int_equal(6000, s.revoked_ms);
    assert_int_equal(0, ac_store_session_find(st, h3, &s, &u));
    assert_int_equal(0, s.revoked_ms);
    /* A second revoke keeps the first time. */
    assert_int_equal(0, ac_store_session_find(st, h1, &s, &u));
    assert_int_equal(0, ac_store_session_revoke(st, s.id, 7000));
    assert_int_equal(0, ac_store_session_find(st, h1, &s, &u));
    assert_int_equal(6000, s.revoked_ms);
}

static void test_a_link_works_once_for_its_purpose_before_it_expires(void **state)
{
    (void)state;
    uint8_t h[AC_SESSION_HASH_BYTES];
    fill(h, 9);
    int64_t uid = 0;
    assert_int_equal(0, ac_store_link_create(st, bob.id, AC_LINK_SIGN_IN, h, 1000, 2000));
    assert_int_equal(AC_ENOENT, ac_store_link_use(st, AC_LINK_SET_PASSWORD, h, 1500, &uid));
    assert_int_equal(0, ac_store_link_use(st, AC_LINK_SIGN_IN, h, 1500, &uid));
    assert_int_equal(bob.id, uid);
    assert_int_equal(AC_ENOENT, ac_store_link_use(st, AC_LINK_SIGN_IN, h, 1600, &uid));
}

static void test_an_expired_link_is_refused(void **state)
{
    (void)state;
    uint8_t h[AC_SESSION_HASH_BYTES];
    fill(h, 10);
    int64_t uid = 0;
    assert_int_equal(0, ac_store_link_create(st, ann.id, AC_LINK_SET_PASSWORD, h, 1000, 2000));
    assert_int_equal(AC_ENOENT, ac_store_link_use(st, AC_LINK_SET_PASSWORD, h, 2000, &uid));
    assert_int_equal(0, uid);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)
    const struct CMUnitTest tests[] = {
        T(test_a_user_is_found_by_name_and_an_unknown_name_is_not),
        T(test_a_password_is_read_back_and_replaced),
        T(test_a_session_is_found_by_its_hash_with_its_user),
        T(test_revoking_a_users_sessions_leaves_others_alone),
        T(test_a_link_works_once_for_its_purpose_before_it_expires),
        T(test_an_expired_link_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
