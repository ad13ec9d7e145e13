/* test_pool_members.c - tests node/lifecycle/pool_members.c and the pool
 * status it extends, without HTTP: a credential's pool lists own and
 * borrowed reviewers with where each lives, offered reviewers not yet
 * applying appear as offered, pool sizing counts a borrowed reviewer
 * certified here, and the gate activates a credential on that count. */
#include <math.h>

#include "lifecycle_fixture.h"

#include "accord/store/credential.h"
#include "accord/store/lending.h"
#include "accord/store/remote.h"
#include "accord/store/reviewer.h"
#include "lifecycle/lifecycle.h"

static struct node_fixture fx;
static struct ac_user admin;

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    return 0;
}

static void certify(int64_t row, int64_t user)
{
    fixture_certify_to(&fx, row, user, AC_RCERT_CERTIFIED, 1);
}

/* The stand-in of reviewer |home_user| of north.example. */
static int64_t stand_in(int64_t home_user, const char *name)
{
    struct ac_remote_profile prof = {name, "North school", "North district", "[]"};
    int64_t id = 0;
    assert_int_equal(0, ac_store_remote_reviewer_ensure(fx.node.store, "north.example", home_user,
                                                        &prof, 1, &id, NULL));
    return id;
}

static json_t *status_of(void)
{
    struct ac__cred c;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__cred_find(&fx.node, "unit-cred", &c, &why));
    json_t *j = NULL;
    struct ac_pool_activation act;
    assert_int_equal(0, ac__pool_status(&fx.node, &c, false, &j, &act));
    ac__cred_release(&c);
    return j;
}

static void test_pool_sizing_counts_a_borrowed_reviewer_certified_here(void **state)
{
    (void)state;
    int64_t row = fixture_credential(&fx, &admin, "[]", AC_DEF_RECRUITING);
    struct ac_user own = fixture_user(&fx, "olga", AC_ROLE_REVIEWER);
    certify(row, own.id);
    certify(row, stand_in(7, "Nora"));
    stand_in(8, "Ned"); /* not certified here: not counted */
    json_t *j = status_of();
    assert_int_equal(2, json_integer_value(json_object_get(j, "certified")));
    assert_int_equal(1, json_integer_value(json_object_get(j, "own")));
    assert_int_equal(1, json_integer_value(json_object_get(j, "borrowed")));
    json_decref(j);
}

static void test_a_credential_whose_only_certified_reviewer_is_borrowed_may_activate(void **state)
{
    (void)state;
    /* The fixture's minimum is ceil(1 x 2 / 2) = 1 certified reviewer. */
    int64_t row = fixture_credential(&fx, &admin, "[]", AC_DEF_RECRUITING);
    certify(row, stand_in(7, "Nora"));
    struct ac_transition_req req = {AC_DEF_ACTIVE, false, NULL, NAN};
    struct ac__cred c;
    json_t *evidence = NULL;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(
        0, ac_definition_transition(&fx.node, &admin, "unit-cred", &req, &c, &evidence, &why));
    assert_int_equal(AC_DEF_ACTIVE, c.row.state);
    assert_int_equal(1, json_integer_value(json_object_get(evidence, "borrowed")));
    json_decref(evidence);
    ac__cred_release(&c);
}

/* The member of |arr| with user id |id|, or NULL. */
static json_t *member(json_t *arr, int64_t id)
{
    size_t i;
    json_t *m;
    json_array_foreach(arr, i,
                       m) if (json_integer_value(json_object_get(m, "user_id")) == id) return m;
    return NULL;
}

static void test_the_pool_lists_each_reviewer_with_where_they_live_and_their_state(void **state)
{
    (void)state;
    int64_t row = fixture_credential(&fx, &admin, "[]", AC_DEF_RECRUITING);
    struct ac_user own = fixture_user(&fx, "olga", AC_ROLE_REVIEWER);
    certify(row, own.id);
    int64_t nora = stand_in(7, "Nora"), ned = stand_in(8, "Ned");
    certify(row, nora);
    /* north.example offers both for unit-cred; Ned has not applied here. */
    struct ac_capacity_reviewer offer[2] = {
        {"north.example", "unit-cred", 7, nora, true, 3, 0},
        {"north.example", "unit-cred", 8, ned, false, 2, 0},
    };
    assert_int_equal(
        0, ac_store_capacity_replace(fx.node.store, "north.example", "cap-1", 10, offer, 2, 11));
    struct ac__cred c;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, ac__cred_find(&fx.node, "unit-cred", &c, &why));
    json_t *arr = NULL;
    assert_int_equal(0, ac__pool_members(&fx.node, &c, &arr));
    ac__cred_release(&c);
    assert_int_equal(3, json_array_size(arr));
    json_t *m = member(arr, own.id);
    assert_string_equal("local", json_string_value(json_object_get(m, "lives")));
    assert_string_equal("certified", json_string_value(json_object_get(m, "state")));
    m = member(arr, nora);
    assert_string_equal("north.example", json_string_value(json_object_get(m, "lives")));
    assert_string_equal("certified", json_string_value(json_object_get(m, "state")));
    assert_int_equal(7, json_integer_value(json_object_get(m, "home_user")));
    assert_true(json_is_true(json_object_get(m, "certified_at_home")));
    assert_int_equal(3, json_integer_value(json_object_get(m, "slots_per_month")));
    m = member(arr, ned);
    assert_string_equal("offered", json_string_value(json_object_get(m, "state")));
    assert_string_equal("Ned", json_string_value(json_object_get(m, "display_name")));
    json_decref(arr);
}

static void test_an_older_capacity_offer_does_not_replace_a_newer_one(void **state)
{
    (void)state;
    int64_t nora = stand_in(7, "Nora"), ned = stand_in(8, "Ned");
    struct ac_capacity_reviewer newer = {"north.example", "unit-cred", 7, nora, false, 3, 0};
    struct ac_capacity_reviewer older = {"north.example", "unit-cred", 8, ned, false, 2, 0};
    assert_int_equal(
        0, ac_store_capacity_replace(fx.node.store, "north.example", "cap-2", 20, &newer, 1, 21));
    assert_int_equal(AC_ECONFLICT, ac_store_capacity_replace(fx.node.store, "north.example",
                                                             "cap-1", 10, &older, 1, 22));
    struct ac_capacity_reviewer *v = NULL;
    size_t n = 0;
    assert_int_equal(0, ac_store_capacity_list(fx.node.store, "unit-cred", &v, &n));
    assert_int_equal(1, n);
    assert_int_equal(7, v[0].home_user);
    free(v);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_pool_sizing_counts_a_borrowed_reviewer_certified_here),
        T(test_a_credential_whose_only_certified_reviewer_is_borrowed_may_activate),
        T(test_the_pool_lists_each_reviewer_with_where_they_live_and_their_state),
        T(test_an_older_capacity_offer_does_not_replace_a_newer_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
