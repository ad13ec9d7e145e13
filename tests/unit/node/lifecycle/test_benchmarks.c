/* test_benchmarks.c - tests node/lifecycle/benchmarks.c without HTTP:
 * import for two experts, independent scoring, and a conference resolving
 * only what the experts split on. */
#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "accord/store/benchmark.h"
#include "accord/store/credential.h"

static struct node_fixture fx;
static struct ac_user admin, e1, e2, e3;
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
    cred = fixture_credential(&fx, &admin, "[]", AC_DEF_BENCHMARKS);
    return 0;
}

static const struct ac_text_item items[] = {{"b1", "Item one."}, {"b2", "Item two."}};

static void import_two(int64_t ids[2])
{
    int64_t experts[2] = {e1.id, e2.id};
    struct ac__cred c;
    assert_int_equal(
        0, ac_benchmark_import(&fx.node, &admin, "unit-cred", experts, 2, items, 2, ids, &c, NULL));
    ac__cred_release(&c);
}

static void score(const struct ac_user *who, int64_t item, int level)
{
    struct ac_level_arg l = {.kind = AC_LEVEL_INDEX, .index = level};
    struct ac__cred c;
    int lv;
    assert_int_equal(0, ac_benchmark_score(&fx.node, who, item, &l, &c, &lv, NULL));
    ac__cred_release(&c);
}

static struct ac_bench_row stored(int64_t id)
{
    struct ac_bench_row b;
    assert_int_equal(0, ac_store_bench_get(fx.node.store, id, &b));
    return b;
}

static void test_importing_items_assigns_them_to_the_experts_and_audits_the_import(void **state)
{
    (void)state;
    int64_t experts[2] = {e1.id, e2.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(
        0, ac_benchmark_import(&fx.node, &admin, "unit-cred", experts, 2, items, 2, ids, &c, &why));
    assert_string_equal("unit-cred@1", c.ref);
    struct ac_bench_row b = stored(ids[1]);
    assert_string_equal("b2", b.label);
    assert_int_equal(2, b.n_experts);
    assert_int_equal(-1, b.final_level);
    ac_bench_row_release(&b);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "benchmark-import", admin.id);
    assert_int_equal(2, json_integer_value(json_object_get(d, "items")));
    assert_int_equal(2, json_integer_value(json_object_get(d, "experts")));
    json_decref(d);
    ac__cred_release(&c);
}

static void test_importing_outside_the_benchmarks_state_is_refused(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_credential_transition(fx.node.store, cred, AC_DEF_BENCHMARKS,
                                                       AC_DEF_TRAINING, false, 0));
    int64_t experts[2] = {e1.id, e2.id}, ids[2];
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_ECONFLICT, ac_benchmark_import(&fx.node, &admin, "unit-cred", experts, 2,
                                                       items, 2, ids, &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_an_assigned_expert_scores_an_item_and_a_second_score_is_refused(void **state)
{
    (void)state;
    int64_t ids[2];
    import_two(ids);
    struct ac_level_arg l = {.kind = AC_LEVEL_NAME, .name = "pass"};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int lv;
    assert_int_equal(0, ac_benchmark_score(&fx.node, &e2, ids[0], &l, &c, &lv, &why));
    assert_int_equal(1, lv);
    ac__cred_release(&c);
    struct ac_bench_row b = stored(ids[0]);
    assert_int_equal(1, b.levels[b.experts[0] == e2.id ? 0 : 1]);
    ac_bench_row_release(&b);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "benchmark-score", e2.id);
    assert_int_equal(ids[0], json_integer_value(json_object_get(d, "item_id")));
    json_decref(d);
    assert_int_equal(AC_ECONFLICT, ac_benchmark_score(&fx.node, &e2, ids[0], &l, &c, &lv, &why));
    fixture_reason_is(&why, AC_PROBLEM_ALREADY_SCORED, "level");
}

static void test_an_expert_not_on_the_item_is_refused_as_not_assigned(void **state)
{
    (void)state;
    int64_t ids[2];
    import_two(ids);
    struct ac_level_arg l = {.kind = AC_LEVEL_INDEX, .index = 0};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    int lv;
    assert_int_equal(AC_EACCES, ac_benchmark_score(&fx.node, &e3, ids[0], &l, &c, &lv, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_ASSIGNED, "id");
    assert_int_equal(1, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_resolving_before_every_expert_scored_is_refused(void **state)
{
    (void)state;
    int64_t ids[2];
    import_two(ids);
    score(&e1, ids[0], 0);
    struct ac_level_arg l = {.kind = AC_LEVEL_INDEX, .index = 0};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_bench_row item;
    assert_int_equal(AC_ECONFLICT, ac_benchmark_resolve(&fx.node, &admin, ids[0], &l, NULL, NULL,
                                                        &c, &item, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_SCORED, "id");
}

static void test_a_unanimous_score_is_not_overruled(void **state)
{
    (void)state;
    int64_t ids[2];
    import_two(ids);
    score(&e1, ids[0], 1);
    score(&e2, ids[0], 1);
    struct ac_level_arg l = {.kind = AC_LEVEL_INDEX, .index = 0};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_bench_row item;
    assert_int_equal(
        AC_EINVAL, ac_benchmark_resolve(&fx.node, &admin, ids[0], &l, NULL, NULL, &c, &item, &why));
    fixture_reason_is(&why, AC_PROBLEM_UNACCEPTABLE_VALUE, "level");
    assert_non_null(strstr(why.detail, "agreed on \"pass\""));
}

static void test_a_conference_settles_a_split_item_with_its_annotations(void **state)
{
    (void)state;
    int64_t ids[2];
    import_two(ids);
    score(&e1, ids[1], 0);
    score(&e2, ids[1], 1);
    struct ac_level_arg l = {.kind = AC_LEVEL_NAME, .name = "not yet"};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_bench_row item;
    assert_int_equal(0, ac_benchmark_resolve(&fx.node, &e1, ids[1], &l, "Names criteria.",
                                             "Vague next step.", &c, &item, &why));
    assert_int_equal(0, item.final_level);
    assert_string_equal("Names criteria.", item.key_characteristics);
    assert_string_equal("Vague next step.", item.common_errors);
    assert_int_equal(e1.id, item.resolved_by);
    ac_bench_row_release(&item);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "benchmark-resolve", e1.id);
    assert_string_equal("not yet", json_string_value(json_object_get(d, "level")));
    json_decref(d);
    ac__cred_release(&c);
}

static void test_an_expert_not_on_a_split_item_cannot_resolve_it(void **state)
{
    (void)state;
    int64_t ids[2];
    import_two(ids);
    score(&e1, ids[1], 0);
    score(&e2, ids[1], 1);
    struct ac_level_arg l = {.kind = AC_LEVEL_INDEX, .index = 1};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_bench_row item;
    assert_int_equal(AC_EACCES,
                     ac_benchmark_resolve(&fx.node, &e3, ids[1], &l, NULL, NULL, &c, &item, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_ASSIGNED, "id");
    struct ac_bench_row b = stored(ids[1]);
    assert_int_equal(-1, b.final_level);
    ac_bench_row_release(&b);
}

static void test_resolving_an_unknown_item_is_not_found(void **state)
{
    (void)state;
    struct ac_level_arg l = {.kind = AC_LEVEL_INDEX, .index = 1};
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    struct ac_bench_row item;
    assert_int_equal(AC_ENOENT,
                     ac_benchmark_resolve(&fx.node, &admin, 999, &l, NULL, NULL, &c, &item, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_FOUND, "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_importing_items_assigns_them_to_the_experts_and_audits_the_import),
        T(test_importing_outside_the_benchmarks_state_is_refused),
        T(test_an_assigned_expert_scores_an_item_and_a_second_score_is_refused),
        T(test_an_expert_not_on_the_item_is_refused_as_not_assigned),
        T(test_resolving_before_every_expert_scored_is_refused),
        T(test_a_unanimous_score_is_not_overruled),
        T(test_a_conference_settles_a_split_item_with_its_annotations),
        T(test_an_expert_not_on_a_split_item_cannot_resolve_it),
        T(test_resolving_an_unknown_item_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
