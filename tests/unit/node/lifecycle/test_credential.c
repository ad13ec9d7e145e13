/* test_credential.c - tests node/lifecycle/credential.c: finding a credential
 * by reference, and the level and user checks every lifecycle service uses. */
#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "accord/store/user.h"

static struct node_fixture fx;
static struct ac_user admin, eve, gone;

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    eve = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    gone = fixture_user(&fx, "gus", AC_ROLE_EXPERT);
    return ac_store_user_disable(fx.node.store, gone.id, 1) ? -1 : 0;
}

static void test_a_bare_id_finds_the_highest_version_and_a_version_finds_that_one(void **state)
{
    (void)state;
    fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_definition *v2 = fixture_definition(2, "[]");
    struct ac__cred c;
    assert_int_equal(0, ac_definition_create(&fx.node, &admin, v2, &c, NULL));
    ac__cred_release(&c);
    assert_int_equal(0, ac__cred_find(&fx.node, "unit-cred", &c, NULL));
    assert_string_equal("unit-cred@2", c.ref);
    assert_int_equal(2, c.def->version);
    ac__cred_release(&c);
    assert_int_equal(0, ac__cred_find(&fx.node, "unit-cred@1", &c, NULL));
    assert_string_equal("unit-cred@1", c.ref);
    ac__cred_release(&c);
}

static void test_a_malformed_reference_is_not_found_with_the_rule(void **state)
{
    (void)state;
    const char *bad[] = {"", "@1", "unit-cred@", "unit-cred@0", "unit-cred@1x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct ac_reason why = AC_REASON_INIT;
        struct ac__cred c;
        assert_int_equal(AC_ENOENT, ac__cred_find(&fx.node, bad[i], &c, &why));
        fixture_reason_is(&why, AC_PROBLEM_NOT_FOUND, "ref");
        assert_non_null(strstr(why.detail, "ID@VERSION"));
    }
}

static void test_a_level_is_taken_by_name_or_by_index(void **state)
{
    (void)state;
    struct ac_definition *def = fixture_definition(1, "[]");
    struct ac_level_arg by_name = {.kind = AC_LEVEL_NAME, .name = "not yet"};
    struct ac_level_arg by_index = {.kind = AC_LEVEL_INDEX, .index = 1};
    int level = -1;
    assert_int_equal(0, ac__level_resolve(def, &by_name, "level", &level, NULL));
    assert_int_equal(0, level);
    assert_int_equal(0, ac__level_resolve(def, &by_index, "level", &level, NULL));
    assert_int_equal(1, level);
    ac_def_free(def);
}

static void test_an_index_past_the_scale_and_a_missing_level_are_refused_differently(void **state)
{
    (void)state;
    struct ac_definition *def = fixture_definition(1, "[]");
    struct ac_level_arg past = {.kind = AC_LEVEL_INDEX, .index = 2};
    struct ac_level_arg absent = {.kind = AC_LEVEL_ABSENT};
    struct ac_level_arg other = {.kind = AC_LEVEL_OTHER};
    struct ac_reason why = AC_REASON_INIT;
    int level = 7;
    assert_int_equal(AC_EINVAL, ac__level_resolve(def, &past, "level", &level, &why));
    fixture_reason_is(&why, AC_PROBLEM_OFF_SCALE, "level");
    assert_string_equal("level: 2 is not on the scale; one of \"not yet\", \"pass\"", why.detail);
    assert_int_equal(AC_EINVAL, ac__level_resolve(def, &absent, "level", &level, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "level");
    assert_int_equal(AC_EINVAL, ac__level_resolve(def, &other, "level", &level, &why));
    assert_non_null(strstr(why.detail, "a level name or index"));
    assert_int_equal(7, level);
    ac_def_free(def);
}

static void test_a_disabled_user_in_a_list_is_refused_by_position(void **state)
{
    (void)state;
    int64_t ids[2] = {eve.id, gone.id};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, ac__users_check(&fx.node, "experts", ids, 2, AC_ROLE_EXPERT, &why));
    fixture_reason_is(&why, AC_PROBLEM_UNACCEPTABLE_VALUE, "experts");
    assert_string_equal("experts[1]: no enabled user with that id", why.detail);
}

static void test_the_forbidden_reason_names_the_roles_needed_and_held(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac__actor_require(&eve, AC_ROLE_ADMIN | AC_ROLE_REVIEWER, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    assert_string_equal("this needs the admin or reviewer role; user eve has expert", why.detail);
    assert_int_equal(0, ac__actor_require(&eve, AC_ROLE_EXPERT, &why));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_a_bare_id_finds_the_highest_version_and_a_version_finds_that_one),
        T(test_a_malformed_reference_is_not_found_with_the_rule),
        T(test_a_level_is_taken_by_name_or_by_index),
        T(test_an_index_past_the_scale_and_a_missing_level_are_refused_differently),
        T(test_a_disabled_user_in_a_list_is_refused_by_position),
        T(test_the_forbidden_reason_names_the_roles_needed_and_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
