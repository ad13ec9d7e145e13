/* test_training.c - tests node/lifecycle/training.c without HTTP: the
 * training module generated from resolved benchmarks, the node's general
 * module, and reviewers completing each. */
#include "lifecycle_fixture.h"

#include "accord/base/clock.h"
#include "accord/store/benchmark.h"
#include "accord/store/certification.h"
#include "accord/store/credential.h"
#include "accord/store/reviewer.h"
#include "accord/store/training.h"
#include "lifecycle/lifecycle.h"

static struct node_fixture fx;
static struct ac_user admin, e1, e2, rex;
static int64_t cred;

static int setup(void **state)
{
    (void)state;
    if (fixture_open(&fx))
        return -1;
    admin = fixture_user(&fx, "ada", AC_ROLE_ADMIN);
    e1 = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    e2 = fixture_user(&fx, "eli", AC_ROLE_EXPERT);
    rex = fixture_user(&fx, "rex", AC_ROLE_REVIEWER);
    cred = fixture_credential(&fx, &admin, "[]", AC_DEF_TRAINING);
    return 0;
}

/* The stored training module of |cred| (caller json_decref()s), or NULL. */
static json_t *module(void)
{
    char *text;
    int64_t at;
    if (ac_store_training_get(fx.node.store, cred, &text, &at))
        return NULL;
    json_t *m = json_loads(text, 0, NULL);
    free(text);
    return m;
}

static int regenerate(struct ac_reason *why)
{
    struct ac__cred c;
    int err = ac_training_regenerate(&fx.node, &admin, "unit-cred", &c, why);
    if (!err) {
        assert_int_equal(cred, c.row.id);
        ac__cred_release(&c);
    }
    return err;
}

static void put_general_module(void)
{
    assert_int_equal(
        0, ac_general_module_put(&fx.node, &admin, "{\"title\":\"G\",\"sections\":[]}", NULL));
}

static void test_regenerating_draws_one_example_per_level_and_audits_it(void **state)
{
    (void)state;
    int64_t ids[4];
    fixture_resolved_benchmarks(&fx, cred, &e1, &e2, 2, ids);
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, regenerate(&why));
    json_t *m = module();
    assert_non_null(m);
    json_t *ex = json_object_get(m, "examples");
    assert_int_equal(2, json_array_size(ex));
    /* examples_per_level is 1; with no annotations the lowest id comes first. */
    json_t *first = json_array_get(json_object_get(json_array_get(ex, 1), "items"), 0);
    assert_string_equal("pass", json_string_value(json_object_get(json_array_get(ex, 1), "level")));
    assert_int_equal(ids[2], json_integer_value(json_object_get(first, "item_id")));
    json_decref(m);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "training-generate", admin.id);
    json_decref(d);
}

static void
test_regenerating_with_a_level_lacking_examples_is_refused_and_stores_nothing(void **state)
{
    (void)state;
    int64_t id;
    int64_t experts[2] = {e1.id, e2.id};
    /* One resolved item, at "not yet" only. */
    assert_int_equal(
        0, ac_store_bench_add(fx.node.store, cred, "only", "Only item.", experts, 2, 0, &id));
    assert_int_equal(0, ac_store_bench_score(fx.node.store, id, e1.id, 0, 0));
    assert_int_equal(0, ac_store_bench_score(fx.node.store, id, e2.id, 0, 0));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, regenerate(&why));
    fixture_reason_is(&why, AC_PROBLEM_EVIDENCE_MISSING, "benchmarks");
    assert_null(module());
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_regenerating_outside_training_is_refused(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_credential_transition(fx.node.store, cred, AC_DEF_TRAINING,
                                                       AC_DEF_RECRUITING, false, 0));
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, regenerate(&why));
    fixture_reason_is(&why, AC_PROBLEM_WRONG_STATE, "state");
}

static void test_a_reviewer_cannot_write_the_general_module(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, ac_general_module_put(&fx.node, &rex, "{}", &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    char *text;
    int64_t at;
    assert_int_equal(AC_ENOENT, ac_store_general_get(fx.node.store, &text, &at));
}

static void test_writing_the_general_module_is_audited_on_the_node(void **state)
{
    (void)state;
    put_general_module();
    char *text;
    int64_t at;
    assert_int_equal(0, ac_store_general_get(fx.node.store, &text, &at));
    assert_string_equal("{\"title\":\"G\",\"sections\":[]}", text);
    free(text);
    json_decref(fixture_audit_last(&fx, "node", FIXTURE_NODE_ID, "general-module-edit", admin.id));
}

static void test_completing_a_missing_general_module_is_refused(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    int64_t done;
    assert_int_equal(AC_ECONFLICT, ac_general_module_complete(&fx.node, &rex, &done, &why));
    fixture_reason_is(&why, AC_PROBLEM_NO_GENERAL_MODULE, "");
}

static void
test_completing_the_general_module_creates_the_profile_and_keeps_the_first_time(void **state)
{
    (void)state;
    put_general_module();
    int64_t first, again;
    assert_int_equal(0, ac_general_module_complete(&fx.node, &rex, &first, NULL));
    assert_true(first > 0);
#ifdef ACCORD_TEST_CLOCK
    ac_clock_advance(60000); /* a minute later, so a second time would differ */
#endif
    assert_int_equal(0, ac_general_module_complete(&fx.node, &rex, &again, NULL));
    assert_int_equal(first, again);
    struct ac_reviewer_profile p;
    assert_int_equal(0, ac_store_reviewer_get(fx.node.store, rex.id, &p));
    assert_true(p.available);
    char subject[24];
    snprintf(subject, sizeof subject, "%lld", (long long)rex.id);
    assert_int_equal(2, fixture_audit_count(&fx, "reviewer", subject));
}

static void test_the_training_module_waits_for_the_general_module(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_reviewer_cert_create(fx.node.store, cred, rex.id,
                                                      AC_RCERT_SCREENED, "{}", "[]", 0));
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_ECONFLICT, ac_training_complete(&fx.node, &rex, "unit-cred", &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_GENERAL_MODULE_FIRST, "");
}

static void test_completing_training_marks_its_examples_seen_and_the_reviewer_trained(void **state)
{
    (void)state;
    int64_t ids[4];
    fixture_resolved_benchmarks(&fx, cred, &e1, &e2, 2, ids);
    assert_int_equal(0, regenerate(NULL));
    put_general_module();
    assert_int_equal(0, ac_general_module_complete(&fx.node, &rex, &(int64_t){0}, NULL));
    assert_int_equal(0, ac_store_reviewer_cert_create(fx.node.store, cred, rex.id,
                                                      AC_RCERT_SCREENED, "{}", "[]", 0));
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(0, ac_training_complete(&fx.node, &rex, "unit-cred", &c, &why));
    ac__cred_release(&c);
    struct ac_reviewer_cert rc;
    assert_int_equal(0, ac_store_reviewer_cert_get(fx.node.store, cred, rex.id, &rc));
    assert_int_equal(AC_RCERT_TRAINED, rc.state);
    ac_reviewer_cert_release(&rc);
    int64_t *seen;
    size_t n;
    assert_int_equal(0, ac_store_seen_list(fx.node.store, rex.id, cred, &seen, &n));
    /* One example per level: the first item of each. */
    assert_int_equal(2, n);
    assert_true((seen[0] == ids[0] && seen[1] == ids[2]) ||
                (seen[0] == ids[2] && seen[1] == ids[0]));
    free(seen);
    char subject[24];
    snprintf(subject, sizeof subject, "%lld", (long long)rex.id);
    json_t *d = fixture_audit_last(&fx, "reviewer", subject, "training-complete", rex.id);
    assert_string_equal("unit-cred@1", json_string_value(json_object_get(d, "credential")));
    json_decref(d);
}

static void test_completing_training_without_applying_is_refused(void **state)
{
    (void)state;
    struct ac_reason why = AC_REASON_INIT;
    struct ac__cred c;
    assert_int_equal(AC_ECONFLICT, ac_training_complete(&fx.node, &rex, "unit-cred", &c, &why));
    fixture_reason_is(&why, AC_PROBLEM_NOT_APPLIED, "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_regenerating_draws_one_example_per_level_and_audits_it),
        T(test_regenerating_with_a_level_lacking_examples_is_refused_and_stores_nothing),
        T(test_regenerating_outside_training_is_refused),
        T(test_a_reviewer_cannot_write_the_general_module),
        T(test_writing_the_general_module_is_audited_on_the_node),
        T(test_completing_a_missing_general_module_is_refused),
        T(test_completing_the_general_module_creates_the_profile_and_keeps_the_first_time),
        T(test_the_training_module_waits_for_the_general_module),
        T(test_completing_training_marks_its_examples_seen_and_the_reviewer_trained),
        T(test_completing_training_without_applying_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
