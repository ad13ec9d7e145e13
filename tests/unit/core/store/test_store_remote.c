/* test_store_remote.c - tests core/store/store_remote.c: a reviewer of
 * another node gets one stand-in however often they are named, its profile
 * follows what the home node says, a long node id still makes a valid user
 * name, and bad links are refused without a trace. */
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
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "store_fixture.h"

#define T0 1700000000000LL

static int open_store(void **state)
{
    (void)state;
    return store_fixture_open("tremote");
}

static void test_a_remote_reviewer_has_one_stand_in_with_the_profile_it_brought(void **state)
{
    (void)state;
    struct ac_remote_profile p = {"Ana Diaz", "Lincoln Elementary", "north", "[\"ELA\"]"};
    int64_t id = 0, again = 0;
    int created = 0;
    assert_int_equal(
        0, ac_store_remote_reviewer_ensure(st, "north.example", 7, &p, T0, &id, &created));
    assert_true(created);
    struct ac_user u;
    assert_int_equal(0, ac_store_user_get(st, id, &u));
    assert_string_equal("7.north.example", u.name);
    assert_string_equal("Ana Diaz", u.display_name);
    assert_int_equal(AC_ROLE_REVIEWER, u.roles);

    p.school = "Adams Middle";
    assert_int_equal(
        0, ac_store_remote_reviewer_ensure(st, "north.example", 7, &p, T0 + 1, &again, &created));
    assert_false(created);
    assert_int_equal(id, again);
    struct ac_reviewer_profile prof;
    assert_int_equal(0, ac_store_reviewer_get(st, id, &prof));
    assert_string_equal("Adams Middle", prof.school);
    assert_string_equal("north", prof.district);

    struct ac_remote_reviewer r;
    assert_int_equal(0, ac_store_remote_reviewer_get(st, id, &r));
    assert_string_equal("north.example", r.home_node);
    assert_int_equal(7, r.home_user);
    int64_t found = 0;
    assert_int_equal(0, ac_store_remote_reviewer_find(st, "north.example", 7, &found));
    assert_int_equal(id, found);
    assert_int_equal(AC_ENOENT, ac_store_remote_reviewer_find(st, "south.example", 7, &found));
}

static void test_a_local_user_is_not_a_stand_in(void **state)
{
    (void)state;
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, "bo", NULL, AC_ROLE_REVIEWER, T0, &u));
    struct ac_remote_reviewer r;
    assert_int_equal(AC_ENOENT, ac_store_remote_reviewer_get(st, u.id, &r));
}

static void test_a_long_node_id_still_makes_a_valid_user_name(void **state)
{
    (void)state;
    const char *node = "district-node-name.schools.state-department.example.org";
    assert_true(strlen(node) <= AC_REMOTE_NODE_MAX);
    int64_t id = 0;
    assert_int_equal(0, ac_store_remote_reviewer_ensure(st, node, 123456789, NULL, T0, &id, NULL));
    struct ac_user u;
    assert_int_equal(0, ac_store_user_get(st, id, &u));
    assert_int_equal(0, ac_user_name_check(u.name));
    assert_int_equal(0, strncmp(u.name, "r123456789.", 11));
}

static void test_bad_links_are_refused_and_leave_nothing(void **state)
{
    (void)state;
    int64_t id = 0, users = 0;
    assert_int_equal(AC_EINVAL,
                     ac_store_remote_reviewer_ensure(st, "Bad Node", 1, NULL, T0, &id, NULL));
    assert_int_equal(AC_EINVAL,
                     ac_store_remote_reviewer_ensure(st, "north.example", 0, NULL, T0, &id, NULL));
    char school[AC_REVIEWER_TEXT_MAX + 2];
    memset(school, 's', sizeof school - 1);
    school[sizeof school - 1] = '\0';
    struct ac_remote_profile p = {NULL, school, NULL, NULL};
    assert_int_equal(AC_EINVAL,
                     ac_store_remote_reviewer_ensure(st, "north.example", 1, &p, T0, &id, NULL));
    assert_int_equal(0, ac_store_user_count(st, &users));
    assert_int_equal(0, users);
}

static void test_stand_ins_are_listed_by_home_node_in_pages(void **state)
{
    (void)state;
    int64_t id;
    for (int64_t i = 1; i <= 3; i++)
        assert_int_equal(
            0, ac_store_remote_reviewer_ensure(st, "north.example", i, NULL, T0, &id, NULL));
    assert_int_equal(0,
                     ac_store_remote_reviewer_ensure(st, "south.example", 1, NULL, T0, &id, NULL));
    struct ac_remote_reviewer page[2];
    size_t n = 0;
    assert_int_equal(0, ac_store_remote_reviewer_list(st, "north.example", 0, page, 2, &n));
    assert_int_equal(2, n);
    assert_int_equal(
        0, ac_store_remote_reviewer_list(st, "north.example", page[1].user_id, page, 2, &n));
    assert_int_equal(1, n);
    assert_int_equal(3, page[0].home_user);
    assert_int_equal(0, ac_store_remote_reviewer_list(st, NULL, 0, page, 2, &n));
    assert_int_equal(2, n);
}

#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_remote_reviewer_has_one_stand_in_with_the_profile_it_brought),
        T(test_a_local_user_is_not_a_stand_in),
        T(test_a_long_node_id_still_makes_a_valid_user_name),
        T(test_bad_links_are_refused_and_leave_nothing),
        T(test_stand_ins_are_listed_by_home_node_in_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
