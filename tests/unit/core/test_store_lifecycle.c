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

#include "accord/error.h"
#include "accord/store.h"

static char dir[64];
static struct ac_store *st;
static int64_t admin_id;

static int open_store(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ac-lstore-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/accord.db", dir);
    if (ac_store_open(path, &st))
        return -1;
    struct ac_user u;
    if (ac_store_user_create(st, "ada", NULL, AC_ROLE_ADMIN | AC_ROLE_REVIEWER, 1, &u))
        return -1;
    admin_id = u.id;
    return 0;
}

static int close_store(void **state)
{
    (void)state;
    ac_store_close(st);
    st = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t make_cred(const char *def_id, int64_t version)
{
    int64_t id;
    assert_int_equal(0, ac_store_credential_create(st, def_id, version, "T", "{}",
                                                   "sha256:00", admin_id, 10, &id));
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
    assert_int_equal(0, ac_store_credential_transition(st, id, AC_DEF_DRAFT, AC_DEF_PILOTING,
                                                       false, 20));
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
    assert_int_equal(AC_ECONFLICT, ac_store_credential_transition(
                                       st, id, AC_DEF_PILOTING, AC_DEF_BENCHMARKS, false, 20));
}

static void test_turning_active_records_the_override(void **state)
{
    (void)state;
    int64_t id = make_cred("feedback", 1);
    assert_int_equal(0, ac_store_credential_transition(st, id, AC_DEF_DRAFT, AC_DEF_ACTIVE,
                                                       true, 40));
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
    assert_int_equal(0, ac_store_audit_add(st, "credential", "x@1", admin_id, "n", "outer",
                                           NULL, 1));
    assert_int_equal(0, ac_store_tx_begin(st));
    assert_int_equal(0, ac_store_audit_add(st, "credential", "x@1", admin_id, "n", "inner",
                                           NULL, 2));
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
    assert_int_equal(0, ac_store_reviewer_cert_create(st, id, admin_id, AC_RCERT_SCREENED,
                                                      "{}", NULL, 3));
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
    assert_int_equal(AC_ENOENT, ac_store_reviewer_cert_transition(
                                    st, id, admin_id + 99, AC_RCERT_APPLIED,
                                    AC_RCERT_SCREENED, NULL, 4));
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
