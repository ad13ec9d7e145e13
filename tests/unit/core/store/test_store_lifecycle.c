/* test_store_lifecycle.c - tests the lifecycle backbone of the store: nested
 * transactions, credential versions and their states, reviewer profiles and
 * certification states, and the audit trail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accord/base/error.h"
#include "accord/review/certification.h"
#include "accord/review/definition.h"
#include "accord/review/people.h"
#include "accord/store/audit.h"
#include "accord/store/benchmark.h"
#include "accord/store/certification.h"
#include "accord/store/credential.h"
#include "accord/store/notify.h"
#include "accord/store/pilot.h"
#include "accord/store/reviewer.h"
#include "accord/store/store.h"
#include "accord/store/user.h"
#include "store_fixture.h"

static int64_t admin_id;

static int open_store(void **state)
{
    (void)state;
    if (store_fixture_open("lstore"))
        return -1;
    struct ac_user u;
    if (ac_store_user_create(st, "ada", NULL, AC_ROLE_ADMIN | AC_ROLE_REVIEWER, 1, &u))
        return -1;
    admin_id = u.id;
    return 0;
}

static int64_t make_cred(const char *def_id, int64_t version)
{
    int64_t id;
    assert_int_equal(0, ac_store_credential_create(st, def_id, version, "T", "{}", "sha256:00",
                                                   admin_id, 10, &id));
    return id;
}

static void test_version_zero_finds_the_highest_version(void **state)
{
    (void)state;
    make_cred("feedback", 1);
    make_cred("feedback", 2);
    struct ac_credential c;
    assert_int_equal(0, ac_store_credential_find(st, "feedback", 0, &c));
    assert_int_equal(2, c.version);
    assert_int_equal(AC_DEF_DRAFT, c.state);
    ac_credential_release(&c);
}

static void test_a_version_stored_twice_is_refused(void **state)
{
    (void)state;
    make_cred("feedback", 1);
    int64_t id;
    assert_int_equal(AC_EEXIST, ac_store_credential_create(st, "feedback", 1, "T", "{}",
                                                           "sha256:00", admin_id, 10, &id));
}

static void test_a_definition_outside_draft_cannot_be_edited(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1);
    assert_int_equal(
        0, ac_store_credential_transition(st, id, AC_DEF_DRAFT, AC_DEF_PILOTING, false, 20));
    assert_int_equal(AC_ECONFLICT,
                     ac_store_credential_update(st, id, "New", "{\"a\":1}", "sha256:11", 30));
    struct ac_credential c;
    assert_int_equal(0, ac_store_credential_get(st, id, &c));
    assert_string_equal("{}", c.definition);
    ac_credential_release(&c);
}

static void test_a_transition_from_a_stale_state_is_a_conflict(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1);
    assert_int_equal(AC_ECONFLICT, ac_store_credential_transition(st, id, AC_DEF_PILOTING,
                                                                  AC_DEF_BENCHMARKS, false, 20));
}

static void test_turning_active_records_the_override(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1);
    assert_int_equal(0,
                     ac_store_credential_transition(st, id, AC_DEF_DRAFT, AC_DEF_ACTIVE, true, 40));
    struct ac_credential c;
    assert_int_equal(0, ac_store_credential_get(st, id, &c));
    assert_true(c.activation_override);
    assert_int_equal(40, c.activated_ms);
    ac_credential_release(&c);
}

static void test_each_pilot_round_gets_the_next_number(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1), round;
    assert_int_equal(0, ac_store_credential_pilot_round(st, id, "exact", 0.7, 5, &round));
    assert_int_equal(1, round);
    assert_int_equal(0, ac_store_credential_pilot_round(st, id, "exact", 0.7, 6, &round));
    assert_int_equal(2, round);
}

static void test_an_inner_rollback_keeps_the_outer_transaction(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0,
                     ac_store_audit_add(st, "credential", "x@1", admin_id, "n", "outer", NULL, 1));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0,
                     ac_store_audit_add(st, "credential", "x@1", admin_id, "n", "inner", NULL, 2));
    ac_store_tx_rollback(st);
    assert_int_equal(0, ac_store_tx_commit(st));
    struct ac_audit_entry e[4];
    size_t n;
    assert_int_equal(0, ac_store_audit_list(st, "credential", "x@1", 0, e, 4, &n));
    assert_int_equal(1, n);
    assert_string_equal("outer", e[0].action);
    ac_audit_entry_release(&e[0]);
}

static void test_an_outer_rollback_undoes_committed_inner_writes(void **state)
{
    (void)state;
    assert_int_equal(0, ac_store_tx_begin(st));
    make_cred("feedback", 1);
    ac_store_tx_rollback(st);
    struct ac_credential c;
    assert_int_equal(AC_ENOENT, ac_store_credential_find(st, "feedback", 0, &c));
}

static void test_an_audit_row_without_an_action_is_refused(void **state)
{
    (void)state;
    assert_int_equal(AC_EINVAL, ac_store_audit_add(st, "credential", "x@1", 0, "", "", NULL, 1));
}

static void test_the_general_module_keeps_its_first_completion(void **state)
{
    (void)state;
    struct ac_reviewer_profile p = {.user_id = admin_id, .available = true};
    strcpy(p.school, "Lincoln");
    assert_int_equal(0, ac_store_reviewer_put(st, &p, 5));
    assert_int_equal(0, ac_store_reviewer_general_done(st, admin_id, 7));
    assert_int_equal(0, ac_store_reviewer_general_done(st, admin_id, 9));
    struct ac_reviewer_profile got;
    assert_int_equal(0, ac_store_reviewer_get(st, admin_id, &got));
    assert_int_equal(7, got.general_module_ms);
    assert_string_equal("Lincoln", got.school);
    assert_string_equal("[]", got.domains);
}

static void test_a_certification_moves_only_from_its_current_state(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1);
    assert_int_equal(
        0, ac_store_reviewer_cert_create(st, id, admin_id, AC_RCERT_SCREENED, "{}", NULL, 3));
    assert_int_equal(AC_ECONFLICT,
                     ac_store_reviewer_cert_transition(st, id, admin_id, AC_RCERT_TRAINED,
                                                       AC_RCERT_CERTIFIED, NULL, 4));
    assert_int_equal(0, ac_store_reviewer_cert_transition(st, id, admin_id, AC_RCERT_SCREENED,
                                                          AC_RCERT_TRAINED, NULL, 5));
    struct ac_reviewer_cert c;
    assert_int_equal(0, ac_store_reviewer_cert_get(st, id, admin_id, &c));
    assert_int_equal(AC_RCERT_TRAINED, c.state);
    assert_int_equal(5, c.trained_ms);
    ac_reviewer_cert_release(&c);
    int64_t n;
    assert_int_equal(0, ac_store_reviewer_cert_count(st, id, AC_RCERT_TRAINED, &n));
    assert_int_equal(1, n);
}

static void test_a_certification_of_a_missing_reviewer_is_not_found(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1);
    assert_int_equal(AC_ENOENT,
                     ac_store_reviewer_cert_transition(st, id, admin_id + 99, AC_RCERT_APPLIED,
                                                       AC_RCERT_SCREENED, NULL, 4));
}

static int64_t make_expert(const char *name)
{
    struct ac_user u;
    assert_int_equal(0, ac_store_user_create(st, name, NULL, AC_ROLE_EXPERT, 1, &u));
    return u.id;
}

static void test_a_benchmark_item_resolves_itself_when_both_experts_agree(void **state)
{
    (void)state;
    int64_t cred = make_cred("feedback", 1), ex[2] = {make_expert("e1"), make_expert("e2")};
    int64_t item;
    assert_int_equal(0, ac_store_bench_add(st, cred, "b1", "text", ex, 2, 1, &item));
    assert_int_equal(0, ac_store_bench_score(st, item, ex[0], 2, 2));
    struct ac_bench_row b;
    assert_int_equal(0, ac_store_bench_get(st, item, &b));
    assert_int_equal(-1, b.final_level); /* one score in: nothing settled */
    ac_bench_row_release(&b);
    assert_int_equal(0, ac_store_bench_score(st, item, ex[1], 2, 3));
    assert_int_equal(0, ac_store_bench_get(st, item, &b));
    assert_int_equal(2, b.final_level);
    ac_bench_row_release(&b);
}

static void test_a_split_benchmark_item_waits_for_the_conference(void **state)
{
    (void)state;
    int64_t cred = make_cred("feedback", 1), ex[2] = {make_expert("e1"), make_expert("e2")};
    int64_t item;
    assert_int_equal(0, ac_store_bench_add(st, cred, "b1", "text", ex, 2, 1, &item));
    assert_int_equal(0, ac_store_bench_score(st, item, ex[0], 2, 2));
    assert_int_equal(0, ac_store_bench_score(st, item, ex[1], 1, 3));
    struct ac_bench_row b;
    assert_int_equal(0, ac_store_bench_get(st, item, &b));
    assert_int_equal(-1, b.final_level);
    ac_bench_row_release(&b);
    assert_int_equal(0, ac_store_bench_resolve(st, item, 1, "names one next step", NULL, ex[0], 4));
    assert_int_equal(0, ac_store_bench_get(st, item, &b));
    assert_int_equal(1, b.final_level);
    assert_string_equal("names one next step", b.key_characteristics);
    assert_string_equal("", b.common_errors);
    ac_bench_row_release(&b);
}

static void test_an_expert_scores_a_benchmark_item_once_and_only_if_assigned(void **state)
{
    (void)state;
    int64_t cred = make_cred("feedback", 1), ex[2] = {make_expert("e1"), make_expert("e2")};
    int64_t other = make_expert("e3"), item;
    assert_int_equal(0, ac_store_bench_add(st, cred, "b1", "text", ex, 2, 1, &item));
    assert_int_equal(AC_ENOENT, ac_store_bench_score(st, item, other, 1, 2));
    assert_int_equal(0, ac_store_bench_score(st, item, ex[0], 1, 2));
    assert_int_equal(AC_ECONFLICT, ac_store_bench_score(st, item, ex[0], 0, 3));
}

static void test_a_pilot_score_is_final(void **state)
{
    (void)state;
    int64_t cred = make_cred("feedback", 1), ex[2] = {make_expert("e1"), make_expert("e2")};
    int64_t sub;
    assert_int_equal(0, ac_store_pilot_add(st, cred, 1, "p1", "text", ex, 2, 1, &sub));
    assert_int_equal(0, ac_store_pilot_score(st, sub, ex[1], 3, 2));
    assert_int_equal(AC_ECONFLICT, ac_store_pilot_score(st, sub, ex[1], 2, 3));
    struct ac_pilot_score p;
    assert_int_equal(0, ac_store_pilot_get(st, sub, ex[0], &p));
    assert_int_equal(-1, p.level); /* the other expert's score is their own */
    ac_pilot_score_release(&p);
}

static void test_opening_an_attempt_marks_its_items_seen_and_exposed(void **state)
{
    (void)state;
    int64_t cred = make_cred("feedback", 1), ex[2] = {make_expert("e1"), make_expert("e2")};
    int64_t items[2], attempt;
    assert_int_equal(0, ac_store_bench_add(st, cred, "b1", "one", ex, 2, 1, &items[0]));
    assert_int_equal(0, ac_store_bench_add(st, cred, "b2", "two", ex, 2, 1, &items[1]));
    assert_int_equal(
        0, ac_store_cert_attempt_open(st, cred, admin_id, "[1]", &items[1], 1, 5, &attempt));
    int64_t *seen;
    size_t n;
    assert_int_equal(0, ac_store_seen_list(st, admin_id, cred, &seen, &n));
    assert_int_equal(1, n);
    assert_int_equal(items[1], seen[0]);
    free(seen);
    struct ac_bench_row b;
    assert_int_equal(0, ac_store_bench_get(st, items[1], &b));
    assert_int_equal(1, b.exposures);
    ac_bench_row_release(&b);
}

static void test_an_attempt_is_graded_once(void **state)
{
    (void)state;
    int64_t cred = make_cred("feedback", 1), attempt;
    assert_int_equal(0, ac_store_cert_attempt_open(st, cred, admin_id, "[]", NULL, 0, 5, &attempt));
    assert_int_equal(0, ac_store_cert_attempt_close(st, attempt, false, "[]", "{}", 6));
    assert_int_equal(AC_ECONFLICT, ac_store_cert_attempt_close(st, attempt, true, "[]", "{}", 7));
    struct ac_cert_attempt_row a;
    assert_int_equal(0, ac_store_cert_attempt_get(st, attempt, &a));
    assert_int_equal(0, a.passed);
    ac_cert_attempt_row_release(&a);
}

static void test_a_registered_credential_is_held(void **state)
{
    (void)state;
    bool holds = true;
    assert_int_equal(0, ac_store_held_check(st, admin_id, "basics", &holds));
    assert_false(holds);
    assert_int_equal(0, ac_store_held_add(st, admin_id, "basics", "did:web:x", admin_id, 1));
    assert_int_equal(0, ac_store_held_check(st, admin_id, "basics", &holds));
    assert_true(holds);
    assert_int_equal(AC_EEXIST, ac_store_held_add(st, admin_id, "basics", "", admin_id, 2));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)
    const struct CMUnitTest tests[] = {
        T(test_version_zero_finds_the_highest_version),
        T(test_a_version_stored_twice_is_refused),
        T(test_a_definition_outside_draft_cannot_be_edited),
        T(test_a_transition_from_a_stale_state_is_a_conflict),
        T(test_turning_active_records_the_override),
        T(test_each_pilot_round_gets_the_next_number),
        T(test_an_inner_rollback_keeps_the_outer_transaction),
        T(test_an_outer_rollback_undoes_committed_inner_writes),
        T(test_an_audit_row_without_an_action_is_refused),
        T(test_the_general_module_keeps_its_first_completion),
        T(test_a_certification_moves_only_from_its_current_state),
        T(test_a_certification_of_a_missing_reviewer_is_not_found),
        T(test_a_benchmark_item_resolves_itself_when_both_experts_agree),
        T(test_a_split_benchmark_item_waits_for_the_conference),
        T(test_an_expert_scores_a_benchmark_item_once_and_only_if_assigned),
        T(test_a_pilot_score_is_final),
        T(test_opening_an_attempt_marks_its_items_seen_and_exposed),
        T(test_an_attempt_is_graded_once),
        T(test_a_registered_credential_is_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
