/* test_gate.c - tests node/lifecycle/gate.c without HTTP: the transition
 * table and the evidence each step needs decide whether a credential moves;
 * a move is stored with its audit row, a refusal changes nothing and says why. */
#include <math.h>

#include "lifecycle_fixture.h"

#include "lifecycle/lifecycle.h"
#include "accord/store/credential.h"

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

/* Answers the five framework audit questions of the draft. */
static void answer_audit(void)
{
    struct ac_audit_answers a = {"Impact.", "Equity.", "Access.", "Language.", "Big picture."};
    struct ac__cred c;
    assert_int_equal(0, ac_definition_audit_answers(&fx.node, &admin, "unit-cred", &a, &c, NULL));
    ac__cred_release(&c);
}

static int move(const struct ac_user *who, const struct ac_transition_req *req,
                struct ac_reason *why)
{
    struct ac__cred c;
    json_t *evidence;
    int err = ac_definition_transition(&fx.node, who, "unit-cred", req, &c, &evidence, why);
    if (!err) {
        assert_int_equal(req->to, c.row.state);
        json_decref(evidence);
        ac__cred_release(&c);
    }
    return err;
}

static void test_starting_a_pilot_opens_round_one_and_audits_the_transition(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    answer_audit();
    struct ac_transition_req req = {AC_DEF_PILOTING, false, "quadratic_kappa", 0.7};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(0, move(&admin, &req, &why));
    struct ac_credential row;
    assert_int_equal(0, ac_store_credential_get(fx.node.store, id, &row));
    assert_int_equal(AC_DEF_PILOTING, row.state);
    assert_int_equal(1, row.pilot_round);
    assert_string_equal("quadratic_kappa", row.pilot_statistic);
    assert_true(fabs(row.pilot_threshold - 0.7) < 1e-12);
    ac_credential_release(&row);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "transition", admin.id);
    assert_string_equal("draft", json_string_value(json_object_get(d, "from")));
    assert_string_equal("piloting", json_string_value(json_object_get(d, "to")));
    assert_true(json_is_false(json_object_get(d, "override")));
    json_decref(d);
}

static void test_a_pilot_before_the_framework_audit_is_refused_naming_the_first_answer(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_transition_req req = {AC_DEF_PILOTING, false, "exact", 0.8};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_EVIDENCE_MISSING, "impact");
    assert_int_equal(AC_DEF_DRAFT, fixture_state(&fx, id));
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_an_unknown_pilot_statistic_is_refused_naming_the_field(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    answer_audit();
    struct ac_transition_req req = {AC_DEF_PILOTING, false, "median_kappa", 0.8};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "pilot.statistic");
    assert_non_null(strstr(why.detail, "\"median_kappa\""));
    assert_int_equal(AC_DEF_DRAFT, fixture_state(&fx, id));
}

static void test_a_missing_pilot_threshold_is_refused(void **state)
{
    (void)state;
    fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    answer_audit();
    struct ac_transition_req req = {AC_DEF_PILOTING, false, "exact", NAN};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "pilot.threshold");
}

static void test_a_move_outside_the_transition_table_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_transition_req req = {AC_DEF_ACTIVE, false, NULL, NAN};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_TRANSITION_NOT_ALLOWED, "to");
    assert_int_equal(AC_DEF_DRAFT, fixture_state(&fx, id));
    assert_int_equal(0, fixture_audit_count(&fx, "credential", "unit-cred@1"));
}

static void test_an_override_other_than_to_active_is_refused(void **state)
{
    (void)state;
    fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    answer_audit();
    struct ac_transition_req req = {AC_DEF_PILOTING, true, "exact", 0.8};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EINVAL, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_INVALID_FIELD, "override");
}

static void test_ending_a_pilot_below_its_threshold_is_refused_with_the_report(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    answer_audit();
    struct ac_transition_req pilot = {AC_DEF_PILOTING, false, "exact", 0.8};
    assert_int_equal(0, move(&admin, &pilot, NULL));
    struct ac_transition_req req = {AC_DEF_BENCHMARKS, false, NULL, NAN};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_EVIDENCE_MISSING, "pilot");
    /* The refusal carries the report that refused it: no submissions yet. */
    assert_int_equal(0, json_integer_value(json_object_get(why.extra, "submissions")));
    assert_true(json_is_false(json_object_get(why.extra, "threshold_met")));
    assert_int_equal(AC_DEF_PILOTING, fixture_state(&fx, id));
    ac_reason_release(&why);
}

static void test_recruiting_without_a_general_module_is_refused(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_TRAINING);
    struct ac_transition_req req = {AC_DEF_RECRUITING, false, NULL, NAN};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, move(&admin, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_EVIDENCE_MISSING, "general_module");
    assert_int_equal(AC_DEF_TRAINING, fixture_state(&fx, id));
}

static void test_an_override_turns_a_recruiting_credential_active_below_the_minimum(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_RECRUITING);
    struct ac_transition_req plain = {AC_DEF_ACTIVE, false, NULL, NAN};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_ECONFLICT, move(&admin, &plain, &why));
    fixture_reason_is(&why, AC_PROBLEM_EVIDENCE_MISSING, "pool");
    ac_reason_release(&why);
    struct ac_transition_req req = {AC_DEF_ACTIVE, true, NULL, NAN};
    assert_int_equal(0, move(&admin, &req, &why));
    struct ac_credential row;
    assert_int_equal(0, ac_store_credential_get(fx.node.store, id, &row));
    assert_int_equal(AC_DEF_ACTIVE, row.state);
    assert_true(row.activation_override);
    ac_credential_release(&row);
    json_t *d = fixture_audit_last(&fx, "credential", "unit-cred@1", "transition", admin.id);
    assert_true(json_is_true(json_object_get(d, "override")));
    /* The pool status that allowed it is kept as the evidence. */
    assert_int_equal(
        0, json_integer_value(json_object_get(json_object_get(d, "evidence"), "certified")));
    json_decref(d);
}

static void test_an_expert_moving_a_credential_is_forbidden(void **state)
{
    (void)state;
    int64_t id = fixture_credential(&fx, &admin, "[]", AC_DEF_DRAFT);
    struct ac_user expert = fixture_user(&fx, "eve", AC_ROLE_EXPERT);
    struct ac_transition_req req = {AC_DEF_RETIRED, false, NULL, NAN};
    struct ac_reason why = AC_REASON_INIT;
    assert_int_equal(AC_EACCES, move(&expert, &req, &why));
    fixture_reason_is(&why, AC_PROBLEM_FORBIDDEN, "");
    assert_int_equal(AC_DEF_DRAFT, fixture_state(&fx, id));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_starting_a_pilot_opens_round_one_and_audits_the_transition),
        T(test_a_pilot_before_the_framework_audit_is_refused_naming_the_first_answer),
        T(test_an_unknown_pilot_statistic_is_refused_naming_the_field),
        T(test_a_missing_pilot_threshold_is_refused),
        T(test_a_move_outside_the_transition_table_is_refused_and_changes_nothing),
        T(test_an_override_other_than_to_active_is_refused),
        T(test_ending_a_pilot_below_its_threshold_is_refused_with_the_report),
        T(test_recruiting_without_a_general_module_is_refused),
        T(test_an_override_turns_a_recruiting_credential_active_below_the_minimum),
        T(test_an_expert_moving_a_credential_is_forbidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
