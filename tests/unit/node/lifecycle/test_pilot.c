/* test_pilot.c - tests node/lifecycle/pilot.c without HTTP: an admin adds
 * pilot submissions for two experts, each expert scores their own once. */
#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "review/review.h"
#include "accord/store/credential.h"
#include "accord/store/pilot.h"

static struct node_fixture fx;
static struct ac_user admin, e1, e2, e3, rex;
static int64_t cred;

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    e1 = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    e2 = fixture_user(&fx, "eli", AC_ROLE_EXPERT);
    e3 = fixture_user(&fx, "ezra", AC_ROLE_EXPERT);
    rex = fixture_user(&fx, "rex", AC_ROLE_REVIEWER);
    cred = fixture_credential(&fx, &admin, "[]", AC_DEF_PILOTING);
    int64_t round;
    return ac_store_credential_pilot_round(fx.node.store, cred, "exact", 0.8, 0, &round) ? -1 : 0;
}

static const struct ac_text_item two[] = {{"s1", "First submission."},
                                          {"s2", "Second submission."}};

/* Adds |two| for e1 and e2; sets |ids|. */
static void add_two(int64_t ids[2])
{
    int64_t experts[2] = {e1.id, e2.id};
    struct ac__cred c;
    assert_int_equal(0,
                     ac_pilot_add(&fx.node, &admin, "unit-cred", experts, two, 2, ids, &c, NULL));
    ac__cred_release(&c);
}

/* The pilot rows of the current round (two per submission). */
static size_t rows_stored(void)
{
    struct ac_pilot_score rows[16];
    size_t k;
    assert_int_equal(0, ac_store_pilot_list(fx.node.store, 0, cred, 1, 0, rows, 16, &k));
    for (size_t i = 0; i < k; i++)
        ac_pilot_score_release(&rows[i]);
    return k;
}

static void test_adding_submissions_assigns_each_to_both_experts_and_audits_the_count(void **state)
{
    (void)state;
    int64_t experts[2] = {e1.id, e2.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(0,
                     ac_pilot_add(&fx.node, &admin, "unit-cred", experts, two, 2, ids, &c, &why));
    assert_int_equal(1, c.row.pilot_round);
    assert_true(ids[0] > 0 && ids[1] > ids[0]);
    assert_int_equal(4, rows_stored());
    struct ac_pilot_score p;
    assert_int_equal(0, ac_store_pilot_get(fx.node.store, ids[1], e2.id, &p));
    assert_string_equal("s2", p.label);
    assert_int_equal(-1, p.level);
    ac_pilot_score_release(&p);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "pilot-assign", admin.id);
    assert_int_equal(2, json_integer_value(json_object_get(d, "count")));
    assert_int_equal(1, json_integer_value(json_object_get(d, "round")));
    json_decref(d);
    ac__cred_release(&c);
}

static void test_a_non_expert_in_the_expert_list_is_refused_by_position(void **state)
{
    (void)state;
    int64_t experts[2] = {e1.id, rex.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_EINVAL,
                     ac_pilot_add(&fx.node, &admin, "unit-cred", experts, two, 2, ids, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_UNACCEPTABLE_VALUE, "experts");
    assert_non_null(strstr(why.detail, "experts[1]"));
    assert_int_equal(0, rows_stored());
}

static void test_the_same_expert_twice_is_refused(void **state)
{
    (void)state;
    int64_t experts[2] = {e1.id, e1.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_EINVAL,
                     ac_pilot_add(&fx.node, &admin, "unit-cred", experts, two, 2, ids, &c, &why));
    assert_non_null(strstr(why.detail, "appears twice"));
}

static void test_a_reused_label_adds_nothing_at_all(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    int64_t experts[2] = {e1.id, e2.id}, more[2];
    const struct ac_text_item again[] = {{"s3", "New."}, {"s1", "Reused label."}};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(
        AC_EEXIST, ac_pilot_add(&fx.node, &admin, "unit-cred", experts, again, 2, more, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_CONFLICT, "submissions");
    /* "s3" came first and was rolled back with the rest. */
    assert_int_equal(4, rows_stored());
    assert_int_equal(1, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_adding_outside_piloting_is_refused_as_wrong_state(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_credential_transition(fx.node.store, cred, AC_DEF_PILOTING,
                                                       AC_DEF_DRAFT, false, 0));
    int64_t experts[2] = {e1.id, e2.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_ECONFLICT,
                     ac_pilot_add(&fx.node, &admin, "unit-cred", experts, two, 2, ids, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
    assert_int_equal(0, rows_stored());
}

static void test_an_expert_adding_submissions_is_forbidden(void **state)
{
    (void)state;
    int64_t experts[2] = {e1.id, e2.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_EACCES,
                     ac_pilot_add(&fx.node, &e1, "unit-cred", experts, two, 2, ids, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    assert_int_equal(0, rows_stored());
}

static void test_an_expert_scores_their_own_submission_by_level_name(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_level_arg pass = {.kind = AC_LEVEL_NAME, .name = "pass"};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    assert_int_equal(0, ac_pilot_score_submission(&fx.node, &e1, ids[0], &pass, &c, &level, &why));
    assert_int_equal(1, level);
    struct ac_pilot_score p;
    assert_int_equal(0, ac_store_pilot_get(fx.node.store, ids[0], e1.id, &p));
    assert_int_equal(1, p.level);
    ac_pilot_score_release(&p);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "pilot-score", e1.id);
    assert_int_equal(ids[0], json_integer_value(json_object_get(d, "submission_id")));
    json_decref(d);
    ac__cred_release(&c);
}

static void test_an_expert_not_assigned_is_refused_as_not_assigned(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_level_arg pass = {.kind = AC_LEVEL_INDEX, .index = 1};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    assert_int_equal(AC_EACCES,
                     ac_pilot_score_submission(&fx.node, &e3, ids[0], &pass, &c, &level, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_ASSIGNED, "id");
}

static void test_a_second_score_by_the_same_expert_is_refused_and_the_first_stands(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_level_arg first = {.kind = AC_LEVEL_INDEX, .index = 0};
    struct ac_level_arg second = {.kind = AC_LEVEL_NAME, .name = "pass"};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    assert_int_equal(0, ac_pilot_score_submission(&fx.node, &e2, ids[1], &first, &c, &level, &why));
    ac__cred_release(&c);
    assert_int_equal(AC_ECONFLICT,
                     ac_pilot_score_submission(&fx.node, &e2, ids[1], &second, &c, &level, &why));
    fixture_reason_is(&why, AC_PROBLEM_ALREADY_SCORED, "level");
    struct ac_pilot_score p;
    assert_int_equal(0, ac_store_pilot_get(fx.node.store, ids[1], e2.id, &p));
    assert_int_equal(0, p.level);
    ac_pilot_score_release(&p);
}

static void test_a_level_off_the_scale_is_refused_listing_the_scale(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_level_arg bad = {.kind = AC_LEVEL_NAME, .name = "excellent"};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    assert_int_equal(AC_EINVAL,
                     ac_pilot_score_submission(&fx.node, &e1, ids[0], &bad, &c, &level, &why));
    fixture_reason_is(&why, AC_PROBLEM_OFF_SCALE, "level");
    assert_non_null(strstr(why.detail, "\"excellent\" is not on the scale; one of \"not yet\", "
                                       "\"pass\""));
    struct ac_pilot_score p;
    assert_int_equal(0, ac_store_pilot_get(fx.node.store, ids[0], e1.id, &p));
    assert_int_equal(-1, p.level);
    ac_pilot_score_release(&p);
}

/* The detail stored beside (|sub|, |expert|)'s score, or NULL. */
static json_t *stored_detail(int64_t sub, int64_t expert)
{
    char *text = NULL;
    if (ac_store_pilot_notes_get(fx.node.store, sub, expert, &text) != 0)
        return NULL;
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    return j;
}

static void test_notes_are_stored_beside_the_score_and_returned(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_level_arg pass = {.kind = AC_LEVEL_NAME, .name = "pass"};
    struct ac_pilot_extra extra = {NULL, "The rubric is vague on length.", NULL};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    json_t *detail = NULL;
    assert_int_equal(0, ac_pilot_score_detailed(&fx.node, &e1, ids[0], &pass, &extra, &c, &level,
                                                &detail, &why));
    ac__cred_release(&c);
    assert_string_equal("The rubric is vague on length.",
                        json_string_value(json_object_get(detail, "notes")));
    json_decref(detail);
    json_t *stored = stored_detail(ids[0], e1.id);
    assert_string_equal("The rubric is vague on length.",
                        json_string_value(json_object_get(stored, "notes")));
    json_decref(stored);
    assert_null(stored_detail(ids[0], e2.id));
}

static void test_a_refused_second_score_leaves_the_first_notes(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_level_arg pass = {.kind = AC_LEVEL_NAME, .name = "pass"};
    struct ac_pilot_extra first = {NULL, "first", NULL}, second = {NULL, "second", NULL};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    assert_int_equal(0, ac_pilot_score_detailed(&fx.node, &e2, ids[1], &pass, &first, &c, &level,
                                                NULL, &why));
    ac__cred_release(&c);
    assert_int_equal(AC_ECONFLICT, ac_pilot_score_detailed(&fx.node, &e2, ids[1], &pass, &second,
                                                           &c, &level, NULL, &why));
    fixture_reason_is(&why, AC_PROBLEM_ALREADY_SCORED, "level");
    json_t *stored = stored_detail(ids[1], e2.id);
    assert_string_equal("first", json_string_value(json_object_get(stored, "notes")));
    json_decref(stored);
}

static void test_element_levels_on_a_holistic_rubric_are_refused_naming_levels(void **state)
{
    (void)state;
    int64_t ids[2];
    add_two(ids);
    struct ac_levels_given given = {.shape = AC_LEVELS_BY_ELEMENT, .n = 1};
    given.v[0].element = "e1";
    given.v[0].name = "pass";
    struct ac_level_arg none = {.kind = AC_LEVEL_ABSENT};
    struct ac_pilot_extra extra = {&given, NULL, NULL};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int level;
    assert_int_equal(AC_EINVAL, ac_pilot_score_detailed(&fx.node, &e1, ids[0], &none, &extra, &c,
                                                        &level, NULL, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "levels");
    struct ac_pilot_score p;
    assert_int_equal(0, ac_store_pilot_get(fx.node.store, ids[0], e1.id, &p));
    assert_int_equal(-1, p.level);
    ac_pilot_score_release(&p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_adding_submissions_assigns_each_to_both_experts_and_audits_the_count),
        T(test_notes_are_stored_beside_the_score_and_returned),
        T(test_a_refused_second_score_leaves_the_first_notes),
        T(test_element_levels_on_a_holistic_rubric_are_refused_naming_levels),
        T(test_a_non_expert_in_the_expert_list_is_refused_by_position),
        T(test_the_same_expert_twice_is_refused),
        T(test_a_reused_label_adds_nothing_at_all),
        T(test_adding_outside_piloting_is_refused_as_wrong_state),
        T(test_an_expert_adding_submissions_is_forbidden),
        T(test_an_expert_scores_their_own_submission_by_level_name),
        T(test_an_expert_not_assigned_is_refused_as_not_assigned),
        T(test_a_second_score_by_the_same_expert_is_refused_and_the_first_stands),
        T(test_a_level_off_the_scale_is_refused_listing_the_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
